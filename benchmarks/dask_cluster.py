"""The sweep on a real Dask cluster on 127.0.0.1 against the local run.

    python benchmarks/dask_cluster.py [--days 60 240 0] [--json out.json]

Starts a ``dask scheduler`` and two ``dask worker`` processes (one thread each, bound
to 127.0.0.1, no dashboard), waits until both workers joined, then runs
``compute_timeline(..., scheduler=address)`` over the near-front cities and the first
``N`` history days (0: the whole history) and the same range locally (one process, and
two worker processes), checks that the three give identical tables, and stops every
process it started (by its process id). The workers load the data themselves (once per
run, from the cache the harness wrote), so their set-up is part of the Dask time: that
is what decides from what size the cluster pays.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A Dask scheduler and ``n`` workers as separate processes on 127.0.0.1."""

    def __init__(self, n_workers: int = 2, env: dict | None = None):
        self.n = n_workers
        self.env = dict(env or os.environ)
        self.procs: list[subprocess.Popen] = []
        self.log = Path(tempfile.mkdtemp(prefix="supplyline-dask-"))
        self.address = ""

    def __enter__(self) -> Cluster:
        dask = str(Path(sys.executable).parent / "dask")
        port = _free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        self._start([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                     "--dashboard-address", ":0", "--no-show"], "scheduler")
        try:
            for i in range(self.n):
                self._start([dask, "worker", self.address, "--host", "127.0.0.1",
                             "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                             "--name", f"w{i}", "--memory-limit", "0"], f"worker{i}")
            self._wait()
        except BaseException:  # stop what was started
            self.__exit__()
            raise
        return self

    def _start(self, cmd: list[str], name: str) -> None:
        out = open(self.log / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        self.procs.append(subprocess.Popen(cmd, env=self.env, stdout=out,
                                           stderr=subprocess.STDOUT,
                                           start_new_session=True))

    def _wait(self, limit_s: float = 120.0) -> None:
        from dask.distributed import Client

        t0 = time.time()
        while time.time() - t0 < limit_s:
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"a Dask process exited; logs in {self.log}")
            try:
                with Client(self.address, timeout="5s") as c:
                    if len(c.scheduler_info()["workers"]) >= self.n:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the Dask cluster did not come up in {limit_s:.0f} s "
                           f"(logs in {self.log})")

    def __exit__(self, *exc) -> None:
        for p in reversed(self.procs):  # workers first, then the scheduler
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def _tables_equal(a, b) -> bool:
    """Same rows, value for value; ``recomputed`` (whether a row was computed or carried
    over, which depends on where a chunk starts) is bookkeeping, not a figure."""
    import pandas as pd

    try:
        pd.testing.assert_frame_equal(a.days.drop(columns="recomputed", errors="ignore"),
                                      b.days.drop(columns="recomputed", errors="ignore"))
        pd.testing.assert_frame_equal(a.routes, b.routes)
    except AssertionError:
        return False
    return True


def run(day_counts: list[int], workers: int = 2) -> dict:
    from supplyline.analysis.context import Workspace
    from supplyline.analysis.timeline import compute_timeline, near_front_cities

    ws = Workspace(os.environ.get("BENCH_DATA") or None)
    hist = ws.history
    for m in ("road", "rail"):
        ws.network(m)
    ws.gazetteer  # noqa: B018
    cities = near_front_cities(ws)
    out: dict = {"cities": len(cities), "workers": workers, "runs": []}
    with Cluster(workers) as cluster:
        out["address"] = cluster.address
        for n in day_counts:
            n = len(hist) if n <= 0 else min(n, len(hist))
            d1, d2 = hist.dates[0], hist.dates[n - 1]
            row: dict = {"days": n, "range": [str(d1), str(d2)],
                         "loadavg_1m": round(os.getloadavg()[0], 2)}
            tables = {}
            for label, kw in (("one process", {"workers": 1}),
                              ("local, 2 processes", {"workers": workers}),
                              ("dask, 2 workers", {"workers": workers,
                                                   "scheduler": cluster.address})):
                c0, t0 = os.times(), time.perf_counter()
                tables[label] = compute_timeline(ws, cities, d1, d2, use_cache=False, **kw)
                wall = time.perf_counter() - t0
                c1 = os.times()
                cpu = (c1.user - c0.user + c1.system - c0.system + c1.children_user
                       - c0.children_user + c1.children_system - c0.children_system)
                row[label] = {"wall_s": round(wall, 2), "cpu_here_s": round(cpu, 2)}
            row["city_days"] = int(tables["one process"].stats["city_days"])
            row["identical"] = {k: _tables_equal(tables["one process"], t)
                                for k, t in tables.items() if k != "one process"}
            row["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
            out["runs"].append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, nargs="+", default=[60, 240, 0],
                    help="history days per run (0: all)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    res = run(args.days, args.workers)
    print(json.dumps(res, indent=2))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0 if all(all(r["identical"].values()) for r in res["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
