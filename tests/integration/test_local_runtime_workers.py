"""local_runtime.workers: each function runs in instances (processes) of its own, as Lambda's
execution environments: started on demand, reused while warm, another started when all are busy
(up to a cap), never sharing module state; a slow invocation holds up only itself.

The functions here are small handlers written to a temporary directory; the instances start from
the runtime's fork server (and, in one test, by spawn).
"""

from __future__ import annotations

import datetime as dt
import os
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from local_runtime import workers
from local_runtime.workers import FunctionInstances, FunctionSpec, Instances, InvocationError, Throttled

HANDLERS = """
import json, os, sys, time
from pathlib import Path

STATE = {"calls": 0}

def handler(event, context):
    STATE["calls"] += 1
    started = time.time()
    if "print" in event:
        print(event["print"])
        print("to stderr: " + event["print"], file=sys.stderr)
    if "wait_for" in event:  # a file another invocation writes
        deadline = time.time() + 10
        while not Path(event["wait_for"]).exists() and time.time() < deadline:
            time.sleep(0.01)
    if "write" in event:
        Path(event["write"]).write_text("done")
    if "sleep" in event:
        time.sleep(event["sleep"])
    if "raise" in event:
        raise ValueError(event["raise"])
    if "exit" in event:
        os._exit(3)
    if "unjsonable" in event:
        return {"value": object()}
    return {
        "pid": os.getpid(),
        "calls": STATE["calls"],
        "mark": os.environ.get("MARK"),
        "other": os.environ.get("OTHER_FUNCTIONS_VARIABLE"),
        "started": started,
        "ended": time.time(),
        "request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "event": event.get("echo"),
    }
"""


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("function")
    (folder / "app.py").write_text(textwrap.dedent(HANDLERS))
    return folder


@pytest.fixture(scope="module")
def broken_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("broken")
    (folder / "app.py").write_text("import no_such_module_here\n")
    return folder


@pytest.fixture(scope="module")
def manager() -> Iterator[Instances]:
    instances = Instances(max_instances=3, idle_seconds=300, announce=False)
    instances.start()
    yield instances
    instances.stop()


def spec(code: Path, name: str, *, timeout: int = 5, **environment: str) -> FunctionSpec:
    return FunctionSpec(name, str(code), "app.handler", timeout, 128, {**os.environ, **environment})


@pytest.fixture
def function(manager: Instances, code: Path, request: pytest.FixtureRequest) -> FunctionInstances:
    return manager.add(spec(code, f"Fn{abs(hash(request.node.name))}", MARK="a"))


def in_parallel(*calls: Callable[[], Any]) -> list[Any]:
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except Exception as error:  # noqa: BLE001 - returned to the test
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_an_instance_is_reused_while_warm_and_keeps_its_module_state(function: FunctionInstances) -> None:
    first, second = function.invoke({}), function.invoke({})

    assert first["pid"] == second["pid"] != os.getpid()
    assert (first["calls"], second["calls"]) == (1, 2)
    assert first["request_id"] != second["request_id"]
    assert 0 < first["remaining_ms"] <= 5000


def test_each_function_has_its_own_instances_and_environment(manager: Instances, code: Path) -> None:
    one = manager.add(spec(code, "EnvOne", MARK="one"))
    two = manager.add(spec(code, "EnvTwo", MARK="two", OTHER_FUNCTIONS_VARIABLE="only two's"))

    a, b = one.invoke({}), two.invoke({})

    assert a["pid"] != b["pid"]
    assert (a["mark"], a["other"]) == ("one", None)  # nothing of the other function's environment
    assert (b["mark"], b["other"]) == ("two", "only two's")
    assert (a["calls"], b["calls"]) == (1, 1)  # module state is per instance


def test_a_busy_function_starts_another_instance_and_both_run_at_once(function: FunctionInstances, tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    # The first waits for a file only the second writes: they must run side by side.
    first, second = in_parallel(
        lambda: function.invoke({"wait_for": str(flag)}), lambda: (time.sleep(0.3), function.invoke({"write": str(flag)}))[1]
    )

    assert first["pid"] != second["pid"]
    # The second started while the first waited, and the first saw the second's file (not its 10 s
    # deadline). The second may well record its end after the first: a busy machine can pause it
    # between writing the file and returning.
    assert first["started"] <= second["started"] <= first["ended"]
    assert first["ended"] - first["started"] < 10
    assert function.instances() == 2


def test_a_slow_invocation_of_one_function_holds_up_no_other(manager: Instances, code: Path, tmp_path: Path) -> None:
    slow, quick = manager.add(spec(code, "Slow")), manager.add(spec(code, "Quick"))
    quick.invoke({})  # warm

    results = in_parallel(lambda: slow.invoke({"sleep": 2}), lambda: (time.sleep(0.3), quick.invoke({}))[1])

    assert results[1]["ended"] < results[0]["ended"]


def test_no_more_instances_than_the_cap_and_the_rest_wait(manager: Instances, code: Path) -> None:
    capped = manager.add(spec(code, "Capped"))  # the manager's cap: 3
    results = in_parallel(*[lambda: capped.invoke({"sleep": 0.5}) for _ in range(5)])

    assert all(isinstance(result, dict) for result in results), results
    assert len({result["pid"] for result in results}) <= 3
    assert capped.instances() <= 3


def test_a_handlers_exception_fails_the_invocation_and_the_instance_stays_warm(function: FunctionInstances) -> None:
    pid = function.invoke({})["pid"]
    with pytest.raises(InvocationError) as raised:
        function.invoke({"raise": "Unauthorized"})

    assert str(raised.value) == "Unauthorized"  # what the gateway reads from an authorizer's refusal
    assert repr(raised.value) == "ValueError('Unauthorized')"
    assert raised.value.error_type == "ValueError"
    assert function.invoke({})["pid"] == pid


def test_a_timed_out_invocation_kills_its_instance(manager: Instances, code: Path) -> None:
    short = manager.add(spec(code, "Short", timeout=1))
    pid = short.invoke({})["pid"]
    with pytest.raises(InvocationError, match=r"^Task timed out after 1.00 seconds$"):
        short.invoke({"sleep": 5})

    assert short.invoke({})["pid"] != pid


def test_an_instance_that_exits_fails_its_invocation_and_is_replaced(function: FunctionInstances) -> None:
    pid = function.invoke({})["pid"]
    with pytest.raises(InvocationError, match="exited during the invocation"):
        function.invoke({"exit": True})

    assert function.invoke({})["pid"] != pid


def test_a_handler_that_does_not_import_fails_each_invocation(manager: Instances, broken_code: Path) -> None:
    broken = manager.add(FunctionSpec("Broken", str(broken_code), "app.handler", 5, 128, dict(os.environ)))
    for _ in range(2):
        with pytest.raises(InvocationError) as raised:
            broken.invoke({})
        assert raised.value.error_type == "Runtime.ImportModuleError"
        assert "no_such_module_here" in str(raised.value)


def test_results_and_events_cross_as_json_as_in_lambda(function: FunctionInstances) -> None:
    with pytest.raises(InvocationError) as raised:
        function.invoke({"unjsonable": True})
    assert raised.value.error_type == "Runtime.MarshalError"

    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    echoed = function.invoke({"echo": {"ApproximateCreationDateTime": when, "B": b"\x00\x01"}})["event"]
    assert echoed == {"ApproximateCreationDateTime": when.timestamp(), "B": "AAE="}  # as Lambda's stream events carry them


def test_what_an_instance_prints_reaches_the_runtimes_output_line_by_line(
    function: FunctionInstances, capsys: pytest.CaptureFixture[str]
) -> None:
    function.invoke({"print": "hello from the instance"})
    deadline = time.monotonic() + 5
    out = err = ""
    while time.monotonic() < deadline:
        captured = capsys.readouterr()
        out, err = out + captured.out, err + captured.err
        if "hello from the instance" in out and "to stderr: hello" in err:
            break
        time.sleep(0.05)

    assert "hello from the instance\n" in out
    assert "to stderr: hello from the instance\n" in err


def test_idle_instances_are_stopped_but_the_last_one(manager: Instances, code: Path) -> None:
    reaped = manager.add(spec(code, "Reaped"))
    in_parallel(*[lambda: reaped.invoke({"sleep": 0.3}) for _ in range(3)])
    assert reaped.instances() == 3

    assert reaped.reap(idle_seconds=0) == 2
    assert reaped.instances() == 1
    reaped.invoke({})


def test_stop_ends_every_instance_even_mid_invocation(code: Path) -> None:
    manager = Instances(max_instances=2, announce=False)
    manager.start()
    pool = manager.add(spec(code, "Stopped"))
    idle = pool.invoke({})["pid"]
    started = time.monotonic()
    running = in_parallel(lambda: (time.sleep(0.5), manager.stop(1.0))[1], lambda: pool.invoke({"sleep": 30, "echo": "busy"}))

    assert isinstance(running[1], InvocationError)
    assert time.monotonic() - started < 5
    assert pool.pids() == []
    deadline = time.monotonic() + 3
    while gone(idle) is False and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(idle)
    with pytest.raises(InvocationError, match="stopping"):
        pool.invoke({})


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" in status.read_text()


def test_a_function_whose_instances_stay_busy_is_throttled(code: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the cap an invocation waits for an instance: at most the function's timeout (at
    least MIN_QUEUE_SECONDS, 30 s, shortened here)."""
    monkeypatch.setattr(workers, "MIN_QUEUE_SECONDS", 0.2)
    manager = Instances(max_instances=1, announce=False)
    manager.start()
    try:
        pool = manager.add(spec(code, "Throttled", timeout=1))
        pool.invoke({})  # the one instance, warm
        busy, throttled = in_parallel(lambda: pool.invoke({"sleep": 1.6}), lambda: (time.sleep(0.1), pool.invoke({}))[1])
        assert isinstance(busy, dict)
        assert isinstance(throttled, Throttled), throttled
        assert "all 1 instances stayed busy for 1 s" in str(throttled)
        assert pool.instances() == 1
    finally:
        manager.stop()


def test_spawned_instances_work_the_same(code: Path) -> None:
    manager = Instances(max_instances=2, method="spawn", announce=False)
    manager.start()
    try:
        pool = manager.add(spec(code, "Spawned", MARK="spawned"))
        first, second = pool.invoke({}), pool.invoke({})
        assert first["pid"] == second["pid"] and first["mark"] == "spawned"
    finally:
        manager.stop()
