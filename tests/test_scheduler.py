"""Dask scheduler addresses: parsed, checked with a short timeout, connected."""

from __future__ import annotations

import socket

import pytest

from supplyline.analysis.scheduler import (
    DEFAULT_PORT,
    SchedulerAddress,
    check_scheduler,
    parse_scheduler,
    scheduler_client,
)
from supplyline.errors import InvalidArgumentError


@pytest.mark.parametrize(("text", "want"), [
    ("local", SchedulerAddress("local")),
    (" LOCAL ", SchedulerAddress("local")),
    ("tcp://127.0.0.1:8786", SchedulerAddress("tcp", "127.0.0.1", 8786)),
    ("tcp://scheduler.example", SchedulerAddress("tcp", "scheduler.example", DEFAULT_PORT)),
    ("tls://10.0.0.5:9000", SchedulerAddress("tls", "10.0.0.5", 9000)),
    ("node-1:8786", SchedulerAddress("tcp", "node-1", 8786)),
    ("tcp://[::1]:8786", SchedulerAddress("tcp", "::1", 8786)),
])
def test_parse(text, want):
    got = parse_scheduler(text)
    assert got == want
    assert parse_scheduler(got.address) == got


@pytest.mark.parametrize(("text", "needle"), [
    ("garbage", "expected 'local'"),
    ("", "expected 'local'"),
    ("udp://host:1", "protocol 'udp'"),
    ("inproc://x", "protocol 'inproc'"),
    ("tcp://host:0", "port '0'"),
    ("tcp://host:99999", "port '99999'"),
    ("tcp://host:x", "port 'x'"),
    ("tcp://-bad-:1", "not a host name"),
    ("tcp://a b:1", "expected 'local'"),
    ("tcp://:8786", "not a host name"),
    ("tcp://1.2.3.4.5:1", "not a host name"),
])
def test_parse_rejects(text, needle):
    with pytest.raises(InvalidArgumentError, match="--scheduler") as ei:
        parse_scheduler(text)
    assert needle in str(ei.value) and "\n" not in str(ei.value)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_check_refused_port_is_one_line():
    port = _free_port()  # nothing listens there now
    with pytest.raises(InvalidArgumentError, match="no scheduler answers") as ei:
        check_scheduler(parse_scheduler(f"tcp://127.0.0.1:{port}"), timeout=2)
    assert f"127.0.0.1:{port}" in str(ei.value)


def test_check_unresolvable_host():
    with pytest.raises(InvalidArgumentError, match="cannot resolve"):
        check_scheduler(parse_scheduler("tcp://no-such-host.invalid:8786"), timeout=2)


def test_check_listening_port_passes():
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        check_scheduler(parse_scheduler(f"tcp://127.0.0.1:{srv.getsockname()[1]}"),
                        timeout=2)


def test_client_on_a_real_scheduler():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None, host="127.0.0.1",
                                  protocol="tcp", scheduler_port=0) as cluster:
        addr = parse_scheduler(cluster.scheduler_address)
        check_scheduler(addr)
        with scheduler_client(addr, timeout=10) as client:
            assert client.submit(sum, [1, 2, 3]).result() == 6


def test_client_refused_is_one_line():
    pytest.importorskip("distributed")
    addr = parse_scheduler(f"tcp://127.0.0.1:{_free_port()}")
    with pytest.raises(InvalidArgumentError, match="cannot connect"), \
            scheduler_client(addr, timeout=1):
        pass
