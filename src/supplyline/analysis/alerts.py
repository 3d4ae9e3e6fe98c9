"""Alerts: the timeline's confirmed events of watched cities, each with a stable id and
a title in every language.

:func:`collect_alerts` runs :func:`~supplyline.analysis.summary.timeline_analysis` over
the whole control history (cached per city and day, so a run after ``data update``
computes only the new days) and keeps the events of the kinds asked for. An event that
has not yet lasted the persistence rule's days (``Event.pending``: it may still flicker
back) is **not** an alert: it is counted in ``pending`` and becomes an alert on the run
that confirms it. The delivery (webhook, JSON lines, Atom) is
:mod:`supplyline.io.notify`.

An alert's id is a hash of the city id, the kind, the subject and the date
(:func:`alert_id`): the same event gets the same id on every run, so it is delivered
once however often the watch runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidArgumentError
from ..i18n import (
    LANGUAGES,
    N_,
    _,
    band_label,
    get_language,
    mode_label,
    status_label,
    use_language,
)
from .context import Workspace
from .options import AnalysisOptions

#: Event kinds an alert can be about (see :func:`supplyline.core.events.detect_events`).
EVENT_KINDS = ("route_cut", "band_entered", "line_reached", "centre_held", "route_under_fire",
               "route_reopened", "route_eased", "routes_dropped")
#: The kinds watched unless others are asked for.
DEFAULT_KINDS = ("route_cut", "band_entered", "line_reached", "centre_held")


def alert_id(city_id: str, kind: str, subject: str, date: str | dt.date) -> str:
    """The stable id of an event: the same city, kind, subject and date give the same id."""
    key = "\x1f".join((str(city_id), str(kind), str(subject), str(date)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def parse_kinds(spec: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Event kinds from ``"route_cut,band_entered"`` (or a list); None gives the defaults;
    ``all`` every kind. An unknown kind is a one-line error."""
    if spec is None:
        return DEFAULT_KINDS
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    kinds = [k.strip() for k in items if k and k.strip()]
    if kinds == ["all"]:
        return EVENT_KINDS
    bad = [k for k in kinds if k not in EVENT_KINDS]
    if bad or not kinds:
        raise InvalidArgumentError(f"--events {','.join(items)!r}: expected a comma-separated "
                                   f"list of {', '.join(EVENT_KINDS)} (or all)")
    return tuple(dict.fromkeys(kinds))


@dataclass
class WatchResult:
    """What one watch run found."""

    alerts: list[dict[str, Any]]
    pending: list[dict[str, Any]]
    first: str
    last: str
    cities: list[dict[str, Any]] = field(default_factory=list)


def collect_alerts(ws: Workspace, cities: list[str], kinds: tuple[str, ...] = DEFAULT_KINDS,
                   *, since: str | dt.date | None = None,
                   options: AnalysisOptions | None = None, progress: Any = None
                   ) -> WatchResult:
    """The confirmed events of ``kinds`` for ``cities`` over the whole history (on or
    after ``since``), as alerts (:func:`alert_record`), oldest first; events still
    pending are returned apart and never as alerts."""
    from .summary import timeline_analysis

    if not cities:
        raise InvalidArgumentError("name at least one city to watch")
    hist = ws.history
    since_day = None if since is None else ws.held(since).requested
    res = timeline_analysis(ws, list(cities), None, None, options=options, progress=progress)
    tl = res["timeline"]
    places = {(p.ident or p.name): p for p in tl.cities}
    hubs = _hub_names(ws, tl.routes)
    alerts: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for e in res["events"]:
        if e["kind"] not in kinds:
            continue
        if since_day is not None and dt.date.fromisoformat(e["date"]) < since_day:
            continue
        rec = alert_record(e, places.get(e["city_id"]), hubs, ws.profile, str(hist.last))
        (pending if e.get("pending") else alerts).append(rec)
    key = lambda a: (a["date"], a["city_id"], a["kind"], a["subject"])  # noqa: E731
    return WatchResult(sorted(alerts, key=key), sorted(pending, key=key), str(hist.first),
                       str(hist.last),
                       [{"id": p.ident or p.name, "name": p.name,
                         "name_uk": getattr(p, "name_uk", "") or None} for p in tl.cities])


def _hub_names(ws: Workspace, routes: Any) -> dict[str, str | None]:
    """Hub name (English) -> Ukrainian name, for the hubs of the timeline's routes."""
    out: dict[str, str | None] = {}
    if routes is None or not len(routes):
        return out
    for hid, name in routes[["hub_id", "hub"]].drop_duplicates().itertuples(index=False):
        try:
            out[str(name)] = getattr(ws.find(str(hid)).place, "name_uk", "") or None
        except Exception:  # noqa: BLE001 - a name we cannot resolve stays English
            out[str(name)] = None
    return out


def alert_record(event: dict[str, Any], place: Any, hubs: dict[str, str | None],
                 profile: Any, data_last: str) -> dict[str, Any]:
    """An event as an alert: its fields, a stable ``id``, ``city_uk``, the history's last
    day ``data_last``, and ``title`` / ``summary`` in every language
    (``{"en": ..., "uk": ...}``)."""
    city_uk = (getattr(place, "name_uk", "") or None) if place is not None else None
    rec = {"id": alert_id(event["city_id"], event["kind"], event["subject"], event["date"]),
           "city_id": event["city_id"], "city": event["city"], "city_uk": city_uk,
           "date": event["date"], "kind": event["kind"], "subject": event["subject"],
           "detail": event["detail"], "data_last": data_last}
    rec["title"], rec["summary"] = {}, {}
    for lang in LANGUAGES:
        with use_language(lang):
            rec["title"][lang] = alert_title(rec, hubs, profile)
            rec["summary"][lang] = _("{title} (event date {date}; data to {last}).").format(
                title=rec["title"][lang], date=rec["date"], last=data_last)
    return rec


# --------------------------------------------------------------------------- wording

KIND_TITLES = {
    "route_cut": N_("{city}: route ({mode}) to {hub}: cut"),
    "route_under_fire": N_("{city}: route ({mode}) to {hub}: {status}"),
    "route_reopened": N_("{city}: route ({mode}) to {hub} reopened: {status}"),
    "route_eased": N_("{city}: route ({mode}) to {hub} eased: {status}"),
}
_ROUTE = re.compile(r"^(road|rail) to (.+)$")
_LINE_TO = re.compile(r"^(rail line|road route) to (.+)$")
_STRETCH_WORDS = {"toward the rear": N_("toward the rear"),
                  "through the city": N_("through the city"),
                  "toward the front": N_("toward the front")}


def alert_title(rec: dict[str, Any], hubs: dict[str, str | None], profile: Any) -> str:
    """One line saying what happened, in the active language (names in its script)."""
    lang_uk = get_language() == "uk"  # names in Cyrillic where the data has them
    city = (rec.get("city_uk") if lang_uk else None) or rec["city"]
    kind, subject = rec["kind"], rec["subject"]
    m = _ROUTE.match(subject)
    if kind in KIND_TITLES and m:
        mode, hub = m.group(1), m.group(2)
        hub_name = (hubs.get(hub) if lang_uk else None) or hub
        new = rec["detail"].split("->")[-1].strip()
        return _(KIND_TITLES[kind]).format(city=city, mode=mode_label(mode), hub=hub_name,
                                           status=status_label(new))
    if kind == "band_entered":
        km = next((b.max_km for b in profile.bands if b.name == subject), None)
        return _("{city}: the front within {km} km of the centre ({band})").format(
            city=city, km="?" if km is None else f"{km:g}", band=band_label(subject))
    if kind == "centre_held":
        return _("{city}: the city centre is in held territory").format(city=city)
    if kind == "line_reached":
        return _("{city}: held territory within 1 km of {line}").format(
            city=city, line=line_label(subject, hubs, lang_uk))
    if kind == "routes_dropped":
        nums = re.findall(r"(\d+) -> (\d+)", rec["detail"])
        old, new = nums[-1] if nums else ("?", "?")
        return _("{city}: independent {mode} routes {old} -> {new}").format(
            city=city, mode=mode_label(subject), old=old, new=new)
    return f"{city}: {kind.replace('_', ' ')}: {subject}"


def line_label(subject: str, hubs: dict[str, str | None], uk: bool) -> str:
    """A line of :func:`~supplyline.analysis.summary.line_series` in the active language:
    ``road М-04, toward the rear``, ``railway, through the city``, ``rail line to X``."""
    m = _LINE_TO.match(subject)
    if m:
        hub = (hubs.get(m.group(2)) if uk else None) or m.group(2)
        if m.group(1) == "rail line":
            return _("the rail line to {hub}").format(hub=hub)
        return _("the road route to {hub}").format(hub=hub)
    what, _sep, stretch = subject.partition(", ")
    if what == "railway":
        what = _("railway")
    elif what.startswith("road "):
        what = _("road {number}").format(number=what[5:])
    if stretch in _STRETCH_WORDS:
        return f"{what}, {_(_STRETCH_WORDS[stretch])}"
    return f"{what}, {stretch}" if stretch else what
