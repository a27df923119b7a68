"""The webhook aggregate's rules: field checks, the event type catalogue, secrets, PUT changes."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from integration.domain.errors import InvalidFieldError, PreconditionFailedError
from integration.domain.event_types import SERVICE_EVENT_TYPES, EventTypeCatalogue, parse_platform_event_types
from integration.domain.ids import is_valid_id
from integration.domain.url_policy import UrlPolicy
from integration.domain.webhook_changes import VersionPrecondition
from integration.domain.webhooks import (
    MAX_DESCRIPTION_LENGTH,
    MAX_EVENT_TYPES,
    MAX_NAME_LENGTH,
    WEBHOOK_ID_PREFIX,
    WebhookFields,
    WebhookRules,
    WebhookStatus,
    create_webhook,
    new_signing_secret,
)
from integration.entrypoints.http.etags import etag, parse_if_match

RULES = WebhookRules(url_policy=UrlPolicy(), catalogue=EventTypeCatalogue())
NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def fields(**overrides: object) -> WebhookFields:
    values: dict[str, object] = {
        "name": "orders",
        "url": "https://example.com/hook",
        "events": ("WebhookCreated",),
        "description": None,
        "status": WebhookStatus.ACTIVE,
    }
    values.update(overrides)
    return WebhookFields(**values)  # type: ignore[arg-type]


def refused(rules: WebhookRules, candidate: WebhookFields) -> InvalidFieldError:
    with pytest.raises(InvalidFieldError) as caught:
        rules.check(candidate)
    return caught.value


# ------------------------------------------------------------------ WebhookRules.check


def test_valid_fields_pass_and_are_normalised() -> None:
    checked = RULES.check(
        fields(name="  orders  ", url="  https://example.com/hook ", events=(" WebhookCreated ",), description="  d  ")
    )

    assert checked == WebhookFields(
        name="orders",
        url="https://example.com/hook",
        events=("WebhookCreated",),
        description="d",
        status=WebhookStatus.ACTIVE,
    )


def test_every_wrong_field_is_reported_at_once() -> None:
    error = refused(RULES, fields(name="   ", events=("NoSuchEvent",), url="http://example.com/hook"))

    assert [field for field, _ in error.errors] == ["name", "events", "url"]
    assert all(message for _, message in error.errors)
    assert error.field == "name"


def test_every_wrong_field_is_reported_at_once_including_the_description() -> None:
    error = refused(
        RULES,
        fields(
            name="x" * (MAX_NAME_LENGTH + 1),
            description="d" * (MAX_DESCRIPTION_LENGTH + 1),
            events=(),
            url="https://10.0.0.1/",
        ),
    )

    assert {field for field, _ in error.errors} == {"name", "description", "events", "url"}


def test_events_are_de_duplicated_in_their_first_order() -> None:
    checked = RULES.check(fields(events=("WebhookDeleted", "ApiKeyCreated", "WebhookDeleted", " ApiKeyCreated", "*")))

    assert checked.events == ("WebhookDeleted", "ApiKeyCreated", "*")


def test_an_unknown_event_type_is_refused_and_named() -> None:
    error = refused(RULES, fields(events=("WebhookCreated", "invoice.paid")))

    assert [field for field, _ in error.errors] == ["events"]
    assert "invoice.paid" in error.message


@pytest.mark.parametrize("events", [(), ("",), ("  ",)], ids=["none", "empty-string", "blank"])
def test_empty_or_blank_events_are_refused(events: tuple[str, ...]) -> None:
    error = refused(RULES, fields(events=events))

    assert [field for field, _ in error.errors] == ["events"]


def test_event_types_are_case_sensitive() -> None:
    assert [field for field, _ in refused(RULES, fields(events=("webhookcreated",))).errors] == ["events"]


def test_too_many_event_types_are_refused() -> None:
    catalogue = EventTypeCatalogue([f"platform.event{n}" for n in range(MAX_EVENT_TYPES + 1)])
    rules = WebhookRules(url_policy=UrlPolicy(), catalogue=catalogue)
    events = tuple(f"platform.event{n}" for n in range(MAX_EVENT_TYPES + 1))

    assert rules.check(fields(events=events[:MAX_EVENT_TYPES])).events == events[:MAX_EVENT_TYPES]
    assert [field for field, _ in refused(rules, fields(events=events)).errors] == ["events"]


def test_the_wildcard_is_accepted() -> None:
    assert RULES.check(fields(events=("*",))).events == ("*",)


@pytest.mark.parametrize("event_type", SERVICE_EVENT_TYPES)
def test_every_service_event_type_is_accepted(event_type: str) -> None:
    assert RULES.check(fields(events=(event_type,))).events == (event_type,)


def test_platform_event_types_are_accepted_when_configured() -> None:
    rules = WebhookRules(url_policy=UrlPolicy(), catalogue=EventTypeCatalogue(["invoice.paid"]))

    assert rules.check(fields(events=("invoice.paid", "WebhookCreated"))).events == ("invoice.paid", "WebhookCreated")
    assert [field for field, _ in refused(rules, fields(events=("invoice.voided",))).errors] == ["events"]


@pytest.mark.parametrize("name", ["", "   ", "\t\n"], ids=["empty", "spaces", "tab-newline"])
def test_a_blank_name_is_refused(name: str) -> None:
    assert [field for field, _ in refused(RULES, fields(name=name)).errors] == ["name"]


def test_the_name_length_limit_counts_the_trimmed_name() -> None:
    assert RULES.check(fields(name="n" * MAX_NAME_LENGTH)).name == "n" * MAX_NAME_LENGTH
    assert RULES.check(fields(name=f"  {'n' * MAX_NAME_LENGTH}  ")).name == "n" * MAX_NAME_LENGTH
    assert [field for field, _ in refused(RULES, fields(name="n" * (MAX_NAME_LENGTH + 1))).errors] == ["name"]


def test_a_too_long_description_is_refused() -> None:
    assert RULES.check(fields(description="d" * MAX_DESCRIPTION_LENGTH)).description == "d" * MAX_DESCRIPTION_LENGTH
    error = refused(RULES, fields(description="d" * (MAX_DESCRIPTION_LENGTH + 1)))

    assert [field for field, _ in error.errors] == ["description"]


def test_a_blank_description_becomes_none() -> None:
    assert RULES.check(fields(description="   ")).description is None


def test_the_url_is_checked_with_the_deployment_policy() -> None:
    local = WebhookRules(url_policy=UrlPolicy(allow_http=True, allow_loopback=True), catalogue=EventTypeCatalogue())

    assert local.check(fields(url="http://localhost:9000/hook")).url == "http://localhost:9000/hook"
    assert [field for field, _ in refused(RULES, fields(url="http://localhost:9000/hook")).errors] == ["url"]
    assert [field for field, _ in refused(local, fields(url="http://169.254.169.254/")).errors] == ["url"]


def test_the_status_passes_through() -> None:
    assert RULES.check(fields(status=WebhookStatus.DISABLED)).status is WebhookStatus.DISABLED


# ------------------------------------------------------------------ the catalogue and its configuration


def test_parse_platform_event_types_trims_and_skips_empty_entries() -> None:
    assert parse_platform_event_types(" invoice.paid , order.created,,") == ("invoice.paid", "order.created")
    assert parse_platform_event_types("") == ()
    assert parse_platform_event_types("billing:invoice_paid-v2") == ("billing:invoice_paid-v2",)


@pytest.mark.parametrize(
    "configured",
    [
        pytest.param("invoice paid", id="space"),
        pytest.param("1invoice", id="leading-digit"),
        pytest.param("-invoice", id="leading-hyphen"),
        pytest.param(".invoice", id="leading-dot"),
        pytest.param("invoice/paid", id="slash"),
        pytest.param("*", id="wildcard"),
        pytest.param("invoice.paid,order created", id="one-bad-among-good"),
        pytest.param("a" + "b" * 128, id="too-long"),
        pytest.param("rechnung.bezahlt\u00e4", id="non-ascii"),
    ],
)
def test_parse_platform_event_types_rejects_malformed_entries(configured: str) -> None:
    with pytest.raises(ValueError, match="PLATFORM_EVENT_TYPES"):
        parse_platform_event_types(configured)


def test_the_catalogue_holds_the_service_types_the_platform_types_and_the_wildcard() -> None:
    catalogue = EventTypeCatalogue(["invoice.paid", "WebhookCreated"])

    assert catalogue.event_types == (*SERVICE_EVENT_TYPES, "invoice.paid")
    assert "*" in catalogue
    assert "invoice.paid" in catalogue
    assert "order.created" not in catalogue


# ------------------------------------------------------------------ secrets


def test_a_signing_secret_is_whsec_and_base64_of_at_least_24_bytes() -> None:
    secret = new_signing_secret()

    assert secret.startswith("whsec_")
    try:
        raw = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error as error:
        pytest.fail(f"not base64: {error}")
    assert len(raw) >= 24


def test_signing_secrets_are_unique() -> None:
    secrets = {new_signing_secret() for _ in range(200)}

    assert len(secrets) == 200


def test_a_new_webhook_gets_an_id_a_secret_and_both_timestamps() -> None:
    checked = RULES.check(fields())
    first = create_webhook(tenant_id="tenant-a", fields=checked, now=NOW)
    second = create_webhook(tenant_id="tenant-a", fields=checked, now=NOW)

    assert is_valid_id(first.id, WEBHOOK_ID_PREFIX)
    assert first.id != second.id
    assert first.secret.startswith("whsec_") and first.secret != second.secret
    assert first.created_at == first.updated_at == NOW
    assert first.deleted_at is None
    assert first.fields() == checked


# ------------------------------------------------------------------ Webhook.replaced (PUT)


def test_replaced_returns_only_the_changed_fields() -> None:
    webhook = create_webhook(tenant_id="tenant-a", fields=RULES.check(fields(description="old")), now=NOW)
    later = NOW + timedelta(minutes=5)

    updated, changes = webhook.replaced(
        fields(name="renamed", events=("WebhookCreated", "*"), description="old", status=WebhookStatus.DISABLED), later
    )

    assert changes == {"name": "renamed", "events": ["WebhookCreated", "*"], "status": "disabled"}
    assert updated.name == "renamed"
    assert updated.events == ("WebhookCreated", "*")
    assert updated.status is WebhookStatus.DISABLED
    assert updated.description == "old"
    assert updated.updated_at == later
    assert (updated.id, updated.tenant_id, updated.secret, updated.created_at) == (
        webhook.id,
        webhook.tenant_id,
        webhook.secret,
        webhook.created_at,
    )


def test_replaced_reports_a_cleared_description_and_a_new_url() -> None:
    webhook = create_webhook(tenant_id="tenant-a", fields=RULES.check(fields(description="old")), now=NOW)

    updated, changes = webhook.replaced(fields(url="https://example.org/new", description=None), NOW + timedelta(seconds=1))

    assert changes == {"url": "https://example.org/new", "description": None}
    assert updated.description is None


def test_replaced_with_no_change_is_an_empty_dict_and_the_same_object() -> None:
    webhook = create_webhook(tenant_id="tenant-a", fields=RULES.check(fields()), now=NOW)

    updated, changes = webhook.replaced(webhook.fields(), NOW + timedelta(hours=1))

    assert changes == {}
    assert updated is webhook
    assert updated.updated_at == NOW


def test_replaced_never_reports_the_secret() -> None:
    webhook = create_webhook(tenant_id="tenant-a", fields=RULES.check(fields()), now=NOW)
    other = replace(webhook.fields(), name="x", url="https://example.net/", events=("*",), description="d")

    _, changes = webhook.replaced(replace(other, status=WebhookStatus.DISABLED), NOW + timedelta(seconds=1))

    assert set(changes) == {"name", "url", "events", "description", "status"}
    assert webhook.secret not in repr(changes)


# ------------------------------------------------------------------ versions, ETag, If-Match


def test_versions_start_at_1_and_count_every_change_a_get_shows() -> None:
    webhook = create_webhook(tenant_id="tenant-a", fields=RULES.check(fields()), now=NOW)
    assert webhook.version == 1

    renamed, _ = webhook.replaced(fields(name="renamed"), NOW + timedelta(seconds=1))
    unchanged, _ = renamed.replaced(renamed.fields(), NOW + timedelta(seconds=2))
    rotated = renamed.rotated(NOW + timedelta(seconds=3), timedelta(hours=1))

    assert (renamed.version, unchanged.version, rotated.version) == (2, 2, 3)


def test_a_version_precondition() -> None:
    webhook = create_webhook(tenant_id="tenant-a", fields=RULES.check(fields()), now=NOW)

    VersionPrecondition(versions=frozenset({1, 5})).check(webhook)
    VersionPrecondition(any_version=True).check(webhook)
    for unmet in (VersionPrecondition(versions=frozenset({2})), VersionPrecondition(), VersionPrecondition(malformed=True)):
        with pytest.raises(PreconditionFailedError):
            unmet.check(webhook)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("*", VersionPrecondition(any_version=True)),
        (' "3" ', VersionPrecondition(versions=frozenset({3}))),
        ('"3", W/"4", "x,y", "05", "6"', VersionPrecondition(versions=frozenset({3, 6}))),
        (',"3",,', VersionPrecondition(versions=frozenset({3}))),
        ('"0"', VersionPrecondition(versions=frozenset({0}))),
        ('"abc"', VersionPrecondition()),
        ('W/"3"', VersionPrecondition()),
        ("3", VersionPrecondition(malformed=True)),
        ('"3', VersionPrecondition(malformed=True)),
        ('"3" "4"', VersionPrecondition(malformed=True)),
        ('*, "3"', VersionPrecondition(malformed=True)),
        ("", VersionPrecondition(malformed=True)),
        ('w/"3"', VersionPrecondition(malformed=True)),  # the weak prefix is case-sensitive
    ],
)
def test_if_match_is_read_as_rfc_9110_says(header: str | None, expected: VersionPrecondition | None) -> None:
    assert parse_if_match(header) == expected


def test_an_etag_is_the_version_as_a_strong_entity_tag_and_reads_back() -> None:
    assert etag(7) == '"7"'
    assert parse_if_match(etag(7)) == VersionPrecondition(versions=frozenset({7}))
