"""The document resources: State, Activity Profile and Agent Profile documents.

xAPI 1.0.3 Communication 2.2-2.3 and 2.6-2.7, xAPI 2.0 (IEEE 9274.1.1) 4.1.6.2, 4.1.6.5
and 4.1.6.6: a document is an opaque byte string with a Content-Type, stored under a key
(activity, agent, registration, id). The LRS returns exactly what it was given, except
that a POST of a JSON object into a JSON object merges the two (Communication 2.2,
"JSON Procedure with Requirements").

Concurrency (1.0.3 Communication 3.1, 2.0 4.1.4) is optimistic: every document has an
ETag, the SHA-1 of its content, and a write may carry ``If-Match``/``If-None-Match``
conditions. The rule for a PUT that carries neither depends on the version and the kind
of document, see ``check_unconditional_put``.

Every function takes the caller's session first and never commits: the gateway runs each
use case in one transaction, so a rejected request changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from learning_store.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    PreconditionFailedError,
)
from learning_store.models import Document
from learning_store.timestamps import to_stored_form, utc_now
from learning_store.validation import XapiVersion

DocumentKind = Literal["state", "activity_profile", "agent_profile"]
JSON_MEDIA_TYPE = "application/json"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
MAX_CONTENT_TYPE = 255  # Document.content_type
_STORED_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class ConcurrentWriteError(ConflictError):
    """Another transaction created the same document between our read and our insert.

    Raised from the flush so the caller's transaction rolls back; the request can be run
    again, and then sees the document the other transaction created.
    """


# --- keys --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentKey:
    """Where one document lives; empty strings mean "not part of this kind's key"."""

    kind: DocumentKind
    document_id: str
    activity_id: str = ""
    agent_ifi: str = ""
    registration: str = ""


@dataclass(frozen=True)
class DocumentSet:
    """The documents a multiple-document GET lists or a State DELETE removes.

    ``registration`` None means "any registration": 1.0.3 Communication 2.3 lists it as
    optional for the multiple-document requests, and without it they cover the states of
    every registration of that activity and agent.
    """

    kind: DocumentKind
    activity_id: str = ""
    agent_ifi: str = ""
    registration: str | None = None


@dataclass(frozen=True)
class StoredDocument:
    """A document as the LRS returns it."""

    content: bytes
    content_type: str
    etag: str
    updated: datetime


@dataclass(frozen=True)
class DocumentIds:
    """Answer to a multiple-document GET: the ids and when the newest one last changed."""

    ids: list[str]
    last_modified: datetime | None


# --- ETags and preconditions ---------------------------------------------------------------


@dataclass(frozen=True)
class EntityTag:
    """One entity-tag of a conditional header (RFC 7232 2.3)."""

    opaque: str
    weak: bool = False


@dataclass(frozen=True)
class TagCondition:
    """A parsed ``If-Match``/``If-None-Match`` header: ``*`` or a list of entity-tags."""

    any_tag: bool
    tags: tuple[EntityTag, ...] = ()


@dataclass(frozen=True)
class Preconditions:
    """The conditional headers of one request; None where a header was not sent."""

    if_match: TagCondition | None = None
    if_none_match: TagCondition | None = None

    @property
    def given(self) -> bool:
        """True when the request carries either header."""
        return self.if_match is not None or self.if_none_match is not None


# An entity-tag (optionally weak), or a bare token: some xAPI clients (older TinCanJS,
# authoring tool runtimes) send the SHA-1 without the quotes RFC 7232 asks for.
_TAG = re.compile(r'\s*(?:(W/)?"([^"]*)"|([A-Za-z0-9._~+=-]+))\s*(?:,|$)')


def parse_tag_condition(value: str | None, header: str) -> TagCondition | None:
    """Parse an ``If-Match``/``If-None-Match`` value; 400 naming the header when malformed."""
    if value is None:
        return None
    text = value.strip()
    if text == "*":
        return TagCondition(any_tag=True)
    if not text:
        raise BadRequestError(f"{header}: must be '*' or a list of quoted ETags, got nothing")
    tags: list[EntityTag] = []
    position = 0
    while position < len(text):
        match = _TAG.match(text, position)
        if match is None or match.end() == position:
            raise BadRequestError(
                f"{header}: must be '*' or a comma-separated list of quoted ETags, got {value!r}"
            )
        weak, quoted, bare = match.groups()
        tags.append(EntityTag(quoted if quoted is not None else bare, weak is not None))
        position = match.end()
    return TagCondition(any_tag=False, tags=tuple(tags))


def content_etag(content: bytes) -> str:
    """The ETag of a document: the SHA-1 of its bytes in hex (1.0.3 Communication 3.1).

    The 1.0.3 conformance suite checks for 40 hex digits inside the quotes, so SHA-1 it is;
    the tag only detects change, it protects nothing.
    """
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def if_match_holds(condition: TagCondition, etag: str | None) -> bool:
    """RFC 7232 3.1: true when the document exists and (for a list) a tag matches strongly."""
    if etag is None:
        return False
    if condition.any_tag:
        return True
    return any(not tag.weak and tag.opaque == etag for tag in condition.tags)


def if_none_match_holds(condition: TagCondition, etag: str | None) -> bool:
    """RFC 7232 3.2: true when no document exists, or (for a list) no tag matches weakly."""
    if etag is None:
        return True
    if condition.any_tag:
        return False
    return all(tag.opaque != etag for tag in condition.tags)


def check_preconditions(preconditions: Preconditions, etag: str | None) -> None:
    """412 unless every condition of a PUT/POST/DELETE holds for the current document.

    ``etag`` is None when the document does not exist. 1.0.3 Communication 3.1 and 2.0
    4.1.4: the LRS must not modify the document when a precondition fails.
    """
    if preconditions.if_match is not None and not if_match_holds(preconditions.if_match, etag):
        if etag is None:
            raise PreconditionFailedError("If-Match: the document does not exist")
        raise PreconditionFailedError(
            "If-Match: the document has changed; its current ETag matches none of those sent"
        )
    if preconditions.if_none_match is not None and not if_none_match_holds(
        preconditions.if_none_match, etag
    ):
        raise PreconditionFailedError(
            "If-None-Match: the document already exists"
            if preconditions.if_none_match.any_tag
            else "If-None-Match: the document's current ETag is one of those sent"
        )


def check_unconditional_put(
    kind: DocumentKind, version: XapiVersion, exists: bool, preconditions: Preconditions
) -> None:
    """The rule for a PUT carrying neither ``If-Match`` nor ``If-None-Match``.

    * xAPI 1.0.3 Communication 3.1 exempts the State resource ("state conflicts are
      unlikely"): such a PUT simply overwrites.
    * For the profile resources 1.0.3 requires the headers: 409 Conflict when the document
      exists, and the conformance suite (XAPI-00273, 2.7 "fails without ETag header")
      expects 400 when it does not.
    * xAPI 2.0 4.1.4 applies the rule to all three resources but only for a document that
      exists (409); the 2.0 suite dropped the 400 case, and its State tests create
      documents with plain PUTs.
    """
    if preconditions.given:
        return
    if version == "1.0" and kind == "state":
        return
    if exists:
        raise ConflictError(
            "If-Match/If-None-Match: the document already exists; send If-Match with its ETag"
            " to overwrite it (GET returns the ETag)"
        )
    if version == "1.0":
        raise BadRequestError(
            "If-Match/If-None-Match: a PUT to a profile document needs one of these headers"
            " (If-None-Match: * to create it)"
        )


# --- content ------------------------------------------------------------------------------


def media_type_of(content_type: str) -> str:
    """The media type without parameters, lower-cased."""
    return content_type.split(";", 1)[0].strip().lower()


def is_json(content_type: str) -> bool:
    """Communication 2.2: merging and JSON checks apply to ``application/json`` only."""
    return media_type_of(content_type) == JSON_MEDIA_TYPE


def normalize_content_type(content_type: str | None) -> str:
    """The Content-Type to store: as sent, or octet-stream when the request had none."""
    value = (content_type or "").strip()
    if not value:
        return DEFAULT_CONTENT_TYPE
    if len(value) > MAX_CONTENT_TYPE:
        raise BadRequestError(f"Content-Type: longer than {MAX_CONTENT_TYPE} characters")
    return value


def _parse_json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except UnicodeDecodeError as exc:
        raise BadRequestError(
            "document: Content-Type is application/json but the body is not UTF-8"
        ) from exc
    except json.JSONDecodeError as exc:
        raise BadRequestError(
            f"document: Content-Type is application/json but the body is not valid JSON"
            f" ({exc.msg} at position {exc.pos})"
        ) from exc


def check_json_content(content: bytes, content_type: str) -> None:
    """A document labelled ``application/json`` must be JSON, or later merges would fail."""
    if is_json(content_type):
        _parse_json(content)


def _json_object(content: bytes, what: str) -> dict[str, Any]:
    value = _parse_json(content)
    if not isinstance(value, dict):
        raise BadRequestError(f"{what}: must be a JSON object to be merged")
    return value


# --- rows ---------------------------------------------------------------------------------


def _where_key(key: DocumentKey) -> list[Any]:
    return [
        Document.kind == key.kind,
        Document.activity_id == key.activity_id,
        Document.agent_ifi == key.agent_ifi,
        Document.registration == key.registration,
        Document.document_id == key.document_id,
    ]


def _load(session: Session, key: DocumentKey, *, for_update: bool = False) -> Document | None:
    query = select(Document).where(*_where_key(key))
    if for_update:
        # PostgreSQL: writers of one document queue here; SQLite serializes writers anyway.
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def _parse_stored(value: str) -> datetime:
    return datetime.strptime(value, _STORED_FORMAT).replace(tzinfo=UTC)


def _stored(row: Document) -> StoredDocument:
    return StoredDocument(row.content, row.content_type, row.etag, _parse_stored(row.updated))


def _write(
    session: Session, key: DocumentKey, row: Document | None, content: bytes, content_type: str
) -> None:
    """Insert or overwrite; the update time and ETag always change with the content."""
    updated = to_stored_form(utc_now())
    if row is None:
        session.add(
            Document(
                kind=key.kind,
                activity_id=key.activity_id,
                agent_ifi=key.agent_ifi,
                registration=key.registration,
                document_id=key.document_id,
                content_type=content_type,
                content=content,
                etag=content_etag(content),
                updated=updated,
            )
        )
    else:
        row.content = content
        row.content_type = content_type
        row.etag = content_etag(content)
        row.updated = updated
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConcurrentWriteError(
            f"{_id_name(key.kind)}: the document was created by a concurrent request; retry"
        ) from exc


def _id_name(kind: DocumentKind) -> str:
    return "stateId" if kind == "state" else "profileId"


# --- use cases ----------------------------------------------------------------------------


def find_document(session: Session, key: DocumentKey) -> StoredDocument | None:
    """The document under ``key``, or None."""
    row = _load(session, key)
    return None if row is None else _stored(row)


def get_document(session: Session, key: DocumentKey) -> StoredDocument:
    """The document under ``key``; 404 naming the id parameter when there is none."""
    found = find_document(session, key)
    if found is None:
        raise NotFoundError(f"{_id_name(key.kind)}: no document {key.document_id!r} here")
    return found


def list_document_ids(
    session: Session, documents: DocumentSet, since: str | None = None
) -> DocumentIds:
    """Ids of the documents in ``documents`` updated after ``since`` (exclusive).

    ``since`` is in the stored fixed-width form (``to_stored_form``), so string order is
    time order. 1.0.3 Communication 2.3, 2.6, 2.7: "only ids of documents stored since".
    """
    query = select(Document.document_id, Document.updated).where(*_where_set(documents))
    if since is not None:
        query = query.where(Document.updated > since)
    rows = session.execute(query.order_by(Document.updated, Document.id)).all()
    newest = max((updated for _id, updated in rows), default=None)
    return DocumentIds(
        [document_id for document_id, _updated in rows],
        None if newest is None else _parse_stored(newest),
    )


def _where_set(documents: DocumentSet) -> list[Any]:
    conditions: list[Any] = [
        Document.kind == documents.kind,
        Document.activity_id == documents.activity_id,
        Document.agent_ifi == documents.agent_ifi,
    ]
    if documents.registration is not None:
        conditions.append(Document.registration == documents.registration)
    return conditions


def put_document(
    session: Session,
    key: DocumentKey,
    content: bytes,
    content_type: str,
    preconditions: Preconditions,
    version: XapiVersion,
) -> None:
    """Store ``content`` under ``key``, replacing any document there (Communication 2.2)."""
    check_json_content(content, content_type)
    row = _load(session, key, for_update=True)
    etag = None if row is None else row.etag
    check_preconditions(preconditions, etag)
    check_unconditional_put(key.kind, version, row is not None, preconditions)
    _write(session, key, row, content, content_type)


def merge_document(
    session: Session,
    key: DocumentKey,
    content: bytes,
    content_type: str,
    preconditions: Preconditions,
) -> None:
    """POST: merge a JSON object into the stored one, or store it when there is none.

    1.0.3 Communication 2.2 "JSON Procedure with Requirements" / 2.0 4.1.6.2: the posted
    object's top-level properties replace the stored ones (one level deep, nested objects
    are replaced whole). When a document exists, both it and the posted one must be
    ``application/json`` objects, else 400 and nothing changes. A posted
    ``application/json`` body that is not a JSON object is a 400 even for a new document.
    """
    posted = _json_object(content, "document") if is_json(content_type) else None
    row = _load(session, key, for_update=True)
    check_preconditions(preconditions, None if row is None else row.etag)
    if row is None:
        _write(session, key, None, content, content_type)
        return
    if posted is None:
        raise BadRequestError(
            f"Content-Type: a POST to an existing document merges JSON and must be"
            f" application/json, not {content_type!r}; PUT replaces the document"
        )
    if not is_json(row.content_type):
        raise BadRequestError(
            f"{_id_name(key.kind)}: the stored document is {row.content_type!r}, not"
            " application/json, so a POST cannot merge into it; PUT replaces it"
        )
    stored = _json_object(row.content, "stored document")
    merged = {**stored, **posted}
    body = json.dumps(merged, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    _write(session, key, row, body, row.content_type)


def delete_document(session: Session, key: DocumentKey, preconditions: Preconditions) -> None:
    """Delete one document; deleting a missing one succeeds unless If-Match demands it."""
    row = _load(session, key, for_update=True)
    check_preconditions(preconditions, None if row is None else row.etag)
    if row is not None:
        session.delete(row)
        session.flush()


def delete_documents(session: Session, documents: DocumentSet) -> int:
    """Delete every State document of an activity and agent (1.0.3 Communication 2.3).

    Returns how many were removed. Preconditions do not apply: a set has no ETag.
    """
    result = session.execute(
        delete(Document).where(*_where_set(documents)).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
