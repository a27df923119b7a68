"""Errors the domain and use cases raise. The HTTP layer maps each to one status code."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: something a caller did that the service refuses."""


class NotFoundError(DomainError):
    """The resource does not exist *for this tenant* (another tenant's id looks exactly the same)."""

    def __init__(self, resource: str, resource_id: str) -> None:
        super().__init__(f"{resource} {resource_id} was not found")
        self.resource = resource
        self.resource_id = resource_id


class AuthenticationError(DomainError):
    """The credential is missing, malformed, unknown, revoked or expired."""


class PermissionDeniedError(DomainError):
    """Authenticated, but the credential lacks what the operation needs."""


class InvalidFieldError(DomainError):
    """Fields that are well-formed but break a business rule (a past expiry, an unknown scope).

    ``errors`` holds every ``(field, message)`` found; ``field`` and ``message`` the first.
    """

    def __init__(self, field: str, message: str, *more: tuple[str, str]) -> None:
        self.errors: tuple[tuple[str, str], ...] = ((field, message), *more)
        super().__init__("; ".join(f"{name}: {text}" for name, text in self.errors))
        self.field = field
        self.message = message

    @classmethod
    def raise_if_any(cls, errors: list[tuple[str, str]]) -> None:
        if errors:
            raise cls(*errors[0], *errors[1:])


class LimitExceededError(DomainError):
    """The tenant has reached a quota (for example the number of webhooks)."""


class ConflictError(DomainError):
    """The resource's state does not allow the operation now (for example a disabled webhook)."""


class PreconditionFailedError(DomainError):
    """The caller's ``If-Match`` names a version that is no longer current (HTTP 412)."""
