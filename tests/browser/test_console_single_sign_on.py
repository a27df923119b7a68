"""Single sign-on in the console, in headless Chromium: the authorization code flow with PKCE
against an OIDC provider on loopback, whose access token the API's authorizer then accepts.

The provider is real HTTP (discovery, authorize, token, JWKS), as the browser and the authorizer
would meet one; it signs in whoever comes, and checks what a provider checks: the client, the
redirect URI, the state round trip (the console's job), and the PKCE verifier against the S256
challenge."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from playwright.sync_api import Page, expect

from tests.browser.console import WAIT_MS, Console, h1, session
from tests.e2e.runtime import LocalRuntime, start_local_runtime, stop

pytestmark = pytest.mark.e2e

CLIENT_ID = "integration-console"
TENANT = "sso-tenant"
SCOPES = "openid webhooks:read webhooks:write"


class Provider:
    """An OIDC provider on 127.0.0.1 that signs in one person, ``sub`` ``person-1``."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwk = {**RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True), "kid": "k1", "use": "sig", "alg": "RS256"}
        self.codes: dict[str, dict[str, str]] = {}  # code -> the authorization request
        self.token_requests: list[dict[str, str]] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Access-Control-Allow-Origin", "*")  # the console fetches from its own origin
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_OPTIONS(self) -> None:
                self._answer(
                    204,
                    headers={"Access-Control-Allow-Headers": "content-type, accept", "Access-Control-Allow-Methods": "GET, POST"},
                )

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._answer(200, provider.discovery())
                elif url.path == "/keys":
                    self._answer(200, {"keys": [provider.jwk]})
                elif url.path == "/authorize":
                    query = dict(urllib.parse.parse_qsl(url.query))
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = query
                    back = f"{query['redirect_uri']}?{urllib.parse.urlencode({'code': code, 'state': query['state']})}"
                    self._answer(302, headers={"Location": back})
                else:
                    self._answer(404, {"error": "not_found"})

            def do_POST(self) -> None:
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers.get("content-length") or 0)).decode()))
                provider.token_requests.append(form)
                request = provider.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "").encode()
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
                if (
                    request is None
                    or form.get("grant_type") != "authorization_code"
                    or form.get("client_id") != request["client_id"]
                    or form.get("redirect_uri") != request["redirect_uri"]
                    or request.get("code_challenge_method") != "S256"
                    or challenge != request.get("code_challenge")
                ):
                    self._answer(400, {"error": "invalid_grant"})
                    return
                self._answer(200, {"access_token": provider.token(request["scope"]), "token_type": "Bearer", "expires_in": 600})

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def discovery(self) -> dict[str, str]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/keys",
        }

    def token(self, scope: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": "person-1",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 600,
            "custom:tenant_id": TENANT,
            "scope": scope,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    running = Provider()
    try:
        yield running
    finally:
        running.server.shutdown()


@pytest.fixture(scope="module")
def console_runtime(tmp_path_factory: pytest.TempPathFactory, provider: Provider) -> Iterator[LocalRuntime]:
    """The module's runtime, with single sign-on through ``provider``."""
    overrides = f"OidcIssuer={provider.url} OidcAudience={CLIENT_ID} ConsoleOidcClientId={CLIENT_ID} 'ConsoleOidcScopes={SCOPES}'"
    runtime = start_local_runtime(tmp_path_factory.mktemp("sso-runtime"), overrides)
    try:
        yield runtime
    finally:
        stop(runtime)


def test_single_sign_on_signs_in_with_the_providers_access_token(console: Console, page: Page, provider: Provider) -> None:
    console.open(page, "")
    expect(h1(page, "Sign in")).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Sign in with single sign-on").click()

    expect(h1(page, "Endpoints")).to_be_visible(timeout=WAIT_MS)
    assert page.url == console.url + "#/endpoints"  # the code and state left the address bar
    stored = json.loads(session(page) or "null")
    assert stored is not None and stored["kind"] == "oidc", stored
    assert 0 < stored["expiresAt"] - time.time() * 1000 <= 600_000  # the token's expires_in

    (authorization,) = [form for form in provider.token_requests if "code" in form]
    assert authorization["client_id"] == CLIENT_ID
    assert authorization["redirect_uri"] == console.url
    claims = jwt.decode(stored["token"], options={"verify_signature": False})
    assert claims["scope"] == SCOPES  # what the console asked for (ConsoleOidcScopes)

    # The API takes the token: the console acts for the person's tenant, with the token's scopes.
    status, who = console.api("GET", "/whoami", key=stored["token"])
    assert status == 200, who
    assert (who["tenant_id"], who["credential_id"], who["api_key_id"]) == (TENANT, "oidc:person-1", None)
    assert sorted(who["scopes"]) == ["webhooks:read", "webhooks:write"]
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="API keys", exact=True)).to_be_hidden()  # no api-keys scope
    expect(page.get_by_role("link", name="Add endpoint")).to_be_visible()


def test_the_page_may_call_the_provider_and_no_other_origin(console: Console, provider: Provider) -> None:
    with urllib.request.urlopen(console.url, timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
        page = response.read().decode()
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["connect-src"] == f"'self' {provider.url}"
    assert f'"oidc":{{"issuer":"{provider.url}","clientId":"{CLIENT_ID}","scope":"{SCOPES}"}}' in page
