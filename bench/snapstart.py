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
from bench.common import Report, Sample, at_most, heading, ms, ratio, repeat, row, say, spread, times

TARGET = at_most(1.5)
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
            restored, cpu = time.perf_counter(), time.process_time()
            outcome = serve(primed)
            payload = {"restore": restored - begun, "cpu": time.process_time() - cpu, "wall": time.perf_counter() - restored,
                       "outcome": outcome}
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
    init_s: float
    first: Sample  # the first request after the restore, CPU time
    wall: Sample  # the same, wall time
    restore: Sample  # the after-restore hooks
    floor: Sample  # the primed bare floor's first request (CPU time), alternating with these
    floor_wall: Sample
    outcome: str

    @property
    def ratio(self) -> float:
        return ratio(self.first.median, self.floor.median)

    @property
    def wall_ratio(self) -> float:
        return ratio(self.wall.median, self.floor_wall.median)


def run(report: Report, cold: ColdStart) -> None:
    section = report.section(
        "snapstart",
        "1a. SnapStart (simulated)",
        "Each function's first request after a restore, against a primed bare floor's. " + CPU_WHY + " A parent process runs the "
        "function's INIT as a cold-start child does (same paths, environment and moto server, plus "
        "`AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`) and its before-snapshot hooks, then `os.fork()`s a child per sample: "
        "the child runs the after-restore hooks (`snapshot_restore_py`) and serves one request, the cold-start section's "
        "sample event. The floor's parent imports boto3 and makes one DynamoDB client; its children make the one "
        "consistent GetItem. Floor and function samples alternate; the ratio is of the medians. "
        f"Target: first request {TARGET.text()} the primed bare floor's, for every function. The simulation leaves out "
        "what Lambda adds (restoring the snapshot's memory, its `Restore Duration`) and keeps what a fork keeps "
        "(the parent's memory as it was).",
    )
    heading(section.title)
    samples = repeat(7, 5, 2)
    stack = cold.stack
    floor = Snapshot(cold, cold.child_environment(stack, None))
    say(f"  floor primed in {ms(floor.init_s)}; {len(cold.order)} functions × {samples} restores, each beside a floor restore")
    results: list[Restored] = []
    try:
        floor.sample()  # untimed: the page cache and moto's first GetItem
        for logical_id in cold.order:
            function = cold.functions[logical_id]
            parent = Snapshot(cold, cold.child_environment(stack, function))
            try:
                runs: dict[str, list[dict[str, Any]]] = {"floor": [], "function": []}
                for index in range(samples):
                    order = [("floor", floor), ("function", parent)]
                    for name, snapshot in order if index % 2 == 0 else order[::-1]:
                        runs[name].append(snapshot.sample())
            finally:
                parent.close()
            result = Restored(
                function.code_uri.name,
                parent.init_s,
                Sample.of(each["cpu"] for each in runs["function"]),
                Sample.of(each["wall"] for each in runs["function"]),
                Sample.of(each["restore"] for each in runs["function"]),
                Sample.of(each["cpu"] for each in runs["floor"]),
                Sample.of(each["wall"] for each in runs["floor"]),
                runs["function"][0]["outcome"],
            )
            results.append(result)
            row(
                result.folder,
                f"CPU {spread(result.first)}  floor {ms(result.floor.median)}  ratio {times(result.ratio)}",
                TARGET,
                result.ratio,
                extra=f"wall {ms(result.wall.median)} ({times(result.wall_ratio)})  INIT {ms(result.init_s)}  [{result.outcome}]",
            )
    finally:
        floor.close()
    write_section(report, section, results)


def write_section(report: Report, section: Any, results: list[Restored]) -> None:
    table = section.table(
        [
            "function",
            "CPU time of the first request after restore, median (min–max)",
            "primed bare floor's (min–max)",
            "ratio",
            "target",
            "",
            "wall time (min–max)",
            "floor's wall time",
            "wall ratio",
            "after-restore hooks (median)",
            "INIT in the parent",
            "first request answered",
        ]
    )
    for result in results:
        table.add(
            f"`{result.folder}`",
            spread(result.first),
            spread(result.floor),
            times(result.ratio),
            TARGET.text(),
            f"**{TARGET.verdict(result.ratio)}**",
            spread(result.wall),
            ms(result.floor_wall.median),
            times(result.wall_ratio),
            ms(result.restore.median),
            ms(result.init_s),
            result.outcome,
        )
        report.bar(
            "SnapStart (simulated, CPU): first request ÷ primed bare floor",
            result.folder,
            result.ratio,
            TARGET,
            f"{ms(result.first.median)}; floor {ms(result.floor.median)}",
        )
    judge(
        report,
        "SnapStart (simulated): every function's first request after restore",
        "the primed bare floor's",
        [(result.folder, result.ratio, result.wall_ratio) for result in results],
        TARGET,
    )
    floor = Sample.of(value for result in results for value in result.floor.values)
    section.note(
        f"The primed floor's first request over all its samples: CPU {spread(floor)}. A function's first request makes "
        "its own AWS calls, not the floor's one GetItem; on moto a transaction or a Query takes far longer than on "
        "DynamoDB (moto copies every table for a TransactWriteItems, walks the table for a Query), which the wall "
        "time shows and the CPU time, spent in this child, does not."
    )
    report.data["snapstart"] = {result.folder: {"first": result.first.median, "ratio": result.ratio} for result in results}
