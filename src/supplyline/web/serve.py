"""``supplyline serve``: make sure the board's tables are there, then run uvicorn."""

from __future__ import annotations

import logging
import socket
import threading
import time
import webbrowser
from pathlib import Path
from typing import Any

from ..analysis.board import BoardSpec, build_tables, expected_manifest, tables_state
from ..errors import InvalidArgumentError, OutputError

log = logging.getLogger(__name__)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def prepare_board(ws: Any, directory: Path, spec: BoardSpec, *, build: bool = True,
                  workers: int = 2, progress: Any = None) -> tuple[str, str]:
    """Build or update the board's tables in ``directory`` unless they are ready (or
    ``build`` is False). Returns the state before and a line saying what was done."""
    state, why = tables_state(directory, expected_manifest(ws, spec))
    if state == "ready" or not build:
        return state, why
    t0 = time.perf_counter()
    m = build_tables(ws, directory, spec, workers=workers, progress=progress)
    first = m["spec"].get("start") or m["history"]["first"]  # the board's range
    return state, (f"{why}: built the board's tables ({m['cities']} cities, "
                   f"{first} to {m['history']['last']}) in "
                   f"{time.perf_counter() - t0:.0f} s into {directory}")


def check_listen(host: str, port: int) -> None:
    """A one-line error now rather than a server that cannot start."""
    if not (0 < port < 65536):
        raise InvalidArgumentError(f"--port {port}: expected 1-65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InvalidArgumentError(f"--host {host!r}: {exc.strerror or exc}") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            raise OutputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(app: Any, *, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False,
          log_level: str = "warning") -> bool:
    """Run ``app`` with uvicorn until stopped; True when stopped by a signal (Ctrl-C)."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, workers=1,
                            access_log=False, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    if open_browser:
        threading.Thread(target=_open_when_up, args=(server, host, port), daemon=True).start()
    server.run()
    return bool(server.should_exit)


def _open_when_up(server: Any, host: str, port: int) -> None:
    for _ in range(600):
        if server.started:
            webbrowser.open(f"http://{host if ':' not in host else f'[{host}]'}:{port}/")
            return
        time.sleep(0.1)
