"""OIDC sign-in: verify a JWT from the configured issuer against the issuer's JWKS.

- Only asymmetric algorithms (RS*, PS*, ES*); never ``none`` or HS* (an HS256 token "signed" with
  the issuer's public key is the classic confusion attack). The header's ``alg`` must also fit
  the key it names by ``kid``: its type, its curve, and the key's own ``alg`` if it has one.
- ``exp``, ``iss`` and ``sub`` are required, ``nbf`` and ``iat`` checked when present, all with
  :data:`LEEWAY_SECONDS` of clock skew. With an audience configured, ``aud`` (a string or a
  list) must hold it; a token without ``aud`` may name it in ``client_id`` instead (what a
  Cognito access token carries).
- Keys come from the issuer's JWKS: ``OIDC_JWKS_URL`` if set, else the ``jwks_uri`` of
  ``{issuer}/.well-known/openid-configuration`` (OIDC Discovery; that document's ``issuer``
  must be the configured one). See :class:`JwksCache` for caching and refetching.
- Fetched over https only. Plain http is accepted only when the configured issuer itself is an
  http URL on a loopback host (tests and the local runtime), and then only for loopback URLs.
  Redirects are not followed; answers are capped at :data:`MAX_DOCUMENT_BYTES`.

PyJWT (and with it ``cryptography``) is imported on the first JWT, never on the API-key path.
Every refusal is an :class:`AuthenticationError` whose message says why, never the token.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger

from integration.domain.errors import AuthenticationError


@functools.cache
def _logger() -> Logger:
    return Logger(child=True)  # on first use, once Powertools' environment is surely set


DEFAULT_TENANT_CLAIM = "custom:tenant_id"
# Asymmetric only, each with the key type (and EC curve) it needs.
ALGORITHM_KEYS: dict[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "PS512": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
}
LEEWAY_SECONDS = 60
MAX_TOKEN_LENGTH = 16 * 1024
MAX_DOCUMENT_BYTES = 512 * 1024
MAX_KEYS = 100
FETCH_TIMEOUT_SECONDS = 3.0
JWKS_TTL_SECONDS = 600.0
JWKS_MIN_REFETCH_INTERVAL_SECONDS = 10.0
JWKS_MAX_STALE_SECONDS = 3600.0


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    audience: str | None = None
    tenant_claim: str = DEFAULT_TENANT_CLAIM
    jwks_url: str | None = None  # None: discovered from the issuer
    scope_prefix: str = ""


class JwksUnavailableError(Exception):
    """The JWKS (or the discovery document) could not be fetched or read."""


# ---------------------------------------------------------------------------------- fetching


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_fetch_url(url: str, issuer: str) -> None:
    """https, or http on loopback when the issuer itself is http on loopback (tests, local)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    issuer_parts = urlsplit(issuer)
    if parts.scheme == "http" and _is_loopback(parts.hostname) and issuer_parts.scheme == "http" and _is_loopback(issuer_parts.hostname):
        return
    raise JwksUnavailableError(f"refusing to fetch {parts.scheme or 'a'} URL {parts.hostname or url!r}: https is required")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError for the 3xx


def fetch_json(url: str, issuer: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> Any:
    """GET a JSON document; :class:`JwksUnavailableError` on any failure."""
    check_fetch_url(url, issuer)
    handlers: list[Any] = [_NoRedirects()]
    if _is_loopback(urlsplit(url).hostname):
        handlers.append(urllib.request.ProxyHandler({}))  # loopback never goes through a proxy
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "integration-authorizer/1.0"})  # noqa: S310 - checked above
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_DOCUMENT_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise JwksUnavailableError(f"{url} answered {error.code}") from None
    except (OSError, ValueError) as error:  # URLError, timeouts, connection errors
        raise JwksUnavailableError(f"{url} could not be fetched: {type(error).__name__}: {error}") from None
    if len(body) > MAX_DOCUMENT_BYTES:
        raise JwksUnavailableError(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    try:
        return json.loads(body)
    except ValueError:
        raise JwksUnavailableError(f"{url} did not answer JSON") from None


def parse_jwks(document: Any) -> dict[str, dict[str, Any]]:
    """The signing keys of a JWKS by ``kid``: RSA and EC keys only, not those marked for encryption."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksUnavailableError("the JWKS has no keys list")
    keys: dict[str, dict[str, Any]] = {}
    for jwk in document["keys"][:MAX_KEYS]:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str) or not jwk["kid"]:
            continue
        if jwk.get("kty") not in ("RSA", "EC") or jwk.get("use", "sig") != "sig":
            continue
        keys[jwk["kid"]] = jwk
    return keys


class IssuerJwksSource:
    """Fetches the issuer's JWKS, finding its URL by discovery once when it is not configured."""

    def __init__(self, settings: OidcSettings, fetch: Callable[[str, str], Any] = fetch_json) -> None:
        self._issuer = settings.issuer
        self._jwks_url = settings.jwks_url
        self._fetch = fetch

    def _discover(self) -> str:
        url = self._issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = self._fetch(url, self._issuer)
        if not isinstance(document, dict):
            raise JwksUnavailableError("the discovery document is not a JSON object")
        if document.get("issuer") != self._issuer:
            raise JwksUnavailableError("the discovery document names another issuer")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri:
            raise JwksUnavailableError("the discovery document has no jwks_uri")
        check_fetch_url(jwks_uri, self._issuer)
        return jwks_uri

    def __call__(self) -> dict[str, dict[str, Any]]:
        if self._jwks_url is None:
            self._jwks_url = self._discover()  # remembered for the process: it does not change
        return parse_jwks(self._fetch(self._jwks_url, self._issuer))


# ---------------------------------------------------------------------------------- caching


class JwksCache:
    """The issuer's keys, per process.

    - Fresh for ``ttl`` (10 min): a token whose ``kid`` is known is verified without a fetch.
    - An unknown ``kid`` (the issuer rotated its keys) or stale keys trigger one refetch.
    - Fetch attempts, successful or not, are at least ``min_interval`` (10 s) apart: tokens with
      made-up ``kid`` values cannot make the authorizer hammer the issuer, and while the issuer is
      down at most one request in that interval waits for a timeout; the others are refused at once.
    - When a refetch fails, the keys already known keep verifying for ``max_stale`` (1 h) past
      their freshness: an issuer outage does not sign everyone out. Without keys, JWTs are refused.
    """

    def __init__(
        self,
        fetch_keys: Callable[[], dict[str, dict[str, Any]]],
        *,
        ttl: float = JWKS_TTL_SECONDS,
        min_interval: float = JWKS_MIN_REFETCH_INTERVAL_SECONDS,
        max_stale: float = JWKS_MAX_STALE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch_keys = fetch_keys
        self._ttl = ttl
        self._min_interval = min_interval
        self._max_stale = max_stale
        self._monotonic = monotonic
        self._keys: dict[str, dict[str, Any]] | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str) -> dict[str, Any]:
        """The JWK with this ``kid``; :class:`AuthenticationError` when there is none (or no keys)."""
        with self._lock:
            now = self._monotonic()
            if self._keys is not None and now - self._fetched_at < self._ttl and kid in self._keys:
                return self._keys[kid]
            if self._attempted_at is None or now - self._attempted_at >= self._min_interval:
                self._refresh(now)
            keys = self._keys
            if keys is None or now - self._fetched_at >= self._ttl + self._max_stale:
                raise AuthenticationError("the issuer's signing keys (JWKS) are unavailable")
            if kid not in keys:
                raise AuthenticationError("the token's signing key (kid) is not in the issuer's JWKS")
            return keys[kid]

    def _refresh(self, now: float) -> None:
        self._attempted_at = now
        try:
            keys = self._fetch_keys()
        except JwksUnavailableError as error:
            _logger().warning("JWKS fetch failed", error=str(error), have_keys=self._keys is not None)
            return
        self._keys, self._fetched_at = keys, now
        _logger().info("JWKS fetched", key_count=len(keys))


# ---------------------------------------------------------------------------------- verifying


class JwtVerifier:
    """Checks a token's signature and registered claims; answers its claims."""

    def __init__(self, settings: OidcSettings, keys: JwksCache) -> None:
        self._settings = settings
        self._keys = keys

    @classmethod
    def for_settings(cls, settings: OidcSettings) -> JwtVerifier:
        return cls(settings, JwksCache(IssuerJwksSource(settings)))

    def verify(self, token: str) -> dict[str, Any]:
        import jwt  # here, not at module level: the API-key path never pays for cryptography

        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthenticationError("the token is too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationError("the token is not a well-formed JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHM_KEYS:
            shown = algorithm if isinstance(algorithm, str) and len(algorithm) <= 16 else "?"
            raise AuthenticationError(f"the token's algorithm {shown} is not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > 256:
            raise AuthenticationError("the token names no signing key (kid)")
        jwk = self._keys.key(kid)
        self._check_key_fits(jwk, algorithm)
        try:
            key = jwt.PyJWK(jwk, algorithm=algorithm).key
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self._settings.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("the token has expired (exp)") from None
        except jwt.ImmatureSignatureError:
            raise AuthenticationError("the token is not valid yet (nbf)") from None
        except jwt.InvalidIssuedAtError:
            raise AuthenticationError("the token's iat is invalid") from None
        except jwt.InvalidIssuerError:
            raise AuthenticationError("the token is from another issuer (iss)") from None
        except jwt.MissingRequiredClaimError as error:
            raise AuthenticationError(f"the token has no {error.claim} claim") from None
        except jwt.InvalidSignatureError:
            raise AuthenticationError("the token's signature does not verify") from None
        except jwt.PyJWTError as error:
            raise AuthenticationError(f"the token is invalid: {type(error).__name__}") from None
        self._check_audience(claims)
        return claims

    @staticmethod
    def _check_key_fits(jwk: dict[str, Any], algorithm: str) -> None:
        key_type, curve = ALGORITHM_KEYS[algorithm]
        if jwk.get("kty") != key_type or (curve is not None and jwk.get("crv") != curve):
            raise AuthenticationError(f"the token's algorithm {algorithm} does not fit its signing key")
        if jwk.get("alg") not in (None, algorithm):
            raise AuthenticationError(f"the token's algorithm {algorithm} is not its signing key's")

    def _check_audience(self, claims: dict[str, Any]) -> None:
        audience = self._settings.audience
        if not audience:
            return
        aud = claims.get("aud")
        if aud is None:
            # A Cognito access token has no aud: its app client is in client_id.
            if claims.get("client_id") != audience:
                raise AuthenticationError("the token has no aud (or client_id) for this API")
            return
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if audience not in audiences:
            raise AuthenticationError("the token is for another audience (aud)")
