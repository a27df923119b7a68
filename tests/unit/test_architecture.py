"""The layering, as tests: which part of the code may import which, and no import cycles.

Every import counts, wherever it is written (module level, inside a function for a lighter cold
start, or under ``TYPE_CHECKING``): a lazy import is still a dependency.

    functions/*/app.py     -> anything but infrastructure (adapters come from wiring)
    integration.entrypoints -> domain, application, wiring, settings, observability, tracing, event_schemas
    integration.wiring      -> domain, application, infrastructure, settings, event_schemas (the only composition root)
    integration.infrastructure -> domain (outbound adapters only)
    integration.application -> domain
    integration.domain      -> domain only; no AWS SDK, no Powertools, no pydantic
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "shared" / "integration"

ALLOWED: dict[str, set[str]] = {
    "domain": {"domain"},
    "application": {"domain", "application"},
    "infrastructure": {"domain", "infrastructure"},
    "settings": {"domain"},
    "observability": set(),
    "tracing": set(),
    "event_schemas": set(),
    "entrypoints": {"domain", "application", "entrypoints", "wiring", "settings", "observability", "tracing", "event_schemas"},
    "wiring": {"domain", "application", "infrastructure", "settings", "event_schemas"},  # the service's schemas, for their examples
    "function": {"domain", "application", "entrypoints", "wiring", "settings", "observability", "tracing", "event_schemas"},
}
FRAMEWORKS = ("boto3", "botocore", "aws_lambda_powertools", "aws_xray_sdk", "pydantic")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a import b`` is ``a.b`` when that is a module of ours)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                names.add(submodule if submodule in modules() else node.module)
    return names


def layer(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def ours(names: set[str]) -> set[str]:
    return {name for name in names if name.startswith("integration.") and name in modules()}


def graph() -> dict[str, set[str]]:
    return {module: ours(imported(path)) - {module} for module, path in modules().items() if module != "integration"}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_shared_layer_has_no_import_cycle():
    assert find_cycle(graph()) is None


def test_the_import_graph_sees_lazy_imports():
    """wiring imports its adapters inside its factories: those edges are in the graph."""
    assert "integration.infrastructure.webhook_repository" in graph()["integration.wiring"]


@pytest.mark.parametrize("module", sorted(name for name in modules() if name != "integration"))
def test_each_module_imports_only_what_its_layer_may(module: str) -> None:
    allowed = ALLOWED[layer(module)]
    wrong = sorted(name for name in ours(imported(modules()[module])) if layer(name) not in allowed)
    assert wrong == [], f"{module} ({layer(module)}) may import only {sorted(allowed)}"


@pytest.mark.parametrize("function", sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py")))
def test_each_function_gets_its_adapters_from_wiring(function: str) -> None:
    names = ours(imported(ROOT / "functions" / function / "app.py"))
    wrong = sorted(name for name in names if layer(name) not in ALLOWED["function"])
    assert wrong == [], f"functions/{function} imports {wrong}: build it in integration.wiring"


@pytest.mark.parametrize("module", sorted(name for name in modules() if layer(name) in ("domain", "application")))
def test_domain_and_use_cases_import_no_aws_sdk_and_no_framework(module: str) -> None:
    frameworks = sorted(name for name in imported(modules()[module]) if name.split(".")[0] in FRAMEWORKS)
    assert frameworks == [], f"{module} imports {frameworks}"


def random_draws(path: Path) -> list[str]:
    """What ``path`` uses of :mod:`random` other than reseeding it (``random.seed``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module == "random":
            found.extend(f"from random import {alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend(f"import {alias.name} as {alias.asname}" for alias in node.names if alias.name == "random" and alias.asname)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "random" and node.attr != "seed":
            found.append(f"random.{node.attr}")
    return found


def test_the_random_check_sees_a_draw_and_lets_a_reseed_pass(tmp_path: Path) -> None:
    drawing = tmp_path / "drawing.py"
    drawing.write_text("import random\nfrom random import uniform\nrandom.seed()\nrandom.uniform(0, 1)\n")
    assert random_draws(drawing) == ["from random import uniform", "random.uniform"]


@pytest.mark.parametrize(
    "path",
    sorted([*PACKAGE.rglob("*.py"), *(ROOT / "functions").glob("*/app.py")]),
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_no_code_draws_from_the_random_module(path: Path) -> None:
    """``random`` keeps its state in the process: every environment SnapStart restores from one
    snapshot would draw the same sequence (retry jitter in step). Draw from ``secrets``; only
    ``integration.entrypoints.snapstart`` touches ``random``, to reseed it after a restore."""
    assert random_draws(path) == [], f"{path.relative_to(ROOT)}: use secrets"
