"""Analysis options: the choices behind every figure, with one default used everywhere.

The query commands, the timeline, the maps, the report and the web service all take an
:class:`AnalysisOptions` and state it in their output (:meth:`AnalysisOptions.describe`),
so a figure quoted from any of them was computed the same way.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ..errors import InvalidArgumentError

#: EGM road classes of the main-road network (M, primary "P" and secondary "T" roads).
MAIN_ROAD_CLASSES = ("motorway", "primary", "secondary")
MODES = ("road", "rail")


@dataclass(frozen=True)
class AnalysisOptions:
    """How a city's figures are computed (defaults are the project's documented choices).

    Parameters
    ----------
    road_classes
        ``"all"`` (default): routes, resilience and road exposure on every EGM road (a
        1:1M network: its "local" roads are the significant ones, and they carry the
        junctions between numbered roads); ``"main"``: the main roads only (EGM classes
        motorway / primary / secondary, i.e. M, P and T roads; about 4.5 times fewer
        edges, but a city can read "cut" for want of a connector road).
    hubs
        ``()`` (default): the rear hubs are chosen on each date by the rule of
        :func:`~supplyline.analysis.figures.select_hubs`; otherwise these place names,
        fixed for every date.
    max_hubs
        How many rear hubs the rule picks (nearest first).
    radii_km
        Radii of the rings whose held share is measured.
    ring_bearings
        Points per ring (one every 360 / n degrees).
    area_radius_km
        Radius of the disc whose held area is measured.
    region_margin_km
        Routes are searched on the edges whose midpoint lies within this margin of the
        box around the city and its hubs.
    corridor_resolution_m
        Cell size of the clearance raster of the open-ground corridor.
    corridor_margin_km
        Margin of the corridor window around the city and its hubs.
    beyond_band
        Resilience: edge-disjoint routes staying beyond this band.
    threat_ground
        What exposure (distances to the front, bands, routes, corridor) is measured from:
        ``"contested"`` (default): held territory and the grey zone on days it is known;
        ``"held"``: held territory only.
    border_hostile
        True (default): the Russian side of the state border counts like the edge of
        held territory for exposure; False: measured from held ground only.
    grey_max_lag_days
        On a data day without a grey zone, the grey zone of a data day at most this many
        days earlier is used (minus the day's held territory): the snapshots that carry
        it are every second day for much of 2023-2025, and a grey zone known only every
        other day would make distances flicker. 0: only the day's own.
        Resilience: the headline count of edge-disjoint routes is of those staying beyond
        this band (the counts beyond every band are given too).
    detour_cap
        The safest route is the clearest one no longer than this many times the peacetime
        route (or than the shortest held-avoiding route, where the front already forces a
        longer detour); 1-10.
    route_beyond_band
        A band name: also give the shortest route staying beyond that band; None (default):
        not asked.
    """

    road_classes: str = "all"
    hubs: tuple[str, ...] = ()
    max_hubs: int = 3
    radii_km: tuple[float, ...] = (5.0, 10.0, 20.0, 30.0)
    ring_bearings: int = 360
    area_radius_km: float = 30.0
    region_margin_km: float = 60.0
    corridor_resolution_m: float = 1000.0
    corridor_margin_km: float = 20.0
    beyond_band: str = "fpv"
    modes: tuple[str, ...] = field(default=MODES)
    threat_ground: str = "contested"
    border_hostile: bool = True
    grey_max_lag_days: int = 2
    detour_cap: float = 1.5
    route_beyond_band: str | None = None

    def __post_init__(self) -> None:
        if self.threat_ground not in ("contested", "held"):
            raise InvalidArgumentError(
                f"threat_ground {self.threat_ground!r}: expected 'contested' or 'held'")
        if isinstance(self.grey_max_lag_days, bool) or not isinstance(
                self.grey_max_lag_days, int) or not 0 <= self.grey_max_lag_days <= 30:
            raise InvalidArgumentError(
                f"grey_max_lag_days {self.grey_max_lag_days!r}: expected 0-30")
        if not isinstance(self.border_hostile, bool):
            raise InvalidArgumentError(
                f"border_hostile {self.border_hostile!r}: expected True or False")
        if self.road_classes not in ("main", "all"):
            raise InvalidArgumentError(
                f"road_classes {self.road_classes!r}: expected 'main' or 'all'")
        if isinstance(self.hubs, str):
            object.__setattr__(self, "hubs", (self.hubs,))
        object.__setattr__(self, "hubs", tuple(str(h) for h in self.hubs))
        if not isinstance(self.max_hubs, int) or not 1 <= self.max_hubs <= 10:
            raise InvalidArgumentError(f"max_hubs {self.max_hubs!r}: expected 1-10")
        try:
            if isinstance(self.radii_km, str | bytes):
                raise TypeError
            radii = tuple(float(r) for r in self.radii_km)
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"radii {self.radii_km!r}: expected a list of numbers of km, e.g. (5, 10, 20)"
            ) from None
        if not radii or any(not math.isfinite(r) or not 0 < r <= 200 for r in radii) \
                or len(set(radii)) != len(radii):
            raise InvalidArgumentError(
                f"radii {self.radii_km!r} km: expected distinct numbers in (0, 200]")
        object.__setattr__(self, "radii_km", tuple(sorted(radii)))
        modes = tuple(self.modes)
        if not modes or any(m not in MODES for m in modes):
            raise InvalidArgumentError(f"modes {self.modes!r}: expected road and/or rail")
        object.__setattr__(self, "modes", modes)
        for name in ("area_radius_km", "region_margin_km", "corridor_resolution_m",
                     "corridor_margin_km"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
                    or v <= 0:
                raise InvalidArgumentError(f"{name} {v!r}: expected a positive number")
        cap = self.detour_cap
        if isinstance(cap, bool) or not isinstance(cap, int | float) or not math.isfinite(cap) \
                or not 1 <= cap <= 10:
            raise InvalidArgumentError(f"detour_cap {cap!r}: expected a number from 1 to 10 "
                                       "(times the peacetime route's length)")
        object.__setattr__(self, "detour_cap", float(cap))
        for name in ("beyond_band", "route_beyond_band"):
            v = getattr(self, name)
            if not (isinstance(v, str) and v.strip()) and not (v is None and
                                                               name == "route_beyond_band"):
                raise InvalidArgumentError(f"{name} {v!r}: expected a band name, e.g. 'tube'")
        if not isinstance(self.ring_bearings, int) or not 8 <= self.ring_bearings <= 3600:
            raise InvalidArgumentError(f"ring_bearings {self.ring_bearings!r}: expected 8-3600")

    @property
    def road_class_filter(self) -> tuple[str, ...] | None:
        """The EGM classes routes use, or None for every road."""
        return MAIN_ROAD_CLASSES if self.road_classes == "main" else None

    def with_(self, **changes: Any) -> AnalysisOptions:
        return replace(self, **changes)

    def key(self) -> dict[str, Any]:
        """Everything that changes figures (a cache key part)."""
        return asdict(self)

    def describe(self) -> dict[str, Any]:
        """The method as stated in every output."""
        return {
            "road_network": ("main roads (EGM motorway/primary/secondary: M, P and T roads)"
                             if self.road_classes == "main" else "all EGM roads"),
            "road_classes": self.road_classes,
            "hubs": (list(self.hubs) if self.hubs else
                     f"chosen on each date: the {self.max_hubs} nearest places of >= 100,000 "
                     "people 30-300 km away, at least the tube band and 10 km farther from "
                     "held territory than the city"),
            "region_margin_km": self.region_margin_km,
            "rings_km": list(self.radii_km),
            "ring_bearings": self.ring_bearings,
            "corridor": (f"open ground, {self.corridor_resolution_m / 1000:g} km clearance "
                         f"raster, from the city's built-up disc to any hub, window "
                         f"{self.corridor_margin_km:g} km around city and hubs"),
            "resilience_beyond_band": self.beyond_band,
            "threat_ground": self.threat_ground,
            "border_hostile": self.border_hostile,
            "grey_max_lag_days": self.grey_max_lag_days,
            "resilience": ("edge-disjoint routes from the city's built-up area to the hub "
                           "areas avoiding held territory and staying beyond each band; "
                           f"headline count beyond {self.beyond_band}"),
            "detour_cap": self.detour_cap,
            "safest_route": ("greatest minimum clearance from held territory (counted up to "
                             "the outermost band), then shortest, among held-avoiding routes "
                             f"no longer than {self.detour_cap:g} x the peacetime route (or "
                             "than the shortest held-avoiding route where that is longer)"),
            "route_beyond_band": self.route_beyond_band,
        }


DEFAULT_OPTIONS = AnalysisOptions()
