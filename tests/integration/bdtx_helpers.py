"""Statement builders and a small driver for the BDTX ledger tests.

Statements go through the LRS's HTTP face (the app in-process), then the ledger consumes
the stored feed exactly as the worker does.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.bdtx import ledger
from gateway.bdtx.models import Credit, Person
from gateway.bdtx.outbox import OutboxItem
from gateway.bdtx.settings import BdtxSettings
from gateway.catalog.models import CatalogModule
from gateway.db import Database

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
FAILED = "http://adlnet.gov/expapi/verbs/failed"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
LMS = "https://lms.sogd-hanoi.example"


def account(sub: str) -> dict[str, Any]:
    """An LTI learner: account on the LMS."""
    return {"objectType": "Agent", "account": {"homePage": LMS, "name": sub}}


def mbox(n: str) -> dict[str, Any]:
    """A learner known by e-mail."""
    return {"objectType": "Agent", "mbox": f"mailto:{n}@school.edu.vn", "name": f"GV {n}"}


def statement(
    actor: dict[str, Any],
    verb: str,
    activity: str,
    timestamp: str,
    scaled: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A statement with a fresh id about ``activity`` at ``timestamp``."""
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": {"objectType": "Activity", "id": activity},
        "timestamp": timestamp,
    }
    if scaled is not None:
        body["result"] = {"score": {"scaled": scaled}, "success": verb != FAILED}
    body.update(extra)
    return body


def voiding(target: dict[str, Any], actor: dict[str, Any] | None = None) -> dict[str, Any]:
    """A statement voiding ``target``."""
    return {
        "id": str(uuid.uuid4()),
        "actor": actor or {"objectType": "Agent", "mbox": "mailto:admin@sogd.example"},
        "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target["id"]},
    }


@dataclass
class LedgerDriver:
    """The app's LRS plus the ledger, driven step by step."""

    client: TestClient
    database: Database
    settings: BdtxSettings

    def iri(self, key: str) -> str:
        """The catalog activity IRI of a module."""
        value = self.database.transaction(
            lambda s: s.scalar(select(CatalogModule.activity_id).where(CatalogModule.key == key))
        )
        assert value, key
        return str(value)

    def send(self, *statements: dict[str, Any]) -> None:
        """POST statements to the LRS."""
        response = self.client.post("/xapi/statements", json=list(statements))
        assert response.status_code == 200, response.text

    def run(self, limit: int = 3) -> int:
        """Consume the whole feed in small batches; returns batches that read something."""
        batches = 0
        while True:
            result = self.database.transaction(ledger.consume, self.settings, limit)
            if result.read == 0:
                return batches
            batches += 1

    def credits(self) -> list[tuple[Any, ...]]:
        """The ledger as comparable rows: (who, module, year, status, periods, score)."""
        return self.database.transaction(credit_rows)

    def outbox(self, kind: str = "temis.http") -> list[dict[str, Any]]:
        """Queued payloads of a kind, in queue order."""

        def read(session: Session) -> list[dict[str, Any]]:
            rows = session.scalars(
                select(OutboxItem).where(OutboxItem.kind == kind).order_by(OutboxItem.id)
            )
            return [json.loads(row.payload_json) for row in rows]

        return self.database.transaction(read)


def credit_rows(session: Session) -> list[tuple[Any, ...]]:
    """Every credit: (TEMIS id or actor IFI, module, year, status, periods, score)."""
    people = {p.id: p.temis_id for p in session.scalars(select(Person))}
    rows = []
    for credit in session.scalars(select(Credit)):
        who = people[credit.person_id] if credit.person_id is not None else credit.actor_ifi
        rows.append(
            (
                who,
                credit.module_key,
                credit.school_year,
                credit.status,
                credit.periods,
                credit.score,
            )
        )
    return sorted(rows, key=lambda row: tuple(str(v) for v in row))


def full_credit_rows(session: Session) -> list[tuple[Any, ...]]:
    """Every credit with every derived value (for rebuild comparisons)."""
    rows = []
    for c in session.scalars(select(Credit)):
        rows.append(
            (
                c.subject,
                c.person_id,
                c.actor_ifi,
                c.module_key,
                c.school_year,
                c.status,
                c.block,
                c.periods,
                c.version_id,
                c.scaled,
                c.score,
                c.earned_at,
                c.evidence_json,
                c.launch_json,
            )
        )
    return sorted(rows, key=lambda row: tuple(str(v) for v in row))


def fresh_driver(app: FastAPI, client: TestClient, **settings: Any) -> LedgerDriver:
    """A driver over the app's database with ledger settings for tests."""
    return LedgerDriver(client, app.state.database, BdtxSettings(**settings))
