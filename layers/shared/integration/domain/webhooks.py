"""The webhook aggregate: where a tenant wants events delivered, and the rules for it."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from integration.domain.errors import InvalidFieldError
from integration.domain.ids import new_id
from integration.domain.limits import DEFAULT_DISABLE_AFTER_ATTEMPTS, DEFAULT_MAX_WEBHOOKS_PER_TENANT

if TYPE_CHECKING:
    from integration.domain.event_types import EventTypeCatalogue
    from integration.domain.url_policy import UrlPolicy

WEBHOOK_ID_PREFIX = "wh"
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 500
MAX_EVENT_TYPES = 50
GONE_STATUS = 410

# Why the delivery function disabled a webhook (``disabled_reason``; ``reason`` of WebhookDisabled).
DISABLED_FAILING = "every delivery attempt failed"
DISABLED_GONE = "endpoint answered 410 Gone"


class WebhookStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


def new_signing_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


@dataclass(frozen=True)
class WebhookFields:
    """What a tenant chooses about a webhook (create and PUT take the same fields)."""

    name: str
    url: str
    events: tuple[str, ...]
    description: str | None
    status: WebhookStatus


FIELD_NAMES = ("name", "url", "events", "description", "status")
"""The fields of :class:`WebhookFields`; every one but ``description`` is required."""


@dataclass(frozen=True)
class Webhook:
    id: str
    tenant_id: str
    name: str
    url: str
    events: tuple[str, ...]
    description: str | None
    status: WebhookStatus
    secret: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    # After a rotation the old secret keeps signing beside the new one until this time.
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None
    # When the current run of failed attempts began (None: the last attempt succeeded), and
    # how many attempts have failed in it so far (0 with no run).
    failing_since: datetime | None = None
    failing_attempts: int = 0
    # Why the delivery function disabled it (None: active, or disabled by a PUT).
    disabled_reason: str | None = None
    # Optimistic concurrency: 1 at create, one more on every write of the webhook's settings
    # (PUT, PATCH, rotation, disabling). The delivery function's health marks do not count:
    # ``failing_since`` is shown (a GET's health) but is delivery state, not a setting, so an
    # If-Match taken before a run of failures began or ended still holds; ``failing_attempts``
    # is not shown.
    version: int = 1

    def fields(self) -> WebhookFields:
        return WebhookFields(self.name, self.url, self.events, self.description, self.status)

    def replaced(self, fields: WebhookFields, now: datetime) -> tuple[Webhook, dict[str, Any]]:
        """This webhook with ``fields``, and the changed fields' new values (empty: no change)."""
        old, new = self.fields(), fields
        changes: dict[str, Any] = {}
        for name in FIELD_NAMES:
            before, after = getattr(old, name), getattr(new, name)
            if before != after:
                changes[name] = list(after) if isinstance(after, tuple) else (after.value if isinstance(after, StrEnum) else after)
        if not changes:
            return self, {}
        # Re-enabling a disabled webhook starts its health afresh; a status set by a PUT has no
        # delivery reason.
        enabled = changes.get("status") == WebhookStatus.ACTIVE.value
        updated = replace(
            self,
            name=new.name,
            url=new.url,
            events=new.events,
            description=new.description,
            status=new.status,
            updated_at=now,
            failing_since=None if enabled else self.failing_since,
            failing_attempts=0 if enabled else self.failing_attempts,
            disabled_reason=None if "status" in changes else self.disabled_reason,
            version=self.version + 1,
        )
        return updated, changes

    def signing_secrets(self, now: datetime) -> tuple[str, ...]:
        """The secrets each request is signed with: the current one, and during a rotation's
        grace period the previous one beside it."""
        if self.previous_secret and self.previous_secret_expires_at and now < self.previous_secret_expires_at:
            return (self.secret, self.previous_secret)
        return (self.secret,)

    def rotated(self, now: datetime, grace_period: timedelta) -> Webhook:
        """A new secret; the current one keeps signing beside it for ``grace_period`` (an older
        previous secret is dropped: at most two signatures at a time)."""
        return replace(
            self,
            secret=new_signing_secret(),
            previous_secret=self.secret if grace_period > timedelta(0) else None,
            previous_secret_expires_at=now + grace_period if grace_period > timedelta(0) else None,
            updated_at=now,
            version=self.version + 1,
        )

    def health_after_attempt(
        self,
        *,
        status_code: int | None,
        now: datetime,
        disable_after: timedelta,
        disable_after_attempts: int = DEFAULT_DISABLE_AFTER_ATTEMPTS,
    ) -> WebhookHealthChange | None:
        """What one delivery attempt (its answer's ``status_code``; None: no answer) changes
        about this webhook's health, if anything.

        A 2xx ends a run of failures. ``410 Gone`` disables the webhook at once. Any other
        failure starts a run or counts one more attempt in it, unless it is the failure that
        disables the webhook: the run began at least ``disable_after`` ago AND this is at least
        the ``disable_after_attempts``-th failed attempt in a row (so one attempt after a long
        quiet spell never disables an endpoint on its own).
        """
        if status_code is not None and 200 <= status_code < 300:
            return WebhookHealthChange.RECOVERED if self.failing_since is not None or self.failing_attempts else None
        if self.status is not WebhookStatus.ACTIVE:
            return None
        if status_code == GONE_STATUS:
            return WebhookHealthChange.GONE
        began = self.failing_since or now
        if now - began >= disable_after and self.failing_attempts + 1 >= disable_after_attempts:
            return WebhookHealthChange.DISABLE
        return WebhookHealthChange.FAILING


class WebhookVersionConflict(Exception):
    """A conditional write found the webhook at another version than the one it was computed
    from (another writer got there first), or found it gone. ``current``: the webhook as it is
    now, when the store returned it; None when it no longer exists."""

    def __init__(self, webhook_id: str, current: Webhook | None) -> None:
        super().__init__(f"webhook {webhook_id} changed while it was being written")
        self.webhook_id = webhook_id
        self.current = current


class WebhookHealthChange(StrEnum):
    FAILING = "failing"  # a failed attempt: start the run (when it began) or count one more in it
    RECOVERED = "recovered"  # a success after failures: forget them
    DISABLE = "disable"  # failing for the whole window and enough attempts: stop delivering
    GONE = "gone"  # the receiver answered 410 Gone: stop delivering at once


@dataclass(frozen=True)
class WebhookRules:
    """The checks a webhook's fields must pass, with the deployment's settings."""

    url_policy: UrlPolicy
    catalogue: EventTypeCatalogue
    max_per_tenant: int = DEFAULT_MAX_WEBHOOKS_PER_TENANT

    def check(self, fields: WebhookFields) -> WebhookFields:
        """The fields, normalised; :class:`InvalidFieldError` naming every field that is wrong."""
        errors: list[tuple[str, str]] = []
        name = fields.name.strip()
        if not name:
            errors.append(("name", "must not be blank"))
        elif len(name) > MAX_NAME_LENGTH:
            errors.append(("name", f"must be at most {MAX_NAME_LENGTH} characters"))
        description = fields.description.strip() if fields.description is not None else None
        if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
            errors.append(("description", f"must be at most {MAX_DESCRIPTION_LENGTH} characters"))
        events = tuple(dict.fromkeys(event.strip() for event in fields.events))
        unknown = [event for event in events if event not in self.catalogue]
        if not events:
            errors.append(("events", "at least one event type is required ('*' for all)"))
        elif len(events) > MAX_EVENT_TYPES:
            errors.append(("events", f"at most {MAX_EVENT_TYPES} event types"))
        elif unknown:
            errors.append(("events", f"unknown event type(s): {', '.join(unknown)}; see the event type catalogue"))
        url = fields.url.strip()
        try:
            self.url_policy.check(url)
        except InvalidFieldError as error:
            errors.extend(error.errors)
        InvalidFieldError.raise_if_any(errors)
        return WebhookFields(name=name, url=url, events=events, description=description or None, status=fields.status)


def create_webhook(*, tenant_id: str, fields: WebhookFields, now: datetime) -> Webhook:
    return Webhook(
        id=new_id(WEBHOOK_ID_PREFIX, int(now.timestamp() * 1000)),
        tenant_id=tenant_id,
        name=fields.name,
        url=fields.url,
        events=fields.events,
        description=fields.description,
        status=fields.status,
        secret=new_signing_secret(),
        created_at=now,
        updated_at=now,
        version=1,
    )
