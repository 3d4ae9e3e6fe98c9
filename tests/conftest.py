from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED / "deepstate").is_dir() or not (SHARED / "egm").is_dir():
        pytest.skip("../shared/data not available")
    return SHARED


@pytest.fixture(scope="session")
def ws(shared_data, tmp_path_factory):
    import os

    from supplyline.analysis import Workspace

    os.environ.setdefault("SUPPLYLINE_CACHE", str(tmp_path_factory.mktemp("cache")))
    return Workspace(shared_data)
