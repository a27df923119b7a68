"""SnapStart readiness: what a function does at INIT (priming) and after a restore.

Priming is checked in a fresh interpreter per function, with Lambda's environment, as
``test_function_imports.py`` does: the import primes the route (its middleware stack, with
request validation, is built), prints nothing (no ``ColdStart`` metric, no log line) and makes
no AWS call. The after-restore hook is checked against a stand-in for the managed runtime's
``snapshot_restore_py``.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import random
import subprocess
import sys
import types
from pathlib import Path

import pytest

from integration import wiring
from integration.infrastructure import aws as aws_clients

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import botocore.client
calls = []
make_api_call = botocore.client.BaseClient._make_api_call
def counted(self, operation, params):
    calls.append(operation)
    return make_api_call(self, operation, params)
botocore.client.BaseClient._make_api_call = counted
from integration.domain import key_format
is_well_formed = key_format.is_well_formed
checked = []
key_format.is_well_formed = lambda key: checked.append(key) or is_well_formed(key)
import app
from integration.infrastructure import aws
resolver = getattr(app, "app", None)
routes = [] if resolver is None else resolver._static_routes + resolver._dynamic_routes
import typing
from pydantic import BaseModel
def models(annotation):
    found = [annotation] if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []
    return found + [model for argument in typing.get_args(annotation) for model in models(argument)]
views = [model for route in routes for model in models(typing.get_type_hints(route.func).get("return"))]
views_built = [model.__name__ for model in views if model.__pydantic_complete__]
def subclasses(model):
    return [model] + [each for sub in model.__subclasses__() for each in subclasses(sub)]
view_module = sys.modules.get("integration.entrypoints.http.schemas.view")
views_unbuilt = sorted({model.__name__ for model in subclasses(view_module.View)[1:] if not model.__pydantic_complete__}) if view_module else []
FIRST_USE = ("integration.infrastructure.outbox", "cryptography.hazmat.primitives.ciphers.aead", "encodings.idna")
first_use_loaded = [name for name in FIRST_USE if name in sys.modules]
sys.stdout.write("\\n--- the first request\\n")
class Context:
    function_name = "probe"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:probe"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
if routes:  # refused by the authorize step: no AWS call
    path = "/api/v1/integration" + routes[0].path.replace("<", "").replace(">", "")
    app.lambda_handler({"version": "2.0", "rawPath": path, "headers": {}, "requestContext": {
        "http": {"method": routes[0].method, "path": path}, "requestId": "probe"}}, Context())
sys.stdout.write("\\n" + json.dumps({
    "aws_calls": calls,
    "routes": [route.path for route in routes],
    "built": [route._middleware_stack_built for route in routes],
    "views": [model.__name__ for model in views],
    "views_built": views_built,
    "views_unbuilt": views_unbuilt,
    "first_use_loaded": first_use_loaded,
    "keys_checked": len(checked),
    "dynamodb_client_made": aws.dynamodb_client.cache_info().currsize == 1,
}))
"""


@functools.cache
def primed(function: str, initialization: str = "snap-start") -> tuple[str, dict, str]:
    """What importing the function printed, the probe's findings, and what the first request
    printed; ``initialization``: Lambda's AWS_LAMBDA_INITIALIZATION_TYPE for that INIT."""
    folder = ROOT / "functions" / function
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "POWERTOOLS_"))},
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT / "layers" / "shared")]),
        "LAMBDA_TASK_ROOT": str(folder),
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_LAMBDA_INITIALIZATION_TYPE": initialization,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing listens: a call would fail the import
        "AWS_MAX_ATTEMPTS": "1",
        "POWERTOOLS_SERVICE_NAME": "integration",
        "POWERTOOLS_METRICS_NAMESPACE": "integration",
        "POWERTOOLS_LOG_LEVEL": "DEBUG",  # anything priming logs, at any level, shows
        "TABLE_NAME": "integration-test",
        "EVENT_BUS_NAME": "integration-test",
        "DELIVERY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/integration-test-deliveries",
        "JOB_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/integration-test-jobs",
    }
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=folder, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    printed, _, last = done.stdout.rpartition("\n")
    at_init, _, first_request = printed.partition("\n--- the first request\n")
    return at_init, json.loads(last), first_request


HTTP_FUNCTIONS = ["get_webhook", "create_webhook", "patch_webhook", "list_events", "verify_api_key", "list_event_types"]


@pytest.mark.parametrize("function", HTTP_FUNCTIONS)
def test_an_http_function_s_import_primes_its_route(function):
    _, found, _ = primed(function)
    assert found["routes"]
    assert all(found["built"]), found  # routing, request validation, the middleware stack
    assert found["views"] and found["views_built"] == found["views"]  # the models it answers with


@pytest.mark.parametrize(
    ("function", "view"),
    [("create_api_key", "ApiKeyView"), ("list_api_keys", "ApiKeyView"), ("roll_api_key", "PreviousKeyView")],
)
def test_priming_builds_the_views_the_route_s_views_extend_and_hold(function, view):
    """``CreatedApiKeyView.of_issued`` builds the ``ApiKeyView`` it extends; ``ApiKeyPageView``
    holds a list of them; ``RolledApiKeyView`` holds a ``PreviousKeyView``: each builds its own
    validator on first use, which would otherwise be the first request's."""
    assert view not in primed(function)[1]["views_unbuilt"]
    assert view in primed(function, "on-demand")[1]["views_unbuilt"]


def test_priming_imports_what_the_first_request_would_import_on_first_use():
    """The outbox (the key repository's writes), AES-GCM (an idempotent response, sealed) and the
    idna codec (a new connection's host name): imported by the call that first needs them, on
    demand; at INIT where INIT runs ahead of any request."""
    assert primed("create_api_key")[1]["first_use_loaded"] == [
        "integration.infrastructure.outbox",
        "cryptography.hazmat.primitives.ciphers.aead",
        "encodings.idna",
    ]
    assert primed("authorizer")[1]["first_use_loaded"] == ["integration.infrastructure.outbox", "encodings.idna"]
    assert primed("create_api_key", "on-demand")[1]["first_use_loaded"] == []


@pytest.mark.parametrize("initialization", ["snap-start", "provisioned-concurrency"])
def test_priming_happens_where_init_runs_ahead_of_any_request(initialization):
    assert all(primed("get_webhook", initialization)[1]["built"])
    assert primed("authorizer", initialization)[1]["keys_checked"] == 1


def test_on_demand_the_work_is_left_to_the_first_request_not_added_to_the_cold_start():
    """On demand, a request waits on INIT: priming would only make the cold start longer."""
    _, found, first_request = primed("get_webhook", "on-demand")
    assert found["routes"] and not any(found["built"])
    assert found["views"] and found["views_built"] == []  # built by the first request that answers with them
    assert found["keys_checked"] == 0 and primed("authorizer", "on-demand")[1]["keys_checked"] == 0
    assert '"ColdStart"' in first_request


@pytest.mark.parametrize("function", [*HTTP_FUNCTIONS, "authorizer"])
def test_priming_prints_no_metric_and_no_log_line_and_makes_no_aws_call(function):
    printed, found, _ = primed(function)
    assert "ColdStart" not in printed
    assert printed.strip() == ""  # no EMF document, no log line, at any level
    assert found["aws_calls"] == []


@pytest.mark.parametrize("function", ["get_webhook", "create_webhook"])
def test_the_first_request_after_priming_still_reports_the_cold_start(function):
    first_request = primed(function)[2]
    assert '"ColdStart"' in first_request  # Powertools' flag was left for the first invocation


@pytest.mark.parametrize("function", ["get_webhook", "create_webhook", "authorizer"])
def test_a_function_that_calls_aws_makes_its_client_at_init(function):
    assert primed(function)[1]["dynamodb_client_made"]


def test_the_authorizer_s_import_checks_a_presented_key_as_a_request_does():
    assert primed("authorizer")[1]["keys_checked"] == 1


@pytest.fixture
def snapshot_restore_py(monkeypatch):
    """The managed runtime's module, standing in: it records the hooks registered."""
    module = types.ModuleType("snapshot_restore_py")
    module.after = []
    module.register_after_restore = lambda hook, *args, **kwargs: module.after.append(hook)
    module.register_before_snapshot = lambda hook, *args, **kwargs: None
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    monkeypatch.delitem(sys.modules, "integration.entrypoints.snapstart", raising=False)
    yield module
    sys.modules.pop("integration.entrypoints.snapstart", None)


def test_outside_lambda_the_module_registers_nothing(monkeypatch):
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails, as outside Lambda
    monkeypatch.delitem(sys.modules, "integration.entrypoints.snapstart", raising=False)
    snapstart = importlib.import_module("integration.entrypoints.snapstart")
    assert snapstart.REGISTERED is False
    sys.modules.pop("integration.entrypoints.snapstart", None)


def test_after_a_restore_the_clients_drop_their_pooled_connections_and_random_is_reseeded(monkeypatch, snapshot_restore_py):
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    wiring.reset()
    snapstart = importlib.import_module("integration.entrypoints.snapstart")
    assert snapshot_restore_py.after == [snapstart.after_restore]
    clients = [aws_clients.dynamodb_client(), aws_clients.sqs_client()]  # as a function's INIT makes them
    managers = [client._endpoint.http_session._manager for client in clients]
    for manager in managers:
        manager.connection_from_url("https://example.amazonaws.com/")  # a pooled connection (none opened yet)
    random.seed(1)
    expected = random.random()
    random.seed(1)

    for hook in snapshot_restore_py.after:
        hook()

    assert [len(manager.pools) for manager in managers] == [0, 0]  # each reconnects on its next call
    assert random.random() != expected
    assert [aws_clients.dynamodb_client(), aws_clients.sqs_client()] == clients  # the clients are kept
    wiring.reset()
