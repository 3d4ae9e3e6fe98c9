"""Corpus, part 6: data-derived strings in the HTML report are text, never markup.

A place named ``<img src=x onerror=...>`` (city, rear hub, map label, band name) is
shown as those characters: the page holds no such tag anywhere (the embedded JSON
escapes ``<``), and in a real browser the Leaflet tooltips carry the name as text and
the handler never runs.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from supplyline.core.exposure import ThreatProfile
from supplyline.errors import SupplylineError
from supplyline.viz import report as rp

pytestmark = [pytest.mark.corpus]

EVIL = '<img src=x onerror="window.__pwned=1">'
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]


@dataclass
class _Place:
    name: str
    oblast: str = ""


def _leaflet() -> tuple[str, str]:
    try:
        return rp.load_leaflet(fetch=False)
    except SupplylineError as exc:
        pytest.skip(str(exc))


@pytest.fixture
def evil_page(tmp_path) -> Path:
    js, css = _leaflet()
    profile = ThreatProfile()
    colours = rp._band_colours(profile)
    labels = ["held", *(b.name for b in profile.bands), "beyond"]
    days = pd.DataFrame({"date": pd.to_datetime(["2025-01-30", "2025-01-31"]),
                         "data_missing": [False, False]})
    frames = [{"date": d, "data_date": d, "exact": True, "missing": False, "h": 0, "x": 100,
               "panel": f"<h3>{rp._esc(EVIL)}</h3>"} for d in ("2025-01-30", "2025-01-31")]
    data = {
        "city": {"name": EVIL, "lat": 48.28, "lng": 37.18},
        "hubs": [{"name": EVIL + " hub", "lat": 48.5, "lng": 35.9, "colour": "#1565c0",
                  "note": "rear hub"}],
        "places": [{"name": EVIL + " place", "lat": 48.4, "lng": 37.0, "pop": 60000}],
        "oblasts": [], "view": [[48.0, 36.8], [48.6, 37.6]], "colours": colours,
        "band_labels": labels, "held": [[]], "lines": [], "frames": frames,
        "weights": {"rail": 3.2}, "held_fill": rp.HELD_FILL,
        "attribution": rp.ATTRIBUTION_SHORT, "step_days": 7,
    }
    events = [{"date": "2025-01-31", "kind": "route_cut", "subject": EVIL, "detail": EVIL}]
    page = rp._page(_Place(EVIL, EVIL), [_Place(EVIL + " hub")], days,
                    {"forecasts": [], "trends": {}}, events, "", data, js, css, profile,
                    colours, labels)
    out = tmp_path / "evil.html"
    out.write_text(page, encoding="utf-8")
    return out


def test_no_data_string_becomes_markup(evil_page):
    text = evil_page.read_text(encoding="utf-8")
    assert "<img" not in text.lower(), "wrong: a place name reached the page as a tag"
    assert "&lt;img src=x" in text  # escaped in the HTML parts (title, header, events)
    assert ".bindTooltip(asText(p.name)" in text and ".bindTooltip(asText(h.name)" in text


def test_names_are_text_in_a_real_browser(evil_page):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (Debian: `apt-get install -y chromium`)")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    udd = tempfile.mkdtemp(prefix="supplyline-chromium-")
    errors: list[str] = []
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                udd, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
                offline=True)
            try:
                ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                    ("file:", "data:", "about:")) else r.abort())
                page = ctx.new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(evil_page.as_uri())
                page.wait_for_selector("body[data-ready='1']", timeout=20_000)
                got = page.evaluate("""() => ({
                  pwned: window.__pwned === 1,
                  imgs: document.querySelectorAll('img').length,
                  tips: [...document.querySelectorAll('.leaflet-tooltip')]
                          .map(t => t.textContent).sort(),
                })""")
            finally:
                ctx.close()
    finally:
        shutil.rmtree(udd, ignore_errors=True)
    assert errors == []
    assert got["pwned"] is False and got["imgs"] == 0, f"wrong: {got}"
    assert got["tips"] == sorted([EVIL, EVIL + " hub", EVIL + " place"]), got
