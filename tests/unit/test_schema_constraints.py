"""The OpenAPI document's patterns agree with the domain rules they mirror
(integration.entrypoints.http.schemas.constraints): whatever a pattern refuses, the domain
refuses, so the document never refuses a request the API accepts. Where a pattern is exact (ids,
blank names) the two agree both ways.

Seeded random strings built from the pieces that matter (schemes, hosts, whitespace of every
kind, control and format characters, look-alikes) stand in for a fuzzer's data.
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from datetime import UTC, datetime

import pytest

from integration.domain.api_key import API_KEY_ID_PREFIX
from integration.domain.api_keys import issue_api_key
from integration.domain.deliveries import MESSAGE_ID_PREFIX, fanned_out_message_id
from integration.domain.errors import InvalidFieldError
from integration.domain.event_log import EVENT_ID_PREFIX
from integration.domain.event_types import SERVICE_EVENT_TYPES, EventTypeCatalogue
from integration.domain.ids import _CROCKFORD, is_valid_id, new_id
from integration.domain.jobs import JOB_ID_PREFIX
from integration.domain.url_policy import UrlPolicy
from integration.domain.webhooks import WEBHOOK_ID_PREFIX, WebhookFields, WebhookRules, WebhookStatus
from integration.entrypoints.http.schemas import constraints

NOW = datetime(2026, 12, 1, 23, 35, 12, tzinfo=UTC)
PLATFORM_EVENT_TYPES = ("invoice.paid", "order:created_v2", "Z", "a-b")
WHITESPACE_SAMPLES = (" ", "\t", "\n", "\x0b", "\x1c", "\x1f", "\x85", "\xa0", "\u1680", "\u2007", "\u2028", "\u3000")
NOT_WHITESPACE = ("\u200b", "\ufeff", "\u180e", "\x00", "\x7f", "\x9f", "\u00ad")


def search(pattern: str, value: str) -> bool:
    """JSON Schema's ``pattern`` (ECMA-262, unanchored): its ``$`` ends the text, while Python's
    also matches before a final newline."""
    return re.search(re.sub(r"\$$", r"\\Z", pattern), value) is not None


def rules(allow_http: bool = True) -> WebhookRules:
    return WebhookRules(
        url_policy=UrlPolicy(allow_http=allow_http, allow_loopback=True), catalogue=EventTypeCatalogue(PLATFORM_EVENT_TYPES)
    )


def refused_fields(**changes: object) -> set[str]:
    fields = {"name": "n", "url": "https://example.com/", "events": ("*",), "description": None, "status": WebhookStatus.ACTIVE}
    try:
        rules().check(WebhookFields(**{**fields, **changes}))  # type: ignore[arg-type]
    except InvalidFieldError as error:
        return {field for field, _ in error.errors}
    return set()


def strings(pieces: tuple[str, ...], seed: str, length: int, count: int) -> list[str]:
    """``count`` strings of up to ``length`` pieces each, the same on every run."""
    generator = random.Random(seed)
    return ["".join(generator.choice(pieces) for _ in range(generator.randint(0, length))) for _ in range(count)]


# ------------------------------------------------------------------ character classes


def test_whitespace_is_exactly_what_str_strip_removes_and_the_url_class_adds_control_characters() -> None:
    whitespace = re.compile(f"[{constraints.WHITESPACE}]")
    refused_in_urls = re.compile(f"[{constraints.CONTROL_OR_WHITESPACE}]")
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert bool(whitespace.fullmatch(char)) == char.isspace(), hex(code)
        assert bool(refused_in_urls.fullmatch(char)) == (char.isspace() or unicodedata.category(char) == "Cc"), hex(code)


# ------------------------------------------------------------------ ids (path parameters, views)


@pytest.mark.parametrize(
    ("pattern", "prefix"),
    [
        (constraints.WEBHOOK_ID_PATTERN, WEBHOOK_ID_PREFIX),
        (constraints.API_KEY_ID_PATTERN, API_KEY_ID_PREFIX),
        (constraints.MESSAGE_ID_PATTERN, MESSAGE_ID_PREFIX),
        (constraints.EVENT_ID_PATTERN, EVENT_ID_PREFIX),
        (constraints.JOB_ID_PATTERN, JOB_ID_PREFIX),
    ],
)
def test_an_id_pattern_accepts_exactly_the_ids_the_domain_looks_up(pattern: str, prefix: str) -> None:
    assert {char for char in map(chr, range(128)) if re.fullmatch(f"[{constraints.CROCKFORD_BASE32}]", char)} == set(_CROCKFORD)
    made = [new_id(prefix) for _ in range(200)] + [new_id(prefix, 0), new_id(prefix, 2**48 - 1)]
    assert all(search(pattern, value) and is_valid_id(value, prefix) for value in made)
    # Every one-character change of a real id, and other near misses: the pattern and the domain agree.
    valid = new_id(prefix)
    near = [valid[:i] + c + valid[i + 1 :] for i in range(len(valid)) for c in "0IiLlOoUu_-a Z\n"]
    near += [
        valid + "0",
        valid[:-1],
        valid + "\n",
        " " + valid,
        valid.lower(),
        f"{prefix}_",
        f"{prefix}{valid[len(prefix) + 1 :]}",
    ]
    near += [f"x{valid}", valid.replace("_", "-", 1), "wh_" + valid.split("_", 1)[1], "key_" + valid.split("_", 1)[1]]
    near += strings((f"{prefix}_", "0", "Z", "I", "_", "7", "\n"), seed=prefix, length=30, count=2000)
    for value in near:
        assert search(pattern, value) == is_valid_id(value, prefix), repr(value)


def test_fanned_out_message_ids_match_the_delivery_id_pattern() -> None:
    message_id = fanned_out_message_id(event_key="evt_x", webhook_id=new_id("wh"), occurred_at=NOW)
    assert search(constraints.MESSAGE_ID_PATTERN, message_id)


def test_the_example_ids_follow_their_patterns() -> None:
    assert is_valid_id(constraints.WEBHOOK_ID_EXAMPLE, WEBHOOK_ID_PREFIX)
    assert is_valid_id(constraints.API_KEY_ID_EXAMPLE, API_KEY_ID_PREFIX)
    assert is_valid_id(constraints.MESSAGE_ID_EXAMPLE, MESSAGE_ID_PREFIX)
    assert is_valid_id(constraints.EVENT_ID_EXAMPLE, "evt")


def test_the_example_key_and_secret_have_the_documented_format_and_are_not_usable() -> None:
    from integration.domain import key_format
    from integration.domain.signing import sign

    assert key_format.KEY_PATTERN.match(constraints.API_KEY_EXAMPLE) and not key_format.is_well_formed(
        constraints.API_KEY_EXAMPLE
    )
    assert constraints.API_KEY_PREFIX_EXAMPLE == key_format.display_prefix(constraints.API_KEY_EXAMPLE)
    sign(message_id="msg_1", timestamp=0, body=b"{}", secrets=[constraints.SIGNING_SECRET_EXAMPLE])  # a valid whsec_ secret


# ------------------------------------------------------------------ names


def test_the_name_pattern_is_the_domain_s_not_blank_rule() -> None:
    names = strings((*WHITESPACE_SAMPLES, *NOT_WHITESPACE, "a", "é", "0"), seed="names", length=4, count=2000)
    for name in names:
        webhook_refuses = "name" in refused_fields(name=name)
        try:
            issue_api_key(tenant_id="t", name=name, scopes=("webhooks:read",), expires_at=None, now=NOW, created_by="operator")
            key_refuses = False
        except InvalidFieldError:
            key_refuses = True
        assert search(constraints.NOT_BLANK_PATTERN, name) == (not webhook_refuses) == (not key_refuses), repr(name)


# ------------------------------------------------------------------ webhook URLs

URL_PIECES = (
    "https://", "http://", "HTTPS://", "hTtP://", "ftp://", "https:", "//", "https:///",
    "example.com", "EXAMPLE.com", "exa\ufeffmple.com", "ｅｘａｍｐｌｅ.com", "xn--bcher-kva.example", "bücher.example",
    "127.0.0.1", "8.8.8.8", "0x7f.1", "[::1]", "[2606:4700::1111]", "localhost", "a", "0",
    ":443", ":", ":0", ":99999", "/", "/hook", "?x=1", "#f", "@", "user@", "%41", "\\",
    *WHITESPACE_SAMPLES, *NOT_WHITESPACE,
)  # fmt: skip


@pytest.mark.parametrize("allow_http", [True, False])
def test_every_url_the_domain_accepts_matches_the_url_pattern(allow_http: bool) -> None:
    policy_rules = WebhookRules(url_policy=UrlPolicy(allow_http=allow_http, allow_loopback=True), catalogue=EventTypeCatalogue())
    accepted = 0
    urls = strings(URL_PIECES, seed=f"urls-{allow_http}", length=6, count=20_000)
    urls += [
        "https://example.com/hook",
        " https://example.com/hook\n",
        "\u3000HTTPS://EXAMPLE.COM:8443/a?b=c@d#e\x1c",
        "https://exa\ufeffmple.com/",
        "https://[2606:4700::1111]/x",
        "https://example.com:/",
        "https://a?b@c",
        "http://localhost:8000/hooks",
    ]
    for url in urls:
        try:
            policy_rules.check(WebhookFields(name="n", url=url, events=("*",), description=None, status=WebhookStatus.ACTIVE))
        except InvalidFieldError as error:
            assert {field for field, _ in error.errors} == {"url"}
            continue
        accepted += 1
        assert search(constraints.WEBHOOK_URL_PATTERN, url), repr(url)
    assert accepted > 100  # the samples did reach accepted URLs


def test_the_url_pattern_refuses_what_is_not_an_absolute_http_url() -> None:
    for url in ("ftp://example.com/", "example.com", "//example.com", "https:/example.com", "https://", "https://u@example.com/",
                "https://example.com/a b", "https://example.com/\x00", "\x00https://example.com/"):  # fmt: skip
        assert not search(constraints.WEBHOOK_URL_PATTERN, url), repr(url)
        assert "url" in refused_fields(url=url), repr(url)


# ------------------------------------------------------------------ event type filters

EVENT_PIECES = (
    "*", *SERVICE_EVENT_TYPES, *PLATFORM_EVENT_TYPES, "Unknown", "a", "Z", "1", "_", ".", ":", "-", "é", "/", "#",
    *WHITESPACE_SAMPLES, *NOT_WHITESPACE,
)  # fmt: skip


def test_every_event_type_filter_the_domain_accepts_matches_the_pattern() -> None:
    accepted = 0
    for event in strings(EVENT_PIECES, seed="events", length=3, count=5000) + [
        "x" * 128,
        "x" * 129,
        " * ",
        "\tinvoice.paid\u3000",
    ]:
        if "events" in refused_fields(events=(event,)):
            continue
        accepted += 1
        assert search(constraints.EVENT_TYPE_FILTER_PATTERN, event), repr(event)
    assert accepted > 500


def test_the_service_event_types_and_the_wildcard_match_and_malformed_names_do_not() -> None:
    for event in ("*", *SERVICE_EVENT_TYPES, *PLATFORM_EVENT_TYPES, "A" * 128):
        assert search(constraints.EVENT_TYPE_FILTER_PATTERN, event), event
    for event in ("", "**", "1abc", "_a", "a/b", "a" * 129, "a b", "\ufeffWebhookCreated"):
        assert not search(constraints.EVENT_TYPE_FILTER_PATTERN, event), repr(event)
        assert "events" in refused_fields(events=(event,)), repr(event)
