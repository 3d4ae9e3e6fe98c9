import datetime as dt
import json

import geopandas as gpd
import pytest
import shapely

from supplyline.data.control import ControlHistory, RepairReport, repair_polygons
from supplyline.errors import DataFormatError, DateOutOfRangeError


def _fc(geom) -> str:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(geom))}]})


def test_deepstate_dir_exact_and_last_known(tmp_path):
    d = tmp_path / "deepstate"
    d.mkdir()
    sq = shapely.box(37.0, 48.0, 37.1, 48.1)
    (d / "deepstatemap_data_20250101.geojson").write_text(_fc(sq))
    (d / "deepstatemap_data_20250103.geojson").write_text(_fc(shapely.box(37.0, 48.0, 37.2, 48.1)))
    h = ControlHistory.from_deepstate_dir(d, use_cache=False)
    assert h.dates == [dt.date(2025, 1, 1), dt.date(2025, 1, 3)]
    assert h.missing_days() == [dt.date(2025, 1, 2)]
    exact = h.held("2025-01-03")
    assert exact.exact and exact.date == dt.date(2025, 1, 3)
    gap = h.held("2025-01-02")
    assert not gap.exact and gap.date == dt.date(2025, 1, 1) and gap.lag_days == 1
    later = h.held("2025-02-01")
    assert later.date == dt.date(2025, 1, 3) and not later.exact
    with pytest.raises(DateOutOfRangeError):
        h.held("2024-12-31")
    # metric CRS: a 0.1 x 0.1 degree box near 48 N is ~7.4 x 11.1 km
    assert 70e6 < exact.geometry.area / 2 < 95e6


def test_repair_counts_z_invalid_and_empty():
    bow = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])  # self-intersecting
    z = shapely.Polygon([(0, 0, 5), (1, 0, 5), (1, 1, 5)])
    rep = RepairReport()
    out = repair_polygons([bow, z, shapely.MultiPolygon()], rep)
    assert rep.invalid_repaired == 1 and rep.z_dropped == 1
    assert all(shapely.is_valid(out)) and not shapely.has_z(out).any()
    assert out[2].is_empty


def test_corrupt_deepstate_file_is_one_line_error(tmp_path):
    d = tmp_path / "deepstate"
    d.mkdir()
    (d / "deepstatemap_data_20250101.geojson").write_text("{not json")
    with pytest.raises(DataFormatError, match="deepstatemap_data_20250101"):
        ControlHistory.from_deepstate_dir(d, use_cache=False)


def test_dated_polygons_file(tmp_path):
    gdf = gpd.GeoDataFrame({"day": ["2025-01-01", "2025-01-01", "2025-01-05"]},
                           geometry=[shapely.box(37, 48, 37.1, 48.1),
                                     shapely.box(37.1, 48, 37.2, 48.1),
                                     shapely.box(37, 48, 37.3, 48.1)], crs="EPSG:4326")
    p = tmp_path / "ctl.gpkg"
    gdf.to_file(p)
    h = ControlHistory.from_file(p, date_column="day")
    assert len(h) == 2
    assert h.held("2025-01-01").geometry.area == pytest.approx(
        h.held("2025-01-05").geometry.area * 2 / 3, rel=0.01)
    with pytest.raises(DataFormatError, match="date column"):
        ControlHistory.from_file(p, date_column="when")


def test_real_history_summary(shared_data, ws):
    h = ws.history  # the API snapshots since 2022 merged with the daily files since 2024-07
    assert h.first == dt.date(2022, 4, 3) and h.last == dt.date(2026, 8, 22)
    assert len(h) >= 900
    assert not any(g.is_empty for g in h.geoms)
    daily = ControlHistory.from_deepstate_dir(shared_data / "deepstate")
    assert daily.first == dt.date(2024, 7, 8) and len(daily) == 769
    assert set(daily.dates) <= set(h.dates)
    # the cache gives back the same daily history
    again = ControlHistory.from_deepstate_dir(shared_data / "deepstate")
    assert again.dates == daily.dates


def test_workspace_with_dated_polygon_file(tmp_path, shared_data):
    from supplyline.analysis.context import Workspace

    gdf = gpd.GeoDataFrame({"when": ["2025-01-01", "2025-02-01"]},
                           geometry=[shapely.box(37.3, 48.2, 37.6, 48.4),
                                     shapely.box(37.2, 48.2, 37.6, 48.4)], crs="EPSG:4326")
    p = tmp_path / "front.parquet"
    gdf.to_parquet(p)
    ws = Workspace(shared_data, control_file=p, date_column="when")
    from supplyline.analysis import queries

    s1 = queries.status(ws, "Pokrovsk", "2025-01-15")
    s2 = queries.status(ws, "Pokrovsk", "2025-02-01")
    assert not s1.data_exact and s1.data_date == "2025-01-01"
    # Pokrovsk (37.177 E) is ~9 km west of 37.3 E, then ~1.7 km west of 37.2 E
    assert 8 < s1.distance_to_held_km < 10
    assert 1 < s2.distance_to_held_km < 2.5
