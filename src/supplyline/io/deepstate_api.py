"""The DeepStateMap API format: one snapshot of the map layer -> held, grey, taken back.

A snapshot (``GET <api>/api/history/<id>/geojson``, stored as
``deepstate-raw/<unix-seconds>.geojson``) is a GeoJSON FeatureCollection with every layer
of the DeepStateMap site: held territory, the grey zone (uncertain status), areas taken
back, long-held areas (Crimea, the areas held before 2022, Tuzla), polygons far outside
Ukraine labelled "occupied" and thousands of points (places, units, airfields). Only the
``name`` property says what a polygon is, in three generations of wording:

========  =====================================================  ==========================
period    name                                                   example
========  =====================================================  ==========================
2022      Ukrainian only                                         ``Окуповано``, ``ОРДЛО``
2022-24   Ukrainian /// English                                  ``Звільнено /// Liberated``
2024-     Ukrainian /// English /// i18n key                     ``... /// geoJSON.status.unknown``
========  =====================================================  ==========================

with stray (non-breaking) spaces, new lines, dates (``Звільнено 25.03``) and, in a few
snapshots, letters lost to a broken encoding (U+FFFD). :func:`classify_name` maps any
string to one :class:`Kind`:

1. an i18n key decides when there is one (``geoJSON.status.occupied`` held,
   ``.unknown`` grey, ``.dismissed`` / ``.dismissed_at`` taken back,
   ``geoJSON.territories.crimea|ordlo|tuzla`` held before 2022, the other known
   ``geoJSON.territories.*`` keys foreign; any other key is *unknown*);
2. otherwise the words of every part (Ukrainian and English), checked in this order:
   foreign places (Transnistria, Abkhazia, Karelia, ...), held before 2022 (Crimea, ORDLO,
   Tuzla), uncertain status, taken back, held. A letter lost to U+FFFD matches any letter.
3. anything else is *unknown*.

Snake Island (``Зміїний``, ``geoJSON.zmiinyi_island``) is a *label*: its name carries no
status (held in April-May 2022, taken back since), so its fill colour decides. A polygon
whose name is unknown also takes its class from the DeepStateMap fill colour when that
colour is one of the status colours (:data:`STATUS_COLOURS`: dark red held, grey
uncertain, blue/green taken back); the name is still counted in
:attr:`SnapshotStats.unknown_names` (and :attr:`SnapshotStats.by_colour`), so it is never
silently dropped nor silently counted as held. Unknown names with any other colour are
left out (and counted).

**Territory of Ukraine only.** Foreign names and keys are left out (rules 1-2). Then every
polygon part of a held, grey or taken-back feature is clipped to Ukraine's outline: the
union of the oblast polygons of ``admin/ukraine-oblasts.geojson`` with inner holes (Kyiv
city) filled, widened by :data:`OUTLINE_MARGIN_DEG` (~5 km) so that coasts and border
lines drawn a little outside stay whole. Parts with nothing left are counted per name in
:attr:`SnapshotStats.outside_ukraine` (in 2024-25 the grey and taken-back polygons of the
Kursk incursion), and the area cut off in :attr:`SnapshotStats.clipped_km2`. The named
Ukrainian territories (Crimea, ORDLO, Tuzla, Snake Island) are kept whole: the two islands
lie off the land outline. Without an outline the coarse box :data:`UKRAINE_BOX` is used.

Geometry: points are skipped, Z is dropped, invalid polygons are repaired
(``make_valid``), non-polygon parts removed. Held = union of the held and held-before-2022
parts; grey = union of the uncertain parts minus held; taken back = union of the
taken-back parts minus held and grey (so the three layers never overlap).

Time: a snapshot's time is its unix-seconds file name (or the ``datetime`` of the wrapped
``/api/history/last`` form); its **day is the UTC date**, and several snapshots of one
day give way to the last (:func:`last_per_day`).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from ..errors import DataFormatError
from .sources import RAW_PATTERN

#: Ukraine's outline is widened by this much (degrees, ~5 km) for coasts and border lines.
OUTLINE_MARGIN_DEG = 0.05
#: Coarse lon/lat box of Ukraine, used when no oblast polygons are available.
UKRAINE_BOX = (22.0, 44.2, 40.3, 52.5)


class Kind(enum.StrEnum):
    """What a polygon of a snapshot is."""

    HELD = "held"                  # occupied since 2022
    HELD_BEFORE_2022 = "held_before_2022"  # Crimea, ORDLO, Tuzla
    GREY = "grey"                  # uncertain status
    TAKEN_BACK = "taken_back"      # liberated
    FOREIGN = "foreign"            # outside Ukraine (incl. Transnistria)
    LABEL = "label"                # a Ukrainian place without status (Snake Island)
    UNKNOWN = "unknown"            # a name no rule recognises

    @property
    def is_held(self) -> bool:
        return self in (Kind.HELD, Kind.HELD_BEFORE_2022)

    @property
    def named_territory(self) -> bool:
        """Named Ukrainian territories are kept whole (not clipped to the outline)."""
        return self in (Kind.HELD_BEFORE_2022, Kind.LABEL)


# ------------------------------------------------------------------------ name rules

#: i18n keys (``geoJSON.<group>.<key>``) and what they mean.
I18N_KEYS: dict[str, Kind] = {
    "status.occupied": Kind.HELD,
    "status.unknown": Kind.GREY,
    "status.dismissed": Kind.TAKEN_BACK,
    "status.dismissed_at": Kind.TAKEN_BACK,
    "territories.crimea": Kind.HELD_BEFORE_2022,
    "territories.ordlo": Kind.HELD_BEFORE_2022,
    "territories.tuzla": Kind.HELD_BEFORE_2022,
    "zmiinyi_island": Kind.LABEL,
    **{f"territories.{k}": Kind.FOREIGN for k in (
        "transnistria", "abkhazia", "tskhinvali-district", "karelia", "ichkeria", "prussia",
        "estonia", "latvia", "pechorsky-district", "petsamo", "salla", "kuril")},
}

#: Word stems per class, checked in this order on the normalised (case-folded) name.
WORD_RULES: tuple[tuple[Kind, tuple[str, ...]], ...] = (
    (Kind.FOREIGN, (
        "придністров", "transnistria", "абхаз", "abkhaz", "цхінвал", "tskhinval", "карел",
        "karelia", "ічкер", "ichkeria", "естон", "estonia", "латв", "latvia", "печорськ",
        "pechorsk", "саатсе", "saaste", "петсамо", "petsamo", "салла", "salla", "курил",
        "kuril", "прусс", "prussia")),
    (Kind.HELD_BEFORE_2022, ("крим", "crimea", "ордло", "cadr", "calr", "тузла", "tuzla")),
    (Kind.LABEL, ("зміїн", "snake island", "zmiinyi")),
    (Kind.GREY, (
        "невідом", "unknown", "під питанням", "in doubt", "contested", "contenesed",
        "contensed", "сіра зона", "grey zone", "gray zone", "немає інформації",
        "no information")),
    (Kind.TAKEN_BACK, (
        "звільн", "liberated", "taken back", "recaptured", "відбит", "відкинуто",
        "pushed back", "контролем зсу")),
    (Kind.HELD, ("окуп", "occupied", "occupation", "зайнят", "захоплен", "captured")),
)

#: DeepStateMap fill colours of the status layers (used only for unknown names).
STATUS_COLOURS: dict[str, Kind] = {
    "#a52714": Kind.HELD,
    "#bcaaa4": Kind.GREY, "#bdbdbd": Kind.GREY, "#757575": Kind.GREY,
    "#0288d1": Kind.TAKEN_BACK, "#0f9d58": Kind.TAKEN_BACK, "#01579b": Kind.TAKEN_BACK,
}

_KEY = re.compile(r"geojson\.([a-z0-9_\-]+(?:\.[a-z0-9_\-]+)*)")
_SPACE = re.compile(r"\s+")
_LOST = "\ufffd"


def normalise_name(name: object) -> str:
    """``name`` as one case-folded line: NFKC (non-breaking spaces become spaces),
    whitespace runs (new lines included) collapsed, trimmed."""
    if name is None:
        return ""
    text = unicodedata.normalize("NFKC", str(name))
    return _SPACE.sub(" ", text).strip().casefold()


@lru_cache(maxsize=256)
def _lossy(stem: str) -> re.Pattern[str]:
    """A pattern for ``stem`` where any letter may be lost to one or two U+FFFD."""
    return re.compile("".join(f"(?:{re.escape(c)}|{_LOST}{{1,2}})" for c in stem))


def _has(text: str, stem: str) -> bool:
    if stem in text:
        return True
    return _LOST in text and _lossy(stem).search(text) is not None


def i18n_key(name: object) -> str | None:
    """The ``geoJSON.…`` key of a third-generation name, without its prefix
    (``status.occupied``), or None."""
    m = _KEY.search(normalise_name(name))
    return m.group(1) if m else None


@lru_cache(maxsize=4096)
def _classify(text: str) -> Kind:
    key = _KEY.search(text)
    if key is not None:
        return I18N_KEYS.get(key.group(1), Kind.UNKNOWN)
    for kind, stems in WORD_RULES:
        if any(_has(text, s) for s in stems):
            return kind
    return Kind.UNKNOWN


def classify_name(name: object) -> Kind:
    """The :class:`Kind` of a feature name (any object; never raises).

    >>> classify_name("Окуповано /// Occupied\\xa0/// geoJSON.status.occupied\\n")
    <Kind.HELD: 'held'>
    >>> classify_name("Звільнено 25.03 /// Liberated 25.03")
    <Kind.TAKEN_BACK: 'taken_back'>
    >>> classify_name("Придністров'я")
    <Kind.FOREIGN: 'foreign'>
    """
    try:
        return _classify(normalise_name(name))
    except Exception:  # noqa: BLE001 - a name must never stop a load
        return Kind.UNKNOWN


def classify_feature(name: object, fill: object = None) -> tuple[Kind, str]:
    """(kind, how) of a polygon feature: by its name, else by a status fill colour
    (how = "name", "colour" or "none")."""
    kind = classify_name(name)
    if kind not in (Kind.UNKNOWN, Kind.LABEL):
        return kind, "name"
    colour = fill.strip().lower() if isinstance(fill, str) else ""
    if colour in STATUS_COLOURS:
        return STATUS_COLOURS[colour], "colour"
    return Kind.UNKNOWN, "none"


# ------------------------------------------------------------------------ outline

@dataclass(frozen=True)
class Outline:
    """Ukraine's outline in lon/lat (prepared), and where it came from."""

    geometry: Any
    origin: str

    def clip(self, parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each polygon clipped to the outline (empty where it lies wholly outside), and
        a mask of the polygons that were not wholly inside."""
        parts = np.asarray(parts, dtype=object)
        out = parts.copy()
        if not len(parts):
            return out, np.zeros(0, dtype=bool)
        inside = shapely.contains_properly(self.geometry, parts)
        apart = ~inside & ~shapely.intersects(self.geometry, parts)
        out[apart] = shapely.Polygon()
        cut = np.flatnonzero(~inside & ~apart)
        if len(cut):
            out[cut] = shapely.intersection(parts[cut], self.geometry)
        return out, ~inside


def box_outline() -> Outline:
    """The coarse fallback outline :data:`UKRAINE_BOX`."""
    geom = shapely.box(*UKRAINE_BOX)
    shapely.prepare(geom)
    return Outline(geom, "box")


def ukraine_outline(oblasts_path: str | os.PathLike[str] | None) -> Outline:
    """Ukraine's outline from the oblast polygons (holes filled, widened by
    :data:`OUTLINE_MARGIN_DEG`); the coarse box when ``oblasts_path`` is None."""
    if oblasts_path is None:
        return box_outline()
    p = Path(oblasts_path)
    try:
        st = p.stat()
    except OSError as exc:
        raise DataFormatError(f"{p}: cannot read the oblast polygons ({exc.strerror})") from None
    return _outline(str(p.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=4)
def _outline(path: str, size: int, mtime_ns: int) -> Outline:
    del size, mtime_ns  # part of the memo key only
    try:
        doc = json.loads(Path(path).read_bytes())
        geoms = [_geometry(f.get("geometry")) for f in doc["features"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataFormatError(
            f"{path}: not a GeoJSON FeatureCollection of oblast polygons ({exc})") from None
    parts = [p for g in geoms for p in _polygon_parts(g)]
    if not parts:
        raise DataFormatError(f"{path}: no oblast polygons found; expected Ukraine's oblasts")
    union = shapely.union_all(shapely.make_valid(np.asarray(parts, dtype=object)))
    filled = shapely.union_all([shapely.Polygon(p.exterior) for p in _polygon_parts(union)])
    geom = shapely.buffer(filled, OUTLINE_MARGIN_DEG)
    shapely.prepare(geom)
    return Outline(geom, f"oblasts ({Path(path).name})")


# ------------------------------------------------------------------------ geometry

def _ring(coords: Any) -> np.ndarray | None:
    try:
        arr = np.asarray(coords, dtype=float)
        if arr.ndim != 2 or arr.shape[1] < 2:
            raise ValueError
    except (ValueError, TypeError):
        try:  # mixed 2-D / 3-D positions
            arr = np.asarray([c[:2] for c in coords], dtype=float)
        except (ValueError, TypeError, IndexError, KeyError):
            return None
        if arr.ndim != 2 or arr.shape[1] != 2:
            return None
    arr = arr[:, :2]
    if not np.isfinite(arr).all() or len(arr) < 3:
        return None
    return arr


def _polygon(rings: Any) -> Any:
    if not isinstance(rings, list) or not rings:
        return None
    shell = _ring(rings[0])
    if shell is None:
        return None
    holes = [h for h in (_ring(r) for r in rings[1:]) if h is not None]
    try:
        return shapely.Polygon(shell, holes)
    except (ValueError, shapely.errors.GEOSException):
        return None


def _geometry(g: Any) -> Any:
    """A shapely geometry (2-D, polygons only, possibly invalid) from a GeoJSON geometry
    dict; None for points, null and malformed geometries."""
    if not isinstance(g, Mapping):
        return None
    kind = g.get("type")
    if kind == "Polygon":
        return _polygon(g.get("coordinates"))
    if kind == "MultiPolygon":
        coords = g.get("coordinates")
        polys = [p for p in (_polygon(r) for r in coords)] if isinstance(coords, list) else []
        polys = [p for p in polys if p is not None]
        return shapely.MultiPolygon(polys) if polys else None
    if kind == "GeometryCollection":
        members = g.get("geometries")
        parts = [_geometry(m) for m in members] if isinstance(members, list) else []
        parts = [p for p in parts if p is not None]
        return shapely.GeometryCollection(parts) if parts else None
    return None


def _polygon_parts(g: Any) -> list:
    """The non-empty polygons in ``g`` (any nesting of collections)."""
    if g is None or g.is_empty:
        return []
    if g.geom_type == "Polygon":
        return [g]
    if g.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [p for sub in g.geoms for p in _polygon_parts(sub)]
    return []


def _has_z(g: Any) -> bool:
    try:
        coords = g["coordinates"]
        while isinstance(coords, list) and coords and isinstance(coords[0], list):
            coords = coords[0]
        return isinstance(coords, list) and len(coords) > 2
    except (KeyError, TypeError, IndexError):
        return False


def _union(parts: list) -> Any:
    if not parts:
        return shapely.MultiPolygon()
    u = shapely.union_all(np.asarray(parts, dtype=object))
    return as_multipolygon(u)


def minus(g: Any, cutter: Any) -> Any:
    """``g`` minus ``cutter`` as a MultiPolygon, part by part: only the parts of ``g``
    that meet ``cutter`` are cut (the same result as one overlay of the whole
    geometries, faster for large ones)."""
    g = as_multipolygon(g)
    if g.is_empty or cutter is None or cutter.is_empty:
        return g
    parts = shapely.get_parts(g)
    shapely.prepare(cutter)
    hit = np.flatnonzero(shapely.intersects(cutter, parts))
    if not len(hit):
        return g
    parts[hit] = shapely.difference(parts[hit], cutter)
    kept = [p for x in parts for p in _polygon_parts(x if x.is_valid else shapely.make_valid(x))
            if p.area > 0]
    return shapely.MultiPolygon(kept) if kept else shapely.MultiPolygon()


def as_multipolygon(g: Any) -> Any:
    """``g`` as a valid MultiPolygon (non-polygon parts and empty parts dropped)."""
    if g is None or g.is_empty:
        return shapely.MultiPolygon()
    if not g.is_valid:
        g = shapely.make_valid(g)
    parts = [p for p in _polygon_parts(g) if p.area > 0]
    return shapely.MultiPolygon(parts) if parts else shapely.MultiPolygon()


# ------------------------------------------------------------------------ snapshot

@dataclass
class SnapshotStats:
    """What a snapshot held and what the loader did with it."""

    features: int = 0
    points: int = 0
    null_geometries: int = 0
    bad_geometries: int = 0
    invalid_repaired: int = 0
    z_dropped: int = 0
    #: polygon parts kept, per kind
    parts: Counter = field(default_factory=Counter)
    #: names no rule recognises -> features
    unknown_names: Counter = field(default_factory=Counter)
    #: unknown names classified by their fill colour -> "kind"
    by_colour: dict = field(default_factory=dict)
    #: names of parts left out because they lie outside Ukraine -> parts
    outside_ukraine: Counter = field(default_factory=Counter)
    #: area cut off by clipping to Ukraine's outline (km2)
    clipped_km2: float = 0.0
    #: foreign features (by name or key) -> features
    foreign: Counter = field(default_factory=Counter)
    outline: str = ""

    def as_dict(self) -> dict:
        return {
            "features": self.features, "points": self.points,
            "null_geometries": self.null_geometries, "bad_geometries": self.bad_geometries,
            "invalid_repaired": self.invalid_repaired, "z_dropped": self.z_dropped,
            "parts": dict(self.parts), "unknown_names": dict(self.unknown_names),
            "by_colour": dict(self.by_colour), "outside_ukraine": dict(self.outside_ukraine),
            "clipped_km2": round(self.clipped_km2, 3),
            "foreign": dict(self.foreign), "outline": self.outline,
        }


@dataclass
class Snapshot:
    """One parsed snapshot, in lon/lat: held territory, grey zone and areas taken back
    (three disjoint MultiPolygons), its time (UTC) when known, and its stats."""

    held: Any
    grey: Any
    taken_back: Any
    time: dt.datetime | None = None
    id: str | None = None
    stats: SnapshotStats = field(default_factory=SnapshotStats)

    @property
    def day(self) -> dt.date | None:
        """The UTC date of the snapshot."""
        return self.time.date() if self.time is not None else None

    @property
    def has_polygons(self) -> bool:
        return not self.held.is_empty

    def metric(self) -> tuple[Any, Any, Any]:
        """(held, grey, taken_back) in the metric CRS."""
        from ..crs import to_metric

        return tuple(to_metric(np.asarray([self.held, self.grey, self.taken_back],
                                          dtype=object)))


def unix_to_utc(seconds: int | float) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(seconds), tz=dt.UTC)


def parse_api_datetime(value: object) -> dt.datetime | None:
    """An API ``datetime`` (ISO 8601, ``Z`` or offset; or unix seconds) as UTC, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return unix_to_utc(value)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return parse_api_datetime(int(text))
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _load_doc(source: bytes | str | os.PathLike[str] | Mapping, label: str) -> Any:
    if isinstance(source, Mapping):
        return source
    if isinstance(source, bytes | bytearray | memoryview):
        raw = bytes(source)
    else:
        try:
            raw = Path(source).read_bytes()
        except OSError as exc:
            raise DataFormatError(f"{label}: cannot read ({exc.strerror or exc})") from None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        head = raw[:40].lstrip()[:1]
        what = "an HTML page" if head == b"<" else "not JSON"
        raise DataFormatError(
            f"{label}: {what} ({str(exc)[:80]}); expected a DeepStateMap GeoJSON "
            f"FeatureCollection") from None


def unwrap(doc: Any, label: str = "snapshot") -> tuple[dict, str | None, dt.datetime | None]:
    """(FeatureCollection, id, time) of a snapshot document: a FeatureCollection, or the
    wrapped form of ``/api/history/last`` (``{"id", "datetime", "map": {...}}``)."""
    ident, when = None, None
    if isinstance(doc, Mapping) and doc.get("type") != "FeatureCollection" and "map" in doc:
        ident = None if doc.get("id") is None else str(doc.get("id"))
        when = parse_api_datetime(doc.get("datetime"))
        if when is None and ident is not None and ident.isdigit():
            when = parse_api_datetime(int(ident))
        doc = doc["map"]
        if isinstance(doc, str):  # some clients serve the layer as a JSON string
            try:
                doc = json.loads(doc)
            except ValueError:
                raise DataFormatError(f"{label}: 'map' is not JSON; expected a "
                                      f"FeatureCollection") from None
    if not isinstance(doc, Mapping) or doc.get("type") != "FeatureCollection" \
            or not isinstance(doc.get("features"), list):
        kind = doc.get("type") if isinstance(doc, Mapping) else type(doc).__name__
        raise DataFormatError(f"{label}: type {kind!r}; expected a DeepStateMap GeoJSON "
                              f"FeatureCollection (or the wrapped form with 'map')")
    return dict(doc), ident, when


def parse_snapshot(source: bytes | str | os.PathLike[str] | Mapping, *,
                   outline: Outline | None = None, time: dt.datetime | None = None,
                   label: str | None = None) -> Snapshot:
    """Parse one snapshot into held territory, grey zone and areas taken back (lon/lat).

    Parameters
    ----------
    source
        The snapshot as bytes, a path (``<unix-seconds>.geojson`` gives the time), or a
        decoded JSON document; a FeatureCollection or the wrapped ``/api/history/last``
        form.
    outline
        Ukraine's outline (:func:`ukraine_outline`); default the coarse box.
    time
        The snapshot time (UTC) when neither the file name nor the document says it.
    label
        Name used in error messages (default: the path, or "snapshot").

    Returns
    -------
    Snapshot
        Held, grey and taken-back MultiPolygons (disjoint) and :class:`SnapshotStats`.

    Raises
    ------
    DataFormatError
        The source is not JSON, is HTML, or is not a FeatureCollection (one line).
    """
    if label is None:
        label = str(source) if isinstance(source, str | os.PathLike) else "snapshot"
    if time is None and isinstance(source, str | os.PathLike):
        m = RAW_PATTERN.match(Path(source).name)
        time = unix_to_utc(int(m.group(1))) if m else None
    doc, ident, when = unwrap(_load_doc(source, label), label)
    outline = outline or box_outline()
    stats = SnapshotStats(outline=outline.origin)
    groups: dict[Kind, list] = {Kind.HELD: [], Kind.GREY: [], Kind.TAKEN_BACK: []}
    for feat in doc["features"]:
        stats.features += 1
        _collect(feat, stats, groups)
    for kind in groups:
        groups[kind] = _clip_to_ukraine(groups[kind], outline, stats)
    held = _union(groups[Kind.HELD])
    grey = minus(_union(groups[Kind.GREY]), held)
    taken = minus(minus(_union(groups[Kind.TAKEN_BACK]), held), grey)
    return Snapshot(held, grey, taken, time=when or time, id=ident, stats=stats)


@dataclass
class _Part:
    geometry: Any
    label: str
    whole: bool  # a named Ukrainian territory: not clipped


def _collect(feat: Any, stats: SnapshotStats, groups: dict[Kind, list[_Part]]) -> None:
    if not isinstance(feat, Mapping):
        stats.bad_geometries += 1
        return
    g = feat.get("geometry")
    if g is None:
        stats.null_geometries += 1
        return
    if isinstance(g, Mapping) and g.get("type") in ("Point", "MultiPoint"):
        stats.points += 1
        return
    props = feat.get("properties")
    props = props if isinstance(props, Mapping) else {}
    name, label_kind = props.get("name"), classify_name(props.get("name"))
    kind, how = classify_feature(name, props.get("fill"))
    label = normalise_name(name)[:120]
    if label_kind is Kind.UNKNOWN:
        stats.unknown_names[label] += 1
    if how == "colour":
        stats.by_colour[label] = kind.value
    if kind is Kind.FOREIGN:
        stats.foreign[label] += 1
        return
    if kind is Kind.UNKNOWN:
        return
    geom = _geometry(g)
    if geom is None:
        if not (isinstance(g, Mapping) and g.get("type") in ("LineString", "MultiLineString")):
            stats.bad_geometries += 1  # lines are not areas: nothing to keep, not an error
        return
    if _has_z(g):
        stats.z_dropped += 1
    if not geom.is_valid:
        stats.invalid_repaired += 1
        geom = shapely.make_valid(geom)
    whole = label_kind.named_territory
    parts = [_Part(p, label, whole) for p in _polygon_parts(geom) if p.area > 0]
    groups[Kind.HELD if kind.is_held else kind].extend(parts)
    stats.parts[kind.value] += len(parts)


def _clip_to_ukraine(parts: list[_Part], outline: Outline, stats: SnapshotStats) -> list:
    """The polygons of ``parts`` clipped to the outline (named territories whole)."""
    if not parts:
        return []
    geoms = np.asarray([p.geometry for p in parts], dtype=object)
    whole = np.asarray([p.whole for p in parts], dtype=bool)
    clipped, changed = geoms.copy(), np.zeros(len(parts), dtype=bool)
    clipped[~whole], changed[~whole] = outline.clip(geoms[~whole])
    changed = np.flatnonzero(changed)
    if len(changed):
        from ..crs import to_metric

        lost = shapely.area(to_metric(geoms[changed])) - shapely.area(to_metric(clipped[changed]))
        stats.clipped_km2 += float(np.clip(lost, 0, None).sum()) / 1e6
    gone = shapely.is_empty(clipped) | (shapely.area(clipped) <= 0)
    for i in np.flatnonzero(gone):
        stats.outside_ukraine[parts[i].label] += 1
    return [p for g in clipped[~gone] for p in _polygon_parts(g)]


# ------------------------------------------------------------------------ files and days

def snapshot_time(path: str | os.PathLike[str]) -> dt.datetime | None:
    """The UTC time of a ``<unix-seconds>.geojson`` file, or None."""
    m = RAW_PATTERN.match(Path(path).name)
    return unix_to_utc(int(m.group(1))) if m else None


def last_per_day(files: Mapping[int, Any]) -> dict[dt.date, tuple[int, Any]]:
    """For snapshots keyed by unix seconds: the last one of each UTC day,
    ``{day: (unix, value)}`` in date order."""
    out: dict[dt.date, tuple[int, Any]] = {}
    for t in sorted(files):
        out[unix_to_utc(t).date()] = (t, files[t])
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class ApiSnapshot:
    """One entry of ``/api/history/public``: the snapshot id and its time (UTC)."""

    id: str
    time: dt.datetime

    @property
    def unix(self) -> int:
        return int(self.time.timestamp())

    @property
    def day(self) -> dt.date:
        return self.time.date()

    @property
    def filename(self) -> str:
        return f"{self.unix}.geojson"


def parse_history_list(raw: bytes | str | Any, label: str = "history list"
                       ) -> tuple[list[ApiSnapshot], int]:
    """The snapshots of a ``/api/history/public`` answer (sorted by time) and the number
    of entries skipped for lacking a usable id or datetime.

    Raises :class:`DataFormatError` when the answer is not a JSON list (HTML, truncated)."""
    if isinstance(raw, bytes | bytearray | str):
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            text = raw.lstrip()[:1] if isinstance(raw, str) else bytes(raw).lstrip()[:1]
            what = "an HTML page" if text in ("<", b"<") else "not JSON"
            raise DataFormatError(f"{label}: {what} ({str(exc)[:80]}); expected a JSON list "
                                  f"of {{id, datetime}}") from None
    else:
        doc = raw
    if isinstance(doc, Mapping):  # tolerate {"data": [...]} / {"items": [...]}
        doc = next((v for v in doc.values() if isinstance(v, list)), doc)
    if not isinstance(doc, list):
        raise DataFormatError(f"{label}: {type(doc).__name__}; expected a JSON list of "
                              f"{{id, datetime}}")
    out, skipped = [], 0
    for item in doc:
        snap = _api_item(item)
        if snap is None:
            skipped += 1
        else:
            out.append(snap)
    out.sort(key=lambda s: (s.time, s.id))
    return out, skipped


def _api_item(item: Any) -> ApiSnapshot | None:
    if not isinstance(item, Mapping):
        return None
    ident = item.get("id")
    if ident is None or isinstance(ident, bool) or not re.fullmatch(r"[\w\-]{1,64}",
                                                                        str(ident)):
        return None
    when = parse_api_datetime(item.get("datetime"))
    if when is None and str(ident).isdigit():
        when = parse_api_datetime(int(str(ident)))
    if when is None:
        return None
    return ApiSnapshot(str(ident), when)


def check_snapshot_file(path: str | os.PathLike[str], label: str) -> int:
    """Check a downloaded snapshot: JSON, a FeatureCollection (or the wrapped form), with
    at least one polygon feature. Returns the number of polygon features; raises
    :class:`DataFormatError` (one line) otherwise."""
    doc, _, _ = unwrap(_load_doc(path, label), label)
    polys = 0
    for f in doc["features"]:
        g = f.get("geometry") if isinstance(f, Mapping) else None
        if isinstance(g, Mapping) and g.get("type") in ("Polygon", "MultiPolygon",
                                                       "GeometryCollection"):
            polys += 1
    if polys == 0:
        raise DataFormatError(f"{label}: no polygon features; expected the DeepStateMap map "
                              f"layer")
    return polys
