"""Route policies and resilience per band on the real data: properties an analyst relies
on when quoting them (a safest route never longer than its cap; something to say for a
city a few km from the front; the Pokrovsk - Sloviansk case that prompted the cap)."""

from __future__ import annotations

import pytest

from supplyline.analysis import queries

pytestmark = pytest.mark.realdata

CITY_DATES = [("Pokrovsk", "2024-09-01"), ("Pokrovsk", "2025-01-31"),
              ("Kostiantynivka", "2025-06-01"), ("Kupiansk", "2025-08-01"),
              ("Huliaipole", "2025-01-31"), ("Myrnohrad", "2025-06-01")]
LEVELS = ["held", "contact", "fpv", "tube", "rocket"]


@pytest.mark.parametrize(("city", "date"), CITY_DATES)
def test_safest_route_never_longer_than_its_cap(ws, city, date):
    s = queries.status(ws, city, date)
    cap = s.method["detour_cap"]
    assert cap == 1.5
    seen = 0
    for m in s.modes.values():
        if m.error:
            continue
        counts = [m.disjoint_routes_by_band[b] for b in LEVELS]
        assert counts == sorted(counts, reverse=True)  # nested edge sets
        assert m.disjoint_routes == m.disjoint_routes_by_band["fpv"]
        for h in m.hubs:
            if h.safest_length_km is None:
                assert h.status == "cut" and h.safest_length_limit_km is None
                continue
            seen += 1
            limit = h.safest_length_limit_km
            assert h.safest_length_km <= limit + 0.01
            # the limit is cap x peacetime, or the shortest held-avoiding route if longer
            assert limit >= cap * h.peacetime_length_km - 0.02
            if h.peacetime_status != "cut":  # the peacetime route itself fits
                assert limit == pytest.approx(cap * h.peacetime_length_km, abs=0.02)
                assert h.safest_min_clearance_km >= h.peacetime_min_clearance_km - 0.01
    assert seen


def test_pokrovsk_to_sloviansk_safest_route_is_defensible(ws):
    r = queries.routes(ws, "Pokrovsk", "2025-01-31", to=["Pavlohrad", "Dnipro", "Sloviansk"])
    pair = r.modes["road"].hubs[2]
    assert pair.hub.name == "Sloviansk"
    peace, safest = pair.peacetime, pair.safest
    assert 90 < peace.length_km < 105 and peace.status != "cut"
    # not the 324 km detour for a few hundred metres of clearance the unbounded rule took
    assert safest.found and safest.length_km <= 1.5 * peace.length_km + 0.01
    assert safest.length_limit_km == pytest.approx(1.5 * peace.length_km, abs=0.02)
    assert safest.detour_cap == 1.5 and "1.5 x the peacetime route" in safest.policy
    assert safest.min_clearance_km >= peace.min_clearance_km
    assert pair.status == safest.status != "cut"
    # the trade-off still shows what a longer detour buys, each point with its price
    points = [p for p in pair.tradeoff if p.found]
    assert points[0].length_km == pytest.approx(pair.avoid_held.length_km)
    assert "safest" in next(p.meets for p in points if p.length_km == safest.length_km)
    for a, b in zip(points, points[1:], strict=False):
        assert b.length_km > a.length_km and b.note.startswith("+")
        assert (b.extra_clearance_km or 0) > 0 or b.less_within_km


@pytest.mark.parametrize(("city", "date"), [("Kupiansk", "2025-08-01"),
                                            ("Chasiv Yar", "2024-09-01")])
def test_city_a_few_km_from_the_front_gets_a_resilience_description(ws, city, date):
    r = queries.routes(ws, city, date)
    assert r.distance_to_held_km is not None and 2.0 <= r.distance_to_held_km <= 4.0
    for mode, m in r.modes.items():
        res = m.resilience
        assert [b.band for b in res.by_band] == LEVELS
        # no route stays beyond fpv from a city 3 km away, but the display says why and
        # where the routes that remain can be cut
        assert res.disjoint_routes == 0 and res.cut_band in ("held", "contact", "fpv")
        assert res.summary.startswith("Edge-disjoint") and city in res.summary
        if res.bottleneck_band is not None:
            assert res.bottleneck and all(b.lat and b.lon and b.near for b in res.bottleneck)
            assert f"{res.bottleneck[0].lat:.3f} N" in res.summary
        assert res.cut_at_city or res.cut_at_hubs or res.cut, (mode, res.summary)
        assert f"No route {'avoids held territory' if res.cut_band == 'held' else 'stays'}" \
            in res.summary


def test_beyond_band_route_on_request(ws):
    opts = ws.options.with_(route_beyond_band="tube", modes=("road",))
    r = queries.routes(ws, "Pokrovsk", "2025-01-31", to="Sloviansk", options=opts)
    pair = r.modes["road"].hubs[0]
    b = pair.beyond
    assert b is not None and b.found and b.beyond_band == "tube"
    within_tube = next(p.km_within["tube"] for p in pair.tradeoff if "least within tube"
                       in p.meets)
    # no route has fewer km within the tube band than this one
    assert all(p.km_within["tube"] >= within_tube - 0.01 for p in pair.tradeoff if p.found)
    assert r.method["route_beyond_band"] == "tube"
