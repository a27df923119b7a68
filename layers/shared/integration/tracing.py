"""Powertools Tracer (the X-Ray SDK), for the functions that trace their AWS and HTTP calls.

Every function but the authorizer: it sits in front of every API request, makes one GetItem,
and the SDK (with wrapt) is about a tenth of its cold start (``make bench``). Lambda's active
tracing (``Tracing: Active`` in template.yaml) still records its invocations, without the SDK.
"""

from __future__ import annotations

from aws_lambda_powertools import Tracer

# Patch only what the functions use: botocore (AWS calls) and http.client (webhook requests).
# patch_all() would also import and patch sqlite3 and look for a dozen other libraries.
tracer = Tracer(patch_modules=("botocore", "httplib"))
