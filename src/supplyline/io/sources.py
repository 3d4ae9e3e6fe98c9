"""Data sources: where each input lives and what was found.

Each source is resolved independently through the data locations of
:func:`supplyline.settings.candidate_data_dirs`, so the control history can come from the
download cache while the network comes from ``../shared/data``.

Layout of a data directory (the same as ``../shared/data`` and the download cache)::

    deepstate/deepstatemap_data_YYYYMMDD.geojson   daily held-territory polygons
    egm/*.gpkg                                      EuroGlobalMap roads, railways, ...
    admin/ukraine-oblasts.geojson                   oblast polygons
    osm/*.osm.pbf                                   OpenStreetMap extracts (optional)
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataNotFoundError
from ..settings import candidate_data_dirs

DEEPSTATE_PATTERN = re.compile(r"^deepstatemap_data_(\d{8})\.geojson$")


@dataclass(frozen=True)
class Source:
    """One located input: its kind, its path(s) and which data location supplied it."""

    kind: str
    path: Path | None
    origin: str | None
    detail: str = ""

    @property
    def found(self) -> bool:
        return self.path is not None


@dataclass(frozen=True)
class DataSources:
    """The resolved inputs for an analysis."""

    deepstate: Source
    egm: Source
    oblasts: Source
    osm: Source
    searched: list[tuple[str, Path]] = field(default_factory=list)

    def require(self, kind: str) -> Path:
        src: Source = getattr(self, kind)
        if src.path is None:
            where = ", ".join(f"{label}={p}" for label, p in self.searched)
            raise DataNotFoundError(
                f"no {kind} data found (searched {where}); pass --data DIR or run "
                f"'supplyline data fetch'"
            )
        return src.path


def deepstate_files(directory: Path) -> dict[dt.date, Path]:
    """Map date -> file for every DeepState daily file in ``directory``."""
    out: dict[dt.date, Path] = {}
    if not directory.is_dir():
        return out
    for name in os.listdir(directory):
        m = DEEPSTATE_PATTERN.match(name)
        if m:
            try:
                d = dt.datetime.strptime(m.group(1), "%Y%m%d").date()
            except ValueError:
                continue
            out[d] = directory / name
    return dict(sorted(out.items()))


def _first(dirs: list[tuple[str, Path]], probe) -> tuple[Path | None, str | None, str]:
    for label, base in dirs:
        hit = probe(base)
        if hit is not None:
            path, detail = hit
            return path, label, detail
    return None, None, ""


def _probe_deepstate(base: Path):
    files = deepstate_files(base / "deepstate")
    if not files:
        return None
    days = list(files)
    return base / "deepstate", f"{len(days)} days {days[0]}..{days[-1]}"


def _probe_glob(sub: str, pattern: str):
    def probe(base: Path):
        d = base / sub
        if not d.is_dir():
            return None
        hits = sorted(d.glob(pattern))
        if not hits:
            return None
        return hits[0], f"{hits[0].stat().st_size / 1e6:.1f} MB"

    return probe


def locate(data_dir: str | os.PathLike[str] | None = None) -> DataSources:
    """Resolve every source through the data locations (``--data`` first)."""
    dirs = candidate_data_dirs(data_dir)
    if data_dir is not None and not Path(data_dir).expanduser().is_dir():
        raise DataNotFoundError(f"--data {data_dir}: not a directory")
    ds = Source("deepstate", *_first(dirs, _probe_deepstate))
    egm = Source("egm", *_first(dirs, _probe_glob("egm", "*.gpkg")))
    obl = Source("oblasts", *_first(dirs, _probe_glob("admin", "*oblast*.geojson")))
    osm = Source("osm", *_first(dirs, _probe_glob("osm", "*.osm.pbf")))
    return DataSources(ds, egm, obl, osm, dirs)
