"""``gateway temis simulate``: a TEMIS that implements the delivery contract, for tests.

It issues client-credentials tokens, stores every result it accepts, deduplicates by
idempotency key (a resent key is a 200 "duplicate", a key with a different body a 409),
keeps the highest revision per person + module + year + source, and fails on purpose:

- ``error[:N[:STATUS]]``  answer STATUS (default 503) to the next N deliveries;
- ``timeout[:N[:SECONDS]]`` hold the next N deliveries for SECONDS (default 30), then store;
- ``drop[:N]``            store the next N deliveries, then cut the connection mid-answer;
- ``slow[:N[:SECONDS]]``  answer the next N deliveries after SECONDS (default 0.5);
- ``expire-token[:N]``    revoke every token now, N times on the next N deliveries.

Faults come from ``--fail`` options or ``POST /_sim/faults``; ``GET /_sim/stats`` and
``GET /v1/bdtx/results`` tell what arrived. State lives in memory (optionally also
appended to a JSON-lines file), so a restart starts empty.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import secrets
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from gateway.temis.contract import BdtxResult, Problem, Receipt, TokenResponse

MODES = ("error", "timeout", "drop", "slow", "expire-token")


@dataclass
class Fault:
    """One planned failure mode and how many deliveries it still applies to."""

    mode: str
    count: int = 1
    status: int = 503
    seconds: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Fault:
        """``mode[:count[:arg]]``."""
        parts = text.split(":")
        mode = parts[0]
        if mode not in MODES:
            raise ValueError(f"unknown fault {mode!r}; known: {', '.join(MODES)}")
        count = int(parts[1]) if len(parts) > 1 and parts[1] else 1
        arg = parts[2] if len(parts) > 2 else None
        fault = cls(mode=mode, count=count)
        if mode == "error":
            fault.status = int(arg) if arg else 503
        elif mode == "timeout":
            fault.seconds = float(arg) if arg else 30.0
        elif mode == "slow":
            fault.seconds = float(arg) if arg else 0.5
        return fault


class FaultIn(BaseModel):
    """A fault to plan (``POST /_sim/faults``)."""

    mode: str
    count: int = 1
    status: int = 503
    seconds: float = 0.0


@dataclass
class SimulatorState:
    """Everything the simulator received and plans to do."""

    client_id: str
    client_secret: str
    token_ttl: int = 3600
    log: Path | None = None
    tokens: dict[str, float] = field(default_factory=dict)
    received: dict[str, dict[str, Any]] = field(default_factory=dict)
    stored_times: Counter[str] = field(default_factory=Counter)
    current: dict[tuple[str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    faults: deque[Fault] = field(default_factory=deque)
    counters: Counter[str] = field(default_factory=Counter)

    def next_fault(self) -> Fault | None:
        """Take one use of the first planned fault."""
        while self.faults and self.faults[0].count <= 0:
            self.faults.popleft()
        if not self.faults:
            return None
        fault = self.faults[0]
        fault.count -= 1
        self.counters[f"fault.{fault.mode}"] += 1
        return fault

    def store(self, key: str, record: dict[str, Any]) -> tuple[int, Receipt | Problem]:
        """Accept a record once per key; keep the highest revision per result."""
        known = self.received.get(key)
        result_key = (
            record["person"]["temis_id"],
            record["activity"]["module_key"],
            record["activity"]["school_year"],
            record["source"],
        )
        if known is not None:
            if known != record:
                self.counters["conflicts"] += 1
                return 409, Problem(error="conflict", detail="key reused for another record")
            self.counters["duplicates"] += 1
            return 200, Receipt(
                status="duplicate",
                idempotency_key=key,
                current_revision=self.current[result_key]["revision"],
            )
        self.received[key] = record
        self.stored_times[key] += 1
        held = self.current.get(result_key)
        if held is None or held["revision"] < record["revision"]:
            self.current[result_key] = record
        if self.log is not None:
            with self.log.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.counters["stored"] += 1
        return 201, Receipt(
            status="created",
            idempotency_key=key,
            current_revision=self.current[result_key]["revision"],
        )


class _Dropped(Response):
    """Starts a response, then cuts the connection (the client never sees an answer)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
            }
        )
        raise ConnectionAbortedError("simulated dropped connection")


def _problem(status: int, error: str, detail: str | None = None) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if status == 401 else None
    return JSONResponse(Problem(error=error, detail=detail).model_dump(), status, headers=headers)


def create_simulator(state: SimulatorState) -> FastAPI:
    """The simulator app over ``state``."""
    app = FastAPI(
        title="TEMIS BDTX results (gateway contract)",
        version="1.0",
        description="Delivery contract of the TEMIS LMS Gateway; see docs/TEMIS_API.md.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.simulator = state

    def client_ok(authorization: str | None, client_id: str | None, secret: str | None) -> bool:
        if authorization and authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:], validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False
            client_id, _, secret = decoded.partition(":")
        return secrets.compare_digest(client_id or "", state.client_id) and secrets.compare_digest(
            secret or "", state.client_secret
        )

    @app.post(
        "/oauth/token",
        response_model=TokenResponse,
        responses={400: {"model": Problem}, 401: {"model": Problem}},
        tags=["auth"],
    )
    async def token(
        grant_type: Annotated[str, Form()],
        authorization: Annotated[str | None, Header()] = None,
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
        scope: Annotated[str | None, Form()] = None,
    ) -> Response:
        """OAuth 2 client-credentials grant (RFC 6749 section 4.4)."""
        if grant_type != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        if not client_ok(authorization, client_id, client_secret):
            return JSONResponse({"error": "invalid_client"}, 401)
        value = secrets.token_urlsafe(24)
        state.tokens[value] = time.monotonic() + state.token_ttl
        state.counters["tokens"] += 1
        body = TokenResponse(
            access_token=value, token_type="Bearer", expires_in=state.token_ttl, scope=scope
        )
        return JSONResponse(body.model_dump(exclude_none=True))

    def token_ok(authorization: str | None) -> bool:
        if not authorization or not authorization.lower().startswith("bearer "):
            return False
        expiry = state.tokens.get(authorization[7:].strip())
        return expiry is not None and expiry > time.monotonic()

    @app.put(
        "/v1/bdtx/results/{idempotency_key}",
        response_model=Receipt,
        status_code=201,
        responses={
            200: {"model": Receipt, "description": "already held (same key, same record)"},
            401: {"model": Problem, "description": "missing, expired or revoked token"},
            409: {"model": Problem, "description": "key already used for another record"},
            422: {"model": Problem, "description": "not a valid record"},
            503: {"model": Problem, "description": "try again later"},
        },
        tags=["results"],
    )
    async def put_result(
        idempotency_key: str,
        record: BdtxResult,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Deliver one result record at one revision; idempotent per key."""
        state.counters["requests"] += 1
        fault = state.next_fault()
        if fault is not None and fault.mode == "expire-token":
            state.tokens.clear()
        if not token_ok(authorization):
            state.counters["unauthorized"] += 1
            return _problem(401, "invalid_token")
        if fault is not None and fault.mode == "error":
            return _problem(fault.status, "simulated", f"fault {fault.mode}")
        if fault is not None and fault.mode in ("timeout", "slow"):
            await asyncio.sleep(fault.seconds)
        if record.idempotency_key != idempotency_key:
            return _problem(422, "invalid", "idempotency_key differs from the URL")
        status, answer = state.store(idempotency_key, record.model_dump(mode="json"))
        if fault is not None and fault.mode == "drop":
            return _Dropped()
        return JSONResponse(answer.model_dump(), status)

    @app.get("/v1/bdtx/results", response_model=list[BdtxResult], tags=["results"])
    async def list_results(
        school_year: str | None = None, school_code: str | None = None
    ) -> list[dict[str, Any]]:
        """The highest revision of every result, optionally of one year and school."""
        return [
            record
            for record in state.current.values()
            if (school_year is None or record["activity"]["school_year"] == school_year)
            and (school_code is None or record["person"]["school_code"] == school_code)
        ]

    @app.post("/_sim/faults", include_in_schema=False)
    async def plan_faults(faults: list[FaultIn]) -> dict[str, int]:
        for fault in faults:
            if fault.mode not in MODES:
                return {"error": 1}
            state.faults.append(Fault(fault.mode, fault.count, fault.status, fault.seconds))
        return {"planned": len(state.faults)}

    @app.get("/_sim/stats", include_in_schema=False)
    async def stats() -> dict[str, Any]:
        return {
            "counters": dict(state.counters),
            "keys": len(state.received),
            "results": len(state.current),
            "max_stored_per_key": max(state.stored_times.values(), default=0),
            "faults_left": sum(f.count for f in state.faults),
        }

    @app.get("/_sim/received", include_in_schema=False)
    async def received() -> dict[str, Any]:
        return {"keys": sorted(state.received), "times": dict(state.stored_times)}

    @app.post("/_sim/reset", include_in_schema=False)
    async def reset() -> dict[str, bool]:
        state.received.clear()
        state.stored_times.clear()
        state.current.clear()
        state.faults.clear()
        state.counters.clear()
        return {"reset": True}

    @app.exception_handler(ValidationError)
    async def invalid(_request: Request, exc: ValidationError) -> JSONResponse:
        return _problem(422, "invalid", str(exc)[:500])

    return app


def openapi_schema() -> dict[str, Any]:
    """The contract's OpenAPI document (the simulator's public routes)."""
    schema: dict[str, Any] = create_simulator(SimulatorState("x", "y")).openapi()
    return schema
