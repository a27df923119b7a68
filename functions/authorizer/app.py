"""The HTTP API's Lambda REQUEST authorizer (payload 2.0, simple responses).

Accepts an API key as ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``, and, when the
deployment names an OIDC issuer (``OIDC_ISSUER``), a JWT from that issuer as
``Authorization: Bearer <jwt>`` (sign-in for people). Authenticated: passes ``tenantId``,
``credentialId`` (the key's id, or ``oidc:<sub>``), ``scopes`` (space-separated) and
``expiresAt`` (the key's expiry, or empty) to the function (``authorizer_context``). Anything
else raises ``Unauthorized``, which API Gateway answers with 401. Scopes are checked by the
function (403), which knows what its route needs.

The event and the answer are plain dicts (payload 2.0; simple responses): Powertools'
``APIGatewayAuthorizerEventV2``/``APIGatewayAuthorizerResponseV2`` would import every one of its
event data classes at each cold start (``make bench`` measures it), on the path of every request.
For the same reason the authorizer does not load the X-Ray SDK (see :mod:`integration.tracing`).
"""

from typing import Any

from integration import wiring
from integration.domain.errors import AuthenticationError
from integration.domain.principal import Principal
from integration.entrypoints.http.credentials import CredentialKind, PresentedCredential, authorizer_context, presented_credential
from integration.observability import logger

UNAUTHORIZED = "Unauthorized"  # the exact message API Gateway turns into a 401

authenticate_api_key = wiring.authenticate_api_key()
authenticate_jwt = wiring.authenticate_jwt()  # None: OIDC sign-in is off


def _authenticate(credential: PresentedCredential) -> Principal:
    if credential.kind is CredentialKind.JWT:
        if authenticate_jwt is None:
            raise AuthenticationError("a JWT was presented but OIDC sign-in is not configured (OidcIssuer)")
        return authenticate_jwt.execute(credential.value)
    return authenticate_api_key.execute(credential.value)


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.set_correlation_id(event.get("requestContext", {}).get("requestId"))
    credential = presented_credential(event.get("headers") or {})
    if credential is None:
        logger.info("refused", reason="no credential")
        raise Exception(UNAUTHORIZED)  # noqa: TRY002 - API Gateway's contract for a 401
    try:
        principal = _authenticate(credential)
    except AuthenticationError as refused:
        logger.info("refused", reason=str(refused), credential_kind=credential.kind.value)
        raise Exception(UNAUTHORIZED) from None  # noqa: TRY002
    logger.info(
        "authenticated", tenant_id=principal.tenant_id, credential_id=principal.credential_id, credential_kind=credential.kind.value
    )
    return {"isAuthorized": True, "context": authorizer_context(principal)}
