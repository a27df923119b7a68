"""What every section shares: statistics, targets, the report being built, printing as it runs."""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class Sample:
    """Repeated measurements of one thing (seconds, or any unit)."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Iterable[float]) -> Sample:
        values = tuple(values)
        if not values:
            raise ValueError("a sample needs at least one value")
        return cls(values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def max(self) -> float:
        return max(self.values)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def ms(seconds: float) -> str:
    """Seconds as milliseconds, with sensible precision."""
    value = seconds * 1000
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def us(seconds: float) -> str:
    value = seconds * 1e6
    return f"{value:.1f} µs" if value < 100 else f"{value:.0f} µs"


def spread(sample: Sample, unit: Callable[[float], str] = ms) -> str:
    """``median (min–max)``."""
    return f"{unit(sample.median)} ({unit(sample.min)}–{unit(sample.max)})"


def times(value: float) -> str:
    return f"{value:.2f}×"


def function_memory(template: Any, logical_id: str) -> int:
    """A function's MemorySize in template.yaml (its own, else Globals')."""
    resource = template.resources[logical_id]["Properties"]
    return int(resource.get("MemorySize", template.raw.get("Globals", {}).get("Function", {}).get("MemorySize", 128)))


# ---------------------------------------------------------------------------- targets
@dataclass(frozen=True)
class Target:
    """A bound a figure should meet: ``value <= bound`` (``at_most``) or ``value >= bound``."""

    bound: float
    at_most: bool = True
    unit: str = "×"

    def met(self, value: float) -> bool:
        return value <= self.bound if self.at_most else value >= self.bound

    def text(self) -> str:
        return f"{'≤' if self.at_most else '≥'} {self.bound:g}{self.unit}"

    def verdict(self, value: float) -> str:
        return "PASS" if self.met(value) else "FAIL"


def at_most(bound: float, unit: str = "×") -> Target:
    return Target(bound, at_most=True, unit=unit)


def at_least(bound: float, unit: str = "×") -> Target:
    return Target(bound, at_most=False, unit=unit)


# ---------------------------------------------------------------------------- the report
@dataclass
class Table:
    headers: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)
    caption: str = ""

    def add(self, *row: Any) -> None:
        self.rows.append(row)

    def markdown(self) -> str:
        lines = []
        if self.caption:
            lines += [self.caption, ""]
        lines.append("| " + " | ".join(self.headers) + " |")
        lines.append("|" + "|".join("---" for _ in self.headers) + "|")
        for row in self.rows:
            lines.append("| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |")
        return "\n".join(lines)


@dataclass
class ChartBar:
    """One bar of the chart: a ratio, with its target when it has one."""

    group: str
    label: str
    value: float
    target: Target | None = None
    note: str = ""  # beside the value: the measured figure and its floor's


@dataclass
class Section:
    key: str
    title: str
    intro: str = ""
    blocks: list[Table | str] = field(default_factory=list)
    seconds: float = 0.0

    def table(self, headers: Sequence[str], caption: str = "") -> Table:
        table = Table(headers, caption=caption)
        self.blocks.append(table)
        return table

    def note(self, text: str) -> None:
        self.blocks.append(text)


@dataclass
class Headline:
    """One line of the summary: a figure beside its target."""

    what: str
    figure: str
    target: str
    verdict: str  # PASS, FAIL or "" (informative)


@dataclass
class Report:
    sections: list[Section] = field(default_factory=list)
    bars: list[ChartBar] = field(default_factory=list)
    headlines: list[Headline] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # "what the numbers say"
    data: dict[str, Any] = field(default_factory=dict)  # figures one section passes to another

    def section(self, key: str, title: str, intro: str = "") -> Section:
        section = Section(key, title, intro)
        self.sections.append(section)
        return section

    def bar(self, group: str, label: str, value: float, target: Target | None = None, note: str = "") -> None:
        self.bars.append(ChartBar(group, label, value, target, note))

    def headline(self, what: str, figure: str, target: str = "", verdict: str = "") -> None:
        self.headlines.append(Headline(what, figure, target, verdict))

    def finding(self, text: str) -> None:
        self.findings.append(text)


# ---------------------------------------------------------------------------- printing
def say(text: str = "") -> None:
    """Print as the run goes (the bench's own output, never the functions' logs)."""
    print(text, file=sys.__stdout__, flush=True)


def heading(text: str) -> None:
    say()
    say(f"== {text}")


def row(label: str, figure: str, target: Target | None = None, value: float | None = None, extra: str = "") -> None:
    """One measured line: ``label  figure  target  PASS/FAIL``."""
    verdict = ""
    if target is not None and value is not None:
        verdict = f"  target {target.text()}  {target.verdict(value)}"
    say(f"  {label:<42} {figure}{verdict}{('  ' + extra) if extra else ''}")


def quick() -> bool:
    return os.environ.get("BENCH_QUICK", "") == "1" or smoke()


def smoke() -> bool:
    """``--smoke``: every section on a tiny input, to check that it runs (the figures mean nothing)."""
    return os.environ.get("BENCH_SMOKE", "") == "1"


def repeat(normal: int, fast: int, tiny: int = 1) -> int:
    """How many repetitions: ``normal``, ``fast`` with ``--quick``, ``tiny`` with ``--smoke``."""
    return tiny if smoke() else fast if quick() else normal
