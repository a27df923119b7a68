"""GET /webhooks pagination: newest first, every live webhook exactly once, full pages even with
soft-deleted webhooks in between, cursors bound to their listing."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import pytest

from integration import wiring
from tests.conftest import Api
from tests.integration.helpers import create_webhook

PROBLEM = "application/problem+json"
BODY: dict[str, Any] = {"url": "https://example.com/hook", "events": ["*"]}
COUNT = 25


@dataclass
class Population:
    """The tenant's webhooks in creation order, and what happened to each."""

    created: list[str] = field(default_factory=list)
    deleted: set[str] = field(default_factory=set)
    status: dict[str, str] = field(default_factory=dict)

    def expected(self, status: str | None = None) -> list[str]:
        """The live webhooks (of ``status``), newest first."""
        return [
            webhook_id
            for webhook_id in reversed(self.created)
            if webhook_id not in self.deleted and status in (None, self.status[webhook_id])
        ]


def delete(api: Api, webhook_id: str) -> None:
    code, _, body = api.call("DELETE", f"/webhooks/{webhook_id}")
    assert code == 204, body


def disable(api: Api, webhook: dict[str, Any]) -> None:
    body = {name: webhook[name] for name in ("name", "url", "events", "description")} | {"status": "disabled"}
    code, _, answer = api.call("PUT", f"/webhooks/{webhook['id']}", body=body)
    assert code == 200, answer


def page(api: Api, *, limit: int, status: str | None = None, cursor: str | None = None, tenant: str = "tenant-a") -> Any:
    parameters: dict[str, Any] = {"limit": limit}
    if status is not None:
        parameters["status"] = status
    if cursor is not None:
        parameters["cursor"] = cursor
    return api.call("GET", "/webhooks", tenant=tenant, query=urlencode(parameters))


def walk(api: Api, *, limit: int, status: str | None = None) -> list[list[dict[str, Any]]]:
    """Every page, following next_cursor; checks each page's size and the last page's null cursor."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        code, _, body = page(api, limit=limit, status=status, cursor=cursor)
        assert code == 200, body
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert len(body["items"]) == limit, f"page {len(pages)} has {len(body['items'])} items but a next_cursor"
        assert len(pages) <= COUNT + 1, "pagination does not end"
    last = pages[-1]
    assert len(last) <= limit
    assert last or len(pages) == 1, "the last page is empty although an earlier page promised more"
    return pages


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    code, headers, body = response
    assert code == status, body
    assert headers["content-type"] == PROBLEM
    assert body["status"] == status and body["title"] == HTTPStatus(status).phrase
    return body


@pytest.fixture
def population(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> Population:
    """25 webhooks; every third deleted; some of the rest disabled (at creation or by PUT)."""
    monkeypatch.setenv("MAX_WEBHOOKS_PER_TENANT", "100")
    wiring.reset()
    result = Population()
    webhooks = []
    for n in range(COUNT):
        status = "disabled" if n % 8 == 0 else "active"
        webhook = create_webhook(api, name=f"hook {n:02}", status=status)
        webhooks.append(webhook)
        result.created.append(webhook["id"])
        result.status[webhook["id"]] = status
    for n, webhook in enumerate(webhooks):
        if n % 3 == 2:
            delete(api, webhook["id"])
            result.deleted.add(webhook["id"])
        elif n % 8 == 5:
            disable(api, webhook)
            result.status[webhook["id"]] = "disabled"
    # a few deleted webhooks of each status, and live ones of each status, so no listing is trivial
    assert {result.status[w] for w in result.deleted} == {"active", "disabled"}
    assert len(result.expected("disabled")) >= 3 and len(result.expected("active")) >= 9
    return result


@pytest.mark.parametrize("status", [None, "active", "disabled"], ids=["unfiltered", "active", "disabled"])
def test_a_walk_yields_every_live_webhook_once_newest_first(api: Api, population: Population, status: str | None) -> None:
    expected = population.expected(status)

    for limit in (4, 1, 7, 100):
        pages = walk(api, limit=limit, status=status)
        listed = [webhook["id"] for items in pages for webhook in items]

        assert listed == expected, f"limit={limit}"
        assert not set(listed) & population.deleted, f"limit={limit}"
        assert len(listed) == len(set(listed)), f"limit={limit}"
        # deleted webhooks never eat a page: exactly as many pages as the live ones fill
        assert len(pages) == max(1, -(-len(expected) // limit)), f"limit={limit}"
        if status is not None:
            assert {webhook["status"] for items in pages for webhook in items} == {status}, f"limit={limit}"


def test_newest_first_matches_created_at_and_the_first_page_is_the_four_newest(api: Api, population: Population) -> None:
    code, _, first = page(api, limit=4)
    listed = [webhook for items in walk(api, limit=4) for webhook in items]

    assert code == 200
    assert [webhook["id"] for webhook in first["items"]] == population.expected()[:4]
    assert first["next_cursor"]
    created_at = [webhook["created_at"] for webhook in listed]
    assert created_at == sorted(created_at, reverse=True)


def test_an_exact_multiple_of_the_limit_ends_without_an_empty_page(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_WEBHOOKS_PER_TENANT", "100")
    wiring.reset()
    created = [create_webhook(api, name=f"hook {n}")["id"] for n in range(8)]

    pages = walk(api, limit=4)

    assert [len(items) for items in pages] == [4, 4]
    assert [webhook["id"] for items in pages for webhook in items] == created[::-1]


def test_an_empty_listing_is_one_empty_page(api: Api) -> None:
    for status in (None, "active", "disabled"):
        code, _, body = page(api, limit=4, status=status)
        assert code == 200
        assert body == {"items": [], "next_cursor": None}


# ------------------------------------------------------------------ changes while walking


def test_deleting_the_cursors_webhook_between_pages_skips_and_repeats_nothing(api: Api) -> None:
    created = [create_webhook(api, name=f"hook {n}")["id"] for n in range(9)]
    code, _, first = page(api, limit=4)
    assert code == 200
    delete(api, first["items"][-1]["id"])  # the webhook the cursor resumes after

    code, _, second = page(api, limit=4, cursor=first["next_cursor"])

    assert code == 200
    assert [webhook["id"] for webhook in second["items"]] == created[::-1][4:8]


def test_disabling_the_cursors_webhook_between_pages_skips_and_repeats_nothing(api: Api) -> None:
    webhooks = [create_webhook(api, name=f"hook {n}") for n in range(9)]
    code, _, first = page(api, limit=4, status="active")
    assert code == 200
    anchor = next(webhook for webhook in webhooks if webhook["id"] == first["items"][-1]["id"])
    disable(api, anchor)  # the cursor's webhook leaves the active index

    code, _, second = page(api, limit=4, status="active", cursor=first["next_cursor"])

    assert code == 200
    assert [webhook["id"] for webhook in second["items"]] == [webhook["id"] for webhook in webhooks[::-1][4:8]]


def test_a_webhook_created_while_walking_does_not_disturb_the_walk(api: Api) -> None:
    created = [create_webhook(api, name=f"hook {n}")["id"] for n in range(6)]
    code, _, first = page(api, limit=3)
    assert code == 200
    newer = create_webhook(api, name="newer")["id"]

    code, _, second = page(api, limit=3, cursor=first["next_cursor"])

    assert code == 200
    listed = [w["id"] for w in first["items"]] + [w["id"] for w in second["items"]]
    assert listed == created[::-1]
    assert second["next_cursor"] is None
    assert newer not in listed


# ------------------------------------------------------------------ cursors belong to their listing


@pytest.mark.parametrize(
    ("issued_for", "used_for"),
    [
        pytest.param(None, "active", id="unfiltered-used-with-active"),
        pytest.param(None, "disabled", id="unfiltered-used-with-disabled"),
        pytest.param("active", None, id="active-used-unfiltered"),
        pytest.param("active", "disabled", id="active-used-with-disabled"),
        pytest.param("disabled", "active", id="disabled-used-with-active"),
    ],
)
def test_a_cursor_only_works_for_the_listing_it_came_from(api: Api, issued_for: str | None, used_for: str | None) -> None:
    for n in range(3):
        create_webhook(api, name=f"active {n}")
        create_webhook(api, name=f"disabled {n}", status="disabled")
    code, _, first = page(api, limit=1, status=issued_for)
    assert code == 200 and first["next_cursor"]

    problem = assert_problem(page(api, limit=1, status=used_for, cursor=first["next_cursor"]), 422)

    assert [error["field"] for error in problem["errors"]] == ["cursor"]


def test_a_cursor_keeps_working_with_another_limit(api: Api) -> None:
    created = [create_webhook(api, name=f"hook {n}")["id"] for n in range(6)]
    code, _, first = page(api, limit=2)
    assert code == 200

    code, _, rest = page(api, limit=10, cursor=first["next_cursor"])

    assert code == 200
    assert [webhook["id"] for webhook in rest["items"]] == created[::-1][2:]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("not-a-cursor", id="garbage"),
        pytest.param("eyJrIjoiQVBJS0VZI2tleV8wMSIsInQiOiIwIiwibCI6IiJ9", id="foreign-shape"),
        pytest.param("e30", id="empty-json-object"),
        pytest.param("%%%", id="not-base64"),
    ],
)
def test_a_forged_cursor_is_422_on_cursor(api: Api, cursor: str) -> None:
    create_webhook(api, name="hook")

    problem = assert_problem(page(api, limit=1, cursor=cursor), 422)

    assert [error["field"] for error in problem["errors"]] == ["cursor"]
