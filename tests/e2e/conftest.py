"""The ``local_runtime`` fixture: one running ``make run`` per test module; and
``delivery_runtime``: the same with a short webhook retry schedule and disable window."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.runtime import DELIVERY_PARAMETER_OVERRIDES, LocalRuntime, start_local_runtime, stop


@pytest.fixture(scope="module")
def local_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    runtime = start_local_runtime(tmp_path_factory.mktemp("local-runtime"))
    try:
        yield runtime
    finally:
        stop(runtime)


@pytest.fixture(scope="module")
def delivery_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    """A runtime of its own for delivery tests, with ``DELIVERY_PARAMETER_OVERRIDES``."""
    runtime = start_local_runtime(tmp_path_factory.mktemp("delivery-runtime"), DELIVERY_PARAMETER_OVERRIDES)
    try:
        yield runtime
    finally:
        stop(runtime)
