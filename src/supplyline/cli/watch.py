"""``supplyline watch``: new events of watched cities, delivered once each."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..errors import InvalidArgumentError
from ..i18n import _, get_language, ngettext, place_name
from .common import DataOpt, JsonOpt, RoadsOpt, err, options, out, print_json, session


def watch_cmd(
    cities: Annotated[list[str], typer.Argument(help="City names or ids to watch.")],
    events: Annotated[str, typer.Option("--events", help="Event kinds, comma-separated: "
                      "route_cut, band_entered, line_reached, centre_held, route_under_fire, "
                      "route_reopened, route_eased, routes_dropped, or all.")
                      ] = "route_cut,band_entered,line_reached,centre_held",
    webhook: Annotated[list[str] | None, typer.Option("--webhook", help="POST each new "
                       "alert as JSON to this URL (repeatable).")] = None,
    feed: Annotated[Path | None, typer.Option("--feed", help="Append each new alert as a "
                    "JSON line to this file ('-': standard output, the default when no "
                    "destination is given).")] = None,
    atom: Annotated[Path | None, typer.Option("--atom", help="Write an Atom feed of the "
                    "alerts to this file after each run.")] = None,
    state: Annotated[Path | None, typer.Option("--state", help="Alert state file (default "
                     "$SUPPLYLINE_STATE/watch.json, else ~/.local/state/supplyline/"
                     "watch.json).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only events on or after "
                     "this date (e.g. on the first run, to skip the history).")] = None,
    timeout: Annotated[float, typer.Option(help="Webhook: seconds to wait for an answer.")
                       ] = 10.0,
    retries: Annotated[int, typer.Option(help="Webhook: further attempts after a failure "
                       "that may pass (refused, timeout, 5xx).")] = 3,
    backoff: Annotated[float, typer.Option(help="Webhook: first wait between attempts in "
                       "seconds (doubling).")] = 2.0,
    roads: RoadsOpt = "all",
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deliver new events of CITIES once each (webhook, JSON lines, Atom). Events not yet
    confirmed by the persistence rule wait for the run that confirms them. Run it after
    'supplyline data update' (cron or a systemd timer)."""
    from ..analysis.alerts import collect_alerts, parse_kinds
    from ..data.control import parse_date
    from ..io.notify import AlertState, JsonLines, Webhook, deliver, state_lock, write_atom
    from ..settings import get_settings

    kinds = parse_kinds(events)
    since = str(parse_date(since)) if since else None
    if timeout <= 0 or retries < 0 or backoff < 0:
        raise InvalidArgumentError("--timeout must be > 0, --retries and --backoff >= 0")
    lang = get_language()
    dests: list = [Webhook(u, lang=lang, timeout=timeout, retries=retries, backoff=backoff)
                   for u in (webhook or [])]
    to_stdout = str(feed) == "-" or (feed is None and not dests and atom is None)
    if to_stdout and as_json:
        raise InvalidArgumentError("--json and a feed on standard output: give --feed FILE")
    if feed is not None and str(feed) != "-":
        if feed.is_dir():
            raise InvalidArgumentError(f"--feed {feed}: is a directory; expected a file name")
        dests.append(JsonLines(feed, lang=lang))
    elif to_stdout:
        dests.append(JsonLines(None, lang=lang))
    path = state or get_settings().state_dir / "watch.json"
    with state_lock(path):
        st = AlertState.load(path)
        with session(data) as ws:
            found = collect_alerts(ws, list(cities), kinds, since=since,
                                   options=options(roads=roads), progress=ws.progress)
        new = st.record(found.alerts)
        st.save()
        ids = _watched_ids(st, found, kinds, since)
        outcomes = deliver(st, ids, dests)
        if atom is not None:
            write_atom(atom, [st.alerts[i] for i in ids], lang=lang,
                       title=_("supplyline alerts: {cities}").format(
                           cities=", ".join(place_name(c) for c in found.cities)))
    summary = {"state": str(path), "data_last": found.last, "kinds": list(kinds),
               "alerts": len(found.alerts), "new": len(new), "pending": len(found.pending),
               "pending_alerts": [{"city": a["city"], "date": a["date"], "kind": a["kind"],
                                   "subject": a["subject"]} for a in found.pending],
               "destinations": [o.as_dict() for o in outcomes],
               "atom": str(atom) if atom else None}
    if as_json:
        print_json(summary)
    else:
        _report(summary, err if to_stdout else out)
    if any(o.error for o in outcomes):
        raise typer.Exit(1)


def _watched_ids(st, found, kinds, since) -> list[str]:
    """Every recorded alert of this run's cities and kinds (on or after ``since``):
    new ones and ones a destination has not had yet."""
    cities = {c["id"] for c in found.cities}
    first = str(since) if since else ""
    return [i for i, a in st.alerts.items() if a.get("city_id") in cities
            and a.get("kind") in kinds and a.get("date", "") >= first]


def _report(s: dict, console) -> None:
    console.print(_("data to {day}: {n} confirmed alert(s), {new} new").format(
        day=s["data_last"], n=s["alerts"], new=s["new"]))
    if s["pending"]:
        console.print(ngettext("{n} event not yet confirmed (delivered once it persists)",
                               "{n} events not yet confirmed (delivered once they persist)",
                               s["pending"]).format(n=s["pending"]))
    for d in s["destinations"]:
        line = _("{dest}: {n} delivered").format(dest=escape(d["destination"]),
                                                 n=d["delivered"])
        if d["error"]:
            line += "; [red]" + escape(_("{left} left for the next run: {error}").format(
                left=d["left"], error=d["error"])) + "[/red]"
        console.print(line)
    if s["atom"]:
        console.print(_("Atom feed written to {path}").format(path=escape(s["atom"])))
