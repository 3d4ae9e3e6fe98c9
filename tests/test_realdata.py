"""Properties that must hold on the real shared data (skipped without ../shared/data)."""

import numpy as np
import pytest

from supplyline.analysis import queries
from supplyline.analysis.options import DEFAULT_OPTIONS

ROAD = DEFAULT_OPTIONS.with_(modes=("road",))

POKROVSK_DATES = ["2024-07-15", "2024-10-01", "2025-01-31", "2025-06-30", "2025-10-15"]


@pytest.mark.parametrize("mode", ["road", "rail"])
def test_main_component_contains_key_cities(ws, mode):
    net = ws.network(mode)
    assert net.report["main_component_share"] > 0.95
    for name in ("Pokrovsk", "Kramatorsk", "Pavlohrad", "Dnipro"):
        node, d = net.nearest_node(ws.find(name).place.xy, main_only=False)
        assert net.node_component[node] == net.main_component, name
        assert d < 5000, (name, d)


def test_network_cache_hit_is_identical(ws, shared_data):
    from supplyline.data.network import load_network

    net = ws.network("rail")
    again = load_network("rail", egm_path=shared_data / "egm" / "eastern-ukraine-egm90.gpkg")
    assert again.report["cache"] == "hit"
    assert len(again.edges) == len(net.edges)
    assert np.allclose(again.length, net.length)


def test_status_pokrovsk_2025_01_31(ws):
    s = queries.status(ws, "Pokrovsk", "2025-01-31").to_dict()
    assert s["city"]["oblast"] == "Donetsk Oblast"
    assert 2 < s["distance_to_held_km"] < 12  # the front was a few km SE/S of the city
    assert not s["centre_held"]
    hubs = [h["hub"]["name"] for h in s["hubs"]]
    assert "Pavlohrad" in hubs and "Dnipro" in hubs
    r = queries.routes(ws, "Pokrovsk", "2025-01-31", to="Dnipro").to_dict()
    road = r["modes"]["road"]["hubs"][0]["peacetime"]
    assert 150 < road["length_km"] < 230
    assert any("М-04" in x for x in road["route_numbers"])  # Pokrovsk - Pavlohrad - Dnipro
    assert r["modes"]["rail"]["hubs"][0]["peacetime"]["found"]
    assert s["modes"]["rail"]["hubs"][0]["peacetime_length_km"] > 0


def test_distance_to_front_shrinks_as_front_advances(ws):
    d = [queries.status(ws, "Pokrovsk", day).distance_to_held_km * 1000
         for day in POKROVSK_DATES]
    assert d[0] > 15_000 and d[-1] < 6_000
    assert d[0] > d[2] > d[-1]


def test_routes_open_in_july_2024_under_fire_later(ws):
    early = queries.routes(ws, "Pokrovsk", "2024-07-15", to=["Dnipro"], options=ROAD).to_dict()
    late = queries.routes(ws, "Pokrovsk", "2025-10-15", to=["Dnipro"], options=ROAD).to_dict()
    e = early["modes"]["road"]["hubs"][0]
    lt = late["modes"]["road"]["hubs"][0]
    assert e["safest"]["min_clearance_km"] > (lt["safest"]["min_clearance_km"] or 0)
    assert lt["status"] != "open"
    assert e["peacetime"]["min_clearance_km"] > 10
    # no route reported as avoiding held territory may touch it
    for p in (e, lt):
        assert p["avoid_held"]["km_by_band"].get("held", 0) == 0


def test_resilience_shrinks(ws):
    hubs = ["Dnipro", "Pavlohrad"]
    early = queries.routes(ws, "Pokrovsk", "2024-07-15", to=hubs, options=ROAD)
    late = queries.routes(ws, "Pokrovsk", "2025-10-15", to=hubs, options=ROAD)
    ne = early.modes["road"].resilience.disjoint_routes
    nl = late.modes["road"].resilience.disjoint_routes
    assert ne >= 2 and nl < ne


def test_ring_occupancy_grows(ws):
    held = [queries.encirclement(ws, "Pokrovsk", d).rings[2].held_share
            for d in ("2024-07-15", "2025-10-15")]
    assert held[0] < 0.05 < 0.3 < held[1]


def test_dnipropetrovsk_boundary_reached_mid_2025(ws):
    r = queries.distance(ws, "Pokrovsk", "2025-12-01", oblast="Dnipropetrovsk Oblast",
                         radius_km=40)
    first = r.targets[0].first_reached
    assert first is not None and "2025-05-01" <= first <= "2025-08-31"
