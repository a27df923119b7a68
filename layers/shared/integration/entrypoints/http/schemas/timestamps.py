"""The one way a response body writes a time: :func:`integration.domain.clock.format_timestamp`
(``2026-12-01T23:35:12.123Z``), with the format and pattern in the OpenAPI document.

A time a request sends (a body's field, a query parameter) is a :data:`RequestTime`: an RFC 3339
date-time with a zone, written as text; nothing else (a number of seconds, a date alone, a time
without a zone) is read as a time.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Field, PlainSerializer

from integration.domain.clock import TIMESTAMP_EXAMPLE, TIMESTAMP_PATTERN, format_timestamp

Timestamp = Annotated[
    datetime,
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
    Field(json_schema_extra={"format": "date-time", "pattern": TIMESTAMP_PATTERN, "examples": [TIMESTAMP_EXAMPLE]}),
]
"""A time in a response: RFC 3339 in UTC with milliseconds and ``Z``."""


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 date-time with a time zone, e.g. " + TIMESTAMP_EXAMPLE)
    return value


RequestTime = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text)]
"""A time in a request: RFC 3339 text with a zone (``Z`` or an offset), any precision."""
