"""The HTTP API's Lambda REQUEST authorizer (payload 2.0, simple responses).

Accepts ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``. Authenticated: passes
``tenantId``, ``credentialId`` and ``scopes`` (space-separated) to the function. Anything
else raises ``Unauthorized``, which API Gateway answers with 401. Scopes are checked by the
function (403), which knows what its route needs.
"""

from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerEventV2,
    APIGatewayAuthorizerResponseV2,
)

from integration.api.credentials import presented_api_key
from integration.application.api_keys import AuthenticateApiKeyUseCase
from integration.domain.errors import AuthenticationError
from integration.observability import logger, tracer
from integration.wiring import api_key_repository

UNAUTHORIZED = "Unauthorized"  # the exact message API Gateway turns into a 401


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = APIGatewayAuthorizerEventV2(event)
    logger.set_correlation_id(request.request_context.request_id)
    presented = presented_api_key(request.headers or {})
    if presented is None:
        logger.info("refused", reason="no credential")
        raise Exception(UNAUTHORIZED)  # noqa: TRY002 - API Gateway's contract for a 401
    try:
        principal = AuthenticateApiKeyUseCase(api_key_repository()).execute(presented)
    except AuthenticationError as refused:
        logger.info("refused", reason=str(refused))
        raise Exception(UNAUTHORIZED) from None  # noqa: TRY002
    logger.info("authenticated", tenant_id=principal.tenant_id, credential_id=principal.credential_id)
    return APIGatewayAuthorizerResponseV2(
        authorize=True,
        context={
            "tenantId": principal.tenant_id,
            "credentialId": principal.credential_id,
            "scopes": " ".join(sorted(principal.scopes)),
        },
    ).asdict()
