from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

#: Debian's chromium and the flags every browser test runs it with (headless, WebGL through
#: SwiftShader, no background network or first-run work)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--use-gl=swiftshader",
                 "--enable-unsafe-swiftshader", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic", "--disable-features=Translate,OptimizationHints"]


def chromium_or_skip():
    """Playwright's ``sync_playwright``, or skip the test with the reason (no chromium, no
    playwright)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (Debian: `apt-get install -y chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright not installed (pip install -e '.[dev]')")
    return sync_playwright


def pytest_collection_modifyitems(config, items):
    """Every test that reads ../shared/data (through the ``shared_data`` or ``ws`` fixture)
    is marked ``realdata``: ``pytest -m "not realdata"`` runs the fast unit tests only."""
    for item in items:
        if {"shared_data", "ws"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.realdata)


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    """Where tests leave pictures a person may want to look at (maps, screenshots):
    ``$SUPPLYLINE_TEST_ARTIFACTS`` if set, else a temporary folder (never the checkout)."""
    import os

    env = os.environ.get("SUPPLYLINE_TEST_ARTIFACTS")
    path = Path(env) if env else tmp_path_factory.mktemp("artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED / "deepstate").is_dir() or not (SHARED / "egm").is_dir():
        pytest.skip("../shared/data not available")
    return SHARED


@pytest.fixture(scope="session")
def ws(shared_data, tmp_path_factory):
    import os

    from supplyline.analysis.context import Workspace

    os.environ.setdefault("SUPPLYLINE_CACHE", str(tmp_path_factory.mktemp("cache")))
    return Workspace(shared_data)


def plain(obj) -> bool:
    """True when ``obj`` is built only of JSON types (no numpy scalars or arrays)."""
    if isinstance(obj, dict):
        return all(isinstance(k, str) and plain(v) for k, v in obj.items())
    if isinstance(obj, list):
        return all(plain(v) for v in obj)
    if isinstance(obj, np.generic | np.ndarray):
        return False
    return obj is None or isinstance(obj, str | int | float | bool)


class CliResult:
    def __init__(self, code: int, out: str, err: str):
        self.returncode, self.stdout, self.stderr = code, out, err


def run_cli(*args: str, data=None) -> CliResult:
    """Run the command line in this process (as ``supplyline ARGS``): exit code, stdout
    and stderr, exactly as a shell would see them."""
    import contextlib
    import io
    import sys

    from supplyline.cli import main

    argv = ["supplyline", *[str(a) for a in args]]
    if data is not None:
        argv += ["--data", str(data)]
    out, err = io.StringIO(), io.StringIO()
    old = sys.argv
    code = 0
    try:
        sys.argv = argv
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = old
    return CliResult(code, out.getvalue(), err.getvalue())


#: the small board the web tests serve: places >= 100,000 within 50 km of held territory
#: on some day since BOARD_START (five cities, ~53 days; built once per session)
BOARD_START = "2026-07-01"


@pytest.fixture(scope="session")
def board_dir(ws, tmp_path_factory):
    """The board tables of the web tests: built small here, or ready tables named by
    SUPPLYLINE_TEST_BOARD (e.g. the full board of ``make screenshots``)."""
    import os

    from supplyline.analysis.board import BoardSpec, build_tables, read_manifest

    given = os.environ.get("SUPPLYLINE_TEST_BOARD")
    if given:
        if read_manifest(Path(given)) is None:
            pytest.skip(f"SUPPLYLINE_TEST_BOARD={given}: no board tables there")
        return Path(given)
    d = tmp_path_factory.mktemp("board")
    build_tables(ws, d, BoardSpec(100_000, 50.0, BOARD_START), workers=1)
    return d


@pytest.fixture(scope="session")
def real_board(ws, board_dir):
    from supplyline.analysis.board import Board

    return Board.load(board_dir, ws)
