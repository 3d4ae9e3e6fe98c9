"""Data sources: where each input lives and what was found.

Each source is resolved independently through the data locations of
:func:`supplyline.settings.candidate_data_dirs`, so the control history can come from the
download cache while the network comes from ``../shared/data``. The control history is
read from the first location holding daily files or API snapshots, merged with the
download cache (where ``data fetch`` and ``data update`` store new files).

Layout of a data directory (the same as ``../shared/data`` and the download cache)::

    deepstate/deepstatemap_data_YYYYMMDD.geojson   daily held-territory polygons
    deepstate-raw/<unix-seconds>.geojson            DeepStateMap API snapshots (every layer)
    egm/*.gpkg                                      EuroGlobalMap roads, railways, ...
    admin/ukraine-oblasts.geojson                   oblast polygons
    osm/*.osm.pbf                                   OpenStreetMap extracts (optional)
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataNotFoundError
from ..settings import ENV_DATA, candidate_data_dirs

log = logging.getLogger(__name__)

DEEPSTATE_PATTERN = re.compile(r"^deepstatemap_data_(\d{8})\.geojson$")
RAW_PATTERN = re.compile(r"^(\d{9,11})\.geojson$")
DAILY_SUBDIR = "deepstate"
RAW_SUBDIR = "deepstate-raw"
#: First day of the full-scale invasion: data dated earlier is rejected.
WAR_START = dt.date(2022, 2, 24)


def today() -> dt.date:
    """Today's date: the later of the local and the UTC date (a file dated today in
    either is not "in the future")."""
    return max(dt.date.today(), dt.datetime.now(dt.UTC).date())


def date_problem(day: dt.date) -> str | None:
    """Why ``day`` cannot be a data day (before :data:`WAR_START` or after today), or
    None when it can."""
    if day < WAR_START:
        return f"dated {day}, before {WAR_START} (the start of the data)"
    if day > today():
        return f"dated {day}, after today ({today()})"
    return None


@dataclass
class FileScan:
    """Data files found in one directory, and the names rejected (with the reason)."""

    directory: Path
    files: dict = field(default_factory=dict)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def warn(self) -> None:
        for name, why in self.rejected:
            log.warning("%s: ignored, %s", self.directory / name, why)


@dataclass(frozen=True)
class Source:
    """One located input: its kind, its path(s) and which data location supplied it."""

    kind: str
    path: Path | None
    origin: str | None
    detail: str = ""

    @property
    def found(self) -> bool:
        return self.path is not None


@dataclass(frozen=True)
class DataSources:
    """The resolved inputs for an analysis."""

    deepstate: Source
    egm: Source
    oblasts: Source
    osm: Source
    searched: list[tuple[str, Path]] = field(default_factory=list)
    #: DeepStateMap API snapshots (``deepstate-raw/``) of the first location having some
    deepstate_raw: Source = field(default_factory=lambda: Source("deepstate_raw", None, None))
    #: the daily-file and snapshot directories the control history merges: the first
    #: location holding either, and the download cache (on a clash the first wins)
    daily_dirs: tuple[tuple[str, Path], ...] = ()
    raw_dirs: tuple[tuple[str, Path], ...] = ()

    def require(self, kind: str) -> Path:
        src: Source = getattr(self, kind)
        if src.path is None:
            where = ", ".join(f"{label}={p}" for label, p in self.searched)
            raise DataNotFoundError(
                f"no {kind} data found (searched {where}); pass --data DIR or run "
                f"'supplyline data fetch'"
            )
        return src.path


def _memo(scan: Callable[[Path], FileScan]) -> Callable[[Path], FileScan]:
    """Remember a directory's scan while its modification time (which changes when a
    file is added, removed or renamed) and today's date stay the same."""
    memo: dict[str, tuple[tuple[int, dt.date], FileScan]] = {}

    @functools.wraps(scan)
    def wrapper(directory: Path) -> FileScan:
        d = Path(directory)
        try:
            stamp = (d.stat().st_mtime_ns, today())
        except OSError:
            return FileScan(d)
        hit = memo.get(str(d))
        if hit is not None and hit[0] == stamp:
            return hit[1]
        result = scan(d)
        memo[str(d)] = (stamp, result)
        return result

    return wrapper


@_memo
def scan_daily(directory: Path) -> FileScan:
    """Every ``deepstatemap_data_YYYYMMDD.geojson`` in ``directory`` (date -> path);
    impossible dates and dates before :data:`WAR_START` or after today are rejected."""
    scan = FileScan(Path(directory))
    if not scan.directory.is_dir():
        return scan
    for name in os.listdir(scan.directory):
        m = DEEPSTATE_PATTERN.match(name)
        if not m:
            continue
        ymd = m.group(1)
        try:
            d = dt.date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
        except ValueError:
            scan.rejected.append((name, f"{m.group(1)} is not a date (YYYYMMDD)"))
            continue
        why = date_problem(d)
        if why:
            scan.rejected.append((name, why))
        else:
            scan.files[d] = scan.directory / name
    scan.files = dict(sorted(scan.files.items()))
    scan.rejected.sort()
    return scan


@_memo
def scan_raw(directory: Path) -> FileScan:
    """Every ``<unix-seconds>.geojson`` API snapshot in ``directory`` (unix seconds ->
    path); snapshots dated before :data:`WAR_START` or after today are rejected."""
    scan = FileScan(Path(directory))
    if not scan.directory.is_dir():
        return scan
    for name in os.listdir(scan.directory):
        m = RAW_PATTERN.match(name)
        if not m:
            continue
        t = int(m.group(1))
        why = date_problem(dt.datetime.fromtimestamp(t, tz=dt.UTC).date())
        if why:
            scan.rejected.append((name, why))
        else:
            scan.files[t] = scan.directory / name
    scan.files = dict(sorted(scan.files.items()))
    scan.rejected.sort()
    return scan


def deepstate_files(directory: Path) -> dict[dt.date, Path]:
    """Map date -> file for every DeepState daily file in ``directory`` (rejected names
    are logged as warnings, see :func:`scan_daily`)."""
    scan = scan_daily(directory)
    scan.warn()
    return scan.files


def raw_snapshot_files(directory: Path) -> dict[int, Path]:
    """Map unix seconds -> file for every API snapshot in ``directory`` (rejected names
    are logged as warnings, see :func:`scan_raw`)."""
    scan = scan_raw(directory)
    scan.warn()
    return scan.files


def _first(dirs: list[tuple[str, Path]], probe) -> tuple[Path | None, str | None, str]:
    for label, base in dirs:
        hit = probe(base)
        if hit is not None:
            path, detail = hit
            return path, label, detail
    return None, None, ""


def _probe_deepstate(base: Path):
    files = scan_daily(base / DAILY_SUBDIR).files
    if not files:
        return None
    days = list(files)
    return base / DAILY_SUBDIR, f"{len(days)} days {days[0]}..{days[-1]}"


def _probe_raw(base: Path):
    files = scan_raw(base / RAW_SUBDIR).files
    if not files:
        return None
    t = [dt.datetime.fromtimestamp(x, tz=dt.UTC).date() for x in (min(files), max(files))]
    return base / RAW_SUBDIR, f"{len(files)} snapshots {t[0]}..{t[1]}"


def _probe_glob(sub: str, pattern: str):
    def probe(base: Path):
        d = base / sub
        if not d.is_dir():
            return None
        hits = sorted(d.glob(pattern))
        if not hits:
            return None
        return hits[0], f"{hits[0].stat().st_size / 1e6:.1f} MB"

    return probe


def _control_locations(dirs: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """Where the control history comes from: the first location holding daily files or
    API snapshots, plus the download cache (where ``data fetch`` / ``data update`` put
    new files) when that is another location."""
    first = next(((lab, base) for lab, base in dirs
                  if _probe_deepstate(base) or _probe_raw(base)), None)
    if first is None:
        return []
    out = [first]
    cache = dirs[-1]  # candidate_data_dirs puts the download cache last
    if cache[0] == "user cache" and cache[1] != first[1]:
        out.append(cache)
    return out


def locate(data_dir: str | os.PathLike[str] | None = None) -> DataSources:
    """Resolve every source through the data locations (``--data`` first)."""
    dirs = candidate_data_dirs(data_dir)
    if data_dir is not None and not Path(data_dir).expanduser().is_dir():
        raise DataNotFoundError(f"--data {data_dir}: not a directory")
    for label, path in dirs:
        if label == ENV_DATA and not path.is_dir():
            raise DataNotFoundError(f"{ENV_DATA}={path}: not a directory; set it to a data "
                                    f"directory or unset it")
    if data_dir is not None:
        base = Path(data_dir).expanduser()
        folders = [base / sub for sub in ("deepstate", "deepstate-raw") if (base / sub).is_dir()]
        if folders and not (_probe_deepstate(base) or _probe_raw(base)):
            # the user pointed at a control history that holds nothing: never silently
            # take another location's
            raise DataNotFoundError(
                f"--data {data_dir}: {', '.join(f.name + '/' for f in folders)} holds no "
                "deepstatemap_data_YYYYMMDD.geojson or <unix-seconds>.geojson files")
    control = _control_locations(dirs)
    daily_dirs = tuple((lab, hit[0]) for lab, base in control
                       if (hit := _probe_deepstate(base)) is not None)
    raw_dirs = tuple((lab, hit[0]) for lab, base in control
                     if (hit := _probe_raw(base)) is not None)
    ds = Source("deepstate", *_first(control, _probe_deepstate))
    raw = Source("deepstate_raw", *_first(control, _probe_raw))
    egm = Source("egm", *_first(dirs, _probe_glob("egm", "*.gpkg")))
    obl = Source("oblasts", *_first(dirs, _probe_glob("admin", "*oblast*.geojson")))
    osm = Source("osm", *_first(dirs, _probe_glob("osm", "*.osm.pbf")))
    return DataSources(ds, egm, obl, osm, dirs, raw, daily_dirs, raw_dirs)
