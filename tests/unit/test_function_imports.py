"""What a function loads at cold start (``make bench`` measures the cost; these keep the cuts).

Each case imports one function's module in a fresh interpreter, with Lambda's environment
(``LAMBDA_TASK_ROOT`` turns Powertools' Tracer on), and reports what it loaded; then it makes a
DynamoDB client, as a first request does, and reports what the X-Ray SDK patched.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import app
modules = sorted(sys.modules)
built = sorted(
    f"{name.rsplit('.', 1)[-1]}.{model.__name__}"
    for name, module in list(sys.modules.items()) if name.startswith("integration.entrypoints.http.schemas.")
    for model in vars(module).values()
    if isinstance(model, type) and model.__module__ == name and getattr(model, "__pydantic_complete__", False)
)
from integration.infrastructure.aws import dynamodb_client
dynamodb_client()  # what a function's first AWS call does first
patched = sorted(sys.modules["aws_xray_sdk.core.patcher"]._PATCHED_MODULES) if "aws_xray_sdk.core.patcher" in sys.modules else None
print(json.dumps({"modules": modules, "built": built, "patched": patched}))
"""


@functools.cache  # one interpreter per function, whatever the number of cases reading it
def loaded_by(function: str) -> dict:
    folder = ROOT / "functions" / function
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "POWERTOOLS_"))},
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT / "layers" / "shared")]),
        "LAMBDA_TASK_ROOT": str(folder),
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "integration",
        "POWERTOOLS_METRICS_NAMESPACE": "integration",
        "TABLE_NAME": "integration-test",
        "EVENT_BUS_NAME": "integration-test",
        "DELIVERY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/integration-test-deliveries",
        "JOB_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/integration-test-jobs",
    }
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=folder, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_authorizer_loads_no_xray_sdk_no_pydantic_and_no_event_handler():
    loaded = set(loaded_by("authorizer")["modules"])
    assert "aws_xray_sdk" not in loaded
    assert "pydantic" not in loaded
    assert "aws_lambda_powertools.event_handler" not in loaded
    assert "aws_lambda_powertools.utilities.data_classes" not in loaded


@pytest.mark.parametrize(
    ("function", "own", "others"),
    [
        ("get_api_key", "integration.entrypoints.http.schemas.api_keys", ["webhooks", "deliveries", "event_types"]),
        ("get_webhook", "integration.entrypoints.http.schemas.webhooks", ["api_keys", "deliveries", "event_types"]),
        ("list_webhook_deliveries", "integration.entrypoints.http.schemas.deliveries", ["api_keys", "event_types"]),
        ("list_events", "integration.entrypoints.http.schemas.events", ["api_keys", "webhooks", "deliveries", "event_types"]),
        ("get_event", "integration.entrypoints.http.schemas.events", ["api_keys", "webhooks", "deliveries", "event_types"]),
    ],
)
def test_a_route_function_builds_only_its_own_resources_models(function, own, others):
    loaded = set(loaded_by(function)["modules"])
    assert own in loaded
    for other in others:
        assert f"integration.entrypoints.http.schemas.{other}" not in loaded


def test_without_an_oidc_issuer_the_authorizer_loads_neither_the_oidc_verifier_nor_pyjwt():
    loaded = set(loaded_by("authorizer")["modules"])
    assert "integration.infrastructure.oidc" not in loaded
    assert "jwt" not in loaded


def test_the_authorizer_loads_no_webhook_rules_and_no_outbox():
    """It reads a key and records its use: the settings do not pull in the webhook aggregate
    (nor its URL policy), and the key repository imports the outbox only to write an event."""
    loaded = set(loaded_by("authorizer")["modules"])
    for module in ("integration.domain.webhooks", "integration.domain.url_policy", "integration.infrastructure.outbox", "integration.domain.events"):
        assert module not in loaded


def test_the_authorizer_loads_the_api_key_entity_not_the_rules_that_issue_patch_or_roll_keys():
    """It reads a stored key (:mod:`integration.domain.api_key`): issuing, the patch and rolling
    are :mod:`integration.domain.api_keys`, which it never loads."""
    loaded = set(loaded_by("authorizer")["modules"])
    assert "integration.domain.api_key" in loaded
    assert "integration.domain.api_keys" not in loaded
    assert "integration.domain.ids" not in loaded


def test_the_authorizer_loads_no_scope_catalogue_no_listing_page_and_no_event_type_catalogue():
    """An API key's principal names no catalogue, the authorizer lists nothing, and the settings
    load the event type catalogue only where ``PLATFORM_EVENT_TYPES`` is set."""
    loaded = set(loaded_by("authorizer")["modules"])
    for module in ("integration.domain.scopes", "integration.domain.pagination", "integration.domain.event_types"):
        assert module not in loaded


@pytest.mark.parametrize(
    ("function", "others"),
    [
        ("get_api_key", ["integration.domain.webhooks", "integration.domain.url_policy", "integration.domain.deliveries"]),
        ("revoke_api_key", ["integration.domain.webhooks", "integration.domain.url_policy", "integration.domain.deliveries"]),
        ("get_webhook", ["integration.domain.api_keys", "integration.domain.deliveries"]),
    ],
)
def test_a_route_function_loads_no_other_aggregate_s_domain(function, others):
    loaded = set(loaded_by(function)["modules"])
    for other in others:
        assert other not in loaded


@pytest.mark.parametrize("function", ["get_webhook", "create_webhook", "revoke_api_key", "list_webhook_deliveries", "get_event"])
def test_a_route_function_s_import_builds_no_request_or_response_model(function):
    """Models are built on first use (``defer_build``): a function builds its route's models with
    its first request, never the other models of the modules it imports."""
    found = loaded_by(function)
    assert any(module.startswith("integration.entrypoints.http.schemas.") for module in found["modules"])
    assert found["built"] == []


def test_a_route_function_loads_no_use_case_it_does_not_run():
    loaded = set(loaded_by("get_api_key")["modules"])
    assert "integration.application.deliveries" not in loaded
    assert "integration.application.webhooks" not in loaded
    assert "integration.infrastructure.webhook_repository" not in loaded


@pytest.mark.parametrize("function", ["list_event_types", "list_scopes", "whoami"])
def test_a_catalogue_function_makes_no_aws_call_and_never_imports_boto3_or_botocore_s_client(function):
    loaded = set(loaded_by(function)["modules"])
    assert "boto3" not in loaded
    assert "botocore.client" not in loaded  # Powertools imports the bare botocore package, which is cheap


LAZY_SSM_PROBE = """
import json, sys
import app
at_init = "boto3" in sys.modules
described = app.use_case.execute()  # the first read of the platform's schemas: SSM, here unreachable
print(json.dumps({"at_init": at_init, "after_first_read": "boto3" in sys.modules, "types": [d.type for d in described]}))
"""


def test_with_platform_event_types_list_event_types_imports_boto3_only_on_its_first_read_of_ssm():
    """The one path that needs AWS: the platform's schemas (SSM). boto3 comes with the first read,
    never at INIT; an SSM that cannot be reached still gives the catalogue (without schemas)."""
    folder = ROOT / "functions" / "list_event_types"
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "POWERTOOLS_"))},
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT / "layers" / "shared")]),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing listens: the read fails at once
        "AWS_MAX_ATTEMPTS": "1",
        "POWERTOOLS_SERVICE_NAME": "integration",
        "PLATFORM_EVENT_TYPES": "invoice.paid",
        "PLATFORM_EVENT_SCHEMAS_PATH": "/integration/test/event-schemas/",
    }
    done = subprocess.run([sys.executable, "-c", LAZY_SSM_PROBE], env=env, cwd=folder, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["at_init"] is False
    assert found["after_first_read"] is True
    assert found["types"][-1] == "invoice.paid"
    assert "could not read platform event schemas from SSM" in done.stdout


@pytest.mark.parametrize(
    "function", ["authorizer", "get_webhook", "create_webhook", "webhook_fan_out", "recover_webhook", "get_webhook_job", "webhook_job_worker"]
)
def test_a_function_that_calls_aws_imports_boto3_during_init_not_on_its_first_request(function):
    assert "boto3" in set(loaded_by(function)["modules"])


def test_the_authorizer_s_first_client_is_not_traced_by_the_sdk():
    assert loaded_by("authorizer")["patched"] is None


@pytest.mark.parametrize("function", ["outbox_relay", "webhook_fan_out"])
def test_the_relay_and_the_fan_out_load_no_xray_sdk(function):
    """One or two kinds of AWS call per batch: Lambda's active tracing records the invocation and
    botocore passes the trace on; the SDK would cost their cold start more than it shows."""
    found = loaded_by(function)
    assert "aws_xray_sdk" not in set(found["modules"])
    assert "wrapt" not in set(found["modules"])
    assert found["patched"] is None


@pytest.mark.parametrize("function", ["outbox_relay", "webhook_fan_out", "webhook_delivery", "webhook_job_worker"])
def test_the_batch_functions_answer_with_the_layer_s_partial_batch_not_powertools_batch_utility(function):
    """Powertools' batch utility would import asyncio and every event data class at their cold start."""
    loaded = set(loaded_by(function)["modules"])
    assert "integration.entrypoints.batch" in loaded
    for module in ("aws_lambda_powertools.utilities.batch", "aws_lambda_powertools.utilities.data_classes", "asyncio"):
        assert module not in loaded


@pytest.mark.parametrize(
    ("function", "patched"),
    [
        ("get_webhook", ["botocore"]),
        ("webhook_delivery", ["botocore", "httplib"]),  # its webhook requests are the calls worth seeing
        ("webhook_job_worker", ["botocore", "httplib"]),  # it POSTs to webhooks too
    ],
)
def test_the_tracer_patches_botocore_and_only_the_functions_that_post_to_webhooks_also_patch_http_client(function, patched):
    """botocore is patched whenever it is imported: at the first client, or before when imported earlier."""
    assert loaded_by(function)["patched"] == patched


NOT_LOADED = {
    # The asynchronous functions: the scope catalogue (settings parse PLATFORM_SCOPES only where
    # it is set), the API's principal, pages and event type schemas, the repository interfaces
    # (annotations only).
    "webhook_delivery": [
        "integration.domain.scopes",
        "integration.domain.principal",
        "integration.domain.event_type_schemas",
        "integration.domain.repositories",
        "integration.domain.event_log",  # the delivery log's id bounds are in integration.domain.ids
        "integration.domain.events",  # imported by the attempt that disables a webhook
        "integration.infrastructure.outbox",  # imported by the webhook writes that put an event
    ],
    "webhook_fan_out": [
        "integration.domain.scopes",
        "integration.domain.principal",
        "integration.domain.event_type_schemas",
        "integration.domain.repositories",
        "integration.domain.events",
        "integration.infrastructure.outbox",
    ],
    "outbox_relay": [
        "integration.domain.scopes",
        "integration.domain.principal",
        "integration.domain.repositories",
        "integration.domain.webhooks",
        "integration.domain.deliveries",
    ],
    # The job and delivery routes: a job's steps (and so the delivery attempt, the delivery log's
    # records, the event log) are the job worker's; the repository interfaces are annotations
    # only; a patch, an If-Match and the URL policy belong to the webhook's writes.
    "recover_webhook": [
        "integration.application.job_steps",
        "integration.application.deliveries",
        "integration.domain.job_steps",
        "integration.domain.deliveries",
        "integration.domain.event_log",
        "integration.domain.repositories",
        "integration.domain.webhook_changes",
        "integration.domain.url_policy",
    ],
    "replay_webhook": [
        "integration.application.job_steps",
        "integration.application.deliveries",
        "integration.domain.job_steps",
        "integration.domain.deliveries",
        "integration.domain.event_log",
        "integration.domain.repositories",
        "integration.domain.webhook_changes",
        "integration.domain.url_policy",
    ],
    "get_webhook_job": [
        "integration.application.job_steps",
        "integration.application.deliveries",
        "integration.domain.deliveries",
        "integration.domain.event_log",
        "integration.domain.repositories",
        "integration.domain.webhook_changes",
        "integration.domain.url_policy",
    ],
    # The delivery log's API queues a message; the fan-out and the attempt are the asynchronous
    # functions' (integration.application.deliveries).
    "retry_webhook_delivery": [
        "integration.application.deliveries",
        "integration.application.jobs",
        "integration.domain.repositories",
        "integration.domain.webhook_changes",
        "integration.domain.url_policy",
    ],
    "test_webhook": [
        "integration.application.deliveries",
        "integration.application.jobs",
        "integration.domain.repositories",
        "integration.domain.webhook_changes",
        "integration.domain.url_policy",
    ],
}


@pytest.mark.parametrize(("function", "module"), [(f, m) for f, ms in NOT_LOADED.items() for m in ms])
def test_a_function_loads_no_module_it_does_not_run(function, module):
    assert module not in set(loaded_by(function)["modules"])


@pytest.mark.parametrize(
    ("function", "module"),
    [
        ("recover_webhook", "integration.application.jobs"),
        ("webhook_job_worker", "integration.application.job_steps"),
        ("retry_webhook_delivery", "integration.application.delivery_log"),
        ("test_webhook", "integration.application.delivery_log"),
        ("webhook_delivery", "integration.application.deliveries"),
    ],
)
def test_each_function_loads_the_use_cases_it_runs(function, module):
    assert module in set(loaded_by(function)["modules"])
