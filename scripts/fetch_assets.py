#!/usr/bin/env python3
"""Fetch the third-party web assets of HTML reports (Leaflet) from the npm registry.

Runs ``npm pack leaflet@<version>`` in a temp dir and extracts ``dist/leaflet.js``,
``dist/leaflet.css`` and ``LICENSE`` into ``src/supplyline/assets/vendor/`` (git-ignored),
where :func:`supplyline.viz.report.load_leaflet` finds them. Every file is checked against
its pinned SHA-256 (``LEAFLET_SHA256``) before it is written, and again before a report
inlines it. Nothing is fetched when files with the pinned hashes are already there
(unless ``--force``); files that differ are replaced.

    python scripts/fetch_assets.py [--dest DIR] [--force]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "src"))
    from supplyline.errors import SupplylineError
    from supplyline.viz.report import LEAFLET_VERSION, VENDOR_DIR, _valid_leaflet, fetch_leaflet

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dest", type=Path, default=VENDOR_DIR,
                    help=f"target directory (default: {VENDOR_DIR})")
    ap.add_argument("--force", action="store_true", help="fetch even when present")
    args = ap.parse_args(argv)
    if not args.force and _valid_leaflet(args.dest):
        print(f"Leaflet {LEAFLET_VERSION} already in {args.dest} (SHA-256 checked)")
        return 0
    if (args.dest / "leaflet.js").exists():
        print(f"{args.dest}: Leaflet files differ from the pinned SHA-256; fetching again")
    try:
        dest = fetch_leaflet(args.dest)
    except SupplylineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    files = ", ".join(f"{p.name} ({p.stat().st_size // 1024} KiB)"
                      for p in sorted(dest.iterdir()) if p.name != ".gitignore")
    print(f"Leaflet {LEAFLET_VERSION} -> {dest}: {files}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
