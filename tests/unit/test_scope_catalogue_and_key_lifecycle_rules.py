"""The scope catalogue (service and platform scopes) and the key lifecycle's rules (PATCH, roll),
without AWS."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integration.domain.api_key import check_metadata
from integration.domain.api_key_patch import ApiKeyPatch
from integration.domain.api_keys import normalise_scopes, roll_api_key
from integration.domain.errors import ConflictError, InvalidFieldError, PermissionDeniedError
from integration.domain.patch import KEEP
from integration.domain.principal import operator, principal_from_claims
from integration.domain.scopes import ALL_SCOPES, SCOPE_NAME_PATTERN, ScopeCatalogue, parse_platform_scopes
from tests.unit.test_api_key_rules import NOW, a_key

CATALOGUE = ScopeCatalogue(parse_platform_scopes("orders:read=Read orders,invoices:read"))


def test_the_catalogue_holds_the_service_s_scopes_first_then_the_platform_s() -> None:
    assert CATALOGUE.names == (*ALL_SCOPES, "orders:read", "invoices:read")
    assert [entry.origin for entry in CATALOGUE.entries] == ["service"] * 4 + ["platform"] * 2
    assert CATALOGUE.knows("orders:read") and not CATALOGUE.knows("orders:write")
    assert all(SCOPE_NAME_PATTERN.match(name) for name in CATALOGUE.names)


def test_requested_scopes_are_checked_against_the_catalogue_passed_in() -> None:
    everything = frozenset(CATALOGUE.names)
    assert normalise_scopes(["invoices:read", "webhooks:read"], everything, CATALOGUE) == ("webhooks:read", "invoices:read")
    with pytest.raises(InvalidFieldError) as unknown:
        normalise_scopes(["invoices:read"], everything)  # the service's own catalogue does not know it
    assert unknown.value.field == "scopes"


def test_an_operator_holds_every_scope_of_the_catalogue_it_is_given() -> None:
    assert operator("t", CATALOGUE).scopes == frozenset(CATALOGUE.names)
    assert operator("t").scopes == frozenset(ALL_SCOPES)


def test_oidc_claims_keep_the_platform_scopes_the_catalogue_knows() -> None:
    claims = {"sub": "u", "custom:tenant_id": "acme", "scope": "openid orders:read orders:write webhooks:read"}

    principal = principal_from_claims(claims, tenant_claim="custom:tenant_id", catalogue=CATALOGUE)

    assert principal.scopes == {"orders:read", "webhooks:read"}


@pytest.mark.parametrize("configured", ["Orders:read", "webhooks:read", "a:b,a:b", "a:b=", "ab"])
def test_a_bad_platform_scope_is_refused(configured: str) -> None:
    with pytest.raises(ValueError):
        parse_platform_scopes(configured)


def test_a_patch_changes_only_what_it_sets_and_names_the_changes() -> None:
    key = a_key(scopes=("api-keys:read", "api-keys:write"))

    patched, changes = key.patched(ApiKeyPatch(description=" d ", scopes=("api-keys:read",)))

    assert changes == ["description", "scopes"]
    assert (patched.name, patched.description, patched.scopes) == ("ci", "d", ("api-keys:read",))
    assert key.patched(ApiKeyPatch(name="ci")) == (key, [])


def test_a_patch_cannot_widen_scopes_null_a_name_or_touch_a_revoked_key() -> None:
    with pytest.raises(InvalidFieldError, match="scopes can only be narrowed"):
        a_key().patched(ApiKeyPatch(scopes=("api-keys:read", "webhooks:read")))
    with pytest.raises(InvalidFieldError) as null:
        ApiKeyPatch(name=None)  # type: ignore[arg-type]
    assert null.value.field == "name"
    with pytest.raises(ConflictError):
        a_key(revoked_at=NOW).patched(ApiKeyPatch(name="x"))
    assert ApiKeyPatch().scopes is KEEP


def test_metadata_bounds() -> None:
    assert check_metadata({}) is None and check_metadata(None) is None
    with pytest.raises(InvalidFieldError):
        check_metadata({str(n): n for n in range(21)})


def test_a_roll_keeps_the_settings_and_bounds_both_expiries() -> None:
    key = a_key(description="d", metadata={"a": 1}, expires_at=NOW + timedelta(hours=2))

    rolled = roll_api_key(
        key,
        grace=timedelta(days=1),
        now=NOW,
        created_by="key_x",
        creator_scopes=frozenset(ALL_SCOPES),
        creator_expires_at=NOW + timedelta(hours=1),
    )

    new = rolled.issued.api_key
    assert (new.name, new.description, new.metadata, new.scopes, new.rolled_from) == ("ci", "d", {"a": 1}, key.scopes, key.id)
    assert new.expires_at == NOW + timedelta(hours=1)  # the creator's, earlier than the key's own
    assert rolled.previous.expires_at == NOW + timedelta(hours=2)  # never past its own expiry


@pytest.mark.parametrize(
    ("key", "error"),
    [
        (a_key(revoked_at=NOW), ConflictError),
        (a_key(expires_at=NOW), ConflictError),
        (a_key(scopes=("webhooks:write",)), PermissionDeniedError),
    ],
)
def test_a_revoked_expired_or_too_powerful_key_is_not_rolled(key: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        roll_api_key(
            key, grace=timedelta(0), now=NOW, created_by="k", creator_scopes=frozenset({"api-keys:read"}), creator_expires_at=None
        )  # type: ignore[arg-type]


def test_the_grace_period_is_0_to_7_days() -> None:
    for grace in (timedelta(seconds=-1), timedelta(days=7, seconds=1)):
        with pytest.raises(InvalidFieldError):
            roll_api_key(
                a_key(), grace=grace, now=NOW, created_by="k", creator_scopes=frozenset(ALL_SCOPES), creator_expires_at=None
            )
