"""Every environment variable the service reads, typed, and read once per process.

:func:`settings` reads and validates the environment at a function's cold start (the first
factory in :mod:`integration.wiring` that needs a value). A value that cannot be used stops
the cold start with :class:`SettingsError`, which names the variable, the value and the rule:
a misconfigured deployment never answers a request with a guess.

template.yaml sets these (its parameters in brackets); the local runtime sets them from the
same template.

=========================================== ============================== =====================
variable                                    meaning                        default
=========================================== ============================== =====================
``TABLE_NAME``                              the single table               (required where used)
``EVENT_BUS_NAME``                          where domain events go         (required where used)
``EVENT_SOURCE`` [EventSource]              the events' ``source``         ``integration``
``DELIVERY_QUEUE_URL``                      the webhook delivery queue     (required where used)
``JOB_QUEUE_URL``                           the recover/replay job queue   (required where used)
``OUTBOX_REPUBLISH_AFTER_SECONDS``          the sweeper republishes        300
                                            events unpublished this long
``WEBHOOK_RETRY_SCHEDULE``                  delays before each attempt     ``0s,5s,5m,30m,2h,5h,10h,10h``
``DISABLE_FAILING_WEBHOOKS_AFTER_SECONDS``  a webhook failing this long    432000 (5 days)
``DISABLE_FAILING_WEBHOOKS_AFTER_ATTEMPTS`` ... and this many attempts     5
                                            in a row is disabled
``WEBHOOK_SECRET_GRACE_PERIOD_SECONDS``     the old secret's time after    86400
                                            a rotation
``DELIVERY_LOG_RETENTION_DAYS``             delivery records expire (TTL)  30
``EVENT_LOG_RETENTION_DAYS``                the tenants' event logs        30
                                            expire (TTL)
``PLATFORM_EVENT_TYPES``                    the platform's event types,    (none)
                                            comma-separated
``PLATFORM_EVENT_SCHEMAS_PATH``             SSM path of the platform's     (none: not read)
[PlatformEventSchemasPath]                  event schemas, ``/.../``
``PLATFORM_EVENT_SCHEMAS_TTL_SECONDS``      how long one read of them      300
[PlatformEventSchemasCacheSeconds]          is served
``PLATFORM_SCOPES`` [PlatformScopes]        the platform's scopes keys     (none)
                                            may carry, comma-separated,
                                            name or name=description
``MAX_WEBHOOKS_PER_TENANT``                 webhooks a tenant may have     50
``WEBHOOK_ALLOW_HTTP``                      accept plain-http URLs         false
``WEBHOOK_ALLOW_LOOPBACK``                  accept loopback hosts (local)  false
``OIDC_ISSUER``                             OIDC sign-in; empty: off       (off)
``OIDC_AUDIENCE``                           a token's ``aud`` must hold it (any)
``OIDC_TENANT_CLAIM``                       the claim naming the tenant    ``custom:tenant_id``
``OIDC_JWKS_URL``                           the issuer's JWKS              (discovered)
``OIDC_SCOPE_PREFIX``                       only scopes with this prefix   (none)
``CONSOLE_URL`` [ConsoleUrl]                the console portal links open  (none: this API's own,
                                            (https, or http on loopback)   from the request)
``CONSOLE_FRAME_ANCESTORS``                 origins that may embed the     (none: not framed)
[ConsoleFrameAncestors]                     console, space-separated
``CONSOLE_OIDC_CLIENT_ID``                  the console's OIDC client;     (none)
[ConsoleOidcClientId]                       with OIDC_ISSUER: single
                                            sign-on in the console
``CONSOLE_OIDC_SCOPES`` [ConsoleOidcScopes] the scopes it asks for         ``openid``
``CONSOLE_CONNECT_SOURCES``                 more origins the console may   (none)
[ConsoleConnectSources]                     call (an IdP's token endpoint)
``AWS_LAMBDA_INITIALIZATION_TYPE``          set by Lambda: how INIT runs   ``on-demand``
                                            (``snap-start``,
                                            ``provisioned-concurrency``)
=========================================== ============================== =====================

Powertools reads its own ``POWERTOOLS_*`` variables; boto3 its other ``AWS_*`` ones.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from integration.domain.limits import DEFAULT_DISABLE_AFTER_ATTEMPTS, DEFAULT_MAX_WEBHOOKS_PER_TENANT
from integration.domain.retry_schedule import DEFAULT_RETRY_SCHEDULE, parse_retry_schedule

T = TypeVar("T")

DEFAULT_EVENT_SOURCE = "integration"
DEFAULT_TENANT_CLAIM = "custom:tenant_id"
_TRUE = ("1", "true", "yes")
_FALSE = ("", "0", "false", "no")


class SettingsError(RuntimeError):
    """An environment variable is missing where it is needed, or holds a value that cannot be used."""

    def __init__(self, variable: str, value: str | None, rule: str) -> None:
        shown = " is not set" if value is None else f"={value!r}"
        super().__init__(f"{variable}{shown}: {rule}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    """This deployment's configuration, as :meth:`from_environ` reads it (the table above)."""

    table_name: str | None = None
    event_bus_name: str | None = None
    event_source: str = DEFAULT_EVENT_SOURCE
    delivery_queue_url: str | None = None
    job_queue_url: str | None = None
    outbox_republish_after: timedelta = timedelta(seconds=300)
    retry_schedule: tuple[int, ...] = parse_retry_schedule(DEFAULT_RETRY_SCHEDULE)
    disable_failing_webhooks_after: timedelta = timedelta(days=5)
    disable_failing_webhooks_after_attempts: int = DEFAULT_DISABLE_AFTER_ATTEMPTS
    webhook_secret_grace_period: timedelta = timedelta(hours=24)
    delivery_log_retention: timedelta = timedelta(days=30)
    event_log_retention: timedelta = timedelta(days=30)
    platform_event_types: tuple[str, ...] = ()
    platform_event_schemas_path: str | None = None
    platform_event_schemas_ttl: timedelta = timedelta(seconds=300)
    platform_scopes: tuple[tuple[str, str | None], ...] = ()
    """``(name, description or None)`` of each platform scope, in the order configured."""
    max_webhooks_per_tenant: int = DEFAULT_MAX_WEBHOOKS_PER_TENANT
    webhook_allow_http: bool = False
    webhook_allow_loopback: bool = False
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_tenant_claim: str = DEFAULT_TENANT_CLAIM
    oidc_jwks_url: str | None = None
    oidc_scope_prefix: str = ""
    console_url: str | None = None
    """Where portal links point (POST /portal-links); None: this API's own console."""
    console_frame_ancestors: tuple[str, ...] = ()
    console_oidc_client_id: str | None = None
    console_oidc_scopes: str = "openid"
    console_connect_sources: tuple[str, ...] = ()
    initialization_type: str = "on-demand"
    """How Lambda runs this environment's INIT (``AWS_LAMBDA_INITIALIZATION_TYPE``)."""

    @property
    def primes_at_init(self) -> bool:
        """Whether INIT runs before any request waits on it (a SnapStart snapshot, provisioned
        concurrency): then the functions answer a synthetic request at INIT, so the first real one
        finds everything ready. On demand, that work would only move into the cold start."""
        return self.initialization_type in ("snap-start", "provisioned-concurrency")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """The settings ``environ`` holds (unset or empty: the default); :class:`SettingsError`
        names the first variable whose value cannot be used."""
        read = _Reader(environ)
        return cls(
            table_name=read.text("TABLE_NAME"),
            event_bus_name=read.text("EVENT_BUS_NAME"),
            event_source=read.text("EVENT_SOURCE") or DEFAULT_EVENT_SOURCE,
            delivery_queue_url=read.text("DELIVERY_QUEUE_URL"),
            job_queue_url=read.text("JOB_QUEUE_URL"),
            outbox_republish_after=read.seconds("OUTBOX_REPUBLISH_AFTER_SECONDS", cls.outbox_republish_after, minimum=0),
            retry_schedule=read.parsed("WEBHOOK_RETRY_SCHEDULE", parse_retry_schedule, cls.retry_schedule),
            disable_failing_webhooks_after=read.seconds(
                "DISABLE_FAILING_WEBHOOKS_AFTER_SECONDS", cls.disable_failing_webhooks_after, minimum=0
            ),
            disable_failing_webhooks_after_attempts=read.number(
                "DISABLE_FAILING_WEBHOOKS_AFTER_ATTEMPTS", cls.disable_failing_webhooks_after_attempts, minimum=1
            ),
            webhook_secret_grace_period=read.seconds("WEBHOOK_SECRET_GRACE_PERIOD_SECONDS", cls.webhook_secret_grace_period, minimum=0),
            delivery_log_retention=timedelta(
                days=read.number("DELIVERY_LOG_RETENTION_DAYS", cls.delivery_log_retention.days, minimum=1)
            ),
            event_log_retention=timedelta(days=read.number("EVENT_LOG_RETENTION_DAYS", cls.event_log_retention.days, minimum=1)),
            platform_event_types=read.parsed("PLATFORM_EVENT_TYPES", _parse_platform_event_types, ()),
            platform_event_schemas_path=read.parsed("PLATFORM_EVENT_SCHEMAS_PATH", parse_parameter_path, None),
            platform_event_schemas_ttl=read.seconds("PLATFORM_EVENT_SCHEMAS_TTL_SECONDS", cls.platform_event_schemas_ttl, minimum=0),
            platform_scopes=read.parsed("PLATFORM_SCOPES", _parse_platform_scopes, ()),
            max_webhooks_per_tenant=read.number("MAX_WEBHOOKS_PER_TENANT", cls.max_webhooks_per_tenant, minimum=1),
            webhook_allow_http=read.flag("WEBHOOK_ALLOW_HTTP"),
            webhook_allow_loopback=read.flag("WEBHOOK_ALLOW_LOOPBACK"),
            oidc_issuer=read.text("OIDC_ISSUER"),
            oidc_audience=read.text("OIDC_AUDIENCE"),
            oidc_tenant_claim=read.text("OIDC_TENANT_CLAIM") or DEFAULT_TENANT_CLAIM,
            oidc_jwks_url=read.text("OIDC_JWKS_URL"),
            oidc_scope_prefix=read.text("OIDC_SCOPE_PREFIX") or "",
            console_url=read.parsed("CONSOLE_URL", parse_console_url, None),
            console_frame_ancestors=read.parsed("CONSOLE_FRAME_ANCESTORS", parse_origins, ()),
            console_oidc_client_id=read.text("CONSOLE_OIDC_CLIENT_ID"),
            console_oidc_scopes=read.text("CONSOLE_OIDC_SCOPES") or "openid",
            console_connect_sources=read.parsed("CONSOLE_CONNECT_SOURCES", parse_origins, ()),
            initialization_type=read.text("AWS_LAMBDA_INITIALIZATION_TYPE") or "on-demand",
        )

    def required(self, value: str | None, variable: str, what: str) -> str:
        """``value`` when set; else :class:`SettingsError` naming ``variable`` and ``what`` it names."""
        if not value:
            raise SettingsError(variable, None, f"name {what}")
        return value


class _Reader:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, variable: str) -> str | None:
        return self._environ.get(variable, "").strip() or None

    def parsed(self, variable: str, parse: Callable[[str], T], default: T) -> T:
        value = self.text(variable)
        if value is None:
            return default
        try:
            return parse(value)
        except ValueError as error:
            raise SettingsError(variable, value, str(error)) from None

    def number(self, variable: str, default: int, *, minimum: int) -> int:
        value = self.text(variable)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise SettingsError(variable, value, "must be a whole number") from None
        if number < minimum:
            raise SettingsError(variable, value, f"must be at least {minimum}")
        return number

    def seconds(self, variable: str, default: timedelta, *, minimum: int) -> timedelta:
        return timedelta(seconds=self.number(variable, int(default.total_seconds()), minimum=minimum))

    def flag(self, variable: str) -> bool:
        value = (self.text(variable) or "").lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise SettingsError(variable, value, "must be true or false")


def _parse_platform_event_types(value: str) -> tuple[str, ...]:
    """``PLATFORM_EVENT_TYPES`` (:func:`integration.domain.event_types.parse_platform_event_types`):
    the event type catalogue is loaded only where the variable is set."""
    from integration.domain.event_types import parse_platform_event_types

    return parse_platform_event_types(value)


def _parse_platform_scopes(value: str) -> tuple[tuple[str, str | None], ...]:
    """``PLATFORM_SCOPES`` (:func:`integration.domain.scopes.parse_platform_scopes`): the scope
    catalogue is loaded only where the variable is set."""
    from integration.domain.scopes import parse_platform_scopes

    return parse_platform_scopes(value)


# The patterns below are compiled by ``re`` (and cached) when a value is first checked: most
# functions never set the variables they check.
_PARAMETER_PATH = r"^(/[A-Za-z0-9_.-]+)*/$"
MAX_PARAMETER_PATH_LENGTH = 900  # of SSM's 1011 characters for a name: room for the event type


def parse_parameter_path(value: str) -> str:
    """An SSM Parameter Store path: starts and ends with ``/``, segments of ``A-Z a-z 0-9 _ . -``."""
    if not re.match(_PARAMETER_PATH, value) or len(value) > MAX_PARAMETER_PATH_LENGTH:
        raise ValueError(
            f"must be an SSM parameter path that starts and ends with '/' (e.g. /integration/prod/event-schemas/), "
            f"segments of letters, digits, '_', '.' and '-', at most {MAX_PARAMETER_PATH_LENGTH} characters"
        )
    return value


_ORIGIN = r"^(https://[A-Za-z0-9.-]+|http://(localhost|127\.0\.0\.1))(:[0-9]{1,5})?$"


def parse_origins(value: str) -> tuple[str, ...]:
    """Space- or comma-separated web origins: ``https://host[:port]`` (``http://`` for localhost
    and 127.0.0.1 only), no path."""
    origins = tuple(dict.fromkeys(value.replace(",", " ").split()))
    for origin in origins:
        if not re.match(_ORIGIN, origin):
            raise ValueError(f"{origin!r} is not an origin: https://host[:port] (http only for localhost), no path")
    return origins


_CONSOLE_URL = r"^(https://[^\s/?#]+|http://(localhost|127\.0\.0\.1)(:[0-9]{1,5})?)(/[^\s?#]*)?$"


def parse_console_url(value: str) -> str:
    """The console's URL, where portal links point: ``https://`` (``http://`` for localhost and
    127.0.0.1 only), no query and no fragment (the link's fragment carries the key)."""
    if not re.match(_CONSOLE_URL, value):
        raise ValueError(
            "must be the console's URL: https://host/path (http:// only for localhost and 127.0.0.1), "
            "without a query or a fragment"
        )
    return value


@functools.cache
def settings() -> Settings:
    """This process's settings, read from the environment the first time they are needed."""
    return Settings.from_environ(os.environ)
