"""The API key use cases with a pinned clock, on the real DynamoDB repository (moto)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integration import wiring
from integration.application.api_keys import (
    AuthenticateApiKeyUseCase,
    CreateApiKeyUseCase,
    GetApiKeyUseCase,
    RevokeApiKeyUseCase,
)
from integration.domain.api_keys import IssuedApiKey
from integration.domain.errors import AuthenticationError
from integration.domain.events import DomainEvent, api_key_revoked
from integration.domain.principal import Principal, operator
from integration.infrastructure.api_key_repository import DynamoDBApiKeyRepository
from tests.integration.helpers import outbox

T0 = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
ALL_SCOPES = frozenset({"webhooks:read", "webhooks:write", "api-keys:read", "api-keys:write"})


@pytest.fixture
def repository(aws: Any) -> DynamoDBApiKeyRepository:
    return wiring.api_key_repository()


def principal(tenant: str = "tenant-a", scopes: frozenset[str] = ALL_SCOPES) -> Principal:
    return Principal(tenant_id=tenant, credential_id="key_caller", scopes=scopes)


def create(
    repository: DynamoDBApiKeyRepository, at: datetime = T0, *, tenant: str = "tenant-a", expires_at: datetime | None = None
) -> IssuedApiKey:
    return CreateApiKeyUseCase(repository, clock=lambda: at).execute(
        operator(tenant), name="ci", scopes=["api-keys:read"], expires_at=expires_at
    )


def test_create_stores_the_key_and_its_event_at_the_clocks_time(
    repository: DynamoDBApiKeyRepository, dynamodb: Any, table_name: str
) -> None:
    issued = create(repository, T0, expires_at=T0 + timedelta(days=90))

    stored = GetApiKeyUseCase(repository).execute(principal(), issued.api_key.id)
    (event,) = outbox(dynamodb, table_name, "ApiKeyCreated")
    assert stored == issued.api_key
    assert stored.created_at == T0 and stored.expires_at == T0 + timedelta(days=90)
    assert event["detail"]["occurredAt"] == "2025-06-01T09:30:00.000Z"


def test_revoke_records_the_clocks_time_and_a_later_revoke_keeps_it(
    repository: DynamoDBApiKeyRepository, dynamodb: Any, table_name: str
) -> None:
    issued = create(repository)
    revoked_at = T0 + timedelta(hours=1)

    first = RevokeApiKeyUseCase(repository, clock=lambda: revoked_at).execute(principal(), issued.api_key.id)
    again = RevokeApiKeyUseCase(repository, clock=lambda: revoked_at + timedelta(days=1)).execute(principal(), issued.api_key.id)

    assert first.revoked_at == revoked_at
    assert again.revoked_at == revoked_at
    assert GetApiKeyUseCase(repository).execute(principal(), issued.api_key.id).revoked_at == revoked_at
    (event,) = outbox(dynamodb, table_name, "ApiKeyRevoked")
    assert event["detail"]["occurredAt"] == "2025-06-01T10:30:00.000Z"


def test_a_revoke_that_loses_a_race_answers_the_winners_revocation_and_records_no_second_event(
    repository: DynamoDBApiKeyRepository, dynamodb: Any, table_name: str
) -> None:
    issued = create(repository)
    winner_at, loser_at = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)

    def loser_clock() -> datetime:
        # The loser has read the key as active; the winner revokes it before the loser writes.
        RevokeApiKeyUseCase(repository, clock=lambda: winner_at).execute(principal(), issued.api_key.id)
        return loser_at

    answered = RevokeApiKeyUseCase(repository, clock=loser_clock).execute(principal(), issued.api_key.id)

    assert answered.revoked_at == winner_at
    assert len(outbox(dynamodb, table_name, "ApiKeyRevoked")) == 1


def test_the_repository_refuses_to_revoke_a_revoked_key_twice(
    repository: DynamoDBApiKeyRepository, dynamodb: Any, table_name: str
) -> None:
    key = create(repository).api_key
    at = T0 + timedelta(hours=1)

    def event() -> DomainEvent:
        return api_key_revoked(api_key_id=key.id, tenant_id=key.tenant_id, at=at)

    assert repository.save_revocation(key.revoked(at), event()) is True
    assert repository.save_revocation(key.revoked(at + timedelta(hours=1)), event()) is False

    assert repository.get("tenant-a", key.id).revoked_at == at
    assert len(outbox(dynamodb, table_name, "ApiKeyRevoked")) == 1


def test_authenticate_gives_the_keys_tenant_and_scopes_until_the_instant_it_expires(
    repository: DynamoDBApiKeyRepository,
) -> None:
    expires_at = T0 + timedelta(days=1)
    issued = create(repository, tenant="tenant-b", expires_at=expires_at)

    who = AuthenticateApiKeyUseCase(repository, clock=lambda: expires_at - timedelta(microseconds=1)).execute(issued.plaintext)

    assert who == Principal(
        tenant_id="tenant-b", credential_id=issued.api_key.id, scopes=frozenset({"api-keys:read"}), expires_at=expires_at
    )
    with pytest.raises(AuthenticationError):
        AuthenticateApiKeyUseCase(repository, clock=lambda: expires_at).execute(issued.plaintext)
