"""Powertools Tracer (the X-Ray SDK), for the functions that trace their AWS and HTTP calls.

Every function but the authorizer, the outbox relay and the fan-out. Those three make one or two
kinds of AWS call per invocation, so the SDK (with wrapt) would add a visible share to their cold
start (``make bench``) and show little: Lambda's active tracing (``Tracing: Active`` in
template.yaml) still records their invocations, and botocore passes the trace on to the services
they call (the ``X-Amzn-Trace-Id`` header, from ``_X_AMZN_TRACE_ID``). The delivery function
keeps the SDK for its webhook requests, the calls worth seeing.
"""

from __future__ import annotations

import wrapt
from aws_lambda_powertools import Tracer

# Patch only what the functions use: botocore, a subsegment per AWS call. patch_all() would also
# import and patch sqlite3, look for a dozen other libraries, and patch http.client, which gives
# every AWS call a second, nested subsegment. The delivery function patches http.client itself
# (:func:`trace_webhook_requests`): its webhook requests are the calls worth seeing.
tracer = Tracer(auto_patch=False)
# botocore is patched once boto3 is imported (with a function's first client, in
# integration.infrastructure.aws), not before: a function that makes no AWS call, such as
# list_event_types, never loads botocore's client. wrapt is the X-Ray SDK's own dependency.
wrapt.register_post_import_hook(lambda _boto3: tracer.patch(modules=("botocore",)), "boto3")


def trace_webhook_requests() -> None:
    """A subsegment per webhook request (http.client): the delivery function's, at its import."""
    tracer.patch(modules=("httplib",))
