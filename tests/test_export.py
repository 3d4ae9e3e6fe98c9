"""GIS exports: every format read back and compared with the JSON figures.

Synthetic layers check the writers (types, NULLs, escaping, styles); real-data tests
export routes, exposure, rings, held territory, places and timeline tables and compare
every value with the result the JSON shows.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from supplyline.core.exposure import ThreatProfile
from supplyline.errors import InvalidArgumentError
from supplyline.io.gis import (
    KmlStyle,
    Layer,
    as_multi,
    kml_colour,
    output_format,
    tidy,
    write_layers,
)
from supplyline.viz import palette, qgis

K = "{http://www.opengis.net/kml/2.2}"
FORMATS = (".gpkg", ".parquet", ".kml", ".kmz", ".csv")


# --------------------------------------------------------------------------- helpers

def read_back(path: Path, layer: str, first: str) -> pd.DataFrame:
    """A layer of an export as a DataFrame of plain values (dates as ISO strings, NULL as
    None), whatever the format; geometry as a shapely column ``geometry``."""
    suffix = path.suffix
    if suffix == ".gpkg":
        df = pyogrio.read_dataframe(path, layer=layer)
    elif suffix == ".parquet":
        df = gpd.read_parquet(path if layer == first else
                              path.with_name(f"{path.stem}.{layer}.parquet"))
    elif suffix == ".csv":
        p = path if layer == first else path.with_name(f"{path.stem}.{layer}.csv")
        raw = pd.read_csv(p, keep_default_na=False, dtype=str)
        df = pd.DataFrame({c: pd.Series([None if v == "" else v for v in raw[c]], dtype=object)
                           for c in raw.columns if c != "wkt"})
        df["geometry"] = shapely.from_wkt(raw["wkt"].to_numpy())
        return df
    else:
        text = (zipfile.ZipFile(path).read("doc.kml").decode() if suffix == ".kmz"
                else path.read_text("utf-8"))
        return kml_folder(text, layer)
    return plainify(df)


def plainify(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        s = df[c]
        if c == "geometry":
            out[c] = list(s.values)
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[c] = pd.Series([None if pd.isna(v) else v.date().isoformat() for v in s],
                               index=df.index, dtype=object)
        else:
            out[c] = pd.Series([_py(v) for v in s], index=df.index, dtype=object)
    return out


def _py(v):
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def kml_folder(text: str, title_or_name: str) -> pd.DataFrame:
    root = ET.fromstring(text)
    rows = []
    for folder in root.iter(f"{K}Folder"):
        name = folder.find(f"{K}name").text
        if name != title_or_name and folder.get("id") != title_or_name:
            continue
        for pm in folder.findall(f"{K}Placemark"):
            row = {d.get("name"): (d.find(f"{K}value").text or None)
                   for d in pm.find(f"{K}ExtendedData")}
            rows.append(row)
    return pd.DataFrame(rows, dtype=object)


def same(a, b, tol=1e-9) -> bool:
    """Equal as exported values: numbers within ``tol`` (also when one side is text, as in
    CSV and KML), booleans as true/false, NULL as None."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(b, bool) or isinstance(a, bool):
        return str(a).lower() == str(b).lower()
    if isinstance(a, int | float) or isinstance(b, int | float):
        try:
            return abs(float(a) - float(b)) <= tol * max(1.0, abs(float(b)))
        except (TypeError, ValueError):
            return False
    return str(a) == str(b)


def null_audit(path: Path) -> None:
    """No '' and no NaN in any column of any layer of a GeoPackage (NULL instead)."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")]
        for t in tables:
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{t}")')]
            for c in cols:
                n = con.execute(f'SELECT count(*) FROM "{t}" WHERE "{c}" = \'\' OR '
                                f'"{c}" = \'NaN\' OR ("{c}" != "{c}")').fetchone()[0]
                assert n == 0, f"{t}.{c}: {n} empty or NaN values"
    finally:
        con.close()


def gpkg_types(path: Path, table: str) -> dict[str, str]:
    con = sqlite3.connect(path)
    try:
        return {r[1]: r[2] for r in con.execute(f'PRAGMA table_info("{table}")')}
    finally:
        con.close()


def gpkg_styles(path: Path) -> dict[str, str]:
    con = sqlite3.connect(path)
    try:
        return {t: q for t, q, d in con.execute(
            "SELECT f_table_name, styleQML, useAsDefault FROM layer_styles") if d}
    finally:
        con.close()


# --------------------------------------------------------------------------- synthetic

def synthetic_layers() -> list[Layer]:
    lines = gpd.GeoDataFrame({
        "name": ["A & <B>", "Покровськ \"x\"", ""],
        "date": [dt.date(2025, 1, 1), dt.date(2025, 1, 2), None],
        "length_km": [1.5, float("nan"), float("inf")],
        "count": [1, 2, 3],
        "flag": [True, False, None],
        "band": ["fpv", "held", "beyond"]},
        geometry=[shapely.LineString([(37, 48), (37.1, 48.1)]),
                  shapely.MultiLineString([[(37, 48), (37.2, 48)], [(37.3, 48), (37.4, 48)]]),
                  shapely.LineString([(37.5, 48.5), (37.6, 48.6)])], crs="EPSG:4326")
    pts = gpd.GeoDataFrame({"id": ["p1"], "ts": pd.to_datetime(["2025-01-01T10:00:00Z"])},
                           geometry=[shapely.Point(37, 48)], crs="EPSG:4326")
    styles = {n: KmlStyle(c) for n, c in zip(ThreatProfile().names,
                                             palette.band_colours(ThreatProfile()),
                                             strict=True)}
    return [Layer("lines", lines, "Lines", label="name", style="band", styles=styles,
                  when="date", qml=qgis.band_lines_qml(ThreatProfile())),
            Layer("points", pts, "Points", label="id")]


def test_tidy_nulls_dates_and_multi():
    lay = synthetic_layers()[0]
    t = tidy(lay.frame)
    assert t["name"].tolist() == ["A & <B>", "Покровськ \"x\"", None]
    assert t["date"].tolist() == [dt.date(2025, 1, 1), dt.date(2025, 1, 2), None]
    assert t["length_km"].iloc[0] == 1.5 and t["length_km"].isna().tolist() == [False, True,
                                                                               True]
    assert list(t["flag"]) == [True, False, pd.NA]
    assert set(shapely.get_type_id(t.geometry.values)) == {5}
    assert shapely.get_type_id(as_multi([shapely.Point(0, 0)])[0]) == 4


def test_output_format_and_kml_colour():
    assert output_format(Path("a.GPKG")) == "gpkg"
    assert output_format(Path("a.kmz")) == "kmz"
    with pytest.raises(InvalidArgumentError, match="expected a file name ending in"):
        output_format(Path("a.shp"))
    assert kml_colour("#112233") == "ff332211"
    assert kml_colour("#112233", 0.0) == "00332211"


def test_gpkg_types_nulls_and_styles(tmp_path):
    path = write_layers(synthetic_layers(), tmp_path / "x.gpkg")[0]
    types = gpkg_types(path, "lines")
    assert types["date"] == "DATE" and types["length_km"] == "REAL"
    assert types["count"] == "INTEGER" and types["flag"] == "BOOLEAN"
    assert types["geom"] == "MULTILINESTRING"
    assert gpkg_types(path, "points")["ts"] == "DATETIME"
    info = pyogrio.read_info(path, layer="lines")
    assert info["ogr_types"][list(info["fields"]).index("date")] == "OFTDate"
    null_audit(path)
    con = sqlite3.connect(path)
    rows = con.execute("SELECT name, date, length_km, flag FROM lines ORDER BY fid").fetchall()
    con.close()
    assert rows == [("A & <B>", "2025-01-01", 1.5, 1), ("Покровськ \"x\"", "2025-01-02", None, 0),
                    (None, None, None, None)]
    styles = gpkg_styles(path)
    assert set(styles) == {"lines"}
    ET.fromstring(styles["lines"].split("\n", 1)[1])  # well-formed QML
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_kml_escapes_styles_and_times(tmp_path):
    path = write_layers(synthetic_layers(), tmp_path / "x.kml", title="T & <U>")[0]
    text = path.read_text("utf-8")
    assert "A &amp; &lt;B&gt;" in text
    root = ET.fromstring(text)
    assert root.find(f"{K}Document/{K}name").text == "T & <U>"
    pms = list(root.iter(f"{K}Placemark"))
    assert [p.find(f"{K}name").text if p.find(f"{K}name") is not None else None
            for p in pms] == ["A & <B>", "Покровськ \"x\"", None, "p1"]
    first = pms[0]
    assert first.find(f"{K}TimeSpan/{K}begin").text == "2025-01-01"
    assert first.find(f"{K}TimeSpan/{K}end").text == "2025-01-02"
    assert pms[2].find(f"{K}TimeSpan") is None  # no date: no time span
    sid = first.find(f"{K}styleUrl").text[1:]
    style = root.find(f"{K}Document/{K}Style[@id='{sid}']")
    fpv = palette.band_colours(ThreatProfile())[2]
    assert style.find(f"{K}LineStyle/{K}color").text == kml_colour(fpv)
    assert first.find(f"{K}MultiGeometry") is None and first.find(f"{K}LineString") is not None
    assert pms[1].find(f"{K}MultiGeometry") is not None
    data = {d.get("name"): d.find(f"{K}value").text for d in pms[1].iter(f"{K}Data")}
    assert data["length_km"] is None and data["flag"] == "false"
    kmz = write_layers(synthetic_layers(), tmp_path / "x.kmz", title="T & <U>")[0]
    assert zipfile.ZipFile(kmz).read("doc.kml").decode() == text


def test_csv_and_parquet(tmp_path):
    files = write_layers(synthetic_layers(), tmp_path / "x.csv")
    assert [f.name for f in files] == ["x.csv", "x.points.csv"]
    lines = files[0].read_text("utf-8").splitlines()
    assert lines[0] == "name,date,length_km,count,flag,band,wkt"
    assert lines[1].startswith("A & <B>,2025-01-01,1.5,1,true,fpv,")
    assert lines[3].startswith(",,,3,,beyond,")  # NULLs are empty fields, never NaN
    assert "2025-01-01T10:00:00+00:00" in files[1].read_text()
    files = write_layers(synthetic_layers(), tmp_path / "x.parquet")
    assert [f.name for f in files] == ["x.parquet", "x.qml", "x.points.parquet"]
    import pyarrow.parquet as pq

    schema = pq.read_schema(files[0])
    assert str(schema.field("date").type) == "date32[day]"
    assert b"geo" in schema.metadata
    back = gpd.read_parquet(files[0])
    assert back["length_km"].isna().tolist() == [False, True, True]
    assert back.crs.to_epsg() == 4326


def test_shipped_qml_is_the_generated_default():
    assert qgis.shipped_bands_qml() == qgis.band_lines_qml(ThreatProfile(), "band")
    root = ET.fromstring(qgis.shipped_bands_qml().split("\n", 1)[1])
    cats = [(c.get("value"), c.get("symbol")) for c in root.iter("category")]
    assert [v for v, _ in cats] == list(ThreatProfile().names)
    colours = palette.band_colours(ThreatProfile())
    for value, sym in cats:
        s = root.find(f".//symbols/symbol[@name='{sym}']")
        rgba = s.find(".//Option[@name='line_color']").get("value")
        hexed = "#" + "".join(f"{int(x):02x}" for x in rgba.split(",")[:3])
        assert hexed == colours[list(ThreatProfile().names).index(value)]


def test_area_qml_turns_on_the_temporal_controller():
    root = ET.fromstring(qgis.area_qml("held", date_field="date", days=7).split("\n", 1)[1])
    t = root.find("temporal")
    assert (t.get("enabled"), t.get("mode"), t.get("startField"), t.get("fixedDuration"),
            t.get("durationUnit")) == ("1", "1", "date", "7", "d")


class _Contested:
    def __init__(self, day, held, grey, known):
        self.requested, self.date, self.exact = day, day, True
        self.held, self.grey, self.grey_known = held, grey, known
        self.grey_date = day if known else None


class _History:
    """A control history with a grey zone (the data layer's ``contested``)."""

    first, last = dt.date(2025, 1, 1), dt.date(2025, 1, 3)

    def contested(self, day):
        k = (day - self.first).days
        held = shapely.box(0, 0, 1000 * (k + 1), 1000)
        grey = shapely.box(1000 * (k + 1), 0, 1000 * (k + 2), 1000) if k != 1 else \
            shapely.MultiPolygon()
        return _Contested(day, held, grey, k != 1)


class _WS:
    history = _History()


def test_held_and_grey_layers_one_feature_per_day(tmp_path):
    from supplyline.viz.export import held_layers

    layers = held_layers(_WS(), "2025-01-01", "2025-01-03")
    assert [lay.name for lay in layers] == ["held", "grey"]
    path = write_layers(layers, tmp_path / "h.gpkg")[0]
    assert gpkg_types(path, "held")["date"] == "DATE"
    held = read_back(path, "held", "held")
    assert held["date"].tolist() == ["2025-01-01", "2025-01-02", "2025-01-03"]
    assert held["area_km2"].tolist() == [1.0, 2.0, 3.0]
    grey = read_back(path, "grey", "held")
    assert grey["grey_known"].tolist() == [True, False, True]
    assert grey["area_km2"].tolist() == [1.0, None, 1.0]
    null_audit(path)
    assert set(gpkg_styles(path)) == {"held", "grey"}
    with pytest.raises(InvalidArgumentError, match="end is before the start"):
        held_layers(_WS(), "2025-01-03", "2025-01-01")


# --------------------------------------------------------------------------- real data

DATE = "2025-06-01"


@pytest.fixture(scope="module")
def routes_res(ws):
    from supplyline.analysis import queries

    return queries.routes(ws, "Pokrovsk", DATE)


@pytest.mark.parametrize("suffix", FORMATS)
def test_routes_export_matches_json(ws, routes_res, tmp_path, suffix):
    from supplyline.viz.export import export, routes_layers

    layers = routes_layers(ws, routes_res)
    path = tmp_path / f"routes{suffix}"
    export(layers, path)
    d = routes_res.to_dict()
    expected = {}
    for mode, block in d["modes"].items():
        for pair in block["hubs"]:
            for kind in ("peacetime", "avoid_held", "safest"):
                r = pair[kind]
                if r["found"]:
                    expected[f"{mode}:{pair['hub']['id']}:{kind}"] = (pair, r)
    title = "routes" if suffix not in (".kml", ".kmz") else "Routes"
    got = read_back(path, title, "routes")
    assert sorted(got["route_id"]) == sorted(expected)
    names = ws.profile.names
    for row in got.to_dict("records"):
        pair, r = expected[row["route_id"]]
        assert same(row["length_km"], r["length_km"])
        assert same(row["min_clearance_km"], r["min_clearance_km"])
        assert same(row["detour"], r["detour"])
        assert row["status"] == r["status"] and row["worst_band"] == r["worst_band"]
        assert row["pair_status"] == pair["status"]
        assert row["hub_id"] == pair["hub"]["id"] and row["hub"] == pair["hub"]["name"]
        for b in names:
            assert same(row[f"km_{b}"], r["km_by_band"].get(b, 0.0)), b
        assert row["route_numbers"] == (" > ".join(r["route_numbers"]) or None)
        assert str(row["date"]) == d["date"] and str(row["data_date"]) == d["data_date"]
        assert same(row["data_exact"], d["data_exact"])
    if suffix == ".gpkg":
        types = gpkg_types(path, "routes")
        assert types["date"] == "DATE" and types["data_date"] == "DATE"
        assert types["length_km"] == "REAL" and types["min_clearance_capped"] == "BOOLEAN"
        null_audit(path)
        assert {"routes", "places"} <= set(gpkg_styles(path))
        assert 'attr="worst_band"' in gpkg_styles(path)["routes"]
        layers_in = {n for n, _ in pyogrio.list_layers(path)}
        assert {"routes", "route_edges", "places"} <= layers_in


def test_route_edges_have_node_ids_in_order(ws, routes_res, tmp_path):
    from supplyline.viz.export import export, routes_layers

    path = tmp_path / "r.gpkg"
    export(routes_layers(ws, routes_res), path)
    edges = pyogrio.read_dataframe(path, layer="route_edges")
    routes = pyogrio.read_dataframe(path, layer="routes").set_index("route_id")
    for rid, g in edges.groupby("route_id"):
        g = g.sort_values("seq")
        # consecutive edges share a node: the ids are the network's
        for (u1, v1), (u2, v2) in zip(g[["u", "v"]].to_numpy()[:-1],
                                      g[["u", "v"]].to_numpy()[1:], strict=True):
            assert {u1, v1} & {u2, v2}, rid
        assert abs(g["length_km"].sum() - routes.at[rid, "length_km"]) < 0.005 * len(g) + 0.01
        net = ws.network(g["mode"].iloc[0])
        ids = g["edge_id"].to_numpy()
        assert (net.u[ids] == g["u"].to_numpy()).all() and (net.v[ids] == g["v"].to_numpy()).all()
    places = pyogrio.read_dataframe(path, layer="places")
    city = places[places["role"] == "city"].iloc[0]
    assert city["name"] == "Pokrovsk" and city["name_uk"] == "Покровськ"


def test_exposure_export_matches_query(ws, tmp_path):
    from supplyline.analysis import queries
    from supplyline.viz.export import export, exposure_layers

    box = (37.0, 48.1, 37.4, 48.4)
    gdf = queries.edge_exposure(ws, DATE, mode="road", bbox=box)
    path = tmp_path / "e.gpkg"
    export(exposure_layers(ws, gdf, "road"), path)
    back = pyogrio.read_dataframe(path, layer="road_exposure")
    assert len(back) == len(gdf)
    net = ws.network("road")
    assert (back["u"].to_numpy() == net.u[gdf["edge_id"].to_numpy()]).all()
    assert (back["v"].to_numpy() == net.v[gdf["edge_id"].to_numpy()]).all()
    assert np.allclose(back["clearance_km"], gdf["clearance_km"])
    assert np.allclose(back["length_km"], gdf["length_km"])
    assert (back["band"].to_numpy() == gdf["band"].to_numpy()).all()
    assert gpkg_types(path, "road_exposure")["date"] == "DATE"
    assert back["ref"].isna().sum() == (gdf["ref"].isna()).sum() > 0  # NULL, not ''
    null_audit(path)
    assert 'attr="band"' in gpkg_styles(path)["road_exposure"]


def test_rings_export_matches_json(ws, tmp_path):
    from supplyline.analysis import queries
    from supplyline.viz.export import export, rings_layers

    res = queries.encirclement(ws, "Pokrovsk", DATE)
    d = res.to_dict()
    for suffix in (".gpkg", ".kml"):
        path = tmp_path / f"rings{suffix}"
        export(rings_layers(ws, res), path)
        rings = read_back(path, "rings" if suffix == ".gpkg" else "Rings", "rings")
        assert len(rings) == len(d["rings"])
        for row, r in zip(rings.to_dict("records"), d["rings"], strict=True):
            assert same(row["radius_km"], r["radius_km"])
            assert same(row["held_share"], r["held_share"])
            for b, v in r["band_share"].items():
                assert same(row[f"share_{b}"], v)
    g = pyogrio.read_dataframe(tmp_path / "rings.gpkg", layer="rings").to_crs(
        "+proj=aeqd +lat_0=48.28 +lon_0=37.18")
    # a ring of radius r is a circle of circumference ~2 pi r around the city
    assert abs(g.length.iloc[0] / 1000 - 2 * math.pi * d["rings"][0]["radius_km"]) < 0.5


def test_held_export_real_range(ws, tmp_path):
    from supplyline.viz.export import export, held_layers

    path = tmp_path / "held.gpkg"
    export(held_layers(ws, "2025-01-01", "2025-01-10", step_days=3), path)
    back = pyogrio.read_dataframe(path, layer="held")
    assert [d.date().isoformat() for d in back["date"]] == ["2025-01-01", "2025-01-04",
                                                            "2025-01-07", "2025-01-10"]
    for day, area, data_date in zip(back["date"], back["area_km2"], back["data_date"],
                                    strict=True):
        h = ws.held(day.date())
        assert abs(area - h.geometry.area / 1e6) < 0.01
        assert data_date.date() == h.date
    assert gpkg_types(path, "held")["date"] == "DATE"
    assert 'startField="date"' in gpkg_styles(path)["held"]
    assert 'fixedDuration="3"' in gpkg_styles(path)["held"]


def test_places_export_matches_places_query(ws, tmp_path):
    from supplyline.analysis import queries
    from supplyline.viz.export import export, places_layers

    res = queries.places(ws, DATE, oblast="UA-14", top=10).to_dict()
    path = tmp_path / "p.gpkg"
    export(places_layers(ws, DATE, oblast="UA-14"), path)
    back = pyogrio.read_dataframe(path, layer="places")
    lnh = res["largest_not_held"]
    assert len(back) == lnh["places"] and int(back["held"].sum()) == lnh["held_places"]
    by_id = back.set_index("id")
    for r in lnh["largest_not_held"]:
        row = by_id.loc[r["id"]]
        assert row["band"] == r["band"] and row["population"] == r["population"]
        assert same(row["distance_to_held_km"], r["distance_to_held_km"])
    for band, v in res["population_by_band"]["by_band"].items():
        sel = back[back["band"] == band]
        assert int(sel["population"].sum()) == v["population"] and len(sel) == v["places"]
    assert back["name_uk"].notna().sum() > 0.5 * len(back)
    null_audit(path)


def test_timeline_export_matches_tables(ws, tmp_path):
    from supplyline.analysis.summary import timeline_analysis, write_tables
    from supplyline.viz.export import export, timeline_layers

    res = timeline_analysis(ws, ["Myrnohrad"], "2025-05-01", "2025-05-15")
    write_tables(res, tmp_path / "tables")
    path = tmp_path / "t.gpkg"
    export(timeline_layers(ws, res), path)
    days = pyogrio.read_dataframe(path, layer="days")
    ref = pd.read_csv(tmp_path / "tables" / "days.csv")
    assert len(days) == len(ref) == 15
    assert [d.date().isoformat() for d in days["date"]] == ref["date"].tolist()
    for col in ("distance_to_held_km", "road_best_min_clearance_km", "corridor_width_km"):
        a, b = days[col].to_numpy(float), ref[col].to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(b)) and np.allclose(a[~np.isnan(a)],
                                                                         b[~np.isnan(b)])
    assert gpkg_types(path, "days")["date"] == "DATE"
    assert days["city_uk"].iloc[0] == "Мирноград"
    null_audit(path)
    routes = pyogrio.read_dataframe(path, layer="routes")
    assert len(routes) == len(pd.read_csv(tmp_path / "tables" / "routes.csv"))


def test_export_cli(shared_data, tmp_path):
    from conftest import run_cli

    out = tmp_path / "held.kmz"
    r = run_cli("export", "held", "--date", DATE, "-o", out, data=shared_data)
    assert r.returncode == 0, r.stderr
    root = ET.fromstring(zipfile.ZipFile(out).read("doc.kml"))
    assert len(list(root.iter(f"{K}Placemark"))) == 1
    r = run_cli("export", "held", "--date", DATE, "-o", tmp_path / "held.shp",
                data=shared_data)
    assert r.returncode == 2 and "expected a" in r.stderr
