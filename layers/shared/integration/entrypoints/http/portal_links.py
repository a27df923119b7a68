"""This API's own console, as a request to POST /portal-links reaches it: where a portal link
points when the deployment names no other (template parameter ``ConsoleUrl``)."""

from __future__ import annotations

import re
from typing import Any

from integration.entrypoints.http.headers import header

PORTAL_LINKS_SEGMENT = "/portal-links"
CONSOLE_SEGMENT = "/console"
"""Where the console is, below the API's base path (ConsoleFunction serves it there)."""
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def request_console_url(event: dict[str, Any]) -> str:
    """``<scheme>://<host><path>``: the scheme from ``X-Forwarded-Proto`` (``https`` unless it
    says ``http``), the host from ``Host`` (else ``requestContext.domainName``), the path the
    request's own with its last ``/portal-links`` replaced by ``/console``."""
    headers = event.get("headers") or {}
    proto = (header(headers, "x-forwarded-proto") or "").split(",")[0].strip().lower()
    scheme = "http" if proto == "http" else "https"
    host = (header(headers, "host") or "").strip()
    if not _HOST.match(host):
        host = str((event.get("requestContext") or {}).get("domainName") or "localhost")
    path = str(event.get("rawPath") or "").rstrip("/")
    path = path.removesuffix(PORTAL_LINKS_SEGMENT)
    return f"{scheme}://{host}{path}{CONSOLE_SEGMENT}"
