"""Control history: held territory per day.

:class:`ControlHistory` answers "held territory on date D": the exact day when it is in
the history, otherwise the last known day before D (flagged ``exact=False``); a date
before the first day is an error. Sources: a directory of DeepStateMap daily GeoJSON
files, or any GeoJSON / GeoPackage / GeoParquet of dated polygons with a date column.

Geometry is repaired on load (``make_valid``, Z dropped, empty and non-polygon parts
removed); :attr:`ControlHistory.repair_report` counts what was done. Parsed histories
are cached (GeoParquet, keyed by the input files) so later loads are fast.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import GEOGRAPHIC_CRS, METRIC_CRS, to_metric
from ..errors import DataFormatError, DataNotFoundError, DateOutOfRangeError
from ..io.cache import atomic_write, cache_key, cache_path, file_fingerprint
from ..io.sources import deepstate_files

log = logging.getLogger(__name__)

def parse_date(value: str | dt.date) -> dt.date:
    """Parse YYYY-MM-DD (or a date) with a one-line error."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise DateOutOfRangeError(f"date {value!r}: expected YYYY-MM-DD") from None


@dataclass
class RepairReport:
    files: int = 0
    invalid_repaired: int = 0
    z_dropped: int = 0
    empty_parts_removed: int = 0
    non_polygon_parts_removed: int = 0
    empty_days: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def repair_polygons(geoms: np.ndarray, report: RepairReport) -> np.ndarray:
    """Make polygons valid, 2-D, polygon-only and free of empty parts (vectorised)."""
    geoms = np.asarray(geoms, dtype=object)
    has_z = shapely.has_z(geoms)
    report.z_dropped += int(has_z.sum())
    geoms = shapely.force_2d(geoms)
    invalid = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    report.invalid_repaired += int(invalid.sum())
    if invalid.any():
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    out = np.empty(len(geoms), dtype=object)
    for i, g in enumerate(geoms):  # per day (not a hot path: ~1 geometry per file)
        if g is None or g.is_empty:
            out[i] = shapely.MultiPolygon()
            continue
        parts = shapely.get_parts(g)
        types = shapely.get_type_id(parts)
        # GeometryCollections from make_valid: unpack one more level
        while (types == 7).any() or (types == 6).any():
            parts = shapely.get_parts(parts)
            types = shapely.get_type_id(parts)
        poly = types == 3
        report.non_polygon_parts_removed += int((~poly).sum())
        parts = parts[poly]
        empty = shapely.is_empty(parts) | (shapely.area(parts) <= 0)
        report.empty_parts_removed += int(empty.sum())
        out[i] = shapely.multipolygons(parts[~empty]) if (~empty).any() else shapely.MultiPolygon()
    return out


@dataclass(frozen=True)
class HeldTerritory:
    """Held territory for a requested date."""

    requested: dt.date
    date: dt.date  # the day of the data actually used
    geometry: shapely.Geometry  # metric CRS
    exact: bool

    @property
    def lag_days(self) -> int:
        return (self.requested - self.date).days

    def describe(self) -> str:
        if self.exact:
            return f"{self.date}"
        return f"{self.date} (last known day before {self.requested}, {self.lag_days} d earlier)"


class ControlHistory:
    """Daily held-territory polygons in the metric CRS, indexed by date."""

    def __init__(self, dates: list[dt.date], geoms: np.ndarray, source: str,
                 repair_report: RepairReport | None = None):
        if len(dates) == 0:
            raise DataNotFoundError(f"{source}: no dated polygons found")
        order = np.argsort(np.asarray(dates, dtype="datetime64[D]"))
        self.dates: list[dt.date] = [dates[i] for i in order]
        self.geoms: np.ndarray = np.asarray(geoms, dtype=object)[order]
        self._ord = np.asarray(self.dates, dtype="datetime64[D]")
        self.source = source
        self.repair_report = repair_report or RepairReport()
        self._prepared: OrderedDict[int, object] = OrderedDict()

    def __len__(self) -> int:
        return len(self.dates)

    @property
    def first(self) -> dt.date:
        return self.dates[0]

    @property
    def last(self) -> dt.date:
        return self.dates[-1]

    def missing_days(self) -> list[dt.date]:
        full = pd.date_range(self.first, self.last, freq="D").date
        have = set(self.dates)
        return [d for d in full if d not in have]

    def index_on(self, date: str | dt.date) -> tuple[int, bool]:
        d = parse_date(date)
        i = int(np.searchsorted(self._ord, np.datetime64(d, "D"), side="right")) - 1
        if i < 0:
            raise DateOutOfRangeError(
                f"date {d}: before the control history, which starts {self.first} "
                f"(ends {self.last})"
            )
        return i, self.dates[i] == d

    def held(self, date: str | dt.date) -> HeldTerritory:
        """Held territory on ``date`` (exact day or the last known day before it)."""
        i, exact = self.index_on(date)
        return HeldTerritory(parse_date(date), self.dates[i], self.geoms[i], exact)

    def geographic(self) -> gpd.GeoDataFrame:
        """The history as a GeoDataFrame in lon/lat (for export and maps)."""
        gdf = gpd.GeoDataFrame({"date": pd.to_datetime(self.dates)}, geometry=self.geoms,
                               crs=METRIC_CRS)
        return gdf.to_crs(GEOGRAPHIC_CRS)

    def summary(self) -> dict:
        return {
            "source": self.source,
            "days": len(self.dates),
            "first": str(self.first),
            "last": str(self.last),
            "missing_days": len(self.missing_days()),
            "repair": self.repair_report.as_dict(),
        }

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_deepstate_dir(cls, directory: str | Path, *, use_cache: bool = True,
                           cache_root: Path | None = None, progress=None) -> ControlHistory:
        """All ``deepstatemap_data_YYYYMMDD.geojson`` files in ``directory``."""
        directory = Path(directory)
        files = deepstate_files(directory)
        if not files:
            raise DataNotFoundError(
                f"{directory}: no deepstatemap_data_YYYYMMDD.geojson files found"
            )
        key = cache_key("control", files=file_fingerprint(files.values()))
        path = cache_path("control", key, ".parquet", cache_root)
        if use_cache:
            hit = _read_cache(path)
            if hit is not None:
                return hit
        report = RepairReport(files=len(files))
        dates, raw = [], []
        task = progress.add_task("Reading control history", total=len(files)) if progress else None
        for d, f in files.items():
            raw.append(_read_deepstate_file(f))
            dates.append(d)
            if progress:
                progress.advance(task)
        geoms = repair_polygons(np.asarray(raw, dtype=object), report)
        report.empty_days = int(shapely.is_empty(geoms).sum())
        geoms = to_metric(geoms)
        hist = cls(dates, geoms, str(directory), report)
        if use_cache:
            _write_cache(hist, path)
        return hist

    @classmethod
    def from_file(cls, path: str | Path, *, date_column: str = "date",
                  layer: str | None = None) -> ControlHistory:
        """Dated polygons from GeoJSON / GeoPackage / GeoParquet (one or more rows per day)."""
        path = Path(path)
        if not path.exists():
            raise DataNotFoundError(f"{path}: file not found")
        try:
            if path.suffix.lower() in (".parquet", ".geoparquet"):
                gdf = gpd.read_parquet(path)
            else:
                gdf = gpd.read_file(path, layer=layer)
        except Exception as exc:
            raise DataFormatError(f"{path}: cannot read dated polygons ({exc})") from None
        if date_column not in gdf.columns:
            raise DataFormatError(
                f"{path}: no date column {date_column!r} (columns: "
                f"{[c for c in gdf.columns if c != 'geometry']}); use --date-column"
            )
        if gdf.crs is None:
            raise DataFormatError(f"{path}: no CRS; expected EPSG:4326 or another defined CRS")
        dates = pd.to_datetime(gdf[date_column], errors="coerce")
        if dates.isna().any():
            bad = gdf[date_column][dates.isna()].iloc[0]
            raise DataFormatError(f"{path}: column {date_column!r} value {bad!r} is not a date")
        report = RepairReport(files=1)
        gdf = gdf.to_crs(GEOGRAPHIC_CRS)
        geoms = repair_polygons(np.asarray(gdf.geometry.values, dtype=object), report)
        day = dates.dt.date.to_numpy()
        uniq = sorted(set(day))
        merged = [shapely.union_all(geoms[day == d]) for d in uniq]
        merged = repair_polygons(np.asarray(merged, dtype=object), report)
        report.empty_days = int(shapely.is_empty(merged).sum())
        return cls(uniq, to_metric(merged), str(path), report)


def changed_boxes(prev, geom) -> np.ndarray:
    """Boxes (n, 4) around every vertex that differs between two days, each spanning the
    vertex and its neighbours on the ring (so a removed vertex's span is covered too).

    Vertices are matched exactly (x and y equal) through a hash table of the points as
    complex numbers (+0.0 folds -0.0 into 0.0; a NaN coordinate never matches)."""
    if prev is None:
        return np.array([[-np.inf, -np.inf, np.inf, np.inf]])
    xys = [shapely.get_coordinates(shapely.get_parts(shapely.boundary(g))) for g in (prev, geom)]
    keys = [np.ascontiguousarray(xy + 0.0).view(np.complex128).ravel() for xy in xys]
    spans = []
    for xy, ka, kb in ((xys[0], keys[0], keys[1]), (xys[1], keys[1], keys[0])):
        new = np.flatnonzero(~pd.Index(ka).isin(kb) | np.isnan(ka))
        if len(new):
            lo = np.clip(new - 1, 0, len(xy) - 1)
            hi = np.clip(new + 1, 0, len(xy) - 1)
            pts = np.stack([xy[lo], xy[new], xy[hi]], axis=1)
            spans.append(np.column_stack([pts[:, :, 0].min(1), pts[:, :, 1].min(1),
                                          pts[:, :, 0].max(1), pts[:, :, 1].max(1)]))
    return np.vstack(spans) if spans else np.empty((0, 4))


def _read_deepstate_file(path: Path):
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise DataFormatError(f"{path}: not valid GeoJSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataFormatError(f"{path}: expected a GeoJSON FeatureCollection")
    feats = doc.get("features") or []
    geoms = []
    for f in feats:
        g = (f or {}).get("geometry")
        if g:
            try:
                geoms.append(shapely.from_geojson(json.dumps(g)))
            except Exception:
                raise DataFormatError(f"{path}: a feature geometry is not valid GeoJSON") from None
    if not geoms:
        return shapely.MultiPolygon()
    return geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)


def _write_cache(hist: ControlHistory, path: Path) -> None:
    gdf = gpd.GeoDataFrame({"date": pd.to_datetime(hist.dates)}, geometry=hist.geoms,
                           crs=METRIC_CRS)

    def write(tmp: Path) -> None:
        gdf.to_parquet(tmp)

    atomic_write(path, write)
    meta = path.with_suffix(".json")
    atomic_write(meta, lambda tmp: tmp.write_text(json.dumps(
        {"source": hist.source, "repair": hist.repair_report.as_dict()})))


def _read_cache(path: Path) -> ControlHistory | None:
    meta = path.with_suffix(".json")
    if not path.exists() or not meta.exists():
        return None
    try:
        gdf = gpd.read_parquet(path)
        info = json.loads(meta.read_text())
        report = RepairReport(**info["repair"])
        return ControlHistory(list(gdf["date"].dt.date), np.asarray(gdf.geometry.values),
                              info["source"], report)
    except Exception as exc:
        log.warning("ignoring unreadable control cache %s: %s", path, exc)
        return None
