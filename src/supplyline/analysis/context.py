"""One-call analyses over the library, used by the CLI and notebooks.

>>> from supplyline.analysis import Workspace
>>> ws = Workspace()                       # finds ../shared/data or the download cache
>>> ws.status("Pokrovsk", "2025-01-31")    # dict: distance to held territory, hubs, routes
>>> ws.routes("Pokrovsk", "2025-01-31")    # peacetime / avoid-held / safest, resilience
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pyproj
import shapely

from ..core.exposure import ExposureCache, HeldIndex, ThreatProfile
from ..core.routes import (
    Chains,
    EdgeExposure,
    PairResult,
    RouteEngine,
    city_radius_m,
    pair_status,
    resilience,
)
from ..crs import GEOGRAPHIC_CRS, METRIC_CRS, lonlat_xy, to_metric
from ..data.control import ControlHistory, HeldTerritory, parse_date
from ..data.network import BuildParams, Network, load_network
from ..data.places import Gazetteer, Match, Place
from ..errors import (
    InvalidArgumentError,
    OffNetworkError,
    PlaceNotFoundError,
    SupplylineError,
)
from ..io.sources import DataSources, locate
from ..settings import get_settings

GEOD = pyproj.Geod(ellps="WGS84")
COMPASS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
           "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]

#: Defaults for automatic rear-hub selection.
HUB_MIN_POPULATION = 100_000
HUB_MIN_KM, HUB_MAX_KM = 30.0, 300.0
HUB_MAX_COUNT = 3
#: Region margin around city and hubs within which routes are searched.
REGION_MARGIN_M = 60_000.0
#: Farthest a place may lie from its nearest network node.
MAX_SNAP_M = 15_000.0


def compass(bearing_deg: float) -> str:
    return COMPASS[int(((bearing_deg % 360) + 11.25) // 22.5) % 16]


@dataclass
class CityContext:
    match: Match
    held: HeldTerritory
    centre_clearance_m: float
    centre_held: bool

    @property
    def place(self) -> Place:
        return self.match.place


def _check_args(**kw) -> None:
    """Types of the Workspace arguments, as one :class:`InvalidArgumentError` line."""
    def bad(name: str, want: str) -> InvalidArgumentError:
        return InvalidArgumentError(f"Workspace({name}={kw[name]!r}): expected {want}")

    for name in ("data_dir", "control_file"):
        v = kw[name]
        if v is not None and (not isinstance(v, str | os.PathLike) or not str(v).strip()):
            raise bad(name, "a path (str or pathlib.Path) or None")
    prof = kw["profile"]
    if prof is not None and not isinstance(prof, ThreatProfile):
        hint = f" such as ThreatProfile.parse({prof!r})" if isinstance(prof, str) else ""
        raise bad("profile", f"a ThreatProfile{hint} or None")
    if not isinstance(kw["use_cache"], bool):
        raise bad("use_cache", "True or False")
    if kw["build_params"] is not None and not isinstance(kw["build_params"], BuildParams):
        raise bad("build_params", "a BuildParams or None")
    if kw["network_source"] is not None and not isinstance(kw["network_source"], str):
        raise bad("network_source", "'egm', 'osm' or None")
    if not isinstance(kw["date_column"], str) or not kw["date_column"]:
        raise bad("date_column", "a column name")


class Workspace:
    """Lazily loaded data (history, networks, places) and the analyses over them."""

    def __init__(self, data_dir: str | Path | None = None, *,
                 profile: ThreatProfile | None = None, use_cache: bool = True,
                 build_params: BuildParams | None = None, progress=None,
                 network_source: str | None = None, control_file: str | Path | None = None,
                 date_column: str = "date"):
        _check_args(data_dir=data_dir, profile=profile, use_cache=use_cache,
                    build_params=build_params, network_source=network_source,
                    control_file=control_file, date_column=date_column)
        settings = get_settings()
        self.data_dir = data_dir
        #: dated polygons (GeoJSON/GeoPackage/GeoParquet with ``date_column``) used instead
        #: of the DeepState files; env SUPPLYLINE_CONTROL ("path" or "path::column")
        if control_file is None and settings.control_file is not None:
            control_file = settings.control_file
            date_column = settings.control_date_column or date_column
        self.control_file = control_file
        self.date_column = date_column
        #: "egm" (EuroGlobalMap GeoPackage, default) or "osm" (the .osm.pbf extract);
        #: env SUPPLYLINE_NETWORK sets the default.
        self.network_source = (network_source or settings.network or "egm").lower()
        if self.network_source not in ("egm", "osm"):
            raise SupplylineError(f"network source {self.network_source!r}: expected egm or osm")
        self.profile = profile or ThreatProfile()
        self.use_cache = use_cache
        self.build_params = build_params or BuildParams()
        self.progress = progress
        self._networks: dict[str, Network] = {}
        self._held_cache = ExposureCache()
        self._exposure_cache = ExposureCache(maxsize=32)
        self._engine_cache = ExposureCache(maxsize=8)
        self._regions: dict[tuple, np.ndarray] = {}
        self._region_nets: dict[int, tuple[np.ndarray, Network]] = {}
        self._chains: dict[tuple, tuple[Network, Chains]] = {}
        self._path_memo: dict[tuple, tuple] = {}

    # ------------------------------------------------------------------ data
    @cached_property
    def sources(self) -> DataSources:
        return locate(self.data_dir)

    @cached_property
    def history(self) -> ControlHistory:
        if self.control_file is not None:
            return ControlHistory.from_file(self.control_file, date_column=self.date_column)
        return ControlHistory.from_deepstate_dir(self.sources.require("deepstate"),
                                                 use_cache=self.use_cache,
                                                 progress=self.progress)

    @cached_property
    def gazetteer(self) -> Gazetteer:
        with self.step("Loading places"):
            return Gazetteer.load(oblasts_path=self.sources.oblasts.path,
                                  egm_path=self.sources.egm.path)

    @contextmanager
    def step(self, description: str):
        """Show ``description`` on the progress display (if any) while the block runs."""
        if self.progress is None:
            yield
            return
        task = self.progress.add_task(description, total=None)
        try:
            yield
        finally:
            self.progress.remove_task(task)

    def network(self, mode: str) -> Network:
        if mode not in ("road", "rail"):
            raise SupplylineError(f"mode {mode!r}: expected 'road' or 'rail'")
        if mode not in self._networks:
            with self.step(f"Loading the {mode} network"):
                self._networks[mode] = self._load_network(mode)
        return self._networks[mode]

    def _load_network(self, mode: str) -> Network:
        if self.network_source == "osm":
            from ..io.osm import load_osm_lines

            pbf = self.sources.require("osm")
            return load_network(mode, lines=load_osm_lines(pbf, modes=(mode,)),
                                source_files=[pbf], params=self.build_params,
                                use_cache=self.use_cache)
        return load_network(mode, egm_path=self.sources.require("egm"),
                            params=self.build_params, use_cache=self.use_cache)

    # ------------------------------------------------------------------ helpers
    def find(self, name: str) -> Match:
        return self.gazetteer.find(name)

    def held_index(self, held: HeldTerritory) -> HeldIndex:
        return self._held_cache.get((held.date,), lambda: HeldIndex.build(held.geometry))

    def city_context(self, name: str, date: str | dt.date) -> CityContext:
        match = self.find(name)
        held = self.history.held(parse_date(date))
        idx = self.held_index(held)
        d, inside = idx.point_clearance(np.array([match.place.xy]))
        return CityContext(match, held, float(d[0]), bool(inside[0]))

    def describe_point(self, x: float, y: float) -> dict:
        """Lon/lat and the nearest named place (population >= 1000) of a metric point."""
        lon, lat = lonlat_xy(x, y)
        near = self.gazetteer.nearby((x, y), 30_000, min_population=1000)
        out = {"lon": round(float(lon), 5), "lat": round(float(lat), 5)}
        if len(near):
            r = near.sort_values("distance_m").iloc[0]
            b = GEOD.inv(r["lon"], r["lat"], lon, lat)[0]
            out["near"] = f"{r['distance_m'] / 1000:.1f} km {compass(b)} of {r['name']}"
        return out

    def bearing_km(self, a: Place, b: Place) -> tuple[float, float]:
        az, _, dist = GEOD.inv(a.lon, a.lat, b.lon, b.lat)
        return az % 360, dist / 1000

    def default_hubs(self, ctx: CityContext, count: int = HUB_MAX_COUNT) -> list[Place]:
        """Large places behind the city: away from the front, out of artillery range."""
        g = self.gazetteer
        net = self.network("road")
        lo = net.node_xy.min(axis=0) + 5000
        hi = net.node_xy.max(axis=0) - 5000
        pl = g.places
        xy = g.xy
        cxy = np.asarray(ctx.place.xy)
        dist = np.hypot(*(xy - cxy).T)
        cand = np.flatnonzero(
            (pl["population"].to_numpy() >= HUB_MIN_POPULATION)
            & (dist >= HUB_MIN_KM * 1000) & (dist <= HUB_MAX_KM * 1000)
            & np.all((xy >= lo) & (xy <= hi), axis=1)
            & (pl["source"].to_numpy() == "geonames")
        )
        cand = cand[~g.district[cand]]
        if len(cand) == 0:
            return []
        clear, inside = self.held_index(ctx.held).point_clearance(xy[cand])
        tube = self.profile.bands[min(2, len(self.profile.bands) - 1)].max_km * 1000
        ok = (~inside) & (clear >= tube) & (clear >= ctx.centre_clearance_m + 10_000)
        cand = cand[ok]
        # one hub per urban area: drop places within 25 km of a larger candidate
        cand = cand[np.argsort(-pl["population"].to_numpy()[cand])]
        kept: list[int] = []
        for i in cand:
            if all(np.hypot(*(xy[i] - xy[j])) > 25_000 for j in kept):
                kept.append(int(i))
        kept.sort(key=lambda i: dist[i])
        return [g.place(i) for i in kept[:count]]

    def resolve_hubs(self, ctx: CityContext, hubs: list[str] | None) -> list[Place]:
        if hubs:
            return [self.find(h).place for h in hubs]
        found = self.default_hubs(ctx)
        if not found:
            raise PlaceNotFoundError(
                f"no rear hub found automatically for {ctx.place.name} on {ctx.held.date}; "
                "name one with --to")
        return found

    def region_edges(self, net: Network, places: list[Place]) -> np.ndarray:
        """Edges of ``net`` whose midpoint lies in the box around ``places`` widened by
        ``REGION_MARGIN_M`` (ascending ids; memoised per network and places: the array
        returned is shared and must not be modified)."""
        xy = np.asarray([p.xy for p in places], dtype=float)
        key = (id(net), net.mode, xy.tobytes())
        ids = self._regions.get(key)
        if ids is None:
            lo = xy.min(axis=0) - REGION_MARGIN_M
            hi = xy.max(axis=0) + REGION_MARGIN_M
            mid = net.edge_mid_xy
            ids = np.flatnonzero(np.all((mid >= lo) & (mid <= hi), axis=1))
            ids.flags.writeable = False
            if len(self._regions) >= 64:
                self._regions.clear()
            self._regions[key] = ids
        return ids

    def engine(self, mode: str, held: HeldTerritory, places: list[Place]) -> RouteEngine:
        """The route engine of ``mode`` over the region of ``places`` on ``held``'s day
        (memoised: the same date asked again reuses it)."""
        net = self.network(mode)
        ids = self.region_edges(net, places)
        region = (mode, ids[0] if len(ids) else -1, ids[-1] if len(ids) else -1, len(ids))
        key = (*region, held.date)

        def build() -> RouteEngine:
            exp = self._exposure_cache.get(key, lambda: self._exposure(net, held, ids))
            return RouteEngine(net, exp, self.profile)

        return self._engine_cache.get(key, build)

    def region_engine(self, mode: str, held: HeldTerritory, places: list[Place]
                      ) -> RouteEngine | None:
        """The engine of :meth:`engine` over the region's edges taken as a compact network
        (:meth:`Network.subnetwork`, memoised per region: ``parent_nodes`` and
        ``parent_edges`` map its ids back), or None for an empty region.

        Nodes and edges keep their order (ids renumbered in ascending order), so the
        graphs hold the same arcs in the same order and every search takes the same
        steps: the same routes, bottlenecks and cuts as on the whole network, found on
        graphs of the region's size rather than the whole network's."""
        net = self.network(mode)
        ids = self.region_edges(net, places)
        if len(ids) == 0:
            return None
        key = ("region", mode, ids[0], ids[-1], len(ids), held.date)

        def build() -> RouteEngine:
            exp = self.engine(mode, held, places).exp
            hit = self._region_nets.get(id(ids))
            if hit is None or hit[0] is not ids:
                if len(self._region_nets) >= 8:
                    self._region_nets.clear()
                hit = self._region_nets[id(ids)] = (ids, net.subnetwork(ids))
            local = EdgeExposure(np.arange(len(ids)), exp.clearance, exp.held, exp.band,
                                 exp.index)
            return RouteEngine(hit[1], local, self.profile)

        return self._engine_cache.get(key, build)

    def _exposure(self, net: Network, held: HeldTerritory, ids: np.ndarray) -> EdgeExposure:
        """Exposure of the edges ``ids`` on ``held``'s day, measured in full.

        Measuring the region afresh costs less than moving another day's exposure over
        (:meth:`EdgeExposure.updated`): finding the changed boxes and the edges near them
        took longer than the KD-tree searches it saved, as a change anywhere within the
        clearance cap (~70 km) sends most of a front-line region to be measured again."""
        return EdgeExposure.compute(net, self.held_index(held), self.profile, ids)

    # ------------------------------------------------------------------ analyses
    def status(self, city: str, date: str | dt.date, *, to: str = "Dnipro") -> dict:
        """Distance to held territory, oblast, nearest rear hubs, routes to ``to``."""
        ctx = self.city_context(city, date)
        p = ctx.place
        hubs = self.default_hubs(ctx, count=5)
        target = self.find(to).place
        hub_rows = []
        for h in hubs:
            b, km = self.bearing_km(p, h)
            hub_rows.append({"name": h.name, "population": h.population, "oblast": h.oblast,
                             "distance_km": round(km, 1), "bearing_deg": round(b),
                             "direction": compass(b)})
        routes = {}
        for mode in ("road", "rail"):
            try:
                routes[mode] = self.routes_for(ctx, [target], mode)[0].as_dict()
            except OffNetworkError as exc:  # the rest of the status still stands
                routes[mode] = {"mode": mode, "hub": target.name, "error": str(exc)}
        return {
            "city": p.as_dict(), "lookup": ctx.match.note(),
            "date": str(ctx.held.requested), "data_date": str(ctx.held.date),
            "data_exact": ctx.held.exact,
            "oblast": p.oblast or self.gazetteer.oblast_at(p.xy),
            "centre_held": ctx.centre_held,
            "distance_to_held_km": round(ctx.centre_clearance_m / 1000, 2),
            "centre_band": self.profile.band_name(ctx.centre_clearance_m, ctx.centre_held),
            "rear_hubs": hub_rows,
            "clearance_cap_km": self.profile.cap_m / 1000,
            "routes_to": target.name,
            "routes": routes,
        }

    def snap(self, net: Network, place: Place) -> int:
        """The network node for a place; an error when the network does not reach it."""
        node, d = net.nearest_node(place.xy)
        if d > MAX_SNAP_M:
            lo = lonlat_xy(*net.node_xy.min(axis=0))
            hi = lonlat_xy(*net.node_xy.max(axis=0))
            raise OffNetworkError(
                f"{place.name}: the {net.mode} network's nearest node is {d / 1000:.0f} km "
                f"away (more than {MAX_SNAP_M / 1000:.0f} km): the place is outside the "
                f"network's extent (about {lo[0]:.1f}-{hi[0]:.1f} E, "
                f"{lo[1]:.1f}-{hi[1]:.1f} N)")
        return node

    def routes_for(self, ctx: CityContext, hubs: list[Place], mode: str) -> list[PairResult]:
        places = [ctx.place, *hubs]
        eng = self.engine(mode, ctx.held, places)
        net = eng.net
        src = self.snap(net, ctx.place)
        targets = [(h.name, self.snap(net, h)) for h in hubs]
        # peacetime paths do not depend on the date; avoid-held paths only on which edges
        # are held: both are kept for the next query on this region (the slider)
        key = (mode, src, tuple(targets), len(eng.exp.ids), int(eng.exp.ids.sum()))
        # routed on the region's compact network when it holds the source and every hub
        # (the same routes, see region_engine), else on the whole network
        run, source, ends, back = eng, src, targets, None
        local = self.region_engine(mode, ctx.held, places)
        if local is not None:
            pos, ok = _local_nodes(local.net, np.array([src, *(t for _, t in targets)]))
            if ok.all():
                source, back = int(pos[0]), local.net.parent_edges
                ends = [(name, int(p)) for (name, _), p in zip(targets, pos[1:], strict=True)]
                key = (*key, "region")
                # searches on the region with its degree-2 chains contracted (memoised per
                # region and end points: the slider asks the same again)
                ck = (id(local.net), source, *(t for _, t in ends))
                hit = self._chains.get(ck)
                if hit is None or hit[0] is not local.net:
                    if len(self._chains) >= 16:
                        self._chains.clear()
                    hit = self._chains[ck] = (local.net, Chains(
                        local.net, np.array([source, *(t for _, t in ends)], np.int64)))
                run = RouteEngine(local.net, local.exp, self.profile, chains=hit[1])
        held_key = run.exp.held.tobytes()
        memo = self._path_memo.get(key)
        peace = memo[0] if memo else None
        avoid = memo[2] if memo and memo[1] == held_key else None
        res = run.routes(source, ends, peace=peace, avoid=avoid)
        self._path_memo[key] = (
            [r["peacetime"].edge_ids if r["peacetime"].found else None for r in res.values()],
            held_key,
            [r["avoid_held"].edge_ids if r["avoid_held"].found else None for r in res.values()])
        if back is not None:  # edge ids of the whole network
            for r in res.values():
                for route in r.values():
                    if route.edge_ids:
                        route.edge_ids = back[np.asarray(route.edge_ids)].tolist()
        return [PairResult(ctx.place.name, name, mode, pair_status(r), r)
                for name, r in res.items()]

    def routes(self, city: str, date: str | dt.date, *, to: list[str] | None = None,
               modes: tuple[str, ...] = ("road", "rail"), beyond_band: str = "fpv",
               main_roads_only: bool = True) -> dict:
        """All routes city -> hubs per mode, and the resilience of each mode."""
        ctx = self.city_context(city, date)
        hubs = self.resolve_hubs(ctx, to)
        out: dict = {
            "city": ctx.place.as_dict(), "lookup": ctx.match.note(),
            "date": str(ctx.held.requested), "data_date": str(ctx.held.date),
            "data_exact": ctx.held.exact,
            "distance_to_held_km": round(ctx.centre_clearance_m / 1000, 2),
            "profile": self.profile.as_dict(),
            "clearance_cap_km": self.profile.cap_m / 1000,
            "hubs": [h.as_dict() for h in hubs], "modes": {},
        }
        for mode in modes:
            pairs = self.routes_for(ctx, hubs, mode)
            eng = self.engine(mode, ctx.held, [ctx.place, *hubs])
            net = eng.net
            r_city = city_radius_m(ctx.place.population)
            src_nodes = _nodes_within(net, ctx.place.xy, r_city)
            sink_nodes = np.concatenate([_nodes_within(net, h.xy, city_radius_m(h.population))
                                         for h in hubs])
            classes = (("motorway", "primary", "secondary") if mode == "road" and main_roads_only
                       else None)
            # on the region's compact network: a city or hub node outside it touches no
            # usable edge, so leaving it out changes neither the flow nor the cut
            local = self.region_engine(mode, ctx.held, [ctx.place, *hubs])
            if local is not None:
                pos, ok = _local_nodes(local.net, src_nodes)
                src_nodes = pos[ok]
                pos, ok = _local_nodes(local.net, sink_nodes)
                sink_nodes = pos[ok]
            res = resilience(eng if local is None else local, src_nodes, sink_nodes,
                             beyond_band, classes, describe=self.describe_point)
            if local is not None:  # edge ids of the whole network
                for item in res.bottleneck_edges:
                    item["edge"] = int(local.net.parent_edges[item["edge"]])
            out["modes"][mode] = {
                "pairs": [p.as_dict() for p in pairs],
                "resilience": res.as_dict() | {"main_roads_only": bool(classes)},
            }
        return out

    def edge_exposure(self, mode: str, date: str | dt.date, *,
                      bbox: tuple[float, float, float, float] | None = None):
        """Every edge of the ``mode`` network (optionally within a lon/lat ``bbox``) with its
        clearance from held territory and band on ``date``, as a GeoDataFrame in lon/lat."""
        net = self.network(mode)
        held = self.history.held(parse_date(date))
        ids = np.arange(len(net.length))
        if bbox is not None:
            lo = to_metric(shapely.points(bbox[0], bbox[1]))
            hi = to_metric(shapely.points(bbox[2], bbox[3]))
            box = np.array([shapely.get_x(lo), shapely.get_y(lo), shapely.get_x(hi),
                            shapely.get_y(hi)])
            mid = net.edge_mid_xy
            ids = np.flatnonzero((mid[:, 0] >= box[0]) & (mid[:, 0] <= box[2]) &
                                 (mid[:, 1] >= box[1]) & (mid[:, 1] <= box[3]))
        exp = EdgeExposure.compute(net, self.held_index(held), self.profile, ids)
        fine = exp.fine_clearance(net, ids, self.profile.cap_m)
        clear = np.where(exp.held, 0.0, np.minimum(exp.clearance, fine))
        names = np.array(self.profile.names, dtype=object)
        e = net.edges.iloc[ids]
        out = e[["mode", "cls", "ref", "eref", "length"]].copy()
        out["clearance_km"] = np.round(clear / 1000, 3)
        out["clearance_capped"] = clear >= self.profile.cap_m - 1e-6
        out["held"] = exp.held
        out["band"] = names[self.profile.classify(clear, exp.held)]
        out["date"] = str(held.date)
        return out.set_geometry(e.geometry).to_crs(GEOGRAPHIC_CRS)

    # ------------------------------------------------------------------ encirclement
    def encirclement(self, city: str, date: str | dt.date, *,
                     radii_km: tuple[float, ...] = (5, 10, 20, 30),
                     to: list[str] | None = None) -> dict:
        """Ring occupancy, flanks/pincer, and corridor width (open ground and roads)."""
        from ..core.encirclement import corridor, flanks, ring_occupancy

        ctx = self.city_context(city, date)
        g = ctx.held.geometry
        rings = ring_occupancy(g, ctx.place.xy, tuple(radii_km), self.profile)
        fl = flanks(g, ctx.place.xy)
        out = {"city": ctx.place.as_dict(), "date": str(ctx.held.requested),
               "data_date": str(ctx.held.date), "data_exact": ctx.held.exact,
               "centre_held": ctx.centre_held,
               "distance_to_held_km": round(ctx.centre_clearance_m / 1000, 2),
               "rings": [r.as_dict() for r in rings], "flanks": fl.as_dict()}
        try:
            hubs = self.resolve_hubs(ctx, to)
        except PlaceNotFoundError:
            hubs = []
        out["rear"] = [h.name for h in hubs]
        if hubs:
            c = corridor(g, ctx.place.xy, [h.xy for h in hubs],
                         start_radius_m=city_radius_m(ctx.place.population))
            cd = c.as_dict()
            if c.narrowest_xy:
                cd["narrowest"] = self.describe_point(*c.narrowest_xy)
            out["corridor_open_ground"] = cd
            eng = self.engine("road", ctx.held, [ctx.place, *hubs])
            src, _ = eng.net.nearest_node(ctx.place.xy)
            bott = eng.bottleneck(src, [eng.net.nearest_node(h.xy)[0] for h in hubs])
            best = max(bott)
            out["corridor_road_km"] = round(best / 1000, 2) if best >= 0 else 0.0
        return out

    # ------------------------------------------------------------------ proximity
    def proximity(self, city: str, date: str | dt.date, *, place: str | None = None,
                  oblast: str | None = None, road: str | None = None, rail: bool = False,
                  radius_km: float = 30.0, tolerance_km: float = 1.0) -> dict:
        """Distance from held territory to a target near ``city`` and when it was reached."""
        from ..core.proximity import distance_series, line_near

        ctx = self.city_context(city, date)
        hist = self.history
        i, _ = hist.index_on(ctx.held.requested)
        targets = []
        if place:
            p = self.find(place).place
            targets.append((p.name, shapely.points(*p.xy)))
        if oblast:
            o = self.gazetteer.oblast(oblast)
            disc = shapely.buffer(shapely.points(*ctx.place.xy), radius_km * 1000)
            edge = shapely.intersection(shapely.boundary(o.geometry), disc)
            if edge.is_empty:
                raise SupplylineError(f"oblast {o.name_en!r}: its boundary is not within "
                                      f"{radius_km:.0f} km of {ctx.place.name}; increase --radius")
            targets.append((f"{o.name_en} boundary within {radius_km:.0f} km of "
                            f"{ctx.place.name}", edge))
        if road:
            targets.append((f"road {road} within {radius_km:.0f} km of {ctx.place.name}",
                            line_near(self.network("road"), ctx.place.xy, radius_km * 1000,
                                      road)))
        if rail:
            targets.append((f"railway within {radius_km:.0f} km of {ctx.place.name}",
                            line_near(self.network("rail"), ctx.place.xy, radius_km * 1000)))
        # a line is "reached" where it was not already held when the history starts
        first = shapely.buffer(hist.geoms[0], tolerance_km * 1000 + 100)
        lines = []
        for label, geom in targets:
            if shapely.get_type_id(geom) in (1, 5, 7):
                rest = shapely.difference(geom, first)
                if rest.is_empty:
                    raise SupplylineError(f"{label}: already held on {hist.first}, the first "
                                          "day of the history")
                lines.append((f"{label} (part not held on {hist.first})", rest))
            else:
                lines.append((label, geom))
        targets = lines
        if not targets:
            targets.append((ctx.place.name, shapely.points(*ctx.place.xy)))
        res = [distance_series(hist.geoms, hist.dates, geom, label).as_dict(i, tolerance_km)
               for label, geom in targets]
        return {"city": ctx.place.as_dict(), "date": str(ctx.held.requested),
                "data_date": str(ctx.held.date), "targets": res}

    def route_geometries(self, result: dict):
        """GeoDataFrame (lon/lat) of every route in a :meth:`routes` result, for GIS."""
        import geopandas as gpd

        rows, geoms = [], []
        for mode, block in result["modes"].items():
            net = self.network(mode)
            for pair in block["pairs"]:
                for kind, r in pair["routes"].items():
                    if not r["found"]:
                        continue
                    g = shapely.line_merge(shapely.union_all(
                        net.geoms[np.asarray(r["edge_ids"], dtype=np.int64)]))
                    geoms.append(g)
                    rows.append({"city": pair["city"], "hub": pair["hub"], "mode": mode,
                                 "kind": kind, "pair_status": pair["status"],
                                 "status": r["status"], "length_km": r["length_km"],
                                 "detour": r["detour"], "min_clearance_km": r["min_clearance_km"],
                                 "refs": " > ".join(r["refs"]), "date": result["data_date"]})
        gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs=METRIC_CRS)
        return gdf.to_crs(GEOGRAPHIC_CRS)


def _local_nodes(sub: Network, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ids in the compact network ``sub`` of its parent's ``nodes``, and which of them
    it holds."""
    nodes = np.asarray(nodes, dtype=np.int64)
    pos = np.searchsorted(sub.parent_nodes, nodes)
    ok = pos < len(sub.parent_nodes)
    ok[ok] = sub.parent_nodes[pos[ok]] == nodes[ok]
    return pos, ok


def _nodes_within(net: Network, xy: tuple[float, float], r: float) -> np.ndarray:
    idx = net._main_tree.query_ball_point(xy, r)
    nodes = net._main_nodes[np.asarray(idx, dtype=np.int64)]
    if len(nodes) == 0:
        nodes = np.asarray([net.nearest_node(xy)[0]])
    return nodes
