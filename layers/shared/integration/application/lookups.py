"""Finding what a caller names, in the caller's tenant only. A malformed id is never looked up
and answers like a missing one (404), so neither an id's shape nor another tenant's data tells
a caller anything.

Each lookup imports the aggregate it finds when it is called: a function that finds API keys
does not load the webhook and delivery modules, nor the other way round."""

from __future__ import annotations

from typing import TYPE_CHECKING

from integration.domain.errors import NotFoundError
from integration.domain.ids import is_valid_id

if TYPE_CHECKING:
    from integration.domain.api_key import ApiKey
    from integration.domain.deliveries import Delivery
    from integration.domain.principal import Principal
    from integration.domain.repositories import ApiKeyRepository, DeliveryLog, WebhookRepository
    from integration.domain.webhooks import Webhook


def tenant_api_key(keys: ApiKeyRepository, principal: Principal, api_key_id: str) -> ApiKey:
    from integration.domain.api_key import API_KEY_ID_PREFIX

    key = keys.get(principal.tenant_id, api_key_id) if is_valid_id(api_key_id, API_KEY_ID_PREFIX) else None
    if key is None:
        raise NotFoundError("API key", api_key_id)
    return key


def tenant_webhook(webhooks: WebhookRepository, principal: Principal, webhook_id: str) -> Webhook:
    from integration.domain.webhooks import WEBHOOK_ID_PREFIX

    webhook = webhooks.get(principal.tenant_id, webhook_id) if is_valid_id(webhook_id, WEBHOOK_ID_PREFIX) else None
    if webhook is None:
        raise NotFoundError("webhook", webhook_id)
    return webhook


def tenant_delivery(log: DeliveryLog, principal: Principal, webhook_id: str, delivery_id: str) -> Delivery:
    from integration.domain.deliveries import MESSAGE_ID_PREFIX
    from integration.domain.webhooks import WEBHOOK_ID_PREFIX

    valid = is_valid_id(webhook_id, WEBHOOK_ID_PREFIX) and is_valid_id(delivery_id, MESSAGE_ID_PREFIX)
    delivery = log.get(principal.tenant_id, webhook_id, delivery_id) if valid else None
    if delivery is None:
        raise NotFoundError("delivery", delivery_id)
    return delivery
