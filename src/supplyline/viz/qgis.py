"""QGIS layer styles (QML) in the project's band colours (:mod:`supplyline.viz.palette`).

:func:`band_lines_qml` colours lines by a band field (edges: ``band``; routes:
``worst_band``) with the palette's colours and dash patterns; :func:`area_qml` fills
held territory or the grey zone; :func:`points_qml` draws places and events. Given a date
field, a style also turns on QGIS's temporal controller for the layer (each feature
shown for ``days`` days from its date), so a date-range export animates as soon as it is
opened. The exports store these styles inside the GeoPackage as each layer's default;
``viz/styles/bands.qml`` is the line style for the default bands, shipped for layers
made otherwise (Layer Properties > Symbology > Style > Load Style).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from importlib import resources
from typing import Any

from . import palette

QGIS_VERSION = "3.28.0-Firenze"
#: Line width (mm) of band lines; dash patterns are multiples of it.
LINE_WIDTH_MM = 0.66


def _rgba(hex_colour: str, alpha: float = 1.0) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{round(alpha * 255)}"


def _options(parent: ET.Element, props: dict[str, str]) -> None:
    """Symbol-layer properties in both the QGIS >= 3.26 ``Option`` map and the older
    ``prop`` list (each version reads the one it knows)."""
    opt = ET.SubElement(parent, "Option", type="Map")
    for k, v in props.items():
        ET.SubElement(opt, "Option", name=k, type="QString", value=v)
    for k, v in props.items():
        ET.SubElement(parent, "prop", k=k, v=v)


def _line_symbol(parent: ET.Element, name: str, colour: str,
                 dash: tuple[float, ...] | None, width: float = LINE_WIDTH_MM) -> None:
    sym = ET.SubElement(parent, "symbol", type="line", name=name, alpha="1",
                        clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(sym, "layer", {"class": "SimpleLine", "enabled": "1",
                                         "pass": "0", "locked": "0"})
    props = {"line_color": _rgba(colour), "line_width": f"{width:g}",
             "line_width_unit": "MM", "line_style": "solid", "capstyle": "round",
             "joinstyle": "round", "use_custom_dash": "1" if dash else "0",
             "customdash": ";".join(f"{d * width:g}" for d in dash) if dash else "5;2",
             "customdash_unit": "MM", "offset": "0", "offset_unit": "MM"}
    _options(layer, props)


def _fill_symbol(parent: ET.Element, name: str, fill: str, alpha: float, edge: str,
                 style: str = "solid") -> None:
    sym = ET.SubElement(parent, "symbol", type="fill", name=name, alpha="1",
                        clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(sym, "layer", {"class": "SimpleFill", "enabled": "1",
                                         "pass": "0", "locked": "0"})
    _options(layer, {"color": _rgba(fill, alpha), "style": style,
                     "outline_color": _rgba(edge), "outline_style": "solid",
                     "outline_width": "0.3", "outline_width_unit": "MM",
                     "joinstyle": "bevel"})


def _marker_symbol(parent: ET.Element, name: str, colour: str, shape: str = "circle",
                   size: float = 2.6) -> None:
    sym = ET.SubElement(parent, "symbol", type="marker", name=name, alpha="1",
                        clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(sym, "layer", {"class": "SimpleMarker", "enabled": "1",
                                         "pass": "0", "locked": "0"})
    _options(layer, {"name": shape, "color": _rgba(colour), "outline_color": "255,255,255,255",
                     "outline_width": "0.3", "outline_width_unit": "MM", "size": f"{size:g}",
                     "size_unit": "MM"})


def _document(categories: str) -> ET.Element:
    return ET.Element("qgis", version=QGIS_VERSION, styleCategories=categories)


def _temporal(root: ET.Element, date_field: str | None, days: int) -> None:
    """The layer's temporal settings: each feature valid ``days`` days from its date
    (``Single field with date/time``, an event duration)."""
    t = ET.SubElement(root, "temporal", {
        "enabled": "1" if date_field else "0", "mode": "1" if date_field else "0",
        "startField": date_field or "", "endField": "", "durationField": "",
        "durationUnit": "d", "fixedDuration": str(days), "accumulate": "0",
        "limitMode": "0", "startExpression": "", "endExpression": ""})
    fixed = ET.SubElement(t, "fixedRange")
    ET.SubElement(fixed, "start")
    ET.SubElement(fixed, "end")


def _text(root: ET.Element) -> str:
    ET.indent(root, space=" ")
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + ET.tostring(root, encoding="unicode") + "\n")


def band_names(profile: Any) -> list[str]:
    """held, the profile's bands (nearest first), beyond."""
    return list(profile.names)


def band_lines_qml(profile: Any, field: str = "band", *, date_field: str | None = None,
                   days: int = 1, labels: dict[str, str] | None = None) -> str:
    """A categorised line style: one category per band value of ``field`` in the band's
    colour and dash pattern (held and beyond solid)."""
    names = band_names(profile)
    colours = palette.band_colours(profile)
    dashes = palette.band_dashes(profile)
    root = _document("Symbology|Temporal")
    rend = ET.SubElement(root, "renderer-v2", type="categorizedSymbol", attr=field,
                         symbollevels="0", enableorderby="0", forceraster="0")
    cats = ET.SubElement(rend, "categories")
    for i, n in enumerate(names):
        ET.SubElement(cats, "category", render="true", symbol=str(i), value=n,
                      label=(labels or {}).get(n, n))
    syms = ET.SubElement(rend, "symbols")
    for i, (c, d) in enumerate(zip(colours, dashes, strict=True)):
        _line_symbol(syms, str(i), c, d, LINE_WIDTH_MM * (1.5 if i == 0 else 1.0))
    _temporal(root, date_field, days)
    return _text(root)


def area_qml(kind: str = "held", *, date_field: str | None = "date", days: int = 1) -> str:
    """A fill style for held territory (``kind="held"``) or the grey zone (``"grey"``,
    hatched), with the temporal controller on ``date_field``."""
    root = _document("Symbology|Temporal")
    rend = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0",
                         enableorderby="0", forceraster="0")
    syms = ET.SubElement(rend, "symbols")
    if kind == "grey":
        _fill_symbol(syms, "0", palette.GREY_FILL, 0.6, palette.GREY_FILL, "b_diagonal")
    else:
        _fill_symbol(syms, "0", palette.HELD_FILL, palette.HELD_ALPHA, palette.HELD_EDGE)
    _temporal(root, date_field, days)
    return _text(root)


def points_qml(colour: str = "#303030", *, date_field: str | None = None, days: int = 1,
               shape: str = "circle") -> str:
    """A single-symbol point style, with the temporal controller on ``date_field``."""
    root = _document("Symbology|Temporal")
    rend = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0",
                         enableorderby="0", forceraster="0")
    syms = ET.SubElement(rend, "symbols")
    _marker_symbol(syms, "0", colour, shape)
    _temporal(root, date_field, days)
    return _text(root)


def shipped_bands_qml() -> str:
    """The line style for the default bands shipped with the package
    (``supplyline/viz/styles/bands.qml``, field ``band``)."""
    return resources.files("supplyline.viz").joinpath("styles/bands.qml").read_text("utf-8")
