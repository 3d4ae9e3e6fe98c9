"""Event feeds (RSS/Atom) served by the web service: a route stub, filled by the alerts work.

Plan (issue 18, part 2; for whoever implements ``supplyline watch``):

- ``GET /feeds/events.atom?city=ID&city=ID&events=route_cut,band_entered,...`` returns an
  Atom 1.0 feed (``application/atom+xml``) of the events the watcher has recorded, newest
  first, one ``<entry>`` per event with a stable ``<id>`` (``tag:supplyline,<date>:<city
  id>/<kind>/<subject>``, so a reader never sees an event twice), ``<updated>`` = the day
  the event was detected, a title such as "Pokrovsk: road to Pavlohrad cut" and a link
  to ``/city/<id>?date=<date>``. ``/feeds/events.rss`` the same as RSS 2.0.
- Source: the watcher's state (its atomically written event log), read-only here; with
  no watcher state, the events of the board's tables (``Service.board.events_between``)
  of the last 30 days.
- Every text node escaped by the XML writer (``xml.sax.saxutils`` or ElementTree), never
  by string formatting; ETag/Cache-Control as the JSON answers (``api.respond``); the
  same parameter checks (city names, event kinds from a fixed list).

Until then the route answers 501 with one line saying so.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

router = APIRouter()


@router.get("/feeds/events.atom", summary="Atom feed of new events (not implemented yet)")
async def events_atom() -> JSONResponse:
    """Planned: the events ``supplyline watch`` records, as an Atom feed (issue 18)."""
    return JSONResponse({"error": "the events feed is not implemented yet (issue 18: "
                                  "`supplyline watch` will fill it)", "status": 501},
                        status_code=501)
