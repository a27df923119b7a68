"""What a JSON Merge Patch (RFC 7396) leaves out: :data:`KEEP`, shared by every aggregate's patch."""

from __future__ import annotations

from enum import Enum
from typing import Final


class Keep(Enum):
    KEEP = "keep"


KEEP: Final = Keep.KEEP
"""In a patch: the field keeps the value it has."""
