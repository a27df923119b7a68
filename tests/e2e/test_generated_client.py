"""openapi.json generates a good client: ``openapi-python-client`` turns it into a typed Python
package without one warning, and that package, imported as it is, drives a real flow over the
local runtime (make run): create an API key, create a webhook with it, list webhooks, send a
test message, list the webhook's deliveries, and read the message the receiver got with the
client's own model of it (the document's ``webhooks`` section).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from local_runtime.openapi import DOCUMENT_PATH
from tests.e2e.runtime import LocalRuntime, admin_create_key, remember_secrets, wait_until
from tests.webhook_receiver import Receiver, running_receiver

pytestmark = pytest.mark.e2e

PACKAGE = "integration_client"
ALL_SCOPES = ("webhooks:read", "webhooks:write", "api-keys:read", "api-keys:write")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The client generated from the committed openapi.json, importable as ``integration_client``."""
    root = tmp_path_factory.mktemp("generated-client")
    config = root / "config.yaml"
    config.write_text("post_hooks: []\n")  # no ruff formatting of the generated code: it is only imported
    command = [
        str(Path(sys.executable).parent / "openapi-python-client"),
        "generate",
        "--path",
        str(DOCUMENT_PATH),
        "--output-path",
        str(root / PACKAGE),
        "--meta",
        "none",
        "--config",
        str(config),
        "--fail-on-warning",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "warning" not in output.lower(), output  # a warning is a fault of the document
    sys.path.insert(0, str(root))
    try:
        yield PACKAGE
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def api(name: str) -> Any:
    """An operation's module, e.g. ``api("webhooks.create_webhook")``."""
    return module(f"api.{name}")


def model(name: str) -> Any:
    return getattr(module("models"), name)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def test_a_generated_client_creates_a_key_and_a_webhook_and_reads_its_deliveries(
    generated: str, local_runtime: LocalRuntime, receiver: Receiver
) -> None:
    client_module = module("client")
    bootstrap = admin_create_key(local_runtime, "generated-client", *ALL_SCOPES)  # a tenant of its own
    admin = client_module.AuthenticatedClient(base_url=local_runtime.api_url, token=bootstrap, httpx_args={"trust_env": False})

    # An API key, created with the generated function and typed request body.
    # Scopes are strings: which ones a deployment knows is its own (GET /scopes), not the document's.
    created_key = api("api_keys.create_api_key").sync_detailed(
        client=admin,
        body=model("CreateApiKeyRequest")(name="generated client", scopes=["webhooks:read", "webhooks:write"]),
    )
    assert created_key.status_code == 201, created_key.content
    key = created_key.parsed
    remember_secrets(key.key)
    assert isinstance(key, model("CreatedApiKeyView"))
    assert key.key.startswith("intk_") and key.status == model("ApiKeyStatus").ACTIVE
    assert key.scopes == ["webhooks:read", "webhooks:write"]
    assert isinstance(api("api_keys.get_api_key").sync(client=admin, api_key_id=key.id), model("ApiKeyView"))

    # With that key: a webhook, then the list of webhooks.
    client = client_module.AuthenticatedClient(base_url=local_runtime.api_url, token=key.key, httpx_args={"trust_env": False})
    created = api("webhooks.create_webhook").sync_detailed(
        client=client,
        body=model("CreateWebhookRequest")(name="generated client", url=receiver.url, events=["WebhookDeleted"]),
        idempotency_key="generated-client-create-webhook-1",
    )
    assert created.status_code == 201, created.content
    webhook = created.parsed
    remember_secrets(webhook.secret)
    assert isinstance(webhook, model("CreatedWebhookView"))
    assert webhook.secret.startswith("whsec_") and webhook.status == model("WebhookStatus").ACTIVE
    assert created.headers["location"].endswith(f"/webhooks/{webhook.id}")

    page = api("webhooks.list_webhooks").sync(client=client)
    assert isinstance(page, model("WebhookPageView"))
    assert [item.id for item in page.items] == [webhook.id] and page.next_cursor is None

    # A partial update (PATCH, a JSON Merge Patch): only the member sent changes.
    patched = api("webhooks.update_webhook").sync_detailed(
        client=client, webhook_id=webhook.id, body=model("PatchWebhookRequest")(description="patched by a generated client")
    )
    assert patched.status_code == 200, patched.content
    assert (patched.parsed.description, patched.parsed.name) == ("patched by a generated client", "generated client")

    # A test message: 202 with the delivery, then in the webhook's delivery log.
    sent = api("webhooks.send_test_webhook").sync_detailed(client=client, webhook_id=webhook.id)
    assert sent.status_code == 202, sent.content
    delivery = sent.parsed
    assert isinstance(delivery, model("DeliveryView")) and delivery.event_type == "webhook.test"

    deliveries = api("deliveries.list_webhook_deliveries").sync(client=client, webhook_id=webhook.id)
    assert isinstance(deliveries, model("DeliveryPageView"))
    assert delivery.id in [item.id for item in deliveries.items]

    # The receiver gets it, signed; the client's model of the message reads it.
    (request,) = receiver.wait_for(1, timeout=15)
    request.verify(webhook.secret)
    message = model("WebhookTestMessage").from_dict(request.json())
    assert (message.type_, message.data.webhook_id) == ("webhook.test", webhook.id)
    assert request.headers["webhook-id"] == delivery.id

    succeeded = model("DeliveryStatus").SUCCEEDED
    read = api("deliveries.get_webhook_delivery")
    done = wait_until(
        lambda: (found := read.sync(client=client, webhook_id=webhook.id, delivery_id=delivery.id)).status == succeeded and found,
        timeout=15,
        what="a succeeded delivery",
    )
    assert [attempt.status_code for attempt in done.attempts] == [200]

    # Errors are typed too: an unknown webhook is a 404 Problem.
    missing = api("webhooks.get_webhook").sync_detailed(client=client, webhook_id="wh_00000000000000000000000000")
    assert missing.status_code == 404 and isinstance(missing.parsed, model("Problem"))
    assert api("webhooks.delete_webhook").sync_detailed(client=client, webhook_id=webhook.id).status_code == 204
