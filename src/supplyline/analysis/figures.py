"""The figures of one city on one day, each computed by exactly one function.

Every query (:mod:`supplyline.analysis.queries`), the timeline
(:mod:`supplyline.analysis.timeline`), the maps, the report and the web service obtain a
city's figures from these functions:

=======================================  ==================================================
figure                                   function
=======================================  ==================================================
rear hubs on a date                      :func:`select_hubs`
route network, snapping, route region    :func:`plan_city` (a :class:`CityPlan`)
distance to held territory, centre held  :func:`local_figures`
held share of each ring, held area       :func:`local_figures`
routes per hub and mode (each policy),   :func:`mode_figures`
status, trade-off, resilience per band
open-ground corridor width               :func:`corridor_width`
=======================================  ==================================================

The timeline passes what it kept from the day before (``prev``) so that unchanged inputs
are not searched again; every such shortcut returns exactly what the full computation
returns (the tests compare both, and compare stored timeline rows with fresh queries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from .._kdtree import cKDTree
from ..core.encirclement import ClearanceRaster, ring_points
from ..core.exposure import HeldIndex, ThreatProfile, clip_box
from ..core.routes import (
    BandResilience,
    Chains,
    CountProof,
    EdgeExposure,
    Route,
    RouteEngine,
    SafestChoice,
    TradeoffPoint,
    band_counts,
    band_resilience,
    city_radius_m,
    level_masks,
    pair_status,
    resilience_levels,
    safest_still_valid,
    status_rank,
)
from ..data.control import HeldTerritory
from ..data.network import Network
from ..data.places import Place
from .options import AnalysisOptions

if TYPE_CHECKING:  # pragma: no cover
    from .context import Workspace

#: Rule for automatic rear hubs (see :func:`select_hubs`).
HUB_MIN_POPULATION = 100_000
HUB_MIN_KM, HUB_MAX_KM = 30.0, 300.0
HUB_URBAN_AREA_M = 25_000.0
HUB_EXTRA_CLEARANCE_M = 10_000.0
#: Farthest a place may lie from the route network's nearest node.
MAX_SNAP_M = 15_000.0


# --------------------------------------------------------------------------- the day

@dataclass
class DayGround:
    """The ground of one day (metric CRS).

    ``geometry`` is held territory: held-type facts (the centre held, held area, held
    share of rings, distance to held territory) use it. ``parts`` is the hostile ground
    exposure is measured from: held territory, plus the grey zone where known (when the
    options measure from contested ground) and the other side of the state border (when
    the options count it), kept apart (:func:`hostile_parts`); ``index`` is built over
    them. ``raster``: the corridor's clearance raster where the caller has one (the
    timeline's shared raster)."""

    geometry: shapely.Geometry
    index: HeldIndex
    raster: ClearanceRaster | None = None
    held: HeldTerritory | None = None
    parts: tuple = ()
    grey_known: bool = False

    @cached_property
    def held_prepared(self) -> shapely.Geometry:
        g = shapely.multipolygons(_polygons(self.geometry))
        shapely.prepare(g)
        return g

    @cached_property
    def held_tree(self) -> shapely.STRtree:
        return shapely.STRtree(_polygons(self.geometry))

    def held_distance(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact distance (m) from points to held territory only, and whether inside."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        polys = _polygons(self.geometry)
        if not len(polys):
            return np.full(len(xy), np.inf), np.zeros(len(xy), bool)
        inside = shapely.contains_xy(self.held_prepared, xy[:, 0], xy[:, 1])
        pts = shapely.points(xy)
        (i, _), dist = self.held_tree.query_nearest(pts, return_distance=True, all_matches=False)
        d = np.full(len(xy), np.inf)
        d[i] = dist
        return np.where(inside, 0.0, d), inside | (d == 0)


def _polygons(geom: shapely.Geometry) -> np.ndarray:
    parts = shapely.get_parts(geom)
    return parts[(shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)]


def hostile_parts(ws: Workspace, held: shapely.Geometry, options: AnalysisOptions,
                  grey: shapely.Geometry | None = None) -> tuple:
    """The components of hostile ground: held territory; the grey zone (``grey``, where
    known) when ``options.threat_ground == "contested"``; the Russian side of the state
    border (:func:`~supplyline.data.borders.russian_side`) when
    ``options.border_hostile``."""
    parts = [held]
    if options.threat_ground == "contested" and grey is not None and not grey.is_empty:
        parts.append(grey)
    if options.border_hostile:
        side = border_side(ws)
        if not side.is_empty:
            parts.append(side)
    return tuple(parts)


def border_side(ws: Workspace) -> shapely.Geometry:
    """The other side of the state border (memoised per workspace; empty without EGM)."""
    from ..data.borders import russian_side

    def build() -> shapely.Geometry:
        egm = ws.sources.egm.path
        if egm is None:
            return shapely.Polygon()
        return russian_side(egm, ws.sources.oblasts.path, lambda: ws.gazetteer.oblasts,
                            use_cache=ws.use_cache)

    return ws.memo("border_side", (), build)


def day_grey(ws: Workspace, held: HeldTerritory, options: AnalysisOptions
             ) -> shapely.Geometry | None:
    """The grey zone of ``held``'s data day (or of a data day at most
    ``options.grey_max_lag_days`` earlier, minus the day's held territory), or None when
    it is not known or the options measure from held territory only."""
    if options.threat_ground != "contested":
        return None
    contested = getattr(ws.history, "contested", None)
    if contested is None:
        return None
    c = contested(held.date, max_grey_lag_days=options.grey_max_lag_days)
    return c.grey if c.grey_known else None


def measured_from(options: AnalysisOptions, grey_known: bool) -> str:
    """What exposure is measured from, in words (stated in every output)."""
    parts = ["held territory"]
    if options.threat_ground == "contested":
        parts.append("the grey zone" if grey_known else "the grey zone (not known this day)")
    if options.border_hostile:
        parts.append("the Russian side of the state border")
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


# --------------------------------------------------------------------------- rear hubs

def hub_candidates(ws: Workspace) -> np.ndarray:
    """Rows of the gazetteer that may be rear hubs: GeoNames places of at least
    :data:`HUB_MIN_POPULATION` people (city districts excluded) inside the road network's
    extent (5 km in from its edge). Date-free; memoised per workspace."""
    def build() -> np.ndarray:
        g = ws.gazetteer
        net = ws.network("road")
        lo = net.node_xy.min(axis=0) + 5000
        hi = net.node_xy.max(axis=0) - 5000
        xy = g.xy
        ok = ((g.column("population") >= HUB_MIN_POPULATION)
              & np.all((xy >= lo) & (xy <= hi), axis=1)
              & (g.column("source") == "geonames") & ~g.district)
        return np.flatnonzero(ok)

    return ws.memo("hub_candidates", (), build)


def select_hubs(ws: Workspace, place: Place, index: HeldIndex, profile: ThreatProfile,
                count: int) -> list[Place]:
    """The rear hubs of ``place`` on a day: of :func:`hub_candidates` 30-300 km away, those
    not in held territory, at least the tube band (the third band) from it and 10 km
    farther from it than the city itself, one per urban area (a candidate within 25 km of
    a larger one is left out), the ``count`` nearest.

    Clearances here come from the index's boundary sample points (at most ~50 m above the
    exact distance; the same in every caller), which is what the rule needs and is cheap
    enough to ask every day for every city."""
    cand = hub_candidates(ws)
    if not len(cand):
        return []
    g = ws.gazetteer
    xy = g.xy[cand]
    cxy = np.asarray(place.xy)
    dist = np.hypot(*(xy - cxy).T)
    near = (dist >= HUB_MIN_KM * 1000) & (dist <= HUB_MAX_KM * 1000)
    cand, xy, dist = cand[near], xy[near], dist[near]
    if not len(cand):
        return []
    d, inside = index.fast_point_clearance(np.vstack([cxy[None, :], xy]))
    centre = float(d[0])
    tube = profile.bands[min(2, len(profile.bands) - 1)].max_km * 1000
    ok = (~inside[1:]) & (d[1:] >= tube) & (d[1:] >= centre + HUB_EXTRA_CLEARANCE_M)
    cand, xy, dist = cand[ok], xy[ok], dist[ok]
    pop = g.column("population")[cand]
    order = np.lexsort((dist, -pop))  # larger first; equal sizes nearer first
    d = xy[:, None, :] - xy[None, :, :]
    near = (np.hypot(d[..., 0], d[..., 1]) <= HUB_URBAN_AREA_M).tolist()
    kept: list[int] = []
    for i in order.tolist():
        row = near[i]
        if not any(row[j] for j in kept):
            kept.append(i)
    kept.sort(key=lambda i: (dist[i], cand[i]))
    return [g.place(int(cand[i])) for i in kept[:count]]


# --------------------------------------------------------------------------- the plan

@dataclass
class ModePlan:
    """One mode of a city plan: the region's network and where the city and hubs sit."""

    net: Network  # compact sub-network of the region (parent_edges / parent_nodes)
    city_node: int
    hub_nodes: list[tuple[str, int]]  # (hub ident, node)
    source_nodes: np.ndarray
    sink_nodes: np.ndarray
    chains: Chains
    peace: list[list[int] | None]
    snap_m: dict[str, float]  # place ident -> distance to its node


@dataclass
class CityPlan:
    """What the figures of a city need besides the day: the city, its hubs, and per mode
    the route region's network (or why there is none)."""

    place: Place
    hubs: list[Place]
    options: AnalysisOptions
    region_box: tuple[float, float, float, float]
    modes: dict[str, ModePlan] = field(default_factory=dict)
    off_network: dict[str, str] = field(default_factory=dict)  # mode -> reason

    @property
    def hub_ids(self) -> tuple[str, ...]:
        return tuple(h.ident or h.name for h in self.hubs)

    @property
    def edge_ids(self) -> dict[str, np.ndarray]:
        return {m: p.net.parent_edges for m, p in self.modes.items()}

    def hub_name(self, ident: str) -> str:
        for h in self.hubs:
            if (h.ident or h.name) == ident:
                return h.name
        return ident

    def corridor_box(self) -> tuple[float, float, float, float]:
        """The corridor window around the city and its hubs."""
        m = self.options.corridor_margin_km * 1000
        pts = np.asarray([self.place.xy, *[h.xy for h in self.hubs]])
        lo, hi = pts.min(axis=0) - m, pts.max(axis=0) + m
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def route_edges(ws: Workspace, mode: str, options: AnalysisOptions) -> np.ndarray:
    """Which edges of the ``mode`` network routes may use (a boolean mask): the road
    classes of the options, or every railway. Memoised per workspace."""
    net = ws.network(mode)
    classes = options.road_class_filter if mode == "road" else None
    if classes is None:
        return np.ones(len(net.length), bool)
    return ws.memo("route_edges", (mode, classes),
                   lambda: np.isin(net.attr["cls"], classes))


def plan_city(ws: Workspace, place: Place, hubs: list[Place],
              options: AnalysisOptions) -> CityPlan:
    """The route region of ``place`` and ``hubs`` and, per mode, its network (memoised per
    workspace: the same city and hubs give the same plan).

    The region is every edge (of the option's road classes, or every railway) whose
    midpoint lies in the box around the city and hubs widened by the region margin. The
    city and each hub are snapped to the nearest node of the region network's largest
    connected component (a mode is off-network when that node is more than 15 km away);
    the city area (the built-up disc of :func:`~supplyline.core.routes.city_radius_m`)
    and the hub areas are the sources and sinks of the disjoint-route count.
    """
    key = (place.ident or place.name, tuple(h.ident or h.name for h in hubs), options)
    return ws.memo("plan", key, lambda: _plan_city(ws, place, hubs, options))


def _plan_city(ws: Workspace, place: Place, hubs: list[Place],
               options: AnalysisOptions) -> CityPlan:
    pts = np.asarray([place.xy, *[h.xy for h in hubs]])
    margin = options.region_margin_km * 1000
    lo, hi = pts.min(axis=0) - margin, pts.max(axis=0) + margin
    plan = CityPlan(place, list(hubs), options, (lo[0], lo[1], hi[0], hi[1]))
    if not hubs:
        return plan
    for mode in options.modes:
        net = ws.network(mode)
        ids = np.flatnonzero(route_edges(ws, mode, options)
                             & np.all((net.edge_mid_xy >= lo) & (net.edge_mid_xy <= hi), axis=1))
        if not len(ids):
            plan.off_network[mode] = f"no {mode} network around {place.name}"
            continue
        sub = net.subnetwork(ids)
        mp = _mode_plan(sub, place, hubs, ws.profile)
        if isinstance(mp, str):
            plan.off_network[mode] = mp
        else:
            plan.modes[mode] = mp
    return plan


def _mode_plan(sub: Network, place: Place, hubs: list[Place],
               profile: ThreatProfile) -> ModePlan | str:
    main = np.flatnonzero(sub.node_component == sub.main_component)
    tree = cKDTree(sub.node_xy[main])
    snap: dict[str, float] = {}

    def node_of(p: Place) -> int | None:
        d, i = tree.query(p.xy)
        snap[p.ident or p.name] = float(d)
        return int(main[i]) if d <= MAX_SNAP_M else None

    def area(p: Place, node: int) -> list[int]:
        return [int(main[i]) for i in tree.query_ball_point(p.xy, city_radius_m(p.population))
                ] or [node]

    city = node_of(place)
    if city is None:
        return (f"{place.name}: the {sub.mode} network's nearest node is "
                f"{snap[place.ident or place.name] / 1000:.0f} km away (more than "
                f"{MAX_SNAP_M / 1000:.0f} km): outside the network's extent")
    hub_nodes = []
    for h in hubs:
        n = node_of(h)
        if n is None:
            return (f"{h.name}: the {sub.mode} network's nearest node is "
                    f"{snap[h.ident or h.name] / 1000:.0f} km away: outside the network")
        hub_nodes.append((h.ident or h.name, n))
    source = np.asarray(sorted(set(area(place, city))), dtype=np.int64)
    sink = np.asarray(sorted({i for h, (_, n) in zip(hubs, hub_nodes, strict=True)
                              for i in area(h, n)}), dtype=np.int64)
    chains = Chains(sub, np.concatenate([[city], [n for _, n in hub_nodes], source, sink]
                                        ).astype(np.int64))
    free = EdgeExposure(np.arange(len(sub.length)), np.full(len(sub.length), 1e9),
                        np.zeros(len(sub.length), bool), np.zeros(len(sub.length), np.int64))
    peace = RouteEngine(sub, free, profile, chains=chains).shortest(
        city, [n for _, n in hub_nodes], np.ones(len(sub.length), bool))
    return ModePlan(sub, city, hub_nodes, source, sink, chains, peace, snap)


# --------------------------------------------------------------------------- local figures

def local_figures(place: Place, ground: DayGround, options: AnalysisOptions) -> dict[str, Any]:
    """Distance from the centre to held territory (exact), whether the centre is held,
    the held share of each ring (``options.ring_bearings`` points a ring; inside tests
    exact) and the held area within ``options.area_radius_km``."""
    c = np.asarray(place.xy)
    front_km, _ = centre_distance(place, ground)
    held_km, held = centre_held_distance(place, ground)
    row: dict[str, Any] = {"distance_to_front_km": front_km, "distance_to_held_km": held_km,
                           "centre_held": held}
    flags = ring_held_flags(ground, place.xy, options)
    n = options.ring_bearings
    for k, r in enumerate(options.radii_km):
        row[ring_column(r)] = round(float(flags[k * n:(k + 1) * n].mean()), 4)
    rad = options.area_radius_km * 1000
    near = clip_box(ground.geometry, c[0] - rad, c[1] - rad, c[0] + rad, c[1] + rad)
    disc = shapely.buffer(shapely.points(*c), rad, quad_segs=16)
    # rounded to 1 m2: the sum over parts may differ in the last bits with their order
    row[area_column(options)] = round(float(shapely.area(shapely.intersection(near, disc)))
                                      / 1e6, 6)
    return row


def centre_distance(place: Place, ground: DayGround) -> tuple[float | None, bool]:
    """Exact distance (km, 3 decimals; None when there is no hostile ground) from the
    place to hostile ground (the front, as the options define it), and whether the place
    is inside it."""
    d, inside = ground.index.point_clearance(np.asarray(place.xy)[None, :])
    return (round(float(d[0]) / 1000, 3) if np.isfinite(d[0]) else None), bool(inside[0])


def centre_held_distance(place: Place, ground: DayGround) -> tuple[float | None, bool]:
    """Exact distance (km, 3 decimals; None when nothing is held) from the place to held
    territory only, and whether the place is held."""
    d, inside = ground.held_distance(np.asarray(place.xy)[None, :])
    return (round(float(d[0]) / 1000, 3) if np.isfinite(d[0]) else None), bool(inside[0])


def ring_held_flags(ground: DayGround, centre: tuple[float, float],
                    options: AnalysisOptions) -> np.ndarray:
    """Held flag of every ring point (rings in the order of ``options.radii_km``): held
    territory only (the band shares of the encirclement query measure hostile ground)."""
    n = options.ring_bearings
    xy = np.vstack([ring_points(centre, r * 1000, n) for r in options.radii_km])
    return shapely.contains_xy(ground.held_prepared, xy[:, 0], xy[:, 1])


def ring_column(radius_km: float) -> str:
    return f"ring_held_share_{radius_km:g}km"


def area_column(options: AnalysisOptions) -> str:
    return f"held_area_{options.area_radius_km:g}km_km2"


# --------------------------------------------------------------------------- routes

@dataclass
class ModeFigures:
    """Routes of one mode from a city to each hub, and what the timeline keeps of them."""

    mode: str
    routes: dict[str, dict[str, Route]]  # hub ident -> kind -> Route
    status: dict[str, str]  # hub ident -> open / under fire (band) / cut
    best_status: str
    best_min_clearance_km: float  # NaN when no hub is reachable
    disjoint_routes: int  # beyond the options' band
    #: edge-disjoint routes beyond each level ("held", then every band)
    disjoint_by_band: dict[str, int] = field(default_factory=dict)
    resilience: BandResilience | None = None  # with the cuts (detail=True)
    #: hub ident -> length / clearance trade-off (detail=True)
    tradeoffs: dict[str, list[TradeoffPoint]] = field(default_factory=dict)
    # kept for the next day (the timeline's shortcuts)
    clear: np.ndarray | None = None
    choices: dict[str, SafestChoice] = field(default_factory=dict)
    #: per level, why its count holds (:func:`~supplyline.core.routes.count_still_valid`)
    resil_proofs: list[CountProof | None] | None = None
    serial: int = -1
    centre_cut: bool = False


def mode_figures(plan: CityPlan, mode: str, exposure: EdgeExposure, profile: ThreatProfile,
                 *, detail: bool = False, prev: ModeFigures | None = None,
                 stamp: np.ndarray | None = None, serial: int = -1,
                 describe_point=None, centre_cut: bool = False) -> ModeFigures:
    """Peacetime, avoid-held and safest routes (within the options' detour cap) from the
    city to each hub on ``exposure`` (numbered like the plan's sub-network edges), each
    hub's status, the best status and clearance over the hubs, and the number of
    edge-disjoint routes beyond each level (held, then every band; the headline count is
    the one beyond the options' band).

    ``detail=True`` adds what only a single query shows: route numbers, km per band, the
    avoid-held route's edges, the route beyond ``options.route_beyond_band`` when asked,
    each hub's length / clearance trade-off, and the resilience's bottleneck and cut
    (:func:`~supplyline.core.routes.band_resilience`); the other figures are the same.
    ``prev`` (the figures of an earlier day of the same plan) and ``stamp`` (per edge,
    the serial of the last day its figures changed) let unchanged routes be kept: a
    safest route whose choice no changed edge can alter
    (:func:`~supplyline.core.routes.safest_still_valid`), a route whose edges all kept
    their figures, and a disjoint-route count whose flow and cut still hold.

    ``centre_cut``: the city centre itself is inside hostile ground, so no route leaves
    it: every pair is cut (the peacetime route is still described, for reference).
    """
    mp = plan.modes[mode]
    opts = plan.options
    if prev is not None and prev.centre_cut != centre_cut:
        prev = None
    eng = RouteEngine(mp.net, exposure, profile, chains=mp.chains)
    clear = eng.capped_clearance()
    described: dict[tuple[str, str], Route] = {}
    known: dict[int, SafestChoice] = {}
    if prev is not None:
        if stamp is not None:
            described = {(hub, k): r for hub, rr in prev.routes.items() for k, r in rr.items()
                         if k in ("peacetime", "safest") and r.found and len(r.edge_ids)
                         and stamp[r.edge_ids].max() <= prev.serial}
        for i, (h, _) in enumerate(mp.hub_nodes):
            ch = prev.choices.get(h)
            if ch is not None and prev.clear is not None \
                    and safest_still_valid(prev.clear, clear, ch):
                known[i] = ch
    # the avoid-held route is searched only for a detailed answer: whether one exists is
    # all the other figures need
    res = eng.routes(mp.city_node, mp.hub_nodes, with_refs=detail, peace=mp.peace,
                     describe_avoid=detail, search_avoid=detail, detour_cap=opts.detour_cap,
                     safest=known, beyond=opts.route_beyond_band if detail else None,
                     tradeoff=detail, lean=not detail, described=described)
    if centre_cut:
        for rr in res.values():
            for kind in [k for k in rr if k != "peacetime"]:
                rr[kind] = Route(kind, rr[kind].hub, False)
        eng.choices = {}
        eng.tradeoffs = {}
    status = {h: pair_status(rr) for h, rr in res.items()}
    best_rank, best_clear, best_status = -1, np.nan, "cut"
    for h, rr in res.items():
        s = rr["safest"]
        rank = status_rank(status[h], profile)
        if rank > best_rank or (rank == best_rank and s.found and
                                (np.isnan(best_clear) or s.min_clearance_km > best_clear)):
            best_rank, best_status = rank, status[h]
            best_clear = s.min_clearance_km if s.found else np.nan
    masks = level_masks(eng)
    names = [n for n, _ in resilience_levels(profile)]
    resil = None
    if detail:
        resil = band_resilience(eng, mp.source_nodes, mp.sink_nodes,
                                describe=describe_point, masks=masks)
        for item in resil.bottleneck_edges + resil.cut_edges:  # the whole network's ids
            item["edge"] = int(mp.net.parent_edges[item["edge"]])
        counts, proofs = [resil.counts[n] for n in names], None
    else:
        counts, proofs = band_counts(eng, mp.source_nodes, mp.sink_nodes, masks,
                                     prev.resil_proofs if prev is not None else None)
    by_band = dict(zip(names, counts, strict=True))
    if opts.beyond_band not in by_band:
        profile.threshold_m(opts.beyond_band)  # the error naming the profile's bands
    return ModeFigures(mode, res, status, best_status, best_clear, by_band[opts.beyond_band],
                       by_band, resil, dict(eng.tradeoffs) if detail else {}, clear,
                       dict(eng.choices), proofs, serial, centre_cut)


def plan_exposure(ws: Workspace, plan: CityPlan, mode: str, ground: DayGround) -> EdgeExposure:
    """The exposure of the plan's sub-network edges on the ground's day, numbered like
    the sub-network (measured in full; the timeline moves its shared exposure instead,
    which gives the same values)."""
    mp = plan.modes[mode]
    full = EdgeExposure.compute(ws.network(mode), ground.index, ws.profile, mp.net.parent_edges)
    return EdgeExposure(np.arange(len(mp.net.parent_edges)), full.clearance, full.held,
                        full.band, ground.index)


# --------------------------------------------------------------------------- corridor

def corridor_width(plan: CityPlan, raster: ClearanceRaster,
                   prev: tuple | None = None) -> tuple[float, tuple]:
    """Width (km, the clearance kept all along the widest path) of the open-ground
    corridor from the city's built-up disc to any of its hubs on ``raster``, and the token
    the next day passes back as ``prev``."""
    return raster.corridor(plan.place.xy, [h.xy for h in plan.hubs],
                           start_radius_m=city_radius_m(plan.place.population),
                           margin_m=plan.options.corridor_margin_km * 1000, prev=prev)


def corridor_raster(held: shapely.Geometry | tuple, plan: CityPlan) -> ClearanceRaster:
    """A clearance raster covering the plan's corridor window (the same cells as the
    timeline's shared raster, see :class:`~supplyline.core.encirclement.ClearanceRaster`)."""
    x0, y0, x1, y1 = plan.corridor_box()
    r = plan.options.corridor_resolution_m
    return ClearanceRaster.build(held, (x0 - r, y0 - r, x1 + r, y1 + r), r)
