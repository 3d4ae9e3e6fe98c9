"""Tests for supplyline.core.axes: corridors along bearings out of a city.

Synthetic tests build a scene in metric coordinates where every figure is known by hand
(a 10 x 2 km corridor to the east: 20 km2 in two 5 km segments of 10 km2); real-data
tests use the session ``ws`` fixture (skipped without ../shared/data).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import plain
from shapely.geometry import LineString, MultiPolygon, Point, box

from supplyline.analysis.axes import axis_profile
from supplyline.analysis.context import Workspace
from supplyline.core.axes import (
    AxisLayers,
    centreline_crossings,
    check_dimensions,
    corridor_segments,
    describe_character,
    merge_settlements,
    parse_bearing,
    point_segments,
    profile_axes,
    resolve_bearings,
    summary_line,
)
from supplyline.core.exposure import ThreatProfile
from supplyline.crs import METRIC_CRS, lonlat_xy
from supplyline.data import egm
from supplyline.data.control import ControlHistory
from supplyline.data.places import Gazetteer
from supplyline.errors import PlaceNotFoundError, SupplylineError

X0, Y0 = 500_000.0, 5_300_000.0  # the city centre (metric CRS, lon 35.5 E)


def at(dx: float, dy: float) -> tuple[float, float]:
    return (X0 + dx, Y0 + dy)


def line(*pts) -> LineString:
    return LineString([at(*p) for p in pts])


# --------------------------------------------------------------------------- bearings

@pytest.mark.parametrize("value, deg", [
    ("W", 270.0), ("nne", 22.5), ("North-East", 45.0), ("south west", 225.0), ("WNW", 292.5),
    (90, 90.0), (450, 90.0), (-90, 270.0), ("270", 270.0), (12.5, 12.5), (360, 0.0)])
def test_parse_bearing(value, deg):
    assert parse_bearing(value)[0] == pytest.approx(deg)


def test_bearing_labels():
    assert parse_bearing("ne") == (45.0, "NE")
    assert parse_bearing(270) == (270.0, "W")
    assert parse_bearing(100)[1] == "100 deg (E)"


@pytest.mark.parametrize("bad", ["XYZ", "", "NNNE", float("nan"), float("inf"), True, None,
                                 [90]])
def test_bad_bearing(bad):
    with pytest.raises(SupplylineError):
        parse_bearing(bad)


def test_resolve_bearings():
    assert [b for b, _ in resolve_bearings(["N", 90])] == [0.0, 90.0]
    assert resolve_bearings("W") == [(270.0, "W")]
    with pytest.raises(SupplylineError):
        resolve_bearings([])


@pytest.mark.parametrize("length, width, step", [
    (50, 0, 5), (50, -10, 5), (50, float("nan"), 5), (50, "10", 5), (0, 10, 5), (50, 10, 0),
    (10, 10, 20), (500, 10, 0.5)])
def test_bad_dimensions(length, width, step):
    with pytest.raises(SupplylineError):
        check_dimensions(length, width, step)


# --------------------------------------------------------------------------- geometry

def test_corridor_segments_east():
    segs = corridor_segments(at(0, 0), 90, 10_000, 2_000, 5_000)
    assert len(segs) == 2
    assert np.allclose(shapely.bounds(segs[0]), [X0, Y0 - 1000, X0 + 5000, Y0 + 1000])
    assert np.allclose(shapely.bounds(segs[1]), [X0 + 5000, Y0 - 1000, X0 + 10_000, Y0 + 1000])
    assert np.allclose(shapely.area(segs), 10e6)
    # north: x across, y along; a short last segment when the step does not divide
    segs = corridor_segments(at(0, 0), 0, 12_000, 2_000, 5_000)
    assert np.allclose(shapely.area(segs), [10e6, 10e6, 4e6])
    assert np.allclose(shapely.bounds(segs[2]), [X0 - 1000, Y0 + 10_000, X0 + 1000, Y0 + 12_000])


def test_point_segments():
    xy = np.array([at(2000, 500), at(6000, -800), at(6000, 1500), at(-2000, 0),
                   at(10_000, 0), at(11_000, 0), at(5000, 0)])
    k = point_segments(xy, at(0, 0), 90, 10_000, 2_000, 5_000)
    assert k.tolist() == [0, 1, -1, -1, 1, -1, 1]
    # the same points seen along a south-west bearing: only none are inside
    assert (point_segments(xy, at(0, 0), 225, 10_000, 2_000, 5_000) == -1).all()


def test_centreline_crossings_two_rivers():
    rivers = np.array([line((3000, -5000), (3000, 5000)),  # Alpha at 3 km
                       line((7000, -5000), (7000, 5000)),  # Beta at 7 km
                       line((4000, -3000), (4000, 3000)),  # Alpha again (a meander)
                       line((1000, 500), (9000, 500)),  # Gamma: in the corridor, no crossing
                       line((12_000, -5000), (12_000, 5000))],  # Delta: beyond the end
                      dtype=object)
    names = np.array(["Alpha", "Beta", "Alpha", "Gamma", "Delta"], dtype=object)
    cross = centreline_crossings(at(0, 0), 90, 10_000, rivers, names)
    assert [(n, round(d)) for n, d in cross] == [("Alpha", 3000), ("Alpha", 4000),
                                                 ("Beta", 7000)]


def test_merge_settlements():
    geonames = pd.DataFrame({
        "name": ["Pokrovsk", "Town"], "population": [60_000, 900],
        "x": [X0, X0 + 20_000], "y": [Y0, Y0], "ident": ["g:1", "g:2"],
        "alternates": [["Krasnoarmiis'k", "Красноармійськ"], []]})
    egm = pd.DataFrame({
        "name": ["Krasnoarmiisk", "Town", "Town", "Other"],
        "population": [50_000, 800, 700, 1200],
        "x": [X0 + 1500, X0 + 22_000, X0 + 24_000, X0 + 20_500],
        "y": [Y0, Y0, Y0, Y0]})
    m = merge_settlements(geonames, egm)
    # old name within 3 km: duplicate; same name 2 km away: duplicate; 4 km away: kept;
    # a different name 0.5 km away: kept
    assert m[["name", "population", "source"]].values.tolist() == [
        ["Pokrovsk", 60_000, "geonames"], ["Town", 900, "geonames"], ["Town", 700, "egm"],
        ["Other", 1200, "egm"]]
    # within 1 km: Krasnoarmiisk (1.5 km) and the Town 2 km away are kept
    assert len(merge_settlements(geonames, egm, match_m=1000)) == 6


def test_describe_character():
    assert describe_character(10, 0.0, 0.0) == "open, sparsely settled"
    assert describe_character(60, 0.05, 0.0) == "moderately settled"
    assert describe_character(300, 0.2, 0.0) == "built-up, densely settled"
    assert describe_character(30, 0.0, 0.8) == "mostly held, open, moderately settled"


# --------------------------------------------------------------------------- synthetic scene

def scene_layers() -> AxisLayers:
    settlements = pd.DataFrame({
        "name": ["Town A", "Town B", "Outside", "Behind", "Villagio"],
        "population": [4000, 1000, 99_999, 50_000, 1200],
        "x": [X0 + 2000, X0 + 6000, X0 + 6000, X0 - 2000, X0 + 8000],
        "y": [Y0 + 500, Y0 - 800, Y0 + 1500, Y0, Y0],
        "source": ["geonames", "geonames", "geonames", "geonames", "egm"],
        "ident": ["g:a", "g:b", "g:o", "g:h", "e:v"]})
    roads = [line((0, 0), (10_000, 0)),  # main road on the centre line: 10 km
             line((2500, -5000), (2500, 5000)),  # local road across: 2 km inside
             line((0, 5000), (10_000, 5000))]  # outside the corridor
    rivers = [line((3000, -5000), (3000, 5000)), line((7000, -5000), (7000, 5000)),
              line((4000, -3000), (4000, 3000)), line((1000, 500), (9000, 500)),
              line((8000, -5000), (8000, 5000))]
    builtup = [box(*at(-500, -500), *at(500, 500)),  # the city's own area: not counted
               box(*at(1000, -1000), *at(2000, 1000))]  # 2 km2 in the first segment
    return AxisLayers(settlements=settlements, roads=roads,
                      road_main=[True, False, True], rails=[line((5500, -3000), (5500, 3000))],
                      rivers=rivers, river_names=["Alpha", "Beta", "Alpha", "Gamma", "N_A"],
                      builtup=builtup)


HELD = box(*at(5000, 0), *at(20_000, 5000))  # the northern half of the second segment


def test_profile_east_by_hand():
    (a,) = profile_axes(scene_layers(), HELD, at(0, 0), [parse_bearing("E")],
                        length_km=10, width_km=2, step_km=5)
    assert (a.bearing_deg, a.direction, a.label) == (90.0, "E", "E")
    assert a.area_km2 == pytest.approx(20.0)
    # roads: 10 km main + 2 km local over 20 km2
    assert a.road_km_main == pytest.approx(10.0) and a.road_density_main == pytest.approx(0.5)
    assert a.road_km_local == pytest.approx(2.0) and a.road_density_local == pytest.approx(0.1)
    assert a.road_density == pytest.approx(0.6)
    assert a.rail_km == pytest.approx(2.0) and a.rail_density == pytest.approx(0.1)
    # settlements: Town A (4000) in segment 1, Town B (1000) and Villagio (1200) in 2
    assert (a.settlement_count, a.population) == (3, 6200)
    assert a.population_density == pytest.approx(310.0)
    assert [s["name"] for s in a.largest_settlements] == ["Town A", "Villagio", "Town B"]
    s0, s1 = a.segments
    assert (s0.from_km, s0.to_km, s0.area_km2) == (0.0, 5.0, 10.0)
    assert [x["name"] for x in s0.settlements] == ["Town A"]
    assert s0.settlements[0]["distance_km"] == pytest.approx(2.0)
    assert (s0.population, s0.population_density) == (4000, 400.0)
    assert (s1.population, s1.population_density) == (2200, 220.0)
    assert (s1.cumulative_population, s1.cumulative_density) == (6200, 310.0)
    assert (s0.road_km_main, s0.road_km_local, s1.road_km_local) == (5.0, 2.0, 0.0)
    # rivers: Alpha (twice) and Beta cross the centre line, Gamma runs along it, one unnamed
    assert a.rivers == ["Alpha", "Beta"] and a.river_count == 2
    assert a.unnamed_river_crossings == 1
    assert (s0.rivers, s1.rivers) == (["Alpha"], ["Beta"])
    # built-up: 2 km2 of 20 (the city's own block is skipped); held: half of segment 2
    assert (s0.builtup_share, s1.builtup_share, a.builtup_share) == (0.2, 0.0, 0.1)
    assert (s0.held_share, s1.held_share, a.held_share) == (0.0, 0.5, 0.25)
    assert a.character == "built-up, densely settled"
    assert a.density_within(5) == pytest.approx(400.0)
    d = a.as_dict()
    assert plain(d) and d["river_count"] == 2
    json.dumps(d)


def test_profile_rotated_road_density():
    # one 10 km road along a north-east bearing through a 10 x 2 km corridor: 0.5 km/km2
    u = np.array([math.sin(math.radians(45)), math.cos(math.radians(45))])
    road = LineString([at(0, 0), at(*(10_000 * u))])
    layers = AxisLayers(settlements=pd.DataFrame(columns=["name", "population", "x", "y",
                                                          "source"]),
                        roads=[road], road_main=[False])
    (a,) = profile_axes(layers, MultiPolygon(), at(0, 0), [parse_bearing("NE")],
                        length_km=10, width_km=2, step_km=10)
    assert a.road_density_local == pytest.approx(0.5) and a.road_density_main == 0.0
    assert (a.population, a.held_share, a.rivers) == (0, 0.0, [])
    assert a.character == "open, sparsely settled"


def test_summary_line_compares_bearings():
    res = profile_axes(scene_layers(), HELD, at(0, 0), resolve_bearings(["E", "W"]),
                       length_km=10, width_km=2, step_km=5)
    s = summary_line(res)
    assert s.startswith("E: built-up, densely settled (310/km2")
    assert "2 rivers" in s and "25% held" in s
    w = s.split("; ")[1]
    assert w.startswith("W: ") and "0 rivers" in w and "held" not in w
    assert res[1].population == 50_000  # Behind, 2 km west


# --------------------------------------------------------------------------- axis_profile

def lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = lonlat_xy(x, y)
    return float(lon), float(lat)


class FakeWorkspace:
    """The parts of Workspace that axis_profile uses, over the synthetic scene."""

    def __init__(self, tmp_path):
        rows = [("Centreville", 0, 0, 50_000), ("Town A", 2000, 500, 4000),
                ("Town B", 6000, -800, 1000), ("Eastburg", 30_000, 0, 20_000)]
        df = pd.DataFrame({
            "name": [r[0] for r in rows],
            "lon": [lonlat(*at(r[1], r[2]))[0] for r in rows],
            "lat": [lonlat(*at(r[1], r[2]))[1] for r in rows],
            "population": [r[3] for r in rows], "alternates": [[] for _ in rows],
            "source": "geonames", "ident": [f"geonames:{i}" for i in range(len(rows))]})
        self.gazetteer = Gazetteer(df)
        self.history = ControlHistory([dt.date(2025, 1, 1)], [HELD], "test")
        self.profile = ThreatProfile()
        path = tmp_path / "egm.gpkg"
        gpd.GeoDataFrame(  # Centreville and Town A duplicate GeoNames places; Villagio not
            {"nama1": ["Centreville", "Town A", "Villagio"], "ppl": [40_000, 3500, 1200],
             "inspireid": ["c", "a", "v"]},
            geometry=[Point(at(100, 0)), Point(at(2500, 500)), Point(at(8000, 0))],
            crs=METRIC_CRS).to_crs("EPSG:4326").to_file(path, layer="settlements")
        gpd.GeoDataFrame(
            {"nama1": ["Alpha", "Beta", "N_A"]},
            geometry=[line((3000, -5000), (3000, 5000)), line((7000, -5000), (7000, 5000)),
                      line((8000, -5000), (8000, 5000))],
            crs=METRIC_CRS).to_crs("EPSG:4326").to_file(path, layer="watercourses")
        gpd.GeoDataFrame(
            {"populatedp": ["N_P"]}, geometry=[box(*at(1000, -1000), *at(2000, 1000))],
            crs=METRIC_CRS).to_crs("EPSG:4326").to_file(path, layer="builtup_areas")
        self.sources = SimpleNamespace(require=lambda kind: path)
        roads = np.array([line((0, 0), (10_000, 0)), line((2500, -5000), (2500, 5000))])
        rails = np.array([line((5500, -3000), (5500, 3000))])
        self._nets = {
            "road": SimpleNamespace(geoms=roads, edges=pd.DataFrame({"cls": ["primary",
                                                                             "local"]}),
                                    edge_tree=shapely.STRtree(roads)),
            "rail": SimpleNamespace(geoms=rails, edges=pd.DataFrame({"cls": ["rail"]}),
                                    edge_tree=shapely.STRtree(rails))}

    def network(self, mode):
        return self._nets[mode]

    def find(self, name):
        return self.gazetteer.find(name)

    bearing_km = staticmethod(Workspace.bearing_km)


@pytest.fixture()
def fake_ws(tmp_path):
    return FakeWorkspace(tmp_path)


def test_axis_profile_synthetic(fake_ws):
    r = axis_profile_ok(fake_ws, ["E"])
    (a,) = r["axes"]
    # the city itself and its EGM duplicate are not counted; Town A's EGM twin is dropped
    assert [s["name"] for s in a["largest_settlements"]] == ["Town A", "Villagio", "Town B"]
    assert a["population"] == 6200
    assert a["road_density_main"] == pytest.approx(0.5, rel=1e-3)
    assert a["road_density_local"] == pytest.approx(0.1, rel=1e-3)
    assert a["rivers"] == ["Alpha", "Beta"] and a["unnamed_river_crossings"] == 1
    assert a["held_share"] == pytest.approx(0.25, abs=1e-3)
    assert a["builtup_share"] == pytest.approx(0.1, abs=1e-3)
    assert r["summary"].startswith("E: ")
    path = str(fake_ws.sources.require("egm").resolve())
    assert path in egm._EGM_CACHE  # the EGM layers are read once per path
    cached = egm._EGM_CACHE[path]
    axis_profile_ok(fake_ws, ["W"])
    assert egm._EGM_CACHE[path] is cached


def axis_profile_ok(ws, bearings, **kw):
    r = axis_profile(ws, "Centreville", "2025-01-01", bearings, length_km=10,
                     width_km=2, step_km=5, **kw).to_dict()
    assert plain(r)
    json.dumps(r)
    return r


def test_axis_profile_towards_and_defaults(fake_ws):
    r = axis_profile_ok(fake_ws, None, towards="Eastburg")
    (a,) = r["axes"]
    assert a["bearing_deg"] == pytest.approx(90.0, abs=0.01)
    assert a["label"] == "towards Eastburg (E, 90 deg)" and a["population"] == 6200
    assert r["towards"]["place"]["name"] == "Eastburg"
    assert r["towards"]["distance_km"] == pytest.approx(30.0, abs=0.2)
    r = axis_profile_ok(fake_ws, ["N", 45], towards="Eastburg")
    assert [a["label"] for a in r["axes"]][:2] == ["N", "NE"] and len(r["axes"]) == 3
    r = axis_profile_ok(fake_ws, None)
    assert [a["label"] for a in r["axes"]] == ["N", "NE", "E", "SE", "S", "SW", "W", "NW"]
    assert r["summary"].count(";") == 7


def test_axis_profile_errors(fake_ws):
    with pytest.raises(PlaceNotFoundError):
        axis_profile(fake_ws, "Atlantis", "2025-01-01")
    with pytest.raises(PlaceNotFoundError):
        axis_profile(fake_ws, "Centreville", "2025-01-01", towards="Atlantis")
    with pytest.raises(PlaceNotFoundError):
        axis_profile(fake_ws, "Centreville", "2025-01-01", towards="Centreville")
    with pytest.raises(SupplylineError):
        axis_profile(fake_ws, "Centreville", "2025-01-01", ["sideways"])
    with pytest.raises(SupplylineError):
        axis_profile(fake_ws, "Centreville", "2025-01-01", width_km=0)
    with pytest.raises(SupplylineError):
        axis_profile(fake_ws, "Centreville", "2025-01-01", width_km=-5)


# --------------------------------------------------------------------------- real data

@pytest.mark.realdata
def test_pokrovsk_axes_west_vs_north_and_north_east(ws):
    r = axis_profile(ws, "Pokrovsk", "2025-06-01", ["W", "N", "NE"]).to_dict()
    w, n, ne = r["axes"]
    assert (w["label"], n["label"], ne["label"]) == ("W", "N", "NE")
    assert w["settlement_count"] > 0 and n["settlement_count"] > 0
    assert all(s["name"] != "Pokrovsk" for a in r["axes"] for s in a["largest_settlements"])
    # within 30 km (six 5 km segments): the W axis is far less densely settled than the NE
    # axis, which holds Myrnohrad (~46,000) and Rodynske
    w30, ne30 = w["segments"][5], ne["segments"][5]
    assert w30["to_km"] == ne30["to_km"] == 30.0
    assert w30["cumulative_density"] < ne30["cumulative_density"]
    ne_names = {s["name"] for seg in ne["segments"][:6] for s in seg["settlements"]}
    assert "Myrnohrad" in ne_names
    for a in r["axes"]:
        assert a["road_density"] > 0 and 0 <= a["held_share"] <= 1
    assert r["summary"].startswith("W: ") and "; N: " in r["summary"]
    assert plain(r)


@pytest.mark.realdata
def test_pokrovsk_towards_kramatorsk(ws):
    r = axis_profile(ws, "Pokrovsk", "2025-06-01", towards="Kramatorsk").to_dict()
    (a,) = r["axes"]
    assert 15 < a["bearing_deg"] < 45 and a["direction"] in ("NNE", "NE")
    assert 45 < r["towards"]["distance_km"] < 70
    assert plain(r)
