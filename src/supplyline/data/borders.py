"""The other side of the state border, as ground hostile fire can come from.

DeepStateMap's held territory covers only ground inside Ukraine, so without this the
exposure of Sumy, Kharkiv, Kupiansk or any border district to fire from across the
border would read as zero. :func:`russian_side` is the strip of ground within
:data:`STRIP_M` of the Russia-Ukraine state border on the Russian side: the EuroGlobalMap
``admin_boundaries`` lines whose ``icc`` is ``RU#UA``, buffered, minus Ukraine (the
oblast polygons). The analysis counts it like the edge of held territory for exposure,
bands, rings' band shares and routes (switchable: ``AnalysisOptions.border_hostile``).

The strip is wider than any distance measured from it (the clearance cap, ~70 km, and
the corridor raster's cap, 60 km), so its far edge never counts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import shapely

from ..crs import to_metric
from ..io.cache import cache_key, file_fingerprint, open_entry, write_entry

log = logging.getLogger(__name__)

#: Width of the strip on the other side of the border (m).
STRIP_M = 100_000.0
#: EuroGlobalMap ``icc`` of the Russia-Ukraine state border.
BORDER_ICC = "RU#UA"
BORDER_CACHE_SCHEMA = 1


def border_line(egm_path: Path) -> shapely.Geometry:
    """The Russia-Ukraine state border in the EGM file (metric CRS), or an empty line."""
    import pyogrio

    from ..io.loaders import list_layers

    if "admin_boundaries" not in {n for n, _ in list_layers(Path(egm_path))}:
        log.warning("%s: no admin_boundaries layer; the state border is not used", egm_path)
        return shapely.MultiLineString()
    try:
        b = pyogrio.read_dataframe(egm_path, layer="admin_boundaries", columns=["icc"])
    except Exception as exc:  # a damaged layer: no border known
        log.warning("%s: no admin_boundaries layer (%s); the state border is not used",
                    egm_path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return shapely.MultiLineString()
    lines = b.geometry.values[b["icc"].astype(str).to_numpy() == BORDER_ICC]
    if not len(lines):
        return shapely.MultiLineString()
    return to_metric(shapely.line_merge(shapely.union_all(lines)))


def russian_side(egm_path: Path, oblasts_path: Path | None,
                 oblasts: list | Callable[[], list], *,
                 use_cache: bool = True) -> shapely.Geometry:
    """Ground within :data:`STRIP_M` of the state border on the Russian side (metric
    CRS; empty when the EGM file has no such border). ``oblasts`` are the oblast polygons
    read from ``oblasts_path`` (or a function giving them, called only when the strip is
    not in the cache). Cached as a checked entry keyed by both files."""
    files = [Path(egm_path)] + ([Path(oblasts_path)] if oblasts_path else [])
    key = cache_key("border", files=file_fingerprint(files), strip_m=STRIP_M)
    if use_cache:
        entry = open_entry("border", key, BORDER_CACHE_SCHEMA)
        if entry is not None:
            try:
                return shapely.from_wkb(entry.path("side.wkb").read_bytes())
            except Exception as exc:  # a damaged entry is rebuilt
                log.warning("ignoring unreadable border cache: %s", exc)
    line = border_line(egm_path)
    side = shapely.buffer(line, STRIP_M, quad_segs=8) if not line.is_empty else shapely.Polygon()
    # minus Ukraine, oblast by oblast (cheaper than their union)
    for o in (oblasts() if callable(oblasts) else oblasts):
        if not side.is_empty and shapely.intersects(o.geometry, side):
            side = shapely.difference(side, o.geometry)
    side = shapely.make_valid(side)
    if use_cache:
        write_entry("border", key, BORDER_CACHE_SCHEMA,
                    lambda d: (d / "side.wkb").write_bytes(shapely.to_wkb(side)))
    return side
