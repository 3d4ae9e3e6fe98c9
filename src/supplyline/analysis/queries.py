"""Queries for one city on one date, returning typed results.

Each query resolves the city, the day's held territory and the rear hubs, and takes its
figures from :mod:`supplyline.analysis.figures` — the same functions the timeline uses —
so a figure is the same whichever command, table or web page shows it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from ..core import encirclement as enc
from ..core.encirclement import ring_occupancy
from ..data.control import HeldTerritory
from ..data.places import Match, Place
from ..errors import InvalidArgumentError, OffNetworkError, PlaceNotFoundError
from .context import Workspace, compass
from .figures import (
    CityPlan,
    DayGround,
    ModeFigures,
    area_column,
    corridor_raster,
    local_figures,
    measured_from,
    mode_figures,
    plan_city,
    plan_exposure,
    select_hubs,
)
from .options import AnalysisOptions
from .results import (
    Approach,
    AxesResult,
    BandRoutes,
    Bottleneck,
    DistanceResult,
    EncirclementResult,
    FlankArm,
    Flanks,
    HubInfo,
    HubRoutes,
    HubStatus,
    Lookup,
    ModeRoutes,
    ModeSummary,
    PlaceRef,
    PlacesResult,
    PocketInfo,
    PointInfo,
    ResilienceInfo,
    Ring,
    RouteInfo,
    RoutesResult,
    StatusResult,
    TargetDistance,
    TradeoffPoint,
)


@dataclass
class CityDay:
    """What every query of a city and date starts from."""

    match: Match
    held: HeldTerritory
    ground: DayGround
    options: AnalysisOptions
    hubs: list[Place]
    hub_error: str | None = None

    @property
    def place(self) -> Place:
        return self.match.place

    def header(self) -> dict[str, Any]:
        return {"city": PlaceRef.of(self.place), "lookup": Lookup.of(self.match),
                "date": str(self.held.requested), "data_date": str(self.held.date),
                "data_exact": bool(self.held.exact)}


def city_day(ws: Workspace, city: str | Place, date: str | dt.date | None, *,
             to: list[str] | str | None = None,
             options: AnalysisOptions | None = None) -> CityDay:
    """Resolve ``city`` and ``date``, build the day's ground and find the rear hubs (the
    ``to`` names, else the options' fixed hubs, else :func:`select_hubs` on the date)."""
    options = options or ws.options
    match = _match(ws, city)
    held = ws.held(date)
    ground = ws.ground(held, options)
    names = _names(to, "to") or list(options.hubs)
    hubs: list[Place]
    error = None
    if names:
        hubs = [ws.find(n, near=match.place).place for n in names]
        same = [h.name for h in hubs if (h.ident or h.name) == (match.place.ident or
                                                                 match.place.name)]
        if same:
            raise InvalidArgumentError(f"hub {same[0]!r}: that is the city itself")
    else:
        hubs = select_hubs(ws, match.place, ground.index, ws.profile, options.max_hubs)
        if not hubs:
            error = (f"no rear hub found by the rule for {match.place.name} on {held.date}; "
                     "name one with --to")
    return CityDay(match, held, ground, options, hubs, error)


def _match(ws: Workspace, city: str | Place) -> Match:
    if isinstance(city, Place):
        return Match(city.name, city, "given")
    if not isinstance(city, str):
        raise InvalidArgumentError(f"city {city!r}: expected a place name (a string)")
    return ws.find(city)


def _names(value: list[str] | str | None, what: str) -> list[str]:
    """A list of names; a single string is one name (never iterated by character)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidArgumentError(f"{what} {value!r}: expected a place name or a list of names")
    return list(value)


def _plan(ws: Workspace, cd: CityDay) -> CityPlan:
    return plan_city(ws, cd.place, cd.hubs, cd.options)


def _mode(ws: Workspace, cd: CityDay, plan: CityPlan, mode: str, *, detail: bool,
          centre_cut: bool) -> ModeFigures | str:
    """The figures of ``mode``, or why there are none (no hub, off the network)."""
    if cd.hub_error:
        return cd.hub_error
    if mode in plan.off_network:
        return plan.off_network[mode]
    exp = ws.memo("exposure", (mode, cd.held.date, plan.place.ident, plan.hub_ids,
                               plan.options),
                  lambda: plan_exposure(ws, plan, mode, cd.ground))
    return mode_figures(plan, mode, exp, ws.profile, detail=detail,
                        describe_point=ws.describe_point, centre_cut=centre_cut)


def _hub_status(plan: CityPlan, figs: ModeFigures, hub: Place) -> HubStatus:
    rr = figs.routes[hub.ident or hub.name]
    s, p = rr["safest"], rr["peacetime"]
    return HubStatus(PlaceRef.of(hub), figs.status[hub.ident or hub.name],
                     s.length_km if s.found else None,
                     s.min_clearance_km if s.found else None,
                     s.length_limit_km if s.found else None,
                     p.length_km if p.found else None,
                     p.status if p.found else "cut",
                     p.min_clearance_km if p.found else None)


def _best(figs: ModeFigures) -> float | None:
    v = figs.best_min_clearance_km
    return None if v is None or v != v else float(v)


# --------------------------------------------------------------------------- queries

def status(ws: Workspace, city: str | Place, date: str | dt.date | None = None, *,
           to: list[str] | str | None = None,
           options: AnalysisOptions | None = None) -> StatusResult:
    """Distance from the city centre to held territory, its band, the rear hubs and, per
    mode, the route status to each hub.

    Parameters
    ----------
    ws
        The workspace (data and memo).
    city
        A place name (any common spelling) or id, or a :class:`Place`.
    date
        YYYY-MM-DD (default: the last day of the history).
    to
        Rear hub name(s) instead of the hubs chosen by the rule.
    options
        Analysis options (default: the workspace's).
    """
    cd = city_day(ws, city, date, to=to, options=options)
    local = local_figures(cd.place, cd.ground, cd.options)
    plan = _plan(ws, cd)
    hubs = []
    for h in cd.hubs:
        b, dist = ws.bearing_km(cd.place, h)
        hubs.append(HubInfo(PlaceRef.of(h), round(dist, 1), int(round(b)) % 360, compass(b)))
    modes: dict[str, ModeSummary] = {}
    for mode in cd.options.modes:
        figs = _mode(ws, cd, plan, mode, detail=False,
                     centre_cut=local["distance_to_front_km"] == 0)
        if isinstance(figs, str):
            modes[mode] = ModeSummary(mode, None, None, None, error=figs)
            continue
        modes[mode] = ModeSummary(mode, figs.best_status, _best(figs), figs.disjoint_routes,
                                  [_hub_status(plan, figs, h) for h in cd.hubs],
                                  disjoint_routes_by_band=dict(figs.disjoint_by_band))
    d = local["distance_to_front_km"]
    return StatusResult(
        **cd.header(), centre_held=local["centre_held"], distance_to_front_km=d,
        distance_to_held_km=local["distance_to_held_km"],
        centre_band=ws.profile.band_name(np.inf if d is None else d * 1000, d == 0),
        hubs=hubs, modes=modes, method=_method(ws, cd))


def routes(ws: Workspace, city: str | Place, date: str | dt.date | None = None, *,
           to: list[str] | str | None = None,
           options: AnalysisOptions | None = None) -> RoutesResult:
    """Peacetime, held-avoiding and safest routes from the city to each rear hub per mode,
    each pair's status, and the resilience (edge-disjoint routes beyond the options' band,
    with the bottleneck).

    Raises :class:`~supplyline.errors.PlaceNotFoundError` when no hub is named and the
    rule finds none on the date.
    """
    cd = city_day(ws, city, date, to=to, options=options)
    if cd.hub_error:
        raise PlaceNotFoundError(cd.hub_error)
    local = local_figures(cd.place, cd.ground, cd.options)
    plan = _plan(ws, cd)
    modes: dict[str, ModeRoutes] = {}
    for mode in cd.options.modes:
        figs = _mode(ws, cd, plan, mode, detail=True,
                     centre_cut=local["distance_to_front_km"] == 0)
        if isinstance(figs, str):
            modes[mode] = ModeRoutes(mode, None, None, None, error=figs)
            continue
        parent = plan.modes[mode].net.parent_edges
        pairs = []
        for h in cd.hubs:
            hid = h.ident or h.name
            rr = figs.routes[hid]
            pairs.append(HubRoutes(
                PlaceRef.of(h), figs.status[hid],
                peacetime=RouteInfo.of(rr["peacetime"], parent),
                avoid_held=RouteInfo.of(rr["avoid_held"], parent),
                safest=RouteInfo.of(rr["safest"], parent),
                beyond=RouteInfo.of(rr["beyond"], parent) if "beyond" in rr else None,
                tradeoff=[TradeoffPoint.of(p, parent) for p in figs.tradeoffs.get(hid, [])]))
        resil = None if figs.resilience is None else resilience_info(
            figs, cd.options, ws.profile, cd.place, mode)
        modes[mode] = ModeRoutes(mode, figs.best_status, _best(figs), figs.disjoint_routes,
                                 pairs, resil)
    if all(m.error for m in modes.values()):  # nothing to show: the places are off the network
        raise OffNetworkError(next(iter(modes.values())).error)
    return RoutesResult(
        **cd.header(), centre_held=local["centre_held"],
        distance_to_front_km=local["distance_to_front_km"],
        distance_to_held_km=local["distance_to_held_km"],
        hubs=[PlaceRef.of(h) for h in cd.hubs], modes=modes,
        bands=[{"name": b.name, "max_km": b.max_km, "note": b.note} for b in ws.profile.bands],
        clearance_cap_km=ws.profile.cap_m / 1000, method=_method(ws, cd),
        edge_geometry=lambda mode, ids: _merged_line(ws, mode, ids))


def _bottleneck(b: dict[str, Any]) -> Bottleneck:
    return Bottleneck(int(b["edge"]), b["ref"] or None, b["cls"], b["lon"], b["lat"],
                      b.get("near"), b["clearance_km"], b.get("band"))


def resilience_info(figs: ModeFigures, options: AnalysisOptions, profile: Any, place: Place,
                    mode: str) -> ResilienceInfo:
    """The resilience of a mode's figures (computed with ``detail``) with its summary."""
    from ..core.routes import resilience_levels

    res = figs.resilience
    assert res is not None, "asked only of figures computed with their resilience"
    beyond = dict(resilience_levels(profile))
    by_band = [BandRoutes(b, 0.0 if b == "held" else thr / 1000, res.counts[b])
               for b, thr in beyond.items()]
    info = ResilienceInfo(
        options.beyond_band, figs.disjoint_routes, by_band, res.bottleneck_band,
        [_bottleneck(b) for b in res.bottleneck_edges], res.cut_band, res.cut_at_city,
        res.cut_at_hubs, [_bottleneck(b) for b in res.cut_edges])
    info.summary = resilience_summary(info, place.name, mode, options)
    return info


def _band_words(band: str, km: float, one: bool) -> str:
    s = "s" if one else ""
    return f"avoid{s} held territory" if band == "held" else f"stay{s} beyond {band} ({km:g} km)"


def _places(items: list[Bottleneck], limit: int = 6) -> str:
    words = []
    for b in items[:limit]:
        what = b.route_number or {"rail": "railway"}.get(b.road_class, b.road_class
                                                         ) or "a line"
        near = f" {b.near}" if b.near else ""
        words.append(f"{what}{near} ({b.lat:.3f} N, {b.lon:.3f} E)")
    more = f"; and {len(items) - limit} more" if len(items) > limit else ""
    return "; ".join(words) + more


def resilience_summary(info: ResilienceInfo, city: str, mode: str,
                       options: AnalysisOptions) -> str:
    """The resilience in words: how many edge-disjoint routes stay beyond each level up
    to the first without any, where the last level with routes can be cut, and why the
    next has none (the city's or the hubs' own area lies within the band, or the places
    where every route comes within it)."""
    what = ("rail" if mode == "rail" else
            "main-road" if options.road_classes == "main" else "road")
    parts = []
    for b in info.by_band:
        n = b.disjoint_routes
        parts.append(f"{n if n else 'none'} {_band_words(b.band, b.beyond_km, n == 1)}")
        if n == 0:
            if b.band != "held" and b is not info.by_band[-1]:
                parts[-1] += " or any band farther out"
            break
    text = (f"Edge-disjoint {what} routes from {city}'s built-up area to the rear hubs: "
            + ", ".join(parts) + ".")
    km = {b.band: b.beyond_km for b in info.by_band}
    counts = {b.band: b.disjoint_routes for b in info.by_band}
    if info.bottleneck_band is not None and info.bottleneck:
        n, k = counts[info.bottleneck_band], len(info.bottleneck)
        level = ("avoiding held territory" if info.bottleneck_band == "held" else
                 f"beyond {info.bottleneck_band}")
        where = f"{k} place{'s' if k > 1 else ''}: {_places(info.bottleneck)}"
        text += (f" The only route {level} can be cut at {where}." if n == 1 else
                 f" The {n} routes {level} can all be cut at {where}.")
    if info.cut_band is None:
        return text
    band = info.cut_band
    if band == "held":
        lead = "No route avoids held territory"
        within = "touches held territory"
    else:
        lead = f"No route stays beyond {band}"
        within = f"lies within {km[band]:g} km of held territory"
    if info.cut_at_city:
        text += f" {lead}: {city}'s built-up area itself {within}."
    elif info.cut_at_hubs:
        text += f" {lead}: the rear hubs' own areas {within}."
    elif info.cut:
        order = [b.band for b in info.by_band]
        before = order[order.index(band) - 1] if band != "held" else None
        prev = ("every route" if before is None else
                "every route that avoids held territory" if before == "held" else
                f"every route beyond {before}")
        how = ("crosses held territory" if band == "held" else
               f"comes within {km[band]:g} km of held territory")
        text += f" {lead}: {prev} {how} at one of: {_places(info.cut)}."
    return text


def encirclement(ws: Workspace, city: str | Place, date: str | dt.date | None = None, *,
                 to: list[str] | str | None = None,
                 options: AnalysisOptions | None = None) -> EncirclementResult:
    """Held share of rings around the city (and of each band), flank arms and pincer
    relative to the rear axis (the mean bearing to the rear hubs), the pocket test, the
    held area nearby and the open-ground corridor to the rear hubs."""
    cd = city_day(ws, city, date, to=to, options=options)
    opts = cd.options
    local = local_figures(cd.place, cd.ground, opts)
    geom = cd.held.geometry
    rings = ring_occupancy(geom, cd.place.xy, opts.radii_km, ws.profile,
                           n_bearings=opts.ring_bearings, index=cd.ground.index)
    width = connected = narrowest = None
    if cd.hubs:
        plan = _plan(ws, cd)
        raster = ws.memo("raster", (cd.held.date, plan.corridor_box(),
                                    opts.corridor_resolution_m, opts.threat_ground,
                                    opts.border_hostile),
                         lambda: corridor_raster(cd.ground.parts or geom, plan))
        c = raster.corridor_detail(cd.place.xy, [h.xy for h in cd.hubs],
                                   start_radius_m=_city_radius(cd.place),
                                   margin_m=opts.corridor_margin_km * 1000)
        width, connected = c.width_km, c.connected
        if c.narrowest_xy is not None:
            narrowest = PointInfo(**ws.describe_point(*c.narrowest_xy))
    return EncirclementResult(
        **cd.header(), centre_held=local["centre_held"],
        distance_to_front_km=local["distance_to_front_km"],
        distance_to_held_km=local["distance_to_held_km"],
        held_area_km2=local[area_column(opts)],
        held_area_radius_km=opts.area_radius_km,
        rings=[Ring(r.radius_km, local[f"ring_held_share_{r.radius_km:g}km"], r.band_share,
                    [list(x) for x in r.held_ranges], r.description) for r in rings],
        flanks=_flanks(ws, cd), hubs=[PlaceRef.of(h) for h in cd.hubs],
        corridor_width_km=width, corridor_connected=connected, corridor_narrowest=narrowest,
        method=_method(ws, cd), centre_xy=cd.place.xy)


def _flanks(ws: Workspace, cd: CityDay) -> Flanks:
    """Flank arms relative to the rear axis, the pocket test and the approaches."""
    geom, xy = cd.held.geometry, cd.place.xy

    def point(p: tuple[float, float]) -> PointInfo:
        return PointInfo(**ws.describe_point(*p))

    pk = ws.memo("pocket", (cd.held.date, cd.place.ident or cd.place.name, xy),
                 lambda: enc.pocket(geom, xy, start_radius_m=_city_radius(cd.place)))
    pocket = PocketInfo(pk.pocket, pk.closed, pk.way_out_width_km, pk.neck_width_km,
                        None if pk.neck_xy is None else point(pk.neck_xy), pk.area_km2,
                        pk.room_km, pk.reason, dict(pk.thresholds))
    apps = [Approach(a.bearing_deg, a.direction, a.distance_km, list(a.span))
            for a in enc.approaches(geom, xy)]
    rear = rear_axis(cd)
    hubs = [h.name for h in cd.hubs]
    if rear is None:
        why = cd.hub_error or "the rear hubs lie in opposite directions: no rear axis"
        return Flanks(None, None, hubs, enc.FLANK_RADIUS_KM, [], False, None, [], None,
                      pocket, apps, f"no rear axis ({why}); no flank arms measured")
    fl = enc.flanks(geom, xy, rear)
    arms = [FlankArm(a.side, point(a.tip_xy), a.bearing_deg, a.direction, a.from_axis_km,
                     a.along_km, a.from_city_km, a.reach_km, a.at_limit) for a in fl.arms]
    return Flanks(fl.rear_bearing_deg, enc.compass8(rear), hubs, fl.radius_km, arms,
                  fl.pincer, fl.gap_km, [point(p) for p in fl.gap_xy or ()],
                  fl.axis_held_km, pocket, apps, fl.description)


def _city_radius(place: Place) -> float:
    from ..core.routes import city_radius_m

    return city_radius_m(place.population)


def _merged_line(ws: Workspace, mode: str, ids: list[int]) -> shapely.Geometry:
    net = ws.network(mode)
    return shapely.line_merge(shapely.union_all(net.lines(np.asarray(ids, dtype=np.int64))))


def _method(ws: Workspace, cd: CityDay) -> dict[str, Any]:
    grey_known = cd.ground.grey_known
    return {**cd.options.describe(),
            "bands": {b.name: b.max_km for b in ws.profile.bands},
            "clearance_cap_km": ws.profile.cap_m / 1000,
            "measured_from": measured_from(cd.options, grey_known),
            "grey_zone_known": grey_known}


def distance(ws: Workspace, city: str | Place, date: str | dt.date | None = None, *,
             place: str | None = None, oblast: str | None = None, road: str | None = None,
             rail: bool = False, route_to: str | None = None, route_mode: str = "rail",
             radius_km: float = 30.0, tolerance_km: float = 1.0,
             options: AnalysisOptions | None = None) -> DistanceResult:
    """Distance from held territory to targets near ``city`` on ``date`` and the first day
    each was reached (within ``tolerance_km``).

    Targets: a place; an oblast's boundary within ``radius_km``; a numbered road and the
    railways within ``radius_km``, each split into stretches relative to the city's rear
    axis (the bearing to its rear hubs on the date): "toward the rear", "through the
    city", "toward the front"; the peacetime ``route_mode`` route to the hub
    ``route_to`` ("the rail line to Dnipro"). Lines count only where they were not
    already held on the first day of the history. No target: the city centre."""
    from ..core.proximity import distance_series

    _check_distance_args(radius_km, tolerance_km, route_mode)
    cd = city_day(ws, city, date, options=options)
    c, held, hist = cd.place, cd.held, ws.history
    i, _ = hist.index_on(held.requested)
    rear = rear_axis(cd)
    place_match = ws.find(place, near=c) if place else None
    targets = _distance_targets(ws, cd, rear, place_match, oblast, road, rail, route_to,
                                route_mode, radius_km)
    # a line is "reached" where it was not already held when the history starts
    first = shapely.buffer(hist.geoms[0], tolerance_km * 1000 + 100)
    parts: list[tuple[str, Any, str | None]] = []
    for label, geom, stretch_name in targets:
        if shapely.get_type_id(geom) in (1, 5, 7):
            rest = shapely.difference(geom, first)
            if rest.is_empty:
                raise InvalidArgumentError(
                    f"{label}: already held on {hist.first}, the first day of the history")
            parts.append((f"{label} (part not held on {hist.first})", rest, stretch_name))
        else:
            parts.append((label, geom, stretch_name))
    if not parts:
        parts.append((c.name, shapely.points(*c.xy), None))
    out = []
    for k, (label, geom, stretch_name) in enumerate(parts):
        r = distance_series(hist.geoms, hist.dates, geom, label).as_dict(i, tolerance_km)
        d = r["distance_km"]
        match = place_match if k == 0 else None  # the place asked is the first target
        out.append(TargetDistance(
            r["target"], d if np.isfinite(d) else None, r["reached"], r["first_reached"],
            tolerance_km, r["min_km_in_history"] if np.isfinite(r["min_km_in_history"])
            else None, None if np.isfinite(d) else "held territory is farther than the "
            "100 km measured around the target",
            PlaceRef.of(match.place) if match is not None else None,
            Lookup.of(match) if match is not None else None, stretch_name))
    return DistanceResult(**cd.header(), history_first=str(hist.first),
                          history_last=str(hist.last),
                          rear_bearing_deg=None if rear is None else round(rear, 1),
                          targets=out)


def _check_distance_args(radius_km: float, tolerance_km: float, route_mode: str) -> None:
    for name, v in (("radius_km", radius_km), ("tolerance_km", tolerance_km)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not (v >= 0) or v != v \
                or v == float("inf"):
            raise InvalidArgumentError(f"{name} {v!r}: expected a non-negative number")
    if radius_km <= 0:
        raise InvalidArgumentError(f"radius_km {radius_km!r}: expected a positive number")
    if route_mode not in ("road", "rail"):
        raise InvalidArgumentError(f"route mode {route_mode!r}: expected road or rail")


def _distance_targets(ws: Workspace, cd: CityDay, rear: float | None, place_match: Any,
                      oblast: str | None, road: str | None, rail: bool,
                      route_to: str | None, route_mode: str, radius_km: float
                      ) -> list[tuple[str, Any, str | None]]:
    """The targets of :func:`distance`: (label, geometry, stretch name or None)."""
    from ..core.proximity import STRETCHES, line_near, stretch_of
    from ..core.routes import city_radius_m

    c = cd.place
    targets: list[tuple[str, Any, str | None]] = []
    if place_match is not None:
        targets.append((place_match.place.name, shapely.points(*place_match.place.xy), None))
    if oblast:
        o = ws.gazetteer.oblast(oblast)
        disc = shapely.buffer(shapely.points(*c.xy), radius_km * 1000)
        edge = shapely.intersection(shapely.boundary(o.geometry), disc)
        if edge.is_empty:
            raise InvalidArgumentError(
                f"oblast {o.name_en!r}: its boundary is not within {radius_km:.0f} km of "
                f"{c.name}; increase --radius")
        targets.append((f"{o.name_en} boundary within {radius_km:.0f} km of {c.name}", edge,
                        None))
    for mode, ref, label in (("road", road, f"road {road}"), ("rail", None, "railway")):
        if (mode == "road" and not road) or (mode == "rail" and not rail):
            continue
        net = ws.network(mode)
        ids = line_near(net, c.xy, radius_km * 1000, ref, ids_only=True)
        stretch = stretch_of(net.edge_mid_xy[ids], c.xy, rear, city_radius_m(c.population))
        for k, name in enumerate(STRETCHES):
            part = ids[stretch == k]
            if net.length[part].sum() >= 500:
                targets.append((f"{label} within {radius_km:.0f} km of {c.name}, {name}",
                                shapely.multilinestrings(net.lines(part)), name))
    if route_to:
        hub = ws.find(route_to, near=c).place
        line = route_line(ws, cd, hub, route_mode)
        what = "rail line" if route_mode == "rail" else "road route"
        targets.append((f"{what} to {hub.name}", line, None))
    return targets


def rear_axis(cd: CityDay) -> float | None:
    """The city's rear axis on the day: the bearing to its rear hubs."""
    from ..core.proximity import rear_bearing

    return rear_bearing(cd.place.xy, [h.xy for h in cd.hubs])


def route_line(ws: Workspace, cd: CityDay, hub: Place, mode: str) -> shapely.Geometry:
    """The peacetime ``mode`` route from the city to ``hub`` on the route network (the
    line "the rail line to X" means)."""
    plan = plan_city(ws, cd.place, [hub], cd.options.with_(modes=(mode,)))
    if mode in plan.off_network:
        raise OffNetworkError(plan.off_network[mode])
    mp = plan.modes[mode]
    path = mp.peace[0]
    if path is None or not len(path):
        raise InvalidArgumentError(f"no {mode} route from {cd.place.name} to {hub.name} on "
                                   "the network")
    ids = mp.net.parent_edges[np.asarray(path, dtype=np.int64)]
    return shapely.multilinestrings(ws.network(mode).lines(ids))


def edge_exposure(ws: Workspace, date: str | dt.date | None = None, *, mode: str = "road",
                  bbox: tuple[float, float, float, float] | None = None,
                  options: AnalysisOptions | None = None) -> Any:
    """Every edge of the ``mode`` network that routes use (the options' road classes), or
    those whose midpoint is in a lon/lat ``bbox``, with its clearance from held territory
    (measured at every sample point, at most ~150 m high) and band on ``date``, as a
    GeoDataFrame in lon/lat."""
    from ..core.routes import EdgeExposure
    from ..crs import GEOGRAPHIC_CRS, metric_xy
    from .figures import route_edges

    options = options or ws.options
    net = ws.network(mode)
    held = ws.held(date)
    ground = ws.ground(held, options)
    sel = route_edges(ws, mode, options)
    if bbox is not None:
        x0, y0 = metric_xy(bbox[0], bbox[1])
        x1, y1 = metric_xy(bbox[2], bbox[3])
        mid = net.edge_mid_xy
        sel = sel & (mid[:, 0] >= x0) & (mid[:, 0] <= x1) & (mid[:, 1] >= y0) & (mid[:, 1] <= y1)
    ids = np.flatnonzero(sel)
    exp = EdgeExposure.compute(net, ground.index, ws.profile, ids)
    fine = exp.fine_clearance(net, ids, ws.profile.cap_m)
    clear = np.where(exp.held, 0.0, np.minimum(exp.clearance, fine))
    names = np.array(ws.profile.names, dtype=object)
    e = net.edges.iloc[ids]
    out = e[["mode", "cls", "ref", "eref"]].copy()
    out.insert(0, "edge_id", ids)
    out["length_km"] = np.round(e["length"].to_numpy() / 1000, 3)
    out["clearance_km"] = np.round(clear / 1000, 3)
    out["clearance_capped"] = clear >= ws.profile.cap_m - 1e-6
    out["held"] = exp.held
    out["band"] = names[ws.profile.classify(clear, exp.held)]
    out["date"] = str(held.date)
    for col in ("ref", "eref"):
        out[col] = out[col].replace("", None)
    return out.set_geometry(e.geometry).to_crs(GEOGRAPHIC_CRS)


def held_territory(ws: Workspace, date: str | dt.date | None = None) -> Any:
    """Held territory of ``date`` as a one-row GeoDataFrame in lon/lat (with the data
    day it comes from and its area)."""
    import geopandas as gpd

    from ..crs import GEOGRAPHIC_CRS, METRIC_CRS

    held = ws.held(date)
    gdf = gpd.GeoDataFrame({"date": [str(held.requested)], "data_date": [str(held.date)],
                            "data_exact": [bool(held.exact)],
                            "area_km2": [round(float(held.geometry.area) / 1e6, 3)]},
                           geometry=[held.geometry], crs=METRIC_CRS)
    return gdf.to_crs(GEOGRAPHIC_CRS)


def places(ws: Workspace, date: str | dt.date | None = None, *, oblast: str | None = None,
           city: str | None = None, radius_km: float = 50.0, top: int = 10,
           since: str | dt.date | None = None) -> PlacesResult:
    """Population (GeoNames, pre-war) in held territory and in each band, and the largest
    places not held, in an oblast or within ``radius_km`` of a city; with ``since`` the
    change from that date."""
    from .settlements import largest_not_held, population_by_band, settlements_change

    if oblast is None and city is None:
        raise InvalidArgumentError("places: name an oblast or a city (with a radius)")
    if isinstance(top, bool) or not isinstance(top, int) or top < 0:
        raise InvalidArgumentError(f"top {top!r}: expected a whole number >= 0")
    held = ws.held(date)
    day = held.requested
    lnh = largest_not_held(ws, oblast, day, top, city=city, radius_km=radius_km)
    pbb = population_by_band(ws, day, oblast=oblast, city=city, radius_km=radius_km)
    change = (settlements_change(ws, since, day, oblast=oblast, city=city,
                                 radius_km=radius_km, n=top) if since is not None else None)
    area = {k: lnh[k] for k in ("oblast", "city", "radius_km", "all") if k in lnh}
    return PlacesResult(area=area, date=str(held.requested), data_date=str(held.date),
                        data_exact=bool(held.exact), largest_not_held=lnh,
                        population_by_band=pbb, change=change)


def axes(ws: Workspace, city: str, date: str | dt.date | None = None,
         bearings: list[float | str] | None = None, *, towards: str | None = None,
         length_km: float = 50.0, width_km: float = 10.0, step_km: float = 5.0) -> AxesResult:
    """Corridors out of ``city`` along bearings: settlements, density, roads, rivers, held
    share (see :mod:`supplyline.core.axes`)."""
    from .axes import axis_profile

    return axis_profile(ws, city, ws.held(date).requested, bearings, towards=towards,
                        length_km=length_km, width_km=width_km, step_km=step_km)
