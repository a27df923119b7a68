"""The scope catalogue (GET /scopes)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from integration.domain.scopes import ScopeCatalogue
from integration.entrypoints.http.schemas.constraints import ScopeName
from integration.entrypoints.http.schemas.view import View


class ScopeView(View):
    name: ScopeName = Field(description="What an API key's `scopes` lists.")
    description: str = Field(examples=["Read webhooks and their delivery log"])
    origin: Literal["service", "platform"] = Field(
        description="`service`: checked by this service; `platform`: configured for this deployment (PlatformScopes), checked by the platform's APIs."
    )


class ScopeCatalogueView(View):
    items: list[ScopeView] = Field(description="Every scope a key may carry here: this service's first, then the platform's.")

    @classmethod
    def of(cls, catalogue: ScopeCatalogue) -> ScopeCatalogueView:
        return cls(
            items=[ScopeView(name=entry.name, description=entry.description, origin=entry.origin) for entry in catalogue.entries]
        )
