"""Helpers of the bad-input and fault corpus (tests/corpus/).

Every corpus case runs a bad input or a fault and asserts the documented behaviour: one
line on stderr and exit code 2 (or a stated warning, or the exit code of a documented
outcome), no traceback, no hang; then that nothing stored was lost: the derived cache
still holds every file it held, byte for byte, and the baseline query (``status Pokrovsk
--date 2025-01-31 --json``) still gives the same answer.

CLI cases run in-process (:func:`run_cli` calls ``supplyline.cli.main`` with its own
argv, stdout/stderr captured, a deadline armed), a few run as real subprocesses
(signals, cold start). The figures (cases, tracebacks, silently wrong answers, hangs)
are counted by conftest.py and printed at the end of the session.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import subprocess
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

#: The query every case re-runs afterwards.
BASELINE_ARGS = ("status", "Pokrovsk", "--date", "2025-01-31", "--json")
#: Seconds an in-process case may take before it counts as a hang.
CASE_DEADLINE_S = 120

#: Outcome counts of this session (conftest.py fills it).
FIGURES: Counter = Counter()


class Hang(BaseException):  # noqa: N818 - BaseException: no except Exception swallows it
    """A case ran past its deadline."""


@dataclass
class Result:
    code: int | None
    out: str
    err: str
    exc: BaseException | None = None  # an exception that escaped main(): a traceback

    @property
    def lines(self) -> list[str]:
        return [x for x in self.err.strip().splitlines() if x.strip()]


@contextlib.contextmanager
def deadline(seconds: float):
    """Raise :class:`Hang` in the main thread after ``seconds``."""
    def on_alarm(signum, frame):
        raise Hang(f"no answer within {seconds:g} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextlib.contextmanager
def environment(env: dict[str, str | None] | None):
    saved = {k: os.environ.get(k) for k in (env or {})}
    try:
        for k, v in (env or {}).items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_cli(args, *, cwd: Path, env: dict[str, str | None] | None = None,
            timeout: float = CASE_DEADLINE_S) -> Result:
    """``supplyline ARGS`` in-process: exit code, stdout, stderr (log warnings included,
    formatted as the CLI formats them), and any exception that escaped ``main``."""
    from supplyline.cli import main

    out, err = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(err)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    old_cwd = os.getcwd()
    code, exc = None, None
    try:
        os.chdir(cwd)
        with environment(env), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err), deadline(timeout):
            main([str(a) for a in args])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except Hang as e:
        exc = e
    except BaseException as e:  # noqa: BLE001 - recorded, the case fails on it
        exc = e
    finally:
        os.chdir(old_cwd)
        root.removeHandler(handler)
    return Result(code, out.getvalue(), err.getvalue(), exc)


def run_subprocess(args, *, cwd: Path, env: dict[str, str] | None = None,
                   timeout: float = 300) -> subprocess.CompletedProcess:
    import sys

    return subprocess.run([sys.executable, "-m", "supplyline", *map(str, args)], cwd=cwd,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)


# ------------------------------------------------------------------------- checks
# A failing case raises AssertionError("traceback: ..." | "hang: ..." | "wrong: ..."):
# pytest_runtest_makereport counts the kinds for the closing figures.

def classify(res: Result) -> str:
    if isinstance(res.exc, Hang):
        return "hang"
    if res.exc is not None or "Traceback (most recent call last)" in res.err:
        return "traceback"
    return "ok"


def _no_crash(res: Result) -> None:
    kind = classify(res)
    if kind != "ok":
        raise AssertionError(f"{kind}: {res.exc!r}\n{res.err[-3000:]}")


def expect_error(res: Result, *needles: str, code: int = 2) -> None:
    """One line on stderr containing every needle (case-insensitive), exit ``code``."""
    _no_crash(res)
    problems = []
    if res.code != code:
        problems.append(f"exit {res.code}, expected {code}")
    if len(res.lines) != 1:
        problems.append(f"{len(res.lines)} lines on stderr, expected 1")
    low = res.err.lower()
    problems += [f"{n!r} not in the message" for n in needles if n.lower() not in low]
    if problems:
        raise AssertionError("wrong: " + "; ".join(problems) + f"\nstderr: {res.err}"
                             f"\nstdout: {res.out[:500]}")


def expect_ok(res: Result, code: int = 0) -> None:
    _no_crash(res)
    if res.code != code:
        raise AssertionError(f"wrong: exit {res.code}, expected {code}\nstderr: {res.err}")


#: Cache kinds whose entries follow the files of one data location by design (the control
#: history is kept per set of data locations and updated in place when their files change:
#: a fault put into a data copy's files updates that copy's entry, which is right).
FOLLOWS_ITS_DATA = ("control-history",)


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root``: relative path -> (size, CRC-32), but for the entries of
    :data:`FOLLOWS_ITS_DATA`."""
    snap = {}
    if not root.is_dir():
        return snap
    for p in sorted(root.rglob("*")):
        parts = p.relative_to(root).parts
        if len(parts) > 1 and parts[0] == "derived" and parts[1] in FOLLOWS_ITS_DATA:
            continue
        if p.is_file() and not any(x.endswith(".tmp") for x in parts):
            snap[str(p.relative_to(root))] = (p.stat().st_size,
                                              zlib.crc32(p.read_bytes()))
    return snap


def lost(before: dict, after: dict) -> list[str]:
    """Files of ``before`` missing or changed in ``after`` (new files are fine)."""
    return [k for k, v in before.items() if after.get(k) != v]


def unchanged(root: Path, before: dict) -> None:
    """Every file of ``before`` (a :func:`snapshot` of ``root``) is still there as it was."""
    gone = lost(before, snapshot(root))
    if gone:
        raise AssertionError(f"wrong: stored files lost or changed: {gone[:5]}")


