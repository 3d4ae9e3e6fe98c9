"""Downloading public data into the cache.

Every download goes to ``<dest>.part`` first, is checked (``Content-Length``, an
expected size, a SHA-256 / MD5 digest, a content check) and only then moved to
``<dest>`` with :func:`os.replace`, so a corrupt or partial file never appears at the
final path and a good file already there is never damaged by a failed download.
An interrupted download leaves its ``.part`` behind; the next call resumes it with an
HTTP ``Range`` request.

Sources:

- DeepState daily held-territory files (:func:`fetch_deepstate`), one GeoJSON per day,
  from ``$SUPPLYLINE_DEEPSTATE_URL`` or :data:`DEFAULT_DEEPSTATE_BASE`. The real source
  has gaps: days answering 404 are recorded as missing.
- DeepStateMap API snapshots (:func:`fetch_deepstate_api`, every layer incl. the grey
  zone) from ``$SUPPLYLINE_DEEPSTATE_API`` or :data:`DEFAULT_DEEPSTATE_API`: the list
  ``/api/history/public``, one snapshot ``/api/history/<id>/geojson``, the latest
  ``/api/history/last``; the last snapshot of each UTC day is kept.
- OpenStreetMap extracts (:func:`fetch_osm`) from ``$SUPPLYLINE_OSM_URL`` or
  :data:`DEFAULT_OSM_URL`, verified against the Geofabrik ``<url>.md5`` sidecar when the
  server publishes one.

DeepState files (daily and API) must arrive within :data:`FILE_DEADLINE_S` each (a server
that trickles bytes cannot hold a fetch forever; the ``.part`` is kept for a resume).

Layout inside :func:`default_download_dir`: ``deepstate/`` for the daily files,
``deepstate-raw/`` for API snapshots (``<unix-seconds>.geojson``) and ``osm/`` for
``.osm.pbf`` extracts (the same layout as any data directory).

Only the standard library (:mod:`urllib.request`) is used for HTTP; progress bars are
drawn on an optional :class:`rich.progress.Progress` passed in by the caller.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import os
import posixpath
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rich.progress import Progress, TaskID

from .._version import __version__
from ..errors import DataFormatError, FetchError, FetchNotFoundError
from ..settings import (
    ENV_DEEPSTATE_API,
    ENV_DEEPSTATE_URL,
    ENV_OSM_URL,
    download_dir,
    get_settings,
)
from .deepstate_api import (
    ApiSnapshot,
    check_snapshot_file,
    last_per_day,
    parse_history_list,
    unwrap,
)
from .sources import WAR_START, date_problem, today

__all__ = [
    "DEFAULT_DEEPSTATE_API",
    "DEFAULT_DEEPSTATE_BASE",
    "ApiFetchSummary",
    "fetch_deepstate_api",
    "fetch_deepstate_api_latest",
    "list_deepstate_api",
    "DEFAULT_OSM_URL",
    "DEEPSTATE_ENV",
    "OSM_ENV",
    "DownloadResult",
    "FetchError",
    "FetchNotFoundError",
    "FetchSummary",
    "deepstate_filename",
    "deepstate_url",
    "default_download_dir",
    "download",
    "fetch_deepstate",
    "fetch_deepstate_into_cache",
    "fetch_osm",
    "fetch_osm_into_cache",
]

DEFAULT_DEEPSTATE_BASE = "https://raw.githubusercontent.com/cyterat/deepstate-map-data/main/data"
DEFAULT_OSM_URL = "https://download.geofabrik.de/europe/ukraine-latest.osm.pbf"
#: Environment variable overriding :data:`DEFAULT_DEEPSTATE_BASE`.
DEEPSTATE_ENV = ENV_DEEPSTATE_URL
#: Environment variable overriding :data:`DEFAULT_OSM_URL`.
OSM_ENV = ENV_OSM_URL

DEEPSTATE_SUBDIR = "deepstate"
OSM_SUBDIR = "osm"
#: Overall time allowed for one DeepState file (a daily file or an API snapshot), seconds.
FILE_DEADLINE_S = 300.0
#: Largest DeepState file accepted (the snapshots are ~0.2-0.7 MB).
MAX_SNAPSHOT_BYTES = 64 << 20

_USER_AGENT = f"supplyline/{__version__} (+urllib)"
_SCHEMES = ("http", "https", "file")
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)\s*$", re.IGNORECASE)
_MD5_HEX = re.compile(r"^[0-9a-fA-F]{32}$")

Status = Literal["downloaded", "resumed", "cached"]


@dataclass(frozen=True)
class DownloadResult:
    """Outcome of :func:`download`.

    ``bytes`` is the size of the file now at ``path``; ``transferred`` is how many bytes
    were received over the network by this call (0 when cached).
    """

    url: str
    path: Path
    status: Status
    bytes: int
    transferred: int = 0


@dataclass
class FetchSummary:
    """Outcome of :func:`fetch_deepstate`.

    ``downloaded`` includes resumed files; ``total_bytes`` is the size of all files now
    present for the range (downloaded + cached); ``transferred_bytes`` is what this call
    received over the network.
    """

    dest_dir: Path
    downloaded: list[dt.date] = field(default_factory=list)
    cached: list[dt.date] = field(default_factory=list)
    missing: list[dt.date] = field(default_factory=list)
    total_bytes: int = 0
    transferred_bytes: int = 0

    @property
    def days(self) -> int:
        """Number of days in the requested range."""
        return len(self.downloaded) + len(self.cached) + len(self.missing)


# --------------------------------------------------------------------------- helpers


def _check_url(url: str) -> None:
    if not isinstance(url, str) or not url.strip():
        raise FetchError(f"bad URL {url!r}: expected an http(s):// or file:// URL")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in _SCHEMES:
        raise FetchError(f"bad URL {url!r}: expected an http(s):// or file:// URL")
    if parts.scheme.lower() != "file" and not parts.netloc:
        raise FetchError(f"bad URL {url!r}: expected a host name after {parts.scheme}://")


def _part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def _digests(path: Path, *, sha256: bool, md5: bool) -> tuple[str | None, str | None]:
    hs = hashlib.sha256() if sha256 else None
    hm = hashlib.md5(usedforsecurity=False) if md5 else None
    if hs is None and hm is None:
        return None, None
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            if hs is not None:
                hs.update(block)
            if hm is not None:
                hm.update(block)
    return (hs.hexdigest() if hs else None), (hm.hexdigest() if hm else None)


def _is_cached(dest: Path, expected_size: int | None, sha256: str | None) -> bool:
    if not dest.is_file():
        return False
    if expected_size is not None and dest.stat().st_size != expected_size:
        return False
    if sha256 is not None:
        got, _ = _digests(dest, sha256=True, md5=False)
        return got == sha256.lower()
    return True


def _parse_content_range(value: str | None) -> tuple[int | None, int | None, int | None]:
    """``bytes a-b/total`` -> (a, b, total); ``bytes */total`` -> (None, None, total)."""
    if not value:
        return None, None, None
    m = _CONTENT_RANGE.match(value)
    if not m:
        return None, None, None
    start = int(m.group(1)) if m.group(1) is not None else None
    end = int(m.group(2)) if m.group(2) is not None else None
    total = int(m.group(3)) if m.group(3) != "*" else None
    return start, end, total


def _int_header(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _open(url: str, *, timeout: float, offset: int = 0) -> http.client.HTTPResponse:
    """Open ``url`` (with ``Range: bytes=offset-`` when offset > 0).

    Raises :class:`urllib.error.HTTPError` for HTTP error statuses (the caller decides
    what 404 / 416 mean) and :class:`FetchError` for everything else.
    """
    headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    if offset > 0:
        headers["Range"] = f"bytes={offset}-"
    req = urllib.request.Request(url, headers=headers)
    try:
        return urllib.request.urlopen(req, timeout=timeout)  # noqa: S310 - scheme checked
    except urllib.error.HTTPError:
        raise
    except urllib.error.URLError as e:
        if isinstance(e.reason, FileNotFoundError):
            raise FetchNotFoundError(f"{url} not found (no such file); expected it to exist") from e
        raise FetchError(f"cannot connect to {url}: {e.reason}") from e
    except TimeoutError as e:
        raise FetchError(f"timed out after {timeout:g} s connecting to {url}") from e
    except (OSError, http.client.HTTPException, ValueError) as e:
        raise FetchError(f"cannot download {url}: {e}") from e


def _http_error(url: str, e: urllib.error.HTTPError) -> FetchError:
    e.close()
    if e.code == 404:
        return FetchNotFoundError(f"HTTP 404 Not Found for {url}: expected the file to exist")
    return FetchError(f"HTTP {e.code} {e.reason} for {url}: expected 200 OK")


class _Bar:
    """One progress-bar task, created lazily when the size is known."""

    def __init__(self, progress: Progress | None, label: str) -> None:
        self.progress = progress
        self.label = label
        self.task: TaskID | None = None

    def start(self, total: int | None, completed: int) -> None:
        if self.progress is None:
            return
        if self.task is None:
            self.task = self.progress.add_task(self.label, total=total, completed=completed)
        else:
            self.progress.reset(self.task, total=total, completed=completed)

    def advance(self, n: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task, n)

    def finish(self, size: int, label: str | None = None) -> None:
        if self.progress is None:
            return
        if self.task is None:
            self.task = self.progress.add_task(label or self.label, total=size, completed=size)
        else:
            self.progress.update(self.task, total=size, completed=size)
            if label:
                self.progress.update(self.task, description=label)

    def remove(self) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None


class _Restart(Exception):
    """The ``.part`` does not belong to the remote file: discard it and start again."""


class _Limits:
    """Per-file limits: an overall deadline (monotonic seconds) and a largest size."""

    def __init__(self, deadline_s: float | None = None, max_bytes: int | None = None):
        self.deadline_s = deadline_s
        self.deadline = None if deadline_s is None else time.monotonic() + deadline_s
        self.max_bytes = max_bytes

    def timeout(self, timeout: float) -> float:
        """The time one read may wait: ``timeout``, but never past the deadline."""
        if self.deadline is None:
            return timeout
        return max(0.05, min(timeout, self.deadline - time.monotonic()))

    def check(self, url: str, got: int, part: Path | None = None) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            kept = f"; partial data kept in {part}, run again to resume" if part else ""
            raise FetchError(
                f"{url}: no complete answer within {self.deadline_s:g} s (the deadline per "
                f"file); received {got} bytes{kept}")
        if self.max_bytes is not None and got > self.max_bytes:
            raise FetchError(f"{url}: answer larger than {self.max_bytes} bytes; expected a "
                             f"smaller file")


_NO_LIMITS = _Limits()


def _read_block(resp: Any, chunk: int) -> bytes:
    """At most ``chunk`` bytes, returning as soon as some arrived (so a deadline can be
    checked between blocks even when the server trickles)."""
    read1 = getattr(resp, "read1", None)
    return read1(chunk) if read1 is not None else resp.read(chunk)


def _transfer_once(
    url: str, part: Path, offset: int, *, timeout: float, chunk: int, bar: _Bar,
    limits: _Limits = _NO_LIMITS,
) -> tuple[bool, int]:
    """One request writing into ``part``; returns (resumed, bytes received)."""
    try:
        resp = _open(url, timeout=limits.timeout(timeout), offset=offset)
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset > 0:
            _, _, total = _parse_content_range(e.headers.get("Content-Range"))
            e.close()
            if total is None or total == offset:
                bar.finish(offset)
                return True, 0  # the part is already complete (verified by the caller)
            raise _Restart from None
        raise _http_error(url, e) from None

    with resp:
        status = getattr(resp, "status", None) or resp.getcode() or 200
        length = _int_header(resp.headers.get("Content-Length"))
        if length is not None:
            limits.check(url, offset + length if status == 206 else length)
        if offset > 0 and status == 206:
            start, _, total = _parse_content_range(resp.headers.get("Content-Range"))
            if start != offset:
                raise _Restart
            mode, resumed = "ab", True
            if total is None and length is not None:
                total = offset + length
        else:
            # 200 (or a server that ignores Range): the body is the whole file.
            mode, resumed, offset, total = "wb", False, 0, length
        bar.start(total, offset)
        received = 0
        try:
            with part.open(mode) as out:
                while True:
                    limits.check(url, offset + received, part)
                    try:
                        block = _read_block(resp, chunk)
                    except TimeoutError as e:
                        limits.check(url, offset + received, part)
                        raise FetchError(
                            f"timed out after {timeout:g} s reading {url}; received "
                            f"{offset + received} bytes, partial data kept in {part}"
                        ) from e
                    except (OSError, http.client.HTTPException) as e:
                        raise FetchError(
                            f"connection lost while downloading {url} ({e.__class__.__name__}); "
                            f"received {offset + received} bytes, partial data kept in {part}"
                        ) from e
                    if not block:
                        break
                    out.write(block)
                    received += len(block)
                    bar.advance(len(block))
        except OSError as e:
            raise FetchError(f"cannot write {part}: {e}") from e
    if length is not None and received != length:
        raise FetchError(
            f"incomplete download of {url}: received {received} of {length} bytes "
            f"(Content-Length); partial data kept in {part}, run again to resume"
        )
    size = part.stat().st_size
    if total is not None and size != total:
        raise FetchError(
            f"incomplete download of {url}: {part} has {size} bytes, expected {total}"
        )
    return resumed, received


def _transfer(url: str, part: Path, *, timeout: float, chunk: int, bar: _Bar,
              limits: _Limits = _NO_LIMITS) -> tuple[bool, int]:
    offset = part.stat().st_size if part.is_file() else 0
    try:
        return _transfer_once(url, part, offset, timeout=timeout, chunk=chunk, bar=bar,
                              limits=limits)
    except _Restart:
        part.unlink(missing_ok=True)
        try:
            return _transfer_once(url, part, 0, timeout=timeout, chunk=chunk, bar=bar,
                                  limits=limits)
        except _Restart:  # pragma: no cover - impossible with offset 0
            raise FetchError(f"server gave an inconsistent answer for {url}") from None


def _verify(
    url: str,
    part: Path,
    dest: Path,
    *,
    expected_size: int | None,
    sha256: str | None,
    md5: str | None,
    validate: Callable[[Path], None] | None,
) -> None:
    size = part.stat().st_size
    if expected_size is not None and size != expected_size:
        raise FetchError(
            f"size mismatch for {dest.name} from {url}: got {size} bytes, "
            f"expected {expected_size}"
        )
    got_sha, got_md5 = _digests(part, sha256=sha256 is not None, md5=md5 is not None)
    if sha256 is not None and got_sha != sha256.lower():
        raise FetchError(
            f"sha256 mismatch for {dest.name} from {url}: got {got_sha}, expected {sha256.lower()}"
        )
    if md5 is not None and got_md5 != md5.lower():
        raise FetchError(
            f"md5 mismatch for {dest.name} from {url}: got {got_md5}, expected {md5.lower()}"
        )
    if validate is not None:
        validate(part)


def _download(
    url: str,
    dest: Path,
    *,
    expected_size: int | None = None,
    sha256: str | None = None,
    md5: str | None = None,
    validate: Callable[[Path], None] | None = None,
    progress: Progress | None = None,
    timeout: float = 60,
    chunk: int = 1 << 16,
    keep_task: bool = True,
    deadline_s: float | None = None,
    max_bytes: int | None = None,
) -> DownloadResult:
    _check_url(url)
    limits = _Limits(deadline_s, max_bytes)
    dest = Path(dest)
    if chunk <= 0:
        raise FetchError(f"bad chunk size {chunk} for {url}: expected a positive integer")
    bar = _Bar(progress, dest.name)
    try:
        if _is_cached(dest, expected_size, sha256):
            size = dest.stat().st_size
            bar.finish(size, f"{dest.name} (cached)")
            return DownloadResult(url, dest, "cached", size, 0)

        part = _part_path(dest)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise FetchError(f"cannot create directory {dest.parent}: {e}") from e
        transferred = 0
        for attempt in range(2):
            resumed, received = _transfer(url, part, timeout=timeout, chunk=chunk, bar=bar,
                                          limits=limits)
            transferred += received
            try:
                _verify(
                    url, part, dest,
                    expected_size=expected_size, sha256=sha256, md5=md5, validate=validate,
                )
            except FetchError:
                part.unlink(missing_ok=True)
                if resumed and attempt == 0:
                    continue  # a stale .part from an older remote file: start from zero
                raise
            try:
                os.replace(part, dest)
            except OSError as e:
                raise FetchError(f"cannot move {part} to {dest}: {e}") from e
            size = dest.stat().st_size
            bar.finish(size)
            return DownloadResult(
                url, dest, "resumed" if resumed else "downloaded", size, transferred
            )
        raise AssertionError("unreachable")  # pragma: no cover
    finally:
        if not keep_task:
            bar.remove()


# --------------------------------------------------------------------------- public API


def download(
    url: str,
    dest: Path,
    *,
    expected_size: int | None = None,
    sha256: str | None = None,
    progress: Progress | None = None,
    timeout: float = 60,
    chunk: int = 1 << 16,
    deadline_s: float | None = None,
) -> DownloadResult:
    """Download ``url`` to ``dest`` with resume and checks.

    ``dest`` already present is kept ("cached") if it matches ``sha256`` and
    ``expected_size`` when given (otherwise existing is enough). A ``<dest>.part`` left
    by an interrupted download is resumed with ``Range: bytes=N-`` (206: append;
    200: restart; 416: the part is already complete). The received bytes are checked
    against ``Content-Length``, then ``expected_size`` and ``sha256``, and only then
    moved to ``dest`` atomically. A task is added to ``progress`` (a
    :class:`rich.progress.Progress`) for the file.

    ``timeout`` bounds each wait for data; ``deadline_s`` (when given) bounds the whole
    file, so a server that trickles a byte at a time cannot hold it forever (the
    ``.part`` is kept for a later resume).

    Raises :class:`FetchError` (one line naming the URL / file) on any failure; nothing
    is ever written to ``dest`` unless it checked out.
    """
    return _download(
        url, Path(dest),
        expected_size=expected_size, sha256=sha256,
        progress=progress, timeout=timeout, chunk=chunk, deadline_s=deadline_s,
    )


def default_download_dir() -> Path:
    """The download cache (:func:`supplyline.settings.download_dir`)."""
    return download_dir()


def deepstate_filename(day: dt.date) -> str:
    """``deepstatemap_data_YYYYMMDD.geojson`` for ``day``."""
    return f"deepstatemap_data_{day:%Y%m%d}.geojson"


def _deepstate_base(base_url: str | None) -> str:
    base = base_url or get_settings().deepstate_url or DEFAULT_DEEPSTATE_BASE
    return base.rstrip("/")


def deepstate_url(day: dt.date, base_url: str | None = None) -> str:
    """URL of the DeepState file for ``day`` (``base_url`` > env > default)."""
    return f"{_deepstate_base(base_url)}/{deepstate_filename(day)}"


def _check_feature_collection(path: Path, *, name: str, url: str) -> None:
    try:
        with path.open("rb") as fh:
            doc = json.load(fh)
    except (ValueError, UnicodeDecodeError) as e:
        raise FetchError(
            f"corrupt DeepState file {name} from {url}: not JSON ({e}); "
            f"expected a GeoJSON FeatureCollection"
        ) from e
    except OSError as e:
        raise FetchError(f"cannot read {path}: {e}") from e
    kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
    if kind != "FeatureCollection":
        raise FetchError(
            f"corrupt DeepState file {name} from {url}: type is {kind!r}, "
            f"expected a GeoJSON FeatureCollection"
        )


def fetch_deepstate(
    start: dt.date,
    end: dt.date,
    dest_dir: Path,
    *,
    base_url: str | None = None,
    progress: Progress | None = None,
    skip_missing: bool = True,
    deadline_s: float | None = FILE_DEADLINE_S,
) -> FetchSummary:
    """Download the DeepState daily files for ``start``..``end`` (inclusive).

    Files go to ``dest_dir/deepstatemap_data_YYYYMMDD.geojson``; the base URL is
    ``base_url``, else ``$SUPPLYLINE_DEEPSTATE_URL``, else :data:`DEFAULT_DEEPSTATE_BASE`.
    Days answering 404 are recorded in ``missing`` when ``skip_missing`` (the source has
    gaps), otherwise they raise. Every file must parse as a GeoJSON FeatureCollection;
    a corrupt download is discarded and raises :class:`FetchError` naming the file
    (a corrupt file already in ``dest_dir`` is deleted and downloaded again). Each file
    must arrive within ``deadline_s`` seconds.
    """
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        raise FetchError(f"bad date range {start!r}..{end!r}: expected two dates")
    if isinstance(start, dt.datetime):
        start = start.date()
    if isinstance(end, dt.datetime):
        end = end.date()
    if start > end:
        raise FetchError(
            f"bad date range {start.isoformat()}..{end.isoformat()}: "
            f"expected start on or before end"
        )
    base = _deepstate_base(base_url)
    _check_url(base + "/")
    dest_dir = Path(dest_dir)
    summary = FetchSummary(dest_dir=dest_dir)
    n_days = (end - start).days + 1
    overall: TaskID | None = None
    if progress is not None:
        overall = progress.add_task(f"DeepState {start}..{end}", total=n_days)
    for i in range(n_days):
        day = start + dt.timedelta(days=i)
        name = deepstate_filename(day)
        url = f"{base}/{name}"
        dest = dest_dir / name
        if dest.is_file():
            try:
                _check_feature_collection(dest, name=name, url=str(dest))
            except FetchError:
                dest.unlink()  # corrupt cached file: never good, fetch it again

        def validate(p: Path, _name: str = name, _url: str = url) -> None:
            _check_feature_collection(p, name=_name, url=_url)

        try:
            res = _download(url, dest, validate=validate, progress=progress, keep_task=False,
                            deadline_s=deadline_s, max_bytes=MAX_SNAPSHOT_BYTES)
        except FetchNotFoundError:
            if not skip_missing:
                raise
            summary.missing.append(day)
        else:
            if res.status == "cached":
                summary.cached.append(day)
            else:
                summary.downloaded.append(day)
            summary.total_bytes += res.bytes
            summary.transferred_bytes += res.transferred
        if progress is not None and overall is not None:
            progress.advance(overall, 1)
    return summary


def _osm_url(url: str | None) -> str:
    return url or get_settings().osm_url or DEFAULT_OSM_URL


def _fetch_md5(url: str, *, timeout: float) -> str | None:
    """The digest from the ``<url>.md5`` sidecar, or None when the server has none (404)."""
    md5_url = url + ".md5"
    try:
        resp = _open(md5_url, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 404:
            e.close()
            return None
        raise _http_error(md5_url, e) from None
    except FetchNotFoundError:
        return None
    with resp:
        try:
            raw = resp.read(4096)
        except (OSError, http.client.HTTPException) as e:
            raise FetchError(f"cannot read {md5_url}: {e}") from e
    text = raw.decode("ascii", errors="replace").split()
    if not text or not _MD5_HEX.match(text[0]):
        raise FetchError(f"malformed md5 sidecar {md5_url}: expected '<32 hex digits>  <name>'")
    return text[0].lower()


def fetch_osm(
    url: str | None,
    dest_dir: Path,
    *,
    progress: Progress | None = None,
    sha256: str | None = None,
) -> DownloadResult:
    """Download an OSM extract into ``dest_dir`` under the URL's basename.

    ``url`` defaults to ``$SUPPLYLINE_OSM_URL``, else :data:`DEFAULT_OSM_URL`. A file
    already present is kept ("cached", no network) unless ``sha256`` is given and does
    not match. The ``<url>.md5`` sidecar (published by Geofabrik) is checked when the
    server has one; a 404 for it skips the check.
    """
    url = _osm_url(url)
    _check_url(url)
    name = posixpath.basename(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
    if not name or name in (".", ".."):
        raise FetchError(f"bad URL {url!r}: expected a URL ending in a file name")
    dest = Path(dest_dir) / name
    if _is_cached(dest, None, sha256):
        return _download(url, dest, sha256=sha256, progress=progress)
    md5 = _fetch_md5(url, timeout=60)
    return _download(url, dest, sha256=sha256, md5=md5, progress=progress)


def fetch_deepstate_into_cache(
    start: dt.date,
    end: dt.date,
    *,
    base_url: str | None = None,
    progress: Progress | None = None,
    skip_missing: bool = True,
) -> FetchSummary:
    """:func:`fetch_deepstate` into ``default_download_dir()/deepstate``."""
    return fetch_deepstate(
        start, end, default_download_dir() / DEEPSTATE_SUBDIR,
        base_url=base_url, progress=progress, skip_missing=skip_missing,
    )


def fetch_osm_into_cache(
    url: str | None = None,
    *,
    progress: Progress | None = None,
    sha256: str | None = None,
) -> DownloadResult:
    """:func:`fetch_osm` into ``default_download_dir()/osm``."""
    return fetch_osm(url, default_download_dir() / OSM_SUBDIR, progress=progress, sha256=sha256)


# --------------------------------------------------------------------------- DeepStateMap API

#: Base URL of the DeepStateMap API (``$SUPPLYLINE_DEEPSTATE_API`` overrides it).
DEFAULT_DEEPSTATE_API = "https://deepstatemap.live"
#: Environment variable overriding :data:`DEFAULT_DEEPSTATE_API`.
DEEPSTATE_API_ENV = ENV_DEEPSTATE_API
RAW_SUBDIR = "deepstate-raw"
#: Largest history list accepted.
MAX_LIST_BYTES = 32 << 20


@dataclass
class ApiFetchSummary:
    """Outcome of :func:`fetch_deepstate_api`.

    ``days`` counts the UTC days in the range that have a snapshot in the list; for each
    the last snapshot of the day is wanted: ``downloaded`` (file names), ``present``
    (already in ``dest_dir`` or another data location) or ``failed`` ((id, one-line
    reason), nothing stored).
    """

    dest_dir: Path
    base_url: str
    listed: int = 0
    skipped_entries: int = 0
    days: int = 0
    downloaded: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    transferred_bytes: int = 0

    def as_dict(self) -> dict:
        return {"dest": str(self.dest_dir), "api": self.base_url, "listed": self.listed,
                "skipped_entries": self.skipped_entries, "days": self.days,
                "downloaded": list(self.downloaded), "present": len(self.present),
                "failed": [{"id": i, "error": e} for i, e in self.failed],
                "transferred_bytes": self.transferred_bytes}


def deepstate_api_base(base_url: str | None = None) -> str:
    """The API base URL: ``base_url`` > ``$SUPPLYLINE_DEEPSTATE_API`` > the default."""
    base = (base_url or get_settings().deepstate_api or DEFAULT_DEEPSTATE_API).rstrip("/")
    _check_url(base + "/")
    return base


def api_list_url(base: str) -> str:
    return f"{base}/api/history/public"


def api_snapshot_url(base: str, ident: str) -> str:
    return f"{base}/api/history/{urllib.parse.quote(str(ident), safe='')}/geojson"


def api_last_url(base: str) -> str:
    return f"{base}/api/history/last"


def _get_bytes(url: str, *, timeout: float, limits: _Limits) -> bytes:
    """A small answer read into memory, under the deadline and size limit."""
    try:
        resp = _open(url, timeout=limits.timeout(timeout))
    except urllib.error.HTTPError as e:
        raise _http_error(url, e) from None
    chunks, got = [], 0
    with resp:
        length = _int_header(resp.headers.get("Content-Length"))
        if length is not None:
            limits.check(url, length)
        while True:
            limits.check(url, got)
            try:
                block = _read_block(resp, 1 << 16)
            except TimeoutError as e:
                limits.check(url, got)
                raise FetchError(f"timed out after {timeout:g} s reading {url}") from e
            except (OSError, http.client.HTTPException) as e:
                raise FetchError(f"connection lost while reading {url} "
                                 f"({e.__class__.__name__})") from e
            if not block:
                break
            chunks.append(block)
            got += len(block)
    if length is not None and got != length:
        raise FetchError(f"incomplete answer from {url}: received {got} of {length} bytes")
    return b"".join(chunks)


def list_deepstate_api(base_url: str | None = None, *, timeout: float = 60,
                       deadline_s: float | None = FILE_DEADLINE_S
                       ) -> tuple[list[ApiSnapshot], int]:
    """The snapshots the API lists (``GET <base>/api/history/public``), oldest first, and
    the number of list entries skipped (no usable id or datetime).

    Raises :class:`FetchError` for an unreachable server or an answer that is not a JSON
    list (HTML, truncated)."""
    base = deepstate_api_base(base_url)
    url = api_list_url(base)
    raw = _get_bytes(url, timeout=timeout, limits=_Limits(deadline_s, MAX_LIST_BYTES))
    try:
        return parse_history_list(raw, label=url)
    except DataFormatError as e:
        raise FetchError(str(e)) from None


def _snapshot_check(url: str) -> Callable[[Path], None]:
    def validate(p: Path) -> None:
        try:
            check_snapshot_file(p, url)
        except DataFormatError as e:
            raise FetchError(str(e)) from None

    return validate


def _present(dest_dir: Path, present_dirs: Sequence[Path]) -> set[str]:
    names: set[str] = set()
    for d in (dest_dir, *present_dirs):
        try:
            names.update(n for n in os.listdir(d) if n.endswith(".geojson"))
        except OSError:
            continue
    return names


def fetch_deepstate_api(
    dest_dir: Path,
    *,
    base_url: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    present_dirs: Sequence[Path] = (),
    progress: Progress | None = None,
    timeout: float = 60,
    deadline_s: float | None = FILE_DEADLINE_S,
) -> ApiFetchSummary:
    """Download the API snapshots missing from ``dest_dir``: the last one of each UTC day
    from ``start`` (default 2022-02-24) to ``end`` (default today).

    The list comes from ``GET <base>/api/history/public``; each snapshot from
    ``GET <base>/api/history/<id>/geojson`` and is stored as served, as
    ``dest_dir/<unix-seconds>.geojson``, through a ``.part`` file (resumed with ``Range``
    where the server allows), checked (``Content-Length``, at most
    :data:`MAX_SNAPSHOT_BYTES`, JSON, a FeatureCollection with polygons) and moved into
    place only then. A snapshot already in ``dest_dir`` or in ``present_dirs`` (other
    data locations) is not fetched again. A snapshot that fails (HTTP error, HTML,
    truncated, malformed, past ``deadline_s``) is recorded in ``failed`` with nothing
    stored, and the others go on.

    Raises :class:`FetchError` when the list itself cannot be had.
    """
    base = deepstate_api_base(base_url)
    start = start or WAR_START
    end = end or today()
    if start > end:
        raise FetchError(f"bad date range {start}..{end}: expected start on or before end")
    snaps, skipped = list_deepstate_api(base, timeout=timeout, deadline_s=deadline_s)
    summary = ApiFetchSummary(Path(dest_dir), base, listed=len(snaps), skipped_entries=skipped)
    per_day = last_per_day({s.unix: s for s in snaps
                            if start <= s.day <= end and not date_problem(s.day)})
    summary.days = len(per_day)
    have = _present(summary.dest_dir, present_dirs)
    todo = []
    for _, snap in per_day.values():
        if snap.filename in have:
            summary.present.append(snap.filename)
        else:
            todo.append(snap)
    overall = progress.add_task(f"DeepStateMap API: {len(todo)} snapshots", total=len(todo)) \
        if progress is not None and todo else None
    for snap in todo:
        url = api_snapshot_url(base, snap.id)
        try:
            res = _download(url, summary.dest_dir / snap.filename, validate=_snapshot_check(url),
                            progress=progress, keep_task=False, timeout=timeout,
                            deadline_s=deadline_s, max_bytes=MAX_SNAPSHOT_BYTES)
        except FetchError as e:
            summary.failed.append((snap.id, str(e)))
        else:
            summary.downloaded.append(snap.filename)
            summary.transferred_bytes += res.transferred
        if progress is not None and overall is not None:
            progress.advance(overall)
    if progress is not None and overall is not None:
        progress.remove_task(overall)
    return summary


def fetch_deepstate_api_latest(
    dest_dir: Path,
    *,
    base_url: str | None = None,
    present_dirs: Sequence[Path] = (),
    timeout: float = 60,
    deadline_s: float | None = FILE_DEADLINE_S,
) -> tuple[str, bool]:
    """The latest snapshot (``GET <base>/api/history/last``, the wrapped form
    ``{"id", "datetime", "map"}``), stored as served as ``<unix-seconds>.geojson`` unless
    already present. Returns (file name, downloaded?). Raises :class:`FetchError` for a
    bad answer (nothing stored)."""
    base = deepstate_api_base(base_url)
    url = api_last_url(base)
    raw = _get_bytes(url, timeout=timeout, limits=_Limits(deadline_s, MAX_SNAPSHOT_BYTES))
    try:
        doc = json.loads(raw)
        _, _, when = unwrap(doc, url)
    except (ValueError, UnicodeDecodeError) as e:
        what = "an HTML page" if raw.lstrip()[:1] == b"<" else "not JSON"
        raise FetchError(f"{url}: {what} ({str(e)[:80]}); expected the wrapped latest "
                         f"snapshot") from None
    except DataFormatError as e:
        raise FetchError(str(e)) from None
    if when is None:
        raise FetchError(f"{url}: no usable 'datetime' or numeric 'id'; expected the "
                         f"snapshot time")
    name = f"{int(when.timestamp())}.geojson"
    dest = Path(dest_dir) / name
    if name in _present(Path(dest_dir), present_dirs):
        return name, False
    try:
        Path(dest_dir).mkdir(parents=True, exist_ok=True)
        part = _part_path(dest)
        part.write_bytes(raw)
        try:
            _snapshot_check(url)(part)
            os.replace(part, dest)
        finally:
            part.unlink(missing_ok=True)
    except OSError as e:
        raise FetchError(f"cannot write {dest}: {e}") from e
    return name, True
