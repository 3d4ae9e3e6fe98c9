"""Extra EuroGlobalMap layers: watercourses, settlement points and built-up areas.

Read once per GeoPackage path (metric CRS) and kept in :data:`_EGM_CACHE`; used by the
axis profiles and the place reconciliation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from ..crs import METRIC_CRS
from ..io.loaders import read_layer

NO_NAME = {"", "N_A", "N_P", "UNK", "NONE", "NAN"}


def clean_name(value) -> str:
    """An EGM name, or "" for the placeholders meaning "no name"."""
    s = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    s = s.strip()
    return "" if s.upper() in NO_NAME else s


@dataclass
class EgmExtras:
    """EGM layers used by axis profiles (metric CRS)."""

    rivers: np.ndarray
    river_names: np.ndarray
    river_tree: shapely.STRtree
    settlements: pd.DataFrame  # name, population, x, y, ident
    builtup: np.ndarray
    builtup_tree: shapely.STRtree
    mtime: float


#: EGM GeoPackage path -> its layers, read once per process.
_EGM_CACHE: dict[str, EgmExtras] = {}


def egm_extras(path: str | Path) -> EgmExtras:
    """Watercourses, settlement points and built-up areas of an EGM GeoPackage (cached)."""
    path = Path(path)
    key = str(path.resolve())
    mtime = path.stat().st_mtime if path.exists() else -1.0
    hit = _EGM_CACHE.get(key)
    if hit is not None and hit.mtime == mtime:
        return hit

    def layer(name: str):
        gdf = read_layer(path, name)
        gdf = gdf[gdf.geometry.notna()]
        return gdf.to_crs(METRIC_CRS)

    w = layer("watercourses")
    w = w[w.geom_type.isin(["LineString", "MultiLineString"])]
    names = (w["nama1"] if "nama1" in w else pd.Series("", index=w.index)).map(clean_name)
    s = layer("settlements")
    s = s[s.geom_type == "Point"]
    sname = (s["nama1"] if "nama1" in s else pd.Series("", index=s.index)).map(clean_name)
    sett = pd.DataFrame({
        "name": sname.str.replace("'", "", regex=False).to_numpy(),
        "population": pd.to_numeric(s.get("ppl"), errors="coerce").fillna(0).clip(lower=0)
        .astype(np.int64).to_numpy(),
        "x": s.geometry.x.to_numpy(), "y": s.geometry.y.to_numpy(),
        "ident": ("egm:" + s["inspireid"].astype(str)).to_numpy() if "inspireid" in s
        else [f"egm:{i}" for i in range(len(s))],
    })
    sett = sett[sett["name"].str.len() > 0].reset_index(drop=True)
    b = layer("builtup_areas")
    bg = shapely.make_valid(np.asarray(b.geometry.values, dtype=object))
    bg = shapely.get_parts(bg)
    bg = bg[shapely.get_type_id(bg) == 3]
    rg = np.asarray(w.geometry.values, dtype=object)
    ext = EgmExtras(rg, names.to_numpy(dtype=object), shapely.STRtree(rg), sett, bg,
                    shapely.STRtree(bg), mtime)
    _EGM_CACHE[key] = ext
    return ext
