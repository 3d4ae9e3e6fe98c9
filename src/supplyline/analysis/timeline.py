"""Timeline: every day's figures for one or many cities over the control history.

:func:`compute_timeline` walks the history day by day and asks, for each city, the same
figure functions the queries use (:mod:`supplyline.analysis.figures`): the rear hubs of
the day, the local figures (distance, rings, held area), each mode's routes and the
corridor. It does so incrementally and exactly: every shortcut gives what the function
gives without it (``incremental=False`` computes every city-day from scratch, and the
tests compare the two, and compare stored rows with fresh queries).

- a city with no change within reach of its route region or of its local metrics, and
  the same hubs, is carried over (``recomputed=False``);
- the state shared by all cities (:class:`DayState`: held-territory index, clearance
  raster, exposure of every edge routes may use, sample-point clearances) is updated only
  near the day's changes, and stamps each edge whose figures moved;
- per city: local metrics are kept when no change came near; a mode whose edges all kept
  their stamps keeps every figure; a safest route is kept when no changed edge crossed its
  clearance level (:func:`~supplyline.core.routes.safest_still_valid`); routes whose
  edges kept their figures keep their description; each band's disjoint-route count is
  kept for an identical usable edge set; the corridor is kept when
  no raster cell crossed its level. Searches run on the region's network with its
  degree-2 chains contracted.

The one change the change tracking cannot see is a held area appearing in one day around
edges with no held ground within the clearance cap (~70 km) before: its changed vertices
are all farther away than that (day-to-day changes are far smaller).

Results are cached per city on disk (a checked cache entry keyed by the options), with a
hash of the day's held territory per row, so a rerun or a longer range reuses earlier
work. Days missing from the history are rows with ``data_missing=True`` and empty
metrics: gaps are shown, not invented.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..core.encirclement import ClearanceRaster
from ..core.exposure import HeldIndex, within_reach
from ..core.routes import EdgeExposure
from ..data.control import changed_boxes, parse_date
from ..data.places import Place
from ..errors import InvalidArgumentError, SupplylineError
from ..io.cache import cache_key, open_entry, write_entry
from .figures import (
    CityPlan,
    DayGround,
    ModeFigures,
    area_column,
    corridor_width,
    day_grey,
    hostile_parts,
    local_figures,
    mode_figures,
    plan_city,
    ring_column,
    route_edges,
    select_hubs,
)
from .options import AnalysisOptions

log = logging.getLogger(__name__)

#: parallel runs: chunks of days per worker process, and the fewest days in a chunk
CHUNKS_PER_WORKER = 3
MIN_CHUNK_DAYS = 20
#: timeline cache entries: bump when the rows' columns or meaning change (5: entries written
#: by a sub-range could lack the route rows of the other days)
TIMELINE_CACHE_SCHEMA = 5
#: columns kept in the cache but not in user outputs
INTERNAL_COLUMNS = ("day_hash", "recomputed")


@dataclass
class Timeline:
    """Per city and day figures (``days``), per hub route rows (``routes``), and stats.

    ``days`` columns: city_id, city, date, data_missing, hubs (ids joined by ";"),
    distance_to_held_km, centre_held, ring_held_share_<r>km, held_area_<r>km_km2,
    corridor_width_km, and per mode <mode>_status, <mode>_best_min_clearance_km,
    <mode>_disjoint_routes (beyond the options' band) and
    <mode>_disjoint_routes_beyond_<level> for held and every band. ``routes`` columns:
    city_id, city, date, mode, hub_id, hub, status, safest_length_km,
    safest_min_clearance_km, safest_length_limit_km (the safest route is the clearest
    within the options' detour cap), peacetime_length_km, peacetime_status,
    peacetime_min_clearance_km."""

    days: pd.DataFrame
    routes: pd.DataFrame
    cities: list[Place]
    options: AnalysisOptions
    stats: dict[str, Any]

    def city(self, name_or_id: str) -> pd.DataFrame:
        d = self.days
        sel = (d["city_id"] == name_or_id) | (d["city"] == name_or_id)
        return d[sel].reset_index(drop=True)

    def city_routes(self, name_or_id: str) -> pd.DataFrame:
        r = self.routes
        if not len(r):
            return r
        return r[(r["city_id"] == name_or_id) | (r["city"] == name_or_id)].reset_index(
            drop=True)

    def public_days(self) -> pd.DataFrame:
        """``days`` without the internal columns (what files and the web show)."""
        return self.days.drop(columns=[c for c in INTERNAL_COLUMNS if c in self.days])


def day_hash(*geoms: shapely.Geometry | None) -> str:
    """Identity of one day's ground: held territory and the grey zone, where known (the
    cache key of that day's rows; the options are part of the cache entry's key)."""
    h = hashlib.blake2b(digest_size=12)
    for g in geoms:
        h.update(b"-" if g is None else shapely.to_wkb(g))
    return h.hexdigest()


# --------------------------------------------------------------------------- shared state

class DayState:
    """The state of one day shared by all cities: the held-territory index always; the
    clearance raster and the exposure of every edge routes may use once a city is
    computed (:meth:`ready`)."""

    def __init__(self, geom: shapely.Geometry, parts: tuple, serial: int):
        self.geom = geom  # held territory
        self.parts = parts  # hostile ground (figures.hostile_parts)
        self.serial = serial
        self.index = HeldIndex.build(parts)
        self.raster: ClearanceRaster | None = None
        self.exp: dict[str, EdgeExposure] = {}
        #: per mode, each edge's clearance measured at every sample point (NaN: not yet)
        self.fine: dict[str, np.ndarray] = {}
        #: per mode, per edge: the serial of the last day state whose figures for the edge
        #: (clearance, held flag, band, sample-point clearance) differ from the one before
        self.stamp: dict[str, np.ndarray] = {}

    def ready(self, ws, union: dict[str, np.ndarray], raster_box, options: AnalysisOptions,
              prev: DayState | None, changed: np.ndarray | None) -> None:
        """Measure the shared exposure (from ``prev``, an earlier ready day, only near
        ``changed``, the boxes of every change since then) and build the raster."""
        if self.raster is None or not self.raster.contains_box(raster_box):
            old_raster = prev.raster if prev is not None else None
            if (old_raster is not None and changed is not None
                    and old_raster.contains_box(raster_box)
                    and old_raster.resolution_m == options.corridor_resolution_m):
                self.raster = old_raster.updated(self.parts, changed)  # the same cells, sooner
            else:
                self.raster = ClearanceRaster.build(self.parts, raster_box,
                                                    options.corridor_resolution_m)
        for m, ids in union.items():
            if m in self.exp:
                continue
            net = ws.network(m)
            if prev is None or changed is None or m not in prev.exp:
                self.exp[m] = EdgeExposure.compute(net, self.index, ws.profile, ids)
                self.fine[m] = np.full(len(ids), np.nan)
                self.stamp[m] = np.full(len(ids), self.serial)
                continue
            old = prev.exp[m]
            new = old.updated(net, self.index, ws.profile, changed)
            self.exp[m] = new
            self.fine[m] = forget_fine(prev.fine[m], net.edge_mid_xy[ids],
                                       net.length[ids] / 2, changed)
            moved = ((old.clearance != new.clearance) | (old.held != new.held)
                     | (old.band != new.band)
                     | (np.isnan(self.fine[m]) & ~np.isnan(prev.fine[m])))
            self.stamp[m] = np.where(moved, self.serial, prev.stamp[m])

    def exposure_for(self, mode: str, pos: np.ndarray) -> EdgeExposure:
        """The exposure of a plan's sub-network: ``pos`` are its edges' positions in the
        shared edge list; numbered like the sub-network's edges (its sample-point
        clearances come from, and go back to, the day's shared memo via
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


# --------------------------------------------------------------------------- per city

@dataclass
class CityState:
    """What a city carries from one computed day to the next."""

    plan: CityPlan
    row: dict[str, Any]
    routes: list[dict[str, Any]]
    local: dict[str, Any] | None = None
    local_dist_m: float = np.inf
    modes: dict[str, ModeFigures] = field(default_factory=dict)
    corridor: tuple | None = None


def local_reach_m(options: AnalysisOptions, dist_m: float) -> float:
    """How far from a city a change can alter its local metrics: the rings and the held
    area, or the held territory nearest the centre."""
    r = max(max(options.radii_km), options.area_radius_km) * 1000.0
    return max(r, dist_m) + 2000.0


def city_day_figures(ws, plan: CityPlan, day: DayState, pos: dict[str, np.ndarray],
                     prev: CityState | None, local_unchanged: bool) -> CityState:
    """Figures of one city on one day (its row and route rows), reusing ``prev`` (the
    city's last computed day, on the same plan) where that gives exactly the same."""
    options = plan.options
    if local_unchanged and prev is not None and prev.local is not None:
        local, dist_m = prev.local, prev.local_dist_m
    else:
        local = local_figures(plan.place, DayGround(day.geom, day.index, day.raster,
                                                    parts=day.parts), options)
        # the farther of the two distances: a change beyond it cannot alter either
        d = [x for x in (local["distance_to_held_km"], local["distance_to_front_km"])
             if x is not None]
        dist_m = max(d) * 1000 if d else np.inf
    row: dict[str, Any] = {"hubs": ";".join(plan.hub_ids), **local}
    state = CityState(plan, row, [], local=local, local_dist_m=dist_m)
    centre_cut = local["distance_to_front_km"] == 0
    for mode in plan.modes:
        old = prev.modes.get(mode) if prev is not None else None
        stamp = day.stamp[mode][pos[mode]]
        if old is not None and stamp.max() <= old.serial and old.centre_cut == centre_cut:
            figs = old  # nothing this mode reads changed since it was computed
        else:
            exp = day.exposure_for(mode, pos[mode])
            figs = mode_figures(plan, mode, exp, ws.profile, prev=old, stamp=stamp,
                                serial=day.serial, centre_cut=centre_cut)
            day.keep_fine(mode, pos[mode], exp)
        state.modes[mode] = figs
        row.update(mode_columns(mode, figs))
        state.routes.extend(route_rows(plan, mode, figs))
    if plan.hubs:
        assert day.raster is not None, "the day state is ready (DayState.ready)"
        row["corridor_width_km"], state.corridor = corridor_width(
            plan, day.raster, prev=prev.corridor if prev is not None else None)
    return state


def mode_columns(mode: str, figs: ModeFigures) -> dict[str, Any]:
    best = figs.best_min_clearance_km
    return {f"{mode}_status": figs.best_status,
            f"{mode}_best_min_clearance_km": None if best != best else best,
            f"{mode}_disjoint_routes": figs.disjoint_routes,
            **{f"{mode}_disjoint_routes_beyond_{band}": n
               for band, n in figs.disjoint_by_band.items()}}


def route_rows(plan: CityPlan, mode: str, figs: ModeFigures) -> list[dict[str, Any]]:
    rows = []
    for h in plan.hubs:
        hid = h.ident or h.name
        rr = figs.routes[hid]
        s, p = rr["safest"], rr["peacetime"]
        rows.append({"mode": mode, "hub_id": hid, "hub": h.name, "status": figs.status[hid],
                     "safest_length_km": s.length_km if s.found else None,
                     "safest_min_clearance_km": s.min_clearance_km if s.found else None,
                     "safest_length_limit_km": s.length_limit_km if s.found else None,
                     "peacetime_length_km": p.length_km if p.found else None,
                     "peacetime_status": p.status if p.found else "cut",
                     "peacetime_min_clearance_km": p.min_clearance_km if p.found else None})
    return rows


# --------------------------------------------------------------------------- the walk

def _touches(boxes: np.ndarray, region) -> bool:
    if not len(boxes):
        return False
    x0, y0, x1, y1 = region
    return bool(((boxes[:, 0] <= x1) & (boxes[:, 2] >= x0) &
                 (boxes[:, 1] <= y1) & (boxes[:, 3] >= y0)).any())


def _around(xy, reach: float) -> tuple[float, float, float, float]:
    return (xy[0] - reach, xy[1] - reach, xy[0] + reach, xy[1] + reach)


def _grow(box, other):
    if box is None:
        return tuple(other)
    return (min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]),
            max(box[3], other[3]))


class _Walk:
    """The day-by-day walk over a list of cities (one chunk of days)."""

    def __init__(self, ws, cities: list[Place], options: AnalysisOptions,
                 fixed_hubs: list[Place] | None, cached: dict[str, dict], incremental: bool):
        self.ws, self.cities, self.options = ws, cities, options
        self.fixed_hubs = fixed_hubs
        self.cached, self.incremental = cached, incremental
        self.union = {m: np.flatnonzero(route_edges(ws, m, options)) for m in options.modes}
        #: per plan (by id, with a weak reference to tell a reused id apart: the
        #: workspace's memo may drop a plan and a new one get its id) the positions of
        #: its sub-networks' edges in the shared edge lists
        self._pos: dict[int, tuple[weakref.ref, dict[str, np.ndarray]]] = {}
        #: the box every plan's corridor raster must cover (grown by :meth:`plan`)
        self.raster_box: tuple[float, float, float, float] | None = None
        # a change can affect a city's route figures up to the clearance cap beyond its
        # route region
        self.reach = ws.profile.cap_m + 2000
        self.stats: dict[str, Any] = {"city_days": 0, "recomputed": 0, "carried_over": 0,
                                      "from_cache": 0}

    def grey(self, i: int) -> shapely.Geometry | None:
        """The grey zone of history day ``i`` as the queries see it (:func:`day_grey`)."""
        hist = self.ws.history
        return day_grey(self.ws, hist.held(hist.dates[i]), self.options)

    def hubs(self, place: Place, index: HeldIndex) -> list[Place]:
        if self.fixed_hubs is not None:
            return self.fixed_hubs
        return select_hubs(self.ws, place, index, self.ws.profile, self.options.max_hubs)

    def pos(self, plan: CityPlan) -> dict[str, np.ndarray]:
        """Positions of the plan's sub-network edges in the shared edge lists."""
        key = id(plan)
        got = self._pos.get(key)
        if got is None or got[0]() is not plan:
            table = self._pos

            def drop(_: object) -> None:
                """Forget the plan with it (before its id can be given to another object)."""
                table.pop(key, None)

            ref = weakref.ref(plan, drop)
            got = (ref, {m: np.searchsorted(self.union[m], mp.net.parent_edges).astype(np.int32)
                         for m, mp in plan.modes.items()})
            self._pos[key] = got
        return got[1]

    def covers(self, day: DayState) -> bool:
        """Whether ``day`` is ready (:meth:`DayState.ready`) for every plan made so far."""
        if day.raster is None or not day.exp:
            return False
        assert self.raster_box is not None, "the day's raster was built on this box"
        return day.raster.contains_box(self.raster_box)

    def plan(self, place: Place, hubs: list[Place]) -> CityPlan:
        plan = plan_city(self.ws, place, hubs, self.options)
        if plan.hubs:
            pad = 50_000.0
            x0, y0, x1, y1 = plan.corridor_box()
            self.raster_box = _grow(self.raster_box, (x0 - pad, y0 - pad, x1 + pad, y1 + pad))
        return plan

    def near_box(self, plan: CityPlan) -> tuple[float, float, float, float]:
        b = plan.region_box
        return (b[0] - self.reach, b[1] - self.reach, b[2] + self.reach, b[3] + self.reach)

    def run(self, day_idx: list[int], progress=None, task=None) -> tuple[list, list]:
        ws = self.ws
        hist = ws.history
        rows: list[dict] = []
        route_rows_: list[dict] = []
        state: dict[str, CityState | None] = {c.ident or c.name: None for c in self.cities}
        prev_geom, prev_grey, prev_i = None, None, None
        last_ready: DayState | None = None
        since: list[np.ndarray] = []  # changes after the last ready day state
        for i in day_idx:
            geom = hist.geoms[i]
            grey = self.grey(i)
            date = hist.dates[i]
            sources = getattr(hist, "sources", None)
            source = str(sources[i]) if sources is not None else hist.source
            h = day_hash(geom, grey)
            if prev_i is not None and i == prev_i + 1 and (prev_grey is None) == (grey is None):
                changed = changed_boxes(prev_geom, geom)
                if grey is not None:
                    changed = np.vstack([changed, changed_boxes(prev_grey, grey)])
            else:
                changed = changed_boxes(None, geom)
            since.append(changed)
            day: DayState | None = None
            for place in self.cities:
                cid = place.ident or place.name
                self.stats["city_days"] += 1
                st = state[cid]
                hit = self.cached.get(cid, {}).get((date, h))
                if hit is not None:  # this exact day was computed before (same day hash)
                    row, rr, recomputed = hit
                    self.stats["from_cache"] += 1
                    state[cid] = None  # a cache hit carries no state: compute the next in full
                elif self.incremental and st is not None and not len(changed):
                    row, rr, recomputed = st.row, st.routes, False
                    self.stats["carried_over"] += 1
                else:
                    if day is None:
                        day = DayState(geom, hostile_parts(ws, geom, self.options, grey),
                                       serial=i)
                    hubs = self.hubs(place, day.index)
                    # the previous state, if its plan has these hubs
                    same = st if st is not None and [x.ident for x in hubs] == \
                        [x.ident for x in st.plan.hubs] else None
                    local_near = st is None or _touches(
                        changed, _around(place.xy, local_reach_m(self.options,
                                                                 st.local_dist_m)))
                    if (self.incremental and same is not None and not local_near
                            and not _touches(changed, self.near_box(same.plan))):
                        row, rr, recomputed = same.row, same.routes, False
                        self.stats["carried_over"] += 1
                    else:
                        plan = same.plan if same is not None else self.plan(place, hubs)
                        if not self.covers(day):
                            day.ready(ws, self.union, self.raster_box, self.options,
                                      last_ready if self.incremental else None,
                                      np.vstack(since) if since else np.empty((0, 4)))
                            if last_ready is not day:
                                last_ready, since = day, []
                        prev = same if self.incremental else None
                        st = city_day_figures(ws, plan, day, self.pos(plan), prev,
                                              local_unchanged=not local_near)
                        state[cid] = st
                        row, rr, recomputed = st.row, st.routes, True
                        self.stats["recomputed"] += 1
                rows.append({"city_id": cid, "city": place.name, "date": date,
                             "data_missing": False, "data_source": source,
                             "grey_known": grey is not None, "day_hash": h,
                             "recomputed": recomputed, **row})
                route_rows_.extend({"city_id": cid, "city": place.name, "date": date, **r}
                                   for r in rr)
            prev_geom, prev_grey, prev_i = geom, grey, i
            if progress is not None and task is not None:
                progress.advance(task)
        return rows, route_rows_


# --------------------------------------------------------------------------- parallel runs

#: (token, workspace) of the parent, inherited by forked worker processes so they
#: neither reload the data nor hold a second copy of it.
_FORKED: tuple | None = None
#: in a process that had to load the data (a Dask worker): token -> workspace
_LOADED: dict[str, Any] = {}
_LOAD_LOCK = threading.Lock()


def _worker(args):
    (token, data_dir, profile, options, source, cities, fixed, day_idx, cached,
     incremental) = args
    if _FORKED is not None and _FORKED[0] == token:
        ws = _FORKED[1]
    else:  # a fresh process (spawn, or a Dask worker): load the data once per run
        with _LOAD_LOCK:  # a Dask worker may run chunks in several threads
            if token not in _LOADED:
                from .context import Workspace

                _LOADED.clear()  # one run at a time
                _LOADED[token] = Workspace(data_dir, profile=profile, options=options,
                                           network_source=source)
            ws = _LOADED[token]
    places = [ws.find(c).place for c in cities]
    hubs = None if fixed is None else [ws.find(h).place for h in fixed]
    walk = _Walk(ws, places, options, hubs, cached, incremental)
    rows, rr = walk.run(day_idx)
    return rows, rr, walk.stats


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
        with Client(scheduler, timeout="10s") as client:
            return client.gather(client.map(_worker, args, pure=False))
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        return list(pool.map(_worker, args))


# --------------------------------------------------------------------------- the entry point

def compute_timeline(ws, cities: list[str | Place], start=None, end=None, *,
                     options: AnalysisOptions | None = None, use_cache: bool = True,
                     progress=None, workers: int = 1, scheduler: str | None = None,
                     incremental: bool = True) -> Timeline:
    """Figures for every day of the history between ``start`` and ``end`` for ``cities``.

    Parameters
    ----------
    ws
        The workspace.
    cities
        Place names or ids (or :class:`Place`).
    start, end
        First and last day (default: the whole history).
    options
        Analysis options (default: the workspace's); fixed ``options.hubs`` are used on
        every day, else the hubs are chosen on each day.
    use_cache
        Reuse and store each city's rows (keyed by the options and the day's held
        territory).
    workers
        More than 1 splits the days into contiguous chunks run in parallel processes;
        ``scheduler`` ("local" or a Dask scheduler address) runs the chunks on Dask
        instead. Results are identical either way (each chunk computes its first day in
        full).
    incremental
        False computes every city and day from scratch: the reference the incremental
        computation is tested against (much slower).
    """
    options = options or ws.options
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidArgumentError(f"workers {workers!r}: expected a whole number >= 1")
    hist = ws.history
    d1 = parse_date(start) if start else hist.first
    d2 = parse_date(end) if end else hist.last
    if d2 < d1:
        raise InvalidArgumentError(f"--to {d2} is before --from {d1}")
    hist.index_on(d1)  # error when before the history
    if not cities:
        raise InvalidArgumentError("no cities given")
    places = [c if isinstance(c, Place) else ws.find(c).place for c in cities]
    ids = [p.ident or p.name for p in places]
    if len(set(ids)) != len(ids):
        raise InvalidArgumentError(f"cities resolve to duplicates: {[p.name for p in places]}")
    fixed = None
    if options.hubs:
        fixed = [ws.find(h, near=places[0].xy).place for h in options.hubs]
    all_days = pd.date_range(d1, d2, freq="D").date
    have = {d: i for i, d in enumerate(hist.dates)}
    day_idx = [have[d] for d in all_days if d in have]
    keys = {pid: _cache_key(ws, p, options) for pid, p in zip(ids, places, strict=True)}
    cached = {pid: (_load_cached(keys[pid]) if use_cache else {}) for pid in ids}
    task = progress.add_task("Timeline (days)", total=len(day_idx)) if progress else None
    n_par = max(1, workers if scheduler is None else max(workers, 2))
    # several chunks per process, taken as processes free up: busy stretches of the
    # history cost more than quiet ones, so equal day counts would not balance
    n_chunks = min(CHUNKS_PER_WORKER * n_par, max(n_par, len(day_idx) // MIN_CHUNK_DAYS))
    if (workers <= 1 and scheduler is None) or len(day_idx) < 2 * n_par:
        walk = _Walk(ws, places, options, fixed, cached, incremental)
        rows, route_rows_ = walk.run(day_idx, progress, task)
        stats = walk.stats
    else:
        rows, route_rows_, stats = _parallel(ws, places, options, fixed, day_idx, cached,
                                             incremental, workers, scheduler, n_chunks)
        if progress is not None:
            progress.advance(task, len(day_idx))
    missing = [d for d in all_days if d not in have]
    stats["missing_days"] = len(missing)
    rows += [{"city_id": pid, "city": p.name, "date": d, "data_missing": True}
             for d in missing for pid, p in zip(ids, places, strict=True)]
    days = _frame(rows, ["city_id", "date"])
    routes = _frame(route_rows_, ["city_id", "date", "mode", "hub_id"])
    if use_cache:
        for pid in ids:
            _save_cached(keys[pid], days, routes, pid)
    stats["range"] = [str(d1), str(d2)]
    return Timeline(days, routes, places, options, stats)


def _parallel(ws, places, options, fixed, day_idx, cached, incremental, workers, scheduler,
              n_chunks) -> tuple[list, list, dict]:
    import uuid

    chunks = [list(c) for c in np.array_split(day_idx, n_chunks) if len(c)]
    token = uuid.uuid4().hex
    args = [(token, ws.data_dir, ws.profile, options, ws.network_source,
             [p.ident or p.name for p in places],
             None if fixed is None else [h.ident or h.name for h in fixed],
             [int(x) for x in c], cached, incremental) for c in chunks]
    global _FORKED
    for m in options.modes:  # derived arrays the workers need, computed once here
        ws.network(m).samples  # noqa: B018
    ws.gazetteer  # noqa: B018
    _FORKED = (token, ws)
    try:
        results = _map_chunks(args, workers, scheduler)
    finally:
        _FORKED = None
    rows, route_rows_ = [], []
    stats = {"city_days": 0, "recomputed": 0, "carried_over": 0, "from_cache": 0}
    for r, rr, st in results:
        rows += r
        route_rows_ += rr
        for k in stats:
            stats[k] += st[k]
    return rows, route_rows_, stats


def _frame(rows: list[dict], order: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    if not len(df):
        return df
    df["date"] = pd.to_datetime(df["date"])
    return df.sort_values(order, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- cache

def _cache_key(ws, place: Place, options: AnalysisOptions) -> str:
    return cache_key("timeline", city=place.ident or place.name, options=options.key(),
                     profile=[b.__dict__ for b in ws.profile.bands],
                     history=ws.history.source)


def _load_cached(key: str) -> dict:
    """{(date, day_hash): (row, route rows, recomputed)} from a city's cached rows."""
    entry = open_entry("timeline", key, TIMELINE_CACHE_SCHEMA)
    if entry is None:
        return {}
    try:
        dfc = pd.read_parquet(entry.path("days.parquet"))
        rtc = pd.read_parquet(entry.path("routes.parquet"))
        missing = ({"date", "day_hash"} - set(dfc.columns)) or (
            {"date", "mode", "hub_id"} - set(rtc.columns) if len(rtc) else set())
        if missing:
            raise ValueError(f"columns {sorted(missing)} missing")
    except Exception as exc:  # a damaged or foreign entry is just recomputed
        log.warning("ignoring unreadable timeline cache %s: %s", entry.directory, exc)
        return {}
    routes_by_day = {} if not len(rtc) else {
        d.date(): g.drop(columns=["city_id", "city", "date"]).to_dict("records")
        for d, g in rtc.groupby("date")}
    skip = {"city_id", "city", "date", "day_hash", "recomputed", "data_missing"}
    out = {}
    for rec in dfc.to_dict("records"):
        d = pd.Timestamp(rec["date"]).date()
        row = {k: (None if isinstance(v, float) and v != v else v)
               for k, v in rec.items() if k not in skip}
        out[(d, rec["day_hash"])] = (row, [{k: (None if isinstance(v, float) and v != v
                                                else v) for k, v in r.items()}
                                           for r in routes_by_day.get(d, [])],
                                     bool(rec.get("recomputed", True)))
    return out


def _save_cached(key: str, days: pd.DataFrame, routes: pd.DataFrame, city_id: str) -> None:
    """Store a city's rows, merged with the stored rows of days outside this range; an
    entry whose rows are already exactly these is left as it is (not rewritten)."""
    mine = days[(days["city_id"] == city_id) & ~days["data_missing"].astype(bool)]
    rmine = routes[routes["city_id"] == city_id] if len(routes) else routes
    old = open_entry("timeline", key, TIMELINE_CACHE_SCHEMA)
    stored = None
    if old is not None:  # keep earlier days outside this range
        try:
            o = pd.read_parquet(old.path("days.parquet"))
            ro = pd.read_parquet(old.path("routes.parquet"))
            new_dates = mine["date"]  # (the routes of other days are kept too)
            mine = pd.concat([o[~o["date"].isin(new_dates)], mine])
            rmine = pd.concat([ro[~ro["date"].isin(new_dates)], rmine]) if len(ro) else rmine
            stored = (o, ro)
        except Exception:  # an unreadable old entry is replaced
            pass
    mine, rmine = _clean(_sorted(mine, ["date"])), _clean(_sorted(rmine, _ROUTE_ORDER))
    if (stored is not None and _same(mine, stored[0], ["date"])
            and _same(rmine, stored[1], _ROUTE_ORDER)):
        return

    def write(d) -> None:
        mine.to_parquet(d / "days.parquet", index=False)
        rmine.to_parquet(d / "routes.parquet", index=False)

    write_entry("timeline", key, TIMELINE_CACHE_SCHEMA, write)


_ROUTE_ORDER = ["date", "mode", "hub_id"]


def _sorted(df: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    if not len(df) or not set(order) <= set(df.columns):
        return df
    return df.sort_values(order, kind="stable").reset_index(drop=True)


def _same(new: pd.DataFrame, stored: pd.DataFrame, order: list[str]) -> bool:
    """True when ``stored`` (as read back) holds exactly the rows of ``new`` (sorted by
    ``order``)."""
    if list(new.columns) != list(stored.columns) or len(new) != len(stored):
        return False
    try:
        return new.reset_index(drop=True).equals(_clean(_sorted(stored, order)))
    except (TypeError, ValueError):
        return False


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].astype("string")
    return df


# --------------------------------------------------------------------------- the sweep

def near_front_cities(ws, *, min_population: int = 10_000, within_km: float = 50.0,
                      start=None, end=None) -> list[str]:
    """GeoNames places >= ``min_population`` inside the network extent whose centre was
    within ``within_km`` of held territory (and not held) on some day of the range (about
    60 days sampled), city districts and parts of a larger city left out; ids, largest
    first."""
    from .._kdtree import cKDTree

    hist = ws.history
    d1 = parse_date(start) if start else hist.first
    d2 = parse_date(end) if end else hist.last
    g = ws.gazetteer
    xy = g.xy
    pop = g.column("population")
    geonames = g.column("source") == "geonames"
    net = ws.network("road")
    lo = net.node_xy.min(axis=0) + 5000
    hi = net.node_xy.max(axis=0) - 5000
    sel = np.flatnonzero((pop >= min_population) & geonames
                         & np.all((xy >= lo) & (xy <= hi), axis=1))
    days = [i for i, d in enumerate(hist.dates) if d1 <= d <= d2]
    if not days or not len(sel):
        return []
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
    big = np.flatnonzero(geonames & (pop >= 2 * min_population))
    part = np.zeros(len(keep), bool)
    for k, i in enumerate(keep):
        d = np.hypot(*(xy[big] - xy[i]).T)
        part[k] = bool(((d <= 10_000) & (pop[big] >= 2 * pop[i])).any())
    keep = keep[~part]
    order = np.argsort(-pop[keep])
    return [g.place(int(i)).ident for i in keep[order]]


__all__ = ["Timeline", "compute_timeline", "near_front_cities", "area_column", "ring_column"]
