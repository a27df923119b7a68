"""Request headers as API Gateway passes them: names in any case, matched case-insensitively."""

from __future__ import annotations

from collections.abc import Mapping


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """The value of the header ``name`` (lower case) in ``headers``; None when absent."""
    return next((value for key, value in (headers or {}).items() if key.lower() == name), None)
