"""Unit tests for supplyline.core.routes on small synthetic networks (metres, hand-checkable)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Polygon, box

from supplyline.core.exposure import HeldIndex, ThreatProfile
from supplyline.core.routes import (
    EdgeExposure,
    Route,
    RouteEngine,
    band_resilience,
    pair_status,
    refs_in_order,
    resilience,
    route_label,
)
from supplyline.crs import METRIC_CRS
from supplyline.data.network import BuildParams, build_network
from supplyline.io.loaders import LINE_COLUMNS

#: Small profile for hand-checkable bands: contact <= 1 km < fpv <= 5 km < beyond.
PROFILE = ThreatProfile.parse("contact=1,fpv=5")


def make_net(*items, mode: str = "road", max_edge_m: float = 1000.0):
    """Network from (coords, attrs) items in metres."""
    rows, geoms = [], []
    for coords, attrs in items:
        row = dict.fromkeys(LINE_COLUMNS, "")
        row["mode"] = mode
        row.update(attrs)
        rows.append(row)
        geoms.append(LineString(coords))
    gdf = gpd.GeoDataFrame(rows, columns=LINE_COLUMNS, geometry=geoms, crs=METRIC_CRS)
    return build_network(gdf, mode, BuildParams(max_edge_m=max_edge_m))


def node(net, x, y) -> int:
    i, d = net.nearest_node((x, y), main_only=False)
    assert d < 1e-6, f"no node at ({x}, {y})"
    return i


def engine(net, held, profile=PROFILE, ids=None) -> RouteEngine:
    exp = EdgeExposure.compute(net, HeldIndex.build(held), profile, ids)
    return RouteEngine(net, exp, profile)


def edge_near(net, x, y) -> int:
    d = np.hypot(*(net.edge_mid_xy - [x, y]).T)
    return int(np.argmin(d))


# --------------------------------------------------------------------------- two roads
#
# A (0,0) to B (20 km, 0): road M-01 straight along y=0 (20 km); road H-02 a detour
# through y=10 km (10 + 20 + 10 = 40 km). Held territory near the middle of M-01.

A_XY, B_XY, C_XY = (0, 0), (20_000, 0), (10_000, 0)
SHORT = ([(0, 0), (20_000, 0)], {"ref": "M-01", "cls": "primary"})
DETOUR = ([(0, 0), (0, 10_000), (20_000, 10_000), (20_000, 0)], {"ref": "H-02", "cls": "local"})
NEAR = box(9_000, -3_000, 11_000, -500)  # 500 m south of M-01
ACROSS = box(9_000, -3_000, 11_000, 500)  # cuts M-01
WALL = box(9_000, -50_000, 11_000, 50_000)  # cuts both roads
FAR = box(9_000, -200_000, 11_000, -190_000)  # nowhere near


@pytest.fixture(scope="module")
def two_roads():
    return make_net(SHORT, DETOUR)


def test_exposure_per_edge(two_roads):
    net = two_roads
    exp = EdgeExposure.compute(net, HeldIndex.build(NEAR), PROFILE)
    assert exp.ids.tolist() == list(range(len(net.edges)))
    assert not exp.held.any()
    # M-01 edge [9, 10] km passes 500 m from the square; [7, 8] km is sqrt(1000^2+500^2) off
    i = edge_near(net, 9_500, 0)
    assert exp.clearance[i] == pytest.approx(500) and PROFILE.names[exp.band[i]] == "contact"
    i = edge_near(net, 7_500, 0)
    assert exp.clearance[i] == pytest.approx(math.hypot(1000, 500))
    assert PROFILE.names[exp.band[i]] == "fpv"
    # clearances are capped at 1.5 x the outermost band
    assert exp.clearance.max() == pytest.approx(7_500)


def test_peacetime_avoid_and_safest_near_held(two_roads):
    net = two_roads
    eng = engine(net, NEAR)
    a, b = node(net, *A_XY), node(net, *B_XY)
    r = eng.routes(a, [("B", b)])["B"]
    peace, avoid, safest = r["peacetime"], r["avoid_held"], r["safest"]

    # peacetime takes the short road: 20 edges of 1 km
    assert peace.found and peace.length_km == 20.0 and peace.detour == 1.0
    assert peace.refs == ["M-01"]
    assert len(peace.edge_ids) == 20
    assert set(net.edges["ref"].to_numpy()[peace.edge_ids]) == {"M-01"}
    # bands by hand: contact within 1 km of the square ([8, 12] km), fpv up to 5 km
    assert peace.km_by_band == {"contact": 4.0, "fpv": 8.0, "beyond": 8.0}
    assert peace.min_clearance_km == 0.5
    assert peace.worst_band == "contact" and peace.status == "under fire (contact)"
    assert peace.policy == "shortest route, ignoring the front"

    # nothing is held, so avoiding held ground changes nothing
    assert avoid.edge_ids == peace.edge_ids and avoid.status == peace.status

    # the safe detour is 40 km, more than 1.5 x 20 km: within the default cap the safest
    # route is the short road itself (0.5 km clearance)
    assert safest.found and safest.edge_ids == peace.edge_ids
    assert safest.detour_cap == 1.5 and safest.length_limit_km == 30.0
    assert "1.5 x the peacetime route (30.0 km)" in safest.policy
    assert eng.choices["B"].level == pytest.approx(500) and not eng.choices["B"].relaxed
    assert pair_status(r) == "under fire (contact)"

    # a cap of 2 admits the 40 km detour, entirely beyond the outermost band
    r = eng.routes(a, [("B", b)], detour_cap=2.0)["B"]
    safest = r["safest"]
    assert safest.found and safest.length_km == 40.0 and safest.detour == 2.0
    assert safest.refs == ["H-02"] and safest.length_limit_km == 40.0
    assert safest.km_by_band == {"beyond": 40.0}
    assert safest.status == "open"
    assert pair_status(r) == "open"
    # just below 2 it does not fit
    r = eng.routes(a, [("B", b)], detour_cap=1.99)["B"]
    assert r["safest"].length_km == 20.0


def test_held_ground_across_the_short_road(two_roads):
    net = two_roads
    eng = engine(net, ACROSS)
    a, b = node(net, *A_XY), node(net, *B_XY)
    r = eng.routes(a, [("B", b)])["B"]
    peace, avoid, safest = r["peacetime"], r["avoid_held"], r["safest"]

    # peacetime ignores the front and runs through held ground: never "open"
    assert peace.length_km == 20.0
    assert peace.worst_band == "held" and peace.status == "cut"
    assert peace.min_clearance_km == 0.0
    # edges [8, 12] km touch or cross the held box
    assert peace.km_by_band["held"] == 4.0
    assert all(eng.held[e] for e in peace.edge_ids if 8_000 <= net.edge_mid_xy[e, 0] <= 12_000)

    # avoid_held uses no edge touching held territory
    assert avoid.found and avoid.refs == ["H-02"]
    ids = np.asarray(avoid.edge_ids)
    assert not eng.held[ids].any()
    assert (eng.clear[ids] > 0).all()
    assert "held" not in avoid.km_by_band
    assert avoid.length_km == 40.0
    assert avoid.detour == pytest.approx(avoid.length_km / peace.length_km)
    # the only held-avoiding route is 2 x peacetime, over the 1.5 cap: the limit is
    # relaxed to it (the front already forces that detour), and it is the safest route
    assert safest.edge_ids == avoid.edge_ids
    assert safest.length_limit_km == 40.0 and eng.choices["B"].relaxed
    assert "forces a detour longer than 1.5 x the peacetime route" in safest.policy
    assert pair_status(r) == "open"


def test_held_ground_cutting_every_route(two_roads):
    net = two_roads
    eng = engine(net, WALL)
    a, b = node(net, *A_XY), node(net, *B_XY)
    r = eng.routes(a, [("B", b)])["B"]
    assert r["peacetime"].found and r["peacetime"].status == "cut"
    assert not r["avoid_held"].found and not r["safest"].found
    assert pair_status(r) == "cut"
    assert all(route.status != "open" for route in r.values())
    assert "B" not in eng.choices
    assert r["safest"].detour_cap == 1.5 and r["safest"].length_limit_km is None


def test_several_hubs_with_different_levels(two_roads):
    net = two_roads
    eng = engine(net, NEAR)
    a = node(net, *A_XY)
    hubs = [("B", node(net, *B_XY)), ("C", node(net, *C_XY)), ("A", a)]
    # within 1.5 x peacetime only M-01 reaches B (30 km limit) and C (15 km): 500 m
    res = eng.routes(a, hubs)
    levels = {h: c.level for h, c in eng.choices.items()}
    assert levels == {"B": pytest.approx(500), "C": pytest.approx(500), "A": 5_000}
    assert res["B"]["safest"].refs == ["M-01"]
    c = res["C"]
    assert c["safest"].length_km == 10.0 and c["safest"].edge_ids == c["peacetime"].edge_ids
    assert pair_status(c) == "under fire (contact)"
    # with a cap of 2, B gets the detour (40 km <= 40 km); C's detour is 50 km > 20 km
    res = eng.routes(a, hubs, detour_cap=2.0)
    assert {h: c.level for h, c in eng.choices.items()} == {
        "B": pytest.approx(5_000), "C": pytest.approx(500), "A": 5_000}
    assert res["B"]["safest"].refs == ["H-02"] and res["C"]["safest"].refs == ["M-01"]
    # the hub at the city itself: an empty route
    same = res["A"]["peacetime"]
    assert same.found and same.length_km == 0.0 and same.edge_ids == []
    assert res["A"]["safest"].found and res["A"]["safest"].edge_ids == []


def test_beyond_band_route_and_tradeoff(two_roads):
    net = two_roads
    eng = engine(net, NEAR)
    a, b = node(net, *A_XY), node(net, *B_XY)
    r = eng.routes(a, [("B", b)], beyond="contact", tradeoff=True)["B"]
    # M-01 runs 4 km within contact (1 km) of the square; H-02 never comes within 5 km
    beyond = r["beyond"]
    assert beyond.found and beyond.refs == ["H-02"] and beyond.length_km == 40.0
    assert beyond.beyond_band == "contact" and "contact band" in beyond.policy
    curve = eng.tradeoffs["B"]
    assert [p.meets for p in curve] == [["shortest", "safest"],
                                        ["least within contact", "least within fpv"]]
    short, safe = curve
    assert short.route.length_km == 20.0 and short.extra_km is None
    assert short.within_km == {"contact": 4.0, "fpv": 12.0}
    assert safe.route.length_km == 40.0 and safe.within_km == {"contact": 0.0, "fpv": 0.0}
    # +20 km buys 7 km clearance (0.5 km -> the 7.5 km cap) and 4 / 12 km less exposure
    assert safe.extra_km == 20.0 and safe.extra_clearance_km == 7.0
    assert safe.less_within_km == {"contact": 4.0, "fpv": 12.0}


def test_beyond_band_from_inside_the_band_keeps_the_least_exposure():
    # A at the origin lies 700 m from a held square: no route stays beyond contact (1 km)
    # from A. Two ways to B (30 km east): straight along y = 0, which passes the square
    # again 500 m off at x = 15 km (2 km more within contact), or over y = 3 km (36 km)
    items = [([(0, 0), (30_000, 0)], {"ref": "S"}),
             ([(0, 0), (0, 3_000), (30_000, 3_000), (30_000, 0)], {"ref": "N"})]
    net = make_net(*items)
    held = box(-2_000, -2_000, -500, -500).union(box(14_000, -3_000, 16_000, -500))
    eng = engine(net, held)
    a, b = node(net, 0, 0), node(net, 30_000, 0)
    r = eng.routes(a, [("B", b)], beyond="contact", tradeoff=True)["B"]
    assert r["peacetime"].refs == ["S"]
    within = {p.meets[0]: p.within_km for p in eng.tradeoffs["B"]}
    # the first kilometre out of A is within contact either way (x or y in [0, 1] km)
    assert r["beyond"].refs == ["N"] and within["least within contact"]["contact"] == 1.0
    assert within["shortest"]["contact"] == 1.0 + 4.0  # and [13, 17] km by the square
def test_km_by_band_sums_to_length(two_roads):
    net = two_roads
    for held in (NEAR, ACROSS):
        eng = engine(net, held)
        r = eng.routes(node(net, *A_XY), [("B", node(net, *B_XY)), ("C", node(net, *C_XY))])
        for per_hub in r.values():
            for route in per_hub.values():
                if route.found:
                    assert sum(route.km_by_band.values()) == pytest.approx(
                        route.length_km, abs=0.01 * len(route.km_by_band))
                    assert route.length_km == pytest.approx(
                        net.length[route.edge_ids].sum() / 1000, abs=0.005)


def test_region_restricts_edges(two_roads):
    net = two_roads
    # only the short road's edges are in the region: with it cut, there is no way round
    short_ids = np.flatnonzero(net.edges["ref"].to_numpy() == "M-01")
    eng = engine(net, ACROSS, ids=short_ids)
    r = eng.routes(node(net, *A_XY), [("B", node(net, *B_XY))])["B"]
    assert r["peacetime"].refs == ["M-01"]
    assert not r["avoid_held"].found
    assert pair_status(r) == "cut"


def test_pair_status_without_safest():
    assert pair_status({}) == "cut"
    assert pair_status({"safest": Route("safest", "X", False)}) == "cut"
    assert pair_status({"safest": Route("safest", "X", True, status="open")}) == "open"


# --------------------------------------------------------------------------- brute force

def _grid(n: int = 4, step: float = 5_000.0, seed: int = 1):
    """An n x n grid of jittered nodes joined by straight roads (one edge per road)."""
    rng = np.random.default_rng(seed)
    xy = {(i, j): (i * step + rng.uniform(-800, 800), j * step + rng.uniform(-800, 800))
          for i in range(n) for j in range(n)}
    items = []
    for (i, j), p in xy.items():
        for q in ((i + 1, j), (i, j + 1)):
            if q in xy:
                items.append(([p, xy[q]], {"ref": f"R{i}{j}-{q[0]}{q[1]}"}))
    net = make_net(*items, max_edge_m=1e9)
    assert len(net.edges) == 2 * n * (n - 1)
    return net, {k: node(net, *p) for k, p in xy.items()}


def _simple_paths(net, a: int, b: int):
    """All simple paths a -> b as lists of edge ids (depth-first)."""
    adj: dict[int, list[tuple[int, int]]] = {}
    for e, (u, v) in enumerate(zip(net.u, net.v, strict=True)):
        adj.setdefault(int(u), []).append((int(v), e))
        adj.setdefault(int(v), []).append((int(u), e))
    out: list[list[int]] = []

    def walk(x, seen, path):
        if x == b:
            out.append(list(path))
            return
        for y, e in adj[x]:
            if y not in seen:
                seen.add(y)
                path.append(e)
                walk(y, seen, path)
                path.pop()
                seen.remove(y)

    walk(a, {a}, [])
    return out


HELD_CASES = [
    box(6_000, 6_000, 9_000, 9_000),  # inside the central cell, touching no road
    box(4_000, -2_000, 6_000, 11_000),  # cuts the roads crossing x = 5 km low down
    Polygon([(9_000, 3_000), (17_000, 3_000), (17_000, 12_000), (13_000, 12_000),
             (13_000, 6_500), (9_000, 6_500)]),  # an L-shape on the right
    box(20_000, 20_000, 22_000, 22_000),  # off the grid, near the far corner
]


def _brute_safest(net, paths, capped, held, cap, tol=1e-3):
    """The safest route within the cap among all simple paths, by the definition."""
    length = [float(net.length[p].sum()) for p in paths]
    peace = min(length)
    free = [k for k, p in enumerate(paths) if not held[p].any()]
    if not free:
        return None
    shortest_free = min(length[k] for k in free)
    relaxed = shortest_free > cap * peace + tol
    limit = shortest_free if relaxed else cap * peace
    fits = [k for k in free if length[k] <= limit + tol]
    best = max(float(capped[paths[k]].min()) for k in fits)
    top = [k for k in fits if capped[paths[k]].min() >= best]
    return best, min(length[k] for k in top), limit, relaxed


@pytest.mark.parametrize("held", HELD_CASES)
@pytest.mark.parametrize(("pair", "n_paths"), [(((0, 0), (3, 3)), 184),
                                              (((0, 3), (3, 0)), 184),
                                              (((1, 0), (2, 3)), 112)])
def test_safest_route_is_best_of_all_simple_paths(held, pair, n_paths):
    net, nodes = _grid()
    profile = ThreatProfile.parse("contact=1,fpv=3,tube=6")
    eng = engine(net, held, profile)
    a, b = nodes[pair[0]], nodes[pair[1]]
    paths = _simple_paths(net, a, b)
    assert len(paths) == n_paths  # all simple paths of a 4 x 4 grid graph
    capped = np.minimum(eng.clear, profile.max_m)
    free = [p for p in paths if not eng.held[p].any()]
    length = [float(net.length[p].sum()) for p in paths]

    for cap in (1.0, 1.15, 1.5, 3.0):
        r = eng.routes(a, [("B", b)], detour_cap=cap, beyond="fpv")["B"]
        assert r["peacetime"].length_km == pytest.approx(min(length) / 1000, abs=0.005)
        if not free:
            assert not r["avoid_held"].found and not r["safest"].found
            assert not r["beyond"].found
            return
        assert r["avoid_held"].length_km == pytest.approx(
            min(float(net.length[p].sum()) for p in free) / 1000, abs=0.005)
        best, best_len, limit, relaxed = _brute_safest(net, paths, capped, eng.held, cap)
        choice = eng.choices["B"]
        assert choice.level == pytest.approx(best, abs=1e-6)
        assert choice.limit_m == pytest.approx(limit) and choice.relaxed == relaxed
        safest = r["safest"]
        assert safest.found
        ids = np.asarray(safest.edge_ids)
        assert not eng.held[ids].any()
        assert float(capped[ids].min()) == pytest.approx(best, abs=1e-6)
        # the shortest of the safest routes within the limit, never over it
        assert float(net.length[ids].sum()) == pytest.approx(best_len, abs=1e-6)
        assert float(net.length[ids].sum()) <= limit + 1e-3
        assert safest.length_limit_km == round(limit / 1000, 2)
        # its status follows its worst band; held routes are never open
        assert safest.status != "cut"
        assert (safest.status == "open") == (best >= profile.max_m)
        # the route beyond fpv: the fewest metres within 3 km, then the shortest
        within = [float(net.length[p][eng.clear[p] <= 3_000].sum()) for p in free]
        least = min(within)
        want = min(float(net.length[p].sum()) for p, w in zip(free, within, strict=True)
                   if w <= least + 1e-3)
        got = np.asarray(r["beyond"].edge_ids)
        assert float(net.length[got][eng.clear[got] <= 3_000].sum()) == pytest.approx(least)
        assert float(net.length[got].sum()) == pytest.approx(want)


def test_safest_route_status_never_open_through_held():
    net, nodes = _grid()
    eng = engine(net, box(-5_000, 7_000, 30_000, 8_000))  # a belt across the whole grid
    r = eng.routes(nodes[(0, 0)], [("B", nodes[(3, 3)])])["B"]
    assert r["peacetime"].status == "cut"
    assert not r["avoid_held"].found
    assert pair_status(r) == "cut"
    assert all(route.status != "open" for route in r.values())


# --------------------------------------------------------------------------- refs

@pytest.fixture(scope="module")
def chain():
    segs = [(0, 5_000, {"ref": "M-01"}),
            (5_000, 5_500, {}),
            (5_500, 8_500, {"ref": "M-01"}),
            (8_500, 8_900, {"ref": "H-20"}),
            (8_900, 12_900, {"ref": "M-03", "eref": "E-40"}),
            (12_900, 13_900, {"ref": "M-03", "eref": "E-40"}),
            (13_900, 14_600, {"ref": "P-07"}),
            (14_600, 15_000, {"ref": "P-07"})]
    net = make_net(*[([(x0, 0), (x1, 0)], attrs) for x0, x1, attrs in segs])
    order = np.argsort(net.edge_mid_xy[:, 0]).tolist()  # edge ids from west to east
    return net, order


def test_refs_in_order(chain):
    net, order = chain
    # M-01 resumes after an unnumbered 0.5 km; H-20 (0.4 km) is dropped; the two P-07
    # pieces (0.7 + 0.4 km) merge into one stretch long enough to keep
    assert refs_in_order(net, order) == ["M-01", "M-03/E-40", "P-07"]
    assert refs_in_order(net, order[::-1]) == ["P-07", "M-03/E-40", "M-01"]
    assert refs_in_order(net, order, min_km=0.3) == ["M-01", "H-20", "M-03/E-40", "P-07"]
    assert refs_in_order(net, order, min_km=2) == ["M-01", "M-03/E-40"]
    assert refs_in_order(net, []) == []


def test_refs_in_order_rail_uses_names():
    net = make_net(([(0, 0), (3_000, 0)], {"name": "Lozova-Kharkiv"}),
                   ([(3_000, 0), (6_000, 0)], {"name": "Kharkiv-Kupiansk"}), mode="rail")
    order = np.argsort(net.edge_mid_xy[:, 0]).tolist()
    assert refs_in_order(net, order) == ["Lozova-Kharkiv", "Kharkiv-Kupiansk"]


def test_route_label():
    assert route_label("M-03", "E-40") == "M-03/E-40"
    assert route_label("", "E-40") == "E-40"
    assert route_label("M-03", "") == "M-03"
    assert route_label("", "") == ""


# --------------------------------------------------------------------------- resilience

def test_two_disjoint_corridors(two_roads):
    net = two_roads
    a, b = node(net, *A_XY), node(net, *B_XY)
    res = resilience(engine(net, FAR), np.array([a]), np.array([b]), "fpv")
    assert res.disjoint_routes == 2
    assert res.mode == "road" and res.beyond_band == "fpv"
    # the cut closest to the city: the first edge of each road out of A
    assert len(res.bottleneck_edges) == 2
    for item in res.bottleneck_edges:
        e = item["edge"]
        assert a in (net.u[e], net.v[e])
    assert {item["ref"] for item in res.bottleneck_edges} == {"M-01", "H-02"}


def test_corridor_within_band_does_not_count(two_roads):
    net = two_roads
    a, b = node(net, *A_XY), node(net, *B_XY)
    eng = engine(net, NEAR)
    # M-01 passes 500 m from held ground: only H-02 stays beyond either band
    assert resilience(eng, np.array([a]), np.array([b]), "contact").disjoint_routes == 1
    assert resilience(eng, np.array([a]), np.array([b]), "fpv").disjoint_routes == 1
    assert resilience(engine(net, WALL), np.array([a]), np.array([b]),
                      "contact").disjoint_routes == 0


@pytest.fixture(scope="module")
def bridge_net():
    # A -> X by two parallel roads, a single 1 km bridge X -> Y, Y -> B by two roads;
    # plus an independent southern track A -> B
    items = [
        ([(0, 0), (10_000, 0)], {"ref": "M-05", "cls": "primary"}),
        ([(0, 0), (5_000, 3_000), (10_000, 0)], {"ref": "T-01", "cls": "primary"}),
        ([(10_000, 0), (11_000, 0)], {"ref": "M-05", "cls": "primary"}),  # the bridge
        ([(11_000, 0), (21_000, 0)], {"ref": "M-05", "cls": "primary"}),
        ([(11_000, 0), (16_000, 3_000), (21_000, 0)], {"ref": "T-02", "cls": "primary"}),
        ([(0, 0), (0, -20_000), (21_000, -20_000), (21_000, 0)], {"cls": "track"}),
    ]
    net = make_net(*items)
    return net, edge_near(net, 10_500, 0)


def test_bridge_is_a_bottleneck(bridge_net):
    net, bridge = bridge_net
    assert net.length[bridge] == pytest.approx(1000)
    eng = engine(net, FAR)
    a, b = node(net, 0, 0), node(net, 21_000, 0)
    res = resilience(eng, np.array([a]), np.array([b]), "fpv")
    assert res.disjoint_routes == 2
    cut = [item["edge"] for item in res.bottleneck_edges]
    assert bridge in cut and len(cut) == 2
    item = next(i for i in res.bottleneck_edges if i["edge"] == bridge)
    assert (item["x"], item["y"]) == (10_500.0, 0.0)
    assert item["ref"] == "M-05" and item["cls"] == "primary"
    assert item["clearance_km"] == pytest.approx(7.5)

    # without the southern track (classes filter) the bridge is the only bottleneck
    res = resilience(eng, np.array([a]), np.array([b]), "fpv", classes=("primary",),
                     describe=lambda x, y: {"near": f"{x:.0f},{y:.0f}"})
    assert res.disjoint_routes == 1
    assert [i["edge"] for i in res.bottleneck_edges] == [bridge]
    assert res.bottleneck_edges[0]["near"] == "10500,0"


def test_resilience_with_source_and_sink_areas(bridge_net):
    net, bridge = bridge_net
    eng = engine(net, FAR)
    # the city area spans both ends of the bridge: only the onward roads remain to cut
    src = np.array([node(net, 0, 0), node(net, 10_000, 0), node(net, 11_000, 0)])
    snk = np.array([node(net, 21_000, 0)])
    res = resilience(eng, src, snk, "fpv", classes=("primary",))
    assert res.disjoint_routes == 2
    assert bridge not in [i["edge"] for i in res.bottleneck_edges]
    assert res.as_dict()["disjoint_routes"] == 2


# --------------------------------------------------------------------------- chains

def _walk_chains(u, v, junction):
    """The chains by walking out of each junction in turn (the reference for the
    vectorised contract_chains: same chains, order and direction)."""
    n, m = len(junction), len(u)
    ends = np.concatenate([u, v])
    inc = (np.argsort(ends, kind="stable") % m).tolist()
    first = np.concatenate([[0], np.cumsum(np.bincount(ends, minlength=n))]).tolist()
    uu, vv, jn = u.tolist(), v.tolist(), junction.tolist()
    used = [False] * m
    order, start, a_end, b_end = [], [0], [], []
    for j in np.flatnonzero(junction).tolist():
        for e in inc[first[j]:first[j + 1]]:
            if used[e]:
                continue
            node, run = j, []
            while True:
                used[e] = True
                run.append(e)
                node = vv[e] if uu[e] == node else uu[e]
                if jn[node]:
                    break
                a, b = inc[first[node]], inc[first[node] + 1]
                e = b if a == e else a
            if node == j:  # back to its own junction: on no simple route
                continue
            order += run
            start.append(len(order))
            a_end.append(j)
            b_end.append(node)
    return order, start, a_end, b_end


def test_contract_chains_equals_the_walk_on_random_multigraphs():
    from supplyline.core.routes import contract_chains

    rng = np.random.default_rng(7)
    for _ in range(1500):  # loops, parallel edges, closed rings of degree-2 nodes
        n, m = int(rng.integers(2, 25)), int(rng.integers(1, 35))
        u, v = rng.integers(0, n, m), rng.integers(0, n, m)
        deg = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
        junction = deg != 2
        junction[rng.integers(0, n, int(rng.integers(0, 3)))] = True
        junction[u[u == v]] = True
        got = contract_chains(u, v, junction)
        want = _walk_chains(u, v, junction)
        for g, w in zip(got, want, strict=True):
            assert g.tolist() == list(w)


def test_contract_chains_of_a_ring_and_a_path():
    from supplyline.core.routes import contract_chains

    # a path 0-1-2-3 (junctions 0 and 3) and a ring 4-5-6-4 with no junction
    u = np.array([2, 0, 1, 4, 5, 6])
    v = np.array([3, 1, 2, 5, 6, 4])
    junction = np.array([True, False, False, True, False, False, False])
    order, start, a, b = contract_chains(u, v, junction)
    assert order.tolist() == [1, 2, 0] and start.tolist() == [0, 3]
    assert a.tolist() == [0] and b.tolist() == [3]


# --------------------------------------------------------------------------- per band

def _mid(items):
    return sorted((it["x"], it["y"]) for it in items)


def test_band_resilience_counts_each_level(two_roads):
    net = two_roads
    a, b = np.array([node(net, *A_XY)]), np.array([node(net, *B_XY)])
    # M-01 passes 500 m from the square: it avoids held ground but not the contact band
    res = band_resilience(engine(net, NEAR), a, b)
    assert res.counts == {"held": 2, "contact": 1, "fpv": 1}
    assert res.bottleneck_band == "fpv" and res.cut_band is None
    assert [it["ref"] for it in res.bottleneck_edges] == ["H-02"]
    # held ground across M-01: only H-02 is left at every level
    res = band_resilience(engine(net, ACROSS), a, b)
    assert res.counts == {"held": 1, "contact": 1, "fpv": 1}
    # both roads cut: where? the first held edge of each road out of A
    eng = engine(net, WALL)
    res = band_resilience(eng, a, b)
    assert res.counts == {"held": 0, "contact": 0, "fpv": 0}
    assert res.bottleneck_band is None and res.cut_band == "held"
    assert not res.cut_at_city and not res.cut_at_hubs
    refs = net.edges["ref"].to_numpy()
    first = {ref: min(np.flatnonzero(eng.held & (refs == ref)),
                      key=lambda e: net.edge_mid_xy[e, 0]) for ref in ("M-01", "H-02")}
    assert {it["ref"]: it["edge"] for it in res.cut_edges} == first
    assert net.edge_mid_xy[first["M-01"], 0] == pytest.approx(8_500)
    assert all(it["band"] == "held" and it["clearance_km"] == 0.0 for it in res.cut_edges)


def test_band_resilience_city_inside_the_band(two_roads):
    net = two_roads
    a, b = np.array([node(net, *A_XY)]), np.array([node(net, *B_XY)])
    # a held square 707 m south-west of A: both roads leave A within the contact band
    res = band_resilience(engine(net, box(-2_000, -2_000, -500, -500)), a, b,
                          describe=lambda x, y: {"near": f"{x:.0f},{y:.0f}"})
    assert res.counts == {"held": 2, "contact": 0, "fpv": 0}
    assert res.bottleneck_band == "held"
    # the two roads out of A are the cut of the held-avoiding routes
    assert _mid(res.bottleneck_edges) == [(0.0, 500.0), (500.0, 0.0)]
    assert {it["near"] for it in res.bottleneck_edges} == {"0,500", "500,0"}
    assert res.cut_band == "contact" and res.cut_at_city and not res.cut_at_hubs
    assert res.cut_edges == []


def test_band_resilience_cut_where_routes_enter_the_band(two_roads):
    net = two_roads
    a, b = np.array([node(net, *A_XY)]), np.array([node(net, *B_XY)])
    # squares 500 m off the middle of M-01 (south) and of H-02's top stretch (north)
    held = NEAR.union(box(9_000, 10_500, 11_000, 12_000))
    res = band_resilience(engine(net, held), a, b)
    assert res.counts == {"held": 2, "contact": 0, "fpv": 0}
    assert res.cut_band == "contact" and not res.cut_at_city and not res.cut_at_hubs
    # every held-avoiding route enters the contact band at 8 km, on either road
    assert _mid(res.cut_edges) == [(8_500.0, 0.0), (8_500.0, 10_000.0)]
    assert {it["band"] for it in res.cut_edges} == {"contact"}
    assert {it["ref"] for it in res.cut_edges} == {"M-01", "H-02"}
