"""The base of every request body: unknown fields are refused, and, as for a response body
(:class:`~integration.entrypoints.http.schemas.view.View`), its validator is built on first use.
And what every merge patch (RFC 7396) request's members share."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


def optional_member(schema: dict[str, Any]) -> None:
    """A merge patch member: it may be left out, so the document shows no default."""
    schema.pop("default", None)


def required_member(schema: dict[str, Any]) -> None:
    """A merge patch member that may be left out but not null (its field is required): the
    document shows only its type. ``null`` still reaches the domain's patch, which answers why
    it is refused."""
    optional_member(schema)
    options = schema.pop("anyOf", [])
    schema.update(next((option for option in options if option.get("type") != "null"), {}))
