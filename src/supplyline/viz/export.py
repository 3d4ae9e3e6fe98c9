"""GIS exports of results: routes, edge exposure, rings, held territory (and the grey zone),
places and timeline tables, as layers for :func:`supplyline.io.gis.write_layers`.

Every value comes from the same result the JSON shows (``RoutesResult``,
``EncirclementResult``, the timeline tables, ...): a length is ``length_km`` here as in
the JSON, a band the same band. What the layers add for GIS use:

- units in field names (``length_km``, ``min_clearance_km``, ``area_km2``), dates as
  dates (``date``: the day asked for; ``data_date``: the day of the data used),
- NULL for a missing value (never ``''`` or NaN),
- node ids (``u``, ``v``) and ``edge_id`` on network edges,
- per-band kilometres of each route (``km_<band>``, 0 for a band the route does not
  cross), place names in both scripts (``name`` romanised, ``name_uk`` Cyrillic),
- a style: QGIS (QML, by band, stored in the GeoPackage) and KML (by band).

The builders return lists of :class:`~supplyline.io.gis.Layer`; :func:`export` writes
them. ``supplyline export KIND ... -o FILE`` is the command line over these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..crs import GEOGRAPHIC_CRS, METRIC_CRS
from ..data.control import parse_date
from ..errors import InvalidArgumentError
from ..i18n import _, band_label, mode_label, place_name, route_kind_label, status_label
from ..io.gis import KmlStyle, Layer, write_layers
from . import palette, qgis

#: The longest date range of a held-territory export, in days.
MAX_HELD_DAYS = 3660


def export(layers: Sequence[Layer], path: Path, *, title: str = "supplyline") -> list[Path]:
    """Write ``layers`` to ``path`` (format from the suffix: .gpkg, .parquet, .kml, .kmz,
    .csv); returns the files written."""
    return write_layers(layers, Path(path), title=title)


# --------------------------------------------------------------------------- styles

def band_styles(profile: Any, width: float = 3.0) -> dict[str, KmlStyle]:
    """KML line styles by band name (held, each band, beyond) in the palette's colours."""
    names = list(profile.names)
    cols = palette.band_colours(profile)
    return {n: KmlStyle(c, width * (1.3 if i == 0 else 1.0)) for i, (n, c) in
            enumerate(zip(names, cols, strict=True))}


def _geo(frame: pd.DataFrame, geoms: Any, crs: Any = METRIC_CRS) -> Any:
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=list(geoms), crs=crs)
    return gdf.to_crs(GEOGRAPHIC_CRS) if crs != GEOGRAPHIC_CRS else gdf


def _day(value: Any) -> dt.date | None:
    return None if value is None else parse_date(value)


def _place_row(p: dict[str, Any], role: str) -> dict[str, Any]:
    return {"role": role, "id": p["id"], "name": p["name"], "name_uk": p.get("name_uk"),
            "oblast": p.get("oblast"), "population": p["population"], "source": p["source"],
            "label": place_name(p)}


def places_layer(places: Sequence[tuple[dict[str, Any], str]], head: dict[str, Any]) -> Layer:
    """The city and its hubs as points (``role`` city or hub)."""
    rows = [{**_place_row(p, role), "date": _day(head["date"]),
             "data_date": _day(head["data_date"])} for p, role in places]
    geoms = shapely.points([(p["lon"], p["lat"]) for p, _ in places])
    df = _geo(pd.DataFrame(rows), geoms, GEOGRAPHIC_CRS)
    styles = {"city": KmlStyle("#000000", icon_scale=1.1),
              "hub": KmlStyle(palette.HUB_COLOURS[0], icon_scale=0.9)}
    return Layer("places", df, _("Places"), label="label", style="role", styles=styles,
                 qml=qgis.points_qml())


# --------------------------------------------------------------------------- routes

def routes_layers(ws: Any, res: Any) -> list[Layer]:
    """Layers of a :class:`~supplyline.analysis.results.RoutesResult`: ``routes`` (every
    route found, one line each, with its figures and km per band), ``route_edges`` (the
    network edges of each route in order, with node ids), ``bottlenecks`` (the minimum
    cut of each mode) and ``places`` (the city and its hubs)."""
    d = res.to_dict()
    names = list(ws.profile.names)
    head = {"date": _day(d["date"]), "data_date": _day(d["data_date"]),
            "data_exact": d["data_exact"]}
    city = d["city"]
    rows, geoms, erows, egeoms, brows, bgeoms = [], [], [], [], [], []
    for mode, block in res.modes.items():
        if block.error:
            continue
        net = ws.network(mode)
        for pair, pd_ in zip(block.hubs, d["modes"][mode]["hubs"], strict=True):
            for kind in ("peacetime", "avoid_held", "safest"):
                r, rd = getattr(pair, kind), pd_[kind]
                if not r.found or not r.edge_ids:
                    continue
                rid = f"{mode}:{pair.hub.id}:{kind}"
                rows.append({
                    "route_id": rid, "city": city["name"], "city_id": city["id"],
                    "city_uk": city.get("name_uk"), "hub": pd_["hub"]["name"],
                    "hub_id": pd_["hub"]["id"], "hub_uk": pd_["hub"].get("name_uk"),
                    "mode": mode, "kind": kind, "pair_status": pd_["status"],
                    "status": rd["status"], "worst_band": rd["worst_band"],
                    "length_km": rd["length_km"], "detour": rd["detour"],
                    "min_clearance_km": rd["min_clearance_km"],
                    "min_clearance_capped": _capped(rd["min_clearance_km"],
                                                    d["clearance_cap_km"]),
                    **{f"km_{b}": float(rd["km_by_band"].get(b, 0.0)) for b in names},
                    "route_numbers": " > ".join(rd["route_numbers"]) or None,
                    "edges": len(r.edge_ids), **head,
                    "label": _route_label(pd_["hub"], mode, kind, rd["status"])})
                geoms.append(res.edge_geometry(mode, r.edge_ids))
                ids = np.asarray(r.edge_ids, dtype=np.int64)
                for seq, e in enumerate(ids):
                    erows.append({"route_id": rid, "seq": seq, "mode": mode,
                                  "edge_id": int(e), "u": int(net.u[e]), "v": int(net.v[e]),
                                  "length_km": round(float(net.length[e]) / 1000, 3),
                                  "date": head["date"]})
                egeoms.extend(net.geoms[ids])
        for b, bd in zip((block.resilience.bottleneck if block.resilience else []),
                         (d["modes"][mode]["resilience"] or {}).get("bottleneck", []),
                         strict=True):
            brows.append({"mode": mode, "edge_id": bd["edge"], "u": int(net.u[b.edge]),
                          "v": int(net.v[b.edge]), "route_number": bd["route_number"],
                          "road_class": bd["road_class"], "near": bd["near"],
                          "clearance_km": bd["clearance_km"], **head})
            bgeoms.append(shapely.points(bd["lon"], bd["lat"]))
    if not rows:
        raise InvalidArgumentError(f"{city['name']} on {d['date']}: no route found to "
                                   "export")
    layers = [Layer("routes", _geo(pd.DataFrame(rows), geoms), _("Routes"), label="label",
                    style="worst_band", styles=band_styles(ws.profile),
                    qml=qgis.band_lines_qml(ws.profile, "worst_band"))]
    layers.append(Layer("route_edges", _geo(pd.DataFrame(erows), egeoms),
                        _("Route edges"), label="edge_id"))
    if brows:
        layers.append(Layer("bottlenecks", _geo(pd.DataFrame(brows), bgeoms, GEOGRAPHIC_CRS),
                            _("Bottlenecks"), label="route_number",
                            styles={"x": KmlStyle(palette.BOTTLENECK)},
                            qml=qgis.points_qml(palette.BOTTLENECK, shape="diamond")))
    places = [(city, "city")] + [(h, "hub") for h in d["hubs"]]
    layers.append(places_layer(places, d))
    return layers


def _capped(value: float | None, cap_km: float) -> bool | None:
    return None if value is None else bool(value >= cap_km - 1e-6)


def _route_label(hub: dict[str, Any], mode: str, kind: str, status: str) -> str:
    return (f"{place_name(hub)} ({mode_label(mode)}, {route_kind_label(kind)}): "
            f"{status_label(status)}")


# --------------------------------------------------------------------------- exposure

def exposure_layers(ws: Any, gdf: Any, mode: str) -> list[Layer]:
    """The edge-exposure table of :func:`~supplyline.analysis.queries.edge_exposure` as
    one layer ``<mode>_exposure``: each edge with its node ids (``u``, ``v``), clearance
    (km) and band, styled by band."""
    net = ws.network(mode)
    ids = gdf["edge_id"].to_numpy(dtype=np.int64)
    out = gdf.copy()
    out.insert(1, "u", net.u[ids])
    out.insert(2, "v", net.v[ids])
    out["date"] = [parse_date(x) for x in out["date"]]
    out["label"] = [f"{r or c} ({band_label(b)})" for r, c, b in
                    zip(out["ref"].fillna(""), out["cls"], out["band"], strict=True)]
    title = _("Exposure of {mode} edges").format(mode=mode_label(mode))
    return [Layer(f"{mode}_exposure", out, title, label="label", style="band",
                  styles=band_styles(ws.profile, 2.0), qml=qgis.band_lines_qml(ws.profile, "band"))]


# --------------------------------------------------------------------------- rings

def rings_layers(ws: Any, res: Any) -> list[Layer]:
    """Layers of an :class:`~supplyline.analysis.results.EncirclementResult`: ``rings``
    (the circles with their held share and share per band), ``corridor`` (the narrowest
    point of the corridor, when there is one) and ``places``."""
    d = res.to_dict()
    names = list(ws.profile.names)
    head = {"date": _day(d["date"]), "data_date": _day(d["data_date"]),
            "data_exact": d["data_exact"]}
    c = shapely.points(*res.centre_xy)
    rows, geoms = [], []
    for r in d["rings"]:
        rows.append({"city": d["city"]["name"], "city_id": d["city"]["id"],
                     "city_uk": d["city"].get("name_uk"), "radius_km": r["radius_km"],
                     "held_share": r["held_share"],
                     **{f"share_{b}": r["band_share"].get(b) for b in names},
                     "held_bearings": "; ".join(r["description"]) or None, **head,
                     "label": _("{radius} km: {share} % held").format(
                         radius=f"{r['radius_km']:g}", share=f"{100 * r['held_share']:.0f}")})
        geoms.append(shapely.boundary(shapely.buffer(c, r["radius_km"] * 1000, quad_segs=32)))
    layers = [Layer("rings", _geo(pd.DataFrame(rows), geoms), _("Rings"), label="label",
                    styles={}, qml=None)]
    nar = d.get("corridor_narrowest")
    if nar:
        row = {"city": d["city"]["name"], "city_id": d["city"]["id"],
               "corridor_width_km": d["corridor_width_km"],
               "corridor_connected": d["corridor_connected"], "near": nar.get("near"),
               **head}
        layers.append(Layer("corridor", _geo(pd.DataFrame([row]),
                                             [shapely.points(nar["lon"], nar["lat"])],
                                             GEOGRAPHIC_CRS), _("Narrowest corridor point"),
                            label="near", qml=qgis.points_qml(palette.NARROW_FILL)))
    places = [(d["city"], "city")] + [(h, "hub") for h in d["hubs"]]
    layers.append(places_layer(places, d))
    return layers


# --------------------------------------------------------------------------- held

def held_layers(ws: Any, start: Any, end: Any, *, step_days: int = 1,
                bbox: tuple[float, float, float, float] | None = None) -> list[Layer]:
    """Held territory for every ``step_days``-th day from ``start`` to ``end``: one
    feature per day with a ``date`` (DATE) field, ready for QGIS's temporal controller
    (each feature shown for ``step_days`` days) and Google Earth's time slider. A day
    missing in the data shows the last known day before it (``data_date``,
    ``data_exact`` false). Where the control history knows the grey zone
    (``ControlHistory.contested``) a second layer ``grey`` has it, one feature per day
    with ``grey_known``. ``bbox`` (lon/lat) clips the polygons."""
    hist = ws.history
    d0 = parse_date(start) if start is not None else hist.first
    d1 = parse_date(end) if end is not None else hist.last
    if d1 < d0:
        raise InvalidArgumentError(f"--from {d0} --to {d1}: the end is before the start")
    if step_days < 1:
        raise InvalidArgumentError(f"--step {step_days}: expected 1 or more days")
    days = [d0 + dt.timedelta(days=k) for k in range(0, (d1 - d0).days + 1, step_days)]
    if len(days) > MAX_HELD_DAYS:
        raise InvalidArgumentError(f"--from {d0} --to {d1}: {len(days)} days; at most "
                                   f"{MAX_HELD_DAYS} (use --step)")
    box = _metric_box(bbox) if bbox else None
    contested = getattr(hist, "contested", None)
    held_rows, held_geoms, grey_rows, grey_geoms = [], [], [], []
    any_grey = False
    for day in days:
        if contested is not None:
            c = contested(day)
            held_g, grey_g, grey_known = c.held, c.grey, bool(c.grey_known)
            grey_date = getattr(c, "grey_date", None)
        else:
            h = hist.held(day)
            c, held_g, grey_g, grey_known, grey_date = h, h.geometry, None, False, None
        if box is not None:
            held_g = shapely.clip_by_rect(held_g, *box)
            grey_g = None if grey_g is None else shapely.clip_by_rect(grey_g, *box)
        base = {"date": day, "data_date": c.date, "data_exact": bool(c.exact)}
        held_rows.append({**base, "area_km2": round(float(shapely.area(held_g)) / 1e6, 3)})
        held_geoms.append(held_g)
        if grey_g is not None:
            any_grey = any_grey or grey_known
            grey_rows.append({**base, "grey_known": grey_known, "grey_date": grey_date,
                              "area_km2": (round(float(shapely.area(grey_g)) / 1e6, 3)
                                           if grey_known else None)})
            grey_geoms.append(grey_g if grey_known else shapely.MultiPolygon())
    held_style = {"held": KmlStyle(palette.HELD_EDGE, 1.0, palette.HELD_FILL,
                                   palette.HELD_ALPHA)}
    held_df = _geo(pd.DataFrame(held_rows), held_geoms).assign(kind="held")
    layers = [Layer("held", held_df, _("Held territory"), label="date", style="kind",
                    styles=held_style, when="date", span_days=step_days,
                    qml=qgis.area_qml("held", date_field="date", days=step_days))]
    if any_grey:
        grey_df = _geo(pd.DataFrame(grey_rows), grey_geoms).assign(kind="grey")
        layers.append(Layer("grey", grey_df, _("Grey zone"), label="date", style="kind",
                            styles={"grey": KmlStyle(palette.GREY_FILL, 1.0, palette.GREY_FILL,
                                                     palette.GREY_ALPHA)},
                            when="date", span_days=step_days,
                            qml=qgis.area_qml("grey", date_field="date", days=step_days)))
    return layers


def _metric_box(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    from ..crs import metric_xy

    corners = [metric_xy(x, y) for x in (bbox[0], bbox[2]) for y in (bbox[1], bbox[3])]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return min(xs), min(ys), max(xs), max(ys)


# --------------------------------------------------------------------------- places

def places_layers(ws: Any, date: Any = None, *, oblast: str | None = None,
                  city: str | None = None, radius_km: float = 50.0) -> list[Layer]:
    """Every GeoNames place of an oblast (or within ``radius_km`` of a city) on ``date``:
    held or not, distance to held territory (km) and band, with its population (the
    places the figures of ``supplyline places`` count)."""
    from ..analysis.settlements import select_places
    from ..core.settlements import place_status

    if oblast is None and city is None:
        raise InvalidArgumentError("give --oblast NAME or --city NAME")
    sel = select_places(ws, oblast=oblast, city=city, radius_km=radius_km)
    held = ws.held(date)
    dist, inside, band = place_status(held.geometry, sel.xy, ws.profile)
    pl = sel.places
    names = np.array(ws.profile.names, dtype=object)
    gp = ws.gazetteer.places
    uk = dict(zip(gp["ident"], gp["name_uk"], strict=True)) if "name_uk" in gp else None
    ids = pl["ident"].astype(str) if "ident" in pl else pl["name"].astype(str)
    df = pd.DataFrame({
        "id": ids, "name": pl["name"].astype(str),
        "name_uk": [(uk.get(i) or None) if uk is not None else None for i in ids],
        "oblast": pl["oblast"] if "oblast" in pl else None,
        "population": pl["population"].astype(np.int64),
        "held": inside.astype(bool),
        "distance_to_held_km": [round(float(x) / 1000, 2) if np.isfinite(x) else None
                                for x in dist],
        "band": names[band], "date": held.requested, "data_date": held.date,
        "data_exact": bool(held.exact), "source": pl["source"] if "source" in pl else None})
    df["label"] = [place_name(r) for r in df[["name", "name_uk"]].to_dict("records")]
    geoms = shapely.points(pl[["lon", "lat"]].to_numpy(dtype=float))
    styles = {n: KmlStyle(c) for n, c in zip(names, palette.band_colours(ws.profile),
                                            strict=True)}
    return [Layer("places", _geo(df, geoms, GEOGRAPHIC_CRS), _("Places"), label="label",
                  style="band", styles=styles, qml=qgis.points_qml())]


# --------------------------------------------------------------------------- timeline

def timeline_layers(ws: Any, res: dict[str, Any]) -> list[Layer]:
    """The tables of :func:`~supplyline.analysis.summary.timeline_analysis` as layers at
    each city's location: ``days`` (one feature per city and day), ``routes`` (per day,
    mode and hub) and ``events``; every row with a ``date`` (DATE) for QGIS's temporal
    controller."""
    tl = res["timeline"]
    where = {(p.ident or p.name): p for p in tl.cities}
    layers = []
    tables = (("days", tl.public_days(), _("Days")), ("routes", tl.routes, _("Routes")),
              ("events", pd.DataFrame(res["events"]), _("Events")))
    for name, df, title in tables:
        if not len(df):
            continue
        df = df.copy()
        df["date"] = pd.to_datetime(df["date"]).dt.date
        places = [where.get(c) for c in df["city_id"]]
        uk = [getattr(p, "name_uk", "") or None for p in places]
        df.insert(df.columns.get_loc("city") + 1, "city_uk", uk)
        geoms = shapely.points([p.xy if p is not None else (np.nan, np.nan) for p in places])
        label = "kind" if name == "events" else "date"
        layers.append(Layer(name, _geo(df, geoms), title, label=label, when="date",
                            qml=qgis.points_qml(date_field="date")))
    if not layers:
        raise InvalidArgumentError("the timeline has no rows to export")
    return layers
