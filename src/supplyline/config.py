"""Locations of data and caches, and project-wide constants.

Data locations are searched in order: ``--data DIR``, env ``SUPPLYLINE_DATA``,
``../shared/data`` (relative to the working directory and to the project checkout),
then the per-user cache directory where ``supplyline data fetch`` downloads to.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Metric CRS for every distance: a transverse Mercator centred on 35.5 E (eastern
#: Ukraine; scale error < 0.2 % between 30 and 41 E).
METRIC_CRS = (
    "+proj=tmerc +lat_0=0 +lon_0=35.5 +k=1 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +no_defs"
)
GEOGRAPHIC_CRS = "EPSG:4326"

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def user_cache_dir() -> Path:
    """Per-user cache directory (``SUPPLYLINE_CACHE`` or ``$XDG_CACHE_HOME/supplyline``)."""
    env = os.environ.get("SUPPLYLINE_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "supplyline"


def download_dir() -> Path:
    """Where ``data fetch`` stores downloaded public data (a data location itself)."""
    return user_cache_dir() / "data"


def derived_cache_dir() -> Path:
    """Where derived caches (built networks, parsed histories) are written."""
    return user_cache_dir() / "derived"


def candidate_data_dirs(explicit: str | os.PathLike[str] | None = None) -> list[tuple[str, Path]]:
    """Data locations in search order, each with a label saying where it came from."""
    out: list[tuple[str, Path]] = []
    if explicit:
        out.append(("--data", Path(explicit).expanduser()))
    env = os.environ.get("SUPPLYLINE_DATA")
    if env:
        out.append(("SUPPLYLINE_DATA", Path(env).expanduser()))
    for p in (Path.cwd().parent / "shared" / "data", _PROJECT_ROOT.parent / "shared" / "data"):
        if all(p.resolve() != q.resolve() for _, q in out):
            out.append(("../shared/data", p))
    out.append(("user cache", download_dir()))
    return out
