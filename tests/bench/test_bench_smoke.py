"""``make bench`` still runs: every section on a tiny input (``python -m bench --smoke``), its report
written to a temporary path with each section's heading and a PASS or FAIL beside every target.
No timing is asserted: the figures of a smoke run mean nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from local_runtime.template import PROJECT_ROOT

# Under a minute on 2 cores (the local runtime, a sandbox of cold-start processes): make test runs
# it, make test-fast leaves it out.
pytestmark = pytest.mark.slow

HEADINGS = [
    "## 1. Cold start",
    "## 1a. SnapStart (simulated)",
    "## 2. AWS calls per operation",
    "## 3. Scaling: 100 versus 100,000 items",
    "## 3a. GET /events:",
    "## 4. Delivery throughput and signing",
    "## 6. Cost model",
    "## 8. Local runtime (make run)",
]
# The issue's targets, one summary line each.
TARGETS = [
    "Cold start, route functions ÷ the stack floor",
    "Cold start, authorizer ÷ the bare floor",
    "Cold start, outbox relay, fan-out and delivery ÷ the bare floor",
    "SnapStart (simulated)",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> str:
    output = tmp_path_factory.mktemp("bench") / "benchmarks.md"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("BENCH_", "AWS_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--output", str(output)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert output.with_suffix(".svg").exists()
    return output.read_text()


def test_every_section_has_its_heading(report: str) -> None:
    headings = [line for line in report.splitlines() if line.startswith("## ")]
    for heading in HEADINGS:
        assert any(line.startswith(heading) for line in headings), f"{heading!r} not in {headings}"
    assert not any(line.endswith(": failed") for line in headings)


def test_every_target_has_a_verdict(report: str) -> None:
    summary = report.split("## Summary", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in summary.splitlines() if line.startswith("| ") and not line.startswith("| what")]
    for target in TARGETS:
        found = [line for line in rows if line.startswith(f"| {target}")]
        assert found, f"no summary line for {target!r}"
        assert re.search(r"\*\*(PASS|FAIL)\*\*", found[0]), found[0]
        assert re.search(r"median [\d.]+×, min [\d.]+×, max [\d.]+×", found[0]), found[0]
        assert "(CPU time)" in found[0] and "wall time: median" in found[0], found[0]  # judged on CPU, wall shown
    for line in rows:  # every line with a target (≤ or ≥ a bound) says whether it was met
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if re.match(r"[≤≥] ", cells[2]):
            assert cells[3] in ("**PASS**", "**FAIL**"), line


def test_the_report_keeps_the_issues_figures(report: str) -> None:
    assert "Local runtime: POST /webhooks p50" in report  # the local runtime's latency
    assert "Local runtime: memory" in report  # and memory
    assert re.search(r"GET /events, [\d,]+ ÷ 100 events", report)  # the event log's scaling


def test_no_dates_in_the_findings(report: str) -> None:
    findings = report.split("## What the numbers say", 1)[1].split("\n## ", 1)[0]
    assert not re.search(r"\b20\d\d-\d\d\b", findings)
