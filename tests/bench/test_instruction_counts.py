"""The cold-start section's judged measure: callgrind's instruction count of a child, which the
report says is the same from run to run. Checked on a child that only starts Python, and one
that also imports a module (valgrind runs a child about 50 times slower)."""

from __future__ import annotations

import shutil
import sys
from types import SimpleNamespace

import pytest

from bench.cold_start import ColdStart

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed (apt-get install valgrind)"),
]


def count(tmp_path, script: str) -> int:
    cold = SimpleNamespace(sandbox=SimpleNamespace(python=sys.executable, root=tmp_path))
    return ColdStart.instructions(cold, {"LAMBDA_TASK_ROOT": str(tmp_path), "PATH": "/usr/bin:/bin"}, script)  # type: ignore[arg-type]


def test_a_child_s_instructions_are_the_same_each_time_it_runs(tmp_path):
    first, second = count(tmp_path, "pass"), count(tmp_path, "pass")
    assert first > 1_000_000
    assert abs(first - second) <= first * 0.001


def test_a_child_that_does_more_counts_more(tmp_path):
    assert count(tmp_path, "import json, email.parser") > count(tmp_path, "pass") + 1_000_000
