"""How time and memory grow with the network, the number of cities and the days.

    python benchmarks/scaling.py [--what network cities days] [--json out.json]

* **network**: the EGM road network, then synthetic networks about 10x and 50x denser
  built from it: a square grid of local roads (every cell side its own line, so they
  meet at the grid's nodes) over the EGM network's extent, plus a connector line from
  every EGM node to the nearest grid node (one connected network). For each: the
  network build (cold), writing and loading its cache, a city-date query on it (routes
  of Pokrovsk to its rule hubs, both modes, a date not asked before) and a short sweep
  (10 cities x 10 days, one process).
* **cities**: the sweep (one process, 30 history days from 2025-09-07) over the first 10,
  50 and 200 near-front places (places of 1,000 people or more within 80 km of held
  territory, largest first, for 200).
* **days**: the sweep of the 10 largest near-front cities over 30, 120 and 480 history
  days (from the first day).

Every measurement runs in its own process (its peak RSS is its own, reset after its
set-up as in ``run.py``), with the load average. Exponents are the slopes of log(time)
against log(size) between neighbouring sizes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import Measure  # noqa: E402

SWEEP_START = "2025-09-07"


# ----------------------------------------------------------------------------- networks
def dense_lines(net, factor: float):
    """Lines (metric CRS, the loaders' columns) of a network about ``factor`` times as
    many edges as ``net``: its own lines (edges) plus a local-road grid and connectors."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from supplyline._kdtree import cKDTree
    from supplyline.crs import METRIC_CRS

    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    w, h = hi - lo
    extra = max(1.0, (factor - 1.0) * len(net.length))
    s = math.sqrt(2 * w * h / extra)  # cell side giving ~extra grid edges
    xs = np.arange(lo[0], hi[0] + s, s)
    ys = np.arange(lo[1], hi[1] + s, s)
    gx, gy = np.meshgrid(xs, ys)
    nodes = np.column_stack([gx.ravel(), gy.ravel()])
    nx_, ny_ = len(xs), len(ys)
    idx = np.arange(nx_ * ny_).reshape(ny_, nx_)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    seg = np.stack([nodes[a], nodes[b]], axis=1)
    _, near = cKDTree(nodes).query(net.node_xy)
    conn = np.stack([net.node_xy, nodes[near]], axis=1)
    conn = conn[np.hypot(*(conn[:, 0] - conn[:, 1]).T) > 20.0]
    coords = np.concatenate([seg, conn])
    grid = shapely.linestrings(coords.reshape(-1, 2),
                               indices=np.repeat(np.arange(len(coords)), 2))
    e = net.edges
    cols = ["mode", "cls", "ref", "eref", "surface", "name", "seam_id", "source_id",
            "electrified", "gauge", "usage"]
    own = gpd.GeoDataFrame({c: e[c].astype(str).to_numpy() for c in cols},
                           geometry=net.geoms, crs=METRIC_CRS)
    n = len(grid)
    extra_df = gpd.GeoDataFrame({c: [""] * n for c in cols}, geometry=grid, crs=METRIC_CRS)
    extra_df["mode"], extra_df["cls"] = "road", "local"
    lines = gpd.GeoDataFrame(
        {**{c: np.concatenate([own[c].to_numpy(), extra_df[c].to_numpy()]) for c in cols}},
        geometry=np.concatenate([own.geometry.values, grid]), crs=METRIC_CRS)
    return lines, {"grid_spacing_m": round(s, 1), "grid_lines": int(len(seg)),
                   "connectors": int(len(conn))}


def one_network(factor: float, cache: str) -> dict:
    """Build (cold), cache, load, query and sweep on the network ``factor`` x EGM."""
    from supplyline.analysis import queries
    from supplyline.analysis.context import Workspace
    from supplyline.analysis.timeline import compute_timeline, near_front_cities
    from supplyline.data.network import load_network

    out: dict = {"factor": factor, "loadavg_1m": round(os.getloadavg()[0], 2)}
    base = Workspace(os.environ.get("BENCH_DATA") or None)
    egm = base.network("road")
    cities = near_front_cities(base)[:10]
    if factor > 1:
        t0 = time.perf_counter()
        lines, info = dense_lines(egm, factor)
        out["synthesis_s"] = round(time.perf_counter() - t0, 2)
        out.update(info)
        src = Path(cache) / f"dense-{factor:g}.stamp"  # the cache key's "source file"
        src.write_text(str(factor))
        kw = {"source_files": [src], "cache_root": Path(cache)}
        with Measure() as m:  # build, and write the cache entry
            net = load_network("road", lines=lines, **kw)
        del lines
        out["build"] = m.result(len(net.length), "edges", includes="writing the cache")
        del net
        with Measure() as m:
            net = load_network("road", lines=None, **kw)
            net.samples, net.edge_mid_xy  # noqa: B018 - read and checked when first used
        out["cache_load"] = m.result(len(net.length), "edges", cache=net.report["cache"])
    else:
        from supplyline.data.network import load_network as ln

        egm_path = base.sources.require("egm")
        with Measure() as m:
            net = ln("road", egm_path=egm_path, use_cache=False)
        out["build"] = m.result(len(net.length), "edges")
        with Measure() as m:
            net = ln("road", egm_path=egm_path, use_cache=True)
            net.samples, net.edge_mid_xy  # noqa: B018 - read and checked when first used
        out["cache_load"] = m.result(len(net.length), "edges", cache=net.report["cache"])
    out["edges"], out["nodes"] = int(len(net.length)), int(net.n_nodes)
    ws = Workspace(os.environ.get("BENCH_DATA") or None)
    ws._networks["road"] = net
    ws.network("rail")
    ws.history  # noqa: B018
    ws.gazetteer  # noqa: B018
    with Measure() as m:
        first = queries.routes(ws, "Pokrovsk", "2025-01-31")
    out["query_first"] = m.result(1, "queries", hubs=[h.name for h in first.hubs])
    with Measure() as m:
        queries.routes(ws, "Pokrovsk", "2025-03-01")
    road_plan = next(iter(ws._memo["plan"].values())).modes["road"]
    out["query_new_date"] = m.result(1, "queries", region_edges=int(len(road_plan.net.length)),
                                     chains=int(len(road_plan.chains)))
    hist = ws.history
    i0 = hist.index_on(SWEEP_START)[0]
    with Measure() as m:
        tl = compute_timeline(ws, cities, hist.dates[i0], hist.dates[i0 + 9], use_cache=False)
    out["sweep"] = m.result(int(tl.stats["city_days"]), "city-days",
                            recomputed=int(tl.stats["recomputed"]))
    return out


# ----------------------------------------------------------------------------- sweeps
def one_sweep(n_cities: int, n_days: int, start: str | None) -> dict:
    from supplyline.analysis.context import Workspace
    from supplyline.analysis.timeline import compute_timeline, near_front_cities

    ws = Workspace(os.environ.get("BENCH_DATA") or None)
    hist = ws.history
    for m in ("road", "rail"):
        ws.network(m)
    ws.gazetteer  # noqa: B018
    cities = near_front_cities(ws)
    if len(cities) < n_cities:
        cities = near_front_cities(ws, min_population=1000, within_km=80)
    cities = cities[:n_cities]
    i0 = hist.index_on(start)[0] if start else 0
    i1 = min(len(hist), i0 + n_days) - 1
    with Measure() as m:
        tl = compute_timeline(ws, cities, hist.dates[i0], hist.dates[i1], use_cache=False)
    return {"cities": len(cities), "days": i1 - i0 + 1,
            "range": [str(hist.dates[i0]), str(hist.dates[i1])],
            "sweep": m.result(int(tl.stats["city_days"]), "city-days",
                              recomputed=int(tl.stats["recomputed"]),
                              carried_over=int(tl.stats["carried_over"]))}


# ----------------------------------------------------------------------------- driver
def _child(kind: str, arg: dict, env: dict) -> dict:
    fd, out = tempfile.mkstemp(prefix=f"scaling-{kind}-", suffix=".json")
    os.close(fd)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", kind, json.dumps(arg), out]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    try:
        if proc.returncode != 0:
            return {"error": proc.stderr[-3000:], "exit": proc.returncode}
        res = json.loads(Path(out).read_text())
    finally:
        Path(out).unlink(missing_ok=True)
    res["process_s"] = round(time.perf_counter() - t0, 1)
    return res


def exponents(sizes: list[float], times: list[float]) -> list[float | None]:
    """Slopes of log(time) / log(size) between neighbouring points."""
    out: list[float | None] = []
    for (s0, t0), (s1, t1) in zip(zip(sizes, times, strict=True),
                                  zip(sizes[1:], times[1:], strict=True), strict=False):
        ok = s0 > 0 and s1 > s0 and t0 and t1 and t0 > 0 and t1 > 0
        out.append(round(math.log(t1 / t0) / math.log(s1 / s0), 2) if ok else None)
    return out


def run(what: list[str], env: dict | None = None, factors=(1, 10, 50),
        cities=(10, 50, 200), days=(30, 120, 480)) -> dict:
    env = dict(env or os.environ)
    res: dict = {}
    if "network" in what:
        cache = tempfile.mkdtemp(prefix="supplyline-scaling-")
        rows = [_child("network", {"factor": f, "cache": cache}, env) for f in factors]
        res["network"] = {"rows": rows}
        ok = [r for r in rows if "error" not in r]
        if len(ok) > 1:
            sizes = [r["edges"] for r in ok]
            for step in ("build", "cache_load", "query_new_date", "sweep"):
                res["network"][f"{step}_exponent"] = exponents(
                    sizes, [r[step]["wall_s"] for r in ok])
                res["network"][f"{step}_memory_exponent"] = exponents(
                    sizes, [r[step]["peak_mib"] for r in ok])
    if "cities" in what:
        rows = [_child("sweep", {"n_cities": n, "n_days": 30, "start": SWEEP_START}, env)
                for n in cities]
        res["cities"] = {"rows": rows}
        ok = [r for r in rows if "error" not in r]
        res["cities"]["exponent"] = exponents([r["cities"] for r in ok],
                                              [r["sweep"]["wall_s"] for r in ok])
    if "days" in what:
        rows = [_child("sweep", {"n_cities": 10, "n_days": n, "start": None}, env)
                for n in days]
        res["days"] = {"rows": rows}
        ok = [r for r in rows if "error" not in r]
        res["days"]["exponent"] = exponents([r["days"] for r in ok],
                                            [r["sweep"]["wall_s"] for r in ok])
    return res


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--one"]:
        kind, arg, out = argv[1], json.loads(argv[2]), argv[3]
        res = one_network(**arg) if kind == "network" else one_sweep(**arg)
        Path(out).write_text(json.dumps(res, default=str))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--what", nargs="+", default=["network", "cities", "days"],
                    choices=["network", "cities", "days"])
    ap.add_argument("--factors", type=float, nargs="+", default=[1, 10, 50])
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    res = run(args.what, factors=tuple(args.factors))
    print(json.dumps(res, indent=2, default=str))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
