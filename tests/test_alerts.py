"""Alerts: stable ids, delivery exactly once to a local webhook receiver (that also fails,
times out and is down), JSON lines, the Atom feed, the state file and the watch command."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import json
import socket
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from supplyline.analysis.alerts import (
    DEFAULT_KINDS,
    EVENT_KINDS,
    WatchResult,
    alert_id,
    parse_kinds,
)
from supplyline.errors import AlertStateError, InvalidArgumentError
from supplyline.io.notify import (
    AlertState,
    JsonLines,
    Webhook,
    atom_feed,
    atom_from_state,
    deliver,
    state_lock,
)

ATOM = "{http://www.w3.org/2005/Atom}"


def make_alert(k: int, kind: str = "route_cut", city: str = "geonames:1") -> dict:
    date = str(dt.date(2025, 11, 1) + dt.timedelta(days=k))
    subject = f"road to Hub{k}"
    return {"id": alert_id(city, kind, subject, date), "city_id": city, "city": "Town",
            "city_uk": "Місто", "date": date, "kind": kind, "subject": subject,
            "detail": "under fire (contact) -> cut", "data_last": "2025-11-30",
            "title": {"en": f"Town: route (road) to Hub{k}: cut",
                      "uk": f"Місто: маршрут (дорога) до Hub{k}: перерізано"},
            "summary": {"en": "s", "uk": "с"}}


# --------------------------------------------------------------------------- receiver

class Receiver:
    """A webhook receiver on 127.0.0.1: ``mode`` is ok, fail (500), bad (400), slow
    (answers after ``delay`` s) or fail_after:N (N answers 200, then 500)."""

    def __init__(self, port: int = 0):
        self.mode = "ok"
        self.delay = 1.5
        self.got: list[dict] = []
        self.headers: list[dict] = []
        self.hits = 0
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                rec.hits += 1
                mode = rec.mode
                if mode == "slow":
                    time.sleep(rec.delay)
                if mode.startswith("fail_after:"):
                    mode = "ok" if len(rec.got) < int(mode.split(":")[1]) else "fail"
                code = {"ok": 200, "slow": 200, "fail": 500, "bad": 400}[mode]
                if code == 200:
                    rec.got.append(json.loads(body))
                    rec.headers.append(dict(self.headers))
                with contextlib.suppress(OSError):
                    self.send_response(code)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook?token=secret"

    def ids(self) -> list[str]:
        return [b["id"] for b in self.got]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def hook(url: str, **kw) -> Webhook:
    return Webhook(url, **{"timeout": 0.5, "retries": 2, "backoff": 0.0, **kw})


def run(state_path: Path, alerts: list[dict], dests) -> list:
    st = AlertState.load(state_path)
    st.record(alerts)
    st.save()
    return deliver(st, [a["id"] for a in alerts], dests)


# --------------------------------------------------------------------------- units

def test_alert_id_is_stable_and_distinct():
    a = alert_id("geonames:704422", "route_cut", "road to Dnipro", "2025-11-03")
    assert a == alert_id("geonames:704422", "route_cut", "road to Dnipro",
                         dt.date(2025, 11, 3))
    assert len(a) == 24 and int(a, 16) >= 0
    others = {alert_id("geonames:704422", "route_cut", "road to Dnipro", "2025-11-04"),
              alert_id("geonames:704422", "route_cut", "rail to Dnipro", "2025-11-03"),
              alert_id("geonames:704423", "route_cut", "road to Dnipro", "2025-11-03"),
              alert_id("geonames:704422", "centre_held", "road to Dnipro", "2025-11-03")}
    assert a not in others and len(others) == 4


def test_parse_kinds():
    assert parse_kinds(None) == DEFAULT_KINDS
    assert parse_kinds("route_cut, centre_held,route_cut") == ("route_cut", "centre_held")
    assert parse_kinds("all") == EVENT_KINDS
    with pytest.raises(InvalidArgumentError, match="--events"):
        parse_kinds("route_cut,nonsense")


def test_state_roundtrip_corrupt_and_lock(tmp_path):
    p = tmp_path / "s" / "watch.json"
    st = AlertState.load(p)
    assert st.alerts == {}
    st.record([make_alert(0)])
    st.mark("x", make_alert(0)["id"])
    st.save()
    assert oct(p.stat().st_mode & 0o777) == "0o600"
    st2 = AlertState.load(p)
    assert st2.is_delivered("x", make_alert(0)["id"]) and len(st2.alerts) == 1
    assert not list(p.parent.glob(".*.tmp"))  # written through a temporary file
    p.write_text("{not json")
    with pytest.raises(AlertStateError, match="invalid JSON"):
        AlertState.load(p)
    p.write_text(json.dumps({"schema": 99, "alerts": {}}))
    with pytest.raises(AlertStateError, match="schema 99"):
        AlertState.load(p)
    with state_lock(p):
        with pytest.raises(AlertStateError, match="another 'supplyline watch'"):
            with state_lock(p):
                pass
    with state_lock(p):  # released
        pass


def test_webhook_delivers_once_with_id_headers(tmp_path, receiver):
    alerts = [make_alert(k) for k in range(3)]
    out = run(tmp_path / "s.json", alerts, [hook(receiver.url, lang="uk")])
    assert out[0].delivered == 3 and out[0].error is None
    assert receiver.ids() == [a["id"] for a in alerts]
    assert receiver.got[0]["title"].startswith("Місто") and receiver.got[0]["lang"] == "uk"
    assert receiver.got[0]["titles"]["en"].startswith("Town")
    assert receiver.headers[0]["Idempotency-Key"] == alerts[0]["id"]
    out = run(tmp_path / "s.json", alerts, [hook(receiver.url)])
    assert out[0].delivered == 0 and len(receiver.got) == 3  # never twice
    state = (tmp_path / "s.json").read_text()
    assert "secret" not in state  # the webhook's token is not written down


def test_webhook_failing_then_back_exactly_once(tmp_path, receiver):
    alerts = [make_alert(k) for k in range(4)]
    receiver.mode = "fail"
    h = hook(receiver.url, retries=2)
    out = run(tmp_path / "s.json", alerts, [h])
    assert out[0].delivered == 0 and out[0].left == 4 and "HTTP 500" in out[0].error
    assert h.attempts == 3 and receiver.hits == 3  # one alert, retried, then stopped
    receiver.mode = "fail_after:2"
    out = run(tmp_path / "s.json", alerts, [hook(receiver.url, retries=1)])
    assert out[0].delivered == 2 and out[0].left == 2
    receiver.mode = "ok"
    out = run(tmp_path / "s.json", alerts, [hook(receiver.url)])
    assert out[0].delivered == 2
    assert receiver.ids() == [a["id"] for a in alerts]  # each once, in order


def test_webhook_timeout_then_delivered(tmp_path, receiver):
    alerts = [make_alert(0)]
    receiver.mode = "slow"
    out = run(tmp_path / "s.json", alerts, [hook(receiver.url, timeout=0.3, retries=1)])
    assert out[0].error and "no answer within 0.3 s" in out[0].error
    time.sleep(receiver.delay + 0.2)  # let the slow answers finish
    receiver.got.clear()  # the slow server stored what it eventually answered
    receiver.mode = "ok"
    out = run(tmp_path / "s.json", alerts, [hook(receiver.url)])
    assert out[0].delivered == 1 and receiver.ids() == [alerts[0]["id"]]


def test_webhook_down_then_up(tmp_path):
    port = free_port()
    alerts = [make_alert(k) for k in range(2)]
    url = f"http://127.0.0.1:{port}/hook"
    sleeps = []
    h = hook(url, retries=3, backoff=0.01, sleep=sleeps.append)
    out = run(tmp_path / "s.json", alerts, [h])
    assert out[0].delivered == 0 and "refused" in out[0].error.lower()
    assert sleeps == [0.01, 0.02, 0.04]  # exponential backoff
    rec = Receiver(port)
    try:
        out = run(tmp_path / "s.json", alerts, [hook(url)])
        assert out[0].delivered == 2 and rec.ids() == [a["id"] for a in alerts]
    finally:
        rec.close()


def test_webhook_client_error_is_not_retried(tmp_path, receiver):
    receiver.mode = "bad"
    h = hook(receiver.url, retries=3)
    out = run(tmp_path / "s.json", [make_alert(0)], [h])
    assert "HTTP 400 (not retried)" in out[0].error and h.attempts == 1
    with pytest.raises(InvalidArgumentError, match="http"):
        Webhook("file:///etc/passwd")


class Crash(Exception):
    pass


class CrashingAfter:
    """A destination that dies (like a killed process) after ``n`` deliveries."""

    key, label = "crashy", "crashy"

    def __init__(self, n: int):
        self.n, self.sent = n, []

    def send(self, alert):
        if len(self.sent) == self.n:
            raise Crash
        self.sent.append(alert["id"])


def test_crash_loses_nothing_and_repeats_nothing(tmp_path):
    alerts = [make_alert(k) for k in range(5)]
    d = CrashingAfter(2)
    with pytest.raises(Crash):
        run(tmp_path / "s.json", alerts, [d])
    st = AlertState.load(tmp_path / "s.json")  # what the crashed run left on disk
    assert [st.is_delivered("crashy", a["id"]) for a in alerts] == [True, True, False, False,
                                                                      False]
    d2 = CrashingAfter(99)
    run(tmp_path / "s.json", alerts, [d2])
    assert d.sent + d2.sent == [a["id"] for a in alerts]


def test_jsonlines_file_never_repeats_even_without_state(tmp_path):
    feed = tmp_path / "alerts.jsonl"
    alerts = [make_alert(k) for k in range(3)]
    run(tmp_path / "s.json", alerts[:2], [JsonLines(feed)])
    (tmp_path / "s.json").unlink()  # the state is lost: the file itself knows
    run(tmp_path / "s.json", alerts, [JsonLines(feed)])
    ids = [json.loads(line)["id"] for line in feed.read_text().splitlines()]
    assert ids == [a["id"] for a in alerts]


def test_atom_feed(tmp_path):
    alerts = [make_alert(k) for k in range(3)] + [make_alert(0, "centre_held", "geonames:2")]
    st = AlertState(tmp_path / "s.json")
    st.record(alerts, now="2025-12-01T06:00:00Z")
    st.save()
    text = atom_from_state(tmp_path / "s.json", lang="uk", cities=["geonames:1"])
    root = ET.fromstring(text)
    assert root.tag == f"{ATOM}feed"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "uk"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 3
    assert entries[0].find(f"{ATOM}title").text.startswith("Місто") and "Hub2" in \
        entries[0].find(f"{ATOM}title").text  # newest first
    assert entries[0].find(f"{ATOM}id").text == f"urn:supplyline:alert:{alerts[2]['id']}"
    assert entries[0].find(f"{ATOM}updated").text == "2025-12-01T06:00:00Z"
    assert root.find(f"{ATOM}updated").text == "2025-12-01T06:00:00Z"
    evil = make_alert(9)
    evil["title"] = {"en": "<script>&\"x\"</script>"}
    text = atom_feed([evil], lang="uk", link=lambda a: f"https://x.example/a?id={a['id']}&q=1")
    e = ET.fromstring(text).find(f"{ATOM}entry")
    assert e.find(f"{ATOM}title").text == "<script>&\"x\"</script>"  # escaped, round-trips
    assert e.find(f"{ATOM}link").get("href").endswith("&q=1")


# --------------------------------------------------------------------------- the command

def fake_watch(monkeypatch, alerts, pending=()):
    import supplyline.analysis.alerts as mod
    import supplyline.cli.watch as cli_watch

    def collect(ws, cities, kinds, **kw):
        return WatchResult([a for a in alerts if a["kind"] in kinds],
                           [a for a in pending if a["kind"] in kinds], "2024-07-08",
                           "2025-11-30", [{"id": "geonames:1", "name": "Town",
                                           "name_uk": "Місто"}])

    class _WS:
        progress = None

    @contextlib.contextmanager
    def session(data, **kw):
        yield _WS()

    monkeypatch.setattr(mod, "collect_alerts", collect)
    monkeypatch.setattr(cli_watch, "session", session)


def test_watch_command_delivers_once_and_retries(tmp_path, receiver, monkeypatch):
    from conftest import run_cli

    alerts = [make_alert(k) for k in range(3)]
    pending = [make_alert(7)]
    fake_watch(monkeypatch, alerts, pending)
    state, feed, atom = tmp_path / "w.json", tmp_path / "a.jsonl", tmp_path / "a.xml"
    args = ("watch", "Town", "--webhook", receiver.url, "--state", state, "--feed", feed,
            "--atom", atom, "--retries", "0", "--backoff", "0", "--timeout", "2")
    receiver.mode = "fail"
    r = run_cli(*args)
    assert r.returncode == 1, r.stderr
    assert "left for the next run" in r.stdout and "HTTP 500" in r.stdout
    assert len(feed.read_text().splitlines()) == 3  # the file feed is not held up
    assert "1 event not yet confirmed" in r.stdout
    receiver.mode = "ok"
    r = run_cli(*args, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [d["delivered"] for d in doc["destinations"]] == [3, 0]
    assert doc["pending"] == 1 and doc["pending_alerts"][0]["date"] == pending[0]["date"]
    assert receiver.ids() == [a["id"] for a in alerts]  # the pending one is not sent
    r = run_cli(*args)
    assert r.returncode == 0 and receiver.ids() == [a["id"] for a in alerts]
    entries = ET.parse(atom).getroot().findall(f"{ATOM}entry")
    assert len(entries) == 3
    # a city's new event on a later run: only that one goes out
    alerts.append(make_alert(4))
    r = run_cli(*args)
    assert receiver.ids() == [a["id"] for a in alerts]
    assert len(feed.read_text().splitlines()) == 4


def test_watch_command_stdout_feed_and_lang(tmp_path, monkeypatch):
    from conftest import run_cli

    fake_watch(monkeypatch, [make_alert(0), make_alert(1, "band_entered")])
    r = run_cli("--lang", "uk", "watch", "Town", "--state", tmp_path / "w.json",
                "--events", "route_cut")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["kind"] for x in lines] == ["route_cut"] and lines[0]["lang"] == "uk"
    assert lines[0]["title"].startswith("Місто")
    r = run_cli("watch", "Town", "--state", tmp_path / "w.json", "--events", "route_cut")
    assert r.returncode == 0 and r.stdout == ""  # delivered once
    r = run_cli("watch", "Town", "--state", tmp_path / "w.json", "--events", "bogus")
    assert r.returncode == 2 and "--events" in r.stderr
    r = run_cli("watch", "Town", "--webhook", "ftp://x", "--state", tmp_path / "w.json")
    assert r.returncode == 2 and "http" in r.stderr


# --------------------------------------------------------------------------- real data

def test_collect_alerts_real_short_history(ws, shared_data, tmp_path):
    """Pokrovsk over 2025-10-25 .. 2025-11-10 (a control file of those days): the centre
    became held and the routes were cut on 2025-11-03; the alerts are the timeline's
    confirmed events of those kinds, with ids from city, kind, subject and date."""
    import geopandas as gpd
    import pandas as pd

    from supplyline.analysis.alerts import collect_alerts
    from supplyline.analysis.context import Workspace
    from supplyline.analysis.summary import timeline_analysis
    from supplyline.crs import METRIC_CRS

    h = ws.history
    days = [i for i, d in enumerate(h.dates) if dt.date(2025, 10, 25) <= d <=
            dt.date(2025, 11, 10)]
    gdf = gpd.GeoDataFrame({"date": pd.to_datetime([h.dates[i] for i in days])},
                           geometry=list(h.geoms[days]), crs=METRIC_CRS).to_crs(4326)
    gdf.to_file(tmp_path / "held.gpkg", layer="held")
    small = Workspace(shared_data, control_file=tmp_path / "held.gpkg")
    res = collect_alerts(small, ["Pokrovsk"], ("route_cut", "centre_held", "band_entered"))
    kinds = {(a["kind"], a["date"]) for a in res.alerts}
    assert ("centre_held", "2025-11-03") in kinds
    assert {a["subject"] for a in res.alerts if a["kind"] == "route_cut"} >= {
        "road to Dnipro", "rail to Dnipro"}
    ev = timeline_analysis(small, ["Pokrovsk"])["events"]
    confirmed = {(e["kind"], e["date"], e["subject"]) for e in ev if not e["pending"]
                 and e["kind"] in ("route_cut", "centre_held", "band_entered")}
    assert {(a["kind"], a["date"], a["subject"]) for a in res.alerts} == confirmed
    assert all(a["id"] == alert_id(a["city_id"], a["kind"], a["subject"], a["date"])
               for a in res.alerts)
    held = next(a for a in res.alerts if a["kind"] == "centre_held")
    assert held["city_uk"] == "Покровськ" and held["title"]["uk"].startswith("Покровськ")
    assert held["title"]["en"].startswith("Pokrovsk")
