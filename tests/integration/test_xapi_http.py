"""HTTP rules of /xapi: HEAD, alternate request syntax, CORS, About, signed statements."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi.testclient import TestClient

from tests.conftest import SUITE_KEY, SUITE_SECRET, basic_auth
from tests.integration.xapi_helpers import count_statements, multipart, statement


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    """Communication 1.1: HEAD is GET without the message body."""
    sent = statement()
    client.post("/xapi/statements", json=sent)
    head = client.head(f"/xapi/statements?statementId={sent['id']}")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["X-Experience-API-Version"] == "1.0.3"


def test_alternate_request_syntax_put_as_form_post(client: TestClient) -> None:
    """Communication 1.3: method=PUT with headers and content as form fields."""
    sent = statement()
    statement_id = sent.pop("id")
    form = {
        "statementId": statement_id,
        "Authorization": basic_auth(SUITE_KEY, SUITE_SECRET),
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "content": json.dumps(sent),
    }
    response = client.post(
        "/xapi/statements?method=PUT",
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": ""},
    )
    assert response.status_code == 204, response.text
    assert client.get(f"/xapi/statements?statementId={statement_id}").status_code == 200


def test_alternate_request_syntax_rejects_extra_query_parameters(client: TestClient) -> None:
    """Communication 1.3: only 'method' may be in the query string."""
    response = client.post(
        "/xapi/statements?method=GET&limit=1",
        content="",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert "method" in response.json()["message"]


def test_cors_preflight_allows_xapi_headers(client: TestClient) -> None:
    """Browser content calls the LRS cross-origin with the xAPI headers."""
    response = client.options(
        "/xapi/statements",
        headers={
            "Origin": "https://lms.example.edu.vn",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,x-experience-api-version,content-type",
        },
    )
    assert response.status_code == 200
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "x-experience-api-version" in allowed


def test_about_needs_no_credentials(client: TestClient) -> None:
    """Communication 2.8: About is public and lists 1.0.x and 2.0.0."""
    response = client.get("/xapi/about", headers={"Authorization": ""})
    assert response.status_code == 200
    assert {"1.0.3", "2.0.0"} <= set(response.json()["version"])


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _signed_body(sent: dict[str, object], alg: str, tamper: bool = False) -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    header = _b64url(json.dumps({"alg": alg}).encode())
    payload_statement = dict(sent)
    if tamper:
        payload_statement["verb"] = {"id": "http://adlnet.gov/expapi/verbs/failed"}
    payload = _b64url(json.dumps(payload_statement).encode())
    digest = {"RS256": hashes.SHA256(), "RS512": hashes.SHA512()}.get(alg, hashes.SHA256())
    signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), digest)
    jws = f"{header}.{payload}.{_b64url(signature)}".encode()
    with_attachment = dict(sent)
    with_attachment["attachments"] = [
        {
            "usageType": "http://adlnet.gov/expapi/attachments/signature",
            "display": {"en-US": "signature"},
            "contentType": "application/octet-stream",
            "length": len(jws),
            "sha2": hashlib.sha256(jws).hexdigest(),
        }
    ]
    return multipart(with_attachment, [("application/octet-stream", jws, None)])


def test_signed_statement_accepted_and_bad_signatures_rejected(client: TestClient) -> None:
    """Data 2.6: RS256/384/512 JWS whose payload is the statement; others are 400."""
    good, content_type = _signed_body(statement(), "RS256")
    response = client.post("/xapi/statements", content=good, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text

    for alg, tamper, named in (("HS256", False, "alg"), ("RS512", True, "payload")):
        body, content_type = _signed_body(statement(), alg, tamper)
        response = client.post(
            "/xapi/statements", content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code == 400
        assert named in response.json()["message"]
    assert count_statements(client) == 1


def test_versionless_request_is_answered_in_the_configured_default_version(
    client: TestClient,
) -> None:
    """Communication 3.3: a 400 for a missing version header still names a version."""
    missing = client.get("/xapi/statements", headers={"X-Experience-API-Version": ""})
    assert missing.status_code == 400
    assert missing.headers["X-Experience-API-Version"] == "2.0.0"
    client.app.state.settings = client.app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"xapi_default_version": "1.0.3"}
    )
    missing = client.get("/xapi/statements", headers={"X-Experience-API-Version": ""})
    assert missing.headers["X-Experience-API-Version"] == "1.0.3"
    spoken = client.get("/xapi/statements", headers={"X-Experience-API-Version": "2.0.0"})
    assert spoken.headers["X-Experience-API-Version"] == "2.0.0"
