"""Directions of advance: what lies along each bearing out of a city.

For each bearing a *corridor* is laid out in the metric CRS: a rectangle ``width_km``
wide from the city centre out to ``length_km``, split into ``step_km`` segments. Per
segment and in total it reports the settlements (names, population), population density
(people per km2), road density (km of road per km2, main roads = motorway / primary /
secondary vs local), railway km, the share covered by EGM built-up areas, the named
rivers crossing the corridor's centre line and the share of the corridor held on the day.
A one-line summary compares the bearings ("W: open, moderately settled (28/km2, roads
0.37 km/km2, 0 rivers, 2% held); NE: densely settled (141/km2, ...)"). The built-up
polygon containing the city centre (the city's own area) is not counted either.

Words of the summary (thresholds in :data:`DENSITY_WORDS` etc.): "sparsely" (< 25/km2),
"moderately" (< 100/km2) or "densely settled"; "built-up" (>= 10 % EGM built-up area) or
"open" (< 2 % built-up and < 50/km2); "mostly held" (>= 50 % of the corridor held).
A line lying exactly on the shared edge of two segments is counted in both.

Bearings are clockwise from grid north of the metric CRS (within ~1.5 degrees of true
north in eastern Ukraine): numbers, 16-point compass words ("W", "NNE", "north-east") or,
with ``towards``, the bearing to a named place.

Settlements are GeoNames places (current names, population) plus EuroGlobalMap
settlement points that do not duplicate one: an EGM point whose name matches a GeoNames
place (its name or an alternate name, spelling-folded) within 3 km is that place and
GeoNames' population is used; otherwise the EGM point counts with its ``ppl``. The city
itself is not counted in any corridor. Only Ukrainian (and Moldovan EGM) settlements
are in the data: ground across the Russian border counts as empty.

:func:`profile_axes` and the helpers above it are pure (metric geometries in, numbers
out); :func:`axis_profile` reads the data from a :class:`~supplyline.analysis.Workspace`.
The EGM ``watercourses``, ``settlements`` and ``builtup_areas`` layers are read once per
GeoPackage path and kept in :data:`_EGM_CACHE`.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from ..data.egm import clean_name
from ..data.places import name_key
from ..errors import SupplylineError

COMPASS16 = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
             "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
DEFAULT_BEARINGS = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"]
MAIN_ROAD_CLASSES = ("motorway", "primary", "secondary")
#: EGM points matching a GeoNames place by name within this distance are that place.
MATCH_M = 3000.0
MAX_SEGMENTS = 400

# words of the summary: (upper limit, word) for people per km2, checked in order
DENSITY_WORDS = ((25.0, "sparsely settled"), (100.0, "moderately settled"),
                 (math.inf, "densely settled"))
BUILTUP_SHARE = 0.10  # at least this share of built-up area: "built-up"
OPEN_SHARE = 0.02  # under this built-up share and under OPEN_DENSITY: "open"
OPEN_DENSITY = 50.0


def compass16(bearing: float) -> str:
    return COMPASS16[int(((bearing % 360) + 11.25) // 22.5) % 16]


# --------------------------------------------------------------------------- bearings

_WORDS = (("NORTH", "N"), ("SOUTH", "S"), ("EAST", "E"), ("WEST", "W"))


def parse_bearing(value) -> tuple[float, str]:
    """(degrees clockwise from north in [0, 360), label) for a number or compass word.

    Numbers may be negative or above 360 (taken modulo 360); words are the 16 compass
    points, any case, also spelled out ("north-east"). Anything else raises
    :class:`SupplylineError`.
    """
    if isinstance(value, bool) or value is None:
        raise SupplylineError(f"bearing {value!r}: expected degrees or a compass word (e.g. W)")
    if isinstance(value, numbers.Real):
        deg = float(value)
        if not math.isfinite(deg):
            raise SupplylineError(f"bearing {value!r}: expected a finite number of degrees")
        deg %= 360.0
        word = compass16(deg)
        label = word if abs(deg - COMPASS16.index(word) * 22.5) < 1e-9 else \
            f"{deg:.0f} deg ({word})"
        return deg, label
    if isinstance(value, str):
        s = value.strip()
        try:
            return parse_bearing(float(s))
        except ValueError:
            pass
        key = re.sub(r"[\s\-_]", "", s.upper())
        for word, letter in _WORDS:
            key = key.replace(word, letter)
        if key in COMPASS16:
            return COMPASS16.index(key) * 22.5, key
    raise SupplylineError(f"bearing {value!r}: expected degrees (0-360, clockwise from north) "
                          f"or a compass word ({', '.join(COMPASS16)})")


def resolve_bearings(bearings) -> list[tuple[float, str]]:
    """Parse a list of bearings (a single value is a list of one)."""
    if isinstance(bearings, (str, numbers.Real)):
        bearings = [bearings]
    out = [parse_bearing(b) for b in bearings]
    if not out:
        raise SupplylineError("bearings: the list is empty; give at least one (e.g. W)")
    return out


def grid_bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Bearing (degrees clockwise from grid north) from metric point ``a`` to ``b``."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    if dx == 0 and dy == 0:
        raise SupplylineError("towards: the place is at the city itself; no bearing")
    return math.degrees(math.atan2(dx, dy)) % 360.0


def check_dimensions(length_km: float, width_km: float, step_km: float) -> None:
    for name, v in (("length_km", length_km), ("width_km", width_km), ("step_km", step_km)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) \
                or v <= 0:
            raise SupplylineError(f"{name}={v!r}: expected a positive number of km")
    if step_km > length_km:
        raise SupplylineError(f"step_km={step_km}: longer than the corridor (length_km="
                              f"{length_km})")
    if math.ceil(length_km / step_km - 1e-9) > MAX_SEGMENTS:
        raise SupplylineError(f"step_km={step_km}: more than {MAX_SEGMENTS} segments over "
                              f"{length_km} km; use a longer step")


# --------------------------------------------------------------------------- geometry

def segment_edges_m(length_m: float, step_m: float) -> np.ndarray:
    """Segment boundaries 0, step, 2 step, ..., length (the last segment may be shorter)."""
    n = max(1, math.ceil(length_m / step_m - 1e-9))
    e = np.minimum(np.arange(n + 1) * step_m, length_m)
    e[-1] = length_m
    return e


def unit_vectors(bearing_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """(along, across-to-the-right) unit vectors of a bearing in the metric plane."""
    t = math.radians(bearing_deg)
    return np.array([math.sin(t), math.cos(t)]), np.array([math.cos(t), -math.sin(t)])


def corridor_segments(centre: tuple[float, float], bearing_deg: float, length_m: float,
                      width_m: float, step_m: float) -> np.ndarray:
    """Rectangles (shapely polygons) of each segment of the corridor, near to far."""
    u, v = unit_vectors(bearing_deg)
    c = np.asarray(centre, dtype=float)
    e = segment_edges_m(length_m, step_m)
    h = width_m / 2
    a0, a1 = e[:-1, None], e[1:, None]
    rings = np.stack([c + a0 * u - h * v, c + a1 * u - h * v, c + a1 * u + h * v,
                      c + a0 * u + h * v], axis=1)
    return shapely.polygons(rings)


def along_across(xy: np.ndarray, centre: tuple[float, float],
                 bearing_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of metric points along the bearing and across it (right positive), m."""
    u, v = unit_vectors(bearing_deg)
    d = np.asarray(xy, dtype=float).reshape(-1, 2) - np.asarray(centre, dtype=float)
    return d @ u, d @ v


def point_segments(xy: np.ndarray, centre: tuple[float, float], bearing_deg: float,
                   length_m: float, width_m: float, step_m: float) -> np.ndarray:
    """Segment index of each point (-1 outside the corridor); edges belong to the nearer
    segment, the far end and the sides are inside."""
    a, c = along_across(xy, centre, bearing_deg)
    e = segment_edges_m(length_m, step_m)
    inside = (a >= 0) & (a <= length_m) & (np.abs(c) <= width_m / 2)
    k = np.clip(np.searchsorted(e, a, side="right") - 1, 0, len(e) - 2)
    return np.where(inside, k, -1)


def length_in_polygons(polys: np.ndarray, lines: np.ndarray,
                       tree: shapely.STRtree | None = None) -> tuple[np.ndarray, np.ndarray,
                                                                     np.ndarray]:
    """(polygon index, line index, length m inside) for every line meeting a polygon."""
    if len(polys) == 0 or len(lines) == 0:
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0)
    tree = tree if tree is not None else shapely.STRtree(lines)
    pi, li = tree.query(polys, predicate="intersects")
    return pi, li, shapely.length(shapely.intersection(lines[li], polys[pi]))


def area_in_polygons(polys: np.ndarray, areas: np.ndarray,
                     tree: shapely.STRtree | None = None) -> np.ndarray:
    """Area (m2) of the union of ``areas`` inside each polygon (overlaps counted once)."""
    out = np.zeros(len(polys))
    if len(polys) == 0 or len(areas) == 0:
        return out
    tree = tree if tree is not None else shapely.STRtree(areas)
    pi, ai = tree.query(polys, predicate="intersects")
    for p in np.unique(pi):
        parts = shapely.intersection(areas[ai[pi == p]], polys[p])
        out[p] = shapely.area(shapely.union_all(parts))
    return out


def held_area_in_polygons(held: shapely.Geometry | None, polys: np.ndarray) -> np.ndarray:
    """Held area (m2) inside each polygon; the held geometry is clipped to their extent."""
    if held is None or len(polys) == 0 or shapely.is_empty(held):
        return np.zeros(len(polys))
    lo = np.min(shapely.bounds(polys)[:, :2], axis=0)
    hi = np.max(shapely.bounds(polys)[:, 2:], axis=0)
    clip = shapely.intersection(held, shapely.box(*lo, *hi))
    if shapely.is_empty(clip):
        return np.zeros(len(polys))
    shapely.prepare(clip)
    return shapely.area(shapely.intersection(polys, clip))


def centreline_crossings(centre: tuple[float, float], bearing_deg: float, length_m: float,
                         rivers: np.ndarray, names: np.ndarray,
                         tree: shapely.STRtree | None = None) -> list[tuple[str, float]]:
    """(name, distance from the centre m) where river lines cross the centre line.

    One entry per river line meeting the centre line, at its nearest crossing; unnamed
    rivers have the name "". Sorted by distance.
    """
    if len(rivers) == 0:
        return []
    u, _ = unit_vectors(bearing_deg)
    c = np.asarray(centre, dtype=float)
    line = shapely.linestrings([c, c + length_m * u])
    tree = tree if tree is not None else shapely.STRtree(rivers)
    hit = tree.query(line, predicate="intersects")
    out = []
    for i in hit:
        pts = shapely.get_coordinates(shapely.intersection(rivers[i], line))
        if len(pts):
            out.append((str(names[i]), float(np.min((pts - c) @ u).clip(0, length_m))))
    out.sort(key=lambda t: t[1])
    return out


def merge_settlements(geonames: pd.DataFrame, egm: pd.DataFrame,
                      match_m: float = MATCH_M) -> pd.DataFrame:
    """GeoNames places plus the EGM points that do not duplicate one.

    ``geonames``: name, population, x, y (metric) and optionally ``alternates`` (lists of
    names) and ``ident``; ``egm``: name, population, x, y (and optionally ``ident``). An
    EGM point is a duplicate when a GeoNames place within ``match_m`` has the same
    spelling-folded name (its name or an alternate): GeoNames' population is then used
    (the EGM point is dropped). Returns name, population, x, y, source, ident.
    """
    cols = ["name", "population", "x", "y", "source", "ident"]

    def norm(df: pd.DataFrame, source: str) -> pd.DataFrame:
        out = pd.DataFrame({
            "name": df["name"].astype(str).to_numpy(),
            "population": pd.to_numeric(df["population"], errors="coerce").fillna(0)
            .clip(lower=0).astype(np.int64).to_numpy(),
            "x": df["x"].to_numpy(dtype=float), "y": df["y"].to_numpy(dtype=float),
            "source": source,
            "ident": (df["ident"].astype(str).to_numpy() if "ident" in df
                      else [f"{source}:{i}" for i in range(len(df))]),
        })
        return out[cols]

    g = norm(geonames, "geonames")
    e = norm(egm, "egm")
    if len(g) and len(e):
        tree = shapely.STRtree(shapely.points(g[["x", "y"]].to_numpy()))
        ei, gi = tree.query(shapely.points(e[["x", "y"]].to_numpy()), predicate="dwithin",
                            distance=match_m)
        ek = [name_key(n) for n in e["name"]]
        alts = geonames["alternates"].to_numpy() if "alternates" in geonames else None
        gnames = g["name"].to_numpy()
        keys: dict[int, set[str]] = {}
        dup = np.zeros(len(e), bool)
        for a, b in zip(ei, gi, strict=True):
            if dup[a]:
                continue
            if b not in keys:
                ks = {name_key(gnames[b])}
                if alts is not None and isinstance(alts[b], (list, tuple, np.ndarray)):
                    ks |= {name_key(str(x)) for x in alts[b]}
                keys[b] = ks
            dup[a] = bool(ek[a]) and ek[a] in keys[b]
        e = e[~dup]
    return pd.concat([g, e], ignore_index=True) if len(e) else g.reset_index(drop=True)


# --------------------------------------------------------------------------- profiles

@dataclass
class AxisLayers:
    """Everything an axis profile reads, in the metric CRS (trees built when missing)."""

    settlements: pd.DataFrame  # name, population, x, y, source (see merge_settlements)
    roads: np.ndarray  # road lines
    road_main: np.ndarray  # bool per road: motorway / primary / secondary
    rails: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    rivers: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    river_names: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    builtup: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    road_tree: shapely.STRtree | None = None
    rail_tree: shapely.STRtree | None = None
    river_tree: shapely.STRtree | None = None
    builtup_tree: shapely.STRtree | None = None

    def __post_init__(self) -> None:
        for name in ("roads", "rails", "rivers", "builtup"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=object))
        self.road_main = np.asarray(self.road_main, dtype=bool)
        self.river_names = np.asarray([clean_name(n) for n in self.river_names], dtype=object)
        for geoms, tree in (("roads", "road_tree"), ("rails", "rail_tree"),
                            ("rivers", "river_tree"), ("builtup", "builtup_tree")):
            if getattr(self, tree) is None:
                setattr(self, tree, shapely.STRtree(getattr(self, geoms)))

    def without_settlement(self, ident: str) -> None:
        """Drop a settlement (the city a profile starts from) by its ``ident``."""
        st = self.settlements
        if "ident" in st and (st["ident"] == ident).any():
            self.settlements = st[st["ident"] != ident].reset_index(drop=True)


@dataclass
class Segment:
    from_km: float
    to_km: float
    area_km2: float
    settlements: list[dict]
    population: int
    population_density: float  # people per km2
    cumulative_population: int  # from the centre to this segment's far edge
    cumulative_density: float
    road_km_main: float
    road_km_local: float
    road_density_main: float  # km per km2
    road_density_local: float
    road_density: float
    rail_km: float
    builtup_share: float
    held_share: float
    rivers: list[str]

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class AxisProfile:
    bearing_deg: float
    direction: str
    label: str
    length_km: float
    width_km: float
    area_km2: float
    settlement_count: int
    population: int
    population_density: float
    largest_settlements: list[dict]
    road_km_main: float
    road_km_local: float
    road_density_main: float
    road_density_local: float
    road_density: float
    rail_km: float
    rail_density: float
    builtup_share: float
    held_share: float
    rivers: list[str]  # distinct named rivers crossing the centre line, near to far
    river_crossings: list[dict]
    unnamed_river_crossings: int
    character: str
    segments: list[Segment]

    @property
    def river_count(self) -> int:
        return len(self.rivers)

    def density_within(self, km: float) -> float:
        """People per km2 over the segments that end within ``km`` of the centre."""
        inside = [s for s in self.segments if s.to_km <= km + 1e-9]
        area = sum(s.area_km2 for s in inside)
        return sum(s.population for s in inside) / area if area else 0.0

    def brief(self) -> str:
        n = self.river_count
        bits = [f"{self.population_density:.0f}/km2",
                f"roads {self.road_density:.2f} km/km2",
                f"{n} river{'s' if n != 1 else ''}"]
        if self.held_share >= 0.005:
            bits.append(f"{self.held_share:.0%} held")
        return f"{self.label}: {self.character} ({', '.join(bits)})"

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["river_count"] = self.river_count
        d["segments"] = [s.as_dict() for s in self.segments]
        return d


def describe_character(density: float, builtup_share: float, held_share: float) -> str:
    """Words for a corridor: open / built-up, how settled, how much is held."""
    words = []
    if held_share >= 0.5:
        words.append("mostly held")
    if builtup_share >= BUILTUP_SHARE:
        words.append("built-up")
    elif builtup_share < OPEN_SHARE and density < OPEN_DENSITY:
        words.append("open")
    words.append(next(w for lim, w in DENSITY_WORDS if density < lim))
    return ", ".join(words)


def _r(x: float, nd: int = 3) -> float:
    return round(float(x), nd)


def profile_axes(layers: AxisLayers, held: shapely.Geometry | None,
                 centre: tuple[float, float], bearings: list[tuple[float, str]], *,
                 length_km: float = 50.0, width_km: float = 10.0,
                 step_km: float = 5.0, skip_centre_area: bool = True) -> list[AxisProfile]:
    """One :class:`AxisProfile` per (bearing degrees, label) out of ``centre``.

    With ``skip_centre_area`` the built-up polygons containing the centre (the city's own
    area) are not counted in any corridor's built-up share.
    """
    check_dimensions(length_km, width_km, step_km)
    length_m, width_m, step_m = length_km * 1000, width_km * 1000, step_km * 1000
    centre = (float(centre[0]), float(centre[1]))
    edges = segment_edges_m(length_m, step_m)
    nseg = len(edges) - 1
    # every segment of every bearing at once, for the vectorised tree queries
    segs = np.concatenate([corridor_segments(centre, b, length_m, width_m, step_m)
                           for b, _ in bearings])
    area = shapely.area(segs)
    pi, li, ln = length_in_polygons(segs, layers.roads, layers.road_tree)
    main = layers.road_main[li] if len(li) else np.zeros(0, bool)
    road_main = np.bincount(pi, weights=np.where(main, ln, 0.0), minlength=len(segs))
    road_local = np.bincount(pi, weights=np.where(main, 0.0, ln), minlength=len(segs))
    pi, _, ln = length_in_polygons(segs, layers.rails, layers.rail_tree)
    rail = np.bincount(pi, weights=ln, minlength=len(segs))
    bu, bu_tree = layers.builtup, layers.builtup_tree
    if skip_centre_area and len(bu):
        assert bu_tree is not None, "AxisLayers.__post_init__ builds every missing tree"
        own = bu_tree.query(shapely.points(*centre), predicate="intersects")
        if len(own):  # the city's own built-up area is not any direction's
            bu = np.delete(bu, own)
            bu_tree = shapely.STRtree(bu)
    builtup = area_in_polygons(segs, bu, bu_tree)
    held_a = held_area_in_polygons(held, segs)
    st = layers.settlements
    xy = st[["x", "y"]].to_numpy(dtype=float)
    pop_all = st["population"].to_numpy(dtype=np.int64)
    names_all = st["name"].to_numpy()
    src_all = st["source"].to_numpy()

    out = []
    for j, (bearing, label) in enumerate(bearings):
        sl = slice(j * nseg, (j + 1) * nseg)
        seg_of = point_segments(xy, centre, bearing, length_m, width_m, step_m)
        along, _ = along_across(xy, centre, bearing)
        cross = centreline_crossings(centre, bearing, length_m, layers.rivers,
                                     layers.river_names, layers.river_tree)
        a_km2 = area[sl] / 1e6
        seg_rows = _segment_rows(
            sl.start, a_km2, area, edges, seg_of, along, cross, pop_all, names_all, src_all,
            {"road_main": road_main, "road_local": road_local, "rail": rail,
             "builtup": builtup, "held": held_a})
        tot_area = float(a_km2.sum())
        inside = np.flatnonzero(seg_of >= 0)
        inside = inside[np.argsort(-pop_all[inside], kind="stable")]
        pop = int(pop_all[inside].sum())
        rm, rl = float(road_main[sl].sum()) / 1000, float(road_local[sl].sum()) / 1000
        rk = float(rail[sl].sum()) / 1000
        bshare = float(builtup[sl].sum() / area[sl].sum())
        hshare = float(held_a[sl].sum() / area[sl].sum())
        seen: dict[str, str] = {}  # spelling-folded name -> first spelling (Sol'ona/Solona)
        for n, _ in cross:
            if n and name_key(n) not in seen:
                seen[name_key(n)] = n
        dens = pop / tot_area
        out.append(AxisProfile(
            bearing_deg=_r(bearing, 2), direction=compass16(bearing), label=label,
            length_km=float(length_km), width_km=float(width_km), area_km2=_r(tot_area),
            settlement_count=int(len(inside)), population=pop, population_density=_r(dens, 1),
            largest_settlements=[{"name": str(names_all[i]), "population": int(pop_all[i]),
                                  "distance_km": _r(along[i] / 1000, 2)} for i in inside[:5]],
            road_km_main=_r(rm, 2), road_km_local=_r(rl, 2),
            road_density_main=_r(rm / tot_area), road_density_local=_r(rl / tot_area),
            road_density=_r((rm + rl) / tot_area), rail_km=_r(rk, 2),
            rail_density=_r(rk / tot_area, 4), builtup_share=_r(bshare, 4),
            held_share=_r(hshare, 4), rivers=list(seen.values()),
            river_crossings=[{"name": n, "distance_km": _r(d / 1000, 2)} for n, d in cross if n],
            unnamed_river_crossings=sum(1 for n, _ in cross if not n),
            character=describe_character(dens, bshare, hshare), segments=seg_rows))
    return out


def _segment_rows(first: int, a_km2: np.ndarray, area: np.ndarray, edges: np.ndarray,
                  seg_of: np.ndarray, along: np.ndarray, cross: list[tuple[str, float]],
                  pop_all: np.ndarray, names_all: np.ndarray, src_all: np.ndarray,
                  per_seg: dict[str, np.ndarray]) -> list[Segment]:
    """The :class:`Segment` rows of one corridor (its segments ``first..first + n - 1`` in
    the arrays over every bearing's segments; ``per_seg``: road_main, road_local, rail,
    builtup and held measures per segment)."""
    rows = []
    cum_pop, cum_area = 0, 0.0
    for k in range(len(edges) - 1):
        idx = np.flatnonzero(seg_of == k)
        idx = idx[np.argsort(-pop_all[idx], kind="stable")]
        pop = int(pop_all[idx].sum())
        cum_pop += pop
        cum_area += a_km2[k]
        s = first + k
        rivers_k = list({name_key(n): n for n, d in reversed(cross)
                         if n and edges[k] <= d <= edges[k + 1]}.values())[::-1]
        rm, rl = per_seg["road_main"][s] / 1000, per_seg["road_local"][s] / 1000
        rows.append(Segment(
            from_km=_r(edges[k] / 1000), to_km=_r(edges[k + 1] / 1000),
            area_km2=_r(a_km2[k]),
            settlements=[{"name": str(names_all[i]), "population": int(pop_all[i]),
                          "distance_km": _r(along[i] / 1000, 2), "source": str(src_all[i])}
                         for i in idx],
            population=pop, population_density=_r(pop / a_km2[k], 1),
            cumulative_population=cum_pop, cumulative_density=_r(cum_pop / cum_area, 1),
            road_km_main=_r(rm, 2), road_km_local=_r(rl, 2),
            road_density_main=_r(rm / a_km2[k]), road_density_local=_r(rl / a_km2[k]),
            road_density=_r((rm + rl) / a_km2[k]), rail_km=_r(per_seg["rail"][s] / 1000, 2),
            builtup_share=_r(per_seg["builtup"][s] / area[s], 4),
            held_share=_r(per_seg["held"][s] / area[s], 4),
            rivers=rivers_k))
    return rows


def summary_line(axes: list[AxisProfile]) -> str:
    """One line comparing the bearings, e.g. "W: open, sparsely settled (31/km2, ...)"."""
    return "; ".join(a.brief() for a in axes)
