"""``supplyline data``: find, check, download and update the input data.

- ``data status``: every source (daily files, API snapshots, EuroGlobalMap, oblasts, OSM)
  and where it was found, the merged control history (range, days per source, grey-zone
  days, sparse stretches, missing days, skipped days, rejected files, names the loader did
  not recognise); with nothing found at all, one line and exit code 2.
- ``data fetch``: DeepState daily files by date range (``--source deepstate``, the
  default), DeepStateMap API snapshots (``--source deepstate-api``: the last snapshot of
  each UTC day, stored raw as ``deepstate-raw/<unix-seconds>.geojson``), an OSM extract.
- ``data update``: fetch what is new since the stored data, bring the parsed control
  history cache up to date (only new files parsed), then call
  :func:`update_timeline_tables` (the stored board tables, when there are any).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    DownloadColumn,
    Progress,
)
from rich.table import Table

from ..errors import DataNotFoundError, SupplylineError
from .common import DataOpt, JsonOpt, err, out
from .common import print_json as _print_json
from .common import progress as _progress

data_app = typer.Typer(no_args_is_help=True, help="Find, check and download the input data.")

SOURCES = ("deepstate", "deepstate-api")


# ----------------------------------------------------------------------------- status

def _history_info(hist: Any) -> dict:
    summ = hist.summary()
    rep = summ.pop("repair")
    miss = hist.missing_days()
    spans = [(dt.date.fromisoformat(x["start"]), dt.date.fromisoformat(x["end"]))
             for x in summ["sparse_stretches"]]
    lone = [d for d in miss if not any(a <= d <= b for a, b in spans)]
    return {
        "days": summ["days"], "first": summ["first"], "last": summ["last"],
        "days_by_source": summ["days_by_source"], "grey_days": summ["grey_days"],
        "grey_first": summ["grey_first"], "grey_last": summ["grey_last"],
        "sparse_stretches": summ["sparse_stretches"],
        "missing_days": len(miss), "missing_dates": [str(d) for d in miss],
        "missing_outside_sparse": [str(d) for d in lone],
        "overlap": summ.get("overlap"),
        "skipped_days": rep["skipped_days"], "rejected_files": rep["rejected_files"],
        "unknown_names": rep["unknown_names"], "classified_by_colour": rep["by_colour"],
        "outside_ukraine": rep["outside_ukraine"],
        "foreign_features": rep["foreign_features"],
        "superseded_snapshots": rep["superseded_snapshots"],
        "repair": {k: rep[k] for k in ("files", "invalid_repaired", "z_dropped",
                                        "points_skipped", "null_geometries",
                                        "bad_geometries", "notes", "outline")},
        "cache": summ.get("cache"),
    }


def _status_info(data: Path | None) -> dict:
    from ..io.sources import locate

    srcs = locate(data)
    info: dict = {"searched": [{"label": lab, "path": str(p), "exists": p.is_dir()}
                               for lab, p in srcs.searched], "sources": {}}
    for kind in ("deepstate", "deepstate_raw", "egm", "oblasts", "osm"):
        s = getattr(srcs, kind)
        info["sources"][kind] = {"found": s.found, "path": str(s.path) if s.path else None,
                                 "origin": s.origin, "detail": s.detail}
    info["sources"]["deepstate"]["locations"] = [
        {"label": lab, "path": str(p)} for lab, p in srcs.daily_dirs]
    info["sources"]["deepstate_raw"]["locations"] = [
        {"label": lab, "path": str(p)} for lab, p in srcs.raw_dirs]
    if srcs.daily_dirs or srcs.raw_dirs:
        from ..data.control import ControlHistory

        with _progress() as prog:
            hist = ControlHistory.from_sources(srcs, progress=prog)
        info["history"] = _history_info(hist)
    if srcs.egm.found:
        import pyogrio

        layers = {}
        for name, _ in pyogrio.list_layers(srcs.egm.path):
            layers[name] = int(pyogrio.read_info(srcs.egm.path, layer=name)["features"])
        info["sources"]["egm"]["layers"] = layers
    control = srcs.deepstate.found or srcs.deepstate_raw.found
    info["missing_required"] = [k for k, ok in (("control history", control),
                                                ("egm", srcs.egm.found),
                                                ("oblasts", srcs.oblasts.found)) if not ok]
    if len(info["missing_required"]) == 3:
        where = ", ".join(f"{x['label']}={x['path']}" for x in info["searched"])
        raise DataNotFoundError(f"no data found (searched {where}); run 'supplyline data "
                                f"fetch' or pass --data DIR")
    return info


@data_app.command("status")
def data_status(data: DataOpt = None, as_json: JsonOpt = False) -> None:
    """Say which data sources were found, where, what the merged control history covers
    and what is missing."""
    info = _status_info(data)
    if as_json:
        _print_json(info)
    else:
        _print_status(info)
    if info["missing_required"]:
        raise typer.Exit(1)


_LABELS = {"deepstate": "daily files", "deepstate_raw": "API snapshots", "egm": "egm",
           "oblasts": "oblasts", "osm": "osm"}


def _print_status(info: dict) -> None:
    t = Table(title="supplyline data sources")
    for c in ("source", "found", "from", "path", "detail"):
        t.add_column(c)
    for kind, s in info["sources"].items():
        detail = s["detail"]
        if kind == "egm" and "layers" in s:
            detail += "; " + ", ".join(f"{k} {v:,}" for k, v in s["layers"].items())
        t.add_row(_LABELS[kind], "yes" if s["found"] else "[red]no[/red]", s["origin"] or "-",
                  escape(s["path"] or "-"), escape(detail))
        for loc in s.get("locations", [])[1:]:
            t.add_row("", "also", loc["label"], escape(loc["path"]), "merged (earlier wins)")
    out.print(t)
    if "history" in info:
        _print_history(info["history"])
    out.print("searched: " + "; ".join(f"{x['label']}={escape(x['path'])}" +
                                       ("" if x["exists"] else " (absent)")
                                       for x in info["searched"]))
    if info["missing_required"]:
        out.print(f"[red]missing:[/red] {', '.join(info['missing_required'])} -- run "
                  "'supplyline data fetch' or pass --data DIR")
    if not info["sources"]["osm"]["found"]:
        out.print("optional: no OpenStreetMap extract (osm/*.osm.pbf); "
                  "'supplyline data fetch --osm' downloads one")


def _print_history(h: dict) -> None:
    by = ", ".join(f"{k} {v}" for k, v in h["days_by_source"].items())
    out.print(f"[bold]control history[/bold]: {h['days']} days {h['first']}..{h['last']} "
              f"(by source: {by}); grey zone known on {h['grey_days']} days"
              + (f" ({h['grey_first']}..{h['grey_last']})" if h["grey_days"] else ""))
    for s in h["sparse_stretches"]:
        out.print(f"  sparse: {s['start']}..{s['end']} {s['kind']} ({s['days']} data days, "
                  f"median gap {s['median_gap_days']:g} d, longest {s['max_gap_days']} d)")
    lone = h["missing_outside_sparse"]
    out.print(f"  missing days: {h['missing_days']}, of which {len(lone)} outside the sparse "
              f"stretches" + (f": {', '.join(lone[:8])}{'...' if len(lone) > 8 else ''}"
                              if lone else ""))
    if h["overlap"]:
        o = h["overlap"]
        out.print(f"  daily files vs API snapshots, held area on {o['days']} common days: "
                  f"worst {100 * o['worst_rel_diff']:+.3f} % ({o['worst_day']}), median "
                  f"{100 * o['median_abs_rel_diff']:.3f} %")
    for s in h["skipped_days"]:
        out.print(f"  [yellow]skipped[/yellow] {s['date']}: {escape(s['reason'])}")
    for path, why in h["rejected_files"]:
        out.print(f"  [yellow]ignored[/yellow] {escape(path)}: {escape(why)}")
    if h["unknown_names"]:
        names = "; ".join(
            f"{escape(repr(n))} x{c}"
            + (f" ({h['classified_by_colour'][n].replace('_', ' ')} by its colour)"
               if n in h["classified_by_colour"] else " (left out)")
            for n, c in list(h["unknown_names"].items())[:10])
        out.print(f"  names not recognised: {names}")
    if h["outside_ukraine"]:
        n = sum(h["outside_ukraine"].values())
        out.print(f"  polygons outside Ukraine left out: {n} parts; foreign features left "
                  f"out: {h['foreign_features']}")


# ----------------------------------------------------------------------------- fetch

def _day(value: str | None, default: dt.date) -> dt.date:
    from ..data.control import parse_date

    return parse_date(value) if value else default


@data_app.command("fetch")
def data_fetch(
    start: Annotated[str | None, typer.Option("--from", help="First day (default: "
                     "2024-07-08 for daily files, 2022-02-24 for API snapshots).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (default today).")] = None,
    source: Annotated[str, typer.Option("--source", help="deepstate (daily files) or "
                      "deepstate-api (API snapshots with the grey zone).")] = "deepstate",
    base_url: Annotated[str | None, typer.Option(help="DeepState daily files base URL (env "
                        "SUPPLYLINE_DEEPSTATE_URL).")] = None,
    api_url: Annotated[str | None, typer.Option("--api-url", help="DeepStateMap API base "
                       "URL (env SUPPLYLINE_DEEPSTATE_API; default "
                       "https://deepstatemap.live).")] = None,
    latest: Annotated[bool, typer.Option("--latest", help="With --source deepstate-api: "
                      "only the latest snapshot (/api/history/last).")] = False,
    osm: Annotated[bool, typer.Option("--osm", help="Also download an OSM extract.")] = False,
    osm_url: Annotated[str | None, typer.Option(help="OSM .osm.pbf URL (env "
                       "SUPPLYLINE_OSM_URL; default Geofabrik Ukraine).")] = None,
    dest: Annotated[Path | None, typer.Option(help="Download directory (default: the user "
                    "cache).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Download DeepState daily files or API snapshots (by date range) and an OSM extract
    into the cache."""
    from ..io import fetch

    if source not in SOURCES:
        raise SupplylineError(f"--source {source!r}: expected one of {', '.join(SOURCES)}")
    root = dest or fetch.default_download_dir()
    result: dict = {"dest": str(root)}
    failed = False
    with _progress(DownloadColumn()) as prog:
        if source == "deepstate-api":
            result["deepstate_api"] = _fetch_api(root, api_url, start, end, latest, prog)
            failed = bool(result["deepstate_api"].get("failed"))
        elif start or not osm:
            d1, d2 = _day(start, dt.date(2024, 7, 8)), _day(end, dt.date.today())
            summ = fetch.fetch_deepstate(d1, d2, root / fetch.DEEPSTATE_SUBDIR,
                                         base_url=base_url, progress=prog)
            result["deepstate"] = {
                "downloaded": len(summ.downloaded), "cached": len(summ.cached),
                "missing": [str(d) for d in summ.missing], "bytes": summ.total_bytes}
        if osm or osm_url:
            r = fetch.fetch_osm(osm_url, root / fetch.OSM_SUBDIR, progress=prog)
            result["osm"] = {"path": str(r.path), "status": r.status, "bytes": r.bytes}
    if as_json:
        _print_json(result)
    else:
        _print_fetch(result, root)
    if failed:
        raise typer.Exit(1)


def _present_dirs() -> list[Path]:
    """Snapshot directories of every data location (a snapshot there is not fetched)."""
    from ..io.sources import locate

    try:
        return [p for _, p in locate().raw_dirs]
    except SupplylineError:
        return []


def _fetch_api(root: Path, api_url: str | None, start: str | None, end: str | None,
               latest: bool, prog: Progress) -> dict:
    from ..io import fetch
    from ..io.sources import WAR_START

    dest = root / fetch.RAW_SUBDIR
    if latest:
        with prog.console.status("Fetching the latest snapshot"):
            name, new = fetch.fetch_deepstate_api_latest(dest, base_url=api_url,
                                                         present_dirs=_present_dirs())
        return {"dest": str(dest), "latest": name, "downloaded": [name] if new else [],
                "present": 0 if new else 1, "failed": []}
    summ = fetch.fetch_deepstate_api(dest, base_url=api_url, start=_day(start, WAR_START),
                                     end=_day(end, dt.date.today()),
                                     present_dirs=_present_dirs(), progress=prog)
    return summ.as_dict()


def _print_fetch(result: dict, root: Path) -> None:
    if "deepstate" in result:
        d = result["deepstate"]
        out.print(f"DeepState: {d['downloaded']} downloaded, {d['cached']} already cached, "
                  f"{len(d['missing'])} not published; {d['bytes'] / 1e6:.1f} MB in "
                  f"{root / 'deepstate'}")
    if "deepstate_api" in result:
        _print_api(result["deepstate_api"])
    if "osm" in result:
        o = result["osm"]
        out.print(f"OSM: {o['status']} {o['path']} ({o['bytes'] / 1e6:.1f} MB)")


def _print_api(a: dict) -> None:
    if "latest" in a:
        out.print(f"DeepStateMap API: latest snapshot {a['latest']} "
                  f"{'downloaded' if a['downloaded'] else 'already stored'} in {a['dest']}")
        return
    out.print(f"DeepStateMap API: {a['listed']} snapshots listed, {a['days']} days in range; "
              f"{len(a['downloaded'])} downloaded, {a['present']} already stored, "
              f"{len(a['failed'])} failed ({a['transferred_bytes'] / 1e6:.1f} MB) in "
              f"{a['dest']}")
    for f in a["failed"]:
        err.print(f"[red]failed:[/red] snapshot {escape(f['id'])}: {escape(f['error'])}",
                  highlight=False, soft_wrap=True)


# ----------------------------------------------------------------------------- update

def update_timeline_tables(history: Any, *, data: Path | None = None,
                           progress: Progress | None = None) -> dict | None:
    """Bring the stored board tables (``supplyline serve``'s near-front sweep) up to date
    with ``history``. Called by ``supplyline data update`` once the control history cache
    is up to date.

    Only tables that exist are updated, with the cities and options they were built
    with; each city's earlier days come from the timeline cache, so only the new days
    are computed. Returns a JSON-able summary, or None when no board tables are stored.
    """
    from ..analysis.board import (
        BoardSpec,
        build_tables,
        default_tables_dir,
        expected_manifest,
        read_manifest,
        tables_state,
    )
    from ..analysis.context import Workspace

    directory = default_tables_dir()
    have = read_manifest(directory)
    if have is None:
        return None
    ws = Workspace(data, progress=progress)
    ws.__dict__["history"] = history  # the history just brought up to date
    try:
        spec = BoardSpec(**have.get("spec", {}))
    except (TypeError, SupplylineError):
        return {"directory": str(directory), "state": "unreadable",
                "note": "the stored manifest is not understood; 'supplyline serve' "
                        "rebuilds the tables"}
    expected = expected_manifest(ws, spec)
    state, why = tables_state(directory, expected)
    if state == "ready":
        return {"directory": str(directory), "state": "ready", "note": why}
    if have.get("options") != expected["options"] or have.get("bands") != expected["bands"]:
        return {"directory": str(directory), "state": "stale",
                "note": "built with other analysis options; 'supplyline serve' rebuilds "
                        "them"}
    m = build_tables(ws, directory, spec, progress=progress)
    return {"directory": str(directory), "state": "updated", "cities": m["cities"],
            "first": m["history"]["first"], "last": m["history"]["last"]}


@data_app.command("update")
def data_update(
    source: Annotated[str, typer.Option("--source", help="all, deepstate (daily files) or "
                      "deepstate-api (API snapshots).")] = "all",
    base_url: Annotated[str | None, typer.Option(help="DeepState daily files base URL (env "
                        "SUPPLYLINE_DEEPSTATE_URL).")] = None,
    api_url: Annotated[str | None, typer.Option("--api-url", help="DeepStateMap API base "
                       "URL (env SUPPLYLINE_DEEPSTATE_API).")] = None,
    dest: Annotated[Path | None, typer.Option(help="Download directory (default: the user "
                    "cache).")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fetch what is new since the stored data, then bring the parsed control history (and
    the stored timeline tables) up to date; only new files are parsed."""
    from ..data.control import ControlHistory
    from ..io import fetch
    from ..io.sources import locate, scan_daily, scan_raw, today

    if source not in ("all", *SOURCES):
        raise SupplylineError(f"--source {source!r}: expected all, deepstate or deepstate-api")
    root = dest or fetch.default_download_dir()
    srcs = locate(data)
    result: dict = {"dest": str(root)}
    errors: list[str] = []
    with _progress(DownloadColumn()) as prog:
        if source in ("all", "deepstate-api"):
            days = [dt.datetime.fromtimestamp(max(scan_raw(p).files), tz=dt.UTC).date()
                    for _, p in srcs.raw_dirs]
            start = max(days) if days else today()  # the last stored day is checked again
            try:
                result["deepstate_api"] = fetch.fetch_deepstate_api(
                    root / fetch.RAW_SUBDIR, base_url=api_url, start=start,
                    present_dirs=[p for _, p in srcs.raw_dirs], progress=prog).as_dict()
                errors += [f"snapshot {f['id']}: {f['error']}"
                           for f in result["deepstate_api"]["failed"]]
            except SupplylineError as exc:
                errors.append(f"DeepStateMap API: {exc}")
        if source in ("all", "deepstate"):
            days = [max(scan_daily(p).files) for _, p in srcs.daily_dirs]
            if days:
                start = max(days) + dt.timedelta(days=1)
                if start <= dt.date.today():
                    try:
                        summ = fetch.fetch_deepstate(start, dt.date.today(),
                                                     root / fetch.DEEPSTATE_SUBDIR,
                                                     base_url=base_url, progress=prog)
                        result["deepstate"] = {"downloaded": len(summ.downloaded),
                                               "missing": [str(d) for d in summ.missing]}
                    except SupplylineError as exc:
                        errors.append(f"DeepState daily files: {exc}")
            else:
                result["deepstate"] = {"note": "no daily files stored; 'supplyline data "
                                               "fetch' downloads them"}
        srcs = locate(data)
        if srcs.daily_dirs or srcs.raw_dirs:
            hist = ControlHistory.from_sources(srcs, progress=prog)
            hs = hist.summary()
            result["history"] = {"days": hs["days"], "first": hs["first"],
                                 "last": hs["last"], "cache": hs.get("cache")}
            result["timeline"] = update_timeline_tables(hist, data=data, progress=prog)
    result["errors"] = errors
    if as_json:
        _print_json(result)
    else:
        _print_update(result)
    if errors:
        raise typer.Exit(1)


def _print_update(result: dict) -> None:
    if "deepstate_api" in result:
        _print_api(result["deepstate_api"])
    d = result.get("deepstate")
    if d and "note" in d:
        out.print(f"DeepState daily files: {d['note']}")
    elif d:
        out.print(f"DeepState daily files: {d['downloaded']} downloaded, "
                  f"{len(d['missing'])} not published yet")
    h = result.get("history")
    if h:
        c = h.get("cache") or {}
        out.print(f"control history: {h['days']} days {h['first']}..{h['last']}; "
                  f"{c.get('parsed', 0)} days parsed, {c.get('reused', 0)} reused from the "
                  f"cache")
    t = result.get("timeline")
    if t is not None:
        if t["state"] == "updated":
            out.print(f"board tables: updated ({t['cities']} cities, {t['first']} to "
                      f"{t['last']}) in {t['directory']}")
        else:
            out.print(f"board tables: {t['state']}: {t['note']}")
    for e in result["errors"]:
        err.print(f"[red]error:[/red] {escape(e)}", highlight=False, soft_wrap=True)
