"""The API's OpenAPI document, generated from the code: every HTTP function's Powertools resolver
(routes, pydantic request and response models) merged with Powertools' ``OpenAPIMerge``, plus
what the resolvers cannot know: the security schemes, the problem+json errors each operation can
answer (the authorizer's 401, the scope check's 403, API Gateway's 429, ...), the ids' patterns
on path parameters, the tags, and the ``webhooks`` section (what each event type sends to a
webhook).

Operation ids, summaries, tags and descriptions are each route decorator's (``operation_id=``,
``summary=``, ``tags=``, ``description=__doc__``, less the docstring's ``METHOD /path:``).

Naming rule for operation ids: lower camelCase ``<verb><Resource>``, the resource singular for one
item and plural for a collection, a nested resource prefixed with its parent's name. The verb is
the method's: ``create`` (POST to a collection), ``list`` (GET a collection), ``get`` (GET one),
``replace`` (PUT, a full replace), ``update`` (PATCH, a partial update), ``delete`` (DELETE); a
POST to an action below a resource takes the action's verb: ``revokeApiKey``,
``rotateWebhookSecret``, ``sendTestWebhook``, ``retryWebhookDelivery``, ``recoverWebhook``,
``replayWebhook`` (and ``getWebhookJob`` for the job they start). A message a webhook
receives (the ``webhooks`` section) is ``receive<EventType>`` (``receiveWebhookTest`` for
``webhook.test``). Generated clients name their functions after them (``create_webhook``).

Tags: one per resource (:data:`TAGS`); the ``webhooks`` section is tagged ``Event types``.

``python -m local_runtime.openapi`` writes ``openapi.json`` at the project root (``make
openapi``); ``--check`` only says whether the committed file is current. The local runtime
serves the committed file, with Swagger UI beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import inspect
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from local_runtime.template import PROJECT_ROOT, Template

DOCUMENT_PATH = PROJECT_ROOT / "openapi.json"
BASE_PATH = "/api/v1/integration"
TITLE = "integration"
API_VERSION = "1.0.0"
DESCRIPTION = (
    "Multi-tenant API keys, outbound webhooks and their delivery log. Every operation needs a "
    "credential: an API key (`intk_...`) as `Authorization: Bearer` or `X-Api-Key`, or, where the "
    "deployment names an OIDC issuer, a JWT as `Authorization: Bearer`. Errors are RFC 9457 "
    "`application/problem+json`."
)

SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`intk_...`), or a JWT from the deployment's OIDC issuer.",
    },
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key", "description": "An API key (`intk_...`)."},
    "awsSigV4": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "x-amazon-apigateway-authtype": "awsSigv4",
        "description": (
            "AWS Signature Version 4 (service `execute-api`), for the platform's own services: an IAM principal "
            "allowed `execute-api:Invoke` on the route. API keys and JWTs are not accepted here."
        ),
    },
}
# Routes with IAM authorization: API Gateway answers 403 {"message": "Forbidden"} to a request
# that is not signed (or signed wrongly), and never 401.
IAM_FORBIDDEN_RESPONSE = {
    "description": "Not signed with AWS SigV4 by an allowed IAM principal (answered by API Gateway), or no IAM caller reached the function.",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/GatewayMessage"}},
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}},
    },
}

PROBLEM_SCHEMA = {
    "title": "Problem",
    "description": "An RFC 9457 problem document.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URN naming the kind of problem."},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "For 422 (and 400): one entry per wrong field.",
            "items": {
                "type": "object",
                "required": ["field", "message", "type"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}, "type": {"type": "string"}},
            },
        },
    },
}
# API Gateway's own answers (401 from the authorizer, 429 from throttling) are not problems.
GATEWAY_MESSAGE_SCHEMA = {
    "title": "GatewayMessage",
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}

ERROR_DESCRIPTIONS = {
    "400": "The body is not valid JSON (or not UTF-8).",
    "401": "No credential, or one that is malformed, unknown, revoked or expired (answered by API Gateway).",
    "403": "The credential lacks the operation's scope.",
    "404": "No such resource for this tenant.",
    "409": "The resource's state or a quota does not allow it.",
    "412": "`If-Match` names a version that is no longer current, or is not `*` or a list of entity tags.",
    "413": "The body is over 16 KiB.",
    "415": "The body is not JSON: `application/json`, or another `+json` type such as `application/merge-patch+json`.",
    "422": "A field is wrong, or the body nests deeper than 32 levels or writes a number over 64 characters; `errors` names each one.",
    "429": "Too many requests (API Gateway throttling).",
    "500": "Something went wrong on our side.",
}
# Beyond the errors every operation may answer: per operation (method, path as in the document).
EXTRA_ERRORS: dict[tuple[str, str], tuple[str, ...]] = {
    ("post", "/webhooks"): ("409",),
    ("put", "/webhooks/{webhook_id}"): ("412",),
    ("patch", "/webhooks/{webhook_id}"): ("412",),
    ("delete", "/webhooks/{webhook_id}"): ("412",),
    ("post", "/webhooks/{webhook_id}/test"): ("409",),
    ("post", "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"): ("409",),
    ("post", "/webhooks/{webhook_id}/recover"): ("409",),
    ("post", "/webhooks/{webhook_id}/replay"): ("409",),
    ("patch", "/api-keys/{api_key_id}"): ("409",),
    ("post", "/api-keys/{api_key_id}/roll"): ("409",),
}


TAGS = [
    {
        "name": "Webhooks",
        "description": (
            "The endpoints that receive the tenant's events: create one (its signing secret is shown once), list, get "
            "(with its health and ETag), replace (PUT), update (PATCH, a JSON Merge Patch), delete; rotate its "
            "signing secret; send it a test message; recover its failed messages or replay logged events of a time "
            "window (a job: 202, then GET the job for its progress)."
        ),
    },
    {
        "name": "Deliveries",
        "description": "A webhook's delivery log: every message sent to it, newest first, with each attempt; retry one now.",
    },
    {
        "name": "Events",
        "description": (
            "The tenant's event log: every event that reached the tenant's webhooks (this service's and the platform's, "
            "also those no webhook subscribed to), newest first, by type and time window; one event with what became "
            "of it at each webhook."
        ),
    },
    {
        "name": "API keys",
        "description": "The tenant's API keys: create one (the plaintext key is shown once), list, get, update (PATCH: name, description, metadata, narrower scopes), roll (a new key; the old one works a while longer), revoke; create a portal link (a short-lived key as a console sign-in link); who am I (the calling credential); and verify a key for the platform's services (AWS SigV4).",
    },
    {
        "name": "Event types",
        "description": (
            "What a webhook can subscribe to. The document's `webhooks` section shows the request each event type "
            "sends to a webhook: a signed Standard Webhooks message `{type, timestamp, data}`, and what the "
            "receiver's answer does."
        ),
    },
    {
        "name": "Scopes",
        "description": "What an API key can carry: this service's own scopes and the platform scopes the deployment adds (PlatformScopes).",
    },
]

# Each id path parameter gets its pattern (integration.domain.ids.is_valid_id), an example and this
# description. The resolvers do not check them: an id of another shape answers 404, as an unknown one does.
PATH_PARAMETER_DESCRIPTIONS = {
    "webhook_id": "The webhook's id (`wh_` and a ULID).",
    "api_key_id": "The API key's id (`key_` and a ULID); not the key itself.",
    "delivery_id": "The delivery's id: its message id (`msg_` and a ULID), the `webhook-id` header of its attempts.",
    "event_id": "The event's id in the tenant's event log (`evt_` and a ULID of when it happened), as GET /events lists it.",
    "job_id": "The recover or replay job's id (`job_` and a ULID), as its `Location` names it.",
}

# What a function module's INIT reads (it builds its use cases at import): placeholders, as
# reading the routes makes no AWS call.
PLACEHOLDER_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "TABLE_NAME": "openapi",
    "EVENT_BUS_NAME": "openapi",
    "DELIVERY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/000000000000/openapi",
    "JOB_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/000000000000/openapi-jobs",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


@contextlib.contextmanager
def _function_environment() -> Iterator[None]:
    """:data:`PLACEHOLDER_ENVIRONMENT` while function modules load, then this process's own
    environment again, and nothing the modules built kept (``wiring.reset``)."""
    from integration import wiring

    saved = {name: os.environ.get(name) for name in PLACEHOLDER_ENVIRONMENT}
    os.environ.update(PLACEHOLDER_ENVIRONMENT)
    wiring.reset()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        wiring.reset()


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _error_codes(method: str, path: str, operation: dict[str, Any], *, iam: bool = False) -> list[str]:
    codes = ["403", "422", "429", "500"] if iam else ["401", "403", "422", "429", "500"]
    if "{" in path:
        codes.append("404")
    if method in ("post", "put", "patch"):
        codes += ["400", "413", "415"]  # a body may be sent even where none is needed
    codes += EXTRA_ERRORS.get((method, path), ())
    return sorted(set(codes))


def build_document(template: Template | None = None) -> dict[str, Any]:
    """The merged OpenAPI document of every route in template.yaml."""
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    template = template or Template.load()
    merge = OpenAPIMerge(
        title=TITLE,
        version=API_VERSION,
        description=DESCRIPTION,
        servers=[{"url": BASE_PATH}],  # type: ignore[list-item]
        on_conflict="error",
    )
    idempotent: set[tuple[str, str]] = set()
    iam: set[tuple[str, str]] = set()
    functions = template.functions()
    with _function_environment():
        for route in template.routes():
            if route.public:  # the console's page and files: not operations of the API
                continue
            function = functions[route.function]
            module = _load(function.code_uri / "app.py", f"openapi_{route.function}")
            schema = module.app.get_openapi_schema()
            merge.add_schema(schema)
            for path, operations in schema.model_dump(by_alias=True, exclude_none=True, mode="json").get("paths", {}).items():
                for method in operations:
                    if module.app.idempotent:
                        idempotent.add((method, path))
                    if route.iam_authorized:
                        iam.add((method, path))
        document = json.loads(merge.get_openapi_json_schema())
    document = _finish(document, idempotent, iam)
    _add_webhook_messages(document, template)
    return document


_HEADLINE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) /\S*: ")


def _description(docstring: str) -> str:
    """A function's docstring as an operation's description: paragraphs on one line each, without
    the headline's ``METHOD /path:`` (the document says that), reStructuredText's double
    backquotes as Markdown's single ones."""
    paragraphs = [" ".join(paragraph.split()) for paragraph in inspect.cleandoc(docstring).split("\n\n") if paragraph.strip()]
    text = _HEADLINE.sub("", "\n\n".join(paragraphs)).replace("``", "`")
    return text[:1].upper() + text[1:]


# Operations whose 200 carries the webhook's version (see README, Concurrency).
ETAG_RESPONSES = {("get", "/webhooks/{webhook_id}"), ("put", "/webhooks/{webhook_id}"), ("patch", "/webhooks/{webhook_id}")}
ETAG_HEADER = {
    "description": "The webhook's version, a strong entity tag: send it back in `If-Match`.",
    "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
}

IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "A unique key (e.g. a UUID) that makes the request safe to retry: the same key with the same "
        "request from the same credential answers the first success again (with `Idempotent-Replayed: true`) "
        "for 24 hours, once the credential has passed the operation's scope check; with another request, 422; "
        "while the first runs, 409. The same key from another credential is another key."
    ),
    "schema": {"type": "string", "minLength": 16, "maxLength": 255, "pattern": "^[!-~]+$"},
}


def _finish(document: dict[str, Any], idempotent: set[tuple[str, str]], iam: set[tuple[str, str]]) -> dict[str, Any]:
    from integration.entrypoints.http.schemas import constraints

    id_rules = {
        "webhook_id": (constraints.WEBHOOK_ID_PATTERN, constraints.WEBHOOK_ID_EXAMPLE),
        "api_key_id": (constraints.API_KEY_ID_PATTERN, constraints.API_KEY_ID_EXAMPLE),
        "delivery_id": (constraints.MESSAGE_ID_PATTERN, constraints.MESSAGE_ID_EXAMPLE),
        "event_id": (constraints.EVENT_ID_PATTERN, constraints.EVENT_ID_EXAMPLE),
        "job_id": (constraints.JOB_ID_PATTERN, constraints.JOB_ID_EXAMPLE),
    }
    document["tags"] = TAGS
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    for schema in schemas.values():
        if schema.get("type") == "string" and "enum" in schema:
            # What generated clients name the members: WEBHOOKS_READ for webhooks:read, as the code does.
            schema["x-enum-varnames"] = [re.sub(r"[^A-Za-z0-9]+", "_", value).strip("_").upper() for value in schema["enum"]]
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["GatewayMessage"] = GATEWAY_MESSAGE_SCHEMA
    components["securitySchemes"] = SECURITY_SCHEMES
    components["responses"] = {
        code: {
            "description": description,
            "content": {
                ("application/json" if code in ("401", "429") else "application/problem+json"): {
                    "schema": {"$ref": "#/components/schemas/" + ("GatewayMessage" if code in ("401", "429") else "Problem")}
                }
            },
        }
        for code, description in ERROR_DESCRIPTIONS.items()
    }
    document["security"] = [{"bearer": []}, {"apiKey": []}]
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if operation.get("description"):
                operation["description"] = _description(operation["description"])
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in id_rules:
                    pattern, example = id_rules[parameter["name"]]
                    parameter["description"] = (
                        PATH_PARAMETER_DESCRIPTIONS[parameter["name"]]
                        + " An id of another shape answers 404, as an unknown one does."
                    )
                    parameter["schema"] = {**parameter["schema"], "pattern": pattern, "examples": [example]}
                if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
                    # A GET's ETag, quotes included, or `*`. No pattern: a malformed value answers 412
                    # (integration.entrypoints.http.etags), not the 400/422 a refused parameter does.
                    parameter["schema"] = {**parameter["schema"], "examples": ['"1"', "*"]}
            if (method, path) in idempotent:
                operation["parameters"] = [*operation.get("parameters", []), IDEMPOTENCY_KEY_PARAMETER]
            if (method, path) in ETAG_RESPONSES:
                operation["responses"]["200"]["headers"] = {"ETag": ETAG_HEADER}
            responses = {code: body for code, body in operation.get("responses", {}).items() if not code.startswith(("4", "5"))}
            if "204" in responses:  # no content: Powertools describes a JSON null body for Response[None]
                responses["204"] = {"description": "No content."}
            is_iam = (method, path) in iam
            for code in _error_codes(method, path, operation, iam=is_iam) + (["409"] if (method, path) in idempotent else []):
                responses[code] = {"$ref": f"#/components/responses/{code}"}
            if is_iam:
                operation["security"] = [{"awsSigV4": []}]
                responses["403"] = IAM_FORBIDDEN_RESPONSE
            operation["responses"] = dict(sorted(responses.items()))
    return document


# ---------------------------------------------------------------- the webhooks section
# What a webhook receives: one POST per event type, the message exactly as delivery sends it
# (integration.domain.signing.message_body), each example built by the code that builds messages.

EXAMPLE_TENANT = "tenant-a"


def _example_events() -> dict[str, Any]:
    """One example of each service event, as its factory in integration.domain.events makes it."""
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from integration.domain import events
    from integration.domain.webhooks import DISABLED_FAILING
    from integration.entrypoints.http.schemas import constraints as c

    at = datetime(2026, 12, 1, 23, 35, 12, 123000, tzinfo=UTC)
    webhook = {"webhook_id": c.WEBHOOK_ID_EXAMPLE, "tenant_id": EXAMPLE_TENANT, "at": at}
    made = [
        events.api_key_created(
            api_key_id=c.API_KEY_ID_EXAMPLE, tenant_id=EXAMPLE_TENANT, name="CI deploys", created_by="operator", at=at
        ),
        events.api_key_revoked(api_key_id=c.API_KEY_ID_EXAMPLE, tenant_id=EXAMPLE_TENANT, at=at),
        events.api_key_rolled(
            api_key_id="key_01M8SZCP4W7QJ2XKD0B9R3NF5T",
            tenant_id=EXAMPLE_TENANT,
            previous_api_key_id=c.API_KEY_ID_EXAMPLE,
            previous_key_expires_at=at + timedelta(days=1),
            created_by=c.API_KEY_ID_EXAMPLE,
            at=at,
        ),
        events.api_key_updated(
            api_key_id=c.API_KEY_ID_EXAMPLE, tenant_id=EXAMPLE_TENANT, changes=["description", "scopes"], at=at
        ),
        events.webhook_created(**webhook, name="Order events", url=c.WEBHOOK_URL_EXAMPLE),
        events.webhook_updated(**webhook, changes={"events": ["WebhookCreated", "WebhookDisabled"], "status": "active"}),
        events.webhook_deleted(**webhook),
        events.webhook_secret_rotated(**webhook, previous_secret_expires_at=at + timedelta(days=1)),
        events.webhook_disabled(**webhook, failing_since=at - timedelta(days=5), reason=DISABLED_FAILING),
    ]
    return {event.event_type: replace(event, event_id=c.EVENT_ID_EXAMPLE) for event in made}


def _test_data_schema() -> dict[str, Any]:
    from integration.entrypoints.http.schemas import constraints as c

    return {
        "type": "object",
        "description": "A test message (POST /webhooks/{webhook_id}/test): sent to that webhook only, whatever its `events`.",
        "required": ["webhookId", "message"],
        "additionalProperties": False,
        "properties": {
            "webhookId": {"type": "string", "pattern": c.WEBHOOK_ID_PATTERN, "description": "The webhook it was sent to."},
            "message": {"type": "string", "description": "A human-readable line."},
        },
    }


def _model_name(event_type: str) -> str:
    """``WebhookCreated`` as it is; ``webhook.test`` as ``WebhookTest``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", event_type) if part)


def _receiver_responses(template: Template) -> dict[str, Any]:
    from integration.domain.deliveries import MAX_STORED_RESPONSE_CHARS
    from integration.domain.retry_schedule import RETRY_AFTER_STATUSES

    defaults = template.parameter_defaults()
    schedule = defaults["WebhookRetrySchedule"]
    window_days = int(defaults["DisableFailingWebhooksAfterSeconds"]) / 86400
    attempts = defaults["DisableFailingWebhooksAfterAttempts"]
    retry_after = {
        "description": (
            "Seconds, or an HTTP date: the wait before the next attempt, at most the retry schedule's longest delay "
            "(never more attempts than the schedule has)."
        ),
        "schema": {"type": "string"},
    }
    responses: dict[str, Any] = {
        "2XX": {
            "description": (
                f"Accepted: the message is delivered, and not sent again. The body is not read beyond its first "
                f"{MAX_STORED_RESPONSE_CHARS} characters, kept in the delivery log."
            )
        },
        "410": {
            "description": "Gone: the webhook is disabled at once (`disabled_reason`, event WebhookDisabled); nothing more is sent to it."
        },
    }
    for status in sorted(RETRY_AFTER_STATUSES):
        responses[str(status)] = {
            "description": "Retried later; a `Retry-After` header chooses when.",
            "headers": {"Retry-After": retry_after},
        }
    responses["default"] = {
        "description": (
            f"Any other answer (a redirect is not followed), or none in time: retried on the deployment's schedule "
            f"(`WebhookRetrySchedule`, by default {schedule}). A webhook whose every attempt has failed for "
            f"`DisableFailingWebhooksAfterSeconds` (by default {window_days:g} days) and at least "
            f"`DisableFailingWebhooksAfterAttempts` ({attempts}) attempts in a row is disabled."
        )
    }
    return responses


def _signature_headers(message_id: str, timestamp: int, signature: str) -> list[dict[str, Any]]:
    from integration.entrypoints.http.schemas import constraints as c

    return [
        {
            "name": "webhook-id",
            "in": "header",
            "required": True,
            "description": "The message id: the same on every attempt of one message; skip a message whose id you have handled.",
            "schema": {"type": "string", "pattern": c.MESSAGE_ID_PATTERN},
            "example": message_id,
        },
        {
            "name": "webhook-timestamp",
            "in": "header",
            "required": True,
            "description": "When this attempt was signed, in whole seconds since the epoch; refuse one far (e.g. 5 minutes) from your clock.",
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
            "example": str(timestamp),
        },
        {
            "name": "webhook-signature",
            "in": "header",
            "required": True,
            "description": (
                "`v1,` and the base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` under the webhook's secret "
                "(its base64 part after `whsec_`, decoded); during a rotation's grace period a second one, space-separated, "
                "under the previous secret. Verify with any Standard Webhooks library, against the raw body. (The example "
                "signs the example body with the example secret of CreatedWebhookView.)"
            ),
            "schema": {"type": "string", "pattern": r"^v1,[A-Za-z0-9+/]{43}=( v1,[A-Za-z0-9+/]{43}=)*$"},
            "example": signature,
        },
    ]


def _add_webhook_messages(document: dict[str, Any], template: Template) -> None:
    """The OpenAPI 3.1 ``webhooks``: for this service's event types and ``webhook.test``, the
    request a webhook receives (schemas ``<Type>Data`` and ``<Type>Message`` in components)."""
    from datetime import UTC, datetime

    from integration.domain.deliveries import TEST_EVENT_TYPE, new_test_message
    from integration.domain.event_types import SERVICE_EVENT_TYPES
    from integration.domain.signing import message_body, sign
    from integration.entrypoints.http.schemas import constraints as c
    from integration.event_schemas import load_schema

    examples = _example_events()
    schemas = document["components"]["schemas"]
    responses = _receiver_responses(template)
    webhooks: dict[str, Any] = {}
    for event_type in (*SERVICE_EVENT_TYPES, TEST_EVENT_TYPE):
        name = _model_name(event_type)
        if event_type == TEST_EVENT_TYPE:
            sent = datetime(2026, 12, 1, 23, 35, 12, 123000, tzinfo=UTC)
            message = new_test_message(tenant_id=EXAMPLE_TENANT, webhook_id=c.WEBHOOK_ID_EXAMPLE, now=sent)
            data_schema, data, when = _test_data_schema(), message.data, sent
            description = data_schema["description"]
        else:
            event = examples[event_type]
            data_schema = {key: value for key, value in load_schema(event_type).items() if key not in ("$schema", "$id")}
            # The payload's time is the bus event's `time`, which EventBridge keeps in whole seconds.
            data, when = event.detail, event.occurred_at.replace(microsecond=0)
            description = (
                f"{data_schema['description']} `data` is the event's EventBridge `detail` "
                f"(JSON Schema `{load_schema(event_type)['$id']}`), for a webhook whose `events` hold `{event_type}` or `*`."
            )
        schemas[f"{name}Data"] = {**data_schema, "title": f"{name}Data"}
        schemas[f"{name}Message"] = {
            "title": f"{name}Message",
            "description": f"What a webhook receives for `{event_type}`: the Standard Webhooks envelope.",
            "type": "object",
            "required": ["type", "timestamp", "data", *(["test"] if event_type == TEST_EVENT_TYPE else [])],
            "additionalProperties": False,
            "properties": {
                "type": {"type": "string", "const": event_type, "description": "The event type."},
                "test": {
                    "type": "boolean",
                    "const": True,
                    "description": (
                        "Only on a test message (POST /webhooks/{id}/test): a sample, not a real event. "
                        "A real event's body has no `test` field."
                    ),
                },
                "timestamp": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When it happened (a test message: when it was sent), in UTC with `Z`.",
                },
                "data": {"$ref": f"#/components/schemas/{name}Data"},
            },
        }
        body = message_body(event_type, when, data, test=event_type == TEST_EVENT_TYPE)
        timestamp = int(when.timestamp())
        signature = sign(message_id=c.MESSAGE_ID_EXAMPLE, timestamp=timestamp, body=body, secrets=[c.SIGNING_SECRET_EXAMPLE])
        webhooks[event_type] = {
            "post": {
                "operationId": f"receive{name}",
                "tags": ["Event types"],
                "summary": f"{event_type} message",
                "description": description,
                "security": [],
                "parameters": _signature_headers(c.MESSAGE_ID_EXAMPLE, timestamp, signature),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{name}Message"},
                            "example": json.loads(body),
                        }
                    },
                },
                "responses": responses,
            }
        }
    document["webhooks"] = webhooks


OPENAPI_ROUTE = BASE_PATH + "/openapi.json"
SWAGGER_ROUTE = BASE_PATH + "/swagger"


def documentation(method: str, path: str) -> tuple[str, bytes] | None:
    """What the local runtime serves without authentication: the committed ``openapi.json`` and
    Swagger UI for it (self-contained: Powertools ships the Swagger UI bundle). (content type,
    body), or None for any other request."""
    if method not in ("GET", "HEAD"):
        return None
    if path == OPENAPI_ROUTE:
        return "application/json", DOCUMENT_PATH.read_bytes()
    if path == SWAGGER_ROUTE:
        from aws_lambda_powertools.event_handler.openapi.swagger_ui import html

        assets = Path(html.__file__).parent
        page = html.generate_swagger_html(
            spec=DOCUMENT_PATH.read_text(encoding="utf-8"),
            swagger_js=(assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
            swagger_css=(assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
            swagger_base_url="",
            oauth2_config=None,
        )
        return "text/html; charset=utf-8", page.encode("utf-8")
    return None


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write (or check) openapi.json from the code.")
    parser.add_argument("--check", action="store_true", help="exit 1 if openapi.json is not what the code generates")
    arguments = parser.parse_args(argv)
    text = render(build_document())
    if arguments.check:
        current = DOCUMENT_PATH.read_text(encoding="utf-8") if DOCUMENT_PATH.exists() else ""
        if current != text:
            print("openapi.json is out of date: run `make openapi`", file=sys.stderr)
            return 1
        print("openapi.json is current")
        return 0
    DOCUMENT_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOCUMENT_PATH.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
