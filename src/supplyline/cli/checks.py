"""Checks of command-line options, run before any computation: a mistake is one line
naming the option and what was expected (exit code 2), never a traceback or a half-done
computation."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from ..errors import InvalidArgumentError, OutputError


def number(opt: str, value: float, low: float | None = None, high: float | None = None,
            *, low_open: bool = False) -> float:
    """``value`` if finite and within [low, high] (``low_open``: (low, high]), else an
    :class:`InvalidArgumentError` naming the option and the range."""
    ok = isinstance(value, int | float) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        hi = "" if high is None else f"<= {high:g}"
        want = " and ".join(x for x in (lo, hi) if x) or "finite"
        raise InvalidArgumentError(f"{opt} {value!r}: expected a number {want}")
    return value


def parse_radii(text: str) -> tuple[float, ...]:
    """``"5,10,20"`` -> (5.0, 10.0, 20.0): positive distinct km up to 500."""
    parts = [x.strip() for x in text.split(",")]
    if not any(parts):
        raise InvalidArgumentError(f"--radii {text!r}: expected numbers in km, e.g. 5,10,20")
    try:
        radii = tuple(float(x) for x in parts if x)
    except ValueError:
        raise InvalidArgumentError(
            f"--radii {text!r}: expected numbers in km, e.g. 5,10,20") from None
    for r in radii:
        if not (math.isfinite(r) and 0 < r <= 500):
            raise InvalidArgumentError(f"--radii {text!r}: radius {r:g} km is not in (0, 500]")
    if len(set(radii)) != len(radii):
        raise InvalidArgumentError(f"--radii {text!r}: each radius once")
    return radii


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``"MINLON,MINLAT,MAXLON,MAXLAT"`` in degrees (min < max, lon/lat in range)."""
    want = f"--bbox {text!r}: expected MINLON,MINLAT,MAXLON,MAXLAT in degrees"
    try:
        box = tuple(float(x) for x in text.split(","))
    except ValueError:
        raise InvalidArgumentError(want) from None
    if len(box) != 4 or not all(math.isfinite(v) for v in box):
        raise InvalidArgumentError(want)
    if not (-180 <= box[0] < box[2] <= 180 and -90 <= box[1] < box[3] <= 90):
        raise InvalidArgumentError(f"{want} (lon -180..180, lat -90..90, min < max)")
    return box  # type: ignore[return-value]


#: A --bbox may reach this far (degrees) beyond the network's extent.
BBOX_MARGIN_DEG = 0.5


def check_bbox_extent(box: tuple[float, float, float, float], net) -> None:
    """A --bbox must lie within the network's lon/lat extent (plus a small margin):
    outside it there is nothing to measure and the metric projection is not meant for it."""
    from ..crs import lonlat_xy

    lon, lat = lonlat_xy(net.node_xy[:, 0], net.node_xy[:, 1])
    ext = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    m = BBOX_MARGIN_DEG
    if not (box[0] >= ext[0] - m and box[1] >= ext[1] - m and box[2] <= ext[2] + m
            and box[3] <= ext[3] + m):
        raise InvalidArgumentError(
            f"--bbox {','.join(f'{v:g}' for v in box)}: outside the network extent "
            f"{ext[0]:.2f},{ext[1]:.2f},{ext[2]:.2f},{ext[3]:.2f} (MINLON,MINLAT,MAXLON,MAXLAT);"
            " give a box inside it")


def check_forecast_at(ws, forecast_at: str | None, start: str | None,
                       end: str | None) -> str | None:
    """--forecast-at as YYYY-MM-DD, when it lies in the timeline's range (--from .. --to,
    within the control history)."""
    if forecast_at is None:
        return None
    from ..data.control import parse_date

    hist = ws.history
    day = parse_date(forecast_at)
    lo = max(parse_date(start), hist.first) if start else hist.first
    hi = min(parse_date(end), hist.last) if end else hist.last
    if not (lo <= day <= hi):
        raise InvalidArgumentError(f"--forecast-at {day}: outside the timeline {lo} .. {hi} "
                                   f"(control history {hist.first} .. {hist.last})")
    return str(day)


def writable_dir(opt: str, target: Path, directory: Path) -> None:
    """Fail (one line naming ``opt`` and ``target``) unless files can be created in
    ``directory`` or, when it does not exist yet, in its nearest existing ancestor.
    Tries a real temporary file: permission bits alone do not tell (root, read-only
    mounts, immutable directories)."""
    d = directory
    while not d.exists() and d.parent != d:
        d = d.parent
    if d.exists() and not d.is_dir():
        raise OutputError(f"{opt} {target}: {d} is a file, not a directory")
    try:
        with tempfile.TemporaryFile(dir=d):
            pass
    except OSError as exc:
        raise OutputError(f"{opt} {target}: cannot write in {d} "
                          f"({exc.strerror or exc})") from None


def check_output_file(opt: str, path: Path, suffixes: tuple[str, ...] | None = None) -> Path:
    """An output file the command will write: right suffix, not a directory, in a
    writable place. Checked before the computation."""
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise InvalidArgumentError(f"{opt} {path}: expected a file name ending in "
                                   f"{', '.join(suffixes)}")
    if path.is_dir():
        raise OutputError(f"{opt} {path}: is a directory; give a file name")
    writable_dir(opt, path, path.parent)
    return path


def check_output_dir(opt: str, path: Path) -> Path:
    """An output directory the command will fill (created if missing)."""
    if path.exists() and not path.is_dir():
        raise OutputError(f"{opt} {path}: exists and is not a directory")
    writable_dir(opt, path, path)
    return path


def modes(mode: str, both: bool = True) -> tuple[str, ...]:
    """The modes a --mode asks for: road, rail (or both, where ``both`` is allowed)."""
    if mode not in (("road", "rail", "both") if both else ("road", "rail")):
        want = "road, rail or both" if both else "road or rail"
        raise InvalidArgumentError(f"--mode {mode!r}: expected {want}")
    return ("road", "rail") if mode == "both" else (mode,)
