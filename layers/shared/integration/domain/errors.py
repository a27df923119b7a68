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
    """A field is well-formed but breaks a business rule (a past expiry, an unknown scope)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
