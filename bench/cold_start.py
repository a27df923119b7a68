"""Cold start of every function, in a fresh process each time, against the bare boto3 floor and
the stack floor; the sandbox and moto server are shared with :mod:`bench.snapstart`.

What runs where:

- moto server in this process (as ``make run`` does), holding the template's resources; the
  children reach it through ``AWS_ENDPOINT_URL``.
- Each child is ``python -S`` (no .venv site-packages) with ``PYTHONPATH`` = the function's
  code, the layer, and a directory of links to what the Lambda runtime provides
  (:mod:`bench.lambda_site`): what the function imports is what it would import on Lambda.
- The layer as shipped: ``layers/shared/Makefile`` compiles the layer's .pyc with a Python 3.13
  when the build machine has one (its ``python313`` target names it), and ships none otherwise,
  in which case every cold start compiles the layer's modules from source (/opt is read-only).
  The children get a copy of the layer's packages, with .pyc compiled by this Python (which is
  what runs them) or without, and ``PYTHONDONTWRITEBYTECODE=1``; the runtime's boto3 keeps its
  .pyc, as the managed runtime ships it. Both ways are measured: the one the build ships is
  judged, the other shown beside it.
- The children run with Lambda's environment (``LAMBDA_TASK_ROOT``, a sampled
  ``_X_AMZN_TRACE_ID``, the X-Ray daemon address): ``Tracing: Active`` in template.yaml turns
  Powertools' Tracer on, so its X-Ray SDK work (patching botocore, a subsegment per call, UDP
  to the daemon address) is measured as Lambda would run it.
- Timed inside the child: importing the handler module plus its first invocation with its
  sample event (``events/<function>.json``; the authorizer's with a real key). Interpreter
  start-up, the same for every child, is left out.

The floor is a child that imports boto3, makes one DynamoDB client and makes one consistent
GetItem (the least a function that reads one item can do). Its first call is counted because
every function but ``list_event_types`` makes one on its first invocation: without it, the
ratio would charge botocore's first-request costs to our code.

A second floor, the stack floor (:mod:`bench.stack_floor`), is the smallest API function the
fixed stack allows: Powertools Logger, Tracer and Metrics, an ``APIGatewayHttpResolver`` with
validation, one pydantic model and the same GetItem, run with ``get_webhook``'s sample event.

Targets (issue 18): a route function ≤ 1.10× the stack floor, the authorizer ≤ 1.10× the bare
floor, the outbox relay, fan-out and delivery ≤ 1.25× the bare floor; the other functions are
shown without one. Runs interleave: for each function, its floors and itself alternate (the
order rotates across rounds); ratios are of the medians.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import lambda_site
from bench.common import (
    PROJECT_ROOT,
    Report,
    Sample,
    Section,
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

# A cold start: import (INIT), then the first request.
CHILD = PRELUDE + r"""
started = time.perf_counter()
primed = prime()
imported = time.perf_counter()
outcome = serve(primed)
finished = time.perf_counter()
import resource
with open(os.environ["BENCH_OUT"], "w") as out:
    json.dump({"import": imported - started, "first": finished - imported, "total": finished - started,
               "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "outcome": outcome}, out)
"""


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
    import_s: float
    first_s: float
    total_s: float
    rss_mb: float
    outcome: str


# The targets (ratios of medians, each function beside its floor in one run).
ROUTE_TARGET = at_most(1.10)  # a route function ÷ the stack floor
AUTHORIZER_TARGET = at_most(1.10)  # the authorizer ÷ the bare floor
ASYNC_TARGET = at_most(1.25)  # the outbox relay, fan-out and delivery ÷ the bare floor
ASYNC_JUDGED = ("outbox_relay", "webhook_fan_out", "webhook_delivery")
KIND_NAMES = {"route": "route functions", "authorizer": "authorizer", "async": "outbox relay, fan-out, delivery"}


@dataclass
class FunctionResult:
    logical_id: str
    folder: str
    kind: str  # route, authorizer, async (judged), other (shown, no target)
    runs: list[Run]  # the layer as shipped
    floor: list[Run]
    other: list[Run]  # the layer the other way: with .pyc if it ships none, without if it ships them
    stack: list[Run]  # the stack floor (route functions only)

    @property
    def api(self) -> bool:
        return self.kind in ("route", "authorizer")

    @property
    def total(self) -> Sample:
        return Sample.of(run.total_s for run in self.runs)

    @property
    def floor_total(self) -> Sample:
        return Sample.of(run.total_s for run in self.floor)

    @property
    def stack_total(self) -> Sample | None:
        return Sample.of(run.total_s for run in self.stack) if self.stack else None

    @property
    def other_total(self) -> Sample:
        return Sample.of(run.total_s for run in self.other)

    @property
    def ratio(self) -> float:
        """÷ the bare boto3 floor."""
        return ratio(self.total.median, self.floor_total.median)

    @property
    def other_ratio(self) -> float:
        return ratio(self.other_total.median, self.floor_total.median)

    @property
    def stack_ratio(self) -> float | None:
        """The stack floor ÷ the boto3 floor: what Powertools and pydantic cost before any of our code."""
        stack = self.stack_total
        return None if stack is None else ratio(stack.median, self.floor_total.median)

    @property
    def judged(self) -> tuple[Target | None, str, Sample]:
        """The issue's target for this function, the floor it is judged against, and that floor's runs."""
        if self.kind == "route":
            assert self.stack_total is not None
            return ROUTE_TARGET, "stack floor", self.stack_total
        target = {"authorizer": AUTHORIZER_TARGET, "async": ASYNC_TARGET}.get(self.kind)
        return target, "bare floor", self.floor_total

    @property
    def judged_ratio(self) -> float:
        return ratio(self.total.median, self.judged[2].median)


def judge(report: Report, what: str, floor: str, results: list[tuple[str, float]], target: Target) -> None:
    """One summary line per target: the median ratio, its min and max over the functions, PASS
    when every function meets it."""
    ratios = Sample.of(value for _, value in results)
    worst = max(results, key=lambda item: item[1])
    met = sum(target.met(value) for _, value in results)
    report.headline(
        f"{what} ÷ {floor}",
        f"median {times(ratios.median)}, min {times(ratios.min)}, max {times(ratios.max)} (`{worst[0]}`); "
        f"{met} of {len(results)} within",
        target.text(),
        "PASS" if met == len(results) else "FAIL",
    )


class Sandbox:
    """The files the children import, and the Python that runs them.

    With a Python 3.13 on this machine (the one ``layers/shared/Makefile`` compiles the layer's
    .pyc with), the children run on it, as Lambda's python3.13 runtime would: the layer is the one
    ``make build-SharedLayer`` builds (for this machine's architecture), the runtime's boto3 is
    installed for 3.13 and compiled. Otherwise they run on this Python, with .venv's packages: the
    runtime's linked (with their .pyc), the layer's copied. Either way the layer exists twice,
    without .pyc and with them.
    """

    def __init__(self, python313: str | None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="bench-cold-"))
        self.runtime = self.root / "runtime"
        self.layer = self.root / "layer"
        self.layer_compiled = self.root / "layer-compiled"  # the same, with .pyc
        self.task = self.root / "task"
        self.out = self.root / "out.json"
        for directory in (self.runtime, self.layer, self.task):
            directory.mkdir()
        self.python, self.why_not_313 = sys.executable, ""
        if python313:
            self.why_not_313 = self._lambda_site(python313)
            if not self.why_not_313:
                self.python = python313
        else:
            self.why_not_313 = "no Python 3.13 on this machine"
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
        """The layer as built for Lambda's Python (this machine's architecture) and the runtime's
        boto3 for 3.13; an empty string when both are in place, else why not."""
        wheels = f"manylinux2014_{platform.machine()}"
        built = self.root / "built"
        done = subprocess.run(
            ["make", "-s", "-C", str(PROJECT_ROOT / "layers" / "shared"), "build-SharedLayer", f"ARTIFACTS_DIR={built}",
             f"PYTHON={sys.executable}", f"LAMBDA_PLATFORM={wheels}", f"PYTHON313={python313}"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not (built / "python").is_dir():
            return "building the layer for 3.13 failed: " + (done.stderr or done.stdout)[-300:]
        (built / "python").rename(self.layer_compiled)
        shutil.copytree(self.layer_compiled, self.layer, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
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
            self.layer_compiled.symlink_to(self.layer)
            return
        shutil.copytree(integration, self.layer / "integration", ignore=ignore)
        # The same layer with .pyc (compiled by this Python, which runs the children;
        # unchecked-hash, as the layer's build compiles them).
        shutil.copytree(self.layer, self.layer_compiled, symlinks=True)
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(self.layer_compiled)],
            check=False,
            capture_output=True,
        )

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
        self.ships_pyc = False
        self.template: Any = None
        self.stack: Any = None
        self.functions: dict[str, Any] = {}
        self.route_functions: set[str] = set()
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
                operator("demo"),
                name="cold start",
                scopes=["api-keys:read", "api-keys:write", "webhooks:read", "webhooks:write"],
                expires_at=None,
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
    def child_environment(self, stack: Any, function: Any | None, *, compiled: bool = False) -> dict[str, str]:
        layer = self.sandbox.layer_compiled if compiled else self.sandbox.layer
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
                "PYTHONPATH": os.pathsep.join([str(folder), str(layer), str(self.sandbox.runtime)]),
                "LAMBDA_TASK_ROOT": str(folder),
                "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function_memory(stack.template, function.logical_id)),
            }
        )
        return env

    def stack_floor_environment(self, stack: Any, get_webhook: Any, *, compiled: bool) -> dict[str, str]:
        """The stack floor (:mod:`bench.stack_floor`) as ``get_webhook``: its environment, layer and event."""
        env = self.child_environment(stack, get_webhook, compiled=compiled)
        layer = self.sandbox.layer_compiled if compiled else self.sandbox.layer
        env.update(
            {
                "BENCH_HANDLER": "stack_floor.lambda_handler",
                "PYTHONPATH": os.pathsep.join([str(self.sandbox.stack_floor), str(layer), str(self.sandbox.runtime)]),
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
        return Run(result["import"], result["first"], result["total"], result["rss_mb"], result["outcome"])

    def importtime(self, env: dict[str, str], runs: int = 3, code: str | None = None) -> list[ImportEntry]:
        """``python -X importtime`` of the handler module (or of ``code``), ``runs`` times: each
        module's median self and cumulative time, its depth in the first run's tree and who
        imported it."""
        code = code or f"import {env['BENCH_HANDLER'].rsplit('.', 1)[0]}"
        trees = []
        for _ in range(runs):
            done = subprocess.run(
                [self.sandbox.python, "-S", "-X", "importtime", "-c", code],
                env=env,
                cwd=env["LAMBDA_TASK_ROOT"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=120,
                check=False,
            )
            tree = []
            for line in done.stderr.decode(errors="replace").splitlines():
                match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
                if match:
                    tree.append((int(match.group(1)), int(match.group(2)), len(match.group(3)) // 2, match.group(4)))
            trees.append(tree)
        parents = _importers(trees[0])
        self_times: dict[str, list[int]] = {}
        cumulative: dict[str, list[int]] = {}
        for tree in trees:
            for self_us, cumulative_us, _, name in tree:
                self_times.setdefault(name, []).append(self_us)
                cumulative.setdefault(name, []).append(cumulative_us)
        return [
            ImportEntry(
                name,
                statistics.median(self_times[name]) / 1e6,
                statistics.median(cumulative[name]) / 1e6,
                depth,
                parents.get(name, ""),
            )
            for _, _, depth, name in trees[0]
        ]


@dataclass(frozen=True)
class ImportEntry:
    module: str
    self_s: float
    cumulative_s: float
    depth: int
    imported_by: str


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
    lambda_python = None if smoke() else python313()
    cold = ColdStart(report, lambda_python)
    cold.ships_pyc = lambda_python is not None
    report.data["cold_python"] = (cold.sandbox.python_version, cold.sandbox.why_not_313)
    try:
        cold.start_moto()
        cold.template, cold.stack = cold.create_resources()
        cold.functions = cold.template.functions()
        cold.route_functions = {route.function for route in cold.template.routes()}
        authorizer = cold.template.authorizer_function()
        cold.kinds = {
            logical_id: "route" if logical_id in cold.route_functions
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
    ships_pyc = cold.ships_pyc
    section = report.section(
        "cold",
        "1. Cold start",
        "Import plus first invocation with the function's sample event (`events/`), each in a fresh "
        "`python -S` process against moto server, with only what Lambda would provide on the path: the "
        "layer as `layers/shared/Makefile` ships it here ("
        + ("with `.pyc` compiled for 3.13" if ships_pyc else "without `.pyc` (no Python 3.13 to compile them)")
        + "; the other way is shown beside it), the runtime's boto3, Lambda's environment with tracing on. "
        "Bare floor: a process that imports boto3, makes one DynamoDB client and makes one GetItem. Stack floor "
        "(`bench/stack_floor.py`): the smallest API function the fixed stack allows (Powertools' resolver with "
        "validation, Logger, Tracer, Metrics, one pydantic model, the same GetItem), run with `get_webhook`'s event. "
        "Function and floor runs alternate; ratios are of the medians. Interpreter start-up is left out of all. "
        f"Targets: route functions {ROUTE_TARGET.text()} the stack floor, the authorizer {AUTHORIZER_TARGET.text()} the "
        f"bare floor, the outbox relay, fan-out and delivery {ASYNC_TARGET.text()} the bare floor; the other "
        "functions are shown without one.",
    )
    heading(section.title)
    say(f"  the layer as built here ships {'.pyc' if ships_pyc else 'no .pyc'}: measured both ways, judged as shipped")
    rounds = repeat(5, 3)
    stack, functions = cold.stack, cold.functions
    say(
        f"  children run on Python {cold.sandbox.python_version}"
        + (f" (not 3.13: {cold.sandbox.why_not_313})" if cold.sandbox.why_not_313 else ", Lambda's, with the layer as built")
    )
    say(f"  moto server on {cold.endpoint}; {len(cold.order)} functions × {rounds} rounds, each beside its floors")
    if not smoke():  # one untimed pass: the page cache holds every file before anything is measured
        cold.run(cold.child_environment(stack, None))
        cold.run(cold.child_environment(stack, functions[cold.order[0]]))
    results: list[FunctionResult] = []
    get_webhook = next(function for function in functions.values() if function.code_uri.name == "get_webhook")
    for logical_id in cold.order:
        function = functions[logical_id]
        kind = cold.kinds[logical_id]
        runs: dict[str, list[Run]] = {"floor": [], "shipped": [], "other": [], "stack": []}
        environments = {
            "floor": cold.child_environment(stack, None),
            "shipped": cold.child_environment(stack, function, compiled=ships_pyc),
            "other": cold.child_environment(stack, function, compiled=not ships_pyc),
            "stack": cold.stack_floor_environment(stack, get_webhook, compiled=ships_pyc),
        }
        # The stack floor is a route function: the others have no event handler or pydantic.
        kinds = [each for each in environments if each != "stack" or kind == "route"]
        if smoke():  # --smoke: the layer is the same both ways
            kinds.remove("other")
        for index in range(rounds):
            for each in kinds[index % len(kinds) :] + kinds[: index % len(kinds)]:  # rotate the order each round
                runs[each].append(cold.run(environments[each]))
        if runs["stack"] and runs["stack"][0].outcome != "200":  # it must take its route, GetItem and all
            raise RuntimeError(f"the stack floor answered {runs['stack'][0].outcome}, not 200: check bench/stack_floor.py")
        result = FunctionResult(
            logical_id, function.code_uri.name, kind, runs["shipped"], runs["floor"], runs["other"] or runs["shipped"], runs["stack"]
        )
        results.append(result)
        target, floor_name, floor = result.judged
        row(
            result.folder,
            f"{spread(result.total)}  {floor_name} {ms(floor.median)}  ratio {times(result.judged_ratio)}",
            target,
            result.judged_ratio,
            extra=f"{'without' if ships_pyc else 'with'} .pyc {times(result.other_ratio)}  [{result.runs[0].outcome}]",
        )
    slowest = max((r for r in results if r.kind == "route"), key=lambda r: r.total.median)
    imports = cold.importtime(cold.child_environment(stack, functions[slowest.logical_id], compiled=True), runs=repeat(3, 3))
    floor_imports = cold.importtime(cold.child_environment(stack, None), runs=repeat(3, 3), code="import boto3; boto3.client('dynamodb')")
    write_section(report, section, results, slowest, imports, {entry.module for entry in floor_imports}, ships_pyc)


def write_section(
    report: Report,
    section: Section,
    results: list[FunctionResult],
    slowest: FunctionResult,
    imports: list[ImportEntry],
    floor_modules: set[str],
    ships_pyc: bool,
) -> None:
    table = section.table(
        [
            "function",
            "import + first call, median (min–max)",
            "of which import",
            "judged against",
            "its floor (min–max)",
            "ratio",
            "target",
            "",
            "bare floor (min–max)",
            "ratio to the bare floor",
            "stack floor ÷ bare floor",
            "without .pyc (a build without Python 3.13)" if ships_pyc else "what-if: layer with .pyc",
            "ratio to the bare floor, " + ("without .pyc" if ships_pyc else "with .pyc"),
            "max RSS",
            "first call answered",
        ]
    )
    for result in results:
        target, floor_name, floor = result.judged
        table.add(
            f"`{result.folder}`",
            spread(result.total),
            ms(Sample.of(run.import_s for run in result.runs).median),
            floor_name,
            spread(floor),
            times(result.judged_ratio),
            target.text() if target else "none",
            f"**{target.verdict(result.judged_ratio)}**" if target else "",
            spread(result.floor_total),
            times(result.ratio),
            "" if result.stack_ratio is None else times(result.stack_ratio),
            spread(result.other_total),
            times(result.other_ratio),
            f"{max(run.rss_mb for run in result.runs):.0f} MB",
            result.runs[0].outcome,
        )
        if target is not None:
            report.bar(
                f"Cold start: {KIND_NAMES[result.kind]} ÷ {floor_name}", result.folder, result.judged_ratio, target,
                f"{ms(result.total.median)}; {floor_name} {ms(floor.median)}",
            )  # fmt: skip
    groups = (
        ("route", "Cold start, route functions", "the stack floor", ROUTE_TARGET),
        ("authorizer", "Cold start, authorizer", "the bare floor", AUTHORIZER_TARGET),
        ("async", "Cold start, outbox relay, fan-out and delivery", "the bare floor", ASYNC_TARGET),
    )
    for kind, what, floor_name, target in groups:
        chosen = [(r.folder, r.judged_ratio) for r in results if r.kind == kind]
        if chosen:
            judge(report, what, floor_name, chosen, target)
    stacked = [r for r in results if r.stack_ratio is not None]
    if stacked:
        stack_ratios = Sample.of(r.stack_ratio for r in stacked)
        report.headline(
            "Stack floor ÷ bare floor: what Powertools (resolver with validation, Logger, Tracer, Metrics) and pydantic cost",
            f"median {times(stack_ratios.median)}, min {times(stack_ratios.min)}, max {times(stack_ratios.max)}",
            "none: the route functions' target is relative to it",
            "",
        )
        report.data["cold_stack"] = {"ratio": stack_ratios}
    others = Sample.of(r.other_ratio for r in results)
    difference = Sample.of(abs(r.total.median - r.other_total.median) for r in results)
    report.headline(
        ("… without the layer's `.pyc` (a build machine without Python 3.13)" if ships_pyc else "… what-if: the layer's `.pyc` shipped")
        + ", ÷ bare floor",
        f"median {times(others.median)}, min {times(others.min)}, max {times(others.max)}; "
        + (f"{ms(difference.median)} more per cold start (median)" if ships_pyc else f"saves {ms(difference.median)} per cold start (median)"),
        "none",
        "",
    )
    floor = Sample.of(run.total_s for r in results for run in r.floor)
    floor_client = Sample.of(run.import_s for r in results for run in r.floor)
    section.note(
        f"Floor over all its runs: {spread(floor)} (import boto3 + client: {ms(floor_client.median)}, so its GetItem costs "
        f"{ms(floor.median - floor_client.median)}; max RSS {max(run.rss_mb for r in results for run in r.floor):.0f} MB). "
        "The authorizer's first call makes the key's GetItem (and, at most once a minute, its two `last_used_at` writes: the same key serves every run). "
        "The sample events name items that do not exist, so most first calls answer 404 or drop the message: "
        "the path still makes the same read. "
        + (
            f"The children ran on Python {report.data['cold_python'][0]}, as Lambda's python3.13 runtime does, with the "
            f"layer `layers/shared/Makefile` builds (wheels for this machine's {platform.machine()}; Lambda runs arm64)."
            if not report.data["cold_python"][1]
            else f"The children ran on this machine's Python {report.data['cold_python'][0]} ({report.data['cold_python'][1]}); "
            "Lambda runs 3.13, on arm64."
        )
    )
    report.data["cold_ships_pyc"] = ships_pyc
    report.data["cold"] = {
        r.folder: {
            "total": r.total.median,
            "import": Sample.of(run.import_s for run in r.runs).median,
            "other": r.other_total.median,
            "floor": r.floor_total.median,
            "ratio": r.ratio,
            "other_ratio": r.other_ratio,
            "rss_mb": max(run.rss_mb for run in r.runs),
            "kind": r.kind,
            "judged_ratio": r.judged_ratio,
            "judged_floor": r.judged[1],
            "target": r.judged[0],
            "stack": None if r.stack_total is None else r.stack_total.median,
            "stack_ratio": r.stack_ratio,
        }
        for r in results
    }

    extra = [entry for entry in imports if entry.module not in floor_modules]
    total = sum(entry.self_s for entry in imports) or 1.0
    beyond = sum(entry.self_s for entry in extra)
    top = sorted(imports, key=lambda entry: entry.self_s, reverse=True)[:15]
    imp = section.table(
        ["module", "self", "cumulative", "imported by", "the floor imports it too"],
        caption=f"**Top self-time imports of `{slowest.folder}`**, the slowest API function (`python -X importtime`, "
        "median of 3 runs, layer with `.pyc` so that compiling does not blur the picture):",
    )
    for entry in top:
        imp.add(
            f"`{entry.module}`",
            ms(entry.self_s),
            ms(entry.cumulative_s),
            f"`{entry.imported_by}`",
            "yes" if entry.module in floor_modules else "**no**",
        )
    packages = _by_package(extra)
    pkg = section.table(
        ["top-level package", "self time, summed", "share of what the floor does not import"],
        caption=f"**What `{slowest.folder}` imports beyond the floor, by package**: {ms(beyond)} of its {ms(total)} of imports "
        "are modules the floor (boto3 and a DynamoDB client) never loads:",
    )
    for name, seconds in packages[:12]:
        pkg.add(f"`{name}`", ms(seconds), f"{seconds / (beyond or 1.0):.0%}")
    report.data["importtime"] = {
        "function": slowest.folder,
        "entries": imports,
        "packages": packages,
        "total": total,
        "beyond": beyond,
        "floor": floor_modules,
    }


def _importers(entries: list[tuple[int, int, int, str]]) -> dict[str, str]:
    """For each module, the module whose import first imported it. importtime prints a module
    after its children, which are one level deeper; depth 0 is the handler module's own."""
    parents: dict[str, str] = {}
    pending: dict[int, list[str]] = {}
    for _, _, depth, name in entries:
        for child in pending.pop(depth + 1, []):
            parents[child] = name
        pending.setdefault(depth, []).append(name)
    return parents


def _by_package(entries: list[ImportEntry]) -> list[tuple[str, float]]:
    totals: dict[str, float] = {}
    for entry in entries:
        package = entry.module.split(".", 1)[0]
        totals[package] = totals.get(package, 0.0) + entry.self_s
    return sorted(totals.items(), key=lambda item: item[1], reverse=True)
