"""What the worker fork server imports once, before it forks any function instance.

Only third-party libraries the functions share (boto3, botocore, pydantic, Powertools): never
the ``integration`` layer nor a function, so that nothing a function's module state holds, or
reads from its environment at import, exists before the instance has its own environment. A
forked instance then starts with these already in memory (shared copy-on-write with the fork
server) and imports only the layer and its handler: see :mod:`local_runtime.workers`.
"""

from __future__ import annotations

import gc
import importlib

MODULES = (
    "json",
    "uuid",
    "concurrent.futures",
    "boto3",
    "boto3.session",
    "botocore.session",
    "botocore.client",
    "botocore.config",
    "urllib3",
    "pydantic",
    "pydantic.deprecated.config",
    "wrapt",
    "aws_xray_sdk.core",
    "encodings.idna",
    "pkgutil",
    "aws_lambda_powertools",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.event_handler.middlewares",
    "aws_lambda_powertools.event_handler.types",
    "aws_lambda_powertools.logging.correlation_paths",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.typing",
    "local_runtime.lambda_context",
    "local_runtime.workers",
)

for _name in MODULES:
    try:
        importlib.import_module(_name)
    except Exception:  # noqa: BLE001, S110 - a missing library is imported (and reported) by the function that needs it
        pass

# What is loaded now stays shared with every instance: frozen out of the garbage collector, its
# objects are never written to by an instance's collections (each would otherwise copy every page
# of them, some 45 MB an instance, the first time it collects).
gc.collect()
gc.freeze()
