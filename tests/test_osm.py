"""Tests for supplyline.io.osm: OSM .osm.pbf roads and railways in the standard line schema."""

from __future__ import annotations

import math
import random
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from supplyline.errors import DataFormatError, SupplylineError
from supplyline.io.osm import (
    OSM_LINE_COLUMNS,
    load_osm_lines,
    rail_class,
    road_class,
    split_route_refs,
    surface_class,
    write_test_pbf,
)

EXPECTED_COLUMNS = [
    "mode",
    "cls",
    "ref",
    "eref",
    "surface",
    "name",
    "seam_id",
    "source_id",
    "electrified",
    "gauge",
    "usage",
    "geometry",
]

NODES: dict[int, tuple[float, float]] = {
    1: (37.100, 48.300),
    2: (37.120, 48.300),
    3: (37.140, 48.310),
    4: (37.200, 48.350),
    5: (37.210, 48.360),
    6: (37.300, 48.400),
    7: (37.320, 48.410),
    8: (37.340, 48.420),
    9: (37.350, 48.430),
}

WAYS: list[tuple[int, list[int], dict[str, str]]] = [
    (
        100,
        [1, 2, 3],
        {"highway": "motorway", "ref": "М-30;Е-50", "surface": "asphalt", "name": "Траса"},
    ),
    (101, [4, 5], {"highway": "residential", "surface": "gravel", "name": "вулиця Шкільна"}),
    (102, [1, 4], {"highway": "footway"}),
    (
        103,
        [6, 7, 8],
        {"railway": "rail", "electrified": "contact_line", "gauge": "1520", "usage": "main"},
    ),
    (104, [6, 8], {"railway": "abandoned"}),
    (105, [2, 999], {"highway": "primary"}),  # node 999 does not exist -> skipped
    (106, [8, 9], {"railway": "rail", "service": "siding"}),
    (107, [3, 998, 4], {"highway": "tertiary", "ref": "Т-0504"}),  # one node missing: kept
]


@pytest.fixture(scope="module")
def pbf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("osm") / "test.osm.pbf"
    write_test_pbf(path, NODES, WAYS)
    return path


@pytest.fixture(scope="module")
def lines(pbf: Path) -> gpd.GeoDataFrame:
    return load_osm_lines(pbf)


def _row(gdf: gpd.GeoDataFrame, way_id: int) -> dict[str, object]:
    hits = gdf[gdf["source_id"] == f"osm:way/{way_id}"]
    assert len(hits) == 1, f"way {way_id}: {len(hits)} rows"
    return hits.iloc[0].to_dict()


def _planar_length(node_ids: list[int]) -> float:
    pts = [NODES[n] for n in node_ids if n in NODES]
    return sum(math.dist(a, b) for a, b in zip(pts, pts[1:], strict=False))


def test_schema_and_crs(lines: gpd.GeoDataFrame) -> None:
    assert list(lines.columns) == EXPECTED_COLUMNS
    assert list(OSM_LINE_COLUMNS) + ["geometry"] == EXPECTED_COLUMNS
    assert lines.geometry.name == "geometry"
    assert lines.crs is not None and lines.crs.to_epsg() == 4326
    assert (lines.geom_type == "LineString").all()
    assert not shapely.has_z(lines.geometry.values).any()
    for col in OSM_LINE_COLUMNS:
        assert all(isinstance(v, str) for v in lines[col]), col
    assert (lines["seam_id"] == "").all()


def test_kept_and_excluded_ways(lines: gpd.GeoDataFrame) -> None:
    assert sorted(lines["source_id"]) == [
        "osm:way/100",
        "osm:way/101",
        "osm:way/103",
        "osm:way/106",
        "osm:way/107",
    ]
    assert lines.attrs["osm_skipped_ways"] == 1


def test_classes_and_attributes(lines: gpd.GeoDataFrame) -> None:
    motorway = _row(lines, 100)
    assert motorway["mode"] == "road"
    assert motorway["cls"] == "motorway"
    assert motorway["surface"] == "paved"
    assert motorway["name"] == "Траса"
    assert motorway["electrified"] == motorway["gauge"] == motorway["usage"] == ""

    residential = _row(lines, 101)
    assert (residential["mode"], residential["cls"]) == ("road", "local")
    assert residential["surface"] == "unpaved"
    assert residential["ref"] == residential["eref"] == ""

    tertiary = _row(lines, 107)
    assert (tertiary["cls"], tertiary["ref"], tertiary["surface"]) == ("secondary", "Т-0504", "")

    rail = _row(lines, 103)
    assert (rail["mode"], rail["cls"]) == ("rail", "rail")
    assert rail["electrified"] == "contact_line"
    assert rail["gauge"] == "1520"
    assert rail["usage"] == "main"
    assert rail["surface"] == rail["name"] == ""

    siding = _row(lines, 106)
    assert (siding["mode"], siding["cls"]) == ("rail", "rail_service")


def test_ref_eref_split(lines: gpd.GeoDataFrame) -> None:
    motorway = _row(lines, 100)
    assert motorway["ref"] == "М-30"
    assert motorway["eref"] == "Е-50"


def test_geometry_matches_node_coordinates(lines: gpd.GeoDataFrame) -> None:
    checked = 0
    for way_id, node_ids, _tags in WAYS:
        hits = lines[lines["source_id"] == f"osm:way/{way_id}"]
        if hits.empty:
            continue
        geom = hits.geometry.iloc[0]
        expected = np.array([NODES[n] for n in node_ids if n in NODES])
        np.testing.assert_allclose(np.asarray(geom.coords), expected, rtol=0, atol=1e-7)
        assert geom.length == pytest.approx(_planar_length(node_ids), abs=1e-6)
        checked += 1
    assert checked == len(lines) == 5


def test_bbox_keeps_intersecting_ways(pbf: Path) -> None:
    rail_only = load_osm_lines(pbf, bbox=(37.29, 48.39, 37.36, 48.44))
    assert sorted(rail_only["source_id"]) == ["osm:way/103", "osm:way/106"]
    # A box with no vertex inside that the motorway still crosses (between nodes 1 and 2).
    crossing = load_osm_lines(pbf, bbox=(37.105, 48.295, 37.110, 48.305))
    assert list(crossing["source_id"]) == ["osm:way/100"]


def test_bbox_without_hits_returns_empty_frame(pbf: Path) -> None:
    empty = load_osm_lines(pbf, bbox=(30.0, 45.0, 30.1, 45.1))
    assert empty.empty
    assert list(empty.columns) == EXPECTED_COLUMNS
    assert empty.crs is not None and empty.crs.to_epsg() == 4326


def test_modes(pbf: Path) -> None:
    rail = load_osm_lines(pbf, modes=("rail",))
    assert set(rail["mode"]) == {"rail"}
    assert len(rail) == 2
    road = load_osm_lines(pbf, modes=("road",))
    assert set(road["mode"]) == {"road"}
    assert len(road) == 3
    with pytest.raises(SupplylineError, match="ferry"):
        load_osm_lines(pbf, modes=("road", "ferry"))


def test_invalid_bbox(pbf: Path) -> None:
    with pytest.raises(SupplylineError, match="bbox"):
        load_osm_lines(pbf, bbox=(38.0, 48.0, 37.0, 49.0))


def test_file_without_lines_gives_empty_frame(tmp_path: Path) -> None:
    path = tmp_path / "nodes-only.osm.pbf"
    write_test_pbf(path, NODES, [(1, [1, 2], {"highway": "footway"})])
    gdf = load_osm_lines(path)
    assert gdf.empty
    assert list(gdf.columns) == EXPECTED_COLUMNS
    assert gdf.crs is not None and gdf.crs.to_epsg() == 4326
    assert gdf.attrs["osm_skipped_ways"] == 0


def test_write_test_pbf_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "again.osm.pbf"
    write_test_pbf(path, NODES, WAYS)
    write_test_pbf(path, NODES, [(1, [1, 2], {"railway": "narrow_gauge"})])
    gdf = load_osm_lines(path)
    assert list(gdf["cls"]) == ["rail_narrow"]


def _assert_one_line_format_error(path: Path) -> None:
    with pytest.raises(DataFormatError) as info:
        load_osm_lines(path)
    message = str(info.value)
    assert str(path) in message
    assert ".osm.pbf" in message
    assert "\n" not in message
    assert not isinstance(info.value.__cause__, RuntimeError)
    context = info.value.__context__
    assert not isinstance(context, RuntimeError) or info.value.__suppress_context__


def test_corrupt_file_raises_data_format_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.osm.pbf"
    path.write_bytes(random.Random(0).randbytes(4096))
    _assert_one_line_format_error(path)


def test_truncated_file_raises_data_format_error(tmp_path: Path, pbf: Path) -> None:
    path = tmp_path / "truncated.osm.pbf"
    data = pbf.read_bytes()
    path.write_bytes(data[: len(data) - 20])
    _assert_one_line_format_error(path)


def test_text_and_empty_files_raise_data_format_error(tmp_path: Path) -> None:
    text = tmp_path / "text.osm.pbf"
    text.write_text("<osm version='0.6'></osm>\n")
    _assert_one_line_format_error(text)
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    _assert_one_line_format_error(empty)


def test_missing_file_raises_data_format_error(tmp_path: Path) -> None:
    _assert_one_line_format_error(tmp_path / "missing.osm.pbf")


def test_directory_raises_data_format_error(tmp_path: Path) -> None:
    _assert_one_line_format_error(tmp_path)


@pytest.mark.parametrize(
    ("highway", "expected"),
    [
        ("motorway", "motorway"),
        ("trunk_link", "motorway"),
        ("primary_link", "primary"),
        ("secondary", "secondary"),
        ("tertiary_link", "secondary"),
        ("unclassified", "local"),
        ("living_street", "local"),
        ("road", "unknown"),
        ("service", None),
        ("track", None),
        ("footway", None),
        ("construction", None),
        ("busway", None),
    ],
)
def test_road_class(highway: str, expected: str | None) -> None:
    assert road_class(highway) == expected


@pytest.mark.parametrize(
    ("railway", "service", "expected"),
    [
        ("rail", "", "rail"),
        ("rail", "yard", "rail_service"),
        ("rail", "spur", "rail_service"),
        ("narrow_gauge", "", "rail_narrow"),
        ("abandoned", "", None),
        ("disused", "", None),
        ("tram", "", None),
        ("subway", "", None),
        ("light_rail", "", None),
    ],
)
def test_rail_class(railway: str, service: str, expected: str | None) -> None:
    assert rail_class(railway, service) == expected


@pytest.mark.parametrize(
    ("surface", "expected"),
    [
        ("asphalt", "paved"),
        ("paving_stones", "paved"),
        ("Concrete", "paved"),
        ("fine_gravel", "unpaved"),
        ("mud", "unpaved"),
        ("wood", ""),
        ("", ""),
    ],
)
def test_surface_class(surface: str, expected: str) -> None:
    assert surface_class(surface) == expected


@pytest.mark.parametrize(
    ("ref", "int_ref", "expected"),
    [
        ("М-30;Е-50", "", ("М-30", "Е-50")),
        ("M-03;E-40;E-50", "", ("M-03", "E-40;E-50")),
        ("Н-15", "E 50", ("Н-15", "E 50")),
        ("Е-50", "", ("", "Е-50")),
        (" Т-0504 ; Т-0504 ", "", ("Т-0504", "")),
        ("", "AH8", ("", "")),
        ("", "", ("", "")),
    ],
)
def test_split_route_refs(ref: str, int_ref: str, expected: tuple[str, str]) -> None:
    assert split_route_refs(ref, int_ref) == expected
