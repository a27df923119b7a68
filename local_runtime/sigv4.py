"""AWS SigV4 checks for routes with IAM authorization (``Auth: Authorizer: AWS_IAM``), as API
Gateway makes them, against the one identity the local runtime has: the credentials it prints
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``), service ``execute-api``, its region.

The signature is recomputed with botocore's :class:`~botocore.auth.SigV4Auth` over the request as
received: method, path and query as sent, the headers the ``Authorization`` header names
(``SignedHeaders``, ``host`` among them), and the body's SHA-256 (a signed
``X-Amz-Content-SHA256`` must be that hash). Refused, as API Gateway refuses (403): no
``Authorization`` SigV4 header or no ``X-Amz-Date``; another access key, region or service; a
date more than 5 minutes from now; a signature that differs. IAM policies are not evaluated:
the runtime's one identity may call every IAM route (in AWS, the caller's policy must allow
``execute-api:Invoke`` on the route). Presigned URLs (the signature in the query) are not taken.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "execute-api"
MAX_CLOCK_SKEW = timedelta(minutes=5)
LOCAL_ACCOUNT_ID = "123456789012"  # local_runtime.events.ACCOUNT_ID
LOCAL_USER_ID = "AIDALOCALRUNTIMEUSER0"

_AUTHORIZATION = re.compile(
    ALGORITHM
    + r"\s+Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})\s*$"
)


@dataclass(frozen=True)
class SigV4Checker:
    access_key: str
    secret_key: str
    region: str

    def caller(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes, *, now: datetime | None = None
    ) -> dict[str, Any] | None:
        """The IAM caller (``requestContext.authorizer.iam``) when the request is signed by this
        runtime's credentials; None otherwise. ``headers``: lower-cased names, repeated headers
        comma-joined (:func:`local_runtime.events.combine_headers`)."""
        found = _AUTHORIZATION.match(headers.get("authorization", ""))
        amz_date = headers.get("x-amz-date", "")
        if found is None or not amz_date:
            return None
        try:
            access_key, day, region, service, terminal = found["credential"].split("/")
            signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return None
        if (access_key, region, service, terminal) != (self.access_key, self.region, SERVICE, "aws4_request"):
            return None
        if day != amz_date[:8] or abs((now or datetime.now(UTC)) - signed_at) > MAX_CLOCK_SKEW:
            return None
        signed = found["signed"].split(";")
        if "host" not in signed or "x-amz-date" not in signed or any(name not in headers for name in signed):
            return None
        declared_hash = headers.get("x-amz-content-sha256")
        if declared_hash is not None and "x-amz-content-sha256" in signed and declared_hash != hashlib.sha256(body).hexdigest():
            return None
        expected = self._signature(method, path, query, {name: headers[name] for name in signed}, body, amz_date)
        if not hmac.compare_digest(expected, found["signature"]):
            return None
        return {
            "accessKey": access_key,
            "accountId": LOCAL_ACCOUNT_ID,
            "callerId": LOCAL_USER_ID,
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": f"arn:aws:iam::{LOCAL_ACCOUNT_ID}:user/local",
            "userId": LOCAL_USER_ID,
        }

    def _signature(self, method: str, path: str, query: str, signed_headers: dict[str, str], body: bytes, amz_date: str) -> str:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        url = f"http://{signed_headers['host']}{path}" + (f"?{query}" if query else "")
        request = AWSRequest(method=method, url=url, headers=signed_headers, data=body or None)
        request.context["timestamp"] = amz_date
        auth = SigV4Auth(Credentials(self.access_key, self.secret_key), SERVICE, self.region)
        canonical = auth.canonical_request(request)
        return auth.signature(auth.string_to_sign(request, canonical), request)
