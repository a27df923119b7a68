"""The Lambda REQUEST authorizer of this HTTP API, and of any other API of the platform.

Two event formats: HTTP API payload 2.0 with simple responses (this service's API; answers
``{"isAuthorized": true, "context": ...}``), and the REQUEST authorizer of a REST API (payload
1.0, an event with ``methodArn``; answers an IAM policy allowing ``execute-api:Invoke`` on every
method of the API's stage, so a cached policy also covers the API's other routes, with the same
context). See docs/authentication.md, "Protecting another API".

Accepts an API key as ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``, and, when the
deployment names an OIDC issuer (``OIDC_ISSUER``), a JWT from that issuer as
``Authorization: Bearer <jwt>`` (sign-in for people). Authenticated: passes ``tenantId``,
``keyId`` (the key's id; empty for OIDC), ``credentialId`` (the key's id, or ``oidc:<sub>``), ``scopes`` (space-separated) and
``expiresAt`` (the key's expiry, or empty) to the function (``authorizer_context``). Anything
else raises ``Unauthorized``, which API Gateway answers with 401. Scopes are checked by the
function (403), which knows what its route needs.

The events and the answers are plain dicts: Powertools'
``APIGatewayAuthorizerEventV2``/``APIGatewayAuthorizerResponseV2`` (and their REST API siblings) would import every one of its
event data classes at each cold start (``make bench`` measures it), on the path of every request.
For the same reason the authorizer does not load the X-Ray SDK (see :mod:`integration.tracing`).
"""

from typing import Any

from integration import wiring
from integration.domain.errors import AuthenticationError
from integration.domain.principal import Principal
from integration.entrypoints import snapstart  # its after-restore hook, under SnapStart
from integration.entrypoints.http.credentials import CredentialKind, PresentedCredential, authorizer_context, presented_credential
from integration.observability import logger
from integration.settings import settings

UNAUTHORIZED = "Unauthorized"  # the exact message API Gateway turns into a 401

authenticate_api_key = wiring.authenticate_api_key()
authenticate_jwt = wiring.authenticate_jwt()  # None: OIDC sign-in is off


def _authenticate(credential: PresentedCredential) -> Principal:
    if credential.kind is CredentialKind.JWT:
        if authenticate_jwt is None:
            raise AuthenticationError("a JWT was presented but OIDC sign-in is not configured (OidcIssuer)")
        return authenticate_jwt.execute(credential.value)
    return authenticate_api_key.execute(credential.value)


def _presented(event: dict[str, Any]) -> PresentedCredential | None:
    """The credential the request presents. A REST API passes a repeated header's last value in
    ``headers`` and all of them in ``multiValueHeaders``: a credential header sent more than once
    is refused there, as an HTTP API's comma-joined value is."""
    for name, values in (event.get("multiValueHeaders") or {}).items():
        if name.lower() in ("authorization", "x-api-key") and len(values or ()) > 1:
            return None
    return presented_credential(event.get("headers") or {})


def api_wide_resource(method_arn: str) -> str:
    """``arn:aws:execute-api:<region>:<account>:<api id>/<stage>/*/*`` from a REST API's
    ``methodArn`` (``.../<api id>/<stage>/<METHOD>/<resource path>``)."""
    arn, _, path = method_arn.partition("/")
    stage = path.split("/", 1)[0]
    return f"{arn}/{stage}/*/*"


@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.set_correlation_id(event.get("requestContext", {}).get("requestId"))
    credential = _presented(event)
    if credential is None:
        logger.info("refused", reason="no credential")
        raise Exception(UNAUTHORIZED)  # noqa: TRY002 - API Gateway's contract for a 401
    try:
        principal = _authenticate(credential)
    except AuthenticationError as refused:
        logger.info("refused", reason=str(refused), credential_kind=credential.kind.value)
        raise Exception(UNAUTHORIZED) from None  # noqa: TRY002
    logger.info(
        "authenticated",
        tenant_id=principal.tenant_id,
        credential_id=principal.credential_id,
        credential_kind=credential.kind.value,
    )
    passed_on = authorizer_context(principal)
    method_arn = event.get("methodArn")
    if method_arn:  # a REST API (or an HTTP API on payload 1.0): an IAM policy
        return {
            "principalId": passed_on["keyId"] or principal.credential_id,
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": api_wide_resource(method_arn)}],
            },
            "context": passed_on,
        }
    return {"isAuthorized": True, "context": passed_on}


def _prime() -> None:
    """At INIT ahead of any request (a SnapStart snapshot, provisioned concurrency): a request
    with a malformed key goes the way every request goes, to its refusal before any read. Not
    through ``lambda_handler``, so nothing is logged; no AWS call."""
    credential = _presented({"headers": {"authorization": "Bearer intk_primed"}})
    if credential is None:
        return
    try:
        _authenticate(credential)
    except AuthenticationError:
        pass


if settings().primes_at_init:
    _prime()
    snapstart.import_first_use_modules()
