"""The code asset of ebtrail's Lambda functions (the delivery canary, the integrity sweep), built without Docker.

The bundle is built from an include list (:mod:`ebtrail.core.lambda_asset`): the ebtrail modules the handlers
import, one by one (not the CLI, preflight, the change report or the constructs), and the two pure-Python
libraries the Lambda Python runtime lacks that the integrity check needs, ``rsa`` and ``pyasn1``, each with its
licence and metadata. The runtime has boto3 and botocore ("Lambda runtimes", AWS Lambda Developer Guide).

It is staged into a directory of copies, so the asset hash (CDK hashes the paths and contents of the files in the
directory) depends on the ebtrail source and the two libraries' installed versions only: the same on every machine,
whether ebtrail is a checkout or an installed wheel.
"""

from __future__ import annotations

import atexit
import fnmatch
import shutil
import tempfile
from functools import cache
from importlib import metadata, util
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

import ebtrail
from ebtrail.core.lambda_asset import LIBRARIES, MODULES

#: Metadata files of a bundled library worth carrying (its licence must travel with it; Apache-2.0 and BSD-2).
_METADATA_FILES = ("METADATA", "LICENSE*", "LICENCE*", "licenses/*")


def _skipped(relative: Path) -> bool:
    parts = relative.parts
    return any(p.startswith(".") or p == "__pycache__" for p in parts) or relative.suffix in (".pyc", ".pyo")


def _copy_package(source: Path, dest: Path) -> None:
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if not path.is_file() or _skipped(relative):
            continue
        target = dest / source.name / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())  # contents only: no timestamps or modes from this machine


def _copy_library(distribution: str, package: str, dest: Path) -> None:
    spec = util.find_spec(package)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"{distribution} is not installed: pip install -r requirements.txt")
    _copy_package(Path(spec.origin).parent, dest)
    dist = metadata.distribution(distribution)
    info_dir = f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}.dist-info"
    for file in dist.files or []:
        parts = Path(str(file)).parts
        if not parts or not parts[0].endswith(".dist-info"):
            continue
        inner = "/".join(parts[1:])
        if any(fnmatch.fnmatch(inner, pattern) for pattern in _METADATA_FILES):
            target = dest / info_dir / inner
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(Path(str(file.locate())).read_bytes())


def module_file(package_dir: Path, module: str) -> Path:
    """The source of ``module`` (``ebtrail.x.y``) under ``package_dir`` (ebtrail's directory), relative to it: the
    module's file or its package's ``__init__.py``. A name that is neither fails the synth (a stale include list)."""
    top, *inner = module.split(".")
    if top != package_dir.name:
        raise ValueError(f"{module} is not in the {package_dir.name} package")
    base = Path(*inner) if inner else Path()
    for relative in (base / "__init__.py", base.with_suffix(".py") if inner else None):
        if relative is not None and (package_dir / relative).is_file():
            return relative
    raise FileNotFoundError(f"the Lambda asset's include list names {module}, which is not in {package_dir}")


def _copy_modules(package_dir: Path, dest: Path) -> None:
    for module in MODULES:
        relative = module_file(package_dir, module)
        target = dest / package_dir.name / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((package_dir / relative).read_bytes())  # contents only: no timestamps or modes


def stage_bundle(dest: Path, package_dir: Path | None = None) -> Path:
    """Copy the bundle's files into ``dest`` (created) and return it. ``package_dir`` defaults to ebtrail's own."""
    package_dir = package_dir or Path(ebtrail.__file__).resolve().parent
    dest.mkdir(parents=True, exist_ok=True)
    _copy_modules(package_dir, dest)
    for distribution, package in LIBRARIES:
        _copy_library(distribution, package, dest)
    return dest


@cache
def _staged() -> Path:
    """One staged copy per process (every function of every stack shares it); removed when the process ends,
    after CDK has copied it into the cloud assembly."""
    directory = Path(tempfile.mkdtemp(prefix="ebtrail-lambda-bundle-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return stage_bundle(directory / "bundle")


def lambda_code() -> lambda_.Code:
    """The asset of every ebtrail Lambda function (handlers in :mod:`ebtrail.lambdas`)."""
    return lambda_.Code.from_asset(str(_staged()))
