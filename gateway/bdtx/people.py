"""People (teachers and school managers) and the LMS identities linked to them.

A person is who TEMIS knows (an opaque TEMIS identifier, name, role, level, school,
province). An identity is how the LRS knows them: the learning store's IFI key of an xAPI
agent (``Agent|account|<LMS homePage>|<name>``, ``Agent|mbox|mailto:…``, and the
``mbox_sha1sum`` of the same address). Statements of an identity nobody is linked to are
credited to the bare actor as *pending*; linking the identity moves those credits to the
person (:func:`gateway.bdtx.ledger.relink`) in the same transaction.

Entry points: :func:`link_identity` (the LTI launch, with a ``temis_id`` custom
parameter), :func:`save_person` + :func:`link_ifi` (API, CLI), :func:`import_people`
(``gateway people import FILE``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.bdtx.errors import BdtxInputError, IdentityConflictError, NotFoundError
from gateway.bdtx.ledger import lock_ledger, relink
from gateway.bdtx.models import Identity, Person
from gateway.bdtx.settings import BdtxSettings, get_bdtx_settings
from gateway.bdtx.years import utc_text
from gateway.catalog.errors import TermError
from gateway.catalog.terms import parse_audience, parse_level
from learning_store.timestamps import utc_now

SOURCES = ("import", "lti", "api", "cli")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class PersonData:
    """Checked values of a person (every field already validated)."""

    temis_id: str
    name: str
    role: str
    level: str
    school_code: str
    school_name: str = ""
    province: str = ""
    email: str | None = None


def _clean(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def check_temis_id(value: str | None) -> str:
    """A TEMIS identifier: opaque, 1-64 printable characters, no surrounding spaces."""
    text = (value or "").strip()
    if not text:
        raise BdtxInputError("temis_id", "bắt buộc / required")
    if len(text) > 64 or _CONTROL.search(text):
        raise BdtxInputError(
            "temis_id", "tối đa 64 ký tự in được / at most 64 printable characters"
        )
    return text


def check_email(value: str | None) -> str | None:
    """A lower-cased e-mail address or None."""
    text = (value or "").strip().removeprefix("mailto:").lower()
    if not text:
        return None
    if len(text) > 320 or not _EMAIL.match(text):
        raise BdtxInputError("email", f"không phải e-mail / not an e-mail address: {text!r}")
    return text


def check_person(
    *,
    temis_id: str | None,
    name: str | None,
    role: str | None,
    level: str | None,
    school_code: str | None,
    school_name: str | None = None,
    province: str | None = None,
    email: str | None = None,
) -> PersonData:
    """Validate a person's fields; :class:`BdtxInputError` names the first bad one."""
    checked_id = check_temis_id(temis_id)
    clean_name = _clean(name)
    if not clean_name or len(clean_name) > 200:
        raise BdtxInputError(
            "name", "bắt buộc, tối đa 200 ký tự / required, at most 200 characters"
        )
    try:
        checked_role = parse_audience(role or "").value
    except TermError as exc:
        raise BdtxInputError("role", exc.message) from exc
    try:
        checked_level = parse_level(level or "").value
    except TermError as exc:
        raise BdtxInputError("level", exc.message) from exc
    school = _clean(school_code)
    if not school or len(school) > 64:
        raise BdtxInputError(
            "school_code", "bắt buộc, tối đa 64 ký tự / required, at most 64 characters"
        )
    school_title = _clean(school_name)
    if len(school_title) > 300:
        raise BdtxInputError("school_name", "tối đa 300 ký tự / at most 300 characters")
    province_name = _clean(province)
    if len(province_name) > 100:
        raise BdtxInputError("province", "tối đa 100 ký tự / at most 100 characters")
    return PersonData(
        temis_id=checked_id,
        name=clean_name,
        role=checked_role,
        level=checked_level,
        school_code=school,
        school_name=school_title,
        province=province_name,
        email=check_email(email),
    )


def account_ifi(homepage: str, name: str) -> str:
    """The IFI key of an xAPI account agent (an LTI launch's learner)."""
    if not homepage or not name:
        raise BdtxInputError("account", "cần homePage và name / homePage and name are required")
    return f"Agent|account|{homepage}|{name}"


def mbox_ifis(email: str) -> list[str]:
    """The IFI keys an address appears under: ``mbox`` and ``mbox_sha1sum``."""
    mbox = f"mailto:{email}"
    return [f"Agent|mbox|{mbox}", f"Agent|mbox_sha1sum|{hashlib.sha1(mbox.encode()).hexdigest()}"]


def get_person(session: Session, temis_id: str) -> Person:
    """The person with this TEMIS id; :class:`NotFoundError` if none."""
    person = session.scalar(select(Person).where(Person.temis_id == temis_id))
    if person is None:
        raise NotFoundError(f"Không có người có mã TEMIS / no person with TEMIS id {temis_id!r}")
    return person


def save_person(session: Session, data: PersonData) -> tuple[Person, bool]:
    """Create or update the person with ``data.temis_id``; True when it was created."""
    now = utc_text(utc_now())
    person = session.scalar(select(Person).where(Person.temis_id == data.temis_id))
    created = person is None
    if person is None:
        person = Person(temis_id=data.temis_id, created=now, updated=now)
        session.add(person)
    person.name = data.name
    person.role = data.role
    person.level = data.level
    person.school_code = data.school_code
    person.school_name = data.school_name
    person.province = data.province
    person.email = data.email or person.email
    person.updated = now
    session.flush()
    return person, created


def link_ifi(
    session: Session,
    ifi: str,
    person: Person | None,
    *,
    source: str = "api",
    name: str | None = None,
    email: str | None = None,
    move: bool = False,
    settings: BdtxSettings | None = None,
    moved: list[tuple[str, int | None]] | None = None,
) -> bool:
    """Link an identity to ``person`` (None: known but unlinked); True if a link changed.

    An identity linked to another person raises :class:`IdentityConflictError` unless
    ``move``. Pending credits follow the link in the same transaction, unless ``moved`` is
    given: then (identity, previous person) is appended to it and the caller relinks.
    """
    if source not in SOURCES:
        raise BdtxInputError("source", f"one of {SOURCES}")
    identity = session.scalar(select(Identity).where(Identity.ifi == ifi))
    target = person.id if person is not None else None
    if identity is not None and identity.person_id == target:
        if name and not identity.name:
            identity.name = _clean(name)[:200]
        return False
    linked_elsewhere = identity is not None and identity.person_id not in (None, target)
    if linked_elsewhere and target is not None and not move:
        raise IdentityConflictError(
            f"Danh tính {ifi!r} đã gắn với người khác / identity {ifi!r} is linked to "
            "another person; unlink it first"
        )
    if identity is not None and identity.person_id is not None and target is None and not move:
        return False  # "known but unlinked" never undoes a link
    lock_ledger(session)
    previous: list[int] = []
    if identity is None:
        identity = Identity(
            ifi=ifi,
            person_id=target,
            name=_clean(name)[:200] or None,
            email=email,
            source=source,
            created=utc_text(utc_now()),
        )
        session.add(identity)
    else:
        if identity.person_id is not None:
            previous.append(identity.person_id)
        identity.person_id = target
        identity.source = source
    session.flush()
    if moved is not None:
        moved.append((ifi, previous[0] if previous else None))
    else:
        relink(session, settings or get_bdtx_settings(), [ifi], previous)
    return True


def unlink_ifi(session: Session, ifi: str, settings: BdtxSettings | None = None) -> bool:
    """Detach an identity from its person; its credits become pending again."""
    identity = session.scalar(select(Identity).where(Identity.ifi == ifi))
    if identity is None or identity.person_id is None:
        return False
    lock_ledger(session)
    previous = [identity.person_id]
    identity.person_id = None
    session.flush()
    relink(session, settings or get_bdtx_settings(), [ifi], previous)
    return True


def link_identity(
    session: Session,
    account_homepage: str,
    account_name: str,
    temis_id: str | None = None,
    name: str | None = None,
    email: str | None = None,
    *,
    source: str = "lti",
    settings: BdtxSettings | None = None,
) -> Person | None:
    """Record an LMS account (an LTI launch's learner) and link it when the person is known.

    The person is found by ``temis_id`` (created with just a name when new: an import
    fills in role, level and school later), else by ``email``. The account, and the
    address as ``mbox``/``mbox_sha1sum``, are linked to them; an address linked to
    someone else is left alone. With no person the account is recorded unlinked, with its
    name and address, so admins see who the pending credits belong to. Raises
    :class:`IdentityConflictError` when the account is linked to another person.
    Returns the person or None. The caller owns the transaction.
    """
    ifi = account_ifi(account_homepage, account_name)
    address = check_email(email)
    person: Person | None = None
    if temis_id is not None and temis_id.strip():
        checked = check_temis_id(temis_id)
        person = session.scalar(select(Person).where(Person.temis_id == checked))
        if person is None:
            now = utc_text(utc_now())
            person = Person(
                temis_id=checked,
                name=_clean(name)[:200] or checked,
                role="",
                level="",
                school_code="",
                school_name="",
                province="",
                email=address,
                created=now,
                updated=now,
            )
            session.add(person)
            session.flush()
    elif address is not None:
        person = session.scalar(select(Person).where(Person.email == address))
    if person is None:
        existing = session.scalar(select(Identity).where(Identity.ifi == ifi))
        if existing is not None and existing.person_id is not None:
            return session.get(Person, existing.person_id)
        link_ifi(session, ifi, None, source=source, name=name, email=address, settings=settings)
        return None
    link_ifi(session, ifi, person, source=source, name=name, email=address, settings=settings)
    if address is not None:
        for mbox in mbox_ifis(address):
            owner = session.scalar(select(Identity.person_id).where(Identity.ifi == mbox))
            if owner is None or owner == person.id:
                link_ifi(session, mbox, person, source=source, name=name, settings=settings)
    return person


def identities_of(session: Session, person: Person) -> list[Identity]:
    """The identities linked to a person."""
    return list(
        session.scalars(
            select(Identity).where(Identity.person_id == person.id).order_by(Identity.ifi)
        )
    )


def import_people(
    session: Session,
    rows: Sequence[tuple[PersonData, Iterable[str]]],
    settings: BdtxSettings | None = None,
) -> tuple[int, int, int]:
    """Save people and link their identities; returns (created, updated, links changed).

    All or nothing: the caller's transaction holds every row. An identity linked to
    another person raises :class:`IdentityConflictError` and nothing is stored.
    """
    created = updated = links = 0
    moved: list[tuple[str, int | None]] = []
    for data, ifis in rows:
        person, new = save_person(session, data)
        created += new
        updated += not new
        wanted = list(ifis)
        if data.email:
            wanted.extend(mbox_ifis(data.email))
        for ifi in wanted:
            links += link_ifi(session, ifi, person, source="import", moved=moved)
    if moved:
        lock_ledger(session)
        previous = [person_id for _, person_id in moved if person_id is not None]
        relink(session, settings or get_bdtx_settings(), [ifi for ifi, _ in moved], previous)
    return created, updated, links
