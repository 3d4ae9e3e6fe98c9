"""DeepStateMap API fetch and ``data fetch/update/status`` against a local server on
127.0.0.1 that replays snapshots under the API's URL layout (no internet)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import shapely
from typer.testing import CliRunner

from supplyline.data.control import ControlHistory
from supplyline.errors import FetchError
from supplyline.io import fetch
from supplyline.io.deepstate_api import parse_snapshot
from supplyline.io.sources import locate

UTC = dt.UTC
REAL = ["1649005166", "1680387436", "1722371412", "1754251105"]  # one per generation


@dataclass
class Api:
    """What the fake API serves: snapshots by id (unix seconds), and faults by id."""

    snapshots: dict[str, bytes] = field(default_factory=dict)
    #: id -> "html" | "truncated" | "malformed" | "trickle" | "404" | "drop:<n>"
    faults: dict[str, str] = field(default_factory=dict)
    list_fault: str | None = None
    trickle_every_s: float = 0.2
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def listing(self) -> bytes:
        items = [{"id": int(i), "datetime": dt.datetime.fromtimestamp(int(i), UTC)
                  .isoformat().replace("+00:00", ".000Z"), "description": None}
                 for i in sorted(self.snapshots)]
        return json.dumps(items).encode()

    def paths(self) -> list[str]:
        with self.lock:
            return [p for p, _ in self.requests]


class Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    @property
    def api(self) -> Api:
        return self.server.api  # type: ignore[attr-defined]

    def _send(self, body: bytes, status: int = 200, ctype: str = "application/json",
              length: int | None = None, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        with self.api.lock:
            self.api.requests.append((path, self.headers.get("Range")))
        parts = path.strip("/").split("/")
        if parts == ["api", "history", "public"]:
            if self.api.list_fault == "html":
                self._send(b"<!DOCTYPE html><html>Cloudflare</html>", ctype="text/html")
            else:
                self._send(self.api.listing())
            return
        if parts == ["api", "history", "last"]:
            last = max(self.api.snapshots)
            doc = {"id": int(last), "datetime": dt.datetime.fromtimestamp(int(last), UTC)
                   .isoformat(), "map": json.loads(self.api.snapshots[last])}
            self._send(json.dumps(doc).encode())
            return
        if len(parts) == 4 and parts[:2] == ["api", "history"] and parts[3] == "geojson":
            self._snapshot(parts[2])
            return
        self.send_error(404)

    def _snapshot(self, ident: str) -> None:
        body = self.api.snapshots.get(ident)
        fault = self.api.faults.get(ident, "")
        if body is None or fault == "404":
            self.send_error(404)
            return
        if fault == "html":
            self._send(b"<html><body>502 Bad Gateway</body></html>", ctype="text/html")
        elif fault == "malformed":
            self._send(b'{"type": "Feature", "geometry": null}')
        elif fault == "truncated":
            self._send(body[: len(body) // 3], length=len(body))
            self.close_connection = True
        elif fault == "trickle":
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for b in body[:200]:
                self.wfile.write(bytes([b]))
                self.wfile.flush()
                time.sleep(self.api.trickle_every_s)
            self.close_connection = True
        else:
            self._range(body, fault)

    def _range(self, body: bytes, fault: str) -> None:
        rng = self.headers.get("Range")
        start = 0
        if rng:
            start = int(rng.strip().removeprefix("bytes=").partition("-")[0])
        part = body[start:]
        extra = {"Accept-Ranges": "bytes"}
        status = 200
        if start:
            status = 206
            extra["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
        if fault.startswith("drop:"):
            self.api.faults.pop(next(k for k, v in self.api.faults.items() if v == fault))
            n = int(fault.split(":")[1])
            self.send_response(status)
            self.send_header("Content-Length", str(len(part)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(part[:n])
            self.wfile.flush()
            self.close_connection = True
            return
        self._send(part, status=status, extra=extra)


@pytest.fixture
def api() -> Iterator[tuple[Api, str]]:
    state = Api()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.api = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    try:
        host, port = httpd.server_address[:2]
        yield state, f"http://{host}:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """No ../shared/data, no user cache, no API URL from the environment."""
    monkeypatch.setenv("SUPPLYLINE_CACHE", str(tmp_path / "cache"))
    for var in ("SUPPLYLINE_DATA", "SUPPLYLINE_DEEPSTATE_API", "SUPPLYLINE_DEEPSTATE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("supplyline.settings._PROJECT_ROOT", tmp_path / "project")


def _fc(*boxes) -> bytes:
    feats = [{"type": "Feature", "properties": {"name": "Окуповано /// Occupied /// "
                                                       "geoJSON.status.occupied"},
              "geometry": json.loads(shapely.to_geojson(b))} for b in boxes]
    feats.append({"type": "Feature", "properties": {"name": "Статус невідомий /// Unknown "
                                                            "status /// geoJSON.status.unknown"},
                  "geometry": json.loads(shapely.to_geojson(shapely.box(36.9, 48.0, 37.0,
                                                                        48.1)))})
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode()


def _unix(y, m, d, h=20) -> str:
    return str(int(dt.datetime(y, m, d, h, tzinfo=UTC).timestamp()))


# --------------------------------------------------------------------------- library


@pytest.mark.realdata
def test_replays_shared_snapshots(api, tmp_path, shared_data):
    state, base = api
    for i in REAL:
        state.snapshots[i] = (shared_data / "deepstate-raw" / f"{i}.geojson").read_bytes()
    dest = tmp_path / "dl" / "deepstate-raw"
    s = fetch.fetch_deepstate_api(dest, base_url=base)
    assert s.listed == 4 and s.days == 4 and not s.failed
    assert sorted(s.downloaded) == sorted(f"{i}.geojson" for i in REAL)
    for i in REAL:  # stored exactly as served
        assert (dest / f"{i}.geojson").read_bytes() == state.snapshots[i]
    again = fetch.fetch_deepstate_api(dest, base_url=base)
    assert again.downloaded == [] and len(again.present) == 4
    assert sum("/geojson" in p for p in state.paths()) == 4  # nothing fetched twice
    h = ControlHistory.from_dirs([], [dest], oblasts=shared_data / "admin" /
                                 "ukraine-oblasts.geojson", cache_root=tmp_path / "c")
    assert len(h) == 4 and all(h.grey_known) and h.sources == ["api"] * 4


def test_last_snapshot_per_day_and_range(api, tmp_path):
    state, base = api
    state.snapshots[_unix(2025, 9, 1, 6)] = _fc(shapely.box(37.0, 48.0, 37.1, 48.1))
    state.snapshots[_unix(2025, 9, 1, 23)] = _fc(shapely.box(37.0, 48.0, 37.2, 48.1))
    state.snapshots[_unix(2025, 9, 2)] = _fc(shapely.box(37.0, 48.0, 37.3, 48.1))
    state.snapshots[_unix(2025, 9, 5)] = _fc(shapely.box(37.0, 48.0, 37.4, 48.1))
    dest = tmp_path / "raw"
    s = fetch.fetch_deepstate_api(dest, base_url=base, start=dt.date(2025, 9, 1),
                                  end=dt.date(2025, 9, 2))
    assert s.listed == 4 and s.days == 2
    assert sorted(s.downloaded) == [f"{_unix(2025, 9, 1, 23)}.geojson",
                                    f"{_unix(2025, 9, 2)}.geojson"]
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / f"{_unix(2025, 9, 5)}.geojson").write_bytes(state.snapshots[_unix(2025, 9, 5)])
    s2 = fetch.fetch_deepstate_api(dest, base_url=base, present_dirs=[other])
    assert s2.downloaded == [] and len(s2.present) == 3


@pytest.mark.parametrize("fault", ["html", "malformed", "truncated", "404"])
def test_bad_answers_store_nothing(api, tmp_path, fault):
    state, base = api
    good, bad = _unix(2025, 9, 1), _unix(2025, 9, 2)
    state.snapshots[good] = _fc(shapely.box(37.0, 48.0, 37.1, 48.1))
    state.snapshots[bad] = _fc(shapely.box(37.0, 48.0, 37.2, 48.1))
    state.faults[bad] = fault
    dest = tmp_path / "raw"
    s = fetch.fetch_deepstate_api(dest, base_url=base)
    assert s.downloaded == [f"{good}.geojson"]
    assert [i for i, _ in s.failed] == [bad]
    msg = s.failed[0][1]
    assert "\n" not in msg and bad in msg
    assert not (dest / f"{bad}.geojson").exists()
    assert sorted(p.name for p in dest.glob("*.geojson")) == [f"{good}.geojson"]
    if fault in ("html", "malformed"):
        assert not list(dest.glob("*.part"))
    state.faults.clear()  # the server is fixed: the next run completes it
    s = fetch.fetch_deepstate_api(dest, base_url=base)
    assert s.downloaded == [f"{bad}.geojson"] and not s.failed
    assert (dest / f"{bad}.geojson").read_bytes() == state.snapshots[bad]


def test_interrupted_snapshot_is_resumed(api, tmp_path):
    state, base = api
    ident = _unix(2025, 9, 1)
    state.snapshots[ident] = _fc(*[shapely.box(37.0 + i / 100, 48.0, 37.005 + i / 100, 48.1)
                                   for i in range(60)])
    state.faults[ident] = "drop:1000"
    dest = tmp_path / "raw"
    s = fetch.fetch_deepstate_api(dest, base_url=base)
    assert s.failed and (dest / f"{ident}.geojson.part").stat().st_size == 1000
    s = fetch.fetch_deepstate_api(dest, base_url=base)
    assert s.downloaded == [f"{ident}.geojson"]
    assert (dest / f"{ident}.geojson").read_bytes() == state.snapshots[ident]
    assert (f"/api/history/{ident}/geojson", "bytes=1000-") in state.requests


def test_trickling_server_hits_the_deadline(api, tmp_path):
    state, base = api
    ident = _unix(2025, 9, 1)
    state.snapshots[ident] = _fc(shapely.box(37.0, 48.0, 37.1, 48.1))
    state.faults[ident] = "trickle"
    dest = tmp_path / "raw"
    s = fetch.fetch_deepstate_api(dest, base_url=base, deadline_s=1.0)
    assert len(s.failed) == 1 and "deadline" in s.failed[0][1]
    assert not (dest / f"{ident}.geojson").exists()


def test_trickling_daily_file_hits_the_deadline(api, tmp_path, monkeypatch):
    # the daily files go through the same download path: serve one that trickles
    state, base = api
    state.snapshots["x"] = b"{}"

    class Trickle(Handler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    httpd.daemon_threads = True
    httpd.api = state  # type: ignore[attr-defined]
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01},
                         daemon=True)
    t.start()
    try:
        host, port = httpd.server_address[:2]
        with pytest.raises(FetchError, match="deadline"):
            fetch.fetch_deepstate(dt.date(2025, 1, 1), dt.date(2025, 1, 1), tmp_path / "d",
                                  base_url=f"http://{host}:{port}", deadline_s=1.0)
    finally:
        httpd.shutdown()
        httpd.server_close()
        t.join(timeout=10)


def test_list_that_is_html_is_one_line_error(api, tmp_path):
    state, base = api
    state.list_fault = "html"
    with pytest.raises(FetchError, match="HTML") as exc:
        fetch.fetch_deepstate_api(tmp_path / "raw", base_url=base)
    assert "\n" not in str(exc.value)
    assert not (tmp_path / "raw").exists() or not list((tmp_path / "raw").iterdir())


def test_latest_wrapped_form(api, tmp_path):
    state, base = api
    ident = _unix(2025, 9, 3)
    state.snapshots[_unix(2025, 9, 1)] = _fc(shapely.box(37.0, 48.0, 37.1, 48.1))
    state.snapshots[ident] = _fc(shapely.box(37.0, 48.0, 37.3, 48.1))
    dest = tmp_path / "raw"
    name, new = fetch.fetch_deepstate_api_latest(dest, base_url=base)
    assert (name, new) == (f"{ident}.geojson", True)
    snap = parse_snapshot(dest / name)
    assert snap.held.area == pytest.approx(0.03) and snap.day == dt.date(2025, 9, 3)
    assert fetch.fetch_deepstate_api_latest(dest, base_url=base) == (name, False)


def test_api_url_from_settings(monkeypatch, api, tmp_path):
    state, base = api
    state.snapshots[_unix(2025, 9, 1)] = _fc(shapely.box(37.0, 48.0, 37.1, 48.1))
    monkeypatch.setenv("SUPPLYLINE_DEEPSTATE_API", base + "/")
    assert fetch.deepstate_api_base() == base
    assert fetch.deepstate_api_base("http://other.example") == "http://other.example"
    monkeypatch.delenv("SUPPLYLINE_DEEPSTATE_API")
    assert fetch.deepstate_api_base() == fetch.DEFAULT_DEEPSTATE_API
    with pytest.raises(FetchError):
        fetch.deepstate_api_base("ftp://x")


# --------------------------------------------------------------------------- CLI

def _cli(*args: str):
    from supplyline.cli.app import app

    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    (d / "admin").mkdir(parents=True)
    (d / "admin" / "ukraine-oblasts.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                   "geometry": json.loads(shapely.to_geojson(
                                                       shapely.box(33, 46, 40, 50)))}]}))
    return d


def test_cli_fetch_update_status(api, tmp_path, monkeypatch):
    state, base = api
    data = _data_dir(tmp_path)
    stored = data / "deepstate-raw"
    stored.mkdir()
    for day in (1, 2):
        ident = _unix(2025, 9, day)
        state.snapshots[ident] = _fc(shapely.box(37.0, 48.0, 37.0 + day / 10, 48.1))
        (stored / f"{ident}.geojson").write_bytes(state.snapshots[ident])
    r = _cli("data", "status", "--data", str(data), "--json")
    doc = json.loads(r.stdout)
    assert doc["history"]["days"] == 2 and doc["history"]["days_by_source"] == {"api": 2}
    assert doc["sources"]["deepstate_raw"]["found"]
    assert doc["history"]["cache"]["parsed"] == 2
    # new snapshots appear on the server: update fetches them and parses only them
    for day in (3, 4):
        state.snapshots[_unix(2025, 9, day)] = _fc(shapely.box(37.0, 48.0, 37.0 + day / 10,
                                                               48.1))
    state.snapshots[_unix(2025, 9, 4, 2)] = _fc(shapely.box(37.0, 48.0, 37.9, 48.1))  # earlier
    monkeypatch.setenv("SUPPLYLINE_DEEPSTATE_API", base)
    r = _cli("data", "update", "--source", "deepstate-api", "--data", str(data), "--json")
    assert r.exit_code == 0, r.stdout
    doc = json.loads(r.stdout)
    assert sorted(doc["deepstate_api"]["downloaded"]) == [
        f"{_unix(2025, 9, 3)}.geojson", f"{_unix(2025, 9, 4)}.geojson"]
    assert doc["history"]["days"] == 4 and doc["history"]["last"] == "2025-09-04"
    assert doc["history"]["cache"]["parsed"] == 2 and doc["history"]["cache"]["reused"] == 2
    assert doc["timeline"] is None  # no board tables stored: nothing to update
    cache_raw = tmp_path / "cache" / "data" / "deepstate-raw"
    assert sorted(p.name for p in cache_raw.iterdir()) == sorted(doc["deepstate_api"]
                                                                  ["downloaded"])
    # nothing new: nothing fetched, nothing parsed
    r = _cli("data", "update", "--source", "deepstate-api", "--data", str(data), "--json")
    doc = json.loads(r.stdout)
    assert doc["deepstate_api"]["downloaded"] == [] and doc["history"]["cache"]["parsed"] == 0
    h = ControlHistory.from_sources(locate(data))
    assert h.held("2025-09-04").geometry.area == pytest.approx(
        h.held("2025-09-02").geometry.area * 2, rel=0.01)
    r = _cli("data", "status", "--data", str(data))
    assert "4 days 2025-09-01..2025-09-04" in r.stdout


def test_update_refreshes_stored_board_tables(api, tmp_path, monkeypatch):
    """``data update`` rebuilds stored board tables that the new days made stale, with
    the spec they were built with; tables built with other options are left alone."""
    from supplyline.analysis import board
    from supplyline.analysis.context import Workspace

    state, base = api
    data = _data_dir(tmp_path)
    stored = data / "deepstate-raw"
    stored.mkdir()
    ident = _unix(2025, 9, 1)
    state.snapshots[ident] = _fc(shapely.box(37.0, 48.0, 37.1, 48.1))
    (stored / f"{ident}.geojson").write_bytes(state.snapshots[ident])
    spec = board.BoardSpec(min_population=5000, within_km=30.0)
    tables = board.default_tables_dir()
    tables.mkdir(parents=True)
    stamp = board.expected_manifest(Workspace(data), spec)
    (tables / board.MANIFEST).write_text(json.dumps(stamp))
    for t in board.TABLES:
        (tables / t).write_text("")
    built: list = []

    def fake_build(ws, directory, spec_, **kw):
        built.append((ws.history.last, spec_))
        return {"cities": 3, "history": {"first": str(ws.history.first),
                                         "last": str(ws.history.last)}}

    monkeypatch.setattr(board, "build_tables", fake_build)
    monkeypatch.setenv("SUPPLYLINE_DEEPSTATE_API", base)
    r = _cli("data", "update", "--source", "deepstate-api", "--data", str(data), "--json")
    assert json.loads(r.stdout)["timeline"]["state"] == "ready" and not built
    state.snapshots[_unix(2025, 9, 2)] = _fc(shapely.box(37.0, 48.0, 37.2, 48.1))
    r = _cli("data", "update", "--source", "deepstate-api", "--data", str(data), "--json")
    doc = json.loads(r.stdout)
    assert doc["timeline"] == {"directory": str(tables), "state": "updated", "cities": 3,
                               "first": "2025-09-01", "last": "2025-09-02"}
    assert built == [(dt.date(2025, 9, 2), spec)]
    r = _cli("data", "update", "--source", "deepstate-api", "--data", str(data))
    assert "board tables: updated (3 cities, 2025-09-01 to 2025-09-02)" in r.stdout
    # tables built with other options: stale, left for 'serve' to rebuild
    stamp["options"] = {"other": True}
    (tables / board.MANIFEST).write_text(json.dumps(stamp))
    built.clear()
    doc = json.loads(_cli("data", "update", "--source", "deepstate-api", "--data",
                          str(data), "--json").stdout)
    assert doc["timeline"]["state"] == "stale" and not built


def test_cli_fetch_api_with_a_bad_answer(api, tmp_path):
    state, base = api
    good, bad = _unix(2025, 9, 1), _unix(2025, 9, 2)
    state.snapshots[good] = _fc(shapely.box(37.0, 48.0, 37.1, 48.1))
    state.snapshots[bad] = _fc(shapely.box(37.0, 48.0, 37.1, 48.1))
    state.faults[bad] = "html"
    dest = tmp_path / "dl"
    r = _cli("data", "fetch", "--source", "deepstate-api", "--api-url", base, "--from",
             "2025-09-01", "--dest", str(dest), "--json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["deepstate_api"]["downloaded"] == [f"{good}.geojson"]
    assert [f["id"] for f in doc["deepstate_api"]["failed"]] == [bad]
    assert sorted(p.name for p in (dest / "deepstate-raw").iterdir()) == [f"{good}.geojson"]


def test_cli_data_status_with_nothing_found_is_one_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    code = ("import sys, pathlib, supplyline.settings as s; "
            f"s._PROJECT_ROOT = pathlib.Path({str(tmp_path / 'p' / 'x')!r}); "
            "from supplyline.cli import main; sys.argv = ['supplyline', 'data', 'status', "
            f"'--data', {str(empty)!r}]; main()")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "no data found" in r.stderr
    assert "Traceback" not in r.stderr
