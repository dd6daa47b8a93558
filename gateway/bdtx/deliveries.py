"""What the ledger owes the outside world when a credit changes: outbox rows.

Every credit change gets a new revision and one delivery per configured kind, queued in
the ledger's transaction. The payloads are self-contained: a
connector never reads the ledger, so a delivery sent an hour later still says what the
credit was at that revision. Payload layouts are documented in ``docs/BDTX.md``; the
``temis.http`` one is the body of the TEMIS contract (``docs/TEMIS_API.md``).

Idempotency key (BDTX.md, "A BDTX result record"): person + module + year + source +
revision, e.g. ``079123456789:GVPT15:2025-2026:lms:r2``. The ledger queues what
:func:`owed` returns with ``outbox.enqueue_many``. Receivers keep, per
person + module + year + source, the highest revision they have seen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.bdtx.models import WITHDRAWN, Credit, Person, Void
from gateway.bdtx.modules import ModuleIndex
from gateway.bdtx.settings import LTI_SCORE, TEMIS_HTTP, TEMIS_XAPI, BdtxSettings
from gateway.catalog.codes import parse_module_code
from learning_store.models import Statement

CONTRACT_VERSION = "1.0"
RESULT_DONE = "Hoàn thành"


def idempotency_key(temis_id: str, module_key: str, year: str, source: str, revision: int) -> str:
    """``person:module:year:source:rN``; the TEMIS id is percent-encoded (it is opaque)."""
    return f"{quote(temis_id, safe='')}:{module_key}:{year}:{source}:r{revision}"


def lti_key(launch: dict[str, Any], module_key: str, year: str, revision: int) -> str:
    """Key of a grade passback: platform + LTI user + module + year + revision."""
    issuer = quote(str(launch["issuer"]), safe="")
    user = quote(str(launch["user_sub"]), safe="")
    return f"{issuer}:{user}:{module_key}:{year}:r{revision}"


def temis_record(
    settings: BdtxSettings,
    index: ModuleIndex,
    credit: Credit,
    person: Person,
    withdrawn: bool,
) -> dict[str, Any]:
    """The result record of the TEMIS delivery contract (``docs/TEMIS_API.md``)."""
    version = index.by_version_id[credit.version_id]
    code = parse_module_code(credit.module_key)
    launch = json.loads(credit.launch_json) if credit.launch_json else None
    key = idempotency_key(
        person.temis_id, credit.module_key, credit.school_year, settings.source, credit.revision
    )
    return {
        "contract": CONTRACT_VERSION,
        "idempotency_key": key,
        "action": "withdraw" if withdrawn else "upsert",
        "revision": credit.revision,
        "source": settings.source,
        "person": {
            "temis_id": person.temis_id,
            "name": person.name,
            "role": person.role,
            "level": person.level,
            "school_code": person.school_code,
            "school_name": person.school_name,
            "province": person.province,
        },
        "activity": {
            "school_year": credit.school_year,
            "block": credit.block,
            "module_code": code.display,
            "module_key": credit.module_key,
            "module_title": version.title,
            "periods": credit.periods,
            "catalog_release": version.release_number,
            "mode": "connected_lms",
            "completed_at": credit.earned_at,
            "lms": None
            if launch is None
            else {
                "issuer": launch["issuer"],
                "client_id": launch["client_id"],
                "context_id": launch["context_id"],
                "resource_link_id": launch["resource_link_id"],
            },
        },
        "result": None
        if withdrawn
        else {"status": RESULT_DONE, "score": credit.score, "scaled": credit.scaled},
        "evidence": {"statement_ids": json.loads(credit.evidence_json)},
        "workflow": {"approval": "auto", "reason": "connected LMS"},
    }


def _statements(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Statement.statement_id, Statement.full_json).where(Statement.statement_id.in_(ids))
    ).all()
    by_id = {statement_id: raw for statement_id, raw in rows}
    return [json.loads(by_id[i]) for i in ids if i in by_id]


def xapi_payload(session: Session, credit: Credit, key: str, withdrawn: bool) -> dict[str, Any]:
    """The statements to forward upstream: the evidence, or the voidings of a withdrawal."""
    ids: list[str] = json.loads(credit.evidence_json)
    if withdrawn:
        ids = list(
            session.scalars(
                select(Void.voiding_id).where(Void.statement_id.in_(ids)).order_by(Void.seq)
            )
        )
    return {
        "idempotency_key": key,
        "action": "withdraw" if withdrawn else "upsert",
        "module_key": credit.module_key,
        "school_year": credit.school_year,
        "revision": credit.revision,
        "statements": _statements(session, ids),
    }


def lti_payload(credit: Credit, launch: dict[str, Any], withdrawn: bool) -> dict[str, Any]:
    """An AGS score for the LMS gradebook (consumed by the LTI tool, ``docs/BDTX.md``)."""
    maximum = float(launch.get("score_maximum") or 10.0)
    given = None if withdrawn or credit.scaled is None else round(credit.scaled * maximum, 4)
    if not withdrawn and given is None:
        given = maximum  # earned without a score (cmi5 satisfied): full marks
    code = parse_module_code(credit.module_key)
    return {
        "action": "withdraw" if withdrawn else "upsert",
        "issuer": launch["issuer"],
        "client_id": launch["client_id"],
        "deployment_id": launch["deployment_id"],
        "lineitem": launch["lineitem"],
        "lineitems": launch["lineitems"],
        "resource_link_id": launch["resource_link_id"],
        "context_id": launch["context_id"],
        "user_sub": launch["user_sub"],
        "score_given": given,
        "score_maximum": maximum,
        "activity_progress": "Initialized" if withdrawn else "Completed",
        "grading_progress": "NotReady" if withdrawn else "FullyGraded",
        "timestamp": credit.earned_at,
        "comment": f"{code.display}: {credit.periods} tiết, năm học {credit.school_year}",
        "module_key": credit.module_key,
        "school_year": credit.school_year,
        "revision": credit.revision,
    }


@dataclass(frozen=True)
class Delivery:
    """One outbox row a credit revision owes."""

    kind: str
    key: str
    payload: dict[str, Any]


def owed(
    session: Session,
    settings: BdtxSettings,
    index: ModuleIndex,
    credit: Credit,
    person: Person | None,
    *,
    withdrawn: bool,
) -> list[Delivery]:
    """Every delivery the credit's new revision owes: TEMIS kinds for a person's credit,
    ``lti.score`` when it came from an LTI launch with AGS."""
    withdrawn = withdrawn or credit.status == WITHDRAWN
    out: list[Delivery] = []
    if person is not None:
        record = temis_record(settings, index, credit, person, withdrawn)
        key = record["idempotency_key"]
        for kind in settings.delivery_kinds:
            if kind == TEMIS_HTTP:
                out.append(Delivery(kind, key, record))
            elif kind == TEMIS_XAPI:
                out.append(Delivery(kind, key, xapi_payload(session, credit, key, withdrawn)))
    launch = json.loads(credit.launch_json) if credit.launch_json else None
    if settings.lti_passback and launch and (launch.get("lineitem") or launch.get("lineitems")):
        key = lti_key(launch, credit.module_key, credit.school_year, credit.revision)
        out.append(Delivery(LTI_SCORE, key, lti_payload(credit, launch, withdrawn)))
    return out
