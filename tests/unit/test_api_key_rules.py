"""The API key aggregate's rules: scopes a key may get, what a new key looks like, its status."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from integration.domain.api_key import ApiKey, ApiKeyStatus
from integration.domain.api_keys import IssuedApiKey, expiry_within_creator, issue_api_key, normalise_scopes
from integration.domain.errors import InvalidFieldError, PermissionDeniedError
from integration.domain.ids import is_valid_id
from integration.domain.key_format import display_prefix, hash_key, is_well_formed
from integration.domain.principal import operator
from integration.domain.scopes import ALL_SCOPES

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
OPERATOR_SCOPES = operator("tenant-a").scopes


def issue(**overrides: Any) -> IssuedApiKey:
    arguments = {
        "tenant_id": "tenant-a",
        "name": "ci",
        "scopes": ("api-keys:read",),
        "expires_at": None,
        "now": NOW,
        "created_by": "key_01M8KJT9KVMG2QW1G7XR3E6TNP",
    }
    return issue_api_key(**{**arguments, **overrides})


# ------------------------------------------------------------------ normalise_scopes


def test_no_scopes_is_refused_on_the_scopes_field() -> None:
    with pytest.raises(InvalidFieldError) as refused:
        normalise_scopes([], OPERATOR_SCOPES)

    assert refused.value.field == "scopes"


def test_an_unknown_scope_is_refused_and_named() -> None:
    with pytest.raises(InvalidFieldError) as refused:
        normalise_scopes(["api-keys:read", "admin:everything"], OPERATOR_SCOPES)

    assert refused.value.field == "scopes"
    assert "admin:everything" in refused.value.message


def test_a_caller_cannot_grant_a_scope_it_does_not_hold() -> None:
    with pytest.raises(PermissionDeniedError) as refused:
        normalise_scopes(["api-keys:read", "webhooks:write"], frozenset({"api-keys:read", "api-keys:write"}))

    assert "webhooks:write" in str(refused.value)


def test_a_caller_may_grant_a_subset_of_its_own_scopes() -> None:
    granted = normalise_scopes(["api-keys:read"], frozenset({"api-keys:read", "api-keys:write"}))

    assert granted == ("api-keys:read",)


def test_scopes_are_de_duplicated_and_put_in_catalogue_order() -> None:
    granted = normalise_scopes(["api-keys:write", "webhooks:read", "api-keys:write", "webhooks:read"], OPERATOR_SCOPES)

    assert granted == ("webhooks:read", "api-keys:write")


def test_an_operator_may_grant_every_scope() -> None:
    assert normalise_scopes(list(reversed(ALL_SCOPES)), OPERATOR_SCOPES) == ALL_SCOPES
    assert ALL_SCOPES == ("webhooks:read", "webhooks:write", "api-keys:read", "api-keys:write")


def test_a_caller_with_no_scopes_cannot_grant_any() -> None:
    with pytest.raises(PermissionDeniedError):
        normalise_scopes(["api-keys:read"], frozenset())


# ------------------------------------------------------------------ expiry_within_creator

CREATOR_EXPIRES_AT = NOW + timedelta(hours=1)


def test_a_key_made_by_a_key_that_expires_takes_its_expiry_when_none_is_asked() -> None:
    assert expiry_within_creator(None, CREATOR_EXPIRES_AT) == CREATOR_EXPIRES_AT


def test_a_key_made_by_a_key_that_expires_may_expire_earlier_or_at_the_same_instant() -> None:
    assert expiry_within_creator(CREATOR_EXPIRES_AT - timedelta(minutes=5), CREATOR_EXPIRES_AT) == CREATOR_EXPIRES_AT - timedelta(
        minutes=5
    )
    assert expiry_within_creator(CREATOR_EXPIRES_AT, CREATOR_EXPIRES_AT) == CREATOR_EXPIRES_AT


def test_a_key_cannot_outlive_the_key_that_makes_it_by_even_a_microsecond() -> None:
    with pytest.raises(InvalidFieldError) as refused:
        expiry_within_creator(CREATOR_EXPIRES_AT + timedelta(microseconds=1), CREATOR_EXPIRES_AT)

    assert refused.value.field == "expires_at"
    assert refused.value.message == "must be no later than 2030-01-01T13:00:00.000Z, when the key creating it expires"


def test_the_limit_is_named_in_utc_whatever_zone_the_creators_expiry_was_read_in() -> None:
    creator = CREATOR_EXPIRES_AT.astimezone(timezone(timedelta(hours=2)))
    with pytest.raises(InvalidFieldError) as refused:
        expiry_within_creator(CREATOR_EXPIRES_AT + timedelta(days=1), creator)

    assert "2030-01-01T13:00:00.000Z" in refused.value.message


def test_a_creator_that_does_not_expire_bounds_nothing() -> None:
    assert expiry_within_creator(None, None) is None
    assert expiry_within_creator(NOW + timedelta(days=3650), None) == NOW + timedelta(days=3650)


# ------------------------------------------------------------------ issue_api_key


@pytest.mark.parametrize("name", ["", "   ", "\t\n"], ids=["empty", "spaces", "whitespace"])
def test_a_blank_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidFieldError) as refused:
        issue(name=name)

    assert refused.value.field == "name"


def test_a_name_over_100_characters_is_refused_and_100_is_accepted() -> None:
    with pytest.raises(InvalidFieldError) as refused:
        issue(name="n" * 101)

    assert refused.value.field == "name"
    assert issue(name="n" * 100).api_key.name == "n" * 100


def test_the_name_is_stored_without_surrounding_whitespace() -> None:
    assert issue(name="  deploy bot \n").api_key.name == "deploy bot"


def test_an_expiry_without_a_time_zone_is_refused() -> None:
    with pytest.raises(InvalidFieldError) as refused:
        issue(expires_at=datetime(2031, 1, 1))

    assert refused.value.field == "expires_at"


@pytest.mark.parametrize("expires_at", [NOW - timedelta(days=1), NOW], ids=["past", "now"])
def test_an_expiry_that_is_not_in_the_future_is_refused(expires_at: datetime) -> None:
    with pytest.raises(InvalidFieldError) as refused:
        issue(expires_at=expires_at)

    assert refused.value.field == "expires_at"


def test_a_future_expiry_is_kept() -> None:
    expires_at = NOW + timedelta(seconds=1)

    assert issue(expires_at=expires_at).api_key.expires_at == expires_at


def test_a_new_key_stores_the_hash_and_display_prefix_of_its_plaintext_never_the_plaintext() -> None:
    issued = issue(scopes=("webhooks:read", "api-keys:read"))
    key = issued.api_key

    assert is_well_formed(issued.plaintext)
    assert key.key_hash == hash_key(issued.plaintext)
    assert key.prefix == display_prefix(issued.plaintext)
    stored = [str(value) for value in dataclasses.asdict(key).values()]
    assert not any(issued.plaintext in value or issued.plaintext[5:] in value for value in stored)


def test_a_new_key_is_active_owned_by_the_tenant_and_created_now() -> None:
    key = issue(tenant_id="tenant-b", scopes=("webhooks:read",)).api_key

    assert is_valid_id(key.id, "key")
    assert key.tenant_id == "tenant-b"
    assert key.scopes == ("webhooks:read",)
    assert key.created_at == NOW
    assert key.revoked_at is None
    assert key.status(NOW) is ApiKeyStatus.ACTIVE


def test_keys_issued_later_have_ids_that_sort_later() -> None:
    earlier = issue(now=NOW).api_key
    later = issue(now=NOW + timedelta(milliseconds=1)).api_key

    assert earlier.id < later.id


def test_two_keys_issued_at_the_same_instant_have_different_ids_and_plaintexts() -> None:
    first, second = issue(), issue()

    assert first.api_key.id != second.api_key.id
    assert first.plaintext != second.plaintext


# ------------------------------------------------------------------ ApiKey.status


def a_key(**overrides: Any) -> ApiKey:
    values = {
        "id": "key_01J0000000000000000000000A",
        "tenant_id": "tenant-a",
        "name": "ci",
        "scopes": ("api-keys:read",),
        "key_hash": "0" * 64,
        "prefix": "intk_abcdef",
        "created_at": NOW - timedelta(days=1),
        "created_by": "operator",
    }
    return ApiKey(**{**values, **overrides})


def test_a_key_without_expiry_or_revocation_is_active() -> None:
    assert a_key().status(NOW + timedelta(days=3650)) is ApiKeyStatus.ACTIVE


def test_a_key_is_active_until_its_expiry_and_expired_from_that_instant() -> None:
    key = a_key(expires_at=NOW)

    assert key.status(NOW - timedelta(microseconds=1)) is ApiKeyStatus.ACTIVE
    assert key.status(NOW) is ApiKeyStatus.EXPIRED
    assert key.status(NOW + timedelta(days=1)) is ApiKeyStatus.EXPIRED


def test_revocation_wins_over_expiry() -> None:
    key = a_key(expires_at=NOW - timedelta(hours=1), revoked_at=NOW - timedelta(hours=2))

    assert key.status(NOW) is ApiKeyStatus.REVOKED


def test_revoking_returns_a_revoked_copy_and_leaves_the_original_untouched() -> None:
    key = a_key()

    revoked = key.revoked(NOW)

    assert revoked.revoked_at == NOW and revoked.status(NOW) is ApiKeyStatus.REVOKED
    assert key.revoked_at is None and key.status(NOW) is ApiKeyStatus.ACTIVE
    assert revoked.revoked_reason == "requested"
    assert dataclasses.replace(revoked, revoked_at=None, revoked_reason=None) == key


def test_status_values_are_the_strings_the_api_shows() -> None:
    assert [status.value for status in ApiKeyStatus] == ["active", "revoked", "expired"]
