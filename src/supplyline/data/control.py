"""Control history: held territory per day, and the grey zone where it is known.

:class:`ControlHistory` answers "held territory on date D" (:meth:`~ControlHistory.held`)
and "held territory and grey zone on date D" (:meth:`~ControlHistory.contested`): the
exact day when it is in the history, otherwise the last known day before D (flagged
``exact=False``); a date before the first day is an error.

Sources:

- :meth:`ControlHistory.from_sources`: every data location's DeepStateMap daily files
  (``deepstate/``, held territory only, 2024-07 on) and API snapshots (``deepstate-raw/``,
  held territory, grey zone and areas taken back, 2022-04 on), merged per day with the
  precedence of :mod:`supplyline.data._control_store` (held territory from the daily file
  where there is one, the grey zone from the snapshot); each day's source is in
  :attr:`ControlHistory.sources` (``daily``, ``api`` or ``daily+api``).
- :meth:`ControlHistory.from_deepstate_dir`: one directory of daily files only.
- :meth:`ControlHistory.from_file`: any GeoJSON / GeoPackage / GeoParquet of dated
  polygons with a date column (``SUPPLYLINE_CONTROL``).

Gaps stay gaps: :attr:`ControlHistory.gap_days` is each day's distance (days) from the
previous data day, and :meth:`ControlHistory.sparse_stretches` lists the stretches where
data is only every few days (weekly in 2022-04 .. 2023-09 and 2024-03 .. 2024-07 in the
shared copy), so a timeline need not invent daily changes across them.

Geometry is repaired on load (``make_valid``, Z dropped, empty and non-polygon parts
removed); a file with no polygon is passed over with a note (a day left with none is
skipped, never an empty front); files dated before 2022-02-24 or after today are
rejected with a warning naming them. :attr:`ControlHistory.repair_report` counts all of
it, with the feature names the loader did not recognise. Parsed histories are cached as
checked per-day records (:mod:`supplyline.io.cache` entries): a later load reads the
index only and decodes a day when it is first asked for; newly added files are the only
ones parsed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from .._lazy import lazy_module
from ..crs import GEOGRAPHIC_CRS, METRIC_CRS, to_metric
from ..errors import DataFormatError, DataNotFoundError, DateOutOfRangeError
from ..io.sources import DataSources, date_problem, locate
from . import _control_store as store_mod
from ._control_store import SOURCE_API, SOURCE_BOTH, SOURCE_DAILY, Damaged

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
else:  # tables and other formats only: a day's held territory needs neither
    gpd = lazy_module("geopandas")
    pd = lazy_module("pandas")

log = logging.getLogger(__name__)

__all__ = [
    "SOURCE_API", "SOURCE_BOTH", "SOURCE_DAILY", "ControlHistory", "Contested",
    "GeomLayer", "HeldTerritory", "RepairReport", "changed_boxes", "parse_date",
    "repair_polygons",
]

#: Data days over which the typical spacing of the data is taken (a median).
SPARSE_WINDOW = 5
#: A sparse stretch has at least this many data days (:meth:`ControlHistory.sparse_stretches`).
SPARSE_MIN_DAYS = 3


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
    """What loading did to the input: repairs, days skipped, files rejected, names not
    recognised (per name), polygons left out as outside Ukraine."""

    files: int = 0
    invalid_repaired: int = 0
    z_dropped: int = 0
    empty_parts_removed: int = 0
    non_polygon_parts_removed: int = 0
    empty_days: int = 0
    notes: list[str] = field(default_factory=list)
    #: days with no polygon in any of their files: [{"date", "reason"}]
    skipped_days: list[dict] = field(default_factory=list)
    #: files ignored for their name (impossible, pre-war or future date): [[path, why]]
    rejected_files: list[list[str]] = field(default_factory=list)
    #: earlier snapshots of a UTC day that has a later one (not used)
    superseded_snapshots: int = 0
    points_skipped: int = 0
    null_geometries: int = 0
    bad_geometries: int = 0
    #: feature name (normalised) -> features, for names no rule recognises
    unknown_names: dict[str, int] = field(default_factory=dict)
    #: names classified by their fill colour -> kind
    by_colour: dict[str, str] = field(default_factory=dict)
    #: name -> polygon parts left out as lying outside Ukraine
    outside_ukraine: dict[str, int] = field(default_factory=dict)
    #: features left out as foreign by name or key (Transnistria, Karelia, ...)
    foreign_features: int = 0
    #: largest area (km2) cut off one day's polygons by clipping to Ukraine's outline
    clipped_km2: float = 0.0
    outline: str = ""

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
    #: where the day's held territory comes from ("daily", "api", "daily+api", "file")
    source: str = ""

    @property
    def lag_days(self) -> int:
        return (self.requested - self.date).days

    def describe(self) -> str:
        if self.exact:
            return f"{self.date}"
        return f"{self.date} (last known day before {self.requested}, {self.lag_days} d earlier)"


@dataclass(frozen=True)
class Contested:
    """Held territory and grey zone (uncertain status) for a requested date.

    ``held`` and ``grey`` are disjoint (metric CRS); ``ground`` is their union, the
    contested ground whose far edge a threat distance may be measured from. When the grey
    zone of the data day is not known (a day with only a daily file, or a source without
    grey zone) ``grey_known`` is False, ``grey`` is empty and ``ground`` is the held
    territory alone. ``grey_date`` is the day the grey zone comes from: ``date``, or an
    earlier day when :meth:`ControlHistory.contested` was allowed to carry it forward.
    """

    requested: dt.date
    date: dt.date
    held: shapely.Geometry
    grey: shapely.Geometry
    grey_known: bool
    grey_date: dt.date | None
    exact: bool
    source: str = ""

    @cached_property
    def ground(self) -> shapely.Geometry:
        """Held territory and grey zone together (metric CRS)."""
        if self.grey.is_empty:
            return self.held
        return shapely.union(self.held, self.grey)

    @property
    def lag_days(self) -> int:
        return (self.requested - self.date).days

    @property
    def grey_lag_days(self) -> int | None:
        """Days between the data day and the grey zone's day (0 when of the same day)."""
        return None if self.grey_date is None else (self.date - self.grey_date).days

    @property
    def held_territory(self) -> HeldTerritory:
        return HeldTerritory(self.requested, self.date, self.held, self.exact, self.source)

    def describe(self) -> str:
        base = self.held_territory.describe()
        if not self.grey_known:
            return f"{base}; grey zone not known"
        if self.grey_lag_days:
            return f"{base}; grey zone of {self.grey_date} ({self.grey_lag_days} d earlier)"
        return f"{base}; with grey zone"


class GeomLayer(Sequence):
    """One geometry per history day, decoded on first use (a numpy-compatible sequence:
    ``layer[i]``, slices and index arrays, ``np.asarray(layer)``, iteration). Days with no
    geometry in the layer (a grey zone not known) give None."""

    def __init__(self, n: int, loader: Callable[[int], Any] | None = None,
                 values: Sequence | np.ndarray | None = None):
        self._values = np.empty(n, dtype=object)
        self._have = np.zeros(n, dtype=bool)
        if values is not None:
            self._values[:] = list(values)
            self._have[:] = True
        self._loader = loader

    def __len__(self) -> int:
        return len(self._values)

    def _one(self, i: int) -> Any:
        if not self._have[i]:
            if self._loader is None:  # pragma: no cover - eager layers have every value
                raise IndexError(f"day index {i} has no value")
            self._values[i] = self._loader(i)
            self._have[i] = True
        return self._values[i]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, int | np.integer):
            n = len(self)
            i = int(key) + n if key < 0 else int(key)
            if not 0 <= i < n:
                raise IndexError(f"day index {key} out of range ({n} days)")
            return self._one(i)
        idx = np.arange(len(self))[key]
        if np.ndim(idx) == 0:
            return self._one(int(idx))
        out = np.empty(len(idx), dtype=object)
        for j, i in enumerate(idx):
            out[j] = self._one(int(i))
        return out

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self._one(i)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self[:]

    @property
    def decoded(self) -> int:
        """How many days have been decoded so far."""
        return int(self._have.sum())

    def __getstate__(self) -> dict:
        """Sent to another process (not cached): every day decoded, no loader."""
        return {"_values": self[:], "_have": np.ones(len(self), dtype=bool), "_loader": None}


class ControlHistory:
    """Daily held-territory polygons in the metric CRS, indexed by date, with the grey
    zone and the areas taken back where the source has them.

    Public surface: ``dates`` (sorted days), ``geoms`` (held territory per day, metric
    CRS, a :class:`GeomLayer`), ``sources`` (each day's source), ``grey_known``,
    ``gap_days``, :meth:`held`, :meth:`contested`, :meth:`index_on`, ``first`` / ``last``,
    :meth:`missing_days`, :meth:`sparse_stretches`, :meth:`summary`, ``repair_report``.
    """

    def __init__(self, dates: list[dt.date], geoms: Sequence | np.ndarray, source: str,
                 repair_report: RepairReport | None = None, *,
                 grey: Sequence | None = None, taken_back: Sequence | None = None,
                 day_sources: Sequence[str] | None = None):
        if len(dates) == 0:
            raise DataNotFoundError(f"{source}: no dated polygons found")
        order = np.argsort(np.asarray(dates, dtype="datetime64[D]"), kind="stable")
        n = len(dates)

        def pick(values: Sequence | np.ndarray | None, default: Any) -> list:
            if values is None:
                return [default] * n
            values = list(values)
            return [values[i] for i in order]

        held = pick(geoms, None)
        greys = pick(grey, None)
        taken = pick(taken_back, None)
        srcs = [str(x) for x in pick(day_sources, "file")]
        self._setup([dates[i] for i in order], source, repair_report,
                    GeomLayer(n, values=held), GeomLayer(n, values=greys),
                    GeomLayer(n, values=taken), srcs,
                    np.asarray([g is not None for g in greys], dtype=bool))

    def _setup(self, dates: list[dt.date], source: str, report: RepairReport | None,
               held: GeomLayer, grey: GeomLayer, taken: GeomLayer, sources: list[str],
               grey_known: np.ndarray) -> None:
        self.dates: list[dt.date] = list(dates)
        self.geoms: GeomLayer = held
        self._grey = grey
        self._taken = taken
        #: each day's source: "daily", "api", "daily+api" (or "file")
        self.sources: list[str] = list(sources)
        #: True on days whose grey zone is known
        self.grey_known: np.ndarray = np.asarray(grey_known, dtype=bool)
        self._ord = np.asarray(self.dates, dtype="datetime64[D]")
        #: days since the previous data day (0 for the first day)
        self.gap_days: np.ndarray = np.concatenate(
            [[0], np.diff(self._ord).astype(int)]).astype(int)
        self.source = source
        self._repair = report
        self._prepared: OrderedDict[int, object] = OrderedDict()
        self._store: store_mod.Store | None = None
        self._plan: store_mod.Plan | None = None
        self._cache_root: Path | None = None
        self._rows: list[int] = []
        self._area = np.full((len(self.dates), 3), np.nan)

    def __len__(self) -> int:
        return len(self.dates)

    @property
    def repair_report(self) -> RepairReport:
        """What loading did (repairs, skipped days, rejected files, unrecognised names);
        for a cached history read from the cache when first asked for."""
        if self._repair is None:
            if self._store is None or self._plan is None:
                self._repair = RepairReport()
            else:
                try:
                    self._repair = _report(self._store, self._plan)
                except Damaged as exc:
                    self._rebuild(exc)
                    self._repair = _report(self._store, self._plan)
        return self._repair

    @repair_report.setter
    def repair_report(self, value: RepairReport) -> None:
        self._repair = value

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
        return HeldTerritory(parse_date(date), self.dates[i], self.geoms[i], exact,
                             self.sources[i])

    def contested(self, date: str | dt.date, *, max_grey_lag_days: int = 0) -> Contested:
        """Held territory and grey zone on ``date`` (exact day or the last known day
        before it), in the metric CRS.

        Parameters
        ----------
        date
            The requested date (YYYY-MM-DD or a date).
        max_grey_lag_days
            When the data day has no grey zone, use the grey zone of the latest earlier
            data day at most this many days before it (minus the held territory of the
            data day), flagged by ``grey_date``. 0 (default): the data day's own only.

        Returns
        -------
        Contested
            ``held``, ``grey`` (disjoint), ``ground`` (their union), ``grey_known``,
            ``grey_date``, ``date`` / ``exact`` / ``source`` as :meth:`held`.
        """
        i, exact = self.index_on(date)
        held = self.geoms[i]
        grey, grey_date = None, None
        if self.grey_known[i]:
            grey, grey_date = self._grey[i], self.dates[i]
        elif max_grey_lag_days > 0:
            days = np.flatnonzero(self.grey_known[: i + 1])
            if len(days) and (self.dates[i] - self.dates[days[-1]]).days <= max_grey_lag_days:
                j = int(days[-1])
                grey, grey_date = self._grey[j], self.dates[j]
                grey = _multi(shapely.difference(grey, held))
        known = grey is not None
        return Contested(parse_date(date), self.dates[i], held,
                         grey if known else shapely.MultiPolygon(), known, grey_date, exact,
                         self.sources[i])

    def grey(self, i: int) -> shapely.Geometry | None:
        """Grey zone of history day ``i`` (metric CRS), None when not known."""
        return self._grey[i]

    def taken_back(self, date: str | dt.date) -> shapely.Geometry | None:
        """Areas taken back, as drawn on the data day of ``date`` (metric CRS); None when
        that day's source does not have them."""
        i, _ = self.index_on(date)
        return self._taken[i]

    def source_of(self, date: str | dt.date) -> str:
        """The source of the data day used for ``date``."""
        return self.sources[self.index_on(date)[0]]

    @property
    def spacing_days(self) -> np.ndarray:
        """Typical spacing of the data around each day: the median of the gaps of the
        :data:`SPARSE_WINDOW` data days centred on it (1 daily, 2 every second day, ~7
        weekly)."""
        gaps = pd.Series(self.gap_days[1:] if len(self) > 1 else [1], dtype=float)
        med = gaps.rolling(SPARSE_WINDOW, center=True, min_periods=1).median().to_numpy()
        return np.concatenate([[med[0]], med]) if len(self) > 1 else np.ones(1)

    def sparse_stretches(self) -> list[dict]:
        """Stretches of at least :data:`SPARSE_MIN_DAYS` data days where the data is not
        daily (:attr:`spacing_days` >= 2), split where the spacing changes between
        "every second day" (2) and "about weekly" (3 or more): ``{"start", "end", "days",
        "median_gap_days", "max_gap_days", "kind"}``."""
        sp = self.spacing_days
        cls = np.where(sp >= 3, 3, np.where(sp >= 2, 2, 1))
        out = []
        for i, j, c in _runs(cls, SPARSE_MIN_DAYS):
            if c == 1:
                continue
            gaps = self.gap_days[max(i, 1):j + 1]
            out.append({"start": str(self.dates[i]), "end": str(self.dates[j]),
                        "days": j - i + 1,
                        "median_gap_days": float(np.median(gaps)) if len(gaps) else 0.0,
                        "max_gap_days": int(gaps.max()) if len(gaps) else 0,
                        "kind": "about weekly" if c == 3 else "every second day"})
        return out

    @property
    def areas_km2(self) -> pd.DataFrame:
        """Held and grey areas (km2) per day; ``api_held_km2`` is the held area of the API
        snapshot on days whose held territory comes from the daily file."""
        a = self._area.copy()
        missing = np.isnan(a[:, 0])
        if missing.any():
            a[missing, 0] = shapely.area(np.asarray(self.geoms[np.flatnonzero(missing)],
                                                    dtype=object)) / 1e6
        gmiss = np.flatnonzero(np.isnan(a[:, 1]) & self.grey_known)
        if len(gmiss):
            a[gmiss, 1] = shapely.area(self._grey[gmiss]) / 1e6
        return pd.DataFrame({"date": self.dates, "source": self.sources,
                             "held_km2": a[:, 0], "grey_km2": a[:, 1],
                             "api_held_km2": a[:, 2]})

    def overlap_agreement(self) -> pd.DataFrame:
        """Days with both a daily file and an API snapshot: the two held areas (km2) and
        their relative difference ``(api - daily) / daily``."""
        df = self.areas_km2
        df = df[df["source"] == SOURCE_BOTH].copy()
        df["rel_diff"] = (df["api_held_km2"] - df["held_km2"]) / df["held_km2"]
        return df.reset_index(drop=True)

    def geographic(self) -> gpd.GeoDataFrame:
        """The history as a GeoDataFrame in lon/lat (for export and maps)."""
        gdf = gpd.GeoDataFrame({"date": pd.to_datetime(self.dates), "source": self.sources},
                               geometry=np.asarray(self.geoms), crs=METRIC_CRS)
        return gdf.to_crs(GEOGRAPHIC_CRS)

    def summary(self) -> dict:
        counts = Counter(self.sources)
        out = {
            "source": self.source,
            "days": len(self.dates),
            "first": str(self.first),
            "last": str(self.last),
            "missing_days": len(self.missing_days()),
            "repair": self.repair_report.as_dict(),
            "days_by_source": dict(sorted(counts.items())),
            "grey_days": int(self.grey_known.sum()),
            "grey_first": str(self.dates[int(np.argmax(self.grey_known))])
            if self.grey_known.any() else None,
            "grey_last": str(self.dates[len(self) - 1 - int(np.argmax(self.grey_known[::-1]))])
            if self.grey_known.any() else None,
            "sparse_stretches": self.sparse_stretches(),
        }
        if counts.get(SOURCE_BOTH):
            agree = self.overlap_agreement()
            worst = agree.loc[agree["rel_diff"].abs().idxmax()]
            out["overlap"] = {"days": len(agree), "worst_day": str(worst["date"]),
                              "worst_rel_diff": float(worst["rel_diff"]),
                              "median_abs_rel_diff": float(agree["rel_diff"].abs().median())}
        if self._store is not None:
            out["cache"] = {"parsed": self._store.parsed, "reused": self._store.reused,
                            "entry": str(self._store.entry.directory)
                            if self._store.entry is not None else None}
        return out

    # ------------------------------------------------------------------ lazy records
    def _attach(self, store: store_mod.Store, plan: store_mod.Plan) -> None:
        rows, _ = store_mod.days_of(store)
        self._store, self._plan, self._rows = store, plan, rows
        self._area = store_mod.areas(store, rows)

    def _decode(self, layer: str, i: int) -> Any:
        assert self._store is not None  # only lazy layers decode
        try:
            return self._store.geometry(self._rows[i], layer)
        except Damaged as exc:
            self._rebuild(exc)
            return self._store.geometry(self._rows[i], layer)

    def _rebuild(self, exc: Exception) -> None:
        assert self._store is not None and self._plan is not None
        log.warning("control history cache damaged (%s): rebuilding it", exc)
        fresh = store_mod.rebuild(self._plan, self._store, cache_root=self._cache_root)
        rows, dates = store_mod.days_of(fresh)
        if dates != self.dates:
            raise DataFormatError("control history changed while it was rebuilt; "
                                  "run the command again") from None
        self._store, self._rows = fresh, rows

    @classmethod
    def _from_store(cls, store: store_mod.Store, plan: store_mod.Plan, source: str,
                    cache_root: Path | None) -> ControlHistory:
        rows, dates = store_mod.days_of(store)
        if not dates:
            why = "; ".join(r.get("skip") or "" for r in store.records[:3])
            raise DataNotFoundError(f"{source}: no day with a held-territory polygon ({why})")
        for r in store.records:
            if r.get("skip"):
                log.warning("control history: %s skipped (%s)", r["d"], r["skip"])
        self = cls.__new__(cls)
        n = len(dates)
        recs = [store.records[i] for i in rows]
        grey_known = np.asarray([r.get("grey") is not None for r in recs], dtype=bool)
        self._setup(dates, source, None,
                    GeomLayer(n, lambda i: self._decode("held", i)),
                    GeomLayer(n, lambda i: self._decode("grey", i)),
                    GeomLayer(n, lambda i: self._decode("taken", i)),
                    [r["src"] for r in recs], grey_known)
        self._cache_root = cache_root
        self._attach(store, plan)
        return self

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_sources(cls, sources: DataSources | None = None, *,
                     data_dir: str | Path | None = None, daily: bool = True, raw: bool = True,
                     use_cache: bool = True, cache_root: Path | None = None,
                     progress: Any = None, workers: int | None = None) -> ControlHistory:
        """The merged history of every data location's daily files and API snapshots.

        Parameters
        ----------
        sources
            Located data (:func:`supplyline.io.sources.locate`); default located from
            ``data_dir``.
        daily, raw
            Use the daily files / the API snapshots (both by default).
        use_cache
            Read and write the checked per-day cache (``derived/control-history``).
        progress
            A :class:`rich.progress.Progress` for the files parsed.
        workers
            Processes parsing a cold build (default: up to 4, one per CPU; 1 = this
            process only).
        """
        sources = sources or locate(data_dir)
        daily_dirs = list(sources.daily_dirs) if daily else []
        raw_dirs = list(sources.raw_dirs) if raw else []
        if not daily_dirs and not raw_dirs:
            where = ", ".join(f"{lab}={p}" for lab, p in sources.searched)
            raise DataNotFoundError(
                f"no control history found (no deepstate/deepstatemap_data_YYYYMMDD.geojson "
                f"or deepstate-raw/<unix-seconds>.geojson files; searched {where}); run "
                f"'supplyline data fetch' or pass --data DIR")
        return cls.from_dirs(daily_dirs, raw_dirs, oblasts=sources.oblasts.path,
                             use_cache=use_cache, cache_root=cache_root, progress=progress,
                             workers=workers)

    @classmethod
    def from_dirs(cls, daily_dirs: Sequence[Path | tuple[str, Path]] = (),
                  raw_dirs: Sequence[Path | tuple[str, Path]] = (), *,
                  oblasts: Path | None = None, use_cache: bool = True,
                  cache_root: Path | None = None, progress: Any = None,
                  source: str | None = None, workers: int | None = None) -> ControlHistory:
        """The merged history of these directories (earlier ones win on a clash);
        ``oblasts`` gives Ukraine's outline for the snapshots."""
        dd = [_labelled(d) for d in daily_dirs]
        rd = [_labelled(d) for d in raw_dirs]
        plan = store_mod.make_plan(dd, rd, Path(oblasts) if oblasts else None)
        label = source or " + ".join(str(p) for _, p in [*dd, *rd])
        if not plan.days:
            raise DataNotFoundError(f"{label}: no deepstatemap_data_YYYYMMDD.geojson or "
                                    f"<unix-seconds>.geojson files found")
        st = store_mod.assemble(plan, use_cache=use_cache, cache_root=cache_root,
                                progress=progress, workers=workers)
        return cls._from_store(st, plan, label, cache_root)

    @classmethod
    def from_deepstate_dir(cls, directory: str | Path, *, use_cache: bool = True,
                           cache_root: Path | None = None, progress=None) -> ControlHistory:
        """All ``deepstatemap_data_YYYYMMDD.geojson`` files in ``directory`` (held
        territory only; no grey zone)."""
        directory = Path(directory)
        plan = store_mod.make_plan([("dir", directory)], [], None)
        if not plan.days:
            raise DataNotFoundError(
                f"{directory}: no deepstatemap_data_YYYYMMDD.geojson files found"
            )
        st = store_mod.assemble(plan, use_cache=use_cache, cache_root=cache_root,
                                progress=progress)
        return cls._from_store(st, plan, str(directory), cache_root)

    @classmethod
    def from_file(cls, path: str | Path, *, date_column: str = "date",
                  layer: str | None = None) -> ControlHistory:
        """Dated polygons from GeoJSON / GeoPackage / GeoParquet (one or more rows per day).

        Days whose rows have no polygon are skipped (counted in the repair report), as
        are dates before 2022-02-24 or after today."""
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
        uniq = []
        for d in sorted(set(day)):
            why = date_problem(d)
            if why:
                report.rejected_files.append([f"{path} ({date_column}={d})", why])
                log.warning("%s: rows of %s ignored, %s", path, d, why)
            else:
                uniq.append(d)
        unions = [shapely.union_all(geoms[day == d]) for d in uniq]
        merged = repair_polygons(np.asarray(unions, dtype=object), report)
        empty = shapely.is_empty(merged)
        report.empty_days = int(empty.sum())
        for d in np.asarray(uniq, dtype=object)[empty]:
            report.skipped_days.append({"date": str(d), "reason": "no polygon"})
            log.warning("%s: %s has no polygon; day skipped", path, d)
        keep = [d for d, e in zip(uniq, empty, strict=True) if not e]
        if not keep:
            raise DataNotFoundError(f"{path}: no day with a held-territory polygon")
        return cls(keep, to_metric(merged[~empty]), str(path), report)


def _runs(cls: np.ndarray, min_len: int) -> list[tuple[int, int, int]]:
    """Runs (first, last, class) of equal classes; runs shorter than ``min_len`` are
    absorbed into the run before them (and equal neighbours joined)."""
    runs: list[list[int]] = []
    for i, c in enumerate(cls):
        if runs and runs[-1][2] == c:
            runs[-1][1] = i
        else:
            runs.append([i, i, int(c)])
    merged: list[list[int]] = []
    for r in runs:
        if merged and (r[1] - r[0] + 1 < min_len or merged[-1][2] == r[2]):
            merged[-1][1] = r[1]
        else:
            merged.append(r)
    return [(r[0], r[1], r[2]) for r in merged]


def _labelled(d: Path | tuple[str, Path]) -> tuple[str, Path]:
    if isinstance(d, tuple):
        return d[0], Path(d[1])
    return "dir", Path(d)


def _multi(g: Any) -> Any:
    from ..io.deepstate_api import as_multipolygon

    return as_multipolygon(g)


def _report(store: store_mod.Store, plan: store_mod.Plan) -> RepairReport:
    """The repair report of a history from its day records."""
    rep = RepairReport()
    unknown: Counter = Counter()
    outside: Counter = Counter()
    for r, st in zip(store.records, store.stats(), strict=True):
        st = st or {}
        rep.files += len(r.get("files") or [])
        for part in ("daily", "api"):
            c = st.get(part) or {}
            rep.invalid_repaired += int(c.get("invalid_repaired", 0))
            rep.z_dropped += int(c.get("z_dropped", 0))
            rep.non_polygon_parts_removed += int(c.get("non_polygon_parts_removed", 0))
            rep.points_skipped += int(c.get("points", 0))
            rep.null_geometries += int(c.get("null_geometries", 0))
            rep.bad_geometries += int(c.get("bad_geometries", 0))
        api = st.get("api") or {}
        unknown.update(api.get("unknown_names") or {})
        outside.update(api.get("outside_ukraine") or {})
        rep.by_colour.update(api.get("by_colour") or {})
        rep.foreign_features += sum((api.get("foreign") or {}).values())
        rep.clipped_km2 = max(rep.clipped_km2, float(api.get("clipped_km2") or 0.0))
        if api.get("outline"):
            rep.outline = api["outline"]
        if r.get("skip"):
            rep.skipped_days.append({"date": r["d"], "reason": r["skip"]})
        elif st.get("notes"):
            rep.notes.extend(f"{r['d']}: {n} (the other source of the day used)"
                             for n in st["notes"])
    rep.empty_days = len(rep.skipped_days)
    rep.unknown_names = dict(unknown.most_common())
    rep.outside_ukraine = dict(outside.most_common())
    rep.clipped_km2 = round(rep.clipped_km2, 1)
    rep.rejected_files = [list(x) for x in plan.rejected]
    rep.superseded_snapshots = plan.superseded
    return rep


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


