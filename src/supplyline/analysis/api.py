"""The flat library API: one call per question, on a default workspace unless given one.

Every function takes ``ws=`` (a :class:`~supplyline.analysis.context.Workspace`); without
it a workspace over the default data locations is created once and reused (see
:func:`default_workspace`). Results are typed (``.to_dict()`` for JSON, and
``.to_geodataframe()`` where there is geometry).

>>> import supplyline as sl
>>> sl.status("Pokrovsk", "2025-01-31").distance_to_held_km
>>> sl.routes("Pokrovsk", "2025-01-31", to=["Dnipro"]).to_geodataframe()
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..errors import InvalidArgumentError
from . import queries
from .context import Workspace
from .options import AnalysisOptions
from .results import (
    AxesResult,
    DistanceResult,
    EncirclementResult,
    PlacesResult,
    RoutesResult,
    StatusResult,
)

_DEFAULT: dict[str, Workspace] = {}

Date = str | dt.date | None


def default_workspace(data_dir: str | Path | None = None) -> Workspace:
    """The workspace used when a call is given none (one per data directory)."""
    key = str(data_dir) if data_dir is not None else ""
    if key not in _DEFAULT:
        _DEFAULT[key] = Workspace(data_dir)
    return _DEFAULT[key]


def _ws(ws: Workspace | None) -> Workspace:
    if ws is None:
        return default_workspace()
    if not isinstance(ws, Workspace):
        raise InvalidArgumentError(f"ws {ws!r}: expected a Workspace")
    return ws


def status(city: str, date: Date = None, *, to: list[str] | str | None = None,
           options: AnalysisOptions | None = None, ws: Workspace | None = None
           ) -> StatusResult:
    """Distance from the city centre to held territory, the rear hubs and the route status
    per mode (see :func:`supplyline.analysis.queries.status`).

    Parameters
    ----------
    city : str
        Place name (any common spelling, "Name, Oblast") or id ("geonames:704422").
    date : str or datetime.date, optional
        YYYY-MM-DD; default the last day of the control history.
    to : str or list of str, optional
        Rear hub name(s); default chosen on the date by the hub rule.
    options : AnalysisOptions, optional
        How figures are computed (default: the workspace's options).
    ws : Workspace, optional
        Data and memo (default: :func:`default_workspace`).

    Returns
    -------
    StatusResult
    """
    return queries.status(_ws(ws), city, date, to=to, options=options)


def routes(city: str, date: Date = None, *, to: list[str] | str | None = None,
           options: AnalysisOptions | None = None, ws: Workspace | None = None
           ) -> RoutesResult:
    """Peacetime, held-avoiding and safest routes to each rear hub, per mode, with the
    resilience (see :func:`supplyline.analysis.queries.routes`).

    Parameters
    ----------
    city, date, to, options, ws
        As for :func:`status`.

    Returns
    -------
    RoutesResult
        ``.to_geodataframe()`` gives every route as a line in lon/lat.
    """
    return queries.routes(_ws(ws), city, date, to=to, options=options)


def encirclement(city: str, date: Date = None, *, to: list[str] | str | None = None,
                 options: AnalysisOptions | None = None, ws: Workspace | None = None
                 ) -> EncirclementResult:
    """Ring occupancy, flanks and the corridor width around a city
    (see :func:`supplyline.analysis.queries.encirclement`).

    Parameters
    ----------
    city, date, to, options, ws
        As for :func:`status`.

    Returns
    -------
    EncirclementResult
        ``.to_geodataframe()`` gives the rings as circles in lon/lat.
    """
    return queries.encirclement(_ws(ws), city, date, to=to, options=options)


def distance(city: str, date: Date = None, *, place: str | None = None,
             oblast: str | None = None, road: str | None = None, rail: bool = False,
             route_to: str | None = None, route_mode: str = "rail",
             radius_km: float = 30.0, tolerance_km: float = 1.0,
             ws: Workspace | None = None) -> DistanceResult:
    """Distance from held territory to targets near a city and when each was reached
    (see :func:`supplyline.analysis.queries.distance`).

    Parameters
    ----------
    city, date, ws
        As for :func:`status`.
    place, oblast, road, rail
        The targets: a named place, an oblast's boundary, a road by number, railways
        (lines split into stretches toward the rear, through the city, toward the front).
    route_to, route_mode
        The peacetime rail (or road) route to a hub ("the rail line to Dnipro").
    radius_km : float
        Radius around the city for line and boundary targets (km).
    tolerance_km : float
        Distance that counts as reached (km).

    Returns
    -------
    DistanceResult
    """
    return queries.distance(_ws(ws), city, date, place=place, oblast=oblast, road=road,
                            rail=rail, route_to=route_to, route_mode=route_mode,
                            radius_km=radius_km, tolerance_km=tolerance_km)


def places(date: Date = None, *, oblast: str | None = None, city: str | None = None,
           radius_km: float = 50.0, top: int = 10, since: Date = None,
           ws: Workspace | None = None) -> PlacesResult:
    """Population in held territory and in each band, and the largest places not held
    (see :func:`supplyline.analysis.queries.places`).

    Parameters
    ----------
    date, ws
        As for :func:`status`.
    oblast : str, optional
        Oblast name or ISO code (UA-14).
    city : str, optional
        Or: places within ``radius_km`` of a city.
    top : int
        How many of the largest places not held to list.
    since : str or datetime.date, optional
        Also the change since this date.

    Returns
    -------
    PlacesResult
    """
    return queries.places(_ws(ws), date, oblast=oblast, city=city, radius_km=radius_km,
                          top=top, since=since)


def axes(city: str, date: Date = None, bearings: list[float | str] | None = None, *,
         towards: str | None = None, length_km: float = 50.0, width_km: float = 10.0,
         step_km: float = 5.0, ws: Workspace | None = None) -> AxesResult:
    """What lies along each bearing out of a city (see
    :func:`supplyline.analysis.queries.axes`).

    Returns
    -------
    AxesResult
    """
    return queries.axes(_ws(ws), city, date, bearings, towards=towards, length_km=length_km,
                        width_km=width_km, step_km=step_km)


def timeline(cities: list[str] | str, start: Date = None, end: Date = None, *,
             options: AnalysisOptions | None = None, workers: int = 1,
             scheduler: str | None = None, use_cache: bool = True,
             forecast_at: Date = None, ws: Workspace | None = None) -> dict[str, Any]:
    """Every day's figures for ``cities`` with events, trends and backtested forecasts
    (see :func:`supplyline.analysis.summary.timeline_analysis`).

    Returns
    -------
    dict
        ``timeline`` (a :class:`~supplyline.analysis.timeline.Timeline` whose ``days`` and
        ``routes`` are DataFrames), ``events``, ``cities`` (trends and forecasts per city),
        ``stats`` and ``pooled_backtest``.
    """
    from .summary import timeline_analysis

    names = [cities] if isinstance(cities, str) else list(cities)
    return timeline_analysis(_ws(ws), names, start, end, options=options, use_cache=use_cache,
                             forecast_at=forecast_at, workers=workers, scheduler=scheduler)


def edge_exposure(date: Date = None, *, mode: str = "road",
                  bbox: tuple[float, float, float, float] | None = None,
                  options: AnalysisOptions | None = None, ws: Workspace | None = None) -> Any:
    """Every route edge's clearance from held territory and band on a date, as a
    GeoDataFrame in lon/lat (see :func:`supplyline.analysis.queries.edge_exposure`)."""
    return queries.edge_exposure(_ws(ws), date, mode=mode, bbox=bbox, options=options)


def held_territory(date: Date = None, *, ws: Workspace | None = None) -> Any:
    """Held territory of a date as a GeoDataFrame in lon/lat."""
    return queries.held_territory(_ws(ws), date)


def network_edges(mode: str = "road", *, ws: Workspace | None = None) -> Any:
    """The routable ``mode`` network's edges as a GeoDataFrame in lon/lat (ids, class,
    route numbers, length in km, end nodes)."""
    return _ws(ws).network(mode).to_geodataframe()


def to_networkx(mode: str = "road", *, ws: Workspace | None = None) -> Any:
    """The routable ``mode`` network as a ``networkx.MultiGraph`` (metric node
    coordinates ``x``/``y``, edge ``length`` in m, class and route numbers)."""
    return _ws(ws).network(mode).to_networkx()
