"""The LMS's statement rules for cmi5 AU sessions, as a ``learning_store`` statement policy.

cmi5 6.3: "The LMS SHOULD reject statements that conflict with the Statement API
requirements" of section 9; this LMS rejects them (403, naming the rule) rather than
voiding them later. The policy runs inside the write transaction, before anything of the
request is stored, so a refused batch leaves no trace.

Which statements it judges:

* every statement written with an AU session's credentials (from the fetch URL);
* any other client's statement naming one of this LMS's registrations and either the
  cmi5 category or a cmi5 session id (an LMS plugin writing into the same LRS, say).
  Statements of registrations this LMS did not create are left alone: the LRS also
  serves other cmi5 LMSs.

Order is arrival order (the LRS's, which is the feed's); 9.3 speaks of timestamp order,
which an LMS can only check once the statements have arrived.

After the AU's statements are stored, moveOn is evaluated for the registrations whose
AUs completed or passed, and ``satisfied`` statements are stored in the same
transaction (just before it commits), so they follow the statements that caused them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from gateway.catalog.cmi5.progress import evaluate_move_on, progress_row
from gateway.catalog.cmi5.vocabulary import (
    AU_VERBS,
    CATEGORY_CMI5,
    CATEGORY_MOVEON,
    EXT_MASTERY_SCORE,
    EXT_SESSION_ID,
    LMS_VERBS,
    VOIDED,
)
from gateway.catalog.content_models import Cmi5Registration, Cmi5Session
from learning_store.errors import ForbiddenError
from learning_store.statements import WriteContext
from learning_store.timestamps import to_stored_form, utc_now

_PENDING = "cmi5_move_on_pending"
_RESULTS_NEED_DURATION = ("completed", "passed", "failed", "terminated")


class Cmi5RuleError(ForbiddenError):
    """A statement breaks a rule of cmi5 for the AU session it belongs to."""


def _refuse(path: str, message: str, section: str) -> Cmi5RuleError:
    return Cmi5RuleError(f"{path}: {message} (cmi5 {section})")


def _context(statement: dict[str, Any]) -> dict[str, Any]:
    context = statement.get("context")
    return context if isinstance(context, dict) else {}


def _activity_ids(statement: dict[str, Any], kind: str) -> set[str]:
    listed = (_context(statement).get("contextActivities") or {}).get(kind) or []
    if isinstance(listed, dict):
        listed = [listed]
    return {a["id"] for a in listed if isinstance(a, dict) and isinstance(a.get("id"), str)}


def _session_id_of(statement: dict[str, Any]) -> str | None:
    value = (_context(statement).get("extensions") or {}).get(EXT_SESSION_ID)
    return value if isinstance(value, str) else None


def _registration_of(statement: dict[str, Any]) -> str | None:
    value = _context(statement).get("registration")
    return value.lower() if isinstance(value, str) else None


class Cmi5StatementPolicy:
    """Register in ``app.state.statement_policies``; ``public_url`` signs LMS statements."""

    def __init__(self, public_url: str) -> None:
        self.public_url = public_url

    def __call__(
        self, session: Session, statements: Sequence[dict[str, Any]], context: WriteContext
    ) -> None:
        """Refuse the batch if any statement breaks an AU session rule."""
        if not statements:
            return
        token_session: Cmi5Session | None = None
        if context.client_id is not None:
            token_session = session.scalar(
                select(Cmi5Session)
                .where(Cmi5Session.client_id == context.client_id)
                .with_for_update()
            )
        registrations = {r for s in statements if (r := _registration_of(s)) is not None}
        if token_session is None and not registrations:
            return
        known: dict[str, Cmi5Registration] = {}
        if registrations:
            known = {
                row.registration: row
                for row in session.scalars(
                    select(Cmi5Registration).where(Cmi5Registration.registration.in_(registrations))
                )
            }
        if token_session is None and not known:
            return
        sessions: dict[str, Cmi5Session] = {}
        for index, statement in enumerate(statements):
            path = f"statements[{index}]"
            if token_session is not None:
                registration = session.get(Cmi5Registration, token_session.registration_id)
                assert registration is not None
                self._check_token_statement(statement, path, token_session, registration)
                self._apply(session, statement, path, token_session, registration)
                continue
            registration_of = _registration_of(statement)
            registration = known.get(registration_of) if registration_of else None
            if registration is None:
                continue
            au_session = self._session_named(session, statement, path, registration, sessions)
            if au_session is not None:
                self._apply(session, statement, path, au_session, registration)

    # -- which session ------------------------------------------------------------------------

    def _check_token_statement(
        self,
        statement: dict[str, Any],
        path: str,
        au_session: Cmi5Session,
        registration: Cmi5Registration,
    ) -> None:
        if statement["verb"]["id"] == VOIDED:
            raise _refuse(path, "AU credentials may not void statements", "6.3")
        if _registration_of(statement) != registration.registration:
            raise _refuse(
                f"{path}.context.registration",
                f"must be the launch's registration {registration.registration}",
                "9.6.1",
            )
        if _session_id_of(statement) != au_session.session_id:
            raise _refuse(
                f"{path}.context.extensions",
                f"the session id must be {au_session.session_id}, the session these "
                "credentials were issued for",
                "9.6.3.1",
            )

    def _session_named(
        self,
        session: Session,
        statement: dict[str, Any],
        path: str,
        registration: Cmi5Registration,
        cache: dict[str, Cmi5Session],
    ) -> Cmi5Session | None:
        defined = CATEGORY_CMI5 in _activity_ids(statement, "category")
        session_id = _session_id_of(statement)
        if session_id is None:
            if defined:
                raise _refuse(
                    f"{path}.context.extensions",
                    "a cmi5 defined statement needs the session id of its AU launch",
                    "9.6.3.1",
                )
            return None
        found = cache.get(session_id) or session.scalar(
            select(Cmi5Session).where(Cmi5Session.session_id == session_id).with_for_update()
        )
        if found is None or found.registration_id != registration.id:
            raise _refuse(
                f"{path}.context.extensions",
                f"no AU session {session_id!r} in registration {registration.registration}",
                "9.6.3.1",
            )
        cache[session_id] = found
        return found

    # -- the rules ----------------------------------------------------------------------------

    def _apply(
        self,
        session: Session,
        statement: dict[str, Any],
        path: str,
        au_session: Cmi5Session,
        registration: Cmi5Registration,
    ) -> None:
        verb = statement["verb"]["id"]
        if au_session.state in ("terminated", "abandoned"):
            raise _refuse(
                path,
                f"the AU session {au_session.session_id} was {au_session.state}; no statement"
                " may be recorded for it any more",
                "9.3.6, 9.3.8",
            )
        if verb in LMS_VERBS:
            raise _refuse(f"{path}.verb", f"only the LMS issues {verb}", "9.3")
        categories = _activity_ids(statement, "category")
        result = statement.get("result") if isinstance(statement.get("result"), dict) else {}
        assert isinstance(result, dict)
        if CATEGORY_CMI5 not in categories:
            # cmi5 allowed: between initialized and terminated (7.1.3).
            if au_session.state != "initialized":
                raise _refuse(path, "the first statement of a session must be initialized",
                              "7.1.1, 9.3.2")  # fmt: skip
            if CATEGORY_MOVEON in categories:
                raise _refuse(f"{path}.context.contextActivities.category",
                              "the moveOn category belongs to cmi5 defined statements only",
                              "9.6.2.2")  # fmt: skip
            au_session.last_statement = to_stored_form(utc_now())
            return
        short = AU_VERBS.get(verb)
        if short is None:
            raise _refuse(f"{path}.verb", f"{verb} is not a cmi5 defined verb of an AU", "9.3")
        self._check_defined_shape(statement, path, au_session, short, result, categories)
        seen = set(filter(None, au_session.verbs.split(",")))
        if short == "initialized":
            if au_session.state != "launched" or "initialized" in seen:
                raise _refuse(path, "initialized may be sent only once, first", "9.3.2")
            au_session.state = "initialized"
        elif au_session.state == "launched":
            raise _refuse(path, "the first statement of a session must be initialized",
                          "7.1.1, 9.3.2")  # fmt: skip
        if short in seen:
            raise _refuse(f"{path}.verb", f"{short} was already sent in this session", "9.3")
        if short in ("completed", "passed", "failed") and au_session.launch_mode != "Normal":
            raise _refuse(f"{path}.verb", f"no {short} in {au_session.launch_mode} launch mode",
                          "10.2.2")  # fmt: skip
        progress = (
            progress_row(session, registration.id, au_session.au_publisher_id, "au")
            if short in ("completed", "passed", "failed")
            else None
        )
        if short == "completed":
            assert progress is not None
            if progress.completed:
                raise _refuse(f"{path}.verb", "the AU was already completed in this "
                              "registration", "9.3.3")  # fmt: skip
            progress.completed = True
        elif short in ("passed", "failed"):
            assert progress is not None
            if seen & {"passed", "failed"}:
                raise _refuse(f"{path}.verb", "only one of passed and failed per session",
                              "9.3")  # fmt: skip
            if progress.passed:
                raise _refuse(
                    f"{path}.verb",
                    "the AU was already passed in this registration"
                    + ("" if short == "passed" else "; failed must not follow passed"),
                    "9.3.4, 9.3",
                )
            if short == "passed":
                progress.passed = True
        now = to_stored_form(utc_now())
        if progress is not None:
            progress.updated = now
            self._schedule_move_on(session, registration.id, au_session.session_id)
        if short == "terminated":
            au_session.state = "terminated"
            au_session.ended = now
        au_session.verbs = ",".join(sorted(seen | {short}))
        au_session.last_statement = now

    def _check_defined_shape(
        self,
        statement: dict[str, Any],
        path: str,
        au_session: Cmi5Session,
        short: str,
        result: dict[str, Any],
        categories: set[str],
    ) -> None:
        actor = statement.get("actor") or {}
        if actor.get("objectType", "Agent") != "Agent" or "account" not in actor:
            raise _refuse(f"{path}.actor", "must be an Agent identified by an account", "9.2")
        obj = statement.get("object") or {}
        if obj.get("objectType", "Activity") != "Activity" or obj.get("id") != (
            au_session.au_activity_id
        ):
            raise _refuse(f"{path}.object.id", f"must be the AU's activityId "
                          f"{au_session.au_activity_id}", "9.4")  # fmt: skip
        if au_session.au_publisher_id not in _activity_ids(statement, "grouping"):
            raise _refuse(
                f"{path}.context.contextActivities.grouping",
                f"must include the publisher id {au_session.au_publisher_id} of the context "
                "template",
                "9.6.2.3",
            )
        has_outcome = "success" in result or "completion" in result
        if has_outcome != (CATEGORY_MOVEON in categories):
            raise _refuse(
                f"{path}.context.contextActivities.category",
                "the moveOn category goes exactly on cmi5 defined statements whose result has"
                " success or completion",
                "9.6.2.2",
            )
        if short in _RESULTS_NEED_DURATION and "duration" not in result:
            raise _refuse(f"{path}.result.duration", f"required in {short} statements",
                          "9.5.4.1")  # fmt: skip
        if short in ("passed", "failed"):
            if result.get("success") is not (short == "passed"):
                raise _refuse(f"{path}.result.success", f"must be {short == 'passed'} in "
                              f"{short} statements", "9.5.2")  # fmt: skip
            if "completion" in result:
                raise _refuse(f"{path}.result.completion", f"not allowed in {short}", "9.5.3")
            self._check_mastery(statement, path, au_session, short, result)
        elif short == "completed":
            if result.get("completion") is not True:
                raise _refuse(f"{path}.result.completion", "must be true in completed",
                              "9.5.3")  # fmt: skip
            if "success" in result or "score" in result:
                raise _refuse(f"{path}.result", "completed has no success or score",
                              "9.5.1, 9.5.2")  # fmt: skip
        elif "success" in result or "completion" in result or "score" in result:
            raise _refuse(f"{path}.result", f"{short} has no success, completion or score",
                          "9.5.1-9.5.3")  # fmt: skip

    def _check_mastery(
        self,
        statement: dict[str, Any],
        path: str,
        au_session: Cmi5Session,
        short: str,
        result: dict[str, Any],
    ) -> None:
        mastery = au_session.mastery_score
        scaled = (result.get("score") or {}).get("scaled")
        if mastery is None or not isinstance(scaled, int | float):
            return
        if short == "passed" and scaled < mastery:
            raise _refuse(f"{path}.result.score.scaled", f"{scaled} is below the masteryScore "
                          f"{mastery}; that is not a pass", "9.3.4")  # fmt: skip
        if short == "failed" and scaled >= mastery:
            raise _refuse(f"{path}.result.score.scaled", f"{scaled} reaches the masteryScore "
                          f"{mastery}; that is not a failure", "9.3.5")  # fmt: skip
        given = (_context(statement).get("extensions") or {}).get(EXT_MASTERY_SCORE)
        if given is not None and given != mastery:
            raise _refuse(f"{path}.context.extensions", f"the masteryscore extension must be "
                          f"{mastery}, the one in LMS.LaunchData", "9.6.3.2")  # fmt: skip

    # -- moveOn after the statements are stored ------------------------------------------------

    def _schedule_move_on(self, session: Session, registration_id: int, session_id: str) -> None:
        pending: dict[int, str] = session.info.setdefault(_PENDING, {})
        if not pending:
            event.listen(session, "before_commit", self._evaluate_pending, once=True)
        pending[registration_id] = session_id

    def _evaluate_pending(self, session: Session) -> None:
        pending: dict[int, str] = session.info.pop(_PENDING, {})
        for registration_id, session_id in pending.items():
            registration = session.get(Cmi5Registration, registration_id)
            if registration is not None:
                evaluate_move_on(session, registration, session_id, self.public_url)
