"""``python -m local_runtime`` (``make run``): moto server, the template's resources, the API.

Environment:
- ``LOCAL_API_PORT`` (default 3000): where the HTTP API listens on 127.0.0.1.
- ``LOCAL_AWS_PORT`` (default 5000): where the embedded moto server listens on 127.0.0.1.
- ``LOCAL_PARAMETER_OVERRIDES`` (default empty): template parameters, in
  ``sam deploy --parameter-overrides`` form: space-separated ``Name=Value`` entries (quote a
  value that holds spaces), e.g. ``WebhookRetrySchedule=0s,1s,1s
  DisableFailingWebhooksAfterSeconds=2``. They apply over the local defaults (``Stage=local``,
  ``AllowHttpWebhooks=true``) and the template's own defaults. An unknown name, a malformed
  entry or a value the template's AllowedValues/AllowedPattern/MinValue/MaxValue refuse stops
  the runtime with a message before anything starts.

Besides the HTTP API, the template's event source mappings run here: DynamoDB stream mappings
(``local_runtime.streams``) and SQS mappings (``local_runtime.queues``: long-polls each queue,
deletes what the function processed, keeps what it reports in ``batchItemFailures``). Event
rules are created in the emulator too, so events put on the bus reach their target queues.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from typing import Any

HOST = "127.0.0.1"
STAGE = "local"
# Locally, webhooks may use plain http (a deployment parameter) and loopback hosts (a
# local-only setting, below), so a receiver on this machine can get deliveries.
LOCAL_PARAMETERS = {"Stage": STAGE, "AllowHttpWebhooks": "true"}
DEMO_TENANT = "demo"
POLLER_STOP_SECONDS = 3.0


def _port(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not value.isdigit() or not 0 < int(value) < 65536:
        sys.exit(f"{name} must be a TCP port number, got {value!r}")
    return int(value)


def _parameter_overrides(template: Any) -> dict[str, str]:
    from local_runtime.resources import parse_parameter_overrides

    try:
        return parse_parameter_overrides(os.environ.get("LOCAL_PARAMETER_OVERRIDES", ""), template.raw.get("Parameters", {}))
    except ValueError as error:
        sys.exit(f"LOCAL_PARAMETER_OVERRIDES: {error}")


def main() -> int:
    api_port = _port("LOCAL_API_PORT", 3000)
    aws_port = _port("LOCAL_AWS_PORT", 5000)
    from local_runtime.template import Template

    template = Template.load()
    overrides = _parameter_overrides(template)
    endpoint = f"http://{HOST}:{aws_port}"
    aws_environment = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    os.environ.update(aws_environment)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto server's per-request lines

    from local_runtime.gateway import Gateway
    from local_runtime.queues import QueuePoller
    from local_runtime.resources import Stack
    from local_runtime.server import make_server
    from local_runtime.streams import StreamPoller

    moto = ThreadedMotoServer(ip_address=HOST, port=aws_port, verbose=False)
    moto.start()
    pollers: list[StreamPoller | QueuePoller] = []
    try:
        stack = Stack(template, {**LOCAL_PARAMETERS, **overrides})
        stack.create_resources(boto3.Session())
        for logical_id in template.functions():
            os.environ.update(stack.function_environment(logical_id))
        os.environ["WEBHOOK_ALLOW_LOOPBACK"] = "true"

        from integration.application.api_keys import CreateApiKeyUseCase
        from integration.domain.principal import operator
        from integration.domain.scopes import ALL_SCOPES
        from integration.wiring import api_key_repository

        bootstrap = CreateApiKeyUseCase(api_key_repository()).execute(
            operator(DEMO_TENANT), name="bootstrap (make run)", scopes=list(ALL_SCOPES), expires_at=None
        )
        gateway = Gateway(template)
        server = make_server(gateway, HOST, api_port)
        pollers += [
            StreamPoller(
                subscription,
                gateway.functions[subscription.function],
                session=boto3.Session(),
                table_name=stack.physical[subscription.table],
                failure_queue_name=stack.physical.get(subscription.on_failure_queue or ""),
            )
            for subscription in template.stream_subscriptions()
        ]
        pollers += [
            QueuePoller(
                subscription,
                gateway.functions[subscription.function],
                session=boto3.Session(),
                queue_url=stack.queue_url(subscription.queue),
            )
            for subscription in template.queue_subscriptions()
        ]
        for poller in pollers:
            poller.start()
    except BaseException:
        _stop_pollers(pollers)
        moto.stop()
        raise

    api_url = f"http://{HOST}:{api_port}/api/v1/integration"
    event_bus = next(stack.physical[name] for name in template.resources_of_type("AWS::Events::EventBus"))
    exports = {
        **aws_environment,
        "TABLE_NAME": os.environ["TABLE_NAME"],
        "EVENT_BUS_NAME": event_bus,
        "INTEGRATION_API_URL": api_url,
    }
    lines = [
        "",
        f"integration local runtime: API on {api_url} (AWS emulator: moto server on {endpoint})",
        f"API description (no credential needed): {api_url}/openapi.json, Swagger UI: {api_url}/swagger",
        "Routes (from template.yaml):",
        *(f"  {route.method:6} {route.path}  ->  {route.function}" for route in gateway.routes),
        *(f"  stream  table {stack.physical[sub.table]}  ->  {sub.function}" for sub in template.stream_subscriptions()),
        *(f"  queue   {stack.physical[sub.queue]}  ->  {sub.function}" for sub in template.queue_subscriptions()),
        *([f"Parameters (LOCAL_PARAMETER_OVERRIDES): {' '.join(f'{k}={v}' for k, v in overrides.items())}"] if overrides else []),
        "",
        "Local settings: webhook URLs may use plain http and loopback hosts (127.0.0.0/8, ::1, localhost);",
        "private, link-local and other non-public addresses are still refused, as in a deployment.",
        "",
        "# Point boto3, the AWS CLI and integration-admin at the emulator:",
        *(f"export {name}={value}" for name, value in exports.items()),
        f"# A key for tenant '{DEMO_TENANT}' with every scope (create more with integration-admin create-key):",
        f"export INTEGRATION_API_KEY={bootstrap.plaintext}",
        "",
        "Ready. Ctrl-C stops.",
    ]
    print("\n".join(lines), flush=True)

    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    serving = threading.Thread(target=server.serve_forever, name="api", daemon=True)
    serving.start()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        _stop_pollers(pollers)
        server.shutdown()
        server.server_close()
        moto.stop()
        print("integration local runtime stopped.", flush=True)
    return 0


def _stop_pollers(pollers: list[Any]) -> None:
    """Stop every poller; give the queue pollers a moment (POLLER_STOP_SECONDS in all) to
    finish their invocation and long poll, so that none is cut off mid-request when the
    emulator stops. (StreamPoller is not joined: its ``_stop`` event shadows the method of
    ``threading.Thread`` that ``join`` and ``is_alive`` call.)"""
    from local_runtime.queues import QueuePoller

    for poller in pollers:
        poller.stop()
    deadline = time.monotonic() + POLLER_STOP_SECONDS
    for poller in pollers:
        if isinstance(poller, QueuePoller):
            poller.join(timeout=max(0.0, deadline - time.monotonic()))


if __name__ == "__main__":
    sys.exit(main())
