"""The service in this process on moto (``mock_aws``), built from the project's own pieces:
``Template`` and ``Stack`` (resources and each function's environment from template.yaml), the
functions loaded from their ``CodeUri`` as tests/conftest.py loads them, API Gateway's events
from ``local_runtime.events``, and AWS calls counted with botocore event hooks.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from local_runtime.lambda_context import LocalLambdaContext

BASE = "/api/v1/integration"
ALL_SCOPES = ("api-keys:read", "api-keys:write", "webhooks:read", "webhooks:write")
REGION = "us-east-1"
# What make run uses locally: plain http and loopback webhook URLs, so a receiver on this
# machine can be a webhook.
LOCAL_PARAMETERS = {"AllowHttpWebhooks": "true"}


class CountingSink(io.TextIOBase):
    """Where the functions' stdout goes: their JSON log lines and EMF metrics are written and
    formatted as on Lambda, counted (CloudWatch Logs bills them by the byte), and dropped."""

    def __init__(self) -> None:
        self.bytes = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.bytes += len(text.encode("utf-8"))
        return len(text)


SINK = CountingSink()


def aws_test_environment() -> None:
    """Credentials and region for moto; never a real endpoint or profile."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here (see cold_start for the traced runs)
        }
    )


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """The functions' stdout (their JSON logs and metrics) to /dev/null."""
    with contextlib.redirect_stdout(SINK):
        yield


def lambda_context(function_name: str) -> LocalLambdaContext:
    """The local runtime's context, with Lambda's longest timeout: a warm loop reuses one for minutes."""
    return LocalLambdaContext(function_name, timeout_seconds=900)


# ---------------------------------------------------------------------------- AWS call counting
@dataclass(frozen=True)
class Call:
    service: str  # dynamodb, sqs, eventbridge
    operation: str  # GetItem, Query, TransactWriteItems, ...
    params: dict[str, Any]
    seconds: float  # from before-call to after-call: the request as botocore made it
    response: dict[str, Any] | None = None  # as botocore parsed it (None: the call failed)


@dataclass
class CallLog:
    calls: list[Call] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(call.operation for call in self.calls)

    def seconds(self) -> float:
        return sum(call.seconds for call in self.calls)


def counts_text(counts: Counter[str]) -> str:
    """``2 GetItem, 1 Query``: the most made first."""
    if not counts:
        return "none"
    return ", ".join(f"{n} {operation}" for operation, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


class CallCounter:
    """Every AWS call the functions' clients make, via botocore event hooks.

    Registered on the default boto3 session's event system, so every client made from it after
    this (``integration.infrastructure.aws`` makes its clients there, again after
    ``wiring.reset()``) reports: ``provide-client-params`` gives the operation's arguments,
    ``before-call``/``after-call`` bracket the request. Clients made from another session (the
    bench's own bare clients) are not counted.
    """

    def __init__(self) -> None:
        import boto3

        self._lock = threading.Lock()
        self._active: CallLog | None = None
        session = boto3._get_default_session()
        events = session._session.get_component("event_emitter")
        events.register("provide-client-params", self._params)
        events.register("before-call", self._before)
        events.register("after-call", self._after)
        events.register("after-call-error", self._after_error)

    @contextlib.contextmanager
    def recording(self) -> Iterator[CallLog]:
        log = CallLog()
        self._active = log
        try:
            yield log
        finally:
            self._active = None

    def _params(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        context["bench_params"] = dict(params)

    def _before(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        context["bench_started"] = time.perf_counter()

    def _after(self, model: Any, context: dict[str, Any], parsed: Any = None, **_: Any) -> None:
        self._record(model, context, parsed)

    def _after_error(self, model: Any = None, context: dict[str, Any] | None = None, **_: Any) -> None:
        if model is not None and context is not None:
            self._record(model, context, None)

    def _record(self, model: Any, context: dict[str, Any], parsed: Any) -> None:
        log = self._active
        if log is None or "bench_started" not in context:
            return
        seconds = time.perf_counter() - context["bench_started"]
        service = model.service_model.service_id.hyphenize()
        with self._lock:
            log.calls.append(Call(service, model.name, context.get("bench_params", {}), seconds, parsed))


# ---------------------------------------------------------------------------- the service on moto
class World:
    """moto in this process, holding the template's resources for ``stage``, with the functions'
    environment set (every function's, as the local runtime sets them) and the functions loaded
    on first use."""

    def __init__(self, stage: str = "bench") -> None:
        aws_test_environment()
        from moto import mock_aws

        from local_runtime.resources import Stack
        from local_runtime.template import Template

        self.template = Template.load()
        self.stack = Stack(self.template, {"Stage": stage, **LOCAL_PARAMETERS})
        self._mock = mock_aws()
        self._mock.start()
        import boto3

        self.counter = CallCounter()  # before any client of the default session exists
        self.session = boto3.Session(region_name=REGION)  # the bench's own, uncounted clients
        self.stack.create_resources(self.session)
        self.use_environment()
        with quiet():  # Powertools' logger writes to the stdout it finds when it is made
            import integration.observability  # noqa: F401
        self.routes = self.template.routes()
        self.functions = self.template.functions()
        # A function builds its use cases (and their table) at import, as on Lambda: one loaded
        # module per function and table, so a section that points the functions at another table
        # (TABLE_NAME) gets instances of its own, warm ones when it comes back.
        self._modules: dict[tuple[str, str], ModuleType] = {}
        self.table = self.physical("AWS::DynamoDB::Table")
        self.dynamodb = self.session.client("dynamodb")
        self.sqs = self.session.client("sqs")

    def physical(self, resource_type: str) -> str:
        return next(self.stack.physical[name] for name in self.template.resources_of_type(resource_type))

    def use_environment(self) -> None:
        for logical_id in self.template.functions():
            os.environ.update(self.stack.function_environment(logical_id))
        os.environ["WEBHOOK_ALLOW_LOOPBACK"] = "true"
        from integration import wiring

        wiring.reset()

    def stop(self) -> None:
        from integration import wiring

        wiring.reset()
        self._mock.stop()

    # -------------------------------------------------------------- functions
    def module(self, logical_id: str) -> ModuleType:
        instance = (os.environ.get("TABLE_NAME", ""), logical_id)
        if instance not in self._modules:
            function = self.functions[logical_id]
            module_name = function.handler.rsplit(".", 1)[0]
            path = function.code_uri / f"{module_name}.py"
            spec = importlib.util.spec_from_file_location(f"bench_{logical_id}_{module_name}_{len(self._modules)}", path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            with quiet():
                spec.loader.exec_module(module)
            self._modules[instance] = module
        return self._modules[instance]

    def handler(self, logical_id: str) -> Any:
        return getattr(self.module(logical_id), self.functions[logical_id].handler.rsplit(".", 1)[1])

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        handler = self.handler(logical_id)
        with quiet():
            return handler(event, lambda_context(logical_id))

    def route(self, method: str, path: str) -> tuple[Any, dict[str, str]]:
        full_path = BASE + path
        for route in self.routes:
            params = route.match(method, full_path)
            if params is not None:
                return route, params
        raise LookupError(f"no route in template.yaml for {method} {full_path}")

    def request_event(
        self,
        method: str,
        path: str,
        *,
        tenant: str,
        scopes: str = " ".join(ALL_SCOPES),
        body: Any = None,
        query: str = "",
        headers: dict[str, str] | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """(the route's function, the event API Gateway would send it after the authorizer)."""
        from local_runtime.events import http_api_event

        route, params = self.route(method, path)
        event = http_api_event(
            method,
            BASE + path,
            route_key=route.route_key,
            path_parameters=params or None,
            headers={"content-type": "application/json", **(headers or {})},
            query=query,
            body=json.dumps(body) if body is not None else None,
            authorizer_context={"tenantId": tenant, "credentialId": "key_bench", "scopes": scopes},
        )
        return route.function, event

    def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        function, event = self.request_event(method, path, **kwargs)
        response = self.invoke(function, event)
        text = response.get("body") or ""
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return response["statusCode"], parsed

    def authorizer_event(self, key: str, path: str = "/api-keys", method: str = "GET") -> dict[str, Any]:
        from local_runtime.events import authorizer_event

        return authorizer_event(
            method, BASE + path, route_key=f"{method} {BASE}{path}", headers={"authorization": f"Bearer {key}"}
        )

    def authorize(self, key: str) -> dict[str, Any]:
        logical_id = self.template.authorizer_function()
        assert logical_id is not None
        return self.invoke(logical_id, self.authorizer_event(key))

    # -------------------------------------------------------------- state through the service itself
    def create_key(self, tenant: str, name: str = "bench") -> tuple[str, str]:
        """A key with every scope, made by the use case the API uses: (id, plaintext)."""
        from integration.application.api_keys import CreateApiKeyUseCase
        from integration.domain.principal import operator
        from integration.wiring import api_key_repository

        issued = CreateApiKeyUseCase(api_key_repository()).execute(
            operator(tenant), name=name, scopes=list(ALL_SCOPES), expires_at=None
        )
        return issued.api_key.id, issued.plaintext

    def create_webhook(self, tenant: str, url: str, name: str = "bench", events: tuple[str, ...] = ("*",)) -> dict[str, Any]:
        status, body = self.call("POST", "/webhooks", tenant=tenant, body={"name": name, "url": url, "events": list(events)})
        if status != 201:
            raise RuntimeError(f"create webhook: {status} {body}")
        return body

    def put_items(self, table: str, items: Iterable[dict[str, Any]]) -> None:
        """Items straight into moto's table, as its BatchWriteItem puts them, without a request per 25."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
        for item in items:
            backend.put_item(table, item)

    def drain(self, logical_id: str) -> list[dict[str, Any]]:
        """Every message now in the queue (received with all attributes, as Lambda's records)."""
        from local_runtime.queues import sqs_record

        url = self.stack.queue_url(logical_id)
        arn = f"arn:aws:sqs:{REGION}:123456789012:{self.stack.physical[logical_id]}"
        records = []
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                return records
            records += [sqs_record(message, arn) for message in messages]
