"""Loaders for transport lines: EuroGlobalMap GeoPackage and any OGR line layer.

Every loader returns a GeoDataFrame in EPSG:4326 with the standard line schema used by
:mod:`supplyline.network`:

``mode`` ("road"/"rail"), ``cls`` (road class or rail kind), ``ref`` (national route
number, e.g. "М-04"), ``eref`` (E-route, e.g. "Е-50"), ``surface`` ("paved"/"unpaved"/""),
``name``, ``seam_id`` (pieces of one feature split at tile seams share it), ``source_id``
and, for railways, ``electrified``, ``gauge``, ``usage``.

OpenStreetMap ``.osm.pbf`` extracts are read by :func:`supplyline.osm.load_osm_lines`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from ..crs import GEOGRAPHIC_CRS
from ..errors import DataFormatError, DataNotFoundError

LINE_COLUMNS = [
    "mode", "cls", "ref", "eref", "surface", "name", "seam_id", "source_id",
    "electrified", "gauge", "usage",
]

#: EGM road type code ``rtt`` -> class.
EGM_ROAD_CLASS = {16: "motorway", 14: "primary", 15: "secondary", 984: "local", 0: "unknown"}
EGM_SURFACE = {1: "paved", 2: "unpaved"}
EGM_ELECTRIFIED = {1: "yes", 2: "no"}


def _clean_code(s: pd.Series) -> pd.Series:
    s = s.fillna("").astype(str).str.strip()
    s = s.where(~s.isin(["N_A", "N_P", "UNK", "None", "nan"]), "")
    return s.str.replace("#", ";", regex=False)


def read_layer(path: str | Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read one OGR layer with a one-line error for missing / unreadable files."""
    path = Path(path)
    if not path.exists():
        raise DataNotFoundError(f"{path}: file not found")
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:  # pyogrio raises several error types
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataFormatError(
            f"{path}{f' layer {layer!r}' if layer else ''}: cannot read as a vector layer ({msg})"
        ) from None
    if gdf.crs is None:
        raise DataFormatError(f"{path}: layer has no CRS; expected a georeferenced layer")
    return gdf


def _to_geographic(gdf: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise DataFormatError(f"{path}: no CRS; expected EPSG:4326 or any defined CRS")
    if not gdf.crs.equals(GEOGRAPHIC_CRS):
        gdf = gdf.to_crs(GEOGRAPHIC_CRS)
    return gdf


def _finish(df: pd.DataFrame, geometry, crs) -> gpd.GeoDataFrame:
    for c in LINE_COLUMNS:
        if c not in df:
            df[c] = ""
        df[c] = df[c].fillna("").astype(str)
    out = gpd.GeoDataFrame(df[LINE_COLUMNS], geometry=np.asarray(geometry), crs=crs)
    return out.reset_index(drop=True)


def load_egm_lines(path: str | Path, mode: str) -> gpd.GeoDataFrame:
    """Roads (layer ``roads``) or railways (layer ``railways``) from an EGM GeoPackage."""
    path = Path(path)
    if mode not in ("road", "rail"):
        raise ValueError(f"mode must be 'road' or 'rail', got {mode!r}")
    layer = "roads" if mode == "road" else "railways"
    layers = {name for name, _ in list_layers(path)}
    if layer not in layers:
        raise DataFormatError(
            f"{path}: no layer {layer!r} (found {sorted(layers)}); expected an EGM GeoPackage"
        )
    gdf = _to_geographic(read_layer(path, layer), path)
    need = ["inspireid"] + (["rtt", "rtn", "rte"] if mode == "road" else [])
    missing = [c for c in need if c not in gdf.columns]
    if missing:
        raise DataFormatError(f"{path} layer {layer!r}: missing field(s) {missing}")
    df = pd.DataFrame(index=gdf.index)
    df["mode"] = mode
    df["seam_id"] = gdf["inspireid"].astype(str)
    df["source_id"] = "egm:" + gdf["inspireid"].astype(str) + ":" + gdf.get("tile", "").astype(str)
    if mode == "road":
        df["cls"] = pd.to_numeric(gdf["rtt"], errors="coerce").map(EGM_ROAD_CLASS).fillna("unknown")
        df["ref"] = _clean_code(gdf["rtn"])
        df["eref"] = _clean_code(gdf["rte"])
        df["surface"] = pd.to_numeric(gdf.get("rst"), errors="coerce").map(EGM_SURFACE)
        df["name"] = _clean_code(gdf.get("nama1", pd.Series("", index=gdf.index)))
    else:
        df["cls"] = "rail"
        df["name"] = _clean_code(gdf.get("nama1", pd.Series("", index=gdf.index)))
        df["electrified"] = pd.to_numeric(gdf.get("rra"), errors="coerce").map(
            EGM_ELECTRIFIED).fillna("")
        df["gauge"] = pd.to_numeric(gdf.get("gaw"), errors="coerce").map(
            lambda g: f"{int(g) * 10} mm" if pd.notna(g) and g > 0 else "")
        df["usage"] = pd.to_numeric(gdf.get("fco"), errors="coerce").map(
            {0: "", 3: "operational"}).fillna("")
    return _finish(df, gdf.geometry.values, gdf.crs)


def list_layers(path: Path) -> list[tuple[str, str]]:
    """(name, geometry type) of every layer; a missing or unreadable file is a one-line
    error naming it."""
    if not path.exists():
        raise DataNotFoundError(f"{path}: file not found")
    try:
        return [tuple(x) for x in pyogrio.list_layers(path)]
    except Exception as exc:
        raise DataFormatError(f"{path}: not a readable GeoPackage/OGR file ({exc})") from None


def load_ogr_lines(
    path: str | Path,
    mode: str,
    *,
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
    class_map: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Any OGR line layer, with ``columns`` mapping standard names to source fields.

    Example: ``load_ogr_lines("roads.shp", "road", columns={"ref": "ROUTE", "cls": "TYPE"},
    class_map={"1": "motorway", "2": "primary"})``.
    """
    path = Path(path)
    gdf = _to_geographic(read_layer(path, layer), path)
    columns = dict(columns or {})
    missing = [src for src in columns.values() if src not in gdf.columns]
    if missing:
        raise DataFormatError(
            f"{path}: column mapping names field(s) {missing} not in the layer "
            f"(fields: {[c for c in gdf.columns if c != 'geometry']})"
        )
    df = pd.DataFrame(index=gdf.index)
    for std, src in columns.items():
        if std not in LINE_COLUMNS:
            raise DataFormatError(
                f"column mapping: unknown target {std!r}; expected {LINE_COLUMNS}")
        df[std] = gdf[src].astype(str)
    df["mode"] = mode
    if "cls" in df and class_map:
        df["cls"] = df["cls"].map(lambda v: class_map.get(str(v), "unknown"))
    elif "cls" not in df:
        df["cls"] = "unknown" if mode == "road" else "rail"
    for c in ("ref", "eref", "name"):
        if c in df:
            df[c] = _clean_code(df[c])
    if "source_id" not in df:
        df["source_id"] = f"{path.name}:" + gdf.index.astype(str)
    return _finish(df, gdf.geometry.values, gdf.crs)
