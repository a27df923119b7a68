"""GET /whoami: any valid credential learns its tenant, credential, scopes and expiry, from what
the authorizer passed on (no read), and an unknown, expired or revoked one gets the gateway's 401."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integration import wiring
from integration.application.api_keys import CreateApiKeyUseCase
from integration.domain.principal import operator
from tests.conftest import Api
from tests.integration.test_oidc_authorizer import AUDIENCE, Issuer, SigningKey, claims_for, configure, sign

WHOAMI_FIELDS = {"tenant_id", "credential_id", "api_key_id", "scopes", "expires_at"}


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return SigningKey("whoami-key")


@pytest.fixture
def oidc_issuer(signing_key: SigningKey) -> Iterator[Issuer]:
    server = Issuer()
    server.keys = [signing_key]
    yield server
    server.close()


def issue(scopes: list[str], expires_at: datetime | None = None, tenant: str = "tenant-a") -> tuple[str, str]:
    issued = CreateApiKeyUseCase(wiring.api_key_repository()).execute(
        operator(tenant), name="k", scopes=scopes, expires_at=expires_at
    )
    return issued.api_key.id, issued.plaintext


def test_an_api_key_learns_its_tenant_id_scopes_and_expiry_with_no_store(api: Api, aws: Any) -> None:
    expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    key_id, plaintext = issue(["webhooks:read"], expires_at, tenant="tenant-w")

    status, headers, me = api.call("GET", "/whoami", key=plaintext)

    assert status == 200, me
    assert headers["cache-control"] == "no-store"
    assert set(me) == WHOAMI_FIELDS
    assert me == {
        "tenant_id": "tenant-w",
        "credential_id": key_id,
        "api_key_id": key_id,
        "scopes": ["webhooks:read"],
        "expires_at": expires_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def test_a_key_without_expiry_and_without_any_service_scope_may_ask_too(api: Api, aws: Any) -> None:
    _, plaintext = issue(["api-keys:read"])
    status, _, me = api.call("GET", "/whoami", key=plaintext)
    assert status == 200 and me["expires_at"] is None and me["scopes"] == ["api-keys:read"]

    no_scope = api.call("GET", "/whoami", scopes="")
    assert no_scope[0] == 200 and no_scope[2]["scopes"] == []


def test_an_unknown_or_revoked_key_is_the_gateway_s_401(api: Api, aws: Any) -> None:
    key_id, plaintext = issue(["api-keys:read"])
    assert api.call("POST", f"/api-keys/{key_id}/revoke")[0] == 200

    assert api.call("GET", "/whoami", key=plaintext) == (401, {"content-type": "application/json"}, {"message": "Unauthorized"})
    assert api.call("GET", "/whoami", key="intk_" + "0" * 38)[0] == 401


def test_without_an_authorizer_context_it_is_401(api: Api, aws: Any) -> None:
    from local_runtime.events import http_api_event
    from tests.conftest import BASE, lambda_context

    event = http_api_event("GET", f"{BASE}/whoami", route_key=f"GET {BASE}/whoami")
    response = api.handler("WhoAmIFunction")(event, lambda_context())
    assert response["statusCode"] == 401


def test_a_person_signed_in_with_oidc_has_no_api_key_id_and_no_expiry(
    api: Api, aws: Any, oidc_issuer: Issuer, signing_key: SigningKey, monkeypatch: pytest.MonkeyPatch, template: Any
) -> None:
    configure(monkeypatch, template, OidcIssuer=oidc_issuer.url, OidcAudience=AUDIENCE)
    token = sign(signing_key, claims_for(oidc_issuer, scope="openid webhooks:read api-keys:write"))

    status, headers, me = api.call("GET", "/whoami", key=token)

    assert status == 200, me
    assert headers["cache-control"] == "no-store"
    assert me == {
        "tenant_id": "tenant-j",
        "credential_id": "oidc:user-123",
        "api_key_id": None,
        "scopes": ["api-keys:write", "webhooks:read"],
        "expires_at": None,
    }
