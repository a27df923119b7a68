"""POST /api-keys/verify: whether a key a tenant presented to another service of the platform is
valid, and whose it is (Unkey's `verifyKey`). For the platform's own services, signed with AWS
SigV4 (IAM authorization); no API key or JWT is accepted on this route. One read by the key's
hash; `required_scopes` must all be held. Always 200 with a `code` for a key the body carries:
`VALID`, `NOT_FOUND`, `EXPIRED`, `REVOKED` or `INSUFFICIENT_SCOPE`.
"""

from integration import wiring
from integration.entrypoints.http.resolver import IAM_CALLERS, create_app, http_entry_point
from integration.entrypoints.http.schemas.verification import KeyVerificationView, VerifyApiKeyRequest
from integration.observability import logger

app = create_app(IAM_CALLERS)
use_case = wiring.verify_api_key()


@app.post(
    "/api-keys/verify",
    operation_id="verifyApiKey",
    tags=["API keys"],
    summary="Verify an API key (for the platform's services, AWS SigV4)",
    description=__doc__,
)
def verify_api_key(request: VerifyApiKeyRequest) -> KeyVerificationView:
    verdict = use_case.execute(request.key, request.required_scopes)
    # Never the key: its verdict, and whose it is.
    logger.info("verified", code=verdict.code.value, key_id=verdict.key.id if verdict.key else None, reason=verdict.reason)
    return KeyVerificationView.of(verdict)


lambda_handler = http_entry_point(app.resolve)
