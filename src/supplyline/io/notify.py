"""Delivering alerts once each: a webhook, a JSON-lines feed, an Atom feed; the state file.

An *alert* is a dict with at least ``id`` (stable: the same event has the same id on
every run), ``date``, ``title`` and ``summary`` (each ``{language: text}``); see
:mod:`supplyline.analysis.alerts`. This module knows nothing of how alerts are found.

Exactly once
------------
:class:`AlertState` is a small JSON file (written atomically: a temporary file moved
over the old one, so a crash leaves either the old or the new state, never half of one)
holding every alert recorded and, per destination, the ids already delivered. A run
records the new alerts first, then delivers to each destination in date order, saving the
state after **each** accepted delivery; a destination that fails (after its retries)
keeps its undelivered alerts for the next run, in order. So an alert is never lost, and
never delivered twice to the same destination, with one unavoidable window: a crash in
the instant between a webhook's 2xx answer and the state write. For that case every
POST carries the alert id (``Idempotency-Key`` and ``X-Supplyline-Alert`` headers, and
``id`` in the body) so a receiver can drop a repeat; the JSON-lines file checks the ids
already in the file before appending, so it is exactly once even across that window.
:func:`state_lock` keeps two runs from delivering at the same time.

Atom
----
:func:`atom_feed` renders the recorded alerts as an Atom 1.0 feed (newest first) in a
language; the web service can serve it from the state file (:func:`atom_from_state`), and
``supplyline watch --atom FILE`` writes it as a file after each run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import logging
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from .._version import __version__
from ..errors import AlertStateError, DeliveryError, InvalidArgumentError
from .cache import atomic_write
from .gis import write_bytes

log = logging.getLogger(__name__)

STATE_SCHEMA = 1
ATOM_NS = "http://www.w3.org/2005/Atom"


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace(
        "+00:00", "Z")


# --------------------------------------------------------------------------- state

class AlertState:
    """Recorded alerts and, per destination, the ids delivered (a JSON file)."""

    def __init__(self, path: Path, data: dict[str, Any] | None = None):
        self.path = Path(path)
        data = data or {}
        self.alerts: dict[str, dict[str, Any]] = dict(data.get("alerts", {}))
        self.delivered: dict[str, list[str]] = {k: list(v) for k, v in
                                                data.get("delivered", {}).items()}
        self.destinations: dict[str, dict[str, Any]] = dict(data.get("destinations", {}))
        self._sets = {k: set(v) for k, v in self.delivered.items()}

    @classmethod
    def load(cls, path: Path) -> AlertState:
        """The state at ``path`` (empty when the file does not exist yet)."""
        path = Path(path)
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            return cls(path)
        except OSError as exc:
            raise AlertStateError(f"{path}: cannot read the alert state "
                                  f"({exc.strerror or exc})") from None
        try:
            data = json.loads(text)
        except ValueError:
            raise AlertStateError(f"{path}: not a supplyline alert state (invalid JSON); "
                                  "move it away to start afresh") from None
        if not isinstance(data, dict) or data.get("schema") != STATE_SCHEMA \
                or not isinstance(data.get("alerts"), dict):
            raise AlertStateError(f"{path}: not a supplyline alert state (schema "
                                  f"{data.get('schema') if isinstance(data, dict) else '?'},"
                                  f" expected {STATE_SCHEMA})")
        return cls(path, data)

    def save(self) -> None:
        """Write the state atomically (mode 0600: it may name private webhook hosts)."""
        doc = {"schema": STATE_SCHEMA, "saved": _now(), "alerts": self.alerts,
               "delivered": self.delivered, "destinations": self.destinations}
        data = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
        atomic_write(self.path, lambda tmp: write_bytes(tmp, data), mode=0o600)

    def record(self, alerts: Iterable[dict[str, Any]], now: str | None = None) -> list[str]:
        """Add alerts not yet recorded (with the time ``recorded``); returns their ids."""
        new = []
        for a in alerts:
            if a["id"] not in self.alerts:
                self.alerts[a["id"]] = {**a, "recorded": now or _now()}
                new.append(a["id"])
        return new

    def is_delivered(self, dest: str, alert_id: str) -> bool:
        return alert_id in self._sets.get(dest, set())

    def mark(self, dest: str, alert_id: str) -> None:
        if not self.is_delivered(dest, alert_id):
            self.delivered.setdefault(dest, []).append(alert_id)
            self._sets.setdefault(dest, set()).add(alert_id)

    def undelivered(self, dest: str, ids: Iterable[str]) -> list[dict[str, Any]]:
        """The recorded alerts of ``ids`` not yet delivered to ``dest``, oldest first."""
        out = [self.alerts[i] for i in ids if i in self.alerts and
               not self.is_delivered(dest, i)]
        return sorted(out, key=lambda a: (a["date"], a.get("city_id", ""), a["id"]))


@contextlib.contextmanager
def state_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock next to the state file for the block (another run that
    wants it fails at once with one line)."""
    import fcntl

    lock = Path(path).with_name(Path(path).name + ".lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise AlertStateError(f"{lock}: cannot create the lock ({exc.strerror or exc})"
                              ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise AlertStateError(f"{path}: another 'supplyline watch' is running with "
                                      "this state file") from None
            raise
        yield
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- payloads

def payload(alert: dict[str, Any], lang: str) -> dict[str, Any]:
    """What a destination receives: the alert with ``title`` and ``summary`` in ``lang``
    (both languages in ``titles``), and where it comes from."""
    out = {k: v for k, v in alert.items() if k not in ("title", "summary", "recorded")}
    titles = alert.get("title", {})
    out.update({"title": titles.get(lang) or titles.get("en"),
                "summary": alert.get("summary", {}).get(lang) or
                alert.get("summary", {}).get("en"),
                "lang": lang, "titles": titles, "source": f"supplyline {__version__}"})
    return out


# --------------------------------------------------------------------------- destinations

class Destination(Protocol):
    """Somewhere alerts go: ``key`` names it in the state file, ``label`` for people."""

    key: str
    label: str

    def send(self, alert: dict[str, Any]) -> None:
        """Deliver one alert or raise :class:`DeliveryError`."""


def check_url(url: str) -> str:
    """A webhook URL must be http(s) with a host (one-line error otherwise)."""
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise InvalidArgumentError(f"--webhook {url!r}: expected an http:// or https:// URL")
    return url


@dataclass
class Webhook:
    """POST each alert as JSON to ``url``: ``timeout`` seconds per attempt, up to
    ``retries`` more attempts after a failure that may pass (connection refused or
    reset, timeout, HTTP 408, 429, 5xx), waiting ``backoff * 2**k`` seconds (at most
    ``max_backoff``; a ``Retry-After`` answer is honoured up to that). Other HTTP errors
    (400, 401, 404, ...) are not retried in the same run."""

    url: str
    lang: str = "en"
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 1.0
    max_backoff: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    attempts: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        check_url(self.url)

    @property
    def key(self) -> str:
        # a hash, not the URL: webhook URLs often carry a secret token
        return "webhook:" + hashlib.sha256(self.url.encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        u = urllib.parse.urlsplit(self.url)
        return f"webhook {u.scheme}://{u.hostname}{f':{u.port}' if u.port else ''}/..."

    def send(self, alert: dict[str, Any]) -> None:
        body = json.dumps(payload(alert, self.lang), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": f"supplyline/{__version__}",
                   "Idempotency-Key": alert["id"], "X-Supplyline-Alert": alert["id"]}
        last = ""
        for k in range(self.retries + 1):
            self.attempts += 1
            wait = min(self.max_backoff, self.backoff * 2 ** k)
            try:
                req = urllib.request.Request(self.url, data=body, headers=headers,
                                             method="POST")
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    resp.read(65536)
                return
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
                with contextlib.suppress(Exception):
                    exc.close()
                if exc.code not in (408, 429) and exc.code < 500:
                    raise DeliveryError(f"{self.label}: {last} (not retried)") from None
                after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
                if after is not None:
                    wait = min(self.max_backoff, after)
            except TimeoutError:
                last = f"no answer within {self.timeout:g} s"
            except urllib.error.URLError as exc:
                reason = exc.reason
                last = (f"no answer within {self.timeout:g} s"
                        if isinstance(reason, TimeoutError)
                        else str(getattr(reason, "strerror", None) or reason))
            except (ConnectionError, OSError) as exc:
                last = str(exc.strerror or exc)
            if k < self.retries:
                log.info("%s: %s; retrying in %.1f s", self.label, last, wait)
                self.sleep(wait)
        raise DeliveryError(f"{self.label}: {last} after {self.retries + 1} attempt(s)")


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


@dataclass
class JsonLines:
    """Append each alert as one JSON line to ``path`` (``None``: standard output).

    A file is read first: an alert whose id is already in it is not written again."""

    path: Path | None = None
    lang: str = "en"
    stream: IO[str] | None = None
    _seen: set[str] | None = field(default=None, init=False, repr=False)

    @property
    def key(self) -> str:
        return "stdout" if self.path is None else f"file:{Path(self.path).resolve()}"

    @property
    def label(self) -> str:
        return "standard output" if self.path is None else str(self.path)

    def _ids_in_file(self) -> set[str]:
        if self._seen is None:
            self._seen = set()
            if self.path is not None and Path(self.path).exists():
                with open(self.path, encoding="utf-8", errors="replace") as fh:
                    for line in fh:
                        with contextlib.suppress(ValueError, AttributeError, TypeError):
                            self._seen.add(json.loads(line)["id"])
        return self._seen

    def send(self, alert: dict[str, Any]) -> None:
        line = json.dumps(payload(alert, self.lang), ensure_ascii=False) + "\n"
        if self.path is None:
            out = self.stream or sys.stdout
            out.write(line)
            out.flush()
            return
        if alert["id"] in self._ids_in_file():
            return
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(self.path, 0o644)
        except OSError as exc:
            raise DeliveryError(f"{self.path}: cannot append ({exc.strerror or exc})"
                                ) from None
        self._ids_in_file().add(alert["id"])


@dataclass
class Outcome:
    """What one destination got in one run."""

    label: str
    delivered: int = 0
    left: int = 0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"destination": self.label, "delivered": self.delivered, "left": self.left,
                "error": self.error}


def deliver(state: AlertState, ids: list[str], destinations: Iterable[Destination], *,
            save: bool = True) -> list[Outcome]:
    """Send each destination the recorded alerts of ``ids`` it has not had yet, oldest
    first, saving the state after every accepted alert; a destination that fails keeps
    the rest for the next run."""
    outcomes = []
    for dest in destinations:
        todo = state.undelivered(dest.key, ids)
        res = Outcome(dest.label)
        state.destinations[dest.key] = {"label": dest.label}
        for k, alert in enumerate(todo):
            try:
                dest.send(alert)
            except DeliveryError as exc:
                res.error, res.left = str(exc), len(todo) - k
                state.destinations[dest.key].update({"last_error": str(exc),
                                                     "last_error_at": _now()})
                break
            state.mark(dest.key, alert["id"])
            res.delivered += 1
            if save:
                state.save()
        else:
            state.destinations[dest.key].pop("last_error", None)
            state.destinations[dest.key].pop("last_error_at", None)
        outcomes.append(res)
    if save:
        state.save()
    return outcomes


# --------------------------------------------------------------------------- Atom

def atom_feed(alerts: Iterable[dict[str, Any]], *, lang: str = "en",
              title: str = "supplyline alerts", feed_id: str = "urn:supplyline:alerts",
              self_url: str | None = None, link: Callable[[dict[str, Any]], str] | None = None,
              limit: int = 100) -> str:
    """An Atom 1.0 feed of ``alerts`` (newest event first, at most ``limit``) with titles
    in ``lang``. ``link(alert)`` gives an entry's web address where there is one."""
    items = sorted(alerts, key=lambda a: (a["date"], a.get("recorded", ""), a["id"]),
                   reverse=True)[:limit]
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed",
                      {"{http://www.w3.org/XML/1998/namespace}lang": lang})

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    sub(feed, "title", title)
    sub(feed, "id", feed_id)
    sub(feed, "updated", max((a.get("recorded") or _now() for a in items), default=_now()))
    sub(sub(feed, "author"), "name", "supplyline")
    sub(feed, "generator", "supplyline", version=__version__)
    if self_url:
        sub(feed, "link", rel="self", href=self_url)
    for a in items:
        e = sub(feed, "entry")
        sub(e, "id", f"urn:supplyline:alert:{a['id']}")
        sub(e, "title", (a.get("title") or {}).get(lang) or (a.get("title") or {}).get("en")
            or a.get("kind", ""))
        sub(e, "updated", a.get("recorded") or _now())
        sub(e, "published", f"{a['date']}T00:00:00Z")
        sub(e, "summary", (a.get("summary") or {}).get(lang) or
            (a.get("summary") or {}).get("en") or a.get("detail", ""))
        sub(e, "category", term=str(a.get("kind", "")))
        if link is not None:
            sub(e, "link", rel="alternate", href=link(a))
    ET.indent(feed, space=" ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode")


def atom_from_state(path: Path, *, lang: str = "en", cities: Iterable[str] | None = None,
                    kinds: Iterable[str] | None = None, **kw: Any) -> str:
    """The Atom feed of the alerts recorded in the state file ``path`` (only ``cities``
    ids and ``kinds`` when given): what the web service serves at its feed URL."""
    state = AlertState.load(path)
    cs, ks = (set(cities) if cities else None), (set(kinds) if kinds else None)
    alerts = [a for a in state.alerts.values()
              if (cs is None or a.get("city_id") in cs) and (ks is None or a.get("kind") in ks)]
    return atom_feed(alerts, lang=lang, **kw)


def write_atom(path: Path, alerts: Iterable[dict[str, Any]], **kw: Any) -> Path:
    """Write :func:`atom_feed` to ``path`` atomically (mode 0644)."""
    data = atom_feed(alerts, **kw).encode("utf-8")
    return atomic_write(Path(path), lambda tmp: write_bytes(tmp, data))
