"""Files for GIS tools: GeoPackage, GeoParquet, KML/KMZ and CSV from tables of layers.

Every writer takes a list of :class:`Layer` (a GeoDataFrame in lon/lat and how to show
it) and writes atomically (through a temporary file, moved into place when complete,
mode 0644; see :func:`~supplyline.io.cache.atomic_write`). What the files hold:

- **types**: dates (``datetime.date``) are real ``DATE`` fields in a GeoPackage
  (``date32`` in Parquet), timestamps ``DATETIME``; booleans ``BOOLEAN``; whole numbers
  ``INTEGER``. A missing value is NULL everywhere: never ``''`` or NaN (in CSV, which
  has no NULL, an empty field). :func:`tidy` does this for every writer.
- **GeoPackage**: one layer per kind, geometry as multi-geometry of one type per layer;
  a layer's QGIS style (``Layer.qml``) is stored in the ``layer_styles`` table as the
  default, so QGIS applies it (and a temporal setting) when the layer is opened.
- **GeoParquet**, **CSV** and **GeoJSON** hold one table per file: the first layer goes to
  the path asked for, the others next to it as ``NAME.LAYER.parquet`` (``.csv``,
  ``.geojson``); GeoJSON has no date type (ISO strings). CSV
  has the geometry as WKT in a ``wkt`` column (QGIS "delimited text" reads it); GeoParquet
  gets a ``.qml`` sidecar where the layer has a style (QGIS loads it with the file).
- **KML/KMZ** (Google Earth): written here with XML escaping, one folder per layer, a
  shared style per class (``Layer.styles``), the attributes as ``ExtendedData``, a
  ``TimeSpan`` per feature where the layer has a date (Google Earth's time slider).
  KMZ is the KML zipped as ``doc.kml``.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..errors import InvalidArgumentError
from .cache import atomic_write, write_vector

#: Output formats by file suffix.
FORMATS = {".gpkg": "gpkg", ".parquet": "parquet", ".geoparquet": "parquet", ".kml": "kml",
           ".kmz": "kmz", ".csv": "csv", ".geojson": "geojson", ".json": "geojson"}
KML_NS = "http://www.opengis.net/kml/2.2"


@dataclass(frozen=True)
class KmlStyle:
    """How a class of features looks in Google Earth (colours ``#rrggbb``)."""

    line: str
    width: float = 2.0
    fill: str | None = None
    fill_alpha: float = 0.35
    icon_scale: float = 0.8


@dataclass
class Layer:
    """One layer of an export.

    Parameters
    ----------
    name
        Layer (table) name, e.g. ``routes``.
    frame
        The features: a GeoDataFrame in lon/lat (EPSG:4326).
    title
        Human title (KML folder name).
    label
        Column giving each feature's name in KML.
    style
        Column whose value picks the feature's :class:`KmlStyle` from ``styles``.
    styles
        KML styles by value of ``style``.
    when
        Date column: a KML ``TimeSpan`` of ``span_days`` from that date.
    span_days
        Length of each feature's time span in days (KML).
    qml
        QGIS style of the layer (QML text), stored as the default in a GeoPackage.
    """

    name: str
    frame: Any
    title: str = ""
    label: str | None = None
    style: str | None = None
    styles: dict[str, KmlStyle] = field(default_factory=dict)
    when: str | None = None
    span_days: int = 1
    qml: str | None = None


def output_format(path: Path) -> str:
    """The export format of ``path`` from its suffix (one-line error otherwise)."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise InvalidArgumentError(f"--output {path}: expected a file name ending in "
                                   f"{', '.join(FORMATS)}")
    return fmt


def write_layers(layers: Sequence[Layer], path: Path, *, title: str = "supplyline"
                 ) -> list[Path]:
    """Write ``layers`` to ``path`` in the format its suffix names; returns every file
    written (GeoParquet and CSV: one per layer)."""
    path = Path(path)
    fmt = output_format(path)
    if not layers:
        raise InvalidArgumentError(f"{path}: nothing to export")
    tidy_layers = [_with_frame(lay, tidy(lay.frame)) for lay in layers]
    if fmt == "gpkg":
        return [write_gpkg(tidy_layers, path)]
    if fmt in ("kml", "kmz"):
        data = kml_document(tidy_layers, title).encode("utf-8")
        if fmt == "kml":
            return [atomic_write(path, lambda tmp: write_bytes(tmp, data))]
        return [atomic_write(path, lambda tmp: _write_kmz(tmp, data))]
    out: list[Path] = []
    for i, lay in enumerate(tidy_layers):
        p = path if i == 0 else sibling(path, lay.name)
        frame = lay.frame
        if fmt == "parquet":
            out.append(atomic_write(p, partial(write_parquet, frame)))
            if lay.qml:
                qml = lay.qml.encode("utf-8")
                out.append(atomic_write(p.with_suffix(".qml"), partial(_put, qml)))
        elif fmt == "geojson":
            out.append(write_vector(frame, p, lay.name))
        else:
            out.append(atomic_write(p, partial(write_csv, frame)))
    return out


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (a writer for :func:`atomic_write`)."""
    Path(path).write_bytes(data)


def _put(data: bytes, path: Path) -> None:
    write_bytes(path, data)


def write_parquet(frame: Any, path: Path) -> None:
    """GeoParquet (WKB geometry, GeoParquet metadata; dates as ``date32``)."""
    frame.to_parquet(path, index=False)


def sibling(path: Path, layer: str) -> Path:
    """Where a further layer of a one-table format goes: ``NAME.LAYER.SUFFIX``."""
    return path.with_name(f"{path.stem}.{layer}{path.suffix}")


def _with_frame(lay: Layer, frame: Any) -> Layer:
    return Layer(lay.name, frame, lay.title, lay.label, lay.style, lay.styles, lay.when,
                 lay.span_days, lay.qml)


# --------------------------------------------------------------------------- values

def tidy(frame: Any) -> Any:
    """A copy of ``frame`` ready for any format: NaN, NaT and ``''`` become None (NULL),
    date columns hold ``datetime.date``, integer columns with gaps become nullable
    ``Int64``, geometries become multi-geometries (one type per layer)."""
    import geopandas as gpd

    df = frame.copy()
    for col in df.columns:
        if col == getattr(df, "_geometry_column_name", None):
            continue
        s = df[col]
        if pd.api.types.is_float_dtype(s):
            vals = s.to_numpy(dtype=float)
            if not np.isfinite(vals[~np.isnan(vals)]).all():
                df[col] = s.where(np.isfinite(vals) | np.isnan(vals), np.nan)
        elif pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            vals = [_none(v) for v in s]
            if vals and all(v is None or isinstance(v, dt.date) and not isinstance(
                    v, dt.datetime) for v in vals) and any(v is not None for v in vals):
                df[col] = pd.Series(vals, index=s.index, dtype=object)
            elif vals and all(v is None or isinstance(v, bool) for v in vals) \
                    and any(v is not None for v in vals):
                df[col] = pd.array(vals, dtype="boolean")
            else:
                df[col] = pd.Series(vals, index=s.index, dtype=object)
    if isinstance(df, gpd.GeoDataFrame) and df.geometry.name in df:
        df = df.set_geometry(as_multi(df.geometry.values))
    return df


def _none(v: Any) -> Any:
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, str) and v == "":
        return None
    if isinstance(v, np.generic):
        return _none(v.item())
    return v


def as_multi(geoms: Any) -> np.ndarray:
    """Points, lines and polygons as their multi-geometry type (a layer of one type)."""
    g = np.asarray(geoms, dtype=object)
    out = g.copy()
    types = shapely.get_type_id(g)
    for single, make in ((0, shapely.multipoints), (1, shapely.multilinestrings),
                         (3, shapely.multipolygons)):
        sel = types == single
        if sel.any():
            out[sel] = [make([x]) for x in g[sel]]
    return out


def write_csv(frame: Any, path: Path) -> None:
    """CSV with ISO dates, ``true``/``false``, empty fields for NULL and the geometry as
    WKT in a ``wkt`` column (last)."""
    df = pd.DataFrame(frame).copy()
    geom = getattr(frame, "_geometry_column_name", None)
    if geom in df:
        wkt = shapely.to_wkt(np.asarray(df.pop(geom), dtype=object), rounding_precision=6,
                             trim=True)
        df["wkt"] = wkt
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_bool_dtype(s) or str(s.dtype) == "boolean":
            df[col] = s.map(lambda v: None if v is None or v is pd.NA else
                            ("true" if v else "false"))
        elif pd.api.types.is_datetime64_any_dtype(s):
            df[col] = s.map(lambda v: None if pd.isna(v) else v.isoformat())
        elif pd.api.types.is_object_dtype(s):
            df[col] = s.map(lambda v: v.isoformat() if isinstance(v, dt.date) else v)
    df.to_csv(path, index=False, lineterminator="\n")


# --------------------------------------------------------------------------- GeoPackage

def write_gpkg(layers: Sequence[Layer], path: Path) -> Path:
    """One GeoPackage layer per :class:`Layer` (dates as ``DATE``), with each layer's
    QGIS style stored as its default in ``layer_styles``."""
    path = Path(path)

    def write(tmp: Path) -> None:
        named = tmp.with_name(tmp.name + ".gpkg")
        try:
            for lay in layers:
                lay.frame.to_file(named, layer=lay.name, driver="GPKG", use_arrow=True)
            styles = [(lay.name, lay.qml) for lay in layers if lay.qml]
            if styles:
                add_gpkg_styles(named, styles)
            os.replace(named, tmp)
        finally:
            if named.exists():
                named.unlink()

    return atomic_write(path, write)


def add_gpkg_styles(path: Path, styles: Sequence[tuple[str, str]]) -> None:
    """Store QML styles in a GeoPackage's ``layer_styles`` table (the table QGIS reads
    and writes), each the default style of its layer."""
    con = sqlite3.connect(path)
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
            "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
            "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
            "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
            "update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))")
        con.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                    "description) VALUES ('layer_styles', 'attributes', 'layer_styles', "
                    "'QGIS layer styles')")
        for name, qml in styles:
            geom = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE "
                               "table_name = ?", (name,)).fetchone()
            con.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, "
                        "f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
                        "useAsDefault, description, owner, ui) VALUES "
                        "('', '', ?, ?, ?, ?, '', 1, ?, '', '')",
                        (name, geom[0] if geom else "", name, qml,
                         "supplyline: colours by band"))
        con.commit()
    finally:
        con.close()


# --------------------------------------------------------------------------- KML

def kml_colour(hex_colour: str, alpha: float = 1.0) -> str:
    """``#rrggbb`` and an opacity 0-1 as KML's ``aabbggrr``."""
    h = hex_colour.lstrip("#")
    if len(h) != 6:
        raise ValueError(f"colour {hex_colour!r}: expected #rrggbb")
    a = max(0, min(255, round(alpha * 255)))
    return f"{a:02x}{h[4:6]}{h[2:4]}{h[0:2]}".lower()


def kml_document(layers: Sequence[Layer], title: str) -> str:
    """A KML 2.2 document: styles, one folder per layer, a placemark per feature."""
    ET.register_namespace("", KML_NS)
    kml = ET.Element("kml", xmlns=KML_NS)
    doc = ET.SubElement(kml, "Document")
    ET.SubElement(doc, "name").text = title
    seen: set[str] = set()
    for lay in layers:
        for key, st in lay.styles.items():
            sid = style_id(lay.name, key)
            if sid not in seen:
                seen.add(sid)
                _kml_style(doc, sid, st)
    for lay in layers:
        folder = ET.SubElement(doc, "Folder")
        ET.SubElement(folder, "name").text = lay.title or lay.name
        _kml_placemarks(folder, lay)
    ET.indent(kml, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(kml, encoding="unicode")


def style_id(layer: str, key: str) -> str:
    """The KML style id of a layer's class (letters, digits, ``-`` and ``_`` only)."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in f"{layer}-{key}")
    return safe


def _kml_style(doc: ET.Element, sid: str, st: KmlStyle) -> None:
    s = ET.SubElement(doc, "Style", id=sid)
    icon = ET.SubElement(s, "IconStyle")
    ET.SubElement(icon, "color").text = kml_colour(st.line)
    ET.SubElement(icon, "scale").text = f"{st.icon_scale:g}"
    line = ET.SubElement(s, "LineStyle")
    ET.SubElement(line, "color").text = kml_colour(st.line)
    ET.SubElement(line, "width").text = f"{st.width:g}"
    poly = ET.SubElement(s, "PolyStyle")
    if st.fill:
        ET.SubElement(poly, "color").text = kml_colour(st.fill, st.fill_alpha)
    else:
        ET.SubElement(poly, "fill").text = "0"


def _kml_placemarks(folder: ET.Element, lay: Layer) -> None:
    df = lay.frame
    geom_col = df.geometry.name
    cols = [c for c in df.columns if c != geom_col]
    geoms = np.asarray(df.geometry.values, dtype=object)
    records = df[cols].to_dict("records")
    for rec, g in zip(records, geoms, strict=True):
        pm = ET.SubElement(folder, "Placemark")
        if lay.label and rec.get(lay.label) is not None:
            ET.SubElement(pm, "name").text = str(rec[lay.label])
        if lay.when and isinstance(rec.get(lay.when), dt.date):
            day = rec[lay.when]
            span = ET.SubElement(pm, "TimeSpan")
            ET.SubElement(span, "begin").text = day.isoformat()
            ET.SubElement(span, "end").text = (day + dt.timedelta(days=lay.span_days)
                                               ).isoformat()
        if lay.style and rec.get(lay.style) is not None and \
                str(rec[lay.style]) in lay.styles:
            ET.SubElement(pm, "styleUrl").text = "#" + style_id(lay.name, str(rec[lay.style]))
        ext = ET.SubElement(pm, "ExtendedData")
        for k, v in rec.items():
            d = ET.SubElement(ext, "Data", name=str(k))
            ET.SubElement(d, "value").text = _kml_value(v)
        if g is not None and not shapely.is_empty(g):
            _kml_geometry(pm, g)


def _kml_value(v: Any) -> str:
    v = _none(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return f"{v:.6g}" if abs(v) < 1e6 else f"{v:.0f}"
    return str(v)


def _coords(g: Any) -> str:
    xy = shapely.get_coordinates(g)
    return " ".join(f"{x:.6f},{y:.6f}" for x, y in xy)


def _kml_geometry(parent: ET.Element, g: Any) -> None:
    tid = shapely.get_type_id(g)
    if tid == 0:
        ET.SubElement(ET.SubElement(parent, "Point"), "coordinates").text = _coords(g)
    elif tid in (1, 2):
        ls = ET.SubElement(parent, "LineString")
        ET.SubElement(ls, "tessellate").text = "1"
        ET.SubElement(ls, "coordinates").text = _coords(g)
    elif tid == 3:
        poly = ET.SubElement(parent, "Polygon")
        ET.SubElement(poly, "tessellate").text = "1"
        outer = ET.SubElement(ET.SubElement(poly, "outerBoundaryIs"), "LinearRing")
        ET.SubElement(outer, "coordinates").text = _coords(shapely.get_exterior_ring(g))
        for i in range(shapely.get_num_interior_rings(g)):
            inner = ET.SubElement(ET.SubElement(poly, "innerBoundaryIs"), "LinearRing")
            ET.SubElement(inner, "coordinates").text = _coords(
                shapely.get_interior_ring(g, i))
    else:
        parts = shapely.get_parts(g)
        if len(parts) == 1:
            _kml_geometry(parent, parts[0])
            return
        multi = ET.SubElement(parent, "MultiGeometry")
        for p in parts:
            _kml_geometry(multi, p)


def _write_kmz(tmp: Path, kml_bytes: bytes) -> None:
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.kml", kml_bytes)
