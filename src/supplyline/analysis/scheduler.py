"""Dask scheduler addresses for the timeline: parse, check, connect with a short timeout.

``--scheduler`` takes ``local`` (a local Dask cluster) or the address of a running Dask
scheduler: ``tcp://HOST:PORT``, ``tls://HOST:PORT`` (the port defaults to 8786 with a
scheme) or ``HOST:PORT``. A malformed address, a host that does not resolve or a port
where nothing listens is one line, found before any computation:

>>> addr = parse_scheduler("tcp://127.0.0.1:8786")
>>> check_scheduler(addr)            # raises InvalidArgumentError within CONNECT_TIMEOUT_S
>>> with scheduler_client(addr) as client:
...     client.gather(client.map(work, chunks))

The timeline engine should call :func:`parse_scheduler` (and :func:`check_scheduler`)
whenever a scheduler is given, even when the day range is too short to be split (a bad
address is then still reported, not silently ignored), and open its Dask client with
:func:`scheduler_client` so a connection gives up after ``CONNECT_TIMEOUT_S``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidArgumentError

#: Dask's default scheduler port (used when an address with a scheme has none).
DEFAULT_PORT = 8786
#: Seconds to wait for a scheduler to accept a connection.
CONNECT_TIMEOUT_S = 5.0
PROTOCOLS = ("tcp", "tls")
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_ADDRESS = re.compile(r"(?:(?P<proto>[A-Za-z][A-Za-z0-9+.-]*)://)?"
                      r"(?P<host>\[[^\]]*\]|[^:/\[\]]*)(?::(?P<port>[^:/]*))?")
EXPECTED = "expected 'local' or a Dask scheduler address tcp://HOST:PORT (or HOST:PORT)"


@dataclass(frozen=True)
class SchedulerAddress:
    """A parsed ``--scheduler``: ``local``, or a protocol, host and port."""

    protocol: str
    host: str = ""
    port: int = 0

    @property
    def local(self) -> bool:
        return self.protocol == "local"

    @property
    def address(self) -> str:
        """The address as Dask takes it (``local`` for a local cluster)."""
        if self.local:
            return "local"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.protocol}://{host}:{self.port}"

    def __str__(self) -> str:
        return self.address


def _valid_host(host: str) -> bool:
    if not host or len(host) > 253:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    return all(_HOST_LABEL.fullmatch(x) for x in labels) and not labels[-1].isdigit()


def parse_scheduler(text: object) -> SchedulerAddress:
    """Parse ``--scheduler``: ``local``, ``tcp://HOST[:PORT]``, ``tls://HOST[:PORT]`` or
    ``HOST:PORT``. Raises :class:`InvalidArgumentError` (one line) for anything else."""
    if not isinstance(text, str):
        raise InvalidArgumentError(f"scheduler {text!r}: {EXPECTED}")
    s = text.strip()
    if s.lower() == "local":
        return SchedulerAddress("local")
    m = _ADDRESS.fullmatch(s) if s and not any(c.isspace() for c in s) else None
    if m is None:
        raise InvalidArgumentError(f"--scheduler {text!r}: {EXPECTED}")
    proto = (m["proto"] or "").lower()
    host = m["host"][1:-1] if m["host"].startswith("[") else m["host"]
    port_text = m["port"]
    if proto and proto not in PROTOCOLS:
        raise InvalidArgumentError(f"--scheduler {text!r}: protocol {proto!r} is not "
                                   f"supported ({', '.join(PROTOCOLS)})")
    if not proto and port_text is None:
        raise InvalidArgumentError(f"--scheduler {text!r}: {EXPECTED}")
    if not _valid_host(host):
        raise InvalidArgumentError(f"--scheduler {text!r}: {host!r} is not a host name or "
                                   "IP address")
    if port_text is None:
        port = DEFAULT_PORT
    elif port_text.isdigit() and 0 < int(port_text) < 65536:
        port = int(port_text)
    else:
        raise InvalidArgumentError(f"--scheduler {text!r}: port {port_text!r} is not a "
                                   "number 1-65535")
    return SchedulerAddress(proto or "tcp", host, port)


def check_scheduler(addr: SchedulerAddress, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Make sure the scheduler can be used: for ``local``, that Dask's distributed
    scheduler is installed; for an address, that the host resolves and accepts a TCP
    connection within ``timeout`` seconds. Raises :class:`InvalidArgumentError` (one line)."""
    if addr.local:
        _require_distributed()
        return
    try:
        infos = socket.getaddrinfo(addr.host, addr.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise InvalidArgumentError(f"--scheduler {addr}: cannot resolve {addr.host!r} "
                                   f"({_why(exc)})") from None
    last: BaseException | None = None
    for family, kind, proto, _, sockaddr in infos:
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(timeout)
                sock.connect(sockaddr)
            return
        except OSError as exc:
            last = exc
    raise InvalidArgumentError(f"--scheduler {addr}: no scheduler answers there "
                               f"({_why(last)}; waited up to {timeout:g} s)")


def _why(exc: BaseException | None) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _require_distributed() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise InvalidArgumentError("--scheduler needs dask[distributed] installed "
                             "(pip install 'dask[distributed]')") from None


@contextmanager
def scheduler_client(addr: SchedulerAddress, *, workers: int = 1,
                     timeout: float = CONNECT_TIMEOUT_S) -> Iterator[Any]:
    """A Dask ``Client``: on a local cluster of ``workers`` processes, or connected to
    ``addr`` giving up after ``timeout`` seconds (:class:`InvalidArgumentError`)."""
    _require_distributed()
    from dask.distributed import Client, LocalCluster

    if addr.local:
        with LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(addr.address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InvalidArgumentError(f"--scheduler {addr}: cannot connect ({_why(exc)}; waited up "
                             f"to {timeout:g} s)") from None
    with client:
        yield client


__all__ = ["CONNECT_TIMEOUT_S", "DEFAULT_PORT", "SchedulerAddress", "check_scheduler",
           "parse_scheduler", "scheduler_client"]
