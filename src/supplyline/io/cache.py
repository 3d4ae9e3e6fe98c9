"""Derived-data caches, and atomic writes of the files a user gets.

A cache *entry* is a directory ``<cache>/derived/<kind>/<key>/`` holding the entry's files
and a ``manifest.json`` with the schema version and, per file, its size and CRC-32. It is

- **keyed by its inputs**: :func:`cache_key` hashes the kind, :data:`CACHE_VERSION` and
  any JSON-able parts (input file fingerprints, parameters);
- **written atomically**: the files go into a temporary directory, the manifest last,
  and the directory is renamed into place in one step (:func:`write_entry`); a reader
  never sees half an entry, and a crash leaves only a temporary directory that
  :func:`sweep_stale` removes later;
- **checked on read**: :func:`open_entry` returns None (a miss) when the manifest is
  missing or unreadable, the schema version differs, or a file's size or checksum does
  not match; a bad entry is removed so it is rebuilt;
- **safe to delete** at any time, and **never pickled** (Parquet, NumPy ``.npz`` without
  pickle, JSON);
- **optional**: when the cache directory cannot be written (read-only, full disk) the
  work goes on without caching and one warning line says so.

Files a user asked for (maps, tables, exports) are written with :func:`atomic_write`:
through a temporary file in the same directory, moved over the target only when complete,
with mode 0644.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..settings import derived_cache_dir

log = logging.getLogger(__name__)

#: Part of every cache key: bump when a change makes every cached entry invalid.
CACHE_VERSION = "2"
MANIFEST = "manifest.json"
#: Temporary files and directories older than this are left over from a crash.
STALE_AFTER_S = 3600.0
_CHUNK = 1 << 20
_warned: set[str] = set()


def file_fingerprint(paths: Iterable[Path]) -> list[tuple[str, int, int]]:
    """(path, size, mtime_ns) for each path: cheap identity of input files."""
    out = []
    for p in paths:
        st = Path(p).stat()
        out.append((str(Path(p).resolve()), st.st_size, st.st_mtime_ns))
    return out


def cache_key(kind: str, **parts: object) -> str:
    """A stable hex key for ``kind`` and its inputs (any JSON-serialisable parts)."""
    blob = json.dumps({"kind": kind, "v": CACHE_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def crc32_file(path: Path) -> int:
    """CRC-32 of a file's bytes (a check against corruption, not against tampering)."""
    crc = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


@dataclass(frozen=True)
class Entry:
    """An existing, checked cache entry: ``path(name)`` is one of its files."""

    kind: str
    key: str
    directory: Path
    meta: dict[str, Any]
    #: the manifest's files: name -> {"size", "crc32"}
    files: dict[str, Any] = field(default_factory=dict)

    def path(self, name: str) -> Path:
        return self.directory / name

    def verify(self, name: str) -> bool:
        """True when file ``name`` still has its manifest's size and CRC-32 (for entries
        opened with ``verify=False`` whose small files are checked on use)."""
        info = self.files.get(name)
        try:
            return info is not None and crc32_file(self.path(name)) == info["crc32"] \
                and self.path(name).stat().st_size == info["size"]
        except (OSError, KeyError, TypeError):
            return False

    def discard(self, why: str, *, quiet: bool = False) -> None:
        """Remove this entry (found damaged on use): it is rebuilt by the next writer.
        ``quiet``: no warning (the caller reports the damage itself)."""
        if quiet:
            shutil.rmtree(self.directory, ignore_errors=True)
        else:
            _bad(self.directory, why)


def entry_dir(kind: str, key: str, root: Path | None = None) -> Path:
    return (root or derived_cache_dir()) / kind / key


def open_entry(kind: str, key: str, schema: int, *, root: Path | None = None,
               verify: bool = True) -> Entry | None:
    """The entry ``kind/key`` if it exists and checks out, else None.

    ``verify=False`` checks sizes only (for entries read lazily, whose parts carry their
    own checksums)."""
    d = entry_dir(kind, key, root)
    try:
        manifest = json.loads((d / MANIFEST).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        why: str | None = f"unreadable manifest ({exc})"
    else:
        if _other_version(manifest, kind, schema):  # not damage: an upgrade, say so
            log.warning("cache entry %s was made by another version of supplyline (schema "
                        "%s, this one reads %s): rebuilding it", d, manifest["schema"], schema)
            shutil.rmtree(d, ignore_errors=True)
            return None
        why = _manifest_problem(d, manifest, kind, schema, verify)
    if why is not None:
        _bad(d, why)
        return None
    return Entry(kind, key, d, manifest.get("meta") or {}, manifest["files"])


def list_entries(kind: str, schema: int, *, root: Path | None = None,
                 newest: int = 8) -> list[Entry]:
    """The ``newest`` entries of ``kind`` with this schema, newest first (sizes checked
    only, as with ``open_entry(verify=False)``)."""
    base = (root or derived_cache_dir()) / kind
    try:
        dirs = [d for d in base.iterdir() if d.is_dir() and not d.name.startswith(".")]
    except OSError:
        return []
    dirs.sort(key=lambda d: _mtime(d / MANIFEST), reverse=True)
    out = []
    for d in dirs[:newest]:
        e = open_entry(kind, d.name, schema, root=root, verify=False)
        if e is not None:
            out.append(e)
    return out


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def remove_entry(kind: str, key: str, *, root: Path | None = None) -> None:
    """Delete the entry ``kind/key`` if it exists (superseded entries)."""
    shutil.rmtree(entry_dir(kind, key, root), ignore_errors=True)


def _other_version(manifest: Any, kind: str, schema: int) -> bool:
    """True for a well-formed manifest of this kind written with another schema."""
    return (isinstance(manifest, dict) and manifest.get("kind") == kind
            and isinstance(manifest.get("schema"), int) and manifest["schema"] != schema
            and isinstance(manifest.get("files"), dict))


def _manifest_problem(d: Path, manifest: Any, kind: str, schema: int,
                      verify: bool) -> str | None:
    """Why the entry in ``d`` with this parsed manifest is unusable, or None if it checks
    out."""
    if not isinstance(manifest, dict) or manifest.get("schema") != schema \
            or manifest.get("kind") != kind or not isinstance(manifest.get("files"), dict):
        return (f"schema {manifest.get('schema') if isinstance(manifest, dict) else '?'}"
                f" (expected {schema})")
    for name, info in manifest["files"].items():
        p = d / name
        try:
            if p.stat().st_size != info["size"]:
                return f"{name}: size differs from its manifest"
            if verify and crc32_file(p) != info["crc32"]:
                return f"{name}: checksum differs from its manifest"
        except (OSError, KeyError, TypeError) as exc:
            return f"{name}: {exc}"
    return None


def _bad(d: Path, why: str) -> None:
    log.warning("cache entry %s is damaged (%s): rebuilding it", d, why)
    shutil.rmtree(d, ignore_errors=True)


def write_entry(kind: str, key: str, schema: int, writer: Callable[[Path], object], *,
                meta: dict[str, Any] | None = None, root: Path | None = None) -> Entry | None:
    """Create the entry ``kind/key``: ``writer(directory)`` writes its files into a fresh
    temporary directory; the manifest (schema, sizes, checksums, ``meta``) is written
    last and the directory renamed into place. Returns the entry, or None when the cache
    cannot be written (the caller goes on without it; one warning is logged)."""
    final = entry_dir(kind, key, root)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", suffix=".tmp", dir=final.parent))
    except OSError as exc:
        _warn_unwritable(final.parent, exc)
        return None
    try:
        writer(tmp)
        files = {p.name: {"size": p.stat().st_size, "crc32": crc32_file(p)}
                 for p in sorted(tmp.iterdir()) if p.is_file()}
        manifest = {"kind": kind, "schema": schema, "key": key, "created": time.time(),
                    "files": files, "meta": meta or {}}
        (tmp / MANIFEST).write_text(json.dumps(manifest, default=str))
        if final.exists():  # a concurrent writer, or a damaged entry: replace it
            shutil.rmtree(final, ignore_errors=True)
        os.rename(tmp, final)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if final.is_dir() and (final / MANIFEST).exists():
            return open_entry(kind, key, schema, root=root, verify=False)
        _warn_unwritable(final.parent, exc)
        return None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Entry(kind, key, final, meta or {}, files)


def _warn_unwritable(where: Path, exc: OSError) -> None:
    msg = f"cache not writable ({where}: {exc.strerror or exc}); running without caching"
    if msg not in _warned:
        _warned.add(msg)
        log.warning(msg)


def sweep_stale(root: Path | None = None, older_than_s: float = STALE_AFTER_S) -> int:
    """Remove temporary files and directories left by interrupted writes. Returns the
    number removed."""
    base = root or derived_cache_dir()
    if not base.is_dir():
        return 0
    now = time.time()
    n = 0
    for p in base.glob("*/.*.tmp"):
        try:
            if now - p.stat().st_mtime < older_than_s:
                continue
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink()
            n += 1
        except OSError:
            continue
    return n


# --------------------------------------------------------------------------- user files

def atomic_write(path: Path, writer: Callable[[Path], object], *, mode: int = 0o644) -> Path:
    """Call ``writer(tmp)`` and move tmp over ``path`` only when it succeeded; the file
    gets ``mode`` (0644: readable by everyone, as files a user gets should be).

    A location that cannot be written raises :class:`~supplyline.errors.OutputError`
    (one line) and leaves any existing file as it was."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    try:
        writer(Path(tmp))
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_vector(gdf: Any, path: Path, layer: str) -> Path:
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


def cache_path(kind: str, key: str, suffix: str, root: Path | None = None) -> Path:
    """A single-file cache path (older caches: control history, gazetteer, timeline rows;
    they move to checked entries, :func:`write_entry`)."""
    return (root or derived_cache_dir()) / kind / f"{key}{suffix}"
