"""Fixtures and the figures of the bad-input and fault corpus (see helpers.py)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from .helpers import BASELINE_ARGS, FIGURES, expect_ok, run_cli, unchanged


# ------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def corpus_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("corpus")


@pytest.fixture(scope="session")
def warm_cache(ws, shared_data, corpus_root) -> Path:
    """The session's cache (SUPPLYLINE_CACHE of the ``ws`` fixture), filled by the
    baseline query. Faults are applied to copies of it (:func:`cache`)."""
    root = Path(os.environ["SUPPLYLINE_CACHE"])
    root.mkdir(parents=True, exist_ok=True)
    res = run_cli([*BASELINE_ARGS, "--data", shared_data], cwd=corpus_root,
                  env={"SUPPLYLINE_CACHE": str(root)}, timeout=900)
    expect_ok(res)
    return root


#: The day files of the small data copy (the baseline date is the last).
SMALL_DAYS = [f"202501{d}" for d in range(25, 32)]
#: The API snapshots of those days (2025-01-26, 28, 30: the grey zone of the baseline
#: date comes from the 30th, carried one day forward).
SMALL_SNAPSHOTS = ["1737928017", "1738100560", "1738272210"]


@pytest.fixture(scope="session")
def small_data(shared_data, corpus_root) -> Path:
    """Seven day files (2025-01-25..31) and the API snapshots of those days copied, EGM
    and oblasts linked: the baseline query gives the same answer on it, and its control
    history rebuilds in a second. Tests must not modify it (copy it: :func:`data_copy`)."""
    d = corpus_root / "small-data"
    (d / "deepstate").mkdir(parents=True)
    (d / "deepstate-raw").mkdir(parents=True)
    for day in SMALL_DAYS:
        name = f"deepstatemap_data_{day}.geojson"
        shutil.copyfile(shared_data / "deepstate" / name, d / "deepstate" / name)
    for t in SMALL_SNAPSHOTS:
        name = f"{t}.geojson"
        shutil.copyfile(shared_data / "deepstate-raw" / name, d / "deepstate-raw" / name)
    (d / "egm").symlink_to(shared_data / "egm", target_is_directory=True)
    (d / "admin").symlink_to(shared_data / "admin", target_is_directory=True)
    return d


@pytest.fixture
def data_copy(small_data, corpus_root) -> Path:
    """A fresh copy of :func:`small_data` for one test (faults are applied to it), always
    at the same path: the places cache is keyed by the data paths, so a new path per test
    would rebuild the gazetteer (7 s) every time."""
    d = corpus_root / "data-case"
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(small_data, d, symlinks=True)
    return d


@pytest.fixture(scope="session")
def baseline(shared_data, warm_cache, corpus_root) -> dict:
    """The baseline answer, from the warm cache."""
    res = run_cli([*BASELINE_ARGS, "--data", shared_data], cwd=corpus_root,
                  env={"SUPPLYLINE_CACHE": str(warm_cache)})
    expect_ok(res)
    return json.loads(res.out)


@pytest.fixture(scope="session")
def small_baseline(small_data, warm_cache, baseline, corpus_root) -> dict:
    """The baseline query on the small data (also warms its control history)."""
    res = run_cli([*BASELINE_ARGS, "--data", small_data], cwd=corpus_root,
                  env={"SUPPLYLINE_CACHE": str(warm_cache)})
    expect_ok(res)
    return json.loads(res.out)


@pytest.fixture
def cache(warm_cache, small_baseline, tmp_path) -> Path:
    """A private copy of the warm cache, warm for the shared and the small data (faults
    are applied to it)."""
    dest = tmp_path / "cache"
    shutil.copytree(warm_cache, dest, symlinks=True)
    return dest


@pytest.fixture
def intact(small_data, small_baseline, baseline, tmp_path):
    """``intact(cache_root, before=None, data=small data)``: the baseline query against
    ``cache_root`` gives the baseline answer, and every file of ``before`` (a
    :func:`snapshot`) is still there unchanged. The query runs on the small data by
    default (it answers the baseline, see test_small_data_gives_the_baseline; its
    history loads in 0.1 s instead of 0.6 s); the full history's cache entry is covered
    by the snapshot, byte for byte."""
    def check(cache_root: Path, before: dict | None = None, data: Path | None = None) -> None:
        if before is not None:
            unchanged(cache_root, before)
        res = run_cli([*BASELINE_ARGS, "--data", data or small_data], cwd=tmp_path,
                      env={"SUPPLYLINE_CACHE": str(cache_root), "SUPPLYLINE_DATA": None})
        expect_ok(res)
        if json.loads(res.out) != baseline:
            raise AssertionError("wrong: the baseline query gives a different answer "
                                 "afterwards")
    return check


@pytest.fixture
def readonly_dir(tmp_path):
    """A directory nobody can create files in (root included): chmod 0555 for a normal
    user; for root an immutable directory (chattr +i) or, where that is not possible,
    /sys (no regular files can be created there)."""
    d = tmp_path / "readonly"
    d.mkdir()
    if os.geteuid() != 0:
        d.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
        yield d
        d.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    ok = chattr and subprocess.run([chattr, "+i", str(d)], capture_output=True).returncode == 0
    if ok:
        try:
            yield d
        finally:
            subprocess.run([chattr, "-i", str(d)], capture_output=True)
        return
    yield Path("/sys/supplyline-readonly")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if item.get_closest_marker("corpus") is None:
        return
    if rep.when == "call" or (rep.when == "setup" and not rep.passed):
        if hasattr(rep, "wasxfail"):
            FIGURES["xfail (owned elsewhere)" if rep.skipped else "xpass (fixed elsewhere)"] += 1
        elif rep.passed:
            FIGURES["passed"] += 1
        elif rep.skipped:
            FIGURES["skipped"] += 1
        else:
            exc = call.excinfo.value if call.excinfo is not None else None
            if isinstance(exc, AssertionError):  # a check: its message starts with the kind
                head = str(exc).split(":", 1)[0]
                kind = head if head in ("traceback", "hang", "wrong") else "wrong"
            else:  # an exception escaped the case: a traceback
                kind = "traceback"
            FIGURES[kind] += 1


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    n = sum(FIGURES.values())
    parts = ", ".join(f"{k} {v}" for k, v in sorted(FIGURES.items()))
    terminalreporter.write_line(
        f"corpus: {n} cases ({parts}); tracebacks {FIGURES['traceback']}, silently wrong "
        f"{FIGURES['wrong']}, hangs {FIGURES['hang']}")
