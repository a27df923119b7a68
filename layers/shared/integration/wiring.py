"""The composition root: the only place that builds adapters and use cases, from :func:`settings`.

One factory per use case. A function builds the use cases it runs once, at import (its INIT),
and keeps them: ``create_webhook = wiring.create_webhook()``. Adapters (repositories, queues,
clients) are built once per process and shared by the use cases that need them.

Each factory imports what it builds, so a function loads only the use cases and adapters it
uses; the AWS clients (and boto3) come with the first adapter that needs one, during INIT.
``event_type_catalogue``, ``scope_catalogue`` and ``webhook_rules`` need no AWS. ``list_event_types`` imports
boto3 only on its first read of the platform's event schemas from SSM (never at INIT, never
without platform event types).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from integration.settings import settings

if TYPE_CHECKING:
    from integration.application.api_keys import (
        CreateApiKeyUseCase,
        GetApiKeyUseCase,
        ListApiKeysUseCase,
        RevokeApiKeyUseCase,
        RevokeLeakedApiKeyUseCase,
        RollApiKeyUseCase,
        UpdateApiKeyUseCase,
    )
    from integration.application.authentication import AuthenticateApiKeyUseCase, AuthenticateJwtUseCase, VerifyApiKeyUseCase
    from integration.application.deliveries import DeliverMessageUseCase, FanOutEventUseCase
    from integration.application.delivery_log import (
        GetDeliveryUseCase,
        ListDeliveriesUseCase,
        RetryDeliveryUseCase,
        SendTestMessageUseCase,
    )
    from integration.application.event_types import ListEventTypesUseCase
    from integration.application.events import GetEventUseCase, ListEventsUseCase
    from integration.application.job_steps import RunJobStepUseCase
    from integration.application.jobs import GetJobUseCase, StartRecoverJobUseCase, StartReplayJobUseCase
    from integration.application.outbox_relay import RelayOutboxEventsUseCase, RepublishUnpublishedEventsUseCase
    from integration.application.portal_links import CreatePortalLinkUseCase
    from integration.application.webhooks import (
        CreateWebhookUseCase,
        DeleteWebhookUseCase,
        GetWebhookUseCase,
        ListWebhooksUseCase,
        RotateWebhookSecretUseCase,
        UpdateWebhookUseCase,
    )
    from integration.domain.event_type_schemas import EventTypeSchemas, PlatformEventSchemaSource
    from integration.domain.event_types import EventTypeCatalogue
    from integration.domain.scopes import ScopeCatalogue
    from integration.domain.webhooks import WebhookRules
    from integration.infrastructure.api_key_repository import DynamoDBApiKeyRepository
    from integration.infrastructure.delivery_log import DynamoDBDeliveryLog
    from integration.infrastructure.delivery_queue import SqsDeliveryQueue
    from integration.infrastructure.event_log import DynamoDBEventLog
    from integration.infrastructure.eventbridge import EventBridgePublisher
    from integration.infrastructure.idempotency_store import TableIdempotencyStore
    from integration.infrastructure.job_queue import SqsJobQueue
    from integration.infrastructure.job_repository import DynamoDBJobRepository
    from integration.infrastructure.oidc import JwtVerifier, OidcSettings
    from integration.infrastructure.outbox import DynamoDBOutbox
    from integration.infrastructure.webhook_http import WebhookHttpClient
    from integration.infrastructure.webhook_repository import DynamoDBWebhookRepository


# ------------------------------------------------------------------------------ rules (no AWS)


@functools.cache
def event_type_catalogue() -> EventTypeCatalogue:
    from integration.domain.event_types import EventTypeCatalogue

    return EventTypeCatalogue(settings().platform_event_types)


@functools.cache
def platform_event_schemas() -> PlatformEventSchemaSource:
    """The platform's published event schemas (SSM, ``PLATFORM_EVENT_SCHEMAS_PATH``), cached per
    process for ``PLATFORM_EVENT_SCHEMAS_TTL_SECONDS``. boto3 is imported, and the SSM client
    made, on the first read, and only when there are platform event types to read."""
    configured = settings()
    if configured.platform_event_schemas_path is None or not configured.platform_event_types:
        from integration.domain.event_type_schemas import NoPlatformEventSchemas

        return NoPlatformEventSchemas()
    from integration.infrastructure.platform_event_schemas import SsmPlatformEventSchemas

    def ssm() -> object:
        from integration.infrastructure.aws import ssm_client

        return ssm_client()

    return SsmPlatformEventSchemas(
        ssm,
        configured.platform_event_schemas_path,
        configured.platform_event_types,
        ttl_seconds=configured.platform_event_schemas_ttl.total_seconds(),
    )


@functools.cache
def event_type_schemas() -> EventTypeSchemas:
    """Description, JSON Schema and example of every catalogue type (service and platform)."""
    from integration.domain.event_type_schemas import EventTypeSchemas
    from integration.event_schemas import load_schema

    return EventTypeSchemas(event_type_catalogue(), load_schema, platform_event_schemas())


@functools.cache
def scope_catalogue() -> ScopeCatalogue:
    """The scopes keys may carry here: the service's and ``PLATFORM_SCOPES``."""
    from integration.domain.scopes import ScopeCatalogue

    return ScopeCatalogue(settings().platform_scopes)


@functools.cache
def webhook_rules() -> WebhookRules:
    from integration.domain.url_policy import UrlPolicy
    from integration.domain.webhooks import WebhookRules

    configured = settings()
    return WebhookRules(
        url_policy=UrlPolicy(allow_http=configured.webhook_allow_http, allow_loopback=configured.webhook_allow_loopback),
        catalogue=event_type_catalogue(),
        max_per_tenant=configured.max_webhooks_per_tenant,
    )


# ---------------------------------------------------------------------------------- adapters


def _table_name() -> str:
    return settings().required(settings().table_name, "TABLE_NAME", "the DynamoDB table this service uses")


def _dynamodb() -> object:
    from integration.infrastructure.aws import dynamodb_client

    return dynamodb_client()


@functools.cache
def api_key_repository() -> DynamoDBApiKeyRepository:
    from integration.infrastructure.api_key_repository import DynamoDBApiKeyRepository

    return DynamoDBApiKeyRepository(_dynamodb(), _table_name())


@functools.cache
def webhook_repository() -> DynamoDBWebhookRepository:
    from integration.infrastructure.webhook_repository import DynamoDBWebhookRepository

    return DynamoDBWebhookRepository(_dynamodb(), _table_name())


@functools.cache
def outbox() -> DynamoDBOutbox:
    from integration.infrastructure.outbox import DynamoDBOutbox

    return DynamoDBOutbox(_dynamodb(), _table_name())


@functools.cache
def delivery_log() -> DynamoDBDeliveryLog:
    from integration.infrastructure.delivery_log import DynamoDBDeliveryLog

    return DynamoDBDeliveryLog(_dynamodb(), _table_name())


@functools.cache
def event_log() -> DynamoDBEventLog:
    from integration.infrastructure.event_log import DynamoDBEventLog

    return DynamoDBEventLog(_dynamodb(), _table_name())


@functools.cache
def event_publisher() -> EventBridgePublisher:
    from integration.infrastructure.aws import events_client
    from integration.infrastructure.eventbridge import EventBridgePublisher

    configured = settings()
    bus = configured.required(configured.event_bus_name, "EVENT_BUS_NAME", "the event bus domain events go to")
    return EventBridgePublisher(events_client(), event_bus_name=bus, source=configured.event_source)


@functools.cache
def delivery_queue() -> SqsDeliveryQueue:
    from integration.infrastructure.aws import sqs_client
    from integration.infrastructure.delivery_queue import SqsDeliveryQueue

    configured = settings()
    queue_url = configured.required(configured.delivery_queue_url, "DELIVERY_QUEUE_URL", "the webhook delivery queue")
    return SqsDeliveryQueue(sqs_client(), queue_url)


@functools.cache
def job_repository() -> DynamoDBJobRepository:
    from integration.infrastructure.job_repository import DynamoDBJobRepository

    return DynamoDBJobRepository(_dynamodb(), _table_name())


@functools.cache
def job_queue() -> SqsJobQueue:
    from integration.infrastructure.aws import sqs_client
    from integration.infrastructure.job_queue import SqsJobQueue

    configured = settings()
    queue_url = configured.required(configured.job_queue_url, "JOB_QUEUE_URL", "the webhook job queue (recover, replay)")
    return SqsJobQueue(sqs_client(), queue_url)


@functools.cache
def webhook_sender() -> WebhookHttpClient:
    from integration.infrastructure.webhook_http import WebhookHttpClient  # the delivery function's only

    return WebhookHttpClient(webhook_rules().url_policy)


def idempotency_store() -> TableIdempotencyStore:
    """Not cached: Powertools configures a store for the function that uses it."""
    from integration.infrastructure.idempotency_store import TableIdempotencyStore  # POST functions only

    return TableIdempotencyStore(_dynamodb(), _table_name())


def oidc_settings() -> OidcSettings | None:
    """OIDC sign-in as configured (``OIDC_*``), None when ``OIDC_ISSUER`` is not set (the OIDC
    module is then never imported)."""
    configured = settings()
    if configured.oidc_issuer is None:
        return None
    from integration.infrastructure.oidc import OidcSettings

    return OidcSettings(
        issuer=configured.oidc_issuer,
        audience=configured.oidc_audience,
        tenant_claim=configured.oidc_tenant_claim,
        jwks_url=configured.oidc_jwks_url,
        scope_prefix=configured.oidc_scope_prefix,
    )


@functools.cache
def _jwt_verifier(oidc: OidcSettings) -> JwtVerifier:
    """One verifier, and so one JWKS cache, per process and configuration."""
    from integration.infrastructure.oidc import JwtVerifier

    return JwtVerifier.for_settings(oidc)


# --------------------------------------------------------------------------------- use cases


def authenticate_api_key() -> AuthenticateApiKeyUseCase:
    from integration.application.authentication import AuthenticateApiKeyUseCase

    return AuthenticateApiKeyUseCase(api_key_repository())


def verify_api_key() -> VerifyApiKeyUseCase:
    from integration.application.authentication import VerifyApiKeyUseCase

    return VerifyApiKeyUseCase(api_key_repository())


def authenticate_jwt() -> AuthenticateJwtUseCase | None:
    """OIDC sign-in, None when ``OIDC_ISSUER`` is not set."""
    oidc = oidc_settings()
    if oidc is None:
        return None
    from integration.application.authentication import AuthenticateJwtUseCase

    return AuthenticateJwtUseCase(
        _jwt_verifier(oidc), tenant_claim=oidc.tenant_claim, scope_prefix=oidc.scope_prefix, catalogue=scope_catalogue()
    )


def create_api_key() -> CreateApiKeyUseCase:
    from integration.application.api_keys import CreateApiKeyUseCase

    return CreateApiKeyUseCase(api_key_repository(), catalogue=scope_catalogue())


def create_portal_link() -> CreatePortalLinkUseCase:
    from integration.application.portal_links import CreatePortalLinkUseCase

    return CreatePortalLinkUseCase(api_key_repository(), catalogue=scope_catalogue(), console_url=settings().console_url)


def list_api_keys() -> ListApiKeysUseCase:
    from integration.application.api_keys import ListApiKeysUseCase

    return ListApiKeysUseCase(api_key_repository())


def get_api_key() -> GetApiKeyUseCase:
    from integration.application.api_keys import GetApiKeyUseCase

    return GetApiKeyUseCase(api_key_repository())


def revoke_api_key() -> RevokeApiKeyUseCase:
    from integration.application.api_keys import RevokeApiKeyUseCase

    return RevokeApiKeyUseCase(api_key_repository())


def update_api_key() -> UpdateApiKeyUseCase:
    from integration.application.api_keys import UpdateApiKeyUseCase

    return UpdateApiKeyUseCase(api_key_repository())


def roll_api_key() -> RollApiKeyUseCase:
    from integration.application.api_keys import RollApiKeyUseCase

    return RollApiKeyUseCase(api_key_repository())


def revoke_leaked_api_key() -> RevokeLeakedApiKeyUseCase:
    from integration.application.api_keys import RevokeLeakedApiKeyUseCase

    return RevokeLeakedApiKeyUseCase(api_key_repository(), catalogue=scope_catalogue())


def create_webhook() -> CreateWebhookUseCase:
    from integration.application.webhooks import CreateWebhookUseCase

    return CreateWebhookUseCase(webhook_repository(), webhook_rules())


def list_webhooks() -> ListWebhooksUseCase:
    from integration.application.webhooks import ListWebhooksUseCase

    return ListWebhooksUseCase(webhook_repository())


def get_webhook() -> GetWebhookUseCase:
    from integration.application.webhooks import GetWebhookUseCase

    return GetWebhookUseCase(webhook_repository())


def update_webhook() -> UpdateWebhookUseCase:
    from integration.application.webhooks import UpdateWebhookUseCase

    return UpdateWebhookUseCase(webhook_repository(), webhook_rules())


def delete_webhook() -> DeleteWebhookUseCase:
    from integration.application.webhooks import DeleteWebhookUseCase

    return DeleteWebhookUseCase(webhook_repository())


def rotate_webhook_secret() -> RotateWebhookSecretUseCase:
    from integration.application.webhooks import RotateWebhookSecretUseCase

    return RotateWebhookSecretUseCase(webhook_repository(), settings().webhook_secret_grace_period)


def list_deliveries() -> ListDeliveriesUseCase:
    from integration.application.delivery_log import ListDeliveriesUseCase

    return ListDeliveriesUseCase(webhook_repository(), delivery_log())


def get_delivery() -> GetDeliveryUseCase:
    from integration.application.delivery_log import GetDeliveryUseCase

    return GetDeliveryUseCase(delivery_log())


def retry_delivery() -> RetryDeliveryUseCase:
    from integration.application.delivery_log import RetryDeliveryUseCase

    return RetryDeliveryUseCase(webhook_repository(), delivery_log(), delivery_queue())


def send_test_message() -> SendTestMessageUseCase:
    from integration.application.delivery_log import SendTestMessageUseCase

    return SendTestMessageUseCase(
        webhook_repository(), delivery_log(), delivery_queue(), settings().delivery_log_retention, event_type_schemas()
    )


def list_event_types() -> ListEventTypesUseCase:
    from integration.application.event_types import ListEventTypesUseCase

    return ListEventTypesUseCase(event_type_schemas())


def fan_out_event() -> FanOutEventUseCase:
    from integration.application.deliveries import FanOutEventUseCase

    configured = settings()
    return FanOutEventUseCase(
        webhook_repository(), delivery_queue(), configured.retry_schedule, event_log(), configured.event_log_retention
    )


def list_events() -> ListEventsUseCase:
    from integration.application.events import ListEventsUseCase

    return ListEventsUseCase(event_log(), event_type_catalogue())


def get_event() -> GetEventUseCase:
    from integration.application.events import GetEventUseCase

    return GetEventUseCase(event_log(), delivery_log())


def deliver_message() -> DeliverMessageUseCase:
    from integration.application.deliveries import DeliverMessageUseCase, DeliverySettings
    from integration.domain.signing import USER_AGENT

    configured = settings()
    delivery = DeliverySettings(
        schedule=configured.retry_schedule,
        disable_after=configured.disable_failing_webhooks_after,
        disable_after_attempts=configured.disable_failing_webhooks_after_attempts,
        log_retention=configured.delivery_log_retention,
        user_agent=USER_AGENT,
    )
    return DeliverMessageUseCase(webhook_repository(), delivery_log(), webhook_sender(), delivery)


def start_recover_job() -> StartRecoverJobUseCase:
    from integration.application.jobs import StartRecoverJobUseCase

    configured = settings()
    return StartRecoverJobUseCase(
        webhook_repository(),
        job_repository(),
        job_queue(),
        retention=configured.delivery_log_retention,
        job_retention=configured.delivery_log_retention,
    )


def start_replay_job() -> StartReplayJobUseCase:
    from integration.application.jobs import StartReplayJobUseCase

    configured = settings()
    return StartReplayJobUseCase(
        webhook_repository(),
        job_repository(),
        job_queue(),
        event_type_catalogue(),
        retention=configured.event_log_retention,
        job_retention=configured.delivery_log_retention,
    )


def get_job() -> GetJobUseCase:
    from integration.application.jobs import GetJobUseCase

    return GetJobUseCase(job_repository())


def run_job_step() -> RunJobStepUseCase:
    from integration.application.job_steps import RunJobStepUseCase

    return RunJobStepUseCase(webhook_repository(), delivery_log(), event_log(), job_repository(), job_queue(), deliver_message())


def relay_outbox_events() -> RelayOutboxEventsUseCase:
    from integration.application.outbox_relay import RelayOutboxEventsUseCase

    return RelayOutboxEventsUseCase(event_publisher(), outbox())


def republish_unpublished_events() -> RepublishUnpublishedEventsUseCase:
    from integration.application.outbox_relay import RepublishUnpublishedEventsUseCase

    return RepublishUnpublishedEventsUseCase(outbox(), relay_outbox_events())


def drop_pooled_connections() -> None:
    """Close the AWS clients' pooled connections (they reconnect on their next call): after a
    SnapStart restore, connections opened before the snapshot are not this environment's."""
    from integration.infrastructure.aws import close_connections

    close_connections()


def reset() -> None:
    """Forget the settings and everything built (tests change the environment between cases)."""
    for cached in (
        settings,
        event_type_catalogue,
        platform_event_schemas,
        event_type_schemas,
        scope_catalogue,
        webhook_rules,
        api_key_repository,
        webhook_repository,
        outbox,
        delivery_log,
        event_log,
        event_publisher,
        delivery_queue,
        job_repository,
        job_queue,
        webhook_sender,
    ):
        cached.cache_clear()
    from integration.infrastructure import aws

    for client in (aws.dynamodb_client, aws.events_client, aws.sqs_client, aws.ssm_client):
        client.cache_clear()
