"""The one way a response body writes a time: :func:`integration.domain.clock.format_timestamp`
(``2026-12-01T23:35:12.123Z``), with the format and pattern in the OpenAPI document.

Request bodies keep plain ``datetime`` fields: they read any RFC 3339 date-time with an offset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, PlainSerializer

from integration.domain.clock import TIMESTAMP_EXAMPLE, TIMESTAMP_PATTERN, format_timestamp

Timestamp = Annotated[
    datetime,
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
    Field(json_schema_extra={"format": "date-time", "pattern": TIMESTAMP_PATTERN, "examples": [TIMESTAMP_EXAMPLE]}),
]
"""A time in a response: RFC 3339 in UTC with milliseconds and ``Z``."""
