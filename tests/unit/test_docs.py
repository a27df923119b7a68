"""The documentation holds together: the README stays short, every page it promises exists, and
every relative link in README.md, CONTRIBUTING.md and docs/*.md points at a file that exists,
and each ``#anchor`` at a heading of that file (as GitHub makes anchors from headings)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from local_runtime.template import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
README_MAX_BYTES = 10_240
PAGES = [
    "README.md",
    "CONTRIBUTING.md",
    "docs/api.md",
    "docs/architecture.md",
    "docs/authentication.md",
    "docs/benchmarks.md",
    "docs/console.md",
    "docs/deploy.md",
    "docs/events.md",
    "docs/local-runtime.md",
    "docs/operations.md",
    "docs/receiving-webhooks.md",
    "docs/security.md",
    "docs/webhooks.md",
]

_FENCE = re.compile(r"^(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text without markup, lowercased, punctuation dropped,
    spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in prose_lines(path.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def relative_links(path: Path) -> list[str]:
    links = []
    for line in prose_lines(path.read_text(encoding="utf-8")):
        for target in _LINK.findall(_CODE_SPAN.sub("", line)):
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target, flags=re.IGNORECASE):  # http:, https:, mailto:
                links.append(target)
    return links


def broken(path: Path, target: str) -> str | None:
    """Why ``target``, a link in ``path``, leads nowhere; None when it is fine."""
    file_part, _, anchor = target.partition("#")
    destination = (path.parent / file_part).resolve() if file_part else path
    if not destination.exists():
        return f"{target}: no such file {destination}"
    if anchor:
        if destination.suffix != ".md":
            return f"{target}: an anchor into a file that is not markdown"
        if anchor not in anchors(destination):
            return f"{target}: {destination.name} has no heading with the anchor #{anchor}"
    return None


def documents() -> list[Path]:
    return [PROJECT_ROOT / "README.md", PROJECT_ROOT / "CONTRIBUTING.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]


def test_the_readme_is_at_most_10_kb() -> None:
    size = len(README.read_bytes())
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes; keep it within {README_MAX_BYTES}: move detail to docs/"


def test_every_documentation_page_exists() -> None:
    missing = [page for page in PAGES if not (PROJECT_ROOT / page).is_file()]
    assert missing == []


def test_the_readme_links_every_docs_page() -> None:
    linked = {(README.parent / target.partition("#")[0]).resolve() for target in relative_links(README)}
    unlinked = [page for page in PAGES[1:] if (PROJECT_ROOT / page).resolve() not in linked]
    assert unlinked == []


@pytest.mark.parametrize("path", documents(), ids=lambda path: str(path.relative_to(PROJECT_ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(path: Path) -> None:
    links = relative_links(path)
    problems = [problem for target in links if (problem := broken(path, target))]
    assert problems == []


def test_slugs_follow_github() -> None:
    assert slug("Idempotency: a replay is only answered to who may make the request now") == (
        "idempotency-a-replay-is-only-answered-to-who-may-make-the-request-now"
    )
    assert slug("The contract: openapi.json") == "the-contract-openapijson"
    assert slug("`429` and `503` with `Retry-After`") == "429-and-503-with-retry-after"
    assert slug("What the receiver's answer does") == "what-the-receivers-answer-does"
    assert slug("8. Local runtime (make run)") == "8-local-runtime-make-run"
    assert slug("Operator CLI: integration-admin") == "operator-cli-integration-admin"


def test_links_in_code_are_not_links(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[a](other.md) `[b](nowhere.md)`\n\n```\n[c](nowhere.md)\n```\n[d](#title) [e](https://x.y/z)\n")
    assert relative_links(page) == ["other.md", "#title"]
    assert broken(page, "#title") is None
    assert broken(page, "#nothing") is not None
    assert broken(page, "other.md") is not None
