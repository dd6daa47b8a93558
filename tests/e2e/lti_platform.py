"""A small LTI 1.3 platform for tests, served over real HTTP on loopback.

It has its own RSA keys and JWKS, an OIDC authorization endpoint that answers the tool's
login with a signed id_token, an OAuth2 token endpoint that checks the tool's client
assertion against the tool's JWKS (refetched when an unknown ``kid`` appears), AGS line
items and scores, a paged NRPS roster, a deep-linking return that validates the tool's
JWT, LTI Dynamic Registration, and a course page that frames the tool and answers LTI
Platform Storage messages (``lti.put_data`` / ``lti.get_data``).

Also here: :func:`serve` runs any ASGI app in a thread on a free port, and
:class:`Browser` / :func:`launch_flow` drive login → auth → launch like a browser.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import uvicorn
from fastapi import FastAPI, Form, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(app: Any, port: int) -> Iterator[None]:
    """Serve ``app`` on 127.0.0.1:``port`` in a thread until the block ends."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class ToolEndpoints:
    """What the platform knows of the tool (typed in, or learned by registration)."""

    login_url: str
    launch_url: str
    jwks_url: str
    deep_link_url: str


@dataclass
class Received:
    """Everything the platform received, for assertions."""

    registrations: list[dict[str, Any]] = field(default_factory=list)
    deep_link_items: list[dict[str, Any]] = field(default_factory=list)
    deep_link_errors: list[str] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    token_requests: int = 0
    token_errors: list[str] = field(default_factory=list)
    tool_jwks_fetches: int = 0
    auth_requests: list[dict[str, str]] = field(default_factory=list)


class TestPlatform:
    """The platform's state; :attr:`app` serves it."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://{host}:{self.port}"
        self.issuer = self.url
        self.client_id = "temis-" + secrets.token_hex(4)
        self.deployment_id = "dep-1"
        self.registration_token = "reg-" + secrets.token_urlsafe(12)
        self.keys: list[RSAKey] = [RSAKey.generate_key(2048, auto_kid=True)]
        self.tool: ToolEndpoints | None = None
        self.received = Received()
        self.context_id = "course-42"
        self.line_items: dict[str, dict[str, Any]] = {}
        self.members = [
            {
                "user_id": f"user-{n}",
                "name": f"Giáo viên {n}",
                "email": f"gv{n}@school.edu.vn",
                "roles": [LEARNER],
                "status": "Active",
            }
            for n in range(1, 8)
        ]
        self.ags_down = False
        self.deep_link_custom: dict[str, str] = {"level": "MN"}
        # What the openid-configuration says its issuer is (a test may lie).
        self.configured_issuer: str | None = None
        self.jwks_fetches = 0
        self.tokens: dict[str, set[str]] = {}
        self.custom: dict[str, str] = {"module_code": "GVPT 15", "temis_id": "T-0001"}
        self.user = {"sub": "user-1", "name": "Nguyễn Thị Lan", "email": "lan@school.edu.vn"}
        # A test may change the next id_token: f(header, claims) -> (header, claims).
        self.tamper: Callable[[dict[str, Any], dict[str, Any]], tuple[dict, dict]] | None = None
        self._tool_keys: KeySet | None = None
        self._tool_keys_at = 0.0
        self.app = self._build_app()

    # Keys --------------------------------------------------------------------------------

    @property
    def key(self) -> RSAKey:
        """The key the platform signs with now."""
        return self.keys[-1]

    def rotate(self, keep_old: bool = False) -> None:
        """Sign with a new key; publish only it unless ``keep_old``."""
        self.keys = [*self.keys, RSAKey.generate_key(2048, auto_kid=True)]
        if not keep_old:
            self.keys = self.keys[-1:]

    def jwks(self) -> dict[str, Any]:
        """The published public keys."""
        out = []
        for key in self.keys:
            public = dict(key.as_dict(private=False))
            public.update({"alg": "RS256", "use": "sig", "kid": key.kid})
            out.append(public)
        return {"keys": out}

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: RSAKey | None = None,
        header: dict[str, Any] | None = None,
    ) -> str:
        """A compact JWS of ``claims`` (RS256 with our current key unless told)."""
        signing = key or self.key
        head = {"alg": "RS256", "kid": signing.kid, "typ": "JWT", **(header or {})}
        return jwt.encode(head, claims, signing)

    # Claims ------------------------------------------------------------------------------

    def launch_claims(
        self,
        nonce: str,
        message: str = "resource",
        *,
        resource_link_id: str = "link-1",
        user: dict[str, str] | None = None,
        custom: dict[str, str] | None = None,
        roles: list[str] | None = None,
    ) -> dict[str, Any]:
        """The claims of a resource-link or deep-linking launch."""
        assert self.tool is not None, "the tool is not registered with the platform"
        now = int(time.time())
        person = user or self.user
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": person["sub"],
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "name": person.get("name"),
            "email": person.get("email"),
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "target_link_uri": self.tool.launch_url,
            LTI + "context": {"id": self.context_id, "title": "BDTX 2025-2026 · Trường THCS A"},
            LTI + "tool_platform": {"guid": "platform-1", "name": "Test LMS"},
            NRPS: {
                "context_memberships_url": f"{self.url}/nrps/{self.context_id}/memberships",
                "service_versions": ["2.0"],
            },
        }
        if message == "deep_link":
            claims[LTI + "message_type"] = "LtiDeepLinkingRequest"
            claims[LTI + "roles"] = roles or [INSTRUCTOR]
            claims[DL + "deep_linking_settings"] = {
                "deep_link_return_url": f"{self.url}/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": False,
                "data": "opaque-" + secrets.token_hex(4),
            }
            claims[LTI + "custom"] = dict(self.deep_link_custom)
        else:
            claims[LTI + "message_type"] = "LtiResourceLinkRequest"
            claims[LTI + "roles"] = roles or [LEARNER]
            claims[LTI + "resource_link"] = {"id": resource_link_id, "title": "Mô đun"}
            claims[LTI + "custom"] = dict(self.custom if custom is None else custom)
            item = self.ensure_line_item(resource_link_id)
            claims[AGS] = {
                "scope": [SCOPE_LINEITEM, SCOPE_SCORE],
                "lineitems": f"{self.url}/ags/{self.context_id}/lineitems",
                "lineitem": item["id"],
            }
        return claims

    def ensure_line_item(self, resource_link_id: str) -> dict[str, Any]:
        """The line item of a resource link (as the LMS made it from the deep link)."""
        for item in self.line_items.values():
            if item.get("resourceLinkId") == resource_link_id:
                return item
        return self._new_line_item(
            {"label": "GVPT 15", "scoreMaximum": 100, "resourceLinkId": resource_link_id}
        )

    def _new_line_item(self, body: dict[str, Any]) -> dict[str, Any]:
        item_id = f"{self.url}/ags/{self.context_id}/lineitems/{uuid.uuid4().hex[:8]}"
        item = {**body, "id": item_id}
        self.line_items[item_id.rsplit("/", 1)[1]] = item
        return item

    # The tool's keys (for client assertions and deep-linking responses) ------------------

    def _tool_key_set(self, kid: str) -> KeySet:
        assert self.tool is not None
        stale = self._tool_keys is None or time.monotonic() - self._tool_keys_at > 600
        known = self._tool_keys is not None and any(k.kid == kid for k in self._tool_keys.keys)
        if stale or not known:
            self.received.tool_jwks_fetches += 1
            document = httpx.get(self.tool.jwks_url, timeout=5).json()
            self._tool_keys = KeySet.import_key_set(document)
            self._tool_keys_at = time.monotonic()
        assert self._tool_keys is not None
        return self._tool_keys

    def verify_tool_jwt(self, token: str) -> dict[str, Any]:
        """Claims of a JWT the tool signed (RS256, kid in the tool's JWKS)."""
        header = json.loads(_b64(token.split(".")[0]))
        if header.get("alg") != "RS256" or not header.get("kid"):
            raise ValueError(f"bad header {header}")
        decoded = jwt.decode(token, self._tool_key_set(header["kid"]), algorithms=["RS256"])
        return dict(decoded.claims)

    # The app -----------------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI()
        platform = self

        @app.get("/.well-known/openid-configuration")
        def openid_configuration() -> dict[str, Any]:
            return {
                "issuer": platform.configured_issuer or platform.issuer,
                "authorization_endpoint": f"{platform.url}/auth",
                "token_endpoint": f"{platform.url}/token",
                "jwks_uri": f"{platform.url}/jwks",
                "registration_endpoint": f"{platform.url}/register",
                "scopes_supported": ["openid", SCOPE_SCORE, SCOPE_LINEITEM, SCOPE_NRPS],
                "response_types_supported": ["id_token"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                    "product_family_code": "testlms",
                    "version": "1.0",
                    "messages_supported": [
                        {"type": "LtiResourceLinkRequest"},
                        {"type": "LtiDeepLinkingRequest"},
                    ],
                },
            }

        @app.post("/register")
        async def register(
            request: Request, authorization: str = Header(default="")
        ) -> JSONResponse:
            if authorization != f"Bearer {platform.registration_token}":
                raise HTTPException(401, "bad registration token")
            body = await request.json()
            platform.received.registrations.append(body)
            tool_config = body["https://purl.imsglobal.org/spec/lti-tool-configuration"]
            platform.tool = ToolEndpoints(
                login_url=body["initiate_login_uri"],
                launch_url=tool_config["target_link_uri"],
                jwks_url=body["jwks_uri"],
                deep_link_url=tool_config["messages"][0]["target_link_uri"],
            )
            answer = dict(body)
            answer["client_id"] = platform.client_id
            answer["https://purl.imsglobal.org/spec/lti-tool-configuration"] = {
                **tool_config,
                "deployment_id": platform.deployment_id,
            }
            return JSONResponse(answer)

        @app.get("/jwks")
        def jwks() -> JSONResponse:
            platform.jwks_fetches += 1
            return JSONResponse(platform.jwks(), headers={"Cache-Control": "max-age=600"})

        @app.api_route("/auth", methods=["GET", "POST"])
        async def auth(request: Request) -> Response:
            params = dict(request.query_params)
            if request.method == "POST":
                params.update({k: str(v) for k, v in (await request.form()).items()})
            platform.received.auth_requests.append(params)
            assert platform.tool is not None
            if params.get("client_id") != platform.client_id:
                return HTMLResponse("unknown client", 400)
            if params.get("redirect_uri") != platform.tool.launch_url:
                return HTMLResponse("redirect_uri not registered", 400)
            if params.get("response_type") != "id_token" or params.get("scope") != "openid":
                return HTMLResponse("bad OIDC request", 400)
            hint = params.get("lti_message_hint", "resource:link-1")
            message, _, link = hint.partition(":")
            claims = platform.launch_claims(
                params["nonce"], message, resource_link_id=link or "link-1"
            )
            header: dict[str, Any] = {}
            if platform.tamper is not None:
                header, claims = platform.tamper(header, claims)
            token = platform.sign(claims, header=header)
            return HTMLResponse(auto_post(params["redirect_uri"], token, params["state"]))

        @app.post("/token")
        async def token(request: Request) -> JSONResponse:
            platform.received.token_requests += 1
            form = {k: str(v) for k, v in (await request.form()).items()}
            try:
                if form.get("grant_type") != "client_credentials":
                    raise ValueError("grant_type")
                claims = platform.verify_tool_jwt(form["client_assertion"])
                if claims.get("iss") != platform.client_id or claims.get("sub") != claims["iss"]:
                    raise ValueError("iss/sub")
                if claims.get("aud") not in (f"{platform.url}/token", [f"{platform.url}/token"]):
                    raise ValueError("aud")
                if int(claims["exp"]) < time.time():
                    raise ValueError("exp")
            except (ValueError, KeyError, JoseError) as exc:
                platform.received.token_errors.append(str(exc))
                return JSONResponse({"error": "invalid_client"}, 401)
            value = secrets.token_urlsafe(16)
            platform.tokens[value] = set(form.get("scope", "").split())
            return JSONResponse({"access_token": value, "token_type": "Bearer", "expires_in": 3600})

        def bearer(authorization: str, scope: str) -> None:
            scopes = platform.tokens.get(authorization.removeprefix("Bearer "))
            if scopes is None or scope not in scopes:
                raise HTTPException(401, "bad token")

        @app.get("/ags/{context}/lineitems")
        def list_items(
            context: str, resource_link_id: str = "", authorization: str = Header(default="")
        ) -> JSONResponse:
            bearer(authorization, SCOPE_LINEITEM)
            items = [
                i
                for i in platform.line_items.values()
                if not resource_link_id or i.get("resourceLinkId") == resource_link_id
            ]
            return JSONResponse(
                items, media_type="application/vnd.ims.lis.v2.lineitemcontainer+json"
            )

        @app.post("/ags/{context}/lineitems")
        async def create_item(
            context: str, request: Request, authorization: str = Header(default="")
        ) -> JSONResponse:
            bearer(authorization, SCOPE_LINEITEM)
            body = await request.json()
            if "label" not in body or "scoreMaximum" not in body:
                raise HTTPException(400, "label and scoreMaximum required")
            return JSONResponse(platform._new_line_item(body), 201)

        @app.get("/ags/{context}/lineitems/{item}")
        def get_item(context: str, item: str, authorization: str = Header(default="")) -> Any:
            bearer(authorization, SCOPE_LINEITEM)
            if item not in platform.line_items:
                raise HTTPException(404)
            return platform.line_items[item]

        @app.put("/ags/{context}/lineitems/{item}")
        async def put_item(
            context: str, item: str, request: Request, authorization: str = Header(default="")
        ) -> Any:
            bearer(authorization, SCOPE_LINEITEM)
            if item not in platform.line_items:
                raise HTTPException(404)
            body = await request.json()
            platform.line_items[item] = {**body, "id": platform.line_items[item]["id"]}
            return platform.line_items[item]

        @app.delete("/ags/{context}/lineitems/{item}")
        def delete_item(context: str, item: str, authorization: str = Header(default="")) -> Any:
            bearer(authorization, SCOPE_LINEITEM)
            if platform.line_items.pop(item, None) is None:
                raise HTTPException(404)
            return Response(status_code=204)

        @app.post("/ags/{context}/lineitems/{item}/scores")
        async def score(
            context: str,
            item: str,
            request: Request,
            authorization: str = Header(default=""),
            content_type: str = Header(default=""),
        ) -> Response:
            if platform.ags_down:
                return Response("maintenance", 503)
            bearer(authorization, SCOPE_SCORE)
            if content_type != "application/vnd.ims.lis.v1.score+json":
                raise HTTPException(415, "score content type")
            if item not in platform.line_items:
                raise HTTPException(404)
            body = await request.json()
            platform.received.scores.append({"lineitem": item, **body})
            return Response(status_code=204)

        @app.get("/nrps/{context}/memberships")
        def memberships(
            context: str,
            limit: int = 3,
            page: int = 0,
            authorization: str = Header(default=""),
        ) -> JSONResponse:
            bearer(authorization, SCOPE_NRPS)
            chunk = platform.members[page * limit : (page + 1) * limit]
            headers = {}
            if (page + 1) * limit < len(platform.members):
                query = urlencode({"limit": limit, "page": page + 1})
                headers["Link"] = f'<{platform.url}/nrps/{context}/memberships?{query}>; rel="next"'
            return JSONResponse(
                {"id": f"{platform.url}/nrps/{context}/memberships", "members": chunk},
                headers=headers,
                media_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
            )

        @app.post("/deep-link-return")
        def deep_link_return(JWT: str = Form(...)) -> HTMLResponse:
            try:
                claims = platform.verify_tool_jwt(JWT)
                if claims.get("iss") != platform.client_id:
                    raise ValueError("iss is not the client id")
                aud = claims.get("aud")
                if platform.issuer not in (aud if isinstance(aud, list) else [aud]):
                    raise ValueError("aud lacks the issuer")
                if claims.get(LTI + "message_type") != "LtiDeepLinkingResponse":
                    raise ValueError("message_type")
                if claims.get(LTI + "deployment_id") != platform.deployment_id:
                    raise ValueError("deployment_id")
                if not claims.get("nonce") or int(claims["exp"]) < time.time():
                    raise ValueError("nonce/exp")
            except (ValueError, KeyError, JoseError) as exc:
                platform.received.deep_link_errors.append(str(exc))
                return HTMLResponse("<p id='result'>rejected</p>", 400)
            items = claims.get(DL + "content_items", [])
            platform.received.deep_link_items.extend(items)
            titles = ", ".join(html.escape(str(i.get("title"))) for i in items)
            return HTMLResponse(f"<p id='result'>received {len(items)}: {titles}</p>")

        @app.get("/course")
        def course(message: str = "deep_link") -> HTMLResponse:
            assert platform.tool is not None
            fields = {
                "iss": platform.issuer,
                "login_hint": platform.user["sub"],
                "target_link_uri": platform.tool.launch_url,
                "lti_message_hint": message,
                "client_id": platform.client_id,
                "lti_deployment_id": platform.deployment_id,
                "lti_storage_target": "_parent",
            }
            return HTMLResponse(course_page(platform.tool.login_url, fields))

        return app


def _b64(part: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def auto_post(action: str, id_token: str, state: str) -> str:
    """The form_post response of the authorization endpoint."""
    return (
        "<!doctype html><html><body>"
        f'<form id="f" method="post" action="{html.escape(action, quote=True)}">'
        f'<input type="hidden" name="id_token" value="{html.escape(id_token, quote=True)}">'
        f'<input type="hidden" name="state" value="{html.escape(state, quote=True)}">'
        "</form><script>document.getElementById('f').submit();</script></body></html>"
    )


def course_page(login_url: str, fields: dict[str, str]) -> str:
    """A course page framing the tool and answering LTI Platform Storage messages."""
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v, quote=True)}">'
        for k, v in fields.items()
    )
    tool_origin = "{0.scheme}://{0.netloc}".format(urlsplit(login_url))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Course</title></head>
<body><h1>Test LMS course</h1>
<form id="start" method="post" target="tool" action="{html.escape(login_url, quote=True)}">
{inputs}</form>
<iframe name="tool" id="tool" style="width:1000px;height:700px"></iframe>
<script>
var store = {{}};
var toolOrigin = {json.dumps(tool_origin)};
window.storageLog = [];
window.addEventListener('message', function (event) {{
  var data = event.data || {{}};
  if (event.origin !== toolOrigin) {{ return; }}
  window.storageLog.push(data.subject);
  var reply = {{message_id: data.message_id, key: data.key}};
  if (data.subject === 'lti.put_data') {{
    store[data.key] = data.value; reply.subject = 'lti.put_data.response'; reply.value = data.value;
  }} else if (data.subject === 'lti.get_data') {{
    reply.subject = 'lti.get_data.response'; reply.value = store[data.key];
  }} else {{ return; }}
  event.source.postMessage(reply, event.origin);
}});
document.getElementById('start').submit();
</script></body></html>"""


class Browser:
    """An httpx client that keeps cookies by name, ``Secure`` ones over http too.

    Browsers accept ``Secure`` cookies from loopback hosts; Python's cookie jar does not,
    so this keeps them itself (the tool scopes its cookies to ``/lti/``).
    """

    def __init__(self) -> None:
        self.client = httpx.Client(timeout=15, follow_redirects=False)
        self.cookies: dict[str, str] = {}

    def close(self) -> None:
        """Close the client."""
        self.client.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send with our cookies; remember the ones set."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.client.request(method, url, headers=headers, **kwargs)
        for raw in response.headers.get_list("set-cookie"):
            name, _, rest = raw.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response


@dataclass(frozen=True)
class AuthRequest:
    """The tool's redirect to the platform's authorization endpoint."""

    url: str
    params: dict[str, str]

    @property
    def state(self) -> str:
        """The state the tool generated."""
        return self.params["state"]

    @property
    def nonce(self) -> str:
        """The nonce the tool generated."""
        return self.params["nonce"]


def login(
    browser: Browser, platform: TestPlatform, *, message: str = "resource:link-1", **extra: str
) -> AuthRequest:
    """OIDC step 1 against the tool; returns where the tool sends the browser."""
    assert platform.tool is not None
    form = {
        "iss": platform.issuer,
        "login_hint": platform.user["sub"],
        "target_link_uri": platform.tool.launch_url,
        "lti_message_hint": message,
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
        **extra,
    }
    response = browser.request("POST", platform.tool.login_url, data=form)
    if response.status_code == 302:
        location = response.headers["location"]
    else:
        match = re.search(r'"location":\s*"([^"]+)"', response.text)
        assert match, f"login did not redirect: {response.status_code} {response.text[:300]}"
        location = json.loads(f'"{match.group(1)}"')
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    return AuthRequest(location, query)


def authorize(browser: Browser, auth: AuthRequest) -> tuple[str, dict[str, str]]:
    """OIDC step 2 at the platform: the form it auto-posts (action, fields)."""
    response = browser.request("GET", auth.url)
    assert response.status_code == 200, response.text
    action = html.unescape(re.search(r'action="([^"]+)"', response.text).group(1))  # type: ignore[union-attr]
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', response.text)
    }
    return action, fields


def launch_flow(
    browser: Browser, platform: TestPlatform, message: str = "resource:link-1", **extra: str
) -> httpx.Response:
    """Login, authorization and launch, as a browser with cookies does them."""
    auth = login(browser, platform, message=message, **extra)
    action, fields = authorize(browser, auth)
    return browser.request("POST", action, data=fields)


def hidden(page: str, name: str) -> str:
    """The value of a hidden input of ``page``."""
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert match, f"no hidden field {name!r} in page"
    return html.unescape(match.group(1))


@dataclass
class ToolServer:
    """The gateway served in a thread, with its LTI context and database at hand."""

    url: str
    app: Any
    context: Any

    def endpoints(self) -> ToolEndpoints:
        """The tool's URLs as an admin would type them into the platform."""
        return ToolEndpoints(
            login_url=self.url + "/lti/login",
            launch_url=self.url + "/lti/launch",
            jwks_url=self.url + "/lti/jwks",
            deep_link_url=self.url + "/lti/launch",
        )

    def register(self, platform: TestPlatform, *, deployment: bool = True) -> int:
        """Register ``platform`` with the tool (as ``gateway platforms add`` does)."""
        from gateway.lti.platforms import add_platform

        platform.tool = self.endpoints()

        def add(session: Any) -> int:
            row = add_platform(
                session,
                issuer=platform.issuer,
                client_id=platform.client_id,
                auth_login_url=f"{platform.url}/auth",
                auth_token_url=f"{platform.url}/token",
                key_set_url=f"{platform.url}/jwks",
                name="Test LMS",
                deployment_ids=(platform.deployment_id,) if deployment else (),
            )
            return int(row.id)

        result: int = self.context.database.transaction(add)
        return result

    def count(self, table: str) -> int:
        """Rows in one table."""
        from sqlalchemy import text

        def run(session: Any) -> int:
            return int(session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())

        value: int = self.context.database.transaction(run)
        return value


@contextmanager
def run_tool(database_url: str, **lti: Any) -> Iterator[ToolServer]:
    """The gateway on a free loopback port over ``database_url`` (LTI settings overridable)."""
    from pydantic import SecretStr

    from gateway.app import create_app
    from gateway.lti.context import LtiContext
    from gateway.lti.settings import LtiSettings
    from gateway.settings import Settings

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    secret = "test-secret-" + secrets.token_hex(8)
    settings = Settings(
        database_url=database_url,
        environment="test",
        embedded_workers=False,
        public_url=url,
        secret_key=SecretStr(secret),
    )
    app = create_app(settings)
    context = LtiContext(app.state.database, LtiSettings(**lti), url, secret)
    app.state.lti = context
    with serve(app, port):
        yield ToolServer(url, app, context)
