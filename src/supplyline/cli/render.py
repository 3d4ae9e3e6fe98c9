"""Terminal rendering of results (Rich tables). Every value shown comes from a result's
``to_dict()``: the same figures the JSON, the tables on disk and the web show.

Text is in the active language (:mod:`supplyline.i18n`, ``--lang``): table titles and
column headers through :class:`Table`, sentences through ``_()``, statuses and bands
through their labels, place names through :func:`localised` (the Ukrainian name where
the data has one)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table as RichTable

from ..i18n import (
    _,
    band_label,
    event_kind_label,
    mode_label,
    ngettext,
    oblast_label,
    place_name,
    route_kind_label,
    status_label,
)
from .common import out


class Table(RichTable):
    """A Rich table with its title and column headers in the active language (looked up in
    the message catalogue; one without a translation is shown as written)."""

    def __init__(self, *args: Any, title: Any = None, **kw: Any) -> None:
        super().__init__(*args, title=_(title) if isinstance(title, str) and title else title,
                         **kw)

    def add_column(self, header: Any = "", *args: Any, **kw: Any) -> None:
        super().add_column(_(header) if isinstance(header, str) and header else header,
                           *args, **kw)


def localised(d: Any) -> Any:
    """A copy of a result dict with every place's ``name`` in the active language (its
    ``name_uk`` in Ukrainian where the data has one) and oblast names translated."""
    if isinstance(d, list):
        return [localised(v) for v in d]
    if not isinstance(d, dict):
        return d
    out_ = {k: localised(v) for k, v in d.items()}
    if "name" in out_ and "name_uk" in out_:
        out_["name"] = place_name(out_)
        if isinstance(out_.get("oblast"), str):
            out_["oblast"] = oblast_label(out_["oblast"])
    return out_


def _km(v: float | None, nd: int = 1) -> str:
    return "-" if v is None else f"{v:.{nd}f}"


def _clear(v: float | None, cap_km: float | None) -> str:
    """Clearance for display: values at the cap read as '>= cap' (not measured further)."""
    if v is None:
        return "-"
    if cap_km is not None and v >= cap_km - 1e-6:
        return f">={cap_km:g}"
    return f"{v:.1f}"


def _status_colour(s: str | None) -> str:
    if s is None:
        return "-"
    c = "red" if s == "cut" else "green" if s == "open" else "yellow"
    return f"[{c}]{escape(status_label(s))}[/{c}]"


def header(d: dict[str, Any]) -> None:
    c = localised(d["city"])
    where = f", {c['oblast']}" if c.get("oblast") else ""
    data = "" if d["data_exact"] else (" [yellow]" + escape(_(
        "(data of {day}, the last known day)").format(day=d["data_date"])) + "[/yellow]")
    out.print(f"[bold]{escape(c['name'])}[/bold]{escape(where)} " + escape(_(
        "(pop. {population}) on {date}").format(population=f"{c['population']:,}",
                                                date=d["date"])) + data)
    if d.get("lookup") and d["lookup"]["how"] not in ("exact", "identifier", "given"):
        out.print("  " + escape(_("lookup: {note}").format(note=d["lookup"]["note"])))
    if d.get("lookup") and d["lookup"].get("warning"):
        out.print("  [yellow]" + escape(_("warning: {text}").format(
            text=d["lookup"]["warning"])) + "[/yellow]")
    if "centre_held" in d:
        front, held = d.get("distance_to_front_km"), d.get("distance_to_held_km")
        if d["centre_held"]:
            out.print("  [red]" + _("the city centre is inside held territory") + "[/red]")
        elif front is not None:
            band = (" " + _("(band: {band})").format(band=band_label(d["centre_band"]))
                    if d.get("centre_band") else "")
            also = ("; " + _("to held territory {km} km").format(km=f"{held:.1f}")
                    if held is not None and abs(held - front) >= 0.05 else "")
            out.print("  " + _("distance from the centre to the front: {km}").format(
                km=f"[bold]{front:.1f} {_('km')}[/bold]") + escape(band + also))
        if d.get("method"):
            out.print("  [dim]" + escape(_("measured from {what}").format(
                what=d["method"]["measured_from"])) + "[/dim]")


def method_line(m: dict[str, Any]) -> None:
    hubs = m["hubs"] if isinstance(m["hubs"], str) else ", ".join(m["hubs"])
    out.print("[dim]" + escape(_("method: {network}; hubs: {hubs}").format(
        network=m["road_network"], hubs=hubs)) + "[/dim]")


def status(d: dict[str, Any]) -> None:
    d = localised(d)
    header(d)
    t = Table(title="Rear hubs")
    for col in ("hub", "oblast", "population", "km", "direction"):
        t.add_column(col)
    for h in d["hubs"]:
        p = h["hub"]
        t.add_row(escape(p["name"]), escape(p["oblast"] or "-"), f"{p['population']:,}",
                  f"{h['distance_km']:.0f}", f"{h['direction']} ({h['bearing_deg']}°)")
    out.print(t)
    t = Table(title="Route status per mode (safest route to each hub)")
    for col in ("mode", "hub", "status", "safest km", "min clearance km", "peacetime km"):
        t.add_column(col)
    for mode, m in d["modes"].items():
        if m.get("error"):
            t.add_row(mode_label(mode), "-", "[red]n/a[/red]", "-", "-", escape(m["error"]))
            continue
        for h in m["hubs"]:
            t.add_row(mode_label(mode), escape(h["hub"]["name"]), _status_colour(h["status"]),
                      _km(h["safest_length_km"]), _km(h["safest_min_clearance_km"]),
                      _km(h["peacetime_length_km"]))
        t.add_row(mode_label(mode), f"[bold]{_('best')}[/bold]", _status_colour(m["status"]),
                  "", _km(m["best_min_clearance_km"]),
                  escape(ngettext("{n} disjoint route beyond {band}",
                                  "{n} disjoint routes beyond {band}",
                                  m["disjoint_routes"] or 0).format(
                      n=m["disjoint_routes"],
                      band=band_label(d["method"]["resilience_beyond_band"]))))
    out.print(t)
    method_line(d["method"])


def routes(d: dict[str, Any], output: str | None = None) -> None:
    d = localised(d)
    header(d)
    cap = d["clearance_cap_km"]
    for mode, m in d["modes"].items():
        if m.get("error"):
            out.print(f"[bold]{mode_label(mode)}[/bold]: [red]{escape(m['error'])}[/red]")
            continue
        for pair in m["hubs"]:
            t = Table(title=escape(_("{hub} by {mode}:").format(
                hub=pair["hub"]["name"], mode=mode_label(mode))) + " "
                + _status_colour(pair["status"]))
            for col in ("route", "status", "km", "detour", "min clear km", "km per band",
                        "route numbers"):
                t.add_column(col)
            for kind in ("peacetime", "avoid_held", "safest"):
                r = pair[kind]
                if not r["found"]:
                    t.add_row(route_kind_label(kind), f"[red]{_('none')}[/red]", "-", "-", "-",
                              "-", "-")
                    continue
                bands = ", ".join(f"{band_label(k)} {v:.0f}" for k, v in r["km_by_band"].items())
                t.add_row(route_kind_label(kind), _status_colour(r["status"]), _km(r["length_km"]),
                          "-" if r["detour"] is None else f"{r['detour']:.2f}",
                          _clear(r["min_clearance_km"], cap), bands or "-",
                          escape(" > ".join(r["route_numbers"])) or "-")
            out.print(t)
        res = m.get("resilience")
        if res:
            out.print(f"[bold]{mode_label(mode)}[/bold] " + escape(ngettext(
                "resilience: {n} edge-disjoint route to the rear staying beyond '{band}'",
                "resilience: {n} edge-disjoint routes to the rear staying beyond '{band}'",
                res["disjoint_routes"]).format(n=res["disjoint_routes"],
                                               band=band_label(res["beyond_band"])))
                + (";" if res["bottleneck"] else "."))
            for b in res["bottleneck"][:10]:
                out.print("   - " + escape(_("{road} at {near} ({lat}, {lon}), clearance {km} km")
                                           .format(road=b["route_number"] or b["road_class"],
                                                   near=b["near"] or "", lat=f"{b['lat']:.4f}",
                                                   lon=f"{b['lon']:.4f}",
                                                   km=_km(b["clearance_km"]))))
    method_line(d["method"])
    if output:
        out.print(escape(_("routes written to {path}").format(path=output)))


def encirclement(d: dict[str, Any]) -> None:
    d = localised(d)
    header(d)
    t = Table(title="Ring occupancy (share of bearings)")
    names = list(d["rings"][0]["band_share"]) if d["rings"] else []
    for col in ["radius km", *map(band_label, names), "held bearings"]:
        t.add_column(col)
    for r in d["rings"]:
        t.add_row(f"{r['radius_km']:g}", *(f"{100 * r['band_share'][n]:.0f}%" for n in names),
                  "; ".join(r["description"]) or "-")
    out.print(t)
    out.print(escape(_("held within {radius} km: {area} km2").format(
        radius=f"{d['held_area_radius_km']:g}", area=f"{d['held_area_km2']:,.0f}")))
    out.print(escape(_("flanks: {text}").format(text=d["flanks"]["description"])))
    if d["hubs"]:
        near = (d["corridor_narrowest"] or {}).get("near") or ""
        w = d["corridor_width_km"]
        hubs = ", ".join(h["name"] for h in d["hubs"])
        if d["corridor_connected"]:
            out.print(escape(_("corridor to {hubs}: open ground keeps >= {km} km from held "
                               "territory (narrowest {near})").format(
                hubs=hubs, km=f"{w:.1f}", near=near)))
        else:
            out.print(escape(_("corridor to {hubs}:").format(hubs=hubs))
                      + f" [red]{_('no open-ground path')}[/red]")
    method_line(d["method"])


def distance(d: dict[str, Any]) -> None:
    d = localised(d)
    for r in d["targets"]:
        if r.get("lookup") and r["lookup"].get("warning"):
            out.print("[yellow]" + escape(_("warning: {text}").format(
                text=r["lookup"]["warning"])) + "[/yellow]")
    rear = d.get("rear_bearing_deg")
    t = Table(title=_("Distance from held territory on {date}").format(date=d["date"])
                    + (" " + _("(rear axis {deg}°)").format(deg=f"{rear:.0f}")
                       if rear is not None else ""))
    for col in ("target", "km", "reached", "first reached", "closest in history km"):
        t.add_column(col)
    for r in d["targets"]:
        t.add_row(escape(r["target"]), _km(r["distance_km"]) if r["distance_km"] is not None
                  else escape(r["note"] or "-"), _("yes") if r["reached"] else _("no"),
                  r["first_reached"] or _("not by {day}").format(day=d["history_last"]),
                  _km(r["min_km_in_history"]))
    out.print(t)


def places(d: dict[str, Any]) -> None:
    d = localised(d)
    lnh = d["largest_not_held"]
    area = d["area"]
    where = (oblast_label(area["oblast"]) if area.get("oblast") else
             _("{radius} km of {city}").format(radius=f"{area.get('radius_km', 0):g}",
                                               city=area.get("city")))
    out.print(f"[bold]{escape(str(where))}[/bold] " + escape(_(
        "on {date}: {held} of {places} places held, {share}% of {people} people (GeoNames, "
        "pre-war population)").format(date=d["date"], held=lnh["held_places"],
                                      places=lnh["places"],
                                      share=f"{100 * lnh['held_share_population']:.1f}",
                                      people=f"{lnh['population']:,}")))
    t = Table(title="Largest places not held")
    for col in ("place", "oblast", "population", "km to held", "band"):
        t.add_column(col)
    for r in lnh["largest_not_held"]:
        t.add_row(escape(r["name"]), escape(oblast_label(r["oblast"]) if r["oblast"] else "-"),
                  f"{r['population']:,}", _km(r["distance_to_held_km"]), band_label(r["band"]))
    out.print(t)
    t = Table(title="Population by band")
    for col in ("band", "places", "population", "share"):
        t.add_column(col)
    for band, v in d["population_by_band"]["by_band"].items():
        t.add_row(band_label(band), str(v["places"]), f"{v['population']:,}",
                  f"{100 * v['share']:.1f}%")
    out.print(t)
    ch = d.get("change")
    if ch:
        t = Table(title=_("Change {start} -> {end}").format(start=ch["start"]["date"],
                                                            end=ch["end"]["date"]))
        for col in ("band", "population start", "population end", "change", "moved in"):
            t.add_column(col)
        for band, v in ch["start"]["by_band"].items():
            e = ch["end"]["by_band"][band]
            t.add_row(band_label(band), f"{v['population']:,}", f"{e['population']:,}",
                      f"{ch['population_change'][band]:+,}", f"{ch['moved_into'][band]:,}")
        out.print(t)
        nh = ch["newly_held"]
        names = ", ".join(n["name"] for n in nh["names"][:12])
        out.print(escape(_("newly held: {places} places, {people} people").format(
            places=nh["places"], people=f"{nh['population']:,}"))
                  + (f" ({escape(names)}{', ...' if nh['places'] > 12 else ''})" if names
                     else ""))
        nl = ch["no_longer_held"]
        out.print(escape(_("no longer held: {places} places, {people} people").format(
            places=nl["places"], people=f"{nl['population']:,}")))


def axes(d: dict[str, Any]) -> None:
    d = localised(d)
    t = Table(title=escape(_("Axes from {city} ({length} x {width} km)").format(
        city=d["city"]["name"], length=f"{d['length_km']:g}", width=f"{d['width_km']:g}")))
    for col in ("axis", "people/km2", "largest places", "road km/km2", "rivers", "held"):
        t.add_column(col)
    for a in d["axes"]:
        t.add_row(escape(a["label"]), f"{a['population_density']:.0f}",
                  escape(", ".join(s["name"] for s in a["largest_settlements"][:3])) or "-",
                  f"{a['road_density']:.2f}", escape(", ".join(a["rivers"][:3])) or "-",
                  f"{100 * a['held_share']:.0f}%")
    out.print(t)
    out.print(escape(d["summary"]))


def forecast_line(f: dict[str, Any]) -> str:
    bt = f["backtest"]
    if bt["scored"]:
        line = (f"  {f['quantity']}: backtest {bt['scored']} cases, median error "
                f"{bt['median_abs_error_days']} d, 80% of errors in "
                f"{bt['error_p10_p90_days']} d, real date inside range {bt['coverage']}; ")
    else:
        line = f"  {f['quantity']}: "
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
    return line


def timeline(summary: dict[str, Any], events: list[dict[str, Any]], output: str) -> None:
    st = summary["stats"]
    out.print(escape(_("{cities} cities, {days} city-days: {computed} computed, {kept} "
                       "unchanged near the city (carried over), {cached} from cache; "
                       "{missing} days missing in the data").format(
        cities=len(summary["cities"]), days=st["city_days"], computed=st["recomputed"],
        kept=st["carried_over"], cached=st["from_cache"], missing=st["missing_days"])))
    if events:
        t = Table(title="Events")
        for col in ("city", "date", "kind", "subject", "detail"):
            t.add_column(col)
        for e in events[:60]:
            kind = event_kind_label(e["kind"]) + (" " + _("(pending)") if e.get("pending")
                                                  else "")
            t.add_row(escape(e["city"]), e["date"], escape(kind), escape(e["subject"]),
                      escape(e["detail"]))
        out.print(t)
        if len(events) > 60:
            out.print(escape(_("... {n} more events in {path}").format(
                n=len(events) - 60, path=f"{output}/events.csv")))
    for city, info in list(summary["cities"].items())[:10]:
        tr = info["trends"]
        out.print(f"[bold]{escape(city)}[/bold] " + escape(_(
            "trend to {date}: approach {approach} km/day, held area near city {area} "
            "km2/day").format(date=tr.get("date"), approach=tr.get("approach_km_per_day"),
                              area=tr.get("area_km2_per_day"))))
        for f in info["forecasts"]:
            out.print(escape(forecast_line(f)))
    for kind, p in summary.get("pooled_backtest", {}).items():
        if p["cases"]:
            judged = (f"calibrated 80% range held the real date in "
                      f"{p['calibrated_coverage']} of {p['judged']} judged cases"
                      if p["judged"] else "no case judged yet (no calibrated range)")
            out.print(f"pooled backtest, {escape(kind)}: {p['cases']} cases over all cities, "
                      f"median error {p['median_abs_error_days']} d; {judged}")
    out.print(escape(_("tables written to {path}/ (days, routes, events as .parquet and "
                       ".csv)").format(path=output)))


def places_check(summary: dict[str, Any], rows: list[dict[str, Any]], limit: int = 40) -> None:
    out.print("places: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in
                                      summary.items()))
    t = Table(title="Disagreements between GeoNames and EuroGlobalMap, and how each was "
                    "resolved")
    for col in ("kind", "place", "oblast", "other", "km apart", "resolution"):
        t.add_column(col)
    for r in rows[:limit]:
        km = r.get("distance_km")
        t.add_row(r["kind"], escape(f"{r['name']} ({r['ident']})"), escape(r["oblast"] or "-"),
                  escape(f"{r['other_name']} ({r['other_ident']})" if r["other_ident"] else "-"),
                  "-" if km is None else f"{km:.1f}", escape(r["resolution"]))
    out.print(t)
    if len(rows) > limit:
        out.print(f"... {len(rows) - limit} more (use --json for all)")
