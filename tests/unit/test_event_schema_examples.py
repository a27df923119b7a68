"""Every service event schema carries one realistic example (``examples[0]``), valid against
the schema itself: it is what GET /event-types shows and what POST /webhooks/{id}/test sends."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from integration.domain.event_types import SERVICE_EVENT_TYPES
from integration.event_schemas import load_schema


@pytest.mark.parametrize("event_type", SERVICE_EVENT_TYPES)
def test_each_schema_has_one_example_and_it_validates_against_the_schema(event_type: str) -> None:
    schema = load_schema(event_type)
    assert isinstance(schema.get("examples"), list) and len(schema["examples"]) == 1
    (example,) = schema["examples"]
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert [error.message for error in validator.iter_errors(example)] == []
    assert example["tenantId"] and example["version"] == 1
    assert set(example) == set(schema["required"])  # every field shown, none invented


def test_examples_hold_no_secret() -> None:
    text = str([load_schema(event_type)["examples"] for event_type in SERVICE_EVENT_TYPES])
    for secret_looking in ("whsec_", "intk_", "secret", "hash"):
        assert secret_looking not in text
