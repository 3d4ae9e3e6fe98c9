"""The timeline's shortcuts must give exactly what a computation from scratch gives.

Each shortcut (reusing a safest route, a corridor, sample-point clearances, measuring
again only edges near a change, the compiled distance transform) is checked against the
straightforward computation on synthetic cases, and the whole timeline against a run with
``incremental=False`` on the real data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import ndimage
from shapely.geometry import box
from test_routes import _grid

from supplyline.analysis.timeline import forget_fine
from supplyline.core.encirclement import ClearanceRaster, distance_to_held
from supplyline.core.exposure import HeldIndex, ThreatProfile, near_boxes, within_reach
from supplyline.core.routes import EdgeExposure, RouteEngine, SafestChoice, safest_still_valid

PROFILE = ThreatProfile.parse("contact=1,fpv=3,tube=6")


def _box_distance(xy, boxes):
    dx = np.maximum(np.maximum(boxes[None, :, 0] - xy[:, :1], xy[:, :1] - boxes[None, :, 2]), 0)
    dy = np.maximum(np.maximum(boxes[None, :, 1] - xy[:, 1:], xy[:, 1:] - boxes[None, :, 3]), 0)
    return np.hypot(dx, dy).min(axis=1)


def test_within_reach_flags_every_point_in_reach_and_few_beyond():
    rng = np.random.default_rng(3)
    flagged_beyond = 0
    for _ in range(100):
        xy = rng.uniform(0, 100_000, (400, 2))
        c = rng.uniform(-20_000, 120_000, (int(rng.integers(1, 30)), 2))
        boxes = np.column_stack([c, c + rng.uniform(0, 15_000, c.shape)])
        reach = rng.uniform(0, 30_000, len(xy))
        d = _box_distance(xy, boxes)
        got = within_reach(xy, boxes, reach)
        assert got[d <= reach].all()  # never misses a point in reach
        assert not got[d > reach + 2000 * np.sqrt(2)].any()  # at most a grid square more
        flagged_beyond += int((got & (d > reach)).sum())
        assert near_boxes(xy, boxes, 10_000.0)[d <= 10_000].all()
    assert flagged_beyond < 0.1 * 100 * 400
    assert within_reach(xy, np.array([[-np.inf, -np.inf, np.inf, np.inf]]), 1.0).all()
    assert not within_reach(xy, np.empty((0, 4)), 1e9).any()


@pytest.mark.parametrize("seed", range(5))
def test_distance_to_held_is_scipy_exactly(seed):
    rng = np.random.default_rng(seed)
    held = rng.random((int(rng.integers(2, 400)), int(rng.integers(2, 400)))) < rng.uniform(
        0.0005, 0.3)
    held[0, 0] = True
    assert np.array_equal(distance_to_held(held), ndimage.distance_transform_edt(~held))


HELD_PAIRS = [  # (day 1, day 2) on the 4 x 4 grid of 5 km cells (0..15 km)
    (box(6_000, 6_000, 9_000, 9_000), box(6_000, 6_000, 9_500, 9_000)),
    (box(6_000, 6_000, 9_000, 9_000), box(6_000, 6_000, 12_000, 9_000)),
    (box(4_000, -2_000, 6_000, 11_000), box(4_000, -2_000, 6_000, 16_000)),
    (box(20_000, 20_000, 22_000, 22_000), box(18_000, 18_000, 22_000, 22_000)),
    (box(20_000, 20_000, 22_000, 22_000), box(20_000, 20_000, 22_500, 22_000)),
    (box(-9_000, 4_000, -5_000, 9_000), box(-9_000, 4_000, -4_000, 9_000)),
    (box(9_000, 3_000, 17_000, 6_500), box(9_000, 3_000, 17_000, 7_000)),
]


def test_safest_route_kept_only_when_a_search_gives_the_same():
    net, nodes = _grid()
    kept = searched = 0
    for cap in (1.0, 1.2, 1.5, 3.0):
        for h1, h2 in HELD_PAIRS:
            e1 = RouteEngine(net, EdgeExposure.compute(net, HeldIndex.build(h1), PROFILE),
                             PROFILE)
            e2 = RouteEngine(net, EdgeExposure.compute(net, HeldIndex.build(h2), PROFILE),
                             PROFILE)
            for a, b in (((0, 0), (3, 3)), ((0, 3), (3, 0)), ((1, 0), (2, 3))):
                s, t = nodes[a], nodes[b]
                r1 = e1.routes(s, [("T", t)], detour_cap=cap)["T"]["safest"]
                r2 = e2.routes(s, [("T", t)], detour_cap=cap)["T"]["safest"]
                c1 = e1.choices.get("T")
                if c1 is None or not safest_still_valid(e1.capped_clearance(),
                                                        e2.capped_clearance(), c1):
                    searched += 1
                    continue
                kept += 1
                assert r2.found and r2.edge_ids == r1.edge_ids
                assert e2.choices["T"] == c1  # level, limit and whether relaxed
                # and the engine given the kept choice describes it as the search would
                r3 = e2.routes(s, [("T", t)], detour_cap=cap,
                               safest={0: c1})["T"]["safest"]
                assert r3.as_dict() == r2.as_dict()
    assert kept >= 20 and searched >= 10  # both branches are exercised


def _random_graph(rng, n=9):
    """An n x n grid of unit-ish roads with random lengths: (net, corner nodes)."""
    from test_routes import make_net

    xy = {(i, j): (i * 4_000.0 + rng.uniform(-900, 900), j * 4_000.0 + rng.uniform(-900, 900))
          for i in range(n) for j in range(n)}
    items = [([p, xy[q]], {"ref": "R"}) for (i, j), p in xy.items()
             for q in ((i + 1, j), (i, j + 1)) if q in xy if rng.random() < 0.9]
    net = make_net(*items, max_edge_m=1e9)
    pick = [net.nearest_node(xy[k], main_only=False)[0] for k in ((0, 0), (n - 1, n - 1),
                                                                 (n - 1, 0), (0, n - 1))]
    return net, pick


def _exposure(values: np.ndarray) -> EdgeExposure:
    """An exposure with these clearances (m; negative: held)."""
    held = values < 0
    clear = np.where(held, 0.0, values)
    return EdgeExposure(np.arange(len(values)), clear, held, PROFILE.classify(clear, held))


@pytest.mark.parametrize("seed", range(6))
def test_safest_still_valid_against_fresh_searches_on_random_changes(seed):
    """Random clearances on a random grid; each day changes some edges (a few across the
    level, some held ground added or released). Whenever the shortcut keeps a choice, a
    fresh search finds exactly the same (level, limit, relaxed, route)."""
    rng = np.random.default_rng(seed)
    net, (s, *targets) = _random_graph(rng)
    m = len(net.length)
    # few distinct values, as after capping: ties and levels shared by many edges
    values = rng.choice([-1.0, 500, 1_000, 2_000, 3_500, 5_000, 6_000], m,
                        p=[0.05, 0.15, 0.15, 0.2, 0.15, 0.15, 0.15])
    hubs = [(f"H{k}", t) for k, t in enumerate(targets)]
    kept = fresh = 0
    for day in range(40):
        cap = (1.0, 1.1, 1.3, 2.0)[day % 4]
        old = RouteEngine(net, _exposure(values), PROFILE)
        old.routes(s, hubs, detour_cap=cap, lean=True, with_refs=False)
        new_values = values.copy()
        k = rng.integers(1, 6)
        idx = rng.choice(m, k, replace=False)
        new_values[idx] = rng.choice([-1.0, 500, 1_000, 2_000, 3_500, 5_000, 6_000], k)
        new = RouteEngine(net, _exposure(new_values), PROFILE)
        new.routes(s, hubs, detour_cap=cap, lean=True, with_refs=False)
        for h, c in old.choices.items():
            if safest_still_valid(old.capped_clearance(), new.capped_clearance(), c):
                kept += 1
                got = new.choices[h]
                assert (got.level, got.relaxed) == (c.level, c.relaxed)
                assert got.limit_m == pytest.approx(c.limit_m, abs=1e-3)
                assert list(got.path) == list(c.path)
            else:
                fresh += 1
        values = new_values
    assert kept >= 10 and fresh >= 5


@pytest.mark.parametrize("seed", range(4))
def test_kept_disjoint_counts_equal_fresh_flows(seed):
    """A count kept because its flow and cut still hold equals a fresh maximum flow, on
    random usable edge sets changing day by day (both with and without chains)."""
    from supplyline.core.routes import Chains, _count, disjoint_count

    rng = np.random.default_rng(seed)
    net, (s, t, *_) = _random_graph(rng, n=7)
    src = np.array([s])
    snk = np.array([t])
    usable = rng.random(len(net.length)) < 0.8
    kept = computed = 0
    for chains in (None, Chains(net, np.array([s, t]))):
        eng = RouteEngine(net, _exposure(np.full(len(net.length), 9_000.0)), PROFILE,
                          chains=chains)
        proof = None
        for _ in range(60):
            flip = rng.choice(len(usable), int(rng.integers(1, 4)), replace=False)
            usable[flip] = ~usable[flip]
            n, new = _count(eng, src, snk, usable, proof)
            assert n == disjoint_count(RouteEngine(net, eng.exp, PROFILE), src, snk, usable)
            kept += new is proof
            computed += new is not proof
            proof = new
    assert kept >= 20 and computed >= 10


def test_safest_still_valid_rejects_a_crossing_edge():
    old = np.array([5.0, 10.0, 3.0, -1.0])
    c = SafestChoice(5.0, 100.0, False, [0])
    assert safest_still_valid(old, old, c)
    assert safest_still_valid(old, np.array([5.0, 12.0, 1.0, -1.0]), c)  # same sides
    assert safest_still_valid(old, np.array([5.0, 5.0, 3.0, 2.0]), c)  # 10 -> t*, 3 held
    assert not safest_still_valid(old, np.array([5.0, 4.0, 3.0, -1.0]), c)  # 10 -> 4
    assert not safest_still_valid(old, np.array([5.0, 10.0, 6.0, -1.0]), c)  # 3 -> 6
    assert not safest_still_valid(old, np.array([5.0, 10.0, 5.0, -1.0]), c)  # 3 -> t*
    assert not safest_still_valid(old, np.array([6.0, 10.0, 3.0, -1.0]), c)  # t* -> 6
    # a relaxed limit (the shortest held-avoiding route) also needs no edge released
    r = SafestChoice(5.0, 100.0, True, [0])
    assert safest_still_valid(old, np.array([5.0, 12.0, 1.0, -1.0]), r)
    assert not safest_still_valid(old, np.array([5.0, 10.0, 3.0, 2.0]), r)  # released


def test_corridor_kept_only_when_a_search_gives_the_same(monkeypatch):
    start, target = (5_000.0, 50_000.0), (95_000.0, 50_000.0)
    area = (0.0, 0.0, 100_000.0, 100_000.0)
    searches = []
    real = ClearanceRaster._widest
    monkeypatch.setattr(ClearanceRaster, "_widest",
                        lambda self, *a, **k: searches.append(1) or real(self, *a, **k))
    tok, steps = None, 0
    for k in range(12):  # the front grows north on even days, a far patch on odd ones
        held = box(30_000, 0, 60_000, 20_000 + 2500 * (k // 2)).union(
            box(0, 0, 2_000 + 500 * k, 2_000))
        r = ClearanceRaster.build(held, area)
        fresh, _ = r.corridor(start, [target])
        before = len(searches)
        got, tok = r.corridor(start, [target], prev=tok)
        assert got == fresh
        steps += len(searches) - before
    assert 0 < steps <= 7  # some days searched again, some kept


def test_forget_fine_keeps_only_values_no_change_can_reach():
    fine = np.array([1000.0, 5000.0, np.nan, 20_000.0])
    mid = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [100_000.0, 0.0]])
    half = np.full(4, 500.0)
    changed = np.array([[3_000.0, -10.0, 3_100.0, 10.0]])  # 3 km east of the origin
    out = forget_fine(fine, mid, half, changed)
    assert out[0] == 1000.0  # 3 km away > 1 km + 500 m: kept
    assert np.isnan(out[1])  # within 5 km + 500 m: measured again
    assert np.isnan(out[2])
    assert out[3] == 20_000.0  # 97 km away


def test_updated_exposure_equals_a_fresh_one():
    from supplyline.data.control import changed_boxes

    net, _ = _grid(n=8, step=6_000.0)
    small, far = box(6_000, 6_000, 9_000, 9_000), box(60_000, 60_000, 61_000, 61_000)
    # most of the grid, edges up to ~15 km inside; vertices every 500 m as in real data
    # (a change's boxes then span only the vertices that moved, not the whole square)
    big = shapely.segmentize(box(-1_000, -1_000, 30_000, 30_000), 500)
    pairs = [(small, box(6_000, 6_000, 9_500, 9_000)),  # a small advance
             (small, box(6_000, 6_000, 14_000, 9_000)),
             (small, small.union(box(30_000, 30_000, 31_000, 31_000))),
             (big, box(-1_000, -1_000, 29_000, 30_000)),  # a strip released
             (big, small),  # most of it released: deep edges far from any new boundary
             (big.union(far), far),  # all of it released
             (small, big)]  # engulfed: the edges inside were near the old boundary
    counts = []
    for h1, h2 in pairs:
        old = EdgeExposure.compute(net, HeldIndex.build(h1), PROFILE)
        new = old.updated(net, HeldIndex.build(h2), PROFILE, changed_boxes(h1, h2))
        fresh = EdgeExposure.compute(net, HeldIndex.build(h2), PROFILE)
        assert np.array_equal(new.clearance, fresh.clearance)
        assert np.array_equal(new.held, fresh.held)
        assert np.array_equal(new.band, fresh.band)
        assert np.array_equal(new.depth, fresh.depth)
        counts.append(int(new.remeasured.sum()))
    assert min(counts) < len(net.length) / 2  # far edges were not measured again


def test_real_timeline_incremental_equals_from_scratch(ws):
    from supplyline.analysis.timeline import compute_timeline

    cities = ["Pokrovsk", "Kurakhove", "Kupyansk", "Orikhiv"]
    a = compute_timeline(ws, cities, "2024-11-20", "2024-12-20", use_cache=False)
    b = compute_timeline(ws, cities, "2024-11-20", "2024-12-20", use_cache=False,
                         incremental=False)
    assert a.stats["carried_over"] > 0 and b.stats["carried_over"] == 0
    for x, y, keys in ((a.days, b.days, ["city", "date"]),
                       (a.routes, b.routes, ["city", "date", "mode", "hub"])):
        cols = [c for c in x.columns if c != "recomputed"]
        x = x[cols].sort_values(keys).reset_index(drop=True)
        y = y[cols].sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y, check_exact=True)


def test_widest_level_with_any_hint_gives_the_same_level():
    from supplyline.core.encirclement import widest_level

    rng = np.random.default_rng(7)
    for _ in range(20):
        held = rng.random((60, 80)) < rng.uniform(0.005, 0.08)
        clear = distance_to_held(held) * 1000.0 if held.any() else np.full(held.shape, 9e4)
        start = np.zeros(held.shape, bool)
        start[int(rng.integers(0, 60)), int(rng.integers(0, 80))] = True
        targets = [(int(rng.integers(0, 60)), int(rng.integers(0, 80))) for _ in range(2)]
        plain = widest_level(clear, start, targets)
        for hint in (0.0, 1000.0, 2500.0, 7000.0, 1e9, float(rng.uniform(0, 20_000))):
            assert widest_level(clear, start, targets, hint=hint) == plain


def test_chains_give_the_routes_and_counts_of_the_full_network():
    from test_routes import make_net

    from supplyline.core.routes import Chains, band_counts, level_masks, resilience

    rng = np.random.default_rng(2)
    xy = {(i, j): (i * 5_000 + rng.uniform(-800, 800), j * 5_000 + rng.uniform(-800, 800))
          for i in range(4) for j in range(4)}
    items = [([p, xy[q]], {"ref": "R", "cls": "primary"}) for (i, j), p in xy.items()
             for q in ((i + 1, j), (i, j + 1)) if q in xy]
    net = make_net(*items, max_edge_m=1000.0)  # roads split into ~1 km edges
    a = net.nearest_node(xy[(0, 0)], main_only=False)[0]
    b = net.nearest_node(xy[(3, 3)], main_only=False)[0]
    c = net.nearest_node(xy[(3, 0)], main_only=False)[0]
    ch = Chains(net, np.array([a, b, c]))
    # every road is a chain, except at the corner (0, 3), not kept, whose two roads join
    assert len(ch) == len(items) - 1 and len(ch.order) == len(net.length)
    for held in HELD_PAIRS[0] + HELD_PAIRS[2] + HELD_PAIRS[6]:
        exp = EdgeExposure.compute(net, HeldIndex.build(held), PROFILE)
        full = RouteEngine(net, exp, PROFILE)
        fast = RouteEngine(net, exp, PROFILE, chains=ch)
        for cap in (1.0, 1.5):
            r1 = full.routes(a, [("B", b), ("C", c)], detour_cap=cap, beyond="contact",
                             tradeoff=True)
            r2 = fast.routes(a, [("B", b), ("C", c)], detour_cap=cap, beyond="contact",
                             tradeoff=True)
            assert {h: {k: r.as_dict() for k, r in rr.items()} for h, rr in r1.items()} == \
                {h: {k: r.as_dict() for k, r in rr.items()} for h, rr in r2.items()}
            # the same choices (a relaxed limit is a sum taken in another order)
            assert {h: (c.level, c.relaxed, list(c.path)) for h, c in full.choices.items()} \
                == {h: (c.level, c.relaxed, list(c.path)) for h, c in fast.choices.items()}
            for h, choice in full.choices.items():
                assert choice.limit_m == pytest.approx(fast.choices[h].limit_m, abs=1e-6)
            assert full.tradeoffs == fast.tradeoffs
        n1, _ = band_counts(full, np.array([a]), np.array([b, c]), level_masks(full))
        n2, _ = band_counts(fast, np.array([a]), np.array([b, c]), level_masks(fast))
        assert n1 == n2
        for band in ("contact", "fpv"):
            n1 = resilience(full, np.array([a]), np.array([b, c]), band).disjoint_routes
            n2 = resilience(fast, np.array([a]), np.array([b, c]), band,
                            with_cut=False).disjoint_routes
            assert n1 == n2


def test_unknown_depth_or_unbounded_reach_measures_held_edges_again():
    from supplyline.data.control import changed_boxes

    xy = np.array([[0.0, 0.0], [50_000.0, 0.0]])
    box_ = np.array([[10_000.0, -10.0, 10_010.0, 10.0]])
    assert within_reach(xy, box_, np.array([np.inf, 100.0])).tolist() == [True, False]
    net, _ = _grid(n=8, step=6_000.0)
    h1 = shapely.segmentize(box(6_000, 6_000, 14_000, 14_000), 500)
    h2 = shapely.segmentize(box(6_000, 6_000, 8_000, 8_000), 500)
    e = EdgeExposure.compute(net, HeldIndex.build(h1), PROFILE)
    e.depth = None  # built elsewhere, without depths
    new = e.updated(net, HeldIndex.build(h2), PROFILE, changed_boxes(h1, h2))
    fresh = EdgeExposure.compute(net, HeldIndex.build(h2), PROFILE)
    assert np.array_equal(new.held, fresh.held)
    assert np.array_equal(new.clearance, fresh.clearance)


def test_engine_takes_edges_in_any_order_and_describes_array_paths():
    net, nodes = _grid()
    exp = EdgeExposure.compute(net, HeldIndex.build(HELD_PAIRS[0][0]), PROFILE)
    n = len(net.length)
    perm = np.r_[0, np.arange(n - 2, 0, -1), n - 1]  # starts and ends like 0..n-1
    shuffled = EdgeExposure(perm, exp.clearance[perm], exp.held[perm], exp.band[perm])
    a, b = RouteEngine(net, exp, PROFILE), RouteEngine(net, shuffled, PROFILE)
    assert np.array_equal(a.clear, b.clear) and np.array_equal(a.held, b.held)
    path = np.asarray(a.routes(nodes[(0, 0)], [("T", nodes[(3, 3)])])["T"]["safest"].edge_ids)
    r = a.describe("safest", "T", path, 1.0, with_refs=True)
    assert r.found and r.refs


def test_walk_positions_follow_the_plan_not_a_reused_id():
    """The walk's edge positions per plan were keyed by id(plan): once the workspace's
    memo dropped a plan, a new plan could get its id and the old positions (a sweep of
    the whole history crashed on it)."""
    import gc

    from supplyline.analysis.timeline import _Walk

    class P:  # a stand-in plan: modes with a sub-network's parent edges
        def __init__(self, edges):
            net = type("N", (), {"parent_edges": np.asarray(edges)})()
            self.modes = {"road": type("M", (), {"net": net})()}

    walk = _Walk.__new__(_Walk)
    walk._pos = {}
    walk.union = {"road": np.arange(0, 100, 2)}
    a = P([0, 4, 8])
    assert walk.pos(a)["road"].tolist() == [0, 2, 4]
    key = id(a)
    del a
    gc.collect()
    assert key not in walk._pos  # dropped with its plan
    b = P([10, 12])
    assert walk.pos(b)["road"].tolist() == [5, 6]
    b.modes["road"].net.parent_edges = np.array([2])  # another object at the same id:
    walk._pos[id(b)] = (lambda: None, walk._pos[id(b)][1])  # ... whose entry is stale
    assert walk.pos(b)["road"].tolist() == [1]
