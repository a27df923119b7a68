"""Webhook use cases: create, list, get, replace (PUT), soft delete, rotate the secret."""

from __future__ import annotations

from datetime import timedelta

from integration.domain.clock import Clock, utc_now
from integration.domain.errors import NotFoundError
from integration.domain.events import webhook_created, webhook_deleted, webhook_secret_rotated, webhook_updated
from integration.domain.ids import is_valid_id
from integration.domain.pagination import Page
from integration.domain.principal import Principal
from integration.domain.repositories import WebhookRepository
from integration.domain.webhooks import WEBHOOK_ID_PREFIX, Webhook, WebhookFields, WebhookRules, WebhookStatus, create_webhook


def _get_or_404(repository: WebhookRepository, principal: Principal, webhook_id: str) -> Webhook:
    webhook = repository.get(principal.tenant_id, webhook_id) if is_valid_id(webhook_id, WEBHOOK_ID_PREFIX) else None
    if webhook is None:
        raise NotFoundError("webhook", webhook_id)
    return webhook


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
    def __init__(self, repository: WebhookRepository) -> None:
        self._repository = repository

    def execute(self, principal: Principal, webhook_id: str) -> Webhook:
        return _get_or_404(self._repository, principal, webhook_id)


class UpdateWebhookUseCase:
    """PUT: replace name, url, events, description and status. No change, no write, no event."""

    def __init__(self, repository: WebhookRepository, rules: WebhookRules, clock: Clock = utc_now) -> None:
        self._repository = repository
        self._rules = rules
        self._clock = clock

    def execute(self, principal: Principal, webhook_id: str, fields: WebhookFields) -> Webhook:
        checked = self._rules.check(fields)
        current = _get_or_404(self._repository, principal, webhook_id)
        now = self._clock()
        updated, changes = current.replaced(checked, now)
        if changes:
            event = webhook_updated(webhook_id=current.id, tenant_id=current.tenant_id, changes=changes, at=now)
            self._repository.replace(updated, event)
        return updated


class DeleteWebhookUseCase:
    def __init__(self, repository: WebhookRepository, clock: Clock = utc_now) -> None:
        self._repository = repository
        self._clock = clock

    def execute(self, principal: Principal, webhook_id: str) -> None:
        current = _get_or_404(self._repository, principal, webhook_id)
        now = self._clock()
        self._repository.delete(current, webhook_deleted(webhook_id=current.id, tenant_id=current.tenant_id, at=now))


class RotateWebhookSecretUseCase:
    """A new signing secret, returned once; the old one keeps signing beside it for the grace
    period, so receivers can switch without dropping a delivery."""

    def __init__(self, repository: WebhookRepository, grace_period: timedelta, clock: Clock = utc_now) -> None:
        self._repository = repository
        self._grace_period = grace_period
        self._clock = clock

    def execute(self, principal: Principal, webhook_id: str) -> Webhook:
        current = _get_or_404(self._repository, principal, webhook_id)
        now = self._clock()
        rotated = current.rotated(now, self._grace_period)
        event = webhook_secret_rotated(
            webhook_id=current.id, tenant_id=current.tenant_id, previous_secret_expires_at=rotated.previous_secret_expires_at, at=now
        )
        self._repository.replace(rotated, event)
        return rotated
