"""Message ids, rotation and health: the delivery rules that need no AWS."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from integration.domain.deliveries import fanned_out_message_id, new_test_message
from integration.domain.ids import is_valid_id
from integration.domain.webhooks import Webhook, WebhookFields, WebhookHealthChange, WebhookStatus, new_signing_secret

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def webhook(**changes: object) -> Webhook:
    base = Webhook(
        id="wh_01M8JVWR7Q2BQDDWVMMXSCGK4F",
        tenant_id="acme",
        name="n",
        url="https://example.com/hook",
        events=("*",),
        description=None,
        status=WebhookStatus.ACTIVE,
        secret=new_signing_secret(),
        created_at=NOW,
        updated_at=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_fanned_out_message_id_is_the_same_for_the_same_event_and_webhook() -> None:
    first = fanned_out_message_id(event_key="evt_1", webhook_id="wh_a", occurred_at=NOW)
    assert first == fanned_out_message_id(event_key="evt_1", webhook_id="wh_a", occurred_at=NOW)
    assert is_valid_id(first, "msg")
    assert first != fanned_out_message_id(event_key="evt_1", webhook_id="wh_b", occurred_at=NOW)
    assert first != fanned_out_message_id(event_key="evt_2", webhook_id="wh_a", occurred_at=NOW)


def test_message_ids_sort_by_event_time_so_the_log_lists_newest_first() -> None:
    earlier = fanned_out_message_id(event_key="zzz", webhook_id="wh_a", occurred_at=NOW)
    later = fanned_out_message_id(event_key="aaa", webhook_id="wh_a", occurred_at=NOW + timedelta(milliseconds=1))
    assert earlier < later


def test_a_test_message_is_a_webhook_test_event_with_a_fresh_id() -> None:
    one = new_test_message(tenant_id="acme", webhook_id="wh_a", now=NOW)
    two = new_test_message(tenant_id="acme", webhook_id="wh_a", now=NOW)
    assert one.event_type == "webhook.test" and one.event_id is None
    assert one.id != two.id and is_valid_id(one.id, "msg")
    assert b'"type":"webhook.test"' in one.body()


def test_rotation_signs_with_both_secrets_until_the_grace_period_ends() -> None:
    current = webhook()
    rotated = current.rotated(NOW, timedelta(hours=24))
    assert rotated.secret != current.secret and rotated.secret.startswith("whsec_")
    assert rotated.signing_secrets(NOW) == (rotated.secret, current.secret)
    assert rotated.signing_secrets(NOW + timedelta(hours=24)) == (rotated.secret,)


def test_rotating_twice_keeps_only_the_latest_previous_secret() -> None:
    first = webhook()
    second = first.rotated(NOW, timedelta(hours=24))
    third = second.rotated(NOW + timedelta(minutes=1), timedelta(hours=24))
    assert third.signing_secrets(NOW + timedelta(minutes=2)) == (third.secret, second.secret)


def test_a_zero_grace_period_drops_the_old_secret_at_once() -> None:
    rotated = webhook().rotated(NOW, timedelta(0))
    assert rotated.signing_secrets(NOW) == (rotated.secret,)
    assert rotated.previous_secret is None


def test_health_first_failure_marks_failing_and_a_success_recovers() -> None:
    window = timedelta(days=5)
    healthy = webhook()
    assert healthy.health_after_attempt(succeeded=True, now=NOW, disable_after=window) is None
    assert healthy.health_after_attempt(succeeded=False, now=NOW, disable_after=window) is WebhookHealthChange.FAILING
    failing = webhook(failing_since=NOW)
    assert failing.health_after_attempt(succeeded=True, now=NOW, disable_after=window) is WebhookHealthChange.RECOVERED


def test_health_disables_only_after_failing_for_the_whole_window() -> None:
    window = timedelta(days=5)
    failing = webhook(failing_since=NOW)
    almost = NOW + window - timedelta(seconds=1)
    assert failing.health_after_attempt(succeeded=False, now=almost, disable_after=window) is None
    assert failing.health_after_attempt(succeeded=False, now=NOW + window, disable_after=window) is WebhookHealthChange.DISABLE


def test_re_enabling_a_disabled_webhook_starts_its_health_afresh() -> None:
    disabled = webhook(status=WebhookStatus.DISABLED, failing_since=NOW)
    fields = WebhookFields(disabled.name, disabled.url, disabled.events, disabled.description, WebhookStatus.ACTIVE)
    enabled, changes = disabled.replaced(fields, NOW + timedelta(hours=1))
    assert changes == {"status": "active"}
    assert enabled.failing_since is None
    renamed, _ = webhook(failing_since=NOW).replaced(replace(fields, name="other"), NOW)
    assert renamed.failing_since == NOW  # other edits keep the run of failures
