"""GET /console and GET /console/{proxy+}: the tenant console, a static page that calls this API.

No authorizer: the page and its assets hold no tenant data. The user signs in inside the page (a
portal link's key, a pasted API key, or single sign-on), and the page calls the public API with it.
"""

from pathlib import Path

from integration.entrypoints.http.console import Console, ConsoleOptions
from integration.entrypoints.http.resolver import http_entry_point
from integration.settings import settings

configured = settings()
console = Console(
    Path(__file__).parent / "static",
    ConsoleOptions(
        frame_ancestors=configured.console_frame_ancestors,
        oidc_issuer=configured.oidc_issuer,
        oidc_client_id=configured.console_oidc_client_id,
        oidc_scopes=configured.console_oidc_scopes,
        connect_sources=configured.console_connect_sources,
    ),
)


def serve(event: dict, context: object) -> dict:
    return console.respond(event.get("rawPath", ""), event.get("headers") or {})


lambda_handler = http_entry_point(serve)
