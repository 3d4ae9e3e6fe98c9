"""Roads and railways from an OpenStreetMap ``.osm.pbf`` extract.

:func:`load_osm_lines` reads the ways tagged ``highway=*`` / ``railway=*`` with pyosmium
and returns them in the project's standard line schema (see :data:`OSM_LINE_COLUMNS`), so
the network builder can use them like the EuroGlobalMap layers:

========== ===============================================================================
column     meaning
========== ===============================================================================
mode       ``"road"`` or ``"rail"``
cls        road: ``motorway`` (motorway, trunk and their links), ``primary`` (primary and
           link), ``secondary`` (secondary, tertiary and links), ``local`` (unclassified,
           residential, living_street), ``unknown`` (``highway=road``); every other
           highway value (service, track, path, footway, cycleway, steps, construction,
           proposed, ...) is dropped. rail: ``rail`` (``railway=rail``), ``rail_service``
           (``railway=rail`` with ``service=yard|siding|spur``), ``rail_narrow``
           (``railway=narrow_gauge``); every other railway value (abandoned, disused,
           razed, construction, proposed, subway, tram, light_rail, ...) is dropped.
ref        national route numbers from ``ref`` (E-routes removed), ``;``-joined, or ``''``
eref       E-routes from ``ref`` and ``int_ref`` (e.g. ``Е-50``), ``;``-joined, or ``''``
surface    ``paved`` / ``unpaved`` / ``''`` from the ``surface`` tag
name       ``name`` tag or ``''``
seam_id    always ``''`` (OSM ways are not split at tile seams)
source_id  ``osm:way/<id>``
electrified, gauge, usage
           the rail tags of the same name (``''`` when absent, and for roads)
========== ===============================================================================

Geometries are 2D LineStrings in EPSG:4326, built in bulk with :func:`shapely.linestrings`
from the node locations. Nodes missing from the extract are left out of a way; a way with
fewer than two located nodes is skipped, and the number skipped is stored in
``gdf.attrs["osm_skipped_ways"]``. Areas (``area=yes``) are not lines and are dropped.
A way tagged both ``highway`` and ``railway`` gives one row per accepted mode.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from osmium.osm.mutable import Node, Way

from ..crs import GEOGRAPHIC_CRS
from ..errors import DataFormatError, SupplylineError
from .loaders import LINE_COLUMNS

__all__ = [
    "OSM_LINE_COLUMNS",
    "load_osm_lines",
    "road_class",
    "rail_class",
    "split_route_refs",
    "surface_class",
    "write_test_pbf",
]

log = logging.getLogger(__name__)

#: Attribute columns of the returned frame, in order (the ``geometry`` column follows).
OSM_LINE_COLUMNS: tuple[str, ...] = tuple(LINE_COLUMNS)

#: ``highway=*`` value -> road class. Values not listed are not roads for routing.
ROAD_CLASSES: dict[str, str] = {
    "motorway": "motorway",
    "motorway_link": "motorway",
    "trunk": "motorway",
    "trunk_link": "motorway",
    "primary": "primary",
    "primary_link": "primary",
    "secondary": "secondary",
    "secondary_link": "secondary",
    "tertiary": "secondary",
    "tertiary_link": "secondary",
    "unclassified": "local",
    "residential": "local",
    "living_street": "local",
    "road": "unknown",
}

#: ``railway=*`` value -> rail class. Values not listed are dropped.
RAIL_CLASSES: dict[str, str] = {"rail": "rail", "narrow_gauge": "rail_narrow"}

#: ``service=*`` values that make a ``railway=rail`` way a ``rail_service`` track.
RAIL_SERVICE_VALUES: frozenset[str] = frozenset({"yard", "siding", "spur"})

PAVED_SURFACES: frozenset[str] = frozenset(
    {"asphalt", "concrete", "paved", "paving_stones", "sett", "chipseal"}
)
UNPAVED_SURFACES: frozenset[str] = frozenset(
    {
        "unpaved",
        "gravel",
        "dirt",
        "ground",
        "compacted",
        "sand",
        "grass",
        "fine_gravel",
        "earth",
        "mud",
    }
)

MODES: tuple[str, ...] = ("road", "rail")

#: An E-route number: Latin "E" or Cyrillic "Е", then a digit, "-" or a space and a digit.
_EROUTE = re.compile(r"^[EЕ](?:\d|-|\s+\d)")

_EXPECTED = "expected an OpenStreetMap .osm.pbf file"
_BATCH_WAYS = 20_000
_MAX_BLOB_HEADER = 64 * 1024

# One row of attributes, in OSM_LINE_COLUMNS order.
_Row = tuple[str, str, str, str, str, str, str, str, str, str, str]


def road_class(highway: str) -> str | None:
    """Road class of a ``highway=*`` value, or ``None`` if it is not a road to keep."""
    return ROAD_CLASSES.get(highway)


def rail_class(railway: str, service: str = "") -> str | None:
    """Rail class of a ``railway=*`` value (with its ``service=*``), or ``None`` to drop."""
    cls = RAIL_CLASSES.get(railway)
    if cls == "rail" and service in RAIL_SERVICE_VALUES:
        return "rail_service"
    return cls


def surface_class(surface: str) -> str:
    """``"paved"``, ``"unpaved"`` or ``""`` for an OSM ``surface=*`` value."""
    value = surface.split(";", 1)[0].strip().lower()
    if value in PAVED_SURFACES:
        return "paved"
    if value in UNPAVED_SURFACES:
        return "unpaved"
    return ""


def split_route_refs(ref: str, int_ref: str = "") -> tuple[str, str]:
    """Split OSM ``ref`` (and ``int_ref``) into (national refs, E-routes), each ``;``-joined.

    ``"М-30;Е-50"`` -> ``("М-30", "Е-50")``. Only E-routes are taken from ``int_ref``.
    Values are kept as written (Latin or Cyrillic letters); duplicates are dropped.
    """
    national: list[str] = []
    eroutes: list[str] = []
    for part in ref.split(";"):
        part = part.strip()
        if not part:
            continue
        target = eroutes if _EROUTE.match(part) else national
        if part not in target:
            target.append(part)
    for part in int_ref.split(";"):
        part = part.strip()
        if part and _EROUTE.match(part) and part not in eroutes:
            eroutes.append(part)
    return ";".join(national), ";".join(eroutes)


def _empty_frame() -> gpd.GeoDataFrame:
    data = {col: pd.Series([], dtype=str) for col in OSM_LINE_COLUMNS}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs=GEOGRAPHIC_CRS))


def _check_bbox(
    bbox: Sequence[float] | None,
) -> tuple[float, float, float, float] | None:
    if bbox is None:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise SupplylineError(
            f"bbox {bbox!r}: expected four numbers (minx, miny, maxx, maxy) in lon/lat"
        ) from None
    if not all(map(math.isfinite, (minx, miny, maxx, maxy))) or minx > maxx or miny > maxy:
        raise SupplylineError(
            f"bbox {bbox!r}: expected minx <= maxx and miny <= maxy (lon/lat degrees)"
        )
    return minx, miny, maxx, maxy


def _check_modes(modes: Iterable[str]) -> frozenset[str]:
    wanted = frozenset(modes)
    unknown = sorted(wanted - set(MODES))
    if unknown:
        raise SupplylineError(f"modes {', '.join(unknown)}: expected any of road, rail")
    return wanted


def _check_pbf_header(path: Path) -> None:
    """Raise :class:`DataFormatError` unless ``path`` is a file that starts like a PBF."""
    if not path.exists():
        raise DataFormatError(f"{path}: file not found; {_EXPECTED}")
    if not path.is_file():
        raise DataFormatError(f"{path}: not a regular file; {_EXPECTED}")
    try:
        with path.open("rb") as fh:
            head = fh.read(4 + _MAX_BLOB_HEADER)
    except OSError as exc:
        raise DataFormatError(f"{path}: cannot be read ({exc.strerror}); {_EXPECTED}") from None
    if len(head) < 4:
        raise DataFormatError(f"{path}: file is empty or truncated; {_EXPECTED}")
    size = int.from_bytes(head[:4], "big")
    if not 0 < size <= _MAX_BLOB_HEADER or b"OSMHeader" not in head[4 : 4 + size]:
        raise DataFormatError(f"{path}: not a PBF file (no OSMHeader block); {_EXPECTED}")


class _Collector:
    """Accumulates way coordinates and attributes; turns them into geometries per batch."""

    def __init__(self, bbox: tuple[float, float, float, float] | None) -> None:
        self.box: shapely.Geometry | None = None
        if bbox is not None:
            self.box = shapely.box(*bbox)
            shapely.prepare(self.box)
        self.coords: list[tuple[float, float]] = []
        self.counts: list[int] = []
        self.rows: list[_Row] = []
        self.out_rows: list[_Row] = []
        self.out_geoms: list[np.ndarray] = []
        self.skipped = 0
        self.outside = 0

    def add(self, points: list[tuple[float, float]], rows: list[_Row]) -> None:
        for row in rows:
            self.coords.extend(points)
            self.counts.append(len(points))
            self.rows.append(row)
        if len(self.rows) >= _BATCH_WAYS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        coords = np.asarray(self.coords, dtype=np.float64).reshape(-1, 2)
        indices = np.repeat(np.arange(len(self.counts)), self.counts)
        geoms = shapely.linestrings(coords, indices=indices)
        rows = self.rows
        if self.box is not None:
            keep = shapely.intersects(geoms, self.box)
            self.outside += int(len(rows) - keep.sum())
            geoms = geoms[keep]
            rows = [row for row, k in zip(rows, keep, strict=True) if k]
        self.out_geoms.append(geoms)
        self.out_rows.extend(rows)
        self.coords, self.counts, self.rows = [], [], []

    def frame(self) -> gpd.GeoDataFrame:
        self.flush()
        if not self.out_rows:
            return _empty_frame()
        columns = list(zip(*self.out_rows, strict=True))
        data = {col: list(values) for col, values in zip(OSM_LINE_COLUMNS, columns, strict=True)}
        geometry = gpd.GeoSeries(np.concatenate(self.out_geoms), crs=GEOGRAPHIC_CRS)
        return gpd.GeoDataFrame(data, geometry=geometry)


def _way_points(nodes: osmium.osm.WayNodeList) -> list[tuple[float, float]]:
    """(lon, lat) of the located nodes of a way, in order."""
    try:
        return [(n.lon, n.lat) for n in nodes]
    except osmium.InvalidLocationError:
        out: list[tuple[float, float]] = []
        for n in nodes:
            loc = n.location
            if loc.valid():
                out.append((loc.lon, loc.lat))
        return out


def _tag(tags: osmium.osm.TagList, key: str) -> str:
    """The value of tag ``key``, "" when the way has none (``TagList.get`` is typed
    Optional whatever the default)."""
    return tags.get(key) or ""


def _tag_filter(wanted: frozenset[str]) -> osmium.filter.TagFilter:
    pairs: list[tuple[str, str]] = []
    if "road" in wanted:
        pairs += [("highway", value) for value in ROAD_CLASSES]
    if "rail" in wanted:
        pairs += [("railway", value) for value in RAIL_CLASSES]
    return osmium.filter.TagFilter(*pairs)


def _read(path: Path, wanted: frozenset[str], collector: _Collector) -> None:
    processor = (
        osmium.FileProcessor(osmium.io.File(str(path), "pbf"), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(_tag_filter(wanted))
    )
    want_road = "road" in wanted
    want_rail = "rail" in wanted
    for way in processor:
        assert isinstance(way, osmium.osm.Way), "the entity filter passes ways only"
        tags = way.tags
        if _tag(tags, "area") == "yes":
            continue
        road = road_class(_tag(tags, "highway")) if want_road else None
        rail = rail_class(_tag(tags, "railway"), _tag(tags, "service")) if want_rail else None
        if road is None and rail is None:
            continue
        points = _way_points(way.nodes)
        if len(points) < 2:
            collector.skipped += 1
            continue
        name = _tag(tags, "name")
        source_id = f"osm:way/{way.id}"
        rows: list[_Row] = []
        if road is not None:
            ref, eref = split_route_refs(_tag(tags, "ref"), _tag(tags, "int_ref"))
            surface = surface_class(_tag(tags, "surface"))
            rows.append(("road", road, ref, eref, surface, name, "", source_id, "", "", ""))
        if rail is not None:
            ref, eref = split_route_refs(_tag(tags, "ref"))
            rows.append(
                (
                    "rail",
                    rail,
                    ref,
                    eref,
                    "",
                    name,
                    "",
                    source_id,
                    _tag(tags, "electrified"),
                    _tag(tags, "gauge"),
                    _tag(tags, "usage"),
                )
            )
        collector.add(points, rows)


def load_osm_lines(
    path: str | Path,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    modes: tuple[str, ...] = ("road", "rail"),
) -> gpd.GeoDataFrame:
    """Load roads and/or railways from an OpenStreetMap ``.osm.pbf`` file.

    Parameters
    ----------
    path:
        The ``.osm.pbf`` extract.
    bbox:
        ``(minx, miny, maxx, maxy)`` in lon/lat; only ways intersecting it are kept.
    modes:
        Any of ``"road"``, ``"rail"``.

    Returns
    -------
    A GeoDataFrame in EPSG:4326 with the columns :data:`OSM_LINE_COLUMNS` and a 2D
    LineString ``geometry`` (empty, with the same columns, if nothing matched). The
    number of ways skipped for lack of node locations is in ``attrs["osm_skipped_ways"]``.

    Raises
    ------
    DataFormatError
        The file is missing, unreadable or not a valid PBF.
    SupplylineError
        ``bbox`` or ``modes`` is invalid.
    """
    path = Path(path).expanduser()
    box = _check_bbox(bbox)
    wanted = _check_modes(modes)
    _check_pbf_header(path)
    collector = _Collector(box)
    if wanted:
        try:
            _read(path, wanted, collector)
        except (RuntimeError, OSError) as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataFormatError(f"{path}: cannot read PBF data ({detail}); {_EXPECTED}") from None
    gdf = collector.frame()
    gdf.attrs["osm_skipped_ways"] = collector.skipped
    log.info(
        "%s: %d OSM lines (%d ways without node locations skipped, %d outside bbox)",
        path,
        len(gdf),
        collector.skipped,
        collector.outside,
    )
    return gdf


def write_test_pbf(
    path: str | Path,
    nodes: Mapping[int, tuple[float, float]],
    ways: Sequence[tuple[int, Sequence[int], Mapping[str, str]]],
) -> None:
    """Write a small ``.osm.pbf`` (for tests), overwriting ``path``.

    ``nodes`` maps node id -> ``(lon, lat)``; ``ways`` are ``(way id, node ids, tags)``.
    Node ids may refer to nodes that are not written (to test missing locations).
    Objects are written sorted by id, nodes before ways, as in a real extract.
    """
    target = osmium.io.File(str(Path(path)), "pbf")
    with osmium.SimpleWriter(target, overwrite=True) as writer:
        for node_id in sorted(nodes):
            lon, lat = nodes[node_id]
            writer.add_node(Node(id=node_id, location=(lon, lat), version=1))
        for way_id, node_ids, tags in sorted(ways, key=lambda w: w[0]):
            writer.add_way(Way(id=way_id, nodes=list(node_ids), tags=dict(tags), version=1))
