"""The constraints (and example values) the OpenAPI document gives request fields, ids and
payloads, each mirroring one domain rule exactly.

Exactly, both ways: every value the domain accepts matches (the document never refuses what the
API accepts: that would be a contract bug), and a value that does not match is one the domain
refuses, so a client or a fuzzer that generates from the document sends mostly valid data.
tests/unit/test_schema_constraints.py holds each pattern against the rule it mirrors.

The domain strips names, URLs and event types (Python's ``str.strip``) before checking them, so
the patterns allow that whitespace around them: :data:`WHITESPACE` is exactly what
``str.isspace`` (and so ``str.strip``) takes. Patterns are written for JSON Schema (ECMA-262),
pydantic (Rust regex) and Python ``re`` alike: ``\\xNN`` and ``\\uNNNN`` escapes, no lookaround.

Documented, and checked by the domain: the types below put a pattern in the document only. The
request is then refused by the domain's own check, with its own message ("must be an absolute
https:// URL", "unknown event type(s): ..."), rather than by pydantic quoting a regular
expression; the tests prove that whatever the pattern refuses, the domain refuses.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from integration.domain.event_types import EVENT_TYPE_PATTERN, SERVICE_EVENT_TYPES, WILDCARD
from integration.domain.scopes import SCOPE_NAME_PATTERN

WHITESPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""The body of a character class: exactly the characters ``str.isspace`` is true for."""

CONTROL_OR_WHITESPACE = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""The body of a character class: control characters (Unicode category Cc: U+0000-U+001F and
U+007F-U+009F) and :data:`WHITESPACE`, which :class:`~integration.domain.url_policy.UrlPolicy`
refuses anywhere in a URL."""

NOT_BLANK_PATTERN = rf"[^{WHITESPACE}]"
"""Unanchored: holds a character that is not whitespace (a name must not be blank once stripped)."""

WEBHOOK_URL_PATTERN = (
    rf"^[{WHITESPACE}]*[Hh][Tt][Tt][Pp][Ss]?://[^/?#@{CONTROL_OR_WHITESPACE}]+"
    rf"([/?#][^{CONTROL_OR_WHITESPACE}]*)?[{WHITESPACE}]*$"
)
"""An absolute http(s) URL with a host and no credentials, control characters or whitespace
(around it, whitespace is stripped). Whether plain ``http`` is accepted is the deployment's
(``AllowHttpWebhooks``: the local runtime's default); which hosts are is
:class:`~integration.domain.url_policy.UrlPolicy`'s (no private, loopback, link-local ...
address in any spelling), beyond what a pattern can say."""

_EVENT_TYPE = EVENT_TYPE_PATTERN.pattern.removeprefix("^").removesuffix("$")
EVENT_TYPE_FILTER_PATTERN = rf"^[{WHITESPACE}]*(\{WILDCARD}|{'|'.join(SERVICE_EVENT_TYPES)}|{_EVENT_TYPE})[{WHITESPACE}]*$"
"""One entry of a webhook's ``events``: ``*``, or an event type name (whitespace around it is
stripped). Which names are accepted is the deployment's catalogue (GET /event-types): this
service's event types and the platform's (``PlatformEventTypes``), every one of which matches
:data:`~integration.domain.event_types.EVENT_TYPE_PATTERN`. The service's own names are spelled
out beside the general rule, which already matches them: a generator picking among the
alternatives then mostly picks a name the catalogue holds."""

CROCKFORD_BASE32 = "0-9A-HJKMNP-TV-Z"
"""The body of a character class: the ULID alphabet (Crockford's base32, upper case)."""


def id_pattern(prefix: str) -> str:
    """What :func:`~integration.domain.ids.is_valid_id` accepts for ``prefix``: ``<prefix>_`` and a ULID."""
    return rf"^{prefix}_[{CROCKFORD_BASE32}]{{26}}$"


# The aggregates' id prefixes (WEBHOOK_ID_PREFIX, API_KEY_ID_PREFIX, MESSAGE_ID_PREFIX), written
# out: importing their modules here would load the webhook and delivery rules into every API key
# function at cold start. The tests hold each pattern to is_valid_id with the domain's prefix.
WEBHOOK_ID_PATTERN = id_pattern("wh")
API_KEY_ID_PATTERN = id_pattern("key")
MESSAGE_ID_PATTERN = id_pattern("msg")
EVENT_ID_PATTERN = id_pattern("evt")  # integration.domain.event_log.EVENT_ID_PREFIX
JOB_ID_PATTERN = id_pattern("job")  # integration.domain.jobs.JOB_ID_PREFIX

# Example values: ids of the documented shape; a key and a secret in their documented format that
# are not usable (the key's checksum is wrong, the secret is base64 of plain words).
WEBHOOK_ID_EXAMPLE = "wh_01M8SZCNZVA2DWY1JYGTTS6AN2"
API_KEY_ID_EXAMPLE = "key_01M8SZCN0K5HRE2AVT0S3FJ8KS"
MESSAGE_ID_EXAMPLE = "msg_01M8SZCM1BWHNK40B5XV4HWRT4"
EVENT_ID_EXAMPLE = "evt_01M8SZCK23P17G0AVDQZTD2P3X"
JOB_ID_EXAMPLE = "job_01M8SZCP3Q7S9V1X3Z5B7D9F1H"
API_KEY_EXAMPLE = "intk_ExampleOnlyNotARealKey0000000000000000"
API_KEY_PREFIX_EXAMPLE = API_KEY_EXAMPLE[:11]
SIGNING_SECRET_EXAMPLE = "whsec_YW4gZXhhbXBsZSBzaWduaW5nIHNlY3JldCBvbmx5ISE="
WEBHOOK_URL_EXAMPLE = "https://example.com/webhooks/integration"


def _documented(pattern: str, *examples: str) -> Any:
    """A field's ``pattern`` (and examples) in the document, which pydantic does not check."""
    return Field(json_schema_extra={"pattern": pattern}, examples=list(examples) or None)


NotBlank = Annotated[str, _documented(NOT_BLANK_PATTERN)]
"""A name: not blank once stripped (then at most its field's length)."""
WebhookUrl = Annotated[str, _documented(WEBHOOK_URL_PATTERN)]
EventTypeFilter = Annotated[str, _documented(EVENT_TYPE_FILTER_PATTERN, "WebhookCreated", WILDCARD)]
WebhookId = Annotated[str, _documented(WEBHOOK_ID_PATTERN, WEBHOOK_ID_EXAMPLE)]
ApiKeyId = Annotated[str, _documented(API_KEY_ID_PATTERN, API_KEY_ID_EXAMPLE)]
MessageId = Annotated[str, _documented(MESSAGE_ID_PATTERN, MESSAGE_ID_EXAMPLE)]
EventId = Annotated[str, _documented(EVENT_ID_PATTERN, EVENT_ID_EXAMPLE)]
JobId = Annotated[str, _documented(JOB_ID_PATTERN, JOB_ID_EXAMPLE)]
ScopeName = Annotated[str, _documented(SCOPE_NAME_PATTERN.pattern, "webhooks:read")]
"""A scope's name. Which names are accepted is the deployment's catalogue (GET /scopes): the
service's own and its platform scopes (``PlatformScopes``), every one of which matches
:data:`~integration.domain.scopes.SCOPE_NAME_PATTERN`."""
