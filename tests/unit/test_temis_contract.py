"""The contract document matches the code; records the ledger builds obey the contract."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.temis.contract import BdtxResult
from gateway.temis.simulator import openapi_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "TEMIS_API.md"


def test_the_openapi_schema_in_the_doc_is_the_one_the_simulator_serves() -> None:
    """docs/TEMIS_API.md carries the generated OpenAPI document, unedited."""
    text = DOC.read_text(encoding="utf-8")
    embedded = text.split("```json\n")[-1].split("```")[0]
    assert json.loads(embedded) == openapi_schema()


def test_the_example_record_in_the_doc_is_valid() -> None:
    """The example body of docs/TEMIS_API.md passes the contract's own validation."""
    text = DOC.read_text(encoding="utf-8")
    example = text.split("```json\n")[1].split("```")[0].replace('"0b1c…", "7f3e…"', '"a", "b"')
    record = BdtxResult.model_validate_json(example)
    assert record.activity.periods == 40 and record.result is not None
