"""The ``local_runtime`` fixture: one running ``make run`` per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.runtime import LocalRuntime, start_local_runtime, stop


@pytest.fixture(scope="module")
def local_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    runtime = start_local_runtime(tmp_path_factory.mktemp("local-runtime"))
    try:
        yield runtime
    finally:
        stop(runtime)
