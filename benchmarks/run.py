"""supplyline benchmarks on the shared data: wall time, peak memory and throughput.

    python benchmarks/run.py [--quick] [--json out.json] [--workers N]

Every stage runs in its own subprocess (``run.py --stage NAME``) so that its peak memory
is its own: the child resets its peak-RSS mark (``/proc/self/clear_refs``) after its
set-up, and reports the high-water mark (``VmHWM``) of the measured step alone, plus the
peak of the summed RSS of the child and its worker processes (sampled every 50 ms) for
the multi-process sweep.

Stages: (a) network build cold (``use_cache=False``) and cached load, roads and rail;
(b) the whole control history cold and cached; (c) one city and date, all hubs, both
modes (``queries.routes``): the first query of a fresh process, then the same date again
and new dates; (d) whole command-line processes (``cli.py``: status, routes and
encirclement against ``naive_routes.py``, each under ``/usr/bin/time -v``); (e) the
sweep ``compute_timeline`` over ``near_front_cities(min_population=10000,
within_km=50)`` and all history days (``--quick``: 5 cities x 60 days); (f) the baseline
(``benchmarks/baseline.py``) on an identical subset, with the speed ratio and agreement;
(g) scaling with network size, cities and days (``scaling.py``); (h) the sweep on a Dask
cluster on 127.0.0.1 (``dask_cluster.py``); (i) the web service under load
(``load.py``, when present).

Caches are written to a fresh temporary directory (``SUPPLYLINE_CACHE``) unless
``--cache-dir`` is given, so "cached" means a cache written by this run and the user's
own cache is neither used nor touched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results.json"
MIB = 1024 * 1024

#: cities in the quick sweep (and the quick baseline sample)
QUICK_CITIES = 5
TARGETS = {
    "cli_wall_s": 0.4,
    "cli_peak_mib": 250.0,
    "cli_speedup": 10.0,
    "new_date_ms": 15.0,
    "first_query_ms": 100.0,
    "sweep_s": 30.0,
    "sweep_peak_mib": 1536.0,
    "speedup": 100.0,
}

CITY = "Pokrovsk"
CITY_DATE = "2025-01-31"
NEW_DATES = ["2022-09-01", "2023-06-01", "2024-10-01", "2024-12-15", "2025-03-01",
             "2025-04-15", "2025-06-01", "2025-10-15", "2026-03-01"]


# ============================================================================ child side
def _status_kib(field: str, pid: int | str = "self") -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    m = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) if m else 0


def _reset_peak() -> bool:
    """Reset this process's peak-RSS mark (Linux >= 4.0); False when not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _descendants(root: int) -> list[int]:
    parent: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            parent[int(d)] = int(stat.rsplit(")", 1)[1].split()[1])
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        todo += kids
    return out


def _pss_kib(pid: int) -> int:
    """Proportional set size: shared (copy-on-write, forked) pages split between sharers,
    so the sum over processes is the memory they really use together."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return _status_kib("VmRSS", pid)
    m = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) if m else 0


class TreeSampler:
    """Peak of the summed memory (PSS, and RSS) of this process and its descendants,
    sampled every ``interval`` seconds."""

    def __init__(self, interval: float = 0.25):
        self.interval = interval
        self.peak_kib = 0
        self.peak_rss_kib = 0
        self.max_procs = 1
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            procs = [me, *_descendants(me)]
            self.max_procs = max(self.max_procs, len(procs))
            self.peak_kib = max(self.peak_kib, sum(_pss_kib(p) for p in procs))
            self.peak_rss_kib = max(self.peak_rss_kib,
                                    sum(_status_kib("VmRSS", p) for p in procs))
            self._stop.wait(self.interval)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


class Measure:
    """Wall / CPU time and memory of the measured step of a stage (``tree``: also sample
    the summed RSS of worker processes)."""

    def __init__(self, tree: bool = False):
        self.tree = tree

    def __enter__(self):
        self.rss_before = _status_kib("VmRSS") / 1024
        self.reset = _reset_peak()
        self.sampler = TreeSampler()
        if self.tree:
            self.sampler.__enter__()
        self.load0 = os.getloadavg()[0]
        self.cpu0 = os.times()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        c = os.times()
        self.cpu = (c.user - self.cpu0.user + c.system - self.cpu0.system
                    + c.children_user - self.cpu0.children_user
                    + c.children_system - self.cpu0.children_system)
        if self.tree:
            self.sampler.__exit__()
        self.peak = _status_kib("VmHWM") / 1024
        import resource

        self.workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    def result(self, items: float, unit: str, **extra) -> dict:
        # a single process: its own exact peak; with workers: the sampled PSS sum
        tree = max(self.sampler.peak_kib / 1024, self.peak)
        if self.tree:
            extra = {"tree_rss_sum_peak_mib": round(self.sampler.peak_rss_kib / 1024, 1),
                     "processes": self.sampler.max_procs, **extra}
        return {"wall_s": round(self.wall, 4), "cpu_s": round(self.cpu, 3),
                "items": items, "unit": unit,
                "per_s": round(items / self.wall, 3) if self.wall > 0 else None,
                "peak_mib": round(self.peak, 1), "rss_before_mib": round(self.rss_before, 1),
                "added_mib": round(self.peak - self.rss_before, 1),
                "tree_peak_mib": round(tree, 1),
                "workers_peak_mib": round(self.workers_peak, 1),
                "peak_reset": self.reset,
                "loadavg_1m": [round(self.load0, 2), round(os.getloadavg()[0], 2)], **extra}


def _workspace(use_cache: bool = True):
    from supplyline.analysis.context import Workspace

    return Workspace(os.environ.get("BENCH_DATA") or None, use_cache=use_cache)


def stage_network_cold(mode: str) -> dict:
    from supplyline.data.network import load_network

    egm = _workspace().sources.require("egm")
    with Measure() as m:
        net = load_network(mode, egm_path=egm, use_cache=False)
    return m.result(net.report["input_features"], "features", edges=len(net.edges),
                    nodes=int(net.n_nodes),
                    edges_per_s=round(len(net.edges) / m.wall, 1))


def stage_network_cached(mode: str) -> dict:
    from supplyline.data.network import load_network

    egm = _workspace().sources.require("egm")
    with Measure() as m:
        net = load_network(mode, egm_path=egm, use_cache=True)
    return m.result(len(net.edges), "edges", cache=net.report.get("cache"))


def stage_history(use_cache: bool) -> dict:
    from supplyline.data.control import ControlHistory

    d = _workspace().sources.require("deepstate")
    with Measure() as m:
        hist = ControlHistory.from_deepstate_dir(d, use_cache=use_cache)
    return m.result(len(hist), "days", first=str(hist.first), last=str(hist.last))


def stage_prime() -> dict:
    ws = _workspace()
    with Measure() as m:
        ws.history  # noqa: B018
        ws.network("road")
        ws.network("rail")
        ws.gazetteer  # noqa: B018
    return m.result(1, "cache")


def stage_city_date(city: str, date: str, new_dates: list[str], reps: int) -> dict:
    from supplyline.analysis import queries

    ws = _workspace()
    # the first query of a process: nothing loaded before it (the history index, the
    # networks and the places are read from the cache inside it)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    first = queries.routes(ws, city, date)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    queries.routes(ws, city, new_dates[-1])
    second_s = time.perf_counter() - t0
    ws._memo.clear()  # the dates below are new to the process
    queries.routes(ws, city, date)
    same, new = [], []
    with Measure() as m:
        for _ in range(reps):
            t = time.perf_counter()
            queries.routes(ws, city, date)
            same.append(time.perf_counter() - t)
        for d in new_dates:
            t = time.perf_counter()
            queries.routes(ws, city, d)
            new.append(time.perf_counter() - t)
    hubs = [h.name for h in first.hubs]
    return m.result(reps + len(new_dates), "queries", city=first.city.name, hubs=hubs,
                    date=date, new_dates=new_dates,
                    first_query_ms=round(first_s * 1000, 1),
                    first_query_loadavg=round(load0, 2),
                    second_query_new_date_ms=round(second_s * 1000, 1),
                    same_date_ms=[round(x * 1000, 1) for x in same],
                    new_date_ms=[round(x * 1000, 1) for x in new],
                    same_date_median_ms=round(statistics.median(same) * 1000, 1),
                    new_date_median_ms=round(statistics.median(new) * 1000, 1))


def stage_sweep(quick: bool, workers: int, n_cities: int, n_days: int) -> dict:
    from supplyline.analysis.timeline import compute_timeline, near_front_cities

    ws = _workspace()
    hist = ws.history
    ws.network("road")
    ws.network("rail")
    ws.gazetteer  # noqa: B018
    t0 = time.perf_counter()
    ids = near_front_cities(ws, min_population=10_000, within_km=50)
    select_s = time.perf_counter() - t0
    names = list(ids)
    all_cities, all_days = len(names), len(hist)
    if quick:
        names = names[:n_cities]
        start, end = hist.dates[0], hist.dates[min(n_days, len(hist)) - 1]
    else:
        start, end = hist.first, hist.last
    with Measure(tree=True) as m:
        tl = compute_timeline(ws, names, start, end, use_cache=False, workers=workers)
    st = tl.stats
    res = m.result(int(st["city_days"]), "city-days", quick=quick, workers=workers,
                    cities=len(names), range=[str(start), str(end)],
                    recomputed=int(st["recomputed"]), carried_over=int(st["carried_over"]),
                    missing_days=int(st["missing_days"]), select_s=round(select_s, 3),
                    near_front_cities=all_cities, history_days=all_days,
                    full_city_days=all_cities * all_days,
                    city_names=[p.name for p in tl.cities])
    # conservative bound: every worker at its peak at once, shared pages counted twice
    res["bound_mib"] = round(res["peak_mib"] + (workers if workers > 1 else 0)
                             * res["workers_peak_mib"], 1)
    return res


def stage_baseline(cities: list[str], start: str, days: int, sample_days: int,
                   quick: bool, n_cities: int) -> dict:
    sys.path.insert(0, str(HERE))
    from baseline import benchmark, benchmark_sample, sample_dates

    from supplyline.analysis.timeline import near_front_cities

    ws = _workspace()
    with Measure() as m:
        res = benchmark(ws, cities, start, days)
    out = m.result(res["city_days"], "city-days", comparison=res)
    if sample_days > 0:  # the sweep's cities on days spread over the history
        names = list(near_front_cities(ws, min_population=10_000, within_km=50))
        if quick:
            names = names[:n_cities]
        out["sample"] = benchmark_sample(ws, names, sample_dates(ws, sample_days))
    return out


def stage_dask(days: list[int], workers: int) -> dict:
    sys.path.insert(0, str(HERE))
    from dask_cluster import run as run_dask

    return run_dask(days, workers)


STAGES = {
    "dask": stage_dask,
    "network_cold": stage_network_cold,
    "network_cached": stage_network_cached,
    "history": stage_history,
    "prime": stage_prime,
    "city_date": stage_city_date,
    "sweep": stage_sweep,
    "baseline": stage_baseline,
}


def child_main(name: str, kwargs: str, out: str) -> int:
    res = STAGES[name](**json.loads(kwargs))
    Path(out).write_text(json.dumps(res, default=str))
    return 0


# ============================================================================ parent side
def run_stage(name: str, env: dict, console, label: str, **kwargs) -> dict:
    fd, out = tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".json")
    os.close(fd)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--stage", name,
           "--stage-kwargs", json.dumps(kwargs), "--stage-out", out]
    t0 = time.perf_counter()
    with console.status(f"{label} ..."):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    total = time.perf_counter() - t0
    try:
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
            console.print(f"[red]{label}: failed (exit {proc.returncode})[/red]\n{tail}",
                          highlight=False)
            return {"error": tail, "exit": proc.returncode, "process_s": round(total, 2)}
        res = json.loads(Path(out).read_text())
    finally:
        Path(out).unlink(missing_ok=True)
    res["process_s"] = round(total, 2)
    shown = res.get("wall_s", res["process_s"])
    console.print(f"  {label}: {shown:.3f} s", highlight=False)
    return res


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for p in ("supplyline", "numpy", "scipy", "shapely", "geopandas", "pyogrio", "pandas",
              "networkx"):
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = None
    return out


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def _verdict(ok: bool | None) -> str:
    return {True: "[green]PASS[/green]", False: "[red]FAIL[/red]", None: "[dim]n/a[/dim]"}[ok]


def _target(label: str, measured: str, value, ok) -> dict:
    return {"target": label, "measured": measured, "value": value, "pass": ok}


def evaluate(results: dict, quick: bool) -> list[dict]:
    """Each target with the measured figure and pass / fail (None: not measured)."""
    out = []
    cli = results.get("cli", {})
    for cmd in ("status", "routes", "encirclement"):
        c = cli.get(cmd, {})
        if "wall_median_s" in c:
            loads = [x[0] for x in c["loadavg_1m"]]
            out.append(_target(
                f"whole `supplyline {cmd}` process <= {TARGETS['cli_wall_s']} s wall, "
                f"<= {TARGETS['cli_peak_mib']:.0f} MiB",
                f"{c['wall_median_s']:.2f} s wall median ({c['cpu_median_s']:.2f} CPU-s), "
                f"{c['peak_mib_max']:.0f} MiB; load average {min(loads):.1f}-{max(loads):.1f}",
                c["wall_median_s"], c["wall_median_s"] <= TARGETS["cli_wall_s"]
                and c["peak_mib_max"] <= TARGETS["cli_peak_mib"]))
    if "speedup_wall" in cli:
        n = cli["naive"]
        out.append(_target(
            f">= {TARGETS['cli_speedup']:.0f}x the naive script (whole process, same run)",
            f"{cli['speedup_wall']:.1f}x wall ({cli['speedup_cpu']:.1f}x CPU): naive "
            f"{n['wall_median_s']:.2f} s, {n['peak_mib_max']:.0f} MiB",
            cli["speedup_wall"], cli["speedup_wall"] >= TARGETS["cli_speedup"]))
    cd = results.get("city_date", {})
    if "new_date_median_ms" in cd:
        out.append(_target(f"new-date query <= {TARGETS['new_date_ms']:.0f} ms (median)",
                           f"{cd['new_date_median_ms']:.0f} ms (same date "
                           f"{cd['same_date_median_ms']:.0f} ms)", cd["new_date_median_ms"],
                           cd["new_date_median_ms"] <= TARGETS["new_date_ms"]))
        out.append(_target(f"first query of a process <= {TARGETS['first_query_ms']:.0f} ms",
                           f"{cd['first_query_ms']:.0f} ms (data read inside it)",
                           cd["first_query_ms"],
                           cd["first_query_ms"] <= TARGETS["first_query_ms"]))
    sw = results.get("sweep", {})
    if "wall_s" in sw:
        if quick:
            est = sw["full_city_days"] / sw["per_s"] if sw.get("per_s") else None
            out.append(_target(f"full sweep <= {TARGETS['sweep_s']:.0f} s",
                               f"quick run only; ~{est:.0f} s extrapolated", est, None))
        else:
            out.append(_target(f"full sweep <= {TARGETS['sweep_s']:.0f} s on "
                               f"{sw['workers']} workers",
                               f"{sw['wall_s']:.1f} s ({sw['cpu_s']:.0f} CPU-s; load average "
                               f"{sw['loadavg_1m'][0]:.1f}-{sw['loadavg_1m'][1]:.1f})",
                               sw["wall_s"], sw["wall_s"] <= TARGETS["sweep_s"]))
        peak = sw["tree_peak_mib"]
        out.append(_target(f"sweep peak memory <= {TARGETS['sweep_peak_mib']:.0f} MiB (PSS, "
                           "all processes)", f"{peak:.0f} MiB", peak,
                           None if quick else peak <= TARGETS["sweep_peak_mib"]))
    bl = results.get("baseline", {}).get("comparison")
    sample = results.get("baseline", {}).get("sample")
    if bl:
        out.append(_target("speed-up over the baseline, consecutive-day subset (identical "
                           "work)", f"{bl['speedup']:.1f}x on {bl['city_days']} city-days",
                           bl["speedup"], None))
    if sample and "wall_s" in sw and not sw.get("quick"):
        # the baseline recomputes everything every day: its sweep time is its cost per
        # city-day (measured on the sweep's cities) times the sweep's city-days
        est = sample["baseline"]["per_city_day_ms"] / 1000 * sw["items"]
        sample["baseline_sweep_estimate_s"] = round(est, 1)
        r_cpu, r_wall = est / sw["cpu_s"], est / sw["wall_s"]
        sample["sweep_speedup_wall"] = round(r_wall, 1)
        sample["sweep_speedup_cpu"] = round(r_cpu, 1)
        out.append(_target(f">= {TARGETS['speedup']:.0f}x the baseline per CPU-second "
                           "(the sweep)", f"{r_cpu:.0f}x: baseline ~{est:,.0f} s (one "
                           f"process, estimated) vs {sw['cpu_s']:.0f} CPU-s ({r_wall:.0f}x "
                           "on elapsed time)", r_cpu, r_cpu >= TARGETS["speedup"]))
    for name, c in (("subset", bl), ("sweep sample", sample)):
        if c:
            a = c["agreement"]
            out.append(_target(f"baseline and supplyline agree ({name})",
                               f"all checks pass on {c['city_days']} city-days" if a["ok"]
                               else "failed: " + ", ".join(k for k, v in a["checks"].items()
                                                           if not v), a["ok"], a["ok"]))
    dk = results.get("dask", {})
    for r in dk.get("runs", []):
        same = all(r["identical"].values())
        out.append(_target(f"Dask cluster (2 workers on 127.0.0.1) gives the local tables, "
                           f"{r['days']} days", ("identical" if same else "DIFFERENT")
                           + f"; dask {r['dask, 2 workers']['wall_s']:.0f} s, local "
                           f"{r['local, 2 processes']['wall_s']:.0f} s, one process "
                           f"{r['one process']['wall_s']:.0f} s", same, same))
    return out


def print_tables(results: dict, targets: list[dict], console) -> None:
    from rich.table import Table

    t = Table(title="supplyline benchmarks", title_justify="left")
    for c, j in (("stage", "left"), ("wall", "right"), ("throughput", "right"),
                 ("peak RSS", "right"), ("added", "right"), ("notes", "left")):
        t.add_column(c, justify=j)
    labels = {
        "network_cold_road": "network build, roads (cold)",
        "network_cold_rail": "network build, rail (cold)",
        "network_cached_road": "network load, roads (cached)",
        "network_cached_rail": "network load, rail (cached)",
        "history_cold": "control history (cold)",
        "history_cached": "control history (cached)",
        "city_date": "city-date queries (warm)",
        "sweep": "timeline sweep",
        "baseline": "baseline comparison",
    }
    for key, label in labels.items():
        r = results.get(key)
        if not r:
            continue
        if "error" in r:
            t.add_row(label, "-", "-", "-", "-", f"[red]failed[/red] (exit {r['exit']})")
            continue
        v = r.get("per_s")
        thr = f"{v:,.{0 if v >= 100 else 1}f} {r['unit']}/s" if v else "-"
        peak = r["tree_peak_mib"] if r.get("workers_peak_mib") else r["peak_mib"]
        note = ""
        if key.startswith("network_cold"):
            note = f"{r['edges']:,} edges ({r['edges_per_s']:,.0f}/s)"
        elif key.startswith("network_cached"):
            note = f"cache {r.get('cache')}"
        elif key.startswith("history"):
            note = f"{r['items']} days {r['first']} .. {r['last']}"
        elif key == "city_date":
            note = (f"{r['city']} -> {', '.join(r['hubs'])}: same date "
                    f"{r['same_date_median_ms']:.0f} ms, new date {r['new_date_median_ms']:.0f}"
                    f" ms (median); first query in process {r['first_query_ms']:.0f} ms")
        elif key == "sweep":
            note = (f"{r['cities']} cities, {r['range'][0]} .. {r['range'][1]}, "
                    f"{r['workers']} worker(s); {r['recomputed']} recomputed, "
                    f"{r['carried_over']} carried over; cpu {r['cpu_s']:.0f} s")
        elif key == "baseline":
            c = r["comparison"]
            note = (f"{', '.join(c['cities'])} x {c['days']} days: supplyline "
                    f"{c['supplyline']['compute_s']:.2f} s, baseline "
                    f"{c['baseline']['compute_s']:.2f} s -> {c['speedup']:.1f}x")
            smp = r.get("sample")
            if smp:
                note += (f"; sample {smp['cities']} cities x {len(smp['dates'])} days: "
                         f"baseline {smp['baseline']['per_city_day_ms']:.0f} ms/city-day")
        t.add_row(label, _fmt_s(r["wall_s"]), thr, f"{peak:,.0f} MiB",
                  f"{r['added_mib']:+,.0f} MiB", note)
    console.print(t)
    print_extra(results, console)
    tt = Table(title="targets", title_justify="left")
    for c in ("target", "measured", "result"):
        tt.add_column(c)
    for x in targets:
        tt.add_row(x["target"], x["measured"], _verdict(x["pass"]))
    console.print(tt)


def print_extra(results: dict, console) -> None:
    """The command-line, scaling, Dask and load tables."""
    from rich.table import Table

    cli = results.get("cli")
    if cli:
        t = Table(title="whole command-line processes (warm caches; median of "
                        f"{cli.get('reps')} runs)", title_justify="left")
        for c in ("command", "wall", "CPU", "peak RSS", "load average"):
            t.add_column(c)
        for k in ("status", "routes", "encirclement", "naive"):
            c = cli.get(k, {})
            if "wall_median_s" not in c:
                continue
            loads = [x[0] for x in c["loadavg_1m"]]
            t.add_row(c["command"], f"{c['wall_median_s']:.2f} s", f"{c['cpu_median_s']:.2f} s",
                      f"{c['peak_mib_max']:.0f} MiB", f"{min(loads):.1f}-{max(loads):.1f}")
        console.print(t)
    sc = results.get("scaling")
    if sc:
        if "network" in sc:
            t = Table(title="scaling with the network", title_justify="left")
            for c in ("network", "edges", "build", "cache load", "query (new date)",
                      "region edges", "sweep 10 x 10", "peak (query)"):
                t.add_column(c)
            for r in sc["network"]["rows"]:
                if "error" in r:
                    t.add_row(f"{r.get('factor', '?')}x", "failed", "", "", "", "", "", "")
                    continue
                t.add_row(f"{r['factor']:g}x", f"{r['edges']:,}", _fmt_s(r["build"]["wall_s"]),
                          _fmt_s(r["cache_load"]["wall_s"]),
                          _fmt_s(r["query_new_date"]["wall_s"]),
                          f"{r['query_new_date']['region_edges']:,}",
                          _fmt_s(r["sweep"]["wall_s"]),
                          f"{r['query_new_date']['peak_mib']:,.0f} MiB")
            console.print(t)
            console.print({k: v for k, v in sc["network"].items() if k != "rows"})
        for key, label in (("cities", "cities"), ("days", "days")):
            if key in sc:
                t = Table(title=f"sweep scaling with the {label}", title_justify="left")
                for c in ("cities", "days", "wall", "CPU", "peak", "recomputed"):
                    t.add_column(c)
                for r in sc[key]["rows"]:
                    if "error" in r:
                        continue
                    w = r["sweep"]
                    t.add_row(str(r["cities"]), str(r["days"]), _fmt_s(w["wall_s"]),
                              f"{w['cpu_s']:.1f} s", f"{w['peak_mib']:,.0f} MiB",
                              str(w["recomputed"]))
                console.print(t)
                console.print(f"exponents: {sc[key].get('exponent')}")
    dk = results.get("dask")
    if dk and "runs" in dk:
        t = Table(title=f"the sweep on a Dask cluster on 127.0.0.1 ({dk['cities']} cities)",
                  title_justify="left")
        for c in ("days", "city-days", "one process", "local, 2 processes", "dask, 2 workers",
                  "identical"):
            t.add_column(c)
        for r in dk["runs"]:
            t.add_row(str(r["days"]), str(r["city_days"]),
                      *[f"{r[k]['wall_s']:.1f} s" for k in ("one process",
                                                            "local, 2 processes",
                                                            "dask, 2 workers")],
                      str(all(r["identical"].values())))
        console.print(t)
    ld = results.get("load")
    if ld:
        console.print(f"web service under load: {ld.get('skipped') or ld.get('error') or ''}"
                      if ("skipped" in ld or "error" in ld) else
                      {k: ld[k] for k in list(ld)[:12]})


def run_cli(env: dict, console, reps: int, data: str | None) -> dict:
    """Whole command-line processes (``cli.py``), run from here: each is its own
    process already."""
    sys.path.insert(0, str(HERE))
    import cli

    with console.status("command-line processes ..."):
        t0 = time.perf_counter()
        res = cli.run(reps=reps, data=Path(data) if data else None, env=env)
    res["process_s"] = round(time.perf_counter() - t0, 1)
    r = res.get("routes", {})
    console.print(f"  command-line processes: routes {r.get('wall_median_s', float('nan')):.2f}"
                  f" s median wall", highlight=False)
    return res


def run_scaling(env: dict, console, what: list[str], factors: list[float]) -> dict:
    sys.path.insert(0, str(HERE))
    import scaling

    with console.status(f"scaling ({', '.join(what)}) ..."):
        t0 = time.perf_counter()
        res = scaling.run(what, env=env, factors=tuple(factors))
    res["process_s"] = round(time.perf_counter() - t0, 1)
    console.print(f"  scaling: {res['process_s']:.0f} s", highlight=False)
    return res


def run_load(env: dict, console, clients: int, seconds: float) -> dict:
    """The web service's load test (``load.py``, written with the web service) when it
    is there; otherwise an empty slot saying so."""
    script = HERE / "load.py"
    if not script.exists():
        return {"skipped": "benchmarks/load.py is not in this checkout (it comes with the "
                           "web service)"}
    fd, out = tempfile.mkstemp(prefix="bench-load-", suffix=".json")
    os.close(fd)
    cmd = [sys.executable, str(script), "--clients", str(clients), "--seconds", str(seconds),
           "--json", out]
    load0 = os.getloadavg()[0]
    with console.status("web service under load ..."):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    try:
        if proc.returncode != 0:
            return {"error": (proc.stderr or proc.stdout)[-2000:], "exit": proc.returncode}
        res = json.loads(Path(out).read_text())
    finally:
        Path(out).unlink(missing_ok=True)
    res["loadavg_1m"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="supplyline benchmarks (see benchmarks/README.md)")
    ap.add_argument("--quick", action="store_true",
                    help="sweep 5 cities x 60 days instead of all cities x all days")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help="results file")
    ap.add_argument("--workers", type=int, default=2, help="sweep worker processes")
    ap.add_argument("--data", default=None, help="data directory (default: ../shared/data)")
    ap.add_argument("--cache-dir", type=Path, default=None,
                    help="SUPPLYLINE_CACHE to use (default: a fresh temporary directory)")
    ap.add_argument("--only", nargs="+", default=None,
                    choices=["network", "history", "city_date", "cli", "sweep", "baseline",
                             "scaling", "dask", "load"],
                    help="run only these stage groups")
    ap.add_argument("--cli-reps", type=int, default=5, help="runs of each command")
    ap.add_argument("--scaling", nargs="+", default=["network", "cities", "days"],
                    choices=["network", "cities", "days"], help="scaling studies")
    ap.add_argument("--factors", type=float, nargs="+", default=[1, 10, 50],
                    help="network sizes for the scaling study (x the EGM network)")
    ap.add_argument("--dask-days", type=int, nargs="+", default=[60, 240, 0],
                    help="history days of the Dask runs (0: all)")
    ap.add_argument("--load-clients", type=int, default=20)
    ap.add_argument("--load-seconds", type=float, default=60.0)
    ap.add_argument("--reps", type=int, default=7, help="same-date repetitions")
    ap.add_argument("--baseline-cities", nargs="+", default=["Pokrovsk", "Kostyantynivka"])
    ap.add_argument("--baseline-start", default="2025-01-20")
    ap.add_argument("--baseline-days", type=int, default=10)
    ap.add_argument("--baseline-sample-days", type=int, default=3,
                    help="days spread over the history on which the baseline runs every "
                         "sweep city (its cost per city-day on the sweep's work); 0: skip")
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    ap.add_argument("--stage-kwargs", default="{}", help=argparse.SUPPRESS)
    ap.add_argument("--stage-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.stage:
        return child_main(args.stage, args.stage_kwargs, args.stage_out)

    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 150)
    groups = set(args.only or ["network", "history", "city_date", "cli", "sweep", "baseline",
                               "scaling", "dask", "load"])
    cache = args.cache_dir or Path(tempfile.mkdtemp(prefix="supplyline-bench-"))
    env = dict(os.environ, SUPPLYLINE_CACHE=str(cache), PYTHONHASHSEED="0")
    if args.data:
        env["BENCH_DATA"] = str(args.data)
    meta = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "quick": args.quick, "workers": args.workers, "python": platform.python_version(),
        "platform": platform.platform(), "cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "mem_total_mib": _status_kib_meminfo() // 1024, "versions": _versions(),
        "cache_dir": str(cache), "targets": TARGETS,
    }
    console.print(f"supplyline benchmarks ({'quick' if args.quick else 'full'}), cache {cache}, "
                  f"load average {meta['loadavg_at_start']}")
    results: dict = {}
    t0 = time.perf_counter()
    try:
        if "network" in groups:
            for mode in ("road", "rail"):
                results[f"network_cold_{mode}"] = run_stage(
                    "network_cold", env, console, f"network build {mode} (cold)", mode=mode)
        results["prime"] = run_stage("prime", env, console, "writing caches (not a figure)")
        if "network" in groups:
            for mode in ("road", "rail"):
                results[f"network_cached_{mode}"] = run_stage(
                    "network_cached", env, console, f"network load {mode} (cached)", mode=mode)
        if "history" in groups:
            results["history_cold"] = run_stage("history", env, console,
                                                "control history (cold)", use_cache=False)
            results["history_cached"] = run_stage("history", env, console,
                                                  "control history (cached)", use_cache=True)
        if "city_date" in groups:
            results["city_date"] = run_stage("city_date", env, console, "city-date queries",
                                             city=CITY, date=CITY_DATE, new_dates=NEW_DATES,
                                             reps=args.reps)
        if "cli" in groups:
            results["cli"] = run_cli(env, console, args.cli_reps, args.data)
        if "sweep" in groups:
            results["sweep"] = run_stage("sweep", env, console,
                                         "timeline sweep" + (" (quick)" if args.quick else ""),
                                         quick=args.quick, workers=args.workers,
                                         n_cities=QUICK_CITIES, n_days=60)
        if "baseline" in groups:
            results["baseline"] = run_stage("baseline", env, console, "baseline comparison",
                                            cities=args.baseline_cities,
                                            start=args.baseline_start, days=args.baseline_days,
                                            sample_days=args.baseline_sample_days,
                                            quick=args.quick, n_cities=QUICK_CITIES)
        if "scaling" in groups:
            results["scaling"] = run_scaling(env, console, args.scaling, args.factors)
        if "dask" in groups:
            results["dask"] = run_stage("dask", env, console, "Dask cluster on 127.0.0.1",
                                        days=args.dask_days, workers=args.workers)
        if "load" in groups:
            results["load"] = run_load(env, console, args.load_clients, args.load_seconds)
    finally:
        if args.cache_dir is None:
            shutil.rmtree(cache, ignore_errors=True)
    meta["total_s"] = round(time.perf_counter() - t0, 1)
    targets = evaluate(results, args.quick)
    print_tables(results, targets, console)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "stages": results, "targets": targets},
                                    indent=2, default=str))
    console.print(f"results written to {args.json}")
    failed = [k for k, r in results.items() if "error" in r]
    return 1 if failed else 0


def _status_kib_meminfo() -> int:
    try:
        m = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        return int(m.group(1)) if m else 0
    except OSError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
