"""`sam build` works without Docker and ships a layer compiled for the functions' platform."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from local_runtime.template import PROJECT_ROOT, Template

pytestmark = pytest.mark.slow

SAM = Path(sys.executable).parent / "sam"
LAMBDA_BOTO_PACKAGES = ("boto3", "botocore", "s3transfer")


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("project")
    for entry in ("template.yaml", "samconfig.toml", "functions", "layers"):
        copy = shutil.copytree if (PROJECT_ROOT / entry).is_dir() else shutil.copy2
        copy(PROJECT_ROOT / entry, source / entry)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "SAM_CLI_TELEMETRY": "0"}
    done = subprocess.run(  # noqa: S603
        [str(SAM), "build", "--build-dir", str(source / ".aws-sam" / "build")],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return source / ".aws-sam" / "build"


def test_layer_holds_pydantic_core_compiled_for_lambda_arm64_python313(build_dir: Path, template: Template) -> None:
    assert template.raw["Globals"]["Function"]["Architectures"] == ["arm64"]
    layer = build_dir / "SharedLayer" / "python"
    compiled = list((layer / "pydantic_core").glob("_pydantic_core*.so"))
    assert [path.name for path in compiled] == ["_pydantic_core.cpython-313-aarch64-linux-gnu.so"]


def test_layer_holds_the_integration_package_and_not_the_runtimes_boto(build_dir: Path) -> None:
    layer = build_dir / "SharedLayer" / "python"
    assert (layer / "integration" / "domain" / "api_keys.py").is_file()
    assert (layer / "aws_lambda_powertools").is_dir()
    for package in LAMBDA_BOTO_PACKAGES:
        assert not (layer / package).exists(), f"{package} is provided by the Lambda runtime"


def test_the_layer_ships_bytecode_for_python313_only_when_a_313_built_it(build_dir: Path) -> None:
    layer = build_dir / "SharedLayer" / "python"
    tags = {path.name.split(".")[-2] for path in layer.glob("**/__pycache__/*.pyc")}
    assert tags <= {"cpython-313"}  # never this machine's own bytecode, which Lambda would ignore
    asked = ["make", "-s", "--no-print-directory", "-C", str(PROJECT_ROOT / "layers" / "shared"), "python313"]
    if subprocess.run(asked, capture_output=True, text=True, check=True).stdout.strip():  # noqa: S603, S607
        pyc = layer / "integration" / "domain" / "__pycache__" / "api_keys.cpython-313.pyc"
        assert pyc.is_file()
        flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
        assert flags == 0b01  # hash-based and unchecked: valid whatever the zip does to file times
        assert list((layer / "pydantic").glob("__pycache__/*.cpython-313.pyc"))


def test_each_function_artifact_is_just_its_handler(build_dir: Path, template: Template) -> None:
    for name in template.functions():
        expected = ["app.py", "static"] if name == "ConsoleFunction" else ["app.py"]  # the console's own files
        assert sorted(path.name for path in (build_dir / name).iterdir()) == expected
