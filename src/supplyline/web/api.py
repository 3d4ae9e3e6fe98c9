"""The JSON / GeoJSON API: one endpoint per analysis, the same schema as the CLI's --json.

Every answer is the query result's ``to_dict()`` (or a GeoJSON FeatureCollection in
lon/lat), computed on the service's analysis thread and cached (see
:mod:`supplyline.web.service`). Parameters are checked before anything is computed; a
mistake is a 400 with one line saying what was expected, an unknown place or a date
outside the data a 404. Nothing here writes anything a request chooses.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from ..analysis import queries
from ..analysis.options import DEFAULT_OPTIONS
from ..analysis.results import RESULT_TYPES, PlaceRef, json_schema, plain
from ..data.control import parse_date
from ..errors import InvalidArgumentError, PlaceNotFoundError, SupplylineError
from .service import Service, Unavailable

router = APIRouter()

#: longest range of days computed for a city that is not in the board's tables
MAX_RANGE_DAYS = 366
#: default range of such a city's page and series (days up to the end)
DEFAULT_RANGE_DAYS = 90
#: largest bbox (degrees of longitude, latitude) of an edge-exposure request
MAX_EXPOSURE_BBOX = (2.0, 1.5)
#: largest bbox of a territory request (the whole front fits)
MAX_TERRITORY_BBOX = (16.0, 10.0)
MAX_HUBS = 5
MAX_BEARINGS = 16
#: the longer time limit of answers that may compute a timeline (s)
TIMELINE_TIMEOUT_S = 120.0

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
CityPath = Annotated[str, Path(min_length=1, max_length=120, description=(
    "City name (any common spelling, 'Name, Oblast', Cyrillic) or id (geonames:704422)."))]
DateQ = Annotated[str | None, Query(pattern=DATE_PATTERN, description=(
    "YYYY-MM-DD; default the last day of the control history."))]
ToQ = Annotated[list[str] | None, Query(max_length=MAX_HUBS, description=(
    "Rear hub (repeatable, at most 5); default chosen on the date by the hub rule."))]
AllRoadsQ = Annotated[bool, Query(description="Routes on every EGM road (default: main "
                                              "roads M/P/T only).")]
BboxQ = Annotated[str | None, Query(max_length=100, description=(
    "west,south,east,north in degrees (lon/lat)."))]


def service(request: Request) -> Service:
    return request.app.state.service


def key_of(name: str, **params: Any) -> str:
    """A canonical cache key of an endpoint and its parameters."""
    parts = [f"{k}={v!r}" for k, v in sorted(params.items()) if v is not None]
    return name + "?" + "&".join(parts)


async def respond(request: Request, key: str, compute: Any, *, dated: bool,
                  analysis: bool = True, timeout: float | None = None) -> Response:
    """The answer of ``key`` as JSON with ETag, Cache-Control, gzip and ``X-Cache``
    (hit: from the answer cache; miss: computed for this request); 304 when the client's
    copy is current (nothing is computed then)."""
    svc = service(request)
    etag = svc.etag(key)
    headers = {"ETag": etag, "Vary": "Accept-Encoding",
               "Cache-Control": "public, max-age=3600" if dated else "no-cache"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    a, cached = await svc.answer(key, compute, on_analysis_thread=analysis, timeout=timeout)
    headers["X-Cache"] = "hit" if cached else "miss"
    if "gzip" in request.headers.get("accept-encoding", "") and len(a.body) > 1024:
        headers["Content-Encoding"] = "gzip"
        return Response(a.gz, media_type="application/json", headers=headers)
    return Response(a.body, media_type="application/json", headers=headers)


# --------------------------------------------------------------------------- checks

def check_date(value: str | None, what: str = "date") -> dt.date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except SupplylineError as exc:
        msg = str(exc)
        raise InvalidArgumentError(msg if value in msg else f"{what} {value!r}: {msg}") from None


def check_range(start: str | None, end: str | None) -> tuple[dt.date | None, dt.date | None]:
    d1, d2 = check_date(start, "from"), check_date(end, "to")
    if d1 and d2 and d2 < d1:
        raise InvalidArgumentError(f"to {d2} is before from {d1}")
    return d1, d2


def check_bbox(value: str | None, limit: tuple[float, float]
               ) -> tuple[float, float, float, float] | None:
    """``w,s,e,n`` in degrees, at most ``limit`` wide and high."""
    if value is None:
        return None
    try:
        w, s, e, n = (float(v) for v in value.split(","))
    except ValueError:
        raise InvalidArgumentError(f"bbox {value!r}: expected four numbers "
                                   "west,south,east,north (degrees)") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)) or not (-180 <= w < e <= 180) \
            or not (-90 <= s < n <= 90):
        raise InvalidArgumentError(f"bbox {value!r}: expected west < east and south < north "
                                   "within -180..180, -90..90")
    if e - w > limit[0] or n - s > limit[1]:
        raise InvalidArgumentError(f"bbox {value!r}: at most {limit[0]:g} by {limit[1]:g} "
                                   "degrees (ask for smaller boxes)")
    return (w, s, e, n)


def check_number(name: str, value: float, lo: float, hi: float) -> float:
    if not (math.isfinite(value) and lo <= value <= hi):
        raise InvalidArgumentError(f"{name} {value!r}: expected a number from {lo:g} to {hi:g}")
    return value


def options(*, all_roads: bool = False, **changes: Any) -> Any:
    if all_roads:
        changes["road_classes"] = "all"
    return DEFAULT_OPTIONS.with_(**changes) if changes else DEFAULT_OPTIONS


def _hubs(to: list[str] | None) -> list[str] | None:
    if not to:
        return None
    if len(to) > MAX_HUBS or any(not (0 < len(t) <= 120) for t in to):
        raise InvalidArgumentError(f"to {to!r}: expected 1-{MAX_HUBS} place names")
    return list(to)


# --------------------------------------------------------------------------- service

@router.get("/health", summary="Is the service up, and on which data")
async def health(request: Request) -> dict[str, Any]:
    """Version, the control history's first and last day, the board tables' state, the
    answer cache."""
    svc = service(request)
    b = svc.board
    return {"status": "ok", **svc.stamp_info,
            "board": ({"ready": True, "first": str(b.first), "last": str(b.last),
                       "cities": len(b.city_ids)} if b is not None else
                      {"ready": False, "note": svc.board_note}),
            "cache": svc.cache.stats(), "time_limit_s": svc.timeout_s,
            "analysis": {"thread": 1, "waiting": svc.queued, "max_waiting": svc.max_queue,
                         "done": svc.analyses, "busy_s": round(svc.busy_s, 1)}}


@router.get("/schema/{kind}", summary="JSON Schema of a result kind")
async def schema(kind: Annotated[str, Path(pattern=r"^[a-z]{3,20}$")]) -> dict[str, Any]:
    """The JSON Schema of ``status``, ``routes``, ``encirclement``, ``distance``,
    ``places`` or ``axes`` answers (the same as the CLI's ``--json``)."""
    if kind not in RESULT_TYPES:
        raise InvalidArgumentError(f"schema {kind!r}: expected one of {', '.join(RESULT_TYPES)}")
    return json_schema(kind)


# --------------------------------------------------------------------------- analyses

@router.get("/status/{city}", summary="Distance to held territory and route status")
async def status(request: Request, city: CityPath, date: DateQ = None, to: ToQ = None,
                 all_roads: AllRoadsQ = False) -> Response:
    """Distance from the city centre to held territory, the rear hubs and the route status
    per mode (``supplyline status --json``)."""
    d, hubs, ws = check_date(date), _hubs(to), service(request).ws
    return await respond(request, key_of("status", city=city, date=d, to=hubs, all=all_roads),
                         lambda: queries.status(ws, city, d, to=hubs,
                                                options=options(all_roads=all_roads)),
                         dated=d is not None)


@router.get("/routes/{city}", summary="Routes to each rear hub, per mode")
async def routes(request: Request, city: CityPath, date: DateQ = None, to: ToQ = None,
                 mode: Annotated[str, Query(pattern="^(road|rail|both)$")] = "both",
                 beyond: Annotated[str, Query(max_length=40)] = "fpv",
                 all_roads: AllRoadsQ = False,
                 format: Annotated[str, Query(pattern="^(json|geojson)$",
                                              description="json (the result) or geojson "
                                                          "(the route lines)")] = "json"
                 ) -> Response:
    """Peacetime, held-avoiding and safest routes to each hub, pair status and resilience
    (``supplyline routes --json``); ``format=geojson`` gives the route lines."""
    d, hubs, ws = check_date(date), _hubs(to), service(request).ws
    modes = ("road", "rail") if mode == "both" else (mode,)
    ws.profile.threshold_m(beyond)  # an unknown band is a 400 before computing

    def compute() -> Any:
        res = queries.routes(ws, city, d, to=hubs, options=options(
            all_roads=all_roads, modes=modes, beyond_band=beyond))
        if format == "geojson":
            import json

            return json.loads(res.to_geodataframe().to_json(drop_id=True))
        return res

    return await respond(request, key_of("routes", city=city, date=d, to=hubs, mode=mode,
                                         beyond=beyond, all=all_roads, format=format),
                         compute, dated=d is not None)


@router.get("/encirclement/{city}", summary="Rings, flanks and the corridor")
async def encirclement(request: Request, city: CityPath, date: DateQ = None, to: ToQ = None,
                       radii: Annotated[str, Query(pattern=r"^[\d.,]{1,60}$")] = "5,10,20,30"
                       ) -> Response:
    """Held share of rings around the city, flanks / pincer arms, held area and the
    open-ground corridor (``supplyline encirclement --json``)."""
    d, hubs, ws = check_date(date), _hubs(to), service(request).ws
    try:
        r = tuple(float(x) for x in radii.split(",") if x)
    except ValueError:
        raise InvalidArgumentError(f"radii {radii!r}: expected km, comma-separated") from None
    opts = options(radii_km=r)
    return await respond(request, key_of("encirclement", city=city, date=d, to=hubs, radii=r),
                         lambda: queries.encirclement(ws, city, d, to=hubs, options=opts),
                         dated=d is not None)


@router.get("/distance/{city}", summary="Distance from held territory to targets")
async def distance(request: Request, city: CityPath, date: DateQ = None,
                   place: Annotated[str | None, Query(max_length=120)] = None,
                   oblast: Annotated[str | None, Query(max_length=80)] = None,
                   road: Annotated[str | None, Query(max_length=40)] = None,
                   rail: bool = False, radius_km: float = 30.0, tolerance_km: float = 1.0
                   ) -> Response:
    """Distance from held territory to a place, oblast boundary, road or railway near the
    city and the first day it was reached (``supplyline distance --json``)."""
    d, ws = check_date(date), service(request).ws
    check_number("radius_km", radius_km, 0.1, 200)
    check_number("tolerance_km", tolerance_km, 0, 20)
    return await respond(
        request, key_of("distance", city=city, date=d, place=place, oblast=oblast, road=road,
                        rail=rail, r=radius_km, t=tolerance_km),
        lambda: queries.distance(ws, city, d, place=place, oblast=oblast, road=road, rail=rail,
                                 radius_km=radius_km, tolerance_km=tolerance_km),
        dated=d is not None)


@router.get("/places", summary="Population held and in each band; largest not held")
async def places(request: Request, date: DateQ = None,
                 oblast: Annotated[str | None, Query(max_length=80)] = None,
                 city: Annotated[str | None, Query(max_length=120)] = None,
                 radius_km: float = 50.0, top: Annotated[int, Query(ge=0, le=100)] = 10,
                 since: DateQ = None) -> Response:
    """Population (GeoNames, pre-war) in held territory and in each band, and the largest
    places not held, in an oblast or around a city (``supplyline places --json``)."""
    d, s, ws = check_date(date), check_date(since, "since"), service(request).ws
    check_number("radius_km", radius_km, 1, 200)
    return await respond(
        request, key_of("places", date=d, oblast=oblast, city=city, r=radius_km, top=top,
                        since=s),
        lambda: queries.places(ws, d, oblast=oblast, city=city, radius_km=radius_km, top=top,
                               since=s), dated=d is not None)


@router.get("/axes/{city}", summary="What lies along each bearing out of a city")
async def axes(request: Request, city: CityPath, date: DateQ = None,
               bearing: Annotated[list[str] | None, Query(max_length=MAX_BEARINGS)] = None,
               towards: Annotated[str | None, Query(max_length=120)] = None,
               length_km: float = 50.0, width_km: float = 10.0, step_km: float = 5.0
               ) -> Response:
    """Settlements, population, roads, rivers and held share along bearings
    (``supplyline axes --json``)."""
    d, ws = check_date(date), service(request).ws
    check_number("length_km", length_km, 1, 200)
    check_number("width_km", width_km, 0.5, 50)
    check_number("step_km", step_km, 0.5, 50)
    b = list(bearing) if bearing else None
    return await respond(
        request, key_of("axes", city=city, date=d, b=b, towards=towards, L=length_km,
                        W=width_km, S=step_km),
        lambda: queries.axes(ws, city, d, b, towards=towards, length_km=length_km,
                             width_km=width_km, step_km=step_km), dated=d is not None)


# --------------------------------------------------------------------------- maps

@router.get("/exposure", summary="Every route edge's clearance and band (GeoJSON)")
async def exposure(request: Request, bbox: BboxQ = None, date: DateQ = None,
                   mode: Annotated[str, Query(pattern="^(road|rail)$")] = "road") -> Response:
    """The edges routes may use in ``bbox`` (at most 2 x 1.5 degrees) with their
    clearance from held territory and band on the date, as GeoJSON in lon/lat
    (``supplyline exposure``)."""
    import json

    if bbox is None:
        raise InvalidArgumentError("bbox: required (west,south,east,north in degrees)")
    box, d, ws = check_bbox(bbox, MAX_EXPOSURE_BBOX), check_date(date), service(request).ws
    return await respond(
        request, key_of("exposure", date=d, mode=mode, bbox=box),
        lambda: json.loads(queries.edge_exposure(ws, d, mode=mode, bbox=box).to_json(
            drop_id=True)), dated=d is not None)


@router.get("/territory", summary="Held territory (and the grey zone when known) (GeoJSON)")
async def territory(request: Request, date: DateQ = None, bbox: BboxQ = None,
                    simplify_m: Annotated[float, Query(ge=0, le=2000)] = 0.0) -> Response:
    """Held territory of the date as GeoJSON in lon/lat (clipped to ``bbox``, simplified
    by ``simplify_m`` metres), with the data day it comes from; a ``grey`` feature with
    the contested zone when the control data has one (``grey_known``)."""
    box, d, ws = (check_bbox(bbox, MAX_TERRITORY_BBOX), check_date(date),
                  service(request).ws)
    return await respond(request, key_of("territory", date=d, bbox=box, s=simplify_m),
                         lambda: territory_geojson(ws, d, box, simplify_m),
                         dated=d is not None)


def territory_geojson(ws: Any, date: Any, bbox: Any, simplify_m: float) -> dict[str, Any]:
    import shapely

    from ..crs import metric_xy
    from ..viz.citydata import geojson, grey_zone

    held = ws.held(date)

    def shape(g: Any) -> Any:
        if bbox is not None:
            x0, y0 = metric_xy(bbox[0], bbox[1])
            x1, y1 = metric_xy(bbox[2], bbox[3])
            g = shapely.clip_by_rect(g, x0, y0, x1, y1)
        return geojson(shapely.simplify(g, simplify_m) if simplify_m else g)

    props = {"date": str(held.requested), "data_date": str(held.date),
             "data_exact": bool(held.exact),
             "area_km2": round(float(held.geometry.area) / 1e6, 3)}
    feats = [{"type": "Feature", "properties": {"kind": "held", **props},
              "geometry": shape(held.geometry)}]
    grey, known = grey_zone(ws, held)
    if grey is not None:
        feats.append({"type": "Feature", "properties": {"kind": "grey", **props,
                      "area_km2": round(float(grey.area) / 1e6, 3)}, "geometry": shape(grey)})
    return {"type": "FeatureCollection", "grey_known": known, "features": feats}


@router.get("/base/{layer}", summary="Base map layers from the project's own data (GeoJSON)")
async def base(request: Request,
               layer: Annotated[str, Path(pattern="^(roads|railways|rivers|oblasts|places)$",
                                          description="roads, railways, rivers, oblasts or "
                                                      "places")],
               bbox: BboxQ = None) -> Response:
    """The map's context in ``bbox`` (at most 2 x 1.5 degrees), from the project's own
    data: main roads and railways (EuroGlobalMap, the edges routes use, with class and
    route numbers), rivers (EuroGlobalMap), oblast boundaries (OpenStreetMap) and
    places (GeoNames, >= 1,000 people)."""
    from ..viz.citydata import base_geojson

    if bbox is None:
        raise InvalidArgumentError("bbox: required (west,south,east,north in degrees)")
    box, ws = check_bbox(bbox, MAX_EXPOSURE_BBOX), service(request).ws
    return await respond(request, key_of("base", layer=layer, bbox=box),
                         lambda: base_geojson(ws, layer, box), dated=True)


# --------------------------------------------------------------------------- board

@router.get("/board", summary="Every near-front city on a date (from the sweep tables)")
async def board(request: Request, date: DateQ = None,
                ring_km: Annotated[str | None, Query(pattern=r"^[\d.]{1,6}$")] = None
                ) -> Response:
    """Distance to held territory, 7/30-day change, best and worst route status per mode,
    corridor width, ring occupancy and 90-day sparklines of every city of the near-front
    sweep, and the week's events across the front."""
    b = _board(request)
    d = check_date(date)
    return await respond(request, key_of("board", date=d, ring=ring_km),
                         lambda: b.board(d, ring_km=ring_km), dated=d is not None,
                         analysis=False)


def _board(request: Request) -> Any:
    svc = service(request)
    if svc.board is None:
        raise Unavailable(svc.board_note or "the board's tables are not loaded; "
                          "`supplyline serve` builds them")
    return svc.board


@router.get("/events", summary="Events of a city, or across the front")
async def events(request: Request, city: Annotated[str | None, Query(max_length=120)] = None,
                 start: Annotated[str | None, Query(alias="from", pattern=DATE_PATTERN)] = None,
                 end: Annotated[str | None, Query(alias="to", pattern=DATE_PATTERN)] = None
                 ) -> Response:
    """Dated events (route cut, band entered, line reached, centre held, ...) of one city,
    or of every city of the sweep, newest first."""
    d1, d2 = check_range(start, end)
    svc = service(request)
    if city is None:
        b = _board(request)
        return await respond(request, key_of("events", start=d1, end=d2),
                             lambda: {"events": b.events_between(d1 or b.first, d2 or b.last)},
                             dated=d2 is not None, analysis=False)

    def compute(ws: Any = svc.ws) -> Any:
        src = city_series(ws, svc.board, city, d1, d2)
        return {"city": src["city"], "range": src["range"], "source": src["source"],
                "events": src["events"][::-1]}

    return await respond(request, key_of("events", city=city, start=d1, end=d2), compute,
                         dated=d2 is not None, timeout=TIMELINE_TIMEOUT_S)


@router.get("/timeline/{city}", summary="Every day's figures of a city")
async def timeline(request: Request, city: CityPath,
                   start: Annotated[str | None, Query(alias="from", pattern=DATE_PATTERN)] = None,
                   end: Annotated[str | None, Query(alias="to", pattern=DATE_PATTERN)] = None
                   ) -> Response:
    """The timeline rows of a city (one per day: distance, rings, held area, status per
    mode, corridor; and one per day, mode and hub for the routes), its events, trends and
    forecasts: from the board's tables for a city of the sweep, else computed (at most
    366 days; default the last 90)."""
    d1, d2 = check_range(start, end)
    svc = service(request)

    def compute(ws: Any = svc.ws) -> Any:
        src = city_series(ws, svc.board, city, d1, d2)
        return {k: src[k] for k in ("city", "range", "source", "events", "summary")} | {
            "days": records(src["days"]), "routes": records(src["routes"])}

    return await respond(request, key_of("timeline", city=city, start=d1, end=d2), compute,
                         dated=d2 is not None, timeout=TIMELINE_TIMEOUT_S)


def records(df: Any) -> list[dict[str, Any]]:
    """Rows of a timeline table as plain JSON records (ISO dates, None for missing)."""
    import pandas as pd

    if df is None or not len(df):
        return []
    df = df.drop(columns=[c for c in ("day_hash", "recomputed") if c in df]).copy()
    df["date"] = [str(pd.Timestamp(v).date()) for v in df["date"]]
    return plain(df.astype(object).where(df.notna(), None).to_dict("records"))


def city_series(ws: Any, board: Any, city: str, start: dt.date | None,
                end: dt.date | None) -> dict[str, Any]:
    """A city's timeline rows, routes, events and summary for a range: sliced from the
    board's tables when the city is in the sweep, else computed (at most
    :data:`MAX_RANGE_DAYS`, default the last :data:`DEFAULT_RANGE_DAYS` days)."""
    import pandas as pd

    from ..analysis.summary import timeline_analysis

    place = ws.find(city).place
    pid = place.ident or place.name
    if board is not None and board.has(pid):
        days, routes, evs, summary = board.city_tables(pid)
        lo = pd.Timestamp(start or board.first)
        hi = pd.Timestamp(end or board.last)
        if lo > pd.Timestamp(board.last) or hi < pd.Timestamp(board.first):
            raise InvalidArgumentError(f"{start} to {end}: outside the board's tables "
                                       f"({board.first} to {board.last})")
        days = days[(days["date"] >= lo) & (days["date"] <= hi)].reset_index(drop=True)
        if len(routes):
            routes = routes[(routes["date"] >= lo) & (routes["date"] <= hi)]
        evs = [e for e in evs if str(lo.date()) <= e["date"] <= str(hi.date())]
        source = "board tables"
    else:
        last = ws.history.last
        end = min(end or last, last)
        start = start or max(ws.history.first, end - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1))
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise InvalidArgumentError(
                f"{start} to {end}: at most {MAX_RANGE_DAYS} days for a city outside the "
                "near-front sweep (ask for a shorter range)")
        res = timeline_analysis(ws, [place], start, end)
        tl = res["timeline"]
        days, routes = tl.city(pid), tl.city_routes(pid)
        evs = [e for e in res["events"] if e.get("city_id") == pid]
        summary = res["cities"].get(place.name, {})
        source = "computed"
    if not len(days):
        raise PlaceNotFoundError(f"{place.name}: no days in {start} to {end}")
    dates = sorted(pd.to_datetime(days["date"]))
    return {"place": place, "city": plain(PlaceRef.of(place)),
            "range": [str(dates[0].date()), str(dates[-1].date())], "source": source,
            "days": days, "routes": routes, "events": evs, "summary": plain(summary)}


# --------------------------------------------------------------------------- city page

@router.get("/city/{city}/page", summary="The city page's fixed data")
async def city_page(request: Request, city: CityPath,
                    start: Annotated[str | None, Query(alias="from", pattern=DATE_PATTERN)] = None,
                    end: Annotated[str | None, Query(alias="to", pattern=DATE_PATTERN)] = None
                    ) -> Response:
    """What the city page draws for a range: the city, hubs, base layers (main roads and
    railways, rivers, oblast boundaries, places), the palette, the timeline series, the
    events, trends and forecasts (see :func:`supplyline.viz.citydata.page_data`)."""
    from ..viz.citydata import page_data

    d1, d2 = check_range(start, end)
    svc = service(request)

    def compute(ws: Any = svc.ws) -> Any:
        src = city_series(ws, svc.board, city, d1, d2)
        page = page_data(ws, src["place"], src["days"], src["events"], src["summary"],
                         region=region_of(ws, src["place"]))
        return page | {"source": src["source"]}

    return await respond(request, key_of("page", city=city, start=d1, end=d2), compute,
                         dated=d2 is not None, timeout=TIMELINE_TIMEOUT_S)


@router.get("/city/{city}/day", summary="The city page's layers of one date")
async def city_day(request: Request, city: CityPath, date: DateQ = None) -> Response:
    """Held territory (and grey zone when known), band zones, each base line's band and
    clearance, the peacetime and safest routes to each hub, rings, the narrowest corridor
    point, bottlenecks and the day's figures (see :func:`supplyline.viz.citydata.day_data`)."""
    from ..viz.citydata import day_data

    d = check_date(date)
    svc = service(request)

    def compute(ws: Any = svc.ws) -> Any:
        place = ws.find(city).place
        return day_data(ws, region_of(ws, place), d)

    return await respond(request, key_of("day", city=city, date=d), compute,
                         dated=d is not None)


def region_of(ws: Any, place: Any) -> Any:
    from ..viz.citydata import city_region

    return ws.memo("web-city-region", place.ident or place.name,
                   lambda: city_region(ws, place))
