"""Composition root: builds repositories, queues, publishers and use cases from the environment,
once per process.

The rules that need no AWS (event types, webhook rules) are in :mod:`integration.configuration`.

Environment (set by template.yaml, or by the local runtime):
- ``TABLE_NAME``: the single table.
- ``EVENT_BUS_NAME``, ``EVENT_SOURCE`` (default ``integration``): where domain events go.
- ``OUTBOX_REPUBLISH_AFTER_SECONDS`` (default 300): the sweeper publishes again the events still
  unpublished after this long.
- ``DELIVERY_QUEUE_URL``: the webhook delivery queue (fan-out, delivery, retry, test).
- ``WEBHOOK_RETRY_SCHEDULE`` (default ``0s,5s,5m,30m,2h,5h,10h,10h``): delays before each attempt.
- ``DISABLE_FAILING_WEBHOOKS_AFTER_SECONDS`` (default 5 days) and
  ``DISABLE_FAILING_WEBHOOKS_AFTER_ATTEMPTS`` (default 5): a webhook is disabled once every
  attempt has failed for that long AND at least that many attempts in a row have failed.
- ``WEBHOOK_SECRET_GRACE_PERIOD_SECONDS`` (default 24 h): the old secret's time after a rotation.
- ``DELIVERY_LOG_RETENTION_DAYS`` (default 30): delivery records expire (TTL) after this.
"""

from __future__ import annotations

import functools
import os
from datetime import timedelta
from typing import TYPE_CHECKING

from integration.infrastructure.aws import dynamodb_client, events_client, sqs_client

# Each factory imports what it builds: a function loads the use cases and adapters it uses, not
# the whole service's (``make bench``, cold start). boto3 is imported with this module (through
# integration.infrastructure.aws), during a function's INIT.
if TYPE_CHECKING:
    from integration.application.authentication import AuthenticateApiKeyUseCase, AuthenticateJwtUseCase
    from integration.application.deliveries import (
        DeliverMessageUseCase,
        FanOutEventUseCase,
        GetDeliveryUseCase,
        ListDeliveriesUseCase,
        RetryDeliveryUseCase,
        SendTestMessageUseCase,
    )
    from integration.application.outbox_relay import RelayOutboxEventsUseCase, RepublishUnpublishedEventsUseCase
    from integration.application.webhooks import RotateWebhookSecretUseCase
    from integration.infrastructure.api_key_repository import DynamoDBApiKeyRepository
    from integration.infrastructure.delivery_log import DynamoDBDeliveryLog
    from integration.infrastructure.delivery_queue import SqsDeliveryQueue
    from integration.infrastructure.eventbridge import EventBridgePublisher
    from integration.infrastructure.idempotency_store import TableIdempotencyStore
    from integration.infrastructure.oidc import JwtVerifier, OidcSettings
    from integration.infrastructure.outbox import DynamoDBOutbox
    from integration.infrastructure.webhook_http import WebhookHttpClient
    from integration.infrastructure.webhook_repository import DynamoDBWebhookRepository


def table_name() -> str:
    try:
        return os.environ["TABLE_NAME"]
    except KeyError:
        raise RuntimeError("TABLE_NAME is not set: name the DynamoDB table this service uses") from None


@functools.cache
def api_key_repository() -> DynamoDBApiKeyRepository:
    from integration.infrastructure.api_key_repository import DynamoDBApiKeyRepository

    return DynamoDBApiKeyRepository(dynamodb_client(), table_name())


@functools.cache
def webhook_repository() -> DynamoDBWebhookRepository:
    from integration.infrastructure.webhook_repository import DynamoDBWebhookRepository

    return DynamoDBWebhookRepository(dynamodb_client(), table_name())


@functools.cache
def event_publisher() -> EventBridgePublisher:
    from integration.infrastructure.eventbridge import EventBridgePublisher  # the relay's only

    return EventBridgePublisher(
        events_client(),
        event_bus_name=os.environ["EVENT_BUS_NAME"],
        source=os.environ.get("EVENT_SOURCE", "integration"),
    )


@functools.cache
def outbox() -> DynamoDBOutbox:
    from integration.infrastructure.outbox import DynamoDBOutbox

    return DynamoDBOutbox(dynamodb_client(), table_name())


def relay_outbox_events() -> RelayOutboxEventsUseCase:
    from integration.application.outbox_relay import RelayOutboxEventsUseCase

    return RelayOutboxEventsUseCase(event_publisher(), outbox())


def republish_unpublished_events() -> RepublishUnpublishedEventsUseCase:
    from integration.application.outbox_relay import RepublishUnpublishedEventsUseCase

    return RepublishUnpublishedEventsUseCase(outbox(), relay_outbox_events())


def outbox_republish_after() -> timedelta:
    """How old an unpublished event must be before the sweeper publishes it again."""
    return _seconds("OUTBOX_REPUBLISH_AFTER_SECONDS", 300)


def _seconds(name: str, default: int) -> timedelta:
    return timedelta(seconds=int(os.environ.get(name, default)))


@functools.cache
def retry_schedule() -> tuple[int, ...]:
    from integration.domain.retry_schedule import DEFAULT_RETRY_SCHEDULE, parse_retry_schedule

    return parse_retry_schedule(os.environ.get("WEBHOOK_RETRY_SCHEDULE", DEFAULT_RETRY_SCHEDULE))


@functools.cache
def delivery_log() -> DynamoDBDeliveryLog:
    from integration.infrastructure.delivery_log import DynamoDBDeliveryLog

    return DynamoDBDeliveryLog(dynamodb_client(), table_name())


@functools.cache
def delivery_queue() -> SqsDeliveryQueue:
    from integration.infrastructure.delivery_queue import SqsDeliveryQueue

    try:
        queue_url = os.environ["DELIVERY_QUEUE_URL"]
    except KeyError:
        raise RuntimeError("DELIVERY_QUEUE_URL is not set: name the webhook delivery queue") from None
    return SqsDeliveryQueue(sqs_client(), queue_url)


def delivery_log_retention() -> timedelta:
    return timedelta(days=int(os.environ.get("DELIVERY_LOG_RETENTION_DAYS", 30)))


@functools.cache
def webhook_sender() -> WebhookHttpClient:
    from integration.configuration import webhook_rules
    from integration.infrastructure.webhook_http import WebhookHttpClient  # the delivery function's only

    return WebhookHttpClient(webhook_rules().url_policy)


def fan_out_event() -> FanOutEventUseCase:
    from integration.application.deliveries import FanOutEventUseCase

    return FanOutEventUseCase(webhook_repository(), delivery_queue(), retry_schedule())


def deliver_message() -> DeliverMessageUseCase:
    from integration.application.deliveries import DeliverMessageUseCase, DeliverySettings
    from integration.domain.signing import USER_AGENT
    from integration.domain.webhooks import DEFAULT_DISABLE_AFTER_ATTEMPTS

    settings = DeliverySettings(
        schedule=retry_schedule(),
        disable_after=_seconds("DISABLE_FAILING_WEBHOOKS_AFTER_SECONDS", 5 * 24 * 3600),
        disable_after_attempts=max(
            1, int(os.environ.get("DISABLE_FAILING_WEBHOOKS_AFTER_ATTEMPTS", DEFAULT_DISABLE_AFTER_ATTEMPTS))
        ),
        log_retention=delivery_log_retention(),
        user_agent=USER_AGENT,
    )
    return DeliverMessageUseCase(webhook_repository(), delivery_log(), webhook_sender(), settings)


def list_deliveries() -> ListDeliveriesUseCase:
    from integration.application.deliveries import ListDeliveriesUseCase

    return ListDeliveriesUseCase(webhook_repository(), delivery_log())


def get_delivery() -> GetDeliveryUseCase:
    from integration.application.deliveries import GetDeliveryUseCase

    return GetDeliveryUseCase(delivery_log())


def retry_delivery() -> RetryDeliveryUseCase:
    from integration.application.deliveries import RetryDeliveryUseCase

    return RetryDeliveryUseCase(webhook_repository(), delivery_log(), delivery_queue())


def send_test_message() -> SendTestMessageUseCase:
    from integration.application.deliveries import SendTestMessageUseCase

    return SendTestMessageUseCase(webhook_repository(), delivery_log(), delivery_queue(), delivery_log_retention())


def rotate_webhook_secret() -> RotateWebhookSecretUseCase:
    from integration.application.webhooks import RotateWebhookSecretUseCase

    return RotateWebhookSecretUseCase(webhook_repository(), _seconds("WEBHOOK_SECRET_GRACE_PERIOD_SECONDS", 24 * 3600))


def authenticate_api_key() -> AuthenticateApiKeyUseCase:
    from integration.application.authentication import AuthenticateApiKeyUseCase

    return AuthenticateApiKeyUseCase(api_key_repository())


def oidc_settings() -> OidcSettings | None:
    """OIDC sign-in as the environment configures it (the authorizer's), None when it is off.

    - ``OIDC_ISSUER``: the issuer (the tokens' ``iss``, exactly); empty or unset: JWTs are refused.
    - ``OIDC_AUDIENCE``: when set, a token's ``aud`` (or, without ``aud``, its ``client_id``) must hold it.
    - ``OIDC_TENANT_CLAIM`` (default ``custom:tenant_id``): the claim that names the tenant.
    - ``OIDC_JWKS_URL``: the JWKS; default: ``jwks_uri`` from the issuer's openid-configuration.
    - ``OIDC_SCOPE_PREFIX``: only scopes with this prefix count, without it (Cognito: ``<resource server>/``).
    """
    from integration.infrastructure.oidc import DEFAULT_TENANT_CLAIM, OidcSettings

    issuer = os.environ.get("OIDC_ISSUER", "").strip()
    if not issuer:
        return None
    return OidcSettings(
        issuer=issuer,
        audience=os.environ.get("OIDC_AUDIENCE", "").strip() or None,
        tenant_claim=os.environ.get("OIDC_TENANT_CLAIM", "").strip() or DEFAULT_TENANT_CLAIM,
        jwks_url=os.environ.get("OIDC_JWKS_URL", "").strip() or None,
        scope_prefix=os.environ.get("OIDC_SCOPE_PREFIX", "").strip(),
    )


@functools.cache
def _jwt_verifier(settings: OidcSettings) -> JwtVerifier:
    """One verifier, and so one JWKS cache, per process and configuration."""
    from integration.infrastructure.oidc import JwtVerifier

    return JwtVerifier.for_settings(settings)


def authenticate_jwt() -> AuthenticateJwtUseCase | None:
    """The OIDC sign-in use case, None when ``OIDC_ISSUER`` is not set. Keyed on the settings,
    so the JWKS cache lives as long as the process and follows a changed environment (tests)."""
    settings = oidc_settings()
    if settings is None:
        return None
    from integration.application.authentication import AuthenticateJwtUseCase

    return AuthenticateJwtUseCase(_jwt_verifier(settings), tenant_claim=settings.tenant_claim, scope_prefix=settings.scope_prefix)


def idempotency_store() -> TableIdempotencyStore:
    """Not cached: Powertools configures a store for the function that uses it."""
    from integration.infrastructure.idempotency_store import TableIdempotencyStore  # POST functions only

    return TableIdempotencyStore(dynamodb_client(), table_name())


def reset() -> None:
    """Forget everything built (tests change the environment between cases)."""
    for cached in (
        api_key_repository,
        webhook_repository,
        event_publisher,
        outbox,
        retry_schedule,
        delivery_log,
        delivery_queue,
        webhook_sender,
        dynamodb_client,
        events_client,
        sqs_client,
    ):
        cached.cache_clear()
    from integration import configuration

    configuration.reset()
