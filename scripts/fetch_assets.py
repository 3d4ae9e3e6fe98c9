#!/usr/bin/env python3
"""Fetch the third-party web assets (MapLibre GL JS) of the web pages and HTML reports.

Runs ``npm pack maplibre-gl@<version>`` in a temp dir, checks the tarball and each file
against the SHA-256 pins in ``supplyline/viz/maplibre.py``, and extracts
``dist/maplibre-gl.js``, ``dist/maplibre-gl.css`` and ``LICENSE.txt`` into
``src/supplyline/viz/assets/vendor/`` (git-ignored). Nothing is fetched when the pinned
files are already there (unless ``--force``). Files of earlier vendored libraries
(Leaflet) are removed from the folder.

    python scripts/fetch_assets.py [--dest DIR] [--force]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

OLD_FILES = ("leaflet.js", "leaflet.css", "leaflet-LICENSE")


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "src"))
    from supplyline.errors import SupplylineError
    from supplyline.viz.maplibre import MAPLIBRE_VERSION, VENDOR_DIR, fetch_maplibre, verified

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dest", type=Path, default=VENDOR_DIR,
                    help=f"target directory (default: {VENDOR_DIR})")
    ap.add_argument("--force", action="store_true", help="fetch even when present")
    args = ap.parse_args(argv)
    for name in OLD_FILES:
        (args.dest / name).unlink(missing_ok=True)
    if not args.force and verified(args.dest):
        print(f"MapLibre GL JS {MAPLIBRE_VERSION} already in {args.dest} (SHA-256 checked)")
        return 0
    try:
        dest = fetch_maplibre(args.dest)
    except SupplylineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    files = ", ".join(f"{p.name} ({p.stat().st_size // 1024} KiB)"
                      for p in sorted(dest.iterdir()) if p.name != ".gitignore")
    print(f"MapLibre GL JS {MAPLIBRE_VERSION} -> {dest} (SHA-256 checked): {files}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
