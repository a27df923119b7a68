"""``python -m local_runtime`` (``make run``): moto server, the template's resources, the API.

Environment:
- ``LOCAL_API_PORT`` (default 3000): where the HTTP API listens on 127.0.0.1.
- ``LOCAL_AWS_PORT`` (default 5000): where the embedded moto server listens on 127.0.0.1.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

HOST = "127.0.0.1"
STAGE = "local"
DEMO_TENANT = "demo"


def _port(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not value.isdigit() or not 0 < int(value) < 65536:
        sys.exit(f"{name} must be a TCP port number, got {value!r}")
    return int(value)


def main() -> int:
    api_port = _port("LOCAL_API_PORT", 3000)
    aws_port = _port("LOCAL_AWS_PORT", 5000)
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
    from local_runtime.resources import Stack
    from local_runtime.server import make_server
    from local_runtime.streams import StreamPoller
    from local_runtime.template import Template

    moto = ThreadedMotoServer(ip_address=HOST, port=aws_port, verbose=False)
    moto.start()
    try:
        template = Template.load()
        # Locally, webhooks may use plain http (a deployment parameter) and loopback hosts
        # (a local-only setting), so a receiver on this machine can get deliveries.
        stack = Stack(template, {"Stage": STAGE, "AllowHttpWebhooks": "true"})
        stack.create_resources(boto3.Session())
        for logical_id in template.functions():
            os.environ.update(stack.function_environment(logical_id))
        os.environ["WEBHOOK_ALLOW_LOOPBACK"] = "true"

        from integration.application.api_keys import CreateApiKeyUseCase
        from integration.domain.scopes import ALL_SCOPES
        from integration.wiring import api_key_repository

        bootstrap = CreateApiKeyUseCase(api_key_repository()).execute(
            tenant_id=DEMO_TENANT, name="bootstrap (make run)", scopes=list(ALL_SCOPES), expires_at=None, granted_to_caller=None
        )
        gateway = Gateway(template)
        server = make_server(gateway, HOST, api_port)
        pollers = [
            StreamPoller(
                subscription,
                gateway.functions[subscription.function],
                session=boto3.Session(),
                table_name=stack.physical[subscription.table],
                failure_queue_name=stack.physical.get(subscription.on_failure_queue or ""),
            )
            for subscription in template.stream_subscriptions()
        ]
        for poller in pollers:
            poller.start()
    except BaseException:
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
        "Routes (from template.yaml):",
        *(f"  {route.method:6} {route.path}  ->  {route.function}" for route in gateway.routes),
        *(f"  stream  table {stack.physical[sub.table]}  ->  {sub.function}" for sub in template.stream_subscriptions()),
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
        for poller in pollers:
            poller.stop()
        server.shutdown()
        server.server_close()
        moto.stop()
        print("integration local runtime stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
