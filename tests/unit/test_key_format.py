"""The API key format: what a secret scanner, a user and the authorizer rely on."""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable

import pytest

from integration.domain import key_format
from integration.domain.key_format import KEY_PREFIX, display_prefix, generate_key, hash_key, is_well_formed

BASE62 = set(string.digits + string.ascii_letters)
KEY_LENGTH = len("intk_") + 32 + 6


def test_a_new_key_is_intk_prefix_then_38_base62_characters() -> None:
    key = generate_key()

    assert KEY_PREFIX == "intk_"
    assert key.startswith("intk_")
    assert len(key) == KEY_LENGTH
    assert set(key[len("intk_") :]) <= BASE62


def test_every_new_key_is_well_formed() -> None:
    assert all(is_well_formed(generate_key()) for _ in range(200))


def test_new_keys_are_all_different() -> None:
    keys = {generate_key() for _ in range(200)}

    assert len(keys) == 200


@pytest.mark.parametrize("position", [5, 6, 20, 36, 37, 40, 42], ids=lambda p: f"char{p}")
def test_checksum_detects_any_single_changed_character(position: int) -> None:
    key = generate_key()
    replacement = "A" if key[position] != "A" else "B"
    mistyped = key[:position] + replacement + key[position + 1 :]

    assert is_well_formed(key)
    assert not is_well_formed(mistyped)


def test_checksum_detects_two_swapped_neighbouring_characters() -> None:
    key = generate_key()
    i = next(i for i in range(5, 36) if key[i] != key[i + 1])
    swapped = key[:i] + key[i + 1] + key[i] + key[i + 2 :]

    assert not is_well_formed(swapped)


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda k: "intx_" + k[5:], id="other-prefix"),
        pytest.param(lambda k: "INTK_" + k[5:], id="upper-case-prefix"),
        pytest.param(lambda k: k[5:], id="no-prefix"),
        pytest.param(lambda k: k[:-1], id="one-char-short"),
        pytest.param(lambda k: k + "a", id="one-char-long"),
        pytest.param(lambda k: k + "\n", id="trailing-newline"),
        pytest.param(lambda k: " " + k, id="leading-space"),
        pytest.param(lambda k: "", id="empty"),
    ],
)
def test_is_well_formed_rejects_wrong_prefix_or_length(mangle: Callable[[str], str]) -> None:
    key = generate_key()

    assert not is_well_formed(mangle(key))


@pytest.mark.parametrize("bad_char", ["-", "_", "+", "/", "=", "."])
def test_is_well_formed_rejects_characters_outside_base62_even_with_a_matching_checksum(bad_char: str) -> None:
    good_random = "a" * 32
    bad_random = bad_char + "a" * 31

    assert is_well_formed(KEY_PREFIX + good_random + key_format._checksum(good_random))
    assert not is_well_formed(KEY_PREFIX + bad_random + key_format._checksum(bad_random))


@pytest.mark.parametrize("bad_char", ["é", "٣", "\x00"])
def test_is_well_formed_refuses_non_ascii_and_control_characters_without_raising(bad_char: str) -> None:
    key = generate_key()

    assert is_well_formed(key[:10] + bad_char + key[11:]) is False


def test_hash_key_is_hex_sha256_of_the_whole_key() -> None:
    key = generate_key()

    digest = hash_key(key)

    assert digest == hashlib.sha256(key.encode("utf-8")).hexdigest()
    assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")
    assert hash_key(key) == digest  # deterministic: the authorizer can look it up
    assert hash_key(generate_key()) != digest


def test_display_prefix_is_intk_and_the_first_six_random_characters() -> None:
    key = generate_key()

    shown = display_prefix(key)

    assert shown == key[: len("intk_") + 6]
    assert shown.startswith("intk_") and len(shown) == 11
    assert key.startswith(shown)


def test_display_prefix_is_not_a_usable_key() -> None:
    shown = display_prefix(generate_key())

    assert not is_well_formed(shown)
