"""Settings: read once, typed, and a value that cannot be used names its variable."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from pathlib import Path

import pytest

from integration.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_an_empty_environment_gives_the_documented_defaults():
    settings = Settings.from_environ({})
    assert settings == Settings()
    assert settings.event_source == "integration"
    assert settings.retry_schedule == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    assert settings.disable_failing_webhooks_after == timedelta(days=5)
    assert settings.disable_failing_webhooks_after_attempts == 5
    assert settings.delivery_log_retention == timedelta(days=30)
    assert settings.event_log_retention == timedelta(days=30)
    assert settings.max_webhooks_per_tenant == 50
    assert (settings.webhook_allow_http, settings.webhook_allow_loopback) == (False, False)
    assert settings.oidc_issuer is None and settings.oidc_tenant_claim == "custom:tenant_id"
    assert settings.table_name is None


def test_values_are_read_typed_and_blank_means_the_default():
    settings = Settings.from_environ(
        {
            "TABLE_NAME": "t",
            "JOB_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs",
            "EVENT_SOURCE": "  ",
            "WEBHOOK_RETRY_SCHEDULE": "0s, 1m",
            "OUTBOX_REPUBLISH_AFTER_SECONDS": "60",
            "DELIVERY_LOG_RETENTION_DAYS": "7",
            "EVENT_LOG_RETENTION_DAYS": "90",
            "WEBHOOK_ALLOW_HTTP": "TRUE",
            "WEBHOOK_ALLOW_LOOPBACK": "0",
            "PLATFORM_EVENT_TYPES": "invoice.paid, order.created",
            "OIDC_ISSUER": "https://issuer.example.com",
        }
    )
    assert settings.table_name == "t"
    assert settings.job_queue_url == "https://sqs.us-east-1.amazonaws.com/123456789012/jobs"
    assert settings.event_source == "integration"
    assert settings.retry_schedule == (0, 60)
    assert settings.outbox_republish_after == timedelta(seconds=60)
    assert settings.delivery_log_retention == timedelta(days=7)
    assert settings.event_log_retention == timedelta(days=90)
    assert (settings.webhook_allow_http, settings.webhook_allow_loopback) == (True, False)
    assert settings.platform_event_types == ("invoice.paid", "order.created")
    assert settings.oidc_issuer == "https://issuer.example.com"


@pytest.mark.parametrize(
    ("variable", "value", "rule"),
    [
        ("MAX_WEBHOOKS_PER_TENANT", "fifty", "must be a whole number"),
        ("MAX_WEBHOOKS_PER_TENANT", "0", "must be at least 1"),
        ("DISABLE_FAILING_WEBHOOKS_AFTER_ATTEMPTS", "0", "must be at least 1"),
        ("DISABLE_FAILING_WEBHOOKS_AFTER_SECONDS", "-1", "must be at least 0"),
        ("OUTBOX_REPUBLISH_AFTER_SECONDS", "-1", "must be at least 0"),
        ("DELIVERY_LOG_RETENTION_DAYS", "1.5", "must be a whole number"),
        ("EVENT_LOG_RETENTION_DAYS", "0", "must be at least 1"),
        ("EVENT_LOG_RETENTION_DAYS", "a month", "must be a whole number"),
        ("WEBHOOK_ALLOW_HTTP", "maybe", "must be true or false"),
        ("WEBHOOK_RETRY_SCHEDULE", "5d", "'d'"),
        ("PLATFORM_EVENT_TYPES", "invoice paid", "invalid event types"),
        ("PLATFORM_EVENT_SCHEMAS_PATH", "integration/event-schemas/", "starts and ends with '/'"),
        ("PLATFORM_EVENT_SCHEMAS_PATH", "/integration/event-schemas", "starts and ends with '/'"),
        ("PLATFORM_EVENT_SCHEMAS_PATH", "/integration//event-schemas/", "segments of letters"),
        ("PLATFORM_EVENT_SCHEMAS_PATH", "/event schemas/", "segments of letters"),
        ("PLATFORM_EVENT_SCHEMAS_TTL_SECONDS", "-1", "must be at least 0"),
        ("PLATFORM_SCOPES", "Orders:Read", "invalid scope name"),
    ],
)
def test_a_value_that_cannot_be_used_names_the_variable_the_value_and_the_rule(variable: str, value: str, rule: str):
    with pytest.raises(SettingsError) as refused:
        Settings.from_environ({variable: value})
    assert refused.value.variable == variable
    assert str(refused.value).startswith(f"{variable}={value!r}: ")
    assert rule in str(refused.value)


def test_platform_scopes_are_read_in_the_order_configured_with_their_descriptions():
    settings = Settings.from_environ({"PLATFORM_SCOPES": "orders:read=Read orders, orders:write"})
    assert settings.platform_scopes == (("orders:read", "Read orders"), ("orders:write", None))


@pytest.mark.parametrize(("variable", "edge"), [("MAX_WEBHOOKS_PER_TENANT", "1"), ("DISABLE_FAILING_WEBHOOKS_AFTER_SECONDS", "0")])
def test_the_smallest_allowed_value_is_accepted(variable: str, edge: str):
    Settings.from_environ({variable: edge})


def test_the_platform_event_schemas_path_and_ttl_are_read_and_default_to_not_read_and_300_seconds():
    assert Settings.from_environ({}).platform_event_schemas_path is None
    assert Settings.from_environ({}).platform_event_schemas_ttl == timedelta(seconds=300)
    configured = Settings.from_environ(
        {"PLATFORM_EVENT_SCHEMAS_PATH": "/integration/prod/event-schemas/", "PLATFORM_EVENT_SCHEMAS_TTL_SECONDS": "60"}
    )
    assert configured.platform_event_schemas_path == "/integration/prod/event-schemas/"
    assert configured.platform_event_schemas_ttl == timedelta(seconds=60)
    assert Settings.from_environ({"PLATFORM_EVENT_SCHEMAS_PATH": "/"}).platform_event_schemas_path == "/"


def test_a_missing_resource_name_is_refused_where_it_is_needed_naming_the_variable():
    settings = Settings.from_environ({})
    with pytest.raises(SettingsError, match=r"^TABLE_NAME is not set: name the DynamoDB table"):
        settings.required(settings.table_name, "TABLE_NAME", "the DynamoDB table")


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().table_name = "other"  # type: ignore[misc]


def test_every_variable_the_settings_read_is_documented_and_set_by_the_template():
    source = (ROOT / "layers" / "shared" / "integration" / "settings.py").read_text()
    read = set(re.findall(r'read\.\w+\(\s*"([A-Z_]+)"', source))
    documented = set(re.findall(r"^``([A-Z_]+)``", source, flags=re.MULTILINE))
    assert read == documented
    template = (ROOT / "template.yaml").read_text()
    local_only = {"WEBHOOK_ALLOW_LOOPBACK"}  # the local runtime sets it; a deployment never does
    lambda_sets = {"AWS_LAMBDA_INITIALIZATION_TYPE"}
    assert sorted(name for name in read - local_only - lambda_sets if f"{name}:" not in template) == []
