"""``Idempotency-Key`` for the POSTs that create or act, with Powertools' idempotency utility on
the single table, and no secret ever stored in plain text.

A client sends ``Idempotency-Key: <a unique string, e.g. a UUID>``. The first request with a key
runs; its successful (2xx) response is remembered for 24 hours. A request with the same key and
the same method, path and body gets that response again (``Idempotent-Replayed: true``) and
changes nothing. The same key with another request is a 422; while the first is still running,
a 409. Errors are not remembered: a request that failed can be retried with the same key.
Without the header nothing changes.

Who gets a replay: the resolver calls :func:`respond_once` only after the precheck and after
the caller passed the route's scope check (see :mod:`integration.entrypoints.http.resolver`), so a replay is only
answered to a caller who may make the request now. And a record is bound to the credential that
made it (Stripe scopes its keys to the account; we scope them to the credential within the
tenant): the same ``Idempotency-Key`` from another credential, even of the same tenant, is
another key, whose request runs as new. A revoked or expired credential cannot authenticate,
so it gets no replay either.

Secrets: a create-key or rotate-secret response holds a secret that must reach the client again
on a replay, and must never sit in the table in plain text. So the remembered response is
sealed with AES-256-GCM under a key derived from the ``Idempotency-Key`` itself, the tenant and
the credential, which the table never holds: the record's key is a SHA-256 of them. Only that
credential, presenting the same key, can open the stored response; someone who reads the table
cannot. Hence the key's rules: 16 to 255 printable ASCII characters, as unguessable as a UUID v4.

Records: ``PK`` = ``IDEMPOTENCY#<sha256>``, ``SK`` = ``IDEMPOTENCY``, expiring by the
table's ``ttl``. Like the API key lookup item they are keyed by a hash rather than under
``TENANT#``: the hash covers tenant and credential, so no other caller ever meets the record.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError, IdempotencyValidationError
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

from integration.domain.principal import Principal
from integration.entrypoints.http.headers import header
from integration.entrypoints.http.problems import problem_response
from integration.observability import logger

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
EXPIRES_AFTER_SECONDS = 24 * 60 * 60
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{16,255}$")
_SEAL_CONTEXT = b"integration idempotent response v1"
IMPORTED_ON_FIRST_USE = ("cryptography.hazmat.primitives.ciphers.aead",)
"""AES-GCM, by the first response sealed or opened (:mod:`integration.entrypoints.snapstart`
imports it at INIT where INIT runs ahead of any request)."""


class _NotRemembered(Exception):
    """The response is not a success: answer it, but let Powertools forget the request."""

    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__("not a success")
        self.response = response


def _body_fingerprint(event: dict[str, Any]) -> str:
    """The body as compared between requests: JSON re-serialised canonically, else as sent."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return "base64:" + body
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return body


class _Sealer:
    """AES-256-GCM under a key only the holder of the Idempotency-Key can derive."""

    def __init__(self, idempotency_key: str, principal: Principal) -> None:
        context = b"\x00".join((_SEAL_CONTEXT, principal.tenant_id.encode("utf-8"), principal.credential_id.encode("utf-8")))
        self._key = hmac.new(idempotency_key.encode("utf-8"), context, hashlib.sha256).digest()

    def seal(self, response: dict[str, Any]) -> dict[str, str]:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        sealed = AESGCM(self._key).encrypt(nonce, json.dumps(response).encode("utf-8"), _SEAL_CONTEXT)
        return {"sealed": base64.b64encode(nonce + sealed).decode("ascii")}

    def open(self, stored: dict[str, str]) -> dict[str, Any]:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        raw = base64.b64decode(stored["sealed"])
        response: dict[str, Any] = json.loads(AESGCM(self._key).decrypt(raw[:12], raw[12:], _SEAL_CONTEXT))
        return response


_CONFIG = IdempotencyConfig(
    event_key_jmespath="[tenant, credential, key]",
    payload_validation_jmespath="[method, path, body]",
    expires_after_seconds=EXPIRES_AFTER_SECONDS,
    hash_function="sha256",
    raise_on_no_idempotency_key=True,
)


def respond_once(
    event: dict[str, Any],
    context: Any,
    principal: Principal,
    route: Callable[[], dict[str, Any]],
    store: BasePersistenceLayer,
) -> dict[str, Any]:
    """``route()``'s answer, made idempotent under the ``Idempotency-Key`` header for
    ``principal``, who has already passed the route's scope check (see the module doc), with
    the records in ``store``."""
    key = header(event.get("headers"), HEADER)
    if key is None:
        return route()
    if not KEY_PATTERN.match(key):
        errors = [
            {
                "field": "Idempotency-Key",
                "message": "must be 16 to 255 printable ASCII characters, e.g. a UUID",
                "type": "invalid",
            }
        ]
        return problem_response(422, "validation-error", "the request is not valid", errors)
    sealer = _Sealer(key, principal)
    http = (event.get("requestContext") or {}).get("http") or {}
    request = {
        "tenant": principal.tenant_id,
        "credential": principal.credential_id,
        "key": key,
        "method": http.get("method", ""),
        "path": event.get("rawPath", ""),
        "body": _body_fingerprint(event),
    }
    ran = False

    @idempotent_function(data_keyword_argument="request", config=_CONFIG, persistence_store=store)
    def run(request: dict[str, Any]) -> dict[str, str]:
        nonlocal ran
        ran = True
        response = route()
        if not 200 <= int(response.get("statusCode", 500)) < 300:
            raise _NotRemembered(response)
        return sealer.seal(response)

    _CONFIG.register_lambda_context(context)
    try:
        stored = run(request=request)
    except _NotRemembered as not_remembered:
        return not_remembered.response
    except IdempotencyValidationError:
        errors = [
            {"field": "Idempotency-Key", "message": "was already used with a different request", "type": "idempotency_key_reused"}
        ]
        return problem_response(
            422, "idempotency-key-reused", "this Idempotency-Key was used for another request; use a new key", errors
        )
    except IdempotencyAlreadyInProgressError:
        return problem_response(
            409, "request-in-progress", "a request with this Idempotency-Key is still in progress; retry shortly", None
        )
    response = sealer.open(stored)
    if not ran:
        logger.info("idempotent replay", path=request["path"], credential_id=principal.credential_id)
        response["headers"] = {**(response.get("headers") or {}), REPLAYED_HEADER: "true"}
    return response
