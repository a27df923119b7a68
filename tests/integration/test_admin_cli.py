"""``integration-admin`` against the table on moto: ``create-key`` (the tenant id rule, what the
key records about who made it), and the operator's commands: each goes through the API's use
case and records its event, stays within the tenant it names, and never prints a secret."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from integration import wiring
from integration.domain import key_format
from integration.domain.principal import TENANT_ID_RULE
from integration.entrypoints import admin
from integration.entrypoints.admin import main
from integration.event_schemas import load_schema
from tests.conftest import Api
from tests.integration.helpers import VIEW_FIELDS, WEBHOOK_VIEW_FIELDS, create_webhook, items, outbox
from tests.integration.helpers import create_key as api_create_key


def create_key(tenant: str) -> list[str]:
    return ["create-key", f"--tenant={tenant}", "--name", "bootstrap", "--scope", "api-keys:read"]


@pytest.mark.parametrize(
    "tenant",
    [
        pytest.param("", id="empty"),
        pytest.param("acme#APIKEY", id="hash-sign"),
        pytest.param("acme corp", id="space"),
        pytest.param("acme/eu", id="slash"),
        pytest.param("-acme", id="leading-dash"),
        pytest.param("a" * 129, id="129-characters"),
        pytest.param("ａｃｍｅ", id="fullwidth-letters"),
    ],
)
def test_a_tenant_id_outside_the_rule_is_refused_naming_the_rule_and_writes_nothing(
    aws: Any, dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str], tenant: str
) -> None:
    assert main(create_key(tenant)) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == f"integration-admin: tenant: is not a valid tenant id ({TENANT_ID_RULE})"
    assert items(dynamodb, table_name) == []


@pytest.mark.parametrize(
    "tenant", ["a", "a" * 128, "acme-eu.prod_1:team@x", "7"], ids=["1-character", "128-characters", "every-allowed-sign", "digit"]
)
def test_a_tenant_id_within_the_rule_gets_a_key_recorded_as_made_by_the_operator(
    aws: Any, dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str], tenant: str
) -> None:
    assert main(create_key(tenant)) == 0

    out, _ = capsys.readouterr()
    assert out.startswith("intk_") and len(out.splitlines()) == 1
    (key,) = [item for item in items(dynamodb, table_name) if item.get("entity") == "ApiKey"]
    assert key["tenant_id"] == tenant and key["created_by"] == "operator"
    (event,) = outbox(dynamodb, table_name, "ApiKeyCreated")
    assert event["detail"]["createdBy"] == "operator"


# ------------------------------------------------------------------ the operator's commands


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``main(argv)``: its exit code, and what it printed (not what the API calls before it did)."""
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def refused(api: Api, key: str) -> bool:
    try:
        api.authorize({"authorization": f"Bearer {key}"})
    except Exception as error:  # noqa: BLE001 - the authorizer's Unauthorized
        return str(error) == "Unauthorized"
    return False


def test_list_keys_pages_through_every_key_newest_first_active_only_unless_all(
    api: Api, dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "MAX_PAGE_SIZE", 2)  # three pages for five keys
    made = [api_create_key(api, name=f"key {n}", scopes=("api-keys:read", "webhooks:read")) for n in range(4)]
    api_create_key(api, tenant="tenant-b", name="theirs")
    assert api.call("POST", f"/api-keys/{made[1]['id']}/revoke")[0] == 200
    assert main(["create-key", "--tenant", "tenant-a", "--name", "by operator", "--scope", "webhooks:read"]) == 0

    code, out, err = run(capsys, "list-keys", "--tenant", "tenant-a", "--json")
    assert code == 0 and err == ""
    listed = json.loads(out)
    assert [key["name"] for key in listed] == ["by operator", "key 3", "key 2", "key 0"]
    assert set(listed[0]) == VIEW_FIELDS  # what GET /api-keys shows, never the hash
    assert listed[0]["created_by"] == "operator" and listed[1]["created_by"] == "key_test"
    assert listed[1]["scopes"] == ["webhooks:read", "api-keys:read"] and listed[1]["status"] == "active"

    code, out, _ = run(capsys, "list-keys", "--tenant", "tenant-a", "--all", "--json")
    every = json.loads(out)
    assert [key["id"] for key in every[1:]] == [key["id"] for key in reversed(made)]
    assert every[3]["status"] == "revoked" and every[3]["revoked_at"]

    code, out, _ = run(capsys, "list-keys", "--tenant", "tenant-a", "--all")
    header, *lines = out.splitlines()
    assert code == 0 and header.split("\t")[:3] == ["id", "name", "status"] and len(lines) == 5
    assert lines[1].split("\t")[:4] == [made[3]["id"], "key 3", "active", "webhooks:read,api-keys:read"]
    stored = [item for item in items(dynamodb, table_name) if item.get("entity") == "ApiKey"]
    for secret in [key["key"] for key in made] + [item["key_hash"] for item in stored]:
        assert secret not in out

    assert run(capsys, "list-keys", "--tenant", "nobody") == (0, "", "")


def test_revoke_key_revokes_as_the_api_does_and_is_harmless_to_repeat(
    api: Api, dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    created = api_create_key(api)

    assert run(capsys, "revoke-key", "--tenant", "tenant-a", "--id", created["id"]) == (
        0,
        f"tenant tenant-a key {created['id']} revoked\n",
        "",
    )
    assert refused(api, created["key"])
    (event,) = outbox(dynamodb, table_name, "ApiKeyRevoked")
    assert event["detail"]["apiKeyId"] == created["id"] and event["detail"]["tenantId"] == "tenant-a"
    assert event["detail"]["reason"] == "operator"
    Draft202012Validator(load_schema("ApiKeyRevoked")).validate(event["detail"])  # consumers may rely on the schema
    (stored,) = [item for item in items(dynamodb, table_name) if item.get("entity") == "ApiKey"]
    assert stored["revoked_reason"] == "operator"

    code, out, _ = run(capsys, "revoke-key", "--tenant", "tenant-a", "--id", created["id"])
    assert (code, out) == (0, f"tenant tenant-a key {created['id']} already revoked\n")
    assert len(outbox(dynamodb, table_name, "ApiKeyRevoked")) == 1


def test_revoke_key_with_another_tenants_key_id_is_not_found_and_changes_nothing(
    api: Api, dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    theirs = api_create_key(api, tenant="tenant-b")
    before = items(dynamodb, table_name)

    code, out, err = run(capsys, "revoke-key", "--tenant", "tenant-a", "--id", theirs["id"])

    assert (code, out) == (1, "") and theirs["id"] in err and "not found" in err
    assert items(dynamodb, table_name) == before
    assert not refused(api, theirs["key"])
    assert run(capsys, "revoke-key", "--tenant", "acme corp", "--id", theirs["id"])[0] == 2


def test_list_webhooks_never_shows_a_secret_and_filters_by_status(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    orders = create_webhook(api, name="orders")
    invoices = create_webhook(api, "https://example.com/hooks/invoices", name="invoices", events=["WebhookCreated"])
    create_webhook(api, tenant="tenant-b", name="theirs")
    assert api.call("PATCH", f"/webhooks/{orders['id']}", body={"status": "disabled"})[0] == 200

    code, out, _ = run(capsys, "list-webhooks", "--tenant", "tenant-a", "--json")
    listed = {webhook["name"]: webhook for webhook in json.loads(out)}
    assert code == 0 and set(listed) == {"orders", "invoices"}
    assert listed["invoices"]["events"] == ["WebhookCreated"] and listed["orders"]["status"] == "disabled"
    assert set(listed["orders"]) == WEBHOOK_VIEW_FIELDS  # what GET /webhooks shows, never the secret

    code, out, _ = run(capsys, "list-webhooks", "--tenant", "tenant-a", "--status", "active")
    header, line = out.splitlines()
    assert header.split("\t")[:3] == ["id", "name", "status"]
    assert line.split("\t")[:5] == [invoices["id"], "invoices", "active", invoices["url"], "WebhookCreated"]
    code, out, _ = run(capsys, "list-webhooks", "--tenant", "tenant-a")
    assert orders["secret"] not in out and invoices["secret"] not in out and len(out.splitlines()) == 3


def test_disable_webhook_records_webhook_updated_as_a_patch_would_and_is_harmless_to_repeat(
    api: Api, dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    webhook = create_webhook(api)

    assert run(capsys, "disable-webhook", "--tenant", "tenant-a", "--id", webhook["id"]) == (
        0,
        f"tenant tenant-a webhook {webhook['id']} disabled\n",
        "",
    )
    assert api.call("GET", f"/webhooks/{webhook['id']}")[2]["status"] == "disabled"
    (event,) = outbox(dynamodb, table_name, "WebhookUpdated")
    assert event["detail"]["changes"] == {"status": "disabled"} and event["detail"]["webhookId"] == webhook["id"]

    code, out, _ = run(capsys, "disable-webhook", "--tenant", "tenant-a", "--id", webhook["id"])
    assert (code, out) == (0, f"tenant tenant-a webhook {webhook['id']} already disabled\n")
    assert len(outbox(dynamodb, table_name, "WebhookUpdated")) == 1


def test_disable_webhook_of_another_tenant_is_not_found_and_changes_nothing(
    api: Api, dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    theirs = create_webhook(api, tenant="tenant-b")
    before = items(dynamodb, table_name)

    code, out, err = run(capsys, "disable-webhook", "--tenant", "tenant-a", "--id", theirs["id"])

    assert (code, out) == (1, "") and "not found" in err
    assert items(dynamodb, table_name) == before


def test_revoke_leaked_from_stdin_revokes_the_key_wherever_its_tenant_and_never_prints_it(
    api: Api, dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    leaked = api_create_key(api, tenant="tenant-b")
    kept = api_create_key(api, tenant="tenant-b", name="kept")
    monkeypatch.setattr("sys.stdin", io.StringIO(leaked["key"] + "\n"))

    code, out, err = run(capsys, "revoke-leaked", "-")

    assert (code, out, err) == (0, f"tenant tenant-b key {leaked['id']} revoked (leaked)\n", "")
    assert refused(api, leaked["key"]) and not refused(api, kept["key"])
    (event,) = outbox(dynamodb, table_name, "ApiKeyRevoked")
    assert event["detail"]["apiKeyId"] == leaked["id"] and event["detail"]["tenantId"] == "tenant-b"
    assert event["detail"]["reason"] == "leaked"
    stored = {item["id"]: item for item in items(dynamodb, table_name) if item.get("entity") == "ApiKey"}
    assert stored[leaked["id"]]["revoked_reason"] == "leaked"

    # Reported again (the argument form): already revoked, nothing more recorded.
    code, out, err = run(capsys, "revoke-leaked", leaked["key"])
    assert (code, out, err) == (0, f"tenant tenant-b key {leaked['id']} already revoked\n", "")
    assert len(outbox(dynamodb, table_name, "ApiKeyRevoked")) == 1


def test_revoke_leaked_with_a_wrong_checksum_exits_2_and_changes_nothing(
    api: Api, dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    created = api_create_key(api)
    last = created["key"][-1]
    mistyped = created["key"][:-1] + ("A" if last != "A" else "B")
    before = items(dynamodb, table_name)
    monkeypatch.setattr("sys.stdin", io.StringIO(mistyped))

    code, out, err = run(capsys, "revoke-leaked", "-")

    assert (code, out) == (2, "") and err.startswith("integration-admin: key") and "nothing changed" in err
    assert mistyped not in err and created["key"] not in err
    assert items(dynamodb, table_name) == before
    assert not refused(api, created["key"])


@pytest.mark.parametrize("given", ["-", "argument"])
def test_revoke_leaked_with_an_unknown_key_exits_1_saying_no_such_key(
    aws: Any, dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    unknown = key_format.generate_key()
    monkeypatch.setattr("sys.stdin", io.StringIO(unknown))

    code, out, err = run(capsys, "revoke-leaked", unknown if given == "argument" else "-")

    assert (code, out, err) == (1, "", "integration-admin: no such key (nothing changed)\n")
    assert items(dynamodb, table_name) == []


def test_revoke_leaked_with_nothing_on_stdin_is_a_usage_error(
    aws: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert run(capsys, "revoke-leaked", "-") == (2, "", "integration-admin: no key on stdin\n")


def test_create_key_grants_the_deployments_platform_scopes_too(
    aws: Any, dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORM_SCOPES", "orders:read")
    wiring.reset()

    code, _, err = run(capsys, "create-key", "--tenant", "tenant-a", "--name", "orders", "--scope", "orders:read")

    assert code == 0 and err.strip().endswith("with scopes orders:read")
    (key,) = [item for item in items(dynamodb, table_name) if item.get("entity") == "ApiKey"]
    assert list(key["scopes"]) == ["orders:read"]
    with pytest.raises(SystemExit) as refused:  # not a scope here: argparse refuses it
        main(["create-key", "--tenant", "tenant-a", "--name", "x", "--scope", "invoices:read"])
    assert refused.value.code == 2 and "invalid choice: 'invoices:read'" in capsys.readouterr().err
