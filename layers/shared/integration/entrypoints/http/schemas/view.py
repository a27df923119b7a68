"""The base of every response body."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class View(BaseModel):
    """A response body. Its validator and serializer are built on first use, not when the class
    is defined: a function builds the views it answers with, not every view of their module."""

    model_config = ConfigDict(defer_build=True)
