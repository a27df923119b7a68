"""The local runtime's SigV4 check for IAM routes (local_runtime/sigv4.py), in process: what API
Gateway refuses with 403, including a date more than 5 minutes off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local_runtime.events import combine_headers
from local_runtime.sigv4 import SigV4Checker

HOST = "127.0.0.1:3000"
PATH = "/api/v1/integration/api-keys/verify"
BODY = b'{"key": "intk_x"}'
CHECKER = SigV4Checker(access_key="testing", secret_key="testing", region="us-east-1")


def signed(
    *, access: str = "testing", secret: str = "testing", region: str = "us-east-1", service: str = "execute-api", query: str = ""
) -> dict[str, str]:
    url = f"http://{HOST}{PATH}" + (f"?{query}" if query else "")
    request = AWSRequest(method="POST", url=url, data=BODY, headers={"content-type": "application/json"})
    SigV4Auth(Credentials(access, secret), service, region).add_auth(request)
    headers, _ = combine_headers({"host": HOST, **dict(request.headers.items())})
    return headers


def check(headers: dict[str, str], *, body: bytes = BODY, query: str = "", now: datetime | None = None) -> dict[str, Any] | None:
    return CHECKER.caller("POST", PATH, query, headers, body, now=now)


def test_a_request_signed_with_the_runtime_credentials_is_the_local_iam_caller() -> None:
    caller = check(signed())

    assert caller is not None
    assert caller["accessKey"] == "testing" and caller["accountId"] == "123456789012"
    assert caller["userArn"] == "arn:aws:iam::123456789012:user/local"


def test_the_query_string_is_part_of_the_signature() -> None:
    assert check(signed(query="a=1&b=2"), query="a=1&b=2") is not None
    assert check(signed(query="a=1&b=2"), query="a=1&b=3") is None


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="unsigned"),
        pytest.param(signed(secret="wrong"), id="wrong-secret"),
        pytest.param(signed(access="AKIAOTHER"), id="another-access-key"),
        pytest.param(signed(region="eu-west-1"), id="another-region"),
        pytest.param(signed(service="lambda"), id="another-service"),
        pytest.param(
            {**signed(), "authorization": signed()["authorization"].replace("Signature=", "Signature=0")[:-1]},
            id="tampered-signature",
        ),
        pytest.param({key: value for key, value in signed().items() if key != "x-amz-date"}, id="no-date"),
        pytest.param({**signed(), "content-type": "text/plain"}, id="changed-signed-header"),
    ],
)
def test_what_api_gateway_refuses_is_refused(headers: dict[str, str]) -> None:
    assert check(headers) is None


def test_a_changed_body_is_refused() -> None:
    assert check(signed(), body=b'{"key": "intk_y"}') is None


def test_a_date_more_than_five_minutes_off_is_refused_either_way() -> None:
    headers = signed()
    signed_at = datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    assert check(headers, now=signed_at + timedelta(minutes=5)) is not None
    assert check(headers, now=signed_at + timedelta(minutes=5, seconds=1)) is None
    assert check(headers, now=signed_at - timedelta(minutes=5, seconds=1)) is None
