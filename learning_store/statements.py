"""Storing and voiding statements (xAPI 1.0.3 Data 2.2-2.4, Communication 2.1).

``store_statements`` is all-or-nothing: a batch is validated whole before anything is
written, and the caller's transaction either commits every statement or none.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import Table, insert, literal_column, select, text, update
from sqlalchemy.orm import Session

from learning_store.agents import ifi_key
from learning_store.comparison import same_statement
from learning_store.database import is_sqlite
from learning_store.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    StatementValidationError,
)
from learning_store.extraction import StatementKeys, extract_keys
from learning_store.models import (
    Activity,
    Attachment,
    Statement,
    StatementActivity,
    StatementAgent,
)
from learning_store.signatures import is_signature_attachment, verify_signed_statement
from learning_store.timestamps import to_stored_form, to_xapi_form, utc_now
from learning_store.validation import XapiVersion, validate_statement

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
STORED_VERSION: dict[str, str] = {"1.0": "1.0.0", "2.0": "2.0.0"}
# Serializes feed positions with commit order on PostgreSQL (see ``_lock_feed``).
FEED_LOCK_KEY = 0x7E415


@dataclass(frozen=True)
class AttachmentPart:
    """One part of a multipart/mixed request, addressed by its X-Experience-API-Hash."""

    sha2: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class WriteContext:
    """Who writes: the authority the LRS records and the client's id for ``read/mine``.

    ``agent_ifi`` restricts the client to statements whose actor is that agent (launch
    and cmi5 fetch tokens). ``policies`` are extra rules of the application above the
    store (cmi5's statement rules for the LMS, say), run inside the write transaction.
    """

    authority: dict[str, Any]
    client_id: int | None
    version: XapiVersion
    agent_ifi: str | None = None
    policies: tuple[StatementPolicy, ...] = ()


class StatementPolicy(Protocol):
    """A rule on incoming statements beyond xAPI's own; raise a store error to refuse.

    Called with the validated, prepared statements of one request (ids, authority and
    stored already set), before anything is written, in the same transaction.
    """

    def __call__(
        self, session: Session, statements: Sequence[dict[str, Any]], context: WriteContext
    ) -> None: ...


def _hash_of(content: bytes, hex_length: int) -> str:
    algorithm = {64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}.get(hex_length)
    if algorithm is None:
        return ""
    return algorithm(content).hexdigest()


def _check_attachments(
    statements: Sequence[dict[str, Any]], parts: Mapping[str, AttachmentPart]
) -> set[str]:
    """Every declared attachment without a fileUrl has a part; every part is declared."""
    used: set[str] = set()
    for index, statement in enumerate(statements):
        objects = [statement]
        sub = statement.get("object")
        if isinstance(sub, dict) and sub.get("objectType") == "SubStatement":
            objects.append(sub)
        for owner in objects:
            for position, attachment in enumerate(owner.get("attachments") or []):
                sha2 = attachment["sha2"].lower()
                path = f"statements[{index}].attachments[{position}]"
                part = parts.get(sha2)
                if part is None:
                    if "fileUrl" in attachment and not is_signature_attachment(attachment):
                        continue
                    raise BadRequestError(
                        f"{path}: no multipart part has X-Experience-API-Hash {sha2}"
                    )
                if _hash_of(part.content, len(sha2)) != sha2:
                    raise BadRequestError(
                        f"{path}: the content of the part does not hash to sha2 {sha2}"
                    )
                if is_signature_attachment(attachment):
                    if attachment.get("contentType") != "application/octet-stream":
                        raise StatementValidationError(
                            f"{path}.contentType: a signature must be application/octet-stream"
                        )
                    if owner is statement:
                        verify_signed_statement(statement, part.content)
                used.add(sha2)
    unused = set(parts) - used
    if unused:
        raise BadRequestError(
            f"attachments: multipart part(s) {sorted(unused)} match no statement attachment"
        )
    return used


def _prepare(raw: Any, index: int, context: WriteContext, stored_xapi: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise StatementValidationError(f"statements[{index}]: must be a JSON object")
    validate_statement(raw, context.version)
    statement = dict(raw)
    if "id" not in statement:
        statement["id"] = str(uuid.uuid4())
    obj = statement["object"]
    _context_activities_as_arrays(statement)
    if obj.get("objectType") == "SubStatement":
        statement["object"] = dict(obj)
        _context_activities_as_arrays(statement["object"])
    statement["authority"] = context.authority
    statement["stored"] = stored_xapi
    statement.setdefault("timestamp", stored_xapi)
    statement.setdefault("version", STORED_VERSION[context.version])
    return statement


def _context_activities_as_arrays(statement: dict[str, Any]) -> None:
    """Data 2.4.6.2: the LRS returns every contextActivities value as an array."""
    context = statement.get("context")
    if not isinstance(context, dict) or not isinstance(context.get("contextActivities"), dict):
        return
    activities = context["contextActivities"]
    if any(isinstance(value, dict) for value in activities.values()):
        statement["context"] = {
            **context,
            "contextActivities": {
                kind: [value] if isinstance(value, dict) else value
                for kind, value in activities.items()
            },
        }


def _check_actor_restriction(statements: Sequence[dict[str, Any]], agent_ifi: str) -> None:
    """A token issued for one learner may only write that learner's statements."""
    for index, statement in enumerate(statements):
        if ifi_key(statement["actor"]) != agent_ifi:
            raise ForbiddenError(
                f"statements[{index}].actor: these credentials may only write statements "
                "of the learner they were issued for"
            )


def _lock_feed(session: Session) -> None:
    """Make feed positions commit in order, so a cursor never skips a late commit.

    PostgreSQL hands out sequence values before commit; two concurrent writers could
    commit positions out of order and a consumer that already read past the later one
    would miss the earlier. A transaction-scoped advisory lock orders the writers.
    SQLite already allows one writer at a time.
    """
    if not is_sqlite(session.get_bind()):  # type: ignore[arg-type]
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK_KEY})


def store_statements(
    session: Session,
    raw_statements: Sequence[Any],
    context: WriteContext,
    parts: Mapping[str, AttachmentPart] | None = None,
) -> list[str]:
    """Validate and store a batch; return the ids in order. Nothing is stored on error."""
    parts = {k.lower(): v for k, v in (parts or {}).items()}
    now = utc_now()
    stored = to_stored_form(now)
    stored_xapi = to_xapi_form(now)
    statements = [
        _prepare(raw, index, context, stored_xapi) for index, raw in enumerate(raw_statements)
    ]
    ids = [s["id"].lower() for s in statements]
    if len(set(ids)) != len(ids):
        raise BadRequestError("statements: the batch contains the same id more than once")
    if context.agent_ifi is not None:
        _check_actor_restriction(statements, context.agent_ifi)
    used_parts = _check_attachments(statements, parts)
    _lock_feed(session)

    existing = {
        row.statement_id: row.full_json
        for row in session.execute(
            select(Statement.statement_id, Statement.full_json).where(
                Statement.statement_id.in_(ids)
            )
        )
    }
    new_statements: list[dict[str, Any]] = []
    for statement, statement_id in zip(statements, ids, strict=True):
        if statement_id in existing:
            if not same_statement(json.loads(existing[statement_id]), statement):
                raise ConflictError(
                    f"statement {statement_id}: a different statement with this id is stored"
                )
            continue
        new_statements.append(statement)

    for policy in context.policies:
        policy(session, new_statements, context)
    voided_targets = _check_voiding(session, new_statements)
    _insert(session, new_statements, context, stored)
    if voided_targets:
        session.execute(
            update(Statement)
            .where(Statement.statement_id.in_(voided_targets), Statement.is_voiding.is_(False))
            .values(voided=True)
        )
    _store_attachment_parts(session, parts, used_parts)
    _store_activity_definitions(session, new_statements)
    return [s["id"] for s in statements]


def _check_voiding(session: Session, statements: Sequence[dict[str, Any]]) -> list[str]:
    """Ids to void; refuse to void a voiding statement (Data 2.3.2)."""
    targets = [s["object"]["id"].lower() for s in statements if s["verb"]["id"] == VOIDED_VERB]
    if not targets:
        return []
    voiding_targets = set(
        session.scalars(
            select(Statement.statement_id).where(
                Statement.statement_id.in_(targets), Statement.is_voiding.is_(True)
            )
        )
    )
    batch_voiding = {s["id"].lower() for s in statements if s["verb"]["id"] == VOIDED_VERB}
    bad = voiding_targets | (set(targets) & batch_voiding)
    if bad:
        raise BadRequestError(
            f"object.id: statement {sorted(bad)[0]} is itself a voiding statement and "
            "cannot be voided"
        )
    return targets


def _insert(
    session: Session, statements: Sequence[dict[str, Any]], context: WriteContext, stored: str
) -> None:
    if not statements:
        return
    rows: list[dict[str, Any]] = []
    keys_list: list[StatementKeys] = []
    # Statements that were voided before they arrived (the voiding came first).
    early_voided = set(
        session.scalars(
            select(Statement.object_key).where(
                # Voiding statements are StatementRefs: the literal lets both databases use
                # the small partial index ix_xapi_statement_refs. On PostgreSQL a generic
                # plan for ``object_key IN (...)`` otherwise becomes a sequential scan that
                # grows with the table (12 distinct activity ids make each value look common).
                Statement.object_type == literal_column("'StatementRef'"),
                Statement.is_voiding.is_(True),
                Statement.object_key.in_([s["id"].lower() for s in statements]),
            )
        )
    )
    for statement in statements:
        keys = extract_keys(statement)
        keys_list.append(keys)
        statement_id = statement["id"].lower()
        rows.append(
            {
                "statement_id": statement_id,
                "stored": stored,
                "timestamp": statement["timestamp"],
                "verb_id": keys.verb_id,
                "actor_ifi": keys.actor_ifi,
                "object_type": keys.object_type,
                "object_key": keys.object_key,
                "registration": keys.registration,
                "voided": statement_id in early_voided and statement["verb"]["id"] != VOIDED_VERB,
                "is_voiding": statement["verb"]["id"] == VOIDED_VERB,
                "version": statement["version"],
                "client_id": context.client_id,
                "has_attachments": bool(statement.get("attachments")),
                "full_json": json.dumps(statement, ensure_ascii=False, separators=(",", ":")),
            }
        )
    if session.get_bind().dialect.name == "postgresql":
        _copy_insert(session, rows, keys_list)
        return
    # Core, not the ORM bulk path: that drops None values from each row (rows with and
    # without a registration then need separate INSERTs) and, with sort_by_parameter_order,
    # inserts one row at a time on SQLite. RETURNING order is not guaranteed on SQLite: the
    # id maps each row to its seq.
    table = cast(Table, Statement.__table__)
    seq_of = {
        statement_id: seq
        for statement_id, seq in session.execute(
            insert(table).returning(table.c.statement_id, table.c.seq), rows
        )
    }
    agent_rows: list[dict[str, Any]] = []
    activity_rows: list[dict[str, Any]] = []
    for row, keys in zip(rows, keys_list, strict=True):
        seq = seq_of[row["statement_id"]]
        agent_rows.extend({"seq": seq, "ifi": ifi, "direct": d} for ifi, d in keys.agents.items())
        activity_rows.extend(
            {"seq": seq, "activity_id": a, "direct": d} for a, d in keys.activities.items()
        )
    if agent_rows:
        session.execute(insert(cast(Table, StatementAgent.__table__)), agent_rows)
    if activity_rows:
        session.execute(insert(cast(Table, StatementActivity.__table__)), activity_rows)


def _copy_insert(
    session: Session, rows: list[dict[str, Any]], keys_list: list[StatementKeys]
) -> None:
    """PostgreSQL: take the batch's feed positions from the sequence (in order: the feed
    lock is held), then COPY the rows of the three tables.

    A multi-row INSERT ... VALUES of 100 statements is SQL text of ~1,400 placeholders that
    psycopg re-parses in Python on every call (it caches only texts under 4 kB), and an
    executemany runs one server statement per side-table row; COPY sends short SQL and
    encodes the rows in C.
    """
    connection = session.connection()
    seqs = sorted(
        connection.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('xapi_statement', 'seq')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": len(rows)},
        ).scalars()
    )
    raw = connection.connection.driver_connection
    assert raw is not None
    columns = ["seq", *rows[0]]
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY xapi_statement ({', '.join(columns)}) FROM STDIN") as copy:
            for seq, row in zip(seqs, rows, strict=True):
                copy.write_row((seq, *row.values()))
        with cursor.copy("COPY xapi_statement_agent (seq, ifi, direct) FROM STDIN") as copy:
            for seq, keys in zip(seqs, keys_list, strict=True):
                for ifi, direct in keys.agents.items():
                    copy.write_row((seq, ifi, direct))
        with cursor.copy(
            "COPY xapi_statement_activity (seq, activity_id, direct) FROM STDIN"
        ) as copy:
            for seq, keys in zip(seqs, keys_list, strict=True):
                for activity_id, direct in keys.activities.items():
                    copy.write_row((seq, activity_id, direct))


def _store_attachment_parts(
    session: Session, parts: Mapping[str, AttachmentPart], used: set[str]
) -> None:
    if not used:
        return
    known = set(session.scalars(select(Attachment.sha2).where(Attachment.sha2.in_(used))))
    for sha2 in sorted(used - known):
        part = parts[sha2]
        session.add(
            Attachment(
                sha2=sha2,
                content_type=part.content_type,
                length=len(part.content),
                content=part.content,
            )
        )


def _store_activity_definitions(session: Session, statements: Sequence[dict[str, Any]]) -> None:
    """Keep the latest definition of each activity for the Activities resource.

    Language maps are merged so that a definition sent in one language does not erase
    another language sent earlier.
    """
    definitions: dict[str, dict[str, Any]] = {}
    for statement in statements:
        for obj in _activities_of(statement):
            definition = obj.get("definition")
            if isinstance(definition, dict):
                merged = definitions.setdefault(obj["id"], {})
                _merge_definition(merged, definition)
            else:
                definitions.setdefault(obj["id"], {})
    if not definitions:
        return
    stored = {
        a.activity_id: a
        for a in session.scalars(select(Activity).where(Activity.activity_id.in_(definitions)))
    }
    for activity_id, definition in definitions.items():
        row = stored.get(activity_id)
        if row is None:
            session.add(
                Activity(
                    activity_id=activity_id,
                    definition_json=json.dumps(definition, ensure_ascii=False),
                )
            )
        elif definition:
            current = json.loads(row.definition_json)
            _merge_definition(current, definition)
            row.definition_json = json.dumps(current, ensure_ascii=False)


def _activities_of(statement: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def visit(stmt: dict[str, Any]) -> None:
        obj = stmt.get("object")
        if isinstance(obj, dict):
            object_type = obj.get("objectType") or "Activity"
            if object_type == "Activity":
                found.append(obj)
            elif object_type == "SubStatement":
                visit(obj)
        context = stmt.get("context")
        if isinstance(context, dict) and isinstance(context.get("contextActivities"), dict):
            for value in context["contextActivities"].values():
                for activity in value if isinstance(value, list) else [value]:
                    if isinstance(activity, dict):
                        found.append(activity)

    visit(statement)
    return found


def _merge_definition(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        if key in ("name", "description") and isinstance(value, dict):
            target[key] = {**target.get(key, {}), **value}
        else:
            target[key] = value


def get_attachments(session: Session, hashes: Sequence[str]) -> list[Attachment]:
    """Stored attachment contents for the given hashes (those the LRS holds)."""
    if not hashes:
        return []
    return list(session.scalars(select(Attachment).where(Attachment.sha2.in_(hashes))))
