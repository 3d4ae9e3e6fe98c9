"""The front-wide board: every near-front city on a date, from stored sweep tables.

The sweep (:func:`~supplyline.analysis.summary.timeline_analysis` over
:func:`~supplyline.analysis.timeline.near_front_cities`) is stored once as Parquet
tables by :func:`~supplyline.analysis.summary.write_tables`; :func:`build_tables` runs it
and writes a ``manifest.json`` last, naming what the tables were computed from (the
history's first and last days and its last day's territory, the thresholds, the options
and bands). :func:`tables_state` compares that with the workspace, so a server knows
whether the tables are ready, stale (new data: the rerun reuses each city's cached days)
or missing.

:class:`Board` reads the tables (pyarrow) and answers :meth:`Board.board` for any date
without touching the workspace: distance to held territory, the 7- and 30-day change,
the best and worst route status per mode, corridor width, ring occupancy, sparklines of
the days before, and the week's events. Its figures are the timeline's, which the
consistency tests hold equal to fresh queries.

>>> board = Board.load(default_tables_dir(), ws)
>>> board.board("2025-06-01").to_dict()["cities"][0]["distance_to_front_km"]
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.control import parse_date
from ..errors import DataFormatError, DateOutOfRangeError, InvalidArgumentError
from ..io.cache import atomic_write
from ..settings import user_cache_dir
from .results import PlaceRef, Result

#: bump when the stored tables or the manifest change meaning
BOARD_SCHEMA = 1
MANIFEST = "manifest.json"
TABLES = ("days.parquet", "routes.parquet", "events.parquet", "summary.json")
#: days of history in each sparkline (ending on the board's date)
SPARK_DAYS = 90
#: the changes a row reports (days back)
TREND_DAYS = (7, 30)
#: events of the days up to the board's date shown as "what changed"
CHANGES_DAYS = 7


@dataclass(frozen=True)
class BoardSpec:
    """Which cities and days the sweep covers: the CLI's ``--all-near-front`` thresholds,
    and the first day of the tables (None: the start of the history)."""

    min_population: int = 10_000
    within_km: float = 50.0
    start: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.min_population, bool) or not isinstance(self.min_population, int) \
                or self.min_population < 0:
            raise InvalidArgumentError(
                f"min_population {self.min_population!r}: expected a whole number >= 0")
        if not (isinstance(self.within_km, int | float) and 0 < self.within_km <= 500):
            raise InvalidArgumentError(f"within_km {self.within_km!r}: expected 0-500 km")
        if self.start is not None:
            object.__setattr__(self, "start", str(parse_date(self.start)))

    def as_dict(self) -> dict[str, Any]:
        return {"min_population": self.min_population, "within_km": float(self.within_km),
                "start": self.start}


def default_tables_dir() -> Path:
    """Where ``supplyline serve`` keeps the board's tables (derived data, safe to
    delete): ``$SUPPLYLINE_CACHE/board``."""
    return user_cache_dir() / "board"


# --------------------------------------------------------------------------- tables

def expected_manifest(ws: Any, spec: BoardSpec) -> dict[str, Any]:
    """What tables computed now from ``ws`` would be stamped with."""
    from .timeline import day_hash

    hist = ws.history
    return {"schema": BOARD_SCHEMA, "history": {
        "first": str(hist.first), "last": str(hist.last), "days": len(hist.dates),
        "last_day_hash": day_hash(hist.geoms[-1])},
        "spec": spec.as_dict(),
        "options": json.loads(json.dumps(ws.options.key(), default=str)),
        "bands": {b.name: b.max_km for b in ws.profile.bands}}


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The stored manifest, or None when it is missing or unreadable."""
    try:
        return json.loads((Path(directory) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def tables_state(directory: Path, expected: dict[str, Any]) -> tuple[str, str]:
    """``("ready" | "stale" | "missing", why)`` of the tables in ``directory``."""
    directory = Path(directory)
    have = read_manifest(directory)
    if have is None or not all((directory / t).is_file() for t in TABLES):
        return "missing", f"no board tables in {directory}"
    for part in ("schema", "spec", "options", "bands"):
        if have.get(part) != expected.get(part):
            return "stale", f"the tables were computed with other {part}"
    h, e = have.get("history", {}), expected["history"]
    if h != e:
        return "stale", (f"the tables end on {h.get('last')}; the control history now "
                         f"ends on {e['last']}")
    return "ready", f"board tables up to {h['last']} in {directory}"


def build_tables(ws: Any, directory: Path, spec: BoardSpec = BoardSpec(), *,
                 workers: int = 2, progress: Any = None) -> dict[str, Any]:
    """Run the near-front sweep and store its tables and manifest in ``directory``.

    Each city's days are cached by the timeline, so a rerun after new data computes the
    new days only. The manifest is written last: an interrupted build leaves tables that
    :func:`tables_state` calls missing, never a half-written board. Returns the
    manifest.
    """
    from .summary import timeline_analysis, write_tables
    from .timeline import near_front_cities

    directory = Path(directory)
    expected = expected_manifest(ws, spec)
    cities = near_front_cities(ws, min_population=spec.min_population,
                               within_km=spec.within_km, start=spec.start)
    if not cities:
        raise DataFormatError("the near-front sweep found no city: nothing for the board")
    res = timeline_analysis(ws, cities, spec.start, None, progress=progress, workers=workers)
    (directory / MANIFEST).unlink(missing_ok=True)
    write_tables(res, directory)
    manifest = expected | {"cities": len(cities), "built": dt.datetime.now(
        dt.UTC).isoformat(timespec="seconds"), "stats": res["stats"]}
    atomic_write(directory / MANIFEST, lambda p: p.write_text(
        json.dumps(manifest, indent=2, default=str), encoding="utf-8"))
    return manifest


# --------------------------------------------------------------------------- results

@dataclass
class ModeState:
    """One mode of a city on the board's date: the best status over its rear hubs (does
    any connection remain), the worst (the most exposed hub) and that hub."""

    status: str | None
    worst: str | None
    worst_hub: str | None
    best_min_clearance_km: float | None


@dataclass
class BoardRow:
    """One city on the board."""

    city: PlaceRef
    data_date: str | None
    near_front: bool
    centre_held: bool | None
    #: from hostile ground as the method says (what the status command shows first)
    distance_to_front_km: float | None
    distance_to_held_km: float | None
    #: change of the distance to the front over 7 and 30 days (negative: closer)
    change_7d_km: float | None
    change_30d_km: float | None
    road: ModeState
    rail: ModeState
    corridor_width_km: float | None
    ring_held_share: dict[str, float | None]
    held_area_km2: float | None
    #: sparklines over the days up to the date: ``first`` date, then one value a day
    #: (None: no data); statuses as severity (0 cut ... bands ... last: open)
    spark: dict[str, Any] = field(default_factory=dict)


@dataclass
class BoardResult(Result):
    """The front-wide board of one date."""

    date: str
    first: str
    last: str
    min_population: int
    within_km: float
    radii_km: list[str]
    severity: list[str]
    cities: list[BoardRow]
    changes_from: str
    changes: list[dict[str, Any]]
    method: dict[str, Any]


# --------------------------------------------------------------------------- the board

class Board:
    """The stored sweep tables, read once; answers for any date in them."""

    def __init__(self, days: pd.DataFrame, routes: pd.DataFrame, events: pd.DataFrame,
                 summary: dict[str, Any], places: dict[str, PlaceRef], band_names: list[str],
                 spec: BoardSpec, manifest: dict[str, Any] | None = None) -> None:
        if not len(days):
            raise DataFormatError("board tables: the days table is empty")
        self.days, self.routes, self.events = days, routes, events
        self.summary, self.places, self.spec = summary, places, spec
        self.manifest = manifest or {}
        #: status names from worst to best: cut, under fire (nearest band) ..., open
        self.severity = ["cut", *[f"under fire ({b})" for b in band_names], "open"]
        self.dates = pd.DatetimeIndex(sorted(days["date"].unique()))
        self.city_ids = list(dict.fromkeys(days["city_id"]))
        self.radii = [c.removeprefix("ring_held_share_").removesuffix("km")
                      for c in days.columns if c.startswith("ring_held_share_")]
        self._area = next((c for c in days.columns if c.startswith("held_area_")), None)
        self._np: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._pivots = self._pivot_days()
        self._worst = self._pivot_worst()

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, directory: Path, ws: Any = None, *, band_names: list[str] | None = None,
             spec: BoardSpec | None = None) -> Board:
        """Read the tables of ``directory``; ``ws`` resolves each city's place (for the
        front map) and gives the band names (else ``band_names``)."""
        import pyarrow.parquet as pq

        directory = Path(directory)
        try:
            days = pq.read_table(directory / "days.parquet").to_pandas()
            routes = pq.read_table(directory / "routes.parquet").to_pandas()
            events = (pq.read_table(directory / "events.parquet").to_pandas()
                      if (directory / "events.parquet").stat().st_size else pd.DataFrame())
            summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataFormatError(f"{directory}: board tables unreadable ({exc})") from None
        days["date"] = pd.to_datetime(days["date"])
        if len(routes):
            routes["date"] = pd.to_datetime(routes["date"])
        manifest = read_manifest(directory)
        if spec is None:
            s = (manifest or {}).get("spec") or {}
            spec = BoardSpec(int(s.get("min_population", 10_000)),
                             float(s.get("within_km", 50.0)), s.get("start"))
        if band_names is None:
            band_names = [b.name for b in ws.profile.bands] if ws is not None else \
                list((manifest or {}).get("bands") or {})
        places = {}
        for cid, name in days[["city_id", "city"]].drop_duplicates().itertuples(index=False):
            places[cid] = (PlaceRef.of(ws.find(cid).place) if ws is not None
                           else PlaceRef(cid, name, math.nan, math.nan, None, 0, "table"))
        return cls(days, routes, events, summary, places, band_names, spec, manifest)

    def _pivot_days(self) -> dict[str, pd.DataFrame]:
        """date x city tables of every figure (NaN on days without data)."""
        obs = self.days[~self.days["data_missing"].astype(bool)]
        cols = ["distance_to_front_km", "distance_to_held_km", "corridor_width_km",
                "road_best_min_clearance_km",
                "rail_best_min_clearance_km", *[f"ring_held_share_{r}km" for r in self.radii]]
        if self._area:
            cols.append(self._area)
        out = {}
        for c in [c for c in cols if c in obs]:
            out[c] = obs.pivot(index="date", columns="city_id", values=c).reindex(
                index=self.dates, columns=self.city_ids).astype(float)
        held = obs.pivot(index="date", columns="city_id", values="centre_held")
        out["centre_held"] = held.reindex(index=self.dates, columns=self.city_ids).map(
            lambda v: np.nan if v is None or v is pd.NA else float(bool(v)))
        rank = {s: i for i, s in enumerate(self.severity)}
        for m in ("road", "rail"):
            c = f"{m}_status"
            if c in obs:
                out[c] = obs.pivot(index="date", columns="city_id", values=c).reindex(
                    index=self.dates, columns=self.city_ids).map(
                    lambda v, rank=rank: float(rank.get(v, np.nan)) if isinstance(v, str)
                    else np.nan)
        return out

    def _pivot_worst(self) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
        """Per mode: date x city severity of the worst hub, and that hub's name."""
        out: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
        if not len(self.routes):
            return out
        rank = {s: i for i, s in enumerate(self.severity)}
        r = self.routes.assign(sev=self.routes["status"].map(rank).astype(float))
        r = r.sort_values(["date", "city_id", "mode", "sev"], kind="stable")
        first = r.drop_duplicates(["date", "city_id", "mode"])
        for m, g in first.groupby("mode"):
            sev = g.pivot(index="date", columns="city_id", values="sev").reindex(
                index=self.dates, columns=self.city_ids)
            hub = g.pivot(index="date", columns="city_id", values="hub").reindex(
                index=self.dates, columns=self.city_ids)
            out[str(m)] = (sev, hub)
        return out

    # ------------------------------------------------------------------ queries
    @property
    def first(self) -> dt.date:
        return self.dates[0].date()

    @property
    def last(self) -> dt.date:
        return self.dates[-1].date()

    def has(self, city_id: str) -> bool:
        return city_id in self.places

    def day_index(self, date: str | dt.date | None) -> int:
        """Row of ``date`` in the tables (None: the last day); a date outside them is a
        :class:`DateOutOfRangeError`."""
        d = self.last if date is None else parse_date(date)
        if not self.first <= d <= self.last:
            raise DateOutOfRangeError(f"date {d}: the board's tables cover {self.first} to "
                                      f"{self.last}")
        return int(self.dates.searchsorted(pd.Timestamp(d)))

    def board(self, date: str | dt.date | None = None, *, ring_km: str | None = None
              ) -> BoardResult:
        """Every city of the sweep on ``date`` (default: the last day), nearest to held
        territory first; ``ring_km`` picks the ring of the sparkline (default the
        second smallest radius)."""
        i = self.day_index(date)
        ring = ring_km if ring_km is not None else self.radii[min(1, len(self.radii) - 1)]
        if ring not in self.radii:
            raise InvalidArgumentError(f"ring {ring!r} km: expected one of {self.radii}")
        rows = [self._row(k, cid, i, ring) for k, cid in enumerate(self.city_ids)]
        rows.sort(key=lambda r: (r.distance_to_front_km is None,
                                 r.distance_to_front_km if r.distance_to_front_km is not None
                                 else 0.0, r.city.name))
        day = self.dates[i]
        since = day - pd.Timedelta(days=CHANGES_DAYS - 1)
        return BoardResult(
            date=str(day.date()), first=str(self.first), last=str(self.last),
            min_population=self.spec.min_population, within_km=self.spec.within_km,
            radii_km=list(self.radii), severity=list(self.severity), cities=rows,
            changes_from=str(since.date()), changes=self.events_between(since, day),
            method=dict(self.summary.get("method") or {}))

    def _arrays(self, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """A pivot's values and, per cell, the row of the last value at or before it (-1:
        none), computed once per table."""
        key = id(table)
        if key not in self._np:
            vals = table.to_numpy(dtype=float)
            rows = np.where(np.isnan(vals), -1, np.arange(len(vals))[:, None])
            self._np[key] = (vals, np.maximum.accumulate(rows, axis=0))
        return self._np[key]

    def _asof(self, table: pd.DataFrame, i: int, k: int) -> tuple[float, int]:
        """The last value at or before row ``i`` in column ``k`` and its row (-1: none)."""
        vals, last = self._arrays(table)
        j = int(last[i, k])
        return (float(vals[j, k]), j) if j >= 0 else (math.nan, -1)

    def _value(self, name: str, i: int, k: int) -> float | None:
        t = self._pivots.get(name)
        if t is None:
            return None
        v, _ = self._asof(t, i, k)
        return None if math.isnan(v) else round(v, 4)

    def _distance_table(self) -> pd.DataFrame:
        """The distance to the front per date and city (tables written before that column
        existed: the distance to held territory)."""
        return self._pivots.get("distance_to_front_km", self._pivots["distance_to_held_km"])

    def _row(self, k: int, cid: str, i: int, ring: str) -> BoardRow:
        dist = self._distance_table()
        d, j = self._asof(dist, i, k)
        held = self._value("centre_held", i, k)
        changes = []
        for n in TREND_DAYS:  # from the value as of n days before (None before the tables)
            then = self.dates[i] - pd.Timedelta(days=n)
            p = self._asof(dist, int(self.dates.searchsorted(then, side="right")) - 1, k)[0] \
                if then >= self.dates[0] else math.nan
            changes.append(None if math.isnan(d) or math.isnan(p) else round(d - p, 2))
        dist_v = None if math.isnan(d) else round(d, 2)
        near = bool(held) or (dist_v is not None and dist_v <= self.spec.within_km)
        return BoardRow(
            city=self.places[cid], data_date=None if j < 0 else str(self.dates[j].date()),
            near_front=near, centre_held=None if held is None else bool(held),
            distance_to_front_km=dist_v,
            distance_to_held_km=self._value("distance_to_held_km", i, k),
            change_7d_km=changes[0], change_30d_km=changes[1],
            road=self._mode("road", i, k), rail=self._mode("rail", i, k),
            corridor_width_km=self._value("corridor_width_km", i, k),
            ring_held_share={r: self._value(f"ring_held_share_{r}km", i, k)
                             for r in self.radii},
            held_area_km2=self._value(self._area, i, k) if self._area else None,
            spark=self._spark(k, i, ring))

    def _mode(self, mode: str, i: int, k: int) -> ModeState:
        best = self._value(f"{mode}_status", i, k)
        worst = hub = None
        if mode in self._worst:
            sev, hubs = self._worst[mode]
            w, j = self._asof(sev, i, k)
            if j >= 0:
                worst, hub = self.severity[int(w)], str(hubs.iat[j, k])
        return ModeState(None if best is None else self.severity[int(best)], worst, hub,
                         self._value(f"{mode}_best_min_clearance_km", i, k))

    def _spark(self, k: int, i: int, ring: str) -> dict[str, Any]:
        lo = max(0, i - SPARK_DAYS + 1)

        def series(t: pd.DataFrame | None, nd: int = 2) -> list[float | None]:
            if t is None:
                return []
            v = self._arrays(t)[0][lo: i + 1, k]
            return [None if math.isnan(x) else round(float(x), nd) for x in v]

        out: dict[str, Any] = {"first": str(self.dates[lo].date()),
                               "distance": series(self._distance_table()),
                               "corridor": series(self._pivots.get("corridor_width_km")),
                               "ring": series(self._pivots.get(f"ring_held_share_{ring}km"), 3),
                               "ring_km": ring}
        for m in ("road", "rail"):
            out[m] = series(self._worst[m][0] if m in self._worst else None, 0)
        return out

    def events_between(self, start: Any, end: Any, city_id: str | None = None
                       ) -> list[dict[str, Any]]:
        """Events dated ``start`` to ``end`` (inclusive), newest first, of one city or
        all."""
        e = self.events
        if not len(e):
            return []
        d = pd.to_datetime(e["date"])
        sel = (d >= pd.Timestamp(start)) & (d <= pd.Timestamp(end))
        if city_id is not None:
            sel &= e["city_id"] == city_id
        out = e[sel].assign(_d=d[sel]).sort_values(["_d", "city"], ascending=[False, True])
        cols = [c for c in ("date", "city_id", "city", "kind", "subject", "detail", "pending")
                if c in out]
        rows = out[cols].to_dict("records")
        for r in rows:
            r["date"] = str(pd.Timestamp(r["date"]).date())
        return rows

    def city_tables(self, city_id: str) -> tuple[pd.DataFrame, pd.DataFrame,
                                                 list[dict[str, Any]], dict[str, Any]]:
        """One city's days, route rows, events (oldest first) and summary (trends,
        forecasts) as stored."""
        days = self.days[self.days["city_id"] == city_id].reset_index(drop=True)
        routes = (self.routes[self.routes["city_id"] == city_id].reset_index(drop=True)
                  if len(self.routes) else self.routes)
        events = self.events_between(self.first, self.last, city_id)[::-1]
        name = self.places[city_id].name if city_id in self.places else None
        summary: dict[str, Any] = next((v for k, v in (self.summary.get("cities") or {}).items()
                        if v.get("city_id") == city_id or k == name), {})
        return days, routes, events, summary


__all__ = ["Board", "BoardResult", "BoardRow", "BoardSpec", "ModeState", "build_tables",
           "default_tables_dir", "expected_manifest", "tables_state"]
