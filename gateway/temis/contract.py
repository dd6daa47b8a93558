"""The TEMIS delivery contract as models: what the ``http`` connector sends.

The gateway defines this contract because TEMIS publishes none (BDTX.md, "Reporting on
TEMIS"). ``docs/TEMIS_API.md`` explains it; the OpenAPI schema there is generated from
the simulator, which validates every record against these models.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonRecord(_Strict):
    """Who earned the result."""

    temis_id: str = Field(min_length=1, max_length=64, description="TEMIS identifier (opaque)")
    name: str
    role: str = Field(description="GV | CBQL (empty when not known yet)")
    level: str = Field(description="MN | PT | GDTX (empty when not known yet)")
    school_code: str
    school_name: str
    province: str


class LmsRecord(_Strict):
    """The LMS course the module was launched from (LTI), when known."""

    issuer: str
    client_id: str
    context_id: str | None
    resource_link_id: str | None


class ActivityRecord(_Strict):
    """What was done: the module, its periods and when."""

    school_year: str = Field(pattern=r"^[0-9]{4}-[0-9]{4}$", examples=["2025-2026"])
    block: str = Field(examples=["CT03"])
    module_code: str = Field(examples=["GVPT 15"])
    module_key: str = Field(examples=["GVPT15"])
    module_title: str
    periods: int = Field(gt=0, description="tiết, from the catalog release")
    catalog_release: int
    mode: Literal["connected_lms"]
    completed_at: str = Field(description="UTC, ISO 8601")
    lms: LmsRecord | None


class ResultRecord(_Strict):
    """The outcome of the module."""

    status: Literal["Hoàn thành"]
    score: float | None = Field(ge=0, le=10, description="0-10")
    scaled: float | None


class EvidenceRecord(_Strict):
    """The xAPI statements behind the result (in the gateway's LRS)."""

    statement_ids: list[str]


class WorkflowRecord(_Strict):
    """Approval: results of a connected LMS are approved automatically."""

    approval: Literal["auto"]
    reason: str


class BdtxResult(_Strict):
    """One BDTX result record (one person, module, school year and source) at a revision."""

    contract: Literal["1.0"]
    idempotency_key: str = Field(
        description="person:module:year:source:rN; also the URL's last segment"
    )
    action: Literal["upsert", "withdraw"]
    revision: int = Field(
        ge=1, description="keep the highest revision per person+module+year+source"
    )
    source: str
    person: PersonRecord
    activity: ActivityRecord
    result: ResultRecord | None = Field(description="null for a withdrawal")
    evidence: EvidenceRecord
    workflow: WorkflowRecord


class Receipt(BaseModel):
    """TEMIS's answer to a delivery."""

    status: Literal["created", "duplicate"]
    idempotency_key: str
    current_revision: int = Field(description="highest revision TEMIS holds for this result")


class Problem(BaseModel):
    """An error answer."""

    error: str
    detail: str | None = None


class TokenResponse(BaseModel):
    """OAuth 2 token response (RFC 6749 section 5.1)."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str | None = None
