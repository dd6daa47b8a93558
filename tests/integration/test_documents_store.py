"""``learning_store.documents`` on a real session, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from gateway.db import Database
from learning_store.documents import (
    ConcurrentWriteError,
    DocumentKey,
    DocumentSet,
    Preconditions,
    TagCondition,
    content_etag,
    delete_documents,
    get_document,
    list_document_ids,
    merge_document,
    put_document,
)
from learning_store.errors import NotFoundError
from learning_store.models import Document
from learning_store.timestamps import to_stored_form, utc_now

KEY = DocumentKey("state", "bookmark", "https://temis.example/a", "Agent|mbox|mailto:a@b.vn")
CREATE = Preconditions(if_none_match=TagCondition(any_tag=True))


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The database of one test, at the latest schema."""
    db = Database(database_url)
    yield db
    db.dispose()


def test_put_get_and_merge(database: Database) -> None:
    """PUT stores the bytes; POST merges top-level properties; the ETag follows the content."""
    database.transaction(
        put_document, KEY, b'{"a":1,"b":{"c":1}}', "application/json", CREATE, "1.0"
    )
    database.transaction(
        merge_document, KEY, b'{"b":{"d":2},"e":3}', "application/json", Preconditions()
    )
    document = database.transaction(get_document, KEY)
    assert json.loads(document.content) == {"a": 1, "b": {"d": 2}, "e": 3}
    assert document.etag == content_etag(document.content)
    assert document.updated.tzinfo is not None


def test_get_of_a_missing_document_names_the_id(database: Database) -> None:
    """404 with the id parameter first."""
    with pytest.raises(NotFoundError, match=r"^stateId:"):
        database.transaction(get_document, KEY)


def test_list_is_filtered_by_since_exclusive(database: Database) -> None:
    """Only documents updated strictly after ``since`` are listed."""
    database.transaction(put_document, KEY, b"1", "text/plain", CREATE, "1.0")
    updated = database.transaction(get_document, KEY).updated
    documents = DocumentSet("state", KEY.activity_id, KEY.agent_ifi)
    assert database.transaction(list_document_ids, documents).ids == ["bookmark"]
    at = to_stored_form(updated)
    assert database.transaction(list_document_ids, documents, at).ids == []
    assert database.transaction(
        list_document_ids, documents, "2000-01-01T00:00:00.000000Z"
    ).ids == ["bookmark"]
    assert database.transaction(delete_documents, documents) == 1


def test_insert_race_becomes_a_retryable_conflict(database: Database) -> None:
    """A row inserted by someone else between our read and our insert: ConcurrentWriteError."""

    def race(session: Session) -> None:
        with session.no_autoflush:
            # Pending, so invisible to the read in put_document, like another transaction's
            # uncommitted insert; the flush of ours then hits the unique key.
            session.add(
                Document(
                    kind=KEY.kind,
                    activity_id=KEY.activity_id,
                    agent_ifi=KEY.agent_ifi,
                    registration="",
                    document_id=KEY.document_id,
                    content_type="text/plain",
                    content=b"theirs",
                    etag=content_etag(b"theirs"),
                    updated=to_stored_form(utc_now()),
                )
            )
            put_document(session, KEY, b"ours", "text/plain", Preconditions(), "1.0")

    with pytest.raises(ConcurrentWriteError, match=r"^stateId:"):
        database.transaction(race)
    with pytest.raises(NotFoundError):
        database.transaction(get_document, KEY)
