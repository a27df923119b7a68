"""The tenant console: a static single-page app, served by ``ConsoleFunction`` from its own folder.

Three kinds of request, none authenticated (the page holds no data; it calls the public API with
the credential its user signs in with):

- ``GET <api>/console``: the page, ``index.html`` with its asset folder and configuration filled
  in. ``Cache-Control: no-cache`` with an ``ETag``, so a browser revalidates it every time and
  picks up a new version at once.
- ``GET <api>/console/assets/<version>/<file>``: the scripts, styles and icons, cached for a year
  (``immutable``). ``<version>`` is a digest of every file, so a deployment that changes any of
  them serves them under a new folder; an old or unknown version is a 404.
- anything else under ``<api>/console/``: a 308 to the page (the fragment, which holds a portal
  link's key, stays with the browser: servers never see it).

Every answer carries a Content-Security-Policy that lets the page load only its own files and
talk only to this origin (and the OIDC issuer, when single sign-on is configured), and
``Referrer-Policy: no-referrer``. Text assets go gzip-compressed to browsers that accept it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from integration.entrypoints.http.headers import header
from integration.entrypoints.http.portal_links import CONSOLE_SEGMENT

ASSETS_SEGMENT = CONSOLE_SEGMENT + "/assets/"
PAGE = "index.html"
VERSION_LENGTH = 12
COMPRESS_FROM_BYTES = 1024
ASSET_CACHE = "public, max-age=31536000, immutable"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webmanifest": "application/manifest+json",
}
_COMPRESSIBLE = (".html", ".js", ".css", ".svg", ".json", ".webmanifest")


@dataclass(frozen=True)
class ConsoleOptions:
    """What a deployment configures (template parameters ``Console*`` and ``OidcIssuer``)."""

    frame_ancestors: tuple[str, ...] = ()
    """Origins allowed to embed the console in a frame; none: it cannot be framed."""
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    """With the issuer: the console offers single sign-on as this OIDC client (code flow, PKCE)."""
    oidc_scopes: str = "openid"
    connect_sources: tuple[str, ...] = ()
    """Further origins the page may call: an identity provider's token endpoint on another origin."""


@dataclass(frozen=True)
class _File:
    body: bytes
    content_type: str
    compressed: bytes | None


def _load(path: Path) -> _File:
    body = path.read_bytes()
    compressed = gzip.compress(body, mtime=0) if path.suffix in _COMPRESSIBLE and len(body) >= COMPRESS_FROM_BYTES else None
    return _File(body, CONTENT_TYPES.get(path.suffix, "application/octet-stream"), compressed)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Console:
    """The console's files, read once (at INIT) from ``folder``, and the answers to its requests."""

    def __init__(self, folder: Path, options: ConsoleOptions) -> None:
        files = sorted(path for path in folder.rglob("*") if path.is_file() and not path.name.startswith("."))
        digest = hashlib.sha256()
        for path in files:
            relative = path.relative_to(folder).as_posix()
            digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
        self.version = digest.hexdigest()[:VERSION_LENGTH]
        self._page_template = (folder / PAGE).read_text(encoding="utf-8")
        self._assets = {path.relative_to(folder).as_posix(): _load(path) for path in files if path.name != PAGE}
        self._options = options
        self._headers = {
            "Content-Security-Policy": self._content_security_policy(),
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        }
        if not options.frame_ancestors:
            self._headers["X-Frame-Options"] = "DENY"

    def _content_security_policy(self) -> str:
        options = self._options
        connect = ["'self'"]
        if options.oidc_issuer and options.oidc_client_id:
            connect.append(origin_of(options.oidc_issuer))
        connect.extend(options.connect_sources)
        ancestors = " ".join(options.frame_ancestors) or "'none'"
        return (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src {' '.join(dict.fromkeys(connect))}; manifest-src 'self'; base-uri 'none'; "
            f"form-action 'self'; frame-ancestors {ancestors}"
        )

    def config(self, api_base: str) -> dict[str, Any]:
        """What the page reads at start (its ``console-config`` script element)."""
        options = self._options
        oidc = None
        if options.oidc_issuer and options.oidc_client_id:
            oidc = {"issuer": options.oidc_issuer, "clientId": options.oidc_client_id, "scope": options.oidc_scopes}
        return {"apiBase": api_base, "version": self.version, "oidc": oidc}

    def page(self, api_base: str) -> bytes:
        # JSON inside <script>: no character of it may close the element or start markup.
        config = json.dumps(self.config(api_base), separators=(",", ":"))
        config = config.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        assets = html.escape(f"{api_base}{ASSETS_SEGMENT}{self.version}/", quote=True)
        return self._page_template.replace("%ASSET_BASE%", assets).replace("%CONFIG_JSON%", config).encode("utf-8")

    def respond(self, path: str, headers: Mapping[str, str]) -> dict[str, Any]:
        """The answer to ``GET path`` (API Gateway's ``rawPath``) with request ``headers``."""
        console_at = path.find(CONSOLE_SEGMENT + "/")
        if path.endswith(CONSOLE_SEGMENT) and console_at == -1:
            api_base = path[: -len(CONSOLE_SEGMENT)]
            body = self.page(api_base)
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            extra = {"Cache-Control": "no-cache", "ETag": etag}
            if etag in (header(headers, "if-none-match") or "").replace("W/", "").split(", "):
                return self._answer(304, None, extra)
            return self._answer(200, _File(body, CONTENT_TYPES[".html"], gzip.compress(body, mtime=0)), extra, headers)
        api_base = path[:console_at]
        if path.startswith(api_base + ASSETS_SEGMENT):
            version, _, name = path[len(api_base + ASSETS_SEGMENT) :].partition("/")
            asset = self._assets.get(name) if version == self.version else None
            if asset is not None:
                return self._answer(200, asset, {"Cache-Control": ASSET_CACHE}, headers)
            return self._not_found()
        return self._answer(308, None, {"Location": api_base + CONSOLE_SEGMENT, "Cache-Control": "no-cache"})

    def _not_found(self) -> dict[str, Any]:
        body = b"Not found. This console asset is not part of the deployed version: reload the console.\n"
        return self._answer(404, _File(body, "text/plain; charset=utf-8", None), {"Cache-Control": "no-cache"})

    def _answer(
        self, status: int, file: _File | None, extra: Mapping[str, str], request_headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        response_headers = {**self._headers, **extra}
        if file is None:
            return {"statusCode": status, "headers": response_headers, "body": ""}
        response_headers["Content-Type"] = file.content_type
        if file.compressed is not None:
            response_headers["Vary"] = "Accept-Encoding"
            if "gzip" in (header(request_headers or {}, "accept-encoding") or ""):
                response_headers["Content-Encoding"] = "gzip"
                body = base64.b64encode(file.compressed).decode("ascii")
                return {"statusCode": status, "headers": response_headers, "body": body, "isBase64Encoded": True}
        return {
            "statusCode": status,
            "headers": response_headers,
            "body": base64.b64encode(file.body).decode("ascii"),
            "isBase64Encoded": True,
        }
