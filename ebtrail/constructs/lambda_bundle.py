"""The code asset of ebtrail's Lambda functions (the delivery canary, the integrity sweep), built without Docker.

The bundle is the ebtrail package (without its constructs, bytecode and dotfiles) and the two pure-Python
libraries the Lambda Python runtime lacks that the integrity check needs: ``rsa`` (SHA256withRSA, the library
aws-cli v1 verifies digests with) and its one dependency ``pyasn1`` (DER keys), each with its licence and
metadata. The runtime has boto3 and botocore ("Lambda runtimes", AWS Lambda Developer Guide).

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

#: Pure-Python distributions bundled beside ebtrail: (distribution name, import package).
BUNDLED_LIBRARIES = (("rsa", "rsa"), ("pyasn1", "pyasn1"))
#: Metadata files of a bundled library worth carrying (its licence must travel with it; Apache-2.0 and BSD-2).
_METADATA_FILES = ("METADATA", "LICENSE*", "LICENCE*", "licenses/*")


def _skipped(relative: Path) -> bool:
    parts = relative.parts
    return any(p.startswith(".") or p == "__pycache__" for p in parts) or relative.suffix in (".pyc", ".pyo")


def _copy_package(source: Path, dest: Path, *, exclude_top: tuple[str, ...] = ()) -> None:
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if not path.is_file() or _skipped(relative) or (relative.parts and relative.parts[0] in exclude_top):
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


def stage_bundle(dest: Path, package_dir: Path | None = None) -> Path:
    """Copy the bundle's files into ``dest`` (created) and return it. ``package_dir`` defaults to ebtrail's own."""
    package_dir = package_dir or Path(ebtrail.__file__).resolve().parent
    dest.mkdir(parents=True, exist_ok=True)
    _copy_package(package_dir, dest, exclude_top=("constructs",))
    for distribution, package in BUNDLED_LIBRARIES:
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
    """The asset of every ebtrail Lambda function (handlers in :mod:`ebtrail.verifier`)."""
    return lambda_.Code.from_asset(str(_staged()))
