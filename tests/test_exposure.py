"""Unit tests for supplyline.core.exposure: threat profiles and clearance from held territory."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from supplyline.core.exposure import ExposureCache, HeldIndex, ThreatProfile
from supplyline.crs import METRIC_CRS
from supplyline.data.network import BuildParams, build_network
from supplyline.errors import DataFormatError
from supplyline.io.loaders import LINE_COLUMNS

SQUARE = box(0, 0, 1000, 1000)  # held territory: a 1 km square at the origin (metres)


def make_net(*coords_list):
    """A network with one edge per line (lines far enough apart to stay separate)."""
    rows = []
    for _ in coords_list:
        row = dict.fromkeys(LINE_COLUMNS, "")
        row["mode"] = "road"
        rows.append(row)
    gdf = gpd.GeoDataFrame(rows, columns=LINE_COLUMNS,
                           geometry=[LineString(c) for c in coords_list], crs=METRIC_CRS)
    net = build_network(gdf, "road", BuildParams(max_edge_m=1_000_000))
    assert len(net.edges) == len(coords_list)
    return net


def edge_index(net, coords) -> int:
    """Edge id of the edge built from the line ``coords`` (edges keep input order here)."""
    target = LineString(coords)
    hits = [i for i, g in enumerate(net.geoms) if g.equals(target)]
    assert len(hits) == 1
    return hits[0]


# --------------------------------------------------------------------------- ThreatProfile

def test_default_profile():
    p = ThreatProfile()
    assert p.names == ["held", "contact", "fpv", "tube", "rocket", "beyond"]
    assert [b.max_km for b in p.bands] == [3, 15, 25, 45]
    assert p.threshold_m("contact") == 3000
    assert p.threshold_m("fpv") == 15000
    assert p.threshold_m("rocket") == 45000
    assert p.max_m == 45000
    assert [d["name"] for d in p.as_dict()] == ["contact", "fpv", "tube", "rocket"]
    with pytest.raises(DataFormatError):
        p.threshold_m("mortar")


def test_parse():
    p = ThreatProfile.parse("a=1,b=2")
    assert p.names == ["held", "a", "b", "beyond"]
    assert p.threshold_m("a") == 1000 and p.threshold_m("b") == 2000
    # whitespace, decimals and a trailing comma are fine
    p = ThreatProfile.parse(" near = 0.5 , far=12.5, ")
    assert [(b.name, b.max_km) for b in p.bands] == [("near", 0.5), ("far", 12.5)]


@pytest.mark.parametrize(
    "spec",
    [
        "a=2,b=1",  # decreasing
        "a=1,b=1",  # not strictly increasing
        "a=0",  # not positive
        "a=-3",
        "a=1,a=2",  # duplicate names
        "held=1",  # reserved name
        "beyond=1",
        "a",  # no '='
        "a=x",  # not a number
        "",  # no bands
        "a=nan",  # not finite
        "a=1,b=inf",
    ],
)
def test_parse_rejects_bad_specs(spec):
    with pytest.raises(DataFormatError):
        ThreatProfile.parse(spec)


def test_load_toml(tmp_path):
    f = tmp_path / "profile.toml"
    f.write_text(
        '[[band]]\nname = "contact"\nmax_km = 2\nnote = "close"\n\n'
        '[[band]]\nname = "drones"\nmax_km = 20\n'
    )
    p = ThreatProfile.load(f)
    assert p.names == ["held", "contact", "drones", "beyond"]
    assert p.bands[0].note == "close"
    assert p.max_m == 20000


def test_load_json_with_bands_key(tmp_path):
    f = tmp_path / "profile.json"
    f.write_text(json.dumps({"bands": [{"name": "x", "max_km": 1}, {"name": "y", "max_km": 4}]}))
    assert ThreatProfile.load(f).names == ["held", "x", "y", "beyond"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("p.toml", "[[band]]\nname = 'a'\n"),  # no max_km
        ("p.toml", "[[band]]\nname = 'a'\nmax_km = 'far'\n"),  # not numeric
        ("p.toml", "this is = not [toml"),
        ("p.toml", "title = 'no bands'\n"),
        ("p.toml", "[[band]]\nname='a'\nmax_km=5\n[[band]]\nname='b'\nmax_km=3\n"),  # decreasing
        ("p.json", '{"band": []}'),
        ("p.json", '{"band": ["a"]}'),
        ("p.json", "[1, 2"),
        ("p.txt", "a=1"),
    ],
)
def test_load_rejects_bad_files(tmp_path, name, text):
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(DataFormatError):
        ThreatProfile.load(f)


def test_load_missing_file(tmp_path):
    with pytest.raises(DataFormatError, match="not found"):
        ThreatProfile.load(tmp_path / "nope.toml")


def test_classify_at_exact_thresholds():
    p = ThreatProfile()
    d = np.array([0, 2999, 3000, 3001, 15000, 15000.5, 25000, 45000, 45001, 1e9])
    idx = p.classify(d)
    assert idx.tolist() == [1, 1, 1, 2, 2, 3, 3, 4, 5, 5]
    assert [p.names[i] for i in idx] == [
        "contact", "contact", "contact", "fpv", "fpv", "tube", "tube", "rocket", "beyond",
        "beyond"]
    assert p.band_name(3000) == "contact"
    assert p.band_name(3001) == "fpv"
    assert p.band_name(45000) == "rocket"
    assert p.band_name(45001) == "beyond"
    # held overrides any distance
    assert p.band_name(50000, held=True) == "held"
    held = np.array([False, True, False])
    assert p.classify(np.array([100.0, 100.0, 20000.0]), held).tolist() == [1, 0, 3]


# --------------------------------------------------------------------------- HeldIndex

CROSSING = [(-500, 500), (1500, 500)]
INSIDE = [(200, 200), (800, 800)]
CORNER = [(1000, 1000), (2000, 2000)]  # touches the square at one corner only
ABOVE_2000 = [(0, 3000), (1000, 3000)]
ABOVE_5000 = [(0, 6000), (1000, 6000)]
RIGHT_3000 = [(4000, 0), (4000, 1000)]
LEFT_3001 = [(-3001, 0), (-3001, 1000)]
SKEWED_4000 = [(-537, 5000), (1463, 5000)]  # samples not aligned with boundary points
FAR = [(0, 100_000), (1000, 100_000)]
ALL = [CROSSING, INSIDE, CORNER, ABOVE_2000, ABOVE_5000, RIGHT_3000, LEFT_3001,
       SKEWED_4000, FAR]


@pytest.fixture(scope="module")
def net():
    return make_net(*ALL)


@pytest.fixture(scope="module")
def index():
    return HeldIndex.build(SQUARE)


def test_edge_clearance(net, index):
    cap = 67_500.0
    dist, held = index.edge_clearance(net, None, cap)
    by = {tuple(map(tuple, c)): (dist[edge_index(net, c)], held[edge_index(net, c)])
          for c in ALL}

    def get(c):
        return by[tuple(map(tuple, c))]

    # crossing, inside and corner-touching edges are held with clearance 0
    for c in (CROSSING, INSIDE, CORNER):
        assert get(c) == (0.0, True)
    # parallel edges at a known offset
    assert get(ABOVE_2000) == (pytest.approx(2000, abs=1), False)
    assert get(ABOVE_5000) == (pytest.approx(5000, abs=1), False)
    assert get(RIGHT_3000) == (pytest.approx(3000, abs=1e-6), False)
    assert get(LEFT_3001) == (pytest.approx(3001, abs=1e-6), False)
    d, h = get(SKEWED_4000)
    assert not h and 4000 <= d <= 4001
    # beyond the cap: capped
    assert get(FAR) == (cap, False)

    p = ThreatProfile()
    assert p.band_name(get(ABOVE_2000)[0]) == "contact"
    assert p.band_name(get(RIGHT_3000)[0]) == "contact"
    assert p.band_name(get(LEFT_3001)[0]) == "fpv"
    assert p.band_name(get(ABOVE_5000)[0]) == "fpv"
    assert p.band_name(get(FAR)[0]) == "beyond"
    assert p.band_name(*get(CROSSING)) == "held"


def test_edge_clearance_subset_keeps_order(net, index):
    ids = np.array([edge_index(net, FAR), edge_index(net, CROSSING), edge_index(net, ABOVE_5000)])
    dist, held = index.edge_clearance(net, ids, 10_000)
    assert dist.tolist() == [10_000, 0.0, pytest.approx(5000, abs=1)]
    assert held.tolist() == [False, True, False]


def test_empty_or_clipped_away_held_territory(net):
    empty = HeldIndex.build(Polygon())
    clipped = HeldIndex.build(SQUARE, clip=box(50_000, 0, 60_000, 1))
    for idx in (empty, clipped):
        assert len(idx.polygons) == 0 and idx.kdtree is None
        dist, held = idx.edge_clearance(net, None, 1234.0)
        assert (dist == 1234.0).all() and not held.any()
        d, inside = idx.point_clearance(np.array([[500, 500]]))
        assert d.tolist() == [np.inf] and inside.tolist() == [False]


def test_clip_keeps_the_part_inside(net):
    # only the left half of the square is kept: the right-hand edges are 500 m further off
    idx = HeldIndex.build(SQUARE, clip=box(-10_000, -10_000, 500, 10_000))
    dist, held = idx.edge_clearance(net, np.array([edge_index(net, RIGHT_3000)]), 50_000)
    assert dist[0] == pytest.approx(3500, abs=1) and not held[0]


def test_multipolygon_and_hole():
    far_square = box(20_000, 0, 21_000, 1000)
    ring = Polygon(box(-5000, -5000, 5000, 5000).exterior.coords,
                   [box(-2000, -2000, 2000, 2000).exterior.coords])
    net = make_net([(-1000, 0), (1000, 0)], [(10_000, 0), (10_000, 1000)])
    idx = HeldIndex.build(MultiPolygon([ring, far_square]))
    dist, held = idx.edge_clearance(net, None, 50_000)
    # the first edge lies in the hole: free, 1000 m from the hole's edge at x=+-2000
    assert not held[0] and dist[0] == pytest.approx(1000, abs=1)
    # the second edge: 5000 m from the ring, 10000 m from the far square
    assert not held[1] and dist[1] == pytest.approx(5000, abs=1)


def test_point_clearance(index):
    pts = np.array([[500, 500], [1000, 500], [1300, 500], [1300, 1400], [-3000, 500]])
    d, inside = index.point_clearance(pts)
    np.testing.assert_allclose(d, [0, 0, 300, 500, 3000])
    assert inside.tolist() == [True, True, False, False, False]
    d, inside = index.point_clearance(np.array([500.0, 500.0]))  # a single point
    assert d.tolist() == [0.0] and inside.tolist() == [True]


def test_exposure_cache_memoises_and_evicts():
    cache = ExposureCache(maxsize=2)
    built = []

    def build(tag):
        def f():
            built.append(tag)
            return HeldIndex.build(SQUARE)
        return f

    a = cache.get(("d1",), build("d1"))
    assert cache.get(("d1",), build("d1")) is a
    cache.get(("d2",), build("d2"))
    cache.get(("d3",), build("d3"))  # evicts d1, the least recently used
    cache.get(("d1",), build("d1"))
    assert built == ["d1", "d2", "d3", "d1"]


def test_clip_box_survives_a_sliver_geos_rectangle_clip_rejects():
    """A valid grey-zone sliver (area 2e-8 m2) of 2025-11-07 made GEOS's rectangle clip
    throw, and with it every query near Svitlodarsk from that day on."""
    import shapely

    from supplyline.core.exposure import HeldIndex, clip_box

    sliver = shapely.from_wkt(
        "POLYGON ((702525.0032254728 5396658.965097265, 702525.0032254729 "
        "5396658.965097265, 702468.2492858649 5396284.059926585, 702525.0032254728 "
        "5396658.965097265))")
    box = (675249.3378788418, 5343981.159064727, 727769.8768061512, 5396501.697992036)
    with pytest.raises(shapely.errors.GEOSException):
        shapely.clip_by_rect(sliver, *box)
    assert clip_box(sliver, *box).area < 1e-6
    arr = clip_box(np.array([sliver, shapely.box(0, 0, 1, 1)], dtype=object), *box)
    assert len(arr) == 2 and all(g.is_empty or g.area < 1e-6 for g in arr)
    # a point whose search box cuts the sliver (the box the rectangle clip threw on)
    held = shapely.box(690000, 5360000, 700000, 5370000)
    idx = HeldIndex.build([held, shapely.MultiPolygon([sliver])])
    d, inside = idx.point_clearance(np.array([[702490.0, 5396075.0]]))
    assert d[0] == pytest.approx(shapely.distance(shapely.Point(702490.0, 5396075.0), sliver))
    assert not inside[0]
