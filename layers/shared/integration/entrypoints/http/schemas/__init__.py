"""Request and response bodies of the HTTP API (pydantic; the OpenAPI document comes from these).

One module per resource, and nothing imported here. Every model defers its build to its first
use (:class:`~integration.entrypoints.http.schemas.view.View`, :class:`~integration.entrypoints.http.schemas.request.Request`):
a function builds the models of its route, not every model of the modules it imports.
"""
