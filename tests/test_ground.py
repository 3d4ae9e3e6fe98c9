"""Hostile ground made of several parts (held territory, grey zone, the other side of the
state border): distances and inside tests are those of their union, without computing it."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from supplyline.analysis import queries
from supplyline.analysis.figures import DayGround
from supplyline.analysis.options import DEFAULT_OPTIONS
from supplyline.core.encirclement import ClearanceRaster, rasterize
from supplyline.core.exposure import HeldIndex

X0, Y0 = 500_000.0, 5_300_000.0
HELD = box(X0, Y0, X0 + 10_000, Y0 + 10_000)  # 10 km square
GREY = box(X0 + 9_000, Y0, X0 + 12_000, Y0 + 10_000)  # overlaps the held square by 1 km
SIDE = box(X0 - 30_000, Y0, X0 - 20_000, Y0 + 10_000)  # another part, 20 km west


def test_parts_answer_for_their_union():
    idx = HeldIndex.build([HELD, GREY, SIDE])
    union = shapely.union_all([HELD, GREY, SIDE])
    pts = np.array([[X0 + 15_000, Y0 + 5_000],   # 3 km east of the grey zone
                    [X0 - 10_000, Y0 + 5_000],   # 10 km from held (east), 10 km from side
                    [X0 + 9_500, Y0 + 5_000],    # in the overlap
                    [X0 + 11_000, Y0 + 5_000],   # in the grey zone only
                    [X0 + 5_000, Y0 + 20_000]])  # 10 km north
    d, inside = idx.point_clearance(pts)
    exact = shapely.distance(shapely.points(pts), union)
    assert np.allclose(d, exact)
    assert list(d.round()) == [3000, 10000, 0, 0, 10000]
    assert list(inside) == [False, False, True, True, False]
    assert list(idx.inside(pts)) == [False, False, True, True, False]
    fast, fin = idx.fast_point_clearance(pts)
    assert np.all(fast >= exact - 1e-6) and np.all(fast <= exact + 60) and (fin == inside).all()
    lines = shapely.linestrings([[(X0 + 11_500, Y0 - 1000), (X0 + 11_500, Y0 + 1000)],
                                 [(X0 + 13_000, Y0 - 1000), (X0 + 13_000, Y0 + 1000)]])
    assert list(idx.intersects(lines)) == [True, False]


def test_held_facts_ignore_the_other_parts():
    idx = HeldIndex.build([HELD, GREY, SIDE])
    g = DayGround(HELD, idx, parts=(HELD, GREY, SIDE))
    pts = np.array([[X0 + 15_000, Y0 + 5_000], [X0 + 11_000, Y0 + 5_000]])
    d, inside = g.held_distance(pts)
    assert list(d.round()) == [5000, 1000] and not inside.any()  # grey is not held


def test_rasterize_ors_the_parts():
    # a hole in one part must not erase another part drawn over it
    # (cells the outline touches count as covered: checks keep a cell away from edges)
    ring = shapely.Polygon([(0, 0), (10_000, 0), (10_000, 10_000), (0, 10_000)],
                           [[(2000, 2000), (8000, 2000), (8000, 8000), (2000, 8000)]])
    inner = box(4000, 4000, 6000, 6000)
    both = rasterize([ring, inner], (0.0, 0.0), 1000.0, (10, 10))
    alone = rasterize([ring], (0.0, 0.0), 1000.0, (10, 10))
    assert both[5, 5] and not alone[5, 5]  # the inner part survives the ring's hole
    assert both[0, 0] and not both[2, 6]  # the ring itself, and its hole elsewhere
    r = ClearanceRaster.build([ring, inner], (-20_000, -20_000, 30_000, 30_000), 1000.0)
    assert r.held_at(np.array([[5500.0, 5500.0], [6500.0, 2500.0]])).tolist() == [True, False]


@pytest.mark.realdata
def test_state_border_counts_as_the_front_by_default(ws):
    on = queries.status(ws, "Kharkiv", "2025-06-01")
    off = queries.status(ws, "Kharkiv", "2025-06-01",
                         options=DEFAULT_OPTIONS.with_(border_hostile=False))
    # Kharkiv lies ~30-35 km from the Russian border
    assert 25 < on.distance_to_front_km < 40
    assert off.distance_to_front_km >= on.distance_to_front_km
    assert on.distance_to_held_km == off.distance_to_held_km
    assert "state border" in on.method["measured_from"]
    assert "state border" not in off.method["measured_from"]
    # far from the border (Pokrovsk) the two agree
    a = queries.status(ws, "Pokrovsk", "2025-06-01").distance_to_front_km
    b = queries.status(ws, "Pokrovsk", "2025-06-01",
                       options=DEFAULT_OPTIONS.with_(border_hostile=False)).distance_to_front_km
    assert a == b


@pytest.mark.realdata
def test_border_city_is_exposed_only_with_the_border(ws):
    # Sumy: no held territory within ~20 km in mid 2024, the border ~27 km away
    on = queries.status(ws, "Sumy", "2024-08-01")
    off = queries.status(ws, "Sumy", "2024-08-01",
                         options=DEFAULT_OPTIONS.with_(border_hostile=False))
    assert on.distance_to_front_km < 35
    assert off.distance_to_front_km > on.distance_to_front_km + 20
    assert on.centre_band in ("tube", "rocket")
