"""The command line, run in-process (tests/conftest.py run_cli); one real subprocess smoke
test checks the installed entry point."""

import json
import subprocess
import sys

from conftest import run_cli as run


def test_subprocess_smoke(ws, shared_data):
    r = subprocess.run([sys.executable, "-m", "supplyline", "status", "Pokrovsk", "--date",
                        "2025-01-31", "--json", "--data", str(shared_data)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["city"]["name"] == "Pokrovsk"


def test_status_json(ws, shared_data):
    r = run("status", "Pokrovsk", "--date", "2025-01-31", "--json", data=shared_data)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["city"]["name"] == "Pokrovsk" and doc["data_exact"] is True
    road = doc["modes"]["road"]
    assert road["status"] and road["hubs"][0]["peacetime_length_km"] > 50
    assert doc["method"]["road_classes"] == "all"


def test_hostile_ground_flags(ws, shared_data):
    """--ground held measures from held territory only (the grey zone of 2025-01-31 puts
    the front 0.7 km nearer Pokrovsk than held ground); --no-border; both stated in the
    method; a later command without the flags is back to the defaults."""
    def status(*flags):
        r = run(*flags, "status", "Pokrovsk", "--date", "2025-01-31", "--json",
                data=shared_data)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    held = status("--ground", "held", "--no-border")
    assert held["distance_to_front_km"] == held["distance_to_held_km"] == 5.918
    assert held["method"]["threat_ground"] == "held"
    assert held["method"]["border_hostile"] is False
    default = status()
    assert default["distance_to_front_km"] == 5.214 < default["distance_to_held_km"]
    assert default["method"]["threat_ground"] == "contested"
    assert default["method"]["border_hostile"] is True
    bad = run("--ground", "grey", "status", "Pokrovsk")
    assert bad.returncode == 2 and "--ground 'grey': expected contested or held" in bad.stderr


def test_data_status_json(ws, shared_data):
    r = run("data", "status", "--json", data=shared_data)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["sources"]["deepstate"]["detail"].startswith("769 days")
    assert doc["sources"]["deepstate_raw"]["detail"].startswith("368 snapshots")
    h = doc["history"]
    assert (h["days"], h["first"], h["last"]) == (948, "2022-04-03", "2026-08-22")
    assert h["days_by_source"] == {"api": 179, "daily": 580, "daily+api": 189}
    assert [s["kind"] for s in h["sparse_stretches"]] == ["about weekly", "every second day",
                                                          "about weekly"]
    assert set(h["unknown_names"]) == {"24.03", "дорога тростянець-суми 31.03",
                                       "орки відсутні 30.03", "багатокутник 47"}
    assert doc["sources"]["egm"]["layers"]["roads"] == 34905
    assert doc["missing_required"] == []


def test_user_errors_are_one_line_nonzero(ws, shared_data, tmp_path):
    cases = [
        ("status", "Qwertyuiopgrad"),
        ("status", "Pokrovsk", "--date", "2021-01-01"),  # before the history
        ("status", "Pokrovsk", "--date", "2025-02-30"),
        ("routes", "Pokrovsk", "--mode", "boat"),
        ("routes", "Pokrovsk", "--bands", "a=5,b=2"),
        ("distance", "Pokrovsk", "--road", "X-99"),
        ("routes", "Lviv", "--to", "Dnipro"),  # outside the network's extent
        ("routes", "Pokrovsk", "--beyond", "artillery"),
        ("routes", "Pokrovsk", "--detour-cap", "0.5"),
        ("status", "Pokrovsk", "--detour-cap", "nan"),
    ]
    for args in cases:
        r = run(*args, data=shared_data)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
    r = run("status", "Pokrovsk", data=tmp_path / "missing")
    assert r.returncode == 2 and "not a directory" in r.stderr


def test_routes_export_geojson(ws, shared_data, tmp_path):
    import geopandas as gpd

    out = tmp_path / "routes.geojson"
    r = run("routes", "Pokrovsk", "--date", "2025-01-31", "--to", "Dnipro", "--mode", "road",
            "-o", str(out), data=shared_data)
    assert r.returncode == 0, r.stderr
    gdf = gpd.read_file(out)
    assert set(gdf["kind"]) == {"peacetime", "avoid_held", "safest"}
    assert gdf.crs.to_epsg() == 4326
    assert (gdf["length_km"] > 100).all()


def test_routes_policies_and_resilience_in_the_table(ws, shared_data):
    r = run("routes", "Pokrovsk", "--date", "2025-01-31", "--to", "Sloviansk", "--mode",
            "road", "--beyond", "tube", "--detour-cap", "2", data=shared_data)
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.split())  # table cells wrap
    assert "beyond tube" in text and "trade-off" in text
    assert "2 x the peacetime route" in text
    assert "resilience: Edge-disjoint road routes from Pokrovsk" in text
    r = run("routes", "Pokrovsk", "--date", "2025-01-31", "--to", "Sloviansk", "--mode",
            "road", "--beyond", "tube", "--json", data=shared_data)
    doc = json.loads(r.stdout)
    pair = doc["modes"]["road"]["hubs"][0]
    assert pair["beyond"]["beyond_band"] == "tube" and pair["safest"]["detour_cap"] == 1.5
    assert doc["modes"]["road"]["resilience"]["beyond_band"] == "tube"
    assert [b["band"] for b in doc["modes"]["road"]["resilience"]["by_band"]] == [
        "held", "contact", "fpv", "tube", "rocket"]


def test_data_fetch_cli_against_local_server(shared_data, tmp_path):
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(shared_data / "deepstate"))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{srv.server_address[1]}"
        args = ("data", "fetch", "--from", "2024-08-16", "--to", "2024-08-20", "--base-url",
                base, "--dest", str(tmp_path), "--json")
        r = run(*args)
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["deepstate"]["downloaded"] == 3  # 18 and 19 August are not published
        assert doc["deepstate"]["missing"] == ["2024-08-18", "2024-08-19"]
        again = json.loads(run(*args).stdout)
        assert again["deepstate"]["cached"] == 3 and again["deepstate"]["downloaded"] == 0
        got = tmp_path / "deepstate" / "deepstatemap_data_20240817.geojson"
        assert got.read_bytes() == (shared_data / "deepstate" / got.name).read_bytes()
        # the downloaded folder is a data location the tool can read
        r = run("data", "status", "--json", data=tmp_path)
        assert json.loads(r.stdout)["history"]["days"] == 3
    finally:
        srv.shutdown()


def test_analysis_commands_json(ws, shared_data, tmp_path):
    r = run("encirclement", "Pokrovsk", "--date", "2025-10-15", "--json", data=shared_data)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [x["radius_km"] for x in doc["rings"]] == [5, 10, 20, 30]
    assert doc["flanks"]["pincer"] is True
    r = run("distance", "Pokrovsk", "--date", "2025-12-01", "--oblast", "UA-12", "--radius",
            "40", "--json", data=shared_data)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["targets"][0]["first_reached"].startswith("2025-")
    r = run("places", "--oblast", "Donetsk Oblast", "--date", "2025-12-01", "-n", "3",
            "--json", data=shared_data)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    names = [p["name"] for p in doc["largest_not_held"]["largest_not_held"]]
    assert names[0] == "Kramatorsk"
    r = run("axes", "Pokrovsk", "--date", "2025-06-01", "-b", "W", "-b", "NE", "--json",
            data=shared_data)
    assert r.returncode == 0, r.stderr
    assert [a["label"] for a in json.loads(r.stdout)["axes"]] == ["W", "NE"]
    out = tmp_path / "tl"
    r = run("timeline", "Pokrovsk", "--from", "2025-10-01", "--to", "2025-10-20", "-o",
            str(out), "--json", data=shared_data)
    assert r.returncode == 0, r.stderr
    import pandas as pd

    days = pd.read_parquet(out / "days.parquet")
    assert len(days) == 20 and (days["city"] == "Pokrovsk").all()
    assert {"day_hash", "recomputed"}.isdisjoint(days.columns)
    assert (out / "days.parquet").stat().st_mode & 0o777 == 0o644
    assert pd.read_csv(out / "days.csv").shape[0] == 20
    assert "pooled_backtest" in json.loads(r.stdout)


def test_exposure_export(ws, shared_data, tmp_path):
    import geopandas as gpd

    out = tmp_path / "rail.gpkg"
    r = run("exposure", "--date", "2025-06-01", "--mode", "rail", "--bbox",
            "36.5,47.8,37.8,48.8", "-o", str(out), "--json", data=shared_data)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    gdf = gpd.read_file(out)
    assert len(gdf) == doc["edges"] > 100 and gdf.crs.to_epsg() == 4326
    assert set(gdf["band"]) >= {"held", "contact", "fpv"}
    # held edges have zero clearance; bands agree with the clearance
    assert (gdf.loc[gdf["held"].astype(bool), "clearance_km"] == 0).all()
    fpv = gdf[gdf["band"] == "fpv"]["clearance_km"]
    assert ((fpv > 3) & (fpv <= 15)).all()
    bad = run("exposure", "--bbox", "1,2,3", "-o", str(tmp_path / "x.gpkg"), data=shared_data)
    assert bad.returncode == 2 and "MINLON" in bad.stderr
