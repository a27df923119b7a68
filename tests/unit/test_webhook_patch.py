"""The domain's webhook patch: what a JSON Merge Patch (and a PUT) changes about a webhook's fields."""

from __future__ import annotations

import pytest

from integration.domain.errors import InvalidFieldError
from integration.domain.patch import KEEP
from integration.domain.webhook_changes import WebhookPatch
from integration.domain.webhooks import FIELD_NAMES, WebhookFields, WebhookStatus

FIELDS = WebhookFields(
    name="orders", url="https://example.com/hooks", events=("WebhookCreated",), description="d", status=WebhookStatus.ACTIVE
)


def test_an_empty_patch_keeps_every_field() -> None:
    assert WebhookPatch().applied_to(FIELDS) == FIELDS
    assert WebhookPatch().complete() is None


def test_a_patch_sets_only_what_it_names() -> None:
    patched = WebhookPatch(name="renamed", events=("*",)).applied_to(FIELDS)

    assert patched == WebhookFields(
        name="renamed", url=FIELDS.url, events=("*",), description="d", status=WebhookStatus.ACTIVE
    )


def test_description_none_clears_it_and_keep_keeps_it() -> None:
    assert WebhookPatch(description=None).applied_to(FIELDS).description is None
    assert WebhookPatch(description=KEEP).applied_to(FIELDS).description == "d"


def test_a_put_is_the_patch_that_sets_every_field() -> None:
    replacement = WebhookFields(name="n", url="https://example.org/", events=("*",), description=None, status=WebhookStatus.DISABLED)
    patch = WebhookPatch.replacing(replacement)

    assert patch.complete() == replacement
    assert patch.applied_to(FIELDS) == replacement
    assert WebhookPatch(name="n").complete() is None


@pytest.mark.parametrize("field", [name for name in FIELD_NAMES if name != "description"])
def test_a_required_field_cannot_be_cleared(field: str) -> None:
    with pytest.raises(InvalidFieldError) as refused:
        WebhookPatch(**{field: None})

    assert refused.value.field == field
    assert refused.value.message.startswith(f"must not be null: {field} is required")


def test_every_cleared_required_field_is_named() -> None:
    with pytest.raises(InvalidFieldError) as refused:
        WebhookPatch(name=None, url=None, events=None, status=None)  # type: ignore[arg-type]

    assert [field for field, _ in refused.value.errors] == ["name", "url", "events", "status"]
