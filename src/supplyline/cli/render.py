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

from ..i18n import _, band_label, oblast_label, place_name, status_label
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
                  f"{h['distance_km']:.0f}", f"{h['direction']} ({h['bearing_deg']} deg)")
    out.print(t)
    cap = d["method"].get("detour_cap")
    t = Table(title="Route status per mode (safest route to each hub)",
              caption=(f"limit km: the safest route is the clearest held-avoiding route "
                       f"no longer than {cap:g} x the peacetime route (or than the shortest "
                       "held-avoiding route where that is longer)" if cap else None))
    for col in ("mode", "hub", "status", "safest km", "limit km", "min clearance km",
                "peacetime km"):
        t.add_column(col)
    for mode, m in d["modes"].items():
        if m.get("error"):
            t.add_row(mode, "-", "[red]n/a[/red]", "-", "-", "-", escape(m["error"]))
            continue
        for h in m["hubs"]:
            t.add_row(mode, escape(h["hub"]["name"]), _status_colour(h["status"]),
                      _km(h["safest_length_km"]), _km(h.get("safest_length_limit_km")),
                      _km(h["safest_min_clearance_km"]), _km(h["peacetime_length_km"]))
        t.add_row(mode, "[bold]best[/bold]", _status_colour(m["status"]), "", "",
                  _km(m["best_min_clearance_km"]), "")
    out.print(t)
    for mode, m in d["modes"].items():
        if not m.get("error") and m.get("disjoint_routes_by_band"):
            out.print(f"{mode}: edge-disjoint routes to the rear "
                      + disjoint_line(m["disjoint_routes_by_band"]))
    method_line(d["method"])


def disjoint_line(by_band: dict[str, int]) -> str:
    """'avoiding held 4, beyond contact 2, beyond fpv 0, ...'."""
    return ", ".join(("avoiding held" if b == "held" else f"beyond {b}") + f" {n}"
                     for b, n in by_band.items())


def _route_row(t: Table, label: str, r: dict[str, Any], cap: float | None,
               note: str | None = None) -> None:
    if not r["found"]:
        t.add_row(label, "[red]none[/red]", "-", "-", "-", escape(note or "-"), "-")
        return
    bands = note or ", ".join(f"{k} {v:.0f}" for k, v in r.get("km_by_band", {}).items())
    t.add_row(label, _status_colour(r.get("status") or r.get("worst_band")),
              _km(r["length_km"]), "-" if r["detour"] is None else f"{r['detour']:.2f}",
              _clear(r["min_clearance_km"], cap), escape(bands) or "-",
              escape(" > ".join(r["route_numbers"])) or "-")


def routes(d: dict[str, Any], output: str | None = None) -> None:
    d = localised(d)
    header(d)
    cap = d["clearance_cap_km"]
    for mode, m in d["modes"].items():
        if m.get("error"):
            out.print(f"[bold]{mode}[/bold]: [red]{escape(m['error'])}[/red]")
            continue
        for pair in m["hubs"]:
            s = pair["safest"]
            t = Table(title=f"{escape(pair['hub']['name'])} by {mode}: "
                            f"{_status_colour(pair['status'])}",
                      caption=f"safest: {escape(s['policy'])}" if s.get("policy") else None)
            for col in ("route", "status", "km", "detour", "min clear km", "km per band",
                        "route numbers"):
                t.add_column(col)
            points = pair.get("tradeoff") or []
            for kind in ("peacetime", "avoid_held", "safest", "beyond"):
                r = pair.get(kind)
                if r is None:
                    continue
                label = f"beyond {r['beyond_band']}" if kind == "beyond" else kind
                why = next((p["note"] for p in points if not p["found"]
                            and label in p["meets"]), None) if not r["found"] else None
                _route_row(t, label, r, cap, why)
            if points:
                t.add_section()
                for p in points:
                    within = ", ".join(f"{b} {v:.0f}" for b, v in p["km_within"].items())
                    note = p["note"] or (f"within: {within}" if within else None)
                    _route_row(t, "trade-off: " + ", ".join(p["meets"]), p, cap, note)
            out.print(t)
        res = m.get("resilience")
        if res:
            out.print(f"[bold]{mode}[/bold] resilience: {escape(res['summary'])}")
    method_line(d["method"])
    if output:
        out.print(f"routes written to {escape(output)}")


def encirclement(d: dict[str, Any]) -> None:
    d = localised(d)
    header(d)
    t = Table(title="Ring occupancy (share of bearings)")
    names = list(d["rings"][0]["band_share"]) if d["rings"] else []
    for col in ["radius km", *names, "held bearings"]:
        t.add_column(col)
    for r in d["rings"]:
        t.add_row(f"{r['radius_km']:g}", *(f"{100 * r['band_share'][n]:.0f}%" for n in names),
                  "; ".join(r["description"]) or "-")
    out.print(t)
    out.print(f"held within {d['held_area_radius_km']:g} km: {d['held_area_km2']:,.0f} km2")
    flanks(d["flanks"])
    if d["hubs"]:
        near = (d["corridor_narrowest"] or {}).get("near") or ""
        w = d["corridor_width_km"]
        hubs = ", ".join(h["name"] for h in d["hubs"])
        if d["corridor_connected"]:
            out.print(f"corridor to {escape(hubs)}: open ground keeps >= [bold]{w:.1f} km"
                      f"[/bold] from held territory (narrowest {escape(near)})")
        else:
            out.print(f"corridor to {escape(hubs)}: [red]no open-ground path[/red]")
    method_line(d["method"])


def flanks(f: dict[str, Any]) -> None:
    """Flank arms relative to the rear axis, the pincer, the pocket test, approaches."""
    if f["rear_bearing_deg"] is None:
        out.print(f"flanks: {escape(f['description'])}")
    else:
        hubs = ", ".join(f["rear_hubs"])
        out.print(f"rear axis {f['rear_bearing_deg']:.0f} deg ({f['rear_direction']}, mean "
                  f"bearing to {escape(hubs)}); flank arms within {f['radius_km']:g} km:")
        if f["arms"]:
            t = Table(title="Flank arms (held ground level with or behind the city)")
            for col in ("side", "tip", "bearing", "km from axis", "km behind city",
                        "km from city", "reaches km behind"):
                t.add_column(col)
            for a in f["arms"]:
                edge = " (at limit)" if a["at_limit"] else ""
                t.add_row(a["side"], escape(a["tip"]["near"] or f"{a['tip']['lat']:.4f}, "
                                            f"{a['tip']['lon']:.4f}"),
                          f"{a['bearing_deg']:.0f} {a['direction']}", _km(a["from_axis_km"]),
                          _km(a["behind_km"]), _km(a["from_city_km"]) + edge,
                          _km(a["reach_km"]))
            out.print(t)
        else:
            out.print("  no held ground level with or behind the city")
        if f["axis_held_km"] is not None:
            out.print(f"  [red]held ground on the rear axis itself[/red], "
                      f"{f['axis_held_km']:.1f} km behind the city")
        if f["pincer"]:
            ends = " and ".join(escape(p["near"] or "") for p in f["gap"])
            out.print(f"  [bold]pincer[/bold]: arms on both sides, [bold]{f['gap_km']:.1f} km"
                      f"[/bold] apart at the closest ({ends})")
    p = f["pocket"]
    where = f"; neck at {escape(p['neck']['near'] or '')}" if p["neck"] else ""
    if p["pocket"]:
        out.print(f"[red]pocket[/red]: {escape(p['reason'])}{where}")
    else:
        out.print(f"pocket: no: {escape(p['reason'])}{where}")
    apps = "; ".join(f"{a['direction']} ({a['bearing_deg']:.0f} deg) at {a['distance_km']:.1f} km"
                     for a in f["approaches"])
    if apps:
        out.print(f"nearest held ground: {apps}")


def distance(d: dict[str, Any]) -> None:
    d = localised(d)
    for r in d["targets"]:
        if r.get("lookup") and r["lookup"].get("warning"):
            out.print(f"[yellow]warning: {escape(r['lookup']['warning'])}[/yellow]")
    rear = d.get("rear_bearing_deg")
    t = Table(title=f"Distance from held territory on {d['date']}"
                    + (f" (rear axis {rear:.0f} deg)" if rear is not None else ""))
    for col in ("target", "km", "reached", "first reached", "closest in history km"):
        t.add_column(col)
    for r in d["targets"]:
        t.add_row(escape(r["target"]), _km(r["distance_km"]) if r["distance_km"] is not None
                  else escape(r["note"] or "-"), "yes" if r["reached"] else "no",
                  r["first_reached"] or f"not by {d['history_last']}",
                  _km(r["min_km_in_history"]))
    out.print(t)


def places(d: dict[str, Any]) -> None:
    d = localised(d)
    lnh = d["largest_not_held"]
    area = d["area"]
    where = area.get("oblast") or f"{area.get('radius_km', 0):g} km of {area.get('city')}"
    out.print(f"[bold]{escape(str(where))}[/bold] on {d['date']}: {lnh['held_places']} of "
              f"{lnh['places']} places held, {100 * lnh['held_share_population']:.1f}% of "
              f"{lnh['population']:,} people (GeoNames, pre-war population)")
    t = Table(title="Largest places not held")
    for col in ("place", "oblast", "population", "km to held", "band"):
        t.add_column(col)
    for r in lnh["largest_not_held"]:
        t.add_row(escape(r["name"]), escape(r["oblast"] or "-"), f"{r['population']:,}",
                  _km(r["distance_to_held_km"]), r["band"])
    out.print(t)
    t = Table(title="Population by band")
    for col in ("band", "places", "population", "share"):
        t.add_column(col)
    for band, v in d["population_by_band"]["by_band"].items():
        t.add_row(band, str(v["places"]), f"{v['population']:,}", f"{100 * v['share']:.1f}%")
    out.print(t)
    ch = d.get("change")
    if ch:
        t = Table(title=f"Change {ch['start']['date']} -> {ch['end']['date']}")
        for col in ("band", "population start", "population end", "change", "moved in"):
            t.add_column(col)
        for band, v in ch["start"]["by_band"].items():
            e = ch["end"]["by_band"][band]
            t.add_row(band, f"{v['population']:,}", f"{e['population']:,}",
                      f"{ch['population_change'][band]:+,}", f"{ch['moved_into'][band]:,}")
        out.print(t)
        nh = ch["newly_held"]
        names = ", ".join(f"{n['name']} ({n['population']:,})" for n in nh["names"][:12])
        out.print(f"newly held: {nh['places']} places, {nh['population']:,} people"
                  + (f" ({escape(names)}{', ...' if nh['places'] > 12 else ''})" if names
                     else ""))
        nl = ch["no_longer_held"]
        out.print(f"no longer held: {nl['places']} places, {nl['population']:,} people")


def axes(d: dict[str, Any]) -> None:
    d = localised(d)
    t = Table(title=f"Axes from {escape(d['city']['name'])} ({d['length_km']:g} x "
                    f"{d['width_km']:g} km)")
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
    """A forecast with its backtest: errors, the baselines it must beat, the range's real
    coverage, or why it is withheld."""
    bt = f["backtest"]
    line = f"  {f['quantity']}: "
    if bt["scored"]:
        line += (f"backtest {bt['scored']} cases, median error {bt['median_abs_error_days']} d"
                 f" (80% of errors in {bt['error_p10_p90_days']} d); ")
    b = bt.get("baselines") or {}
    if b.get("dates"):
        mae, sk = b["mae_days"], b["skill"]
        line += (f"\n    against baselines on {b['dates']} past dates ({b['crossings']} "
                 f"crossings within {b['horizon_days']} d), mean error: trend "
                 f"{mae['trend']} d, no change {mae['no_change']} d (skill "
                 f"{_skill(sk['no_change'])}), straight line 30 d "
                 f"{mae['straight_line_30d']} d (skill {_skill(sk['straight_line_30d'])})"
                 "\n    ")
    if f["shown"] and f["forecast"]["note"] != "trend":
        line += f"forecast: {f['forecast']['note']}"
    elif f["shown"]:
        fc = f["forecast"]
        line += (f"forecast: {fc['eta']} (trend range {fc['eta_range'][0]} .. "
                 f"{fc['eta_range'][1]}")
        rc = fc.get("range_coverage")
        line += f"; nominal 80 %, {rc['note']})" if rc else ")"
        if f.get("calibrated_range"):
            line += (f"; calibrated on earlier errors {f['calibrated_range'][0]} .. "
                     f"{f['calibrated_range'][1]}")
    else:
        line += f"withheld: {f['withheld']}"
    return line


def _skill(v: float | None) -> str:
    return "-" if v is None else f"{v:+.2f}"


def timeline(summary: dict[str, Any], events: list[dict[str, Any]], output: str) -> None:
    st = summary["stats"]
    out.print(f"{len(summary['cities'])} cities, {st['city_days']} city-days: "
              f"{st['recomputed']} computed, {st['carried_over']} unchanged near the city "
              f"(carried over), {st['from_cache']} from cache; {st['missing_days']} days "
              "missing in the data")
    if events:
        t = Table(title="Events")
        for col in ("city", "date", "kind", "subject", "detail"):
            t.add_column(col)
        for e in events[:60]:
            kind = e["kind"] + (" (pending)" if e.get("pending") else "")
            t.add_row(escape(e["city"]), e["date"], kind, escape(e["subject"]),
                      escape(e["detail"]))
        out.print(t)
        if len(events) > 60:
            out.print(f"... {len(events) - 60} more events in {escape(output)}/events.csv")
    for city, info in list(summary["cities"].items())[:10]:
        tr = info["trends"]
        out.print(f"[bold]{escape(city)}[/bold] trend to {tr.get('date')}: approach "
                  f"{tr.get('approach_km_per_day')} km/day, held area near city "
                  f"{tr.get('area_km2_per_day')} km2/day")
        for f in info["forecasts"]:
            out.print(escape(forecast_line(f)))
    for kind, p in summary.get("pooled_backtest", {}).items():
        if p["cases"]:
            judged = (f"calibrated 80% range held the real date in "
                      f"{p['calibrated_coverage']} of {p['judged']} judged cases"
                      if p["judged"] else "no case judged yet (no calibrated range)")
            out.print(f"pooled backtest, {escape(kind)}: {p['cases']} cases over all cities, "
                      f"median error {p['median_abs_error_days']} d; {judged}")
        pb = p.get("baselines") or {}
        if pb.get("dates"):
            mae, sk = pb["mae_days"], pb["skill"]
            out.print(f"   against baselines on {pb['dates']} past city-dates: mean error "
                      f"trend {mae['trend']} d, no change {mae['no_change']} d (skill "
                      f"{_skill(sk['no_change'])}), straight line 30 d "
                      f"{mae['straight_line_30d']} d (skill "
                      f"{_skill(sk['straight_line_30d'])})")
    out.print(f"tables written to {escape(output)}/ (days, routes, events as .parquet and .csv)")


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
