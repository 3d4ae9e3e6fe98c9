"""Tests for supplyline.io.fetch against a real local HTTP server (no internet)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress

from supplyline.errors import SupplylineError
from supplyline.io import fetch
from supplyline.io.fetch import (
    DownloadResult,
    FetchError,
    FetchSummary,
    download,
    fetch_deepstate,
    fetch_deepstate_into_cache,
    fetch_osm,
    fetch_osm_into_cache,
)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REAL_DEEPSTATE = SHARED_DATA / "deepstate"


# --------------------------------------------------------------------------- test server


@dataclass
class ServerState:
    root: Path
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    #: path -> number of body bytes to send before dropping the connection (one-shot)
    drop_after: dict[str, int] = field(default_factory=dict)
    ignore_range: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self) -> list[str]:
        with self.lock:
            return [p for p, _ in self.requests]

    def ranges(self) -> list[str | None]:
        with self.lock:
            return [r for _, r in self.requests]


class RangeHandler(BaseHTTPRequestHandler):
    """Serves files from ``server.state.root`` with ``Range: bytes=N-[M]`` support."""

    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    @property
    def state(self) -> ServerState:
        return self.server.state  # type: ignore[attr-defined]

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        rng = self.headers.get("Range")
        path = self.path.split("?", 1)[0]
        with self.state.lock:
            self.state.requests.append((path, rng))
            drop = self.state.drop_after.pop(path, None)
        target = (self.state.root / path.lstrip("/")).resolve()
        if not target.is_file() or self.state.root.resolve() not in target.parents:
            self.send_error(404, "Not Found")
            return
        data = target.read_bytes()
        size = len(data)
        start, end, status = 0, size - 1, 200
        if rng and not self.state.ignore_range:
            spec = rng.strip().removeprefix("bytes=")
            first, _, last = spec.partition("-")
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start : end + 1]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if drop is not None:
            self.wfile.write(body[:drop])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@dataclass
class Server:
    state: ServerState
    base: str

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def put(self, name: str, data: bytes) -> Path:
        p = self.state.root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        return p

    def count(self, name: str) -> int:
        return self.state.paths().count(f"/{name}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    root = tmp_path / "served"
    root.mkdir()
    state = ServerState(root=root)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    httpd.daemon_threads = True
    httpd.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        host, port = httpd.server_address[:2]
        yield Server(state, f"http://{host}:{port}")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fetch.DEEPSTATE_ENV, raising=False)
    monkeypatch.delenv(fetch.OSM_ENV, raising=False)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha(path: Path) -> str:
    return sha(path.read_bytes())


def payload(n: int, seed: int = 1) -> bytes:
    out = bytearray()
    block = seed.to_bytes(4, "big")
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])


def quiet_progress() -> Progress:
    return Progress(console=Console(file=io.StringIO(), force_terminal=False))


def feature_collection(day: str) -> bytes:
    return (
        b'{"type": "FeatureCollection", "name": "deepstatemap_data_' + day.encode()
        + b'", "features": []}'
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- download


def test_fresh_download(server: Server, tmp_path: Path) -> None:
    data = payload(200_000)
    server.put("a.bin", data)
    dest = tmp_path / "out" / "a.bin"
    progress = quiet_progress()
    res = download(
        server.url("a.bin"), dest, expected_size=len(data), sha256=sha(data),
        progress=progress, chunk=4096,
    )
    assert isinstance(res, DownloadResult)
    assert res.status == "downloaded"
    assert res.path == dest and res.url == server.url("a.bin")
    assert res.bytes == len(data) == res.transferred
    assert dest.read_bytes() == data
    assert not (tmp_path / "out" / "a.bin.part").exists()
    assert len(progress.tasks) == 1
    assert progress.tasks[0].total == len(data)
    assert progress.tasks[0].completed == len(data)


def test_second_call_is_cached_without_request(server: Server, tmp_path: Path) -> None:
    data = payload(5000)
    server.put("a.bin", data)
    dest = tmp_path / "a.bin"
    assert download(server.url("a.bin"), dest).status == "downloaded"
    assert server.count("a.bin") == 1
    for kw in ({}, {"expected_size": len(data)}, {"sha256": sha(data)}):
        res = download(server.url("a.bin"), dest, **kw)  # type: ignore[arg-type]
        assert res.status == "cached"
        assert res.bytes == len(data) and res.transferred == 0
    assert server.count("a.bin") == 1


def test_cached_file_with_wrong_sha_is_replaced(server: Server, tmp_path: Path) -> None:
    data = payload(3000)
    server.put("a.bin", data)
    dest = tmp_path / "a.bin"
    dest.write_bytes(b"stale")
    res = download(server.url("a.bin"), dest, sha256=sha(data))
    assert res.status == "downloaded"
    assert dest.read_bytes() == data


def test_resume_after_interruption(server: Server, tmp_path: Path) -> None:
    data = payload(300_000, seed=7)
    server.put("big.bin", data)
    server.state.drop_after["/big.bin"] = 100_000
    dest = tmp_path / "big.bin"
    part = tmp_path / "big.bin.part"

    with pytest.raises(FetchError, match="incomplete download") as ei:
        download(server.url("big.bin"), dest, sha256=sha(data), chunk=8192)
    assert "\n" not in str(ei.value)
    assert server.url("big.bin") in str(ei.value)
    assert not dest.exists()
    assert part.stat().st_size == 100_000

    res = download(server.url("big.bin"), dest, sha256=sha(data), chunk=8192)
    assert res.status == "resumed"
    assert res.transferred == len(data) - 100_000
    assert res.bytes == len(data)
    assert file_sha(dest) == sha(data)
    assert not part.exists()
    assert server.state.ranges() == [None, "bytes=100000-"]


def test_resume_server_ignores_range_restarts(server: Server, tmp_path: Path) -> None:
    data = payload(50_000, seed=3)
    server.put("f.bin", data)
    server.state.ignore_range = True
    dest = tmp_path / "f.bin"
    (tmp_path / "f.bin.part").write_bytes(data[:20_000])
    res = download(server.url("f.bin"), dest)
    assert res.status == "downloaded"
    assert res.transferred == len(data)
    assert dest.read_bytes() == data
    assert server.state.ranges() == ["bytes=20000-"]


def test_part_already_complete_416(server: Server, tmp_path: Path) -> None:
    data = payload(10_000, seed=4)
    server.put("f.bin", data)
    dest = tmp_path / "f.bin"
    (tmp_path / "f.bin.part").write_bytes(data)
    res = download(server.url("f.bin"), dest, sha256=sha(data))
    assert res.status == "resumed"
    assert res.transferred == 0
    assert dest.read_bytes() == data
    assert not (tmp_path / "f.bin.part").exists()


def test_part_larger_than_remote_restarts(server: Server, tmp_path: Path) -> None:
    data = payload(10_000, seed=5)
    server.put("f.bin", data)
    dest = tmp_path / "f.bin"
    (tmp_path / "f.bin.part").write_bytes(payload(15_000, seed=6))
    res = download(server.url("f.bin"), dest)
    assert res.status == "downloaded"
    assert dest.read_bytes() == data
    assert server.state.ranges() == ["bytes=15000-", None]


def test_stale_part_with_sha_restarts_from_zero(server: Server, tmp_path: Path) -> None:
    data = payload(40_000, seed=8)
    server.put("f.bin", data)
    dest = tmp_path / "f.bin"
    # a part from an older version of the remote file: resume gives a wrong digest
    (tmp_path / "f.bin.part").write_bytes(payload(10_000, seed=9))
    res = download(server.url("f.bin"), dest, sha256=sha(data))
    assert res.status == "downloaded"
    assert dest.read_bytes() == data
    assert server.state.ranges() == ["bytes=10000-", None]


def test_size_mismatch(server: Server, tmp_path: Path) -> None:
    data = payload(1000)
    server.put("a.bin", data)
    dest = tmp_path / "a.bin"
    with pytest.raises(FetchError, match="size mismatch") as ei:
        download(server.url("a.bin"), dest, expected_size=999)
    msg = str(ei.value)
    assert "\n" not in msg and "a.bin" in msg and "999" in msg and "1000" in msg
    assert not dest.exists()
    assert not (tmp_path / "a.bin.part").exists()


def test_size_mismatch_keeps_existing_good_file(server: Server, tmp_path: Path) -> None:
    good = payload(777, seed=2)
    server.put("a.bin", payload(1000))  # the server now has something else
    dest = tmp_path / "a.bin"
    dest.write_bytes(good)
    with pytest.raises(FetchError, match="size mismatch"):
        download(server.url("a.bin"), dest, expected_size=1234)
    assert dest.read_bytes() == good
    assert not (tmp_path / "a.bin.part").exists()


def test_sha256_mismatch(server: Server, tmp_path: Path) -> None:
    data = payload(1000)
    server.put("a.bin", data)
    dest = tmp_path / "a.bin"
    wanted = "0" * 64
    with pytest.raises(FetchError, match="sha256 mismatch") as ei:
        download(server.url("a.bin"), dest, sha256=wanted)
    msg = str(ei.value)
    assert "\n" not in msg and wanted in msg and sha(data) in msg and "a.bin" in msg
    assert not dest.exists()
    assert not (tmp_path / "a.bin.part").exists()


def test_sha256_mismatch_keeps_existing_good_file(server: Server, tmp_path: Path) -> None:
    good = payload(500, seed=11)
    server.put("a.bin", payload(500, seed=12))
    dest = tmp_path / "a.bin"
    dest.write_bytes(good)
    with pytest.raises(FetchError, match="sha256 mismatch"):
        download(server.url("a.bin"), dest, sha256="f" * 64)
    assert dest.read_bytes() == good
    assert not (tmp_path / "a.bin.part").exists()


def test_interrupted_download_keeps_existing_good_file(server: Server, tmp_path: Path) -> None:
    good = payload(100, seed=13)
    server.put("a.bin", payload(5000))
    server.state.drop_after["/a.bin"] = 10
    dest = tmp_path / "a.bin"
    dest.write_bytes(good)
    with pytest.raises(FetchError, match="incomplete"):
        download(server.url("a.bin"), dest, expected_size=5000)
    assert dest.read_bytes() == good


def test_http_404(server: Server, tmp_path: Path) -> None:
    with pytest.raises(fetch.FetchNotFoundError, match="404") as ei:
        download(server.url("nope.bin"), tmp_path / "nope.bin")
    assert isinstance(ei.value, SupplylineError)
    assert server.url("nope.bin") in str(ei.value)
    assert not (tmp_path / "nope.bin").exists()
    assert not (tmp_path / "nope.bin.part").exists()


def test_connection_refused(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/x.bin"
    with pytest.raises(FetchError, match="cannot connect") as ei:
        download(url, tmp_path / "x.bin", timeout=5)
    assert url in str(ei.value) and "\n" not in str(ei.value)
    assert not (tmp_path / "x.bin").exists()


@pytest.mark.parametrize("url", ["", "not a url", "ftp://example.org/x", "http:///x"])
def test_bad_url(url: str, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="bad URL"):
        download(url, tmp_path / "x")


def test_file_url(tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(payload(3000))
    dest = tmp_path / "dst" / "src.bin"
    res = download(src.as_uri(), dest, sha256=file_sha(src))
    assert res.status == "downloaded"
    assert dest.read_bytes() == src.read_bytes()


# --------------------------------------------------------------------------- DeepState


def test_deepstate_gap_day_is_missing(server: Server, tmp_path: Path) -> None:
    for day in ("20240101", "20240102", "20240104"):
        server.put(f"ds/deepstatemap_data_{day}.geojson", feature_collection(day))
    out = tmp_path / "deepstate"
    progress = quiet_progress()
    summary = fetch_deepstate(
        dt.date(2024, 1, 1), dt.date(2024, 1, 4), out,
        base_url=server.url("ds") + "/", progress=progress,
    )
    assert isinstance(summary, FetchSummary)
    assert summary.downloaded == [dt.date(2024, 1, 1), dt.date(2024, 1, 2), dt.date(2024, 1, 4)]
    assert summary.missing == [dt.date(2024, 1, 3)]
    assert summary.cached == []
    assert summary.days == 4
    assert summary.total_bytes == sum(p.stat().st_size for p in out.iterdir())
    assert sorted(p.name for p in out.iterdir()) == [
        "deepstatemap_data_20240101.geojson",
        "deepstatemap_data_20240102.geojson",
        "deepstatemap_data_20240104.geojson",
    ]
    # per-file tasks are removed; one overall task remains and is complete
    assert len(progress.tasks) == 1 and progress.tasks[0].completed == 4

    n = len(server.state.requests)
    again = fetch_deepstate(
        dt.date(2024, 1, 1), dt.date(2024, 1, 2), out, base_url=server.url("ds")
    )
    assert again.cached == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
    assert again.downloaded == [] and again.transferred_bytes == 0
    assert len(server.state.requests) == n


def test_deepstate_gap_day_raises_without_skip(server: Server, tmp_path: Path) -> None:
    server.put("ds/deepstatemap_data_20240101.geojson", feature_collection("20240101"))
    with pytest.raises(FetchError, match="404.*deepstatemap_data_20240102"):
        fetch_deepstate(
            dt.date(2024, 1, 1), dt.date(2024, 1, 2), tmp_path,
            base_url=server.url("ds"), skip_missing=False,
        )


@pytest.mark.parametrize(
    "body", [b"<html>rate limited</html>", b'{"type": "Feature"}', b"[1, 2]", b"\xff\xfe"]
)
def test_deepstate_corrupt_day(server: Server, tmp_path: Path, body: bytes) -> None:
    name = "deepstatemap_data_20240105.geojson"
    server.put(f"ds/{name}", body)
    with pytest.raises(FetchError, match="corrupt DeepState file") as ei:
        fetch_deepstate(
            dt.date(2024, 1, 5), dt.date(2024, 1, 5), tmp_path, base_url=server.url("ds")
        )
    assert name in str(ei.value) and "\n" not in str(ei.value)
    assert not (tmp_path / name).exists()
    assert not (tmp_path / f"{name}.part").exists()


def test_deepstate_corrupt_cached_file_is_refetched(server: Server, tmp_path: Path) -> None:
    name = "deepstatemap_data_20240106.geojson"
    server.put(f"ds/{name}", feature_collection("20240106"))
    (tmp_path / name).write_text("garbage")
    summary = fetch_deepstate(
        dt.date(2024, 1, 6), dt.date(2024, 1, 6), tmp_path, base_url=server.url("ds")
    )
    assert summary.downloaded == [dt.date(2024, 1, 6)]
    assert (tmp_path / name).read_bytes() == feature_collection("20240106")


def test_deepstate_bad_range(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="bad date range 2024-02-02..2024-02-01"):
        fetch_deepstate(dt.date(2024, 2, 2), dt.date(2024, 2, 1), tmp_path)


def test_deepstate_bad_base_url(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="bad URL"):
        fetch_deepstate(dt.date(2024, 2, 1), dt.date(2024, 2, 1), tmp_path, base_url="nowhere")


def test_deepstate_url_default_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    day = dt.date(2024, 7, 8)
    assert fetch.deepstate_url(day) == (
        fetch.DEFAULT_DEEPSTATE_BASE + "/deepstatemap_data_20240708.geojson"
    )
    monkeypatch.setenv(fetch.DEEPSTATE_ENV, "http://mirror.example/data/")
    assert fetch.deepstate_url(day) == "http://mirror.example/data/deepstatemap_data_20240708.geojson"
    assert fetch.deepstate_url(day, "http://x.example") == (
        "http://x.example/deepstatemap_data_20240708.geojson"
    )


def test_deepstate_into_cache_uses_env(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.put("mirror/deepstatemap_data_20240301.geojson", feature_collection("20240301"))
    monkeypatch.setenv("SUPPLYLINE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv(fetch.DEEPSTATE_ENV, server.url("mirror"))
    assert fetch.default_download_dir() == tmp_path / "cache" / "data"
    summary = fetch_deepstate_into_cache(dt.date(2024, 3, 1), dt.date(2024, 3, 1))
    assert summary.downloaded == [dt.date(2024, 3, 1)]
    assert summary.dest_dir == tmp_path / "cache" / "data" / "deepstate"
    assert (summary.dest_dir / "deepstatemap_data_20240301.geojson").is_file()


def _real_files(n: int) -> list[Path]:
    if not REAL_DEEPSTATE.is_dir():
        pytest.skip(f"real data not found: {REAL_DEEPSTATE}")
    files = sorted(REAL_DEEPSTATE.glob("deepstatemap_data_*.geojson"))
    if len(files) < n:
        pytest.skip(f"need {n} DeepState files in {REAL_DEEPSTATE}")
    return files[:n]


@pytest.mark.realdata
def test_deepstate_real_files_with_gap(server: Server, tmp_path: Path) -> None:
    files = _real_files(3)
    # serve the 1st and 3rd file; the 2nd day is a gap
    for f in (files[0], files[2]):
        shutil.copyfile(f, server.state.root / f.name)
    days = [dt.datetime.strptime(f.stem.rsplit("_", 1)[1], "%Y%m%d").date() for f in files]
    out = tmp_path / "deepstate"
    summary = fetch_deepstate(days[0], days[2], out, base_url=server.base)
    assert days[1] in summary.missing
    assert days[0] in summary.downloaded and days[2] in summary.downloaded
    for f in (files[0], files[2]):
        assert file_sha(out / f.name) == file_sha(f)
    assert not (out / files[1].name).exists()


@pytest.mark.realdata
def test_real_file_resume(server: Server, tmp_path: Path) -> None:
    (src,) = _real_files(1)
    shutil.copyfile(src, server.state.root / src.name)
    size = src.stat().st_size
    cut = size // 3
    server.state.drop_after[f"/{src.name}"] = cut
    dest = tmp_path / src.name
    with pytest.raises(FetchError, match="incomplete"):
        download(server.url(src.name), dest, chunk=1024)
    assert (tmp_path / f"{src.name}.part").stat().st_size == cut
    res = download(server.url(src.name), dest, expected_size=size, chunk=1024)
    assert res.status == "resumed"
    assert file_sha(dest) == file_sha(src)
    assert server.state.ranges()[-1] == f"bytes={cut}-"


# --------------------------------------------------------------------------- OSM


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_osm_with_good_md5(server: Server, tmp_path: Path) -> None:
    data = payload(120_000, seed=21)
    server.put("europe/test-latest.osm.pbf", data)
    server.put("europe/test-latest.osm.pbf.md5", f"{_md5(data)}  test-latest.osm.pbf\n".encode())
    out = tmp_path / "osm"
    res = fetch_osm(server.url("europe/test-latest.osm.pbf"), out, sha256=sha(data))
    assert res.status == "downloaded"
    assert res.path == out / "test-latest.osm.pbf"
    assert res.path.read_bytes() == data
    assert "/europe/test-latest.osm.pbf.md5" in server.state.paths()

    n = len(server.state.requests)
    again = fetch_osm(server.url("europe/test-latest.osm.pbf"), out)
    assert again.status == "cached"
    assert len(server.state.requests) == n


def test_osm_with_bad_md5(server: Server, tmp_path: Path) -> None:
    data = payload(30_000, seed=22)
    server.put("test-latest.osm.pbf", data)
    bad = b"0123456789abcdef0123456789abcdef  test-latest.osm.pbf\n"
    server.put("test-latest.osm.pbf.md5", bad)
    out = tmp_path / "osm"
    with pytest.raises(FetchError, match="md5 mismatch") as ei:
        fetch_osm(server.url("test-latest.osm.pbf"), out)
    msg = str(ei.value)
    assert "test-latest.osm.pbf" in msg and "0123456789abcdef0123456789abcdef" in msg
    assert "\n" not in msg
    assert not (out / "test-latest.osm.pbf").exists()
    assert not (out / "test-latest.osm.pbf.part").exists()


def test_osm_bad_md5_keeps_existing_good_file(server: Server, tmp_path: Path) -> None:
    good = payload(2000, seed=23)
    remote = payload(2000, seed=24)
    server.put("x.osm.pbf", remote)
    server.put("x.osm.pbf.md5", b"0123456789abcdef0123456789abcdef  x.osm.pbf\n")
    out = tmp_path / "osm"
    out.mkdir()
    (out / "x.osm.pbf").write_bytes(good)
    with pytest.raises(FetchError, match="md5 mismatch"):
        # the existing file does not match sha256, so it is downloaded again; the
        # download matches sha256 but not the server's md5 sidecar
        fetch_osm(server.url("x.osm.pbf"), out, sha256=sha(remote))
    assert (out / "x.osm.pbf").read_bytes() == good


def test_osm_without_md5_sidecar(server: Server, tmp_path: Path) -> None:
    data = payload(4000, seed=25)
    server.put("plain.osm.pbf", data)
    res = fetch_osm(server.url("plain.osm.pbf"), tmp_path)
    assert res.status == "downloaded"
    assert res.path.read_bytes() == data
    assert server.state.paths() == ["/plain.osm.pbf.md5", "/plain.osm.pbf"]


def test_osm_malformed_md5(server: Server, tmp_path: Path) -> None:
    server.put("m.osm.pbf", b"x")
    server.put("m.osm.pbf.md5", b"<html>oops</html>")
    with pytest.raises(FetchError, match="malformed md5"):
        fetch_osm(server.url("m.osm.pbf"), tmp_path)
    assert not (tmp_path / "m.osm.pbf").exists()


def test_osm_404(server: Server, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="404"):
        fetch_osm(server.url("missing.osm.pbf"), tmp_path / "osm")
    assert not (tmp_path / "osm" / "missing.osm.pbf").exists()
    assert not (tmp_path / "osm" / "missing.osm.pbf.part").exists()


def test_osm_url_without_name(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="file name"):
        fetch_osm("http://example.org/", tmp_path)


def test_osm_into_cache_uses_env(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = payload(1500, seed=26)
    server.put("geofabrik/region-latest.osm.pbf", data)
    monkeypatch.setenv("SUPPLYLINE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv(fetch.OSM_ENV, server.url("geofabrik/region-latest.osm.pbf"))
    progress = quiet_progress()
    res = fetch_osm_into_cache(progress=progress)
    assert res.path == tmp_path / "cache" / "data" / "osm" / "region-latest.osm.pbf"
    assert res.path.read_bytes() == data
    assert progress.tasks and progress.tasks[0].completed == len(data)


def test_default_osm_url() -> None:
    assert fetch._osm_url(None) == fetch.DEFAULT_OSM_URL
    assert os.path.basename(fetch.DEFAULT_OSM_URL) == "ukraine-latest.osm.pbf"
