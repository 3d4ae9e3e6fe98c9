"""A straightforward baseline for the timeline metrics, and a check that it agrees.

The baseline is written the way a competent analyst would with the usual tools, without
supplyline's machinery:

* roads (every EGM road, as supplyline's default ``road_classes="all"``) and railways
  read with geopandas, projected to the same metric CRS
  (:data:`supplyline.crs.METRIC_CRS`), one networkx ``MultiGraph`` per mode
  whose nodes are the line end points rounded to a 10 m grid; edges keep length and class;
* per day, everything is recomputed from the day's DeepState GeoJSON (read with
  geopandas), with no caching: every edge's distance to held territory
  (``GeoSeries.distance``), the centre's distance (``shapely.distance``), ring occupancy
  (``polygon.contains`` per point, 180 bearings per ring), the held area within 30 km,
  the peacetime route (``nx.shortest_path``) and the safest route within the detour cap
  (the greatest clearance level, by binary search over the clearance values, at which
  ``nx.shortest_path_length`` stays within 1.5 x the peacetime length, then
  ``nx.shortest_path`` on the graph of edges at least that clear).

Both sides measure from held territory only (:data:`HELD_ONLY`: supplyline's default also
counts the grey zone and the other side of the state border, which the baseline would
have to rebuild first; the work per city-day is the same).

The cities, their rear hubs, the route region and the end points come from supplyline's
own plan (``compute_timeline(...).plans``: ``.place.xy``, ``.hubs``, ``.region_box``, and
the city and hub nodes), so both sides answer exactly the same questions: the baseline
inserts supplyline's city and hub nodes into its own graph by splitting the nearest line
there (its own nodes are line ends only, often kilometres from supplyline's <= 1 km
edge nodes, which changed the answers when each side snapped on its own).

The baseline does *less* than supplyline per city-day (no resilience / max-flow, no
corridor raster), so the speed ratio reported here understates supplyline's advantage.

Run: ``python benchmarks/baseline.py [--cities Pokrovsk Kostyantynivka] [--start
2025-01-20] [--days 10] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from supplyline.analysis.options import DEFAULT_OPTIONS  # noqa: E402
from supplyline.crs import METRIC_CRS

#: The question both sides answer: exposure measured from held territory only.
HELD_ONLY = DEFAULT_OPTIONS.with_(threat_ground="held", border_hostile=False)
#: EGM road types: 16 motorway / national "M" road, 14 primary, 15 secondary, 984 local.
ROAD_RTT = {16: "motorway", 14: "primary", 15: "secondary", 984: "local", 0: "unknown"}
GRID_M = 10.0
N_BEARINGS = 180

#: Agreement tolerances (see :func:`compare`).
TOL_CENTRE_KM = 0.2
TOL_RING = 0.02
TOL_CLEAR_KM = 1.0
MIN_STATUS_AGREEMENT = 0.90
TOL_AREA_REL, TOL_AREA_KM2 = 0.02, 1.0


# ----------------------------------------------------------------------------- network
@dataclass
class BaselineNetwork:
    """Lines (GeoDataFrame, metric CRS, one row per edge) and their networkx graph."""

    mode: str
    lines: gpd.GeoDataFrame
    graph: nx.MultiGraph
    node_xy: dict[int, tuple[float, float]]


def build_network(egm_path: str | Path, mode: str) -> BaselineNetwork:
    layer = "roads" if mode == "road" else "railways"
    gdf = gpd.read_file(egm_path, layer=layer)
    if mode == "road":  # every road, as supplyline's default (AnalysisOptions.road_classes)
        gdf["cls"] = gdf["rtt"].map(ROAD_RTT).fillna("unknown")
    else:
        gdf["cls"] = "rail"
    gdf = gdf.to_crs(METRIC_CRS).explode(ignore_index=True)
    gdf = gdf[gdf.geom_type == "LineString"].reset_index(drop=True)
    gdf["length"] = gdf.geometry.length
    graph = nx.MultiGraph()
    node_ids: dict[tuple[int, int], int] = {}
    node_xy: dict[int, tuple[float, float]] = {}

    def node(x: float, y: float) -> int:
        key = (round(x / GRID_M), round(y / GRID_M))
        if key not in node_ids:
            node_ids[key] = len(node_ids)
            node_xy[node_ids[key]] = (key[0] * GRID_M, key[1] * GRID_M)
        return node_ids[key]

    us, vs = [], []
    for i, geom in enumerate(gdf.geometry):
        (x0, y0), (x1, y1) = geom.coords[0], geom.coords[-1]
        u, v = node(x0, y0), node(x1, y1)
        us.append(u)
        vs.append(v)
        graph.add_edge(u, v, key=i, length=float(gdf.at[i, "length"]), cls=gdf.at[i, "cls"])
    gdf["u"], gdf["v"] = us, vs
    return BaselineNetwork(mode, gdf[["u", "v", "length", "cls", "geometry"]], graph, node_xy)


@dataclass
class Region:
    """One city's route region in one mode: its sub-graph and end points.

    ``edge_ids`` are rows of the network's lines; ``extra`` holds the pieces of lines split
    to insert the city and hub points (keys from ``len(lines)`` up), measured per day like
    the others."""

    edge_ids: np.ndarray
    graph: nx.MultiGraph
    city_node: int
    hub_nodes: list[tuple[str, int]]
    extra: dict[int, shapely.Geometry] = field(default_factory=dict)


def _insert_point(g: nx.MultiGraph, geoms: dict, xy, next_key: int, next_node: int
                  ) -> tuple[int, int, int]:
    """Node at ``xy`` on the nearest edge of ``g`` (the edge is split there unless ``xy``
    is within 1 m of one of its ends). Returns (node, next_key, next_node)."""
    pt = shapely.Point(xy)
    edges = list(g.edges(keys=True))
    d = shapely.distance(np.array([geoms[k] for _, _, k in edges]), pt)
    u, v, k = edges[int(np.argmin(d))]
    line = geoms[k]
    pos, length = line.project(pt), line.length
    start = shapely.Point(line.coords[0])
    # the line's first coordinate is at the node it was drawn from
    a, b = (u, v) if (start.distance(shapely.Point(g.nodes[u]["xy"])) <=
                      start.distance(shapely.Point(g.nodes[v]["xy"]))) else (v, u)
    if pos <= 1.0:
        return a, next_key, next_node
    if pos >= length - 1.0:
        return b, next_key, next_node
    cls = g.edges[u, v, k]["cls"]
    g.remove_edge(u, v, k)
    n = next_node
    g.add_node(n, xy=tuple(line.interpolate(pos).coords[0]))
    for part, (x, y) in ((shapely.ops.substring(line, 0, pos), (a, n)),
                         (shapely.ops.substring(line, pos, length), (n, b))):
        geoms[next_key] = part
        g.add_edge(x, y, key=next_key, length=part.length, cls=cls)
        next_key += 1
    return n, next_key, next_node + 1


def make_region(net: BaselineNetwork, box, city_xy, hub_points: list[tuple[str, tuple]]
                ) -> Region:
    """The lines meeting ``box``, with the city and hub points inserted as nodes."""
    ids = np.flatnonzero(net.lines.intersects(shapely.box(*box)).to_numpy())
    g = net.graph.edge_subgraph(
        [(int(net.lines.at[i, "u"]), int(net.lines.at[i, "v"]), int(i)) for i in ids]).copy()
    for n in g.nodes:
        g.nodes[n]["xy"] = net.node_xy[n]
    geoms = dict(zip(ids.tolist(), net.lines.geometry.values[ids], strict=True))
    next_key, next_node = len(net.lines), len(net.node_xy)
    city, next_key, next_node = _insert_point(g, geoms, city_xy, next_key, next_node)
    hubs = []
    for name, xy in hub_points:
        node, next_key, next_node = _insert_point(g, geoms, xy, next_key, next_node)
        hubs.append((name, node))
    extra = {k: geom for k, geom in geoms.items() if k >= len(net.lines)}
    return Region(ids, g, city, hubs, extra)


# ----------------------------------------------------------------------------- per day
def deepstate_file(directory: Path, day: dt.date) -> Path:
    return Path(directory) / f"deepstatemap_data_{day:%Y%m%d}.geojson"


def read_held(path: Path):
    """The day's held territory in the metric CRS (one geometry)."""
    gdf = gpd.read_file(path).to_crs(METRIC_CRS)
    geom = gdf.geometry.union_all()
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return geom


def band_status(d_m: float, bands) -> str:
    """'cut' for held (0 m), 'under fire (<band>)' within a band, else 'open'."""
    if d_m <= 0:
        return "cut"
    for b in bands:
        if d_m <= b.max_km * 1000:
            return f"under fire ({b.name})"
    return "open"


def _path_edges(g, nodes: list[int]) -> list[int]:
    """Edge keys along a node path, taking the shortest of parallel edges."""
    out = []
    for a, b in zip(nodes[:-1], nodes[1:], strict=True):
        out.append(min(g[a][b].items(), key=lambda kv: kv[1]["length"])[0])
    return out


def peacetime_route(g, s: int, t: int, dist: dict[int, float]) -> dict:
    try:
        nodes = nx.shortest_path(g, s, t, weight="length")
    except nx.NetworkXNoPath:
        return {"found": False}
    keys = _path_edges(g, nodes)
    return {"found": True, "length_m": sum(g[a][b][k]["length"] for a, b, k in
                                           zip(nodes[:-1], nodes[1:], keys, strict=True)),
            "min_clear_m": min((dist[k] for k in keys), default=math.inf)}


def safest_route(g, s: int, t: int, dist: dict[int, float], cap_m: float,
                 detour_cap: float = 1.5) -> dict:
    """The safest route within the detour cap, as supplyline defines it: the greatest
    minimum clearance (capped at ``cap_m``) among held-avoiding routes no longer than
    ``detour_cap`` x the peacetime route (or than the shortest held-avoiding route where
    that is longer), by binary search over the clearance values, then the shortest."""
    clear = {k: min(d, cap_m) for k, d in dist.items()}

    def view(thr: float):
        return nx.subgraph_view(g, filter_edge=lambda u, v, k: dist[k] > 0 and clear[k] >= thr)

    def length(gv) -> float:
        try:
            return nx.shortest_path_length(gv, s, t, weight="length")
        except nx.NetworkXNoPath:
            return math.inf

    levels = sorted({c for k, c in clear.items() if dist[k] > 0})
    if s == t:
        return {"found": True, "length_m": 0.0, "min_clear_m": cap_m}
    if not levels or not nx.has_path(view(levels[0]), s, t):
        return {"found": False}
    peace = nx.shortest_path_length(g, s, t, weight="length")
    avoid = length(view(levels[0]))
    limit = avoid if avoid > detour_cap * peace + 1e-3 else detour_cap * peace
    lo, hi = 0, len(levels) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if length(view(levels[mid])) <= limit + 1e-3:
            lo = mid
        else:
            hi = mid - 1
    gv = view(levels[lo])
    nodes = nx.shortest_path(gv, s, t, weight="length")
    keys = _path_edges(gv, nodes)
    return {"found": True,
            "length_m": sum(gv[a][b][k]["length"] for a, b, k in
                            zip(nodes[:-1], nodes[1:], keys, strict=True)),
            "min_clear_m": min(dist[k] for k in keys)}


def ring_share(held, centre, radius_m: float, n: int = N_BEARINGS) -> float:
    inside = 0
    for k in range(n):
        th = math.radians(k * 360.0 / n)
        p = shapely.Point(centre[0] + radius_m * math.sin(th), centre[1] + radius_m * math.cos(th))
        inside += bool(held.contains(p))
    return inside / n


# ----------------------------------------------------------------------------- runs
@dataclass
class BaselineRun:
    days: pd.DataFrame
    routes: pd.DataFrame
    timings: dict = field(default_factory=dict)


def plans_by_day(ws, tl) -> dict:
    """supplyline's city plans (place, hubs, region, snapped nodes) per day of a timeline:
    the hubs of each city-day as the timeline chose them, so both sides answer the same
    question."""
    from supplyline.analysis.figures import plan_city

    out: dict = {}
    days = tl.days[~tl.days["data_missing"].astype(bool)]
    by_id = {p.ident or p.name: p for p in tl.cities}
    for r in days.itertuples(index=False):
        hubs = [ws.find(h).place for h in str(r.hubs).split(";") if h]
        out.setdefault(pd.Timestamp(r.date).date(), []).append(
            plan_city(ws, by_id[r.city_id], hubs, tl.options))
    return out


def run_baseline(egm_path: Path, deepstate_dir: Path, plans: dict, dates: list[dt.date],
                 profile, radii_km=(5.0, 10.0, 20.0, 30.0), area_radius_km: float = 30.0,
                 modes=("road", "rail"), nets: dict | None = None) -> BaselineRun:
    """Timeline metrics for ``plans`` (per day, supplyline CityPlans: place, hubs, region
    box, snapped nodes) on ``dates``, the straightforward way (``nets``: networks already
    built, per mode)."""
    t0 = time.perf_counter()
    nets = nets or {m: build_network(egm_path, m) for m in modes}
    regions = {}
    for p in {id(p): p for day in dates for p in plans.get(day, [])}.values():
        if not p.hubs or any(m not in p.modes for m in modes):
            continue  # (a city with no rail to any hub that day: not compared)
        regions[id(p)] = {}
        for m in modes:  # the same end points as supplyline: its city and hub nodes
            mp = p.modes[m]
            sub = mp.net
            regions[id(p)][m] = make_region(
                nets[m], p.region_box, tuple(sub.node_xy[mp.city_node]),
                [(p.hub_name(h), tuple(sub.node_xy[n])) for h, n in mp.hub_nodes])
    setup_s = time.perf_counter() - t0
    cap = profile.bands[-1].max_km * 1000
    load_s = compute_s = 0.0
    parts = {"edge_distance_s": 0.0, "points_s": 0.0, "routing_s": 0.0}
    day_rows, route_rows = [], []
    union_size = dict.fromkeys(modes, 0)
    for day in dates:
        t1 = time.perf_counter()
        held = read_held(deepstate_file(deepstate_dir, day))
        t2 = time.perf_counter()
        load_s += t2 - t1
        dist = {}
        todays = {id(p): regions[id(p)] for p in plans.get(day, []) if id(p) in regions}
        for m in modes:  # every edge of the day's regions, measured against held territory
            ids = (np.unique(np.concatenate([r[m].edge_ids for r in todays.values()]))
                   if todays else np.empty(0, np.int64))
            union_size[m] = max(union_size[m], len(ids))
            lines = nets[m].lines.iloc[ids]
            dist[m] = dict(zip(ids.tolist(), lines.distance(held).tolist(), strict=True))
            for key, reg in todays.items():  # the split pieces at city and hubs
                if reg[m].extra:
                    piece = gpd.GeoSeries(list(reg[m].extra.values()), crs=METRIC_CRS)
                    dist[(key, m)] = dict(zip(reg[m].extra, piece.distance(held).tolist(),
                                              strict=True))
        t3 = time.perf_counter()
        parts["edge_distance_s"] += t3 - t2
        for p in plans.get(day, []):
            t4 = time.perf_counter()
            c = p.place.xy
            row = {"city": p.place.name, "date": day,
                   "distance_to_held_km": shapely.distance(shapely.Point(c), held) / 1000}
            for r in radii_km:
                row[f"ring_held_share_{r:g}km"] = ring_share(held, c, r * 1000)
            disc = shapely.Point(c).buffer(area_radius_km * 1000, quad_segs=16)
            row[f"held_area_{area_radius_km:g}km_km2"] = held.intersection(disc).area / 1e6
            day_rows.append(row)
            t5 = time.perf_counter()
            parts["points_s"] += t5 - t4
            for m in modes:
                if id(p) not in regions:
                    continue
                reg = regions[id(p)][m]
                d = {k: dist[m][k] for k in reg.edge_ids.tolist()}
                d.update(dist.get((id(p), m), {}))
                for hub, t in reg.hub_nodes:
                    pt = peacetime_route(reg.graph, reg.city_node, t, d)
                    sf = safest_route(reg.graph, reg.city_node, t, d, cap)
                    route_rows.append({
                        "city": p.place.name, "date": day, "mode": m, "hub": hub,
                        "status": band_status(sf["min_clear_m"], profile.bands)
                        if sf["found"] else "cut",
                        "safest_min_clearance_km": sf["min_clear_m"] / 1000
                        if sf["found"] else np.nan,
                        "safest_length_km": sf["length_m"] / 1000 if sf["found"] else np.nan,
                        "peacetime_status": band_status(pt["min_clear_m"], profile.bands)
                        if pt["found"] else "cut",
                        "peacetime_min_clearance_km": pt["min_clear_m"] / 1000
                        if pt["found"] else np.nan,
                        "peacetime_length_km": pt["length_m"] / 1000 if pt["found"] else np.nan,
                    })
            parts["routing_s"] += time.perf_counter() - t5
        compute_s += time.perf_counter() - t2
    timings = {"setup_s": setup_s, "load_s": load_s, "compute_s": compute_s, **parts,
               "city_days": len(day_rows),
               "edges": union_size}
    return BaselineRun(pd.DataFrame(day_rows), pd.DataFrame(route_rows), timings)


def history_dates(ws, start, n_days: int) -> list[dt.date]:
    hist = ws.history
    i0 = hist.index_on(start)[0] if start else 0
    return list(hist.dates[i0:i0 + n_days])


# ----------------------------------------------------------------------------- compare
def _cap(x: float, cap_km: float) -> float:
    return min(x, cap_km) if np.isfinite(x) else x


def compare(tl, base: BaselineRun, profile) -> dict:
    """Agreement of supplyline's timeline ``tl`` with the baseline on the same city-days.

    Checks: centre distance within 0.2 km; ring held shares within 0.02; held area within
    2 % (or 1 km2); route status per hub (safest = pair status, and peacetime) equal on at
    least 90 % of rows; the safest route's min clearance (the maximin value, capped at the
    outer band: beyond it every route is equally "open") within 1 km where both sides found
    a route. Every row breaking a tolerance is listed under ``problems``.

    The peacetime route's min clearance is compared too but only reported (``notes``): a
    shortest path is one of possibly near-equal alternatives (the two graphs are noded
    differently), and a 0.3 % length difference can flip it to a route on the other side
    of the front. The maximin clearance does not have that problem: it is a property of
    the graph, not of the path chosen.
    """
    cap_km = profile.bands[-1].max_km
    sl = tl.days[~tl.days["data_missing"].astype(bool)].copy()
    sl["date"] = pd.to_datetime(sl["date"]).dt.date
    bd = base.days.copy()
    days = bd.merge(sl, on=["city", "date"], suffixes=("_bl", "_sl"), how="left")
    ring_cols = [c for c in base.days.columns if c.startswith("ring_held_share_")]
    area_col = next(c for c in base.days.columns if c.startswith("held_area_"))
    day_bad = []
    worst = {"centre_km": 0.0, "ring": 0.0, "area_km2": 0.0}
    for r in days.to_dict("records"):
        problems = []
        a, b = r["distance_to_held_km_sl"], r["distance_to_held_km_bl"]
        dc = abs(b - a)
        worst["centre_km"] = max(worst["centre_km"], dc)
        if not dc <= TOL_CENTRE_KM:
            problems.append(f"centre {a:.3f} vs {b:.3f} km")
        for c in ring_cols:
            dr = abs(r[f"{c}_bl"] - r[f"{c}_sl"])
            worst["ring"] = max(worst["ring"], dr)
            if not dr <= TOL_RING:
                problems.append(f"{c} {r[f'{c}_sl']:.3f} vs {r[f'{c}_bl']:.3f}")
        da = abs(r[f"{area_col}_bl"] - r[f"{area_col}_sl"])
        worst["area_km2"] = max(worst["area_km2"], da)
        if not da <= max(TOL_AREA_KM2, TOL_AREA_REL * r[f"{area_col}_bl"]):
            problems.append(f"area {r[f'{area_col}_sl']:.1f} vs {r[f'{area_col}_bl']:.1f} km2")
        if problems:
            day_bad.append({"city": r["city"], "date": str(r["date"]), "problems": problems})

    rt = tl.routes.copy()
    if len(rt):
        rt["date"] = pd.to_datetime(rt["date"]).dt.date
    keys = ["city", "date", "mode", "hub"]
    routes = base.routes.merge(rt, on=keys, suffixes=("_bl", "_sl"), how="left")
    route_bad = []
    n = len(routes)
    same_status = same_peace = clear_checked = clear_bad = 0
    worst_clear = worst_peace_clear = 0.0
    for r in routes.to_dict("records"):
        problems, notes = [], []
        if r["status_bl"] == r["status_sl"]:
            same_status += 1
        else:
            problems.append(f"status {r['status_sl']!r} vs {r['status_bl']!r}")
        if r["peacetime_status_bl"] == r["peacetime_status_sl"]:
            same_peace += 1
        else:
            problems.append(f"peacetime status {r['peacetime_status_sl']!r} vs "
                            f"{r['peacetime_status_bl']!r}")
        a, b = r["safest_min_clearance_km_sl"], r["safest_min_clearance_km_bl"]
        if pd.notna(a) and pd.notna(b):
            clear_checked += 1
            d = abs(_cap(a, cap_km) - _cap(b, cap_km))
            worst_clear = max(worst_clear, d)
            if d > TOL_CLEAR_KM:
                clear_bad += 1
                problems.append(f"safest_min_clearance_km {a:.2f} vs {b:.2f}")
        a, b = r["peacetime_min_clearance_km_sl"], r["peacetime_min_clearance_km_bl"]
        if pd.notna(a) and pd.notna(b):
            d = abs(_cap(a, cap_km) - _cap(b, cap_km))
            worst_peace_clear = max(worst_peace_clear, d)
            if d > TOL_CLEAR_KM:
                notes.append(f"peacetime_min_clearance_km {a:.2f} vs {b:.2f} (baseline "
                             f"peacetime {r['peacetime_length_km_bl']:.1f} km: a near-equal "
                             "alternative route)")
        if problems or notes:
            route_bad.append({k: str(r[k]) for k in keys} | {"problems": problems,
                                                               "notes": notes})
    status_share = same_status / n if n else 1.0
    peace_share = same_peace / n if n else 1.0
    checks = {
        "centre_within_0.2km": worst["centre_km"] <= TOL_CENTRE_KM,
        "rings_within_0.02": worst["ring"] <= TOL_RING,
        "area_within_2pct": not any(any(p.startswith("area") for p in b["problems"])
                                    for b in day_bad),
        "status_agree_90pct": status_share >= MIN_STATUS_AGREEMENT,
        "peacetime_status_agree_90pct": peace_share >= MIN_STATUS_AGREEMENT,
        "safest_clearance_within_1km": clear_bad == 0,
    }
    return {
        "ok": all(checks.values()), "checks": checks,
        "city_days": int(len(days)), "route_rows": int(n),
        "status_agreement": round(status_share, 4),
        "peacetime_status_agreement": round(peace_share, 4),
        "safest_clearances_compared": clear_checked,
        "worst": {k: round(float(v), 4) for k, v in worst.items()} |
                 {"safest_clearance_km": round(float(worst_clear), 3),
                  "peacetime_clearance_km (info)": round(float(worst_peace_clear), 3)},
        "day_disagreements": day_bad, "route_disagreements": route_bad,
    }


# ----------------------------------------------------------------------------- benchmark
def benchmark(ws, cities: list[str], start=None, n_days: int = 10) -> dict:
    """Run supplyline (compute_timeline, no cache, one worker) and the baseline on the same
    cities and history days; return timings, the speed ratio and the agreement."""
    from supplyline.analysis.timeline import compute_timeline

    t0 = time.perf_counter()
    ws.history  # noqa: B018 - load before timing
    for m in ("road", "rail"):
        ws.network(m)
    ws.gazetteer  # noqa: B018 - load before timing
    sl_setup = time.perf_counter() - t0
    dates = history_dates(ws, start, n_days)
    names = list(cities)  # names or identifiers ("geonames:704422"): Workspace.find takes both
    t1 = time.perf_counter()
    tl = compute_timeline(ws, names, dates[0], dates[-1], use_cache=False, workers=1,
                          options=HELD_ONLY)
    sl_s = time.perf_counter() - t1
    # the same call again: per-process lazy set-up (edge sample points, midpoints) is done
    t1 = time.perf_counter()
    compute_timeline(ws, names, dates[0], dates[-1], use_cache=False, workers=1,
                     options=HELD_ONLY)
    sl_warm = time.perf_counter() - t1
    base = run_baseline(ws.sources.require("egm"), ws.sources.daily_dirs[0][1],
                        plans_by_day(ws, tl), dates, ws.profile)
    agree = compare(tl, base, ws.profile)
    bt = base.timings
    city_days = int(tl.stats["city_days"])
    return {
        "cities": [p.name for p in tl.cities],
        "hubs": {p.name: sorted({h for v in tl.city(p.ident)["hubs"].dropna()
                                 for h in str(v).split(";") if h}) for p in tl.cities},
        "dates": [str(dates[0]), str(dates[-1])], "days": len(dates), "city_days": city_days,
        "supplyline": {"setup_s": round(sl_setup, 3), "compute_s": round(sl_s, 3),
                       "compute_again_s": round(sl_warm, 3),
                       "city_days_per_s": round(city_days / sl_s, 2),
                       "recomputed": tl.stats["recomputed"],
                       "carried_over": tl.stats["carried_over"]},
        "baseline": {"setup_s": round(bt["setup_s"], 3), "load_s": round(bt["load_s"], 3),
                     "compute_s": round(bt["compute_s"], 3),
                     "city_days_per_s": round(bt["city_days"] / bt["compute_s"], 3),
                     **{k: round(bt[k], 3) for k in ("edge_distance_s", "points_s",
                                                     "routing_s")},
                     "edges_measured_per_day": bt["edges"]},
        # identical work: per-day metrics for the same city-days, inputs already in memory
        "speedup": round(bt["compute_s"] / sl_s, 2),
        "speedup_incl_day_reads": round((bt["compute_s"] + bt["load_s"]) / sl_s, 2),
        "speedup_second_call": round(bt["compute_s"] / sl_warm, 2),
        "agreement": agree,
    }


def sample_dates(ws, n: int) -> list[dt.date]:
    """``n`` history days spread evenly over the days the baseline can read (those with
    a daily DeepState file; first and last included): the merged history's earlier days
    come from API snapshots only."""
    daily = ws.sources.daily_dirs[0][1]
    dates = [d for d in ws.history.dates if deepstate_file(daily, d).exists()]
    idx = np.unique(np.linspace(0, len(dates) - 1, max(1, n)).round().astype(int))
    return [dates[i] for i in idx]


def benchmark_sample(ws, cities: list[str], dates: list[dt.date]) -> dict:
    """The baseline's cost per city-day on the sweep's own work: every city of the sweep
    on a few days spread over the history (each day computed as one day, as the baseline
    does), with supplyline's answers for the same city-days checked against it.

    The baseline recomputes everything every day, so its time for the whole sweep is its
    time per city-day here times the sweep's city-days; that estimate is what the sweep's
    measured time is compared with (``run.py``)."""
    from supplyline.analysis.timeline import Timeline, compute_timeline

    for m in ("road", "rail"):
        ws.network(m)
    ws.gazetteer  # noqa: B018 - load before timing
    names = list(cities)
    days, routes, plans = [], [], {}
    sl_s = 0.0
    for d in dates:  # each day on its own (hubs chosen on that day, as a fresh run would)
        t1 = time.perf_counter()
        tl = compute_timeline(ws, names, d, d, use_cache=False, workers=1, options=HELD_ONLY)
        sl_s += time.perf_counter() - t1
        days.append(tl.days)
        routes.append(tl.routes)
        plans.update(plans_by_day(ws, tl))
    tl = Timeline(pd.concat(days, ignore_index=True), pd.concat(routes, ignore_index=True),
                  tl.cities, tl.options, {})
    t0 = time.perf_counter()
    egm = ws.sources.require("egm")
    nets = {m: build_network(egm, m) for m in ("road", "rail")}
    base_days, base_routes = [], []
    t = {"setup_s": time.perf_counter() - t0, "load_s": 0.0, "compute_s": 0.0,
         "city_days": 0}
    for d in dates:  # the baseline with the same hubs as supplyline on that day
        b = run_baseline(egm, ws.sources.daily_dirs[0][1], plans, [d], ws.profile, nets=nets)
        base_days.append(b.days)
        base_routes.append(b.routes)
        for k in t:
            t[k] += b.timings[k]
    base = BaselineRun(pd.concat(base_days, ignore_index=True),
                       pd.concat(base_routes, ignore_index=True), t)
    agree = compare(tl, base, ws.profile)
    city_days = int(t["city_days"])
    return {"cities": len(names), "dates": [str(d) for d in dates], "city_days": city_days,
            "supplyline": {"compute_s": round(sl_s, 3),
                           "per_city_day_ms": round(1000 * sl_s / city_days, 2)},
            "baseline": {"setup_s": round(t["setup_s"], 3), "load_s": round(t["load_s"], 3),
                         "compute_s": round(t["compute_s"], 3),
                         "per_city_day_ms": round(1000 * t["compute_s"] / city_days, 1)},
            "agreement": agree}


def print_report(res: dict, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    a = res["agreement"]
    t = Table(title=f"Baseline vs supplyline: {', '.join(res['cities'])}, "
                    f"{res['dates'][0]} .. {res['dates'][1]} ({res['city_days']} city-days)")
    for c in ("", "supplyline", "baseline"):
        t.add_column(c, justify="right" if c else "left")
    s, b = res["supplyline"], res["baseline"]
    t.add_row("setup (s)", f"{s['setup_s']:.2f}", f"{b['setup_s']:.2f}")
    t.add_row("day reads (s)", "-", f"{b['load_s']:.2f}")
    t.add_row("compute (s)", f"{s['compute_s']:.2f}", f"{b['compute_s']:.2f}")
    t.add_row("compute, same call again (s)", f"{s['compute_again_s']:.2f}", "-")
    t.add_row("city-days / s", f"{s['city_days_per_s']:.2f}", f"{b['city_days_per_s']:.3f}")
    console.print(t)
    console.print(f"speed-up on identical work: [bold]{res['speedup']:.1f}x[/bold] "
                  f"({res['speedup_incl_day_reads']:.1f}x counting the baseline's day reads, "
                  f"{res['speedup_second_call']:.1f}x for supplyline's second call)")
    verdict = "[green]agree[/green]" if a["ok"] else "[red]DISAGREE[/red]"
    console.print(f"answers: {verdict}; status {a['status_agreement']:.1%}, peacetime status "
                  f"{a['peacetime_status_agreement']:.1%} of {a['route_rows']} route rows; "
                  f"worst: {a['worst']}")
    for k, ok in a["checks"].items():
        console.print(f"  {'ok ' if ok else 'BAD'} {k}")
    for row in a["day_disagreements"] + a["route_disagreements"]:
        tag = "[yellow]differs[/yellow]" if row["problems"] else "[dim]note[/dim]"
        where = " ".join(str(row[k]) for k in ("city", "date", "mode", "hub") if k in row)
        console.print(f"  {tag} {where}: {'; '.join(row['problems'] + row.get('notes', []))}",
                      highlight=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cities", nargs="+", default=["Pokrovsk", "Kostyantynivka"])
    ap.add_argument("--start", default="2025-01-20", help="first day (YYYY-MM-DD)")
    ap.add_argument("--days", type=int, default=10, help="number of history days")
    ap.add_argument("--data", default=None, help="data directory (default: ../shared/data)")
    ap.add_argument("--json", type=Path, default=None, help="write the result as JSON")
    args = ap.parse_args(argv)
    from supplyline.analysis.context import Workspace

    res = benchmark(Workspace(args.data), args.cities, args.start, args.days)
    print_report(res)
    if args.json:
        args.json.write_text(json.dumps(res, indent=2, default=str))
    return 0 if res["agreement"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
