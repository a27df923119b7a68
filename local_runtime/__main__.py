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
  the runtime with a message before anything starts (a ScheduleV2 event's expression parameter
  also takes ``rate(N seconds)``, locally).
- ``LOCAL_FUNCTION_CONCURRENCY`` (default 4): instances (processes) each function may run at
  once; ``LOCAL_SQS_CONCURRENCY`` (default 5): pollers per SQS event source mapping (at most its
  ScalingConfig.MaximumConcurrency and the function's instances); ``LOCAL_INSTANCE_IDLE_SECONDS``
  (default 60): an instance idle this long is stopped (the last one of each function stays); ``LOCAL_WORKER_START``
  (``forkserver``, the default, or ``spawn``): how instances start (local_runtime.workers).

Each function runs in processes of its own, one invocation at a time per process, as Lambda's
execution environments (``local_runtime.workers``). Besides the HTTP API, the template's event
sources run here: DynamoDB stream mappings (``local_runtime.streams``), SQS mappings
(``local_runtime.queues``: long-polls each queue, deletes what the function processed, keeps
what it reports in ``batchItemFailures``) and EventBridge Scheduler schedules
(``local_runtime.schedules``). Event rules and archives are created in the emulator too, so events
put on the bus reach their target queues. The emulator (moto server) runs in a process of its own
(``local_runtime.emulator``), its DynamoDB patched (``local_runtime.moto_patch``) so that a
transaction copies only the items it touches. Ctrl-C (or SIGTERM) stops everything within
``SHUTDOWN_SECONDS``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any

from local_runtime.workers import DEFAULT_IDLE_SECONDS, DEFAULT_MAX_INSTANCES

HOST = "127.0.0.1"
STAGE = "local"
# Locally, webhooks may use plain http (a deployment parameter) and loopback hosts (a
# local-only setting, below), so a receiver on this machine can get deliveries.
LOCAL_PARAMETERS = {"Stage": STAGE, "AllowHttpWebhooks": "true"}
LOCAL_FUNCTION_ENVIRONMENT = {"WEBHOOK_ALLOW_LOOPBACK": "true"}
DEMO_TENANT = "demo"
POLLER_STOP_SECONDS = 2.0
INSTANCE_STOP_SECONDS = 1.0
SHUTDOWN_SECONDS = 4.5  # past this, whatever is left is killed and the process exits
DEFAULT_SQS_CONCURRENCY = 5  # Lambda's initial pollers for an SQS event source


def _port(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not value.isdigit() or not 0 < int(value) < 65536:
        sys.exit(f"{name} must be a TCP port number, got {value!r}")
    return int(value)


def _count(name: str, default: int) -> int:
    value = os.environ.get(name, str(default)).strip()
    if not value.isdigit() or int(value) < 1:
        sys.exit(f"{name} must be a whole number of at least 1, got {value!r}")
    return int(value)


def _parameter_overrides(template: Any) -> dict[str, str]:
    from local_runtime.resources import parse_parameter_overrides

    try:
        return parse_parameter_overrides(
            os.environ.get("LOCAL_PARAMETER_OVERRIDES", ""), template.raw.get("Parameters", {}), template.schedule_parameters()
        )
    except ValueError as error:
        sys.exit(f"LOCAL_PARAMETER_OVERRIDES: {error}")


def main() -> int:
    api_port = _port("LOCAL_API_PORT", 3000)
    aws_port = _port("LOCAL_AWS_PORT", 5000)
    max_instances = _count("LOCAL_FUNCTION_CONCURRENCY", DEFAULT_MAX_INSTANCES)
    sqs_concurrency = _count("LOCAL_SQS_CONCURRENCY", DEFAULT_SQS_CONCURRENCY)
    idle_seconds = _count("LOCAL_INSTANCE_IDLE_SECONDS", int(DEFAULT_IDLE_SECONDS))
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
    # What every function's instances start from, before any function's own variables.
    base_environment = dict(os.environ)

    from local_runtime.emulator import Emulator

    emulator = Emulator(HOST, aws_port)  # moto server, patched, in a process of its own: it starts meanwhile
    from local_runtime.workers import Instances

    try:
        instances = Instances(max_instances=max_instances, idle_seconds=idle_seconds)
    except ValueError as error:
        emulator.stop()
        sys.exit(f"local runtime: {error}")

    import boto3

    from local_runtime.gateway import Gateway
    from local_runtime.queues import QueuePoller
    from local_runtime.resources import Stack
    from local_runtime.schedules import Schedule, SchedulePoller, UnsupportedSchedule, resolve
    from local_runtime.server import make_server
    from local_runtime.streams import StreamPoller
    from local_runtime.workers import FunctionSpec

    pollers: list[Any] = []
    schedules: list[Schedule] = []
    skipped_schedules: list[str] = []
    try:
        emulator.wait_ready()
        stack = Stack(template, {**LOCAL_PARAMETERS, **overrides})
        stack.create_resources(boto3.Session())
        for logical_id, function in template.functions().items():
            environment = {**stack.function_environment(logical_id), **LOCAL_FUNCTION_ENVIRONMENT}
            os.environ.update(environment)  # for the bootstrap key, below: never seen by an instance
            instances.add(
                FunctionSpec(
                    logical_id=logical_id,
                    code_uri=str(function.code_uri),
                    handler=function.handler,
                    timeout=function.timeout,
                    memory_mb=function.memory_mb,
                    environment={**base_environment, **environment},
                )
            )

        from integration.application.api_keys import CreateApiKeyUseCase
        from integration.domain.principal import operator
        from integration.wiring import api_key_repository, scope_catalogue

        catalogue = scope_catalogue()  # the service's scopes and PlatformScopes: the bootstrap key holds them all
        bootstrap = CreateApiKeyUseCase(api_key_repository(), catalogue=catalogue).execute(
            operator(DEMO_TENANT, catalogue), name="bootstrap (make run)", scopes=list(catalogue.names), expires_at=None
        )
        functions = {pool.spec.logical_id: pool for pool in instances.pools()}
        gateway = Gateway(template, functions)
        server = make_server(gateway, HOST, api_port)
        pollers += [
            StreamPoller(
                subscription,
                functions[subscription.function],
                session=boto3.Session(),
                table_name=stack.physical[subscription.table],
                failure_queue_name=stack.physical.get(subscription.on_failure_queue or ""),
            )
            for subscription in template.stream_subscriptions(stack.parameters)
        ]
        pollers += [
            QueuePoller(
                subscription,
                functions[subscription.function],
                session=boto3.Session(),
                queue_url=stack.queue_url(subscription.queue),
                concurrency=_sqs_concurrency(stack, subscription.maximum_concurrency, sqs_concurrency, max_instances),
            )
            for subscription in template.queue_subscriptions()
        ]
        for subscription in template.schedule_subscriptions():
            try:
                schedule = resolve(subscription, stack)
            except UnsupportedSchedule as error:
                skipped_schedules.append(f"  schedule  {error} (not run locally)  ->  {subscription.function}")
                continue
            except ValueError as error:
                raise SystemExit(f"template.yaml: {subscription.function}.Events.{subscription.event}: {error}") from None
            if not schedule.enabled:
                skipped_schedules.append(f"  schedule  {schedule.expression} (State: DISABLED)  ->  {subscription.function}")
                continue
            schedules.append(schedule)
            pollers.append(SchedulePoller(schedule, functions[subscription.function]))
        # The fork server imports its libraries (about a second of CPU) from here on, after the
        # start-up's own work: the first invocations wait for it, not the banner.
        instances.start()
        for poller in pollers:
            poller.start()
    except BaseException:
        _shutdown(None, pollers, instances, emulator)
        raise

    api_url = f"http://{HOST}:{api_port}/api/v1/integration"
    event_bus = next(stack.physical[name] for name in template.resources_of_type("AWS::Events::EventBus"))
    exports = {
        **aws_environment,
        "TABLE_NAME": os.environ["TABLE_NAME"],
        "EVENT_BUS_NAME": event_bus,
        "INTEGRATION_API_URL": api_url,
    }
    queue_pollers = {poller.name: poller.concurrency for poller in pollers if isinstance(poller, QueuePoller)}
    lines = [
        "",
        f"integration local runtime: API on {api_url} (AWS emulator: moto server on {endpoint}, process {emulator.pid})",
        f"API description (no credential needed): {api_url}/openapi.json, Swagger UI: {api_url}/swagger",
        "Routes (from template.yaml):",
        *(
            f"  {route.method:6} {route.path}  ->  {route.function}"
            + ("  (AWS SigV4, not API keys)" if route.iam_authorized else "")
            + ("  (no credential: the console's page and files)" if route.public else "")
            for route in gateway.routes
        ),
        *(f"  stream  table {stack.physical[sub.table]}  ->  {sub.function}" for sub in template.stream_subscriptions()),
        *(
            f"  queue   {stack.physical[sub.queue]}  ->  {sub.function} ({queue_pollers[f'queue-{sub.function}']} pollers)"
            for sub in template.queue_subscriptions()
        ),
        *(f"  schedule  {schedule.expression} ({schedule.name})  ->  {schedule.function}" for schedule in schedules),
        *skipped_schedules,
        *([f"Parameters (LOCAL_PARAMETER_OVERRIDES): {' '.join(f'{k}={v}' for k, v in overrides.items())}"] if overrides else []),
        (
            f"Functions run in processes of their own: up to {max_instances} instances each (LOCAL_FUNCTION_CONCURRENCY), "
            f"started by {instances.method}."
        ),
        "",
        "Local settings: webhook URLs may use plain http and loopback hosts (127.0.0.0/8, ::1, localhost);",
        "private, link-local and other non-public addresses are still refused, as in a deployment.",
        "",
        "# Point boto3, the AWS CLI and integration-admin at the emulator:",
        *(f"export {name}={value}" for name, value in exports.items()),
        f"# A key for tenant '{DEMO_TENANT}' with every scope (create more with integration-admin create-key):",
        f"export INTEGRATION_API_KEY={bootstrap.plaintext}",
        "",
        f"Tenant console, signed in as '{DEMO_TENANT}' (a #fragment never reaches a server; docs/console.md):",
        f"  {api_url}/console#key={bootstrap.plaintext}",
        "",
        "Ready. Ctrl-C stops.",
    ]
    print("\n".join(lines), flush=True)

    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    # Ctrl-C stops it even when it was started with SIGINT ignored (a background job of a
    # non-interactive shell, such as a CI step, inherits that), as a tool sending SIGINT expects.
    signal.signal(signal.SIGINT, _stop)
    serving = threading.Thread(target=server.serve_forever, name="api", daemon=True)
    serving.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown short
        _shutdown(server, pollers, instances, emulator)
        print("integration local runtime stopped.", flush=True)
    return 0


def _sqs_concurrency(stack: Any, maximum_concurrency: Any, local_limit: int, max_instances: int) -> int:
    """Pollers for an SQS mapping: its ScalingConfig.MaximumConcurrency (AWS: 2 to 1000), at most
    ``local_limit`` and never more than a function's instances."""
    limit = min(local_limit, max_instances)
    if maximum_concurrency is None:
        return limit
    try:
        return max(1, min(int(stack.resolve(maximum_concurrency)), limit))
    except (TypeError, ValueError):
        return limit


def _shutdown(server: Any, pollers: list[Any], instances: Any, emulator: Any) -> None:
    """Stop the API, the pollers and every function instance, then the emulator: within
    SHUTDOWN_SECONDS, after which a watchdog kills what is left and exits."""
    watchdog = threading.Thread(
        target=_force_exit, args=([*instances.pids(), emulator.pid],), name="shutdown-watchdog", daemon=True
    )
    watchdog.start()
    for poller in pollers:
        poller.stop()
    if server is not None:
        server.shutdown()
        server.server_close()
    instances.stop(INSTANCE_STOP_SECONDS)  # invocations in flight fail at once: their pollers stop
    deadline = time.monotonic() + POLLER_STOP_SECONDS
    for poller in pollers:
        poller.join(timeout=max(0.0, deadline - time.monotonic()))
    emulator.stop()


def _force_exit(pids: list[int]) -> None:
    time.sleep(SHUTDOWN_SECONDS)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    print(f"integration local runtime: not stopped within {SHUTDOWN_SECONDS:g} s; exiting anyway.", file=sys.stderr, flush=True)
    os._exit(1)


if __name__ == "__main__":
    sys.exit(main())
