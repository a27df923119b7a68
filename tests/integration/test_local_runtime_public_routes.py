"""The local runtime's gateway, in process, for the routes without an authorizer (the console's
``Auth: Authorizer: NONE``) and the greedy ``{proxy+}`` parameter, as API Gateway has them."""

from __future__ import annotations

import json
import re

from local_runtime.gateway import Gateway
from local_runtime.resources import Stack
from local_runtime.template import Template

API = "/api/v1/integration"


def test_a_proxy_parameter_takes_the_rest_of_the_path_and_needs_at_least_one_character(template: Template) -> None:
    (assets,) = [route for route in template.routes() if route.path.endswith("{proxy+}")]
    assert assets.match("GET", f"{API}/console/assets/0123456789ab/pages/keys.js") == {
        "proxy": "assets/0123456789ab/pages/keys.js"
    }
    assert assets.match("GET", f"{API}/console/") is None
    assert assets.match("GET", f"{API}/console") is None
    assert assets.match("POST", f"{API}/console/x") is None


def test_the_console_is_served_without_a_credential_and_the_api_still_needs_one(
    aws: Stack, template: Template, monkeypatch
) -> None:
    for name, value in aws.function_environment("ConsoleFunction").items():
        monkeypatch.setenv(name, value)
    gateway = Gateway(template)

    page = gateway.handle("GET", f"{API}/console", "", {}, b"")
    assert page.status == 200, page.body[:200]
    assert page.function == "ConsoleFunction"
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    asset = re.search(rb'src="([^"]+/app\.js)"', page.body)
    assert asset is not None
    script = gateway.handle("GET", asset.group(1).decode(), "", {}, b"")
    assert (script.status, script.headers["cache-control"]) == (200, "public, max-age=31536000, immutable")

    refused = gateway.handle("GET", f"{API}/scopes", "", {}, b"")  # the authorizer still guards the API
    assert (refused.status, json.loads(refused.body)) == (401, {"message": "Unauthorized"})
