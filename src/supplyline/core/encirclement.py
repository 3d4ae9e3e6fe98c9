"""Encirclement: ring occupancy, approaches, flanks / pincers / pockets, and the corridor.

All functions take metric coordinates and a held-territory geometry (metric CRS) and are
pure: they do not load data. Bearings are clockwise from grid north of the metric CRS
(within ~1.5 degrees of true north in eastern Ukraine).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import shapely

from .._lazy import lazy_module
from .exposure import ThreatProfile, clip_box

if TYPE_CHECKING:
    from scipy import ndimage
else:  # the corridor only: status and routes never import it
    ndimage = lazy_module("scipy.ndimage")

COMPASS8 = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"]
DEFAULT_RADII_KM = (5.0, 10.0, 20.0, 30.0)
#: Clearances of the corridor raster are measured up to (and capped at) this distance.
CORRIDOR_CAP_M = 60_000.0


def compass8(bearing: float) -> str:
    return COMPASS8[int(((bearing % 360) + 22.5) // 45) % 8]


def bearing_runs(flags: np.ndarray, step_deg: float) -> list[tuple[float, float]]:
    """Circular runs of True in per-bearing flags, as (start, end) degrees clockwise."""
    n = len(flags)
    if not flags.any():
        return []
    if flags.all():
        return [(0.0, 360.0)]
    # rotate so index 0 is the start of a False run
    k = int(np.argmin(flags))
    f = np.roll(flags, -k)
    d = np.diff(np.concatenate([[0], f.astype(int), [0]]))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1
    out: list[tuple[float, float]] = []
    for s, e in zip(starts, ends, strict=True):
        out.append((((s + k) % n) * step_deg, ((e + k) % n) * step_deg))
    return out


def describe_run(a: float, b: float) -> str:
    if (a, b) == (0.0, 360.0):
        return "held on all bearings"
    return f"held from {a:.0f} to {b:.0f} degrees ({compass8(a)} to {compass8(b)})"


@dataclass
class Ring:
    radius_km: float
    held_share: float
    band_share: dict[str, float]
    held_ranges: list[tuple[float, float]]
    description: list[str]

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def ring_points(centre: tuple[float, float], radius_m: float, n: int) -> np.ndarray:
    th = np.radians(np.arange(n) * 360.0 / n)
    return np.column_stack([centre[0] + radius_m * np.sin(th), centre[1] + radius_m * np.cos(th)])


def ring_occupancy(held: shapely.Geometry, centre: tuple[float, float],
                   radii_km: tuple[float, ...] = DEFAULT_RADII_KM,
                   profile: ThreatProfile | None = None, n_bearings: int = 360,
                   index=None) -> list[Ring]:
    """Share of bearings held / in each threat band on circles around ``centre``.

    With ``index`` (a :class:`~supplyline.exposure.HeldIndex` of ``held``) distances come
    from its KD-tree (at most ~50 m high) instead of exact geometry: much faster.
    """
    profile = profile or ThreatProfile()
    step = 360.0 / n_bearings
    xy = np.vstack([ring_points(centre, r * 1000, n_bearings) for r in radii_km])
    if index is not None:  # all rings in one query
        d_all, in_all = index.fast_point_clearance(xy)
    elif held.is_empty:
        d_all, in_all = np.full(len(xy), np.inf), np.zeros(len(xy), bool)
    else:
        shapely.prepare(held)
        d_all = shapely.distance(shapely.points(xy), held)
        in_all = d_all == 0
    out = []
    for k, r in enumerate(radii_km):
        d = d_all[k * n_bearings:(k + 1) * n_bearings]
        inside = in_all[k * n_bearings:(k + 1) * n_bearings]
        cls = profile.classify(d, inside)
        share = {name: round(float((cls == i).mean()), 4) for i, name in enumerate(profile.names)}
        runs = bearing_runs(inside, step)
        out.append(Ring(r, round(float(inside.mean()), 4), share, runs,
                        [describe_run(a, b) for a, b in runs]))
    return out


@dataclass
class Arm:
    """A direction from which held ground approaches the city (nearest held ground)."""

    bearing_deg: float
    direction: str
    distance_km: float
    span: tuple[float, float]

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def ray_distances(held: shapely.Geometry, centre: tuple[float, float], max_km: float = 50.0,
                  n_bearings: int = 72) -> np.ndarray:
    """Distance (km) along each bearing to the first held ground, ``inf`` if none."""
    ends = ring_points(centre, max_km * 1000, n_bearings)
    rays = shapely.linestrings([[centre, tuple(e)] for e in ends])
    hit = shapely.intersection(rays, held)
    c = shapely.points(*centre)
    d = np.where(shapely.is_empty(hit), np.inf, shapely.distance(c, hit) / 1000.0)
    return d


def approaches(held: shapely.Geometry, centre: tuple[float, float], max_km: float = 50.0,
               n_bearings: int = 72, slack_km: float = 10.0, min_sep_deg: float = 60.0
               ) -> list[Arm]:
    """Directions from which held ground approaches the city, nearest first.

    An approach is a run of bearings where held ground is within ``min distance +
    slack_km`` of the centre (rays every ``360 / n_bearings`` degrees up to ``max_km``);
    of two approaches less than ``min_sep_deg / 2`` apart only the nearer is kept. This
    says where the front is near; it knows nothing of the rear (see :func:`flanks`).
    """
    d = ray_distances(held, centre, max_km, n_bearings)
    step = 360.0 / n_bearings
    if not np.isfinite(d).any() or (d == 0).all():
        return []
    near = d <= d[np.isfinite(d)].min() + slack_km
    arms: list[Arm] = []
    for a, b in bearing_runs(near, step):
        idx = (np.arange(int(round(a / step)), int(round(a / step)) +
                         int(round(((b - a) % 360) / step)) + 1) % n_bearings)
        j = idx[np.argmin(d[idx])]
        arms.append(Arm(j * step, compass8(j * step), round(float(d[j]), 2), (a, b)))
    arms.sort(key=lambda x: x.distance_km)
    merged: list[Arm] = []  # arms closer than min_sep_deg / 2 to a nearer arm are one arm
    for arm in arms:
        if all(_angle(arm.bearing_deg, m.bearing_deg) >= min_sep_deg / 2 for m in merged):
            merged.append(arm)
    return merged


def _angle(a: float, b: float) -> float:
    """Smallest angle (degrees) between two bearings."""
    x = abs(a - b) % 360
    return min(x, 360 - x)


# ------------------------------------------------------------------ flanks and pockets

#: Radius (km) of the disc around the city in which flank arms are looked for.
FLANK_RADIUS_KM = 25.0
#: A tip (or reach) this close (m) to the edge of that disc is reported ``at_limit``.
LIMIT_TOLERANCE_M = 100.0


def mean_bearing(bearings_deg: np.ndarray | list[float]) -> float | None:
    """Circular mean of bearings (degrees clockwise from north): the bearing of the sum
    of their unit vectors; None when there is none or they cancel out."""
    b = np.radians(np.asarray(bearings_deg, dtype=float))
    if not len(b):
        return None
    x, y = np.sin(b).sum(), np.cos(b).sum()
    if np.hypot(x, y) < 1e-9 * len(b):
        return None
    return float(np.degrees(np.arctan2(x, y)) % 360)


def grid_bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Bearing (degrees clockwise from grid north of the metric CRS) from ``a`` to ``b``."""
    return float(np.degrees(np.arctan2(b[0] - a[0], b[1] - a[1])) % 360)


def axis_frame(rear_bearing_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors of the rear axis: ``u`` toward the rear, ``v`` to its right (facing
    the rear). A point p has along-axis ``(p - c) . u`` (positive: behind the city,
    toward the rear) and lateral ``(p - c) . v`` (positive: right of the axis)."""
    t = np.radians(rear_bearing_deg)
    return np.array([np.sin(t), np.cos(t)]), np.array([np.cos(t), -np.sin(t)])


def _quarter(centre: tuple[float, float], b0: float, b1: float, radius_m: float,
             n: int = 128) -> shapely.Geometry:
    """The sector of the disc between bearings b0 and b1 (clockwise), as a polygon."""
    th = np.radians(np.linspace(b0, b1, n))
    arc = np.column_stack([centre[0] + radius_m * np.sin(th), centre[1] + radius_m * np.cos(th)])
    return shapely.Polygon(np.vstack([[centre], arc]))


@dataclass
class FlankArm:
    """Held ground level with or behind the city on one side of its rear axis.

    ``tip_xy`` is the arm's point closest to the rear axis (of those, the one farthest
    toward the rear): ``from_axis_km`` is its distance from the axis, ``along_km`` how
    far behind the city it lies (measured along the axis), ``from_city_km`` its distance
    from the centre. ``reach_km`` is how far behind the city the arm extends at all (its
    rearmost point, within the disc); ``at_limit`` says the tip lies on the disc's edge,
    so the arm may go on beyond it.
    """

    side: str
    tip_xy: tuple[float, float]
    from_axis_km: float
    along_km: float
    from_city_km: float
    bearing_deg: float
    direction: str
    reach_km: float
    at_limit: bool


@dataclass
class RearFlanks:
    """Flank arms of held ground relative to the city's rear axis (see :func:`flanks`)."""

    rear_bearing_deg: float | None
    radius_km: float
    arms: list[FlankArm]
    pincer: bool
    gap_km: float | None
    gap_xy: tuple[tuple[float, float], tuple[float, float]] | None
    axis_held_km: float | None
    description: str


def flanks(held: shapely.Geometry, centre: tuple[float, float], rear_bearing_deg: float,
           radius_km: float = FLANK_RADIUS_KM) -> RearFlanks:
    """Flank arms of held ground on either side of the city's rear axis.

    The rear axis is the ray from the centre along ``rear_bearing_deg`` (the bearing to
    the rear hubs). Within the disc of ``radius_km`` around the centre, the half behind
    the city (points whose along-axis coordinate is >= 0) is split by the axis into a
    left and a right quarter (facing the rear). The held ground in a quarter is that
    side's arm: held ground level with or behind the city, on that flank, whether or not
    it is continuous with the front ahead of the city (one continuous held arc wrapping
    round both sides gives two arms). Its tip is its point closest to the rear axis (of
    equals, the rearmost). Both arms present is a pincer; ``gap_km`` is then the
    shortest distance between the two arms (the opening the city's rear link passes
    through, within the disc). ``axis_held_km``: how far behind the city held ground
    first lies on the rear axis itself (None when the axis is clear within the disc).
    Exact geometry in the metric CRS; a centre inside held ground has no arms.
    """
    r = radius_km * 1000.0
    u, v = axis_frame(rear_bearing_deg)
    c = np.asarray(centre, dtype=float)
    rb = round(float(rear_bearing_deg), 1) % 360
    if held is None or held.is_empty:
        return RearFlanks(rb, radius_km, [], False, None, None, None,
                          f"no held territory within {radius_km:g} km")
    local = shapely.clip_by_rect(held, c[0] - r, c[1] - r, c[0] + r, c[1] + r)
    if shapely.intersects(local, shapely.points(*c)):
        return RearFlanks(rb, radius_km, [], False, None, None, 0.0, "city centre is held")
    quads = [_quarter(centre, rear_bearing_deg - 90, rear_bearing_deg, r),
             _quarter(centre, rear_bearing_deg, rear_bearing_deg + 90, r)]
    sides = shapely.intersection(local, np.asarray(quads, dtype=object))
    axis = shapely.linestrings([c, c + r * u])
    dist = shapely.distance(axis, sides)  # NaN where a side is empty
    arms: list[FlankArm] = []
    for side, geom, d in zip(("left", "right"), sides, dist, strict=True):
        if geom.is_empty or not np.isfinite(d) or shapely.area(geom) <= 0:
            continue
        arms.append(_arm(side, geom, float(d), c, u, v, r, axis))
    pincer = len(arms) == 2
    gap = gap_xy = None
    if pincer:
        line = shapely.shortest_line(sides[0], sides[1])
        xy = shapely.get_coordinates(line)
        gap = round(float(shapely.length(line)) / 1000, 2)
        gap_xy = ((float(xy[0, 0]), float(xy[0, 1])), (float(xy[1, 0]), float(xy[1, 1])))
    on_axis = shapely.intersection(axis, local)
    cut = (None if on_axis.is_empty else
           round(float(shapely.distance(shapely.points(*c), on_axis)) / 1000, 2))
    return RearFlanks(rb, radius_km, arms, pincer, gap, gap_xy, cut,
                      _describe_flanks(arms, pincer, gap, cut, rb, radius_km))


def _arm(side: str, geom: shapely.Geometry, d: float, c: np.ndarray, u: np.ndarray,
         v: np.ndarray, r: float, axis: shapely.Geometry) -> FlankArm:
    """The arm of one side: its tip (closest to the axis, then rearmost) and reach."""
    tol = 1.0  # m: points this close to the least distance count as closest
    near = shapely.intersection(geom, shapely.buffer(axis, d + tol, cap_style="flat"))
    pts = shapely.get_coordinates(near)
    if not len(pts):  # degenerate intersection (e.g. a touching point): GEOS's nearest
        pts = shapely.get_coordinates(shapely.shortest_line(axis, geom))[1:]
    along = (pts - c) @ u
    lat = np.abs((pts - c) @ v)
    ok = lat <= d + tol
    k = int(np.flatnonzero(ok)[np.argmax(along[ok])]) if ok.any() else int(np.argmin(lat))
    tip = pts[k]
    all_pts = shapely.get_coordinates(geom)
    reach = float(((all_pts - c) @ u).max())
    from_city = float(np.hypot(*(tip - c)))
    b = grid_bearing(tuple(c), tuple(tip))
    return FlankArm(side, (float(tip[0]), float(tip[1])), round(d / 1000, 2),
                    round(max(float(along[k]), 0.0) / 1000, 2), round(from_city / 1000, 2),
                    round(b, 1), compass8(b), round(reach / 1000, 2),
                    from_city >= r - LIMIT_TOLERANCE_M)


def _describe_flanks(arms: list[FlankArm], pincer: bool, gap: float | None,
                     cut: float | None, rear: float, radius_km: float) -> str:
    head = f"rear axis {rear:.0f} deg ({compass8(rear)})"
    if not arms:
        return (f"{head}: no held ground level with or behind the city within "
                f"{radius_km:g} km")
    if cut is not None:
        head += f", crossed by held ground {cut:.1f} km behind the city"
    parts = []
    for a in arms:
        edge = f" (at the {radius_km:g} km limit)" if a.at_limit else ""
        parts.append(f"{a.side} arm {a.direction} of the city, {a.from_axis_km:.1f} km from "
                     f"the axis, {a.along_km:.1f} km behind the city{edge}")
    out = f"{head}: " + "; ".join(parts)
    if pincer and cut is not None:
        out = "pincer, the arms meet across the rear axis; " + out
    elif pincer:
        out = f"pincer, gap {gap:.1f} km between the arms; " + out
    return out


@dataclass
class Corridor:
    width_km: float  # largest clearance d such that a path stays >= d from held territory
    narrowest_xy: tuple[float, float] | None
    connected: bool
    resolution_m: float

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def corridor(held: shapely.Geometry | Sequence[shapely.Geometry], start: tuple[float, float],
             targets: list[tuple[float, float]], *, start_radius_m: float = 0.0,
             margin_m: float = 20_000, resolution_m: float = 1000.0,
             cap_m: float = CORRIDOR_CAP_M) -> Corridor:
    """Widest open-ground corridor from ``start`` to any target.

    ``width_km`` is the largest clearance d such that some path from the start to a target
    stays at least d from held territory (2 x d is the corridor's full width); the
    narrowest point is where that path is pinched. Measured on a clearance raster
    (:class:`ClearanceRaster`, one ``resolution_m`` cell of accuracy) inside a window of
    ``margin_m`` around the start and the targets. With ``start_radius_m`` the path may
    leave from any unheld cell of that disc (the city's built-up area), so the corridor is
    the neck behind the city, not the city's own distance to the front.

    This builds a raster for the window only; the timeline measures the same quantity on
    its shared daily raster (:meth:`ClearanceRaster.corridor`) with identical cells.
    """
    pts = np.asarray([start, *targets], dtype=float)
    lo = pts.min(axis=0) - margin_m - resolution_m
    hi = pts.max(axis=0) + margin_m + resolution_m
    raster = ClearanceRaster.build(held, (lo[0], lo[1], hi[0], hi[1]), resolution_m, cap_m)
    return raster.corridor_detail(start, targets, start_radius_m=start_radius_m,
                                  margin_m=margin_m)


def distance_to_held(held: np.ndarray) -> np.ndarray:
    """Euclidean distance (in cells) from every cell to the nearest held cell.

    The ``edt`` package (a compiled, ~2.5x faster transform) when installed, else
    :func:`scipy.ndimage.distance_transform_edt`; the results are identical: ``edt``'s
    squared distances are whole numbers held exactly in float32 (below 2**24, so grids
    under 2,896 cells a side), and their float64 square roots are what scipy returns.
    """
    if max(held.shape) < 2896 and held.any():
        try:
            import edt
        except ImportError:
            pass
        else:
            sq = edt.edtsq(~held, black_border=False, parallel=1)
            return np.sqrt(sq.astype(np.float64))
    return ndimage.distance_transform_edt(~held)


def widest_level(clear: np.ndarray, start: np.ndarray, targets: list[tuple[int, int]],
                 hint: float | None = None) -> float | None:
    """Largest clearance level at which the cells at least that clear connect (8-neighbour)
    a start cell (``start``: boolean mask) to a target cell; None when none does.

    A binary search over the distinct cell values, labelling the grid at each step. With
    ``hint`` (a level expected near the answer, e.g. the day before's) the search first
    gallops out from the hint, which takes fewer steps when the answer moved little; the
    answer is the same.
    """
    top = clear[start].max()
    structure = np.ones((3, 3))

    def connected(thr: float) -> bool:
        lab, _ = ndimage.label(clear >= thr, structure=structure)
        ls = set(np.unique(lab[start])) - {0}
        return any(lab[c] in ls for c in targets)

    if hint is not None and 0 < hint:
        quick = _level_next_to_hint(clear, top, hint, connected)
        if quick is not None:
            return quick
    levels = np.unique(clear[clear > 0])
    levels = levels[levels <= top]
    if not len(levels):
        return None
    if hint is not None:
        bracket = _gallop(levels, hint, connected)
        if bracket is None:
            return None
        a, b = bracket
    elif not connected(levels[0]):
        return None
    else:
        a, b = 0, len(levels) - 1
    while a < b:  # largest level that still connects
        m = (a + b + 1) // 2
        if connected(levels[m]):
            a = m
        else:
            b = m - 1
    return float(levels[a])


def _level_next_to_hint(clear: np.ndarray, top: float, hint: float,
                        connected: Callable[[float], bool]) -> float | None:
    """The common case of :func:`widest_level` without sorting every value: the answer is
    still the largest value <= ``hint``, when it connects and the next value above does
    not. None when that is not so (the full search decides)."""
    below = clear[(clear > 0) & (clear <= min(hint, top))]
    if not len(below):
        return None
    at = below.max()
    if not connected(at):
        return None
    above = clear[(clear > at) & (clear <= top)]
    if not len(above) or not connected(above.min()):
        return float(at)
    return None


def _gallop(levels: np.ndarray, hint: float,
            connected: Callable[[float], bool]) -> tuple[int, int] | None:
    """Indices ``(a, b)`` of ``levels`` with the answer in ``levels[a..b]`` and
    ``levels[a]`` connected, galloping out from ``hint``; None when no level connects."""
    b = len(levels) - 1
    i = int(np.clip(np.searchsorted(levels, hint), 0, b))
    if connected(levels[i]):
        a, step = i, 1
        while a < b:  # gallop up while it still connects
            j = min(b, a + step)
            if not connected(levels[j]):
                return a, j - 1
            a, step = j, 2 * step
        return a, b
    b, step = i - 1, 1
    while b >= 0:  # gallop down until it connects
        j = max(0, b - step + 1)
        if connected(levels[j]):
            return j, b
        b, step = j - 1, 2 * step
    return None


def _pinch_point(open_mask: np.ndarray, clear: np.ndarray, best: float, start: np.ndarray,
                 targets: list[tuple[int, int]]) -> tuple[int, int]:
    """Cell where the widest path is narrowest: a breadth-first path through ``open_mask``
    from the start cells to the first reachable target, and the middle of the first
    stretch of that path at the bottleneck clearance."""
    from scipy import sparse
    from scipy.sparse import csgraph

    ny, nx = open_mask.shape
    idx = np.full(open_mask.shape, -1, np.int64)
    cells = np.flatnonzero(open_mask.ravel())
    idx.ravel()[cells] = np.arange(len(cells))
    rows, cols = [], []
    pairs = ((idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :]),
             (idx[:-1, :-1], idx[1:, 1:]), (idx[:-1, 1:], idx[1:, :-1]))  # 8-neighbours
    for a, b in pairs:
        ok = (a >= 0) & (b >= 0)
        rows.append(a[ok])
        cols.append(b[ok])
    n = len(cells) + 1  # extra node: the merged start area
    src = n - 1
    start_ids = idx[start & open_mask]
    r = np.concatenate(rows + [np.full(len(start_ids), src)])
    c = np.concatenate(cols + [start_ids])
    g = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, n))
    order, pred = csgraph.breadth_first_order(g, src, directed=False, return_predecessors=True)
    tgt = [idx[t] for t in targets if idx[t] >= 0 and (pred[idx[t]] >= 0 or idx[t] == src)]
    if not tgt:
        iy, ix = np.argwhere(start)[0]
        return int(iy), int(ix)
    path = [tgt[0]]
    while pred[path[-1]] >= 0 and pred[path[-1]] != src:
        path.append(int(pred[path[-1]]))
    flat = cells[np.asarray(path)]
    vals = clear.ravel()[flat]
    at = np.flatnonzero(vals <= best + 1e-6)
    if not len(at):
        k = int(np.argmin(vals))
    else:  # middle of the first run at the bottleneck value
        run_end = at[0]
        while run_end + 1 < len(vals) and vals[run_end + 1] <= best + 1e-6:
            run_end += 1
        k = (at[0] + run_end) // 2
    return int(flat[k] // nx), int(flat[k] % nx)


def rasterize(geom: shapely.Geometry, origin: tuple[float, float], resolution_m: float,
              shape: tuple[int, int]) -> np.ndarray:
    """Boolean grid (rows = y up) of cells covered by polygons (of any of the geometries
    given), via Pillow's polygon fill.

    Cells the outline touches count as covered, so the mask errs by at most one cell on
    the held side.
    """
    from PIL import Image, ImageDraw

    ny, nx = shape
    x0, y0 = origin
    out = np.zeros((ny, nx), bool)
    for g in ([geom] if isinstance(geom, shapely.Geometry) else geom):  # each part, then OR
        clip = clip_box(g, x0 - resolution_m, y0 - resolution_m,
                        x0 + (nx + 1) * resolution_m, y0 + (ny + 1) * resolution_m)
        img = Image.new("1", (nx, ny), 0)
        draw = ImageDraw.Draw(img)
        for poly in shapely.get_parts(clip):
            if shapely.get_type_id(poly) != 3 or poly.is_empty:
                continue
            for k, ring in enumerate([poly.exterior, *poly.interiors]):
                xy = (shapely.get_coordinates(ring) - (x0, y0)) / resolution_m - 0.5
                if len(xy) >= 3:
                    draw.polygon([tuple(p) for p in xy], fill=0 if k else 1)
        out |= np.asarray(img, dtype=bool)
    return out


def _box_groups(boxes: np.ndarray, cell: float = 10_000.0
                ) -> list[tuple[float, float, float, float]]:
    """Bounding boxes of groups of boxes that touch or lie near each other: the boxes
    are put on a ``cell`` grid, and each connected group of covered cells (corners
    included) is one group. Overlapping boxes share a cell, so the boxes of a run of
    consecutive changed vertices of a ring (which overlap) are always in one group."""
    if len(boxes) == 1:
        return [tuple(boxes[0])]
    from .exposure import _cover

    i0 = np.floor(boxes[:, :2] / cell).astype(np.int64)
    i1 = np.floor(boxes[:, 2:] / cell).astype(np.int64)
    base = i0.min(axis=0)
    n = i1.max(axis=0) - base + 1
    grid = _cover(i0 - base, i1 - base, n)
    lab, k = ndimage.label(grid, structure=np.ones((3, 3), int))
    which = lab[i0[:, 1] - base[1], i0[:, 0] - base[0]] - 1  # a box's first cell's group
    out = np.column_stack([np.full(k, np.inf), np.full(k, np.inf),
                           np.full(k, -np.inf), np.full(k, -np.inf)])
    np.minimum.at(out[:, 0], which, boxes[:, 0])
    np.minimum.at(out[:, 1], which, boxes[:, 1])
    np.maximum.at(out[:, 2], which, boxes[:, 2])
    np.maximum.at(out[:, 3], which, boxes[:, 3])
    return [tuple(x) for x in out[np.isfinite(out[:, 0])]]


@dataclass
class ClearanceRaster:
    """A clearance field (m) on a regular grid: distance to held territory per cell.

    The grid is aligned to multiples of ``resolution_m`` in the metric CRS and padded by
    ``cap_m`` on every side, and values are capped at ``cap_m``: a cell's value depends
    only on held ground within ``cap_m`` of it, so any two rasters covering a cell give
    it the same value (the query's window raster and the timeline's shared daily raster
    agree cell for cell). Held cells are those the polygon fill covers (cells the outline
    touches count, so the mask errs by at most one cell on the held side); distances come
    from a Euclidean distance transform.
    """

    origin: tuple[float, float]
    resolution_m: float
    clear: np.ndarray  # (ny, nx), 0 in held cells
    cap_m: float = CORRIDOR_CAP_M

    @classmethod
    def build(cls, held: shapely.Geometry | Sequence[shapely.Geometry],
              box: tuple[float, float, float, float],
              resolution_m: float = 1000.0, cap_m: float = CORRIDOR_CAP_M) -> ClearanceRaster:
        r = float(resolution_m)
        x0 = np.floor(box[0] / r) * r
        y0 = np.floor(box[1] / r) * r
        nx = max(2, int(np.ceil((box[2] - x0) / r)))
        ny = max(2, int(np.ceil((box[3] - y0) / r)))
        # held ground outside the box: pad the grid so it is seen up to the cap
        pad = int(np.ceil(cap_m / r))
        big = rasterize(held, (x0 - pad * r, y0 - pad * r), r, (ny + 2 * pad, nx + 2 * pad))
        if big.any():
            clear = distance_to_held(big) * r
        else:
            clear = np.full(big.shape, cap_m)
        clear = np.minimum(clear[pad:pad + ny, pad:pad + nx], cap_m)
        return cls((float(x0), float(y0)), r, clear, float(cap_m))

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The raster's extent (metric CRS)."""
        ny, nx = self.clear.shape
        x0, y0 = self.origin
        return (x0, y0, x0 + nx * self.resolution_m, y0 + ny * self.resolution_m)

    def updated(self, held: shapely.Geometry | Sequence[shapely.Geometry],
                changed: np.ndarray, max_share: float = 0.5) -> ClearanceRaster:
        """This raster for ``held`` ground that differs from the ground it was built on
        only inside the boxes ``changed`` (:func:`supplyline.data.control.changed_boxes`):
        the same cells as :meth:`build` gives, rebuilt only around the changes.

        A cell's value depends only on held cells within ``cap_m`` of it, and a held flag
        can change only inside a change: where the outline moved, and inside the bounding
        box of each run of changed vertices (a polygon's fill changes only between its old
        and new outline). So each group of touching boxes is rebuilt over its bounding
        box grown by ``cap_m`` and two cells (:meth:`build` of that window gives the same
        cells as of the whole raster); when the windows cover more than ``max_share`` of
        the raster, it is built whole."""
        r, cap = self.resolution_m, self.cap_m
        if not len(changed):
            return ClearanceRaster(self.origin, r, self.clear, cap)
        if not np.isfinite(changed).all():
            return ClearanceRaster.build(held, self.box, r, cap)
        ny, nx = self.clear.shape
        x0, y0 = self.origin
        grow = cap + 2 * r
        wins = []
        for b in _box_groups(np.asarray(changed, dtype=float)):
            j0 = max(0, int(np.floor((b[0] - grow - x0) / r)))
            i0 = max(0, int(np.floor((b[1] - grow - y0) / r)))
            j1 = min(nx, int(np.ceil((b[2] + grow - x0) / r)) + 1)
            i1 = min(ny, int(np.ceil((b[3] + grow - y0) / r)) + 1)
            if j0 < j1 and i0 < i1:
                wins.append((i0, i1, j0, j1))
        if not wins:
            return ClearanceRaster(self.origin, r, self.clear, cap)
        cover = np.zeros((ny, nx), bool)
        for i0, i1, j0, j1 in wins:
            cover[i0:i1, j0:j1] = True
        if cover.mean() > max_share:
            return ClearanceRaster.build(held, self.box, r, cap)
        clear = self.clear.copy()
        for i0, i1, j0, j1 in wins:
            sub = ClearanceRaster.build(held, (x0 + j0 * r, y0 + i0 * r, x0 + j1 * r,
                                               y0 + i1 * r), r, cap)
            si = int(round((y0 - sub.origin[1]) / r)) + i0
            sj = int(round((x0 - sub.origin[0]) / r)) + j0
            clear[i0:i1, j0:j1] = sub.clear[si:si + (i1 - i0), sj:sj + (j1 - j0)]
        return ClearanceRaster(self.origin, r, clear, cap)

    def covers(self, xy: np.ndarray) -> np.ndarray:
        """Points inside the raster's extent."""
        ny, nx = self.clear.shape
        x0, y0 = self.origin
        r = self.resolution_m
        return ((xy[:, 0] >= x0) & (xy[:, 0] < x0 + nx * r) &
                (xy[:, 1] >= y0) & (xy[:, 1] < y0 + ny * r))

    def contains_box(self, box: tuple[float, float, float, float]) -> bool:
        ny, nx = self.clear.shape
        x0, y0 = self.origin
        r = self.resolution_m
        return bool(box[0] >= x0 and box[1] >= y0 and box[2] < x0 + nx * r
                    and box[3] < y0 + ny * r)

    def held_at(self, xy: np.ndarray) -> np.ndarray:
        """Held flag of the cells containing points (n, 2)."""
        ny, nx = self.clear.shape
        j = np.clip(((xy[:, 0] - self.origin[0]) // self.resolution_m).astype(int), 0, nx - 1)
        i = np.clip(((xy[:, 1] - self.origin[1]) // self.resolution_m).astype(int), 0, ny - 1)
        return self.clear[i, j] <= 0

    def cell(self, xy: tuple[float, float]) -> tuple[int, int]:
        ny, nx = self.clear.shape
        return (int(np.clip((xy[1] - self.origin[1]) // self.resolution_m, 0, ny - 1)),
                int(np.clip((xy[0] - self.origin[0]) // self.resolution_m, 0, nx - 1)))

    def _window(self, start, targets, margin_m: float):
        pts = np.asarray([start, *targets], dtype=float)
        lo = self.cell(tuple(pts.min(axis=0) - margin_m))
        hi = self.cell(tuple(pts.max(axis=0) + margin_m))
        win = self.clear[lo[0]:hi[0] + 1, lo[1]:hi[1] + 1]
        t = [(c[0] - lo[0], c[1] - lo[1]) for c in (self.cell(p) for p in targets)]
        return win, lo, t

    def _start_mask(self, win: np.ndarray, lo, start, start_radius_m: float) -> np.ndarray:
        """Unheld cells of the window whose centre lies within ``start_radius_m`` of
        ``start``, and the start's own cell if unheld."""
        r = self.resolution_m
        ys = self.origin[1] + (lo[0] + np.arange(win.shape[0]) + 0.5) * r
        xs = self.origin[0] + (lo[1] + np.arange(win.shape[1]) + 0.5) * r
        rad = max(float(start_radius_m), 0.0)
        mask = ((xs[None, :] - start[0]) ** 2 + (ys[:, None] - start[1]) ** 2) <= rad ** 2
        s = self.cell(start)
        mask[s[0] - lo[0], s[1] - lo[1]] = True
        return mask & (win > 0)

    def corridor(self, start: tuple[float, float], targets: list[tuple[float, float]], *,
                 start_radius_m: float = 0.0, margin_m: float = 20_000,
                 prev: tuple | None = None) -> tuple[float, tuple]:
        """Widest-corridor clearance (km) from ``start`` (or any unheld cell within
        ``start_radius_m`` of it) to any target inside a window of ``margin_m``, and a
        token to pass back as ``prev`` next time (for the same start and targets).

        The quantity :func:`corridor` measures. Against ``prev`` the search is skipped
        when no cell whose value changed moved across the previous widest level L
        (neither ``>= L`` nor ``> L`` changed): the old widest path still connects at L,
        and a path connecting above L would have connected above L before, so L is still
        the answer. (The start cells depend on which cells are held, i.e. on the cells'
        values being 0, which is below any level L > 0.)
        """
        win, lo, t = self._window(start, targets, margin_m)
        if prev is not None and prev[0].shape == win.shape:
            old, value, best = prev
            changed = old != win
            if not changed.any():
                return value, prev
            if best is not None:
                a, b = old[changed], win[changed]
                if ((a >= best) == (b >= best)).all() and ((a > best) == (b > best)).all():
                    return value, (win, value, best)
        mask = self._start_mask(win, lo, start, start_radius_m)
        best = self._widest(win, mask, t, hint=prev[2] if prev is not None else None)
        value = 0.0 if best is None else round(best / 1000, 2)
        return value, (win, value, best)

    def _widest(self, win: np.ndarray, mask: np.ndarray, targets: list[tuple[int, int]],
                hint: float | None = None) -> float | None:
        """The widest level (m) in ``win`` from the start cells to a target, None if
        there is no start cell or no connection."""
        return widest_level(win, mask, targets, hint=hint) if mask.any() else None

    def corridor_detail(self, start: tuple[float, float], targets: list[tuple[float, float]],
                        *, start_radius_m: float = 0.0, margin_m: float = 20_000) -> Corridor:
        """:meth:`corridor` with the narrowest point of the widest path."""
        value, (win, _, best) = self.corridor(start, targets, start_radius_m=start_radius_m,
                                              margin_m=margin_m)
        if best is None:
            return Corridor(0.0, None, False, self.resolution_m)
        _, lo, t = self._window(start, targets, margin_m)
        mask = self._start_mask(win, lo, start, start_radius_m)
        iy, ix = _pinch_point(win >= best, win, best, mask, t)
        r = self.resolution_m
        xy = (float(self.origin[0] + (lo[1] + ix + 0.5) * r),
              float(self.origin[1] + (lo[0] + iy + 0.5) * r))
        return Corridor(value, xy, True, self.resolution_m)


# ---------------------------------------------------------------------------- pockets

#: Pockets are looked for within this radius (km) of the city: open ground this far from
#: the centre is "the rear" (outside the local fighting area) ...
POCKET_RADIUS_KM = 30.0
#: ... on a clearance raster of this cell size (m), finer than the corridor's.
POCKET_RESOLUTION_M = 250.0
#: A pocket's neck is at most this wide (km, full width between held ground) ...
POCKET_NECK_MAX_KM = 10.0
#: ... and the ground it cuts off is at least this many times the area of a disc as wide
#: as the neck: on average the pocket is wider than its neck.
POCKET_AREA_RATIO = 1.0
#: At most this many narrowings of the way out are tested as necks (the narrowest) ...
POCKET_MAX_CANDIDATES = 40
#: ... and none wider than this many times the widest neck a pocket may have.
NECK_SEARCH_FACTOR = 3.0


@dataclass
class Pocket:
    """Whether the city lies in open ground that reaches the rear only through a neck.

    ``way_out_width_km``: twice the least clearance kept by the widest open-ground way
    from the centre to the rear (its narrowest point may be the city's own edge).
    ``neck_width_km`` / ``neck_xy``: the neck, a narrowing of that way with held ground on
    both sides, across which a cut (of that length, held ground to held ground) separates
    the centre from the rear (see :func:`pocket`): for a pocket its neck, otherwise the
    narrowest such neck if any.
    ``area_km2`` and ``room_km``: the open ground that cut separates with the centre (its
    area, its largest clearance). ``closed``: no open-ground way out at all. ``reason``
    says which test decided; ``thresholds`` the values used.
    """

    pocket: bool
    closed: bool
    way_out_width_km: float | None
    neck_width_km: float | None
    neck_xy: tuple[float, float] | None
    room_km: float | None
    area_km2: float | None
    reason: str
    thresholds: dict[str, float] = field(default_factory=dict)


def pocket(held: shapely.Geometry, centre: tuple[float, float], *,
           start_radius_m: float = 0.0, radius_km: float = POCKET_RADIUS_KM,
           resolution_m: float = POCKET_RESOLUTION_M,
           neck_max_km: float = POCKET_NECK_MAX_KM,
           area_ratio: float = POCKET_AREA_RATIO) -> Pocket:
    """Pocket test of the open ground around a city (metric geometry in, figures out).

    On a clearance raster of ``resolution_m`` cells (:class:`ClearanceRaster`, clearance
    = distance to held ground, capped at ``radius_km``), "the rear" is every open point
    of the circle of ``radius_km`` around the centre:

    1. The way out: the widest open-ground path from the centre to the rear (on the
       maximum spanning tree of the 8-neighbour grid weighted by clearance, so that after
       its narrowest point it is also widest at every later narrowing). When the centre is
       held, the way starts at the clearest open cell within ``start_radius_m``.
    2. Necks: each narrowing of the way out (a local minimum of its clearance, or a point
       no wider than anything after it toward the rear; for a stretch of even width its
       first, middle and last cell) is cut across: from its
       nearest held cell through it to the nearest held cell on the far side (more than
       90 degrees round). The cut's length is the neck's width. At a true neck the cut
       separates the open ground around the centre from the rear; at a narrowing with
       held ground on one side only (the city's own edge on a front) there is no far side
       or the cut separates nothing. A cut through the centre does not count.
    3. A pocket: going out from the centre, the first neck that is narrow (width <=
       ``neck_max_km``) and cuts off open ground (with the centre) of area >=
       ``area_ratio`` x pi (width / 2)^2: on average wider than the neck.

    This catches a pocket wider than its neck, a sack of even width with the city at its
    end, and a city at the edge of a pocket (the narrowness at the city itself does not
    hide the neck beyond it). No open-ground way out at all: ``closed`` (a pocket).
    """
    r = radius_km * 1000.0
    res = float(resolution_m)
    th = {"radius_km": float(radius_km), "neck_max_km": float(neck_max_km),
          "area_ratio": float(area_ratio), "resolution_km": round(res / 1000, 3)}
    c = np.asarray(centre, dtype=float)
    raster = ClearanceRaster.build(held, (c[0] - r - 2 * res, c[1] - r - 2 * res,
                                          c[0] + r + 2 * res, c[1] + r + 2 * res), res, r)
    win = raster.clear
    ring = ring_points(centre, r, int(np.ceil(2 * np.pi * r / res)))
    rear = np.zeros(win.shape, bool)
    for p in ring:
        rear[raster.cell(tuple(p))] = True
    rear &= win > 0
    start = _start_cell(raster, centre, start_radius_m)
    if start is None:
        return Pocket(False, False, None, None, None, None, None,
                      "the city's cells are all held", th)
    path = _way_out(win, start, rear, raster.cap_m)
    if path is None:
        return Pocket(True, True, 0.0, 0.0, None, None, None,
                      f"closed: no open-ground way from the city to {radius_km:g} km away",
                      th)
    vals = win[path[:, 0], path[:, 1]]
    way = round(2 * float(vals.min()) / 1000, 2)
    necks = []  # (k along the path, width m, area km2, room m)
    widest = NECK_SEARCH_FACTOR * neck_max_km * 1000
    for k in _narrowings(vals):
        if 2 * vals[k] > widest:  # far wider than a neck can be: not cut
            continue
        cut = _cut_off(win, tuple(path[k]), start, rear, res)
        if cut is not None:
            necks.append((k, *cut))
    for k, w, area, room in necks:  # the first neck out from the centre that qualifies
        least = area_ratio * np.pi * (w / 2000) ** 2
        if w / 1000 <= neck_max_km and area >= least:
            return Pocket(True, False, way, round(w / 1000, 2), raster_xy(raster, path[k]),
                          round(room / 1000, 2), round(area, 1),
                          f"neck {w / 1000:.1f} km wide (<= {neck_max_km:g} km) cuts off "
                          f"{area:.0f} km2 of open ground with the city (>= {least:.0f} km2)",
                          th)
    if not necks:
        return Pocket(False, False, way, None, None, None, None,
                      f"no neck: no narrowing of the way out up to {widest / 1000:g} km wide "
                      f"has held ground on both sides (narrowest {way:.1f} km wide)", th)
    k, w, area, room = min(necks, key=lambda n: n[1])
    least = area_ratio * np.pi * (w / 2000) ** 2
    why = (f"narrowest neck {w / 1000:.1f} km wide (> {neck_max_km:g} km)"
           if w / 1000 > neck_max_km else
           f"neck {w / 1000:.1f} km wide cuts off only {area:.0f} km2 (< {least:.0f} km2, a "
           "disc as wide as the neck)")
    return Pocket(False, False, way, round(w / 1000, 2), raster_xy(raster, path[k]),
                  round(room / 1000, 2), round(area, 1), why, th)


def raster_xy(raster: ClearanceRaster, cell) -> tuple[float, float]:
    """Metric coordinates of the centre of a raster cell (row, column)."""
    r = raster.resolution_m
    return (float(raster.origin[0] + (int(cell[1]) + 0.5) * r),
            float(raster.origin[1] + (int(cell[0]) + 0.5) * r))


def _start_cell(raster: ClearanceRaster, centre: tuple[float, float],
                radius_m: float) -> tuple[int, int] | None:
    """The centre's cell, or where it is held the clearest open cell within ``radius_m``."""
    cell = raster.cell(centre)
    if raster.clear[cell] > 0:
        return cell
    mask = raster._start_mask(raster.clear, (0, 0), centre, radius_m)
    if not mask.any():
        return None
    k = int(np.argmax(np.where(mask, raster.clear, -1.0)))
    return k // raster.clear.shape[1], k % raster.clear.shape[1]


def _way_out(win: np.ndarray, start: tuple[int, int], rear: np.ndarray,
             cap: float) -> np.ndarray | None:
    """Cells (row, column) of the widest way from ``start`` to a rear cell on the maximum
    spanning tree of the open cells (8-neighbour, an edge weighs the lesser clearance of
    its cells); None when no rear cell is reachable."""
    from scipy import sparse
    from scipy.sparse import csgraph

    ny, nx = win.shape
    idx = np.full(win.shape, -1, np.int64)
    cells = np.flatnonzero(win.ravel() > 0)
    idx.ravel()[cells] = np.arange(len(cells))
    rows, cols, wts = [], [], []
    for a, b, ca, cb in ((idx[:, :-1], idx[:, 1:], win[:, :-1], win[:, 1:]),
                         (idx[:-1, :], idx[1:, :], win[:-1, :], win[1:, :]),
                         (idx[:-1, :-1], idx[1:, 1:], win[:-1, :-1], win[1:, 1:]),
                         (idx[:-1, 1:], idx[1:, :-1], win[:-1, 1:], win[1:, :-1])):
        ok = (a >= 0) & (b >= 0)
        rows.append(a[ok])
        cols.append(b[ok])
        wts.append(cap + 1.0 - np.minimum(ca[ok], cb[ok]))  # > 0; least = widest
    n = len(cells)
    g = sparse.csr_matrix((np.concatenate(wts), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(n, n))
    tree = csgraph.minimum_spanning_tree(g)
    s = int(idx[start])
    one = np.zeros(win.shape, bool)
    one[start] = True
    level = widest_level(win, one, [tuple(x) for x in np.argwhere(rear)])
    if level is None:
        return None
    # any rear cell joined to the start at that level: the tree path to it is a widest
    # path (the path between two cells of a maximum spanning tree is); the clearest one
    lab, _ = ndimage.label(win >= level, structure=np.ones((3, 3)))
    ends = np.flatnonzero((rear & (lab == lab[start])).ravel())
    v = int(idx.ravel()[ends[np.argmax(win.ravel()[ends])]])
    _, pred = csgraph.breadth_first_order(tree, s, directed=False, return_predecessors=True)
    chain = [v]
    while chain[-1] != s:
        chain.append(int(pred[chain[-1]]))
    flat = cells[np.asarray(chain[::-1])]
    return np.column_stack([flat // nx, flat % nx])


def _narrowings(vals: np.ndarray) -> list[int]:
    """Positions along a path (start to rear) where it narrows: its local minima of
    clearance (runs of equal values lower than the runs on both sides; the ends count
    when lower than their one neighbour run) and its bottlenecks toward the rear (runs no
    wider than anything after them, so a sack of even width has candidates all along),
    each run's first, middle and last cell, for the :data:`POCKET_MAX_CANDIDATES`
    narrowest runs, in path order (from the start)."""
    change = np.flatnonzero(np.diff(vals) != 0) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(vals)]]) - 1
    v = vals[starts]
    left = np.concatenate([[np.inf], v[:-1]])
    right = np.concatenate([v[1:], [np.inf]])
    after = np.concatenate([np.minimum.accumulate(v[::-1])[::-1][1:], [np.inf]])
    lows = np.flatnonzero(((v < left) & (v < right)) | (v <= after))
    lows = lows[np.argsort(v[lows], kind="stable")[:POCKET_MAX_CANDIDATES]]
    return sorted({int(k) for i in lows
                   for k in (starts[i], (starts[i] + ends[i]) // 2, ends[i])})


def _cut_line(win: np.ndarray, neck: tuple[int, int], res: float
              ) -> tuple[np.ndarray, float] | None:
    """A cut across a narrowing: the nearest held cell to ``neck`` and the nearest held
    cell on the far side (more than 90 degrees round from the first, within three times
    the neck's clearance), joined through the neck. Returns the cells of the cut (a band
    one cell either side of the two segments, which 8-neighbour steps cannot cross) and
    its length (m: the gap between held ground across the neck); None when there is no
    held ground on the far side."""
    ny, nx = win.shape
    w = float(win[neck]) / res  # in cells
    reach = int(np.ceil(3 * w)) + 2
    i0, i1 = max(0, neck[0] - reach), min(ny, neck[0] + reach + 1)
    j0, j1 = max(0, neck[1] - reach), min(nx, neck[1] + reach + 1)
    held = np.argwhere(win[i0:i1, j0:j1] <= 0) + (i0, j0)
    if not len(held):
        return None
    vec = (held - neck).astype(float)
    dist = np.hypot(vec[:, 0], vec[:, 1])
    a = int(np.argmin(dist))
    far = (vec @ vec[a] < 0) & (dist <= 3 * w + 1)
    if not far.any():
        return None
    b = int(np.flatnonzero(far)[np.argmin(dist[far])])
    cut = np.zeros(win.shape, bool)
    for end in (held[a], held[b]):  # only the cells round each segment's box
        lo = np.maximum(np.minimum(neck, end) - 2, 0)
        hi = np.minimum(np.maximum(neck, end) + 3, (ny, nx))
        yy, xx = np.mgrid[lo[0]:hi[0], lo[1]:hi[1]]
        pts = np.column_stack([yy.ravel(), xx.ravel()]).astype(float)
        near = _segment_distance(pts, np.asarray(neck, float), end.astype(float)) <= 1.0
        cut[lo[0]:hi[0], lo[1]:hi[1]] |= near.reshape(yy.shape)
    return cut, float(dist[a] + dist[b]) * res


def _segment_distance(pts: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of points to the segment a-b."""
    ab = b - a
    t = np.clip(((pts - a) @ ab) / max(float(ab @ ab), 1e-12), 0.0, 1.0)
    return np.hypot(*(pts - a - t[:, None] * ab).T)


def _cut_off(win: np.ndarray, neck: tuple[int, int], start: tuple[int, int],
             rear: np.ndarray, res: float) -> tuple[float, float, float] | None:
    """Width (m), area (km2) and room (largest clearance, m) of the open ground a cut
    across the neck (:func:`_cut_line`) separates from the rear with the start cell in
    it; None when there is no cut, it separates nothing or it runs through the start."""
    line = _cut_line(win, neck, res)
    if line is None:
        return None
    cut, width = line
    if cut[start]:
        return None
    lab, _ = ndimage.label((win > 0) & ~cut, structure=np.ones((3, 3)))
    own = int(lab[start])
    if own == 0 or (lab[rear] == own).any():
        return None
    region = lab == own
    return width, float(region.sum()) * res * res / 1e6, float(win[region].max())
