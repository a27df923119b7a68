"""Shared fixtures: moto through boto3, resources created from template.yaml itself."""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from integration import wiring
from local_runtime.events import authorizer_event, http_api_event
from local_runtime.lambda_context import LocalLambdaContext
from local_runtime.resources import Stack
from local_runtime.template import PROJECT_ROOT, Template

# Powertools reads these when its utilities are first built, which may be at import time.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "integration")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "integration")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

BASE = "/api/v1/integration"
ALL = "webhooks:read webhooks:write api-keys:read api-keys:write"


def lambda_context(function_name: str = "test-function") -> LocalLambdaContext:
    """The context Lambda passes a handler (the local runtime's)."""
    return LocalLambdaContext(function_name)


def load_function(folder: str) -> ModuleType:
    """Import functions/<folder>/app.py afresh (every function's module is called app)."""
    path = PROJECT_ROOT / "functions" / folder / "app.py"
    spec = importlib.util.spec_from_file_location(f"functions_{folder}_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


E2E_TESTS = Path(__file__).parent / "e2e"
BROWSER_TESTS = Path(__file__).parent / "browser"
# tests/browser/conftest.py skips the browser tests with a reason starting so when Chromium is missing.
BROWSER_SKIP_REASON = "Chromium not found"


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test``: ``-n`` with ``--dist loadgroup``, pyproject.toml's
    default), the end-to-end tests stay together on one worker, in file order:
    ``test_zz_logs_hold_no_secret.py`` reads what the others' runtimes logged (this process's
    ``tests.e2e.runtime.RUNTIME_LOGS``), and ``test_readme_walkthrough.py`` takes fixed ports.
    Every other module goes to one worker whole, so that its module-scoped fixtures (``sam build``,
    a moto server) are set up once, not once per worker. The browser tests (tests/browser, headless
    Chromium against a local runtime of their own) are one group too, beside the end-to-end one."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if item.path.is_relative_to(E2E_TESTS):
            group = "e2e"
        elif item.path.is_relative_to(BROWSER_TESTS):
            group = "browser"
        else:
            group = item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """A banner nobody can miss when the browser tests were skipped for want of Chromium."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if BROWSER_SKIP_REASON in str(getattr(report, "longrepr", ""))
    ]
    if skipped:
        terminalreporter.write_sep(
            "!", f"BROWSER TESTS SKIPPED: {BROWSER_SKIP_REASON} ({len(skipped)} tests)", red=True, bold=True
        )
        terminalreporter.write_line(
            "The tenant console was NOT tested. Install Chromium (apt-get install chromium chromium-driver) "
            "or set CHROMIUM=/path/to/chromium.",
            red=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def template() -> Template:
    return Template.load()


@pytest.fixture(scope="session")
def boto_session() -> boto3.Session:
    """One session for the whole run: loading botocore's service models is the slow part."""
    return boto3.Session(region_name="us-east-1")


@pytest.fixture
def aws(template: Template, boto_session: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """A moto account holding the template's resources; the environment the functions get."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    stack = Stack(template, {"Stage": "test"})
    with mock_aws():
        stack.create_resources(boto_session)
        for name, value in stack.function_environment("CreateApiKeyFunction").items():
            monkeypatch.setenv(name, value)
        wiring.reset()
        yield stack
        wiring.reset()


@pytest.fixture
def table_name(aws: Stack) -> str:
    return os.environ["TABLE_NAME"]


@pytest.fixture
def dynamodb(aws: Stack) -> Any:
    return boto3.client("dynamodb", region_name="us-east-1")


@contextmanager
def moto_requests_one_at_a_time() -> Iterator[None]:
    """Each DynamoDB request to in-process moto is applied whole before the next one starts, as
    DynamoDB applies a request (a transaction's conditions and writes, an UpdateItem) atomically.
    moto evaluates them in Python steps (an UpdateItem on a new item first stores its bare key),
    which threads inside it at once could observe or interleave in ways DynamoDB never shows.
    Threads still interleave between requests: the windows real concurrency has. Other services'
    requests are left alone (an SQS long poll waits inside its request)."""
    lock = threading.RLock()
    process_request = BotocoreStubber.process_request

    def one_at_a_time(self: BotocoreStubber, request: Any) -> Any:
        if "dynamodb." not in request.url:
            return process_request(self, request)
        with lock:
            return process_request(self, request)

    BotocoreStubber.process_request = one_at_a_time  # type: ignore[method-assign]
    try:
        yield
    finally:
        BotocoreStubber.process_request = process_request  # type: ignore[method-assign]


class Api:
    """Calls the functions in process the way API Gateway would, behind a given identity."""

    def __init__(self, template: Template) -> None:
        self._routes = template.routes()
        self._folders = {name: Path(f.code_uri).name for name, f in template.functions().items()}
        self._modules: dict[str, ModuleType] = {}

    def cold_start(self) -> None:
        """Every function starts again, as after a deployment: it reads the (changed) environment
        and builds its use cases afresh at its next call."""
        wiring.reset()
        self._modules.clear()

    def handler(self, logical_id: str) -> Any:
        if logical_id not in self._modules:
            self._modules[logical_id] = load_function(self._folders[logical_id])
        return self._modules[logical_id].lambda_handler

    def call(
        self,
        method: str,
        path: str,
        *,
        tenant: str = "tenant-a",
        scopes: str = ALL,
        body: Any = None,
        raw_body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        query: str = "",
        key: str | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """Call ``method path`` as ``tenant`` with ``scopes``; or, with ``key``, as API Gateway
        would for a request presenting that key: the authorizer first (401 when it refuses),
        then the function with the context it answered."""
        if key is not None:
            try:
                context = self.authorize({"authorization": f"Bearer {key}"}, path, method)["context"]
            except Exception as refused:  # noqa: BLE001 - the authorizer's Unauthorized
                assert str(refused) == "Unauthorized", refused
                return 401, {"content-type": "application/json"}, {"message": "Unauthorized"}
        else:
            context = {"tenantId": tenant, "credentialId": "key_test", "scopes": scopes, "expiresAt": ""}
        full_path = BASE + path
        for route in self._routes:
            params = route.match(method, full_path)
            if params is not None:
                break
        else:
            raise AssertionError(f"no route in template.yaml for {method} {full_path}")
        payload = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
        event = http_api_event(
            method,
            full_path,
            route_key=route.route_key,
            path_parameters=params,
            headers={"content-type": "application/json", **(headers or {})},
            query=query,
            body=payload,
            authorizer_context=context,
        )
        response = self.handler(route.function)(event, lambda_context())
        text = response.get("body") or ""
        content_type = {k.lower(): v for k, v in response.get("headers", {}).items()}.get("content-type", "")
        parsed = json.loads(text) if text and "json" in content_type else text
        return response["statusCode"], {k.lower(): v for k, v in response.get("headers", {}).items()}, parsed

    def authorize(self, headers: dict[str, str], path: str = "/api-keys", method: str = "GET") -> dict[str, Any]:
        """Run the authorizer; returns its response, raises its ``Unauthorized`` exception."""
        event = authorizer_event(method, BASE + path, route_key=f"{method} {BASE}{path}", headers=headers)
        return self.handler("AuthorizerFunction")(event, lambda_context())


@pytest.fixture
def api(aws: Stack, template: Template) -> Api:
    return Api(template)


def scan_all(client: Any, table: str) -> list[dict[str, Any]]:
    """Every item of the table (tests only: no request path ever scans)."""
    items, kwargs = [], {"TableName": table}
    while True:
        page = client.scan(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
