"""The JWKS cache, discovery and the fetch URL rules, without the network (the loopback-server
tests are in tests/integration/test_oidc_authorizer.py)."""

from __future__ import annotations

from typing import Any

import pytest

from integration.domain.errors import AuthenticationError
from integration.infrastructure.oidc import (
    IssuerJwksSource,
    JwksCache,
    JwksUnavailableError,
    OidcSettings,
    check_fetch_url,
    parse_jwks,
)

RSA_JWK = {"kty": "RSA", "kid": "a", "n": "AQAB", "e": "AQAB"}


class Keys:
    """What the issuer answers, and how often it was asked."""

    def __init__(self, *kids: str) -> None:
        self.kids = list(kids)
        self.down = False
        self.fetches = 0

    def __call__(self) -> dict[str, dict[str, Any]]:
        self.fetches += 1
        if self.down:
            raise JwksUnavailableError("down")
        return {kid: {**RSA_JWK, "kid": kid} for kid in self.kids}


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def cache(keys: Keys, clock: Clock) -> JwksCache:
    return JwksCache(keys, ttl=600, min_interval=10, max_stale=3600, monotonic=clock)


def test_keys_are_fetched_once_then_served_from_the_cache_until_the_ttl() -> None:
    keys, clock = Keys("a"), Clock()
    jwks = cache(keys, clock)

    for _ in range(5):
        assert jwks.key("a")["kid"] == "a"
    clock.now += 599
    jwks.key("a")
    assert keys.fetches == 1
    clock.now += 1
    jwks.key("a")
    assert keys.fetches == 2


def test_an_unknown_kid_refetches_at_most_once_per_interval() -> None:
    keys, clock = Keys("a"), Clock()
    jwks = cache(keys, clock)
    jwks.key("a")

    for kid in ("x", "y", "z"):
        with pytest.raises(AuthenticationError, match="kid"):
            jwks.key(kid)
    assert keys.fetches == 1
    keys.kids.append("b")
    clock.now += 10
    assert jwks.key("b")["kid"] == "b"
    assert keys.fetches == 2


def test_a_failed_first_fetch_refuses_and_is_not_retried_within_the_interval() -> None:
    keys, clock = Keys("a"), Clock()
    keys.down = True
    jwks = cache(keys, clock)

    for _ in range(3):
        with pytest.raises(AuthenticationError, match="unavailable"):
            jwks.key("a")
    assert keys.fetches == 1
    keys.down = False
    clock.now += 10
    assert jwks.key("a")["kid"] == "a"


def test_known_keys_serve_through_an_outage_for_max_stale_only() -> None:
    keys, clock = Keys("a"), Clock()
    jwks = cache(keys, clock)
    jwks.key("a")
    keys.down = True

    clock.now += 600 + 3599
    assert jwks.key("a")["kid"] == "a"
    clock.now += 1
    with pytest.raises(AuthenticationError, match="unavailable"):
        jwks.key("a")


def test_the_jwks_keeps_signing_keys_of_known_types_only() -> None:
    document = {
        "keys": [
            {**RSA_JWK, "kid": "rsa"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "x", "y": "y", "use": "sig"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {**RSA_JWK, "kid": "enc", "use": "enc"},
            {name: value for name, value in RSA_JWK.items() if name != "kid"},
            {**RSA_JWK, "kid": ""},
            "not a key",
        ]
    }

    assert sorted(parse_jwks(document)) == ["ec", "rsa"]
    for malformed in ([], {}, {"keys": "x"}, None):
        with pytest.raises(JwksUnavailableError):
            parse_jwks(malformed)


@pytest.mark.parametrize(
    ("url", "issuer"),
    [
        ("https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json", "https://cognito-idp.eu-west-1.amazonaws.com/pool"),
        ("https://keys.example.com/jwks", "https://issuer.example.com"),
        ("http://127.0.0.1:8123/keys", "http://127.0.0.1:8123"),
        ("http://localhost:8123/keys", "http://127.0.0.1:8123"),
        ("http://[::1]:8123/keys", "http://localhost:8123"),
    ],
)
def test_https_or_loopback_http_for_a_loopback_http_issuer_may_be_fetched(url: str, issuer: str) -> None:
    check_fetch_url(url, issuer)


@pytest.mark.parametrize(
    ("url", "issuer"),
    [
        ("http://issuer.example.com/keys", "https://issuer.example.com"),  # plain http in a deployment
        ("http://127.0.0.1:8123/keys", "https://issuer.example.com"),  # loopback, but the issuer is not
        ("http://issuer.example.com/keys", "http://127.0.0.1:8123"),  # a loopback issuer allows loopback only
        ("http://169.254.169.254/latest", "http://127.0.0.1:8123"),
        ("file:///etc/passwd", "https://issuer.example.com"),
        ("ftp://issuer.example.com/keys", "https://issuer.example.com"),
        ("https:///no-host", "https://issuer.example.com"),
    ],
)
def test_other_urls_are_never_fetched(url: str, issuer: str) -> None:
    with pytest.raises(JwksUnavailableError):
        check_fetch_url(url, issuer)


def test_discovery_finds_the_jwks_once_and_checks_the_documents_issuer() -> None:
    issuer = "https://issuer.example.com/"
    asked: list[str] = []

    def fetch(url: str, for_issuer: str) -> Any:
        asked.append(url)
        if url.endswith("/openid-configuration"):
            return {"issuer": issuer, "jwks_uri": "https://keys.example.com/jwks"}
        return {"keys": [RSA_JWK]}

    source = IssuerJwksSource(OidcSettings(issuer=issuer), fetch=fetch)
    assert list(source()) == ["a"]
    assert list(source()) == ["a"]

    assert asked == [
        "https://issuer.example.com/.well-known/openid-configuration",
        "https://keys.example.com/jwks",
        "https://keys.example.com/jwks",
    ]


@pytest.mark.parametrize(
    "document",
    [
        pytest.param({"issuer": "https://evil.example.com", "jwks_uri": "https://evil.example.com/jwks"}, id="another-issuer"),
        pytest.param({"issuer": "https://issuer.example.com"}, id="no-jwks-uri"),
        pytest.param({"issuer": "https://issuer.example.com", "jwks_uri": "http://issuer.example.com/jwks"}, id="http-jwks-uri"),
        pytest.param(["not", "an", "object"], id="not-an-object"),
    ],
)
def test_a_discovery_document_that_does_not_fit_gives_no_keys(document: Any) -> None:
    source = IssuerJwksSource(OidcSettings(issuer="https://issuer.example.com"), fetch=lambda url, issuer: document)

    with pytest.raises(JwksUnavailableError):
        source()


def test_a_configured_jwks_url_skips_discovery() -> None:
    asked: list[str] = []
    settings = OidcSettings(issuer="https://issuer.example.com", jwks_url="https://issuer.example.com/keys")
    source = IssuerJwksSource(settings, fetch=lambda url, issuer: asked.append(url) or {"keys": [RSA_JWK]})

    source()

    assert asked == ["https://issuer.example.com/keys"]
