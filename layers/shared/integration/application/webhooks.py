"""Webhook use cases: create, list, get, update (PUT, PATCH), soft delete, rotate the secret.

Writes are optimistic: each is computed from the webhook as read and stored only if it is still
at that version. When another writer got there first, the write is computed again from the
webhook as it is now (the store returns it with the refusal) and tried again, a few times with
a short random pause, then :class:`ConflictError` (409). A caller's ``If-Match``
(:class:`VersionPrecondition`) is checked against each state the write is computed from.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from integration.application.lookups import tenant_webhook
from integration.domain.clock import Clock, utc_now
from integration.domain.errors import ConflictError, NotFoundError
from integration.domain.events import webhook_created, webhook_deleted, webhook_secret_rotated, webhook_updated
from integration.domain.pagination import Page
from integration.domain.principal import Principal
from integration.domain.repositories import WebhookRepository
from integration.domain.webhook_changes import VersionPrecondition, WebhookPatch
from integration.domain.webhooks import (
    Webhook,
    WebhookFields,
    WebhookRules,
    WebhookStatus,
    WebhookVersionConflict,
    create_webhook,
)

T = TypeVar("T")

# Tries of one write when other writers keep getting there first, and the longest pause
# between two (a random fraction of it, doubling from BASE_PAUSE_SECONDS).
MAX_WRITE_ATTEMPTS = 8
BASE_PAUSE_SECONDS = 0.005
MAX_PAUSE_SECONDS = 0.1
# Pauses come from the OS (no seeded state): environments restored from one SnapStart snapshot
# would otherwise all draw the same sequence and retry in step.
_jitter = secrets.SystemRandom()

Sleep = Callable[[float], None]


def _write_with_retries(current: Webhook, write: Callable[[Webhook], T], *, sleep: Sleep) -> T:
    """``write(current)``; when it meets a :class:`WebhookVersionConflict`, ``write`` again on
    the webhook as it is now. :class:`NotFoundError` when it was deleted meanwhile,
    :class:`ConflictError` when it kept changing."""
    for attempt in range(1, MAX_WRITE_ATTEMPTS + 1):
        try:
            return write(current)
        except WebhookVersionConflict as conflict:
            if conflict.current is None:
                raise NotFoundError("webhook", current.id) from None
            current = conflict.current
            if attempt < MAX_WRITE_ATTEMPTS:
                sleep(_jitter.uniform(0, min(MAX_PAUSE_SECONDS, BASE_PAUSE_SECONDS * 2**attempt)))
    raise ConflictError(f"webhook {current.id} kept changing while this request was applied; retry it")


class CreateWebhookUseCase:
    def __init__(self, repository: WebhookRepository, rules: WebhookRules, clock: Clock = utc_now) -> None:
        self._repository = repository
        self._rules = rules
        self._clock = clock

    def execute(self, principal: Principal, fields: WebhookFields) -> Webhook:
        checked = self._rules.check(fields)
        now = self._clock()
        webhook = create_webhook(tenant_id=principal.tenant_id, fields=checked, now=now)
        event = webhook_created(webhook_id=webhook.id, tenant_id=webhook.tenant_id, name=webhook.name, url=webhook.url, at=now)
        self._repository.add(webhook, event, max_per_tenant=self._rules.max_per_tenant)
        return webhook


class ListWebhooksUseCase:
    def __init__(self, repository: WebhookRepository) -> None:
        self._repository = repository

    def execute(self, principal: Principal, *, status: WebhookStatus | None, limit: int, cursor: str | None) -> Page[Webhook]:
        return self._repository.list(principal.tenant_id, status=status, limit=limit, cursor=cursor)


class GetWebhookUseCase:
    """One webhook; its ``version`` is what the API shows as the ETag."""

    def __init__(self, repository: WebhookRepository) -> None:
        self._repository = repository

    def execute(self, principal: Principal, webhook_id: str) -> Webhook:
        return tenant_webhook(self._repository, principal, webhook_id)


class UpdateWebhookUseCase:
    """PUT and PATCH: set name, url, events, description and status, all of them (PUT:
    :class:`WebhookFields`) or some (PATCH: a :class:`WebhookPatch`, merged into the webhook as
    it is). Either way the result is checked by the webhook rules as a whole, as a PUT of it
    would be. No change, no write, no event; a change writes the webhook with its
    ``WebhookUpdated`` event, in one transaction.

    Never loses a concurrent write: the change is applied to the version it read, or, when
    another writer (a PUT, a PATCH, a rotation, the delivery function disabling it) got there
    first, applied again on top of that one (a PATCH merges into that one). With
    ``precondition`` (If-Match) it is applied only to a version the caller named: else
    :class:`PreconditionFailedError`, nothing written."""

    def __init__(
        self, repository: WebhookRepository, rules: WebhookRules, clock: Clock = utc_now, sleep: Sleep = time.sleep
    ) -> None:
        self._repository = repository
        self._rules = rules
        self._clock = clock
        self._sleep = sleep

    def execute(
        self,
        principal: Principal,
        webhook_id: str,
        fields: WebhookFields | WebhookPatch,
        *,
        precondition: VersionPrecondition | None = None,
    ) -> Webhook:
        patch = fields if isinstance(fields, WebhookPatch) else WebhookPatch.replacing(fields)
        # Fields that need nothing from the webhook (every one is set) are checked before it is read.
        complete = patch.complete()
        checked = None if complete is None else self._rules.check(complete)

        def write(current: Webhook) -> Webhook:
            if precondition is not None:
                precondition.check(current)
            merged = checked if checked is not None else self._rules.check(patch.applied_to(current.fields()))
            now = self._clock()
            updated, changes = current.replaced(merged, now)
            if changes:
                event = webhook_updated(webhook_id=current.id, tenant_id=current.tenant_id, changes=changes, at=now)
                self._repository.replace(updated, event, expected=current)
            return updated

        return _write_with_retries(tenant_webhook(self._repository, principal, webhook_id), write, sleep=self._sleep)


class DeleteWebhookUseCase:
    """Soft delete. The tombstone keeps the webhook's latest state (a concurrent write makes it
    read again); with ``precondition`` (If-Match) only a version the caller named is deleted."""

    def __init__(self, repository: WebhookRepository, clock: Clock = utc_now, sleep: Sleep = time.sleep) -> None:
        self._repository = repository
        self._clock = clock
        self._sleep = sleep

    def execute(self, principal: Principal, webhook_id: str, *, precondition: VersionPrecondition | None = None) -> None:
        def write(current: Webhook) -> None:
            if precondition is not None:
                precondition.check(current)
            now = self._clock()
            self._repository.delete(current, webhook_deleted(webhook_id=current.id, tenant_id=current.tenant_id, at=now))

        _write_with_retries(tenant_webhook(self._repository, principal, webhook_id), write, sleep=self._sleep)


class RotateWebhookSecretUseCase:
    """A new signing secret, returned once; the old one keeps signing beside it for the grace
    period, so receivers can switch without dropping a delivery."""

    def __init__(
        self, repository: WebhookRepository, grace_period: timedelta, clock: Clock = utc_now, sleep: Sleep = time.sleep
    ) -> None:
        self._repository = repository
        self._grace_period = grace_period
        self._clock = clock
        self._sleep = sleep

    def execute(self, principal: Principal, webhook_id: str, *, precondition: VersionPrecondition | None = None) -> Webhook:
        # Conditional like a PUT: two rotations at once chain (the second keeps the first's
        # secret as the previous one) instead of one silently discarding the other's secret.
        def write(current: Webhook) -> Webhook:
            if precondition is not None:
                precondition.check(current)
            now = self._clock()
            rotated = current.rotated(now, self._grace_period)
            event = webhook_secret_rotated(
                webhook_id=current.id,
                tenant_id=current.tenant_id,
                previous_secret_expires_at=rotated.previous_secret_expires_at,
                at=now,
            )
            self._repository.replace(rotated, event, expected=current)
            return rotated

        return _write_with_retries(tenant_webhook(self._repository, principal, webhook_id), write, sleep=self._sleep)
