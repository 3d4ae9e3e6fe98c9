"""The events feed (Atom 1.0) served by the web service.

``GET /feeds/events.atom?city=ID&events=route_cut,band_entered&lang=uk`` returns the alerts
``supplyline watch`` has recorded (its state file, ``$SUPPLYLINE_STATE/watch.json``), newest
first, one ``<entry>`` per event with a stable id (so a reader never sees an event twice)
and a link to the city page of its date. Without a watcher's state the feed holds the
events of the board's tables of the last 30 days. Read-only; every text node escaped by
the XML writer (:func:`supplyline.io.notify.atom_feed`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..analysis.alerts import EVENT_KINDS, alert_id
from ..errors import InvalidArgumentError
from ..io.notify import atom_feed, atom_from_state
from ..settings import get_settings

router = APIRouter()
#: Days of board events a feed without a watcher's state holds.
BOARD_DAYS = 30


def _kinds(events: str | None) -> list[str] | None:
    if not events:
        return None
    kinds = [k.strip() for k in events.split(",") if k.strip()]
    bad = [k for k in kinds if k not in EVENT_KINDS]
    if bad:
        raise InvalidArgumentError(f"events {bad[0]!r}: expected a comma-separated list of "
                                   f"{', '.join(EVENT_KINDS)}")
    return kinds


def _board_alerts(request: Request) -> list[dict[str, Any]]:
    """The board tables' events of the last :data:`BOARD_DAYS` days, as alert records."""
    service = getattr(request.app.state, "service", None)
    board = getattr(service, "board", None) if service is not None else None
    if board is None:
        return []
    last = board.last
    rows = board.events_between(last - dt.timedelta(days=BOARD_DAYS - 1), last)
    out = []
    for e in rows:
        e = e if isinstance(e, dict) else e.to_dict()
        out.append({**e, "id": alert_id(e["city_id"], e["kind"], e["subject"], e["date"]),
                    "title": {"en": f"{e['city']}: {e['kind'].replace('_', ' ')}, "
                                    f"{e['subject']}"},
                    "summary": {"en": e.get("detail", "")}})
    return out


@router.get("/feeds/events.atom", summary="Atom feed of the recorded events")
def events_atom(request: Request,
                city: list[str] | None = Query(None, description="City ids (repeatable)."),
                events: str | None = Query(None, description="Event kinds, comma-separated."),
                lang: str = Query("en", pattern="^(en|uk)$")) -> Response:
    """The alerts ``supplyline watch`` recorded (or the board's recent events), as Atom."""
    kinds = _kinds(events)
    base = str(request.base_url).rstrip("/")

    def link(a: dict[str, Any]) -> str:
        return f"{base}/city/{a.get('city_id', '')}?date={a['date']}"

    state = get_settings().state_dir / "watch.json"
    self_url = str(request.url)
    if state.exists():
        xml = atom_from_state(state, lang=lang, cities=city, kinds=kinds, self_url=self_url,
                              link=link)
    else:
        alerts = [a for a in _board_alerts(request)
                  if (not city or a.get("city_id") in city) and (not kinds or a["kind"] in kinds)]
        xml = atom_feed(alerts, lang=lang, self_url=self_url, link=link)
    return Response(xml, media_type="application/atom+xml; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300"})
