"""What a function's Python finds on Lambda, told from .venv: the distributions the python3.13
runtime provides (boto3 and its dependencies) and those the shared layer ships
(``layers/shared/requirements.txt`` with their dependencies, less boto3, botocore and s3transfer,
as ``layers/shared/Makefile`` removes them), and the top-level names each installs.

Cold-start subprocesses (:mod:`bench.cold_start`) run with ``python -S`` and only these on
``PYTHONPATH``: .venv's other packages are invisible, as on Lambda. That matters: botocore
imports ``awscrt`` and urllib3's ``pyopenssl`` support whenever they are installed (aws-sam-cli
brings both into .venv), about 100 ms that a Lambda function never pays, and that would pad
every function and the floor alike.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

from bench.common import PROJECT_ROOT

LAYER_REQUIREMENTS = PROJECT_ROOT / "layers" / "shared" / "requirements.txt"
# The python3.13 managed runtime's own packages (boto3, botocore and what they import).
RUNTIME_DISTRIBUTIONS = ("boto3",)
# What layers/shared/Makefile deletes from the layer: the runtime provides them.
REMOVED_FROM_LAYER = {"boto3", "botocore", "s3transfer"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(path: Path) -> list[Requirement]:
    requirements = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirements.append(Requirement(line))
    return requirements


def closure(roots: list[Requirement]) -> dict[str, importlib.metadata.Distribution]:
    """The installed distributions ``roots`` need, with extras and markers applied."""
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = [(requirement, frozenset(requirement.extras)) for requirement in roots]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        requirement, extras = pending.pop()
        name = _normalise(requirement.name)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            distribution = importlib.metadata.distribution(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            continue
        found[name] = distribution
        for text in distribution.requires or []:
            dependency = Requirement(text)
            if dependency.marker is not None:
                wanted = any(dependency.marker.evaluate({**default_environment(), "extra": extra}) for extra in (extras or {""}))
                if not wanted:
                    continue
            pending.append((dependency, frozenset(dependency.extras)))
    return found


def top_level_names(distribution: importlib.metadata.Distribution) -> set[str]:
    """The importable names a distribution installs at the top of site-packages."""
    names = set()
    for file in distribution.files or []:
        parts = Path(str(file)).parts
        if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith((".dist-info", ".data", ".pth")):
            continue
        if parts[0] == "bin":
            continue
        names.add(parts[0])
    return names


def layer_distributions() -> dict[str, importlib.metadata.Distribution]:
    found = closure(_requirements(LAYER_REQUIREMENTS))
    return {name: dist for name, dist in found.items() if name not in REMOVED_FROM_LAYER}


def runtime_distributions() -> dict[str, importlib.metadata.Distribution]:
    return closure([Requirement(name) for name in RUNTIME_DISTRIBUTIONS])
