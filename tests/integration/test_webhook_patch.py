"""PATCH /webhooks/{id}: a JSON Merge Patch (RFC 7396) through the real handler on moto. What is
left out keeps its value, ``null`` clears the description and is refused for the required fields,
and the result is what a PUT of the merged webhook gives: the same rules, the same event, the
same ETags."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_runtime.gateway import Gateway
from local_runtime.template import Template
from tests.conftest import BASE, Api
from tests.integration.helpers import WEBHOOK_VIEW_FIELDS as VIEW_FIELDS
from tests.integration.helpers import assert_problem, create_key, create_webhook, items, outbox
from tests.integration.test_webhook_concurrency import before_write

MERGE_PATCH = {"content-type": "application/merge-patch+json"}
FIELDS = ("name", "url", "events", "description", "status")

Response = tuple[int, dict[str, str], Any]


def patch(api: Api, webhook_id: str, body: Any, *, headers: dict[str, str] | None = None, **kwargs: Any) -> Response:
    return api.call("PATCH", f"/webhooks/{webhook_id}", body=body, headers={**MERGE_PATCH, **(headers or {})}, **kwargs)


def get(api: Api, webhook_id: str) -> tuple[dict[str, Any], str]:
    status, headers, body = api.call("GET", f"/webhooks/{webhook_id}")
    assert status == 200, body
    return body, headers["etag"]


def settings_of(view: dict[str, Any]) -> dict[str, Any]:
    return {name: view[name] for name in FIELDS}


def error_fields(problem: dict[str, Any]) -> list[str]:
    return [error["field"] for error in problem.get("errors", [])]


# ------------------------------------------------------------------ merge semantics


def test_a_member_sent_is_set_and_every_other_keeps_its_value(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"], description="order events")

    status, headers, patched = patch(api, created["id"], {"name": "orders v2"})

    assert status == 200, patched
    assert set(patched) == VIEW_FIELDS
    assert headers["content-type"] == "application/json"
    assert headers["etag"] == '"2"'
    assert settings_of(patched) == {**settings_of(created), "name": "orders v2"}
    assert patched["created_at"] == created["created_at"] and patched["updated_at"] > created["updated_at"]
    assert get(api, created["id"]) == (patched, '"2"')
    (event,) = outbox(dynamodb, table_name, "WebhookUpdated")
    assert event["aggregate_id"] == created["id"]
    assert event["detail"]["changes"] == {"name": "orders v2"}
    assert created["secret"] not in str(patched)


def test_several_members_at_once_and_description_null_clears_it(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"], description="order events")

    status, _, patched = patch(
        api, created["id"], {"description": None, "events": ["WebhookCreated", "WebhookDeleted"], "status": "disabled"}
    )

    assert status == 200, patched
    assert patched["description"] is None
    assert (patched["events"], patched["status"], patched["name"], patched["url"]) == (
        ["WebhookCreated", "WebhookDeleted"],
        "disabled",
        created["name"],
        created["url"],
    )
    (event,) = outbox(dynamodb, table_name, "WebhookUpdated")
    assert event["detail"]["changes"] == {"description": None, "events": ["WebhookCreated", "WebhookDeleted"], "status": "disabled"}


def test_a_description_left_out_is_kept(api: Api) -> None:
    created = create_webhook(api, description="order events")

    assert patch(api, created["id"], {"url": "https://example.org/v2"})[2]["description"] == "order events"


@pytest.mark.parametrize("content_type", ["application/merge-patch+json", "application/json", "application/merge-patch+json; charset=utf-8"])
def test_merge_patch_and_plain_json_are_both_accepted(api: Api, content_type: str) -> None:
    created = create_webhook(api)

    status, _, patched = patch(api, created["id"], {"name": "renamed"}, headers={"content-type": content_type})

    assert (status, patched["name"]) == (200, "renamed")


def test_a_patch_sent_as_text_is_refused_with_415(api: Api) -> None:
    created = create_webhook(api)

    assert_problem(patch(api, created["id"], {"name": "renamed"}, headers={"content-type": "text/plain"}), 415)
    assert get(api, created["id"])[0]["name"] == created["name"]


def test_an_empty_patch_changes_nothing_writes_nothing_and_answers_the_current_view(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api)
    before = items(dynamodb, table_name)

    status, headers, body = patch(api, created["id"], {})

    assert (status, headers["etag"]) == (200, '"1"')
    assert body == get(api, created["id"])[0]
    assert items(dynamodb, table_name) == before
    assert outbox(dynamodb, table_name, "WebhookUpdated") == []


def test_a_patch_that_sets_the_values_already_there_changes_nothing(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, description="d")
    before = items(dynamodb, table_name)

    status, headers, body = patch(api, created["id"], {"name": f"  {created['name']}  ", "events": created["events"], "description": "d"})

    assert (status, headers["etag"]) == (200, '"1"')
    assert body["updated_at"] == created["updated_at"]
    assert items(dynamodb, table_name) == before


def test_fields_are_normalised_as_a_put_normalises_them(api: Api) -> None:
    created = create_webhook(api)

    patched = patch(api, created["id"], {"name": "  orders  ", "events": ["WebhookCreated", "WebhookCreated"], "description": "  "})[2]

    assert (patched["name"], patched["events"], patched["description"]) == ("orders", ["WebhookCreated"], None)


def test_status_active_re_enables_a_disabled_webhook_as_a_put_does(api: Api) -> None:
    created = create_webhook(api, status="disabled")

    patched = patch(api, created["id"], {"status": "active"})[2]

    assert (patched["status"], patched["disabled_reason"]) == ("active", None)


def test_put_stays_a_full_replace(api: Api) -> None:
    created = create_webhook(api, description="d")

    problem = assert_problem(api.call("PUT", f"/webhooks/{created['id']}", body={"name": "only the name"}), 422)

    assert {"url", "events", "status"} <= set(error_fields(problem))
    assert get(api, created["id"])[0]["name"] == created["name"]


# ------------------------------------------------------------------ the same as a PUT of the merged webhook


@pytest.mark.parametrize(
    "members",
    [
        {"name": "renamed"},
        {"url": "https://example.org/elsewhere", "description": None},
        {"events": ["*"], "status": "disabled"},
        {"name": "n", "url": "https://example.org/n", "events": ["WebhookDeleted"], "description": "all", "status": "disabled"},
    ],
    ids=["name", "url-and-description", "events-and-status", "everything"],
)
def test_a_patch_gives_what_a_put_of_the_merged_webhook_gives(api: Api, dynamodb: Any, table_name: str, members: dict[str, Any]) -> None:
    patched_one = create_webhook(api, description="order events")
    put_one = create_webhook(api, description="order events")
    merged = {**settings_of(put_one), **members}

    by_patch = patch(api, patched_one["id"], members)
    by_put = api.call("PUT", f"/webhooks/{put_one['id']}", body=merged)

    assert by_patch[0] == by_put[0] == 200
    assert by_patch[1]["etag"] == by_put[1]["etag"]
    assert settings_of(by_patch[2]) == settings_of(by_put[2])
    changes = {event["aggregate_id"]: event["detail"]["changes"] for event in outbox(dynamodb, table_name, "WebhookUpdated")}
    assert changes[patched_one["id"]] == changes[put_one["id"]]


@pytest.mark.parametrize(
    ("members", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "n" * 101}, "name"),
        ({"name": 5}, "name"),
        ({"url": "ftp://example.com/hooks"}, "url"),
        ({"url": "https://127.0.0.1/hooks"}, "url"),
        ({"url": "https://example.com/" + "a" * 2048}, "url"),
        ({"events": []}, "events"),
        ({"events": ["NoSuchEvent"]}, "events"),
        ({"events": "WebhookCreated"}, "events"),
        ({"events": [f"Event{n}" for n in range(51)]}, "events"),
        ({"description": "d" * 501}, "description"),
        ({"status": "paused"}, "status"),
    ],
)
def test_a_patch_breaking_a_rule_is_refused_as_a_put_of_it_would_be(
    api: Api, dynamodb: Any, table_name: str, members: dict[str, Any], field: str
) -> None:
    created = create_webhook(api)
    before = items(dynamodb, table_name)

    by_patch = assert_problem(patch(api, created["id"], members), 422)
    by_put = assert_problem(api.call("PUT", f"/webhooks/{created['id']}", body={**settings_of(created), **members}), 422)

    assert field in error_fields(by_patch)
    assert by_patch["errors"] == by_put["errors"]
    assert items(dynamodb, table_name) == before


@pytest.mark.parametrize("field", ["name", "url", "events", "status"])
def test_null_for_a_required_field_is_refused_naming_it_and_why(api: Api, dynamodb: Any, table_name: str, field: str) -> None:
    created = create_webhook(api)
    before = items(dynamodb, table_name)

    problem = assert_problem(patch(api, created["id"], {field: None, "name": "renamed"} if field != "name" else {field: None}), 422)

    (error,) = problem["errors"]
    assert error["field"] == field
    assert error["message"].startswith("must not be null")
    assert "required" in error["message"] and f"leave {field} out to keep" in error["message"]
    assert items(dynamodb, table_name) == before


def test_every_null_required_field_is_named_at_once(api: Api) -> None:
    created = create_webhook(api)

    problem = assert_problem(patch(api, created["id"], {"name": None, "url": None, "events": None, "status": None}), 422)

    assert error_fields(problem) == ["name", "url", "events", "status"]


@pytest.mark.parametrize("member", ["secret", "id", "tenant_id", "version", "failing_since", "created_at"])
def test_an_unknown_or_read_only_member_is_refused_as_a_put_refuses_it(api: Api, dynamodb: Any, table_name: str, member: str) -> None:
    created = create_webhook(api)
    before = items(dynamodb, table_name)

    problem = assert_problem(patch(api, created["id"], {member: "x"}), 422)

    assert error_fields(problem) == [member]
    assert problem["errors"][0]["type"] == "extra_forbidden"
    assert items(dynamodb, table_name) == before


@pytest.mark.parametrize(
    ("raw_body", "status"),
    [("[]", 422), ('["name"]', 422), ("null", 422), ('"name"', 422), ("5", 422), ('{"name": ', 400)],
    ids=["empty-array", "array", "null", "string", "number", "broken-json"],
)
def test_a_body_that_is_not_a_json_object_is_refused(api: Api, raw_body: str, status: int) -> None:
    created = create_webhook(api)

    assert_problem(api.call("PATCH", f"/webhooks/{created['id']}", raw_body=raw_body, headers=MERGE_PATCH), status)


@pytest.mark.parametrize("headers", [{}, MERGE_PATCH], ids=["json", "merge-patch"])
def test_a_patch_without_a_body_is_refused_naming_the_body(api: Api, headers: dict[str, str]) -> None:
    created = create_webhook(api)

    problem = assert_problem(api.call("PATCH", f"/webhooks/{created['id']}", headers=headers), 422)

    assert error_fields(problem) == ["body"]


# ------------------------------------------------------------------ If-Match, 404, scopes


def test_if_match_with_the_current_etag_applies_and_a_stale_one_answers_412(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api)

    status, headers, _ = patch(api, created["id"], {"name": "first"}, headers={"If-Match": '"1"'})
    assert (status, headers["etag"]) == (200, '"2"')

    before = items(dynamodb, table_name)
    problem = assert_problem(patch(api, created["id"], {"name": "second"}, headers={"If-Match": '"1"'}), 412)
    assert "changed" in problem["detail"]
    assert items(dynamodb, table_name) == before
    assert get(api, created["id"])[0]["name"] == "first"
    assert len(outbox(dynamodb, table_name, "WebhookUpdated")) == 1


@pytest.mark.parametrize(("if_match", "applies"), [("*", True), ('"7", "1"', True), ('W/"1"', False), ("1", False)])
def test_if_match_is_read_as_for_put(api: Api, if_match: str, applies: bool) -> None:
    created = create_webhook(api)

    status = patch(api, created["id"], {"name": "renamed"}, headers={"If-Match": if_match})[0]

    assert status == (200 if applies else 412)


def test_an_empty_patch_with_a_stale_etag_answers_412(api: Api) -> None:
    created = create_webhook(api)
    patch(api, created["id"], {"name": "renamed"})

    assert_problem(patch(api, created["id"], {}, headers={"If-Match": '"1"'}), 412)


def test_a_missing_or_another_tenants_webhook_answers_404(api: Api) -> None:
    theirs = create_webhook(api, tenant="tenant-b")

    assert_problem(patch(api, theirs["id"], {"name": "stolen"}), 404)
    assert_problem(patch(api, "wh_01M8JVWR7Q2BQDDWVMMXSCGK4F", {"name": "x"}), 404)
    assert_problem(patch(api, "not-an-id", {"name": "x"}), 404)
    assert api.call("GET", f"/webhooks/{theirs['id']}", tenant="tenant-b")[2]["name"] == theirs["name"]


def test_a_deleted_webhook_answers_404(api: Api) -> None:
    created = create_webhook(api)
    assert api.call("DELETE", f"/webhooks/{created['id']}")[0] == 204

    assert_problem(patch(api, created["id"], {"name": "back"}), 404)


def test_patch_needs_webhooks_write(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api)
    before = items(dynamodb, table_name)

    assert_problem(patch(api, created["id"], {"name": "x"}, scopes="webhooks:read"), 403)
    assert items(dynamodb, table_name) == before


# ------------------------------------------------------------------ concurrency


def test_a_patch_racing_another_write_is_merged_into_it_and_loses_nothing(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, description="d")

    def another_put() -> None:
        assert api.call("PUT", f"/webhooks/{created['id']}", body={**settings_of(created), "url": "https://example.org/moved"})[0] == 200

    with before_write("TransactWriteItems", another_put) as fired:
        status, headers, patched = patch(api, created["id"], {"name": "renamed"})

    assert fired == [0]
    assert (status, headers["etag"]) == (200, '"3"')
    assert (patched["name"], patched["url"], patched["description"]) == ("renamed", "https://example.org/moved", "d")
    changes = [event["detail"]["changes"] for event in outbox(dynamodb, table_name, "WebhookUpdated")]
    assert sorted(changes, key=str) == sorted([{"url": "https://example.org/moved"}, {"name": "renamed"}], key=str)


def test_a_patch_with_if_match_racing_another_write_answers_412(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api)

    def another_patch() -> None:
        assert patch(api, created["id"], {"url": "https://example.org/moved"})[0] == 200

    with before_write("TransactWriteItems", another_patch):
        assert_problem(patch(api, created["id"], {"name": "renamed"}, headers={"If-Match": '"1"'}), 412)

    assert get(api, created["id"])[0]["name"] == created["name"]
    assert len(outbox(dynamodb, table_name, "WebhookUpdated")) == 1


# ------------------------------------------------------------------ the local runtime


def test_the_local_runtime_routes_patch_through_the_authorizer(api: Api, template: Template) -> None:
    key = create_key(api, scopes=("webhooks:read", "webhooks:write"))["key"]
    created = create_webhook(api, description="d")
    headers = [("authorization", f"Bearer {key}"), ("content-type", "application/merge-patch+json"), ("if-match", '"1"')]

    response = Gateway(template).handle("PATCH", f"{BASE}/webhooks/{created['id']}", "", headers, b'{"description": null}')

    assert (response.status, response.function, response.headers["etag"]) == (200, "PatchWebhookFunction", '"2"')
    assert json.loads(response.body)["description"] is None
