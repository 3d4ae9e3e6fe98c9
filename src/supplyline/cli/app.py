"""Command-line interface: parse the arguments, call the library, render the result.

Every command takes ``--json`` (the result's ``to_dict()``: one schema for every command,
the web API and the files). User mistakes print one line and exit with code 2; Ctrl-C
exits with 130; nothing stored is modified by a failed command.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.markup import escape
from rich.table import Table

from .._version import __version__
from ..errors import InvalidArgumentError, SupplylineError
from ..i18n import _, band_label, mode_label
from . import checks, render
from .common import (
    BandsOpt,
    DataOpt,
    DateOpt,
    DetourCapOpt,
    JsonOpt,
    ProfileOpt,
    RoadsOpt,
    ToOpt,
    err,
    options,
    out,
    print_json,
    session,
    threat_profile,
)
from .data import data_app
from .export import SUFFIXES as EXPORT_SUFFIXES
from .export import export_app
from .watch import watch_cmd

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
                  help="Supply-route exposure and encirclement risk from open front-line data.")
app.add_typer(data_app, name="data")
app.add_typer(export_app, name="export")
app.command("watch")(watch_cmd)


def _print_json(obj) -> None:
    print_json(obj)


def _show_version(value: bool) -> None:
    if value:
        out.print(f"supplyline {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.",
                                          callback=_show_version, is_eager=True)] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of messages, tables "
                    "and place names: en or uk (default $SUPPLYLINE_LANG, else en).")] = None,
    ground: Annotated[str, typer.Option("--ground", help="Hostile ground that distances, "
                      "bands, rings and routes are measured from: 'contested' (held "
                      "territory plus the grey zone where the data has it) or 'held' (held "
                      "territory only).")] = "contested",
    border: Annotated[bool, typer.Option("--border/--no-border", help="Count the Russian "
                      "side of the state border as hostile ground.")] = True,
) -> None:
    from ..i18n import check_environment, set_language
    from .common import set_global_options

    if ground not in ("contested", "held"):
        raise InvalidArgumentError(f"--ground {ground!r}: expected contested or held")
    set_global_options(threat_ground=ground, border_hostile=border)

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    set_language(lang)
    if lang is None:
        check_environment()


@app.command("network")
def network_cmd(
    mode: Annotated[str, typer.Option(help="road, rail or both.")] = "both",
    data: DataOpt = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Rebuild, ignore cache.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Build (or load) the routable network and report its connected components."""
    modes = checks.modes(mode)
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


# ----------------------------------------------------------------------------- analyses
@app.command("status")
def status_cmd(
    city: Annotated[str, typer.Argument(help="City name (any common spelling) or id.")],
    date: DateOpt = None,
    to: ToOpt = None,
    roads: RoadsOpt = "all",
    detour_cap: DetourCapOpt = 1.5,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Distance to held territory, the rear hubs and the route status to each hub."""
    from ..analysis import queries

    with session(data) as ws:
        res = queries.status(ws, city, date, to=to, options=options(
            roads=roads, detour_cap=detour_cap))
    print_json(res) if as_json else render.status(res.to_dict())


@app.command("routes")
def routes_cmd(
    city: Annotated[str, typer.Argument(help="City name or id.")],
    date: DateOpt = None,
    to: ToOpt = None,
    mode: Annotated[str, typer.Option(help="road, rail or both.")] = "both",
    profile: ProfileOpt = None,
    bands: BandsOpt = None,
    beyond: Annotated[str | None, typer.Option(
        help="Also the shortest route staying beyond this band (e.g. tube), and the "
             "headline count of disjoint routes beyond it (default fpv; the counts beyond "
             "every band are always shown).")] = None,
    detour_cap: DetourCapOpt = 1.5,
    roads: RoadsOpt = "all",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the routes "
                      "as .gpkg, .parquet, .kml, .kmz, .csv or .geojson (see 'export "
                      "routes').")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Peacetime, held-avoiding and safest routes to rear hubs (safest within a detour
    cap), the length / clearance trade-off, and resilience per band with its cuts."""
    from ..analysis import queries

    modes = checks.modes(mode)
    if output is not None:
        checks.check_output_file("--output", output, EXPORT_SUFFIXES)
    prof = threat_profile(profile, bands)
    if beyond is not None:
        prof.threshold_m(beyond)  # an unknown band is an error before computing
    extra = {} if beyond is None else {"beyond_band": beyond, "route_beyond_band": beyond}
    with session(data, profile=prof) as ws:
        res = queries.routes(ws, city, date, to=to, options=options(
            roads=roads, modes=modes, detour_cap=detour_cap, **extra))
        if output is not None:
            from ..viz.export import export, routes_layers

            export(routes_layers(ws, res), output)
    if as_json:
        print_json(res)
    else:
        render.routes(res.to_dict(), str(output) if output else None)


@app.command("exposure")
def exposure_cmd(
    date: DateOpt = None,
    mode: Annotated[str, typer.Option(help="road or rail.")] = "road",
    output: Annotated[Path | None, typer.Option("--output", "-o", help=".gpkg, .parquet, "
                      ".kml, .kmz, .csv or .geojson with every edge, its node ids, clearance "
                      "(km) and band (without it only the summary is printed).")] = None,
    bbox: Annotated[str | None, typer.Option(help="Only edges within lon/lat "
                    "MINLON,MINLAT,MAXLON,MAXLAT (inside the network's extent).")] = None,
    profile: ProfileOpt = None,
    bands: BandsOpt = None,
    roads: RoadsOpt = "all",
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every network edge's distance to held territory and threat band on a date (for GIS).

    The edges are written only with -o FILE (.gpkg or .geojson); without it (also with
    --json) the command prints the summary and writes nothing."""
    from ..analysis import queries
    from ..viz.export import export, exposure_layers

    (mode,) = checks.modes(mode, both=False)
    if output is not None:
        checks.check_output_file("--output", output, EXPORT_SUFFIXES)
    box = checks.parse_bbox(bbox) if bbox else None
    with session(data, profile=threat_profile(profile, bands)) as ws:
        if box is not None:
            checks.check_bbox_extent(box, ws.network(mode))
        with ws.step(f"Measuring every {mode} edge"):
            gdf = queries.edge_exposure(ws, date, mode=mode, bbox=box,
                                        options=options(roads=roads))
        if output is not None:
            export(exposure_layers(ws, gdf, mode), output)
        names = ws.profile.names
    km = gdf.groupby("band")["length_km"].sum() if len(gdf) else {}
    summary = {"date": gdf["date"].iloc[0] if len(gdf) else None, "mode": mode,
               "edges": int(len(gdf)), "output": str(output) if output else None,
               "km_by_band": {b: round(float(km.get(b, 0.0)), 1) for b in names}}
    if as_json:
        print_json(summary)
        return
    if output:
        out.print(escape(_("{n} {mode} edges on {date} written to {path}").format(
            n=f"{summary['edges']:,}", mode=mode_label(mode), date=summary["date"],
            path=output)))
    else:
        out.print(escape(_("{n} {mode} edges on {date} (use -o FILE to write them)").format(
            n=f"{summary['edges']:,}", mode=mode_label(mode), date=summary["date"])))
    out.print(escape(_("km by band:") + " " + ", ".join(
        f"{band_label(b)} {v:,.0f}" for b, v in summary["km_by_band"].items())))


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

    opts = options(radii_km=checks.parse_radii(radii))
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
    route_to: Annotated[str | None, typer.Option("--route-to", help="The peacetime route "
                        "to this hub (e.g. the rail line to Dnipro).")] = None,
    route_mode: Annotated[str, typer.Option("--route-mode", help="rail or road, with "
                          "--route-to.")] = "rail",
    radius: Annotated[float, typer.Option(help="Radius (km) around the city for road, rail "
                      "and boundary targets.")] = 30.0,
    tolerance: Annotated[float, typer.Option(help="Distance (km) that counts as reached.")
                         ] = 1.0,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Distance from held territory to a place, oblast boundary, road or railway (per
    stretch: toward the rear hubs, through the city, toward the front) or the route to a
    hub, and the date it was first reached."""
    from ..analysis import queries

    checks.number("--radius", radius, 0, 500, low_open=True)
    checks.number("--tolerance", tolerance, 0, 50)
    with session(data) as ws:
        res = queries.distance(ws, city, date, place=place, oblast=oblast, road=road, rail=rail,
                               route_to=route_to, route_mode=route_mode, radius_km=radius,
                               tolerance_km=tolerance)
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
    roads: RoadsOpt = "all",
    detour_cap: DetourCapOpt = 1.5,
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

    checks.number("--workers", workers, 1, 256)
    checks.number("--min-population", min_population, 0)
    checks.number("--within-km", within_km, 0, 500, low_open=True)
    checks.check_output_dir("--output", output)
    if scheduler is not None:
        from ..analysis.scheduler import check_scheduler, parse_scheduler

        check_scheduler(parse_scheduler(scheduler))
    opts = options(roads=roads, detour_cap=detour_cap,
                   **({"hubs": tuple(hub)} if hub else {}))
    with session(data) as ws:
        names = list(cities or [])
        if all_near_front:
            names += near_front_cities(ws, min_population=min_population, within_km=within_km,
                                       start=start, end=end)
        if not names:
            raise InvalidArgumentError("name at least one city, or use --all-near-front")
        forecast_at = checks.check_forecast_at(ws, forecast_at, start, end)
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
    checks.number("--radius", radius, 0, 500, low_open=True)
    checks.number("--top", top, 1, 10_000)
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

    checks.check_output_file("--output", output, (".png", ".svg", ".pdf"))
    with session(data) as ws:
        with ws.step("Rendering the map"):
            res = render_map(ws, city, date, output, to=to, radius_km=radius, dpi=dpi)
    if as_json:
        print_json(res)
    else:
        out.print(escape(_("map written to {path}").format(path=res.get("output", output))))


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

    checks.check_output_file("--output", output, (".gif", ".mp4"))
    with session(data) as ws:
        res = animate(ws, city, start, end, output, step_days=step_days, radius_km=radius,
                      fps=fps, progress=ws.progress)
    if as_json:
        print_json(res)
    else:
        out.print(escape(_("{n} frames written to {path}").format(
            n=res.get("frames"), path=res.get("path", output))))


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

    checks.check_output_file("--output", output, (".html", ".htm"))
    checks.number("--step-days", step_days, 1, 366)
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

    checks.number("--workers", workers, 1, 256)
    checks.number("--timeout", timeout, 0, 3600, low_open=True)
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


@app.command("schema")
def schema_cmd(
    kind: Annotated[str, typer.Argument(help="Result kind: status, routes, encirclement, "
                    "distance, places or axes.")],
) -> None:
    """The JSON Schema of a command's --json output (the same as the web API's)."""
    from ..analysis.results import RESULT_TYPES, json_schema

    if kind not in RESULT_TYPES:
        raise InvalidArgumentError(f"schema {kind!r}: expected one of "
                                   f"{', '.join(sorted(RESULT_TYPES))}")
    print_json(json_schema(kind))


def _click_exception() -> type[BaseException]:
    """The ``ClickException`` class of the click copy Typer uses: Typer >= 0.2x ships its
    own (``typer._click``), older Typer re-exports ``click``; either way it is a base of
    ``typer.BadParameter``."""
    return next((c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"),
                typer.BadParameter)


def _usage_line(exc: BaseException) -> str:
    """One line for a usage error: the command, what is wrong, where to look."""
    msg = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", "") or "supplyline"
    return f"{path}: {msg} (see '{path} --help')"


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit: 0 on success, 2 for a user mistake (one line on stderr),
    130 when interrupted (Ctrl-C), 1 for an environment failure (one line). ``--lang``
    holds for this run only."""
    from ..i18n import use_language

    with use_language(None):
        _run(argv)


def _run(argv: list[str] | None) -> None:
    click_exception = _click_exception()
    try:
        _sweep_stale()
        rv = app(args=argv, prog_name="supplyline", standalone_mode=False)
    except SupplylineError as exc:
        _fail(str(exc), exc.exit_code)
    except typer.Exit as exc:  # older Typer/click raise it instead of returning the code
        rv = exc.exit_code
    except typer.Abort:
        _fail(_("interrupted"), 130)
    except KeyboardInterrupt:
        _fail(_("interrupted"), 130)
    except click_exception as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `supplyline` / `supplyline data`
            ctx = exc.ctx  # type: ignore[attr-defined]
            sys.stdout.write(ctx.get_help() + "\n")
            sys.exit(2)
        _fail(_usage_line(exc), int(getattr(exc, "exit_code", 2)) or 2)
    except OSError as exc:  # a file system failure outside any checked write
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        _fail(f"{where}{exc.strerror or exc}", 1)
    # non-standalone Typer returns the code of typer.Exit (130 after Ctrl-C)
    code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
    if code == 130:
        err.print(_("interrupted"), highlight=False)
    sys.exit(code)


def _sweep_stale() -> None:
    """Remove temporary cache files left by a killed run (older than an hour)."""
    from ..io.cache import sweep_stale

    try:
        sweep_stale()
    except OSError:  # housekeeping never stops a command
        pass


def _fail(message: str, code: int) -> NoReturn:
    prefix = "" if code == 130 else f"[red]{escape(_('error:'))}[/red] "
    err.print(f"{prefix}{escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
