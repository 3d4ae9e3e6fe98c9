"""Corpus, part 3: faults in the derived cache (a private copy of the warm cache).

The queries run on the small data copy (seven days: its control history rebuilds in a
second, and it answers the baseline); network faults hit the rail entry (it rebuilds in
a second), one hits both networks.

A damaged entry is a miss: it is rebuilt (a warning line says so) and the answer is the
baseline; an unwritable cache means running without caching (one warning), never an
error; temporary files left by a killed run are removed once stale; a pickle planted in
the cache is never loaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from .helpers import expect_error, expect_ok, run_cli, snapshot

pytestmark = [pytest.mark.corpus, pytest.mark.realdata]

ISSUE15 = "issue-15 helper (data/control.py): the control-history cache"
ISSUE13 = "issue-13 helper (data/places.py): the places cache (pickle)"
LEAD = "lead (analysis/timeline.py rewrite): the timeline cache"


def _network_entries(cache: Path, modes=("rail",)) -> list[Path]:
    found = []
    for m in sorted((cache / "derived" / "network").glob("*/manifest.json")):
        if json.loads(m.read_text()).get("meta", {}).get("mode") in modes:
            found.append(m.parent)
    assert len(found) == len(modes), f"network entries for {modes} not in the warm cache"
    return found


def _all_files(cache: Path, kind: str) -> list[Path]:
    found = sorted(p for p in (cache / "derived" / kind).rglob("*") if p.is_file())
    assert found, f"no {kind} cache files in the warm cache"
    return found


def _flip(path: Path, offset_share: float = 0.5, n: int = 16) -> None:
    data = bytearray(path.read_bytes())
    at = int(len(data) * offset_share)
    for i in range(at, min(at + n, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path, size: int = 1000) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(size)


def _status(data: Path, cache: Path, cwd: Path):
    return run_cli(["status", "Pokrovsk", "--date", "2025-01-31", "--json", "--data", data],
                   cwd=cwd, env={"SUPPLYLINE_CACHE": str(cache)})


def _check(res, small_baseline) -> None:
    expect_ok(res)
    assert json.loads(res.out) == small_baseline, "wrong: a different answer"


NETWORK_FAULTS = [
    ("truncated-arrays", ("rail",), "u.npy", _truncate, "size differs"),
    ("bit-flipped-arrays", ("road", "rail"), "length.npy", _flip, "checksum differs"),
    ("bit-flipped-nodes", ("rail",), "node_xy.npy", _flip, "checksum differs"),
    ("garbage-manifest", ("rail",), "manifest.json", lambda p: p.write_text("garbage{"),
     "unreadable manifest"),
    ("other-schema", ("rail",), "manifest.json",
     lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "schema": 999})),
     "schema 999"),
    ("foreign-manifest", ("rail",), "manifest.json",
     lambda p: p.write_text(json.dumps({"kind": "control", "schema": 3, "files": {}})),
     "damaged"),
    ("manifest-list", ("rail",), "manifest.json", lambda p: p.write_text("[1, 2]"),
     "damaged"),
    ("missing-file", ("rail",), "v.npy", lambda p: p.unlink(), "damaged"),
]


@pytest.mark.parametrize(("modes", "name", "fault", "warning"),
                         [c[1:] for c in NETWORK_FAULTS], ids=[c[0] for c in NETWORK_FAULTS])
def test_damaged_network_entry_is_rebuilt(modes, name, fault, warning, cache, small_data,
                                          small_baseline, intact, tmp_path):
    for d in _network_entries(cache, modes):
        fault(d / name)
    res = _status(small_data, cache, tmp_path)
    _check(res, small_baseline)
    assert warning in res.err and "rebuilding" in res.err
    # rebuilt: a second run reads the entry without a warning
    again = _status(small_data, cache, tmp_path)
    _check(again, small_baseline)
    assert "damaged" not in again.err
    intact(cache)


def test_damage_found_on_first_use_is_one_line_then_rebuilt(cache, small_data,
                                                            small_baseline, intact, tmp_path):
    """Arrays other than the edge ends, lengths and nodes are read (and checked) when first
    used, after the answer has started: damage found then is one line and exit 2, the
    damaged entry is removed, and the next run rebuilds it and answers correctly."""
    for d in _network_entries(cache, ("road",)):
        _flip(d / "text.ref.npy", 0.9, 4)
    res = _status(small_data, cache, tmp_path)
    expect_error(res, "network cache damaged", "text.ref", "run the command again")
    again = _status(small_data, cache, tmp_path)
    _check(again, small_baseline)
    intact(cache)


def test_network_entry_replaced_by_a_file(cache, small_data, small_baseline, intact,
                                          tmp_path):
    for d in _network_entries(cache):
        for f in d.iterdir():
            f.unlink()
        d.rmdir()
        d.write_text("not a directory")
    res = _status(small_data, cache, tmp_path)
    _check(res, small_baseline)
    assert "running without caching" in res.err
    intact(cache)


def test_stale_temporary_files_are_swept(cache, small_data, small_baseline, intact,
                                         tmp_path):
    """Left-overs of a killed run (temporary entry directories and files) older than an
    hour are removed by the next command; a fresh one (a concurrent run's) is kept."""
    before = snapshot(cache)
    old = time.time() - 2 * 3600
    stale_dir = cache / "derived" / "network" / ".0123456789abcdef.x1y2.tmp"
    stale_dir.mkdir()
    (stale_dir / "arrays.npz").write_bytes(os.urandom(4096))
    (cache / "derived" / "control").mkdir(parents=True, exist_ok=True)
    stale_file = cache / "derived" / "control" / ".abc.parquet.q1w2.tmp"
    stale_file.write_bytes(os.urandom(4096))
    fresh = cache / "derived" / "control" / ".def.parquet.e3r4.tmp"
    fresh.write_bytes(b"in progress")
    for p in (stale_dir / "arrays.npz", stale_dir, stale_file):
        os.utime(p, (old, old))
    res = _status(small_data, cache, tmp_path)
    _check(res, small_baseline)
    assert not stale_dir.exists() and not stale_file.exists()
    assert fresh.exists()
    intact(cache, before)


def _control_data_files(cache: Path) -> list[Path]:
    """The files of the control-history cache that hold data (not JSON metadata or
    manifests), whatever layout that cache has."""
    found = sorted(p for kind in ("control", "control-history")
                   for p in (cache / "derived" / kind).rglob("*")
                   if p.is_file() and p.suffix != ".json")
    assert found, "no control cache in the warm cache"
    return found


@pytest.mark.parametrize("fault", [_flip, lambda p: _flip(p, 0.8, 64),
                                   lambda p: _flip(p, 0.3, 4)],
                         ids=["flip-middle", "flip-late", "flip-early-4-bytes"])
def test_bit_flipped_control_cache_is_detected(fault, cache, small_data, monkeypatch):
    """Bytes overwritten inside the cached control history must be a miss (rebuilt), not
    days decoded to garbage: every day equals the history read from the files."""
    import shapely

    from supplyline.data.control import ControlHistory

    ref = ControlHistory.from_deepstate_dir(small_data / "deepstate", use_cache=False)
    for p in _control_data_files(cache):
        fault(p)
    monkeypatch.setenv("SUPPLYLINE_CACHE", str(cache))
    try:
        hist = ControlHistory.from_deepstate_dir(small_data / "deepstate")
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(f"traceback: {type(exc).__name__}: {exc}") from exc
    assert hist.dates == ref.dates
    bad = [str(d) for d, a, b in zip(hist.dates, hist.geoms, ref.geoms, strict=True)
           if not shapely.equals_exact(a, b, tolerance=0.0)]
    assert bad == [], f"wrong: {len(bad)} days differ, e.g. {bad[:3]}"


@pytest.mark.parametrize("fault", [lambda p: _truncate(p, 5000),
                                   lambda p: p.write_bytes(b"PAR1garbagePAR1")],
                         ids=["control-truncated", "control-garbage"])
def test_unreadable_control_cache_is_a_miss(fault, cache, small_data, small_baseline, intact,
                                            tmp_path):
    for p in _control_data_files(cache):
        fault(p)
    res = _status(small_data, cache, tmp_path)
    _check(res, small_baseline)
    assert "control" in res.err and "cache" in res.err  # the stated warning
    intact(cache, data=small_data)


def test_control_cache_kind_is_a_file(cache, small_data, small_baseline, intact, tmp_path):
    """derived/control-history is a file: run without caching (one warning), not an
    error."""
    ctl = cache / "derived" / "control-history"
    shutil.rmtree(ctl)
    ctl.write_text("x")
    res = _status(small_data, cache, tmp_path)
    _check(res, small_baseline)
    assert "without caching" in res.err
    intact(cache, data=small_data)


def test_readonly_cold_cache_runs_without_caching(readonly_dir, small_data, small_baseline,
                                                  tmp_path):
    """A cache directory that cannot be written: the query runs without caching and says
    so in one warning line; the answer is the baseline."""
    res = _status(small_data, readonly_dir / "cache", tmp_path)
    _check(res, small_baseline)
    assert "without caching" in res.err


def test_cache_root_is_a_file(tmp_path, small_data, small_baseline):
    f = tmp_path / "cachefile"
    f.write_text("x")
    res = _status(small_data, f, tmp_path)
    _check(res, small_baseline)
    assert "without caching" in res.err


def test_planted_pickle_is_never_loaded(cache, small_data, small_baseline, intact, tmp_path):
    """Whoever can write the cache must not run code in the next supplyline call."""
    import pickle

    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (subprocess.call, (["touch", str(marker)],))

    planted = _all_files(cache, "places")
    for p in planted:  # whatever format the places cache uses, its files now hold a pickle
        p.write_bytes(pickle.dumps(Payload()))
    res = _status(small_data, cache, tmp_path)
    assert not marker.exists(), "wrong: a pickle planted in the cache was executed"
    _check(res, small_baseline)
    intact(cache, data=small_data)


def test_truncated_places_cache_is_a_miss(cache, small_data, small_baseline, intact,
                                          tmp_path):
    for p in _all_files(cache, "places"):
        _truncate(p, 100)
    res = _status(small_data, cache, tmp_path)
    _check(res, small_baseline)
    intact(cache, data=small_data)


def test_timeline_cache_with_other_columns_is_a_miss(cache, shared_data, intact, tmp_path):
    import pandas as pd

    args = ["timeline", "Pokrovsk", "--from", "2025-10-01", "--to", "2025-10-05", "-o",
            "tl", "--json", "--data", shared_data]
    env = {"SUPPLYLINE_CACHE": str(cache)}
    first = run_cli(args, cwd=tmp_path, env=env)
    expect_ok(first)
    ref = pd.read_parquet(tmp_path / "tl" / "days.parquet")
    from supplyline.analysis.timeline import TIMELINE_CACHE_SCHEMA
    from supplyline.io.cache import write_entry

    entries = sorted(p for p in (cache / "derived" / "timeline").iterdir() if p.is_dir())
    assert entries, "no timeline cache entry"
    for d in entries:  # well-formed entries of the right schema, with other columns
        def other(dest, d=d):
            for name in ("days.parquet", "routes.parquet"):
                pd.DataFrame({"a": [1, 2]}).to_parquet(dest / name)
        write_entry("timeline", d.name, TIMELINE_CACHE_SCHEMA, other,
                    root=cache / "derived")
    res = run_cli(args, cwd=tmp_path, env=env)
    expect_ok(res)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "tl" / "days.parquet"), ref)
    intact(cache)
