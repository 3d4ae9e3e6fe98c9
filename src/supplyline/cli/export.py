"""``supplyline export KIND``: results as GIS files (GeoPackage, GeoParquet, KML/KMZ, CSV).

Thin: each command runs the query the other commands run, turns the result into layers
(:mod:`supplyline.viz.export`) and writes them (:mod:`supplyline.io.gis`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ..errors import InvalidArgumentError
from ..i18n import _
from . import checks
from .checks import check_output_file
from .common import (
    BandsOpt,
    DataOpt,
    DateOpt,
    JsonOpt,
    ProfileOpt,
    RoadsOpt,
    ToOpt,
    options,
    out,
    print_json,
    session,
    threat_profile,
)

export_app = typer.Typer(no_args_is_help=True, help="Write results as GIS files: "
                         "GeoPackage (.gpkg), GeoParquet (.parquet), KML/KMZ (.kml, .kmz) "
                         "or CSV (.csv), chosen by the file name.")

SUFFIXES = (".gpkg", ".parquet", ".geoparquet", ".kml", ".kmz", ".csv", ".geojson", ".json")
OutOpt = Annotated[Path, typer.Option("--output", "-o", help="Output file: .gpkg, .parquet, "
                   ".kml, .kmz or .csv (one file per layer for .parquet and .csv).")]


def _check(output: Path) -> None:
    check_output_file("--output", output, SUFFIXES)


def _write(layers: list[Any], output: Path, title: str, as_json: bool) -> None:
    from ..viz.export import export

    files = export(layers, output, title=title)
    counts = {lay.name: int(len(lay.frame)) for lay in layers}
    summary: dict[str, Any] = {"output": str(output), "files": [str(f) for f in files],
                               "layers": counts}
    if as_json:
        print_json(summary)
        return
    out.print(_("written: {files}").format(files=escape(", ".join(summary["files"]))))
    out.print(_("layers: {counts}").format(
        counts=escape(", ".join(f"{k} {v:,}" for k, v in counts.items()))))


@export_app.command("routes")
def export_routes(
    city: Annotated[str, typer.Argument(help="City name or id.")],
    output: OutOpt,
    date: DateOpt = None,
    to: ToOpt = None,
    mode: Annotated[str, typer.Option(help="road, rail or both.")] = "both",
    profile: ProfileOpt = None,
    bands: BandsOpt = None,
    roads: RoadsOpt = "all",
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Routes to the rear hubs (km per band), their edges (node ids), bottlenecks, hubs."""
    from ..analysis import queries
    from ..viz.export import routes_layers


    _check(output)
    modes = checks.modes(mode)
    with session(data, profile=threat_profile(profile, bands)) as ws:
        res = queries.routes(ws, city, date, to=to, options=options(roads=roads, modes=modes))
        layers = routes_layers(ws, res)
        _write(layers, output, f"supplyline: {res.city.name} {res.date}", as_json)


@export_app.command("exposure")
def export_exposure(
    output: OutOpt,
    date: DateOpt = None,
    mode: Annotated[str, typer.Option(help="road or rail.")] = "road",
    bbox: Annotated[str | None, typer.Option(help="Only edges within lon/lat "
                    "MINLON,MINLAT,MAXLON,MAXLAT.")] = None,
    profile: ProfileOpt = None,
    bands: BandsOpt = None,
    roads: RoadsOpt = "all",
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every network edge with its node ids, clearance from held territory (km) and band."""
    from ..analysis import queries
    from ..viz.export import exposure_layers

    _check(output)
    (mode,) = checks.modes(mode, both=False)
    box = checks.parse_bbox(bbox) if bbox else None
    with session(data, profile=threat_profile(profile, bands)) as ws:
        gdf = queries.edge_exposure(ws, date, mode=mode, bbox=box, options=options(roads=roads))
        if not len(gdf):
            raise InvalidArgumentError(f"--bbox {bbox}: no {mode} edge there")
        _write(exposure_layers(ws, gdf, mode), output,
               f"supplyline: {mode} exposure {gdf['date'].iloc[0]}", as_json)


@export_app.command("rings")
def export_rings(
    city: Annotated[str, typer.Argument(help="City name or id.")],
    output: OutOpt,
    date: DateOpt = None,
    radii: Annotated[str, typer.Option(help="Ring radii in km, comma-separated.")] = "5,10,20,30",
    to: ToOpt = None,
    profile: ProfileOpt = None,
    bands: BandsOpt = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rings around a city (held share, share per band) and the corridor's narrowest point."""
    from ..analysis import queries
    from ..viz.export import rings_layers
    from .app import _radii

    _check(output)
    opts = options(radii_km=_radii(radii))
    with session(data, profile=threat_profile(profile, bands)) as ws:
        res = queries.encirclement(ws, city, date, to=to, options=opts)
        _write(rings_layers(ws, res), output, f"supplyline: {res.city.name} {res.date}",
               as_json)


@export_app.command("held")
def export_held(
    output: OutOpt,
    start: Annotated[str | None, typer.Option("--from", help="First day (default: the "
                     "last day of the history).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (default: --from).")
                   ] = None,
    date: DateOpt = None,
    step: Annotated[int, typer.Option(help="Days between features.")] = 1,
    bbox: Annotated[str | None, typer.Option(help="Clip to lon/lat "
                    "MINLON,MINLAT,MAXLON,MAXLAT.")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Held territory (and grey zone) of a day or range: one feature per day, DATE field."""
    _check(output)
    if date and (start or end):
        raise InvalidArgumentError("use --date DAY or --from/--to, not both")
    box = checks.parse_bbox(bbox) if bbox else None
    with session(data) as ws:
        from ..viz.export import held_layers

        first = date or start or str(ws.history.last)
        last = date or end or first
        layers = held_layers(ws, first, last, step_days=step, bbox=box)
        _write(layers, output, f"supplyline: held territory {first}..{last}", as_json)


@export_app.command("places")
def export_places(
    output: OutOpt,
    oblast: Annotated[str | None, typer.Option(help="Oblast (name or ISO code, e.g. "
                      "UA-14).")] = None,
    city: Annotated[str | None, typer.Option(help="Or: places within --radius of a city."
                    )] = None,
    radius: Annotated[float, typer.Option(help="Radius (km) around --city.")] = 50.0,
    date: DateOpt = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every place of an area: held or not, km to held territory, band, population."""
    from ..viz.export import places_layers

    _check(output)
    if not oblast and not city:
        raise InvalidArgumentError("give --oblast NAME or --city NAME")
    with session(data) as ws:
        layers = places_layers(ws, date, oblast=oblast, city=city, radius_km=radius)
        _write(layers, output, "supplyline: places", as_json)


@export_app.command("timeline")
def export_timeline(
    cities: Annotated[list[str], typer.Argument(help="City names or ids.")],
    output: OutOpt,
    start: Annotated[str | None, typer.Option("--from", help="First day.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day.")] = None,
    roads: RoadsOpt = "all",
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The timeline's days, routes and events as dated points at each city."""
    from ..analysis.summary import timeline_analysis
    from ..viz.export import timeline_layers

    _check(output)
    with session(data) as ws:
        res = timeline_analysis(ws, list(cities), start, end, options=options(roads=roads),
                                progress=ws.progress)
        _write(timeline_layers(ws, res), output, "supplyline: timeline", as_json)
