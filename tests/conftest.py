"""Whole-suite settings: the pinned Node 22 first on PATH, so jsii and the CDK CLI never use the system Node."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
_NODE_BIN = REPO_ROOT / "node_modules" / ".bin"

if _NODE_BIN.is_dir() and not os.environ.get("PATH", "").startswith(str(_NODE_BIN)):
    os.environ["PATH"] = f"{_NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


def _share_botocore_loader() -> None:
    """One botocore data loader per search path for the whole process, instead of one per ``boto3.Session``.

    Every session (the tests', the verifier's own, one per account and region) would otherwise parse the same
    service-model JSON files again: about 30 ms per client, hundreds of times in the suite. The loader only reads
    the files botocore ships (its results were already shared by every client of one session), so sharing it
    changes no answer.
    """
    import botocore.loaders
    import botocore.session

    create_loader = botocore.loaders.create_loader
    loaders: dict[str | None, botocore.loaders.Loader] = {}

    def shared(search_path_string: str | None = None) -> botocore.loaders.Loader:
        if search_path_string not in loaders:
            loaders[search_path_string] = create_loader(search_path_string)
        return loaders[search_path_string]

    botocore.session.create_loader = shared


_share_botocore_loader()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test``: ``-n 2 --dist loadgroup``), every test that reads the session's synthesized
    fixture configs (tests/cdk/conftest.py) runs on one worker, so each config is synthesized once per run, as
    in a serial run, instead of once per worker."""
    synth = pytest.mark.xdist_group("synthesized-configs")
    for item in items:
        if {"synthesized", "default"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(synth)
