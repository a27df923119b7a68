"""The console's files as ConsoleFunction serves them: versioned assets, the page, caching, CSP."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

import pytest

from integration.entrypoints.http.console import ASSET_CACHE, Console, ConsoleOptions
from integration.settings import Settings, SettingsError, parse_origins

API = "/api/v1/integration"
PAGE = f"{API}/console"
INDEX = (
    '<!doctype html><link rel="stylesheet" href="%ASSET_BASE%app.css">'
    '<script type="application/json" id="console-config">%CONFIG_JSON%</script>'
    '<script type="module" src="%ASSET_BASE%app.js"></script>'
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "app.js").write_text("import './pages/keys.js';\n" + "// padding\n" * 200)
    (tmp_path / "app.css").write_text("body { color: black; }\n")
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "keys.js").write_text("export const keys = 1;\n")
    return tmp_path


def body_of(response: dict) -> bytes:
    raw = base64.b64decode(response["body"]) if response.get("isBase64Encoded") else response["body"].encode()
    return gzip.decompress(raw) if response["headers"].get("Content-Encoding") == "gzip" else raw


def config_of(page: bytes) -> dict:
    found = re.search(rb'id="console-config">(.*?)</script>', page)
    assert found is not None
    return json.loads(found.group(1))


def test_the_page_names_its_versioned_assets_and_its_configuration(folder: Path) -> None:
    console = Console(folder, ConsoleOptions())
    response = console.respond(PAGE, {})
    page = body_of(response)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert response["headers"]["Cache-Control"] == "no-cache"  # revalidated every time: a new version shows at once
    assert f'href="{API}/console/assets/{console.version}/app.css"'.encode() in page
    assert f'src="{API}/console/assets/{console.version}/app.js"'.encode() in page
    assert config_of(page) == {"apiBase": API, "version": console.version, "oidc": None}


def test_the_api_base_follows_the_path_the_page_was_asked_for(folder: Path) -> None:
    """Behind a custom domain's base path mapping, the page and the API move together."""
    page = body_of(Console(folder, ConsoleOptions()).respond("/tenants-api/api/v1/integration/console", {}))
    assert config_of(page)["apiBase"] == "/tenants-api/api/v1/integration"


def test_configuration_cannot_close_its_script_element(folder: Path) -> None:
    page = body_of(Console(folder, ConsoleOptions()).respond("/x</script><script>alert(1)</script>/console", {}))
    assert page.count(b"</script>") == 2  # the configuration's own and the module's: nothing injected
    assert config_of(page)["apiBase"] == "/x</script><script>alert(1)</script>"


def test_an_asset_of_this_version_is_cached_for_a_year(folder: Path) -> None:
    console = Console(folder, ConsoleOptions())
    response = console.respond(f"{PAGE}/assets/{console.version}/pages/keys.js", {})
    assert response["statusCode"] == 200
    assert response["headers"]["Cache-Control"] == ASSET_CACHE == "public, max-age=31536000, immutable"
    assert response["headers"]["Content-Type"] == "text/javascript; charset=utf-8"
    assert body_of(response) == b"export const keys = 1;\n"


@pytest.mark.parametrize(
    "path",
    [
        "assets/0123456789ab/app.js",  # another version: its browser must reload the page
        "assets/{version}/missing.js",
        "assets/{version}/index.html",  # the page is served only as the page
        "assets/{version}/../index.html",
        "assets/{version}",
    ],
)
def test_anything_else_under_assets_is_not_found(folder: Path, path: str) -> None:
    console = Console(folder, ConsoleOptions())
    response = console.respond(f"{PAGE}/{path.format(version=console.version)}", {})
    assert response["statusCode"] == 404
    assert response["headers"]["Cache-Control"] == "no-cache"


def test_any_file_changed_is_a_new_version(folder: Path) -> None:
    before = Console(folder, ConsoleOptions()).version
    assert Console(folder, ConsoleOptions()).version == before
    (folder / "pages" / "keys.js").write_text("export const keys = 2;\n")
    changed = Console(folder, ConsoleOptions()).version
    assert changed != before
    assert re.fullmatch(r"[0-9a-f]{12}", changed)


@pytest.mark.parametrize("path", [f"{PAGE}/", f"{PAGE}/endpoints", f"{PAGE}/assets"])
def test_other_paths_under_the_console_go_to_the_page(folder: Path, path: str) -> None:
    response = Console(folder, ConsoleOptions()).respond(path, {})
    assert response["statusCode"] == 308
    assert response["headers"]["Location"] == PAGE


def test_an_unchanged_page_is_answered_304(folder: Path) -> None:
    console = Console(folder, ConsoleOptions())
    etag = console.respond(PAGE, {})["headers"]["ETag"]
    assert console.respond(PAGE, {"If-None-Match": etag})["statusCode"] == 304
    assert console.respond(PAGE, {"if-none-match": f"W/{etag}"})["statusCode"] == 304
    assert console.respond(PAGE, {"if-none-match": '"other"'})["statusCode"] == 200


def test_text_goes_gzip_compressed_only_to_a_browser_that_accepts_it(folder: Path) -> None:
    console = Console(folder, ConsoleOptions())
    path = f"{PAGE}/assets/{console.version}/app.js"
    compressed = console.respond(path, {"accept-encoding": "gzip, deflate, br"})
    plain = console.respond(path, {})
    assert compressed["headers"]["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain["headers"]
    assert compressed["headers"]["Vary"] == plain["headers"]["Vary"] == "Accept-Encoding"
    assert body_of(compressed) == body_of(plain) == (folder / "app.js").read_bytes()
    assert len(base64.b64decode(compressed["body"])) < len((folder / "app.js").read_bytes())
    small = console.respond(f"{PAGE}/assets/{console.version}/app.css", {"accept-encoding": "gzip"})
    assert "Content-Encoding" not in small["headers"]  # under 1 KiB: not worth it


def test_by_default_the_page_loads_only_its_own_files_and_cannot_be_framed(folder: Path) -> None:
    headers = Console(folder, ConsoleOptions()).respond(PAGE, {})["headers"]
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_a_platform_may_frame_it_and_single_sign_on_may_call_the_issuer(folder: Path) -> None:
    options = ConsoleOptions(
        frame_ancestors=("https://app.example.com",),
        oidc_issuer="https://login.example.com/realms/tenants",
        oidc_client_id="console",
        oidc_scopes="openid integration/webhooks:read",
        connect_sources=("https://auth.example.com",),
    )
    response = Console(folder, options).respond(PAGE, {})
    policy = dict(part.strip().split(" ", 1) for part in response["headers"]["Content-Security-Policy"].split(";"))
    assert policy["frame-ancestors"] == "https://app.example.com"
    assert "X-Frame-Options" not in response["headers"]
    assert policy["connect-src"] == "'self' https://login.example.com https://auth.example.com"
    assert config_of(body_of(response))["oidc"] == {
        "issuer": "https://login.example.com/realms/tenants",
        "clientId": "console",
        "scope": "openid integration/webhooks:read",
    }


def test_without_a_client_id_there_is_no_single_sign_on(folder: Path) -> None:
    response = Console(folder, ConsoleOptions(oidc_issuer="https://login.example.com")).respond(PAGE, {})
    assert config_of(body_of(response))["oidc"] is None
    assert "login.example.com" not in response["headers"]["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://app.example.com", ("https://app.example.com",)),
        ("https://a.example.com:8443, https://b.example.com", ("https://a.example.com:8443", "https://b.example.com")),
        ("http://localhost:5173 http://127.0.0.1", ("http://localhost:5173", "http://127.0.0.1")),
    ],
)
def test_origins_accepted(value: str, expected: tuple[str, ...]) -> None:
    assert parse_origins(value) == expected


@pytest.mark.parametrize(
    "value",
    ["http://app.example.com", "https://app.example.com/", "https://app.example.com/path", "app.example.com", "*"],
)
def test_origins_refused_name_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match=r"^CONSOLE_FRAME_ANCESTORS=.*not an origin"):
        Settings.from_environ({"CONSOLE_FRAME_ANCESTORS": value})
