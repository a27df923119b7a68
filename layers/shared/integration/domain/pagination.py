"""A page of results with an opaque cursor to the next one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: its items, and the cursor of the next page (None on the last)."""

    items: list[T]
    next_cursor: str | None
