"""HTTP face of the ledger: ``/api/bdtx/...`` (JSON) and ``/bdtx/...`` (pages).

Personal data, so every route wants HTTP Basic credentials of an LRS client
(``gateway credentials create``): reads need scope ``all/read`` or ``all``, writes ``all``.
Errors carry the bilingual message and, for bad input, the field (422).
"""

# No ``from __future__ import annotations``: FastAPI evaluates the signatures, which
# refer to ``session_dependency``, a local of build_router.
import base64
import binascii
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.bdtx import ledger, people, summary
from gateway.bdtx.errors import BdtxError, BdtxInputError
from gateway.bdtx.models import Credit, Person
from gateway.bdtx.pages import render_person_page, render_school_page
from gateway.bdtx.schemas import (
    IdentityIn,
    LedgerStatusOut,
    PendingOut,
    PersonIn,
    PersonOut,
    PersonYearOut,
    SchoolYearOut,
)
from gateway.bdtx.settings import BdtxSettings
from learning_store.clients import ClientIdentity, authenticate
from learning_store.models import Statement

SessionDependency = Callable[..., Iterator[Session]]
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="BDTX"'}


def _client(request: Request, session: Session) -> ClientIdentity:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            key, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            key = secret = ""
        identity = authenticate(session, key, secret) if key else None
        if identity is not None:
            return identity
    raise HTTPException(401, "Cần đăng nhập / credentials required", headers=_CHALLENGE)


def build_router(session_dependency: SessionDependency, settings: BdtxSettings) -> APIRouter:
    """The ledger's routes over sessions from ``session_dependency``."""
    router = APIRouter(tags=["bdtx"])

    def reader(
        request: Request, session: Annotated[Session, Depends(session_dependency)]
    ) -> Session:
        if not _client(request, session).allows("all/read"):
            raise HTTPException(403, "Cần quyền all/read / scope all/read required")
        return session

    def writer(
        request: Request, session: Annotated[Session, Depends(session_dependency)]
    ) -> Session:
        if "all" not in _client(request, session).scopes:
            raise HTTPException(403, "Cần quyền all / scope all required")
        return session

    Reader = Annotated[Session, Depends(reader)]
    Writer = Annotated[Session, Depends(writer)]

    def year_or_current(year: str | None) -> str:
        return year or summary.current_year(settings)

    @router.get("/api/bdtx/people", response_model=list[PersonOut])
    def list_people(session: Reader, school_code: str | None = None) -> list[PersonOut]:
        """People, optionally of one school."""
        query = select(Person).order_by(Person.school_code, Person.name)
        if school_code:
            query = query.where(Person.school_code == school_code)
        return [PersonOut.of(p) for p in session.scalars(query)]

    @router.put("/api/bdtx/people/{temis_id}", response_model=PersonOut)
    def put_person(temis_id: str, body: PersonIn, session: Writer) -> PersonOut:
        """Create or update a person; the TEMIS id in the path must match the body."""
        with _http_errors():
            if body.temis_id.strip() != temis_id.strip():
                raise BdtxInputError("temis_id", "khác với đường dẫn / differs from the URL")
            data = people.check_person(**body.model_dump())
            person, _ = people.save_person(session, data)
            out = PersonOut.of(person, [i.ifi for i in people.identities_of(session, person)])
            session.commit()
        return out

    @router.get("/api/bdtx/people/{temis_id}", response_model=PersonOut)
    def get_person(temis_id: str, session: Reader) -> PersonOut:
        """A person and their identities."""
        with _http_errors():
            person = people.get_person(session, temis_id)
        return PersonOut.of(person, [i.ifi for i in people.identities_of(session, person)])

    @router.post("/api/bdtx/people/{temis_id}/identities", response_model=PersonOut)
    def link(temis_id: str, body: IdentityIn, session: Writer) -> PersonOut:
        """Link an LMS account or an e-mail address; pending credits follow."""
        with _http_errors():
            person = people.get_person(session, temis_id)
            ifis: list[str] = []
            if body.account_homepage or body.account_name:
                ifis.append(
                    people.account_ifi(body.account_homepage or "", body.account_name or "")
                )
            address = people.check_email(body.email)
            if address:
                ifis.extend(people.mbox_ifis(address))
            if not ifis:
                raise BdtxInputError("identity", "cần account hoặc email / account or email")
            for ifi in ifis:
                people.link_ifi(
                    session, ifi, person, source="api", move=body.move, settings=settings
                )
            out = PersonOut.of(person, [i.ifi for i in people.identities_of(session, person)])
            session.commit()
        return out

    @router.get("/api/bdtx/people/{temis_id}/years/{year}", response_model=PersonYearOut)
    def person_year(temis_id: str, year: str, session: Reader) -> PersonYearOut:
        """A person's modules, periods and status for a school year (``2025-2026``)."""
        with _http_errors():
            person = people.get_person(session, temis_id)
            return PersonYearOut.of(summary.person_year(session, settings, person, year))

    @router.get("/api/bdtx/schools/{school_code}/years/{year}", response_model=SchoolYearOut)
    def school_year(school_code: str, year: str, session: Reader) -> SchoolYearOut:
        """Every person of a school with their standing for the year."""
        with _http_errors():
            return SchoolYearOut.of(summary.school_year(session, settings, school_code, year))

    @router.get("/api/bdtx/pending", response_model=list[PendingOut])
    def pending(session: Reader) -> list[PendingOut]:
        """Unknown actors with credits waiting for a link."""
        return [PendingOut.of(p) for p in summary.pending_actors(session)]

    @router.get("/api/bdtx/status", response_model=LedgerStatusOut)
    def status(session: Reader) -> LedgerStatusOut:
        """Ledger position against the feed and credits per status."""
        at = ledger.position(session)
        head = session.scalar(select(func.max(Statement.seq))) or 0
        counts = dict(
            session.execute(select(Credit.status, func.count()).group_by(Credit.status)).all()
        )
        return LedgerStatusOut(position=at, feed_head=head, lag=head - at, credits=counts)

    @router.get("/bdtx/people/{temis_id}", response_class=HTMLResponse, include_in_schema=False)
    def person_page(temis_id: str, session: Reader, year: str | None = None) -> HTMLResponse:
        """A person's year as a page."""
        with _http_errors():
            person = people.get_person(session, temis_id)
            found = summary.person_year(session, settings, person, year_or_current(year))
        return HTMLResponse(render_person_page(found))

    @router.get("/bdtx/schools/{school_code}", response_class=HTMLResponse, include_in_schema=False)
    def school_page(school_code: str, session: Reader, year: str | None = None) -> HTMLResponse:
        """A school's year as a page."""
        with _http_errors():
            found = summary.school_year(session, settings, school_code, year_or_current(year))
        return HTMLResponse(render_school_page(found))

    return router


@contextmanager
def _http_errors() -> Iterator[None]:
    """Ledger errors as HTTP errors: the message, and the field for bad input."""
    try:
        yield
    except BdtxInputError as exc:
        raise HTTPException(
            exc.status_code, detail={"error": exc.message, "field": exc.field}
        ) from exc
    except BdtxError as exc:
        raise HTTPException(exc.status_code, detail={"error": exc.message}) from exc
