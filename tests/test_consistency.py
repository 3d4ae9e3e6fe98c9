"""One definition per figure: a stored timeline row equals the on-demand query, field by
field, for (city, date) pairs drawn with a fixed seed from the near-front sweep.

The timeline computes incrementally (carrying cities over, keeping routes and corridors
whose inputs did not change); the queries compute each city-date from scratch through
the same figure functions. Any difference is a bug in one of the shortcuts or a second
definition of a figure.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from supplyline.analysis import queries
from supplyline.analysis.timeline import compute_timeline, near_front_cities

pytestmark = pytest.mark.realdata

WINDOWS = 6  # stretches of the history, each with its own cities
WINDOW_DAYS = 12
CITIES_PER_WINDOW = 3
PAIRS_PER_WINDOW = 10  # 60 pairs in all


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if isinstance(a, float | np.floating) and isinstance(b, float | int):
        return abs(float(a) - float(b)) <= 1e-9
    return a == b


def _expected_day(ws, city_id: str, day) -> tuple[dict, dict]:
    s = queries.status(ws, city_id, day)
    e = queries.encirclement(ws, city_id, day)
    row = {"distance_to_held_km": s.distance_to_held_km, "centre_held": s.centre_held,
           "distance_to_front_km": s.distance_to_front_km,
           "hubs": ";".join(h.hub.id for h in s.hubs),
           f"held_area_{e.held_area_radius_km:g}km_km2": e.held_area_km2,
           "corridor_width_km": e.corridor_width_km if s.hubs else None}
    for r in e.rings:
        row[f"ring_held_share_{r.radius_km:g}km"] = r.held_share
    routes = {}
    for mode, m in s.modes.items():
        if m.error:
            continue
        row[f"{mode}_status"] = m.status
        row[f"{mode}_best_min_clearance_km"] = m.best_min_clearance_km
        row[f"{mode}_disjoint_routes"] = m.disjoint_routes
        assert list(m.disjoint_routes_by_band) == ["held", "contact", "fpv", "tube", "rocket"]
        for band, n in m.disjoint_routes_by_band.items():
            row[f"{mode}_disjoint_routes_beyond_{band}"] = n
        for h in m.hubs:
            routes[(mode, h.hub.id)] = {
                "status": h.status, "safest_length_km": h.safest_length_km,
                "safest_min_clearance_km": h.safest_min_clearance_km,
                "safest_length_limit_km": h.safest_length_limit_km,
                "peacetime_length_km": h.peacetime_length_km,
                "peacetime_status": h.peacetime_status,
                "peacetime_min_clearance_km": h.peacetime_min_clearance_km}
    return row, routes


def test_stored_timeline_rows_equal_queries(ws):
    rng = np.random.default_rng(20261129)
    cities = near_front_cities(ws)
    assert len(cities) >= 20
    dates = ws.history.dates
    starts = rng.choice(len(dates) - WINDOW_DAYS, size=WINDOWS, replace=False)
    checked, diffs = 0, []
    for s in sorted(starts.tolist()):
        chosen = list(rng.choice(cities, size=CITIES_PER_WINDOW, replace=False))
        tl = compute_timeline(ws, chosen, dates[s], dates[s + WINDOW_DAYS - 1],
                              use_cache=False)
        days = tl.days[~tl.days["data_missing"].astype(bool)]
        sample = days.iloc[rng.choice(len(days), size=PAIRS_PER_WINDOW, replace=False)]
        for _, row in sample.iterrows():
            day = row["date"].date()
            exp_row, exp_routes = _expected_day(ws, row["city_id"], day)
            for k, v in exp_row.items():
                got = row.get(k)
                if not _same(got, v):
                    diffs.append((row["city"], str(day), k, got, v))
            rr = tl.routes[(tl.routes["city_id"] == row["city_id"])
                           & (tl.routes["date"] == row["date"])] if len(tl.routes) else []
            got_routes = {(r["mode"], r["hub_id"]): r for r in
                          (rr.to_dict("records") if len(rr) else [])}
            assert set(got_routes) == set(exp_routes), (row["city"], day)
            for key, fields in exp_routes.items():
                for k, v in fields.items():
                    got = got_routes[key][k]
                    if isinstance(got, float) and pd.isna(got):
                        got = None
                    if not _same(got, v):
                        diffs.append((row["city"], str(day), f"{key} {k}", got, v))
            checked += 1
    assert checked == WINDOWS * PAIRS_PER_WINDOW
    assert not diffs, diffs[:20]
