"""Portal links (POST /portal-links): a short-lived API key as a link that signs its holder in to
the console. See :mod:`integration.domain.portal_links`."""

from __future__ import annotations

from integration.application.api_keys import CreateApiKeyUseCase
from integration.domain.clock import Clock, utc_now
from integration.domain.portal_links import (
    DEFAULT_NAME,
    DEFAULT_TTL_SECONDS,
    PORTAL_LINK_METADATA,
    PortalLink,
    default_scopes,
    link_expiry,
    portal_link_url,
)
from integration.domain.principal import Principal
from integration.domain.repositories import ApiKeyRepository
from integration.domain.scopes import SERVICE_SCOPES, ScopeCatalogue

__all__ = ["CreatePortalLinkUseCase"]


class CreatePortalLinkUseCase:
    """Issue an API key the way :class:`CreateApiKeyUseCase` does (at most the caller's scopes,
    ``ApiKeyCreated`` in the same write) that expires ``ttl_seconds`` from now, never later than
    the caller's own credential, marked ``{"portal_link": true}`` in its metadata; and the link
    to the console that signs in with it.

    ``console_url``: the deployment's console (``CONSOLE_URL``); None: the request's own
    (``request_console_url``, this API's console)."""

    def __init__(
        self,
        repository: ApiKeyRepository,
        clock: Clock = utc_now,
        catalogue: ScopeCatalogue = SERVICE_SCOPES,
        console_url: str | None = None,
    ) -> None:
        self._create = CreateApiKeyUseCase(repository, clock, catalogue)
        self._clock = clock
        self._console_url = console_url

    def execute(
        self,
        principal: Principal,
        *,
        request_console_url: str,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        scopes: list[str] | None = None,
        name: str = DEFAULT_NAME,
    ) -> PortalLink:
        expires_at = link_expiry(self._clock(), ttl_seconds, principal.expires_at)
        issued = self._create.execute(
            principal,
            name=name,
            scopes=default_scopes(principal.scopes) if scopes is None else scopes,
            expires_at=expires_at,
            metadata=PORTAL_LINK_METADATA,
        )
        console_url = self._console_url or request_console_url
        return PortalLink(url=portal_link_url(console_url, issued.plaintext, expires_at), expires_at=expires_at, issued=issued)
