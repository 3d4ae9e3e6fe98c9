"""HTML report: the city page with its data embedded, self-contained, offline, and working
in a real (headless) browser."""

from __future__ import annotations

import json
import re
import shutil
import stat
import tarfile
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, chromium_or_skip

from supplyline.errors import SupplylineError
from supplyline.viz import maplibre as ml
from supplyline.viz import report as rp

ROOT = Path(__file__).resolve().parents[1]
CITY, START, END = "Pokrovsk", "2025-09-01", "2025-11-20"
MAX_BYTES = 5 * 1024 * 1024
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


# ------------------------------------------------------------------ no data needed
def test_frame_indices_include_last_day():
    assert rp._frame_indices(81, 7) == [0, 7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 80]
    assert rp._frame_indices(15, 7) == [0, 7, 14]
    assert rp._frame_indices(1, 7) == [0]
    assert rp._frame_indices(5, 1) == [0, 1, 2, 3, 4]


def test_missing_maplibre_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setattr(ml, "asset_dirs", lambda: [tmp_path / "a", tmp_path / "b"])
    with pytest.raises(SupplylineError) as ei:
        ml.load_maplibre(fetch=False)
    msg = str(ei.value)
    assert "\n" not in msg and "fetch_assets.py" in msg and "MapLibre GL JS 5.24.1" in msg
    # and with a fetch that cannot work (no npm): still one line, saying why
    monkeypatch.setattr(ml.shutil, "which", lambda name: None)
    with pytest.raises(SupplylineError, match="npm not found") as ei:
        ml.load_maplibre(fetch=True)
    assert "\n" not in str(ei.value)


def test_maplibre_files_are_checked_before_use(tmp_path, monkeypatch):
    d = tmp_path / "assets"
    d.mkdir()
    for name, _ in ml.MAPLIBRE_FILES.values():  # right names, wrong bytes
        (d / name).write_text("/* MapLibre GL JS v5.24.1 (tampered) */")
    monkeypatch.setattr(ml, "asset_dirs", lambda: [tmp_path / "none", d])
    assert not ml.verified(d)
    with pytest.raises(SupplylineError, match="not found"):
        ml.load_maplibre(fetch=False)
    real = next((p for p in (ml.VENDOR_DIR, ml.user_cache_dir() / "assets")
                 if ml.verified(p)), None)
    if real is None:
        pytest.skip("MapLibre not fetched (python scripts/fetch_assets.py)")
    for name, _ in ml.MAPLIBRE_FILES.values():
        shutil.copyfile(real / name, d / name)
    assert ml.load_maplibre(fetch=False).js.startswith(b"/**\n * MapLibre GL JS")
    with open(d / "maplibre-gl.js", "ab") as f:  # one byte more: refused
        f.write(b" ")
    with pytest.raises(SupplylineError):
        ml.load_maplibre(fetch=False)


def test_a_tarball_that_does_not_match_its_pin_is_refused(tmp_path, monkeypatch):
    """A fake `npm` that packs the right file names with other bytes."""
    pkg = tmp_path / "pkg"
    (pkg / "package" / "dist").mkdir(parents=True)
    for member in ml.MAPLIBRE_FILES:
        (pkg / member).write_text("not maplibre")
    tgz = tmp_path / "maplibre-gl-5.24.1.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        tar.add(pkg / "package", arcname="package")
    npm = tmp_path / "bin" / "npm"
    npm.parent.mkdir()
    npm.write_text(f"#!/bin/sh\ncp {tgz} .\n")
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{npm.parent}:/usr/bin:/bin")
    dest = tmp_path / "dest"
    with pytest.raises(SupplylineError, match="SHA-256") as ei:
        ml.fetch_maplibre(dest)
    assert "\n" not in str(ei.value)
    assert not dest.exists() or not any(dest.iterdir())  # nothing unchecked was written
    with pytest.raises(SupplylineError, match="only 5.24.1 is pinned"):
        ml.fetch_maplibre(dest, version="9.9.9")


def test_output_must_be_html(tmp_path):
    with pytest.raises(SupplylineError, match=r"\.html"):
        rp.build_report(None, CITY, START, END, tmp_path / "r.pdf")
    with pytest.raises(SupplylineError, match="step"):
        rp.build_report(None, CITY, START, END, tmp_path / "r.html", step_days=0)


def test_json_in_pages_cannot_close_its_script():
    from supplyline.viz.pages import json_script

    s = json_script("d", {"name": "</script><script>alert(1)</script><!--", "x": "\u2028"})
    assert "</script><script>" not in s and "<!--" not in s.split(">", 1)[1]
    body = s.split(">", 1)[1].rsplit("</script>", 1)[0]
    assert json.loads(body)["name"] == "</script><script>alert(1)</script><!--"


# ------------------------------------------------------------------ real data
class _Refs(HTMLParser):
    """Every tag and its src / href / other URL-bearing attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "srcset", "poster", "data", "action", "xlink:href") and v:
                self.refs.append((tag, k, v))


def _embedded(text: str) -> dict:
    m = re.search(r'<script id="supplyline-data" type="application/json">(.*?)</script>',
                  text, re.S)
    assert m
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def built(ws, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("report")
    out = out_dir / "pokrovsk.html"
    t0 = time.perf_counter()
    res = rp.build_report(ws, CITY, START, END, out)
    return res, out, time.perf_counter() - t0


@pytest.mark.realdata
def test_report_is_one_self_contained_file(built):
    res, out, seconds = built
    print(f"report built in {seconds:.1f} s: {res['bytes'] / 1e6:.2f} MB, {res['dates']} dates, "
          f"timings {res['seconds']}")
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # nothing else, no temp file
    assert out.stat().st_mode & 0o777 == 0o644
    assert res["path"] == str(out) and res["bytes"] == out.stat().st_size
    assert res["bytes"] < MAX_BYTES
    assert res["dates"] == 13  # 81 days, every 7th day and the last one
    text = out.read_text(encoding="utf-8")
    p = _Refs()
    p.feed(text)
    # no external resource of any kind: no src/href to a URL, no <img>/<iframe>/<link> files
    external = [r for r in p.refs if re.match(r"^\s*(https?:)?//", r[2], re.I)]
    assert external == []
    assert not [r for r in p.refs if r[1] == "src"]  # every script inline
    assert not {"img", "iframe", "object", "embed", "video", "audio"} & set(p.tags)
    assert [r for r in p.refs if r[0] == "link"] == [("link", "href", "data:,")]
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", text, re.I)
    assert "@import" not in text
    # MapLibre inlined (verified bytes), the page's map and slider are there
    assert ml.load_maplibre(fetch=False).js.decode() in text
    assert "Leaflet" not in text
    assert 'id="map"' in text and 'id="slider"' in text and "maplibregl.Map(" in text
    for needle in ("DeepStateMap", "EuroGeographics", "OpenStreetMap", "GeoNames"):
        assert needle in text
    data = _embedded(text)
    assert data["frame_dates"][0] == START and data["frame_dates"][-1] == END
    assert sorted(data["frames"]) == data["frame_dates"]
    n = len(data["page"]["base"]["lines"]["kind"])
    assert n == res["lines"] > 1000
    for d, day in data["frames"].items():
        assert day["date"] == d and len(day["lines"]["band"]) == n


@pytest.mark.realdata
def test_report_lists_events_and_forecasts(built, ws):
    res, out, _ = built
    page = _embedded(out.read_text(encoding="utf-8"))["page"]
    assert len(page["events"]) == res["events"] > 0
    kinds = {e["kind"] for e in page["events"]}
    assert "centre_held" in kinds  # Pokrovsk's centre held in the range
    assert "route_cut" in kinds
    assert all(START <= e["date"] <= END for e in page["events"])
    assert [f["quantity"] for f in page["forecasts"]] == [f["quantity"] for f in res["forecasts"]]
    assert len(page["series"]["date"]) == 81
    # the page's figures are the timeline's
    from supplyline.analysis import queries

    i = page["series"]["date"].index("2025-10-01")
    st = queries.status(ws, CITY, "2025-10-01")
    assert page["series"]["distance_to_held_km"][i] == pytest.approx(st.distance_to_held_km,
                                                                     abs=0.01)


@pytest.mark.realdata
@pytest.mark.browser
def test_report_works_offline_in_chromium(built, tmp_path):
    sync_playwright = chromium_or_skip()
    res, out, _ = built
    external: list[str] = []
    seen: list[str] = []
    errors: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:", "about:", "blob:")):
            r.continue_()
        else:
            external.append(url)
            r.abort()

    def on_console(m):
        if m.type == "error":
            errors.append(m.text)

    udd = tempfile.mkdtemp(prefix="supplyline-chromium-")
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                udd, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
                viewport={"width": 1400, "height": 1000}, offline=True)
            try:
                ctx.route("**/*", route)
                page = ctx.new_page()
                page.on("request", lambda q: seen.append(q.url))
                page.on("console", on_console)
                page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
                page.goto(out.as_uri())
                page.wait_for_selector(f"body[data-date='{END}']", timeout=30_000)

                def state() -> dict:
                    return page.evaluate("""() => ({
                      label: document.getElementById('date-label').textContent,
                      held: JSON.stringify(supplylineMap.getSource('held').serialize().data),
                      lines: supplylineMap.getSource('lines').serialize().data.features
                               .map(f => f.properties.b).join(''),
                      cursor: document.querySelector('svg.chart .cursor').getAttribute('x1'),
                      future: document.querySelectorAll('#events tr.future').length,
                      events: document.querySelectorAll('#events tbody tr').length,
                      withheld: [...document.querySelectorAll('#forecasts tr.withheld-row')]
                                  .map(r => r.textContent),
                    })""")

                refs = page.eval_on_selector_all(  # the live DOM, MapLibre's own nodes too
                    "[src], [href]", "els => els.map(e => e.getAttribute('src') || "
                    "e.getAttribute('href'))")
                assert not [r for r in refs if re.match(r"^\s*(https?:)?//", r, re.I)]
                # drawn: MapLibre renders asynchronously after the date is set (slow under
                # SwiftShader on a busy machine), so wait for it rather than sample once
                page.wait_for_function(
                    "() => supplylineMap.queryRenderedFeatures({layers: ['held']}).length > 0",
                    timeout=30_000)
                charts = page.eval_on_selector_all(  # drawn series per chart
                    "svg.chart", "els => els.map(e => e.querySelectorAll('.series').length)")
                assert len(charts) >= 5 and min(charts) >= 1, charts
                last = state()
                assert last["label"] == END and last["held"] and last["future"] == 0
                assert last["events"] == res["events"]
                shown = [f for f in res["forecasts"] if not f["shown"]]
                assert len(last["withheld"]) == len(shown)
                assert not any(DATE_RE.search(r) for r in last["withheld"])  # never a date
                page.screenshot(path=str(tmp_path / "report-pokrovsk.png"), full_page=True)

                page.evaluate("""() => { const s = document.getElementById('slider');
                    s.value = '0'; s.dispatchEvent(new Event('input', {bubbles: true})); }""")
                page.wait_for_selector(f"body[data-date='{START}']")
                first = state()
                assert first["label"] == START
                assert first["held"] and first["held"] != last["held"]  # the front moved
                assert first["lines"] != last["lines"]  # road / rail bands follow the date
                assert first["cursor"] != last["cursor"]
                assert first["future"] == res["events"]  # every event is after 1 September
                page.wait_for_function("""() => supplylineMap.queryRenderedFeatures(
                    {layers: ['routes-safest', 'routes-peacetime']}).length > 0""",
                    timeout=30_000)

                page.focus("#slider")  # the keyboard moves it too
                page.keyboard.press("ArrowRight")
                page.wait_for_selector("body[data-date='2025-09-08']")
                assert state()["label"] == "2025-09-08"
                assert page.url.endswith("#date=2025-09-08")  # a permalink of the date
                page.screenshot(path=str(tmp_path / "report-pokrovsk-second-date.png"))
            finally:
                ctx.close()
    finally:
        shutil.rmtree(udd, ignore_errors=True)
    assert external == []
    assert [u for u in seen if not u.startswith(("file:", "data:", "about:", "blob:"))] == []
    assert errors == []


@pytest.mark.realdata
def test_report_in_ukrainian(ws, tmp_path):
    from supplyline.i18n import use_language

    out = tmp_path / "uk.html"
    with use_language("uk"):
        rp.build_report(ws, CITY, "2025-11-06", END, out)
    text = out.read_text("utf-8")
    assert '<html lang="uk">' in text
    m = re.search(r'<script id="supplyline-messages" type="application/json">(.*?)</script>',
                  text, re.S)
    assert m
    msgs = json.loads(m.group(1))
    assert msgs["Legend"] == "Умовні позначення"
    assert msgs["Events"] == "Події"
    assert "лінії постачання" in text  # the title
