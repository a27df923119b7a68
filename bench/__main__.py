"""``python -m bench`` (``make bench``): every section, printed as it runs, then docs/benchmarks.md.
``--quick`` (fewer repetitions), ``--smoke`` (every section on a tiny input), ``--only cold,snapstart``,
``--output /tmp/B.md``. A missed target is printed and written, never an error: the exit status is 0
unless a section itself failed to run."""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

SECTIONS = ("cold", "snapstart", "calls", "delivery", "scaling", "events", "cost", "local")
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmarks of the integration service (see bench/__init__.py)."
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions: a rough pass")
    parser.add_argument("--smoke", action="store_true", help="every section on a tiny input: checks that they run")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections ({', '.join(SECTIONS)})")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the report (default docs/benchmarks.md)")
    arguments = parser.parse_args(argv)
    arguments.only = [name.strip() for name in arguments.only.split(",") if name.strip()]
    unknown = set(arguments.only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    if arguments.quick:
        os.environ["BENCH_QUICK"] = "1"
    if arguments.smoke:
        os.environ["BENCH_SMOKE"] = "1"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.webhook_receiver

    from bench.common import Report, say
    from bench.findings import summarise
    from bench.report import CHART_PATH, write_chart, write_markdown

    report = Report()
    failures: list[str] = []
    started = time.monotonic()
    mode = " (smoke)" if arguments.smoke else " (quick)" if arguments.quick else ""
    say(f"make bench: {', '.join(arguments.only)}{mode}; the report goes to {arguments.output}")

    def failed(name: str) -> None:
        failures.append(name)
        text = traceback.format_exc()
        say(f"  section {name} failed:\n{text}")
        report.section(name, f"{name}: failed", f"This section failed to run:\n\n```text\n{text[-3000:]}\n```")

    def section(name: str, run: Callable[[], None]) -> None:
        if name not in arguments.only:
            return
        begun = time.monotonic()
        count = len(report.sections)
        try:
            run()
        except Exception:  # noqa: BLE001 - one broken section must not hide the others
            failed(name)
        for added in report.sections[count:]:
            added.seconds = time.monotonic() - begun
        say(f"  ({name}: {time.monotonic() - begun:.0f} s)")

    from bench import calls, cold_start, cost, delivery, event_log, local_runtime, scaling, snapstart

    if {"cold", "snapstart"} & set(arguments.only):
        try:
            with cold_start.prepared(report) as cold:  # one sandbox and moto server for both
                section("cold", lambda: cold_start.run(report, cold))
                section("snapstart", lambda: snapstart.run(report, cold))
        except Exception:  # noqa: BLE001 - preparing them failed: both fail, the others run
            for name in sorted({"cold", "snapstart"} & set(arguments.only) - set(failures)):
                failed(name)
    if {"calls", "delivery", "scaling", "events"} & set(arguments.only):
        with _world() as (world, scenario):
            section("calls", lambda: calls.run(report, scenario()))
            section("delivery", lambda: delivery.run(report, scenario()))
            section("scaling", lambda: scaling.run(report, world))  # late: its 100,000 items slow moto's transactions
            section("events", lambda: event_log.run(report, world))  # GET /events at 100 and 100,000 events
    section("cost", lambda: cost.run(report))
    section("local", lambda: local_runtime.run(report))  # make run itself, in a subprocess

    elapsed = time.monotonic() - started
    summarise(report)
    # Beside the report: a run with --output leaves the committed docs/benchmarks.md and its chart alone.
    chart = write_chart(report, CHART_PATH if arguments.output.resolve() == DEFAULT_OUTPUT else arguments.output.with_suffix(".svg"))
    write_markdown(report, arguments.output, elapsed, chart)
    say()
    say("== Summary")
    for headline in report.headlines:
        say(
            f"  {headline.verdict or '    ':<5} {headline.what}: {headline.figure}"
            + (f"  (target {headline.target})" if headline.target else "")
        )
    say()
    say(f"wrote {arguments.output}" + (f" and {chart}" if chart else "") + f" in {elapsed / 60:.1f} min")
    if failures:
        say(f"sections that failed to run: {', '.join(failures)}")
        return 1
    return 0


@contextmanager
def _world() -> Iterator[tuple[object, Callable[[], object]]]:
    """moto in process with the template's resources, a loopback receiver, and the scenario
    (made once, when a section first needs it)."""
    from bench.operations import Scenario
    from bench.world import World
    from tests.webhook_receiver import running_receiver

    world = World()
    try:
        with running_receiver() as receiver:
            yield world, functools.cache(lambda: Scenario(world, receiver.url))  # made when a section first needs it
    finally:
        world.stop()


if __name__ == "__main__":
    sys.exit(main())
