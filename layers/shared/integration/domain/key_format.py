"""The API key format: ``intk_`` + 32 base62 random characters + 6 base62 checksum characters.

Modelled on GitHub's token format:
- the fixed prefix ``intk_`` lets a secret scanner find candidate keys by pattern;
- the random part carries 190 bits from :mod:`secrets` (62**32 > 2**190);
- the checksum is the CRC32 of the random part in base62, so a scanner can tell a real key
  from look-alike noise offline, and the authorizer rejects a mistyped key without a read.

At rest only the SHA-256 of the whole key is stored. The display prefix (``intk_`` and the
first six random characters) is enough to recognise a key in a list and far too short to use.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib

KEY_PREFIX = "intk_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_RANDOM_LENGTH = 32
_CHECKSUM_LENGTH = 6
_DISPLAY_LENGTH = 6
KEY_PATTERN = re.compile(rf"^{KEY_PREFIX}[0-9A-Za-z]{{{_RANDOM_LENGTH + _CHECKSUM_LENGTH}}}$")


def _base62(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, 62)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def _checksum(random_part: str) -> str:
    return _base62(zlib.crc32(random_part.encode("ascii")), _CHECKSUM_LENGTH)


def generate_key() -> str:
    """A new plaintext key. Show it once; store only :func:`hash_key` of it."""
    random_part = _base62(secrets.randbelow(62**_RANDOM_LENGTH), _RANDOM_LENGTH)
    return f"{KEY_PREFIX}{random_part}{_checksum(random_part)}"


def is_well_formed(key: str) -> bool:
    """True when ``key`` has the prefix, the length, the alphabet and a matching checksum."""
    if not KEY_PATTERN.match(key):
        return False
    body = key[len(KEY_PREFIX) :]
    random_part, checksum = body[:_RANDOM_LENGTH], body[_RANDOM_LENGTH:]
    return secrets.compare_digest(_checksum(random_part), checksum)


def hash_key(key: str) -> str:
    """Hex SHA-256 of the whole key: what the table stores and the authorizer looks up."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def display_prefix(key: str) -> str:
    """``intk_`` plus the first six random characters: recognisable, never usable."""
    return key[: len(KEY_PREFIX) + _DISPLAY_LENGTH]
