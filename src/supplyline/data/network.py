"""The routable transport network.

:func:`build_network` turns a GeoDataFrame of lines (see :mod:`supplyline.loaders`)
into a :class:`Network`: lines are projected to the metric CRS, noded at T-junctions,
split into edges no longer than ``max_edge_m`` (so exposure is measured per short
stretch), tile-seam splits (same ``seam_id``) are joined within ``seam_tol_m`` and all
other near-coincident ends are snapped within ``snap_tol_m``.

Graph work uses :mod:`scipy.sparse.csgraph`; edges keep length, class, route numbers
and mode. :func:`load_network` adds the data-source lookup and an on-disk cache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from .._kdtree import cKDTree
from .._lazy import lazy_module
from ..crs import METRIC_CRS
from ..errors import DataFormatError
from ..io.cache import cache_key, file_fingerprint, open_entry, write_entry

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
else:  # building and the edge table only: a cached network loads without them
    gpd = lazy_module("geopandas")
    pd = lazy_module("pandas")

log = logging.getLogger(__name__)

DEFAULT_SNAP_TOL_M = 10.0
DEFAULT_SEAM_TOL_M = 150.0
DEFAULT_MAX_EDGE_M = 1000.0
#: Spacing of the sample points used to measure an edge's clearance from held territory.
SAMPLE_SPACING_M = 200.0
#: Part of the network cache key: bump when building changes (2: crossroads noding, seam
#: joins only across different lines, no isolated nodes left by dropped loops).
NETWORK_ALGORITHM = 2


@dataclass(frozen=True)
class BuildParams:
    snap_tol_m: float = DEFAULT_SNAP_TOL_M
    seam_tol_m: float = DEFAULT_SEAM_TOL_M
    max_edge_m: float = DEFAULT_MAX_EDGE_M


class Lines:
    """Edge geometries kept as coordinates (``coords``, and ``offsets``: edge i's
    vertices are ``coords[offsets[i]:offsets[i + 1]]``), made into shapely lines only
    for the edges asked for (:meth:`take`), each at most once."""

    def __init__(self, coords: np.ndarray | Callable[[], np.ndarray],
                 offsets: np.ndarray | Callable[[], np.ndarray], n: int | None = None):
        self._coords, self._offsets = coords, offsets
        if n is None:
            n = len(self.offsets) - 1
        self._made = np.empty(n, dtype=object)
        self._have = np.zeros(n, dtype=bool)

    @cached_property
    def coords(self) -> np.ndarray:
        c = self._coords
        return c() if callable(c) else c

    @cached_property
    def offsets(self) -> np.ndarray:
        o = self._offsets
        return np.asarray(o() if callable(o) else o, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._have)

    @classmethod
    def of(cls, geoms: np.ndarray) -> Lines:
        coords, owner = shapely.get_coordinates(geoms, return_index=True)
        offsets = np.zeros(len(geoms) + 1, np.int64)
        np.cumsum(np.bincount(owner, minlength=len(geoms)), out=offsets[1:])
        out = cls(coords, offsets)
        out._made[:] = geoms
        out._have[:] = True
        return out

    def take(self, ids: np.ndarray) -> np.ndarray:
        """Shapely lines of the edges ``ids`` (an index array or a boolean mask)."""
        ids = np.arange(len(self))[ids] if np.asarray(ids).dtype == bool else \
            np.asarray(ids, dtype=np.int64)
        need = np.unique(ids[~self._have[ids]])
        if len(need):
            a, b = self.offsets[need], self.offsets[need + 1]
            n = b - a
            take = np.repeat(a - np.concatenate([[0], np.cumsum(n)[:-1]]), n) + np.arange(
                int(n.sum()))
            self._made[need] = shapely.linestrings(
                np.asarray(self.coords[take]), indices=np.repeat(np.arange(len(need)), n))
            self._have[need] = True
        return self._made[ids]


#: Text columns in ``Network.attr``.
_ATTR = ("cls", "ref", "eref", "name")
#: Stored arrays that are not columns of the edge table.
_DERIVED = ("edge_mid_xy", "samples_xy", "samples_start")


class _LinesView:
    """The lines of some edges of another network's :class:`Lines` (a sub-network)."""

    def __init__(self, parent: Lines | _LinesView, ids: np.ndarray):
        self.parent, self.ids = parent, ids

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, ids: np.ndarray) -> np.ndarray:
        return self.parent.take(self.ids[ids])


def _text_values(values: list, first: bool = False) -> np.ndarray:
    """Distinct values of a text column as str ("" for missing); ``first``: the part
    before the first ";"."""
    vals = ["" if v is None else str(v) for v in values]
    if first:
        vals = [v.split(";")[0] for v in vals]
    return np.asarray(vals, dtype=object)


def _decode_text(val: Any) -> np.ndarray:
    """A text column kept as (codes, distinct values) as an object array of str."""
    codes, values = val
    return np.asarray(values, dtype=object)[np.asarray(codes)]


class Network:
    """A routable network: edges between nodes ``node_xy`` (metric CRS).

    The edge arrays (``u``, ``v``, ``length``, ``attr``, ``edge_mid_xy``, ``samples``,
    the geometries through :meth:`lines`) are what routing and exposure read; ``edges``
    is the whole edge table as a GeoDataFrame (made when first asked for when the
    network was loaded from the cache). ``edges`` columns: ``u``, ``v`` (node ids),
    ``length`` (m), ``mode``, ``cls``, ``ref``, ``eref``, ``surface``, ``name``,
    ``component`` and the geometry.
    """

    #: a sub-network's edge and node ids in the network it was cut from (set by
    #: :meth:`subnetwork` only; other networks have neither attribute)
    parent_edges: np.ndarray
    parent_nodes: np.ndarray

    def __init__(self, mode: str, node_xy: np.ndarray, edges: gpd.GeoDataFrame | None = None,
                 report: dict | None = None, *, columns: dict[str, Any] | None = None,
                 lines: Lines | _LinesView | None = None):
        self.mode = mode
        self.node_xy = node_xy
        self.report = report if report is not None else {}
        self._edges = edges
        #: edge columns as arrays (u, v, length, text columns as (codes, values), ...)
        self._columns = columns or {}
        self._lines = lines
        #: a sub-network's (parent, parent edge ids): where its sample points are
        self._sample_src: tuple[Network, np.ndarray] | None = None

    @classmethod
    def from_arrays(cls, mode: str, node_xy: np.ndarray, u: np.ndarray, v: np.ndarray,
                    length: np.ndarray, report: dict | None = None) -> Network:
        """A network of plain edges (no attributes, no geometry)."""
        return cls(mode, node_xy, report=report,
                   columns={"u": np.asarray(u, np.int64), "v": np.asarray(v, np.int64),
                            "length": np.asarray(length, np.float64)})

    def _column(self, name: str) -> Any:
        """Edge column ``name`` from the arrays (text columns as (codes, values)), else
        from the edge table."""
        if name in self._columns:
            val = self._columns[name]
            if callable(val):  # read from the cache when first used
                val = self._columns[name] = val()
            return val
        if self._edges is None:
            raise KeyError(f"network has no edge column {name!r}")
        return self._edges[name].to_numpy()

    @property
    def edges(self) -> gpd.GeoDataFrame:
        """The edge table (GeoDataFrame, metric CRS)."""
        if self._edges is None:
            self._edges = self._make_table()
        return self._edges

    @edges.setter
    def edges(self, value: gpd.GeoDataFrame) -> None:
        self._edges = value

    def _make_table(self) -> gpd.GeoDataFrame:
        cols = {}
        for name in self._columns:
            if name in _DERIVED:
                continue
            val = self._column(name)
            cols[name] = (_decode_text(val) if isinstance(val, tuple) else np.asarray(val))
        return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries(self.geoms, crs=METRIC_CRS),
                                crs=METRIC_CRS)

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    @cached_property
    def u(self) -> np.ndarray:
        return np.asarray(self._column("u"), dtype=np.int64)

    @cached_property
    def v(self) -> np.ndarray:
        return np.asarray(self._column("v"), dtype=np.int64)

    @cached_property
    def length(self) -> np.ndarray:
        return np.asarray(self._column("length"), dtype=np.float64)

    @property
    def line_store(self) -> Lines | _LinesView:
        if self._lines is None:
            e = self.edges
            self._lines = Lines.of(e.geometry.values._data if hasattr(
                e.geometry.values, "_data") else np.asarray(e.geometry.values))
        return self._lines

    def lines(self, ids: np.ndarray) -> np.ndarray:
        """Shapely lines of the edges ``ids`` only (made from stored coordinates on
        first use; :attr:`geoms` makes every line)."""
        return self.line_store.take(ids)

    @cached_property
    def geoms(self) -> np.ndarray:
        """Every edge's line (metric CRS)."""
        if self._edges is not None and self._lines is None:
            g = self._edges.geometry.values
            return g._data if hasattr(g, "_data") else np.asarray(g)
        return self.lines(np.arange(len(self.length)))

    @cached_property
    def attr(self) -> dict[str, np.ndarray]:
        """Edge attributes as plain numpy object arrays of str, "" where missing (fast
        element access); ``ref1`` is the first route number of ``ref``."""
        out: dict[str, np.ndarray] = {}
        for c in ("cls", "ref", "eref", "name"):
            if c in self._columns:
                codes, values = self._column(c)
                out[c] = _text_values(values)[np.asarray(codes)]
                if c == "ref":
                    out["ref1"] = _text_values(values, first=True)[np.asarray(codes)]
            else:
                out[c] = self.edges[c].fillna("").astype(str).to_numpy(dtype=object)
        if "ref1" not in out:
            out["ref1"] = np.array([r.split(";")[0] for r in out["ref"]], dtype=object)
        return out

    @cached_property
    def edge_tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.geoms)

    @cached_property
    def edge_mid_xy(self) -> np.ndarray:
        if "edge_mid_xy" in self._columns:
            return self._column("edge_mid_xy")
        mid = shapely.line_interpolate_point(self.geoms, 0.5, normalized=True)
        return shapely.get_coordinates(mid)

    @cached_property
    def samples(self) -> tuple[np.ndarray, np.ndarray]:
        """Points every <= ``SAMPLE_SPACING_M`` along each edge (both ends included).

        Returns (xy, start) where edge i's samples are ``xy[start[i]:start[i+1]]``.
        """
        if "samples_xy" in self._columns:
            return self._column("samples_xy"), self._column("samples_start")
        if self._sample_src is not None:  # a sub-network: its parent's points, copied
            xy, n = self.sample_points(np.arange(len(self.length)))
            return xy, np.concatenate([[0], np.cumsum(n)])
        n = np.ceil(self.length / SAMPLE_SPACING_M).astype(np.int64) + 1
        start = np.concatenate([[0], np.cumsum(n)])
        eid = np.repeat(np.arange(len(n)), n)
        k = np.arange(start[-1]) - start[eid]
        frac = k / (n[eid] - 1)
        pts = shapely.line_interpolate_point(self.geoms[eid], frac, normalized=True)
        return shapely.get_coordinates(pts), start

    def sample_points(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sample points of the edges ``ids`` (:attr:`samples`), concatenated in
        order, and how many each edge has. A sub-network reads its parent's points (it
        keeps no copy of them)."""
        ids = np.asarray(ids, dtype=np.int64)
        if self._sample_src is not None and "samples" not in self.__dict__:
            parent, pids = self._sample_src
            return parent.sample_points(pids[ids])
        xy, start = self.samples
        n = start[ids + 1] - start[ids]
        sid = np.repeat(start[ids], n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
        return np.asarray(xy[sid]), n

    @cached_property
    def node_component(self) -> np.ndarray:
        """Connected component of each node (the edges as an unweighted graph: the
        same labels as the weighted adjacency gives, ~8x sooner)."""
        n = self.n_nodes
        g = sparse.csr_matrix((np.ones(len(self.u), np.int8), (self.u, self.v)), shape=(n, n))
        _, labels = csgraph.connected_components(g, directed=False)
        return labels

    @cached_property
    def main_component(self) -> int:
        labels = self.node_component
        sizes = np.bincount(labels)
        return int(np.argmax(sizes))

    @cached_property
    def _node_tree(self) -> cKDTree:
        return cKDTree(self.node_xy)

    @cached_property
    def _main_nodes(self) -> np.ndarray:
        return np.flatnonzero(self.node_component == self.main_component)

    @cached_property
    def _main_tree(self) -> cKDTree:
        return cKDTree(self.node_xy[self._main_nodes])

    def nearest_node(self, xy: tuple[float, float], main_only: bool = True) -> tuple[int, float]:
        """Nearest node to a metric point (in the main component by default)."""
        if main_only:
            d, i = self._main_tree.query(xy)
            return int(self._main_nodes[i]), float(d)
        d, i = self._node_tree.query(xy)
        return int(i), float(d)

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """The edges in lon/lat: ``edge_id``, ``u``, ``v`` (node ids), ``length_km``,
        class, route numbers (None where there is none), and the geometry."""
        from ..crs import GEOGRAPHIC_CRS

        e = self.edges
        cols = [c for c in ("mode", "cls", "ref", "eref", "name", "surface") if c in e]
        out = e[cols].copy()
        for c in cols:
            out[c] = out[c].replace("", None)
        out.insert(0, "edge_id", np.arange(len(e)))
        out.insert(1, "u", self.u)
        out.insert(2, "v", self.v)
        out["length_km"] = np.round(self.length / 1000, 4)
        return gpd.GeoDataFrame(out, geometry=e.geometry.values, crs=e.crs).to_crs(
            GEOGRAPHIC_CRS)

    def to_networkx(self):
        """A ``networkx.MultiGraph``: nodes with metric ``x``/``y``, one edge per network
        edge (key = edge id) with ``length`` (m), ``cls``, ``ref``, ``eref``."""
        import networkx as nx

        g = nx.MultiGraph(mode=self.mode, crs=METRIC_CRS)
        g.add_nodes_from((i, {"x": float(x), "y": float(y)})
                         for i, (x, y) in enumerate(self.node_xy))
        a = self.attr
        g.add_edges_from((int(u), int(v), int(k), {"length": float(w), "cls": a["cls"][k],
                                                    "ref": a["ref"][k], "eref": a["eref"][k]})
                         for k, (u, v, w) in enumerate(zip(self.u, self.v, self.length,
                                                           strict=True)))
        return g

    def subnetwork(self, edge_ids: np.ndarray) -> Network:
        """The edges ``edge_ids`` as a compact network (nodes renumbered from 0).

        ``parent_edges`` / ``parent_nodes`` map back to this network. Its ``edges`` table
        holds u, v, length and geometry only; the attributes are in ``attr``. Its arrays
        come from this network's (no geometry is made).
        """
        ids = np.asarray(edge_ids, dtype=np.int64)
        nodes, inv = np.unique(np.concatenate([self.u[ids], self.v[ids]]), return_inverse=True)
        sub = Network.from_arrays(self.mode, self.node_xy[nodes], inv[: len(ids)],
                                  inv[len(ids):], self.length[ids],
                                  {"parent": self.report.get("mode")})
        sub._lines = _LinesView(self.line_store, ids)
        sub.parent_edges = ids
        sub.parent_nodes = nodes
        # derived arrays come from the parent's (no new geometry work; sample points are
        # read from the parent when asked for, not copied)
        sub._sample_src = (self, ids)
        sub.__dict__["edge_mid_xy"] = self.edge_mid_xy[ids]
        if "attr" in self.__dict__ or not all(c in self._columns for c in _ATTR):
            sub.__dict__["attr"] = {k: v[ids] for k, v in self.attr.items()}
        else:  # decoded for the sub-network's edges only
            for c in _ATTR:
                codes, values = self._column(c)
                sub._columns[c] = (np.asarray(codes)[ids], values)
        return sub

    def adjacency(self, weight: np.ndarray, mask: np.ndarray | None = None) -> sparse.csr_matrix:
        """Symmetric CSR adjacency with, for parallel edges, the smallest weight."""
        csr, _ = self.adjacency_with_ids(weight, mask)
        return csr

    def adjacency_with_ids(
        self, weight: np.ndarray, mask: np.ndarray | None = None
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """Adjacency as in :meth:`adjacency` plus a same-shaped matrix of edge id + 1."""
        return self.graph(np.ones(len(self.u), bool) if mask is None else mask, weight)

    @cached_property
    def _directed_arcs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Both directions of every non-loop edge, sorted by (tail, head): (a, b, edge)."""
        m = len(self.u)
        a = np.concatenate([self.u, self.v])
        b = np.concatenate([self.v, self.u])
        e = np.concatenate([np.arange(m), np.arange(m)])
        keep = a != b
        a, b, e = a[keep], b[keep], e[keep]
        order = np.lexsort((b, a))
        # kept for the network's lifetime: int32 where the ids fit (half the memory)
        it = np.int32 if max(self.n_nodes, m) < 2**31 else np.int64
        return a[order].astype(it), b[order].astype(it), e[order].astype(it)

    def graph(self, mask: np.ndarray, weight: np.ndarray, ids: bool = True
              ) -> tuple[sparse.csr_matrix, sparse.csr_matrix | None]:
        """Same result as :func:`symmetric_graph` over the edges in ``mask``, faster: the
        arcs are pre-sorted once, so each call only filters and takes group minima (and
        hands scipy int32 index arrays, which it takes without scanning them). With
        ``ids=False`` the matrix of edge ids is not made (None)."""
        a, b, e = self._directed_arcs
        sel = mask[e]
        a, b, e = a[sel], b[sel], e[sel]
        n = self.n_nodes
        if len(a) == 0:
            z = sparse.csr_matrix((n, n))
            return z, z.copy() if ids else None
        w = weight[e]
        new = np.ones(len(a), bool)
        new[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        starts = np.flatnonzero(new)
        wmin = np.minimum.reduceat(w, starts)
        itype = np.int32 if max(n, len(starts)) < 2**31 else np.int64
        rows, cols = a[starts], b[starts].astype(itype)
        indptr = np.zeros(n + 1, itype)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        g = sparse.csr_matrix((np.maximum(wmin, 1e-6), cols, indptr), shape=(n, n))
        if not ids:
            return g, None
        emin = e[starts].copy()
        sizes = np.diff(np.append(starts, len(a)))
        for j in np.flatnonzero(sizes > 1):  # parallel edges: the lightest (rare)
            s0 = starts[j]
            k = s0 + int(np.argmin(w[s0:s0 + sizes[j]]))
            emin[j] = e[k]
        gid = sparse.csr_matrix(((emin + 1).astype(np.float64), cols.copy(), indptr.copy()),
                                shape=(n, n))
        return g, gid

    def edge_path(self, predecessors: np.ndarray, ids: sparse.csr_matrix, target: int) -> list[int]:
        """Edge ids from the source of a predecessor array to ``target``."""
        nodes = [target]
        while predecessors[nodes[-1]] >= 0:
            nodes.append(int(predecessors[nodes[-1]]))
        nodes.reverse()
        if len(nodes) < 2:
            return []
        a = np.asarray(nodes[:-1])
        b = np.asarray(nodes[1:])
        return (np.asarray(ids[a, b]).ravel().astype(np.int64) - 1).tolist()


def symmetric_graph(
    u: np.ndarray, v: np.ndarray, w: np.ndarray, ids: np.ndarray, n: int
) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Undirected CSR graph keeping the minimum-weight edge of each node pair."""
    a = np.concatenate([u, v])
    b = np.concatenate([v, u])
    ww = np.concatenate([w, w])
    ii = np.concatenate([ids, ids])
    keep = a != b
    a, b, ww, ii = a[keep], b[keep], ww[keep], ii[keep]
    key = a * np.int64(n) + b
    order = np.lexsort((ww, key))
    key_sorted = key[order]
    first = np.ones(len(order), bool)
    first[1:] = key_sorted[1:] != key_sorted[:-1]
    sel = order[first]
    # csgraph treats explicit zeros as missing edges: keep weights strictly positive
    wsel = np.maximum(ww[sel], 1e-6)
    g = sparse.csr_matrix((wsel, (a[sel], b[sel])), shape=(n, n))
    gid = sparse.csr_matrix(((ii[sel] + 1).astype(np.float64), (a[sel], b[sel])), shape=(n, n))
    return g, gid


# --------------------------------------------------------------------------- building

def _clean_lines(lines: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict]:
    report: dict = {"input_features": len(lines)}
    if lines.crs is None:
        raise DataFormatError("transport lines have no CRS; expected EPSG:4326 or a defined CRS")
    gdf = lines.to_crs(METRIC_CRS)
    gdf = gdf[~gdf.geometry.isna()]
    gdf = gdf.explode(index_parts=False, ignore_index=True)
    geom = shapely.force_2d(gdf.geometry.values)
    is_line = shapely.get_type_id(geom) == 1
    report["dropped_non_lines"] = int((~is_line).sum())
    gdf = gdf.set_geometry(geom)[is_line]
    lengths = shapely.length(gdf.geometry.values)
    short = lengths < 0.01
    report["dropped_degenerate"] = int(short.sum())
    gdf = gdf[~short].reset_index(drop=True)
    return gdf, report


def _line_ends(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = shapely.get_coordinates(shapely.get_point(geoms, 0))
    e = shapely.get_coordinates(shapely.get_point(geoms, -1))
    return s, e


def _t_junction_cuts(geoms: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions (line index, distance along) where a line end touches another line's interior.

    Every end counts, not only dangling ones: at a crossroads two side roads may end at the
    same point on a through road's interior, and the through road must be cut there too.
    """
    s, e = _line_ends(geoms)
    ends = np.vstack([s, e])
    owner = np.concatenate([np.arange(len(geoms)), np.arange(len(geoms))])
    if len(ends) == 0:
        return np.empty(0, np.int64), np.empty(0)
    pts = shapely.points(ends)
    ltree = shapely.STRtree(geoms)
    pi, li = ltree.query(pts, predicate="dwithin", distance=tol)
    ok = owner[pi] != li
    pi, li = pi[ok], li[ok]
    pos = shapely.line_locate_point(geoms[li], pts[pi])
    L = shapely.length(geoms[li])
    interior = (pos > tol) & (pos < L - tol)
    li, pos = li[interior].astype(np.int64), pos[interior]
    if len(li) == 0:
        return li, pos
    # several ends at one point (a crossroads) cut the line once
    cuts = np.unique(np.column_stack([li.astype(np.float64), pos]), axis=0)
    return cuts[:, 0].astype(np.int64), cuts[:, 1]


def split_lines(
    geoms: np.ndarray, max_len: float, cut_line: np.ndarray, cut_pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Split lines at given positions and into pieces of at most ``max_len``.

    Returns the new geometries and, for each, the index of its source line. Fully
    vectorised: cut points are interpolated with numpy on the concatenated coordinates.
    """
    coords, vline = shapely.get_coordinates(geoms, return_index=True)
    n = len(geoms)
    seg = np.zeros(len(coords))
    same = vline[1:] == vline[:-1]
    seg[1:] = np.where(same, np.hypot(*(coords[1:] - coords[:-1]).T), 0.0)
    cum = np.cumsum(seg)
    first_idx = np.searchsorted(vline, np.arange(n))
    d = cum - cum[first_idx][vline]  # distance along own line
    total = np.bincount(vline, weights=seg, minlength=n)

    # regular cuts: equal pieces no longer than max_len
    npieces = np.maximum(1, np.ceil(total / max_len - 1e-9)).astype(np.int64)
    reg_line = np.repeat(np.arange(n), npieces - 1)
    first_cut = np.cumsum(npieces - 1) - (npieces - 1)
    k = np.arange(len(reg_line)) - np.repeat(first_cut, npieces - 1) + 1
    reg_pos = k * (total / npieces)[reg_line]
    cl = np.concatenate([reg_line, cut_line]).astype(np.int64)
    cp = np.concatenate([reg_pos, cut_pos])
    order = np.lexsort((cp, cl))
    cl, cp = cl[order], cp[order]
    # interpolate cut coordinates: global monotone distance = line offset + d
    offset = np.concatenate([[0.0], np.cumsum(total + 1.0)[:-1]])
    gd = offset[vline] + d
    gcut = offset[cl] + cp
    j = np.clip(np.searchsorted(gd, gcut, side="right") - 1, 0, len(gd) - 2)
    j = np.where(vline[np.minimum(j + 1, len(gd) - 1)] != cl, j - 1, j)
    seglen = gd[j + 1] - gd[j]
    t = np.where(seglen > 0, (gcut - gd[j]) / np.where(seglen > 0, seglen, 1), 0.0)
    cxy = coords[j] + (coords[j + 1] - coords[j]) * t[:, None]

    # piece numbering: piece index within line = number of cuts strictly before the point
    ncuts = np.bincount(cl, minlength=n)
    piece_base = np.concatenate([[0], np.cumsum(ncuts + 1)[:-1]])
    cut_rank = np.arange(len(cl)) - np.concatenate([[0], np.cumsum(ncuts)[:-1]])[cl]
    # vertices: count cuts of same line at distance <= d (strictly less keeps vertex on cut
    # in the piece before; both pieces get the cut point anyway)
    vcount = np.searchsorted(gcut, gd, side="left") - np.searchsorted(gcut, offset[vline], "left")
    v_piece = piece_base[vline] + vcount
    c_end_piece = piece_base[cl] + cut_rank
    all_xy = np.vstack([coords, cxy, cxy])
    all_piece = np.concatenate([v_piece, c_end_piece, c_end_piece + 1])
    all_d = np.concatenate([gd, gcut, gcut])
    # a cut copy ending a piece must sort after its vertices; one starting a piece first
    tie = np.concatenate([np.ones(len(gd)), np.full(len(gcut), 2.0), np.zeros(len(gcut))])
    o = np.lexsort((tie, all_d, all_piece))
    all_xy, all_piece = all_xy[o], all_piece[o]
    # drop consecutive duplicate points within a piece
    dup = np.zeros(len(all_xy), bool)
    dup[1:] = (all_piece[1:] == all_piece[:-1]) & np.all(all_xy[1:] == all_xy[:-1], axis=1)
    all_xy, all_piece = all_xy[~dup], all_piece[~dup]
    npts = np.bincount(all_piece, minlength=int(piece_base[-1] + ncuts[-1] + 1))
    valid = npts >= 2
    keep_pt = valid[all_piece]
    _, newidx = np.unique(all_piece[keep_pt], return_inverse=True)
    out = shapely.linestrings(all_xy[keep_pt], indices=newidx)
    source = np.repeat(np.arange(n), ncuts + 1)[valid]
    return np.asarray(out), source


def _cluster_ends(
    ends: np.ndarray, snap_tol: float, seam_pairs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Node id for each end point; merged within ``snap_tol`` and across seam pairs."""
    n = len(ends)
    tree = cKDTree(ends)
    pairs = tree.query_pairs(max(snap_tol, 1e-6), output_type="ndarray")
    if len(seam_pairs):
        pairs = np.vstack([pairs, seam_pairs])
    g = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = csgraph.connected_components(g, directed=False)
    # node coordinate: mean of its cluster
    cnt = np.bincount(labels)
    xy = np.column_stack([
        np.bincount(labels, weights=ends[:, 0]) / cnt,
        np.bincount(labels, weights=ends[:, 1]) / cnt,
    ])
    return labels, xy


def _seam_pairs(
    ends: np.ndarray, seam_key: np.ndarray, tol: float, owner: np.ndarray | None = None
) -> np.ndarray:
    """End-point index pairs of pieces with the same seam id lying within ``tol``.

    With ``owner`` (the source line of each end) only ends of *different* source lines
    pair up: the two ends of one short piece must not be merged into a loop.
    """
    if tol <= 0:
        return np.empty((0, 2), np.int64)
    tree = cKDTree(ends)
    pairs = tree.query_pairs(tol, output_type="ndarray")
    if not len(pairs):
        return np.empty((0, 2), np.int64)
    ok = (seam_key[pairs[:, 0]] == seam_key[pairs[:, 1]]) & (seam_key[pairs[:, 0]] >= 0)
    if owner is not None:
        ok &= owner[pairs[:, 0]] != owner[pairs[:, 1]]
    return pairs[ok]


def build_network(
    lines: gpd.GeoDataFrame, mode: str, params: BuildParams | None = None
) -> Network:
    """Build a routable :class:`Network` from standard-schema lines of one ``mode``."""
    params = params or BuildParams()
    if "mode" in lines:
        lines = lines[lines["mode"] == mode]
    if len(lines) == 0:
        raise DataFormatError(f"no {mode} lines in the input; expected at least one line")
    gdf, report = _clean_lines(lines)
    if len(gdf) == 0:
        raise DataFormatError(
            f"no usable {mode} lines: all {report['input_features']} input features are "
            "empty, degenerate or not lines; expected LineString geometries")
    geoms = np.asarray(gdf.geometry.values)
    cut_line, cut_pos = _t_junction_cuts(geoms, params.snap_tol_m)
    report["t_junction_splits"] = int(len(cut_line))
    pieces, src = split_lines(geoms, params.max_edge_m, cut_line, cut_pos)
    attrs = gdf.drop(columns="geometry").iloc[src].reset_index(drop=True)
    s, e = _line_ends(pieces)
    ends = np.vstack([s, e])
    m = len(pieces)
    seam = attrs["seam_id"].to_numpy()
    codes, _ = pd.factorize(seam)
    codes = np.where(seam == "", -1, codes)
    # seam joins only between ends of *different* source features' pieces sharing the id
    seam_pairs = _seam_pairs(ends, np.concatenate([codes, codes]), params.seam_tol_m,
                             owner=np.concatenate([src, src]))
    labels, node_xy = _cluster_ends(ends, params.snap_tol_m, seam_pairs)
    u, v = labels[:m], labels[m:]
    length = shapely.length(pieces)
    loop = u == v
    report["dropped_loops"] = int(loop.sum())
    if loop.all():
        raise DataFormatError(
            f"no usable {mode} lines: every line collapses to a single node within the "
            f"snap tolerance ({params.snap_tol_m} m)")
    # compact node ids (after dropping loops, so no node is left without an edge)
    k = int((~loop).sum())
    used, inv = np.unique(np.concatenate([u[~loop], v[~loop]]), return_inverse=True)
    u, v = inv[:k], inv[k:]
    node_xy = node_xy[used]
    edges = gpd.GeoDataFrame(attrs[~loop].reset_index(drop=True), geometry=pieces[~loop],
                             crs=METRIC_CRS)
    edges.insert(0, "length", length[~loop])
    edges.insert(0, "v", v)
    edges.insert(0, "u", u)
    net = Network(mode=mode, node_xy=node_xy, edges=edges)
    _finish_report(net, report, params)
    return net


def _finish_report(net: Network, report: dict, params: BuildParams) -> None:
    labels = net.node_component
    sizes = np.bincount(labels)
    order = np.argsort(-sizes)
    net.edges["component"] = labels[net.u]
    main = net.main_component
    in_main = net.edges["component"].to_numpy() == main
    report.update(
        mode=net.mode,
        nodes=int(net.n_nodes),
        edges=int(len(net.edges)),
        length_km=round(float(net.length.sum()) / 1000, 1),
        components=int(len(sizes)),
        largest_components_nodes=[int(x) for x in sizes[order[:5]]],
        main_component_km=round(float(net.length[in_main].sum()) / 1000, 1),
        main_component_share=round(float(net.length[in_main].sum() / net.length.sum()), 4),
        params=params.__dict__,
    )
    net.report = report


# --------------------------------------------------------------------------- caching

#: Layout version of the network cache entry (bump when its files change; 4: one ``.npy``
#: per array, read when first used, text columns as codes and their distinct values).
NETWORK_CACHE_SCHEMA = 4
#: Arrays of the entry read (and checked) when the network loads; the others, and the
#: text columns, when first used.
_EAGER = ("u", "v", "length", "node_xy")
#: Arrays large enough to be memory-mapped rather than read.
_MAPPED = ("samples_xy", "coords")


def _encode_text(values: np.ndarray) -> tuple[np.ndarray, list]:
    """A text column as (int32 codes, distinct values; None for a missing value)."""
    vals = np.asarray(values, dtype=object)
    na = np.asarray(pd.isna(vals), dtype=bool)
    keys = np.where(na, "\x00", vals.astype(str))
    uniq, codes = np.unique(keys, return_inverse=True)
    return codes.astype(np.int32), [None if k == "\x00" else str(k) for k in uniq]


def _write_entry_files(net: Network, d: Path) -> None:
    """The network as files of a cache entry: one ``.npy`` per array (edge columns,
    node coordinates, the edge lines as coordinates and offsets, and the derived point
    arrays, ~1 s to compute) and, per text column, its codes (``.npy``) and distinct
    values (``.json``)."""
    import json

    e = net.edges
    arrays: dict[str, np.ndarray] = {"node_xy": net.node_xy, "edge_mid_xy": net.edge_mid_xy}
    arrays["samples_xy"], arrays["samples_start"] = net.samples
    lines = Lines.of(net.geoms)
    arrays["coords"], arrays["offsets"] = lines.coords, lines.offsets
    for c in e.columns:
        if c == e.geometry.name:
            continue
        col = e[c]
        if col.dtype.kind in "biuf":
            arrays[c] = col.to_numpy()
        else:
            codes, values = _encode_text(col.to_numpy(dtype=object))
            arrays[f"text.{c}"] = codes
            (d / f"text.{c}.json").write_text(json.dumps(values, ensure_ascii=False))
    for name, arr in arrays.items():
        np.save(d / f"{name}.npy", np.ascontiguousarray(arr), allow_pickle=False)


class _EntryArrays:
    """The arrays of a network cache entry, each checked against its manifest checksum
    when first read."""

    def __init__(self, entry):
        self.entry = entry
        #: False while the network is being opened (damage then means "rebuild it now");
        #: True afterwards, when damage found on first use ends the command in one line
        self.opened = False

    def _check(self, fname: str) -> None:
        if self.entry.verify(fname):
            return
        self.entry.discard(f"{fname}: checksum differs from its manifest", quiet=self.opened)
        raise DataFormatError(f"network cache damaged ({fname}); it has been removed: "
                              "run the command again to rebuild it")

    def get(self, name: str) -> np.ndarray:
        fname = f"{name}.npy"
        self._check(fname)
        return np.load(self.entry.path(fname), allow_pickle=False,
                       mmap_mode="r" if name in _MAPPED else None)

    def text(self, name: str) -> tuple[np.ndarray, list]:
        import json

        fname = f"text.{name}.json"
        self._check(fname)
        return self.get(f"text.{name}"), json.loads(self.entry.path(fname).read_text())


def _read_entry(entry) -> Network | None:
    """The network of a cache entry: the edge ends and lengths and the node points are
    read now; every other array when first used."""
    try:
        layout = entry.meta["columns"]
        z = _EntryArrays(entry)
        eager = {k: z.get(k) for k in _EAGER}
        columns: dict[str, Any] = {}
        for name, kind in layout:
            if name in eager:
                columns[name] = eager[name]
            elif kind == "text":
                columns[name] = (lambda n=name: z.text(n))
            else:
                columns[name] = (lambda n=name: z.get(n))
        for name in ("edge_mid_xy", "samples_xy", "samples_start"):
            columns[name] = (lambda n=name: z.get(n))
        lines = Lines(lambda: z.get("coords"), lambda: z.get("offsets"),
                      n=len(eager["u"]))
        net = Network(entry.meta["mode"], eager["node_xy"], report=dict(entry.meta["report"]),
                      columns=columns, lines=lines)
        z.opened = True
        return net
    except Exception as exc:  # a damaged entry is rebuilt
        log.warning("ignoring unreadable network cache %s: %s", entry.directory, exc)
        return None


def load_network(
    mode: str,
    *,
    egm_path: Path | None = None,
    lines: gpd.GeoDataFrame | None = None,
    source_files: list[Path] | None = None,
    params: BuildParams | None = None,
    use_cache: bool = True,
    cache_root: Path | None = None,
) -> Network:
    """Load (from cache) or build the network of ``mode`` ("road" or "rail").

    Either ``egm_path`` (an EGM GeoPackage) or ``lines`` (standard-schema lines, with
    ``source_files`` naming the files they came from so the cache can be keyed).
    """
    params = params or BuildParams()
    files = [egm_path] if egm_path is not None else list(source_files or [])
    key = None
    if use_cache and files:
        key = cache_key("network", mode=mode, files=file_fingerprint(files),
                        params=params.__dict__, algorithm=NETWORK_ALGORITHM,
                        layout=NETWORK_CACHE_SCHEMA)
        entry = open_entry("network", key, NETWORK_CACHE_SCHEMA, root=cache_root,
                           verify=False)
        net = _read_entry(entry) if entry is not None else None
        if net is not None:
            net.report["cache"] = "hit"
            return net
    if lines is None:
        if egm_path is None:
            raise ValueError("load_network needs egm_path or lines")
        from ..io.loaders import load_egm_lines

        lines = load_egm_lines(egm_path, mode)
    net = build_network(lines, mode, params)
    net.report["cache"] = "miss"
    if key is not None:
        layout = [[c, "text" if net.edges[c].dtype.kind not in "biuf" else "array"]
                  for c in net.edges.columns if c != net.edges.geometry.name]
        write_entry("network", key, NETWORK_CACHE_SCHEMA,
                    lambda d: _write_entry_files(net, d),
                    meta={"mode": net.mode, "report": net.report, "columns": layout},
                    root=cache_root)
    return net
