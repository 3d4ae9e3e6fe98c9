"""Tests for supplyline.core.settlements: population per threat band, largest places not held.

Synthetic tests use a held square and places at hand-picked metric distances; real-data
tests use the session ``ws`` fixture (skipped without ../shared/data).
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from conftest import plain
from shapely.geometry import MultiPolygon, box

from supplyline.analysis.settlements import (
    largest_not_held,
    population_by_band,
    settlements_change,
)
from supplyline.core.exposure import ThreatProfile
from supplyline.core.settlements import (
    band_table,
    band_transitions,
    largest_rows,
    place_status,
)
from supplyline.crs import lonlat_xy
from supplyline.data.control import ControlHistory
from supplyline.data.places import Gazetteer, Oblast, name_key
from supplyline.errors import PlaceNotFoundError, SupplylineError

PROFILE = ThreatProfile()  # contact 3, fpv 15, tube 25, rocket 45 km
X0, Y0 = 500_000.0, 5_300_000.0  # metric CRS origin of the synthetic scene (lon 35.5 E)
SQUARE = box(X0, Y0, X0 + 10_000, Y0 + 10_000)  # held: a 10 km square


# --------------------------------------------------------------------------- pure functions

# (dx, dy) from the square's lower-left corner, population, expected distance (m) and band
POINTS = [
    ((5_000, 5_000), 1000, 0.0, "held"),
    ((11_000, 5_000), 200, 1_000.0, "contact"),
    ((5_000, 13_000), 50, 3_000.0, "contact"),  # exactly on the 3 km limit: inclusive
    ((20_000, 5_000), 300, 10_000.0, "fpv"),
    ((40_000, 5_000), 400, 30_000.0, "rocket"),
    ((70_000, 5_000), 500, 60_000.0, "beyond"),
]


def test_place_status_exact_distances_and_bands():
    xy = np.array([[X0 + dx, Y0 + dy] for (dx, dy), *_ in POINTS])
    d, inside, band = place_status(SQUARE, xy, PROFILE)
    assert np.allclose(d, [p[2] for p in POINTS])
    assert inside.tolist() == [True] + [False] * 5
    assert [PROFILE.names[b] for b in band] == [p[3] for p in POINTS]


def test_place_status_boundary_counts_as_held_and_empty_held():
    d, inside, band = place_status(SQUARE, np.array([[X0 + 10_000, Y0 + 5_000]]), PROFILE)
    assert d[0] == 0 and inside[0] and band[0] == 0
    d, inside, band = place_status(MultiPolygon(), np.array([[X0, Y0], [X0 + 1, Y0]]), PROFILE)
    assert np.isinf(d).all() and not inside.any()
    assert all(PROFILE.names[b] == "beyond" for b in band)


def test_band_table_by_hand():
    xy = np.array([[X0 + dx, Y0 + dy] for (dx, dy), *_ in POINTS])
    pop = np.array([p[1] for p in POINTS])
    _, _, band = place_status(SQUARE, xy, PROFILE)
    t = band_table(pop, band, PROFILE)
    assert list(t) == PROFILE.names
    assert {k: v["population"] for k, v in t.items()} == {
        "held": 1000, "contact": 250, "fpv": 300, "tube": 0, "rocket": 400, "beyond": 500}
    assert {k: v["places"] for k, v in t.items()} == {
        "held": 1, "contact": 2, "fpv": 1, "tube": 0, "rocket": 1, "beyond": 1}
    assert t["held"]["share"] == round(1000 / 2450, 4)
    assert band_table(np.zeros(2), np.array([0, 5]), PROFILE)["held"]["share"] == 0.0
    assert plain(t)


def test_band_transitions_by_hand():
    pop = np.array([100, 20, 3, 4000])
    a = np.array([1, 2, 5, 0])  # contact, fpv, beyond, held
    b = np.array([0, 1, 5, 0])  # held, contact, beyond, held
    r = band_transitions(pop, a, b, PROFILE)
    assert r["population_change"] == {"held": 100, "contact": -80, "fpv": -20, "tube": 0,
                                      "rocket": 0, "beyond": 0}
    assert r["moved_into"]["held"] == 100 and r["moved_into"]["contact"] == 20
    assert r["moved_out_of"]["contact"] == 100 and r["moved_out_of"]["fpv"] == 20
    assert r["transitions"] == [
        {"from": "contact", "to": "held", "places": 1, "population": 100},
        {"from": "fpv", "to": "contact", "places": 1, "population": 20}]
    assert plain(r)


def test_largest_rows_skips_held_and_limits():
    places = pd.DataFrame({"name": ["A", "B", "C", "D"], "population": [500, 900, 100, 700],
                           "lon": [35.0] * 4, "lat": [48.0] * 4})
    dist = np.array([2000.0, 0.0, np.inf, 20_000.0])
    inside = np.array([False, True, False, False])
    band = PROFILE.classify(dist, inside)
    rows = largest_rows(places, dist, inside, band, PROFILE, 2)
    assert [(r["name"], r["band"], r["distance_to_held_km"]) for r in rows] == [
        ("D", "tube", 20.0), ("A", "contact", 2.0)]
    rows = largest_rows(places, dist, inside, band, PROFILE, 10)
    assert rows[-1]["name"] == "C" and rows[-1]["distance_to_held_km"] is None
    assert plain(rows)


# --------------------------------------------------------------------------- workspace helpers

def lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = lonlat_xy(x, y)
    return float(lon), float(lat)


class FakeWorkspace:
    """The parts of Workspace the settlements helpers use, over a synthetic scene."""

    def __init__(self, gazetteer: Gazetteer, history: ControlHistory):
        self.gazetteer = gazetteer
        self.history = history
        self.profile = ThreatProfile()

    def find(self, name: str):
        return self.gazetteer.find(name)


@pytest.fixture(scope="module")
def fake_ws() -> FakeWorkspace:
    rows = [  # name, dx, dy, population, source
        ("Heldton", 5_000, 5_000, 1000, "geonames"),  # held on both days
        ("Edgeby", 11_000, 5_000, 200, "geonames"),  # 1 km (contact), held on day 2
        ("Midfield", 20_000, 5_000, 300, "geonames"),  # 10 km then 8 km: fpv
        ("Farley", 40_000, 5_000, 400, "geonames"),  # 30 / 28 km: rocket
        ("Outpost", 70_000, 5_000, 500, "geonames"),  # 60 / 58 km: beyond
        ("Egmville", 15_000, 5_000, 10_000, "egm"),  # EGM points are not counted
        ("Faraway", 300_000, 5_000, 7_000, "geonames"),  # another oblast
    ]
    df = pd.DataFrame({
        "name": [r[0] for r in rows],
        "lon": [lonlat(X0 + r[1], Y0 + r[2])[0] for r in rows],
        "lat": [lonlat(X0 + r[1], Y0 + r[2])[1] for r in rows],
        "population": [r[3] for r in rows],
        "alternates": [[] for _ in rows],
        "source": [r[4] for r in rows],
        "ident": [f"{r[4]}:{i}" for i, r in enumerate(rows)],
    })
    oblasts = [Oblast("Testland Oblast", "Тестленд", "UA-99",
                      box(X0 - 50_000, Y0 - 50_000, X0 + 100_000, Y0 + 50_000)),
               Oblast("Otherland Oblast", "Інша", "UA-98",
                      box(X0 + 200_000, Y0 - 50_000, X0 + 400_000, Y0 + 50_000))]
    gaz = Gazetteer(df, oblasts)
    day2 = box(X0, Y0, X0 + 12_000, Y0 + 10_000)  # the square grew 2 km east
    hist = ControlHistory([dt.date(2025, 1, 1), dt.date(2025, 2, 1)], [SQUARE, day2], "test")
    return FakeWorkspace(gaz, hist)


def test_population_by_band_oblast(fake_ws):
    r = population_by_band(fake_ws, "2025-01-01", oblast="Testland")
    assert r["oblast"] == "Testland Oblast" and r["places"] == 5 and r["population"] == 2400
    assert {k: v["population"] for k, v in r["by_band"].items()} == {
        "held": 1000, "contact": 200, "fpv": 300, "tube": 0, "rocket": 400, "beyond": 500}
    assert r["held_share"] == round(1000 / 2400, 4)
    assert r["within_km_not_held"]["fpv"] == {"max_km": 15.0, "places": 2, "population": 500}
    assert r["within_km_not_held"]["rocket"]["population"] == 900
    assert r["data_exact"] and plain(r)
    json.dumps(r)


def test_population_by_band_city_radius_and_last_known_day(fake_ws):
    r = population_by_band(fake_ws, "2025-01-15", city="Midfield", radius_km=12)
    assert r["city"] == "Midfield" and r["radius_km"] == 12.0
    assert r["data_date"] == "2025-01-01" and not r["data_exact"]
    assert r["places"] == 2  # Edgeby and Midfield; Heldton is 15 km away, Egmville is EGM
    assert r["by_band"]["contact"]["population"] == 200
    assert r["by_band"]["fpv"]["population"] == 300


def test_largest_not_held_synthetic(fake_ws):
    r = largest_not_held(fake_ws, "UA-99", "2025-01-01", n=3)
    assert [x["name"] for x in r["largest_not_held"]] == ["Outpost", "Farley", "Midfield"]
    assert r["largest_not_held"][1]["distance_to_held_km"] == pytest.approx(30.0, abs=0.01)
    assert r["largest_not_held"][1]["band"] == "rocket"
    assert (r["held_places"], r["held_population"]) == (1, 1000)
    assert r["held_share_population"] == round(1000 / 2400, 4)
    assert r["held_share_places"] == 0.2
    assert plain(r)


def test_settlements_change_synthetic(fake_ws):
    r = settlements_change(fake_ws, "2025-01-01", "2025-02-01", oblast="Testland Oblast")
    assert r["newly_held"] == {"places": 1, "population": 200,
                               "names": [{"name": "Edgeby", "population": 200}]}
    assert r["no_longer_held"]["places"] == 0
    assert r["held_share_change"] == round(1200 / 2400 - 1000 / 2400, 4)
    assert r["population_change"]["held"] == 200 and r["population_change"]["contact"] == -200
    assert r["moved_into"]["held"] == 200
    assert r["transitions"] == [{"from": "contact", "to": "held", "places": 1,
                                 "population": 200}]
    assert r["end"]["largest_not_held"][0]["distance_to_held_km"] == pytest.approx(58.0, abs=0.01)
    assert plain(r)


def test_errors(fake_ws):
    with pytest.raises(PlaceNotFoundError, match="Atlantis") as e:
        largest_not_held(fake_ws, "Atlantis", "2025-01-01")
    assert "\n" not in str(e.value)
    with pytest.raises(PlaceNotFoundError):
        population_by_band(fake_ws, "2025-01-01", city="Nowhereville")
    with pytest.raises(PlaceNotFoundError):
        largest_not_held(fake_ws, None, "2025-01-01")
    with pytest.raises(SupplylineError):
        population_by_band(fake_ws, "2025-01-01", city="Midfield", radius_km=0)
    with pytest.raises(SupplylineError):
        settlements_change(fake_ws, "2025-02-01", "2025-01-01", oblast="Testland")
    with pytest.raises(SupplylineError):
        population_by_band(fake_ws, "2024-01-01", oblast="Testland")  # before the history


# --------------------------------------------------------------------------- real data

@pytest.mark.realdata
def test_donetsk_largest_not_held_2025_12_01(ws):
    r = largest_not_held(ws, "Donetsk Oblast", "2025-12-01")
    names = {name_key(x["name"]) for x in r["largest_not_held"]}
    assert name_key("Kramatorsk") in names and name_key("Sloviansk") in names
    assert all(x["band"] != "held" for x in r["largest_not_held"])
    pops = [x["population"] for x in r["largest_not_held"]]
    assert pops == sorted(pops, reverse=True) and len(pops) == 10
    assert 0.5 < r["held_share_population"] < 1.0
    assert plain(r)
    json.dumps(r)


@pytest.mark.realdata
def test_donetsk_held_share_grows_2024_07_15_to_2025_12_01(ws):
    a = largest_not_held(ws, "Donetsk Oblast", "2024-07-15")
    b = largest_not_held(ws, "Donetsk Oblast", "2025-12-01")
    assert b["held_share_population"] > a["held_share_population"]
    assert b["held_places"] > a["held_places"]
    r = settlements_change(ws, "2024-07-15", "2025-12-01", oblast="Donetsk Oblast")
    assert r["held_share_change"] > 0
    assert r["population_change"]["held"] == r["newly_held"]["population"] - \
        r["no_longer_held"]["population"]
    assert "Pokrovsk" in {x["name"] for x in r["newly_held"]["names"]}
    assert plain(r)


@pytest.mark.realdata
def test_pokrovsk_population_within_15_km_2025_06_01(ws):
    r = population_by_band(ws, "2025-06-01", city="Pokrovsk", radius_km=50)
    assert r["city"] == "Pokrovsk"
    within = r["within_km_not_held"]["fpv"]["population"]
    assert within > 0
    assert within == r["by_band"]["contact"]["population"] + r["by_band"]["fpv"]["population"]
    assert r["by_band"]["held"]["population"] > 0
    assert sum(v["population"] for v in r["by_band"].values()) == r["population"]
    assert plain(r)


@pytest.mark.realdata
def test_real_unknown_oblast_is_one_line(ws):
    with pytest.raises(PlaceNotFoundError) as e:
        population_by_band(ws, "2025-06-01", oblast="Atlantis")
    assert "\n" not in str(e.value)
