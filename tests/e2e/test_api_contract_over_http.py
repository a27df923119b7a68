"""The API against its own OpenAPI document, over HTTP on the local runtime: the document is
served without a credential (with Swagger UI), and Schemathesis fuzzes every operation with it.

Schemathesis checks that no request gets a server error, that every status code, content type
and response body is the documented one, and that data the document calls invalid is refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_runtime.openapi import DOCUMENT_PATH
from local_runtime.template import PROJECT_ROOT
from tests.e2e.runtime import LocalRuntime, admin_create_key, start_local_runtime, stop

pytestmark = pytest.mark.e2e

ALL_SCOPES = ("webhooks:read", "webhooks:write", "api-keys:read", "api-keys:write")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection"
EXAMPLES_PER_OPERATION = 10
# The fuzzer's webhooks receive every event the run causes after them: at most 5 of them, and one
# attempt per message, keep that background work (and the run) short.
FUZZ_PARAMETER_OVERRIDES = "MaxWebhooksPerTenant=5 WebhookRetrySchedule=0s"


@pytest.fixture(scope="module")
def local_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    """This module's own runtime (conftest's, with :data:`FUZZ_PARAMETER_OVERRIDES`)."""
    runtime = start_local_runtime(tmp_path_factory.mktemp("fuzz-runtime"), FUZZ_PARAMETER_OVERRIDES)
    try:
        yield runtime
    finally:
        stop(runtime)


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback only
        return response.status, response.headers["content-type"], response.read()


def test_the_document_and_swagger_ui_are_served_without_a_credential(local_runtime: LocalRuntime) -> None:
    status, content_type, body = fetch(local_runtime.api_url + "/openapi.json")
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    status, content_type, page = fetch(local_runtime.api_url + "/swagger")
    assert status == 200 and content_type.startswith("text/html")
    assert b"SwaggerUIBundle" in page and b'"/api/v1/integration"' in page  # the UI and the document, inline


def schemathesis(runtime: LocalRuntime, tmp_path: Path, *selection: str) -> subprocess.CompletedProcess[str]:
    key = admin_create_key(runtime, "fuzz", *ALL_SCOPES)  # a tenant of its own
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        runtime.api_url + "/openapi.json",
        "--header",
        f"Authorization: Bearer {key}",
        # Only the bearer credential: a generated X-Api-Key beside it would (rightly) be a 401.
        "--generation-with-security-parameters",
        "false",
        "--checks",
        CHECKS,
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--generation-deterministic",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
        *selection,
    ]
    # tests/e2e/schemathesis_hooks.py: a fresh Idempotency-Key per request, as a client sends.
    path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks", "PYTHONPATH": path}
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603


def test_every_operation_but_revoke_keeps_its_contract_under_fuzzing(local_runtime: LocalRuntime, tmp_path: Path) -> None:
    done = schemathesis(local_runtime, tmp_path, "--exclude-path-regex", "revoke$")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    document = json.loads((PROJECT_ROOT / "openapi.json").read_text())
    operations = [(method, path) for path, item in document["paths"].items() if not path.endswith("revoke") for method in item]
    assert f"Tested: {len(operations)}" in done.stdout  # every operation but revoke: none left out of the fuzzing


def test_revoke_keeps_its_contract_under_fuzzing(local_runtime: LocalRuntime, tmp_path: Path) -> None:
    # Alone and last: fuzzing revoke may well revoke the key it is fuzzing with.
    done = schemathesis(local_runtime, tmp_path, "--include-path-regex", "revoke$")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "Tested: 1" in done.stdout
