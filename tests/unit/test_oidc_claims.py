"""OIDC sign-in without the network: claims to a principal, and which header holds a JWT."""

from __future__ import annotations

from typing import Any

import pytest

from integration.domain.errors import AuthenticationError
from integration.domain.key_format import generate_key
from integration.domain.principal import principal_from_claims
from integration.entrypoints.http.credentials import CredentialKind, looks_like_jwt, presented_credential

CLAIM = "custom:tenant_id"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"


def claims(**overrides: Any) -> dict[str, Any]:
    values = {"sub": "user-1", CLAIM: "acme", **overrides}
    return {name: value for name, value in values.items() if value is not None}


@pytest.mark.parametrize(
    ("scope_claims", "expected"),
    [
        pytest.param({"scope": "openid webhooks:read api-keys:write"}, {"webhooks:read", "api-keys:write"}, id="scope-string"),
        pytest.param({"scp": ["webhooks:write", "Mail.Read"]}, {"webhooks:write"}, id="scp-list"),
        pytest.param({"scp": "webhooks:read api-keys:read"}, {"webhooks:read", "api-keys:read"}, id="scp-string"),
        pytest.param({"scope": "webhooks:read", "scp": ["api-keys:read"]}, {"webhooks:read", "api-keys:read"}, id="both"),
        pytest.param({"scope": "  webhooks:read   webhooks:read "}, {"webhooks:read"}, id="spaces-and-duplicates"),
        pytest.param({"scp": ["webhooks:read", 7, None]}, {"webhooks:read"}, id="non-strings-ignored"),
        pytest.param({"scope": 42}, set(), id="not-a-string"),
        pytest.param({}, set(), id="none"),
    ],
)
def test_only_this_services_scopes_are_kept(scope_claims: dict[str, Any], expected: set[str]) -> None:
    principal = principal_from_claims(claims(**scope_claims), tenant_claim=CLAIM)

    assert principal.scopes == frozenset(expected)
    assert (principal.tenant_id, principal.credential_id) == ("acme", "oidc:user-1")


def test_with_a_scope_prefix_only_prefixed_scopes_count() -> None:
    principal = principal_from_claims(
        claims(scope="integration/webhooks:read webhooks:write other/api-keys:read integration/unknown"),
        tenant_claim=CLAIM,
        scope_prefix="integration/",
    )

    assert principal.scopes == frozenset({"webhooks:read"})


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({CLAIM: None}, id="missing"),
        pytest.param({CLAIM: ""}, id="empty"),
        pytest.param({CLAIM: ["acme"]}, id="a-list"),
        pytest.param({CLAIM: 7}, id="a-number"),
        pytest.param({CLAIM: "acme#WEBHOOK#wh_1"}, id="hash-sign"),
        pytest.param({CLAIM: "acme corp"}, id="space"),
        pytest.param({CLAIM: "a/b"}, id="slash"),
        pytest.param({CLAIM: "x" * 129}, id="too-long"),
        pytest.param({"sub": None}, id="no-sub"),
        pytest.param({"sub": ""}, id="empty-sub"),
    ],
)
def test_a_token_without_a_valid_tenant_or_subject_gives_no_principal(overrides: dict[str, Any]) -> None:
    with pytest.raises(AuthenticationError):
        principal_from_claims(claims(**overrides), tenant_claim=CLAIM)


@pytest.mark.parametrize("tenant", ["acme", "tenant-a", "0b7e6c1e-8f2a-4c1d-9a8b-1c2d3e4f5a6b", "org_1.eu:prod", "a@b"])
def test_usual_tenant_ids_are_accepted(tenant: str) -> None:
    assert principal_from_claims(claims(**{CLAIM: tenant}), tenant_claim=CLAIM).tenant_id == tenant


def test_a_jwt_is_three_base64url_segments_and_never_an_api_key() -> None:
    assert looks_like_jwt(JWT)
    assert looks_like_jwt("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.")  # alg none: refused later, with a reason
    assert not looks_like_jwt(generate_key())
    assert not looks_like_jwt("intk_a.b.c")
    assert not looks_like_jwt("a.b")
    assert not looks_like_jwt("a.b.c.d")
    assert not looks_like_jwt("a.b+/.c")


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        pytest.param({"Authorization": f"Bearer {JWT}"}, CredentialKind.JWT, id="bearer-jwt"),
        pytest.param({"Authorization": f"Bearer {generate_key()}"}, CredentialKind.API_KEY, id="bearer-key"),
        pytest.param({"Authorization": "Bearer not-a-key"}, CredentialKind.API_KEY, id="bearer-other"),
        pytest.param({"X-Api-Key": JWT}, CredentialKind.API_KEY, id="jwt-in-x-api-key"),
        pytest.param({"Authorization": f"Bearer {JWT}", "X-Api-Key": JWT}, CredentialKind.API_KEY, id="jwt-in-both"),
    ],
)
def test_the_credential_kind_follows_its_shape_and_header(headers: dict[str, str], kind: CredentialKind) -> None:
    credential = presented_credential(headers)

    assert credential is not None and credential.kind is kind
    assert credential.value not in repr(credential)


def test_a_jwt_and_a_different_api_key_together_present_nothing() -> None:
    assert presented_credential({"Authorization": f"Bearer {JWT}", "X-Api-Key": generate_key()}) is None
    assert presented_credential({}) is None
