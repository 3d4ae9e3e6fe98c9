"""Derived-data caches: keyed by their inputs, written atomically, safe to delete."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from ..settings import derived_cache_dir

#: Bump when the format or the algorithm producing cached data changes.
CACHE_VERSION = "1"


def file_fingerprint(paths: Iterable[Path]) -> list[tuple[str, int, int]]:
    """(name, size, mtime_ns) for each path: cheap identity of input files."""
    out = []
    for p in paths:
        st = Path(p).stat()
        out.append((str(Path(p).resolve()), st.st_size, st.st_mtime_ns))
    return out


def cache_key(kind: str, **parts: object) -> str:
    """A stable hex key for ``kind`` and its inputs (any JSON-serialisable parts)."""
    blob = json.dumps({"kind": kind, "v": CACHE_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def cache_path(kind: str, key: str, suffix: str, root: Path | None = None) -> Path:
    root = root or derived_cache_dir()
    return root / kind / f"{key}{suffix}"


def write_vector(gdf, path: Path, layer: str) -> Path:
    """Write a GeoDataFrame as GeoPackage (``.gpkg``) or GeoJSON, atomically: through a
    temporary file with the same suffix (GDAL picks the format and checks the layer name
    from it), moved over ``path`` only when complete."""
    path = Path(path)
    driver = "GPKG" if path.suffix.lower() == ".gpkg" else "GeoJSON"

    def write(tmp: Path) -> None:
        named = tmp.with_name(tmp.name + path.suffix)
        try:
            gdf.to_file(named, driver=driver, layer=layer)
            os.replace(named, tmp)
        finally:
            if named.exists():
                named.unlink()

    return atomic_write(path, write)


def atomic_write(path: Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp)`` and move tmp over ``path`` only when it succeeded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        writer(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
