"""Load test of the web service: a real server on 127.0.0.1, concurrent simulated users.

    python benchmarks/load.py [--clients 20] [--seconds 60] [--tables DIR] [--json out.json]

Starts ``supplyline serve`` in a subprocess on a free port of 127.0.0.1 (``--tables DIR``
with ready board tables, else the default folder, built first when missing: the whole
sweep), waits for ``/api/health``, then:

1. **idle latency of uncached city-dates**: one client asks ``--uncached`` city-dates
   nobody asked before, one after another (what a user meets on a quiet server);
2. **the load**: ``--clients`` users for ``--seconds`` (and at most ``--max-requests``;
   after ``--warm-up`` seconds of the same load, not recorded, when given),
   each repeating a browser-like mix with a think time of 0-``--think`` s between
   actions: the board (HTML, ``/api/board`` of a date, its territory map layer), a city
   page (HTML, page data, static files revalidated with ETags), date changes on the city
   page (``/api/city/.../day``: mostly dates others looked at, some new ones), and API
   calls (status, territory, events);

and reports per kind of answer (``stored``: from the board tables; ``cached``: from the
answer cache; ``uncached``: computed for that request, by the ``X-Cache`` header) the
count, p50/p99 latency and errors, the server's memory (RSS sampled every 0.5 s: after
warm-up, peak, end, and the change over the second half of the run) and the machine's
load. Bounded: every request has a 60 s client timeout, the run a time and request cap.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MIB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Sampler(threading.Thread):
    """RSS of the server process every ``every`` seconds."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[tuple[float, float]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        t0 = time.perf_counter()
        while not self.stop.is_set():
            self.samples.append((time.perf_counter() - t0, _rss_mib(self.pid)))
            self.stop.wait(self.every)


@dataclass
class Record:
    kind: str  # stored / cached / uncached / static / html / not-modified
    what: str
    ms: float
    status: int


@dataclass
class World:
    """What the simulated users pick from."""

    cities: list[str]
    hot_cities: list[str]
    dates: list[str]
    hot_dates: list[str]
    bbox: str
    records: list[Record] = field(default_factory=list)
    etags: dict[str, str] = field(default_factory=dict)


STORED = ("/api/board", "/api/events")


def _kind(path: str, r) -> str:
    if r.status_code == 304:
        return "not-modified"
    if path.startswith("/static/"):
        return "static"
    if not path.startswith("/api/"):
        return "html"
    if path.startswith(STORED):
        return "stored"
    return "cached" if r.headers.get("x-cache") == "hit" else "uncached"


async def fetch(client, world: World, path: str, what: str, *, revalidate: bool = False):
    headers = {"Accept-Encoding": "gzip"}
    if revalidate and path in world.etags:
        headers["If-None-Match"] = world.etags[path]
    t0 = time.perf_counter()
    try:
        r = await client.get(path, headers=headers)
        status = r.status_code
        kind = _kind(path, r)
        if "etag" in r.headers:
            world.etags[path] = r.headers["etag"]
        body = r.json() if status == 200 and path.startswith("/api/") else None
    except Exception as exc:  # a refused or timed-out request counts as an error
        status, kind, body = 599, f"error:{type(exc).__name__}", None
    world.records.append(Record(kind, what, (time.perf_counter() - t0) * 1000, status))
    return body


def _pick(rnd: random.Random, hot: list[str], everything: list[str], p_hot: float) -> str:
    return rnd.choice(hot if rnd.random() < p_hot else everything)


async def user(client, world: World, rnd: random.Random, deadline: float, cap: list[int],
               think: float) -> None:
    """One simulated user: actions of a browser session, with think time between them.
    Most users look at the latest board and at dates others looked at too (the hot
    sets); a few dates are new (computed for that request)."""
    while time.perf_counter() < deadline and cap[0] > 0:
        cap[0] -= 1
        action = rnd.choices(["board", "city", "dates", "api"], [25, 15, 40, 20])[0]
        city = _pick(rnd, world.hot_cities, world.cities, 0.8)
        if action == "board":
            q = "" if rnd.random() < 0.6 else "?date=" + _pick(rnd, world.hot_dates,
                                                                world.dates, 0.75)
            date = q[6:] or world.dates[-1]
            await fetch(client, world, f"/{q}", "board page")
            await fetch(client, world, f"/api/board{q}", "board")
            await fetch(client, world, f"/api/territory?date={date}&bbox={world.bbox}"
                        "&simplify_m=300", "territory")
        elif action == "city":
            await fetch(client, world, f"/city/{city}", "city page")
            for name in ("vendor/maplibre-gl.js", "style.css", "common.js", "city.js"):
                await fetch(client, world, f"/static/{name}", "static", revalidate=True)
            await fetch(client, world, f"/api/city/{city}/page", "page data")
        elif action == "dates":  # a few slider moves: mostly dates others looked at too
            for _ in range(rnd.randint(1, 3)):
                d = _pick(rnd, world.hot_dates, world.dates, 0.9)
                await fetch(client, world, f"/api/city/{city}/day?date={d}", "city date")
        else:
            what = rnd.choice(["status", "events", "territory"])
            date = _pick(rnd, world.hot_dates, world.dates, 0.9)
            if what == "status":
                await fetch(client, world, f"/api/status/{city}?date={date}", "status")
            elif what == "events":
                await fetch(client, world, f"/api/events?from={date}", "events")
            else:
                await fetch(client, world, f"/api/territory?date={date}&bbox={world.bbox}"
                            "&simplify_m=300", "territory")
        await asyncio.sleep(rnd.uniform(0, think))


async def run_load(base: str, world: World, clients: int, seconds: float, max_requests: int,
                   think: float, seed: int) -> float:
    import httpx

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60.0, limits=limits) as client:
        deadline = time.perf_counter() + seconds
        cap = [max_requests]
        t0 = time.perf_counter()
        await asyncio.gather(*[user(client, world, random.Random(seed + i), deadline, cap,
                                    think) for i in range(clients)])
        return time.perf_counter() - t0


async def idle_uncached(base: str, world: World, n: int, rnd: random.Random) -> list[float]:
    """``n`` city-dates nobody asked yet, one at a time (after each city's page)."""
    import httpx

    out = []
    async with httpx.AsyncClient(base_url=base, timeout=120.0) as client:
        for city in world.hot_cities:
            await client.get(f"/api/city/{city}/page")
        seen = set()
        while len(out) < n:
            city, date = rnd.choice(world.hot_cities), rnd.choice(world.dates)
            if (city, date) in seen or date in world.hot_dates:
                continue
            seen.add((city, date))
            t0 = time.perf_counter()
            r = await client.get(f"/api/city/{city}/day?date={date}")
            ms = (time.perf_counter() - t0) * 1000
            if r.headers.get("x-cache") == "miss":
                out.append(ms)
    return out


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(q / 100 * (len(v) - 1))))]


def summarise(world: World, wall: float) -> dict:
    rows = {}
    kinds = sorted({r.kind for r in world.records})
    for k in kinds:
        rs = [r for r in world.records if r.kind == k]
        ms = [r.ms for r in rs]
        rows[k] = {"requests": len(rs), "p50_ms": round(pct(ms, 50), 1),
                   "p99_ms": round(pct(ms, 99), 1), "max_ms": round(max(ms), 1),
                   "errors": sum(1 for r in rs if r.status >= 400)}
    whats = {}
    for w in sorted({r.what for r in world.records}):
        ms = [r.ms for r in world.records if r.what == w]
        whats[w] = {"requests": len(ms), "p50_ms": round(pct(ms, 50), 1),
                    "p99_ms": round(pct(ms, 99), 1)}
    errors = [r for r in world.records if r.status >= 400]
    return {"requests": len(world.records), "seconds": round(wall, 1),
            "requests_per_s": round(len(world.records) / wall, 1), "by_kind": rows,
            "by_request": whats, "errors": len(errors),
            "error_examples": sorted({f"{r.status} {r.what}" for r in errors})[:10]}


def start_server(args, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "supplyline", "serve", "--host", "127.0.0.1",
           "--port", str(port), "--timeout", str(args.timeout)]
    if args.tables:
        cmd += ["--tables", str(args.tables)]
    if args.no_build:
        cmd.append("--no-build")
    if args.data:
        cmd += ["--data", str(args.data)]
    log = open(Path(tempfile.gettempdir()) / f"supplyline-load-{port}.log", "w")  # noqa: SIM115
    return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))


def wait_up(base: str, proc: subprocess.Popen, limit_s: float) -> dict:
    import httpx

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode} (see its log)")
        try:
            return httpx.get(base + "/api/health", timeout=5).json() | {
                "startup_s": round(time.perf_counter() - t0, 1)}
        except Exception:
            time.sleep(1)
    raise SystemExit(f"the server did not answer within {limit_s:.0f} s")


def main(argv: list[str] | None = None) -> int:
    import httpx

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--max-requests", type=int, default=50_000)
    ap.add_argument("--think", type=float, default=1.0, help="max think time (s)")
    ap.add_argument("--warm-up", type=float, default=0.0,
                    help="seconds of the same load before the measured run (not recorded)")
    ap.add_argument("--uncached", type=int, default=20, help="idle uncached city-dates")
    ap.add_argument("--tables", type=Path, help="ready board tables (else the default)")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--data", type=Path)
    ap.add_argument("--timeout", type=float, default=20.0, help="server time limit (s)")
    ap.add_argument("--startup-limit", type=float, default=1800.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", type=Path, default=HERE / "load-results.json")
    args = ap.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0:
        ap.error("--clients and --seconds must be positive")

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(args, port)
    try:
        health = wait_up(base, proc, args.startup_limit)
        board = httpx.get(base + "/api/board", timeout=60).json()
        cities = [c["city"]["id"] for c in board["cities"] if c["near_front"]]
        rnd = random.Random(args.seed)
        d0, d1 = dt.date.fromisoformat(board["first"]), dt.date.fromisoformat(board["last"])
        dates = [str(d0 + dt.timedelta(days=i)) for i in range((d1 - d0).days + 1)]
        world = World(cities, rnd.sample(cities, min(6, len(cities))), dates,
                      rnd.sample(dates, min(12, len(dates))), "35,46.5,39.5,50.5")
        rss0 = _rss_mib(proc.pid)
        idle = asyncio.run(idle_uncached(base, world, args.uncached, rnd))
        if args.warm_up > 0:  # the same load first, not recorded: a server in use
            asyncio.run(run_load(base, world, args.clients, args.warm_up, args.max_requests,
                                 args.think, args.seed + 1000))
            world.records.clear()
        busy0 = httpx.get(base + "/api/health", timeout=30).json()["analysis"]["busy_s"]
        sampler = Sampler(proc.pid)
        sampler.start()
        load0 = os.getloadavg()
        wall = asyncio.run(run_load(base, world, args.clients, args.seconds,
                                    args.max_requests, args.think, args.seed))
        sampler.stop.set()
        sampler.join()
        load1 = os.getloadavg()
        after = httpx.get(base + "/api/health", timeout=30).json()
        cache, analysis = after["cache"], after["analysis"]
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()

    rss = [m for _, m in sampler.samples]
    half = len(rss) // 2
    out = {"command": "python benchmarks/load.py " + " ".join(argv or sys.argv[1:]),
           "clients": args.clients, "think_s": [0, args.think], "warm_up_s": args.warm_up,
           "server": {"startup_s": health["startup_s"], "history": health.get("history"),
                      "board_cities": len(board["cities"]), "time_limit_s": args.timeout},
           "idle_uncached_city_date_ms": {"n": len(idle), "p50": round(pct(idle, 50), 1),
                                          "p99": round(pct(idle, 99), 1),
                                          "max": round(max(idle), 1) if idle else None},
           "load": summarise(world, wall),
           "memory_mib": {"after_warm_up": round(rss0, 1), "load_start": round(rss[0], 1),
                          "peak": round(max(rss), 1), "end": round(rss[-1], 1),
                          "first_half_mean": round(statistics.mean(rss[:half]), 1),
                          "second_half_mean": round(statistics.mean(rss[half:]), 1),
                          "second_half_growth": round(rss[-1] - rss[half], 1)},
           "answer_cache": cache,
           "analysis_thread": analysis | {
               "busy_share_during_load": round((analysis["busy_s"] - busy0) / wall, 2)},
           "machine": {"cpus": os.cpu_count(), "loadavg_before": load0,
                       "loadavg_after": load1}}
    args.json.write_text(json.dumps(out, indent=2))
    _print(out)
    return 0


def _print(o: dict) -> None:
    L = o["load"]
    print(f"{o['clients']} clients, {L['seconds']} s: {L['requests']} requests "
          f"({L['requests_per_s']}/s), {L['errors']} errors {L['error_examples']}")
    print(f"{'answer':<14}{'requests':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
    for k, r in L["by_kind"].items():
        print(f"{k:<14}{r['requests']:>9}{r['p50_ms']:>9}{r['p99_ms']:>9}{r['max_ms']:>9}"
              f"{r['errors']:>8}")
    i = o["idle_uncached_city_date_ms"]
    print(f"uncached city-date on an idle server: p50 {i['p50']} ms, p99 {i['p99']} ms "
          f"(n={i['n']})")
    m = o["memory_mib"]
    print(f"server RSS MiB: after warm-up {m['after_warm_up']}, peak {m['peak']}, end "
          f"{m['end']}, second half {m['first_half_mean']} -> {m['second_half_mean']} "
          f"(growth {m['second_half_growth']})")
    a = o["analysis_thread"]
    print(f"analysis thread busy {a['busy_share_during_load']:.0%} of the load run "
          f"({a['done']} analyses in all)")
    print(f"machine: {o['machine']}")


if __name__ == "__main__":
    raise SystemExit(main())
