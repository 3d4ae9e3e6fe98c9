"""HTML pages and static files: the board (``/``), the city page (``/city/...``), the
API documentation (``/docs``) and the front-end files, MapLibre included (verified
bytes, served from memory; nothing is fetched from anywhere else)."""

from __future__ import annotations

import hashlib
import html
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from ..errors import InvalidArgumentError, PlaceNotFoundError
from ..i18n import LANGUAGES, _, get_language, negotiate, use_language
from ..viz.citydata import ATTRIBUTION, BAND_NOTE
from ..viz.pages import STATIC_FILES, frontend_file, render_page
from ..viz.palette import palette_json
from .api import DATE_PATTERN, check_date, check_range, service

router = APIRouter()

MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".txt": "text/plain; charset=utf-8", ".html": "text/html; charset=utf-8"}


def page_language(request: Request, lang: str | None) -> str:
    """The language of an HTML page: ``?lang=`` (en or uk; anything else is a 400), else
    the best of the ``Accept-Language`` header, else the settings' default."""
    if lang is not None:
        if lang not in LANGUAGES:
            raise InvalidArgumentError(f"lang {lang!r}: expected one of {', '.join(LANGUAGES)}")
        return lang
    return negotiate(request.headers.get("accept-language"), default=get_language())


def nav() -> str:
    """The city page's links (trusted HTML of ours, text in the active language)."""
    return (f'<a href="/">&larr; {html.escape(_("all near-front cities"))}</a> &middot; '
            f'<a href="/docs">API</a>')


LangQuery = Annotated[str | None, Query(max_length=20)]


def static_files(maplibre: Any) -> dict[str, tuple[bytes, str, str]]:
    """name -> (bytes, media type, ETag) of every file under ``/static/``."""
    files = {name: frontend_file(name).encode("utf-8") for name in STATIC_FILES}
    files["vendor/maplibre-gl.js"] = maplibre.js
    files["vendor/maplibre-gl.css"] = maplibre.css
    files["vendor/maplibre-gl-LICENSE.txt"] = maplibre.license
    out = {}
    for name, data in files.items():
        ext = name[name.rfind("."):]
        out[name] = (data, MEDIA[ext], '"' + hashlib.sha256(data).hexdigest()[:24] + '"')
    return out


@router.get("/static/{name:path}", include_in_schema=False)
async def static(request: Request, name: str) -> Response:
    files = request.app.state.static
    if name not in files:
        return Response(status_code=404, content=b'{"error":"not found","status":404}',
                        media_type="application/json")
    data, media, etag = files[name]
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400",
               "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media, headers=headers)


def _html(text: str, status: int = 200, lang: bool = False) -> HTMLResponse:
    headers = {"Cache-Control": "no-cache"}
    if lang:  # the page's language follows Accept-Language (no ETag on pages)
        headers["Vary"] = "Accept-Language"
    return HTMLResponse(text, status_code=status, headers=headers)


@router.get("/", include_in_schema=False)
async def board_page(request: Request, date: Annotated[str | None, Query(
        pattern=DATE_PATTERN)] = None, lang: LangQuery = None) -> HTMLResponse:
    svc = service(request)
    check_date(date)
    with use_language(page_language(request, lang)):
        return _html(render_page("board", title=_("supplyline: near-front cities"), config={
            "mode": "server", "api": "/api", "date": date,
            "palette": palette_json(svc.ws.profile), "bounds": request.app.state.front_bounds,
            "bbox": request.app.state.front_bbox, "attribution": ATTRIBUTION,
            "band_note": BAND_NOTE}, attribution=ATTRIBUTION), lang=True)


@router.get("/city/{city}", include_in_schema=False)
async def city_page(request: Request, city: Annotated[str, Path(min_length=1, max_length=120)],
                    date: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
                    start: Annotated[str | None, Query(alias="from", pattern=DATE_PATTERN)] = None,
                    end: Annotated[str | None, Query(alias="to", pattern=DATE_PATTERN)] = None,
                    lang: LangQuery = None) -> HTMLResponse:
    svc = service(request)
    check_date(date)
    check_range(start, end)
    code = page_language(request, lang)
    place = _board_place(svc.board, city)
    if place is None:
        try:  # resolved once per spelling on the analysis thread, then from the cache
            a, _ = await svc.answer(f"find?city={city!r}", lambda: _found(svc.ws, city))
        except PlaceNotFoundError as exc:
            return _html(f"<!DOCTYPE html><html lang=en><meta charset=utf-8><title>Not "
                         f"found</title><p>{html.escape(str(exc))}</p><p>{nav()}</p></html>",
                         404)
        place = json.loads(a.body)
    with use_language(code):
        return _html(render_page("city", title=f"{place['name']} — supplyline", nav=nav(),
                                 config={"mode": "server", "api": "/api", "city": place["id"],
                                         "date": date, "from": start, "to": end}), lang=True)


def _board_place(board: Any, city: str) -> dict[str, str] | None:
    """A city of the board named by its id: no need to ask the workspace."""
    ref = board.places.get(city) if board is not None else None
    return None if ref is None else {"id": ref.id, "name": ref.name}


def _found(ws: Any, city: str) -> dict[str, str]:
    p = ws.find(city).place
    return {"id": p.ident or p.name, "name": p.name}


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    """The API documentation, drawn from /openapi.json by our own script (offline)."""
    return _html(frontend_file("docs.html"))
