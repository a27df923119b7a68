"""Message ids, rotation and health: the delivery rules that need no AWS."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from integration.domain.deliveries import fanned_out_message_id, new_test_message
from integration.domain.ids import is_valid_id
from integration.domain.webhooks import (
    DISABLED_GONE,
    Webhook,
    WebhookFields,
    WebhookHealthChange,
    WebhookStatus,
    new_signing_secret,
)

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
    assert one.test and one.body().endswith(b',"test":true}')


def test_a_sample_of_an_event_type_carries_its_data_and_the_test_marker() -> None:
    sample = new_test_message(tenant_id="acme", webhook_id="wh_a", now=NOW, event_type="invoice.paid", data={"invoiceId": "inv_1"})
    assert (sample.event_type, sample.data, sample.event_id, sample.test) == ("invoice.paid", {"invoiceId": "inv_1"}, None, True)
    assert json.loads(sample.body())["test"] is True


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


WINDOW = timedelta(days=5)
FAILED = 500


def health(hook: Webhook, status_code: int | None, *, now: datetime = NOW, attempts: int = 5) -> WebhookHealthChange | None:
    return hook.health_after_attempt(status_code=status_code, now=now, disable_after=WINDOW, disable_after_attempts=attempts)


def test_health_a_failure_starts_or_counts_a_run_and_a_success_ends_it() -> None:
    healthy = webhook()
    assert health(healthy, 200) is None and health(healthy, 299) is None  # nothing to write
    for failure in (None, 300, 404, 429, 500, 503, 199):
        assert health(healthy, failure) is WebhookHealthChange.FAILING
    failing = webhook(failing_since=NOW, failing_attempts=3)
    assert health(failing, 500, now=NOW + timedelta(hours=1)) is WebhookHealthChange.FAILING  # one more in the run
    assert health(failing, 204) is WebhookHealthChange.RECOVERED
    assert health(webhook(failing_attempts=1), 200) is WebhookHealthChange.RECOVERED  # a count alone is forgotten too


def test_health_disables_only_after_the_whole_window_and_enough_attempts() -> None:
    run = webhook(failing_since=NOW, failing_attempts=4)  # this failure is the 5th
    end = NOW + WINDOW
    assert health(run, FAILED, now=end - timedelta(seconds=1)) is WebhookHealthChange.FAILING  # window: one second short
    assert health(run, FAILED, now=end) is WebhookHealthChange.DISABLE  # window and attempts: both just met
    short = webhook(failing_since=NOW, failing_attempts=3)  # this failure is the 4th
    assert health(short, FAILED, now=end + timedelta(days=30)) is WebhookHealthChange.FAILING  # attempts: one short
    assert health(short, FAILED, now=end, attempts=4) is WebhookHealthChange.DISABLE


def test_one_attempt_to_a_quiet_endpoint_long_after_its_first_failure_does_not_disable_it() -> None:
    # A low-traffic endpoint: one failure, then nothing for a week, then one more failure.
    quiet = webhook(failing_since=NOW, failing_attempts=1)
    assert health(quiet, FAILED, now=NOW + timedelta(days=7)) is WebhookHealthChange.FAILING
    assert health(quiet, FAILED, now=NOW + timedelta(days=7), attempts=2) is WebhookHealthChange.DISABLE


def test_a_first_failure_disables_only_when_window_and_attempts_allow_it() -> None:
    healthy = webhook()
    no_window = timedelta(0)
    assert healthy.health_after_attempt(status_code=500, now=NOW, disable_after=no_window, disable_after_attempts=2) is WebhookHealthChange.FAILING
    assert healthy.health_after_attempt(status_code=500, now=NOW, disable_after=no_window, disable_after_attempts=1) is WebhookHealthChange.DISABLE


def test_410_gone_disables_at_once_and_nothing_else_does() -> None:
    assert health(webhook(), 410) is WebhookHealthChange.GONE  # no run of failures needed
    assert health(webhook(failing_since=NOW, failing_attempts=2), 410) is WebhookHealthChange.GONE
    for other in (400, 401, 403, 404, 409, 411, 451):
        assert health(webhook(), other) is WebhookHealthChange.FAILING


def test_a_disabled_webhook_is_never_disabled_again() -> None:
    disabled = webhook(status=WebhookStatus.DISABLED, failing_since=NOW, failing_attempts=10)
    assert health(disabled, 410) is None
    assert health(disabled, FAILED, now=NOW + WINDOW) is None


def test_re_enabling_a_disabled_webhook_starts_its_health_afresh() -> None:
    disabled = webhook(status=WebhookStatus.DISABLED, failing_since=NOW, failing_attempts=7, disabled_reason=DISABLED_GONE)
    fields = WebhookFields(disabled.name, disabled.url, disabled.events, disabled.description, WebhookStatus.ACTIVE)
    enabled, changes = disabled.replaced(fields, NOW + timedelta(hours=1))
    assert changes == {"status": "active"}
    assert (enabled.failing_since, enabled.failing_attempts, enabled.disabled_reason) == (None, 0, None)
    renamed, _ = webhook(failing_since=NOW, failing_attempts=2).replaced(replace(fields, name="other"), NOW)
    assert (renamed.failing_since, renamed.failing_attempts) == (NOW, 2)  # other edits keep the run of failures
    still_disabled, _ = disabled.replaced(replace(fields, name="other", status=WebhookStatus.DISABLED), NOW)
    assert still_disabled.disabled_reason == DISABLED_GONE  # and the reason it was disabled for
    by_put, _ = webhook(failing_since=NOW).replaced(replace(fields, status=WebhookStatus.DISABLED), NOW)
    assert by_put.status is WebhookStatus.DISABLED and by_put.disabled_reason is None  # a PUT gives no reason
