"""Platform event schemas from SSM Parameter Store, cached per instance.

A platform team publishes one ``String`` parameter per platform event type, named
``<PLATFORM_EVENT_SCHEMAS_PATH><event type>`` (e.g. ``/integration/prod/event-schemas/invoice.paid``),
whose value is ``{"description": ..., "schema": {...}, "example": {...}}``
(:func:`~integration.domain.event_type_schemas.parse_platform_event_schema`). No redeploy: the
service reads the whole path again at most once per TTL.

- One ``GetParametersByPath`` walk (10 parameters a page) per refresh; between refreshes no
  AWS call at all, so GET /event-types answers from memory.
- The SSM client (and boto3 with it) is made on the first refresh, not at import: a function
  whose deployment has no platform event types never makes one.
- A malformed value, a parameter that is not a ``String``, or a type not in
  ``PLATFORM_EVENT_TYPES`` is left out, with a warning in the log.
- When SSM fails (throttled, denied, down), the last copy read keeps being served (or none, if
  none was ever read), a warning is logged, and SSM is asked again after ``retry_seconds``.
  Reading schemas never fails a request.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from aws_lambda_powertools import Logger

from integration.domain.event_type_schemas import PlatformEventSchema, parse_platform_event_schema

DEFAULT_TTL_SECONDS = 300
DEFAULT_RETRY_SECONDS = 30  # after a failed read, the next try: sooner than the TTL, not every request
PAGE_SIZE = 10  # GetParametersByPath's maximum


@functools.cache
def _logger() -> Logger:
    return Logger(child=True)  # on first use, once Powertools' environment is surely set


class SsmPlatformEventSchemas:
    def __init__(
        self,
        client: Callable[[], Any],
        path: str,
        event_types: Iterable[str],
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``client``: makes the SSM client, called once, on the first refresh."""
        if not path.startswith("/") or not path.endswith("/"):
            raise ValueError("the parameter path must start and end with '/'")
        self._make_client = client
        self._client: Any = None
        self._path = path
        self._event_types = frozenset(event_types)
        self._ttl = ttl_seconds
        self._retry = min(retry_seconds, ttl_seconds)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._schemas: Mapping[str, PlatformEventSchema] = MappingProxyType({})
        self._next_read: float | None = None  # None: never read

    def schemas(self) -> Mapping[str, PlatformEventSchema]:
        if not self._event_types:
            return self._schemas  # nothing to look for: no AWS call, ever
        with self._lock:
            now = self._monotonic()
            if self._next_read is None or now >= self._next_read:
                self._refresh(now)
            return self._schemas

    def _refresh(self, now: float) -> None:
        try:
            parameters = self._read()
        except Exception as error:  # noqa: BLE001 - any failure: serve the last copy, never fail the request
            self._next_read = now + self._retry
            _logger().warning(
                "could not read platform event schemas from SSM; serving the last copy",
                path=self._path,
                error=type(error).__name__,
                detail=str(error)[:300],
                served=len(self._schemas),
            )
            return
        schemas: dict[str, PlatformEventSchema] = {}
        for parameter in parameters:
            name = str(parameter.get("Name", ""))
            event_type = name.removeprefix(self._path)
            if event_type not in self._event_types:
                _logger().warning("ignored an SSM event schema of a type not in PLATFORM_EVENT_TYPES", parameter=name)
                continue
            if parameter.get("Type") != "String":
                _logger().warning(
                    "ignored an SSM event schema that is not a String parameter", parameter=name, type=parameter.get("Type")
                )
                continue
            try:
                schemas[event_type] = parse_platform_event_schema(str(parameter.get("Value", "")))
            except ValueError as error:
                _logger().warning("ignored a malformed SSM event schema", parameter=name, reason=str(error))
        self._schemas = MappingProxyType(schemas)
        self._next_read = now + self._ttl

    def _read(self) -> list[dict[str, Any]]:
        if self._client is None:
            self._client = self._make_client()
        parameters: list[dict[str, Any]] = []
        # The path as configured, with its trailing "/": IAM then sees the resource
        # parameter<path>, which the functions' grant parameter<path>* covers.
        request: dict[str, Any] = {"Path": self._path, "Recursive": False, "MaxResults": PAGE_SIZE}
        while True:
            page = self._client.get_parameters_by_path(**request)
            parameters.extend(page.get("Parameters", []))
            token = page.get("NextToken")
            if not token:
                return parameters
            request["NextToken"] = token
