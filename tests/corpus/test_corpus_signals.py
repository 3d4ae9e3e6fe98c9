"""Corpus, part 5: real processes: Ctrl-C (SIGINT), kill -9, a closed pipe, a cold start.

Ctrl-C prints "interrupted" and exits 130 whenever it arrives; a killed or interrupted
cache build leaves nothing that a later run would read (the next run answers the
baseline); left-over temporary files are removed once stale.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .helpers import run_subprocess, snapshot

pytestmark = [pytest.mark.corpus, pytest.mark.realdata]

#: Exit status 130 as a shell reports it: exit(130), or death by SIGINT (128 + 2). CPython
#: ends with the latter after a handled Ctrl-C when the interrupt first surfaced inside C
#: code that ran Python through PyRun_* (seen while Typer imports pydantic): it keeps an
#: "unhandled KeyboardInterrupt" flag set by that inner run and re-sends SIGINT to itself
#: after finalisation. Either way the message is "interrupted" and there is no traceback.
INTERRUPTED = (130, -signal.SIGINT)


def _start(args, *, cwd: Path, cache: Path) -> subprocess.Popen:
    # SIGINT restored to its default: a shell runs background jobs with it ignored
    return subprocess.Popen([sys.executable, "-m", "supplyline", *map(str, args)], cwd=cwd,
                            env={**os.environ, "SUPPLYLINE_CACHE": str(cache)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _baseline_again(shared_data, cache: Path, cwd: Path, baseline: dict) -> None:
    r = run_subprocess(["status", "Pokrovsk", "--date", "2025-01-31", "--json", "--data",
                        shared_data], cwd=cwd, env={"SUPPLYLINE_CACHE": str(cache)})
    assert "Traceback" not in r.stderr, f"traceback: {r.stderr}"
    assert r.returncode == 0, f"wrong: exit {r.returncode}: {r.stderr}"
    assert json.loads(r.stdout) == baseline, "wrong: a different answer afterwards"


@pytest.mark.parametrize("after_s", [0.5, 6.0], ids=["during-start", "during-computation"])
def test_ctrl_c_exits_130(after_s, shared_data, cache, baseline, tmp_path):
    before = snapshot(cache)
    p = _start(["timeline", "--all-near-front", "--no-cache", "-o", "tl", "--data",
                shared_data], cwd=tmp_path, cache=cache)
    time.sleep(after_s)
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("hang: no exit within 120 s of Ctrl-C") from None
    assert "Traceback" not in err, f"traceback: {err}"
    assert p.returncode in INTERRUPTED, f"wrong: exit {p.returncode}: {err}"
    assert err.strip().splitlines()[-1] == "interrupted"
    assert not (tmp_path / "tl").exists() or not list((tmp_path / "tl").iterdir())
    assert [k for k, v in before.items() if snapshot(cache).get(k) != v] == []
    _baseline_again(shared_data, cache, tmp_path, baseline)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_interrupted_cold_cache_build(sig, small_data, baseline, tmp_path):
    """Stopped while building the caches from scratch (the small data: network, places
    and a seven-day history): the next run answers the baseline (no half-written entry
    is read)."""
    cache = tmp_path / "cold"
    p = _start(["status", "Pokrovsk", "--date", "2025-01-31", "--json", "--data",
                small_data], cwd=tmp_path, cache=cache)
    time.sleep(4.0)
    p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("hang: no exit within 120 s of the signal") from None
    if sig == signal.SIGINT:
        assert "Traceback" not in err, f"traceback: {err}"
        assert p.returncode in (*INTERRUPTED, 0), f"wrong: exit {p.returncode}: {err}"
    _baseline_again(small_data, cache, tmp_path, baseline)
    # whatever temporary files the stopped run left are swept once stale (by any command)
    tmps = list(cache.rglob(".*.tmp"))
    old = time.time() - 7200
    for t in tmps:
        os.utime(t, (old, old))
    r = run_subprocess(["--version"], cwd=tmp_path, env={"SUPPLYLINE_CACHE": str(cache)})
    assert r.returncode == 0, r.stderr
    assert [t for t in tmps if t.exists()] == []


def test_closed_pipe_is_not_a_traceback(shared_data, cache, tmp_path):
    p = _start(["status", "Pokrovsk", "--date", "2025-01-31", "--data", shared_data],
               cwd=tmp_path, cache=cache)
    p.stdout.close()  # like `supplyline status ... | head -0`
    try:
        err = p.stderr.read()
        p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("hang: no exit with a closed stdout") from None
    assert "Traceback" not in err, f"traceback: {err}"
    assert p.returncode in (0, 1), err


def test_cold_start_usage_error_and_version(tmp_path):
    from supplyline import __version__

    r = run_subprocess(["status"], cwd=tmp_path, timeout=60)
    assert "Traceback" not in r.stderr, f"traceback: {r.stderr}"
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Missing argument" in r.stderr
    r = run_subprocess(["--version"], cwd=tmp_path, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == f"supplyline {__version__}"
    r = run_subprocess([], cwd=tmp_path, timeout=60)
    assert r.returncode == 2 and "Usage" in r.stdout and "Traceback" not in r.stderr
