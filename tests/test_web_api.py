"""The web service through its ASGI app: the same answers as the CLI and the library,
clear errors, caching headers, limits, one analysis thread."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest

from supplyline.core.exposure import ThreatProfile
from supplyline.viz.maplibre import asset_dirs, verified

pytestmark = pytest.mark.skipif(not any(verified(d) for d in asset_dirs()),
                                reason="MapLibre not fetched (python scripts/fetch_assets.py)")

CITY, DATE = "Pokrovsk", "2025-06-01"


class _NoData:
    """A workspace stand-in for the checks made before anything is computed."""

    profile = ThreatProfile()
    options = None


@pytest.fixture(scope="module")
def nodata():
    from fastapi.testclient import TestClient

    from supplyline.web import create_app

    app = create_app(_NoData(), warm=False, timeout_s=0.3)
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def client(ws, real_board):
    from fastapi.testclient import TestClient

    from supplyline.web import create_app

    with TestClient(create_app(ws, board=real_board)) as c:
        yield c


def _err(r, status):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "status"} and body["status"] == status
    assert "\n" not in body["error"] and "Traceback" not in body["error"]
    return body["error"]


# ------------------------------------------------------------------ no data needed
@pytest.mark.parametrize("url, needle", [
    ("/api/status/Pokrovsk?date=2025-13-01", "2025-13-01"),
    ("/api/status/Pokrovsk?date=June", "expected a date YYYY-MM-DD"),
    ("/api/exposure?date=2025-06-01", "bbox: required"),
    ("/api/exposure?bbox=37,48,38", "four numbers"),
    ("/api/exposure?bbox=38,48,37,49", "west < east"),
    ("/api/exposure?bbox=30,45,38,49", "at most 2 by 1.5 degrees"),
    ("/api/exposure?bbox=37,48,38,49&mode=bus", "mode"),
    ("/api/territory?bbox=0,0,40,40", "at most 16 by 10 degrees"),
    ("/api/timeline/Pokrovsk?from=2025-06-10&to=2025-06-01", "before from"),
    ("/api/routes/Pokrovsk?beyond=mortar", "mortar"),
    ("/api/routes/Pokrovsk?mode=air", "mode"),
    ("/api/status/Pokrovsk?to=a&to=b&to=c&to=d&to=e&to=f", "to"),
    ("/api/distance/Pokrovsk?radius_km=900", "radius_km 900.0: expected a number from 0.1 to 200"),
    ("/api/places?top=1000", "top"),
    ("/api/schema/everything", "expected one of status, routes"),
    ("/api/encirclement/Pokrovsk?radii=5;10", "radii"),
])
def test_bad_parameters_are_400_with_one_line(nodata, url, needle):
    assert needle in _err(nodata.get(url), 400)


def test_unknown_path_and_missing_board(nodata):
    assert "not found: /api/nothing" in _err(nodata.get("/api/nothing"), 404)
    r = nodata.get("/api/board")
    assert "supplyline serve" in _err(r, 503) and r.headers["retry-after"]
    feed = nodata.get("/feeds/events.atom")  # no watcher state, no board: an empty feed
    assert feed.status_code == 200 and feed.headers["content-type"].startswith(
        "application/atom+xml") and "<entry>" not in feed.text


def test_events_feed_serves_the_watchers_alerts(nodata, tmp_path, monkeypatch):
    import xml.etree.ElementTree as ET

    from supplyline.io.notify import AlertState

    monkeypatch.setenv("SUPPLYLINE_STATE", str(tmp_path))
    state = AlertState.load(tmp_path / "watch.json")
    for n, (kind, city) in enumerate([("route_cut", "geonames:1"), ("band_entered", "x:2")]):
        state.alerts[f"a{n}"] = {"id": f"a{n}", "city_id": city, "city": "<b>Town</b>",
                                 "kind": kind, "subject": "road to Hub", "date": "2025-06-0"
                                 f"{n + 1}", "title": {"en": f"<b>Town</b> {kind}",
                                                       "uk": "<b>Місто</b>"},
                                 "summary": {"en": "detail"}}
    state.save()
    r = nodata.get("/feeds/events.atom?lang=uk&events=route_cut")
    assert r.status_code == 200
    root = ET.fromstring(r.content)  # well-formed: the markup in names is escaped text
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert titles == ["<b>Місто</b>"]
    link = root.find("a:entry/a:link", ns).get("href")
    assert link.endswith("/city/geonames:1?date=2025-06-01")
    assert "bogus" in _err(nodata.get("/feeds/events.atom?events=bogus"), 400)


def test_read_only(nodata):
    for route in nodata.app.routes:
        assert set(getattr(route, "methods", None) or {"GET"}) <= {"GET", "HEAD"}, route.path
    assert nodata.post("/api/status/Pokrovsk").status_code == 405
    assert nodata.delete("/api/board").status_code == 405


def test_schema_and_openapi(nodata):
    s = nodata.get("/api/schema/status").json()
    assert s["$ref"] == "#/$defs/StatusResult" and "distance_to_held_km" in json.dumps(s)
    spec = nodata.get("/openapi.json").json()
    assert {"/api/status/{city}", "/api/board", "/api/territory", "/api/exposure",
            "/api/city/{city}/day", "/api/timeline/{city}", "/api/health"} <= set(spec["paths"])
    docs = nodata.get("/docs")
    assert docs.status_code == 200 and "/static/docs.js" in docs.text
    assert "cdn" not in docs.text.lower() and "https://" not in docs.text


def test_static_files_are_verified_and_cached(nodata):
    from supplyline.viz.maplibre import load_maplibre

    r = nodata.get("/static/vendor/maplibre-gl.js")
    assert r.status_code == 200 and r.content == load_maplibre(fetch=False).js
    assert r.headers["content-type"].startswith("text/javascript")
    again = nodata.get("/static/vendor/maplibre-gl.js",
                       headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert nodata.get("/static/city.js").status_code == 200
    assert nodata.get("/static/../pyproject.toml").status_code == 404
    assert nodata.get("/static/vendor/evil.js").status_code == 404


def test_slow_answer_is_503_then_cached(nodata, monkeypatch):
    from supplyline.web import api

    calls = []

    def slow(ws, city, date, **kw):
        calls.append(city)
        time.sleep(0.6)
        return {"city": city, "slow": True}

    monkeypatch.setattr(api.queries, "status", slow)
    r = nodata.get("/api/status/Slowtown?date=2025-06-01")
    assert "limit" in _err(r, 503) and r.headers["retry-after"] == "15"
    time.sleep(0.6)  # the computation that had started finishes and is cached
    r = nodata.get("/api/status/Slowtown?date=2025-06-01")
    assert r.status_code == 200 and r.json() == {"city": "Slowtown", "slow": True}
    assert calls == ["Slowtown"]


def test_analyses_run_one_at_a_time_on_one_thread():
    from supplyline.web.service import Service

    svc = Service(object(), timeout_s=5)
    seen, running, peak = set(), [0], [0]
    lock = threading.Lock()

    def work(ws, i):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        seen.add(threading.current_thread().name)
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return i

    async def main():
        return await asyncio.gather(*[svc.analyse(work, i) for i in range(12)])

    assert asyncio.run(main()) == list(range(12))
    assert peak[0] == 1 and len(seen) == 1 and next(iter(seen)).startswith("supplyline-analysis")
    svc.close()


def test_answer_cache_is_bounded():
    from supplyline.web.service import Answer, AnswerCache

    c = AnswerCache(max_bytes=100)
    for i in range(5):
        c.put(f"k{i}", Answer(b"x" * 30, b"y" * 10, f'"{i}"'))
    s = c.stats()
    assert s["bytes"] <= 100 and s["entries"] == 2
    assert c.get("k0") is None and c.get("k4") is not None
    c.put("big", Answer(b"x" * 200, b"", '"b"'))  # larger than the cache: not kept
    assert c.get("big") is None


# ------------------------------------------------------------------ real data
@pytest.mark.realdata
def test_health(client, ws, real_board):
    h = client.get("/api/health").json()
    assert h["status"] == "ok" and h["history"]["last"] == str(ws.history.last)
    assert h["board"] == {"ready": True, "first": str(real_board.first),
                          "last": str(real_board.last), "cities": len(real_board.city_ids)}


@pytest.mark.realdata
def test_status_is_the_cli_json(client, shared_data):
    from conftest import run_cli

    api = client.get(f"/api/status/{CITY}?date={DATE}")
    assert api.status_code == 200 and api.headers["content-type"] == "application/json"
    cli = run_cli("status", CITY, "--date", DATE, "--json", data=shared_data)
    assert cli.returncode == 0, cli.stderr
    assert api.json() == json.loads(cli.stdout)


@pytest.mark.realdata
def test_answers_are_the_library_results(client, ws):
    from supplyline.analysis import queries

    for url, res in [
        (f"/api/routes/{CITY}?date={DATE}", queries.routes(ws, CITY, DATE)),
        (f"/api/encirclement/{CITY}?date={DATE}", queries.encirclement(ws, CITY, DATE)),
        (f"/api/distance/{CITY}?date={DATE}&place=Myrnohrad",
         queries.distance(ws, CITY, DATE, place="Myrnohrad")),
        (f"/api/places?date={DATE}&city={CITY}&radius_km=30",
         queries.places(ws, DATE, city=CITY, radius_km=30)),
        (f"/api/axes/{CITY}?date={DATE}&bearing=W&bearing=NE",
         queries.axes(ws, CITY, DATE, ["W", "NE"])),
    ]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.text)
        assert r.json() == json.loads(json.dumps(res.to_dict())), url


@pytest.mark.realdata
def test_etag_cache_control_and_gzip(client):
    url = f"/api/status/{CITY}?date={DATE}"
    r = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert r.headers["cache-control"] == "public, max-age=3600"
    assert r.headers["content-encoding"] == "gzip" and r.headers["vary"] == "Accept-Encoding"
    etag = r.headers["etag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    latest = client.get(f"/api/status/{CITY}")
    assert latest.headers["cache-control"] == "no-cache" and latest.headers["etag"] != etag
    other = client.get(f"/api/status/{CITY}?date=2025-06-02", headers={"If-None-Match": etag})
    assert other.status_code == 200


@pytest.mark.realdata
def test_not_found_is_404(client):
    assert "Nowhereville" in _err(client.get("/api/status/Nowhereville"), 404)
    assert "before the control history" in _err(
        client.get(f"/api/status/{CITY}?date=2020-01-01"), 404)
    r = client.get("/city/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")  # an unknown "place"
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "<img" not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text


@pytest.mark.realdata
def test_exposure_geojson(client, ws):
    r = client.get(f"/api/exposure?date={DATE}&mode=road&bbox=37.0,48.1,37.4,48.4")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) > 50
    bands = set(ws.profile.names)
    for f in fc["features"]:
        p = f["properties"]
        assert p["band"] in bands and p["date"] == DATE and p["clearance_km"] >= 0
        assert f["geometry"]["type"] in ("LineString", "MultiLineString")
    assert {f["properties"]["band"] for f in fc["features"]} >= {"held", "contact"}


@pytest.mark.realdata
def test_territory_geojson(client, ws):
    fc = client.get(f"/api/territory?date={DATE}&bbox=36.5,47.8,38,48.8&simplify_m=100").json()
    kinds = [f["properties"]["kind"] for f in fc["features"]]
    # the grey zone comes from the API snapshots (every second day in 2025, carried a day)
    assert kinds == (["held", "grey"] if fc["grey_known"] else ["held"])
    held = fc["features"][0]
    p = held["properties"]
    assert p["kind"] == "held" and p["data_date"] == DATE and p["data_exact"]
    assert p["area_km2"] == pytest.approx(ws.held(DATE).geometry.area / 1e6, rel=1e-6)
    lons = [c[0] for poly in held["geometry"]["coordinates"] for ring in poly for c in ring]
    assert 36.49 <= min(lons) and max(lons) <= 38.01
    late = client.get("/api/territory?date=2026-06-01&bbox=36.5,47.8,38,48.8").json()
    assert late["grey_known"] is False  # after 2025-08 only the daily files: no grey zone
    early = client.get("/api/territory?date=2025-06-02&bbox=36.5,47.8,38,48.8").json()
    assert early["grey_known"] is True
    grey = next(f for f in early["features"] if f["properties"]["kind"] == "grey")
    assert 0 < grey["properties"]["area_km2"]


@pytest.mark.realdata
def test_board_is_the_tables(client, real_board):
    d = str(real_board.last)
    api = client.get(f"/api/board?date={d}").json()
    assert api == json.loads(json.dumps(real_board.board(d).to_dict()))
    assert api["cities"] and all(c["spark"]["distance"] for c in api["cities"])
    assert "2020-01-01" in _err(client.get("/api/board?date=2020-01-01"), 404)


@pytest.mark.realdata
def test_city_page_and_day(client, ws, real_board):
    cid = real_board.city_ids[0]
    page = client.get(f"/api/city/{cid}/page").json()
    assert page["source"] == "board tables" and page["city"]["id"] == cid
    assert page["series"]["date"][0] == str(real_board.first)
    assert len(page["series"]["date"]) == (real_board.last - real_board.first).days + 1
    n_lines = len(page["base"]["lines"]["kind"])
    assert n_lines > 1000 and len(page["palette"]["bands"]) == len(ws.profile.names)
    last = page["series"]["date"][-1]
    day = client.get(f"/api/city/{cid}/day?date={last}").json()
    assert day["date"] == last and day["held"]["type"] in ("Polygon", "MultiPolygon")
    assert len(day["lines"]["band"]) == len(day["lines"]["clear"]) == n_lines
    kinds = {(f["properties"]["mode"], f["properties"]["kind"]) for f in day["routes"]["features"]}
    assert {("road", "peacetime"), ("road", "safest")} <= kinds
    assert len(day["rings"]["features"]) == len(page["radii"])
    i = page["series"]["date"].index(last)  # the day's figures are the timeline's
    assert day["figures"]["distance_to_held_km"] == pytest.approx(
        page["series"]["distance_to_held_km"][i], abs=0.01)
    assert day["figures"]["modes"]["road"]["status"] == page["series"]["road_status"][i]


@pytest.mark.realdata
def test_city_outside_the_board_is_computed_within_limits(client, real_board):
    pid = "geonames:704422"  # Pokrovsk, not in the test board (population < 100,000)
    assert not real_board.has(pid)
    r = client.get(f"/api/timeline/{CITY}?from=2026-08-15&to=2026-08-22")
    t = r.json()
    assert r.status_code == 200 and t["source"] == "computed" and t["city"]["id"] == pid
    assert [d["date"] for d in t["days"]] == [f"2026-08-{d}" for d in range(15, 23)]
    assert "at most 366 days" in _err(
        client.get(f"/api/timeline/{CITY}?from=2024-08-01&to=2025-12-01"), 400)
    ev = client.get(f"/api/events?city={CITY}&from=2026-08-15&to=2026-08-22").json()
    assert ev["source"] == "computed" and isinstance(ev["events"], list)


@pytest.mark.realdata
def test_pages(client):
    home = client.get("/")
    assert home.status_code == 200 and 'id="supplyline-config"' in home.text
    assert "/static/vendor/maplibre-gl.js" in home.text
    city = client.get(f"/city/{CITY}?date={DATE}")
    assert city.status_code == 200 and '"city":"geonames:704422"' in city.text
    assert "<title>Pokrovsk — supplyline</title>" in city.text


def test_one_computation_per_answer_and_a_bounded_queue():
    from supplyline.web.service import Service, ServiceBusy

    svc = Service(object(), timeout_s=5)
    calls = []

    def compute():
        calls.append(1)
        time.sleep(0.1)
        return {"n": len(calls)}

    async def same_key():
        return await asyncio.gather(*[svc.answer("k", compute) for _ in range(6)])

    res = asyncio.run(same_key())
    assert calls == [1] and {a.body for a, _ in res} == {b'{"n":1}'}
    assert sorted(shared for _, shared in res) == [False] + [True] * 5

    svc.max_queue = 2

    async def flood():
        return await asyncio.gather(*[svc.analyse(lambda ws: time.sleep(0.1))
                                      for _ in range(4)], return_exceptions=True)

    out = asyncio.run(flood())
    busy = [r for r in out if isinstance(r, ServiceBusy)]
    assert len(busy) == 2 and "2 analyses are waiting" in str(busy[0])
    svc.close()


@pytest.mark.realdata
def test_base_layers_geojson(client):
    box = "36.5,48.0,37.4,48.5"  # around Pokrovsk, with the oblast boundary to its west
    for layer, prop in (("roads", "route_number"), ("railways", "class"), ("rivers", "name"),
                        ("oblasts", "iso"), ("places", "population")):
        fc = client.get(f"/api/base/{layer}?bbox={box}").json()
        assert fc["layer"] == layer and fc["features"], layer
        assert all(prop in f["properties"] for f in fc["features"])
    places = client.get(f"/api/base/places?bbox={box}").json()["features"]
    assert places[0]["properties"]["name"] == "Pokrovsk"  # the largest first
    assert "layer" in _err(client.get(f"/api/base/farms?bbox={box}"), 400)


# ------------------------------------------------------------------ page language
def _messages(text: str) -> dict:
    import re

    m = re.search(r'<script id="supplyline-messages" type="application/json">(.*?)</script>',
                  text, re.S)
    assert m, "no embedded messages"
    return json.loads(m.group(1))


@pytest.mark.realdata
@pytest.mark.parametrize("url", ["/", f"/city/{CITY}?date={DATE}"])
def test_pages_in_the_browser_language(client, url):
    sep = "&" if "?" in url else "?"
    uk_header = client.get(url, headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.8"})
    uk_query = client.get(url + sep + "lang=uk", headers={"Accept-Language": "en-GB,en"})
    for r in (uk_header, uk_query):
        assert r.status_code == 200, r.text
        assert '<html lang="uk">' in r.text
        assert "Accept-Language" in r.headers["vary"]
        msgs = _messages(r.text)
        assert msgs["Legend"] == "Умовні позначення"
        assert msgs["held territory"] == "утримувана територія"
    assert "усі прифронтові міста" in uk_header.text or url == "/"  # the city page's nav
    for r in (client.get(url), client.get(url, headers={"Accept-Language": "de,fr;q=0.5"}),
              client.get(url + sep + "lang=en", headers={"Accept-Language": "uk"})):
        assert r.status_code == 200, r.text
        assert '<html lang="en">' in r.text and _messages(r.text) == {}
        assert "Accept-Language" in r.headers["vary"]
    api = client.get("/api/health", headers={"Accept-Language": "uk"})
    assert "Accept-Language" not in api.headers.get("vary", "")


@pytest.mark.realdata
@pytest.mark.parametrize("url", ["/?lang=xx", f"/city/{CITY}?lang=de", "/?lang=ua"])
def test_page_language_must_be_en_or_uk(client, url):
    assert "lang" in _err(client.get(url), 400)


def test_page_language_is_checked_first(nodata):
    msg = _err(nodata.get("/city/Pokrovsk?lang=xx"), 400)
    assert msg == "lang 'xx': expected one of en, uk"
