"""Timeline: per-day metrics for one or many cities over the control history.

:func:`compute_timeline` walks the history day by day, incrementally and exactly (every
shortcut gives what a computation from scratch gives; ``incremental=False`` is that
computation, and the tests compare the two; on the whole history for 43 cities the
tables are identical). The one case the change tracking cannot see is a held area
appearing in one day around edges with no held ground within the clearance cap (~70 km)
before: its changed vertices are all farther away than that.

- a city with no change within reach of its route region or of its local metrics is
  carried over (``recomputed=False``);
- the state shared by all cities (:class:`DayState`: held-territory index, 1 km clearance
  raster, exposure of every tracked edge, sample-point clearances) is updated only near
  the day's changes, and stamps each edge whose figures moved;
- per city (:func:`city_day_metrics`): local metrics are kept when no change came near;
  a mode whose edges all kept their stamps keeps every figure; a safest route is kept when
  no changed edge crossed its bottleneck; routes whose edges kept their figures keep their
  description; the disjoint-route count is kept for an identical usable edge set; the
  corridor is kept when no raster cell crossed its level. Searches run on the city's
  network with its degree-2 chains contracted (:class:`~supplyline.routes.Chains`).

Results are cached per city on disk, keyed by the analysis parameters, with a hash of the
day's held territory per row, so a rerun or a longer range reuses earlier work. Days
missing from the history are rows with ``data_missing=True`` and empty metrics: gaps are
shown, not invented.

Route metrics in the timeline use the main-road network (M, primary and secondary roads)
and the railway network, to the rear hubs chosen on the first day of the range (fixed so
the series stay comparable).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ..core.encirclement import ClearanceRaster, ring_points
from ..core.exposure import within_reach
from ..core.routes import (
    Chains,
    EdgeExposure,
    RouteEngine,
    city_radius_m,
    pair_status,
    resilience,
    resilience_mask,
    safest_still_valid,
    status_rank,
)
from ..data.control import changed_boxes, parse_date
from ..data.places import Place
from ..errors import SupplylineError
from ..io.cache import atomic_write, cache_key, cache_path

log = logging.getLogger(__name__)

MAIN_ROADS = ("motorway", "primary", "secondary")
#: points per ring for the held share of the rings around a city
RING_BEARINGS = 180
#: parallel runs: chunks of days per worker process, and the fewest days in a chunk
CHUNKS_PER_WORKER = 3
MIN_CHUNK_DAYS = 20


@dataclass(frozen=True)
class TimelineParams:
    radii_km: tuple[float, ...] = (5.0, 10.0, 20.0, 30.0)
    modes: tuple[str, ...] = ("road", "rail")
    beyond_band: str = "fpv"
    main_roads_only: bool = True
    corridor_resolution_m: float = 1000.0
    area_radius_km: float = 30.0
    max_hubs: int = 3
    #: margin (km) of the route region around the city and its hubs
    region_margin_km: float = 60.0

    def key(self) -> dict:
        return dict(self.__dict__)


@dataclass
class CityPlan:
    """What is tracked for one city: its place, hubs, route region and sub-networks."""

    place: Place
    hubs: list[Place]
    region_box: tuple[float, float, float, float]
    nets: dict = field(default_factory=dict)  # mode -> compact sub-network of the region
    city_node: dict[str, int] = field(default_factory=dict)
    hub_nodes: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    source_nodes: dict[str, np.ndarray] = field(default_factory=dict)
    sink_nodes: dict[str, np.ndarray] = field(default_factory=dict)
    peace: dict[str, list] = field(default_factory=dict)  # peacetime paths (date-free)
    chains: dict[str, Chains] = field(default_factory=dict)  # contracted sub-networks

    @property
    def edge_ids(self) -> dict[str, np.ndarray]:
        return {m: n.parent_edges for m, n in self.nets.items()}


def main_road_mask(net) -> np.ndarray:
    """Edges of the main-road classes (:data:`MAIN_ROADS`), computed once per network."""
    mask = net.__dict__.get("_main_roads")
    if mask is None:
        mask = net.__dict__["_main_roads"] = np.isin(net.attr["cls"], MAIN_ROADS)
    return mask


def plan_city(ws, name: str, start: dt.date, params: TimelineParams) -> CityPlan:
    ctx = ws.city_context(name, start)
    try:
        hubs = ws.default_hubs(ctx, count=params.max_hubs)
    except SupplylineError:
        hubs = []
    pts = np.asarray([ctx.place.xy, *[h.xy for h in hubs]])
    lo = pts.min(axis=0) - params.region_margin_km * 1000
    hi = pts.max(axis=0) + params.region_margin_km * 1000
    plan = CityPlan(ctx.place, hubs, (lo[0], lo[1], hi[0], hi[1]))
    for mode in params.modes:
        net = ws.network(mode)
        mid = net.edge_mid_xy
        sel = np.all((mid >= lo) & (mid <= hi), axis=1)
        if mode == "road" and params.main_roads_only:
            sel &= main_road_mask(net)
        sub = net.subnetwork(np.flatnonzero(sel))
        plan.nets[mode] = sub
        tree = cKDTree(sub.node_xy)
        plan.city_node[mode] = int(tree.query(ctx.place.xy)[1])
        plan.hub_nodes[mode] = [(h.name, int(tree.query(h.xy)[1])) for h in hubs]
        plan.source_nodes[mode] = np.asarray(
            tree.query_ball_point(ctx.place.xy, city_radius_m(ctx.place.population)) or
            [plan.city_node[mode]], dtype=np.int64)
        plan.sink_nodes[mode] = np.asarray(sorted({
            i for h in hubs for i in (tree.query_ball_point(h.xy, city_radius_m(h.population))
                                      or [int(tree.query(h.xy)[1])])}), dtype=np.int64)
        plan.chains[mode] = Chains(sub, np.concatenate([
            [plan.city_node[mode]], [t for _, t in plan.hub_nodes[mode]],
            plan.source_nodes[mode], plan.sink_nodes[mode]]).astype(np.int64))
        if hubs:
            eng = RouteEngine(sub, _free_exposure(sub), ws.profile)
            plan.peace[mode] = eng.shortest(plan.city_node[mode],
                                            [t for _, t in plan.hub_nodes[mode]],
                                            np.ones(len(sub.length), bool))
    return plan


def _free_exposure(net) -> EdgeExposure:
    n = len(net.length)
    return EdgeExposure(np.arange(n), np.full(n, 1e9), np.zeros(n, bool),
                        np.zeros(n, np.int64))


class DayState:
    """Everything computed once per day and shared by all cities."""

    def __init__(self, ws, geom, union: dict[str, np.ndarray],
                 raster_box, params: TimelineParams, prev: DayState | None = None,
                 changed: np.ndarray | None = None, serial: int = 0):
        """With ``prev`` (an earlier day) and ``changed`` (boxes of every change since
        then), only edges within reach of a change are measured again
        (:meth:`EdgeExposure.updated`); the others keep ``prev``'s values, which are exact
        for them.

        ``stamp[mode]`` holds, per edge, the ``serial`` of the last day state whose
        figures for it (clearance, held flag, band, or sample-point clearance) differ from
        the state before: a city whose edges all carry stamps up to the serial of its last
        computation has identical route inputs."""
        from ..core.exposure import HeldIndex

        self.serial = serial
        self.geom = geom
        self.index = HeldIndex.build(geom)
        self.raster = ClearanceRaster.build(geom, raster_box, params.corridor_resolution_m)
        self.exp = {}
        #: per mode, each edge's clearance measured at every sample point (NaN: not yet),
        #: kept from ``prev`` for the edges not measured again
        self.fine: dict[str, np.ndarray] = {}
        self.stamp: dict[str, np.ndarray] = {}
        for m, ids in union.items():
            net = ws.network(m)
            if prev is None or changed is None:
                self.exp[m] = EdgeExposure.compute(net, self.index, ws.profile, ids,
                                                   raster=self.raster)
                self.fine[m] = np.full(len(ids), np.nan)
                self.stamp[m] = np.full(len(ids), serial)
                continue
            old, new = prev.exp[m], prev.exp[m].updated(net, self.index, ws.profile, changed,
                                                        raster=self.raster)
            self.exp[m] = new
            self.fine[m] = forget_fine(prev.fine[m], net.edge_mid_xy[ids],
                                       net.length[ids] / 2, changed)
            moved = ((old.clearance != new.clearance) | (old.held != new.held)
                     | (old.band != new.band)
                     | (np.isnan(self.fine[m]) & ~np.isnan(prev.fine[m])))
            self.stamp[m] = np.where(moved, serial, prev.stamp[m])

    def exposure_for(self, mode: str, pos: np.ndarray) -> EdgeExposure:
        """The exposure of a city's sub-network: ``pos`` are its edges' positions in the
        shared edge list; the result is numbered like the sub-network's edges (its
        sample-point clearances come from, and go back to, the day's shared memo via
        :meth:`keep_fine`)."""
        e = self.exp[mode]
        return EdgeExposure(np.arange(len(pos)), e.clearance[pos], e.held[pos], e.band[pos],
                            self.index, fine=self.fine[mode][pos])

    def keep_fine(self, mode: str, pos: np.ndarray, exp: EdgeExposure) -> None:
        if exp.fine is not None:
            ok = ~np.isnan(exp.fine)
            self.fine[mode][pos[ok]] = exp.fine[ok]


def forget_fine(fine: np.ndarray, mid: np.ndarray, half: np.ndarray,
                changed: np.ndarray) -> np.ndarray:
    """Sample-point clearances still true after the changes ``changed`` (boxes): an edge's
    value f (the distance from its nearest sample point to the held boundary) can only
    change when a change comes within f of a sample point, so within f + half its length
    of its midpoint; those edges are set to NaN (measure again)."""
    out = fine.copy()
    known = np.flatnonzero(~np.isnan(out))
    near = within_reach(mid[known], changed, out[known] + half[known] + 1.0)
    out[known[near]] = np.nan
    return out


@dataclass
class ModeState:
    """What one mode of a city carries from one computed day to the next."""

    clear: np.ndarray  # as the safest route sees it (RouteEngine.capped_clearance)
    thresholds: dict[str, float]  # hub -> bottleneck of its safest route
    resil_mask: np.ndarray
    resil: int
    serial: int = -1  # the DayState these were computed on
    routes: dict[str, dict] = field(default_factory=dict)  # hub -> kind -> Route
    rows: list[dict] = field(default_factory=list)  # its route rows
    cols: dict = field(default_factory=dict)  # its columns of the day row


@dataclass
class CityState:
    """What a city carries from one computed day to the next."""

    metrics: dict
    routes: list[dict]
    modes: dict[str, ModeState] = field(default_factory=dict)
    corridor: tuple | None = None
    #: the metrics near the city (distance, rings, held area) and the distance they used
    local: dict | None = None
    local_dist_m: float = np.inf

    @property
    def reusable(self) -> bool:
        return bool(self.modes) or self.local is not None


def local_reach_m(params: TimelineParams, dist_m: float) -> float:
    """How far from a city a change can alter its local metrics: the rings and the held
    area, or the held territory nearest the centre."""
    r = max(max(params.radii_km), params.area_radius_km) * 1000.0
    return max(r, dist_m) + 2000.0


def local_metrics(plan: CityPlan, day: DayState, params: TimelineParams) -> dict:
    """Distance from the centre to held territory, held share of each ring, held area."""
    c = np.asarray(plan.place.xy)
    d, inside = day.index.fast_point_clearance(c[None, :], day.raster)
    row: dict = {"dist_km": float(d[0]) / 1000 if np.isfinite(d[0]) else np.nan,
                 "centre_held": bool(inside[0])}
    n = RING_BEARINGS
    xy = np.vstack([ring_points(plan.place.xy, r * 1000, n) for r in params.radii_km])
    _, held = day.index.fast_point_clearance(xy, day.raster, flags_only=True)
    for k, r in enumerate(params.radii_km):
        row[f"ring_held_{r:g}"] = round(float(held[k * n:(k + 1) * n].mean()), 4)
    rad = params.area_radius_km * 1000
    near = shapely.clip_by_rect(day.geom, c[0] - rad, c[1] - rad, c[0] + rad, c[1] + rad)
    disc = shapely.buffer(shapely.points(*c), rad, quad_segs=16)
    # rounded to 1 m2: the sum over parts may differ in the last bits with their order
    row[f"area_held_{params.area_radius_km:g}km_km2"] = round(float(
        shapely.area(shapely.intersection(near, disc))) / 1e6, 6)
    return row


def city_day_metrics(ws, plan: CityPlan, day: DayState, pos: dict[str, np.ndarray],
                     params: TimelineParams, prev: CityState | None,
                     local_unchanged: bool = False) -> CityState:
    """Metrics of one city on one day, reusing ``prev`` (its last computed day) where
    that gives exactly the same answer: ``local_unchanged`` (no change near the city
    since ``prev``) keeps its local metrics; per mode, edges whose figures all stayed
    the same (``DayState.stamp``) keep every figure, a route whose edges did keeps its
    description, a safest route whose bottleneck no changed edge crossed is kept
    (:func:`~supplyline.routes.safest_still_valid`), an identical set of edges beyond the
    resilience band keeps the count of disjoint routes; an identical raster window keeps
    the corridor."""
    prof = ws.profile
    if local_unchanged and prev is not None and prev.local is not None:
        local, dist_m = prev.local, prev.local_dist_m
    else:
        local = local_metrics(plan, day, params)
        dist_m = local["dist_km"] * 1000 if np.isfinite(local["dist_km"]) else np.inf
    row = dict(local)
    state = CityState(row, [], local=local, local_dist_m=dist_m)
    for mode in params.modes:
        if not plan.hubs:
            continue
        old = prev.modes.get(mode) if prev is not None else None
        if old is not None and day.stamp[mode][pos[mode]].max() <= old.serial:
            # nothing this mode reads changed since it was computed: the same figures
            state.modes[mode] = old
            state.routes.extend(old.rows)
            row.update(old.cols)
            continue
        sub = plan.nets[mode]
        exp = day.exposure_for(mode, pos[mode])
        eng = RouteEngine(sub, exp, prof, chains=plan.chains[mode])
        clear = eng.capped_clearance()
        # routes whose edges all kept their figures (stamps) keep their description
        stamp = day.stamp[mode][pos[mode]]
        described = {} if old is None else {
            (hub, k): r for hub, rr in old.routes.items() for k, r in rr.items()
            if k != "avoid_held" and r.found and len(r.edge_ids)
            and stamp[r.edge_ids].max() <= old.serial}
        hubs = plan.hub_nodes[mode]
        known = {}
        if old is not None:
            for i, (h, _) in enumerate(hubs):
                thr = old.thresholds.get(h)
                if thr is not None and safest_still_valid(old.clear, clear, thr):
                    known[i] = (thr, old.routes[h]["safest"].edge_ids)
        # avoid-held routes are not searched: the timeline only needs to know that one
        # exists, which the safest route's search tells
        res = eng.routes(plan.city_node[mode], hubs, with_refs=False,
                         peace=plan.peace[mode], describe_avoid=False,
                         search_avoid=False, safest=known, lean=True,
                         described=described)
        day.keep_fine(mode, pos[mode], exp)
        best_rank, best_clear = -1, np.nan
        rows: list[dict] = []
        cols: dict = {}
        for hub, rr in res.items():
            st = pair_status(rr)
            s_, p_ = rr["safest"], rr["peacetime"]
            rows.append({
                "mode": mode, "hub": hub, "status": st,
                "safest_clear_km": s_.min_clearance_km if s_.found else np.nan,
                "safest_km": s_.length_km if s_.found else np.nan,
                "peacetime_status": p_.status if p_.found else "cut",
                "peacetime_clear_km": p_.min_clearance_km if p_.found else np.nan})
            rank = status_rank(st, prof)
            if rank > best_rank or (rank == best_rank and s_.found and
                                    (np.isnan(best_clear) or s_.min_clearance_km > best_clear)):
                best_rank = rank
                best_clear = s_.min_clearance_km if s_.found else np.nan
                cols[f"{mode}_status"] = st
        cols[f"{mode}_best_clear_km"] = best_clear
        rmask = resilience_mask(eng, params.beyond_band)
        if old is not None and np.array_equal(old.resil_mask, rmask):
            n_routes = old.resil
        else:
            n_routes = resilience(eng, plan.source_nodes[mode], plan.sink_nodes[mode],
                                  params.beyond_band, with_cut=False).disjoint_routes
        cols[f"{mode}_routes"] = n_routes
        state.modes[mode] = ModeState(clear, dict(eng.thresholds), rmask, n_routes,
                                      day.serial, res, rows, cols)
        state.routes.extend(rows)
        row.update(cols)
    if plan.hubs:
        row["corridor_km"], state.corridor = day.raster.corridor(
            plan.place.xy, [h.xy for h in plan.hubs],
            prev=prev.corridor if prev is not None else None)
    return state


def _cache_file(ws, plan: CityPlan, params: TimelineParams) -> Path:
    key = cache_key("timeline", city=plan.place.ident or plan.place.name,
                    hubs=[h.name for h in plan.hubs], params=params.key(),
                    profile=ws.profile.as_dict(), history=ws.history.source, algo=2)
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


def day_hash(geom) -> str:
    """Identity of one day's held territory (cache key of that day's rows)."""
    return hashlib.blake2b(shapely.to_wkb(geom), digest_size=12).hexdigest()


def _touches(boxes: np.ndarray, region) -> bool:
    if not len(boxes):
        return False
    x0, y0, x1, y1 = region
    return bool(((boxes[:, 0] <= x1) & (boxes[:, 2] >= x0) &
                 (boxes[:, 1] <= y1) & (boxes[:, 3] >= y0)).any())


def _around(xy, reach: float) -> tuple[float, float, float, float]:
    return (xy[0] - reach, xy[1] - reach, xy[0] + reach, xy[1] + reach)


def _run_days(ws, plans: list[CityPlan], day_idx: list[int], params: TimelineParams,
              cached: dict[str, dict], progress=None, task=None, incremental: bool = True
              ) -> tuple[list, list, dict]:
    """Compute the rows of ``plans`` for history days ``day_idx`` (in order).

    ``incremental=False`` computes every city and day from scratch (no carry-over, no
    reuse of an earlier day): slow, the reference the incremental path must match."""
    hist = ws.history
    union = {m: np.unique(np.concatenate([p.edge_ids[m] for p in plans]))
             for m in params.modes}
    pos = [{m: np.searchsorted(union[m], p.edge_ids[m]) for m in params.modes} for p in plans]
    boxes = np.asarray([p.region_box for p in plans])
    raster_box = (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())
    # a change can affect a city's metrics up to the clearance cap beyond its region
    reach = ws.profile.cap_m + 2000
    near_box = {p.place.name: (p.region_box[0] - reach, p.region_box[1] - reach,
                               p.region_box[2] + reach, p.region_box[3] + reach)
                for p in plans}
    rows, route_rows = [], []
    stats = {"city_days": 0, "recomputed": 0, "carried_over": 0, "from_cache": 0}
    state: dict[str, CityState | None] = {p.place.name: None for p in plans}
    prev_geom, prev_i = None, None
    last_shared, since = None, []  # the last DayState and the changes after it
    for i in day_idx:
        geom = hist.geoms[i]
        day = hist.dates[i]
        h = day_hash(geom)
        changed = (changed_boxes(prev_geom, geom) if prev_i is not None and i == prev_i + 1
                   else changed_boxes(None, geom))
        since.append(changed)
        shared = None
        for p, ps in zip(plans, pos, strict=True):
            name = p.place.name
            stats["city_days"] += 1
            hit = cached.get(name, {}).get((day, h))
            st = state[name]
            local_near = st is None or _touches(
                changed, _around(p.place.xy, local_reach_m(params, st.local_dist_m)))
            if hit is not None:  # this exact day was computed before (same day hash)
                metrics, rr, recomputed = hit[0], hit[1], hit[2]
                stats["from_cache"] += 1
                # a cache hit carries no paths or local state: the next day computes in full
                state[name] = CityState(metrics, rr)
            elif (incremental and st is not None and not local_near
                  and not _touches(changed, near_box[name])):
                metrics, rr, recomputed = st.metrics, st.routes, False
                stats["carried_over"] += 1
            else:
                if shared is None:
                    shared = DayState(ws, geom, union, raster_box, params,
                                      last_shared if incremental else None, np.vstack(since),
                                      serial=i)
                    last_shared, since = shared, []
                prev_state = st if (incremental and st is not None and st.reusable) else None
                st = city_day_metrics(ws, p, shared, ps, params, prev_state,
                                      local_unchanged=not local_near)
                state[name] = st
                metrics, rr, recomputed = st.metrics, st.routes, True
                stats["recomputed"] += 1
            rows.append({"city": name, "date": day, "data_missing": False, "day_hash": h,
                         "recomputed": recomputed, **metrics})
            route_rows.extend({"city": name, "date": day, **r} for r in rr)
        prev_geom, prev_i = geom, i
        if progress is not None and task is not None:
            progress.advance(task)
    return rows, route_rows, stats


#: (token, workspace, plans) of the parent, inherited by forked worker processes so they
#: neither reload the data nor hold a second copy of it.
_FORKED: tuple | None = None
#: in a process that had to load the data (a Dask worker): token -> (workspace, plans)
_LOADED: dict[str, tuple] = {}
_LOAD_LOCK = threading.Lock()


def _worker(args):
    (token, data_dir, profile, source, cities, first_day, params, day_idx, cached,
     incremental) = args
    if _FORKED is not None and _FORKED[0] == token:
        ws, plans = _FORKED[1], _FORKED[2]
    else:  # a fresh process (spawn, or a Dask worker): load the data once per run
        with _LOAD_LOCK:  # a Dask worker may run chunks in several threads
            if token not in _LOADED:
                from .context import Workspace

                ws = Workspace(data_dir, profile=profile, network_source=source)
                plans = [plan_city(ws, c, first_day, params) for c in cities]
                _LOADED.clear()  # one run at a time
                _LOADED[token] = (ws, plans)
            ws, plans = _LOADED[token]
    return _run_days(ws, plans, day_idx, params, cached, incremental=incremental)


def compute_timeline(ws, cities: list[str], start=None, end=None, *,
                     params: TimelineParams | None = None, use_cache: bool = True,
                     progress=None, workers: int = 1, scheduler: str | None = None,
                     incremental: bool = True) -> Timeline:
    """Metrics for every day of the history between ``start`` and ``end`` for ``cities``.

    ``workers`` > 1 splits the days into contiguous chunks run in parallel processes;
    ``scheduler`` ("local" or a Dask scheduler address) runs the chunks on Dask instead.
    Results are identical either way (each chunk recomputes its first day in full).
    ``incremental=False`` recomputes every city and day from scratch: the reference the
    incremental computation is tested against (much slower).
    """
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
    day_idx = [have[d] for d in all_days if d in have]
    files, cached = {}, {}
    for p in plans:
        f = _cache_file(ws, p, params)
        files[p.place.name] = f
        dfc, rtc = _load_cached(f) if use_cache else (None, None)
        cached[p.place.name] = _index_cache(dfc, rtc)
    task = progress.add_task("Timeline (days)", total=len(day_idx)) if progress else None
    n_par = max(1, workers if scheduler is None else max(workers, 2))
    # several chunks per process, taken as processes free up: busy stretches of the
    # history cost more than quiet ones, so equal day counts would not balance (each
    # chunk recomputes its first day in full: ~1 s of CPU for 43 cities)
    n_chunks = min(CHUNKS_PER_WORKER * n_par, max(n_par, len(day_idx) // MIN_CHUNK_DAYS))
    if (workers <= 1 and scheduler is None) or len(day_idx) < 2 * n_par:
        rows, route_rows, stats = _run_days(ws, plans, day_idx, params, cached, progress, task,
                                            incremental)
    else:
        chunks = [list(c) for c in np.array_split(day_idx, n_chunks) if len(c)]
        import uuid

        token = uuid.uuid4().hex
        args = [(token, ws.data_dir, ws.profile, ws.network_source,
                 [p.place.ident or p.place.name for p in plans],
                 first_day, params, [int(x) for x in c], cached, incremental) for c in chunks]
        global _FORKED
        for m in params.modes:  # derived arrays the workers need, computed once here
            ws.network(m).samples  # noqa: B018
        _FORKED = (token, ws, plans)
        try:
            results = _map_chunks(args, workers, scheduler)
        finally:
            _FORKED = None
        rows, route_rows = [], []
        stats = {"city_days": 0, "recomputed": 0, "carried_over": 0, "from_cache": 0}
        for r, rr, st in results:
            rows += r
            route_rows += rr
            for k in stats:
                stats[k] += st[k]
        if progress is not None:
            progress.advance(task, len(day_idx))
    missing = [d for d in all_days if d not in have]
    stats["missing_days"] = len(missing)
    rows += [{"city": p.place.name, "date": d, "data_missing": True}
             for d in missing for p in plans]
    days = pd.DataFrame(rows)
    days["date"] = pd.to_datetime(days["date"])
    days = days.sort_values(["city", "date"]).reset_index(drop=True)
    routes = pd.DataFrame(route_rows)
    if len(routes):
        routes["date"] = pd.to_datetime(routes["date"])
    if use_cache:
        for p in plans:
            _save_city_cache(files[p.place.name], days, routes, p.place.name)
    stats["hubs"] = {p.place.name: [h.name for h in p.hubs] for p in plans}
    stats["range"] = [str(d1), str(d2)]
    return Timeline(days, routes, plans, stats)


def _map_chunks(args: list, workers: int, scheduler: str | None) -> list:
    if scheduler is not None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise SupplylineError("--scheduler needs dask[distributed] installed "
                                  "(pip install 'dask[distributed]')") from None
        if scheduler == "local":
            with LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                              processes=True, dashboard_address=None) as cluster, \
                    Client(cluster) as client:
                return client.gather(client.map(_worker, args, pure=False))
        with Client(scheduler) as client:
            return client.gather(client.map(_worker, args, pure=False))
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        return list(pool.map(_worker, args))


def _index_cache(dfc: pd.DataFrame | None, rtc: pd.DataFrame | None) -> dict:
    """{(date, day_hash): (metrics, route rows, recomputed)} from a city's cached rows."""
    if dfc is None or not len(dfc):
        return {}
    out = {}
    routes_by_day = {} if rtc is None or not len(rtc) else {
        d.date(): g.drop(columns=["city", "date"]).to_dict("records")
        for d, g in rtc.groupby("date")}
    skip = {"city", "date", "day_hash", "recomputed", "data_missing"}
    for rec in dfc.to_dict("records"):
        d = pd.Timestamp(rec["date"]).date()
        metrics = {k: v for k, v in rec.items() if k not in skip}
        out[(d, rec["day_hash"])] = (metrics, routes_by_day.get(d, []),
                                     bool(rec.get("recomputed", True)))
    return out


def _save_city_cache(path: Path, days: pd.DataFrame, routes: pd.DataFrame, name: str) -> None:
    mine = days[(days["city"] == name) & ~days["data_missing"].astype(bool)]
    rmine = routes[routes["city"] == name] if len(routes) else routes
    old, rold = _load_cached(path)
    if old is not None:  # keep earlier days outside this range
        mine = pd.concat([old[~old["date"].isin(mine["date"])], mine])
        rmine = pd.concat([rold[~rold["date"].isin(mine["date"])], rmine])
    _write_parquet(path, mine)
    _write_parquet(Path(str(path) + ".routes"), rmine)


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
    keep = keep[~g.district[keep]]
    # parts of a larger city (within 10 km of a place at least twice as large) are not
    # settlements of their own: GeoNames lists city districts as places
    pop = pl["population"].to_numpy()
    big = np.flatnonzero((pl["source"].to_numpy() == "geonames") & (pop >= 2 * min_population))
    part = np.zeros(len(keep), bool)
    for k, i in enumerate(keep):
        d = np.hypot(*(xy[big] - xy[i]).T)
        part[k] = bool(((d <= 10_000) & (pop[big] >= 2 * pop[i])).any())
    keep = keep[~part]
    order = np.argsort(-pl["population"].to_numpy()[keep])
    return [g.place(int(i)).ident for i in keep[order]]
