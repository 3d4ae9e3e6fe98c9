"""The machinery behind every endpoint: one analysis thread, a response cache, limits.

A :class:`~supplyline.analysis.context.Workspace` is not thread-safe (its memo and lazily
loaded data are shared), so every call that touches it runs on ONE worker thread
(:class:`Service`'s executor with ``max_workers=1``): requests are served concurrently,
analyses one after another. Answers from the stored board tables (read-only frames
loaded once) and static files do not wait for that thread.

Each answer is JSON bytes kept in a bounded LRU cache (raw and gzip-compressed) under a
key of the endpoint and its normalised parameters; its ETag is a hash of that key and
the data stamp (app version, the control history's last day and its territory, the board
tables), so a client's ``If-None-Match`` is answered 304 without computing anything.

Every analysis has a time limit (:attr:`Service.timeout_s`): past it the request gets a
503 with ``Retry-After``; a computation already running finishes in the background and
its answer is cached, so the retry is fast; one still waiting in the queue is cancelled.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .._version import __version__
from ..errors import SupplylineError

#: default time limit of one analysis request (s)
DEFAULT_TIMEOUT_S = 20.0
#: default size of the response cache (MiB of raw JSON)
DEFAULT_CACHE_MB = 256


class ServiceBusy(SupplylineError):
    """The answer took longer than the request's time limit (HTTP 503)."""


class Unavailable(SupplylineError):
    """What the request needs is not there (the board tables): HTTP 503."""


@dataclass(frozen=True)
class Answer:
    """A cached JSON answer."""

    body: bytes
    gz: bytes
    etag: str


class AnswerCache:
    """LRU of answers bounded by the total size of their bodies (thread-safe)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, Answer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str) -> Answer | None:
        with self._lock:
            a = self._items.get(key)
            if a is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return a

    def put(self, key: str, answer: Answer) -> None:
        size = len(answer.body) + len(answer.gz)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body) + len(old.gz)
            self._items[key] = answer
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                _, a = self._items.popitem(last=False)
                self._bytes -= len(a.body) + len(a.gz)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"entries": len(self._items), "bytes": self._bytes, "hits": self.hits,
                    "misses": self.misses, "max_bytes": self.max_bytes}


def encode(obj: Any) -> bytes:
    """Compact JSON (UTF-8, no NaN: a NaN here is a bug and raises)."""
    if hasattr(obj, "to_dict"):
        obj = obj.to_dict()
    return json.dumps(obj, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8")


class Service:
    """The workspace, its one analysis thread, the board and the answer cache.

    Parameters
    ----------
    ws
        The workspace every analysis uses (touched only on the analysis thread).
    board
        The stored sweep tables (:class:`~supplyline.analysis.board.Board`) or None.
    timeout_s
        Time limit of one analysis request.
    cache_mb
        Size of the answer cache.
    """

    def __init__(self, ws: Any, board: Any = None, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                 cache_mb: float = DEFAULT_CACHE_MB, board_note: str | None = None) -> None:
        self.ws = ws
        self.board = board
        self.board_note = board_note
        self.timeout_s = float(timeout_s)
        self.cache = AnswerCache(int(cache_mb * 1024 * 1024))
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="supplyline-analysis")
        self._stamp: str | None = None
        self.stamp_info: dict[str, Any] = {}

    # ------------------------------------------------------------------ running
    async def analyse(self, fn: Callable[..., Any], *args: Any, timeout: float | None = None,
                      **kw: Any) -> Any:
        """``fn(ws, *args, **kw)`` on the analysis thread, within the time limit."""
        fut = self._pool.submit(fn, self.ws, *args, **kw)
        limit = self.timeout_s if timeout is None else timeout
        try:
            return await asyncio.wait_for(asyncio.wrap_future(fut), limit)
        except TimeoutError:
            raise ServiceBusy(f"the answer took longer than the {limit:g} s limit; a "
                              "computation already started goes on: retry shortly") from None

    async def answer(self, key: str, compute: Callable[[], Any], *,
                     on_analysis_thread: bool = True, timeout: float | None = None
                     ) -> tuple[Answer, bool]:
        """The cached answer of ``key`` (and True), else ``compute()`` (on the analysis
        thread, or on a pool thread for answers that never touch the workspace), encoded
        and cached (and False). The answer is cached even when the request timed out
        before it was ready."""
        hit = self.cache.get(key)
        if hit is not None:
            return hit, True

        def run(*_: Any) -> tuple[Answer, bool]:
            again = self.cache.get(key)  # computed meanwhile by an earlier request
            if again is not None:
                return again, True
            a = self.make_answer(key, compute())
            self.cache.put(key, a)
            return a, False

        if on_analysis_thread:
            return await self.analyse(run, timeout=timeout)
        limit = self.timeout_s if timeout is None else timeout
        try:
            return await asyncio.wait_for(asyncio.to_thread(run), limit)
        except TimeoutError:
            raise ServiceBusy(f"the answer took longer than the {limit:g} s limit; "
                              "retry shortly") from None

    def make_answer(self, key: str, obj: Any) -> Answer:
        body = encode(obj)
        return Answer(body, gzip.compress(body, 6), self.etag(key))

    # ------------------------------------------------------------------ identity
    def etag(self, key: str) -> str:
        """The ETag of the answer to ``key`` under the current data."""
        return '"' + hashlib.blake2b(f"{self.stamp()}|{key}".encode(), digest_size=12
                                     ).hexdigest() + '"'

    def stamp(self) -> str:
        """What every answer depends on besides its parameters (set by :meth:`warm`)."""
        return self._stamp or __version__

    def warm(self) -> dict[str, Any]:
        """Load the data the queries need (on the analysis thread) and fix the stamp."""
        def load(ws: Any) -> dict[str, Any]:
            from ..analysis.timeline import day_hash

            hist = ws.history
            for mode in ws.options.modes:
                ws.network(mode)
            ws.gazetteer  # noqa: B018
            return {"first": str(hist.first), "last": str(hist.last),
                    "days": len(hist.dates), "last_day_hash": day_hash(hist.geoms[-1])}

        info = self._pool.submit(load, self.ws).result()
        board = getattr(self.board, "manifest", None) or {}
        self.stamp_info = {"version": __version__, "history": info,
                           "board": board.get("built")}
        self._stamp = json.dumps(self.stamp_info, sort_keys=True)
        return info

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
