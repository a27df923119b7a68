"""Signing webhook requests the Standard Webhooks way (https://www.standardwebhooks.com/, as Svix does).

What is signed
    ``HMAC-SHA256(key, f"{message_id}.{timestamp}.".encode() + body)``, where ``key`` is the
    base64 part of the endpoint's ``whsec_...`` secret, decoded; ``timestamp`` is whole seconds
    since the epoch; ``body`` is the exact request body bytes. The request carries::

        webhook-id: msg_01JD3...                       (the same on every retry of one message)
        webhook-timestamp: 1700000000                  (of this attempt)
        webhook-signature: v1,<base64 HMAC>[ v1,<base64 HMAC> ...]

How a receiver verifies
    With any Standard Webhooks library (``Webhook(secret).verify(body, headers)``): it recomputes
    the HMAC over the raw body with its copy of the secret, compares it in constant time with
    each space-separated ``v1,`` signature, and accepts if one matches. It also rejects a
    timestamp more than 5 minutes from its clock, so every attempt (retries included) must be
    signed afresh with the time it is sent; ``webhook-id`` stays the same so the receiver can
    drop duplicates.

Rotation
    Pass the new and the old secret together during the grace period: the request carries one
    signature per secret, in the order given, and a receiver holding either one verifies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from integration.domain.clock import format_timestamp

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
CONTENT_TYPE = "application/json"
USER_AGENT = "integration-webhooks/1.0"  # names the sender in every delivery request


def sign(*, message_id: str, timestamp: int, body: bytes, secrets: Sequence[str]) -> str:
    """The ``webhook-signature`` header value: ``v1,<base64>`` per secret, space-separated, in order.

    :raises ValueError: no secret, a malformed secret, a message id that is empty or holds ``.``,
        whitespace or a non-printable/non-ASCII character, or a negative timestamp.
    :raises TypeError: a timestamp that is not an ``int`` (a float would be signed as ``"1.0"``
        while receivers sign whole seconds, so nothing would verify).
    """
    _check_message_id(message_id)
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise TypeError(f"timestamp must be an int of seconds since the epoch, not {type(timestamp).__name__}")
    if timestamp < 0:
        raise ValueError("timestamp must not be negative")
    if isinstance(secrets, str):  # a lone string is a Sequence[str] of characters: a likely slip
        raise TypeError("secrets must be a sequence of secrets, not a single string")
    if not secrets:
        raise ValueError("at least one signing secret is required")
    keys = [_secret_key(secret) for secret in secrets]
    content = f"{message_id}.{timestamp}.".encode() + bytes(body)
    return " ".join(
        f"{SIGNATURE_VERSION},{base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode('ascii')}" for key in keys
    )


def webhook_headers(*, message_id: str, timestamp: int, body: bytes, secrets: Sequence[str], user_agent: str) -> dict[str, str]:
    """The headers of one delivery attempt of ``body`` (see :func:`sign` for what it refuses)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(message_id=message_id, timestamp=timestamp, body=body, secrets=secrets),
        "content-type": CONTENT_TYPE,
        "user-agent": user_agent,
    }


def message_body(event_type: str, timestamp: datetime, data: dict[str, Any], *, test: bool = False) -> bytes:
    """The Standard Webhooks payload ``{"type", "timestamp", "data"}`` as compact UTF-8 JSON.

    ``timestamp`` must be timezone-aware; it is written as every time the service writes
    (:func:`~integration.domain.clock.format_timestamp`: UTC, milliseconds, ``Z``). Keys keep the order
    given, so the same arguments always give the same bytes.

    ``test``: a sample sent on request (``POST /webhooks/{id}/test``) carries a last top-level
    ``"test": true`` (Standard Webhooks allows extra top-level fields); the body of a real event
    has no ``test`` field at all, so it stays byte for byte what it always was.

    :raises ValueError: a naive timestamp, or data JSON cannot represent exactly (NaN, infinity).
    :raises TypeError: data that is not JSON-serialisable.
    """
    payload = {
        "type": event_type,
        "timestamp": format_timestamp(timestamp),
        "data": data,
    }
    if test:
        payload["test"] = True
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _secret_key(secret: str) -> bytes:
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a signing secret must start with {SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"a signing secret must be {SECRET_PREFIX!r} followed by valid base64") from None
    if not key:
        raise ValueError("a signing secret must not be empty")
    return key


def _check_message_id(message_id: str) -> None:
    # It goes into an HTTP header and into the signed content, where a "." would make the
    # id/timestamp boundary ambiguous.
    if not message_id:
        raise ValueError("message id must not be empty")
    if "." in message_id:
        raise ValueError("message id must not contain '.'")
    if any(char.isspace() for char in message_id):
        raise ValueError("message id must not contain whitespace")
    if any(not ("!" <= char <= "~") for char in message_id):
        raise ValueError("message id must be printable ASCII")
