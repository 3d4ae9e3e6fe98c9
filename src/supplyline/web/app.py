"""The web service's application: :func:`create_app`.

>>> from supplyline.web import create_app
>>> app = create_app()                     # default workspace, board tables if built
>>> # uvicorn.run(app, host="127.0.0.1", port=8000)   or: supplyline serve

Routes: the board (``/``), city pages (``/city/{city}``), the JSON/GeoJSON API
(``/api/...``, documented at ``/docs`` and ``/openapi.json``), static files
(``/static/...``) and the events feed stub (``/feeds/events.atom``). Everything is
read-only. Errors are JSON ``{"error": "<one line>", "status": N}``: 400 for a bad
parameter, 404 for an unknown place or a date outside the data, 503 when an answer is
too slow (retry) or the board tables are missing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from .._version import __version__
from ..errors import (
    DataNotFoundError,
    DateOutOfRangeError,
    PlaceNotFoundError,
    SupplylineError,
    one_line,
)
from . import api, feeds, pages
from .service import DEFAULT_CACHE_MB, DEFAULT_TIMEOUT_S, Service, ServiceBusy, Unavailable

log = logging.getLogger(__name__)

DESCRIPTION = ("Supply-route exposure and encirclement risk from open front-line data: "
               "the same analyses as the supplyline command line, as JSON/GeoJSON.")


def create_app(workspace: Any = None, *, board: Any = None, tables_dir: str | Path | None = None,
               data_dir: str | Path | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
               cache_mb: float = DEFAULT_CACHE_MB, warm: bool = True) -> FastAPI:
    """The FastAPI application of the web service.

    Parameters
    ----------
    workspace
        The :class:`~supplyline.analysis.context.Workspace` (default: one over
        ``data_dir`` or the default data locations).
    board
        The board's tables (:class:`~supplyline.analysis.board.Board`); default: read
        from ``tables_dir`` when ready there (``supplyline serve`` builds them first).
    timeout_s
        Time limit of one analysis request (s).
    cache_mb
        Size of the answer cache (MiB).
    warm
        Load the data before answering (else on the first request).
    """
    from ..analysis.context import Workspace
    from ..viz.maplibre import load_maplibre

    ws = workspace if workspace is not None else Workspace(data_dir)
    note = None
    if board is None and tables_dir is not None:
        board, note = _load_board(ws, Path(tables_dir))
    elif board is None:
        note = "no board tables given; `supplyline serve` builds them"
    svc = Service(ws, board, timeout_s=timeout_s, cache_mb=cache_mb, board_note=note)
    if warm:
        svc.warm()
    app = FastAPI(title="supplyline", version=__version__, description=DESCRIPTION,
                  docs_url=None, redoc_url=None)
    app.state.service = svc
    app.state.static = pages.static_files(load_maplibre())
    app.state.front_bounds, app.state.front_bbox = _front_extent(board)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    _errors(app)
    app.include_router(api.router, prefix="/api")
    app.include_router(pages.router)
    app.include_router(feeds.router)
    return app


def _load_board(ws: Any, directory: Path) -> tuple[Any, str | None]:
    from ..analysis.board import Board, BoardSpec, expected_manifest, read_manifest, tables_state

    manifest = read_manifest(directory)
    try:
        spec = BoardSpec(**(manifest or {}).get("spec", {}))
    except (TypeError, SupplylineError):
        spec = BoardSpec()
    state, why = tables_state(directory, expected_manifest(ws, spec))
    if state == "missing":
        return None, f"{why}; `supplyline serve` builds them"
    board = Board.load(directory, ws)
    return board, (None if state == "ready" else f"{why} (serving them as they are)")


def _front_extent(board: Any) -> tuple[list, list]:
    """Bounds of the board's map (the sweep's cities with a margin) and the bbox of its
    territory requests."""
    import math

    if board is None:
        box = [30.0, 46.0, 40.3, 50.6]
    else:
        pts = [(p.lon, p.lat) for p in board.places.values() if math.isfinite(p.lon)]
        xs, ys = [p[0] for p in pts] or [30, 40], [p[1] for p in pts] or [46, 50]
        box = [min(xs) - 0.6, min(ys) - 0.4, max(xs) + 0.6, max(ys) + 0.4]
    wide = [round(box[0] - 1.5, 2), round(box[1] - 1.0, 2), round(box[2] + 1.5, 2),
            round(box[3] + 1.0, 2)]
    return [[box[0], box[1]], [box[2], box[3]]], wide


def _status_of(exc: SupplylineError) -> int:
    if isinstance(exc, PlaceNotFoundError | DateOutOfRangeError):
        return 404
    if isinstance(exc, ServiceBusy | Unavailable | DataNotFoundError):
        return 503
    return 400


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": one_line(message), "status": status}, status_code=status,
                        headers=headers)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(SupplylineError)
    async def supplyline_error(request: Request, exc: SupplylineError) -> JSONResponse:
        status = _status_of(exc)
        return _error(status, str(exc), {"Retry-After": "15"} if status == 503 else None)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ())[1:]) or "request"
        got = first.get("input")
        msg = first.get("msg", "invalid")
        if first.get("type") == "string_pattern_mismatch" and "date" in where + "fromto":
            msg = "expected a date YYYY-MM-DD"
        shown = f" {got!r}" if got is not None and not isinstance(got, dict) else ""
        return _error(400, f"{where}{shown}: {msg}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        msg = exc.detail if exc.status_code != 404 else f"not found: {request.url.path}"
        return _error(exc.status_code, str(msg))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s", request.url.path)
        return _error(500, "internal error (logged on the server)")
