"""Strict xAPI statement validation: plain dict/list checks, no schema library.

Rules follow xAPI 1.0.3 (Data section) and, for 2.0.x clients, xAPI 2.0 (IEEE 9274.1.1),
as exercised by the ADL LRS conformance suite. Every error is a
``StatementValidationError`` whose message starts with the offending property path,
e.g. ``statement.actor.mbox: must be a 'mailto:' IRI with an email address``.

The validator is on the ingest hot path (thousands of statements per second per core), so
patterns are precompiled and each object is checked once, in a single pass.
"""

from learning_store.validation.agents import validate_agent
from learning_store.validation.base import XapiVersion
from learning_store.validation.primitives import (
    parse_timestamp,
    validate_iri,
    validate_language_map,
    validate_uuid,
)
from learning_store.validation.statement import validate_statement

__all__ = [
    "XapiVersion",
    "parse_timestamp",
    "validate_agent",
    "validate_iri",
    "validate_language_map",
    "validate_statement",
    "validate_uuid",
]
