"""Launching an AU of a module's cmi5 course (cmi5 sections 8 and 10).

``start_launch`` is the entry point the LTI tool and the demo page call. In the caller's
transaction it:

1. finds or creates the learner's registration for the module's current package and,
   for a new one, evaluates moveOn at once (9.6.1: ``NotApplicable`` AUs may satisfy a
   block or the course at registration time);
2. abandons the AU's sessions of that registration still open (9.3.6);
3. writes the ``LMS.LaunchData`` state document (10.0) and, when missing, the learner's
   ``cmi5LearnerPreferences`` agent profile (11.0, Vietnamese first);
4. records the ``launched`` statement (9.3.1) and the session;
5. returns the AU URL with ``endpoint``, ``fetch``, ``actor``, ``registration`` and
   ``activityId`` (8.1).

``fetch_auth_token`` answers the fetch URL (8.2): the first POST gets credentials bound
to the learner (``agent_ifi``), valid until the session expires; every later POST gets
``error-code`` 1, and an unknown fetch URL ``error-code`` 2, both with status 200 as
8.2.1 requires.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.catalog import service
from gateway.catalog.cmi5.progress import (
    abandon_active_sessions,
    evaluate_move_on,
    move_on_met,
    progress_rows,
)
from gateway.catalog.cmi5.statements import (
    activity,
    cmi5_context,
    lms_activity_id,
    lms_statement,
    store_lms_statements,
)
from gateway.catalog.cmi5.structure import AssignableUnit, Course
from gateway.catalog.cmi5.vocabulary import (
    EXT_LAUNCH_MODE,
    EXT_LAUNCH_PARAMETERS,
    EXT_LAUNCH_URL,
    EXT_MASTERY_SCORE,
    EXT_MOVE_ON,
    EXT_SESSION_ID,
    LAUNCH_DATA_STATE_ID,
    LAUNCH_MODES,
    LAUNCHED,
    LEARNER_PREFERENCES_PROFILE_ID,
)
from gateway.catalog.codes import parse_module_code
from gateway.catalog.content import current_package, files_url
from gateway.catalog.content_errors import LaunchError
from gateway.catalog.content_models import Cmi5Registration, Cmi5Session, ContentPackage
from gateway.catalog.content_settings import ContentSettings
from learning_store.agents import ifi_key
from learning_store.clients import create_client
from learning_store.documents import (
    DocumentKey,
    Preconditions,
    TagCondition,
    find_document,
    put_document,
)
from learning_store.models import Client
from learning_store.timestamps import to_stored_form, utc_now
from learning_store.validation.primitives import is_iri

# What an AU's credentials may do: write its statements, read its own, use the State and
# Agent Profile resources (LMS.LaunchData, cmi5LearnerPreferences, its bookmarks).
AU_SCOPES = frozenset({"statements/write", "statements/read/mine", "state", "profile"})
DEFAULT_PREFERENCES = {"languagePreference": "vi-VN,vi,en-US", "audioPreference": "on"}


@dataclass(frozen=True)
class LaunchInfo:
    """Where to send the learner's browser, and the ids the launch created."""

    url: str
    registration: str
    session_id: str
    activity_id: str
    au_id: str
    launch_method: str


def fetch_key_hash(key: str) -> str:
    """How a fetch URL's secret is stored (SHA-256; the secret itself never is)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def normalize_actor(actor: Any) -> dict[str, Any]:
    """cmi5 9.2: an Agent identified by an ``account``; :class:`LaunchError` otherwise."""
    if not isinstance(actor, dict):
        raise LaunchError("actor: phải là đối tượng JSON / must be a JSON object")
    account = actor.get("account")
    if actor.get("objectType", "Agent") != "Agent" or not isinstance(account, dict):
        raise LaunchError(
            "actor: cmi5 cần một Agent có account / cmi5 9.2 needs an Agent with an account"
        )
    home, name = account.get("homePage"), account.get("name")
    if not isinstance(home, str) or not is_iri(home) or not isinstance(name, str) or not name:
        raise LaunchError("actor.account: cần homePage (IRL) và name / needs homePage and name")
    normalized: dict[str, Any] = {
        "objectType": "Agent",
        "account": {"homePage": home, "name": name},
    }
    if isinstance(actor.get("name"), str) and actor["name"].strip():
        normalized["name"] = actor["name"].strip()
    return normalized


def _launch_base(public_url: str, package: ContentPackage, au: AssignableUnit) -> str:
    parts = urlsplit(au.url)
    if parts.scheme:
        return au.url
    return files_url(public_url, package) + au.url


def _with_parameters(url: str, parameters: dict[str, str]) -> str:
    """``url`` with the launch parameters appended to its query (before any fragment)."""
    parts = urlsplit(url)
    extra = urlencode(parameters, quote_via=quote)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def find_registration(
    session: Session, actor_ifi: str, module_key: str, package_id: int
) -> Cmi5Registration | None:
    """The learner's registration for this package of the module, if any."""
    return session.scalar(
        select(Cmi5Registration)
        .where(
            Cmi5Registration.actor_ifi == actor_ifi,
            Cmi5Registration.module_key == module_key,
            Cmi5Registration.package_id == package_id,
        )
        .order_by(Cmi5Registration.id.desc())
        .limit(1)
    )


def _choose_unit(
    session: Session, course: Course, registration: Cmi5Registration, au_id: str | None
) -> AssignableUnit:
    if au_id is not None:
        au = course.find_unit(au_id)
        if au is None:
            raise LaunchError(f"au: khóa học không có AU / the course has no AU {au_id!r}")
        return au
    rows = progress_rows(session, registration.id)
    units = list(course.assignable_units())
    return next((au for au in units if not move_on_met(au, rows.get(au.id))), units[0])


def start_launch(
    session: Session,
    module_code: str,
    actor: dict[str, Any],
    return_url: str | None,
    public_url: str,
    *,
    settings: ContentSettings,
    au_id: str | None = None,
    launch_mode: str = "Normal",
) -> LaunchInfo:
    """Prepare an AU launch of the module for ``actor``; the caller commits.

    ``au_id`` (a publisher id from cmi5.xml) picks the AU; by default the first AU whose
    moveOn criterion is not yet met, else the first AU.
    """
    if launch_mode not in LAUNCH_MODES:
        raise LaunchError(f"launchMode: phải là / must be one of {', '.join(LAUNCH_MODES)}")
    actor = normalize_actor(actor)
    actor_ifi = ifi_key(actor)
    assert actor_ifi is not None
    code = parse_module_code(module_code)
    module = service.get_module(session, code)
    package = current_package(session, module.key)
    if package is None or package.kind != "cmi5":
        raise LaunchError(
            f"Mô đun {code.display} chưa có khóa học cmi5 / module {code.display} has no cmi5 "
            "course package"
        )
    course = Course.from_json(package.structure_json)
    registration = find_registration(session, actor_ifi, module.key, package.id)
    if registration is None:
        registration = Cmi5Registration(
            registration=str(uuid.uuid4()),
            package_id=package.id,
            module_key=module.key,
            actor_ifi=actor_ifi,
            actor_json=json.dumps(actor, ensure_ascii=False),
            course_activity_id=module.activity_id,
            created=to_stored_form(utc_now()),
        )
        session.add(registration)
        session.flush()
        evaluate_move_on(session, registration, None, public_url)
    au = _choose_unit(session, course, registration, au_id)
    abandon_active_sessions(session, registration.id, au.id, public_url)

    now = utc_now()
    session_id = str(uuid.uuid4())
    au_activity_id = lms_activity_id(registration.course_activity_id, "au", au.id)
    grouping = [au.id, registration.course_activity_id]
    template = {
        "contextActivities": {"grouping": [{"id": activity_id} for activity_id in grouping]},
        "extensions": {EXT_SESSION_ID: session_id},
    }
    launch_data: dict[str, Any] = {
        "contextTemplate": template,
        "launchMode": launch_mode,
        "moveOn": au.move_on,
    }
    if return_url:
        launch_data["returnURL"] = return_url
    if au.mastery_score is not None:
        launch_data["masteryScore"] = au.mastery_score
    if au.launch_parameters is not None:
        launch_data["launchParameters"] = au.launch_parameters
    if au.entitlement_key is not None:
        launch_data["entitlementKey"] = {"courseStructure": au.entitlement_key}
    put_document(
        session,
        DocumentKey(
            "state", LAUNCH_DATA_STATE_ID, au_activity_id, actor_ifi, registration.registration
        ),
        json.dumps(launch_data, ensure_ascii=False).encode("utf-8"),
        "application/json",
        Preconditions(),
        "1.0",  # a State PUT replaces the document unconditionally (1.0.3 Communication 3.1)
    )
    preferences = DocumentKey("agent_profile", LEARNER_PREFERENCES_PROFILE_ID, agent_ifi=actor_ifi)
    if find_document(session, preferences) is None:
        put_document(
            session,
            preferences,
            json.dumps(DEFAULT_PREFERENCES).encode("utf-8"),
            "application/json",
            Preconditions(if_none_match=TagCondition(any_tag=True)),
            "1.0",
        )

    base = _launch_base(public_url, package, au)
    extensions: dict[str, Any] = {
        EXT_LAUNCH_MODE: launch_mode,
        EXT_LAUNCH_URL: _without_query(base),
        EXT_MOVE_ON: au.move_on,
    }
    if au.mastery_score is not None:
        extensions[EXT_MASTERY_SCORE] = au.mastery_score
    if au.launch_parameters is not None:
        extensions[EXT_LAUNCH_PARAMETERS] = au.launch_parameters
    store_lms_statements(
        session,
        [
            lms_statement(
                actor,
                LAUNCHED,
                activity(au_activity_id, au.activity_type, au.title),
                cmi5_context(registration.registration, session_id, grouping, extensions),
                timestamp=now,
            )
        ],
        public_url,
    )

    fetch_key = secrets.token_urlsafe(32)
    session.add(
        Cmi5Session(
            session_id=session_id,
            registration_id=registration.id,
            au_publisher_id=au.id,
            au_activity_id=au_activity_id,
            launch_mode=launch_mode,
            move_on=au.move_on,
            mastery_score=au.mastery_score,
            fetch_key_hash=fetch_key_hash(fetch_key),
            token_fetched=False,
            client_id=None,
            state="launched",
            verbs="",
            launch_url=_without_query(base),
            launched=to_stored_form(now),
            expires=to_stored_form(now + timedelta(seconds=settings.session_ttl_seconds)),
        )
    )
    session.flush()
    url = _with_parameters(
        base,
        {
            "endpoint": public_url.rstrip("/") + "/xapi/",
            "fetch": f"{public_url.rstrip('/')}/content/cmi5/fetch/{fetch_key}",
            "actor": json.dumps(actor, ensure_ascii=False, separators=(",", ":")),
            "registration": registration.registration,
            "activityId": au_activity_id,
        },
    )
    return LaunchInfo(url, registration.registration, session_id, au_activity_id, au.id,
                      au.launch_method)  # fmt: skip


FETCH_ALREADY_USED = {
    "error-code": "1",
    "error-text": "The authorization token has already been returned (cmi5 8.2.3.1) / "
    "Mã xác thực đã được cấp một lần.",
}
FETCH_EXPIRED = {
    "error-code": "1",
    "error-text": "The AU session has ended or expired / Phiên học đã kết thúc hoặc hết hạn.",
}
FETCH_UNKNOWN = {
    "error-code": "2",
    "error-text": "Unknown fetch URL / Địa chỉ lấy mã không hợp lệ.",
}


def fetch_auth_token(session: Session, fetch_key: str, public_url: str) -> dict[str, str]:
    """The body of the fetch URL's answer (cmi5 8.2); the caller commits.

    The token is handed out at most once, also under concurrent requests: the session
    row is claimed with a conditional UPDATE that only one transaction can win.
    """
    row = session.scalar(
        select(Cmi5Session).where(Cmi5Session.fetch_key_hash == fetch_key_hash(fetch_key))
    )
    if row is None:
        return dict(FETCH_UNKNOWN)
    if row.token_fetched:
        return dict(FETCH_ALREADY_USED)
    if row.state not in ("launched", "initialized") or row.expires < to_stored_form(utc_now()):
        return dict(FETCH_EXPIRED)
    claimed = session.execute(
        update(Cmi5Session)
        .where(Cmi5Session.id == row.id, Cmi5Session.token_fetched.is_(False))
        .values(token_fetched=True)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return dict(FETCH_ALREADY_USED)
    registration = session.get(Cmi5Registration, row.registration_id)
    assert registration is not None
    created = create_client(
        session, f"cmi5 AU session {row.session_id}", AU_SCOPES, homepage=public_url.rstrip("/")
    )
    session.execute(
        update(Client)
        .where(Client.id == created.client_id)
        .values(agent_ifi=registration.actor_ifi, expires=_client_expiry(row.expires))
    )
    session.execute(
        update(Cmi5Session)
        .where(Cmi5Session.id == row.id)
        .values(client_id=created.client_id)
        .execution_options(synchronize_session=False)
    )
    token = base64.b64encode(f"{created.key}:{created.secret}".encode()).decode("ascii")
    return {"auth-token": token}


def _client_expiry(stored: str) -> str:
    """``Client.expires`` is compared with ``datetime.isoformat()`` strings."""
    from gateway.catalog.cmi5.progress import parse_stored

    return parse_stored(stored).isoformat()
