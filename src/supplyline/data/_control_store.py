"""Building the merged control history and caching it as per-day records.

Private plumbing of :mod:`supplyline.data.control`.

**Plan.** Every data location's ``deepstate/`` (daily files) and ``deepstate-raw/`` (API
snapshots) are scanned; on a day found in several locations the earlier location (search
order) wins; of several snapshots of one UTC day the last is used. Each day gets a
:class:`DayPlan` naming its daily file and/or snapshot.

**Precedence per day.** Held territory from the daily file where there is one (the daily
files are the continuous series from 2024-07-08 on: taking held territory from them on
every day they exist means no switch of source between neighbouring days there, and
they are what the history always used); the grey zone and the areas taken back from the
API snapshot of that day (the only source that has them), minus the held territory so
the layers never overlap. Days with only a snapshot take everything from it. A file with
no polygon in Ukraine is passed over (the other source of the day is used, else the day
is skipped), with a note in the repair report.

**Cache.** One checked entry (:func:`supplyline.io.cache.write_entry`) of kind
``control-history`` holds ``index.json`` (one record per day: date, source, the
fingerprint of its input files, areas, and for each layer the offset, length and CRC-32
of its WKB), ``stats.json`` (each day's loader counts, read only for the repair report)
and ``geoms.bin`` (the WKB, metric CRS). Loading reads the index only; a day's geometry
is read and checked when first asked for, so one day can be read without decoding the
others. A record whose CRC does not match makes the history rebuild the entry (undamaged
records are copied, damaged days parsed again). When new files arrive, the entry's key
changes and the new entry copies every record whose input files are unchanged from the
previous entries: only new days are parsed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import multiprocessing
import os
import signal
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from ..crs import to_metric
from ..errors import DataFormatError
from ..io.cache import (
    Entry,
    cache_key,
    file_fingerprint,
    list_entries,
    open_entry,
    remove_entry,
    sweep_stale,
    write_entry,
)
from ..io.deepstate_api import (
    Outline,
    as_multipolygon,
    last_per_day,
    minus,
    parse_snapshot,
    ukraine_outline,
    unix_to_utc,
)
from ..io.sources import FileScan, scan_daily, scan_raw

log = logging.getLogger(__name__)

KIND = "control-history"
#: Bump when the record format or the way a day is derived changes.
SCHEMA = 2
LAYERS = ("held", "grey", "taken")
#: Parallel parsing of a cold build: at most this many processes, each with at least
#: this many days to parse.
MAX_WORKERS = 4
MIN_DAYS_PER_WORKER = 24
INDEX = "index.json"
STATS = "stats.json"
BLOB = "geoms.bin"

#: Day sources: held territory and grey zone from ...
SOURCE_DAILY = "daily"          # ... the daily file (grey zone unknown)
SOURCE_API = "api"              # ... the API snapshot
SOURCE_BOTH = "daily+api"       # held from the daily file, grey zone from the snapshot


class Damaged(Exception):
    """A cached record does not match its checksum."""


@dataclass(frozen=True)
class DayPlan:
    """The input files of one day."""

    day: dt.date
    daily: Path | None = None
    daily_origin: str = ""
    raw: Path | None = None
    raw_origin: str = ""
    superseded: int = 0  # earlier snapshots of the same UTC day, not used

    def files(self) -> list[str]:
        return [f"{o}:{p.parent.name}/{p.name}" for p, o in
                ((self.daily, self.daily_origin), (self.raw, self.raw_origin)) if p]

    def inputs(self, outline_id: str) -> str:
        """Fingerprint of this day's inputs (files and, for a snapshot, the outline)."""
        parts = [_stat(self.daily), _stat(self.raw), outline_id if self.raw else None,
                 SCHEMA]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:24]


def _stat(p: Path | None) -> list | None:
    """(path, size, mtime_ns) of a file: its cheap identity (the path as located; the
    directories come from :func:`supplyline.io.sources.locate`, resolved)."""
    if p is None:
        return None
    st = os.stat(p)
    return [str(p), st.st_size, st.st_mtime_ns]


@dataclass
class Plan:
    """Every day's inputs, and what the scan left out."""

    days: list[DayPlan]
    daily_dirs: list[tuple[str, Path]]
    raw_dirs: list[tuple[str, Path]]
    oblasts: Path | None
    rejected: list[tuple[str, str]] = field(default_factory=list)
    superseded: int = 0

    @property
    def outline_id(self) -> str:
        if self.oblasts is None:
            return "box"
        return json.dumps(file_fingerprint([self.oblasts])[0])

    def sources_id(self) -> str:
        return cache_key(KIND, daily=[str(p) for _, p in self.daily_dirs],
                         raw=[str(p) for _, p in self.raw_dirs], oblasts=str(self.oblasts))

    def key(self, inputs: list[str]) -> str:
        return cache_key(KIND, schema=SCHEMA, sources=self.sources_id(), inputs=inputs)


def make_plan(daily_dirs: Sequence[tuple[str, Path]], raw_dirs: Sequence[tuple[str, Path]],
              oblasts: Path | None) -> Plan:
    """Scan the directories and pick each day's files."""
    daily_dirs = [(lab, Path(d).resolve()) for lab, d in daily_dirs]
    raw_dirs = [(lab, Path(d).resolve()) for lab, d in raw_dirs]
    daily: dict[dt.date, tuple[Path, str]] = {}
    rejected: list[tuple[str, str]] = []
    for label, d in daily_dirs:
        scan = scan_daily(Path(d))
        _note(scan, rejected)
        for day, p in scan.files.items():
            daily.setdefault(day, (p, label))
    snaps: dict[int, tuple[Path, str]] = {}
    for label, d in raw_dirs:
        scan = scan_raw(Path(d))
        _note(scan, rejected)
        for t, p in scan.files.items():
            snaps.setdefault(t, (p, label))
    per_day = last_per_day(snaps)
    counts: dict[dt.date, int] = {}
    for t in snaps:
        day = unix_to_utc(t).date()
        counts[day] = counts.get(day, 0) + 1
    days = []
    for day in sorted(set(daily) | set(per_day)):
        dp, dl = daily.get(day, (None, ""))
        rp, rl = per_day[day][1] if day in per_day else (None, "")
        days.append(DayPlan(day, dp, dl, rp, rl, max(counts.get(day, 0) - 1, 0)))
    return Plan(days, list(daily_dirs), list(raw_dirs), oblasts, rejected,
                sum(p.superseded for p in days))


def _note(scan: FileScan, rejected: list[tuple[str, str]]) -> None:
    scan.warn()
    rejected.extend((str(scan.directory / n), why) for n, why in scan.rejected)


# --------------------------------------------------------------------------- one day

@dataclass
class DayRecord:
    """One day as derived (metric CRS), before or after caching."""

    day: dt.date
    source: str
    inputs: str
    files: list[str]
    held: Any = None
    grey: Any = None
    taken: Any = None
    held_km2: float | None = None
    grey_km2: float | None = None
    api_held_km2: float | None = None
    stats: dict = field(default_factory=dict)
    skipped: str | None = None
    raw_time: int | None = None


def read_daily_file(path: Path) -> tuple[Any, dict]:
    """Held territory (lon/lat MultiPolygon) of a daily file and its repair counts."""
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise DataFormatError(f"{path}: not valid GeoJSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataFormatError(f"{path}: expected a GeoJSON FeatureCollection")
    feats = doc.get("features")
    if not isinstance(feats, list):
        raise DataFormatError(f"{path}: 'features' is not a list; expected a FeatureCollection")
    counts = {"features": len(feats), "points": 0, "null_geometries": 0, "z_dropped": 0,
              "invalid_repaired": 0, "non_polygon_parts_removed": 0}
    parts = []
    for f in feats:
        g = f.get("geometry") if isinstance(f, dict) else None
        if not g:
            counts["null_geometries"] += 1
            continue
        try:
            geom = shapely.from_geojson(json.dumps(g))
        except Exception:  # noqa: BLE001 - GEOS raises several types
            raise DataFormatError(f"{path}: a feature geometry is not valid GeoJSON") from None
        if geom.geom_type in ("Point", "MultiPoint"):
            counts["points"] += 1
            continue
        if shapely.has_z(geom):
            counts["z_dropped"] += 1
            geom = shapely.force_2d(geom)
        if not geom.is_valid:
            counts["invalid_repaired"] += 1
            geom = shapely.make_valid(geom)
        polys = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon",
                                                                       "GeometryCollection")]
        counts["non_polygon_parts_removed"] += len(shapely.get_parts(geom)) - len(polys)
        parts.extend(polys)
    held = as_multipolygon(shapely.union_all(parts)) if parts else shapely.MultiPolygon()
    return held, counts


def build_day(plan: DayPlan, outline: Outline | None, inputs: str) -> DayRecord:
    """Derive one day from its files (precedence: see the module docstring)."""
    rec = DayRecord(plan.day, "", inputs, plan.files())
    notes = []
    held_d = None
    if plan.daily is not None:
        held_d, counts = read_daily_file(plan.daily)
        rec.stats["daily"] = counts
        if held_d.is_empty:
            notes.append(f"{plan.daily.name} has no polygon")
            held_d = None
    snap = None
    if plan.raw is not None:
        snap = parse_snapshot(plan.raw, outline=outline)
        rec.stats["api"] = snap.stats.as_dict()
        rec.raw_time = int(snap.time.timestamp()) if snap.time else None
        if snap.held.is_empty:
            notes.append(f"{plan.raw.name} has no held polygon in Ukraine")
            snap = None
    if notes:
        rec.stats["notes"] = notes
    if held_d is None and snap is None:
        rec.skipped = "; ".join(notes) or "no file"
        return rec
    if snap is not None:
        held_a, grey, taken = snap.metric()
        rec.api_held_km2 = held_a.area / 1e6
    if held_d is not None:
        rec.held = to_metric(held_d)
        rec.source = SOURCE_BOTH if snap is not None else SOURCE_DAILY
        if snap is not None:
            grey = minus(grey, rec.held)
            taken = minus(minus(taken, rec.held), grey)
    else:
        rec.held, rec.source = held_a, SOURCE_API
    if snap is not None:
        rec.grey, rec.taken = grey, taken
        rec.grey_km2 = grey.area / 1e6
    rec.held_km2 = rec.held.area / 1e6
    return rec


# --------------------------------------------------------------------------- records

def _crc(b: bytes) -> int:
    return zlib.crc32(b) & 0xFFFFFFFF


class Blob:
    """Bytes of the cached layers: a file of an entry, or bytes in memory."""

    def __init__(self, path: Path | None = None, data: bytes | None = None):
        self.path = path
        self.data = data

    def read(self, ref: Sequence[int], day: str) -> bytes:
        off, length, crc = ref
        if self.data is not None:
            b = self.data[off:off + length]
        else:
            assert self.path is not None
            try:
                with open(self.path, "rb") as fh:
                    fh.seek(off)
                    b = fh.read(length)
            except OSError as exc:
                raise Damaged(f"{day}: {exc}") from None
        if len(b) != length or _crc(b) != crc:
            raise Damaged(f"{day}: checksum differs")
        return b


@dataclass
class Store:
    """The day records of a history (index) and the bytes of their geometries."""

    records: list[dict]
    blob: Blob
    entry: Entry | None = None
    parsed: int = 0
    reused: int = 0
    #: each day's loader counts (read from ``stats.json`` when first needed)
    day_stats: list[dict] | None = None

    def stats(self) -> list[dict]:
        """Each day's loader counts (raises :class:`Damaged` for a damaged file)."""
        if self.day_stats is None:
            if self.entry is None:
                self.day_stats = [{} for _ in self.records]
            elif not self.entry.verify(STATS):
                raise Damaged(f"{STATS}: checksum differs from its manifest")
            else:
                try:
                    got = json.loads(self.entry.path(STATS).read_bytes())
                except (OSError, ValueError) as exc:
                    raise Damaged(f"{STATS}: {exc}") from None
                if not isinstance(got, list) or len(got) != len(self.records):
                    raise Damaged(f"{STATS}: not one record per day")
                self.day_stats = got
        return self.day_stats

    def geometry(self, i: int, layer: str) -> Any:
        rec = self.records[i]
        ref = rec.get(layer)
        if ref is None:
            return None
        return shapely.from_wkb(self.blob.read(ref, rec["d"]))

    def raw_bytes(self, rec: dict, layer: str) -> bytes | None:
        ref = rec.get(layer)
        return None if ref is None else self.blob.read(ref, rec["d"])


def _record_dict(rec: DayRecord) -> dict:
    return {"d": rec.day.isoformat(), "src": rec.source, "in": rec.inputs, "files": rec.files,
            "km2": [rec.held_km2, rec.grey_km2, rec.api_held_km2], "stats": rec.stats,
            "skip": rec.skipped, "t": rec.raw_time}


def assemble(plan: Plan, *, use_cache: bool = True, cache_root: Path | None = None,
             progress: Any = None, reuse: Sequence[Store] = (), workers: int | None = None
             ) -> Store:
    """The history's store: from the cache when its entry exists, else built (reusing
    records of earlier entries whose inputs are unchanged) and written to the cache."""
    outline_id = plan.outline_id
    inputs = [p.inputs(outline_id) for p in plan.days]
    key = plan.key(inputs)
    if use_cache:
        hit = load_entry(key, cache_root)
        if hit is not None:
            return hit
        reuse = [*reuse, *previous_stores(cache_root, exclude=key)]
    if plan.oblasts is None and any(p.raw is not None for p in plan.days):
        log.warning("no oblast polygons found: Ukraine's outline is a coarse box")
    old = _reusable(reuse)
    todo = [i for i, inp in enumerate(inputs) if inp not in old]
    built = _build_days([plan.days[i] for i in todo], [inputs[i] for i in todo], plan.oblasts,
                        progress=progress, workers=workers)
    fresh = dict(zip(todo, built, strict=True))
    records, stats, chunks, pos = [], [], [], 0
    reused = 0
    for i, inp in enumerate(inputs):
        got = fresh.get(i) or _copy(old.get(inp))
        if got is None:  # a reused record turned out damaged: parse the day after all
            got = _build_days([plan.days[i]], [inp], plan.oblasts)[0]
            fresh[i] = got
        elif i not in fresh:
            reused += 1
        entry, layers = got
        stats.append(entry.pop("stats", {}))
        for name in LAYERS:
            b = layers.get(name)
            entry[name] = None if b is None else [pos, len(b), _crc(b)]
            if b is not None:
                chunks.append(b)
                pos += len(b)
        records.append(entry)
    parsed = len(fresh)
    data = b"".join(chunks)
    store = Store(records, Blob(data=data), parsed=parsed, reused=reused, day_stats=stats)
    if use_cache:
        written = _write(plan, key, records, stats, data, cache_root)
        if written is not None:
            store = Store(records, Blob(path=written.path(BLOB)), written, parsed, reused,
                          stats)
    return store


def _build_one(plan: DayPlan, inputs: str, oblasts: Path | None) -> tuple[dict, dict]:
    """One day parsed: its index record (without layer offsets) and layers' WKB."""
    outline = ukraine_outline(oblasts) if plan.raw is not None else None
    rec = build_day(plan, outline, inputs)
    layers = {name: None if g is None else shapely.to_wkb(g)
              for name, g in zip(LAYERS, (rec.held, rec.grey, rec.taken), strict=True)}
    return _record_dict(rec), layers


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle


def _build_days(plans: list[DayPlan], inputs: list[str], oblasts: Path | None, *,
                progress: Any = None, workers: int | None = None) -> list[tuple[dict, dict]]:
    """Parse these days, in parallel processes when there are many (a cold build)."""
    if not plans:
        return []
    n = workers if workers is not None else min(os.cpu_count() or 1, MAX_WORKERS)
    n = max(1, min(n, len(plans) // MIN_DAYS_PER_WORKER))
    task = progress.add_task("Reading control history", total=len(plans)) \
        if progress is not None else None
    try:
        if n > 1:
            try:
                return _build_parallel(plans, inputs, oblasts, n, progress, task)
            except (OSError, RuntimeError) as exc:  # no processes here: go on in this one
                log.warning("parsing in one process (%s)", exc)
        out = []
        for p, inp in zip(plans, inputs, strict=True):
            out.append(_build_one(p, inp, oblasts))
            if task is not None:
                progress.advance(task)
        return out
    finally:
        if task is not None:
            progress.remove_task(task)


def _build_parallel(plans: list[DayPlan], inputs: list[str], oblasts: Path | None, n: int,
                    progress: Any, task: Any) -> list[tuple[dict, dict]]:
    if "fork" not in multiprocessing.get_all_start_methods():
        raise RuntimeError("no fork start method")  # spawn would re-run the caller's script
    ctx = multiprocessing.get_context("fork")  # as the timeline's workers
    pool = ProcessPoolExecutor(n, mp_context=ctx, initializer=_worker_init)
    try:
        out = []
        for got in pool.map(_build_one, plans, inputs, [oblasts] * len(plans), chunksize=4):
            out.append(got)
            if task is not None:
                progress.advance(task)
        return out
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


def _reusable(stores: Sequence[Store]) -> dict[str, tuple[Store, int]]:
    out: dict[str, tuple[Store, int]] = {}
    for st in stores:
        for i, rec in enumerate(st.records):
            out.setdefault(rec["in"], (st, i))
    return out


def _copy(found: tuple[Store, int] | None) -> tuple[dict, dict] | None:
    """A reused record (with its counts) and its layers' bytes, or None when they do not
    check out."""
    if found is None:
        return None
    st, i = found
    rec = st.records[i]
    try:
        layers = {name: st.raw_bytes(rec, name) for name in LAYERS}
        day_stats = st.stats()[i]
    except Damaged as exc:
        log.warning("cached control record damaged (%s): parsing the day again", exc)
        return None
    out = {k: v for k, v in rec.items() if k not in LAYERS}
    out["stats"] = day_stats
    return out, layers


def _write(plan: Plan, key: str, records: list[dict], stats: list[dict], data: bytes,
           cache_root: Path | None) -> Entry | None:
    def writer(d: Path) -> None:
        (d / BLOB).write_bytes(data)
        (d / STATS).write_text(json.dumps(stats, separators=(",", ":"), default=str))
        (d / INDEX).write_text(json.dumps({"schema": SCHEMA, "days": records},
                                          separators=(",", ":"), default=str))

    sweep_stale(cache_root)  # temporary directories left by writes killed earlier
    sid = plan.sources_id()
    old = [e for e in list_entries(KIND, SCHEMA, root=cache_root, newest=64)
           if e.meta.get("sources") == sid and e.key != key]
    entry = write_entry(KIND, key, SCHEMA, writer, meta={"sources": sid}, root=cache_root)
    if entry is not None:
        for e in old:  # superseded by the new entry (same locations, older files)
            remove_entry(KIND, e.key, root=cache_root)
    return entry


def load_entry(key: str, cache_root: Path | None) -> Store | None:
    """The cached store of ``key`` (index checked; records checked when read)."""
    entry = open_entry(KIND, key, SCHEMA, root=cache_root, verify=False)
    return _store_of(entry) if entry is not None else None


def _store_of(entry: Entry) -> Store | None:
    if not entry.verify(INDEX):
        entry.discard(f"{INDEX}: checksum differs from its manifest")
        return None
    try:
        doc = json.loads(entry.path(INDEX).read_bytes())
        records = doc["days"]
        if doc.get("schema") != SCHEMA or not isinstance(records, list):
            raise ValueError("schema")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        entry.discard(f"{INDEX}: {exc}")
        return None
    return Store(records, Blob(path=entry.path(BLOB)), entry)


def previous_stores(cache_root: Path | None, exclude: str | None = None) -> list[Store]:
    """Stores of the newest existing entries (their records may be reused)."""
    out = []
    for e in list_entries(KIND, SCHEMA, root=cache_root):
        if e.key == exclude:
            continue
        st = _store_of(e)
        if st is not None:
            out.append(st)
    return out


def rebuild(plan: Plan, damaged: Store, *, cache_root: Path | None = None) -> Store:
    """A fresh store after a damaged record was found: the damaged entry is removed and
    the history assembled again (undamaged records copied, damaged days parsed)."""
    if damaged.entry is not None:
        damaged.entry.discard("a record's checksum differs")
    return assemble(plan, cache_root=cache_root, reuse=[damaged])


Rebuilder = Callable[[Store], Store]


def days_of(store: Store) -> tuple[list[int], list[dt.date]]:
    """Indices (into the records) and dates of the days that are not skipped."""
    idx = [i for i, r in enumerate(store.records) if not r.get("skip")]
    return idx, [dt.date.fromisoformat(store.records[i]["d"]) for i in idx]


def areas(store: Store, idx: list[int]) -> np.ndarray:
    """(n, 3) held, grey, API-held km2 per day (NaN where unknown)."""
    rows = [[np.nan if v is None else v for v in store.records[i]["km2"]] for i in idx]
    return np.asarray(rows, dtype=float).reshape(len(idx), 3)
