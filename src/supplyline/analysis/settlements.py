"""Population in held territory and in each threat band: the workspace side of
:mod:`supplyline.core.settlements`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from ..core.exposure import ThreatProfile
from ..core.settlements import (
    POPULATION_SOURCE,
    band_table,
    band_transitions,
    largest_rows,
    place_status,
)
from ..data.control import parse_date
from ..errors import PlaceNotFoundError, SupplylineError

if TYPE_CHECKING:  # pragma: no cover
    from .context import Workspace


# --------------------------------------------------------------------------- workspace helpers

@dataclass
class Selection:
    """The GeoNames places an analysis covers and how they were chosen."""

    places: pd.DataFrame  # name, lon, lat, population, x, y (metric), oblast
    area: dict

    @property
    def xy(self) -> np.ndarray:
        return self.places[["x", "y"]].to_numpy(dtype=float)

    @property
    def population(self) -> np.ndarray:
        return self.places["population"].to_numpy(dtype=np.int64)


def select_places(ws: Workspace, *, oblast: str | None = None, city: str | None = None,
                  radius_km: float = 50.0) -> Selection:
    """GeoNames places of an oblast, or within ``radius_km`` of a city (or both: in the
    oblast and within the radius; neither: every GeoNames place of the gazetteer)."""
    g = ws.gazetteer
    g.xy  # noqa: B018  (makes sure the metric x / y columns exist)
    pl = g.places
    sel = (pl["source"] == "geonames").to_numpy().copy()
    area: dict = {}
    if oblast is not None:
        o = g.oblast(oblast)
        if "oblast" in pl:
            sel = sel & (pl["oblast"] == o.name_en).to_numpy()
        else:  # gazetteer without oblast columns: test the points
            sel = sel & shapely.contains_xy(o.geometry, pl["x"].to_numpy(), pl["y"].to_numpy())
        area["oblast"] = o.name_en
    if city is not None:
        if not np.isfinite(radius_km) or radius_km <= 0:
            raise SupplylineError(f"radius {radius_km!r} km: expected a positive number")
        p = ws.find(city).place
        d = np.hypot(pl["x"].to_numpy() - p.xy[0], pl["y"].to_numpy() - p.xy[1])
        sel = sel & (d <= radius_km * 1000)
        area.update({"city": p.name, "radius_km": float(radius_km)})
    if not area:
        area["all"] = "every GeoNames place of the gazetteer"
    cols = [c for c in ("ident", "name", "name_uk", "lon", "lat", "population", "x", "y",
                        "oblast", "source") if c in pl]
    return Selection(pl.loc[sel, cols].reset_index(drop=True), area)


def _held(ws: Workspace, date: str | dt.date):
    return ws.history.held(parse_date(date))


def _header(held) -> dict:
    return {"date": str(held.requested), "data_date": str(held.date),
            "data_exact": bool(held.exact)}


def _status(ws: Workspace, sel: Selection, held) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return place_status(held.geometry, sel.xy, ws.profile)


def largest_not_held(ws: Workspace, oblast: str | None, date: str | dt.date, n: int = 10, *,
                     city: str | None = None, radius_km: float = 50.0) -> dict:
    """The ``n`` largest GeoNames places of ``oblast`` not in held territory on ``date``,
    with distance to held territory (km) and threat band, and how many places / how much
    population of the oblast is held. ``city`` / ``radius_km`` narrow (or replace, with
    ``oblast=None``) the area as in :func:`select_places`.
    """
    if oblast is None and city is None:
        raise PlaceNotFoundError("largest_not_held: name an oblast (or a city and radius)")
    if int(n) < 0:
        raise SupplylineError(f"n={n!r}: expected a non-negative count")
    sel = select_places(ws, oblast=oblast, city=city, radius_km=radius_km)
    held = _held(ws, date)
    dist, inside, band = _status(ws, sel, held)
    return _largest_dict(sel, held, dist, inside, band, ws.profile, n)


def _largest_dict(sel: Selection, held, dist, inside, band, profile, n) -> dict:
    pop = sel.population
    total = int(pop.sum())
    held_pop = int(pop[inside].sum())
    return {
        **sel.area, **_header(held),
        "places": int(len(pop)), "population": total,
        "held_places": int(inside.sum()), "held_population": held_pop,
        "held_share_places": round(float(inside.mean()), 4) if len(pop) else 0.0,
        "held_share_population": round(held_pop / total, 4) if total else 0.0,
        "largest_not_held": largest_rows(sel.places, dist, inside, band, profile, n),
        "population_source": POPULATION_SOURCE,
    }


def population_by_band(ws: Workspace, date: str | dt.date, *, oblast: str | None = None,
                       city: str | None = None, radius_km: float = 50.0) -> dict:
    """GeoNames population in held territory, in each threat band and beyond on ``date``,
    in an oblast or within ``radius_km`` of a city.

    ``by_band`` has places / population / share per class (held, bands..., beyond);
    ``within_km_not_held[band]`` is the cumulative population not held but within that
    band's limit of held territory (e.g. ``fpv``: within 15 km).
    """
    sel = select_places(ws, oblast=oblast, city=city, radius_km=radius_km)
    held = _held(ws, date)
    _, _, band = _status(ws, sel, held)
    return _bands_dict(sel, held, band, ws.profile)


def _bands_dict(sel: Selection, held, band, profile: ThreatProfile) -> dict:
    table = band_table(sel.population, band, profile)
    pops = [table[b.name]["population"] for b in profile.bands]
    plc = [table[b.name]["places"] for b in profile.bands]
    within = {b.name: {"max_km": float(b.max_km), "places": int(sum(plc[: i + 1])),
                       "population": int(sum(pops[: i + 1]))}
              for i, b in enumerate(profile.bands)}
    return {
        **sel.area, **_header(held),
        "places": int(len(sel.places)), "population": int(sel.population.sum()),
        "held_share": table["held"]["share"],
        "band_limits_km": {b.name: float(b.max_km) for b in profile.bands},
        "by_band": table,
        "within_km_not_held": within,
        "population_source": POPULATION_SOURCE,
    }


def settlements_change(ws: Workspace, start: str | dt.date, end: str | dt.date, *,
                       oblast: str | None = None, city: str | None = None,
                       radius_km: float = 50.0, n: int = 10) -> dict:
    """:func:`population_by_band` (and, for an oblast or city, :func:`largest_not_held`) at
    ``start`` and ``end``, with the differences: places newly held (and no longer held),
    the population change of each class and the population that moved into each."""
    d0, d1 = parse_date(start), parse_date(end)
    if d1 < d0:
        raise SupplylineError(f"dates {d0} .. {d1}: the end is before the start")
    sel = select_places(ws, oblast=oblast, city=city, radius_km=radius_km)
    h0, h1 = _held(ws, d0), _held(ws, d1)
    prof = ws.profile
    s0 = _status(ws, sel, h0)
    s1 = _status(ws, sel, h1)
    pop = sel.population
    out: dict = {**sel.area, "start": _bands_dict(sel, h0, s0[2], prof),
                 "end": _bands_dict(sel, h1, s1[2], prof)}
    if oblast is not None or city is not None:
        out["start"]["largest_not_held"] = largest_rows(sel.places, *s0, prof, n)
        out["end"]["largest_not_held"] = largest_rows(sel.places, *s1, prof, n)
    out["held_share_change"] = round(out["end"]["held_share"] - out["start"]["held_share"], 4)
    out.update(band_transitions(pop, s0[2], s1[2], prof))
    out["newly_held"] = _listed(sel.places, s1[1] & ~s0[1])
    out["no_longer_held"] = _listed(sel.places, s0[1] & ~s1[1])
    out["population_source"] = POPULATION_SOURCE
    return out


def _listed(places: pd.DataFrame, mask: np.ndarray) -> dict:
    sub = places[mask].sort_values("population", ascending=False, kind="stable")
    return {"places": int(len(sub)), "population": int(sub["population"].sum()),
            "names": [{"name": str(r.name), "population": int(r.population)}
                      for r in sub[["name", "population"]].itertuples(index=False)]}
