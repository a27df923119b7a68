"""Time-ordered, prefixed identifiers (``key_01JD3...``), ULIDs in Crockford base32.

The 48-bit millisecond timestamp comes first, so sorting ids sorts by creation time:
the single-table listings rely on that to return newest first with one Query.
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_MAX_RANDOMNESS = 2**80 - 1


def new_ulid(now_ms: int | None = None) -> str:
    timestamp = int(time.time() * 1000) if now_ms is None else now_ms
    return encode_ulid(timestamp, secrets.randbits(80))


def encode_ulid(timestamp_ms: int, randomness: int) -> str:
    """The ULID of a 48-bit millisecond timestamp and 80 bits of randomness (or of a hash)."""
    value = ((timestamp_ms & (2**48 - 1)) << 80) | (randomness & (2**80 - 1))
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def decode_ulid_time_ms(ulid: str) -> int:
    """The millisecond timestamp of a ULID (its first 10 characters)."""
    value = 0
    for char in ulid[:10]:
        value = value * 32 + _CROCKFORD.index(char)
    return value


def new_id(prefix: str, now_ms: int | None = None) -> str:
    """A new identifier such as ``key_01JD3Z...``: type prefix, underscore, ULID."""
    return f"{prefix}_{new_ulid(now_ms)}"


def is_valid_id(value: str, prefix: str) -> bool:
    head, sep, tail = value.partition("_")
    return bool(sep) and head == prefix and len(tail) == 26 and all(c in _CROCKFORD for c in tail)


def id_bounds(prefix: str, since: datetime | None, until: datetime | None) -> tuple[str | None, str | None]:
    """The lowest id of ``since``'s millisecond and the highest of ``until``'s (None: open): ids
    ``prefix_<ULID>`` of times in [since, until] sort between them, both included."""
    low = None if since is None else f"{prefix}_{encode_ulid(int(since.timestamp() * 1000), 0)}"
    high = None if until is None else f"{prefix}_{encode_ulid(int(until.timestamp() * 1000), _MAX_RANDOMNESS)}"
    return low, high
