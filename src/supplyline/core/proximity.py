"""Proximity: how far held territory is from a place, an oblast, a road or a railway, on
any date, and the first date a line was reached.

Pure functions over the control history's geometries (metric CRS): one vectorised
``shapely.distance`` call covers every day of the history at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from ..data.network import Network
from ..errors import SupplylineError
from .exposure import clip_box

_LATIN_TO_CYR = str.maketrans({"M": "М", "T": "Т", "P": "Р", "E": "Е", "H": "Н", "C": "С"})


def normalise_ref(ref: str) -> str:
    """"M-04", "м04", "М 04" -> "М04" (Cyrillic letters, no separators)."""
    s = ref.strip().upper().translate(_LATIN_TO_CYR)
    return re.sub(r"[\s\-_.]", "", s)


def line_near(net: Network, centre: tuple[float, float], radius_m: float,
              ref: str | None = None, *, ids_only: bool = False) -> shapely.Geometry:
    """Edges of ``net`` (optionally only route ``ref``) within ``radius_m`` of ``centre``
    (their ids with ``ids_only``, else their lines)."""
    mid = net.edge_mid_xy
    sel = np.hypot(*(mid - np.asarray(centre)).T) <= radius_m
    if ref:
        want = normalise_ref(ref)
        refs = (net.edges["ref"].fillna("") + ";" + net.edges["eref"].fillna("")).to_numpy()
        has = np.array([want in {normalise_ref(x) for x in r.split(";") if x} for r in refs])
        if not has.any():
            raise SupplylineError(f"road {ref!r}: no edge carries this route number "
                                  "(EGM uses pre-2021 numbers, e.g. М-04 for today's М-30)")
        sel &= has
        if not sel.any():
            raise SupplylineError(f"road {ref!r}: not within {radius_m / 1000:.0f} km of the "
                                  "city; increase --radius")
    if not sel.any():
        raise SupplylineError(f"no {net.mode} line within {radius_m / 1000:.0f} km of the city")
    if ids_only:
        return np.flatnonzero(sel)
    return shapely.multilinestrings(net.geoms[sel])


@dataclass
class ProximitySeries:
    target: str
    dates: list[dt.date]
    distance_km: np.ndarray  # per day in the history

    def on(self, i: int) -> float:
        return float(self.distance_km[i])

    def first_reached(self, tolerance_km: float) -> dt.date | None:
        hit = np.flatnonzero(self.distance_km <= tolerance_km)
        return self.dates[int(hit[0])] if len(hit) else None

    def as_dict(self, index: int, tolerance_km: float) -> dict:
        fr = self.first_reached(tolerance_km)
        return {"target": self.target, "date": str(self.dates[index]),
                "distance_km": round(self.on(index), 2),
                "reached": bool(self.distance_km[index] <= tolerance_km),
                "first_reached": str(fr) if fr else None, "tolerance_km": tolerance_km,
                "min_km_in_history": round(float(self.distance_km.min()), 2),
                "history_first": str(self.dates[0]), "history_last": str(self.dates[-1])}


def distance_series(geoms: np.ndarray | Sequence[Any], dates: list[dt.date],
                    target: shapely.Geometry, label: str, cap_km: float = 100.0
                    ) -> ProximitySeries:
    """Distance (km) from each day's held territory to ``target`` (0 = touches/crosses).

    Each day is first clipped to the target's box grown by ``cap_km`` (one vectorised
    call), so the exact distances are cheap; farther than ``cap_km`` reads ``inf``.
    """
    g = np.asarray(geoms)
    x0, y0, x1, y1 = shapely.bounds(target)
    c = cap_km * 1000.0
    near = clip_box(g, x0 - c, y0 - c, x1 + c, y1 + c)
    d = shapely.distance(near, target) / 1000.0
    d = np.where(shapely.is_empty(near) | ~np.isfinite(d) | (d > cap_km), np.inf, d)
    return ProximitySeries(label, list(dates), d)


#: Names of the stretches of a line near a city, relative to the city's rear axis.
STRETCHES = ("toward the rear", "through the city", "toward the front")


def stretch_of(xy: np.ndarray, centre: tuple[float, float], rear_bearing_deg: float | None,
               city_radius_m: float) -> np.ndarray:
    """Stretch index (0 toward the rear, 1 through the city, 2 toward the front) of points
    (e.g. edge midpoints) near a city: within ``city_radius_m`` of the centre is "through
    the city"; beyond it, the side of the line across the rear axis (the bearing from the
    city to its rear hubs) decides. Without a rear axis everything outside the city is
    "toward the rear"."""
    d = np.asarray(xy, dtype=float).reshape(-1, 2) - np.asarray(centre, dtype=float)
    out = np.zeros(len(d), np.int64)
    if rear_bearing_deg is not None:
        t = np.radians(rear_bearing_deg)
        along = d @ np.array([np.sin(t), np.cos(t)])
        out[along < 0] = 2
    out[np.hypot(d[:, 0], d[:, 1]) <= city_radius_m] = 1
    return out


def rear_bearing(centre: tuple[float, float], hubs_xy: list[tuple[float, float]]
                 ) -> float | None:
    """The rear axis: bearing (degrees clockwise from grid north) from the city to its rear
    hubs, the circular mean of the bearings to each; None without hubs or when they
    cancel out."""
    from .encirclement import grid_bearing, mean_bearing

    return mean_bearing([grid_bearing(centre, h) for h in hubs_xy])
