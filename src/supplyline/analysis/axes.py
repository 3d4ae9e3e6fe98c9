"""Directions of advance out of a city: the workspace side of :mod:`supplyline.core.axes`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.axes import (
    DEFAULT_BEARINGS,
    MAIN_ROAD_CLASSES,
    MATCH_M,
    AxisLayers,
    check_dimensions,
    compass16,
    grid_bearing,
    merge_settlements,
    profile_axes,
    resolve_bearings,
    summary_line,
)
from ..data.control import parse_date
from ..data.egm import egm_extras
from ..errors import PlaceNotFoundError
from .results import AxesResult, Lookup, PlaceRef

if TYPE_CHECKING:  # pragma: no cover
    from .context import Workspace

#: (EGM path) -> (gazetteer, merged settlements), so a new gazetteer rebuilds the merge.
_MERGED_CACHE: dict[str, tuple[object, pd.DataFrame]] = {}


def workspace_settlements(ws: Workspace) -> pd.DataFrame:
    """GeoNames places of the gazetteer merged with the EGM points (cached)."""
    path = ws.sources.require("egm")
    key = str(Path(path).resolve())
    gaz = ws.gazetteer
    hit = _MERGED_CACHE.get(key)
    if hit is not None and hit[0] is gaz:
        return hit[1]
    gaz.xy  # noqa: B018  (makes sure the metric x / y columns exist)
    pl = gaz.places
    geo = pl[pl["source"] == "geonames"]
    merged = merge_settlements(geo, egm_extras(path).settlements)
    _MERGED_CACHE[key] = (gaz, merged)
    return merged


def workspace_layers(ws: Workspace) -> AxisLayers:
    ext = egm_extras(ws.sources.require("egm"))
    road, rail = ws.network("road"), ws.network("rail")
    cls = road.edges["cls"].fillna("").astype(str).to_numpy()
    return AxisLayers(
        settlements=workspace_settlements(ws),
        roads=road.geoms, road_main=np.isin(cls, MAIN_ROAD_CLASSES),
        rails=rail.geoms, rivers=ext.rivers, river_names=ext.river_names,
        builtup=ext.builtup, road_tree=road.edge_tree, rail_tree=rail.edge_tree,
        river_tree=ext.river_tree, builtup_tree=ext.builtup_tree)


def axis_profile(ws: Workspace, city: str, date: str | dt.date,
                 bearings: list[float | str] | None = None, *, towards: str | None = None,
                 length_km: float = 50.0, width_km: float = 10.0,
                 step_km: float = 5.0) -> AxesResult:
    """Corridors out of ``city`` on ``date`` along each bearing (default the 8 compass
    directions; with ``towards`` only the bearing to that place unless ``bearings`` are
    given too, then it is added)."""
    check_dimensions(length_km, width_km, step_km)
    if bearings is None:
        parsed = [] if towards else resolve_bearings(DEFAULT_BEARINGS)
    else:
        parsed = resolve_bearings(bearings)
    match = ws.find(city)
    place = match.place
    target = None
    if towards is not None:
        target = ws.find(towards).place
        if target.ident == place.ident:
            raise PlaceNotFoundError(f"towards {towards!r}: that is {place.name} itself")
        b = grid_bearing(place.xy, target.xy)
        parsed.append((b, f"towards {target.name} ({compass16(b)}, {b:.0f} deg)"))
    held = ws.history.held(parse_date(date))
    layers = workspace_layers(ws)
    if place.ident:
        layers.without_settlement(place.ident)
    axes = profile_axes(layers, held.geometry, place.xy, parsed, length_km=length_km,
                        width_km=width_km, step_km=step_km)
    towards_info = None
    if target is not None:
        _, km = ws.bearing_km(place, target)
        towards_info = {"place": PlaceRef.of(target), "distance_km": round(km, 1)}
    return AxesResult(
        city=PlaceRef.of(place), lookup=Lookup.of(match), date=str(held.requested),
        data_date=str(held.date), data_exact=bool(held.exact),
        length_km=float(length_km), width_km=float(width_km), step_km=float(step_km),
        axes=[a.as_dict() for a in axes], summary=summary_line(axes),
        notes=("bearings clockwise from grid north; settlements: GeoNames + EGM points "
               f"not matching a GeoNames name within {MATCH_M / 1000:.0f} km (city itself "
               "excluded); roads/railways/rivers/built-up: EuroGlobalMap 1:1M; main roads "
               "= motorway/primary/secondary"),
        towards=towards_info)
