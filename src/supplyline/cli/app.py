"""Command-line interface: parse the arguments, call the library, render the result.

Every command takes ``--json`` (the result's ``to_dict()``: one schema for every command,
the web API and the files). User mistakes print one line and exit with code 2; Ctrl-C
exits with 130; nothing stored is modified by a failed command.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import DownloadColumn
from rich.table import Table

from .._version import __version__
from ..errors import InvalidArgumentError, SupplylineError
from . import render
from .common import (
    AllRoadsOpt,
    BandsOpt,
    DataOpt,
    DateOpt,
    JsonOpt,
    ProfileOpt,
    ToOpt,
    check_output,
    err,
    options,
    out,
    print_json,
    session,
    threat_profile,
)
from .common import progress as _progress

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
                  help="Supply-route exposure and encirclement risk from open front-line data.")
data_app = typer.Typer(no_args_is_help=True, help="Find, check and download the input data.")
app.add_typer(data_app, name="data")


def _print_json(obj) -> None:
    print_json(obj)


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", help="Show the version.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if version:
        out.print(f"supplyline {__version__}")
        raise typer.Exit()


# ----------------------------------------------------------------------------- data
@data_app.command("status")
def data_status(data: DataOpt = None, as_json: JsonOpt = False) -> None:
    """Say which data sources were found, where, and what is missing."""
    from ..io.sources import locate

    srcs = locate(data)
    info: dict = {"searched": [{"label": lab, "path": str(p), "exists": p.is_dir()}
                               for lab, p in srcs.searched], "sources": {}}
    for kind in ("deepstate", "egm", "oblasts", "osm"):
        s = getattr(srcs, kind)
        info["sources"][kind] = {"found": s.found, "path": str(s.path) if s.path else None,
                                 "origin": s.origin, "detail": s.detail}
    if srcs.deepstate.found:
        from ..data.control import ControlHistory

        with _progress() as prog:
            hist = ControlHistory.from_deepstate_dir(srcs.deepstate.path, progress=prog)
        summ = hist.summary()
        miss = hist.missing_days()
        summ["missing_dates"] = [str(d) for d in miss]
        info["sources"]["deepstate"]["history"] = summ
    if srcs.egm.found:
        import pyogrio

        layers = {}
        for name, _ in pyogrio.list_layers(srcs.egm.path):
            layers[name] = int(pyogrio.read_info(srcs.egm.path, layer=name)["features"])
        info["sources"]["egm"]["layers"] = layers
    missing = [k for k in ("deepstate", "egm", "oblasts") if not info["sources"][k]["found"]]
    info["missing_required"] = missing
    if as_json:
        _print_json(info)
    else:
        t = Table(title="supplyline data sources")
        for c in ("source", "found", "from", "path", "detail"):
            t.add_column(c)
        for kind, s in info["sources"].items():
            detail = s["detail"]
            if kind == "egm" and "layers" in s:
                detail += "; " + ", ".join(f"{k} {v:,}" for k, v in s["layers"].items())
            if kind == "deepstate" and "history" in s:
                h = s["history"]
                detail = (f"{h['days']} days {h['first']}..{h['last']}, "
                          f"{h['missing_days']} missing ({', '.join(h['missing_dates'][:6])}"
                          f"{'...' if h['missing_days'] > 6 else ''})")
            t.add_row(kind, "yes" if s["found"] else "[red]no[/red]", s["origin"] or "-",
                      s["path"] or "-", detail)
        out.print(t)
        out.print("searched: " + "; ".join(f"{x['label']}={x['path']}" +
                                           ("" if x["exists"] else " (absent)")
                                           for x in info["searched"]))
        if missing:
            out.print(f"[red]missing:[/red] {', '.join(missing)} -- run 'supplyline data fetch'"
                      " or pass --data DIR")
        if not srcs.osm.found:
            out.print("optional: no OpenStreetMap extract (osm/*.osm.pbf); "
                      "'supplyline data fetch --osm' downloads one")
    if missing:
        raise typer.Exit(1)


@data_app.command("fetch")
def data_fetch(
    start: Annotated[str | None, typer.Option("--from", help="First DeepState day.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last DeepState day (default "
                   "today).")] = None,
    base_url: Annotated[str | None, typer.Option(help="DeepState base URL (env "
                        "SUPPLYLINE_DEEPSTATE_URL).")] = None,
    osm: Annotated[bool, typer.Option("--osm", help="Also download an OSM extract.")] = False,
    osm_url: Annotated[str | None, typer.Option(help="OSM .osm.pbf URL (env "
                       "SUPPLYLINE_OSM_URL; default Geofabrik Ukraine).")] = None,
    dest: Annotated[Path | None, typer.Option(help="Download directory (default: the user "
                    "cache).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Download DeepState daily files (by date range) and an OSM extract into the cache."""
    from ..data.control import parse_date
    from ..io import fetch

    root = dest or fetch.default_download_dir()
    result: dict = {"dest": str(root)}
    prog = _progress(DownloadColumn())
    with prog:
        if start or not osm:
            d1 = parse_date(start) if start else dt.date(2024, 7, 8)
            d2 = parse_date(end) if end else dt.date.today()
            summ = fetch.fetch_deepstate(d1, d2, root / "deepstate", base_url=base_url,
                                         progress=prog)
            result["deepstate"] = {
                "downloaded": len(summ.downloaded), "cached": len(summ.cached),
                "missing": [str(d) for d in summ.missing], "bytes": summ.total_bytes}
        if osm or osm_url:
            r = fetch.fetch_osm(osm_url, root / "osm", progress=prog)
            result["osm"] = {"path": str(r.path), "status": r.status, "bytes": r.bytes}
    if as_json:
        _print_json(result)
    else:
        if "deepstate" in result:
            d = result["deepstate"]
            out.print(f"DeepState: {d['downloaded']} downloaded, {d['cached']} already cached, "
                      f"{len(d['missing'])} not published; {d['bytes'] / 1e6:.1f} MB in "
                      f"{root / 'deepstate'}")
        if "osm" in result:
            o = result["osm"]
            out.print(f"OSM: {o['status']} {o['path']} ({o['bytes'] / 1e6:.1f} MB)")


@app.command("network")
def network_cmd(
    mode: Annotated[str, typer.Option(help="road, rail or both.")] = "both",
    data: DataOpt = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Rebuild, ignore cache.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Build (or load) the routable network and report its connected components."""
    modes = _modes(mode)
    rep = {}
    with session(data, use_cache=not no_cache) as ws:
        for m in modes:
            rep[m] = dict(ws.network(m).report)
    if as_json:
        print_json(rep)
        return
    for m, r in rep.items():
        t = Table(title=f"{m} network")
        t.add_column("field")
        t.add_column("value")
        for k, v in r.items():
            t.add_row(k, json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v)
        out.print(t)


def _modes(mode: str, both: bool = True) -> tuple[str, ...]:
    allowed = ("road", "rail", "both") if both else ("road", "rail")
    if mode not in allowed:
        raise InvalidArgumentError(f"--mode {mode!r}: expected {', '.join(allowed)}")
    return ("road", "rail") if mode == "both" else (mode,)


# ----------------------------------------------------------------------------- analyses
@app.command("status")
def status_cmd(
    city: Annotated[str, typer.Argument(help="City name (any common spelling) or id.")],
    date: DateOpt = None,
    to: ToOpt = None,
    all_roads: AllRoadsOpt = False,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Distance to held territory, the rear hubs and the route status to each hub."""
    from ..analysis import queries

    with session(data) as ws:
        res = queries.status(ws, city, date, to=to, options=options(all_roads=all_roads))
    print_json(res) if as_json else render.status(res.to_dict())


@app.command("routes")
def routes_cmd(
    city: Annotated[str, typer.Argument(help="City name or id.")],
    date: DateOpt = None,
    to: ToOpt = None,
    mode: Annotated[str, typer.Option(help="road, rail or both.")] = "both",
    profile: ProfileOpt = None,
    bands: BandsOpt = None,
    beyond: Annotated[str, typer.Option(help="Resilience: count routes staying beyond this "
                      "band.")] = "fpv",
    all_roads: AllRoadsOpt = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write routes as "
                      ".geojson or .gpkg.")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Peacetime, held-avoiding and safest routes to rear hubs; resilience and bottlenecks."""
    from ..analysis import queries

    modes = _modes(mode)
    check_output(output, (".geojson", ".gpkg", ".json"), "GeoJSON or GeoPackage")
    prof = threat_profile(profile, bands)
    prof.threshold_m(beyond)  # an unknown band is an error before computing
    with session(data, profile=prof) as ws:
        res = queries.routes(ws, city, date, to=to, options=options(
            all_roads=all_roads, modes=modes, beyond_band=beyond))
        if output is not None:
            from ..io.cache import write_vector

            write_vector(res.to_geodataframe(), output, "routes")
    if as_json:
        print_json(res)
    else:
        render.routes(res.to_dict(), str(output) if output else None)


def _bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    if not bbox:
        return None
    try:
        box = tuple(float(x) for x in bbox.split(","))
    except ValueError:
        box = ()
    if len(box) != 4 or not (box[0] < box[2] and box[1] < box[3]) \
            or not (-180 <= box[0] <= 180 and -180 <= box[2] <= 180
                    and -90 <= box[1] <= 90 and -90 <= box[3] <= 90):
        raise InvalidArgumentError(f"--bbox {bbox!r}: expected MINLON,MINLAT,MAXLON,MAXLAT")
    return box  # type: ignore[return-value]


@app.command("exposure")
def exposure_cmd(
    date: DateOpt = None,
    mode: Annotated[str, typer.Option(help="road or rail.")] = "road",
    output: Annotated[Path, typer.Option("--output", "-o", help=".gpkg or .geojson with "
                      "every edge, its clearance (km) and band.")] = Path("exposure.gpkg"),
    bbox: Annotated[str | None, typer.Option(help="Only edges within lon/lat "
                    "MINLON,MINLAT,MAXLON,MAXLAT.")] = None,
    profile: ProfileOpt = None,
    bands: BandsOpt = None,
    all_roads: AllRoadsOpt = False,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every network edge's distance to held territory and threat band on a date (for GIS)."""
    from ..analysis import queries
    from ..io.cache import write_vector

    (mode,) = _modes(mode, both=False)
    check_output(output, (".gpkg", ".geojson", ".json"), "GeoPackage or GeoJSON")
    box = _bbox(bbox)
    with session(data, profile=threat_profile(profile, bands)) as ws:
        with ws.step(f"Measuring every {mode} edge"):
            gdf = queries.edge_exposure(ws, date, mode=mode, bbox=box,
                                        options=options(all_roads=all_roads))
        if not len(gdf):
            raise InvalidArgumentError(f"--bbox {bbox}: no {mode} edge there (the network "
                                       "covers about 30-40.3 E, 46-50.6 N)")
        write_vector(gdf, output, f"{mode}_exposure")
        names = ws.profile.names
    km = gdf.groupby("band")["length_km"].sum()
    summary = {"date": gdf["date"].iloc[0], "mode": mode, "edges": int(len(gdf)),
               "output": str(output),
               "km_by_band": {b: round(float(km.get(b, 0.0)), 1) for b in names}}
    if as_json:
        print_json(summary)
        return
    out.print(f"{summary['edges']:,} {mode} edges on {summary['date']} written to {output}")
    out.print("km by band: " + ", ".join(f"{b} {v:,.0f}" for b, v in
                                         summary["km_by_band"].items()))


def _radii(radii: str) -> tuple[float, ...]:
    try:
        rr = tuple(float(x) for x in radii.split(",") if x.strip())
    except ValueError:
        rr = ()
    if not rr or any(not 0 < r <= 200 for r in rr):
        raise InvalidArgumentError(
            f"--radii {radii!r}: expected positive numbers of km up to 200, e.g. 5,10,20")
    return rr


@app.command("encirclement")
def encirclement_cmd(
    city: Annotated[str, typer.Argument(help="City name or id.")],
    date: DateOpt = None,
    radii: Annotated[str, typer.Option(help="Ring radii in km, comma-separated.")] = "5,10,20,30",
    to: ToOpt = None,
    profile: ProfileOpt = None,
    bands: BandsOpt = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ring occupancy around a city, flanks / pincer arms, and the corridor width."""
    from ..analysis import queries

    opts = options(radii_km=_radii(radii))
    with session(data, profile=threat_profile(profile, bands)) as ws:
        res = queries.encirclement(ws, city, date, to=to, options=opts)
    print_json(res) if as_json else render.encirclement(res.to_dict())


@app.command("distance")
def distance_cmd(
    city: Annotated[str, typer.Argument(help="City the question is about.")],
    date: DateOpt = None,
    place: Annotated[str | None, typer.Option(help="A named place.")] = None,
    oblast: Annotated[str | None, typer.Option(help="An oblast (its boundary near the city)."
                      )] = None,
    road: Annotated[str | None, typer.Option(help="A road by route number, e.g. М-04.")] = None,
    rail: Annotated[bool, typer.Option("--rail", help="Railways near the city.")] = False,
    radius: Annotated[float, typer.Option(help="Radius (km) around the city for road, rail "
                      "and boundary targets.")] = 30.0,
    tolerance: Annotated[float, typer.Option(help="Distance (km) that counts as reached.")
                         ] = 1.0,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Distance from held territory to a place, oblast boundary, road or railway, and the
    date it was first reached."""
    from ..analysis import queries

    with session(data) as ws:
        res = queries.distance(ws, city, date, place=place, oblast=oblast, road=road, rail=rail,
                               radius_km=radius, tolerance_km=tolerance)
    print_json(res) if as_json else render.distance(res.to_dict())


@app.command("timeline")
def timeline_cmd(
    cities: Annotated[list[str] | None, typer.Argument(help="City names or ids.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day (default: the "
                     "start of the history).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (default: the end of "
                   "the history).")] = None,
    all_near_front: Annotated[bool, typer.Option("--all-near-front", help="Every place "
                              ">= --min-population within --within-km of the front.")] = False,
    min_population: Annotated[int, typer.Option(help="With --all-near-front.")] = 10_000,
    within_km: Annotated[float, typer.Option(help="With --all-near-front.")] = 50.0,
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for Parquet/CSV "
                      "tables.")] = Path("out/timeline"),
    hub: Annotated[list[str] | None, typer.Option("--hub", help="Fixed rear hub for every "
                   "day (repeatable; default: chosen on each day by the hub rule).")] = None,
    all_roads: AllRoadsOpt = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Recompute every day.")] = False,
    forecast_at: Annotated[str | None, typer.Option(help="Date of the forecast (default: "
                           "the last day).")] = None,
    workers: Annotated[int, typer.Option(help="Parallel processes (days split into "
                       "chunks).")] = 1,
    scheduler: Annotated[str | None, typer.Option(help="Run the chunks on Dask: 'local' "
                         "(a local cluster with --workers) or a scheduler address "
                         "tcp://host:8786.")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Figures for every day, events, trends and a backtested forecast; Parquet + CSV."""
    from ..analysis.summary import timeline_analysis, write_tables
    from ..analysis.timeline import near_front_cities

    if output.exists() and not output.is_dir():
        raise InvalidArgumentError(f"--output {output}: exists and is not a directory")
    if workers < 1:
        raise InvalidArgumentError(f"--workers {workers}: expected 1 or more")
    opts = options(all_roads=all_roads, **({"hubs": tuple(hub)} if hub else {}))
    with session(data) as ws:
        names = list(cities or [])
        if all_near_front:
            names += near_front_cities(ws, min_population=min_population, within_km=within_km,
                                       start=start, end=end)
        if not names:
            raise InvalidArgumentError("name at least one city, or use --all-near-front")
        res = timeline_analysis(ws, names, start, end, options=opts, use_cache=not no_cache,
                                progress=ws.progress, forecast_at=forecast_at,
                                workers=workers, scheduler=scheduler)
        summary = write_tables(res, output)
    if as_json:
        print_json(summary | {"events": res["events"]})
        return
    render.timeline(summary, res["events"], str(output))


@app.command("places")
def places_cmd(
    oblast: Annotated[str | None, typer.Option(help="Oblast (English/Ukrainian name or ISO "
                      "code, e.g. UA-14).")] = None,
    city: Annotated[str | None, typer.Option(help="Or: places within --radius of a city.")
                    ] = None,
    radius: Annotated[float, typer.Option(help="Radius (km) around --city.")] = 50.0,
    date: DateOpt = None,
    since: Annotated[str | None, typer.Option("--since", help="Also show the change since "
                     "this date.")] = None,
    top: Annotated[int, typer.Option("--top", "-n", help="How many places to list.")] = 10,
    check: Annotated[bool, typer.Option("--check", help="Instead: how GeoNames and "
                     "EuroGlobalMap places were reconciled, and every disagreement.")] = False,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Largest places not held, and population in held territory and each threat band."""
    from ..analysis import queries

    if check:
        with session(data) as ws:
            g = ws.gazetteer
            summary = g.summary()
            rows = g.check().replace({float("nan"): None}).to_dict("records")
        if as_json:
            print_json({"summary": summary, "disagreements": rows})
        else:
            render.places_check(summary, rows)
        return
    if not oblast and not city:
        raise InvalidArgumentError("give --oblast NAME or --city NAME")
    with session(data) as ws:
        res = queries.places(ws, date, oblast=oblast, city=city, radius_km=radius, top=top,
                             since=since)
    print_json(res) if as_json else render.places(res.to_dict())


@app.command("axes")
def axes_cmd(
    city: Annotated[str, typer.Argument(help="City name or id.")],
    date: DateOpt = None,
    bearing: Annotated[list[str] | None, typer.Option("--bearing", "-b", help="Bearing in "
                       "degrees or a compass word (repeatable; default: 8 directions).")
                       ] = None,
    towards: Annotated[str | None, typer.Option(help="Profile towards a named place.")
                       ] = None,
    length: Annotated[float, typer.Option(help="Corridor length km.")] = 50.0,
    width: Annotated[float, typer.Option(help="Corridor width km.")] = 10.0,
    step: Annotated[float, typer.Option(help="Segment length km.")] = 5.0,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Directions of advance: settlements, population, roads and rivers along bearings."""
    from ..analysis import queries

    with session(data) as ws:
        res = queries.axes(ws, city, date, bearing, towards=towards, length_km=length,
                           width_km=width, step_km=step)
    print_json(res) if as_json else render.axes(res.to_dict())


@app.command("map")
def map_cmd(
    city: Annotated[str, typer.Argument(help="City name or id.")],
    date: DateOpt = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Image file (.png, .svg, "
                      ".pdf).")] = Path("map.png"),
    to: ToOpt = None,
    radius: Annotated[float | None, typer.Option(help="Square extent of this radius (km) "
                      "around the city (default: city and hubs).")] = None,
    dpi: Annotated[int, typer.Option(help="Resolution of raster output.")] = 150,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A static map: held territory, bands, roads/rail by status, routes, bottlenecks."""
    from ..viz.maps import render_map

    check_output(output, (".png", ".svg", ".pdf"), "map")
    with session(data) as ws:
        with ws.step("Rendering the map"):
            res = render_map(ws, city, date, output, to=to, radius_km=radius, dpi=dpi)
    if as_json:
        print_json(res)
    else:
        out.print(f"map written to {escape(str(res.get('output', output)))}")


@app.command("animate")
def animate_cmd(
    city: Annotated[str, typer.Argument(help="City name or id.")],
    start: Annotated[str, typer.Option("--from", help="First frame date.")],
    end: Annotated[str, typer.Option("--to", help="Last date.")],
    output: Annotated[Path, typer.Option("--output", "-o", help=".gif (or .mp4 with "
                      "ffmpeg).")] = Path("front.gif"),
    step_days: Annotated[int, typer.Option(help="Days between frames.")] = 7,
    radius: Annotated[float, typer.Option(help="Extent radius km.")] = 40.0,
    fps: Annotated[int, typer.Option(help="Frames per second.")] = 4,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Animation of the front approaching a city, one frame per week by default."""
    from ..viz.maps import animate

    check_output(output, (".gif", ".mp4"), "animation")
    with session(data) as ws:
        res = animate(ws, city, start, end, output, step_days=step_days, radius_km=radius,
                      fps=fps, progress=ws.progress)
    if as_json:
        print_json(res)
    else:
        out.print(f"{res.get('frames')} frames written to {escape(str(res.get('path', output)))}")


@app.command("report")
def report_cmd(
    city: Annotated[str, typer.Argument(help="City name or id.")],
    start: Annotated[str | None, typer.Option("--from", help="First day.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day.")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file.")
                      ] = Path("report.html"),
    step_days: Annotated[int, typer.Option(help="Days between slider steps.")] = 7,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One self-contained offline HTML report: map with date slider, charts, events,
    forecasts with their backtest."""
    from ..viz.report import build_report

    check_output(output, (".html", ".htm"), "HTML")
    with session(data) as ws:
        res = build_report(ws, city, start, end, output, step_days=step_days,
                           progress=ws.progress)
    if as_json:
        print_json(res)
    else:
        out.print(f"report written to {escape(res['path'])} ({res['bytes'] / 1e6:.1f} MB, "
                  f"{res['dates']} dates)")


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on (default: this machine "
                  "only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    tables: Annotated[Path | None, typer.Option(help="Folder of the board's sweep tables "
                      "(default: $SUPPLYLINE_CACHE/board); built or updated when missing "
                      "or stale.")] = None,
    no_build: Annotated[bool, typer.Option("--no-build", help="Serve without building "
                        "missing or stale board tables.")] = False,
    workers: Annotated[int, typer.Option(help="Processes for building the tables.")] = 2,
    min_population: Annotated[int, typer.Option(help="Board: places of at least this "
                              "many people...")] = 10_000,
    within_km: Annotated[float, typer.Option(help="...within this distance of held "
                         "territory on some day.")] = 50.0,
    board_from: Annotated[str | None, typer.Option("--board-from", help="First day of the "
                          "board's tables (default: the start of the history).")] = None,
    timeout: Annotated[float, typer.Option(help="Time limit of one analysis request "
                       "(s).")] = 20.0,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the board in a "
                            "browser once the server is up.")] = False,
    data: DataOpt = None,
) -> None:
    """Serve the front-wide board, city pages and the JSON/GeoJSON API (read-only)."""
    from ..analysis.board import BoardSpec, default_tables_dir
    from ..web import create_app
    from ..web.serve import LOCAL_HOSTS, check_listen, prepare_board, serve

    if workers < 1:
        raise InvalidArgumentError(f"--workers {workers}: expected 1 or more")
    if not timeout > 0:
        raise InvalidArgumentError(f"--timeout {timeout}: expected seconds > 0")
    check_listen(host, port)
    spec = BoardSpec(min_population, within_km, board_from)
    directory = tables or default_tables_dir()
    with session(data) as ws:
        _, what = prepare_board(ws, directory, spec, build=not no_build, workers=workers,
                                progress=ws.progress)
        with ws.step("Loading data and board tables"):
            app_ = create_app(ws, tables_dir=directory, timeout_s=timeout)
        ws.progress = None
    err.print(escape(what), highlight=False)
    if host not in LOCAL_HOSTS:
        err.print(f"[yellow]note:[/yellow] listening on {escape(host)}: reachable from other "
                  "machines (the service is read-only)")
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    err.print(f"serving on {url} (API docs {url}docs); Ctrl-C stops", highlight=False)
    if serve(app_, host=host, port=port, open_browser=open_browser):
        raise KeyboardInterrupt


def main() -> None:
    try:
        app(standalone_mode=False)
    except SupplylineError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
