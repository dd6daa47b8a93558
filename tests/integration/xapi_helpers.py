"""Statement builders and request helpers shared by the xAPI integration tests."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from fastapi.testclient import TestClient

VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VERB_PASSED = "http://adlnet.gov/expapi/verbs/passed"
VERB_VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def agent(n: int = 1) -> dict[str, Any]:
    """A learner identified by an mbox."""
    return {"objectType": "Agent", "mbox": f"mailto:learner{n}@school.edu.vn", "name": f"GV {n}"}


def statement(
    actor: int = 1,
    verb: str = VERB_COMPLETED,
    activity: str = "https://temis.example/modules/GVMN2",
    **extra: Any,
) -> dict[str, Any]:
    """A valid statement with a fresh id."""
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": agent(actor),
        "verb": {"id": verb, "display": {"vi-VN": "hoàn thành", "en-US": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": activity,
            "definition": {"name": {"vi-VN": "Mô đun GVMN 2", "en-US": "Module GVMN 2"}},
        },
    }
    body.update(extra)
    return body


def count_statements(client: TestClient) -> int:
    """How many statements a full query returns (pages followed)."""
    total = 0
    url = "/xapi/statements?limit=500"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        total += len(body["statements"])
        url = body["more"]
    return total


def multipart(
    statements: Any, attachments: list[tuple[str, bytes, str | None]], boundary: str = "xyzzy"
) -> tuple[bytes, str]:
    """A multipart/mixed body: the statements, then (content type, bytes, hash) parts."""
    chunks = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(statements).encode(),
    ]
    for content_type, content, declared in attachments:
        sha2 = declared or hashlib.sha256(content).hexdigest()
        chunks.append(
            f"\r\n--{boundary}\r\nContent-Type: {content_type}\r\n"
            f"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {sha2}\r\n\r\n".encode()
        )
        chunks.append(content)
    chunks.append(f"\r\n--{boundary}--".encode())
    return b"".join(chunks), f"multipart/mixed; boundary={boundary}"
