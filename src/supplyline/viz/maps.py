"""Static maps and animations: held territory, threat bands, networks and routes.

>>> from supplyline.analysis import Workspace
>>> from supplyline.maps import render_map, animate
>>> ws = Workspace()
>>> render_map(ws, "Pokrovsk", "2025-01-31", Path("pokrovsk.png"))        # .png / .svg / .pdf
>>> animate(ws, "Pokrovsk", "2025-01-01", "2025-03-01", Path("pokrovsk.gif"))  # .gif / .mp4

Everything is drawn with matplotlib (Agg canvas, no pyplot state, no basemap tiles, no
network access) in the metric CRS with equal aspect. Files are written atomically: to a
temporary file in the output directory, then moved over the output.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from ..analysis import queries
from ..analysis.figures import centre_distance, local_figures
from ..analysis.queries import city_day
from ..core.exposure import ThreatProfile
from ..crs import metric_xy, to_metric
from ..data.control import parse_date
from ..errors import SupplylineError
from ..i18n import N_, _, band_label, oblast_label, place_name, status_label
from ..io.cache import atomic_write
from .palette import (
    BOTTLENECK,
    HELD_ALPHA,
    HELD_EDGE,
    HELD_FILL,
    HUB_COLOURS,
    LOCAL_ROAD,
    NARROW_FILL,
    OBLAST_LINE,
    band_dashes,
)
from .palette import band_colours as _palette_colours

MAP_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
ANIMATION_FORMATS = {".gif": "gif", ".mp4": "mp4"}

ATTRIBUTION = N_("Control: DeepStateMap · Network: © EuroGeographics (EuroGlobalMap) · "
                 "Boundaries: © OpenStreetMap contributors · Places: GeoNames")
BAND_NOTE = N_("Threat bands are assumed reach distances from the front "
               "(strategic scale), not measurements.")

#: Colours and patterns come from the shared palette (:mod:`supplyline.viz.palette`).
HELD_FILL_RGB = tuple(
    round(255 - HELD_ALPHA * (255 - int(HELD_FILL[i:i + 2], 16))) for i in (1, 3, 5))
#: Local roads are drawn (thin, grey, not by band) only on maps up to this wide.
LOCAL_ROADS_MAX_WIDTH_M = 120_000.0
ROAD_WIDTHS = {"secondary": 0.8, "primary": 1.5, "motorway": 2.3}
MAIN_ROAD_CLASSES = ("motorway", "primary", "secondary")
DASH = (0, (4, 3))
RAIL_WIDTH = 2.2

#: Map body width (inches); its height follows the extent within these limits.
MAP_WIDTH_IN = 9.0
MAP_HEIGHT_IN = (6.0, 9.0)
LEGEND_WIDTH_IN = 3.7
MAX_PLACES = 15


# ---------------------------------------------------------------------- helpers
def _check_suffix(output: Path, formats: dict[str, str], what: str) -> str:
    fmt = formats.get(output.suffix.lower())
    if fmt is None:
        got = output.suffix or "no suffix"
        raise SupplylineError(f"{output}: {what} output must end in "
                              f"{', '.join(formats)} (got {got})")
    return fmt


def _write_atomic(output: Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` to a temporary file beside ``output`` with the same suffix (writers
    pick the format from it), moved over ``output`` only when complete, mode 0644
    (:func:`~supplyline.io.cache.atomic_write`: an unwritable location is one
    :class:`~supplyline.errors.OutputError` line and leaves any existing file as it was)."""
    def writer(tmp: Path) -> None:
        named = tmp.with_name(tmp.name + output.suffix)
        try:
            write(named)
            os.replace(named, tmp)
        finally:
            if named.exists():
                named.unlink()

    atomic_write(output, writer)


def band_colours(profile: ThreatProfile) -> list[str]:
    """Line colour per band index: held, each band (nearest first), beyond (the shared
    palette's, :func:`supplyline.viz.palette.band_colours`)."""
    return _palette_colours(profile)


def band_linestyles(profile: ThreatProfile) -> list:
    """Matplotlib line style per band index: the palette's dash patterns (scaled by the
    line width, as matplotlib does by default); held and beyond solid."""
    return ["solid" if d is None else (0, d) for d in band_dashes(profile)]


def _flatten(geoms, keep: tuple[int, ...]) -> np.ndarray:
    """Single parts of the given geometry type ids, multi-parts and collections unpacked."""
    arr = np.atleast_1d(np.asarray(geoms, dtype=object))
    arr = arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))] if len(arr) else arr
    if len(arr) == 0:
        return arr
    parts = shapely.get_parts(arr)
    while len(parts) and np.isin(shapely.get_type_id(parts), (4, 5, 6, 7)).any():
        parts = shapely.get_parts(parts)
    if 3 in np.atleast_1d(shapely.get_type_id(parts)) and 3 not in keep:
        poly = shapely.get_type_id(parts) == 3
        parts = np.concatenate([parts[~poly],
                                shapely.get_parts(shapely.boundary(parts[poly]))])
    types = shapely.get_type_id(parts)
    parts = parts[np.isin(types, keep) & ~shapely.is_empty(parts)]
    return parts


def _segments(geoms) -> list[np.ndarray]:
    """Coordinate arrays of every line part (polygons give their rings)."""
    parts = _flatten(geoms, (1, 2))
    if len(parts) == 0:
        return []
    xy, idx = shapely.get_coordinates(parts, return_index=True)
    return np.split(xy, np.flatnonzero(np.diff(idx)) + 1)


def _polygon_path(geom):
    """A matplotlib Path of (multi)polygons with holes (exterior CCW, holes CW)."""
    from matplotlib.path import Path as MPath
    from shapely.geometry.polygon import orient

    verts, codes = [], []
    for poly in _flatten(geom, (3,)):
        poly = orient(poly, 1.0)
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)
            if len(xy) < 4:
                continue
            c = np.full(len(xy), MPath.LINETO, dtype=np.uint8)
            c[0], c[-1] = MPath.MOVETO, MPath.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    if not verts:
        return None
    return MPath(np.concatenate(verts), np.concatenate(codes))


def _add_polygons(ax, geom, **kw) -> int:
    from matplotlib.patches import PathPatch

    path = _polygon_path(geom)
    if path is None:
        return 0
    ax.add_patch(PathPatch(path, **kw))
    return len(_flatten(geom, (3,)))


def _add_lines(ax, geoms, **kw):
    from matplotlib.collections import LineCollection

    segs = _segments(geoms)
    if not segs:
        return None
    kw.setdefault("capstyle", "round")
    kw.setdefault("joinstyle", "round")
    return ax.add_collection(LineCollection(segs, **kw), autolim=False)


def _expand_to_aspect(ext: tuple[float, float, float, float], aspect: float
                      ) -> tuple[float, float, float, float]:
    """Grow the shorter side of ``ext`` (x0, y0, x1, y1) so width / height == aspect."""
    x0, y0, x1, y1 = ext
    w, h = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _nice_length_km(width_km: float) -> float:
    target = width_km / 5
    best = 1.0
    for k in range(-1, 4):
        for m in (1, 2, 5):
            v = m * 10 ** k
            if v <= target:
                best = v
    return best


def _halo(width: float = 3.0):
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=width, foreground="white")]


def _scale_bar(ax, ext, fontsize: float = 8):
    """Alternating black / white bar in the lower-left corner; returns its artists."""
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = ext
    w, h = x1 - x0, y1 - y0
    km = _nice_length_km(w / 1000)
    L = km * 1000
    bx, by = x0 + 0.03 * w, y0 + 0.035 * h
    bh = 0.009 * h
    arts = [ax.add_patch(Rectangle((bx - 0.012 * w, by - 0.02 * h), L + 0.035 * w, 0.075 * h,
                                   facecolor="white", edgecolor="none", alpha=0.8, zorder=20))]
    for i, col in enumerate(("black", "white")):
        arts.append(ax.add_patch(Rectangle((bx + i * L / 2, by), L / 2, bh, facecolor=col,
                                           edgecolor="black", linewidth=0.8, zorder=21)))
    for frac, lab in ((0, "0"), (0.5, f"{km / 2:g}"), (1, f"{km:g} km")):
        arts.append(ax.text(bx + frac * L, by + bh + 0.008 * h, lab, ha="center", va="bottom",
                            fontsize=fontsize, zorder=22))
    return arts


def _north_arrow(ax, lon: float, lat: float, aspect: float, fontsize: float = 11):
    """Arrow to true north (grid convergence of the metric CRS applied), upper right."""
    p = to_metric(shapely.points([lon, lon], [lat, lat + 0.05]))
    dx, dy = np.diff(shapely.get_coordinates(p), axis=0)[0]
    ang = math.atan2(dx, dy)
    bx, by, ln = 0.955, 0.86, 0.07
    tip = (bx + math.sin(ang) * ln / aspect, by + math.cos(ang) * ln)
    arts = [ax.annotate("", xy=tip, xytext=(bx, by), xycoords="axes fraction",
                        arrowprops={"arrowstyle": "-|>,head_length=0.8,head_width=0.4",
                                    "color": "black", "lw": 1.8}, zorder=22),
            ax.text(tip[0], tip[1] + 0.012, "N", transform=ax.transAxes, ha="center",
                    va="bottom", fontsize=fontsize, fontweight="bold", zorder=22,
                    path_effects=_halo())]
    return arts


class _Labeller:
    """Greedy label placement: the first candidate offset that overlaps nothing placed."""

    OFFSETS = ((7, 0, "left", "center"), (-7, 0, "right", "center"),
               (0, 7, "center", "bottom"), (0, -7, "center", "top"),
               (6, 6, "left", "bottom"), (6, -6, "left", "top"),
               (-6, 6, "right", "bottom"), (-6, -6, "right", "top"))

    def __init__(self, ax):
        self.ax = ax
        self.renderer = ax.figure.canvas.get_renderer()
        self.taken = []
        self.frame = ax.get_window_extent(self.renderer)

    def block(self, artists) -> None:
        for a in artists:
            self.taken.append(a.get_window_extent(self.renderer).padded(2))

    def block_point(self, x: float, y: float, radius_pt: float) -> None:
        from matplotlib.transforms import Bbox

        px, py = self.ax.transData.transform((x, y))
        r = radius_pt * self.ax.figure.dpi / 72
        self.taken.append(Bbox([[px - r, py - r], [px + r, py + r]]))

    def place(self, x: float, y: float, text: str, *, gap: float = 0.0, **kw) -> bool:
        for dx, dy, ha, va in self.OFFSETS:
            s = 1 + gap / 7
            t = self.ax.annotate(text, (x, y), xytext=(dx * s, dy * s),
                                 textcoords="offset points", ha=ha, va=va,
                                 path_effects=_halo(), **kw)
            bb = t.get_window_extent(self.renderer)
            inside = (bb.x0 >= self.frame.x0 + 2 and bb.x1 <= self.frame.x1 - 2
                      and bb.y0 >= self.frame.y0 + 2 and bb.y1 <= self.frame.y1 - 2)
            if inside and not any(bb.overlaps(o) for o in self.taken):
                self.taken.append(bb.padded(2))
                return True
            t.remove()
        return False


def _edge_ids_in(net, box) -> np.ndarray:
    return np.sort(net.edge_tree.query(box, predicate="intersects"))


def _edge_bands(ws, mode: str, ground, ids: np.ndarray) -> np.ndarray:
    """Band index of each edge in ``ids`` on the ground's day: the same per-edge exposure
    the routes use (:meth:`~supplyline.core.routes.EdgeExposure.compute`)."""
    from ..core.routes import EdgeExposure

    if not len(ids):
        return np.zeros(0, np.int64)
    return EdgeExposure.compute(ws.network(mode), ground.index, ws.profile, ids).band


def _clip(geom, box):
    return shapely.intersection(geom, box) if not geom.is_empty else geom


def _band_outlines(held_geom, box, profile: ThreatProfile, simplify_m: float):
    """Outline of held territory buffered by each band distance, clipped to ``box``."""
    margin = profile.max_m + 2000
    near = _clip(held_geom, shapely.buffer(box, margin, join_style="mitre"))
    near = shapely.simplify(near, simplify_m)
    out = []
    for b in profile.bands:
        if near.is_empty:
            out.append(shapely.LineString())
            continue
        ring = shapely.boundary(shapely.buffer(near, b.max_km * 1000, quad_segs=6))
        out.append(_clip(ring, box))
    return out


def _band_label(profile: ThreatProfile, i: int) -> str:
    names = profile.names
    if i == 0:
        return _("held territory")
    if i == len(names) - 1:
        return _("beyond: > {km} km").format(km=f"{profile.bands[-1].max_km:g}")
    lo = profile.bands[i - 2].max_km if i >= 2 else 0
    return _("{band}: {lo}–{hi} km").format(band=band_label(names[i]), lo=f"{lo:g}",
                                            hi=f"{profile.bands[i - 1].max_km:g}")


LEGEND_GAP_IN = 0.16


class _Side(tuple):
    """A legend handle of several lines drawn side by side."""


def _handler_map():
    from matplotlib.legend_handler import HandlerTuple

    return {tuple: HandlerTuple(ndivide=1), _Side: HandlerTuple(ndivide=None, pad=0.2)}


def _make_legends(ax, sections, top_in: float, fontsize: float = 8.0) -> float:
    """Legends (title, handles, labels) stacked top-down from ``top_in`` inches below the
    top of ``ax``; returns the height used in inches."""
    renderer = ax.figure.canvas.get_renderer()
    dpi = ax.figure.dpi
    h_in = ax.get_window_extent(renderer).height / dpi
    used = 0.0
    for title, handles, labels in sections:
        if not handles:
            continue
        leg = ax.legend(handles, labels, loc="upper left",
                        bbox_to_anchor=(0, 1 - (top_in + used) / h_in),
                        frameon=False, fontsize=fontsize, title=title, alignment="left",
                        title_fontproperties={"weight": "bold", "size": fontsize + 1},
                        handlelength=2.6, borderaxespad=0, labelspacing=0.42,
                        handler_map=_handler_map())
        ax.add_artist(leg)
        used += leg.get_window_extent(renderer).height / dpi + LEGEND_GAP_IN
    return used - LEGEND_GAP_IN


def _legend_height_in(sections, width_in: float, dpi: float) -> float:
    """Height (inches) of stacked legends, measured on a scratch figure."""
    fig = _figure(width_in, 40.0)
    fig.set_dpi(dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    return _make_legends(ax, sections, 0.0)


def _rail_handle(colour: str, width: float = 2.0):
    from matplotlib.lines import Line2D

    return (Line2D([], [], color=colour, lw=width),
            Line2D([], [], color="white", lw=width * 0.45, linestyle=(0, (2.5, 2.5))))


def _draw_rail(ax, geoms, colour: str, width: float, zorder: float) -> None:
    _add_lines(ax, geoms, colors=colour, linewidths=width, zorder=zorder, capstyle="butt")
    _add_lines(ax, geoms, colors="white", linewidths=width * 0.45, zorder=zorder + 0.01,
               linestyles=[(0, (2.5, 2.5))], capstyle="butt")


def _place_dots(ax, lab, places) -> list:
    """Population-scaled dots for (name, x, y, population) rows; their space is blocked for
    labels. Returns the artists (a dot whose label finds no room can be removed)."""
    dots = []
    for _name, x, y, pop in places:
        sz = _dot_size(pop)
        dots.append(ax.scatter([x], [y], s=sz, facecolor="#303030", edgecolor="white",
                               linewidth=0.8, zorder=10))
        lab.block_point(x, y, math.sqrt(sz) / 2 + 1)
    return dots


def _pick_places(ws, box, exclude: list[tuple[tuple[float, float], int]], n: int,
                 min_sep_m: float, exclude_names: tuple[str, ...] = ()
                 ) -> list[tuple[str, float, float, int]]:
    """The ``n`` largest GeoNames places inside ``box``, city districts left out, each at
    least ``min_sep_m`` (or a larger neighbour's built-up radius) from those kept, and
    each name once."""
    from ..core.routes import city_radius_m

    pl = ws.gazetteer.places
    xy = ws.gazetteer.xy
    x0, y0, x1, y1 = shapely.bounds(box)
    inset = 0.02 * (x1 - x0)
    ok = ((xy[:, 0] > x0 + inset) & (xy[:, 0] < x1 - inset)
          & (xy[:, 1] > y0 + inset) & (xy[:, 1] < y1 - inset)
          & (pl["population"].to_numpy() > 0))
    if "source" in pl and (pl["source"].to_numpy() == "geonames").any():
        ok &= pl["source"].to_numpy() == "geonames"
    idx = np.flatnonzero(ok)
    idx = idx[np.argsort(-pl["population"].to_numpy()[idx], kind="stable")]
    chosen: list[tuple[str, float, float, int]] = []
    taken = [(np.asarray(p), max(min_sep_m, city_radius_m(pop))) for p, pop in exclude]
    names = set(exclude_names)
    district = ws.gazetteer.district
    for i in idx:
        p = xy[i]
        if any(np.hypot(*(p - q)) < sep for q, sep in taken):
            continue
        name = str(pl["name"].iat[i])
        if name in names or district[i]:
            continue
        names.add(name)
        pop = int(pl["population"].iat[i])
        taken.append((p, max(min_sep_m, city_radius_m(pop))))
        uk = str(pl["name_uk"].iat[i] or "") if "name_uk" in pl else ""
        chosen.append((place_name({"name": name, "name_uk": uk}), float(p[0]), float(p[1]),
                       pop))
        if len(chosen) >= n:
            break
    return chosen


def _dot_size(pop: int) -> float:
    return 4 + 3.2 * math.sqrt(max(pop, 0) / 1000)


def _route_lines(net, edge_ids) -> shapely.Geometry:
    ids = np.asarray(edge_ids, dtype=np.int64)
    if len(ids) == 0:
        return shapely.LineString()
    return shapely.line_merge(shapely.union_all(net.geoms[ids]))


def _figure(width_in: float, height_in: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), facecolor="white")
    FigureCanvasAgg(fig)
    return fig


# ---------------------------------------------------------------------- static map
@dataclass
class _Scene:
    """What a static map of a city-day shows, from the queries the CLI uses."""

    place: Any
    held: Any
    ground: Any
    hubs: list
    #: hub name -> {"status", "routes": {"safest"|"peacetime": {found, edge_ids, length_km}}}
    pairs: dict
    #: road resilience: disjoint_routes, beyond_band, bottleneck_edges [{edge, x, y}]
    resilience: dict | None
    #: narrowest_xy, connected, width_km (empty without hubs)
    corridor: dict
    centre_held: bool
    distance_km: float | None


@dataclass
class _Frame:
    """The map's extent and what fits in it."""

    ext: tuple[float, float, float, float]
    map_w: float
    map_h: float
    hub_cols: dict
    hub_in: list
    show_narrow: bool
    show_local: bool

    @property
    def box(self):
        return shapely.box(*self.ext)

    @property
    def width_m(self) -> float:
        return self.ext[2] - self.ext[0]

    def inside(self, xy) -> bool:
        return bool(self.ext[0] < xy[0] < self.ext[2] and self.ext[1] < xy[1] < self.ext[3])


def render_map(ws, city: str, date: str | dt.date, output: str | Path, *,
               to: list[str] | None = None, radius_km: float | None = None,
               dpi: int = 150) -> dict:
    """A static map of ``city`` on ``date``: held territory, threat band limits, main
    roads and railways coloured (and patterned) by band, road routes to the rear hubs
    (peacetime dashed, safest bold), the narrowest open-ground corridor, bottleneck
    segments, places, oblast boundaries, scale bar, north arrow, legend and attribution.

    The format follows the suffix of ``output`` (.png, .svg, .pdf). The extent is the
    city and its hubs with a margin, or a square of ``radius_km`` around the city.
    Returns the output path and counts of what was drawn.
    """
    t0 = time.perf_counter()
    output = Path(output)
    fmt = _check_map_args(output, radius_km, dpi)
    scene = _map_scene(ws, city, date, to)
    frame = _map_frame(scene, radius_km, ws.profile)
    colours = band_colours(ws.profile)
    sections = _legend_sections(ws.profile, colours, scene, frame)
    fig, ax, lax, layout = _map_figure(frame, sections, dpi)
    counts: dict = {}
    _draw_oblasts(ax, ws, frame.box, counts)
    _draw_held_and_bands(ax, scene.held, frame, ws.profile, colours, counts)
    _draw_networks(ax, ws, scene.ground, frame, colours, counts)
    _draw_routes(ax, ws.network("road"), scene, frame, counts)
    _draw_markers_and_labels(ax, ws, scene, frame, counts)
    _draw_titles(fig, scene, layout)
    _make_legends(lax, sections, 0.0)
    _write_atomic(output, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi,
                                                  facecolor="white"))
    return {
        "output": str(output), "format": fmt, "city": scene.place.name,
        "date": str(scene.held.requested), "data_date": str(scene.held.date),
        "data_exact": scene.held.exact, "extent_m": [round(v, 1) for v in frame.ext],
        "hubs": [h.name for h in scene.hubs], "counts": counts,
        "size_px": [round(layout["fig_w"] * dpi), round(layout["fig_h"] * dpi)],
        "seconds": round(time.perf_counter() - t0, 2),
    }


def _check_map_args(output: Path, radius_km: float | None, dpi: int) -> str:
    fmt = _check_suffix(output, MAP_FORMATS, "map")
    if radius_km is not None and not (0 < radius_km <= 500):
        raise SupplylineError(f"radius {radius_km!r} km: expected a number in (0, 500]")
    if not (20 <= dpi <= 1200):
        raise SupplylineError(f"dpi {dpi!r}: expected 20-1200")
    return fmt


def _map_scene(ws, city: str, date, to) -> _Scene:
    """Routes (road), resilience and the corridor of the city-day, as the CLI asks them."""
    cd = city_day(ws, city, date, to=to)
    place, held, hubs = cd.place, cd.held, cd.hubs
    if not hubs:
        local = local_figures(place, cd.ground, ws.options)
        return _Scene(place, held, cd.ground, hubs, {}, None, {}, local["centre_held"],
                      local["distance_to_front_km"])
    names = [h.ident or h.name for h in hubs]
    rr = queries.routes(ws, place, held.requested, to=names,
                        options=ws.options.with_(modes=("road",)))
    enc = queries.encirclement(ws, place, held.requested, to=names)
    road_block = rr.modes["road"]
    pairs = {pair.hub.name: {"status": pair.status, "routes": {
        k: {"found": r.found, "edge_ids": r.edge_ids, "length_km": r.length_km}
        for k, r in (("safest", pair.safest), ("peacetime", pair.peacetime))}}
        for pair in road_block.hubs}
    res = None
    if road_block.resilience is not None:
        rs = road_block.resilience
        # the bottleneck drawn is the cut of the last band that still has routes
        band = rs.bottleneck_band or "held"
        n = next((b.disjoint_routes for b in rs.by_band if b.band == band), 0)
        res = {"disjoint_routes": n, "beyond_band": band,
               "bottleneck_edges": [{"edge": b.edge, "x": float(xy[0]), "y": float(xy[1])}
                                    for b in rs.bottleneck
                                    for xy in [metric_xy(b.lon, b.lat)]]}
    corridor: dict = {}
    if enc.corridor_narrowest is not None:
        nx_, ny_ = metric_xy(enc.corridor_narrowest.lon, enc.corridor_narrowest.lat)
        corridor = {"narrowest_xy": (float(nx_), float(ny_)),
                    "connected": enc.corridor_connected, "width_km": enc.corridor_width_km}
    return _Scene(place, held, cd.ground, hubs, pairs, res, corridor, rr.centre_held,
                  rr.distance_to_front_km)


def _map_frame(scene: _Scene, radius_km: float | None, profile: ThreatProfile) -> _Frame:
    """The extent (the city and its hubs with a margin, or a square of ``radius_km``)
    grown to the map's aspect, and which optional things fit in it."""
    cxy = np.asarray(scene.place.xy)
    if radius_km is not None:
        r = radius_km * 1000
        ext = (cxy[0] - r, cxy[1] - r, cxy[0] + r, cxy[1] + r)
    else:
        pts = np.asarray([cxy, *[h.xy for h in scene.hubs]])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        margin = max(20_000.0, 0.12 * float((hi - lo).max())) if len(pts) > 1 else 40_000.0
        ext = (lo[0] - margin, lo[1] - margin, hi[0] + margin, hi[1] + margin)
    map_w = MAP_WIDTH_IN
    map_h = float(np.clip(map_w * (ext[3] - ext[1]) / (ext[2] - ext[0]), *MAP_HEIGHT_IN))
    ext = _expand_to_aspect(ext, map_w / map_h)
    hub_cols = {h.name: HUB_COLOURS[i % len(HUB_COLOURS)] for i, h in enumerate(scene.hubs)}
    frame = _Frame(ext, map_w, map_h, hub_cols, [], False,
                   ext[2] - ext[0] <= LOCAL_ROADS_MAX_WIDTH_M)
    frame.hub_in = [h for h in scene.hubs if frame.inside(h.xy)]
    # the neck matters only when it is open and within reach of the bands (the open-ground
    # distance field is capped, so a far-off "narrowest point" is arbitrary)
    c = scene.corridor
    nxy = c.get("narrowest_xy")
    frame.show_narrow = (bool(nxy) and frame.inside(nxy) and bool(c.get("connected"))
                         and 0 < c.get("width_km", 0) < 2 * profile.bands[-1].max_km)
    return frame


def _map_figure(frame: _Frame, sections: list, dpi: int):
    """Figure with the map axes on the left and the legend axes on the right (the legend
    may make the figure taller than the map)."""
    leg_h = _legend_height_in(sections, LEGEND_WIDTH_IN, dpi)
    top_in, bottom_in, left_in, gap_in, right_in = 0.95, 0.55, 0.25, 0.3, 0.15
    body_h = max(frame.map_h, leg_h)
    fig_w = left_in + frame.map_w + gap_in + LEGEND_WIDTH_IN + right_in
    fig_h = top_in + body_h + bottom_in
    fig = _figure(fig_w, fig_h)
    fig.set_dpi(dpi)
    map_y = bottom_in + body_h - frame.map_h
    ax = fig.add_axes((left_in / fig_w, map_y / fig_h, frame.map_w / fig_w,
                       frame.map_h / fig_h))
    ext = frame.ext
    ax.set_xlim(ext[0], ext[2])
    ax.set_ylim(ext[1], ext[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for sp in ax.spines.values():
        sp.set_color("#555555")
        sp.set_linewidth(0.8)
    lax = fig.add_axes(((left_in + frame.map_w + gap_in) / fig_w, bottom_in / fig_h,
                        LEGEND_WIDTH_IN / fig_w, body_h / fig_h))
    lax.axis("off")
    return fig, ax, lax, {"fig_w": fig_w, "fig_h": fig_h, "left_in": left_in}


def _draw_oblasts(ax, ws, box, counts: dict) -> None:
    obl = [_clip(shapely.boundary(o.geometry), box) for o in ws.gazetteer.oblasts]
    obl = [g for g in obl if not g.is_empty]
    _add_lines(ax, obl, colors=OBLAST_LINE, linewidths=0.7, zorder=1)
    counts["oblast_boundaries"] = len(obl)


def _draw_held_and_bands(ax, held, frame: _Frame, profile: ThreatProfile, colours: list,
                         counts: dict) -> None:
    """Held territory (fill and outline) and the outline of each band around it."""
    box, width_m = frame.box, frame.width_m
    simplify_m = max(20.0, width_m / 5000)
    held_clip = shapely.simplify(_clip(held.geometry, shapely.buffer(box, 2000)), simplify_m)
    counts["held_polygons"] = _add_polygons(ax, held_clip, facecolor=HELD_FILL,
                                            alpha=HELD_ALPHA, edgecolor="none", zorder=2)
    _add_lines(ax, held_clip, colors=HELD_EDGE, linewidths=0.9, zorder=2.1)
    outlines = _band_outlines(held.geometry, box, profile, max(50.0, width_m / 3000))
    counts["band_outlines"] = 0
    for i, g in enumerate(outlines):
        if _add_lines(ax, g, colors=colours[i + 1], linewidths=1.0, linestyles=[DASH],
                      zorder=3, capstyle="butt") is not None:
            counts["band_outlines"] += 1


def _draw_networks(ax, ws, ground, frame: _Frame, colours: list, counts: dict) -> None:
    """Local roads (context only, on small extents), then railways and main roads by
    their band on the day (colour and dash pattern)."""
    box = frame.box
    counts["local_road_edges"] = _draw_local_roads(ax, ws, box) if frame.show_local else 0
    styles = band_linestyles(ws.profile)
    by_band: dict[str, dict[str, int]] = {}
    for mode in ("rail", "road"):
        net = ws.network(mode)
        ids = _edge_ids_in(net, box)
        if mode == "road":
            ids = ids[np.isin(net.attr["cls"][ids], MAIN_ROAD_CLASSES)]
        bands = _edge_bands(ws, mode, ground, ids)
        counts[f"{mode}_edges"] = int(len(ids))
        by_band[mode] = {ws.profile.names[b]: int((bands == b).sum()) for b in np.unique(bands)}
        if mode == "rail":
            for b in np.unique(bands):
                _draw_rail(ax, net.geoms[ids[bands == b]], colours[b], RAIL_WIDTH, 4 + 0.02 * b)
            continue
        cls = net.attr["cls"][ids]
        for k, c in enumerate(("secondary", "primary", "motorway")):
            sel = cls == c
            if c != "secondary" and sel.any():  # white casing under the bigger roads
                _add_lines(ax, net.geoms[ids[sel]], colors="white",
                           linewidths=ROAD_WIDTHS[c] + 1.4, zorder=5 + k)
            for b in np.unique(bands[sel]):
                _add_lines(ax, net.geoms[ids[sel & (bands == b)]], colors=colours[b],
                           linewidths=ROAD_WIDTHS[c], linestyles=[styles[b]],
                           capstyle="butt" if styles[b] != "solid" else "round",
                           zorder=5 + k + 0.1 + 0.01 * b)
    counts["edges_by_band"] = by_band


def _draw_local_roads(ax, ws, box) -> int:
    road = ws.network("road")
    ids = _edge_ids_in(road, box)
    ids = ids[~np.isin(road.attr["cls"][ids], MAIN_ROAD_CLASSES)]
    _add_lines(ax, road.geoms[ids], colors=LOCAL_ROAD, linewidths=0.5, zorder=1.5)
    return int(len(ids))


def _draw_routes(ax, road, scene: _Scene, frame: _Frame, counts: dict) -> None:
    """Safest routes as wide translucent bands under the roads, peacetime routes dashed
    on top, and the bottleneck edges of the resilience cut."""
    box = frame.box
    counts["routes"] = 0
    for i, h in enumerate(scene.hubs):
        pr = scene.pairs.get(h.name)
        if pr is None:
            continue
        col = frame.hub_cols[h.name]
        safe, peace = pr["routes"]["safest"], pr["routes"]["peacetime"]
        if safe["found"]:
            _add_lines(ax, _clip(_route_lines(road, safe["edge_ids"]), box), colors=col,
                       linewidths=_safest_width(i), alpha=0.45, zorder=4.5 - 0.01 * i)
            counts["routes"] += 1
        if peace["found"]:
            _add_lines(ax, _clip(_route_lines(road, peace["edge_ids"]), box), colors=col,
                       linewidths=1.6, linestyles=[DASH], zorder=8.5, capstyle="butt")
            counts["routes"] += 1
    bott = scene.resilience["bottleneck_edges"] if scene.resilience else []
    if bott:
        ids = np.asarray([b["edge"] for b in bott], dtype=np.int64)
        _add_lines(ax, road.geoms[ids], colors="black", linewidths=6.5, zorder=9)
        _add_lines(ax, road.geoms[ids], colors=BOTTLENECK, linewidths=3.5, zorder=9.1)
    counts["bottleneck_edges"] = len(bott)


def _draw_markers_and_labels(ax, ws, scene: _Scene, frame: _Frame, counts: dict) -> None:
    """Scale bar, north arrow, the city, hubs, corridor neck, bottlenecks and places;
    labels placed by priority (city, corridor, hubs, places largest first)."""
    place, ext = scene.place, frame.ext
    cxy = np.asarray(place.xy)
    ax.figure.canvas.draw()  # fixes the transforms for label placement
    lab = _Labeller(ax)
    lab.block(_scale_bar(ax, ext))
    lab.block(_north_arrow(ax, place.lon, place.lat, frame.map_w / frame.map_h))
    ax.scatter([cxy[0]], [cxy[1]], s=150, marker="o", facecolor="white", edgecolor="black",
               linewidth=2.2, zorder=12)
    ax.scatter([cxy[0]], [cxy[1]], s=18, marker="o", color="black", zorder=12.1)
    lab.block_point(cxy[0], cxy[1], 8)
    for h in frame.hub_in:
        ax.scatter([h.xy[0]], [h.xy[1]], s=90, marker="s", facecolor=frame.hub_cols[h.name],
                   edgecolor="white", linewidth=1.5, zorder=11)
        lab.block_point(h.xy[0], h.xy[1], 6)
    nxy = scene.corridor.get("narrowest_xy")
    if frame.show_narrow:
        ax.scatter([nxy[0]], [nxy[1]], s=80, marker="D", facecolor=NARROW_FILL,
                   edgecolor="black", linewidth=1.4, zorder=12.2)
        lab.block_point(nxy[0], nxy[1], 5)
    counts["narrowest_corridor"] = frame.show_narrow
    for b in scene.resilience["bottleneck_edges"] if scene.resilience else []:
        if frame.inside((b["x"], b["y"])):  # a cut edge can be shorter than a millimetre
            ax.scatter([b["x"]], [b["y"]], s=70, marker="X", facecolor=BOTTLENECK,
                       edgecolor="black", linewidth=1.0, zorder=12.3)
            lab.block_point(b["x"], b["y"], 5)
    others = _pick_places(ws, frame.box, [(place.xy, place.population),
                                          *[(h.xy, h.population) for h in frame.hub_in]],
                          MAX_PLACES, max(3000.0, frame.width_m / 45),
                          (place.name, *[h.name for h in frame.hub_in]))
    dots = _place_dots(ax, lab, others)
    _label_by_priority(lab, scene, frame, others, dots, counts)


def _label_by_priority(lab, scene: _Scene, frame: _Frame, others: list, dots: list,
                       counts: dict) -> None:
    """Labels: the city, the corridor neck, hubs, then places (largest first); a place
    whose label finds no room loses its dot too."""
    place = scene.place
    cxy = np.asarray(place.xy)
    nxy = scene.corridor.get("narrowest_xy")
    lab.place(cxy[0], cxy[1], place_name(place), gap=4, fontsize=12, fontweight="bold", zorder=15)
    if frame.show_narrow:
        lab.place(nxy[0], nxy[1],
                  _("narrowest corridor\n{km} km clear").format(
                      km=f"{scene.corridor['width_km']:.1f}"),
                  gap=2, fontsize=8, fontstyle="italic", zorder=14, linespacing=1.0)
    for h in frame.hub_in:
        lab.place(h.xy[0], h.xy[1], place_name(h), gap=2, fontsize=10, fontweight="bold",
                  color=frame.hub_cols[h.name], zorder=14)
    n_lab = 0
    for (name, x, y, pop), dot in zip(others, dots, strict=True):
        if lab.place(x, y, name, fontsize=9 if pop >= 50_000 else 8, zorder=13,
                     color="#202020"):
            n_lab += 1
        else:  # an unnamed dot says nothing: leave it out
            dot.remove()
    counts["places"] = len(others)
    counts["places_labelled"] = n_lab


def _draw_titles(fig, scene: _Scene, layout: dict) -> None:
    """Title, subtitle (what is shown, where the front is, which data day) and the
    attribution and band note along the bottom."""
    place, held = scene.place, scene.held
    fig_h = layout["fig_h"]
    title = (f"{place_name(place)}, {oblast_label(place.oblast)}" if place.oblast
             else place_name(place))
    data_txt = (_("control data of {day}").format(day=held.date) if held.exact
                else _("data of {day} (last known day before {asked})").format(
                    day=held.date, asked=held.requested))
    where = (_("city centre is held") if scene.centre_held
             else _("centre {km} km from the front").format(km=f"{scene.distance_km:.1f}"))
    what = _("Held territory, threat bands, main roads and railways by exposure")
    if scene.hubs:
        what += ", " + _("road routes to rear hubs")
    x0 = layout["left_in"] / layout["fig_w"]
    fig.text(x0, 1 - 0.2 / fig_h, f"{title} — {held.requested}", fontsize=16,
             fontweight="bold", va="top", ha="left")
    sub = fig.text(x0, 1 - 0.6 / fig_h, f"{what} · {where} · {data_txt}", fontsize=9.5,
                   va="top", ha="left", color="#333333")
    # longer in some languages: smaller rather than past the figure's right edge
    room = (1 - x0) * fig.bbox.width - 10
    width = sub.get_window_extent(renderer=fig.canvas.get_renderer()).width
    if width > room:
        sub.set_fontsize(9.5 * room / width)
    fig.text(x0, 0.3 / fig_h, _(ATTRIBUTION), fontsize=7.5, color="#444444", va="center")
    fig.text(x0, 0.12 / fig_h, _(BAND_NOTE), fontsize=7, color="#666666", va="center")


def _safest_width(i: int) -> float:
    """Safest-route band widths shrink per hub so shared stretches show every colour."""
    return max(3.5, 10.0 - 2.8 * i)


def _legend_sections(profile, colours, scene: _Scene, frame: _Frame) -> list:
    """(title, handles, labels) of each legend block."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    def line(**kw):
        return Line2D([], [], **kw)

    styles = band_linestyles(profile)
    sections = [
        (_("Territory"),
         [Patch(facecolor=HELD_FILL, alpha=HELD_ALPHA, edgecolor=HELD_EDGE, linewidth=0.9),
          line(color=OBLAST_LINE, lw=0.8)],
         [_("held territory ({day})").format(day=scene.held.date), _("oblast boundary")]),
        (_("Threat band limits (assumed)"),
         [line(color=colours[i + 1], lw=1.2, linestyle=DASH) for i in range(len(profile.bands))],
         [_("{band}: {km} km from the front").format(band=band_label(b.name),
                                                     km=f"{b.max_km:g}")
          for b in profile.bands]),
        (_("Main roads and railways by band"),
         [line(color=colours[i], lw=2.3, linestyle=styles[i], dash_capstyle="butt")
          for i in range(len(profile.names))]
         + [_Side(line(color="#555555", lw=ROAD_WIDTHS[c], solid_capstyle="butt")
                  for c in ("motorway", "primary", "secondary")),
            _rail_handle("#555555")],
         [_band_label(profile, i) for i in range(len(profile.names))]
         + [_("M / primary / secondary road"), _("railway")]),
    ]
    if frame.show_local:
        sections[-1][1].append(line(color=LOCAL_ROAD, lw=0.8))
        sections[-1][2].append(_("local road (not by band)"))
    if scene.pairs:
        sections.append(_route_legend(scene, frame, line))
    sections.append(_marker_legend(scene, frame, line))
    return sections


def _route_legend(scene: _Scene, frame: _Frame, line) -> tuple:
    hh, hl = [], []
    for i, h in enumerate(scene.hubs):
        pr = scene.pairs.get(h.name)
        if pr is None:
            continue
        col = frame.hub_cols[h.name]
        safe, peace = pr["routes"]["safest"], pr["routes"]["peacetime"]
        hh.append((line(color=col, lw=_safest_width(i), alpha=0.45),
                   line(color=col, lw=1.6, linestyle=DASH)))
        detail = (_("safest {km} km").format(km=f"{safe['length_km']:.0f}") if safe["found"]
                  else _("no held-free route"))
        if peace["found"]:
            detail += " · " + _("peacetime {km} km").format(km=f"{peace['length_km']:.0f}")
        hl.append(f"{place_name(h)}: {status_label(pr['status'])}\n{detail}")
    hh += [line(color="#777777", lw=6, alpha=0.45),
           line(color="#555555", lw=1.6, linestyle=DASH)]
    hl += [_("safest route (furthest from the front)"), _("peacetime (shortest) route")]
    return (_("Road routes to rear hubs"), hh, hl)


def _marker_legend(scene: _Scene, frame: _Frame, line) -> tuple:
    mh = [line(marker="o", markersize=10, markerfacecolor="white", markeredgecolor="black",
               markeredgewidth=2, linestyle="none"),
          line(marker="o", markersize=6, markerfacecolor="#303030", markeredgecolor="white",
               linestyle="none")]
    ml = [place_name(scene.place), _("place (size ~ population)")]
    if frame.hub_in:
        mh.append(line(marker="s", markersize=8, markerfacecolor="#777777",
                       markeredgecolor="white", linestyle="none"))
        ml.append(_("rear hub"))
    if frame.show_narrow:
        mh.append(line(marker="D", markersize=7, markerfacecolor=NARROW_FILL,
                       markeredgecolor="black", linestyle="none"))
        ml.append(_("narrowest open-ground corridor"))
    res = scene.resilience
    if res is not None:
        n, band = res["disjoint_routes"], res["beyond_band"]
        where = (_("avoiding held ground") if band == "held"
                 else _("beyond {band}").format(band=band_label(band)))
        if res["bottleneck_edges"]:
            mh.append((line(color="black", lw=6), line(color=BOTTLENECK, lw=3),
                       line(marker="X", markersize=8, markerfacecolor=BOTTLENECK,
                            markeredgecolor="black", linestyle="none")))
            ml.append(_("bottleneck: {n} disjoint road\nroute(s) {where}").format(
                n=n, where=where))
        else:
            mh.append(line(linestyle="none"))
            ml.append(_("no road route avoids\nheld ground: no bottleneck to show"))
    return (_("Markers"), mh, ml)


# ---------------------------------------------------------------------- animation
ANIM_MAP_IN, ANIM_TOP_IN, ANIM_BOTTOM_IN, ANIM_DPI = 7.0, 0.85, 0.45, 100


def _frame_dates(start: dt.date, end: dt.date, step_days: int) -> list[dt.date]:
    n = (end - start).days // step_days + 1
    return [start + dt.timedelta(days=k * step_days) for k in range(n)]


def animate(ws, city: str, start: str | dt.date, end: str | dt.date, output: str | Path, *,
            step_days: int = 7, radius_km: float = 40, fps: int = 4, progress=None) -> dict:
    """An animation (.gif, or .mp4 with ffmpeg) of held territory around ``city``.

    One frame every ``step_days`` from ``start`` to ``end`` (``end`` itself only when it
    falls on a step): held territory, the previous frame's front faintly, threat band
    limits, the city, main roads and railways, the date and the centre's distance to held
    territory. ``progress`` (a rich Progress) is advanced once per frame.
    """
    t0 = time.perf_counter()
    output = Path(output)
    fmt = _check_animation_args(output, step_days, radius_km, fps)
    s, e = parse_date(start), parse_date(end)
    if e < s:
        raise SupplylineError(f"end {e} is before start {s}")
    ws.history.index_on(s)  # a start before the history raises DateOutOfRangeError
    dates = _frame_dates(s, e, int(step_days))
    place = ws.find(city).place
    cxy, r = np.asarray(place.xy), radius_km * 1000
    ext = (cxy[0] - r, cxy[1] - r, cxy[0] + r, cxy[1] + r)
    fig, ax = _animation_figure(ext)
    _draw_animation_context(ax, ws, place, ext)
    frames = _HeldFrames(ax, ws, place, ext, _animation_texts(fig, ax, ws.profile, step_days))
    _write_animation(output, fmt, fig, dates, frames.draw, fps, progress)
    size = fig.get_size_inches()
    return {"output": str(output), "format": fmt, "city": place.name, "frames": len(dates),
            "start": str(dates[0]), "end": str(dates[-1]), "step_days": int(step_days),
            "fps": fps, "size_px": [round(size[0] * ANIM_DPI), round(size[1] * ANIM_DPI)],
            "per_frame": frames.rows, "seconds": round(time.perf_counter() - t0, 2)}


def _check_animation_args(output: Path, step_days: int, radius_km: float, fps: int) -> str:
    from matplotlib import animation

    fmt = _check_suffix(output, ANIMATION_FORMATS, "animation")
    if fmt == "mp4" and not animation.writers.is_available("ffmpeg"):
        raise SupplylineError(f"{output}: mp4 output needs ffmpeg on PATH (not found); "
                              "write a .gif instead")
    if int(step_days) != step_days or step_days < 1:
        raise SupplylineError(f"step {step_days!r} days: expected a whole number >= 1")
    if not (0 < radius_km <= 500):
        raise SupplylineError(f"radius {radius_km!r} km: expected a number in (0, 500]")
    if not (1 <= fps <= 60):
        raise SupplylineError(f"fps {fps!r}: expected 1-60")
    return fmt


def _animation_figure(ext):
    fig_w, fig_h = ANIM_MAP_IN + 0.3, ANIM_MAP_IN + ANIM_TOP_IN + ANIM_BOTTOM_IN
    fig = _figure(fig_w, fig_h)
    ax = fig.add_axes((0.15 / fig_w, ANIM_BOTTOM_IN / fig_h, ANIM_MAP_IN / fig_w,
                       ANIM_MAP_IN / fig_h))
    ax.set_xlim(ext[0], ext[2])
    ax.set_ylim(ext[1], ext[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    return fig, ax


def _draw_animation_context(ax, ws, place, ext) -> None:
    """What every frame shares, drawn once: oblast boundaries, railways and main roads
    (grey), scale bar, north arrow, the city and the larger places with labels."""
    box = shapely.box(*ext)
    obl = [_clip(shapely.boundary(o.geometry), box) for o in ws.gazetteer.oblasts]
    _add_lines(ax, [g for g in obl if not g.is_empty], colors=OBLAST_LINE, linewidths=0.7,
               zorder=1)
    rail = ws.network("rail")
    _draw_rail(ax, rail.geoms[_edge_ids_in(rail, box)], "#6d6d6d", 1.8, 4)
    road = ws.network("road")
    ids = _edge_ids_in(road, box)
    cls = road.attr["cls"][ids]
    for k, (c, col) in enumerate((("secondary", "#9a9a9a"), ("primary", "#5f5f5f"),
                                  ("motorway", "#3a3a3a"))):
        sel = ids[cls == c]
        if c != "secondary":
            _add_lines(ax, road.geoms[sel], colors="white", linewidths=ROAD_WIDTHS[c] + 1.2,
                       zorder=5 + k)
        _add_lines(ax, road.geoms[sel], colors=col, linewidths=ROAD_WIDTHS[c],
                   zorder=5 + k + 0.1)
    ax.figure.canvas.draw()
    lab = _Labeller(ax)
    lab.block(_scale_bar(ax, ext))
    lab.block(_north_arrow(ax, place.lon, place.lat, 1.0))
    cxy = np.asarray(place.xy)
    ax.scatter([cxy[0]], [cxy[1]], s=130, facecolor="white", edgecolor="black", linewidth=2.2,
               zorder=12)
    ax.scatter([cxy[0]], [cxy[1]], s=16, color="black", zorder=12.1)
    lab.block_point(cxy[0], cxy[1], 8)
    others = _pick_places(ws, box, [(place.xy, place.population)], 8,
                          max(3000.0, (ext[2] - ext[0]) / 35), (place.name,))
    dots = _place_dots(ax, lab, others)
    lab.place(cxy[0], cxy[1], place_name(place), gap=4, fontsize=12, fontweight="bold", zorder=15)
    for (name, x, y, _pop), dot in zip(others, dots, strict=True):
        if not lab.place(x, y, name, fontsize=8.5, zorder=13, color="#202020"):
            dot.remove()


def _animation_texts(fig, ax, profile: ThreatProfile, step_days: int) -> tuple:
    """Legend and attribution (fixed), and the title and subtitle each frame sets."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    colours = band_colours(profile)
    fig_w, fig_h = fig.get_size_inches()
    handles = [Patch(facecolor=HELD_FILL, alpha=HELD_ALPHA, edgecolor=HELD_EDGE),
               Line2D([], [], color=HELD_EDGE, lw=1.0, alpha=0.45, linestyle=(0, (1.5, 1.5))),
               *[Line2D([], [], color=colours[i + 1], lw=1.2, linestyle=DASH)
                 for i in range(len(profile.bands))]]
    labels = [_("held territory"), _("front {n} d earlier").format(n=step_days),
              *[f"{band_label(b.name)} {b.max_km:g} {_('km')}" for b in profile.bands]]
    ax.legend(handles, labels, loc="upper left", fontsize=7.5, framealpha=0.85,
              handlelength=2.2, borderaxespad=0.4).set_zorder(30)
    fig.text(0.15 / fig_w, 0.22 / fig_h, _(ATTRIBUTION), fontsize=6, color="#444444",
             va="center", ha="left")
    title = fig.text(0.15 / fig_w, 1 - 0.15 / fig_h, "", fontsize=15, fontweight="bold",
                     va="top", ha="left")
    sub = fig.text(0.15 / fig_w, 1 - 0.55 / fig_h, "", fontsize=9.5, va="top", ha="left",
                   color="#333333")
    return title, sub


class _HeldFrames:
    """Draws one date's held territory, the previous frame's front and the band limits,
    and sets the title; keeps a row of figures per frame."""

    def __init__(self, ax, ws, place, ext, texts) -> None:
        self.ax, self.ws, self.place = ax, ws, place
        self.box = shapely.box(*ext)
        self.fill_box = shapely.buffer(self.box, 2000, join_style="mitre")
        self.simplify_m = max(20.0, (ext[2] - ext[0]) / 4000)
        self.colours = band_colours(ws.profile)
        self.title, self.sub = texts
        self.prev = None
        self.dynamic: list = []
        self.rows: list[dict] = []

    def draw(self, d: dt.date) -> None:
        from matplotlib.patches import PathPatch

        ax, ws = self.ax, self.ws
        for a in self.dynamic:
            a.remove()
        self.dynamic.clear()
        held = ws.history.held(d)
        g = shapely.simplify(_clip(held.geometry, self.fill_box), self.simplify_m)
        if self.prev is not None:
            self.dynamic.append(_add_lines(ax, self.prev, colors=HELD_EDGE, linewidths=1.0,
                                           alpha=0.45, linestyles=[(0, (1.5, 1.5))],
                                           zorder=3.5, capstyle="butt"))
        path = _polygon_path(g)
        if path is not None:
            self.dynamic.append(ax.add_patch(PathPatch(path, facecolor=HELD_FILL,
                                                       alpha=HELD_ALPHA, edgecolor="none",
                                                       zorder=2)))
            self.dynamic.append(_add_lines(ax, g, colors=HELD_EDGE, linewidths=0.9,
                                           zorder=2.1))
        outlines = _band_outlines(held.geometry, self.box, ws.profile, self.simplify_m * 2)
        for i, o in enumerate(outlines):
            self.dynamic.append(_add_lines(ax, o, colors=self.colours[i + 1], linewidths=1.0,
                                           linestyles=[DASH], zorder=3, capstyle="butt"))
        self.dynamic[:] = [a for a in self.dynamic if a is not None]
        self._caption(d, held)
        self.prev = g

    def _caption(self, d: dt.date, held) -> None:
        d_km, _where = centre_distance(self.place, self.ws.ground(held))
        dist = math.inf if d_km is None else d_km * 1000
        inside = dist == 0
        band = self.ws.profile.band_name(dist, inside)
        self.title.set_text(f"{place_name(self.place)} — {d}")
        where = (_("centre at the front") if inside else
                 _("centre {km} km from the front ({band})").format(
                     km=f"{dist / 1000:.1f}", band=band_label(band))
                 if math.isfinite(dist) else _("no held territory"))
        data = "" if held.exact else " · " + _("data of {day}").format(day=held.date)
        self.sub.set_text(f"{where}{data}")
        self.rows.append({"date": str(d), "data_date": str(held.date),
                          "distance_km": round(dist / 1000, 2) if math.isfinite(dist) else None,
                          "band": band})


def _write_animation(output: Path, fmt: str, fig, dates: list, draw, fps: int,
                     progress) -> None:
    from matplotlib import animation

    writer = animation.PillowWriter(fps=fps) if fmt == "gif" else animation.FFMpegWriter(fps=fps)
    task = (progress.add_task(f"Rendering {len(dates)} frames", total=len(dates))
            if progress is not None else None)

    def write(tmp: Path) -> None:
        with writer.saving(fig, str(tmp), ANIM_DPI):
            for d in dates:
                draw(d)
                writer.grab_frame(facecolor="white")
                if task is not None:
                    progress.advance(task)

    _write_atomic(output, write)


__all__ = ["ATTRIBUTION", "HELD_FILL", "HELD_FILL_RGB", "animate", "band_colours",
           "band_linestyles", "render_map"]
