"""Timeline: per-day metrics for one or many cities over the control history.

:func:`compute_timeline` walks the history day by day. For each city it keeps a
signature of the held territory near the city (within its route region); a day whose
signature did not change is not recomputed (its metrics are carried over and flagged
``recomputed=False``). Results are cached per city on disk, keyed by the analysis
parameters, with the signature stored per row, so a rerun or a longer range reuses
earlier work. Days missing from the history are rows with ``data_missing=True`` and
empty metrics: gaps are shown, not invented.

Route metrics in the timeline use the main-road network (M, primary and secondary roads)
and the railway network, to the rear hubs chosen on the first day of the range (fixed so
the series stay comparable).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from .cache import atomic_write, cache_key, cache_path
from .control import parse_date
from .encirclement import corridor, ring_occupancy
from .errors import SupplylineError
from .places import Place
from .routes import EdgeExposure, RouteEngine, pair_status, resilience

log = logging.getLogger(__name__)

MAIN_ROADS = ("motorway", "primary", "secondary")
STATUS_ORDER = ["cut", "held"]  # worst first; bands inserted from the profile


@dataclass(frozen=True)
class TimelineParams:
    radii_km: tuple[float, ...] = (5.0, 10.0, 20.0, 30.0)
    modes: tuple[str, ...] = ("road", "rail")
    beyond_band: str = "fpv"
    main_roads_only: bool = True
    corridor_resolution_m: float = 1000.0
    area_radius_km: float = 30.0
    max_hubs: int = 3

    def key(self) -> dict:
        return dict(self.__dict__)


@dataclass
class CityPlan:
    """What is tracked for one city: its place, hubs and route region."""

    place: Place
    hubs: list[Place]
    region_box: tuple[float, float, float, float]
    source_nodes: dict[str, np.ndarray] = field(default_factory=dict)
    sink_nodes: dict[str, np.ndarray] = field(default_factory=dict)
    hub_nodes: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    city_node: dict[str, int] = field(default_factory=dict)
    edge_ids: dict[str, np.ndarray] = field(default_factory=dict)


def status_rank(status: str, profile) -> int:
    """0 = cut, 1 = under fire in the worst band ... len = open (higher is better)."""
    if status == "cut":
        return 0
    if status == "open":
        return len(profile.bands) + 1
    for i, b in enumerate(profile.bands):
        if status == f"under fire ({b.name})":
            return i + 1
    return 0


def plan_city(ws, name: str, start: dt.date, params: TimelineParams) -> CityPlan:
    from .analysis import REGION_MARGIN_M, _nodes_within, city_radius_m

    ctx = ws.city_context(name, start)
    try:
        hubs = ws.default_hubs(ctx, count=params.max_hubs)
    except SupplylineError:
        hubs = []
    pts = np.asarray([ctx.place.xy, *[h.xy for h in hubs]])
    lo = pts.min(axis=0) - REGION_MARGIN_M
    hi = pts.max(axis=0) + REGION_MARGIN_M
    plan = CityPlan(ctx.place, hubs, (lo[0], lo[1], hi[0], hi[1]))
    for mode in params.modes:
        net = ws.network(mode)
        mid = net.edge_mid_xy
        sel = np.all((mid >= lo) & (mid <= hi), axis=1)
        if mode == "road" and params.main_roads_only:
            sel &= np.isin(net.attr["cls"], MAIN_ROADS)
        plan.edge_ids[mode] = np.flatnonzero(sel)
        # snap to nodes of the tracked edges (e.g. main roads), not of the whole network
        nodes = np.unique(np.concatenate([net.u[sel], net.v[sel]]))
        tree = cKDTree(net.node_xy[nodes])

        def snap(xy, nodes=nodes, tree=tree) -> int:
            return int(nodes[tree.query(xy)[1]])

        plan.city_node[mode] = snap(ctx.place.xy)
        plan.hub_nodes[mode] = [(h.name, snap(h.xy)) for h in hubs]
        plan.source_nodes[mode] = _nodes_within(net, ctx.place.xy,
                                                city_radius_m(ctx.place.population))
        plan.sink_nodes[mode] = (np.concatenate([
            _nodes_within(net, h.xy, city_radius_m(h.population)) for h in hubs])
            if hubs else np.empty(0, np.int64))
    return plan


def _signature(geom, box) -> str:
    clip = shapely.clip_by_rect(geom, *box)
    return hashlib.blake2b(shapely.to_wkb(shapely.normalize(clip)), digest_size=12).hexdigest()


class DayExposure:
    """Exposure of every tracked edge on one day, shared by all cities."""

    def __init__(self, ws, day_geom, edge_ids: dict[str, np.ndarray]):
        from .exposure import HeldIndex

        self.index = HeldIndex.build(day_geom)
        self.exp = {m: EdgeExposure.compute(ws.network(m), self.index, ws.profile, ids)
                    for m, ids in edge_ids.items()}


def city_day_metrics(ws, plan: CityPlan, geom, day: DayExposure,
                     params: TimelineParams) -> tuple[dict, list[dict]]:
    """Metrics of one city on one day (flat dict) and its per-hub route rows."""
    prof = ws.profile
    idx = day.index
    c = np.asarray(plan.place.xy)
    d, inside = idx.point_clearance(c[None, :])
    row: dict = {"dist_km": float(d[0]) / 1000 if np.isfinite(d[0]) else np.nan,
                 "centre_held": bool(inside[0])}
    rings = ring_occupancy(geom, plan.place.xy, params.radii_km, prof, n_bearings=180,
                           index=idx)
    for r in rings:
        row[f"ring_held_{r.radius_km:g}"] = r.held_share
    disc = shapely.buffer(shapely.points(*c), params.area_radius_km * 1000, quad_segs=16)
    row[f"area_held_{params.area_radius_km:g}km_km2"] = float(
        shapely.area(shapely.intersection(geom, disc))) / 1e6
    routes: list[dict] = []
    for mode in params.modes:
        if not plan.hubs:
            continue
        net = ws.network(mode)
        exp = day.exp[mode].subset(plan.edge_ids[mode])
        eng = RouteEngine(net, exp, prof)
        res = eng.routes(plan.city_node[mode], plan.hub_nodes[mode])
        best_rank, best_clear = -1, np.nan
        for hub, rr in res.items():
            st = pair_status(rr)
            s = rr["safest"]
            p = rr["peacetime"]
            routes.append({"mode": mode, "hub": hub, "status": st,
                           "safest_clear_km": s.min_clearance_km if s.found else np.nan,
                           "safest_km": s.length_km if s.found else np.nan,
                           "peacetime_status": p.status if p.found else "cut",
                           "peacetime_clear_km": p.min_clearance_km if p.found else np.nan})
            rank = status_rank(st, prof)
            if rank > best_rank or (rank == best_rank and s.found and
                                    (np.isnan(best_clear) or s.min_clearance_km > best_clear)):
                best_rank, best_clear = rank, (s.min_clearance_km if s.found else np.nan)
                row[f"{mode}_status"] = st
        row[f"{mode}_best_clear_km"] = best_clear
        classes = MAIN_ROADS if (mode == "road" and params.main_roads_only) else None
        r = resilience(eng, plan.source_nodes[mode], plan.sink_nodes[mode], params.beyond_band,
                       classes)
        row[f"{mode}_routes"] = r.disjoint_routes
    if plan.hubs:
        cor = corridor(geom, plan.place.xy, [h.xy for h in plan.hubs],
                       start_radius_m=0.0, resolution_m=params.corridor_resolution_m,
                       margin_m=20_000)
        row["corridor_km"] = cor.width_km
    return row, routes


def _cache_file(ws, plan: CityPlan, params: TimelineParams) -> Path:
    key = cache_key("timeline", city=plan.place.ident or plan.place.name,
                    hubs=[h.name for h in plan.hubs], params=params.key(),
                    profile=ws.profile.as_dict(), history=ws.history.source)
    return cache_path("timeline", key, ".parquet")


def _load_cached(path: Path) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    try:
        if path.exists() and Path(str(path) + ".routes").exists():
            return pd.read_parquet(path), pd.read_parquet(str(path) + ".routes")
    except Exception as exc:
        log.warning("ignoring unreadable timeline cache %s: %s", path, exc)
    return None, None


@dataclass
class Timeline:
    """Per city and day metrics (``days``), per hub route rows (``routes``), and stats."""

    days: pd.DataFrame
    routes: pd.DataFrame
    plans: list[CityPlan]
    stats: dict

    def city(self, name: str) -> pd.DataFrame:
        return self.days[self.days["city"] == name].reset_index(drop=True)


def compute_timeline(ws, cities: list[str], start=None, end=None, *,
                     params: TimelineParams | None = None, use_cache: bool = True,
                     progress=None) -> Timeline:
    """Metrics for every day of the history between ``start`` and ``end`` for ``cities``."""
    params = params or TimelineParams()
    hist = ws.history
    d1 = parse_date(start) if start else hist.first
    d2 = parse_date(end) if end else hist.last
    if d2 < d1:
        raise SupplylineError(f"--to {d2} is before --from {d1}")
    hist.index_on(d1)  # error when before the history
    if not cities:
        raise SupplylineError("no cities given")
    first_day = hist.dates[hist.index_on(d1)[0]]
    plans = [plan_city(ws, c, first_day, params) for c in cities]
    names = [p.place.name for p in plans]
    if len(set(names)) != len(names):
        raise SupplylineError(f"cities resolve to duplicates: {names}")
    all_days = pd.date_range(d1, d2, freq="D").date
    have = {d: i for i, d in enumerate(hist.dates)}
    union_ids = {m: np.unique(np.concatenate([p.edge_ids[m] for p in plans]))
                 for m in params.modes}
    cached = {}
    for p in plans:
        f = _cache_file(ws, p, params)
        dfc, rtc = _load_cached(f) if use_cache else (None, None)
        cached[p.place.name] = (f, dfc, rtc)
    rows: list[dict] = []
    route_rows: list[dict] = []
    last: dict[str, tuple[str, dict, list[dict]]] = {}
    stats = {"city_days": 0, "recomputed": 0, "carried_over": 0, "from_cache": 0,
             "missing_days": 0}
    task = progress.add_task("Timeline", total=len(all_days)) if progress else None
    for day in all_days:
        if day not in have:
            stats["missing_days"] += 1
            for p in plans:
                rows.append({"city": p.place.name, "date": day, "data_missing": True})
            if progress:
                progress.advance(task)
            continue
        geom = hist.geoms[have[day]]
        day_exp = None
        for p in plans:
            name = p.place.name
            sig = _signature(geom, p.region_box)
            stats["city_days"] += 1
            _, dfc, rtc = cached[name]
            hit = None
            if dfc is not None:
                m = dfc[(dfc["date"] == pd.Timestamp(day)) & (dfc["sig"] == sig)]
                if len(m):
                    hit = m.iloc[0].to_dict()
            if hit is not None:
                metrics = {k: v for k, v in hit.items()
                           if k not in ("city", "date", "sig", "recomputed", "data_missing")}
                rr = rtc[rtc["date"] == pd.Timestamp(day)].drop(
                    columns=["city", "date"]).to_dict("records")
                stats["from_cache"] += 1
                recomputed = bool(hit.get("recomputed", True))
            elif name in last and last[name][0] == sig:
                metrics, rr = last[name][1], last[name][2]
                stats["carried_over"] += 1
                recomputed = False
            else:
                if day_exp is None:
                    day_exp = DayExposure(ws, geom, union_ids)
                metrics, rr = city_day_metrics(ws, p, geom, day_exp, params)
                stats["recomputed"] += 1
                recomputed = True
            last[name] = (sig, metrics, rr)
            rows.append({"city": name, "date": day, "data_missing": False, "sig": sig,
                         "recomputed": recomputed, **metrics})
            route_rows.extend({"city": name, "date": day, **r} for r in rr)
        if progress:
            progress.advance(task)
    days = pd.DataFrame(rows)
    days["date"] = pd.to_datetime(days["date"])
    routes = pd.DataFrame(route_rows)
    if len(routes):
        routes["date"] = pd.to_datetime(routes["date"])
    if use_cache:
        for p in plans:
            f, dfc, rtc = cached[p.place.name]
            mine = days[(days["city"] == p.place.name) & ~days["data_missing"].astype(bool)]
            rmine = routes[routes["city"] == p.place.name] if len(routes) else routes
            if dfc is not None:  # keep earlier days outside this range
                mine = pd.concat([dfc[~dfc["date"].isin(mine["date"])], mine])
                rmine = pd.concat([rtc[~rtc["date"].isin(rmine["date"])], rmine]) \
                    if len(rmine) or len(rtc) else rmine
            _write_parquet(f, mine)
            _write_parquet(Path(str(f) + ".routes"), rmine)
    stats["hubs"] = {p.place.name: [h.name for h in p.hubs] for p in plans}
    stats["range"] = [str(d1), str(d2)]
    return Timeline(days, routes, plans, stats)


def _write_parquet(path: Path, df: pd.DataFrame) -> None:
    df = df.copy()
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].astype("string")
    atomic_write(path, lambda tmp: df.to_parquet(tmp, index=False))


def near_front_cities(ws, *, min_population: int = 10_000, within_km: float = 50.0,
                      start=None, end=None) -> list[str]:
    """GeoNames places >= ``min_population`` inside the network extent whose centre was
    within ``within_km`` of held territory (and not held) on some day of the range."""
    hist = ws.history
    d1 = parse_date(start) if start else hist.first
    d2 = parse_date(end) if end else hist.last
    g = ws.gazetteer
    pl = g.places
    xy = g.xy
    net = ws.network("road")
    lo = net.node_xy.min(axis=0) + 5000
    hi = net.node_xy.max(axis=0) - 5000
    sel = np.flatnonzero((pl["population"].to_numpy() >= min_population)
                         & (pl["source"].to_numpy() == "geonames")
                         & np.all((xy >= lo) & (xy <= hi), axis=1))
    days = [i for i, d in enumerate(hist.dates) if d1 <= d <= d2]
    if not days or not len(sel):
        return []
    from scipy.spatial import cKDTree

    near = np.zeros(len(sel), bool)
    not_held = np.zeros(len(sel), bool)
    for i in days[:: max(1, len(days) // 60)] + [days[-1]]:  # sample ~60 days
        g_i = hist.geoms[i]
        b = shapely.get_coordinates(shapely.segmentize(shapely.boundary(g_i), 500))
        d, _ = cKDTree(b).query(xy[sel])
        inside = shapely.contains_xy(g_i, xy[sel, 0], xy[sel, 1])
        near |= (d <= within_km * 1000) & ~inside
        not_held |= ~inside
    keep = sel[near & not_held]
    order = np.argsort(-pl["population"].to_numpy()[keep])
    return [g.place(int(i)).ident for i in keep[order]]


def to_json_ready(obj):
    return json.loads(pd.Series([obj]).to_json(orient="values"))[0]
