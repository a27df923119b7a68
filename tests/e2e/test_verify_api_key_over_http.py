"""POST /api-keys/verify over HTTP on the local runtime: SigV4-signed with the credentials the
runtime prints (as a platform service signs with its role), every code; unsigned, wrongly signed
or tenant-key requests are refused 403 by the gateway, as API Gateway refuses them."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from integration.domain.key_format import generate_key
from tests.e2e.runtime import LocalRuntime, admin_create_key, remember_secrets, start_local_runtime, stop

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    started = start_local_runtime(tmp_path_factory.mktemp("verify-runtime"))
    try:
        yield started
    finally:
        stop(started)


def post_verify(
    runtime: LocalRuntime, body: Any, *, secret_key: str | None = None, sign: bool = True, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """POST /api-keys/verify, signed with SigV4 as botocore signs (service execute-api)."""
    remember_secrets(body)  # the presented keys: the last e2e test proves no log line holds one
    url = runtime.api_url + "/api-keys/verify"
    data = json.dumps(body).encode()
    request = AWSRequest(method="POST", url=url, data=data, headers={"content-type": "application/json", **(headers or {})})
    if sign:
        exports = runtime.exports
        credentials = Credentials(exports["AWS_ACCESS_KEY_ID"], secret_key or exports["AWS_SECRET_ACCESS_KEY"])
        SigV4Auth(credentials, "execute-api", exports["AWS_REGION"]).add_auth(request)
    sent = urllib.request.Request(url, data=data, method="POST", headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(sent, timeout=30) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_signed_request_gets_every_code(runtime: LocalRuntime) -> None:
    valid = admin_create_key(runtime, "tenant-v", "webhooks:read", "api-keys:read", "api-keys:write")
    # The first request starts the functions, which may take seconds on a busy machine: only then
    # the key that expires 2 s after it is asked for, so that it is still in the future on arrival.
    status, _, revoked = runtime.request("POST", "/api-keys", key=valid, body={"name": "revoked", "scopes": ["webhooks:read"]})
    assert status == 201, revoked
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    status, _, expiring = runtime.request(
        "POST", "/api-keys", key=valid, body={"name": "soon", "scopes": ["webhooks:read"], "expires_at": soon}
    )
    assert status == 201, expiring
    assert runtime.request("POST", f"/api-keys/{revoked['id']}/revoke", key=valid)[0] == 200

    status, answer = post_verify(runtime, {"key": valid, "required_scopes": ["webhooks:read"]})
    assert status == 200, answer
    assert (answer["valid"], answer["code"], answer["tenant_id"]) == (True, "VALID", "tenant-v")
    assert set(answer["scopes"]) == {"webhooks:read", "api-keys:read", "api-keys:write"}
    assert post_verify(runtime, {"key": valid, "required_scopes": ["webhooks:write"]})[1]["code"] == "INSUFFICIENT_SCOPE"
    assert post_verify(runtime, {"key": generate_key()})[1] == {
        "valid": False,
        "code": "NOT_FOUND",
        "tenant_id": None,
        "key_id": None,
        "scopes": None,
        "expires_at": None,
    }
    assert post_verify(runtime, {"key": "intk_not-even-a-key"})[1]["code"] == "NOT_FOUND"
    assert post_verify(runtime, {"key": revoked["key"]})[1]["code"] == "REVOKED"
    time.sleep(max(0.0, (datetime.fromisoformat(soon) - datetime.now(UTC)).total_seconds()) + 0.2)
    status, answer = post_verify(runtime, {"key": expiring["key"]})
    assert (status, answer["code"], answer["key_id"]) == (200, "EXPIRED", expiring["id"])


def test_an_unsigned_request_is_forbidden(runtime: LocalRuntime) -> None:
    assert post_verify(runtime, {"key": generate_key()}, sign=False) == (403, {"message": "Forbidden"})


def test_a_request_signed_with_another_secret_is_forbidden(runtime: LocalRuntime) -> None:
    assert post_verify(runtime, {"key": generate_key()}, secret_key="not-the-secret") == (403, {"message": "Forbidden"})


def test_a_signed_request_whose_body_was_changed_is_forbidden(runtime: LocalRuntime) -> None:
    url = runtime.api_url + "/api-keys/verify"
    request = AWSRequest(method="POST", url=url, data=b'{"key": "a"}', headers={"content-type": "application/json"})
    exports = runtime.exports
    SigV4Auth(
        Credentials(exports["AWS_ACCESS_KEY_ID"], exports["AWS_SECRET_ACCESS_KEY"]), "execute-api", exports["AWS_REGION"]
    ).add_auth(request)
    sent = urllib.request.Request(url, data=b'{"key": "b"}', method="POST", headers=dict(request.headers.items()))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(sent, timeout=30)  # noqa: S310 - loopback only
    assert refused.value.code == 403


def test_a_tenant_api_key_does_not_open_verify(runtime: LocalRuntime) -> None:
    key = admin_create_key(runtime, "tenant-t", "api-keys:read", "api-keys:write")

    status, _, body = runtime.request("POST", "/api-keys/verify", key=key, body={"key": key})

    assert (status, body) == (403, {"message": "Forbidden"})
