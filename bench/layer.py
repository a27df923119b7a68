"""The shared layer's size, unzipped, against Lambda's 250 MB limit and against boto3's own size.

The layer is built the way ``sam build`` builds it: ``layers/shared/Makefile``'s
``build-SharedLayer`` target (wheels for Lambda's platform, arm64 CPython 3.13), into a
temporary directory. Without access to the package index the size is estimated from .venv
(the same distributions, built for this machine).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from bench import lambda_site
from bench.common import PROJECT_ROOT, Report, at_most, heading, row, say, smoke

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024  # function code and all its layers, unzipped
TARGET = at_most(250, " MB")  # function code and layers, unzipped
MB = 1024 * 1024
# Packages the python3.13 runtime already provides (botocore's dependencies); a copy in the layer
# shadows the runtime's.
RUNTIME_PROVIDED = ("urllib3", "dateutil", "jmespath", "six.py")


def tree_size(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            file = Path(root) / name
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def build_layer(target: Path) -> tuple[Path | None, str]:
    done = subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(PROJECT_ROOT / "layers" / "shared"),
            "build-SharedLayer",
            f"ARTIFACTS_DIR={target}",
            f"PYTHON={sys.executable}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    python = target / "python"
    if done.returncode != 0 or not python.is_dir():
        return None, (done.stderr or done.stdout)[-500:]
    return python, ""


def estimate_from_venv(target: Path) -> Path:
    """The layer's distributions as installed in .venv (this machine's wheels), plus the package."""
    python = target / "python"
    python.mkdir(parents=True)
    for distribution in lambda_site.layer_distributions().values():
        for name in lambda_site.top_level_names(distribution):
            source = Path(str(distribution.locate_file(name)))
            if source.is_dir():
                shutil.copytree(source, python / name, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
            elif source.exists():
                shutil.copy2(source, python / name)
    shutil.copytree(
        PROJECT_ROOT / "layers" / "shared" / "integration", python / "integration", ignore=shutil.ignore_patterns("__pycache__")
    )
    return python


def zipped_size(path: Path, work: Path) -> int:
    archive = work / "layer.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for root, _, files in os.walk(path):
            for name in files:
                file = Path(root) / name
                out.write(file, file.relative_to(path.parent))
    return archive.stat().st_size


def run(report: Report) -> None:
    section = report.section(
        "layer",
        "7. Layer size",
        "The shared layer built as `sam build` builds it (`layers/shared/Makefile`: Lambda's arm64 "
        "CPython 3.13 wheels), unzipped, against Lambda's 250 MB limit for a function's code and "
        "layers together, and against boto3's own size (boto3, botocore and s3transfer as installed "
        "here; the runtime provides them).",
    )
    heading(section.title)
    work = Path(tempfile.mkdtemp(prefix="bench-layer-"))
    try:
        python, error = (None, "--smoke: no build") if smoke() else build_layer(work / "built")
        how = "built with layers/shared/Makefile"
        if python is None:
            say(f"  the layer build failed ({error.strip()[-200:]}); estimating from .venv")
            python = estimate_from_venv(work / "estimated")
            how = "estimated from .venv (the build could not reach the package index)"
        total = tree_size(python)
        zipped = zipped_size(python, work)
        packages = sorted(
            ((entry.name, tree_size(entry) if entry.is_dir() else entry.stat().st_size) for entry in python.iterdir()),
            key=lambda item: -item[1],
        )
        functions = sum(
            (folder / "app.py").stat().st_size
            for folder in (PROJECT_ROOT / "functions").iterdir()
            if (folder / "app.py").is_file()
        )
        boto = sum(
            tree_size(Path(str(dist.locate_file(name))))
            for key, dist in lambda_site.runtime_distributions().items()
            if key in ("boto3", "botocore", "s3transfer")
            for name in lambda_site.top_level_names(dist)
            if Path(str(dist.locate_file(name))).is_dir()
        )
        duplicated = sum(size for name, size in packages if name in RUNTIME_PROVIDED)
        bytecode = [file for file in python.rglob("*.pyc")]
        bytecode_size = sum(file.stat().st_size for file in bytecode)
        tags = sorted({file.name.split(".")[-2] for file in bytecode if file.name.count(".") >= 2})
        jwt = sum(
            size
            for name, size in packages
            if name in ("cryptography", "cffi", "pycparser", "jwt") or name.startswith("_cffi_backend")
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    largest_function = max(
        (folder / "app.py").stat().st_size for folder in (PROJECT_ROOT / "functions").iterdir() if (folder / "app.py").is_file()
    )
    share = (total + largest_function) / LAMBDA_UNZIPPED_LIMIT
    row(
        "layer, unzipped",
        f"{total / MB:.1f} MB ({zipped / MB:.1f} MB zipped), {share:.1%} of the 250 MB limit",
        TARGET,
        (total + largest_function) / MB,
    )
    row("boto3 + botocore + s3transfer", f"{boto / MB:.1f} MB: the layer is {total / boto:.2f}× boto3's size")
    table = section.table(["what", "size", "against"])
    table.add(
        f"the layer, unzipped ({how})",
        f"{total / MB:.1f} MB",
        f"{share:.1%} of Lambda's 250 MB with the largest function's code ({largest_function / 1024:.1f} KB; each function is its `app.py`, "
        f"{functions / 1024:.0f} KB for all of them)",
    )
    table.add("the layer, zipped", f"{zipped / MB:.1f} MB", "50 MB: the limit for a zip uploaded directly")
    table.add(
        "of the layer: compiled bytecode (`.pyc`)",
        f"{bytecode_size / MB:.1f} MB" if bytecode else "none",
        f"{len(bytecode):,} files ({', '.join(tags)}): spares every cold start compiling the layer"
        if bytecode
        else "every cold start compiles the layer from source",
    )
    table.add("boto3 + botocore + s3transfer (the runtime's)", f"{boto / MB:.1f} MB", f"the layer is {total / boto:.2f}× this")
    table.add(
        "of the layer: copies of packages the runtime already has (urllib3, python-dateutil, jmespath, six)",
        f"{duplicated / MB:.1f} MB",
        "come with aws-xray-sdk → botocore; the runtime's copies would do",
    )
    table.add(
        "of the layer: cryptography, cffi, pycparser, PyJWT (the OIDC path only)",
        f"{jwt / MB:.1f} MB",
        f"{jwt / total:.0%} of the layer",
    )
    biggest = section.table(["package in the layer", "unzipped"], caption="**The layer's largest packages:**")
    for name, size in packages[:10]:
        biggest.add(f"`{name}`", f"{size / MB:.2f} MB")
    report.headline(
        "Layer size, unzipped (÷ Lambda's 250 MB limit)",
        f"{total / MB:.1f} MB, {share:.1%} of the limit; {total / boto:.2f}× boto3's own size",
        TARGET.text(),
        TARGET.verdict((total + largest_function) / MB),
    )
    report.data["layer"] = {"bytes": total, "zipped": zipped, "boto": boto, "duplicated": duplicated, "jwt": jwt}
