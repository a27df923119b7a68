"""A webhook's health in every view of it (GET, list, create, PUT, PATCH): ``failing_since``,
``disabled_reason`` and ``previous_secret_expires_at``, driven by the real delivery use case
against a real receiver on loopback and by the real rotation; never a secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integration import wiring
from integration.application.deliveries import DeliverMessageUseCase, DeliveryOutcome, DeliverySettings
from integration.domain.deliveries import WebhookMessage, fanned_out_message_id
from integration.domain.signing import USER_AGENT
from integration.domain.url_policy import UrlPolicy
from integration.domain.webhooks import DISABLED_FAILING, DISABLED_GONE
from integration.infrastructure.webhook_http import WebhookHttpClient
from tests.conftest import Api
from tests.integration.delivery_helpers import use_delivery_environment
from tests.integration.helpers import create_webhook
from tests.webhook_receiver import Receiver, running_receiver

pytestmark = pytest.mark.usefixtures("aws")

HEALTH = ("failing_since", "disabled_reason", "previous_secret_expires_at")
T0 = datetime(2030, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)  # microseconds: views show milliseconds
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _environment(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def deliver(hook: dict[str, Any], receiver: Receiver, status: int, *, at: datetime, n: int, attempts: int = 5) -> DeliveryOutcome:
    """One scheduled attempt of message ``n`` at ``at``, the receiver answering ``status``."""
    receiver.statuses = [status]
    settings = DeliverySettings(
        schedule=(0, 10, 60),
        disable_after=timedelta(days=5),
        log_retention=timedelta(days=30),
        user_agent=USER_AGENT,
        disable_after_attempts=attempts,
    )
    sender = WebhookHttpClient(UrlPolicy(allow_http=True, allow_loopback=True))
    use_case = DeliverMessageUseCase(wiring.webhook_repository(), wiring.delivery_log(), sender, settings, clock=lambda: at)
    message = WebhookMessage(
        id=fanned_out_message_id(event_key=f"evt_{n}", webhook_id=hook["id"], occurred_at=at),
        tenant_id="tenant-a",
        webhook_id=hook["id"],
        event_type="WebhookCreated",
        event_id=f"evt_{n}",
        timestamp=at,
        data={"tenantId": "tenant-a", "n": n},
    )
    return use_case.execute(message, attempt_number=1, manual=False)


def get(api: Api, webhook_id: str) -> tuple[dict[str, Any], str]:
    status, headers, body = api.call("GET", f"/webhooks/{webhook_id}")
    assert status == 200, body
    return body, headers["etag"]


def health(view: dict[str, Any]) -> dict[str, Any]:
    return {name: view[name] for name in HEALTH}


def listed(api: Api, webhook_id: str) -> dict[str, Any]:
    (view,) = [item for item in api.call("GET", "/webhooks")[2]["items"] if item["id"] == webhook_id]
    return view


HEALTHY = {"failing_since": None, "disabled_reason": None, "previous_secret_expires_at": None}


def test_a_new_webhook_shows_it_is_healthy_in_every_view(api: Api) -> None:
    created = create_webhook(api, description="d")
    path = f"/webhooks/{created['id']}"
    put = {name: created[name] for name in ("name", "url", "events", "description", "status")}

    views = [
        created,
        get(api, created["id"])[0],
        listed(api, created["id"]),
        api.call("PUT", path, body={**put, "name": "renamed"})[2],
        api.call("PATCH", path, body={"name": "renamed again"})[2],
    ]

    for view in views:
        assert health(view) == HEALTHY, view


def test_failing_since_is_when_the_run_of_failed_attempts_began_and_clears_on_success(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)

    deliver(hook, receiver, 500, at=T0, n=1)
    first, etag = get(api, hook["id"])
    assert first["failing_since"] == "2030-01-01T12:00:00.123Z"
    assert (first["status"], first["disabled_reason"]) == ("active", None)
    # Delivery state, not a setting: the ETag (what an If-Match guards) stays.
    assert etag == '"1"'

    deliver(hook, receiver, 503, at=T0 + HOUR, n=2)
    assert get(api, hook["id"])[0]["failing_since"] == "2030-01-01T12:00:00.123Z"  # the run's start, not the latest
    assert listed(api, hook["id"])["failing_since"] == "2030-01-01T12:00:00.123Z"
    assert api.call("PATCH", f"/webhooks/{hook['id']}", body={})[2]["failing_since"] == "2030-01-01T12:00:00.123Z"

    deliver(hook, receiver, 200, at=T0 + 2 * HOUR, n=3)
    assert get(api, hook["id"]) == ({**first, "failing_since": None}, '"1"')

    deliver(hook, receiver, 500, at=T0 + 3 * HOUR, n=4)
    assert get(api, hook["id"])[0]["failing_since"] == "2030-01-01T15:00:00.123Z"  # a new run


def test_a_webhook_disabled_by_failing_attempts_says_why(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)

    deliver(hook, receiver, 500, at=T0, n=1, attempts=2)
    outcome = deliver(hook, receiver, 500, at=T0 + timedelta(days=5), n=2, attempts=2)

    assert outcome.disabled_webhook
    view, etag = get(api, hook["id"])
    assert (view["status"], view["disabled_reason"], view["failing_since"]) == ("disabled", DISABLED_FAILING, None)
    assert view["disabled_reason"] == "every delivery attempt failed"
    assert etag == '"2"'  # disabling is a write of a setting (the status)


def test_a_webhook_disabled_by_410_gone_says_why_and_enabling_it_clears_the_reason(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)

    assert deliver(hook, receiver, 410, at=T0, n=1).disabled_webhook

    view = get(api, hook["id"])[0]
    assert (view["status"], view["disabled_reason"]) == ("disabled", DISABLED_GONE)
    assert listed(api, hook["id"])["disabled_reason"] == "endpoint answered 410 Gone"
    enabled = api.call("PATCH", f"/webhooks/{hook['id']}", body={"status": "active"})[2]
    assert health(enabled) == HEALTHY and enabled["status"] == "active"


def test_previous_secret_expires_at_shows_when_the_old_secret_stops_signing(api: Api) -> None:
    created = create_webhook(api)
    path = f"/webhooks/{created['id']}"

    status, _, rotated = api.call("POST", f"{path}/rotate-secret")
    assert status == 200, rotated

    view, etag = get(api, created["id"])
    assert etag == '"2"'
    assert view["previous_secret_expires_at"] == rotated["previous_secret_expires_at"]
    grace = datetime.fromisoformat(view["previous_secret_expires_at"]) - datetime.fromisoformat(view["updated_at"])
    assert grace == timedelta(hours=24)  # the default grace period
    assert listed(api, created["id"])["previous_secret_expires_at"] == view["previous_secret_expires_at"]
    assert api.call("PATCH", path, body={"name": "renamed"})[2]["previous_secret_expires_at"] == view["previous_secret_expires_at"]

    # No view shows a secret: neither the new one nor the one still signing.
    for secret in (created["secret"], rotated["secret"]):
        for body in (view, listed(api, created["id"]), api.call("PATCH", path, body={})[2]):
            assert secret.removeprefix("whsec_") not in json.dumps(body)
            assert "secret" not in body


def test_previous_secret_expires_at_is_null_after_a_rotation_without_a_grace_period(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET_GRACE_PERIOD_SECONDS", "0")
    wiring.reset()
    created = create_webhook(api)

    rotated = api.call("POST", f"/webhooks/{created['id']}/rotate-secret")[2]

    assert rotated["previous_secret_expires_at"] is None
    assert get(api, created["id"])[0]["previous_secret_expires_at"] is None
