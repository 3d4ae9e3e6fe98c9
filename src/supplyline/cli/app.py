"""Command-line interface: a thin layer over :mod:`supplyline.analysis`.

Every command takes ``--json`` for machine output. User mistakes print one line and exit
with code 2; nothing stored is modified by a failed command.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from .._version import __version__
from ..errors import InvalidArgumentError, OutputError, SupplylineError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
                  help="Supply-route exposure and encirclement risk from open front-line data.")
data_app = typer.Typer(no_args_is_help=True, help="Find, check and download the input data.")
app.add_typer(data_app, name="data")

out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)

DataOpt = Annotated[Path | None, typer.Option("--data", help="Data directory (else "
                    "$SUPPLYLINE_DATA, ../shared/data, the download cache).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
DateOpt = Annotated[str, typer.Option("--date", "-d", help="Date YYYY-MM-DD (default: the "
                    "last day of the control history).")]


def _progress(counter=None) -> Progress:
    """Progress display on stderr; ``counter`` is the column counting done work (items by
    default, bytes for downloads)."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    counter or MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                    transient=True)


def _strip(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k != "edge_ids"}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    if isinstance(obj, float) and obj != obj:
        return None
    return obj


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(_strip(obj), indent=2, ensure_ascii=False, default=str) + "\n")


def _workspace(data: Path | None, progress: Progress | None = None, **kw):
    from ..analysis.context import Workspace

    return Workspace(data, progress=progress, **kw)


def _profile(profile: Path | None, bands: str | None):
    from ..core.exposure import ThreatProfile

    if profile and bands:
        raise InvalidArgumentError("use either --profile FILE or --bands SPEC, not both")
    if profile:
        return ThreatProfile.load(profile)
    if bands:
        return ThreatProfile.parse(bands)
    return ThreatProfile()


def _date_or_last(ws, date: str | None) -> str:
    return date if date else str(ws.history.last)


# ----------------------------------------------------------------------------- checks
# Every option is checked before any computation: a mistake is one line and exit code 2.

def _number(opt: str, value: float, low: float | None = None, high: float | None = None,
            *, low_open: bool = False) -> float:
    """``value`` if finite and within [low, high] (``low_open``: (low, high]), else an
    :class:`InvalidArgumentError` naming the option and the range."""
    ok = isinstance(value, int | float) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        hi = "" if high is None else f"<= {high:g}"
        want = " and ".join(x for x in (lo, hi) if x) or "finite"
        raise InvalidArgumentError(f"{opt} {value!r}: expected a number {want}")
    return value


def _parse_radii(text: str) -> tuple[float, ...]:
    """``"5,10,20"`` -> (5.0, 10.0, 20.0): positive distinct km up to 500."""
    parts = [x.strip() for x in text.split(",")]
    if not any(parts):
        raise InvalidArgumentError(f"--radii {text!r}: expected numbers in km, e.g. 5,10,20")
    try:
        radii = tuple(float(x) for x in parts if x)
    except ValueError:
        raise InvalidArgumentError(
            f"--radii {text!r}: expected numbers in km, e.g. 5,10,20") from None
    for r in radii:
        if not (math.isfinite(r) and 0 < r <= 500):
            raise InvalidArgumentError(f"--radii {text!r}: radius {r:g} km is not in (0, 500]")
    if len(set(radii)) != len(radii):
        raise InvalidArgumentError(f"--radii {text!r}: each radius once")
    return radii


def _parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``"MINLON,MINLAT,MAXLON,MAXLAT"`` in degrees (min < max, lon/lat in range)."""
    want = f"--bbox {text!r}: expected MINLON,MINLAT,MAXLON,MAXLAT in degrees"
    try:
        box = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise InvalidArgumentError(want) from None
    if len(box) != 4 or not all(math.isfinite(v) for v in box):
        raise InvalidArgumentError(want)
    if not (-180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90):
        raise InvalidArgumentError(f"{want} (lon -180..180, lat -90..90, min < max)")
    return box  # type: ignore[return-value]


#: A --bbox may reach this far (degrees) beyond the network's extent.
BBOX_MARGIN_DEG = 0.5


def _check_bbox_extent(box: tuple[float, float, float, float], net) -> None:
    """A --bbox must lie within the network's lon/lat extent (plus a small margin):
    outside it there is nothing to measure and the metric projection is not meant for it."""
    from ..crs import lonlat_xy

    lon, lat = lonlat_xy(net.node_xy[:, 0], net.node_xy[:, 1])
    ext = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    m = BBOX_MARGIN_DEG
    if not (box[0] >= ext[0] - m and box[1] >= ext[1] - m and box[2] <= ext[2] + m
            and box[3] <= ext[3] + m):
        raise InvalidArgumentError(
            f"--bbox {','.join(f'{v:g}' for v in box)}: outside the network extent "
            f"{ext[0]:.2f},{ext[1]:.2f},{ext[2]:.2f},{ext[3]:.2f} (MINLON,MINLAT,MAXLON,MAXLAT);"
            " give a box inside it")


def _check_forecast_at(ws, forecast_at: str | None, start: str | None,
                       end: str | None) -> str | None:
    """--forecast-at as YYYY-MM-DD, when it lies in the timeline's range (--from .. --to,
    within the control history)."""
    if forecast_at is None:
        return None
    from ..data.control import parse_date

    hist = ws.history
    day = parse_date(forecast_at)
    lo = max(parse_date(start), hist.first) if start else hist.first
    hi = min(parse_date(end), hist.last) if end else hist.last
    if not (lo <= day <= hi):
        raise InvalidArgumentError(f"--forecast-at {day}: outside the timeline {lo} .. {hi} "
                                   f"(control history {hist.first} .. {hist.last})")
    return str(day)


def _writable_dir(opt: str, target: Path, directory: Path) -> None:
    """Fail (one line naming ``opt`` and ``target``) unless files can be created in
    ``directory`` or, when it does not exist yet, in its nearest existing ancestor.
    Tries a real temporary file: permission bits alone do not tell (root, read-only
    mounts, immutable directories)."""
    d = directory
    while not d.exists() and d.parent != d:
        d = d.parent
    if d.exists() and not d.is_dir():
        raise OutputError(f"{opt} {target}: {d} is a file, not a directory")
    try:
        with tempfile.TemporaryFile(dir=d):
            pass
    except OSError as exc:
        raise OutputError(f"{opt} {target}: cannot write in {d} "
                          f"({exc.strerror or exc})") from None


def _check_output_file(opt: str, path: Path, suffixes: tuple[str, ...] | None = None) -> Path:
    """An output file the command will write: right suffix, not a directory, in a
    writable place. Checked before the computation."""
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise InvalidArgumentError(f"{opt} {path}: expected a file name ending in "
                                   f"{', '.join(suffixes)}")
    if path.is_dir():
        raise OutputError(f"{opt} {path}: is a directory; give a file name")
    _writable_dir(opt, path, path.parent)
    return path


def _check_output_dir(opt: str, path: Path) -> Path:
    """An output directory the command will fill (created if missing)."""
    if path.exists() and not path.is_dir():
        raise OutputError(f"{opt} {path}: exists and is not a directory")
    _writable_dir(opt, path, path)
    return path


def _show_version(value: bool) -> None:
    if value:
        out.print(f"supplyline {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.",
                                          callback=_show_version, is_eager=True)] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


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
    modes = ("road", "rail") if mode == "both" else (mode,)
    ws = _workspace(data, use_cache=not no_cache)
    rep = {}
    check = ["Pokrovsk", "Kramatorsk", "Pavlohrad", "Dnipro"]
    with err.status("Building network..."):
        for m in modes:
            net = ws.network(m)
            r = dict(net.report)
            r["main_component_contains"] = {}
            for name in check:
                p = ws.find(name).place
                node, d = net.nearest_node(p.xy, main_only=False)
                r["main_component_contains"][name] = bool(
                    net.node_component[node] == net.main_component and d < 5000)
            rep[m] = r
    if as_json:
        _print_json(rep)
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
    city: Annotated[str, typer.Argument(help="City name (any common spelling).")],
    date: DateOpt = "",
    to: Annotated[str, typer.Option("--to", help="Hub for the route summary.")] = "Dnipro",
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Distance to held territory, oblast, nearest rear hubs and routes to Dnipro."""
    with _progress() as prog:
        ws = _workspace(data, progress=prog)
        res = ws.status(city, _date_or_last(ws, date), to=to)
    if as_json:
        _print_json(res)
        return
    c = res["city"]
    out.print(f"[bold]{c['name']}[/bold] ({res['oblast']}, pop. {c['population']:,}) on "
              f"{res['date']}" + ("" if res["data_exact"] else
                                  f" [yellow](data of {res['data_date']}, last known day)"
                                  "[/yellow]"))
    out.print(f"  lookup: {escape(res['lookup'])}")
    if res["centre_held"]:
        out.print("  [red]city centre is inside held territory[/red]")
    else:
        out.print(f"  distance from centre to held territory: [bold]"
                  f"{res['distance_to_held_km']:.1f} km[/bold] (band: {res['centre_band']})")
    t = Table(title="Nearest rear hubs")
    for col in ("hub", "oblast", "population", "distance km", "direction"):
        t.add_column(col)
    for h in res["rear_hubs"]:
        t.add_row(h["name"], h["oblast"], f"{h['population']:,}", f"{h['distance_km']:.0f}",
                  f"{h['direction']} ({h['bearing_deg']} deg)")
    out.print(t)
    _routes_table(res["routes_to"], [res["routes"]["road"], res["routes"]["rail"]],
                  res["clearance_cap_km"])


def _routes_table(title: str, pairs: list[dict], cap_km: float) -> None:
    t = Table(title=f"Routes to {title}")
    for col in ("mode", "route", "status", "km", "detour", "min clear km", "km per band",
                "route numbers"):
        t.add_column(col)
    for p in pairs:
        if "error" in p:
            t.add_row(p["mode"], "-", "[red]n/a[/red]", "-", "-", "-", "-", escape(p["error"]))
            continue
        for kind, r in p["routes"].items():
            if not r["found"]:
                t.add_row(p["mode"], kind, "[red]none[/red]", "-", "-", "-", "-", "-")
                continue
            color = ("red" if r["status"] == "cut" else "green" if r["status"] == "open"
                     else "yellow")
            bands = ", ".join(f"{k} {v:.0f}" for k, v in r["km_by_band"].items())
            t.add_row(p["mode"], kind, f"[{color}]{r['status']}[/{color}]",
                      f"{r['length_km']:.1f}", f"{r['detour']:.2f}",
                      _clear_text(r["min_clearance_km"], cap_km), bands,
                      " > ".join(r["refs"]) or "-")
    out.print(t)


def _clear_text(km: float, cap_km: float) -> str:
    """Clearance for display: values at the cap read as '>= cap' (not measured further)."""
    return f">={cap_km:g}" if km >= cap_km - 1e-6 else f"{km:.1f}"


@app.command("routes")
def routes_cmd(
    city: Annotated[str, typer.Argument(help="City name.")],
    date: DateOpt = "",
    to: Annotated[list[str] | None, typer.Option("--to", help="Rear hub (repeatable; "
                  "default: chosen automatically).")] = None,
    mode: Annotated[str, typer.Option(help="road, rail or both.")] = "both",
    profile: Annotated[Path | None, typer.Option(help="Threat profile file (TOML/JSON/YAML)."
                       )] = None,
    bands: Annotated[str | None, typer.Option(help="Bands as NAME=KM,... e.g. "
                     "contact=3,fpv=15,tube=25,rocket=45.")] = None,
    beyond: Annotated[str, typer.Option(help="Resilience: count routes staying beyond this "
                      "band.")] = "fpv",
    all_roads: Annotated[bool, typer.Option("--all-roads", help="Resilience over all roads, "
                         "not only M/P/T roads.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write routes as "
                      ".geojson or .gpkg.")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Peacetime, held-avoiding and safest routes to rear hubs; resilience and bottlenecks."""
    if mode not in ("road", "rail", "both"):
        raise InvalidArgumentError(f"--mode {mode!r}: expected road, rail or both")
    if output is not None:
        _check_output_file("--output", output, (".geojson", ".gpkg", ".json"))
    modes = ("road", "rail") if mode == "both" else (mode,)
    prof = _profile(profile, bands)
    with _progress() as prog:
        ws = _workspace(data, progress=prog, profile=prof)
        res = ws.routes(city, _date_or_last(ws, date), to=to, modes=modes, beyond_band=beyond,
                        main_roads_only=not all_roads)
        if output is not None:
            from ..io.cache import write_vector

            write_vector(ws.route_geometries(res), output, "routes")
    if as_json:
        _print_json(res)
        return
    c = res["city"]
    out.print(f"[bold]{c['name']}[/bold] on {res['date']}" +
              ("" if res["data_exact"] else f" (data of {res['data_date']})") +
              f": centre {res['distance_to_held_km']:.1f} km from held territory")
    for m, block in res["modes"].items():
        for p in block["pairs"]:
            _routes_table(f"{p['hub']} by {m}: [bold]{p['status']}[/bold]", [p],
                          res["clearance_cap_km"])
        r = block["resilience"]
        out.print(f"[bold]{m}[/bold] resilience: {r['disjoint_routes']} edge-disjoint route(s) "
                  f"to the rear staying beyond '{r['beyond_band']}'"
                  f"{' (M/P/T roads)' if r.get('main_roads_only') else ''}; bottleneck:")
        for e in r["bottleneck_edges"][:10]:
            out.print(f"   - {e['ref'] or e['cls']} at {e.get('near', '')} "
                      f"({e['lat']:.4f}, {e['lon']:.4f}), clearance {e['clearance_km']:.1f} km")
    if output is not None:
        out.print(f"routes written to {output}")


@app.command("exposure")
def exposure_cmd(
    date: DateOpt = "",
    mode: Annotated[str, typer.Option(help="road or rail.")] = "road",
    output: Annotated[Path | None, typer.Option("--output", "-o", help=".gpkg or .geojson "
                      "with every edge, its clearance (km) and band. Without it nothing is "
                      "written: only the summary is printed.")] = None,
    bbox: Annotated[str | None, typer.Option(help="Only edges within lon/lat "
                    "MINLON,MINLAT,MAXLON,MAXLAT (inside the network's extent).")] = None,
    profile: Annotated[Path | None, typer.Option(help="Threat profile file.")] = None,
    bands: Annotated[str | None, typer.Option(help="Bands NAME=KM,...")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every network edge's distance to held territory and threat band on a date (for GIS).

    The edges are written only with -o FILE (.gpkg or .geojson); without it (also with
    --json) the command prints the summary and writes nothing."""
    if mode not in ("road", "rail"):
        raise InvalidArgumentError(f"--mode {mode!r}: expected road or rail")
    if output is not None:
        _check_output_file("--output", output, (".gpkg", ".geojson", ".json"))
    box = _parse_bbox(bbox) if bbox else None
    prof = _profile(profile, bands)
    with _progress() as prog:
        ws = _workspace(data, progress=prog, profile=prof)
        day = _date_or_last(ws, date)
        if box is not None:
            _check_bbox_extent(box, ws.network(mode))
        with ws.step(f"Measuring every {mode} edge"):
            gdf = ws.edge_exposure(mode, day, bbox=box)
        if output is not None:
            from ..io.cache import write_vector

            write_vector(gdf, output, f"{mode}_exposure")
    km = gdf.groupby("band")["length"].sum() / 1000
    summary = {"date": gdf["date"].iloc[0] if len(gdf) else day, "mode": mode,
               "edges": int(len(gdf)), "output": str(output) if output is not None else None,
               "km_by_band": {b: round(float(km.get(b, 0.0)), 1) for b in ws.profile.names}}
    if as_json:
        _print_json(summary)
        return
    where = f"written to {output}" if output is not None else "(not written: pass -o FILE)"
    out.print(f"{summary['edges']:,} {mode} edges on {summary['date']} {where}")
    out.print("km by band: " + ", ".join(f"{b} {v:,.0f}" for b, v in
                                         summary["km_by_band"].items()))


@app.command("encirclement")
def encirclement_cmd(
    city: Annotated[str, typer.Argument(help="City name.")],
    date: DateOpt = "",
    radii: Annotated[str, typer.Option(help="Ring radii in km, comma-separated.")] = "5,10,20,30",
    to: Annotated[list[str] | None, typer.Option("--to", help="Rear hub(s) for the corridor "
                  "(default: automatic).")] = None,
    profile: Annotated[Path | None, typer.Option(help="Threat profile file.")] = None,
    bands: Annotated[str | None, typer.Option(help="Bands NAME=KM,...")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ring occupancy around a city, flanks / pincer arms, and the corridor width."""
    rr = _parse_radii(radii)
    prof = _profile(profile, bands)
    with _progress() as prog:
        ws = _workspace(data, progress=prog, profile=prof)
        res = ws.encirclement(city, _date_or_last(ws, date), radii_km=rr, to=to)
    if as_json:
        _print_json(res)
        return
    c = res["city"]
    out.print(f"[bold]{c['name']}[/bold] on {res['date']}: centre "
              + ("[red]held[/red]" if res["centre_held"] else
                 f"{res['distance_to_held_km']:.1f} km from held territory"))
    t = Table(title="Ring occupancy (share of bearings)")
    names = list(res["rings"][0]["band_share"]) if res["rings"] else []
    for col in ["radius km", *names, "held bearings"]:
        t.add_column(col)
    for r in res["rings"]:
        t.add_row(f"{r['radius_km']:g}", *(f"{100 * r['band_share'][n]:.0f}%" for n in names),
                  "; ".join(r["description"]) or "-")
    out.print(t)
    out.print(f"flanks: {res['flanks']['description']}")
    if "corridor_open_ground" in res:
        cg = res["corridor_open_ground"]
        near = cg.get("narrowest", {}).get("near", "")
        out.print(f"corridor to {', '.join(res['rear'])}: open ground keeps >= "
                  f"[bold]{cg['width_km']:.1f} km[/bold] from held territory (narrowest "
                  f"{near}); best road route keeps >= {res['corridor_road_km']:.1f} km")


@app.command("distance")
def distance_cmd(
    city: Annotated[str, typer.Argument(help="City the question is about.")],
    date: DateOpt = "",
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
    _number("--radius", radius, 0, 500, low_open=True)
    _number("--tolerance", tolerance, 0, 50)
    with _progress() as prog:
        ws = _workspace(data, progress=prog)
        res = ws.proximity(city, _date_or_last(ws, date), place=place, oblast=oblast,
                           road=road, rail=rail, radius_km=radius, tolerance_km=tolerance)
    if as_json:
        _print_json(res)
        return
    t = Table(title=f"Distance from held territory on {res['date']}")
    for col in ("target", "km", "reached", "first reached", "closest in history km"):
        t.add_column(col)
    for r in res["targets"]:
        t.add_row(r["target"], f"{r['distance_km']:.1f}", "yes" if r["reached"] else "no",
                  r["first_reached"] or f"not by {r['history_last']}",
                  f"{r['min_km_in_history']:.1f}")
    out.print(t)


@app.command("timeline")
def timeline_cmd(
    cities: Annotated[list[str] | None, typer.Argument(help="City names.")] = None,
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
    all_roads: Annotated[bool, typer.Option("--all-roads", help="Track all roads, not only "
                         "M/P/T roads (slower).")] = False,
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
    """Metrics for every day, events, trends and a backtested forecast; Parquet + CSV."""
    from ..analysis.summary import timeline_analysis
    from ..analysis.timeline import TimelineParams, near_front_cities

    _number("--workers", workers, 1, 256)
    _number("--min-population", min_population, 0)
    _number("--within-km", within_km, 0, 500, low_open=True)
    if not cities and not all_near_front:
        raise InvalidArgumentError("name at least one city, or use --all-near-front")
    _check_output_dir("--output", output)
    if scheduler is not None:
        from ..analysis.scheduler import check_scheduler, parse_scheduler

        check_scheduler(parse_scheduler(scheduler))
    with _progress() as prog:
        ws = _workspace(data, progress=prog)
        forecast_day = _check_forecast_at(ws, forecast_at, start, end)
        names = list(cities or [])
        if all_near_front:
            names += near_front_cities(ws, min_population=min_population, within_km=within_km,
                                       start=start, end=end)
        if not names:
            raise SupplylineError(f"no city of >= {min_population:,} people within "
                                  f"{within_km:g} km of the front")
        res = timeline_analysis(ws, names, start, end,
                                params=TimelineParams(main_roads_only=not all_roads),
                                use_cache=not no_cache, progress=prog, forecast_at=forecast_day,
                                workers=workers, scheduler=scheduler)
    tl = res["timeline"]
    import pandas as pd

    from ..io.cache import atomic_write

    tables = {"days": tl.days.drop(columns=["sig"], errors="ignore"), "routes": tl.routes,
              "events": pd.DataFrame(res["events"])}
    written = []
    for name, df in tables.items():
        for suffix in (".parquet", ".csv"):
            path = output / f"{name}{suffix}"
            if suffix == ".parquet":
                atomic_write(path, lambda tmp, df=df: df.to_parquet(tmp, index=False))
            else:
                atomic_write(path, lambda tmp, df=df: df.to_csv(tmp, index=False))
            written.append(str(path))
    summary = {"stats": res["stats"], "cities": res["cities"], "files": written,
               "pooled_backtest": res.get("pooled_backtest", {})}
    atomic_write(output / "summary.json", lambda tmp: tmp.write_text(
        json.dumps(_strip(summary), indent=2, ensure_ascii=False, default=str)))
    if as_json:
        _print_json(summary | {"events": res["events"]})
        return
    st = res["stats"]
    out.print(f"{len(res['cities'])} cities, {st['city_days']} city-days: {st['recomputed']} "
              f"computed, {st['carried_over']} unchanged near the city (carried over), "
              f"{st['from_cache']} from cache; {st['missing_days']} days missing in the data")
    ev = pd.DataFrame(res["events"])
    if len(ev):
        t = Table(title="Events")
        for col in ("city", "date", "kind", "subject", "detail"):
            t.add_column(col)
        for r in ev.head(60).itertuples():
            t.add_row(r.city, r.date, r.kind, r.subject, r.detail)
        out.print(t)
        if len(ev) > 60:
            out.print(f"... {len(ev) - 60} more events in {output / 'events.csv'}")
    for city, info in list(res["cities"].items())[:10]:
        tr = info["trends"]
        out.print(f"[bold]{city}[/bold] trend to {tr.get('date')}: approach "
                  f"{tr.get('approach_km_per_day')} km/day, held area near city "
                  f"{tr.get('area_km2_per_day')} km2/day")
        for f in info["forecasts"]:
            bt = f["backtest"]
            if bt["scored"]:
                line = (f"  {f['quantity']}: backtest {bt['scored']} cases, median error "
                        f"{bt['median_abs_error_days']} d, 80% of errors in "
                        f"{bt['error_p10_p90_days']} d, real date inside range "
                        f"{bt['coverage']}; ")
            else:
                line = f"  {f['quantity']}: "  # the reason it is withheld follows
            if f["shown"] and f["forecast"]["note"] != "trend":
                line += f"forecast: {f['forecast']['note']}"
            elif f["shown"]:
                fc = f["forecast"]
                line += (f"forecast: {fc['eta']} (trend range {fc['eta_range'][0]} .. "
                         f"{fc['eta_range'][1]})")
                if f.get("calibrated_range"):
                    line += (f"; calibrated on earlier errors {f['calibrated_range'][0]} .. "
                             f"{f['calibrated_range'][1]}")
            else:
                line += f["withheld"]
            out.print(line)
    for kind, p in res.get("pooled_backtest", {}).items():
        if p["cases"]:
            judged = (f"calibrated 80% range held the real date in "
                      f"{p['calibrated_coverage']} of {p['judged']} judged cases"
                      if p["judged"] else "no case judged yet (no calibrated range)")
            out.print(f"pooled backtest, {kind}: {p['cases']} cases over all cities, median "
                      f"error {p['median_abs_error_days']} d; {judged}")
    out.print(f"tables written to {output}/ (days, routes, events as .parquet and .csv)")


@app.command("places")
def places_cmd(
    oblast: Annotated[str | None, typer.Option(help="Oblast (English/Ukrainian name or ISO "
                      "code, e.g. UA-14).")] = None,
    city: Annotated[str | None, typer.Option(help="Or: places within --radius of a city.")
                    ] = None,
    radius: Annotated[float, typer.Option(help="Radius (km) around --city.")] = 50.0,
    date: DateOpt = "",
    since: Annotated[str | None, typer.Option("--since", help="Also show the change since "
                     "this date.")] = None,
    top: Annotated[int, typer.Option("--top", "-n", help="How many places to list.")] = 10,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Largest places not held, and population in held territory and each threat band."""
    from ..analysis.settlements import largest_not_held, population_by_band, settlements_change

    if not oblast and not city:
        raise InvalidArgumentError("give --oblast NAME or --city NAME")
    _number("--radius", radius, 0, 500, low_open=True)
    _number("--top", top, 1, 10_000)
    with _progress() as prog:
        ws = _workspace(data, progress=prog)
        day = _date_or_last(ws, date)
        res = {"largest_not_held": largest_not_held(ws, oblast, day, top, city=city,
                                                    radius_km=radius),
               "population_by_band": population_by_band(ws, day, oblast=oblast, city=city,
                                                        radius_km=radius)}
        if since:
            res["change"] = settlements_change(ws, since, day, oblast=oblast, city=city,
                                               radius_km=radius, n=top)
    if as_json:
        _print_json(res)
        return
    lnh = res["largest_not_held"]
    where = lnh.get("oblast") or f"{radius:g} km of {city}"
    out.print(f"[bold]{where}[/bold] on {lnh['date']}: {lnh['held_places']} of "
              f"{lnh['places']} places held, {100 * lnh['held_share_population']:.1f}% of "
              f"{lnh['population']:,} people (GeoNames, pre-war population)")
    t = Table(title="Largest places not held")
    for col in ("place", "population", "km to held", "band"):
        t.add_column(col)
    for r in lnh["largest_not_held"]:
        t.add_row(r["name"], f"{r['population']:,}", f"{r['distance_km']:.1f}", r["band"])
    out.print(t)
    pb = res["population_by_band"]
    t = Table(title="Population by band")
    for col in ("band", "places", "population", "share"):
        t.add_column(col)
    for band, v in pb["by_band"].items():
        t.add_row(band, str(v["places"]), f"{v['population']:,}", f"{100 * v['share']:.1f}%")
    out.print(t)
    if "change" in res:
        _change_tables(res["change"], top)


def _change_tables(ch: dict, top: int) -> None:
    """``places --since`` in table mode: the change between the two dates."""
    a, b = ch["start"], ch["end"]
    pts = 100 * ch["held_share_change"]
    out.print(f"[bold]Change {a['date']} -> {b['date']}[/bold]: population held "
              f"{100 * a['held_share']:.1f}% -> {100 * b['held_share']:.1f}% "
              f"({pts:+.1f} points)")
    t = Table(title=f"Population by band, {a['date']} and {b['date']}")
    for col in ("band", f"places {a['date']}", f"population {a['date']}",
                f"places {b['date']}", f"population {b['date']}", "change", "moved in",
                "moved out"):
        t.add_column(col)
    for band, v0 in a["by_band"].items():
        v1 = b["by_band"].get(band, {"places": 0, "population": 0})
        t.add_row(band, str(v0["places"]), f"{v0['population']:,}", str(v1["places"]),
                  f"{v1['population']:,}", f"{ch['population_change'].get(band, 0):+,}",
                  f"{ch['moved_into'].get(band, 0):,}", f"{ch['moved_out_of'].get(band, 0):,}")
    out.print(t)
    if ch["transitions"]:
        t = Table(title="Places that changed band")
        for col in ("from", "to", "places", "population"):
            t.add_column(col)
        for r in ch["transitions"][:top]:
            t.add_row(r["from"], r["to"], str(r["places"]), f"{r['population']:,}")
        out.print(t)
    for key, label in (("newly_held", "newly held"), ("no_longer_held", "no longer held")):
        g = ch[key]
        names = ", ".join(f"{escape(n['name'])} ({n['population']:,})" for n in g["names"][:top])
        more = f", ... {g['places'] - top} more" if g["places"] > top else ""
        out.print(f"{label}: {g['places']} places, {g['population']:,} people"
                  + (f": {names}{more}" if names else ""))


@app.command("axes")
def axes_cmd(
    city: Annotated[str, typer.Argument(help="City name.")],
    date: DateOpt = "",
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
    from ..analysis.axes import axis_profile

    with _progress() as prog:
        ws = _workspace(data, progress=prog)
        res = axis_profile(ws, city, _date_or_last(ws, date), bearing, towards=towards,
                           length_km=length, width_km=width, step_km=step)
    if as_json:
        _print_json(res)
        return
    t = Table(title=f"Axes from {city} ({res['length_km']:g} x {res['width_km']:g} km)")
    for col in ("axis", "people/km2", "largest places", "road km/km2", "rivers", "held"):
        t.add_column(col)
    for a in res["axes"]:
        t.add_row(a["label"], f"{a['population_density']:.0f}",
                  ", ".join(s["name"] for s in a["largest_settlements"][:3]) or "-",
                  f"{a['road_density']:.2f}", ", ".join(a["rivers"][:3]) or "-",
                  f"{100 * a['held_share']:.0f}%")
    out.print(t)
    out.print(res["summary"])


@app.command("map")
def map_cmd(
    city: Annotated[str, typer.Argument(help="City name.")],
    date: DateOpt = "",
    output: Annotated[Path, typer.Option("--output", "-o", help="Image file (.png, .svg, "
                      ".pdf).")] = Path("map.png"),
    to: Annotated[list[str] | None, typer.Option("--to", help="Rear hub (repeatable).")
                  ] = None,
    radius: Annotated[float | None, typer.Option(help="Square extent of this radius (km) "
                      "around the city (default: city and hubs).")] = None,
    dpi: Annotated[int, typer.Option(help="Resolution of raster output.")] = 150,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A static map: held territory, bands, roads/rail by status, routes, bottlenecks."""
    from ..viz.maps import MAP_FORMATS, render_map

    _check_output_file("--output", output, tuple(MAP_FORMATS))
    with _progress() as prog:
        ws = _workspace(data, progress=prog)
        with ws.step("Rendering the map"):
            res = render_map(ws, city, _date_or_last(ws, date), output, to=to,
                             radius_km=radius, dpi=dpi)
    if as_json:
        _print_json(res)
    else:
        out.print(f"map written to {res.get('path', output)}")


@app.command("animate")
def animate_cmd(
    city: Annotated[str, typer.Argument(help="City name.")],
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
    from ..viz.maps import ANIMATION_FORMATS, animate

    _check_output_file("--output", output, tuple(ANIMATION_FORMATS))
    with _progress() as prog:
        ws = _workspace(data, progress=prog)
        res = animate(ws, city, start, end, output, step_days=step_days, radius_km=radius,
                      fps=fps, progress=prog)
    if as_json:
        _print_json(res)
    else:
        out.print(f"{res.get('frames')} frames written to {res.get('path', output)}")


@app.command("report")
def report_cmd(
    city: Annotated[str, typer.Argument(help="City name.")],
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

    _check_output_file("--output", output, (".html", ".htm"))
    _number("--step-days", step_days, 1, 366)
    with _progress() as prog:
        ws = _workspace(data, progress=prog)
        res = build_report(ws, city, start, end, output, step_days=step_days, progress=prog)
    if as_json:
        _print_json(res)
    else:
        out.print(f"report written to {res['path']} ({res['bytes'] / 1e6:.1f} MB, "
                  f"{res['dates']} dates)")


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
    130 when interrupted (Ctrl-C), 1 for an environment failure (one line)."""
    click_exception = _click_exception()
    try:
        _sweep_stale()
        rv = app(args=argv, prog_name="supplyline", standalone_mode=False)
    except SupplylineError as exc:
        _fail(str(exc), exc.exit_code)
    except typer.Exit as exc:  # older Typer/click raise it instead of returning the code
        rv = exc.exit_code
    except typer.Abort:
        _fail("interrupted", 130)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
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
        err.print("interrupted", highlight=False)
    sys.exit(code)


def _sweep_stale() -> None:
    """Remove temporary cache files left by a killed run (older than an hour)."""
    from ..io.cache import sweep_stale

    try:
        sweep_stale()
    except OSError:  # housekeeping never stops a command
        pass


def _fail(message: str, code: int) -> NoReturn:
    prefix = "" if code == 130 else "[red]error:[/red] "
    err.print(f"{prefix}{escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
