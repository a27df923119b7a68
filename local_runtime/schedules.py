"""EventBridge Scheduler schedules (SAM ``Type: ScheduleV2`` events), run locally.

A schedule with ``ScheduleExpression: rate(N unit)`` (second, minute, hour or day, singular or
plural; ``!Ref`` of a parameter works, and so LOCAL_PARAMETER_OVERRIDES) invokes its function
every N units, the first time N units after the runtime starts, as an asynchronous invocation
would: a run that takes longer than the rate does not delay the next (another instance takes it),
and a failed run is logged, not retried. Locally the rate may be in seconds
(``rate(5 seconds)``), which AWS refuses (its shortest rate is 1 minute). ``cron(...)`` and
``at(...)`` expressions are not run locally: the runtime says so at start-up. ``State: DISABLED``
schedules are not run.

The event is what Scheduler sends a Lambda target: the schedule's ``Input`` (JSON text) when it
has one, else Scheduler's default event (``source: aws.scheduler``, ``detail-type: Scheduled
Event``, ``resources``: the schedule's ARN, ``detail: "{}"``).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from local_runtime import output
from local_runtime.gateway import Invocable
from local_runtime.resources import ACCOUNT_ID, REGION, Stack
from local_runtime.template import ScheduleSubscription

_RATE = re.compile(r"rate\(\s*([1-9][0-9]*)\s+(second|seconds|minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
ERROR_BACKOFF_SECONDS = 1.0


class UnsupportedSchedule(ValueError):
    """A schedule expression the local runtime does not run (cron, at)."""


def rate_seconds(expression: str) -> int:
    """Seconds between runs of ``rate(N unit)``; UnsupportedSchedule for cron(...) and at(...),
    ValueError for anything else."""
    text = expression.strip()
    found = _RATE.fullmatch(text)
    if found:
        count, unit = int(found.group(1)), found.group(2).rstrip("s")
        return count * _UNIT_SECONDS[unit]
    if text.startswith(("cron(", "at(")):
        raise UnsupportedSchedule(f"{text}: only rate(...) schedules run locally")
    raise ValueError(f"{text!r} is not a schedule expression (rate(N minutes), cron(...) or at(...))")


@dataclass(frozen=True)
class Schedule:
    """A ScheduleV2 event, resolved for one stack."""

    function: str
    name: str
    group: str
    expression: str
    period_seconds: int
    input: str | None
    enabled: bool

    @property
    def arn(self) -> str:
        return f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/{self.group}/{self.name}"

    def event(self, now: datetime | None = None) -> Any:
        """What Scheduler sends the function."""
        if self.input is not None:
            return json.loads(self.input)
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "account": ACCOUNT_ID,
            "time": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [self.arn],
            "detail": "{}",
        }


def resolve(subscription: ScheduleSubscription, stack: Stack) -> Schedule:
    """The schedule of ``subscription`` with the stack's parameters (ValueError when its
    expression is malformed; UnsupportedSchedule for cron and at)."""
    expression = str(stack.resolve(subscription.schedule_expression))
    state = str(stack.resolve(subscription.state) if subscription.state is not None else "ENABLED")
    raw_input = stack.resolve(subscription.input) if subscription.input is not None else None
    if raw_input is not None and not isinstance(raw_input, str):
        raw_input = json.dumps(raw_input)
    if raw_input is not None:
        json.loads(raw_input)  # a Lambda target's Input must be JSON (ValueError otherwise)
    name = stack.resolve(subscription.name) if subscription.name is not None else f"{subscription.function}{subscription.event}"
    group = stack.resolve(subscription.group) if subscription.group is not None else "default"
    return Schedule(
        function=subscription.function,
        name=str(name),
        group=str(group),
        expression=expression,
        period_seconds=rate_seconds(expression),
        input=raw_input,
        enabled=state.upper() != "DISABLED",
    )


class SchedulePoller(threading.Thread):
    """Invokes ``function`` every ``schedule.period_seconds``, each run on a thread of its own."""

    def __init__(self, schedule: Schedule, function: Invocable, *, first_run_after: float | None = None) -> None:
        super().__init__(name=f"schedule-{schedule.name}", daemon=True)
        self.schedule = schedule
        self._function = function
        self._first = schedule.period_seconds if first_run_after is None else first_run_after
        self._stopping = threading.Event()
        self.runs = 0

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        due = time.monotonic() + self._first
        while not self._stopping.wait(max(0.0, due - time.monotonic())):
            try:
                threading.Thread(target=self._invoke, name=f"{self.name}-run", daemon=True).start()
                self.runs += 1
            except RuntimeError as error:  # cannot start a thread (interpreter shutting down)
                output.error(f"local runtime: schedule {self.schedule.name} could not run: {error!r}")
                self._stopping.wait(ERROR_BACKOFF_SECONDS)
            due += self.schedule.period_seconds
            now = time.monotonic()
            if due < now:  # runs were missed (the machine slept): resume the cadence from now
                due = now + self.schedule.period_seconds

    def _invoke(self) -> None:
        try:
            self._function.invoke(self.schedule.event())
        except Exception as error:  # noqa: BLE001 - an asynchronous invocation's failure is logged
            if not self._stopping.is_set():
                output.error(f"local runtime: {self.schedule.function} failed (schedule {self.schedule.name}): {error!r}")
