"""Prefixed ULIDs: sortable by creation time, recognisable by type."""

from __future__ import annotations

import pytest

from integration.domain.ids import is_valid_id, new_id, new_ulid

CROCKFORD = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def test_new_id_is_prefix_underscore_and_26_crockford_characters() -> None:
    identifier = new_id("key", 1_700_000_000_000)

    prefix, _, ulid = identifier.partition("_")
    assert prefix == "key"
    assert len(ulid) == 26 and set(ulid) <= CROCKFORD
    assert is_valid_id(identifier, "key")


@pytest.mark.parametrize("earlier_ms, later_ms", [(0, 1), (1_700_000_000_000, 1_700_000_000_001), (1_000, 1_700_000_000_000)])
def test_ids_sort_by_creation_time_whatever_their_random_part(earlier_ms: int, later_ms: int) -> None:
    for _ in range(200):
        assert new_ulid(earlier_ms) < new_ulid(later_ms)
        assert new_id("key", earlier_ms) < new_id("key", later_ms)


def test_ids_made_in_the_same_millisecond_still_differ() -> None:
    ids = {new_id("key", 1_700_000_000_000) for _ in range(200)}

    assert len(ids) == 200


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("evt_01HZZZZZZZZZZZZZZZZZZZZZZZ", id="other-type"),
        pytest.param("key01HZZZZZZZZZZZZZZZZZZZZZZZ", id="no-underscore"),
        pytest.param("key_01HZZZZZZZZZZZZZZZZZZZZZZ", id="25-chars"),
        pytest.param("key_01HZZZZZZZZZZZZZZZZZZZZZZZZ", id="27-chars"),
        pytest.param("key_01hzzzzzzzzzzzzzzzzzzzzzzz", id="lower-case"),
        pytest.param("key_01HZZZZZZZZZZZZZZZZZZZZZZU", id="letter-U-not-crockford"),
        pytest.param("key_01HZZZZZZZZZZZZZZZZZZZZZZI", id="letter-I-not-crockford"),
        pytest.param("key_", id="prefix-only"),
        pytest.param("", id="empty"),
    ],
)
def test_is_valid_id_rejects(value: str) -> None:
    assert not is_valid_id(value, "key")


def test_is_valid_id_accepts_a_new_id_of_that_type_only() -> None:
    identifier = new_id("evt")

    assert is_valid_id(identifier, "evt")
    assert not is_valid_id(identifier, "key")
