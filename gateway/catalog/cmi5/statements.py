"""The statements the LMS itself writes (launched, satisfied, abandoned) and their context.

They go through ``learning_store.statements.store_statements`` like any statement, with
the gateway's own authority and without the application's statement policies: the
rules of ``rules`` bind AUs, not the LMS.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.catalog.cmi5.vocabulary import (
    CATEGORY_CMI5,
    EXT_SESSION_ID,
    VERB_DISPLAY,
)
from learning_store.statements import WriteContext, store_statements
from learning_store.timestamps import to_xapi_form, utc_now
from learning_store.validation.primitives import is_language_tag

LMS_ACCOUNT_NAME = "cmi5-lms"


def lms_context(public_url: str) -> WriteContext:
    """How the gateway, acting as the cmi5 LMS, writes to its own LRS."""
    authority = {
        "objectType": "Agent",
        "name": "TEMIS LMS Gateway (cmi5 LMS)",
        "account": {"homePage": public_url.rstrip("/"), "name": LMS_ACCOUNT_NAME},
    }
    return WriteContext(authority=authority, client_id=None, version="1.0")


def store_lms_statements(
    session: Session, statements: Sequence[dict[str, Any]], public_url: str
) -> list[str]:
    """Store statements the LMS issues; nothing is stored on error."""
    if not statements:
        return []
    return store_statements(session, list(statements), lms_context(public_url))


def lms_activity_id(base: str, kind: str, publisher_id: str) -> str:
    """An LMS-generated activity id for an AU or block (cmi5 8.1.5, 9.4).

    Derived from the publisher id, so the same AU gets the same id in every registration,
    and never equal to it (it lives under the module's IRI).
    """
    digest = hashlib.sha256(publisher_id.encode("utf-8")).hexdigest()[:20]
    return f"{base.rstrip('/')}/{kind}/{digest}"


def language_map(texts: dict[str, str]) -> dict[str, str] | None:
    """The texts as an xAPI language map, or None when a key is not a language tag."""
    clean = {lang: text for lang, text in texts.items() if text}
    if not clean or not all(is_language_tag(lang) for lang in clean):
        return None
    return clean


def activity(activity_id: str, activity_type: str | None, name: dict[str, str]) -> dict[str, Any]:
    """An Activity object with whatever definition is known."""
    definition: dict[str, Any] = {}
    names = language_map(name)
    if names:
        definition["name"] = names
    if activity_type:
        definition["type"] = activity_type
    result: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if definition:
        result["definition"] = definition
    return result


def cmi5_context(
    registration: str,
    session_id: str,
    grouping: Sequence[str],
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The context of a cmi5 defined statement the LMS makes (9.6)."""
    return {
        "registration": registration,
        "contextActivities": {
            "category": [{"id": CATEGORY_CMI5}],
            "grouping": [{"id": activity_id} for activity_id in grouping],
        },
        "extensions": {EXT_SESSION_ID: session_id, **(extensions or {})},
    }


def lms_statement(
    actor: dict[str, Any],
    verb: str,
    obj: dict[str, Any],
    context: dict[str, Any],
    *,
    result: dict[str, Any] | None = None,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """A complete statement the LMS issues."""
    statement: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": verb, "display": {"en-US": VERB_DISPLAY.get(verb, verb.rsplit("/")[-1])}},
        "object": obj,
        "context": context,
        "timestamp": to_xapi_form(timestamp or utc_now()),
    }
    if result:
        statement["result"] = result
    return statement


def iso_duration(seconds: float) -> str:
    """An ISO 8601 duration with centisecond precision (xAPI Data 4.6)."""
    seconds = max(seconds, 0.0)
    hours, rest = divmod(round(seconds * 100), 360000)
    minutes, centis = divmod(rest, 6000)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    return text + f"{centis // 100}.{centis % 100:02d}S"
