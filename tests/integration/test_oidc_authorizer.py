"""Sign-in for people: the authorizer accepts OIDC JWTs from the configured issuer.

Keys are made here (cryptography), the issuer's openid-configuration and JWKS are served by a
real HTTP server on loopback, and the authorizer fetches them with urllib as it would in AWS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from integration.domain.errors import AuthenticationError
from integration.infrastructure.oidc import IssuerJwksSource, JwksCache, JwtVerifier, OidcSettings
from local_runtime.resources import Stack
from local_runtime.template import PROJECT_ROOT, Template
from tests.conftest import Api
from tests.integration.helpers import create_key

AUDIENCE = "integration-web-client"
TENANT_CLAIM = "custom:tenant_id"  # the template's default OidcTenantClaim


# ---------------------------------------------------------------------------------- the issuer


class SigningKey:
    """A key pair made for the test, with its public half as a JWK."""

    def __init__(self, kid: str, kind: str = "RSA") -> None:
        self.kid = kid
        if kind == "RSA":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.algorithm = "RS256"
            self.jwk = {**RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True), "kid": kid, "use": "sig", "alg": "RS256"}
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.algorithm = "ES256"
            self.jwk = {**ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True), "kid": kid, "use": "sig"}

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


class Issuer:
    """An OIDC issuer on 127.0.0.1: discovery document and JWKS, switchable off, counting requests."""

    def __init__(self) -> None:
        self.keys: list[SigningKey] = []
        self.down = False
        self.requests: list[str] = []
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                issuer.requests.append(self.path)
                if issuer.down:
                    self._answer(503, {"message": "down"})
                elif self.path == "/.well-known/openid-configuration":
                    self._answer(200, {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/keys"})
                elif self.path == "/keys":
                    self._answer(200, {"keys": [key.jwk for key in issuer.keys]})
                else:
                    self._answer(404, {"message": "not found"})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()

    def jwks_fetches(self) -> int:
        return self.requests.count("/keys")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def key_a() -> SigningKey:
    return SigningKey("key-a")


@pytest.fixture(scope="module")
def key_b() -> SigningKey:
    return SigningKey("key-b")


@pytest.fixture
def issuer(key_a: SigningKey) -> Iterator[Issuer]:
    server = Issuer()
    server.keys = [key_a]
    yield server
    server.close()


def configure(monkeypatch: pytest.MonkeyPatch, template: Template, **parameters: str) -> None:
    """The authorizer's environment as template.yaml gives it for these parameters."""
    for name, value in Stack(template, {"Stage": "test", **parameters}).function_environment("AuthorizerFunction").items():
        if name.startswith("OIDC_"):
            monkeypatch.setenv(name, value)


@pytest.fixture
def oidc(aws: Any, issuer: Issuer, template: Template, monkeypatch: pytest.MonkeyPatch) -> Issuer:
    """The authorizer configured for ``issuer`` (discovery), with an audience."""
    configure(monkeypatch, template, OidcIssuer=issuer.url, OidcAudience=AUDIENCE)
    return issuer


def claims_for(issuer: Issuer, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": issuer.url,
        "aud": AUDIENCE,
        "sub": "user-123",
        "iat": now,
        "exp": now + 300,
        TENANT_CLAIM: "tenant-j",
        "scope": "openid webhooks:read api-keys:read",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(key: SigningKey, claims: dict[str, Any], *, kid: str | None = None, algorithm: str | None = None) -> str:
    return jwt.encode(claims, key.private, algorithm=algorithm or key.algorithm, headers={"kid": kid or key.kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], claims: dict[str, Any], signer: Callable[[bytes], bytes]) -> str:
    """A token PyJWT would refuse to make (alg none, HS256 keyed with a public key)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(signer(signing_input.encode()))}"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def refused(api: Api, headers: dict[str, str]) -> None:
    with pytest.raises(Exception) as raised:  # noqa: PT011 - API Gateway's contract is a bare Exception
        api.authorize(headers)
    assert type(raised.value) is Exception and str(raised.value) == "Unauthorized"


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    from integration.observability import logger  # Powertools reads its environment on first import

    stream = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", stream)
    return stream


def refusal_reasons(log: io.StringIO) -> list[str]:
    return [entry["reason"] for entry in map(json.loads, log.getvalue().splitlines()) if entry.get("message") == "refused"]


# ---------------------------------------------------------------------------------- accepted


def test_a_valid_token_is_authorized_with_its_tenant_subject_and_this_services_scopes(api: Api, oidc: Issuer, key_a: SigningKey) -> None:
    token = sign(key_a, claims_for(oidc, scope="openid profile webhooks:read api-keys:read billing:write"))

    response = api.authorize(bearer(token))

    assert response == {
        "isAuthorized": True,
        "context": {"tenantId": "tenant-j", "keyId": "", "credentialId": "oidc:user-123", "scopes": "api-keys:read webhooks:read", "expiresAt": ""},
    }
    assert oidc.requests == ["/.well-known/openid-configuration", "/keys"]


def test_the_context_lets_the_signed_in_person_use_exactly_its_scopes(api: Api, oidc: Issuer, key_a: SigningKey) -> None:
    context = api.authorize(bearer(sign(key_a, claims_for(oidc, scope="api-keys:read"))))["context"]

    listed = api.call("GET", "/api-keys", tenant=context["tenantId"], scopes=context["scopes"])
    created = api.call("POST", "/api-keys", tenant=context["tenantId"], scopes=context["scopes"], body={"name": "x", "scopes": ["api-keys:read"]})

    assert listed[0] == 200 and created[0] == 403


def test_scopes_may_come_as_an_scp_list(api: Api, oidc: Issuer, key_a: SigningKey) -> None:
    token = sign(key_a, claims_for(oidc, scope=None, scp=["webhooks:write", "webhooks:read", "User.Read"]))

    assert api.authorize(bearer(token))["context"]["scopes"] == "webhooks:read webhooks:write"


def test_keys_are_cached_a_second_token_fetches_nothing(api: Api, oidc: Issuer, key_a: SigningKey) -> None:
    for subject in ("first", "second", "third"):
        assert api.authorize(bearer(sign(key_a, claims_for(oidc, sub=subject))))["context"]["credentialId"] == f"oidc:{subject}"

    assert oidc.requests == ["/.well-known/openid-configuration", "/keys"]


def test_an_aud_list_holding_the_audience_and_a_cognito_access_token_with_client_id_are_accepted(
    api: Api, oidc: Issuer, key_a: SigningKey
) -> None:
    listed = sign(key_a, claims_for(oidc, aud=["another-api", AUDIENCE]))
    access_token = sign(key_a, claims_for(oidc, aud=None, client_id=AUDIENCE, token_use="access"))

    assert api.authorize(bearer(listed))["isAuthorized"] is True
    assert api.authorize(bearer(access_token))["isAuthorized"] is True


def test_an_ec_key_and_es256_work_too(api: Api, oidc: Issuer) -> None:
    ec_key = SigningKey("key-ec", kind="EC")
    oidc.keys.append(ec_key)

    assert api.authorize(bearer(sign(ec_key, claims_for(oidc))))["context"]["tenantId"] == "tenant-j"


def test_a_configured_jwks_url_is_used_without_discovery_and_the_tenant_claim_is_configurable(
    api: Api, aws: Any, issuer: Issuer, key_a: SigningKey, template: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, template, OidcIssuer=issuer.url, OidcJwksUrl=f"{issuer.url}/keys", OidcTenantClaim="org_id")

    token = sign(key_a, claims_for(issuer, **{"org_id": "tenant-o", TENANT_CLAIM: None, "aud": "anything"}))

    assert api.authorize(bearer(token))["context"]["tenantId"] == "tenant-o"  # no OidcAudience: aud not checked
    assert issuer.requests == ["/keys"]


def test_a_scope_prefix_keeps_only_the_prefixed_scopes_without_it(
    api: Api, aws: Any, issuer: Issuer, key_a: SigningKey, template: Template, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, template, OidcIssuer=issuer.url, OidcScopePrefix="integration/")
    token = sign(key_a, claims_for(issuer, scope="integration/webhooks:read api-keys:read other/api-keys:write"))

    assert api.authorize(bearer(token))["context"]["scopes"] == "webhooks:read"


# ---------------------------------------------------------------------------------- refused


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        pytest.param({"exp": int(time.time()) - 120}, "the token has expired (exp)", id="expired"),
        pytest.param({"nbf": int(time.time()) + 600}, "the token is not valid yet (nbf)", id="nbf-in-the-future"),
        pytest.param({"iss": "https://issuer.example.com"}, "the token is from another issuer (iss)", id="wrong-iss"),
        pytest.param({"aud": "another-api"}, "the token is for another audience (aud)", id="wrong-aud"),
        pytest.param({"aud": None}, "the token has no aud (or client_id) for this API", id="no-aud"),
        pytest.param({"aud": None, "client_id": "another-client"}, "the token has no aud (or client_id) for this API", id="wrong-client-id"),
        pytest.param({TENANT_CLAIM: None}, f"the token has no tenant claim {TENANT_CLAIM}", id="no-tenant-claim"),
        pytest.param({TENANT_CLAIM: "acme#WEBHOOK#wh_1"}, f"the token's tenant claim {TENANT_CLAIM} is not a valid tenant id", id="tenant-with-#"),
        pytest.param({"exp": None}, "the token has no exp claim", id="no-exp"),
        pytest.param({"sub": None}, "the token has no sub claim", id="no-sub"),
    ],
)
def test_a_token_with_a_wrong_or_missing_claim_is_refused_and_the_reason_logged(
    api: Api, oidc: Issuer, key_a: SigningKey, log: io.StringIO, overrides: dict[str, Any], reason: str
) -> None:
    token = sign(key_a, claims_for(oidc, **overrides))

    refused(api, bearer(token))

    assert refusal_reasons(log) == [reason]
    assert token not in log.getvalue() and token.split(".")[2] not in log.getvalue()


def test_a_token_within_the_leeway_of_its_expiry_is_still_accepted(api: Api, oidc: Issuer, key_a: SigningKey) -> None:
    assert api.authorize(bearer(sign(key_a, claims_for(oidc, exp=int(time.time()) - 20))))["isAuthorized"] is True


def test_a_bad_signature_is_refused(api: Api, oidc: Issuer, key_a: SigningKey, key_b: SigningKey, log: io.StringIO) -> None:
    forged = sign(key_b, claims_for(oidc), kid=key_a.kid)  # signed with another key, naming the published one
    genuine = sign(key_a, claims_for(oidc))
    tampered = genuine.split(".")[0] + "." + _b64(json.dumps(claims_for(oidc, **{TENANT_CLAIM: "tenant-x"})).encode()) + "." + genuine.split(".")[2]

    refused(api, bearer(forged))
    refused(api, bearer(tampered))

    assert refusal_reasons(log) == ["the token's signature does not verify"] * 2


def test_alg_none_and_hs256_keyed_with_the_public_key_are_refused(api: Api, oidc: Issuer, key_a: SigningKey, log: io.StringIO) -> None:
    claims = claims_for(oidc)
    unsigned = handmade({"alg": "none", "typ": "JWT", "kid": key_a.kid}, claims, lambda _: b"")
    confused = handmade(
        {"alg": "HS256", "typ": "JWT", "kid": key_a.kid}, claims, lambda data: hmac.new(key_a.public_pem, data, hashlib.sha256).digest()
    )

    refused(api, bearer(unsigned))
    refused(api, bearer(confused))

    assert refusal_reasons(log) == ["the token's algorithm none is not allowed", "the token's algorithm HS256 is not allowed"]
    assert oidc.requests == []  # refused before any key was needed


def test_an_algorithm_that_does_not_fit_the_named_key_is_refused(api: Api, oidc: Issuer, log: io.StringIO) -> None:
    ec_key = SigningKey("key-ec", kind="EC")
    oidc.keys.append(ec_key)
    rsa_key = SigningKey("rsa-claiming-ec")  # an RS256 token naming the EC key

    refused(api, bearer(sign(rsa_key, claims_for(oidc), kid=ec_key.kid)))

    assert refusal_reasons(log) == ["the token's algorithm RS256 does not fit its signing key"]


def test_a_token_from_an_unknown_key_is_refused_without_hammering_the_issuer(
    api: Api, oidc: Issuer, key_a: SigningKey, key_b: SigningKey, log: io.StringIO
) -> None:
    assert api.authorize(bearer(sign(key_a, claims_for(oidc))))["isAuthorized"] is True

    for _ in range(5):
        refused(api, bearer(sign(key_b, claims_for(oidc))))

    assert oidc.jwks_fetches() == 1  # within the refetch interval: no fetch per unknown kid
    assert set(refusal_reasons(log)) == {"the token's signing key (kid) is not in the issuer's JWKS"}


def test_a_jwt_is_refused_when_oidc_sign_in_is_not_configured(
    api: Api, aws: Any, issuer: Issuer, key_a: SigningKey, monkeypatch: pytest.MonkeyPatch, log: io.StringIO
) -> None:
    for name in ("OIDC_ISSUER", "OIDC_AUDIENCE", "OIDC_JWKS_URL"):
        monkeypatch.delenv(name, raising=False)

    refused(api, bearer(sign(key_a, claims_for(issuer))))

    assert refusal_reasons(log) == ["a JWT was presented but OIDC sign-in is not configured (OidcIssuer)"]
    assert issuer.requests == []


def test_the_template_leaves_oidc_sign_in_off_by_default(template: Template) -> None:
    environment = Stack(template, {"Stage": "test"}).function_environment("AuthorizerFunction")

    assert environment["OIDC_ISSUER"] == ""
    assert environment["OIDC_TENANT_CLAIM"] == TENANT_CLAIM


def test_a_jwt_in_x_api_key_is_not_taken_as_a_jwt(api: Api, oidc: Issuer, key_a: SigningKey, log: io.StringIO) -> None:
    refused(api, {"x-api-key": sign(key_a, claims_for(oidc))})

    assert refusal_reasons(log) == ["malformed API key"]


def test_when_the_jwks_is_down_jwts_get_401_and_api_keys_keep_working(
    api: Api, oidc: Issuer, key_a: SigningKey, log: io.StringIO
) -> None:
    key = create_key(api, tenant="tenant-k")["key"]
    oidc.down = True
    token = sign(key_a, claims_for(oidc))

    for _ in range(3):
        refused(api, bearer(token))
    context = api.authorize(bearer(key))["context"]

    assert context["tenantId"] == "tenant-k"
    assert oidc.requests == ["/.well-known/openid-configuration"]  # one attempt; the next ones wait for the interval
    assert set(refusal_reasons(log)) == {"the issuer's signing keys (JWKS) are unavailable"}
    assert token not in log.getvalue()


def test_an_unreachable_issuer_is_a_401_not_an_error(api: Api, aws: Any, key_a: SigningKey, template: Template, monkeypatch: pytest.MonkeyPatch) -> None:
    closed = Issuer()
    closed.close()  # nothing listens on its port any more
    configure(monkeypatch, template, OidcIssuer=closed.url)

    refused(api, bearer(sign(key_a, claims_for(closed))))


# ---------------------------------------------------------------------------------- key rotation


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def verifier(issuer: Issuer, clock: Clock) -> JwtVerifier:
    settings = OidcSettings(issuer=issuer.url, audience=AUDIENCE)
    return JwtVerifier(settings, JwksCache(IssuerJwksSource(settings), monotonic=clock))


def test_a_new_key_in_the_jwks_is_accepted_after_one_refetch(issuer: Issuer, key_a: SigningKey, key_b: SigningKey, clock: Clock) -> None:
    verify = verifier(issuer, clock).verify
    assert verify(sign(key_a, claims_for(issuer)))["sub"] == "user-123"

    issuer.keys = [key_a, key_b]  # the issuer rotates: key B appears
    clock.now += 3
    with pytest.raises(AuthenticationError, match="kid"):
        verify(sign(key_b, claims_for(issuer)))  # within 10 s of the last fetch: not refetched yet
    clock.now += 10
    assert verify(sign(key_b, claims_for(issuer)))["sub"] == "user-123"  # unknown kid: refetched once
    assert verify(sign(key_a, claims_for(issuer)))["sub"] == "user-123"

    assert issuer.jwks_fetches() == 2
    assert issuer.requests.count("/.well-known/openid-configuration") == 1  # discovered once per process


def test_a_key_removed_from_the_jwks_stops_working_once_the_cache_expires(
    issuer: Issuer, key_a: SigningKey, key_b: SigningKey, clock: Clock
) -> None:
    issuer.keys = [key_a, key_b]
    verify = verifier(issuer, clock).verify
    verify(sign(key_a, claims_for(issuer)))

    issuer.keys = [key_b]
    clock.now += 601  # past the 10-minute TTL

    with pytest.raises(AuthenticationError, match="kid"):
        verify(sign(key_a, claims_for(issuer)))
    assert verify(sign(key_b, claims_for(issuer)))["sub"] == "user-123"
    assert issuer.jwks_fetches() == 2


def test_known_keys_outlive_a_jwks_outage_for_an_hour_then_jwts_are_refused(issuer: Issuer, key_a: SigningKey, clock: Clock) -> None:
    verify = verifier(issuer, clock).verify
    verify(sign(key_a, claims_for(issuer)))
    issuer.down = True

    clock.now += 601  # stale: a refetch is tried, fails, and the known key still verifies
    assert verify(sign(key_a, claims_for(issuer)))["sub"] == "user-123"
    clock.now += 3600
    with pytest.raises(AuthenticationError, match="unavailable"):
        verify(sign(key_a, claims_for(issuer)))

    issuer.down = False
    clock.now += 10
    assert verify(sign(key_a, claims_for(issuer)))["sub"] == "user-123"  # back once the issuer is


# ---------------------------------------------------------------------------------- cold start

COLD_START = """
import os, sys
os.environ.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                  POWERTOOLS_SERVICE_NAME="integration", POWERTOOLS_TRACE_DISABLED="true")
os.environ.pop("AWS_ENDPOINT_URL", None)
import boto3
from moto import mock_aws
from local_runtime.resources import Stack
from local_runtime.template import Template
from tests.conftest import Api, lambda_context
with mock_aws():
    template = Template.load()
    stack = Stack(template, {"Stage": "test"})
    stack.create_resources(boto3.Session(region_name="us-east-1"))
    os.environ.update(stack.function_environment("AuthorizerFunction"))
    os.environ["OIDC_ISSUER"] = sys.argv[1]
    from integration.application.api_keys import CreateApiKeyUseCase
    from integration.domain.principal import operator
    from integration import wiring
    key = CreateApiKeyUseCase(wiring.api_key_repository()).execute(
        operator("t"), name="n", scopes=["api-keys:read"], expires_at=None).plaintext
    api = Api(template)
    assert api.authorize({"authorization": "Bearer " + key})["isAuthorized"] is True
    print("after an API key:", "jwt" in sys.modules)
    try:
        api.authorize({"authorization": "Bearer " + sys.argv[2]})
    except Exception as refused:
        print("a JWT:", refused)
    print("after a JWT:", "jwt" in sys.modules)
"""


def test_the_api_key_path_never_imports_pyjwt(key_a: SigningKey) -> None:
    closed = Issuer()
    closed.close()
    token = sign(key_a, claims_for(closed))

    done = subprocess.run(  # noqa: S603 - a fresh interpreter: nothing imported yet
        [sys.executable, "-c", COLD_START, closed.url, token], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120, check=False
    )

    assert done.returncode == 0, done.stderr
    printed = [line for line in done.stdout.splitlines() if not line.startswith("{")]  # not the JSON logs
    assert printed == ["after an API key: False", "a JWT: Unauthorized", "after a JWT: True"]
