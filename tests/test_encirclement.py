"""Synthetic encirclement cases with answers known by hand (metric coordinates)."""

import numpy as np
import pytest
import shapely
import shapely.affinity

from supplyline.core.encirclement import (
    ClearanceRaster,
    approaches,
    bearing_runs,
    compass8,
    corridor,
    describe_run,
    flanks,
    grid_bearing,
    mean_bearing,
    pocket,
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


def test_approaches_from_two_sides():
    held = shapely.union(_sector(120, 160, 6_000, 40_000), _sector(200, 240, 9_000, 40_000))
    apps = approaches(held, C)
    assert {"SE", "SW"} <= {a.direction for a in apps}
    assert apps[0].distance_km == pytest.approx(6.0, abs=0.2)  # nearest first
    assert len(approaches(_sector(120, 160, 6_000, 40_000), C)) == 1


def _rot(geom, deg):
    """``geom`` turned ``deg`` degrees clockwise about the centre C."""
    return shapely.affinity.rotate(geom, -deg, origin=C)


# a continuous held horseshoe from bearing 60 clockwise through south to 300, 8-40 km from
# the centre, rear axis due north: one arm either side of the axis, both tips at the inner
# end of the horseshoe, 8 km from the centre at 60 degrees off the axis:
# from the axis 8 sin 60 = 6.928 km, behind the city 8 cos 60 = 4 km; gap 2 x 6.928 km
HORSESHOE = _sector(60, 300, 8_000, 40_000)


@pytest.mark.parametrize("turn", [0.0, 137.0, 251.5])
def test_continuous_arc_gives_two_arms_and_a_pincer(turn):
    f = flanks(_rot(HORSESHOE, turn), C, turn)
    assert f.pincer and [a.side for a in f.arms] == ["left", "right"]
    for a in f.arms:
        assert a.from_axis_km == pytest.approx(6.928, abs=0.01)
        assert a.along_km == pytest.approx(4.0, abs=0.01)
        assert a.from_city_km == pytest.approx(8.0, abs=0.01)
        assert a.reach_km == pytest.approx(25 * 0.5, abs=0.05)  # 60 deg off at the 25 km edge
        assert not a.at_limit
    left, right = f.arms
    assert left.bearing_deg == pytest.approx((300 + turn) % 360, abs=0.1)
    assert right.bearing_deg == pytest.approx((60 + turn) % 360, abs=0.1)
    assert f.gap_km == pytest.approx(13.856, abs=0.01)
    assert f.axis_held_km is None
    assert f.rear_bearing_deg == pytest.approx(turn % 360, abs=0.1)
    assert "pincer, gap 13.9 km" in f.description


def test_one_sided_arc_gives_one_arm():
    f = flanks(_sector(60, 200, 8_000, 40_000), C, 0.0)
    (a,) = f.arms
    assert a.side == "right" and not f.pincer and f.gap_km is None
    assert a.from_axis_km == pytest.approx(6.928, abs=0.01)


def test_straight_front_ahead_has_no_arms():
    # held south of y = -5 km, rear due north: nothing level with or behind the city
    held = shapely.box(C[0] - 60_000, C[1] - 60_000, C[0] + 60_000, C[1] - 5_000)
    f = flanks(held, C, 0.0)
    assert f.arms == [] and not f.pincer
    assert "no held ground level with or behind the city" in f.description


def test_oblique_front_is_a_flank_on_one_side():
    # held beyond the line y = x - 5 sqrt(2) km (5 km south-east of the centre), rear north:
    # on the right the held ground reaches level with the city at x = 5 sqrt(2) = 7.071 km
    # and rises along the line to where it meets the 25 km circle:
    # x^2 + (x - 7.071)^2 = 625 -> x = 20.864, y = 13.793
    k = 5_000 * np.sqrt(2)
    held = shapely.Polygon([(C[0] + k - 80_000, C[1] - 80_000), (C[0] + k + 80_000,
                            C[1] + 80_000), (C[0] + 80_000, C[1] - 80_000)])
    f = flanks(held, C, 0.0)
    (a,) = f.arms
    assert a.side == "right" and not f.pincer
    assert a.from_axis_km == pytest.approx(7.071, abs=0.01)
    assert a.along_km == pytest.approx(0.0, abs=0.01)
    assert a.reach_km == pytest.approx(13.79, abs=0.05)


def test_held_ground_across_the_rear_axis():
    held = shapely.box(C[0] - 3_000, C[1] + 10_000, C[0] + 3_000, C[1] + 12_000)
    f = flanks(held, C, 0.0)
    assert f.pincer and f.gap_km == 0.0 and f.axis_held_km == pytest.approx(10.0, abs=0.01)
    assert all(a.from_axis_km == 0.0 and a.along_km == pytest.approx(12.0) for a in f.arms)
    assert "the arms meet across the rear axis" in f.description
    assert flanks(shapely.buffer(shapely.points(*C), 1_000), C, 0.0).description == \
        "city centre is held"


def test_arm_tip_at_the_edge_of_the_disc():
    # held only beyond 30 km on the right: outside the 25 km disc, no arm; with a 40 km
    # disc the arm's tip is where the held box starts
    held = shapely.box(C[0] + 30_000, C[1], C[0] + 60_000, C[1] + 40_000)
    assert flanks(held, C, 0.0).arms == []
    (a,) = flanks(held, C, 0.0, radius_km=40).arms
    assert a.from_axis_km == pytest.approx(30.0) and a.along_km == pytest.approx(26.46, abs=0.05)
    assert a.at_limit  # the rearmost point of the box edge inside 40 km lies on the circle


def test_mean_bearing_is_circular():
    assert mean_bearing([350, 10]) == pytest.approx(0.0, abs=1e-9) or \
        mean_bearing([350, 10]) == pytest.approx(360.0, abs=1e-9)
    assert mean_bearing([80, 100, 90]) == pytest.approx(90.0)
    assert mean_bearing([90, 270]) is None and mean_bearing([]) is None
    assert grid_bearing(C, (C[0] - 1, C[1])) == pytest.approx(270.0)


# ------------------------------------------------------------------------------ pockets

BIG = shapely.box(C[0] - 60_000, C[1] - 60_000, C[0] + 60_000, C[1] + 60_000)


def _open(*parts):
    """Held territory: everything near the city but the given open parts."""
    return shapely.difference(BIG, shapely.union_all(parts))


def _disc(r_m, dx=0.0, dy=0.0):
    return shapely.buffer(shapely.points(C[0] + dx, C[1] + dy), r_m, quad_segs=64)


def _strip(x0, x1, y0, y1):
    return shapely.box(C[0] + x0, C[1] + y0, C[0] + x1, C[1] + y1)


def test_pocket_wider_than_its_neck():
    # an open disc of 8 km round the city, left only by a 4 km wide strip running north
    # out of the 30 km circle: a neck 4 km wide where the strip leaves the disc, cutting
    # off the disc (pi 8^2 = 201 km2, room 8 km)
    p = pocket(_open(_disc(8_000), _strip(-2_000, 2_000, 0, 50_000)), C)
    assert p.pocket and not p.closed
    assert p.neck_width_km == pytest.approx(4.0, abs=0.5)
    assert p.way_out_width_km == pytest.approx(4.0, abs=0.5)
    assert p.area_km2 == pytest.approx(201, rel=0.1)
    assert p.room_km == pytest.approx(8.0, abs=0.5)
    assert abs(p.neck_xy[0] - C[0]) < 1_000 and 6_000 < p.neck_xy[1] - C[1] < 10_000
    assert p.thresholds["neck_max_km"] == 10.0


def test_wide_neck_is_not_a_pocket():
    # the same with a 14 km wide strip: the neck is wider than 10 km
    p = pocket(_open(_disc(8_000), _strip(-7_000, 7_000, 0, 50_000)), C)
    assert not p.pocket and p.neck_width_km == pytest.approx(14.0, abs=0.5)
    assert "(> 10 km)" in p.reason


def test_city_on_a_straight_front_is_not_a_pocket():
    # held south of y = -3 km: the way out is narrowest at the city itself (6 km), with
    # held ground on one side only
    held = shapely.box(C[0] - 60_000, C[1] - 60_000, C[0] + 60_000, C[1] - 3_000)
    p = pocket(held, C)
    assert not p.pocket and p.neck_width_km is None and p.area_km2 is None
    assert p.way_out_width_km == pytest.approx(6.0, abs=0.5)
    assert p.reason.startswith("no neck: no narrowing of the way out up to 30 km wide")


def test_sack_of_even_width_with_the_city_at_its_end():
    # open only a 6 km wide strip from 5 km south of the city northwards out of the circle
    p = pocket(_open(_strip(-3_000, 3_000, -5_000, 50_000)), C)
    assert p.pocket and p.neck_width_km == pytest.approx(6.0, abs=0.5)
    assert p.area_km2 > 6 * 5  # at least the strip's end behind the city


def test_closed_ring_and_held_city():
    held = shapely.difference(BIG, _disc(5_000))
    p = pocket(held, C)
    assert p.pocket and p.closed and p.neck_width_km == 0.0
    p = pocket(BIG, C, start_radius_m=2_000)
    assert not p.pocket and p.reason == "the city's cells are all held"
    # centre held, but open ground in the city's disc: the test starts from there
    held = shapely.difference(BIG, shapely.union(_disc(8_000, dx=2_000),
                                                 _strip(0, 4_000, 0, 50_000)))
    held = shapely.union(held, _disc(1_000))
    assert pocket(held, C, start_radius_m=3_000).pocket


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


# ---------------------------------------------------------------------------- real data

@pytest.mark.realdata
def test_real_pokrovsk_pincer_in_autumn_2025(ws):
    from supplyline.analysis.queries import encirclement

    r = encirclement(ws, "Pokrovsk", "2025-10-15")
    f = r.flanks
    # rear hubs west and north-north-east: the rear axis points north-west
    assert 290 < f.rear_bearing_deg < 330 and f.rear_direction == "NW"
    assert f.pincer and [a.side for a in f.arms] == ["left", "right"]
    left, right = f.arms
    assert left.direction in ("SW", "W") and right.direction in ("N", "NE")
    for a in f.arms:
        assert 0 <= a.from_axis_km <= a.from_city_km <= f.radius_km
        assert 0 <= a.behind_km <= a.reach_km + 1e-6
    assert 5 < f.gap_km < 20 and len(f.gap) == 2
    assert not f.pocket.pocket and f.pocket.neck_width_km > 10  # the neck is still wide
    d = r.to_dict()["flanks"]
    assert d["arms"][0]["tip"]["near"] and d["pocket"]["thresholds"]["neck_max_km"] == 10


@pytest.mark.realdata
def test_real_myrnohrad_pocket_forms_in_november_2025(ws):
    from supplyline.analysis.queries import encirclement

    before = encirclement(ws, "Myrnohrad", "2025-08-15").flanks.pocket
    assert not before.pocket and before.neck_width_km > 10
    p = encirclement(ws, "Myrnohrad", "2025-12-01").flanks.pocket
    assert p.pocket and not p.closed
    assert p.way_out_width_km <= p.neck_width_km <= 10
    assert p.area_km2 >= np.pi * (p.neck_width_km / 2) ** 2
    assert "Svitle" in p.neck.near  # the neck north-west of Myrnohrad


@pytest.mark.realdata
@pytest.mark.parametrize("city,date", [
    ("Pokrovsk", "2025-01-15"), ("Myrnohrad", "2025-11-15"), ("Kurakhove", "2024-11-20"),
    ("Vuhledar", "2024-09-20"), ("Kupiansk", "2025-10-01"), ("Kostiantynivka", "2025-10-15"),
    ("Huliaipole", "2025-12-15"), ("Kramatorsk", "2025-10-15")])
def test_real_flank_and_pocket_figures_are_consistent(ws, city, date):
    from supplyline.analysis.queries import city_day, encirclement
    from supplyline.core.encirclement import flanks as flanks_of

    r = encirclement(ws, city, date)
    f = r.flanks
    held = city_day(ws, city, date).held.geometry
    raw = flanks_of(held, r.centre_xy, f.rear_bearing_deg)
    for a, arm in zip(raw.arms, f.arms, strict=True):
        assert shapely.distance(shapely.points(*a.tip_xy), held) < 1.0  # the tip is held
        assert arm.from_axis_km <= arm.from_city_km + 1e-6
        assert arm.behind_km <= arm.reach_km + 1e-6
        assert arm.from_city_km <= f.radius_km + 1e-6
    assert f.pincer == (len(f.arms) == 2)
    if f.pincer:  # the gap is no longer than the distance between the two tips
        a, b = raw.arms
        assert f.gap_km <= np.hypot(*np.subtract(a.tip_xy, b.tip_xy)) / 1000 + 0.01
    p = f.pocket
    if p.neck_width_km is not None:
        assert p.neck_width_km >= p.way_out_width_km - 2 * p.thresholds["resolution_km"]
    if p.pocket:
        assert p.closed or p.neck_width_km <= p.thresholds["neck_max_km"]
    if city == "Kramatorsk":  # far from the front on every side
        assert f.arms == [] and not p.pocket


@pytest.mark.realdata
def test_real_encirclement_command_shows_arms_and_pocket(shared_data):
    from conftest import run_cli

    r = run_cli("encirclement", "Myrnohrad", "--date", "2025-12-01", data=shared_data)
    assert r.returncode == 0, r.stderr
    assert "Flank arms" in r.stdout and "pincer" in r.stdout
    assert "pocket" in r.stdout and "neck" in r.stdout
