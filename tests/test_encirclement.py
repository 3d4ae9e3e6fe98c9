"""Synthetic encirclement cases with answers known by hand (metric coordinates)."""

import numpy as np
import pytest
import shapely

from supplyline.core.encirclement import (
    ClearanceRaster,
    bearing_runs,
    compass8,
    corridor,
    describe_run,
    flanks,
    ring_occupancy,
)
from supplyline.core.exposure import HeldIndex, ThreatProfile

C = (500_000.0, 5_000_000.0)


def _sector(a0: float, a1: float, r_in: float, r_out: float):
    """Annular sector between bearings a0..a1 (clockwise from north), radii in metres."""
    th = np.radians(np.linspace(a0, a1, 200))
    outer = np.column_stack([C[0] + r_out * np.sin(th), C[1] + r_out * np.cos(th)])
    inner = np.column_stack([C[0] + r_in * np.sin(th), C[1] + r_in * np.cos(th)])[::-1]
    return shapely.Polygon(np.vstack([outer, inner]))


def test_ring_held_on_three_quarters_of_bearings():
    held = _sector(90, 360, 8_000, 40_000)  # held from E clockwise round to N
    rings = ring_occupancy(held, C, (10, 20, 30, 50))
    for r in rings[:3]:
        assert r.held_share == pytest.approx(0.75, abs=0.01)
        (a, b), = r.held_ranges
        assert a == pytest.approx(90, abs=1.5)
        assert b % 360 < 1.5 or b > 358.5  # ends at north
        assert "E to N" in r.description[0]
    assert rings[3].held_share == 0.0  # 50 km is beyond the sector
    # same answer from the KD-tree fast path
    fast = ring_occupancy(held, C, (10, 20), index=HeldIndex.build(held))
    assert [r.held_share for r in fast] == pytest.approx([r.held_share for r in rings[:2]],
                                                         abs=0.01)


def test_ring_band_shares_at_known_distance():
    held = shapely.box(C[0] + 12_000, C[1] - 100_000, C[0] + 100_000, C[1] + 100_000)
    r5, = ring_occupancy(held, C, (5,), ThreatProfile(), n_bearings=360)
    # every point of the 5 km circle is 7..17 km from the held half-plane x >= +12 km
    assert r5.held_share == 0
    assert r5.band_share["fpv"] + r5.band_share["tube"] == pytest.approx(1.0)
    assert r5.band_share["fpv"] > 0.5


def test_bearing_runs_wraps_around_north():
    flags = np.zeros(36, bool)
    flags[[34, 35, 0, 1, 2]] = True
    assert bearing_runs(flags, 10.0) == [(340.0, 20.0)]
    assert compass8(350) == "N" and compass8(100) == "E"
    assert describe_run(0.0, 360.0) == "held on all bearings"


def test_pincer_from_two_sides():
    held = shapely.union(_sector(120, 160, 6_000, 40_000), _sector(200, 240, 9_000, 40_000))
    f = flanks(held, C)
    assert f.pincer
    dirs = {a.direction for a in f.arms}
    assert {"SE", "SW"} <= dirs
    assert min(a.distance_km for a in f.arms) == pytest.approx(6.0, abs=0.2)
    one = flanks(_sector(120, 160, 6_000, 40_000), C)
    assert not one.pincer and len(one.arms) == 1


def test_corridor_of_known_width():
    # held blocks north and south of a 10 km wide gap running east-west: x in [-30, +30] km,
    # gap |y| < 5 km. The path from the city (west) to the rear (east) keeps <= 5 km.
    north = shapely.box(C[0] - 30_000, C[1] + 5_000, C[0] + 30_000, C[1] + 60_000)
    south = shapely.box(C[0] - 30_000, C[1] - 60_000, C[0] + 30_000, C[1] - 5_000)
    held = shapely.union(north, south)
    start = (C[0] - 45_000, C[1])
    rear = (C[0] + 45_000, C[1])
    c = corridor(held, start, [rear], resolution_m=250, margin_m=20_000)
    assert c.connected
    assert c.width_km == pytest.approx(5.0, abs=0.3)
    assert abs(c.narrowest_xy[1] - C[1]) < 1_000  # pinched in the middle of the gap
    assert C[0] - 31_000 < c.narrowest_xy[0] < C[0] + 31_000
    r = ClearanceRaster.build(held, (C[0] - 70_000, C[1] - 70_000, C[0] + 70_000,
                                     C[1] + 70_000), resolution_m=500)
    assert r.corridor(start, [rear])[0] == pytest.approx(5.0, abs=0.75)
    # closing the gap cuts the corridor
    closed = shapely.union(held, shapely.box(C[0] - 1_000, C[1] - 6_000, C[0] + 1_000,
                                             C[1] + 6_000))
    assert corridor(closed, start, [rear], resolution_m=250).width_km == 0.0 or \
        not corridor(closed, start, [rear], resolution_m=250).connected


def test_raster_updated_around_changes_equals_a_fresh_raster():
    """ClearanceRaster.updated rebuilds only windows around the changed boxes; every
    cell must equal a raster built from scratch on the new ground."""
    from supplyline.core.encirclement import ClearanceRaster
    from supplyline.data.control import changed_boxes

    box = (0.0, 0.0, 400_000.0, 300_000.0)
    a = shapely.MultiPolygon([shapely.box(50_000, 50_000, 120_000, 250_000),
                              shapely.box(300_000, 100_000, 330_000, 140_000)])
    old = ClearanceRaster.build(a, box, 1000.0)
    # the west area advances in one place, a new area appears in the east, a far one
    # is given up, and a hole opens: all changes of the outline or of whole rings
    b = shapely.MultiPolygon([
        shapely.Polygon([(50_000, 50_000), (120_000, 50_000), (131_700, 150_300),
                         (120_000, 250_000), (50_000, 250_000)],
                        [[(60_000, 60_000), (70_000, 60_000), (70_000, 70_000)]]),
        shapely.box(360_000, 20_000, 380_000, 60_000)])
    changed = changed_boxes(a, b)
    up = old.updated(b, changed, max_share=1.0)
    fresh = ClearanceRaster.build(b, box, 1000.0)
    assert up.origin == fresh.origin
    np.testing.assert_array_equal(up.clear, fresh.clear)
    assert not np.array_equal(old.clear, fresh.clear)
    # nothing changed: the same cells; an unknown change: built whole
    np.testing.assert_array_equal(old.updated(a, np.empty((0, 4))).clear, old.clear)
    whole = old.updated(b, changed_boxes(None, b))
    np.testing.assert_array_equal(whole.clear, fresh.clear)


@pytest.mark.realdata
def test_raster_updated_day_by_day_equals_fresh_rasters(ws):
    from supplyline.analysis.figures import day_grey, hostile_parts
    from supplyline.core.encirclement import ClearanceRaster
    from supplyline.data.control import changed_boxes

    hist = ws.history
    i0 = hist.index_on("2025-06-01")[0]
    box = (400_000.0, 5_200_000.0, 800_000.0, 5_550_000.0)
    prev = prev_held = prev_grey = None
    for i in range(i0, i0 + 6):
        held = ws.held(hist.dates[i])
        grey = day_grey(ws, held, ws.options)
        parts = hostile_parts(ws, held.geometry, ws.options, grey)
        fresh = ClearanceRaster.build(parts, box, 1000.0)
        if prev is not None:
            ch = changed_boxes(prev_held, held.geometry)
            if (grey is None) != (prev_grey is None):
                ch = changed_boxes(None, held.geometry)
            elif grey is not None:
                ch = np.vstack([ch, changed_boxes(prev_grey, grey)])
            up = prev.updated(parts, ch)
            np.testing.assert_array_equal(up.clear, fresh.clear)
        prev, prev_held, prev_grey = fresh, held.geometry, grey
