"""SnapStart, simulated with ``os.fork()``: a primed parent per function (INIT and the
before-snapshot hooks registered with a stand-in ``snapshot_restore_py``) forks a child per sample
(the restore), which runs the after-restore hooks and serves one request, the cold-start
section's, against the bare floor primed the same way. The section's intro says the rest."""

from __future__ import annotations

import json
import select
import subprocess
import tempfile
from dataclasses import dataclass
from typing import IO, Any

from bench.cold_start import CPU_WHY, PRELUDE, ColdStart, judge
from bench.common import Report, Sample, Target, at_most, heading, ms, ratio, repeat, row, say, spread, times

TARGET = at_most(1.5)
SNAPSTART_ON = ("route", "authorizer")  # the functions SnapStart=PublishedVersions applies to (template.yaml)
TIMEOUT_SECONDS = 120  # for INIT, or one restore and request

# The parent: INIT once, then a forked child per line read from stdin. The functions' logs go to
# /dev/null; the results to the stdout the bench reads, one JSON line each.
PARENT = PRELUDE + r"""
results = os.fdopen(os.dup(1), "w")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
started = time.perf_counter()
primed = prime()
hooks = sys.modules.get("snapshot_restore_py")
for func, args, kwargs in (hooks.get_before_snapshot() if hooks else []):
    func(*args, **kwargs)
print(json.dumps({"init": time.perf_counter() - started}), file=results, flush=True)
while sys.stdin.readline():
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the restored environment
        os.close(reader)
        try:
            begun = time.perf_counter()
            for func, args, kwargs in (hooks.get_after_restore() if hooks else []):
                func(*args, **kwargs)
            import resource
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            restored, cpu = time.perf_counter(), time.process_time()
            outcome = serve(primed)
            payload = {"restore": restored - begun, "cpu": time.process_time() - cpu, "wall": time.perf_counter() - restored,
                       "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults, "outcome": outcome}
        except BaseException as error:
            payload = {"error": type(error).__name__ + ": " + str(error)[:200]}
        os.write(writer, json.dumps(payload).encode())
        os._exit(0)
    os.close(writer)
    chunks = []
    while chunk := os.read(reader, 65536):
        chunks.append(chunk)
    os.close(reader)
    os.waitpid(pid, 0)
    print(b"".join(chunks).decode() or json.dumps({"error": "the child sent nothing"}), file=results, flush=True)
"""


class Snapshot:
    """One primed parent process (a function's, or the floor's), forking a child per sample."""

    def __init__(self, cold: ColdStart, env: dict[str, str]) -> None:
        self.stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [cold.sandbox.python, "-S", "-c", PARENT],
            env={**env, "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"},
            cwd=env["LAMBDA_TASK_ROOT"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        self.init_s = self._answer()["init"]

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        if select.select([self.process.stdout], [], [], TIMEOUT_SECONDS)[0]:
            line = self.process.stdout.readline()
            answer = json.loads(line) if line else {"error": "the parent exited"}
        else:
            self.process.kill()
            answer = {"error": f"no answer in {TIMEOUT_SECONDS} s"}
        if "error" in answer:
            self.stderr.seek(0)
            raise RuntimeError(f"SnapStart simulation: {answer['error']}\n{self.stderr.read().decode(errors='replace')[-2000:]}")
        return answer

    def sample(self) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(b"go\n")
        self.process.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.stderr.close()


@dataclass
class Restored:
    folder: str
    kind: str  # route, authorizer (SnapStart on in the template), async, other (off)
    init_s: float
    first: Sample  # the first request after the restore, CPU time
    wall: Sample  # the same, wall time
    faults: Sample  # the minor page faults it took: the memory it touched, copied from the parent
    restore: Sample  # the after-restore hooks
    floor: Sample  # the primed bare floor's first request (CPU time), alternating with these
    floor_wall: Sample
    floor_faults: Sample
    stack_floor: Sample | None  # a route function's: the primed stack floor's first request (CPU time)
    outcome: str

    @property
    def ratio(self) -> float:
        return ratio(self.first.median, self.floor.median)

    @property
    def wall_ratio(self) -> float:
        return ratio(self.wall.median, self.floor_wall.median)

    @property
    def stack_ratio(self) -> float | None:
        return None if self.stack_floor is None else ratio(self.first.median, self.stack_floor.median)

    @property
    def target(self) -> Target | None:
        return TARGET if self.kind in SNAPSTART_ON else None


def run(report: Report, cold: ColdStart) -> None:
    section = report.section(
        "snapstart",
        "1a. SnapStart (simulated)",
        "Each function's first request after a restore, against a primed bare floor's and, for a route function, a primed "
        "stack floor's. " + CPU_WHY + " A parent process runs the function's INIT as a cold-start child does (same paths, "
        "environment and moto server, plus `AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`) and its before-snapshot hooks, "
        "then `os.fork()`s a child per sample: the child runs the after-restore hooks (`snapshot_restore_py`) and serves "
        "one request, the cold-start section's sample event. The bare floor's parent imports boto3 and makes one DynamoDB "
        "client; its children make the one consistent GetItem. The stack floor (`bench/stack_floor.py`) primes as the "
        "API functions do (its client made, one request through routing and validation) and serves the same GetItem "
        "through Powertools' resolver, Logger, Tracer and Metrics. The samples alternate; ratios are of the medians. "
        f"Target: first request {TARGET.text()} the primed bare floor's, for every function SnapStart applies to "
        "(`SnapStart=PublishedVersions`: the API functions and the authorizer); the five asynchronous functions keep "
        "`ApplyOn: None` and are shown without one. Page faults count the memory the request touched, which the child "
        "copies from its parent on first write as a restored environment loads it from the snapshot. The simulation "
        "leaves out what Lambda adds (restoring the snapshot's memory, its `Restore Duration`) and keeps what a fork "
        "keeps (the parent's memory as it was).",
    )
    heading(section.title)
    samples = repeat(7, 5, 2)
    stack = cold.stack
    get_webhook = next(function for function in cold.functions.values() if function.code_uri.name == "get_webhook")
    floor = Snapshot(cold, cold.child_environment(stack, None))
    stack_floor = Snapshot(cold, cold.stack_floor_environment(stack, get_webhook))
    say(
        f"  floors primed in {ms(floor.init_s)} (bare) and {ms(stack_floor.init_s)} (stack); {len(cold.order)} functions × "
        f"{samples} restores, each beside a floor restore"
    )
    results: list[Restored] = []
    try:
        floor.sample()  # untimed: the page cache and moto's first GetItem
        if stack_floor.sample()["outcome"] != "200":
            raise RuntimeError("the primed stack floor did not answer 200: check bench/stack_floor.py")
        for logical_id in cold.order:
            function, kind = cold.functions[logical_id], cold.kinds[logical_id]
            parent = Snapshot(cold, cold.child_environment(stack, function))
            try:
                runs: dict[str, list[dict[str, Any]]] = {"floor": [], "stack floor": [], "function": []}
                order = [("floor", floor), ("function", parent)] + ([("stack floor", stack_floor)] if kind == "route" else [])
                for index in range(samples):
                    for name, snapshot in order if index % 2 == 0 else order[::-1]:
                        runs[name].append(snapshot.sample())
            finally:
                parent.close()
            result = Restored(
                function.code_uri.name,
                kind,
                parent.init_s,
                Sample.of(each["cpu"] for each in runs["function"]),
                Sample.of(each["wall"] for each in runs["function"]),
                Sample.of(each["faults"] for each in runs["function"]),
                Sample.of(each["restore"] for each in runs["function"]),
                Sample.of(each["cpu"] for each in runs["floor"]),
                Sample.of(each["wall"] for each in runs["floor"]),
                Sample.of(each["faults"] for each in runs["floor"]),
                Sample.of(each["cpu"] for each in runs["stack floor"]) if runs["stack floor"] else None,
                runs["function"][0]["outcome"],
            )
            results.append(result)
            stack_figure = "" if result.stack_ratio is None else f"  ÷ stack floor {times(result.stack_ratio)}"
            row(
                result.folder,
                f"CPU {spread(result.first)}  floor {ms(result.floor.median)}  ratio {times(result.ratio)}{stack_figure}",
                result.target,
                result.ratio,
                extra=f"faults {result.faults.median:.0f} ({result.floor_faults.median:.0f})  INIT {ms(result.init_s)}  [{result.outcome}]",
            )
    finally:
        floor.close()
        stack_floor.close()
    write_section(report, section, results)


def _faults(sample: Sample) -> str:
    return f"{sample.median:,.0f}"


def write_section(report: Report, section: Any, results: list[Restored]) -> None:
    table = section.table(
        [
            "function",
            "CPU time of the first request after restore, median (min–max)",
            "primed bare floor's (min–max)",
            "ratio",
            "target",
            "",
            "÷ primed stack floor's",
            "page faults (bare floor's)",
            "wall time (min–max)",
            "wall ratio",
            "after-restore hooks (median)",
            "INIT in the parent",
            "first request answered",
        ]
    )
    for result in results:
        target = result.target
        table.add(
            f"`{result.folder}`",
            spread(result.first),
            spread(result.floor),
            times(result.ratio),
            target.text() if target else "none: SnapStart off",
            f"**{target.verdict(result.ratio)}**" if target else "",
            "" if result.stack_ratio is None else times(result.stack_ratio),
            f"{_faults(result.faults)} ({_faults(result.floor_faults)})",
            spread(result.wall),
            times(result.wall_ratio),
            ms(result.restore.median),
            ms(result.init_s),
            result.outcome,
        )
        if target is not None:
            report.bar(
                "SnapStart (simulated, CPU): first request ÷ primed bare floor",
                result.folder,
                result.ratio,
                target,
                f"{ms(result.first.median)}; floor {ms(result.floor.median)}",
            )
    judged = [result for result in results if result.target is not None]
    judge(
        report,
        "SnapStart (simulated): the first request after restore of every function it applies to",
        "the primed bare floor's",
        [(result.folder, result.ratio, result.wall_ratio) for result in judged],
        TARGET,
    )
    routes = [result for result in results if result.stack_ratio is not None]
    if routes:
        stack_ratios = Sample.of(result.stack_ratio or 0.0 for result in routes)
        worst = max(routes, key=lambda result: result.stack_ratio or 0.0)
        within = sum(TARGET.met(result.stack_ratio or 0.0) for result in routes)
        report.headline(
            "SnapStart (simulated): route functions' first request ÷ the primed stack floor's (CPU time), beside it",
            f"median {times(stack_ratios.median)}, min {times(stack_ratios.min)}, max {times(stack_ratios.max)} "
            f"(`{worst.folder}`); {within} of {len(routes)} within {TARGET.text()}",
            "none: shown for the route functions' stack, as their cold-start target is",
        )
    floor = Sample.of(value for result in results for value in result.floor.values)
    faults = Sample.of(value for result in results for value in result.floor_faults.values)
    section.note(
        f"The primed bare floor's first request over all its samples: CPU {spread(floor)}, {_faults(faults)} page faults. "
        "A function's first request makes its own AWS calls, not the floor's one GetItem; on moto a transaction or a "
        "Query takes far longer than on DynamoDB (moto copies every table for a TransactWriteItems, walks the table for "
        "a Query), which the wall time shows and the CPU time, spent in this child, does not. A first request's CPU "
        "time follows the memory it touches: its code path through the stack, not what is left unprimed."
    )
    report.data["snapstart"] = {
        result.folder: {"first": result.first.median, "ratio": result.ratio, "stack_ratio": result.stack_ratio} for result in judged
    }
