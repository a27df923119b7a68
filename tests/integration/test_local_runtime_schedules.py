"""ScheduleV2 events (EventBridge Scheduler) and AWS::Events::Archive in the local runtime, on a
small template of this file's own (the service's template gains its schedule separately).

- ``Type: ScheduleV2`` with ``ScheduleExpression: rate(N unit)``, given or from a parameter
  (``!Ref``), invokes its function at that rate with Scheduler's event, or its ``Input``;
  locally the rate may be in seconds, even where the parameter's AllowedPattern says minutes.
- ``AWS::Events::Archive`` is created in moto, which keeps the bus's events in it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_runtime.resources import ACCOUNT_ID, REGION, Stack, parse_parameter_overrides
from local_runtime.schedules import Schedule, SchedulePoller, UnsupportedSchedule, rate_seconds, resolve
from local_runtime.template import ScheduleSubscription, Template


def fixture_template() -> Template:
    function = {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "functions/x", "Handler": "app.handler"}}
    return Template(
        {
            "Parameters": {
                "SweepSchedule": {
                    "Type": "String",
                    "Default": "rate(5 minutes)",
                    "AllowedPattern": "^rate\\([1-9][0-9]* (minute|minutes|hour|hours)\\)$",
                },
                "Stage": {"Type": "String", "Default": "dev"},
                "Retention": {"Type": "Number", "Default": 7},
            },
            "Resources": {
                "SweeperFunction": {
                    **function,
                    "Properties": {
                        **function["Properties"],
                        "Events": {
                            "Sweep": {"Type": "ScheduleV2", "Properties": {"ScheduleExpression": {"Ref": "SweepSchedule"}}},
                            "Nightly": {"Type": "ScheduleV2", "Properties": {"ScheduleExpression": "cron(0 3 * * ? *)"}},
                        },
                    },
                },
                "ReportFunction": {
                    **function,
                    "Properties": {
                        **function["Properties"],
                        "Events": {
                            "Hourly": {
                                "Type": "ScheduleV2",
                                "Properties": {
                                    "ScheduleExpression": "rate(1 hour)",
                                    "Name": {"Fn::Sub": "report-${Stage}"},
                                    "GroupName": "reports",
                                    "Input": '{"report": "hourly"}',
                                },
                            },
                            "Off": {
                                "Type": "ScheduleV2",
                                "Properties": {"ScheduleExpression": "rate(2 days)", "State": "DISABLED"},
                            },
                        },
                    },
                },
                "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": {"Fn::Sub": "bus-${Stage}"}}},
                "Archive": {
                    "Type": "AWS::Events::Archive",
                    "Properties": {
                        "ArchiveName": {"Fn::Sub": "bus-${Stage}-events"},
                        "Description": "everything",
                        "SourceArn": {"Fn::GetAtt": ["Bus", "Arn"]},
                        "RetentionDays": {"Ref": "Retention"},
                    },
                },
                "NamelessArchive": {"Type": "AWS::Events::Archive", "Properties": {"SourceArn": {"Fn::GetAtt": ["Bus", "Arn"]}}},
            },
        }
    )


# ------------------------------------------------------------------ reading and resolving schedules


def test_schedulev2_events_are_read_from_the_template() -> None:
    subscriptions = {(s.function, s.event): s for s in fixture_template().schedule_subscriptions()}

    assert set(subscriptions) == {
        ("SweeperFunction", "Sweep"),
        ("SweeperFunction", "Nightly"),
        ("ReportFunction", "Hourly"),
        ("ReportFunction", "Off"),
    }
    assert subscriptions["SweeperFunction", "Sweep"] == ScheduleSubscription("SweeperFunction", "Sweep", {"Ref": "SweepSchedule"})
    assert fixture_template().schedule_parameters() == {"SweepSchedule"}


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 second)", 1),
        ("rate(30 seconds)", 30),
        ("rate( 2  hours )", 7200),
        ("rate(1 day)", 86400),
    ],
)
def test_rate_expressions(expression: str, seconds: int) -> None:
    assert rate_seconds(expression) == seconds


@pytest.mark.parametrize("expression", ["rate(0 minutes)", "rate(5 fortnights)", "every 5 minutes", "rate(-1 minute)", ""])
def test_malformed_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ValueError, match="not a schedule expression"):
        rate_seconds(expression)


@pytest.mark.parametrize("expression", ["cron(0 3 * * ? *)", "at(2030-01-01T00:00:00)"])
def test_cron_and_at_are_not_run_locally(expression: str) -> None:
    with pytest.raises(UnsupportedSchedule, match="only rate"):
        rate_seconds(expression)


def schedules(overrides: dict[str, str] | None = None) -> dict[str, Schedule]:
    template = fixture_template()
    stack = Stack(template, overrides or {})
    found = {}
    for subscription in template.schedule_subscriptions():
        try:
            found[subscription.event] = resolve(subscription, stack)
        except UnsupportedSchedule:
            continue
    return found


def test_a_schedule_resolves_its_parameter_name_group_input_and_state() -> None:
    resolved = schedules({"Stage": "local"})

    assert set(resolved) == {"Sweep", "Hourly", "Off"}  # the cron one is not run locally
    sweep = resolved["Sweep"]
    assert (sweep.expression, sweep.period_seconds, sweep.name, sweep.group, sweep.enabled) == (
        "rate(5 minutes)",
        300,
        "SweeperFunctionSweep",  # SAM's default name: the function's and the event's logical ids
        "default",
        True,
    )
    hourly = resolved["Hourly"]
    assert (hourly.name, hourly.group, hourly.period_seconds) == ("report-local", "reports", 3600)
    assert hourly.event() == {"report": "hourly"}  # the Input, as Scheduler sends it
    assert resolved["Off"].enabled is False


def test_the_default_event_is_schedulers() -> None:
    event = schedules()["Sweep"].event()

    assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
    assert (event["source"], event["detail-type"], event["detail"], event["version"]) == (
        "aws.scheduler",
        "Scheduled Event",
        "{}",
        "0",
    )
    assert (event["account"], event["region"]) == (ACCOUNT_ID, REGION)
    assert event["resources"] == [f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/default/SweeperFunctionSweep"]
    assert event["time"].endswith("Z") and len(event["time"]) == len("2026-01-01T00:00:00Z")
    assert schedules()["Sweep"].event()["id"] != event["id"]


def test_the_schedule_parameter_takes_seconds_locally_though_its_pattern_says_minutes() -> None:
    parameters = fixture_template().raw["Parameters"]
    local = fixture_template().schedule_parameters()

    assert parse_parameter_overrides('SweepSchedule="rate(2 seconds)"', parameters, local) == {"SweepSchedule": "rate(2 seconds)"}
    with pytest.raises(ValueError, match=r"'SweepSchedule=rate\(2' is cut short: quote a value that holds spaces"):
        parse_parameter_overrides("SweepSchedule=rate(2 seconds)", parameters, local)
    assert schedules({"SweepSchedule": "rate(2 seconds)"})["Sweep"].period_seconds == 2
    with pytest.raises(ValueError, match="does not match"):  # anything else still meets the pattern
        parse_parameter_overrides('SweepSchedule="rate(2 weeks)"', parameters, local)
    with pytest.raises(ValueError, match="does not match"):  # and only schedule parameters get the exception
        parse_parameter_overrides('SweepSchedule="rate(2 seconds)"', parameters, ())


def test_the_services_schedules_resolve_with_the_local_parameters(template: Template) -> None:
    """Whatever ScheduleV2 events template.yaml has (the outbox sweeper's, once added) run locally."""
    from local_runtime.__main__ import LOCAL_PARAMETERS

    stack = Stack(template, LOCAL_PARAMETERS)
    for subscription in template.schedule_subscriptions():
        try:
            schedule = resolve(subscription, stack)
        except UnsupportedSchedule:
            continue
        assert schedule.period_seconds >= 1
        assert subscription.function in template.functions()
    for name in template.schedule_parameters():
        parse_parameter_overrides(f'{name}="rate(1 second)"', template.raw["Parameters"], template.schedule_parameters())


# ------------------------------------------------------------------ running them


class Recorder:
    def __init__(self, seconds: float = 0.0) -> None:
        self.events: list[tuple[float, Any]] = []
        self._lock = threading.Lock()
        self._seconds = seconds

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._lock:
            self.events.append((time.monotonic(), event))
        time.sleep(self._seconds)
        return None


@pytest.fixture
def run_schedule() -> Iterator[Any]:
    pollers: list[SchedulePoller] = []

    def start(schedule: Schedule, function: Any, **kwargs: Any) -> SchedulePoller:
        poller = SchedulePoller(schedule, function, **kwargs)
        pollers.append(poller)
        poller.start()
        return poller

    yield start
    for poller in pollers:
        poller.stop()
    for poller in pollers:
        poller.join(2)
        assert not poller.is_alive()


def test_a_schedule_invokes_its_function_at_its_rate(run_schedule: Any) -> None:
    schedule = schedules({"SweepSchedule": "rate(1 second)"})["Sweep"]
    recorder = Recorder()
    started = time.monotonic()
    run_schedule(schedule, recorder)
    time.sleep(3.5)

    times = [at - started for at, _ in recorder.events]
    assert len(times) == 3, times  # at 1, 2 and 3 s: the first one rate after the start
    assert all(abs(at - (index + 1)) < 0.5 for index, at in enumerate(times)), times
    assert all(event["source"] == "aws.scheduler" for _, event in recorder.events)


def test_a_run_longer_than_the_rate_does_not_delay_the_next(run_schedule: Any) -> None:
    schedule = schedules({"SweepSchedule": "rate(1 second)"})["Sweep"]
    slow = Recorder(seconds=2.5)
    started = time.monotonic()
    run_schedule(schedule, slow, first_run_after=0.2)
    time.sleep(2.6)

    assert [round(at - started) for at, _ in slow.events] == [0, 1, 2]


def test_a_failed_run_is_logged_and_the_schedule_goes_on(run_schedule: Any, capsys: pytest.CaptureFixture[str]) -> None:
    class Failing(Recorder):
        def invoke(self, event: dict[str, Any]) -> Any:
            super().invoke(event)
            raise RuntimeError("sweep failed")

    failing = Failing()
    run_schedule(schedules({"SweepSchedule": "rate(1 second)"})["Sweep"], failing, first_run_after=0.1)
    time.sleep(1.5)

    assert len(failing.events) == 2
    assert (
        "local runtime: SweeperFunction failed (schedule SweeperFunctionSweep): RuntimeError('sweep failed')"
        in capsys.readouterr().err
    )


# ------------------------------------------------------------------ archives


def test_archives_are_created_in_moto_and_keep_the_buss_events(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    stack = Stack(fixture_template(), {"Stage": "local"})
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        stack.create_resources(session)
        events = session.client("events")

        archive = events.describe_archive(ArchiveName="bus-local-events")
        assert archive["EventSourceArn"] == f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/bus-local"
        assert (archive["Description"], archive["RetentionDays"], archive["State"]) == ("everything", 7, "ENABLED")
        assert events.describe_archive(ArchiveName="NamelessArchive")["EventSourceArn"] == archive["EventSourceArn"]
        assert stack.resolve({"Fn::GetAtt": ["Archive", "Arn"]}) == archive["ArchiveArn"]

        events.put_events(
            Entries=[{"EventBusName": "bus-local", "Source": "s", "DetailType": "t", "Detail": json.dumps({"a": 1})}]
        )
        assert events.describe_archive(ArchiveName="bus-local-events")["EventCount"] == 1
