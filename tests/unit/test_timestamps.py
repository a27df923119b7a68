"""One way to write a time: :func:`integration.domain.clock.format_timestamp`, pinned with known
vectors, and used by every writer of a time that leaves the service (response bodies, domain
event details, webhook payloads); the ``webhook-timestamp`` header stays whole seconds."""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from integration.domain.clock import TIMESTAMP_EXAMPLE, TIMESTAMP_PATTERN, format_timestamp
from integration.domain.deliveries import AttemptTrigger, Delivery, DeliveryAttempt, DeliveryStatus, new_test_message
from integration.domain.events import webhook_disabled, webhook_secret_rotated
from integration.domain.signing import message_body, webhook_headers
from integration.domain.webhooks import WebhookFields, WebhookStatus, create_webhook
from integration.entrypoints.http.schemas.deliveries import DeliveryView
from integration.entrypoints.http.schemas.webhooks import RotatedSecretView, WebhookView
from local_runtime.template import PROJECT_ROOT

TIMESTAMP = re.compile(TIMESTAMP_PATTERN)
PLUS_TWO = timezone(timedelta(hours=2))
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

# (the time, how the service writes it)
VECTORS = [
    (datetime(2026, 12, 1, 23, 35, 12, 123456, tzinfo=UTC), "2026-12-01T23:35:12.123Z"),
    (datetime(2026, 12, 1, 23, 35, 12, 999999, tzinfo=UTC), "2026-12-01T23:35:12.999Z"),  # truncated, never rounded up
    (datetime(2026, 12, 1, 23, 35, 12, 0, tzinfo=UTC), "2026-12-01T23:35:12.000Z"),  # whole seconds keep their .000
    (datetime(2026, 12, 1, 23, 35, 12, 1000, tzinfo=UTC), "2026-12-01T23:35:12.001Z"),
    (datetime(2026, 12, 1, 23, 35, 12, 999, tzinfo=UTC), "2026-12-01T23:35:12.000Z"),
    (datetime(2026, 12, 2, 1, 35, 12, 123456, tzinfo=PLUS_TWO), "2026-12-01T23:35:12.123Z"),  # to UTC, across midnight
    (datetime(2026, 12, 1, 18, 35, 12, 500000, tzinfo=timezone(timedelta(hours=-5))), "2026-12-01T23:35:12.500Z"),
    (datetime(2024, 2, 29, 0, 0, 0, 7000, tzinfo=UTC), "2024-02-29T00:00:00.007Z"),
    (datetime(1, 1, 1, 0, 0, 0, 0, tzinfo=UTC), "0001-01-01T00:00:00.000Z"),
]


@pytest.mark.parametrize(("moment", "written"), VECTORS)
def test_a_time_is_written_in_utc_with_milliseconds_and_z(moment: datetime, written: str) -> None:
    assert format_timestamp(moment) == written
    assert TIMESTAMP.fullmatch(written)
    assert datetime.fromisoformat(written) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamp(datetime(2026, 12, 1, 23, 35, 12, 123456))


def test_the_example_is_written_the_one_way() -> None:
    assert TIMESTAMP.fullmatch(TIMESTAMP_EXAMPLE)
    assert format_timestamp(datetime.fromisoformat(TIMESTAMP_EXAMPLE)) == TIMESTAMP_EXAMPLE


@pytest.mark.parametrize(
    "other",
    [
        "2026-12-01T23:35:12.123456Z",
        "2026-12-01T23:35:12.123+00:00",
        "2026-12-01T23:35:12Z",
        "2026-12-01T23:35:12.12Z",
        "2026-12-01 23:35:12.123Z",
        "2026-12-01T23:35:12.123z",
        "2026-12-01T23:35:12.123Z\n",
    ],
)
def test_the_pattern_refuses_every_other_way_of_writing_a_time(other: str) -> None:
    assert not TIMESTAMP.fullmatch(other)


# ------------------------------------------------------------------ the writers use it


AT = datetime(2026, 12, 1, 23, 35, 12, 123456, tzinfo=UTC)
WRITTEN = "2026-12-01T23:35:12.123Z"


def test_the_webhook_payload_timestamp_is_written_the_one_way_and_the_header_in_whole_seconds() -> None:
    body = message_body("WebhookCreated", AT.astimezone(PLUS_TWO), {"n": 1})
    assert json.loads(body)["timestamp"] == WRITTEN
    headers = webhook_headers(message_id="msg_1", timestamp=int(AT.timestamp()), body=body, secrets=[SECRET], user_agent="test")
    assert headers["webhook-timestamp"] == "1796168112"  # Standard Webhooks: integer seconds


def test_domain_event_details_write_every_time_the_one_way() -> None:
    rotated = webhook_secret_rotated(webhook_id="wh_1", tenant_id="t", previous_secret_expires_at=AT + timedelta(days=1), at=AT)
    assert (rotated.detail["occurredAt"], rotated.detail["previousSecretExpiresAt"]) == (WRITTEN, "2026-12-02T23:35:12.123Z")
    disabled = webhook_disabled(webhook_id="wh_1", tenant_id="t", failing_since=AT.astimezone(PLUS_TWO), at=AT)
    assert disabled.detail["failingSince"] == WRITTEN


def test_response_views_write_every_time_the_one_way_in_json_and_keep_datetimes_in_python() -> None:
    fields = WebhookFields(name="n", url="https://example.com/h", events=("*",), description=None, status=WebhookStatus.ACTIVE)
    webhook = create_webhook(tenant_id="t", fields=fields, now=AT.astimezone(PLUS_TWO))
    view = WebhookView.of(webhook)
    dumped = view.model_dump(mode="json")
    assert (dumped["created_at"], dumped["updated_at"]) == (WRITTEN, WRITTEN)
    assert dumped["failing_since"] is None and dumped["previous_secret_expires_at"] is None
    assert view.model_dump()["created_at"] == AT  # python mode: the datetime itself
    assert json.loads(view.model_dump_json())["created_at"] == WRITTEN
    rotated = webhook.rotated(AT, timedelta(hours=24))
    assert RotatedSecretView.of(rotated).model_dump(mode="json")["previous_secret_expires_at"] == "2026-12-02T23:35:12.123Z"


def test_a_delivery_view_shows_the_payload_exactly_as_sent() -> None:
    message = new_test_message(tenant_id="t", webhook_id="wh_1", now=AT)
    attempt = DeliveryAttempt(at=AT, trigger=AttemptTrigger.MANUAL, status_code=200, duration_ms=5, error=None, response_body="")
    delivery = Delivery(message=message, status=DeliveryStatus.SUCCEEDED, attempts=(attempt,), created_at=AT, updated_at=AT)
    dumped = DeliveryView.of(delivery).model_dump(mode="json")
    assert dumped["payload"] == json.loads(message.body())
    assert dumped["payload"]["timestamp"] == WRITTEN
    assert (dumped["created_at"], dumped["updated_at"], dumped["attempts"][0]["at"]) == (WRITTEN, WRITTEN, WRITTEN)


def test_response_models_document_the_format_and_pattern() -> None:
    schema = WebhookView.model_json_schema(mode="serialization")["properties"]
    for name in ("created_at", "updated_at"):
        assert (schema[name]["type"], schema[name]["format"], schema[name]["pattern"]) == ("string", "date-time", TIMESTAMP_PATTERN)
    for name in ("failing_since", "previous_secret_expires_at"):
        (written, null) = schema[name]["anyOf"]
        assert (written["format"], written["pattern"], null) == ("date-time", TIMESTAMP_PATTERN, {"type": "null"})


def test_nothing_but_the_helper_writes_a_time_for_the_outside() -> None:
    """No ``isoformat()`` or ``strftime`` where times leave the service: the domain (events,
    payloads) and the HTTP edge. (The table's own storage format is internal: its conditions
    compare stored strings, so it stays as it is.)"""
    roots = [PROJECT_ROOT / "layers" / "shared" / "integration" / part for part in ("domain", "entrypoints/http")]
    offenders = []
    for root in roots:
        for path in root.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr in ("isoformat", "strftime"):
                    offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    allowed = (
        "layers/shared/integration/domain/clock.py",  # the helper itself
        "layers/shared/integration/entrypoints/http/credentials.py",  # the authorizer's context: inside the service
    )
    assert [offender for offender in offenders if not offender.startswith(allowed)] == []
