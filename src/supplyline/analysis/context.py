"""The analysis context: data loaded once, shared by every query of a session.

:class:`Workspace` finds and lazily loads the control history, the transport networks and
the gazetteer, resolves place names, and memoises what several queries share (a day's
held-territory index, route plans, sub-networks). It computes no figure itself: the
queries (:mod:`supplyline.analysis.queries`) and the timeline do, through
:mod:`supplyline.analysis.figures`.

>>> from supplyline import Workspace, status
>>> ws = Workspace()                 # finds ../shared/data or the download cache
>>> status("Pokrovsk", "2025-01-31", ws=ws).distance_to_held_km
"""

from __future__ import annotations

import datetime as dt
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, cached_property
from pathlib import Path
from typing import Any, TypeVar

from ..core.exposure import HeldIndex, ThreatProfile
from ..crs import lonlat_xy
from ..data.control import ControlHistory, HeldTerritory, parse_date
from ..data.network import BuildParams, Network, load_network
from ..data.places import Gazetteer, Match, Place
from ..errors import InvalidArgumentError
from ..io.sources import DataSources, locate
from ..settings import get_settings
from .figures import DayGround, day_grey, hostile_parts
from .options import DEFAULT_OPTIONS, AnalysisOptions

T = TypeVar("T")
COMPASS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
           "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
#: Memo sizes per kind (entries kept, least recently used dropped first).
MEMO_SIZES = {"ground": 8, "plan": 64, "exposure": 32, "raster": 16}
DEFAULT_MEMO_SIZE = 64


@cache
def _geod() -> Any:
    """The WGS84 ellipsoid for bearings and distances (pyproj imported when first used)."""
    import pyproj

    return pyproj.Geod(ellps="WGS84")


def compass(bearing_deg: float) -> str:
    """16-point compass word of a bearing (degrees clockwise from north)."""
    return COMPASS[int(((bearing_deg % 360) + 11.25) // 22.5) % 16]


def _check_args(**kw) -> None:
    """Types of the Workspace arguments, as one :class:`InvalidArgumentError` line."""
    def bad(name: str, want: str) -> InvalidArgumentError:
        return InvalidArgumentError(f"Workspace({name}={kw[name]!r}): expected {want}")

    for name in ("data_dir", "control_file"):
        v = kw[name]
        if v is not None and (not isinstance(v, str | os.PathLike) or not str(v).strip()):
            raise bad(name, "a path (str or pathlib.Path) or None")
    prof = kw["profile"]
    if prof is not None and not isinstance(prof, ThreatProfile):
        hint = f" such as ThreatProfile.parse({prof!r})" if isinstance(prof, str) else ""
        raise bad("profile", f"a ThreatProfile{hint} or None")
    if not isinstance(kw["use_cache"], bool):
        raise bad("use_cache", "True or False")
    if kw["build_params"] is not None and not isinstance(kw["build_params"], BuildParams):
        raise bad("build_params", "a BuildParams or None")
    if kw["network_source"] is not None and not isinstance(kw["network_source"], str):
        raise bad("network_source", "'egm', 'osm' or None")
    if not isinstance(kw["date_column"], str) or not kw["date_column"]:
        raise bad("date_column", "a column name")


class Workspace:
    """Lazily loaded data (history, networks, places) and the memo shared by queries.

    Parameters
    ----------
    data_dir
        Data directory searched first (then ``SUPPLYLINE_DATA``, ``../shared/data``, the
        download cache).
    profile
        Threat bands (default :class:`~supplyline.core.exposure.ThreatProfile`).
    options
        How figures are computed (default :data:`~supplyline.analysis.options.DEFAULT_OPTIONS`).
    use_cache
        Read and write derived-data caches.
    network_source
        ``"egm"`` (EuroGlobalMap, default; env ``SUPPLYLINE_NETWORK``) or ``"osm"``.
    control_file, date_column
        Dated polygons used instead of the DeepState files (env ``SUPPLYLINE_CONTROL``).
    progress
        A Rich progress display (or None) shown while data loads.
    """

    def __init__(self, data_dir: str | Path | None = None, *,
                 profile: ThreatProfile | None = None, options: AnalysisOptions | None = None,
                 use_cache: bool = True, build_params: BuildParams | None = None,
                 progress: Any = None, network_source: str | None = None,
                 control_file: str | Path | None = None, date_column: str = "date"):
        _check_args(data_dir=data_dir, profile=profile, use_cache=use_cache,
                    build_params=build_params, network_source=network_source,
                    control_file=control_file, date_column=date_column)
        if options is not None and not isinstance(options, AnalysisOptions):
            raise InvalidArgumentError(f"options {options!r}: expected AnalysisOptions")
        settings = get_settings()
        self.data_dir = data_dir
        if control_file is None and settings.control_file is not None:
            control_file = settings.control_file
            date_column = settings.control_date_column or date_column
        #: dated polygons used instead of the DeepState files (or None)
        self.control_file = control_file
        self.date_column = date_column
        #: "egm" (EuroGlobalMap GeoPackage, default) or "osm" (the .osm.pbf extract)
        self.network_source = (network_source or settings.network or "egm").lower()
        if self.network_source not in ("egm", "osm"):
            raise InvalidArgumentError(
                f"network source {self.network_source!r}: expected egm or osm")
        self.profile = profile or ThreatProfile()
        self.options = options or DEFAULT_OPTIONS
        self.use_cache = use_cache
        self.build_params = build_params or BuildParams()
        self.progress = progress
        self._networks: dict[str, Network] = {}
        self._memo: dict[str, OrderedDict[Any, Any]] = {}

    # ------------------------------------------------------------------ data
    @cached_property
    def sources(self) -> DataSources:
        return locate(self.data_dir)

    @cached_property
    def history(self) -> ControlHistory:
        if self.control_file is not None:
            return ControlHistory.from_file(self.control_file, date_column=self.date_column)
        return ControlHistory.from_sources(self.sources, use_cache=self.use_cache,
                                           progress=self.progress)

    @cached_property
    def gazetteer(self) -> Gazetteer:
        with self.step("Loading places"):
            return Gazetteer.load(oblasts_path=self.sources.oblasts.path,
                                  egm_path=self.sources.egm.path)

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        """Show ``description`` on the progress display (if any) while the block runs."""
        if self.progress is None:
            yield
            return
        task = self.progress.add_task(description, total=None)
        try:
            yield
        finally:
            self.progress.remove_task(task)

    def network(self, mode: str) -> Network:
        """The routable ``mode`` network ("road" or "rail"), built or loaded once."""
        if mode not in ("road", "rail"):
            raise InvalidArgumentError(f"mode {mode!r}: expected 'road' or 'rail'")
        if mode not in self._networks:
            with self.step(f"Loading the {mode} network"):
                self._networks[mode] = self._load_network(mode)
        return self._networks[mode]

    def _load_network(self, mode: str) -> Network:
        if self.network_source == "osm":
            from ..io.osm import load_osm_lines

            pbf = self.sources.require("osm")
            return load_network(mode, lines=load_osm_lines(pbf, modes=(mode,)),
                                source_files=[pbf], params=self.build_params,
                                use_cache=self.use_cache)
        return load_network(mode, egm_path=self.sources.require("egm"),
                            params=self.build_params, use_cache=self.use_cache)

    # ------------------------------------------------------------------ memo
    def memo(self, kind: str, key: Any, build: Callable[[], T]) -> T:
        """``build()`` once per (kind, key), least recently used entries dropped beyond
        the kind's size (:data:`MEMO_SIZES`)."""
        table = self._memo.setdefault(kind, OrderedDict())
        if key in table:
            table.move_to_end(key)
            return table[key]
        value = build()
        table[key] = value
        if len(table) > MEMO_SIZES.get(kind, DEFAULT_MEMO_SIZE):
            table.popitem(last=False)
        return value

    # ------------------------------------------------------------------ places and days
    def find(self, name: str, near: Place | tuple[float, float] | None = None) -> Match:
        """Resolve a place name (any common spelling, "Name, Oblast", "Name, Raion",
        Cyrillic, an old name, or an id such as ``geonames:704422``); with ``near`` (a
        place or a metric x, y) the best match near it is preferred, and a match far from
        it or by spelling only carries a warning."""
        if not isinstance(name, str):
            raise InvalidArgumentError(f"place {name!r}: expected a place name (a string)")
        if near is None:
            return self.gazetteer.find(name)
        label = near.name if isinstance(near, Place) else ""
        return self.gazetteer.find(name, near=near, near_label=label)

    def held(self, date: str | dt.date | None) -> HeldTerritory:
        """Held territory on ``date`` (None: the last day of the history)."""
        return self.history.held(parse_date(date) if date is not None else self.history.last)

    def ground(self, held: HeldTerritory, options: AnalysisOptions | None = None) -> DayGround:
        """The day's ground: held territory, the hostile ground the options measure from
        and its index (memoised per data day and options)."""
        options = options or self.options

        def build() -> DayGround:
            grey = day_grey(self, held, options)
            parts = hostile_parts(self, held.geometry, options, grey)
            return DayGround(held.geometry, HeldIndex.build(parts), held=held, parts=parts,
                             grey_known=grey is not None)

        key = (held.date, options.threat_ground, options.border_hostile,
               options.grey_max_lag_days)
        g = self.memo("ground", key, build)
        if g.held is None or g.held.requested != held.requested:  # same data day, other date
            return DayGround(g.geometry, g.index, g.raster, held, g.parts, g.grey_known)
        return g

    def describe_point(self, x: float, y: float) -> dict[str, Any]:
        """Lon/lat and the nearest named place (population >= 1000) of a metric point."""
        lon, lat = lonlat_xy(x, y)
        near = self.gazetteer.nearest((x, y), 30_000, min_population=1000)
        out: dict[str, Any] = {"lon": round(float(lon), 5), "lat": round(float(lat), 5),
                               "near": None}
        if near is not None:
            p, dist = near
            b = _geod().inv(p.lon, p.lat, lon, lat)[0]
            out["near"] = f"{dist / 1000:.1f} km {compass(b)} of {p.name}"
        return out

    @staticmethod
    def bearing_km(a: Place, b: Place) -> tuple[float, float]:
        """Bearing (degrees) and distance (km) on the ellipsoid from ``a`` to ``b``."""
        az, _, dist = _geod().inv(a.lon, a.lat, b.lon, b.lat)
        return az % 360, dist / 1000
