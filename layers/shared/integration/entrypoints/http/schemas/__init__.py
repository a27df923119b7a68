"""Request and response bodies of the HTTP API (pydantic; the OpenAPI document comes from these).

One module per resource, and nothing imported here: a function builds only its own resource's
models at cold start (pydantic builds a model's validator when its class is defined).
"""
