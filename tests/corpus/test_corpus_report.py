"""Corpus, part 6: data-derived strings in the offline HTML report are text, never markup.

A place named ``<img src=x onerror=...>`` (city, rear hub, map label) is shown as those
characters: the file holds no such tag anywhere (the title is HTML-escaped, the embedded
JSON escapes ``<``, ``>`` and ``&``), and in a real browser the city name, the hub list
and the map labels carry the name as text and the handler never runs.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, chromium_or_skip

from supplyline.errors import SupplylineError
from supplyline.viz import report as rp
from supplyline.viz.pages import render_page

pytestmark = [pytest.mark.corpus]

EVIL = '<img src=x onerror="window.__pwned=1">Evil & <b>Co</b>'


def _maplibre():
    from supplyline.viz.maplibre import load_maplibre

    try:
        return load_maplibre()
    except SupplylineError as exc:
        pytest.skip(str(exc))


def test_no_data_string_becomes_markup():
    text = render_page("city", title=f"{EVIL} — supply lines",
                       config={"mode": "embedded", "step_days": 7, "date": "2025-01-31"},
                       data={"page": {"city": {"name": EVIL}, "hubs": [{"name": EVIL}]},
                             "frames": {}, "frame_dates": []},
                       maplibre=_maplibre(), generated=EVIL)
    assert "<img" not in text.lower() and "<b>co" not in text.lower(), \
        "wrong: a place name reached the page as a tag"
    assert "&lt;img src=x" in text  # the escaped title and footer
    assert "\\u003cimg src=x" in text  # the embedded data


@pytest.fixture
def evil_report(ws, tmp_path, monkeypatch) -> Path:
    """A real two-day report of Pokrovsk whose city, first hub and first map label are
    called EVIL."""
    page_data = rp.page_data

    def evil_page_data(*args, **kw):
        page = page_data(*args, **kw)
        page["city"]["name"] = EVIL
        page["hubs"][0]["name"] = EVIL
        page["base"]["places"][0]["name"] = EVIL
        return page

    _maplibre()
    monkeypatch.setattr(rp, "page_data", evil_page_data)
    out = tmp_path / "evil.html"
    rp.build_report(ws, "Pokrovsk", "2025-01-30", "2025-01-31", out)
    return out


def test_real_report_names_are_text(evil_report):
    text = evil_report.read_text(encoding="utf-8")
    assert "<img" not in text.lower(), "wrong: a place name reached the report as a tag"


def test_names_are_text_in_a_real_browser(evil_report):
    sync_playwright = chromium_or_skip()
    udd = tempfile.mkdtemp(prefix="supplyline-chromium-")
    errors: list[str] = []
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                udd, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
                offline=True)
            try:
                ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                    ("file:", "data:", "about:", "blob:")) else r.abort())
                page = ctx.new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(evil_report.as_uri())
                page.wait_for_selector("body[data-ready='1']", timeout=90_000)
                got = page.evaluate("""() => ({
                  pwned: window.__pwned === 1,
                  tags: document.querySelectorAll('#city-name img, .lbl img, .lbl b, '
                                                  + 'main img, main b').length,
                  name: document.querySelector('#city-name').textContent,
                  labels: [...document.querySelectorAll('.lbl')].map(t => t.textContent),
                })""")
            finally:
                ctx.close()
    finally:
        shutil.rmtree(udd, ignore_errors=True)
    assert errors == []
    assert got["pwned"] is False and got["tags"] == 0, f"wrong: {got}"
    assert EVIL in got["name"] and EVIL in got["labels"], got
