"""Opaque pagination cursors: they resume a listing, and only the listing they came from."""

from __future__ import annotations

import base64
import json
import re

import pytest

from integration.domain.errors import InvalidFieldError
from integration.infrastructure.table import decode_cursor, encode_cursor

SORT_KEY = "APIKEY#key_01J9Z8Y7X6W5V4T3S2R1Q0P9N8"


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def tampered(**changes: object) -> str:
    """A genuine cursor of tenant-a with payload fields changed (None removes the field)."""
    genuine = encode_cursor("tenant-a", SORT_KEY)
    payload = json.loads(base64.urlsafe_b64decode(genuine + "=" * (-len(genuine) % 4)))
    for name, value in changes.items():
        if value is None:
            payload.pop(name)
        else:
            payload[name] = value
    return b64(json.dumps(payload))


def test_a_cursor_resumes_after_the_sort_key_it_was_made_for() -> None:
    cursor = encode_cursor("tenant-a", SORT_KEY)

    assert decode_cursor("tenant-a", cursor, "APIKEY#") == SORT_KEY
    assert decode_cursor("tenant-a", tampered(), "APIKEY#") == SORT_KEY  # the helper below re-encodes faithfully


def test_a_cursor_is_safe_in_a_query_string_without_encoding() -> None:
    cursor = encode_cursor("tenant with spaces/and&symbols", SORT_KEY)

    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)


def test_another_tenants_cursor_is_refused_on_the_cursor_field() -> None:
    cursor = encode_cursor("tenant-a", SORT_KEY)

    with pytest.raises(InvalidFieldError) as refused:
        decode_cursor("tenant-b", cursor, "APIKEY#")

    assert refused.value.field == "cursor"


def test_a_cursor_of_another_listing_is_refused() -> None:
    cursor = encode_cursor("tenant-a", "OUTBOX#key_1#evt_1")

    with pytest.raises(InvalidFieldError) as refused:
        decode_cursor("tenant-a", cursor, "APIKEY#")

    assert refused.value.field == "cursor"


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param("!!!!", id="not-base64"),
        pytest.param("a", id="one-char"),
        pytest.param("é", id="non-ascii"),
        pytest.param(b64("not json"), id="base64-not-json"),
        pytest.param(b64("[1, 2]"), id="json-list"),
        pytest.param(b64('"APIKEY#x"'), id="json-string"),
        pytest.param(b64("42"), id="json-number"),
        pytest.param(tampered(t=None), id="no-tenant"),
        pytest.param(tampered(k=None), id="no-sort-key"),
        pytest.param(tampered(k=7), id="sort-key-not-a-string"),
        pytest.param(tampered(k=["APIKEY#x"]), id="sort-key-a-list"),
        pytest.param(tampered(t="0" * 16), id="forged-tenant"),
        pytest.param(base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(), id="not-utf8"),
    ],
)
def test_a_malformed_cursor_is_refused_on_the_cursor_field(cursor: str) -> None:
    with pytest.raises(InvalidFieldError) as refused:
        decode_cursor("tenant-a", cursor, "APIKEY#")

    assert refused.value.field == "cursor"
