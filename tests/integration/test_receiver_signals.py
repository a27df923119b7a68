"""What a receiver's answer tells the delivery function, one attempt at a time: the real use case,
DynamoDB on moto, the real HTTP client and a real receiver on loopback.

- ``Retry-After`` on 429 and 503 (seconds or HTTP-date) sets the delay before the next attempt,
  at most the schedule's longest delay, and never past the queue's retention;
- ``410 Gone`` disables the webhook at once, with its reason;
- a 2xx whose body then times out is a success, and its log says the body was cut;
- a failing webhook is disabled once its run of failures is old enough AND long enough, with one
  write to the webhook per attempt.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from integration import wiring
from integration.application.deliveries import AttemptResult, DeliverMessageUseCase, DeliveryOutcome, DeliverySettings
from integration.domain.clock import format_timestamp
from integration.domain.deliveries import WebhookMessage, fanned_out_message_id
from integration.domain.signing import USER_AGENT
from integration.domain.url_policy import UrlPolicy
from integration.infrastructure.aws import dynamodb_client
from integration.infrastructure.webhook_http import WebhookHttpClient
from integration.settings import settings
from tests.conftest import Api
from tests.integration.delivery_helpers import delivery, use_delivery_environment
from tests.integration.helpers import create_webhook, items, outbox
from tests.webhook_receiver import Answer, Receiver, running_receiver

pytestmark = pytest.mark.usefixtures("aws")

SCHEDULE = (0, 10, 60)  # attempt 2 ten seconds after the first, attempt 3 a minute after that
LONGEST = max(SCHEDULE)
THREE_DAYS = 3 * 24 * 3600


@pytest.fixture(autouse=True)
def _environment(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def use_case(
    *, clock: Clock | None = None, attempts: int = 5, window: timedelta = timedelta(days=5), total_timeout: float = 15.0
) -> DeliverMessageUseCase:
    settings = DeliverySettings(
        schedule=SCHEDULE,
        disable_after=window,
        log_retention=timedelta(days=30),
        user_agent=USER_AGENT,
        disable_after_attempts=attempts,
    )
    sender = WebhookHttpClient(UrlPolicy(allow_http=True, allow_loopback=True), total_timeout=total_timeout)
    return DeliverMessageUseCase(
        wiring.webhook_repository(), wiring.delivery_log(), sender, settings, clock=clock or (lambda: datetime.now(UTC))
    )


def message(hook: dict[str, Any], n: int = 1, tenant: str = "tenant-a") -> WebhookMessage:
    at = datetime(2026, 11, 29, 12, 0, tzinfo=UTC) + timedelta(seconds=n)
    return WebhookMessage(
        id=fanned_out_message_id(event_key=f"evt_{n}", webhook_id=hook["id"], occurred_at=at),
        tenant_id=tenant,
        webhook_id=hook["id"],
        event_type="WebhookCreated",
        event_id=f"evt_{n}",
        timestamp=at,
        data={"tenantId": tenant, "n": n},
    )


def stored_webhook(hook: dict[str, Any]) -> dict[str, Any]:
    (item,) = [item for item in items(dynamodb_client(), settings().table_name) if item["SK"] == f"WEBHOOK#{hook['id']}"]
    return item


def attempt(
    api: Api, hook: dict[str, Any], receiver: Receiver, answer: int | Answer, *, n: int = 1, number: int = 1, **options: Any
) -> DeliveryOutcome:
    receiver.statuses = [answer]
    queued_at = options.pop("queued_at", None)
    manual = options.pop("manual", False)
    return use_case(**options).execute(message(hook, n), attempt_number=number, manual=manual, queued_at=queued_at)


# ------------------------------------------------------------------ Retry-After


def in_seconds(seconds: float) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds), usegmt=True)


@pytest.mark.parametrize(
    ("answer", "retry_in"),
    [
        pytest.param(Answer(503), 10, id="503-absent-schedule"),
        pytest.param(Answer(503, {"Retry-After": "30"}), 30, id="503-seconds"),
        pytest.param(Answer(429, {"Retry-After": "30"}), 30, id="429-seconds"),
        pytest.param(Answer(429, {"Retry-After": "1"}), 1, id="429-shorter-than-the-schedule"),
        pytest.param(Answer(503, {"Retry-After": "0"}), 0, id="503-zero"),
        pytest.param(Answer(503, {"Retry-After": str(LONGEST - 1)}), LONGEST - 1, id="cap-minus-one"),
        pytest.param(Answer(503, {"Retry-After": str(LONGEST)}), LONGEST, id="cap"),
        pytest.param(Answer(503, {"Retry-After": str(LONGEST + 1)}), LONGEST, id="cap-plus-one"),
        pytest.param(Answer(429, {"Retry-After": "86400"}), LONGEST, id="a-day"),
        pytest.param(Answer(503, {"Retry-After": "-5"}), 10, id="negative-schedule"),
        pytest.param(Answer(503, {"Retry-After": "-0"}), 10, id="signed-zero-schedule"),
        pytest.param(Answer(503, {"Retry-After": "1.5"}), 10, id="decimal-schedule"),
        pytest.param(Answer(503, {"Retry-After": "soon"}), 10, id="malformed-schedule"),
        pytest.param(Answer(503, {"Retry-After": "Sun, 31 Feb 2026 12:00:00 GMT"}), 10, id="impossible-date-schedule"),
        pytest.param(Answer(503, {"Retry-After": "Sun, 01 Jan 2023 00:00:00 GMT"}), 0, id="date-in-the-past"),
        pytest.param(Answer(500, {"Retry-After": "30"}), 10, id="500-ignores-it"),
        pytest.param(Answer(404, {"Retry-After": "30"}), 10, id="404-ignores-it"),
    ],
)
def test_retry_after_on_429_and_503_sets_the_next_delay_within_bounds(
    api: Api, receiver: Receiver, answer: Answer, retry_in: int
) -> None:
    hook = create_webhook(api, receiver.url)
    before = datetime.now(UTC)
    outcome = attempt(api, hook, receiver, answer, queued_at=before)

    assert (outcome.result, outcome.retry_in, outcome.status_code) == (AttemptResult.RETRY, retry_in, answer.status)
    logged = delivery(api, hook["id"], message(hook).id)
    assert logged["status"] == "pending"
    (only,) = logged["attempts"]
    next_attempt_at = datetime.fromisoformat(logged["next_attempt_at"])
    at = datetime.fromisoformat(only["at"])
    assert next_attempt_at - at == timedelta(seconds=retry_in)  # the log says when, too


@pytest.mark.parametrize("ahead", [30, LONGEST - 1])
def test_retry_after_as_an_http_date_counts_from_now(api: Api, receiver: Receiver, ahead: int) -> None:
    hook = create_webhook(api, receiver.url)
    outcome = attempt(api, hook, receiver, Answer(503, {"Retry-After": in_seconds(ahead)}))
    assert outcome.retry_in is not None and ahead - 2 <= outcome.retry_in <= ahead


def test_retry_after_as_an_http_date_beyond_the_cap_is_capped(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)
    assert attempt(api, hook, receiver, Answer(429, {"Retry-After": in_seconds(LONGEST + 30)})).retry_in == LONGEST


def test_retry_after_never_gives_an_attempt_the_schedule_does_not_have(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)
    outcome = attempt(api, hook, receiver, Answer(503, {"Retry-After": "5"}), number=len(SCHEDULE))
    assert (outcome.result, outcome.retry_in) == (AttemptResult.FAILED, None)
    assert delivery(api, hook["id"], message(hook).id)["status"] == "failed"


def test_a_manual_attempt_is_not_retried_whatever_retry_after_says(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)
    outcome = attempt(api, hook, receiver, Answer(503, {"Retry-After": "5"}), manual=True)
    assert (outcome.result, outcome.retry_in) == (AttemptResult.FAILED, None)


@pytest.mark.parametrize(
    ("age", "retry_in"),
    [
        # Granted while the message, with the schedule's delay for attempt 3 (60 s) after it,
        # still ends within 3 days of being queued; the schedule's own 10 s are always allowed.
        (THREE_DAYS - 60 - LONGEST, LONGEST),
        (THREE_DAYS - 60 - LONGEST + 1, LONGEST - 1),
        (THREE_DAYS - 60 - 10, 10),
        (THREE_DAYS, 10),
    ],
)
def test_retry_after_cannot_push_an_old_message_past_the_queues_retention(
    api: Api, receiver: Receiver, age: int, retry_in: int
) -> None:
    hook = create_webhook(api, receiver.url)
    clock = Clock(datetime.now(UTC))
    outcome = attempt(
        api, hook, receiver, Answer(503, {"Retry-After": "86400"}), clock=clock, queued_at=clock.now - timedelta(seconds=age)
    )
    assert outcome.retry_in == retry_in


# ------------------------------------------------------------------ 410 Gone


def test_410_gone_disables_the_webhook_at_once_with_its_reason(
    api: Api, receiver: Receiver, dynamodb: Any, table_name: str
) -> None:
    hook = create_webhook(api, receiver.url)
    outcome = attempt(api, hook, receiver, Answer(410, {"Retry-After": "5"}))  # a Retry-After does not bring it back

    assert (outcome.result, outcome.retry_in, outcome.status_code) == (AttemptResult.FAILED, None, 410)
    assert outcome.disabled_webhook and outcome.reason == "endpoint answered 410 Gone"
    item = stored_webhook(hook)
    assert (item["status"], item["disabled_reason"], item["version"]) == ("disabled", "endpoint answered 410 Gone", 2)
    assert "failing_since" not in item and "failing_attempts" not in item
    assert item["GSI1PK"] == "TENANT#tenant-a#WEBHOOKS#disabled"
    shown = api.call("GET", f"/webhooks/{hook['id']}")[2]
    assert (shown["status"], shown["disabled_reason"]) == ("disabled", "endpoint answered 410 Gone")
    (event,) = outbox(dynamodb, table_name, "WebhookDisabled")
    logged = delivery(api, hook["id"], message(hook).id)
    assert event["detail"]["reason"] == "endpoint answered 410 Gone"
    assert event["detail"]["failingSince"] == logged["attempts"][0]["at"]  # the run began with this very attempt
    assert logged["status"] == "failed" and logged["next_attempt_at"] is None
    assert api.call("GET", f"/webhooks/{hook['id']}")[2]["status"] == "disabled"

    # Whatever else was queued for it is dropped, not sent.
    receiver.statuses = []
    dropped = use_case().execute(message(hook, 2), attempt_number=1, manual=False)
    assert dropped.result is AttemptResult.DROPPED and len(receiver.requests) == 1


def test_410_gone_on_a_failing_webhook_reports_when_its_failures_began(
    api: Api, receiver: Receiver, dynamodb: Any, table_name: str
) -> None:
    hook = create_webhook(api, receiver.url)
    assert not attempt(api, hook, receiver, 500, n=1).disabled_webhook
    began = stored_webhook(hook)["failing_since"]
    assert attempt(api, hook, receiver, 410, n=2).disabled_webhook
    (event,) = outbox(dynamodb, table_name, "WebhookDisabled")
    assert event["detail"]["failingSince"] == format_timestamp(datetime.fromisoformat(began))


def test_410_gone_to_a_manual_retry_disables_too(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)
    outcome = attempt(api, hook, receiver, 410, manual=True)
    assert outcome.disabled_webhook and stored_webhook(hook)["status"] == "disabled"


@pytest.mark.parametrize(("status", "disabled"), [(410, True), (500, False)])
def test_a_failure_counted_meanwhile_stops_the_window_rule_but_not_a_410(
    api: Api, receiver: Receiver, status: int, disabled: bool
) -> None:
    # Read healthy; another attempt starts a run of failures before this one's disabling write.
    hook = create_webhook(api, receiver.url)
    repository = wiring.webhook_repository()
    stale = repository.get("tenant-a", hook["id"])
    assert stale is not None
    client = dynamodb_client()
    fired: list[str] = []

    def another_failure(**_: Any) -> None:
        if not fired:
            fired.append("x")
            repository.mark_failing(stale, datetime.now(UTC))

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", another_failure, unique_id="another-failure")
    try:
        outcome = attempt(api, hook, receiver, status, attempts=1, window=timedelta(0))  # 500 alone would disable
    finally:
        client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="another-failure")

    assert fired and outcome.disabled_webhook is disabled
    assert stored_webhook(hook)["status"] == ("disabled" if disabled else "active")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 411])
def test_other_4xx_answers_are_ordinary_failures(api: Api, receiver: Receiver, status: int) -> None:
    hook = create_webhook(api, receiver.url)
    outcome = attempt(api, hook, receiver, status)
    assert (outcome.result, outcome.disabled_webhook) == (AttemptResult.RETRY, False)
    item = stored_webhook(hook)
    assert (item["status"], item["failing_attempts"]) == ("active", 1)


def test_a_put_re_enabling_a_gone_webhook_clears_its_reason(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)
    attempt(api, hook, receiver, 410)
    body = {"name": "receiver", "url": receiver.url, "events": ["*"], "status": "active"}
    assert api.call("PUT", f"/webhooks/{hook['id']}", body=body)[0] == 200
    item = stored_webhook(hook)
    assert item["status"] == "active" and "disabled_reason" not in item
    assert api.call("GET", f"/webhooks/{hook['id']}")[2]["disabled_reason"] is None


# ------------------------------------------------------------------ a 2xx whose body times out


def test_a_2xx_whose_body_times_out_is_a_success_and_its_log_says_the_body_was_cut(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)
    attempt(api, hook, receiver, 500, n=1)  # a run of failures that the success ends
    outcome = attempt(api, hook, receiver, Answer(200, stall_seconds=5), n=2, total_timeout=1.0)

    assert (outcome.result, outcome.status_code, outcome.retry_in) == (AttemptResult.SUCCEEDED, 200, None)
    logged = delivery(api, hook["id"], message(hook, 2).id)
    (only,) = logged["attempts"]
    assert logged["status"] == "succeeded"
    assert (only["status_code"], only["error"]) == (200, "timeout reading the response body: body cut")
    item = stored_webhook(hook)
    assert "failing_since" not in item and "failing_attempts" not in item  # healthy again


def test_a_503_whose_body_times_out_is_a_failure_that_still_honours_retry_after(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)
    outcome = attempt(api, hook, receiver, Answer(503, {"Retry-After": "42"}, stall_seconds=5), total_timeout=1.0)
    assert (outcome.result, outcome.retry_in) == (AttemptResult.RETRY, 42)


# ------------------------------------------------------------------ disabling a failing webhook


class Writes:
    """The DynamoDB calls the functions' client makes (botocore's own event hooks)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self._client = dynamodb_client()
        self._client.meta.events.register("before-call.dynamodb.*", self._count, unique_id="writes")

    def _count(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def remove(self) -> None:
        self._client.meta.events.unregister("before-call.dynamodb.*", unique_id="writes")


@pytest.fixture
def writes() -> Iterator[Writes]:
    counter = Writes()
    yield counter
    counter.remove()


def fail_at(
    api: Api, hook: dict[str, Any], receiver: Receiver, clock: Clock, at: datetime, n: int, **options: Any
) -> DeliveryOutcome:
    clock.now = at
    return attempt(api, hook, receiver, 500, n=n, clock=clock, **options)


T0 = datetime(2030, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_failing_webhook_is_disabled_once_its_run_is_old_enough_and_long_enough(
    api: Api, receiver: Receiver, dynamodb: Any, table_name: str
) -> None:
    hook = create_webhook(api, receiver.url)
    clock = Clock(T0)
    rule = {"attempts": 3, "window": HOUR}
    assert not fail_at(api, hook, receiver, clock, T0, 1, **rule).disabled_webhook
    assert not fail_at(api, hook, receiver, clock, T0 + timedelta(minutes=1), 2, **rule).disabled_webhook
    # The third failure, one second before the window ends: not yet.
    assert not fail_at(api, hook, receiver, clock, T0 + HOUR - timedelta(seconds=1), 3, **rule).disabled_webhook
    item = stored_webhook(hook)
    assert (item["failing_since"], item["failing_attempts"], item["status"]) == (T0.isoformat(), 3, "active")
    # The fourth, as the window ends: disabled.
    outcome = fail_at(api, hook, receiver, clock, T0 + HOUR, 4, **rule)
    assert outcome.disabled_webhook and outcome.reason == "every delivery attempt failed"
    item = stored_webhook(hook)
    assert (item["status"], item["disabled_reason"]) == ("disabled", "every delivery attempt failed")
    (event,) = outbox(dynamodb, table_name, "WebhookDisabled")
    assert event["detail"]["reason"] == "every delivery attempt failed"
    assert event["detail"]["failingSince"] == format_timestamp(T0)


@pytest.mark.parametrize(("attempts", "disabled"), [(3, False), (2, True)])
def test_a_quiet_endpoint_is_not_disabled_by_one_attempt_after_the_window(
    api: Api, receiver: Receiver, attempts: int, disabled: bool
) -> None:
    # One failure, then nothing for a week, then one more failure: only 2 attempts in the run.
    hook = create_webhook(api, receiver.url)
    clock = Clock(T0)
    rule = {"attempts": attempts, "window": timedelta(days=5)}
    assert not fail_at(api, hook, receiver, clock, T0, 1, **rule).disabled_webhook
    assert fail_at(api, hook, receiver, clock, T0 + timedelta(days=7), 2, **rule).disabled_webhook is disabled
    assert stored_webhook(hook)["status"] == ("disabled" if disabled else "active")


def test_a_success_resets_the_run_and_its_count(api: Api, receiver: Receiver) -> None:
    hook = create_webhook(api, receiver.url)
    clock = Clock(T0)
    rule = {"attempts": 3, "window": HOUR}
    fail_at(api, hook, receiver, clock, T0, 1, **rule)
    fail_at(api, hook, receiver, clock, T0 + timedelta(minutes=1), 2, **rule)
    clock.now = T0 + timedelta(minutes=2)
    assert attempt(api, hook, receiver, 200, n=3, clock=clock, **rule).result is AttemptResult.SUCCEEDED
    item = stored_webhook(hook)
    assert "failing_since" not in item and "failing_attempts" not in item
    # A new run: the two old failures no longer count, nor does the old start.
    assert not fail_at(api, hook, receiver, clock, T0 + 2 * HOUR, 4, **rule).disabled_webhook
    assert stored_webhook(hook)["failing_since"] == (T0 + 2 * HOUR).isoformat()
    assert not fail_at(api, hook, receiver, clock, T0 + 4 * HOUR, 5, **rule).disabled_webhook  # old enough, only 2 attempts
    assert fail_at(api, hook, receiver, clock, T0 + 4 * HOUR, 6, **rule).disabled_webhook  # the 3rd


def test_each_attempt_writes_the_webhook_at_most_once(api: Api, receiver: Receiver, writes: Writes) -> None:
    hook = create_webhook(api, receiver.url)
    clock = Clock(T0)
    rule = {"attempts": 3, "window": HOUR}

    def calls_of(run: Any) -> list[str]:
        writes.calls.clear()
        run()
        return list(writes.calls)

    # GetItem: the webhook; UpdateItem: the log; then one write to the webhook (or none).
    assert calls_of(lambda: attempt(api, hook, receiver, 200, n=1, clock=clock, **rule)) == ["GetItem", "UpdateItem"]
    assert calls_of(lambda: fail_at(api, hook, receiver, clock, T0, 2, **rule)) == ["GetItem", "UpdateItem", "UpdateItem"]
    assert calls_of(lambda: fail_at(api, hook, receiver, clock, T0 + HOUR, 3, **rule)) == ["GetItem", "UpdateItem", "UpdateItem"]
    assert stored_webhook(hook)["failing_attempts"] == 2
    assert calls_of(lambda: fail_at(api, hook, receiver, clock, T0 + HOUR, 4, **rule)) == [
        "GetItem",
        "UpdateItem",
        "TransactWriteItems",
    ]
    assert stored_webhook(hook)["status"] == "disabled"


def test_failures_counted_from_the_same_stale_read_are_all_counted(api: Api) -> None:
    # Attempts to one webhook run side by side: each counts its failure without losing another's.
    hook = create_webhook(api, "https://hooks.example.com/in")
    repository = wiring.webhook_repository()
    stale = repository.get("tenant-a", hook["id"])
    assert stale is not None
    for offset in range(3):
        repository.mark_failing(stale, T0 + timedelta(seconds=offset))
    item = stored_webhook(hook)
    assert (item["failing_since"], item["failing_attempts"]) == (T0.isoformat(), 3)  # the first one's start


def test_the_template_gives_the_delivery_function_the_attempts_rule(aws: Any, template: Any) -> None:
    parameter = template.raw["Parameters"]["DisableFailingWebhooksAfterAttempts"]
    assert (parameter["Type"], parameter["Default"], parameter["MinValue"]) == ("Number", 5, 1)
    environment = aws.function_environment("WebhookDeliveryFunction")
    assert environment["DISABLE_FAILING_WEBHOOKS_AFTER_ATTEMPTS"] == "5"
    assert environment["DISABLE_FAILING_WEBHOOKS_AFTER_SECONDS"] == "432000"
