"""Cold start of every function, each in a fresh ``python -S`` process, beside its floor (the
section's intro says what runs and how it is judged). The sandbox (the function's code, the layer,
what the Lambda runtime provides: :mod:`bench.lambda_site`) and moto server are shared with
:mod:`bench.snapstart`. With a Python 3.13 here the children run on it with the layer
``layers/shared/Makefile`` builds (.pyc included); without one, on this Python with the layer as
that build ships it then, without .pyc."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import lambda_site
from bench.common import (
    PROJECT_ROOT,
    Report,
    Sample,
    Target,
    at_most,
    function_memory,
    heading,
    ms,
    ratio,
    repeat,
    row,
    say,
    smoke,
    spread,
    times,
)
from bench.world import ALL_SCOPES

TRACE_ID = "Root=1-67a1b2c3-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"

# What the children share (cold-start children and SnapStart parents). The runtime has imported
# json, os, sys and time before the handler.
PRELUDE = r"""
import json, os, sys, time
event = json.load(open(os.environ["BENCH_EVENT"])) if os.environ.get("BENCH_EVENT") else None

class Context:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "bench")
    function_version = "$LATEST"
    memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 10000

def prime():
    # The floor: boto3 and one DynamoDB client. A function: its handler module (its INIT).
    if os.environ["BENCH_MODE"] == "floor":
        import boto3
        return boto3.client("dynamodb")
    import importlib
    module_name, handler_name = os.environ["BENCH_HANDLER"].rsplit(".", 1)
    return getattr(importlib.import_module(module_name), handler_name)

def serve(primed):
    # One request: the floor's consistent GetItem, or the handler with its sample event.
    if os.environ["BENCH_MODE"] == "floor":
        primed.get_item(TableName=os.environ["TABLE_NAME"], Key={"PK": {"S": "BENCH#floor"}, "SK": {"S": "BENCH#floor"}}, ConsistentRead=True)
        return "GetItem"
    try:
        result = primed(event, Context())
    except Exception as error:
        return type(error).__name__ + ": " + str(error)[:80]
    if isinstance(result, dict) and "batchItemFailures" in result:
        return "%d failed" % len(result["batchItemFailures"])
    if isinstance(result, dict) and "isAuthorized" in result:
        return "authorized" if result["isAuthorized"] else "refused"
    return str(result.get("statusCode", "ok")) if isinstance(result, dict) else "ok"
"""

# A cold start: import (INIT), then the first request; the CPU time of the whole process, and wall time.
CHILD = PRELUDE + r"""
wall, cpu = time.perf_counter(), time.process_time()
primed = prime()
import_cpu = time.process_time() - cpu
outcome = serve(primed)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
import resource
with open(os.environ["BENCH_OUT"], "w") as out:
    json.dump({"cpu": cpu, "wall": wall, "import_cpu": import_cpu,
               "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "outcome": outcome}, out)
"""


# What the cold-start figures leave out: the interpreter's start and the runtime's own imports.
STARTUP = PRELUDE

SNAPSHOT_RESTORE_PY = """\"\"\"Stand-in for the Lambda runtime's snapshot_restore_py: records hooks; bench/snapstart.py runs them.\"\"\"
_before, _after = [], []


def register_before_snapshot(func, *args, **kwargs):
    _before.append((func, args, kwargs))
    return func


def register_after_restore(func, *args, **kwargs):
    _after.append((func, args, kwargs))
    return func


def get_before_snapshot():
    return list(_before)


def get_after_restore():
    return list(_after)
"""


@dataclass
class Run:
    cpu_s: float  # import + first call, the child's CPU time
    wall_s: float  # the same, wall time
    import_cpu_s: float
    rss_mb: float
    outcome: str


# The targets (ratios of medians of CPU time, each function beside its floor in one run).
ROUTE_TARGET = at_most(1.10)  # a route function ÷ the stack floor
AUTHORIZER_TARGET = at_most(1.10)  # the authorizer ÷ the bare floor
ASYNC_TARGET = at_most(1.25)  # the outbox relay, fan-out and delivery ÷ the bare floor
ASYNC_JUDGED = ("outbox_relay", "webhook_fan_out", "webhook_delivery")
TARGETS = {"route": ROUTE_TARGET, "authorizer": AUTHORIZER_TARGET, "async": ASYNC_TARGET}
KIND_NAMES = {"route": "route functions", "authorizer": "authorizer", "async": "outbox relay, fan-out, delivery"}
INSTRUCTIONS_WHY = (
    "Judged on instructions: each child runs once more under valgrind (`callgrind`, `PYTHONHASHSEED=0`), which counts "
    "the instructions it executes; the interpreter's start (a child that only starts) is subtracted. The count is the "
    "same from run to run and from a quiet machine to a busy one, where these machines' CPU time moves by a third "
    "between runs of the same child; it leaves out the kernel's share (page faults, file reads) and memory stalls, "
    "which the CPU time beside it includes."
)
CPU_WHY = (
    "Judged on the child's CPU time (`time.process_time()`, all its threads): the functions run against moto, whose "
    "service time (its TransactWriteItems copies the table, its Query walks it) is not Lambda's, and CPU time is what "
    "the code costs and far less sensitive to this shared machine's noise. Wall time is shown beside it."
)


@dataclass
class FunctionResult:
    folder: str
    kind: str  # route, authorizer, async (judged), other (shown, no target)
    runs: list[Run]
    floor: list[Run]  # the stack floor's for a route function, else the bare floor's
    instructions: int | None = None  # import + first call, under callgrind (None: no valgrind here)
    floor_instructions: int | None = None
    cpu: Sample = field(init=False)  # CPU time; these set by done()
    floor_cpu: Sample = field(init=False)
    wall: Sample = field(init=False)
    floor_wall: Sample = field(init=False)
    ratio: float = field(init=False)  # the judged one: of instructions, else of CPU time
    cpu_ratio: float = field(init=False)
    wall_ratio: float = field(init=False)

    @property
    def floor_name(self) -> str:
        return "stack floor" if self.kind == "route" else "bare floor"

    @property
    def target(self) -> Target | None:
        return TARGETS.get(self.kind)

    def done(self) -> None:
        """The samples and ratios, once the runs are in."""
        self.cpu, self.floor_cpu = (Sample.of(run.cpu_s for run in runs) for runs in (self.runs, self.floor))
        self.wall, self.floor_wall = (Sample.of(run.wall_s for run in runs) for runs in (self.runs, self.floor))
        self.cpu_ratio = ratio(self.cpu.median, self.floor_cpu.median)
        self.wall_ratio = ratio(self.wall.median, self.floor_wall.median)
        counted = self.instructions is not None and self.floor_instructions is not None
        self.ratio = ratio(self.instructions, self.floor_instructions) if counted else self.cpu_ratio  # type: ignore[arg-type]


def judge(
    report: Report,
    what: str,
    floor: str,
    results: list[tuple[str, float, float]],
    target: Target,
    measure: str = "CPU time",
    beside: str = "wall time",
) -> None:
    """One summary line per target: the median ratio (of ``measure``), its min and max over the
    functions (the median of the ratios of ``beside`` after it), PASS when every function meets it."""
    ratios = Sample.of(value for _, value, _ in results)
    worst = max(results, key=lambda item: item[1])
    met = sum(target.met(value) for _, value, _ in results)
    report.headline(
        f"{what} ÷ {floor} ({measure})",
        f"median {times(ratios.median)}, min {times(ratios.min)}, max {times(ratios.max)} (`{worst[0]}`); "
        f"{met} of {len(results)} within; {beside}: median {times(Sample.of(other for _, _, other in results).median)}",
        target.text(),
        "PASS" if met == len(results) else "FAIL",
    )


class Sandbox:
    """The files the children import, and the Python that runs them: with a Python 3.13 on this
    machine, the layer ``make build-SharedLayer`` builds (for this machine's architecture) and the
    runtime's boto3 installed for 3.13 and compiled; otherwise this Python with .venv's packages,
    the runtime's linked (with their .pyc), the layer's copied without .pyc."""

    def __init__(self, python313: str | None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="bench-cold-"))
        self.runtime = self.root / "runtime"
        self.layer = self.root / "layer"
        self.task = self.root / "task"
        self.out = self.root / "out.json"
        for directory in (self.runtime, self.task):
            directory.mkdir()
        self.python, self.why_not_313 = sys.executable, "no Python 3.13 on this machine"
        if python313:
            self.why_not_313 = self._lambda_site(python313)
            if not self.why_not_313:
                self.python = python313
        if self.python == sys.executable:
            self._venv_site()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for folder in (PROJECT_ROOT / "functions").iterdir():
            if folder.is_dir():
                shutil.copytree(folder, self.task / folder.name, ignore=ignore)
        # The managed runtime's snapshot_restore_py (python3.12+): hooks registered, run by bench.snapstart.
        (self.runtime / "snapshot_restore_py.py").write_text(SNAPSHOT_RESTORE_PY)
        self.stack_floor = self.task / "bench-stack-floor"
        self.stack_floor.mkdir()
        shutil.copy2(PROJECT_ROOT / "bench" / "stack_floor.py", self.stack_floor / "stack_floor.py")
        self.python_version = subprocess.run(
            [self.python, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True, check=False
        ).stdout.strip()

    def _lambda_site(self, python313: str) -> str:
        """The layer as built for Lambda's Python and the runtime's boto3 for 3.13; an empty string
        when both are in place, else why not."""
        wheels = f"manylinux2014_{platform.machine()}"
        built = self.root / "built"
        done = subprocess.run(
            ["make", "-s", "-C", str(PROJECT_ROOT / "layers" / "shared"), "build-SharedLayer", f"ARTIFACTS_DIR={built}",
             f"PYTHON={sys.executable}", f"LAMBDA_PLATFORM={wheels}", f"PYTHON313={python313}"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not (built / "python").is_dir():
            return "building the layer for 3.13 failed: " + (done.stderr or done.stdout)[-300:]
        (built / "python").rename(self.layer)
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
             "--target", str(self.runtime), "--platform", wheels, "--implementation", "cp", "--python-version", "3.13",
             "--only-binary=:all:", f"boto3=={importlib.metadata.version('boto3')}"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            return "installing boto3 for 3.13 failed: " + (done.stderr or done.stdout)[-300:]
        subprocess.run(
            [python313, "-m", "compileall", "-q", "-j", "0", str(self.runtime)], capture_output=True, timeout=600, check=False
        )
        return ""

    def _venv_site(self) -> None:
        shutil.rmtree(self.layer, ignore_errors=True)
        self.layer.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for distributions, target in (
            (lambda_site.runtime_distributions(), self.runtime),
            (lambda_site.layer_distributions(), self.layer),
        ):
            for distribution in distributions.values():
                for name in lambda_site.top_level_names(distribution):
                    source = Path(str(distribution.locate_file(name)))
                    if not source.exists() or (target / name).exists():
                        continue
                    if target is self.runtime or smoke():  # --smoke: links, .venv's own .pyc
                        (target / name).symlink_to(source)
                    elif source.is_dir():
                        shutil.copytree(source, target / name, ignore=ignore)
                    else:
                        shutil.copy2(source, target / name)
        integration = PROJECT_ROOT / "layers" / "shared" / "integration"
        if smoke():
            (self.layer / "integration").symlink_to(integration)
        else:
            shutil.copytree(integration, self.layer / "integration", ignore=ignore)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class ColdStart:
    def __init__(self, report: Report, python313: str | None = None) -> None:
        self.report = report
        self.sandbox = Sandbox(python313)
        self.moto: Any = None
        self.endpoint = ""
        self.events: dict[str, Path] = {}
        # Set by prepared():
        self.template: Any = None
        self.stack: Any = None
        self.functions: dict[str, Any] = {}
        self.kinds: dict[str, str] = {}  # logical id: route, authorizer, async or other
        self.order: list[str] = []

    # -------------------------------------------------------------- moto server and resources
    def start_moto(self) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"

    def stop_moto(self) -> None:
        if self.moto is not None:
            self.moto.stop()

    def aws_environment(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }

    def create_resources(self) -> tuple[Any, Any]:
        """The template's resources on moto server; a real key put into the authorizer's event."""
        import boto3

        from local_runtime.resources import Stack
        from local_runtime.template import Template

        template = Template.load()
        stack = Stack(template, {"Stage": "cold", "AllowHttpWebhooks": "true"})
        saved = dict(os.environ)
        try:
            os.environ.update(self.aws_environment())
            os.environ.pop("AWS_PROFILE", None)
            session = boto3.Session()
            stack.create_resources(session)
            for logical_id in template.functions():
                os.environ.update(stack.function_environment(logical_id))
            from integration import wiring
            from integration.application.api_keys import CreateApiKeyUseCase
            from integration.domain.principal import operator

            wiring.reset()
            issued = CreateApiKeyUseCase(wiring.api_key_repository()).execute(
                operator("demo"), name="cold start", scopes=list(ALL_SCOPES), expires_at=None
            )
            wiring.reset()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        events_dir = self.sandbox.root / "events"
        events_dir.mkdir()
        for path in (PROJECT_ROOT / "events").glob("*.json"):
            text = path.read_text()
            if path.stem == "authorizer":
                text = re.sub(r"intk_[A-Za-z0-9]+", issued.plaintext, text)
            (events_dir / path.name).write_text(text)
            self.events[path.stem] = events_dir / path.name
        return template, stack

    # -------------------------------------------------------------- one child
    def child_environment(self, stack: Any, function: Any | None) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            **self.aws_environment(),
            "PYTHONDONTWRITEBYTECODE": "1",
            "BENCH_OUT": str(self.sandbox.out),
            # Lambda's environment: Tracing Active turns Powertools' Tracer (X-Ray SDK) on.
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "_X_AMZN_TRACE_ID": TRACE_ID,
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        }
        if function is None:
            folder = self.sandbox.task / "floor"
            folder.mkdir(exist_ok=True)
            env.update(
                {
                    "BENCH_MODE": "floor",
                    "TABLE_NAME": stack.resolve({"Ref": "Table"}),
                    "PYTHONPATH": str(self.sandbox.runtime),
                    "LAMBDA_TASK_ROOT": str(folder),
                    "AWS_LAMBDA_FUNCTION_NAME": "floor",
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
                }
            )
            return env
        folder = self.sandbox.task / function.code_uri.name
        env.update(stack.function_environment(function.logical_id))
        env.update(
            {
                "BENCH_MODE": "function",
                "BENCH_HANDLER": function.handler,
                "BENCH_EVENT": str(self.events.get(function.code_uri.name, "")),
                "PYTHONPATH": os.pathsep.join([str(folder), str(self.sandbox.layer), str(self.sandbox.runtime)]),
                "LAMBDA_TASK_ROOT": str(folder),
                "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function_memory(stack.template, function.logical_id)),
            }
        )
        return env

    def stack_floor_environment(self, stack: Any, get_webhook: Any) -> dict[str, str]:
        """The stack floor (:mod:`bench.stack_floor`) as ``get_webhook``: its environment, layer and event."""
        env = self.child_environment(stack, get_webhook)
        env.update(
            {
                "BENCH_HANDLER": "stack_floor.lambda_handler",
                "PYTHONPATH": os.pathsep.join([str(self.sandbox.stack_floor), str(self.sandbox.layer), str(self.sandbox.runtime)]),
                "LAMBDA_TASK_ROOT": str(self.sandbox.stack_floor),
            }
        )
        return env

    def run(self, env: dict[str, str]) -> Run:
        self.sandbox.out.unlink(missing_ok=True)
        cwd = env["LAMBDA_TASK_ROOT"]
        done = subprocess.run(
            [self.sandbox.python, "-S", "-c", CHILD],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
        if done.returncode != 0 or not self.sandbox.out.exists():
            raise RuntimeError(f"cold-start child failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}")
        result = json.loads(self.sandbox.out.read_text())
        return Run(result["cpu"], result["wall"], result["import_cpu"], result["rss_mb"], result["outcome"])


    def instructions(self, env: dict[str, str], script: str = CHILD) -> int:
        """The instructions a child executes, counted by valgrind's callgrind: the same child as
        :meth:`run`, with a fixed hash seed, its result written beside the others'."""
        out = Path(tempfile.mkstemp(prefix="instructions-", dir=self.sandbox.root)[1])
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", self.sandbox.python, "-S", "-c", script],
            env={**env, "PYTHONHASHSEED": "0", "BENCH_OUT": str(out)},
            cwd=env["LAMBDA_TASK_ROOT"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=900,
            check=False,
        )
        out.unlink(missing_ok=True)
        found = re.search(r"Collected : (\d+)", done.stderr.decode(errors="replace"))
        if done.returncode != 0 or found is None:
            raise RuntimeError(f"callgrind child failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}")
        return int(found.group(1))


def counts_instructions() -> bool:
    """Whether the cold start is judged on instructions: valgrind is here (Debian's package),
    and this is not a smoke run (a child takes about 50 times as long under it)."""
    return shutil.which("valgrind") is not None and not smoke()


def python313() -> str | None:
    """The Python 3.13 ``layers/shared/Makefile`` compiles the layer's .pyc with (its ``python313``
    target names it), or None: without one the layer ships no .pyc."""
    done = subprocess.run(
        ["make", "-s", "-C", str(PROJECT_ROOT / "layers" / "shared"), "python313"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = done.stdout.strip()
    return found if done.returncode == 0 and found else None


# ---------------------------------------------------------------------------- the section
@contextmanager
def prepared(report: Report) -> Iterator[ColdStart]:
    """The sandbox, moto server and the template's resources: what the cold-start and SnapStart
    sections share (made once when both run)."""
    cold = ColdStart(report, None if smoke() else python313())
    report.data["cold_python"] = (cold.sandbox.python_version, cold.sandbox.why_not_313)
    try:
        cold.start_moto()
        cold.template, cold.stack = cold.create_resources()
        cold.functions = cold.template.functions()
        routes = {route.function for route in cold.template.routes()}
        authorizer = cold.template.authorizer_function()
        cold.kinds = {
            logical_id: "route" if logical_id in routes
            else "authorizer" if logical_id == authorizer
            else "async" if function.code_uri.name in ASYNC_JUDGED
            else "other"
            for logical_id, function in cold.functions.items()
        }  # fmt: skip
        order = sorted(cold.functions, key=lambda name: (["authorizer", "route", "async", "other"].index(cold.kinds[name]), name))
        if smoke():  # one function of each kind
            order = [next(name for name in order if cold.kinds[name] == kind) for kind in ("authorizer", "route", "async")]
        cold.order = order
        yield cold
    finally:
        cold.stop_moto()
        cold.sandbox.remove()


def run(report: Report, cold: ColdStart) -> None:
    section = report.section(
        "cold",
        "1. Cold start",
        "Import plus first invocation with the function's sample event (`events/`), each in a fresh `python -S` process "
        "against moto server, with only what Lambda would provide on the path: the layer as `layers/shared/Makefile` "
        "builds it here, the runtime's boto3, Lambda's environment with tracing on. Bare floor: a process that imports "
        "boto3, makes one DynamoDB client and one GetItem. Stack floor (`bench/stack_floor.py`): the smallest API "
        "function the fixed stack allows (Powertools' resolver with validation, Logger, Tracer, Metrics, one pydantic "
        "model, the same GetItem), run with `get_webhook`'s event. " + INSTRUCTIONS_WHY + " CPU time "
        "(`time.process_time()`, all the child's threads) and wall time are shown beside: each function's runs "
        "alternate with its floor's, and their ratios are of the medians; interpreter start-up is left out. Without "
        "valgrind, the functions are judged on CPU time. "
        f"Targets: route functions {ROUTE_TARGET.text()} the stack floor, the authorizer {AUTHORIZER_TARGET.text()} the "
        f"bare floor, the outbox relay, fan-out and delivery {ASYNC_TARGET.text()} the bare floor; the other functions "
        "are shown against the bare floor without one.",
    )
    heading(section.title)
    rounds = repeat(3, 2)
    counted = counts_instructions()
    stack, functions = cold.stack, cold.functions
    say(
        f"  children run on Python {cold.sandbox.python_version}"
        + (f" (not 3.13: {cold.sandbox.why_not_313})" if cold.sandbox.why_not_313 else ", Lambda's, with the layer as built")
    )
    say(
        f"  moto server on {cold.endpoint}; {len(cold.order)} functions × {rounds} rounds, each beside its floor; "
        + ("then each once under callgrind (instructions judged)" if counted else "CPU time judged (no valgrind here)")
    )
    get_webhook = next(function for function in functions.values() if function.code_uri.name == "get_webhook")
    floors = {"bare floor": cold.child_environment(stack, None), "stack floor": cold.stack_floor_environment(stack, get_webhook)}
    if not smoke():  # one untimed pass: the page cache holds every file before anything is measured
        cold.run(floors["stack floor"])
    results: list[FunctionResult] = []
    environments: dict[str, dict[str, str]] = {}
    for logical_id in cold.order:
        function = functions[logical_id]
        result = FunctionResult(function.code_uri.name, cold.kinds[logical_id], [], [])
        environment, floor = cold.child_environment(stack, function), floors[result.floor_name]
        environments[result.folder] = environment
        for index in range(rounds):
            for runs, env in [(result.floor, floor), (result.runs, environment)][:: 1 if index % 2 == 0 else -1]:
                runs.append(cold.run(env))
        if result.kind == "route" and result.floor[0].outcome != "200":  # it must take its route, GetItem and all
            raise RuntimeError(f"the stack floor answered {result.floor[0].outcome}, not 200: check bench/stack_floor.py")
        results.append(result)
    if counted:
        count_instructions(cold, results, floors, environments)
    for result in results:
        result.done()
        counts = "" if result.instructions is None else f"instructions {result.instructions / 1e6:,.0f}M  "
        row(
            result.folder,
            f"{counts}ratio {times(result.ratio)}  CPU {spread(result.cpu)} ({times(result.cpu_ratio)})",
            result.target,
            result.ratio,
            extra=f"wall {ms(result.wall.median)} ({times(result.wall_ratio)})  [{result.runs[0].outcome}]",
        )
    write_section(report, section, results)


def count_instructions(cold: ColdStart, results: list[FunctionResult], floors: dict[str, dict[str, str]], envs: dict[str, dict[str, str]]) -> None:
    """Each function's and each floor's instructions, once (the count does not vary), two
    children at a time; the interpreter's start, counted the same way, taken off each. The
    authorizer goes first, just after a plain run of it: the key it presents was used within the
    minute, so its first call makes the read alone, as in the runs beside it."""
    authorizer = [result for result in results if result.kind == "authorizer"]
    if authorizer:
        cold.run(envs[authorizer[0].folder])
    jobs = [(result.folder, envs[result.folder]) for result in authorizer]
    jobs += [(result.folder, envs[result.folder]) for result in results if result.kind != "authorizer"]
    jobs += list(floors.items())
    with ThreadPoolExecutor(max_workers=2) as pool:
        startup = pool.submit(cold.instructions, floors["bare floor"], STARTUP)
        counts = dict(zip([name for name, _ in jobs], pool.map(lambda job: cold.instructions(job[1]), jobs)))
    start = startup.result()
    for result in results:
        result.instructions = counts[result.folder] - start
        result.floor_instructions = counts[result.floor_name] - start


def _millions(count: int | None) -> str:
    return "" if count is None else f"{count / 1e6:,.0f}M"


def write_section(report: Report, section: Any, results: list[FunctionResult]) -> None:
    counted = all(result.instructions is not None for result in results)
    measure = "instructions" if counted else "CPU time"
    table = section.table(
        [
            "function",
            "instructions, import + first call",
            "judged against",
            "its floor's",
            "ratio",
            "target",
            "",
            "CPU time, median (min–max)",
            "of which import",
            "its floor's CPU time (min–max)",
            "CPU ratio",
            "wall time (min–max)",
            "wall ratio",
            "max RSS",
            "first call answered",
        ]
    )
    for result in results:
        target = result.target
        table.add(
            f"`{result.folder}`",
            _millions(result.instructions) or "not counted",
            result.floor_name,
            _millions(result.floor_instructions) or spread(result.floor_cpu),
            times(result.ratio),
            target.text() if target else "none",
            f"**{target.verdict(result.ratio)}**" if target else "",
            spread(result.cpu),
            ms(Sample.of(run.import_cpu_s for run in result.runs).median),
            spread(result.floor_cpu),
            times(result.cpu_ratio),
            spread(result.wall),
            times(result.wall_ratio),
            f"{max(run.rss_mb for run in result.runs):.0f} MB",
            result.runs[0].outcome,
        )
        if target is not None:
            figure = (
                f"{_millions(result.instructions)}; {result.floor_name} {_millions(result.floor_instructions)}"
                if counted
                else f"{ms(result.cpu.median)}; {result.floor_name} {ms(result.floor_cpu.median)}"
            )
            report.bar(f"Cold start ({measure}): {KIND_NAMES[result.kind]} ÷ {result.floor_name}", result.folder, result.ratio, target, figure)
    for kind, what, floor_name in (
        ("route", "Cold start, route functions", "the stack floor"),
        ("authorizer", "Cold start, authorizer", "the bare floor"),
        ("async", "Cold start, outbox relay, fan-out and delivery", "the bare floor"),
    ):
        chosen = [(r.folder, r.ratio, r.cpu_ratio if counted else r.wall_ratio) for r in results if r.kind == kind]
        if chosen:
            judge(report, what, floor_name, chosen, TARGETS[kind], measure, "CPU time" if counted else "wall time")
    floors = {
        name: Sample.of(run.cpu_s for r in results if r.floor_name == name for run in r.floor)
        for name in ("bare floor", "stack floor")
        if any(r.floor_name == name for r in results)
    }
    if len(floors) == 2:
        floor_counts = {r.floor_name: r.floor_instructions for r in results}
        if counted:
            stack_ratio = ratio(floor_counts["stack floor"], floor_counts["bare floor"])  # type: ignore[arg-type]
            figure = f"{times(stack_ratio)}: {_millions(floor_counts['stack floor'])} against {_millions(floor_counts['bare floor'])} instructions"
        else:
            stack_ratio = ratio(floors["stack floor"].median, floors["bare floor"].median)
            figure = f"{times(stack_ratio)}: {spread(floors['stack floor'])} against {spread(floors['bare floor'])}"
        report.headline(
            f"Stack floor ÷ bare floor ({measure}): what Powertools (resolver with validation, Logger, Tracer, Metrics) and pydantic cost",
            figure,
            "none: the route functions' target is relative to it",
            "",
        )
        report.data["cold_stack"] = (stack_ratio, measure)
    python, why_not = report.data["cold_python"]
    section.note(
        " ".join(f"{name.capitalize()} over all its runs: CPU {spread(sample)}." for name, sample in floors.items())
        + " The authorizer's first call makes the key's GetItem (and, at most once a minute, its two `last_used_at` "
        "writes: the same key serves every run). The sample events name items that do not exist, so most first calls "
        "answer 404 or drop the message: the path still makes the same read. "
        + (
            f"The children ran on Python {python}, as Lambda's python3.13 runtime does, with the layer "
            f"`layers/shared/Makefile` builds, `.pyc` included (wheels for this machine's {platform.machine()}; Lambda runs arm64). "
            "A build machine without Python 3.13 ships the layer without `.pyc`, and every cold start then compiles it."
            if not why_not
            else f"The children ran on this machine's Python {python} ({why_not}), with the layer as the build ships it "
            "then, without `.pyc`: every cold start compiles it. Lambda runs 3.13, on arm64."
        )
    )
    report.data["cold_measure"] = measure
    report.data["cold"] = {
        r.folder: {
            "cpu": r.cpu.median,
            "import": Sample.of(run.import_cpu_s for run in r.runs).median,
            "kind": r.kind,
            "ratio": r.ratio,
            "floor": r.floor_name,
            "target": r.target,
        }
        for r in results
    }
