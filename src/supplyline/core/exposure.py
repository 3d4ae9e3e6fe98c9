"""Exposure: threat bands and each network edge's clearance from held territory.

A :class:`ThreatProfile` is an ordered list of named distance bands from held territory.
The default profile is an *assumption* for strategic-scale analysis, not a measurement:

=========  =======  ==========================================================
band       max km   reasoning
=========  =======  ==========================================================
contact    3        direct-fire / small-drone contact zone at the line of contact
fpv        15       typical operational reach of FPV strike drones (10-20 km)
tube       25       155 / 152 mm tube artillery with standard rounds (~20-30 km)
rocket     45       multiple-rocket artillery, 122 mm and guided 227 mm (~40-70 km)
=========  =======  ==========================================================

Profiles load from TOML, JSON or YAML (``[[band]] name = "fpv" max_km = 15``) or a
command-line string ``"contact=3,fpv=15,tube=25,rocket=45"``.
"""

from __future__ import annotations

import json
import numbers
import re
import tomllib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import shapely

from .._kdtree import cKDTree
from ..errors import DataFormatError

HELD = "held"
BEYOND = "beyond"


@dataclass(frozen=True)
class Band:
    name: str
    max_km: float
    note: str = ""


DEFAULT_BANDS = (
    Band("contact", 3, "line-of-contact zone: direct fire, small drones"),
    Band("fpv", 15, "FPV strike drones, typical reach 10-20 km"),
    Band("tube", 25, "155/152 mm tube artillery, standard rounds ~20-30 km"),
    Band("rocket", 45, "multiple-rocket artillery, 122 mm / guided 227 mm ~40-70 km"),
)


#: Band names: 1-40 letters (any script), digits, spaces and ``_ . + / -``, starting with
#: a letter or digit (no markup characters: names appear in tables, maps and HTML).
BAND_NAME = re.compile(r"[^\W_][\w .+/-]{0,39}")
#: Band distances are in (0, MAX_BAND_KM] km.
MAX_BAND_KM = 1000.0
MAX_BANDS = 12
#: Profile files larger than this are refused.
MAX_PROFILE_BYTES = 1 << 20
PROFILE_SUFFIXES = (".toml", ".json", ".yaml", ".yml")


@dataclass(frozen=True)
class ThreatProfile:
    bands: tuple[Band, ...] = DEFAULT_BANDS

    def __post_init__(self) -> None:
        if not isinstance(self.bands, tuple | list) or not self.bands:
            raise DataFormatError("threat profile: at least one band is required")
        if len(self.bands) > MAX_BANDS:
            raise DataFormatError(f"threat profile: {len(self.bands)} bands (at most "
                                  f"{MAX_BANDS})")
        for b in self.bands:
            if not isinstance(b, Band):
                raise DataFormatError(f"threat profile: {b!r} is not a Band")
            if not isinstance(b.name, str) or not BAND_NAME.fullmatch(b.name):
                raise DataFormatError(
                    f"band name {b.name!r}: expected 1-40 letters, digits, spaces or "
                    "_ . + / -, starting with a letter or digit")
            if not _is_number(b.max_km):
                raise DataFormatError(f"band {b.name!r}: distance {b.max_km!r} is not a number")
        kms = [float(b.max_km) for b in self.bands]
        if (any(not (0 < k <= MAX_BAND_KM) for k in kms) or kms != sorted(kms)
                or len(set(kms)) != len(kms)):
            raise DataFormatError(
                f"threat profile: band distances {kms} must be increasing, each in "
                f"(0, {MAX_BAND_KM:g}] km"
            )
        names = [b.name for b in self.bands]
        if len(set(names)) != len(names) or HELD in names or BEYOND in names:
            raise DataFormatError(f"threat profile: band names {names} must be unique and not "
                                  f"'{HELD}'/'{BEYOND}'")

    @property
    def names(self) -> list[str]:
        """All classes from worst to best: held, bands..., beyond."""
        return [HELD, *(b.name for b in self.bands), BEYOND]

    @property
    def max_m(self) -> float:
        return self.bands[-1].max_km * 1000.0

    @property
    def cap_m(self) -> float:
        """Clearances are measured up to this distance (1.5 x the outer band); beyond it
        they read as the cap."""
        return self.max_m * 1.5

    def threshold_m(self, band: str) -> float:
        for b in self.bands:
            if b.name == band:
                return b.max_km * 1000.0
        raise DataFormatError(f"band {band!r}: not in the profile {[b.name for b in self.bands]}")

    def classify(self, clearance_m: np.ndarray, held: np.ndarray | None = None) -> np.ndarray:
        """Band index (0 = held, len(bands)+1 = beyond) for clearances in metres."""
        edges = np.array([b.max_km * 1000.0 for b in self.bands])
        idx = np.searchsorted(edges, np.asarray(clearance_m), side="left") + 1
        if held is not None:
            idx = np.where(held, 0, idx)
        return idx

    def band_name(self, clearance_m: float, held: bool = False) -> str:
        return self.names[int(self.classify(np.array([clearance_m]), np.array([held]))[0])]

    def as_dict(self) -> list[dict]:
        return [b.__dict__ for b in self.bands]

    @classmethod
    def parse(cls, spec: str) -> ThreatProfile:
        """``"contact=3,fpv=15,tube=25,rocket=45"`` (km). Raises :class:`DataFormatError`
        (one line) for anything else."""
        if not isinstance(spec, str):
            raise DataFormatError(f"bands {spec!r}: expected a string NAME=KM,...")
        bands = []
        for part in spec.split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise DataFormatError(f"band {part.strip()!r}: expected NAME=KM, e.g. fpv=15")
            name, km = (x.strip() for x in part.split("=", 1))
            if not name:
                raise DataFormatError(f"band {part.strip()!r}: the name before '=' is empty "
                                      "(expected NAME=KM, e.g. fpv=15)")
            try:
                value = float(km)
            except ValueError:
                raise DataFormatError(f"band {name!r}: distance {km!r} is not a number") from None
            bands.append(Band(name, value))
        if not bands:
            raise DataFormatError(f"bands {spec!r}: expected NAME=KM,... e.g. "
                                  "contact=3,fpv=15,tube=25,rocket=45")
        return cls(tuple(bands))

    @classmethod
    def load(cls, path: str | Path) -> ThreatProfile:
        """A profile file: TOML, JSON or YAML (YAML needs PyYAML) holding a list ``band``
        (or ``bands``) of ``{name, max_km, note}``. Any problem is one
        :class:`DataFormatError` line naming the file."""
        path = Path(path)
        doc = _parse_profile_text(path, _read_profile(path))
        if not isinstance(doc, dict):
            raise DataFormatError(f"{path}: expected a table/object with a list 'band' of "
                                  f"{{name, max_km}} entries, not a {_kind(doc)}")
        items = doc.get("band", doc.get("bands"))
        if not isinstance(items, list) or not items:
            raise DataFormatError(f"{path}: expected a list 'band' of {{name, max_km}} entries")
        bands = []
        for i, b in enumerate(items):
            ok = (isinstance(b, dict) and isinstance(b.get("name"), str)
                  and _is_number(b.get("max_km")) and isinstance(b.get("note", ""), str))
            if not ok:
                shown = repr(b)
                shown = shown if len(shown) <= 80 else shown[:77] + "..."
                raise DataFormatError(f"{path}: band #{i + 1} {shown}: expected a name "
                                      "(text), a numeric max_km and optionally a note (text)")
            bands.append(Band(b["name"].strip(), float(b["max_km"]), b.get("note", "")))
        try:
            return cls(tuple(bands))
        except DataFormatError as exc:
            raise DataFormatError(f"{path}: {exc}") from None


def _is_number(x: object) -> bool:
    """A real number (int/float/numpy), not a bool and not a string."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _kind(doc: object) -> str:
    return {list: "list", str: "string", type(None): "empty document"}.get(
        type(doc), type(doc).__name__)


def _read_profile(path: Path) -> str:
    """The text of a profile file, or one :class:`DataFormatError` line."""
    if path.suffix.lower() not in PROFILE_SUFFIXES:
        raise DataFormatError(f"{path}: expected a .toml, .json or .yaml threat profile")
    try:
        if path.is_dir():
            raise DataFormatError(f"{path}: is a directory, not a threat profile file")
        with open(path, "rb") as fh:
            raw = fh.read(MAX_PROFILE_BYTES + 1)
    except FileNotFoundError:
        raise DataFormatError(f"{path}: threat profile file not found") from None
    except OSError as exc:
        raise DataFormatError(f"{path}: cannot read the threat profile "
                              f"({exc.strerror or exc})") from None
    if len(raw) > MAX_PROFILE_BYTES:
        raise DataFormatError(f"{path}: larger than {MAX_PROFILE_BYTES // 1024} KiB; not a "
                              "threat profile")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"{path}: not UTF-8 text (byte {exc.start}); save the profile "
                              "as UTF-8") from None


def _parse_profile_text(path: Path, text: str) -> object:
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            return tomllib.loads(text)
        if suffix == ".json":
            return json.loads(text)
        try:
            import yaml  # optional dependency
        except ImportError:
            raise DataFormatError(f"{path}: reading YAML needs PyYAML (pip install "
                                  "pyyaml); or use a .toml/.json profile") from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise DataFormatError(f"{path}: cannot parse YAML: {problem}{where}") from None
    except DataFormatError:
        raise
    except RecursionError:
        raise DataFormatError(f"{path}: nested too deeply; not a threat profile") from None
    except (ValueError, TypeError) as exc:  # TOMLDecodeError / JSONDecodeError are ValueErrors
        raise DataFormatError(f"{path}: cannot parse {suffix[1:].upper()}: {exc}") from None


def clip_box(geom, x0: float, y0: float, x1: float, y1: float):
    """``shapely.clip_by_rect`` (a geometry or an array of them), robust: GEOS's fast
    rectangle clip throws on some valid polygons ("Invalid number of points in
    LinearRing"; Svitlodarsk, 2025-11-07 .. on); those are clipped by an exact
    intersection with the box instead (the same ground inside the box)."""
    try:
        return shapely.clip_by_rect(geom, x0, y0, x1, y1)
    except shapely.errors.GEOSException:
        pass
    box = shapely.box(x0, y0, x1, y1)
    if isinstance(geom, shapely.Geometry):
        return shapely.intersection(geom, box)
    out = np.empty(len(geom), dtype=object)
    for i, g in enumerate(geom):
        out[i] = clip_box(g, x0, y0, x1, y1)
    return out


#: Spacing of points along the held-territory boundary for clearance queries.
BOUNDARY_SPACING_M = 100.0
#: Coarser boundary spacing for the first, bounding pass over edge midpoints.
COARSE_SPACING_M = 500.0


@dataclass
class HeldIndex:
    """Spatial index over hostile ground for fast clearance queries (metric CRS).

    Hostile ground is held territory, or the union of several geometries given together
    (held territory, the grey zone, the other side of the state border): each is kept
    apart (no union is computed; they may overlap), and every question is answered for
    their union — inside any, nearest to any.

    Edge clearance is measured from sample points every 200 m along each edge to points
    every 100 m along the boundary (a KD-tree), so it may exceed the exact distance by
    at most ~150 m; whether an edge *touches* hostile ground is exact (prepared
    intersects).
    """

    components: tuple
    polygons: np.ndarray
    boundary_xy: np.ndarray
    kdtree: cKDTree | None = field(repr=False)
    coarse: cKDTree | None = field(default=None, repr=False)

    @classmethod
    def build(cls, geometry: shapely.Geometry | Sequence[shapely.Geometry],
              clip: shapely.Geometry | None = None) -> HeldIndex:
        geoms = [geometry] if isinstance(geometry, shapely.Geometry) else list(geometry)
        if clip is not None:
            geoms = [shapely.intersection(g, clip) for g in geoms]
        comps, all_polys = [], []
        for g in geoms:
            polys = shapely.get_parts(g)
            # polygons only, and no empty ones (an empty day or clip gives NaN distances)
            polys = polys[(shapely.get_type_id(polys) == 3) & ~shapely.is_empty(polys)]
            if len(polys):
                comps.append(polys)
                all_polys.append(polys)
        polys = np.concatenate(all_polys) if all_polys else np.empty(0, dtype=object)
        if len(polys) == 0:
            return cls((), polys, np.empty((0, 2)), None)
        boundary = shapely.boundary(polys)
        xy = shapely.get_coordinates(shapely.segmentize(boundary, BOUNDARY_SPACING_M))
        coarse = shapely.get_coordinates(shapely.segmentize(boundary, COARSE_SPACING_M))
        return cls(tuple(comps), polys, xy, cls._tree(xy), cls._tree(coarse))

    @staticmethod
    def _tree(xy: np.ndarray) -> cKDTree:
        """A KD-tree over boundary points: split at the sliding midpoint, cells not shrunk
        to the data, 32 points a leaf. Over points strung along lines this builds in about
        half the time of the default tree and answers the capped nearest-point searches of
        :meth:`edge_clearance` about 2-4x faster; the distances found are the same (only
        the index among equidistant points may differ, and no caller uses it)."""
        return cKDTree(xy, leafsize=32, balanced_tree=False, compact_nodes=False)

    def edge_clearance(self, net, edge_ids: np.ndarray | None, cap_m: float,
                       thresholds: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
        """(clearance capped at ``cap_m``, intersects-held flag) for edges of ``net``.

        With ``thresholds`` (band limits, m) only edges whose band is in doubt are measured
        at every sample point: the midpoint's distance d to the boundary sampled every
        500 m bounds an edge of length L to [d - 250 - L/2, d]; an edge whose interval
        holds no threshold (and lies beyond the first band) keeps d: its band is certain,
        its value at most 750 m high. Edges in doubt, and without thresholds every edge,
        are measured at every sample point (at most ~150 m high).
        """
        ids = np.arange(len(net.length)) if edge_ids is None else np.asarray(edge_ids)
        dist = np.full(len(ids), float(cap_m))
        inside = np.zeros(len(ids), bool)
        if self.kdtree is None or len(ids) == 0:
            return dist, inside
        if thresholds is None:
            dist = self.sampled_clearance(net, ids, cap_m)
        else:
            assert self.coarse is not None, "build() makes the coarse tree with the kdtree"
            half = net.length[ids] / 2
            d, _ = self.coarse.query(net.edge_mid_xy[ids], distance_upper_bound=cap_m + 2000)
            d = np.minimum(d, cap_m + 2000)
            lb = d - half - COARSE_SPACING_M / 2
            thr = np.asarray(thresholds, dtype=float)
            doubt = (lb <= thr[0]) | ((lb[:, None] <= thr[None, :]) & (d[:, None] > thr[None, :])
                                 ).any(axis=1)
            dist = np.minimum(d, cap_m)
            if doubt.any():
                dist[doubt] = self.sampled_clearance(net, ids[doubt], cap_m)
        # exact "touches held territory", tested only where the bound allows contact: an
        # edge whose midpoint is farther from the boundary than half its length is either
        # wholly outside or wholly inside, which its midpoint tells
        mid = net.edge_mid_xy[ids]
        near = dist <= net.length[ids] / 2 + BOUNDARY_SPACING_M
        inside = np.zeros(len(ids), bool)
        if near.any():
            inside[near] = self.intersects(net.lines(ids[near]))
        far = ~near
        if far.any():
            inside[far] = self.inside(mid[far])
        dist[inside] = 0.0
        return dist, inside

    @cached_property
    def prepared(self) -> tuple:
        """Each component as one prepared multipolygon (fast repeated predicates)."""
        out = []
        for polys in self.components:
            g = shapely.multipolygons(polys)
            shapely.prepare(g)
            out.append(g)
        return tuple(out)

    def intersects(self, geoms: np.ndarray) -> np.ndarray:
        """Exact flag per geometry: touches hostile ground (prepared intersects)."""
        hit = np.zeros(len(geoms), bool)
        for g in self.prepared:  # the prepared geometry first: only then is its index used
            rest = ~hit
            if rest.any():
                hit[rest] = shapely.intersects(g, geoms[rest])
        return hit

    def sampled_clearance(self, net, ids: np.ndarray, cap_m: float) -> np.ndarray:
        """Min distance over each edge's sample points (every 200 m), capped."""
        ids = np.asarray(ids)
        if self.kdtree is None or len(ids) == 0:
            return np.full(len(ids), float(cap_m))
        pts, n = net.sample_points(ids)
        d, _ = self.kdtree.query(pts, distance_upper_bound=cap_m)
        d = np.minimum(d, cap_m)
        return np.minimum.reduceat(d, np.concatenate([[0], np.cumsum(n)[:-1]]))

    def point_clearance(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact distance (m) from points to held territory, and whether they are inside."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        pts = shapely.points(xy)
        if len(self.polygons) == 0:
            return np.full(len(pts), np.inf), np.zeros(len(pts), bool)
        box = None
        if len(xy) <= 4 and self.kdtree is not None:
            # exact distance against the ground near the points only: the KD-tree bounds
            # the distance, so clipping to that bound loses nothing
            bound, _ = self.kdtree.query(xy)
            r = float(bound.max()) + 2 * BOUNDARY_SPACING_M
            box = (*(xy.min(axis=0) - r), *(xy.max(axis=0) + r))
        d = np.full(len(pts), np.inf)
        for g in self.prepared:
            near = g if box is None else clip_box(g, *box)
            if not near.is_empty:
                d = np.minimum(d, shapely.distance(pts, near))
        return d, d == 0

    def fast_point_clearance(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distance (m, at most ~50 m high: boundary sampled every 100 m) and the exact
        inside flag (prepared point-in-polygon), for many points at once."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        if self.kdtree is None:
            return np.full(len(xy), np.inf), np.zeros(len(xy), bool)
        d, _ = self.kdtree.query(xy)
        inside = self.inside(xy)
        return np.where(inside, 0.0, d), inside

    def inside(self, xy: np.ndarray) -> np.ndarray:
        """Exact flag per point: inside hostile ground (prepared point-in-polygon)."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        hit = np.zeros(len(xy), bool)
        for g in self.prepared:
            rest = ~hit
            if rest.any():
                hit[rest] = shapely.contains_xy(g, xy[rest, 0], xy[rest, 1])
        return hit


def near_boxes(xy: np.ndarray, boxes: np.ndarray, reach: float, cell: float = 5000.0
                ) -> np.ndarray:
    """Points within ``reach`` of any box (conservatively, on a ``cell`` grid)."""
    if not len(boxes):
        return np.zeros(len(xy), bool)
    if not np.isfinite(boxes).all():
        return np.ones(len(xy), bool)
    lo = xy.min(axis=0) - cell
    n = np.ceil((xy.max(axis=0) + cell - lo) / cell).astype(int) + 1
    b = boxes + np.array([-reach, -reach, reach, reach])
    i0 = np.clip(np.floor((b[:, [0, 1]] - lo) / cell).astype(int), 0, n - 1)
    i1 = np.clip(np.floor((b[:, [2, 3]] - lo) / cell).astype(int), 0, n - 1)
    grid = _cover(i0, i1, n)
    c = np.floor((xy - lo) / cell).astype(int)
    return grid[c[:, 1], c[:, 0]]


def _cover(i0: np.ndarray, i1: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Grid (n[1], n[0]) of the cells covered by the index rectangles i0..i1 (x, y;
    inclusive), without a loop over rectangles: +-1 at the corners, then prefix sums."""
    diff = np.zeros((n[1] + 1, n[0] + 1), np.int32)
    np.add.at(diff, (i0[:, 1], i0[:, 0]), 1)
    np.add.at(diff, (i0[:, 1], i1[:, 0] + 1), -1)
    np.add.at(diff, (i1[:, 1] + 1, i0[:, 0]), -1)
    np.add.at(diff, (i1[:, 1] + 1, i1[:, 0] + 1), 1)
    return diff.cumsum(axis=0).cumsum(axis=1)[:n[1], :n[0]] > 0


def within_reach(xy: np.ndarray, boxes: np.ndarray, reach: np.ndarray,
                 cell: float = 2000.0) -> np.ndarray:
    """Points that may lie within their own ``reach`` of some box (conservative: every
    point that does is flagged, and a few up to ``cell`` x sqrt(2) farther).

    The boxes are replaced by the ``cell`` grid squares they cover; a point is flagged
    when the nearest covered square's centre is within reach + half the square's diagonal.
    """
    reach = np.broadcast_to(np.asarray(reach, dtype=float), (len(xy),))
    if not len(boxes) or not len(xy):
        return np.zeros(len(xy), bool)
    if not np.isfinite(boxes).all():
        return np.ones(len(xy), bool)
    endless = ~np.isfinite(reach)
    if endless.any():  # an unbounded reach meets any box
        out = np.ones(len(xy), bool)
        rest = np.flatnonzero(~endless)
        out[rest] = within_reach(xy[rest], boxes, reach[rest], cell)
        return out
    i0 = np.floor(boxes[:, :2] / cell).astype(np.int64)
    i1 = np.floor(boxes[:, 2:] / cell).astype(np.int64)
    base = i0.min(axis=0)
    grid = _cover(i0 - base, i1 - base, (i1.max(axis=0) - base + 1))
    cells = np.argwhere(grid)[:, ::-1] + base  # (x, y) indices of covered squares
    half_diag = cell * np.sqrt(0.5)
    cand = np.flatnonzero(near_boxes(xy, boxes, float(reach.max()) + half_diag))
    out = np.zeros(len(xy), bool)
    if len(cand):
        d, _ = cKDTree((cells + 0.5) * cell).query(
            xy[cand], distance_upper_bound=float(reach[cand].max()) + half_diag + 1.0)
        out[cand] = d - half_diag <= reach[cand]
    return out


class ExposureCache:
    """Memoises :class:`HeldIndex` per (day, region): the slider case re-asks the same day."""

    def __init__(self, maxsize: int = 64):
        self._d: OrderedDict[tuple, HeldIndex] = OrderedDict()
        self.maxsize = maxsize

    def get(self, key: tuple, build) -> HeldIndex:
        if key in self._d:
            self._d.move_to_end(key)
            return self._d[key]
        val = build()
        self._d[key] = val
        if len(self._d) > self.maxsize:
            self._d.popitem(last=False)
        return val
