import json
import subprocess
import sys


def run(*args, data=None):
    cmd = [sys.executable, "-m", "supplyline.cli", *args]
    if data is not None:
        cmd += ["--data", str(data)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def test_status_json(ws, shared_data):
    r = run("status", "Pokrovsk", "--date", "2025-01-31", "--json", data=shared_data)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["city"]["name"] == "Pokrovsk" and doc["data_exact"] is True
    assert doc["routes"]["road"]["routes"]["peacetime"]["length_km"] > 100


def test_data_status_json(ws, shared_data):
    r = run("data", "status", "--json", data=shared_data)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["sources"]["deepstate"]["history"]["days"] == 769
    assert doc["sources"]["egm"]["layers"]["roads"] == 34905
    assert doc["missing_required"] == []


def test_user_errors_are_one_line_nonzero(ws, shared_data, tmp_path):
    cases = [
        ("status", "Qwertyuiopgrad"),
        ("status", "Pokrovsk", "--date", "2023-01-01"),
        ("status", "Pokrovsk", "--date", "2025-02-30"),
        ("routes", "Pokrovsk", "--mode", "boat"),
        ("routes", "Pokrovsk", "--bands", "a=5,b=2"),
        ("distance", "Pokrovsk", "--road", "X-99"),
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
