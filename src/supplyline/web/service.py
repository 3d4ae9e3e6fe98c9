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

Requests for an answer being computed wait for that computation (no second one). Every
analysis has a time limit (:attr:`Service.timeout_s`): past it the request gets a 503
with ``Retry-After``; the computation goes on and its answer is cached, so the retry is
fast. At most :data:`MAX_QUEUE` analyses wait for the thread; more get a 503 at once.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import threading
import time
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
#: analyses that may wait for the analysis thread; more get a 503 at once (load shedding)
MAX_QUEUE = 64


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
        #: analyses submitted and not finished (touched on the event loop only)
        self.queued = 0
        self.max_queue = MAX_QUEUE
        #: analyses run and the analysis thread's busy time (s)
        self.analyses, self.busy_s = 0, 0.0
        self._inflight: dict[str, asyncio.Future] = {}
        self._stamp: str | None = None
        self.stamp_info: dict[str, Any] = {}

    # ------------------------------------------------------------------ running
    async def analyse(self, fn: Callable[..., Any], *args: Any, timeout: float | None = None,
                      **kw: Any) -> Any:
        """``fn(ws, *args, **kw)`` on the analysis thread, within the time limit (a
        computation that has started goes on past it); a 503 at once when
        :attr:`max_queue` analyses are already waiting."""
        limit = self.timeout_s if timeout is None else timeout
        return await self._wait(self._submit(fn, *args, **kw), limit)

    def _submit(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> asyncio.Future:
        if self.queued >= self.max_queue:
            raise ServiceBusy(f"busy: {self.queued} analyses are waiting; retry shortly")
        self.queued += 1
        fut = asyncio.wrap_future(self._pool.submit(self._timed, fn, *args, **kw))
        fut.add_done_callback(self._done)
        return fut

    def _timed(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """``fn(ws, ...)`` on the analysis thread, counting its time."""
        t0 = time.perf_counter()
        try:
            return fn(self.ws, *args, **kw)
        finally:
            self.analyses += 1
            self.busy_s += time.perf_counter() - t0

    def _done(self, fut: asyncio.Future) -> None:
        self.queued -= 1
        if not fut.cancelled():
            fut.exception()  # retrieved: nobody may be waiting any more

    @staticmethod
    async def _wait(fut: asyncio.Future, limit: float) -> Any:
        try:
            return await asyncio.wait_for(asyncio.shield(fut), limit)
        except TimeoutError:
            raise ServiceBusy(f"the answer took longer than the {limit:g} s limit; it is "
                              "still being computed: retry shortly") from None

    async def answer(self, key: str, compute: Callable[[], Any], *,
                     on_analysis_thread: bool = True, timeout: float | None = None
                     ) -> tuple[Answer, bool]:
        """The answer of ``key`` and whether it was there already: from the cache, else
        from the same computation another request started, else ``compute()`` (on the
        analysis thread, or on a pool thread for answers that never touch the
        workspace), encoded and cached. The answer is cached even when the request timed
        out before it was ready."""
        hit = self.cache.get(key)
        if hit is not None:
            return hit, True
        fut = self._inflight.get(key)
        shared = fut is not None
        if fut is None:
            def run(*_: Any) -> Answer:
                a = self.make_answer(key, compute())
                self.cache.put(key, a)
                return a

            if on_analysis_thread:
                fut = self._submit(run)
            else:
                fut = asyncio.ensure_future(asyncio.to_thread(run))
                fut.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._inflight[key] = fut
            fut.add_done_callback(lambda _, key=key: self._inflight.pop(key, None))
        a = await self._wait(fut, self.timeout_s if timeout is None else timeout)
        return a, shared

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
