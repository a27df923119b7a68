"""Schemathesis hooks for tests/e2e/test_api_contract_over_http.py (``SCHEMATHESIS_HOOKS``).

A fresh ``Idempotency-Key`` for every request that carries a valid one. Generated data repeats
values (always in deterministic mode), and a key belongs to one request across every endpoint:
the API rightly answers a key used again with another request 422 (idempotency-key-reused), so
every POST after the first would be refused for its key rather than tested. A client keeps its
keys unique; this makes the fuzzer do so. A key that is not valid (the point of a negative case)
is left as it was.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import schemathesis

VALID_KEY = re.compile(r"^[\x21-\x7e]{16,255}$")  # integration.entrypoints.http.idempotency.KEY_PATTERN


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    headers = case.headers or {}
    for name, value in list(headers.items()):
        if name.lower() == "idempotency-key" and isinstance(value, str) and VALID_KEY.match(value):
            headers[name] = str(uuid.uuid4())
