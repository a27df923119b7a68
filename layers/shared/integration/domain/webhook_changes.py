"""Changes a caller asks of a webhook: new values for some of its fields (PATCH, PUT), and the
version it must still be at for the change to apply (``If-Match``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from integration.domain.errors import InvalidFieldError, PreconditionFailedError
from integration.domain.patch import KEEP, Keep
from integration.domain.webhooks import FIELD_NAMES, WebhookFields

if TYPE_CHECKING:
    from integration.domain.webhooks import Webhook, WebhookStatus


@dataclass(frozen=True)
class WebhookPatch:
    """New values for some of a webhook's fields; the others (:data:`KEEP`) keep theirs.

    What a JSON Merge Patch (RFC 7396, PATCH) says, and a PUT too: a PUT is the patch that sets
    every field (:meth:`replacing`), so both are one change, checked by the same rules.
    ``description=None`` clears the description; any other field set to None is refused
    (:class:`InvalidFieldError` naming it): a webhook always has it.
    """

    name: str | Keep = KEEP
    url: str | Keep = KEEP
    events: tuple[str, ...] | Keep = KEEP
    description: str | None | Keep = KEEP
    status: WebhookStatus | Keep = KEEP

    def __post_init__(self) -> None:
        InvalidFieldError.raise_if_any(
            [
                (name, f"must not be null: {name} is required (only description can be removed); leave {name} out to keep its value")
                for name in FIELD_NAMES
                if name != "description" and getattr(self, name) is None
            ]
        )

    @classmethod
    def replacing(cls, fields: WebhookFields) -> WebhookPatch:
        """The patch that replaces every field with ``fields`` (a PUT)."""
        return cls(name=fields.name, url=fields.url, events=fields.events, description=fields.description, status=fields.status)

    def complete(self) -> WebhookFields | None:
        """The fields, when it sets every one (a PUT's): they need nothing from the webhook."""
        values = {name: getattr(self, name) for name in FIELD_NAMES}
        return None if any(value is KEEP for value in values.values()) else WebhookFields(**values)

    def applied_to(self, fields: WebhookFields) -> WebhookFields:
        """``fields`` with this patch's values where it sets one."""
        return replace(fields, **{name: value for name in FIELD_NAMES if (value := getattr(self, name)) is not KEEP})


@dataclass(frozen=True)
class VersionPrecondition:
    """A caller's condition on the version it last saw (HTTP ``If-Match``).

    Met when the webhook's version is one of ``versions``, or, with ``any_version``, whenever
    the webhook exists. ``malformed``: the caller's condition could not be read; never met.
    """

    versions: frozenset[int] = frozenset()
    any_version: bool = False
    malformed: bool = False

    def check(self, webhook: Webhook) -> None:
        """:class:`PreconditionFailedError` unless ``webhook`` (as it is now) meets it."""
        if self.malformed:
            raise PreconditionFailedError(
                "If-Match is not a valid list of entity tags: send the ETag exactly as GET returned it, quotes included"
            )
        if not self.any_version and webhook.version not in self.versions:
            raise PreconditionFailedError(f"webhook {webhook.id} has changed since that ETag: GET it again, then reapply")
