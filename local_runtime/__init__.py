"""The local runtime: serves the functions of template.yaml on 127.0.0.1 against moto server.

``python -m local_runtime`` (what ``make run`` does). Docker is not needed: each request is
turned into the HTTP API payload 2.0 event API Gateway would send, passed through the
authorizer, then to the function template.yaml maps the route to, each function running in
processes of its own as Lambda's execution environments (``local_runtime.workers``). See
docs/local-runtime.md.
"""
