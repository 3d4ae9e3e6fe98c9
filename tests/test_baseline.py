"""The benchmark baseline (benchmarks/baseline.py) agrees with supplyline.

This keeps the speed comparison honest: a baseline that answered different questions
would make any speed-up meaningless. The real-data test runs both on 1 city x 3 days.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def baseline():
    pytest.importorskip("networkx")
    name = "supplyline_bench_baseline"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BENCH / "baseline.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod  # dataclasses look their module up
        spec.loader.exec_module(mod)
    return sys.modules[name]


def test_safest_route_is_clearest_within_the_cap(baseline):
    import networkx as nx

    # two routes 0 -> 3: short and exposed (1 km clear), long and safe (9 km clear);
    # the peacetime route (edge 4, 5 long) touches held ground
    g = nx.MultiGraph()
    for k, (u, v, length) in enumerate([(0, 1, 10), (1, 3, 10), (0, 2, 30), (2, 3, 30),
                                        (0, 3, 5)]):
        g.add_edge(u, v, key=k, length=length, cls="primary")
    dist = {0: 1000.0, 1: 1000.0, 2: 9000.0, 3: 12000.0, 4: 0.0}  # edge 4 touches held
    # 1.5 x 5 < 20: the limit is the shortest held-avoiding route (20): the exposed one
    safest = baseline.safest_route(g, 0, 3, dist, cap_m=45_000)
    assert safest == {"found": True, "length_m": 20, "min_clear_m": 1000.0}
    # a cap of 12 (60) admits the safe route
    safest = baseline.safest_route(g, 0, 3, dist, cap_m=45_000, detour_cap=12)
    assert safest == {"found": True, "length_m": 60, "min_clear_m": 9000.0}
    peace = baseline.peacetime_route(g, 0, 3, dist)
    assert peace["length_m"] == 5 and peace["min_clear_m"] == 0.0
    from supplyline.core.exposure import ThreatProfile

    bands = ThreatProfile().bands
    assert baseline.band_status(0.0, bands) == "cut"
    assert baseline.band_status(3000.0, bands) == "under fire (contact)"
    assert baseline.band_status(9000.0, bands) == "under fire (fpv)"
    assert baseline.band_status(50_000.0, bands) == "open"
    # nothing avoids held territory: cut
    assert not baseline.safest_route(g.edge_subgraph([(0, 3, 4)]).copy(), 0, 3, dist,
                                     45_000)["found"]


@pytest.mark.realdata
def test_baseline_agrees_with_supplyline(ws, baseline):
    from supplyline.analysis.timeline import compute_timeline

    dates = baseline.history_dates(ws, "2025-01-29", 3)
    tl = compute_timeline(ws, ["Pokrovsk"], dates[0], dates[-1], use_cache=False,
                          options=baseline.HELD_ONLY)
    plans = baseline.plans_by_day(ws, tl)
    n_hubs = sum(len(p.hubs) for day in plans.values() for p in day)
    assert n_hubs
    base = baseline.run_baseline(ws.sources.require("egm"), ws.sources.daily_dirs[0][1], plans,
                                 dates, ws.profile)
    res = baseline.compare(tl, base, ws.profile)
    assert res["city_days"] == 3
    assert res["route_rows"] == 2 * n_hubs
    detail = {k: res[k] for k in ("checks", "worst", "day_disagreements",
                                  "route_disagreements")}
    assert res["ok"], detail
    # both sides measured every route: no row left unmatched
    assert res["safest_clearances_compared"] == res["route_rows"], detail
