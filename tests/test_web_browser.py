"""The web service for real: uvicorn on 127.0.0.1, Debian's chromium through Playwright.

Loads the board, opens a city, moves the slider (and the keyboard, and play), checks that
held territory and routes are drawn (rendered features and pixels), that there is no
console error, that no request leaves 127.0.0.1, and that a place name containing HTML
is shown as text. Screenshots go to a temporary folder, or to SUPPLYLINE_SCREENSHOT_DIR
(``make screenshots`` sets docs/ for the README).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, chromium_or_skip

pytestmark = [pytest.mark.realdata, pytest.mark.browser]

EVIL = '<img src=x onerror="window.__owned=1">Evil & <b>Co</b>'
READY = "body[data-ready='1']"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(ws, real_board):
    """The app served by uvicorn on 127.0.0.1 in a thread of this process."""
    import uvicorn

    from supplyline.web import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(ws, board=real_board), host="127.0.0.1", port=port,
                            log_level="warning", access_log=False)
    srv = uvicorn.Server(config)
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    for _ in range(300):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    t.join(10)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    d = os.environ.get("SUPPLYLINE_SCREENSHOT_DIR")
    if d:
        Path(d).mkdir(parents=True, exist_ok=True)
        return Path(d)
    return tmp_path_factory.mktemp("screenshots")


class Browser:
    """A chromium page that records console errors and every request, and refuses any
    request that is not for the server on 127.0.0.1."""

    def __init__(self, pw, base: str, width: int = 1400) -> None:
        self.base = base
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.refused: list[str] = []
        self.udd = tempfile.mkdtemp(prefix="supplyline-chromium-")
        self.ctx = pw.chromium.launch_persistent_context(
            self.udd, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
            viewport={"width": width, "height": 1000})
        self.ctx.route("**/*", self._route)
        self.page = self.ctx.new_page()
        self.page.on("request", lambda q: self.requests.append(q.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(self.base + "/") or url.startswith(("blob:", "data:", "about:")):
            route.continue_()
        else:
            self.refused.append(url)
            route.abort()

    def close(self) -> None:
        self.ctx.close()
        shutil.rmtree(self.udd, ignore_errors=True)

    def outside(self) -> list[str]:
        """Requests that would have left the server (refused or not on 127.0.0.1)."""
        bad = [u for u in self.requests if not u.startswith(("blob:", "data:", "about:"))
               and urlparse(u).hostname != "127.0.0.1"]
        return sorted(set(bad + self.refused))


def _rendered(page, layers: list[str]) -> int:
    return page.evaluate("(ls) => supplylineMap.queryRenderedFeatures({layers: ls}).length",
                         layers)


def _held_pixels(page, colour: str = "#8c2d19", alpha: float = 0.35) -> float:
    """Share of the map's pixels close to held territory's fill over the background."""
    import io

    import numpy as np
    from PIL import Image

    png = page.locator(".maplibregl-canvas").screenshot()
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    fill = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    hue = rgb - rgb.mean(axis=2, keepdims=True)  # held is red-brown: r well above g and b
    near = (rgb[..., 0] - rgb[..., 1] > 40) & (rgb[..., 0] - rgb[..., 2] > 40) & \
        (np.abs(hue - (fill - fill.mean())).max(axis=2) < 60)
    return float(near.mean())


def test_board_city_slider_in_chromium(server, real_board, shots):
    sync_playwright = chromium_or_skip()
    with sync_playwright() as pw:
        b = Browser(pw, server)
        try:
            page = b.page
            page.goto(server + "/")
            page.wait_for_selector(READY, timeout=60_000)
            rows = page.locator("#board tbody tr")
            board = real_board.board()
            assert rows.count() == sum(r.near_front for r in board.cities) > 0
            assert page.locator("#front-map canvas").count() == 1
            assert _rendered(page, ["held"]) > 0 and _rendered(page, ["cities"]) > 0
            page.wait_for_timeout(500)
            page.screenshot(path=str(shots / "board.png"))
            # sort by the road column, then open a city whose road is not cut
            page.locator("#board th[data-key='road']").click()
            assert page.locator("#board th[data-key='road']").get_attribute(
                "aria-sort") == "ascending"
            row = next(r for r in board.cities if r.near_front and r.road.status
                       and r.road.status != "cut" and r.distance_to_held_km is not None
                       and r.distance_to_held_km < 30)  # held territory in the view
            page.locator(f"#board a[href^='/city/{quote(row.city.id, safe='')}']").first.click()
            page.wait_for_url(re.compile(r"/city/"))
            page.wait_for_selector(READY, timeout=90_000)
            last = page.get_attribute("body", "data-date")
            assert last == str(real_board.last)
            # the day's layers are drawn once MapLibre has rendered the new data
            page.wait_for_function(
                "() => supplylineMap.queryRenderedFeatures({layers: ['held']}).length > 0",
                timeout=30_000)
            assert _rendered(page, ["held"]) > 0
            assert _rendered(page, ["routes-safest", "routes-peacetime"]) > 0
            assert _rendered(page, ["road-b" + str(i) for i in range(6)]) > 100
            assert _held_pixels(page) > 0.002
            assert page.locator("svg.chart").count() >= 5
            page.wait_for_timeout(300)
            page.screenshot(path=str(shots / "city.png"))

            def held() -> str:
                return page.evaluate(
                    "() => JSON.stringify(supplylineMap.getSource('held').serialize().data)")

            def goto_frame(js: str, date: str) -> None:
                page.evaluate(js)
                page.wait_for_selector(f"body[data-date='{date}']", timeout=60_000)

            held_last = held()
            first = str(real_board.first)
            goto_frame("""() => { const s = document.getElementById('slider');
                s.value = '0'; s.dispatchEvent(new Event('input', {bubbles: true})); }""",
                       first)
            assert page.text_content("#date-label") == first
            assert held() != held_last  # the front moved since the first day
            assert f"date={first}" in page.get_attribute("#permalink", "href")
            assert first in page.url  # the permalink is the address
            page.locator("#map").click(position={"x": 5, "y": 5})  # focus leaves the slider
            page.keyboard.press("ArrowRight")
            second = _next_day(first)
            page.wait_for_selector(f"body[data-date='{second}']", timeout=60_000)
            page.click("#play")
            page.wait_for_function(
                f"() => document.body.getAttribute('data-date') > '{second}'", timeout=60_000)
            page.click("#play")
            page.locator("svg#chart-distance").click(position={"x": 500, "y": 100})
            page.wait_for_function(
                f"() => document.getElementById('date-label').textContent > '{second}'")
            page.goto(server + f"/city/{row.city.id}?date={first}")  # a permalink opens there
            page.wait_for_selector(f"body[data-date='{first}']", timeout=60_000)
        finally:
            b.close()
    assert b.outside() == []
    assert b.errors == []


def _next_day(d: str) -> str:
    import datetime as dt

    return str(dt.date.fromisoformat(d) + dt.timedelta(days=1))


def test_names_with_html_are_text(server, real_board):
    """Place names come from data: a name with HTML in it must show as text, not run."""
    sync_playwright = chromium_or_skip()
    cid = real_board.city_ids[0]

    def inject_board(route) -> None:
        resp = route.fetch()
        body = resp.json()
        for c in body["cities"]:
            if c["city"]["id"] == cid:
                c["city"]["name"] = EVIL
        route.fulfill(response=resp, body=json.dumps(body))

    def inject_page(route) -> None:
        resp = route.fetch()
        body = resp.json()
        body["city"]["name"] = EVIL
        body["hubs"][0]["name"] = EVIL
        body["base"]["places"][0]["name"] = EVIL
        route.fulfill(response=resp, body=json.dumps(body))

    with sync_playwright() as pw:
        b = Browser(pw, server, width=420)  # and the narrow layout works
        try:
            page = b.page
            page.route("**/api/board*", inject_board)
            page.route("**/api/city/*/page*", inject_page)
            page.goto(server + "/")
            page.wait_for_selector(READY, timeout=60_000)
            link = page.locator(f"#board a[href^='/city/{quote(cid, safe='')}']").first
            assert link.text_content() == EVIL
            assert page.locator("#board img, #board b").count() == 0
            page.goto(server + f"/city/{cid}")
            page.wait_for_selector(READY, timeout=90_000)
            assert EVIL in page.text_content("#city-name")
            assert page.locator("#city-name img, .lbl img, .lbl b").count() == 0
            labels = page.locator(".lbl").all_text_contents()
            assert EVIL in labels
            assert page.evaluate("() => window.__owned === undefined")
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 440  # nothing forces a 420 px screen to scroll sideways
        finally:
            b.close()
    assert b.outside() == []
    assert b.errors == []


def test_city_page_in_ukrainian(server, real_board):
    """?lang=uk: the static texts, the legend, the charts and the side panel in Ukrainian;
    the permalink keeps the language."""
    sync_playwright = chromium_or_skip()
    cid = real_board.city_ids[0]
    with sync_playwright() as pw:
        b = Browser(pw, server)
        try:
            page = b.page
            page.goto(server + f"/city/{quote(cid, safe='')}?lang=uk")
            page.wait_for_selector(READY, timeout=90_000)
            assert page.get_attribute("html", "lang") == "uk"
            assert page.text_content("#side > h3") == "Умовні позначення"
            legend = page.text_content("#legend")
            assert "утримувана територія" in legend and "held territory" not in legend
            assert "лінії постачання та утримувана територія" in page.text_content("#city-name")
            assert page.text_content("#permalink") == "Постійне посилання"
            title = page.locator("#chart-distance text.title").text_content()
            assert title == "Відстань від центру міста до лінії фронту (км)"
            assert "lang=uk" in page.get_attribute("#permalink", "href")
            heads = page.locator("#day-routes th").all_text_contents()
            assert heads[:2] == ["Вид", "До вузла"] or heads == []
            name_uk = real_board.places[cid].name_uk
            if name_uk:  # the Ukrainian place name where the data has one
                assert name_uk in page.text_content("#city-name")
            page.goto(server + "/?lang=uk")
            page.wait_for_selector(READY, timeout=60_000)
            assert page.locator("#board th[data-key='city']").text_content() == "Місто"
            assert "Прифронтові міста на" in page.text_content("#board-title")
            assert "lang=uk" in page.locator("#board a[href^='/city/']").first.get_attribute(
                "href")
        finally:
            b.close()
    assert b.outside() == []
    assert b.errors == []
