"""What the city page shows, as plain JSON: one page of a city, one layer set per date.

The city page (the web service's ``/city/...`` and the offline report, one front-end)
draws from two kinds of data, both built here from the same queries the CLI uses:

- :func:`page_data`: fixed for a city and a date range: the city, its rear hubs, the map
  region, base layers from the project's own data (main roads and railways with their
  route numbers, rivers, oblast boundaries, places), the palette, the day-by-day series
  of the timeline for the charts, the events, trends and backtested forecasts;
- :func:`day_data`: one date: held territory (and the grey zone where the data has
  it), the band zones around it, each base line's band and clearance
  (:func:`~supplyline.analysis.queries.edge_exposure`), the peacetime and safest routes
  to each hub (:func:`~supplyline.analysis.queries.routes`), the rings, the narrowest
  corridor point and the bottlenecks (:func:`~supplyline.analysis.queries.encirclement`),
  and the day's figures.

Coordinates are lon/lat rounded to :data:`COORD_DECIMALS`. Place names and every other
string stay data: the page sets them as text, never as HTML.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..analysis import queries
from ..analysis.figures import local_figures, route_edges
from ..analysis.results import PlaceRef, plain
from ..crs import lonlat_xy, metric_xy
from ..errors import SupplylineError
from ..i18n import N_
from .palette import palette_json

PAGE_SCHEMA = 1
#: Half-width of the map region around the city (km): its base lines are drawn and
#: coloured by band; routes are drawn in full wherever they go.
REGION_KM = 120.0
#: Half-width of the first view around the city (km).
VIEW_KM = 35.0
#: Simplification tolerances (m, metric CRS).
HELD_SIMPLIFY_M = 60.0
LINE_SIMPLIFY_M = 30.0
BOUNDARY_SIMPLIFY_M = 150.0
RIVER_SIMPLIFY_M = 120.0
ZONE_SIMPLIFY_M = 150.0
ROUTE_SIMPLIFY_M = 40.0
#: Decimal places of lon/lat (4: about 10 m).
COORD_DECIMALS = 4
MAX_PLACES = 60
PLACE_MIN_POPULATION = 3_000
MIN_RIVER_KM = 5.0
ATTRIBUTION = ("Control: DeepStateMap · Network, rivers: © EuroGeographics (EuroGlobalMap) · "
               "Boundaries: © OpenStreetMap contributors · Places: GeoNames · "
               "Map library: MapLibre GL JS (BSD-3-Clause)")
#: English in the data (one schema); the pages show it through ``SL.t``.
BAND_NOTE = N_("Threat bands are assumed reach distances from the front "
               "(strategic scale), not measurements.")


# --------------------------------------------------------------------------- geometry

def _lonlat(geom: Any) -> Any:
    """Metric-CRS geometry to lon/lat, rounded to :data:`COORD_DECIMALS`."""
    def tr(xy: np.ndarray) -> np.ndarray:
        lon, lat = lonlat_xy(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([lon, lat]), COORD_DECIMALS)

    return shapely.transform(geom, tr)


def geojson(geom: Any) -> dict[str, Any] | None:
    """A metric geometry as a GeoJSON geometry in lon/lat (None when empty)."""
    if geom is None or shapely.is_empty(geom):
        return None
    return json.loads(shapely.to_geojson(_lonlat(geom)))


def delta_ints(xy: np.ndarray) -> list[int]:
    """Lon/lat points as one flat list of integers in units of 1e-4 degree: the first
    point absolute, each next one as the step from the one before (about half the size
    of plain coordinates; the pages decode it)."""
    q = np.round(np.asarray(xy, dtype=float).reshape(-1, 2) * 10 ** COORD_DECIMALS)
    q = q.astype(np.int64)
    q[1:] -= q[:-1].copy()
    return q.ravel().tolist()


def _coords(geom_ll: Any) -> list[list[int]]:
    """Each line part of a lon/lat geometry, delta-encoded (:func:`delta_ints`)."""
    parts = shapely.get_parts(geom_ll)
    while len(parts) and np.isin(shapely.get_type_id(parts), (4, 5, 6, 7)).any():
        parts = shapely.get_parts(parts)
    out = []
    for p in parts:
        if shapely.get_type_id(p) == 1 and not p.is_empty:
            xy = shapely.get_coordinates(p)
            if len(xy) >= 2:
                out.append(delta_ints(xy))
    return out


# --------------------------------------------------------------------------- region

@dataclass
class CityRegion:
    """The map region of a city page and its base lines (fixed for the page)."""

    place: Any
    #: lon/lat bounds (west, south, east, north)
    bbox: tuple[float, float, float, float]
    #: the same region in the metric CRS (x0, y0, x1, y1)
    box: tuple[float, float, float, float]
    #: per mode, the network edges drawn, in the order of the page's lines
    line_ids: dict[str, np.ndarray]

    @property
    def polygon(self) -> Any:
        return shapely.box(*self.box)


def city_region(ws: Any, place: Any) -> CityRegion:
    """The region of ``place``'s page: a square of :data:`REGION_KM` around it (the same
    for every date and range, so a page and its dates agree on the lines), and the edges
    the routes may use (the options' road classes, every railway) whose midpoint lies in
    it: exactly the edges :func:`~supplyline.analysis.queries.edge_exposure` returns for
    the region's bbox."""
    cxy = np.asarray(place.xy, dtype=float)
    r = REGION_KM * 1000
    lon0, lat0 = lonlat_xy(cxy[0] - r, cxy[1] - r)
    lon1, lat1 = lonlat_xy(cxy[0] + r, cxy[1] + r)
    bbox = tuple(round(float(v), 5) for v in (lon0, lat0, lon1, lat1))
    x0, y0 = metric_xy(bbox[0], bbox[1])
    x1, y1 = metric_xy(bbox[2], bbox[3])
    box = (float(x0), float(y0), float(x1), float(y1))
    ids = {}
    for mode in ws.options.modes:
        net = ws.network(mode)
        mid = net.edge_mid_xy
        sel = route_edges(ws, mode, ws.options) & (mid[:, 0] >= box[0]) & \
            (mid[:, 0] <= box[2]) & (mid[:, 1] >= box[1]) & (mid[:, 1] <= box[3])
        ids[mode] = np.flatnonzero(sel)
    return CityRegion(place, bbox, box, ids)


def base_layers(ws: Any, region: CityRegion) -> dict[str, Any]:
    """The page's context layers from the project's own data: the drawn network lines
    (``kind``: an index into ``kinds``, [mode, class]; ``ref``: an index into ``refs``,
    the route numbers, or -1; ``coords`` delta-encoded), oblast boundaries, rivers and
    the larger places."""
    box = region.polygon
    kinds: dict[str, int] = {}
    refs: dict[str, int] = {}
    lines: dict[str, list] = {"kind": [], "ref": [], "coords": []}
    for mode, ids in region.line_ids.items():
        net = ws.network(mode)
        geoms = _lonlat(shapely.simplify(net.geoms[ids], LINE_SIMPLIFY_M))
        labels = [f"{r}/{e}" if r and e else r or e
                  for r, e in zip(net.attr["ref"][ids], net.attr["eref"][ids], strict=True)]
        for g, c, ref in zip(geoms, net.attr["cls"][ids], labels, strict=True):
            lines["kind"].append(kinds.setdefault(f"{mode}:{c}", len(kinds)))
            lines["ref"].append(refs.setdefault(ref, len(refs)) if ref else -1)
            lines["coords"].append(delta_ints(shapely.get_coordinates(g)))
    lines["kinds"] = [k.split(":", 1) for k in kinds]  # [mode, class] per kind
    lines["refs"] = list(refs)
    wide = shapely.buffer(box, 20_000, join_style="mitre")
    oblasts = []
    for o in ws.gazetteer.oblasts:
        g = shapely.intersection(shapely.boundary(o.geometry), wide)
        if not g.is_empty:
            oblasts.extend(_coords(_lonlat(shapely.simplify(g, BOUNDARY_SIMPLIFY_M))))
    return {"lines": lines, "oblasts": oblasts, "rivers": _rivers(ws, box),
            "places": _places(ws, box, region.place)}


def _rivers(ws: Any, box: Any) -> list[dict[str, Any]]:
    from ..data.egm import egm_extras

    try:
        egm = egm_extras(ws.sources.require("egm"))
    except (SupplylineError, OSError):
        return []
    idx = egm.river_tree.query(box, predicate="intersects")
    out = []
    for i in np.sort(idx):
        g = shapely.intersection(egm.rivers[i], box)
        if g.is_empty or g.length < MIN_RIVER_KM * 1000:
            continue
        for c in _coords(_lonlat(shapely.simplify(g, RIVER_SIMPLIFY_M))):
            out.append({"name": str(egm.river_names[i]) or None, "coords": c})
    return out


def _places(ws: Any, box: Any, city: Any) -> list[dict[str, Any]]:
    """The larger GeoNames places in ``box`` (city districts and the city itself left
    out), largest first, at most :data:`MAX_PLACES`."""
    g = ws.gazetteer
    pl, xy = g.places, g.xy
    x0, y0, x1, y1 = shapely.bounds(box)
    pop = pl["population"].to_numpy()
    ok = ((xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)
          & (pop >= PLACE_MIN_POPULATION) & ~g.district)
    if "source" in pl:
        ok &= pl["source"].to_numpy() == "geonames"
    idx = np.flatnonzero(ok)
    idx = idx[np.argsort(-pop[idx], kind="stable")]
    out, seen = [], {city.name}
    for i in idx:
        name = str(pl["name"].iat[i])
        if name in seen:
            continue
        seen.add(name)
        lon, lat = lonlat_xy(xy[i, 0], xy[i, 1])
        out.append({"name": name, "lon": round(float(lon), 5), "lat": round(float(lat), 5),
                    "population": int(pop[i])})
        if len(out) >= MAX_PLACES:
            break
    return out


BASE_LAYERS = ("roads", "railways", "rivers", "oblasts", "places")


def base_geojson(ws: Any, layer: str, bbox: tuple[float, float, float, float]
                 ) -> dict[str, Any]:
    """One base layer in a lon/lat ``bbox`` as GeoJSON: ``roads`` and ``railways`` (the
    edges routes may use, with class and route numbers), ``rivers`` (EGM watercourses),
    ``oblasts`` (boundaries) or ``places`` (GeoNames places of >= 1,000 people)."""
    if layer not in BASE_LAYERS:
        raise SupplylineError(f"layer {layer!r}: expected one of {', '.join(BASE_LAYERS)}")
    x0, y0 = metric_xy(bbox[0], bbox[1])
    x1, y1 = metric_xy(bbox[2], bbox[3])
    box = shapely.box(float(x0), float(y0), float(x1), float(y1))
    feats: list[dict[str, Any]] = []

    def add(geom: Any, props: dict[str, Any]) -> None:
        g = geojson(geom)
        if g is not None:
            feats.append({"type": "Feature", "properties": plain(props), "geometry": g})

    if layer in ("roads", "railways"):
        mode = "road" if layer == "roads" else "rail"
        net = ws.network(mode)
        ids = np.sort(net.edge_tree.query(box, predicate="intersects"))
        ids = ids[route_edges(ws, mode, ws.options)[ids]]
        for e, g in zip(ids, shapely.intersection(net.geoms[ids], box), strict=True):
            add(g, {"edge_id": int(e), "class": net.attr["cls"][e],
                    "route_number": net.attr["ref"][e] or None,
                    "e_route": net.attr["eref"][e] or None,
                    "length_km": round(float(net.length[e]) / 1000, 3)})
    elif layer == "rivers":
        from ..data.egm import egm_extras

        egm = egm_extras(ws.sources.require("egm"))
        for i in np.sort(egm.river_tree.query(box, predicate="intersects")):
            add(shapely.intersection(egm.rivers[i], box), {"name": egm.river_names[i] or None})
    elif layer == "oblasts":
        for o in ws.gazetteer.oblasts:
            add(shapely.intersection(shapely.boundary(o.geometry), box),
                {"name": o.name_en, "name_uk": o.name_uk, "iso": o.iso})
    else:
        g = ws.gazetteer
        pl, xy = g.places, g.xy
        sel = np.flatnonzero((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0)
                             & (xy[:, 1] <= y1) & (pl["population"].to_numpy() >= 1000))
        for i in sel[np.argsort(-pl["population"].to_numpy()[sel], kind="stable")]:
            add(shapely.points(*xy[i]), {"id": pl["ident"].iat[i], "name": pl["name"].iat[i],
                                         "name_uk": pl["name_uk"].iat[i] or None,
                                         "population": int(pl["population"].iat[i])})
    return {"type": "FeatureCollection", "layer": layer, "bbox": list(bbox), "features": feats}


# --------------------------------------------------------------------------- one date

def day_data(ws: Any, region: CityRegion, date: Any) -> dict[str, Any]:
    """Every layer and figure of the page's city on ``date`` (see the module doc)."""
    place = region.place
    held = ws.held(date)
    out: dict[str, Any] = {"date": str(held.requested), "data_date": str(held.date),
                           "exact": bool(held.exact)}
    out.update(_territory(ws, region, held))
    out["lines"] = _line_exposure(ws, region, held.requested)
    routes = _routes(ws, place, held.requested)
    enc = _encirclement(ws, place, held.requested, routes["hubs"] or None)
    figures = routes.pop("figures") | enc.pop("figures")
    dist = figures["distance_to_front_km"]
    figures["centre_band"] = ws.profile.band_name(math.inf if dist is None else dist * 1000,
                                                  dist == 0)
    return out | routes | enc | {"figures": plain(figures)}


def _territory(ws: Any, region: CityRegion, held: Any) -> dict[str, Any]:
    """Held territory and the grey zone in the region, and the band zones around held
    territory (cumulative: each band's zone contains the nearer ones)."""
    x0, y0, x1, y1 = region.box
    m = 5000.0
    near = shapely.clip_by_rect(held.geometry, x0 - m, y0 - m, x1 + m, y1 + m)
    # the band zones are around hostile ground, as the exposure figures measure it
    hostile = shapely.union_all([shapely.clip_by_rect(g, x0 - 60_000, y0 - 60_000,
                                                      x1 + 60_000, y1 + 60_000)
                                 for g in ws.ground(held).parts])
    zones = []
    for i, b in enumerate(ws.profile.bands):
        d = b.max_km * 1000
        src = shapely.clip_by_rect(hostile, x0 - d, y0 - d, x1 + d, y1 + d)
        src = shapely.simplify(src, max(HELD_SIMPLIFY_M, d / 40))
        z = shapely.buffer(src, d, quad_segs=3)
        z = shapely.simplify(shapely.clip_by_rect(z, x0, y0, x1, y1), ZONE_SIMPLIFY_M)
        zones.append({"index": i + 1, "band": b.name, "max_km": b.max_km,
                      "geometry": geojson(z)})
    grey, known = grey_zone(ws, held)
    if grey is not None:
        grey = geojson(shapely.simplify(shapely.clip_by_rect(grey, x0 - m, y0 - m, x1 + m,
                                                             y1 + m), HELD_SIMPLIFY_M))
    return {"held": geojson(shapely.simplify(near, HELD_SIMPLIFY_M)),
            "held_area_km2_region": round(float(shapely.area(near)) / 1e6, 1),
            "grey": grey, "grey_known": known, "zones": zones}


def grey_zone(ws: Any, held: Any) -> tuple[Any, bool]:
    """The grey zone of the day as the figures use it
    (:func:`~supplyline.analysis.figures.day_grey`: the data day's own, or one carried at
    most ``grey_max_lag_days`` forward), as a metric geometry, and whether it is known."""
    from ..analysis.figures import day_grey

    g = day_grey(ws, held, ws.options)
    return (g, True) if g is not None else (None, False)


def _line_exposure(ws: Any, region: CityRegion, date: Any) -> dict[str, Any]:
    """Each base line's band index (a string of digits, one per line: "0" held) and
    clearance (tenths of a km; -1 when beyond the measured cap), from
    :func:`~supplyline.analysis.queries.edge_exposure` over the region's bbox."""
    names = {n: i for i, n in enumerate(ws.profile.names)}
    bands: list[str] = []
    clear: list[int] = []
    for mode, ids in region.line_ids.items():
        gdf = queries.edge_exposure(ws, date, mode=mode, bbox=region.bbox)
        by_edge = pd.Series(np.arange(len(gdf)), index=gdf["edge_id"].to_numpy())
        pos = by_edge.reindex(ids).to_numpy()
        if np.isnan(pos.astype(float)).any():  # pragma: no cover - same selection
            raise SupplylineError(f"{mode} lines of the page differ from edge_exposure's")
        pos = pos.astype(np.int64)
        b = gdf["band"].map(names).to_numpy()[pos]
        c = np.where(gdf["clearance_capped"].to_numpy()[pos], -1,
                     np.round(gdf["clearance_km"].to_numpy()[pos] * 10)).astype(np.int64)
        bands.append("".join(chr(48 + int(v)) for v in b))
        clear.extend(int(v) for v in c)
    return {"band": "".join(bands), "clear": clear}


def _routes(ws: Any, place: Any, date: Any) -> dict[str, Any]:
    """The routes query of the day: route lines (peacetime and safest per hub and mode),
    the hubs, bottlenecks and per-mode figures; an error line when there is none."""
    fig: dict[str, Any] = {"modes": {}}
    try:
        res = queries.routes(ws, place, date)
    except SupplylineError as exc:
        loc = local_figures(place, ws.ground(ws.held(date)), ws.options)
        fig.update(centre_held=loc["centre_held"],
                   distance_to_front_km=loc["distance_to_front_km"],
                   distance_to_held_km=loc["distance_to_held_km"])
        return {"figures": fig, "hubs": [], "routes": _fc([]), "bottlenecks": [],
                "routes_error": str(exc)}
    fig.update(centre_held=res.centre_held, distance_to_front_km=res.distance_to_front_km,
               distance_to_held_km=res.distance_to_held_km)
    feats, bottlenecks = [], []
    gdf = res.to_geodataframe()
    keep = gdf[gdf["kind"].isin(["peacetime", "safest"])]
    geoms = shapely.simplify(np.asarray(keep.geometry.values, dtype=object), 0.0004)
    for row, g in zip(keep.to_dict("records"), geoms, strict=True):
        props = {k: row[k] for k in ("mode", "hub", "hub_id", "kind", "status", "pair_status",
                                     "length_km", "detour", "min_clearance_km",
                                     "route_numbers")}
        feats.append({"type": "Feature", "properties": plain(props),
                      "geometry": json.loads(shapely.to_geojson(
                          shapely.transform(g, lambda xy: np.round(xy, COORD_DECIMALS))))})
    for mode, block in res.modes.items():
        d = plain(block)
        fig["modes"][mode] = {
            "status": block.status, "best_min_clearance_km": block.best_min_clearance_km,
            "disjoint_routes": block.disjoint_routes, "error": block.error,
            "hubs": [{"hub": p["hub"]["name"], "hub_id": p["hub"]["id"], "status": p["status"],
                      "safest_length_km": p["safest"]["length_km"],
                      "safest_min_clearance_km": p["safest"]["min_clearance_km"],
                      "peacetime_length_km": p["peacetime"]["length_km"],
                      "route_numbers": p["safest"]["route_numbers"]}
                     for p in d.get("hubs") or []]}
        if block.resilience is not None:
            for b in block.resilience.bottleneck:
                bottlenecks.append({"mode": mode, "lon": b.lon, "lat": b.lat,
                                    "route_number": b.route_number, "near": b.near,
                                    "clearance_km": b.clearance_km})
    return {"figures": fig, "hubs": [plain(h) for h in res.hubs], "routes": _fc(feats),
            "bottlenecks": plain(bottlenecks), "routes_error": None}


def _encirclement(ws: Any, place: Any, date: Any, hubs: list[dict] | None) -> dict[str, Any]:
    """Rings (circles with their held share), the narrowest corridor point and the
    encirclement figures of the day (with the routes' hubs)."""
    to = [h["id"] for h in hubs] if hubs else None
    enc = queries.encirclement(ws, place, date, to=to)
    rings = enc.to_geodataframe()
    feats = []
    for r, g in zip(enc.rings, rings.geometry.values, strict=True):
        g = shapely.transform(shapely.simplify(g, 0.0003), lambda xy: np.round(xy, 4))
        feats.append({"type": "Feature", "properties": plain({
            "radius_km": r.radius_km, "held_share": r.held_share,
            "description": "; ".join(r.description)}),
            "geometry": json.loads(shapely.to_geojson(g))})
    narrow = None
    if enc.corridor_narrowest is not None:
        narrow = plain(enc.corridor_narrowest) | {"width_km": enc.corridor_width_km,
                                                  "connected": enc.corridor_connected}
    return {"rings": _fc(feats), "narrowest": narrow, "figures": {
        "corridor_width_km": enc.corridor_width_km,
        "corridor_connected": enc.corridor_connected,
        "held_area_km2": enc.held_area_km2, "held_area_radius_km": enc.held_area_radius_km,
        "rings": [{"radius_km": r.radius_km, "held_share": r.held_share} for r in enc.rings],
        "flanks": enc.flanks.description}}


def _fc(features: list[dict]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


# --------------------------------------------------------------------------- the page

def series_data(days: pd.DataFrame) -> dict[str, Any]:
    """The timeline rows of one city as columns for the charts: ``date`` (ISO),
    ``missing`` and every figure column (None where there is no value)."""
    days = days.sort_values("date").reset_index(drop=True)
    out: dict[str, Any] = {"date": [str(pd.Timestamp(d).date()) for d in days["date"]],
                           "missing": [bool(v) for v in days["data_missing"]]}
    skip = {"city_id", "city", "date", "data_missing", "day_hash", "recomputed"}
    for c in days.columns:
        if c in skip:
            continue
        vals = days[c].tolist()
        out[c] = [None if v is None or (isinstance(v, float) and not math.isfinite(v))
                  or v is pd.NA else v for v in vals]
    return plain(out)


def page_data(ws: Any, place: Any, days: pd.DataFrame, events: list[dict],
              summary: dict[str, Any], *, region: CityRegion | None = None,
              base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The fixed part of a city page: ``days`` are the city's timeline rows (any range),
    ``events`` its events and ``summary`` its trends and forecasts
    (:func:`~supplyline.analysis.summary.timeline_analysis`'s per-city summary);
    ``region`` and ``base`` when already built (they depend on the city only)."""
    hubs = page_hubs(ws, place, days)
    region = region or city_region(ws, place)
    base = base if base is not None else base_layers(ws, region)
    series = series_data(days)
    cxy = np.asarray(place.xy)
    v = VIEW_KM * 1000
    lon0, lat0 = lonlat_xy(cxy[0] - v, cxy[1] - v)
    lon1, lat1 = lonlat_xy(cxy[0] + v, cxy[1] + v)
    radii = [c.removeprefix("ring_held_share_").removesuffix("km") for c in days.columns
             if c.startswith("ring_held_share_")]
    return plain({
        "schema": PAGE_SCHEMA, "city": PlaceRef.of(place),
        "range": [series["date"][0], series["date"][-1]] if series["date"] else [None, None],
        "history": {"first": str(ws.history.first), "last": str(ws.history.last)},
        "palette": palette_json(ws.profile), "radii": radii,
        "clearance_cap_km": ws.profile.cap_m / 1000,
        "area_column": next((c for c in days.columns if c.startswith("held_area_")), None),
        "bbox": list(region.bbox),
        "view": [round(float(x), 5) for x in (lon0, lat0, lon1, lat1)],
        "hubs": [PlaceRef.of(h) for h in hubs], "series": series,
        "events": events, "forecasts": summary.get("forecasts") or [],
        "trends": summary.get("trends") or {}, "method": ws.options.describe(),
        "attribution": ATTRIBUTION, "band_note": BAND_NOTE,
        "grey_known": callable(getattr(ws.history, "contested", None)),
    }) | {"base": base}


def page_hubs(ws: Any, place: Any, days: pd.DataFrame) -> list[Any]:
    """Every rear hub of the city in ``days`` (the timeline's ``hubs`` column), in order
    of first appearance; without one, the hubs chosen on the last day."""
    ids: list[str] = []
    if "hubs" in days:
        for v in days.sort_values("date")["hubs"].dropna():
            ids.extend(h for h in str(v).split(";") if h)
    ids = list(dict.fromkeys(ids))
    if not ids:
        cd = queries.city_day(ws, place, None)
        return list(cd.hubs)
    return [ws.find(h).place for h in ids]


__all__ = ["BASE_LAYERS", "CityRegion", "base_geojson", "base_layers", "city_region",
           "day_data", "geojson", "grey_zone", "page_data", "page_hubs", "series_data"]
