"""Typed results of the queries: one schema for every command, table and web answer.

Each result is a dataclass whose fields are its JSON keys; :meth:`Result.to_dict` gives
plain JSON types (ISO dates, shares 0-1, ``None`` for missing: never NaN, inf or "").
The same concept has the same key everywhere: ``distance_to_held_km``,
``min_clearance_km``, ``city`` (always a :class:`PlaceRef`: id, name, lon, lat, oblast,
population, source), ``date`` / ``data_date`` / ``data_exact``. Internal values (edge
ids, metric coordinates) are kept in fields marked ``internal`` and left out of
:meth:`to_dict`; where a result has geometry, :meth:`to_geodataframe` gives it in lon/lat.

The JSON Schema of every result is :func:`json_schema` (also served by the web API).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import numpy as np

INTERNAL = {"internal": True}


def internal(default: Any = None, *, factory: Any = None) -> Any:
    """A dataclass field left out of :meth:`Result.to_dict` (and of the JSON Schema)."""
    if factory is not None:
        return field(default_factory=factory, repr=False, compare=False, metadata=INTERNAL)
    return field(default=default, repr=False, compare=False, metadata=INTERNAL)


def plain(obj: Any) -> Any:
    """``obj`` as plain JSON types: numpy scalars unwrapped, NaN and inf as None, dates as
    ISO strings, tuples as lists, dataclasses as dicts without internal fields."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in fields(obj)
                if not f.metadata.get("internal")}
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [plain(v) for v in obj.tolist()]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, dt.datetime):
        return obj.isoformat()
    if isinstance(obj, dt.date):
        return obj.isoformat()
    return obj


def km(value_m: float | None, nd: int = 2) -> float | None:
    """Metres to km, rounded; None for a missing or infinite value."""
    if value_m is None or not math.isfinite(value_m):
        return None
    return round(float(value_m) / 1000, nd) + 0.0


class Result:
    """Base of every result: :meth:`to_dict` and the GeoDataFrame hook."""

    def to_dict(self) -> dict[str, Any]:
        return plain(self)

    def to_geodataframe(self) -> Any:  # pragma: no cover - overridden where there is geometry
        raise NotImplementedError(f"{type(self).__name__} has no geometry")


# --------------------------------------------------------------------------- pieces

@dataclass
class PlaceRef:
    """A place as every output names it."""

    id: str
    name: str
    lon: float
    lat: float
    oblast: str | None
    population: int
    source: str
    name_uk: str | None = None

    @classmethod
    def of(cls, place: Any) -> PlaceRef:
        return cls(place.ident or place.name, place.name, round(float(place.lon), 5),
                   round(float(place.lat), 5), place.oblast or None, int(place.population),
                   place.source, getattr(place, "name_uk", "") or None)


@dataclass
class Lookup:
    """How a name given by the user was resolved."""

    query: str
    how: str
    note: str
    warning: str | None = None
    candidates: list[PlaceRef] = field(default_factory=list)

    @classmethod
    def of(cls, match: Any) -> Lookup:
        return cls(match.query, match.how, match.note(), getattr(match, "warning", None),
                   [PlaceRef.of(c) for c in match.candidates[:5]])


@dataclass
class RouteInfo:
    """One route from a city to a hub, with the rule that chose it."""

    kind: str  # peacetime / avoid_held / safest / beyond
    found: bool
    length_km: float | None = None
    detour: float | None = None
    min_clearance_km: float | None = None
    worst_band: str | None = None
    status: str = "cut"
    km_by_band: dict[str, float] = field(default_factory=dict)
    route_numbers: list[str] = field(default_factory=list)
    #: the rule that chose this route
    policy: str = ""
    #: safest route: the cap (x the peacetime length) and the length limit it was held to
    detour_cap: float | None = None
    length_limit_km: float | None = None
    #: "beyond" route: the band it stays beyond
    beyond_band: str | None = None
    edge_ids: list[int] = internal(factory=list)

    @classmethod
    def of(cls, r: Any, parent_edges: np.ndarray | None = None) -> RouteInfo:
        policy = {"policy": r.policy, "detour_cap": r.detour_cap,
                  "length_limit_km": r.length_limit_km, "beyond_band": r.beyond_band}
        if not r.found:
            return cls(r.kind, False, **policy)
        ids = np.asarray(r.edge_ids, dtype=np.int64)
        if parent_edges is not None and len(ids):
            ids = parent_edges[ids]
        return cls(r.kind, True, r.length_km, r.detour, r.min_clearance_km,
                   r.worst_band or None, r.status, dict(r.km_by_band), list(r.refs),
                   **policy, edge_ids=[int(x) for x in ids])


@dataclass
class TradeoffPoint:
    """A point of the trade-off between a route's length and its safety: the route chosen
    for each constraint in ``meets`` ("shortest": the shortest held-avoiding route;
    "least within <band>": the fewest km within that band, then the shortest, which is
    the shortest route staying beyond the band where one does; "safest": the safest
    route within the detour cap). ``km_within`` gives the km within each band or closer;
    ``extra_km``, ``extra_clearance_km`` and ``less_within_km`` compare the point with the
    previous, shorter one ("+20 km buys +2 km clearance"). Points that a shorter one
    matches on clearance and on km within every band are left out; constraints no route
    meets come last, not found."""

    meets: list[str]
    found: bool
    length_km: float | None
    detour: float | None
    min_clearance_km: float | None
    worst_band: str | None
    route_numbers: list[str]
    km_within: dict[str, float]
    extra_km: float | None
    extra_clearance_km: float | None
    less_within_km: dict[str, float]
    note: str | None  # the comparison in words, or why no route meets the constraint
    edge_ids: list[int] = internal(factory=list)

    @classmethod
    def of(cls, p: Any, parent_edges: np.ndarray | None = None) -> TradeoffPoint:
        r = RouteInfo.of(p.route, parent_edges)
        note = p.reason
        if p.extra_km is not None:
            gains = []
            dc = p.extra_clearance_km
            if dc is not None and dc > 0:
                gains.append(f"{dc:+.1f} km clearance")
            gains += [f"{v:.1f} km less within {b}" for b, v in p.less_within_km.items()]
            note = f"{p.extra_km:+.1f} km" + (" buys " + ", ".join(gains) if gains else "")
            if dc is not None and dc < 0:
                note += f" (min clearance {dc:+.1f} km)"
        return cls(list(p.meets), r.found, r.length_km, r.detour, r.min_clearance_km,
                   r.worst_band, r.route_numbers, dict(p.within_km), p.extra_km,
                   p.extra_clearance_km, dict(p.less_within_km), note, r.edge_ids)


@dataclass
class HubRoutes:
    """The routes to one hub, the pair's status, and the length / clearance trade-off."""

    hub: PlaceRef
    status: str
    peacetime: RouteInfo
    avoid_held: RouteInfo
    safest: RouteInfo
    beyond: RouteInfo | None = None  # when a band was asked (options.route_beyond_band)
    tradeoff: list[TradeoffPoint] = field(default_factory=list)


@dataclass
class Bottleneck:
    """An edge of a minimum cut between the city and its hubs."""

    edge: int
    route_number: str | None
    road_class: str
    lon: float
    lat: float
    near: str | None
    clearance_km: float | None
    band: str | None = None


@dataclass
class BandRoutes:
    """Edge-disjoint routes staying beyond one level (``held``: avoiding held territory)."""

    band: str
    beyond_km: float  # the routes keep farther than this from held territory
    disjoint_routes: int


@dataclass
class ResilienceInfo:
    """Edge-disjoint routes from the city area to the hub areas beyond each band, and
    where they fail.

    ``disjoint_routes`` is the count beyond ``beyond_band`` (the options' headline band).
    ``bottleneck``: a minimum cut at ``bottleneck_band``, the last level with routes
    (cutting these edges leaves no route staying beyond it). ``cut_band``: the first
    level without routes; ``cut_at_city`` / ``cut_at_hubs``: the city's / the hubs' own
    area lies within that band; otherwise ``cut``: the fewest edges within the band that
    every route of the level before must use. ``summary`` says it in words."""

    beyond_band: str
    disjoint_routes: int
    by_band: list[BandRoutes] = field(default_factory=list)
    bottleneck_band: str | None = None
    bottleneck: list[Bottleneck] = field(default_factory=list)
    cut_band: str | None = None
    cut_at_city: bool = False
    cut_at_hubs: bool = False
    cut: list[Bottleneck] = field(default_factory=list)
    summary: str = ""


@dataclass
class HubStatus:
    """One hub's pair status and its safest route (a row of the timeline's routes table)."""

    hub: PlaceRef
    status: str
    safest_length_km: float | None
    safest_min_clearance_km: float | None
    safest_length_limit_km: float | None
    peacetime_length_km: float | None
    peacetime_status: str
    peacetime_min_clearance_km: float | None


@dataclass
class ModeSummary:
    """One mode (road or rail): the best status over the hubs and each hub's."""

    mode: str
    status: str | None
    best_min_clearance_km: float | None
    disjoint_routes: int | None
    hubs: list[HubStatus] = field(default_factory=list)
    error: str | None = None
    disjoint_routes_by_band: dict[str, int] = field(default_factory=dict)


@dataclass
class ModeRoutes:
    """One mode in full: every route to every hub and the resilience with its cuts."""

    mode: str
    status: str | None
    best_min_clearance_km: float | None
    disjoint_routes: int | None
    hubs: list[HubRoutes] = field(default_factory=list)
    resilience: ResilienceInfo | None = None
    error: str | None = None


@dataclass
class HubInfo:
    """A rear hub, its distance and direction from the city."""

    hub: PlaceRef
    distance_km: float
    bearing_deg: int
    direction: str


@dataclass
class Ring:
    radius_km: float
    held_share: float
    band_share: dict[str, float]
    held_ranges: list[list[float]]
    description: list[str]


@dataclass
class Approach:
    """A direction from which held ground approaches the city (nearest first)."""

    bearing_deg: float
    direction: str
    distance_km: float
    span: list[float]


@dataclass
class FlankArm:
    """Held ground level with or behind the city on one side of its rear axis.

    ``tip``: the arm's point closest to the rear axis (of equals, the rearmost);
    ``from_axis_km`` its distance from the axis, ``behind_km`` how far behind the city it
    lies along the axis, ``from_city_km`` its distance from the centre. ``reach_km``: how
    far behind the city the arm extends at all; ``at_limit``: the tip is on the edge of
    the disc searched, the arm may go on beyond it."""

    side: str
    tip: PointInfo
    bearing_deg: float
    direction: str
    from_axis_km: float
    behind_km: float
    from_city_km: float
    reach_km: float
    at_limit: bool


@dataclass
class PocketInfo:
    """Whether the city lies in open ground that reaches the rear only through a neck
    (see :func:`supplyline.core.encirclement.pocket`)."""

    pocket: bool
    closed: bool
    way_out_width_km: float | None
    neck_width_km: float | None
    neck: PointInfo | None
    area_km2: float | None
    room_km: float | None
    reason: str
    thresholds: dict[str, float]


@dataclass
class Flanks:
    """Held ground relative to the city's rear axis: flank arms, pincer, pocket.

    ``rear_bearing_deg``: the rear axis (the mean bearing from the city to its rear hubs,
    None without hubs); ``arms``: left and right facing the rear, within ``radius_km``;
    ``pincer``: arms on both sides; ``gap_km`` the shortest distance between them (``gap``
    its two ends); ``axis_held_km``: held ground on the rear axis itself, that far behind
    the city. ``approaches``: where held ground is nearest, whatever the rear."""

    rear_bearing_deg: float | None
    rear_direction: str | None
    rear_hubs: list[str]
    radius_km: float
    arms: list[FlankArm]
    pincer: bool
    gap_km: float | None
    gap: list[PointInfo]
    axis_held_km: float | None
    pocket: PocketInfo
    approaches: list[Approach]
    description: str


@dataclass
class PointInfo:
    lon: float
    lat: float
    near: str | None = None


# --------------------------------------------------------------------------- results

@dataclass
class Dated(Result):
    """Fields every date-keyed result starts with."""

    city: PlaceRef
    lookup: Lookup
    date: str
    data_date: str
    data_exact: bool


@dataclass
class StatusResult(Dated):
    """``supplyline status``: where the front is, the rear hubs and the route status.

    ``distance_to_front_km`` is measured from hostile ground as ``method.measured_from``
    says (held territory, the grey zone where known, the other side of the state
    border); ``centre_band`` classifies it. ``distance_to_held_km`` is from held territory
    only."""

    centre_held: bool
    distance_to_front_km: float | None
    distance_to_held_km: float | None
    centre_band: str
    hubs: list[HubInfo]
    modes: dict[str, ModeSummary]
    method: dict[str, Any]


@dataclass
class RoutesResult(Dated):
    """``supplyline routes``: every route to every hub per mode, and resilience."""

    centre_held: bool
    distance_to_front_km: float | None
    distance_to_held_km: float | None
    hubs: list[PlaceRef]
    modes: dict[str, ModeRoutes]
    bands: list[dict[str, Any]]
    clearance_cap_km: float
    method: dict[str, Any]
    #: (mode, edge ids) -> the merged line of those network edges (metric CRS)
    edge_geometry: Any = internal()

    def to_geodataframe(self) -> Any:
        """Every route found as a line (lon/lat), with its figures."""
        return route_lines(self)


@dataclass
class EncirclementResult(Dated):
    """``supplyline encirclement``: rings, flanks, the corridor to the rear.

    A ring's ``held_share`` is held territory only; its ``band_share`` classifies each
    point's distance from hostile ground (``method.measured_from``)."""

    centre_held: bool
    distance_to_front_km: float | None
    distance_to_held_km: float | None
    held_area_km2: float
    held_area_radius_km: float
    rings: list[Ring]
    flanks: Flanks
    hubs: list[PlaceRef]
    corridor_width_km: float | None
    corridor_connected: bool | None
    corridor_narrowest: PointInfo | None
    method: dict[str, Any]
    centre_xy: tuple[float, float] = internal((0.0, 0.0))

    def to_geodataframe(self) -> Any:
        """The rings as circles (lon/lat) with their held share."""
        import geopandas as gpd
        import shapely

        from ..crs import GEOGRAPHIC_CRS, METRIC_CRS

        c = shapely.points(*self.centre_xy)
        geoms = [shapely.boundary(shapely.buffer(c, r.radius_km * 1000, quad_segs=32))
                 for r in self.rings]
        rows = [{"city": self.city.name, "date": self.date, "radius_km": r.radius_km,
                 "held_share": r.held_share} for r in self.rings]
        return gpd.GeoDataFrame(rows, geometry=geoms, crs=METRIC_CRS).to_crs(GEOGRAPHIC_CRS)


@dataclass
class TargetDistance:
    """Distance from held territory to one target and when it was first reached."""

    target: str
    distance_km: float | None
    reached: bool
    first_reached: str | None
    tolerance_km: float
    min_km_in_history: float | None
    note: str | None = None
    place: PlaceRef | None = None
    lookup: Lookup | None = None
    stretch: str | None = None


@dataclass
class DistanceResult(Dated):
    """``supplyline distance``: targets near a city and when held territory reached them.
    Line targets are split into stretches relative to the rear axis (the bearing from the
    city to its rear hubs, ``rear_bearing_deg``)."""

    history_first: str
    history_last: str
    rear_bearing_deg: float | None
    targets: list[TargetDistance]


@dataclass
class PlacesResult(Result):
    """``supplyline places``: population held and in each band, largest places not held."""

    area: dict[str, Any]
    date: str
    data_date: str
    data_exact: bool
    largest_not_held: dict[str, Any]
    population_by_band: dict[str, Any]
    change: dict[str, Any] | None = None


@dataclass
class AxesResult(Dated):
    """``supplyline axes``: what lies along each bearing out of a city."""

    length_km: float
    width_km: float
    step_km: float
    axes: list[dict[str, Any]]
    summary: str
    notes: str
    towards: dict[str, Any] | None = None


def route_lines(res: RoutesResult) -> Any:
    """GeoDataFrame (lon/lat) of every route in a :class:`RoutesResult` (the network's
    edges along each route, merged)."""
    import geopandas as gpd

    from ..crs import GEOGRAPHIC_CRS, METRIC_CRS

    rows, geoms = [], []
    for mode, block in res.modes.items():
        for pair in block.hubs:
            for r in (pair.peacetime, pair.avoid_held, pair.safest, pair.beyond):
                if r is None or not r.found or not r.edge_ids:
                    continue
                geoms.append(res.edge_geometry(mode, r.edge_ids))
                rows.append({"city": res.city.name, "city_id": res.city.id, "hub": pair.hub.name,
                             "hub_id": pair.hub.id, "mode": mode, "kind": r.kind,
                             "pair_status": pair.status, "status": r.status,
                             "length_km": r.length_km, "detour": r.detour,
                             "min_clearance_km": r.min_clearance_km,
                             "route_numbers": " > ".join(r.route_numbers) or None,
                             "policy": r.policy, "date": res.data_date})
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs=METRIC_CRS)
    return gdf.to_crs(GEOGRAPHIC_CRS)


RESULT_TYPES: dict[str, type] = {
    "status": StatusResult, "routes": RoutesResult, "encirclement": EncirclementResult,
    "distance": DistanceResult, "places": PlacesResult, "axes": AxesResult,
}


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a result kind (``status``, ``routes``,
    ``encirclement``, ...), derived from its dataclass (internal fields left out)."""
    defs: dict[str, Any] = {}
    root = _schema_of(RESULT_TYPES[kind], defs)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **root, "$defs": defs}


def _schema_of(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    import types
    import typing

    origin = typing.get_origin(tp)
    if tp is Any:
        return {}
    if tp is type(None):
        return {"type": "null"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_schema_of(a, defs) for a in typing.get_args(tp)]}
    if origin in (list, tuple):
        args = typing.get_args(tp)
        return {"type": "array", "items": _schema_of(args[0], defs) if args else {}}
    if origin is dict:
        args = typing.get_args(tp)
        return {"type": "object",
                "additionalProperties": _schema_of(args[1], defs) if args else {}}
    if is_dataclass(tp) and isinstance(tp, type):  # a dataclass type, not an instance
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder against recursion
            hints = typing.get_type_hints(tp)
            props = {f.name: _schema_of(hints[f.name], defs) for f in fields(tp)
                     if not f.metadata.get("internal")}
            defs[name] = {"type": "object", "properties": props,
                          "required": sorted(props), "additionalProperties": False}
            if tp.__doc__:
                defs[name]["description"] = " ".join(tp.__doc__.split())
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"no JSON Schema for {tp!r}")
