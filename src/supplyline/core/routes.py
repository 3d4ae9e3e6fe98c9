"""Routes from a city to its rear hubs under stated policies, and their resilience.

For a city, a date and a network (road or rail), per hub:

- **peacetime**: the shortest route, ignoring the front;
- **avoid_held**: the shortest route using no edge that touches held territory;
- **safest**: the route with the greatest minimum clearance from held territory (counted
  up to the outermost band: beyond it every stretch is equally safe) among held-avoiding
  routes no longer than a detour cap x the peacetime route (default 1.5; where the front
  already forces a longer detour, no longer than the shortest held-avoiding route), and
  the shortest of those (:meth:`RouteEngine.safest_choices`);
- **beyond** a band (when asked): the held-avoiding route with the fewest km within the
  band, then the shortest: the shortest route staying beyond the band where one does;
- the **trade-off** between length, minimum clearance and km within each band: the
  shortest route, the least-exposed route for each band and the safest route, as points
  ("+66 km buys +1.6 km clearance", :func:`tradeoff_curve`).

Each route reports the rule that chose it, its length, detour factor against peacetime,
minimum clearance, km in each band and the route numbers in order.
:func:`band_resilience` counts edge-disjoint routes from the city area to the hub areas
that avoid held territory and that stay beyond each band, finds the bottleneck (a minimum
cut) of the last level with routes and where the routes fail at the next.

All graph work runs in :mod:`scipy.sparse.csgraph` on the edges of a region around the
city and its hubs, on its degree-2 chains contracted (:class:`Chains`) where given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from ..data.network import Network
from .exposure import HELD, HeldIndex, ThreatProfile


@dataclass
class EdgeExposure:
    """Clearance (m, capped) and held flag for a subset ``ids`` of a network's edges."""

    ids: np.ndarray
    clearance: np.ndarray
    held: np.ndarray
    band: np.ndarray  # band index per edge (0 = held)
    index: HeldIndex | None = None
    #: held edges: an upper bound of their midpoint's distance to the held boundary (m),
    #: how far a change must reach to release them (0 for the others; None: unknown, and
    #: :meth:`updated` then measures held edges again after any change)
    depth: np.ndarray | None = None
    #: after :meth:`updated`: the edges measured again (the others' values carried over)
    remeasured: np.ndarray | None = None
    #: memo of :meth:`fine_clearance`, per edge of the network (NaN: not measured yet)
    fine: np.ndarray | None = None

    @classmethod
    def compute(cls, net: Network, index: HeldIndex, profile: ThreatProfile,
                ids: np.ndarray | None = None) -> EdgeExposure:
        ids = np.arange(len(net.length)) if ids is None else np.asarray(ids)
        cap = profile.cap_m
        thr = np.array([b.max_km * 1000.0 for b in profile.bands])
        d, held = index.edge_clearance(net, ids, cap, thresholds=thr)
        depth = np.zeros(len(ids))
        if held.any() and index.coarse is not None:  # nearest boundary sample: >= boundary
            depth[held] = index.coarse.query(net.edge_mid_xy[ids[held]])[0]
        return cls(ids, d, held, profile.classify(d, held), index, depth)

    def updated(self, net: Network, index: HeldIndex, profile: ThreatProfile,
                changed: np.ndarray) -> EdgeExposure:
        """This exposure moved to another day whose held territory differs from this one's
        only inside the boxes ``changed`` (see :func:`supplyline.control.changed_boxes`):
        edges within reach of a change are measured again, the others keep their values,
        which are exact for them.

        An edge's figures depend only on held territory near it: its midpoint's distance
        d to the boundary (d <= value + L/2 + 250 m, or the cap), the sample points'
        distances (<= d + L/2), contact with the edge itself (within L/2) and whether its
        midpoint is inside (within d). So a change farther than value + L + 1750 m
        from its midpoint leaves them as they are. A held edge (value 0) is released only
        when the boundary nearest to it changes: its reach is its ``depth`` + L + 1750 m.
        (A whole new held area engulfing an edge from farther than its reach in one step
        is not seen; day-to-day changes are far smaller.)"""
        from .exposure import within_reach

        behind = np.full(len(self.ids), np.inf) if self.depth is None else self.depth
        reach = np.where(self.held, behind, self.clearance) + net.length[self.ids] + 1750.0
        redo = within_reach(net.edge_mid_xy[self.ids], changed, reach)
        part = EdgeExposure.compute(net, index, profile, self.ids[redo])
        clear, held, band = self.clearance.copy(), self.held.copy(), self.band.copy()
        clear[redo], held[redo], band[redo] = part.clearance, part.held, part.band
        depth = np.zeros(len(self.ids)) if self.depth is None else self.depth.copy()
        depth[redo] = part.depth
        return EdgeExposure(self.ids, clear, held, band, index, depth, remeasured=redo)

    def subset(self, ids: np.ndarray) -> EdgeExposure:
        """The exposure of the edges ``ids`` (which must all be in this exposure)."""
        pos = np.searchsorted(self.ids, ids)
        sub = EdgeExposure(self.ids[pos], self.clearance[pos], self.held[pos], self.band[pos],
                           self.index)
        sub.fine = self.fine
        return sub

    def fine_clearance(self, net: Network, edge_ids: np.ndarray, cap: float) -> np.ndarray:
        """Clearance measured at every sample point, memoised per edge."""
        if self.index is None:
            return np.full(len(edge_ids), np.inf)
        if self.fine is None:
            self.fine = np.full(len(net.length), np.nan)
        need = np.unique(edge_ids[np.isnan(self.fine[edge_ids])])
        if len(need):
            self.fine[need] = self.index.sampled_clearance(net, need, cap)
        return self.fine[edge_ids]


@dataclass
class Route:
    kind: str
    hub: str
    found: bool
    length_km: float = float("nan")
    detour: float = float("nan")
    min_clearance_km: float = float("nan")
    worst_band: str = ""
    status: str = "cut"
    km_by_band: dict[str, float] = field(default_factory=dict)
    refs: list[str] = field(default_factory=list)
    #: a list, or an int array for the timeline's lean routes (see RouteEngine.describe)
    edge_ids: list[int] | np.ndarray = field(default_factory=list)
    #: the rule that chose this route (see :func:`policy_text`)
    policy: str = ""
    #: safest route: the detour cap (x the peacetime length) and the length limit applied
    detour_cap: float | None = None
    length_limit_km: float | None = None
    #: "beyond" route: the band it stays beyond
    beyond_band: str | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SafestChoice:
    """How the safest route to one hub was chosen: the greatest clearance level ``level``
    (m, capped clearance, see :meth:`RouteEngine.capped_clearance`) at which a route no
    longer than ``limit_m`` exists, and that route (``path``, edge ids). ``relaxed``: the
    limit is the shortest held-avoiding route, longer than the cap x the peacetime route.
    The timeline keeps it to test the next day with :func:`safest_still_valid`."""

    level: float
    limit_m: float
    relaxed: bool
    path: Any = field(compare=False)


@dataclass
class TradeoffPoint:
    """A point of a hub's trade-off between length and safety: ``route`` is the route
    chosen for each constraint in ``meets`` ("shortest": the shortest held-avoiding
    route; "least within fpv": the fewest km within the fpv band, then the shortest;
    "safest": the safest route within the detour cap); ``extra_km``,
    ``extra_clearance_km`` and ``less_within_km`` compare it with the previous, shorter
    point."""

    meets: list[str]
    route: Route
    #: km of the route within each band or closer (see :func:`within_km`)
    within_km: dict[str, float] = field(default_factory=dict)
    extra_km: float | None = None
    extra_clearance_km: float | None = None
    #: km fewer within each band than the previous point (bands where it is fewer)
    less_within_km: dict[str, float] = field(default_factory=dict)
    #: a constraint no route meets: why
    reason: str | None = None


@dataclass
class PairResult:
    city: str
    hub: str
    mode: str
    status: str  # "open", "under fire (<band>)", "cut"
    routes: dict[str, Route]

    def as_dict(self) -> dict:
        return {"city": self.city, "hub": self.hub, "mode": self.mode, "status": self.status,
                "routes": {k: r.as_dict() for k, r in self.routes.items()}}


def route_label(ref: str, eref: str) -> str:
    parts = [p for p in (ref, eref) if p]
    return "/".join(parts)


def refs_in_order(net: Network, edge_ids: list[int] | np.ndarray | None,
                  min_km: float = 1.0) -> list[str]:
    """Route numbers along a path, consecutive repeats merged, stretches < ``min_km`` and
    unnumbered roads dropped."""
    if edge_ids is None or len(edge_ids) == 0:
        return []
    ids = np.asarray(edge_ids)
    labels = route_labels(net)[ids]
    lens = net.length[ids]
    first = np.ones(len(ids), bool)  # runs of one label
    first[1:] = labels[1:] != labels[:-1]
    starts = np.flatnonzero(first)
    run_m = np.add.reduceat(lens, starts)
    out: list[str] = []
    for lab, m in zip(labels[starts].tolist(), run_m.tolist(), strict=True):
        if lab and m >= min_km * 1000 and (not out or out[-1] != lab):
            out.append(lab)
    return out


def route_labels(net: Network) -> np.ndarray:
    """Each edge's route label (road number / E-number; a railway's name), once per
    network."""
    labels = net.__dict__.get("_route_labels")
    if labels is None:
        a = net.attr
        labels = np.array([route_label(r, x) or (nm if net.mode == "rail" else "")
                           for r, x, nm in zip(a["ref"], a["eref"], a["name"], strict=True)],
                          dtype=object)
        net.__dict__["_route_labels"] = labels
    return labels


class Chains:
    """A network with its chains contracted: runs of edges through nodes of degree 2
    become one edge between junctions (a network split into 1 km edges has about five
    times fewer junctions than nodes), so searches run on a much smaller graph.

    A chain may be used where all its edges may; its length is their sum and its
    clearance their minimum, so shortest and widest routes, and counts of edge-disjoint
    routes, are those of the full network (between routes of exactly equal length either
    search may pick a different one). ``keep`` nodes (route ends, city and hub areas) stay
    junctions. Closed loops of degree-2 nodes (no junction) are dropped:
    no route between junctions runs through them.
    """

    def __init__(self, net: Network, keep: np.ndarray):
        n = net.n_nodes
        u, v = net.u, net.v
        deg = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
        junction = deg != 2
        junction[np.asarray(keep, dtype=np.int64)] = True
        junction[u[u == v]] = True
        order, start, a_end, b_end = contract_chains(u, v, junction)
        self.net = net
        self.order = order
        self.start = start
        self.nodes = np.flatnonzero(junction)  # junction -> node of ``net``
        lengths = (np.add.reduceat(net.length[self.order], self.start[:-1])
                   if len(self.order) else np.zeros(0))
        self.graph_net = Network.from_arrays(
            net.mode, net.node_xy[self.nodes], np.searchsorted(self.nodes, a_end),
            np.searchsorted(self.nodes, b_end), lengths)

    def __len__(self) -> int:
        return len(self.start) - 1

    def local(self, node: int) -> int:
        """The junction number of a node of the network (which must be a junction)."""
        i = int(np.searchsorted(self.nodes, node))
        if i >= len(self.nodes) or self.nodes[i] != node:
            raise ValueError(f"node {node} is not a junction: pass it in keep")
        return i

    def all_of(self, mask: np.ndarray) -> np.ndarray:
        """Chains whose edges are all in ``mask``."""
        if not len(self):
            return np.zeros(0, bool)
        return np.minimum.reduceat(mask[self.order].view(np.uint8), self.start[:-1]) > 0

    def min_of(self, values: np.ndarray) -> np.ndarray:
        """Per chain, the least value of its edges."""
        if not len(self):
            return np.zeros(0)
        return np.minimum.reduceat(values[self.order], self.start[:-1])

    def edges(self, chain_path: list[int], from_node: int) -> list[int]:
        """The network's edges, in order, of a route given as chains from junction
        ``from_node``."""
        out: list[int] = []
        gu, gv = self.graph_net.u, self.graph_net.v
        at = from_node
        for k in chain_path:
            run = self.order[self.start[k]:self.start[k + 1]]
            if gu[k] == at:
                out += run.tolist()
                at = int(gv[k])
            else:
                out += run[::-1].tolist()
                at = int(gu[k])
        return out


def contract_chains(u: np.ndarray, v: np.ndarray, junction: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The chains of a network whose nodes ``junction`` are kept: every run of edges
    between two junctions through nodes of degree 2 (which must be all the other nodes).

    Returns (order, start, a_end, b_end): chain k's edges, in order from junction
    ``a_end[k]`` to ``b_end[k]``, are ``order[start[k]:start[k + 1]]``. Chains come in
    the order of a walk out of each junction in turn (ascending), along its incident
    edges (those it is the ``u`` end of, ascending, then those it is the ``v`` end of):
    a chain is found from the lower of its two junctions, along its first edge.
    Chains that come back to their own junction, and closed loops of degree-2 nodes,
    are on no simple route and are left out.

    Vectorised: each edge has two states (left through its u end, or through its v
    end); a state's successor is the state of the next edge along the chain, and pointer
    doubling finds every state's last state and its distance to it.
    """
    m = len(u)
    empty = np.zeros(0, np.int64)
    if m == 0:
        return empty, np.zeros(1, np.int64), empty, empty
    n = len(junction)
    eid = np.arange(m)
    # the two edges at each non-junction node (its degree is 2)
    ends = np.concatenate([u, v])
    owner = np.concatenate([eid, eid])
    srt = np.argsort(ends, kind="stable")
    first = np.searchsorted(ends[srt], np.arange(n))
    other = np.full(2 * m, -1)  # per edge end (u ends, then v ends): the other edge there
    inner = ~junction[ends[srt]]
    pos = np.flatnonzero(inner)
    mate = np.where(pos - first[ends[srt][pos]] == 0, pos + 1, pos - 1)
    other[srt[pos]] = owner[srt[mate]]
    # state 2e + d: edge e left through its u end (d = 0) or its v end (d = 1)
    exit_node = np.stack([u, v], axis=1).ravel()
    nxt_edge = np.stack([other[:m], other[m:]], axis=1).ravel()
    term = nxt_edge < 0
    e2 = np.where(term, 0, nxt_edge)
    # entering e2 at exit_node: leave it through its other end
    d2 = (u[e2] == exit_node).astype(np.int64)
    succ = np.where(term, np.arange(2 * m), 2 * e2 + d2)
    last, dist = _last_states(succ, term)
    done = term[last]  # states on a closed loop of degree-2 nodes never end
    # chain starts: a state entering its edge from a junction
    st = np.arange(2 * m)
    from_node = exit_node[st ^ 1]
    starts = st[junction[from_node] & done]
    a = from_node[starts]
    b = exit_node[last[starts]]
    keep = a < b
    starts, a, b = starts[keep], a[keep], b[keep]
    # discovery order: junction, then its incident edges (u ends first), edge id
    side = (starts % 2 == 0).astype(np.int64)  # entered through the v end: listed later
    rank = np.lexsort((starts // 2, side, a))
    starts, a, b = starts[rank], a[rank], b[rank]
    chain_of_end = np.full(2 * m, -1)
    chain_of_end[last[starts]] = np.arange(len(starts))
    ck = np.where(done, chain_of_end[last], -1)
    mine = np.flatnonzero(ck >= 0)
    k = ck[mine]
    step = dist[starts][k] - dist[mine]
    o = np.lexsort((step, k))
    order = (mine[o] // 2).astype(np.int64)
    counts = np.bincount(k, minlength=len(starts))
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return order, start, a.astype(np.int64), b.astype(np.int64)


def _last_states(succ: np.ndarray, term: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each state: the state where its run ends (``term``) and the number of steps
    to it, by pointer doubling (states on a cycle end nowhere: ``term[last]`` False)."""
    last = succ.copy()
    dist = (~term).astype(np.int64)
    for _ in range(int(len(succ)).bit_length() + 1):
        nl = last[last]
        if np.array_equal(nl, last):
            break
        last, dist = nl, dist + dist[last]
    return last, dist


#: Default detour cap of the safest route: at most this many times the peacetime length.
DEFAULT_DETOUR_CAP = 1.5
#: Lengths compared with a limit are allowed this much over it (m): sums of the same
#: edges taken in another order differ in the last bits.
LENGTH_TOL_M = 1e-3

POLICY_PEACETIME = "shortest route, ignoring the front"
POLICY_AVOID_HELD = "shortest route using no edge that touches held territory"


def policy_text(kind: str, profile: ThreatProfile, *, detour_cap: float | None = None,
                limit_m: float | None = None, relaxed: bool = False,
                band: str | None = None) -> str:
    """The rule that chose a route of ``kind``, as stated with every route."""
    if kind == "peacetime":
        return POLICY_PEACETIME
    if kind == "avoid_held":
        return POLICY_AVOID_HELD
    if kind == "beyond":
        assert band is not None, "a 'beyond' route is stated with its band"
        return (f"held-avoiding route with the fewest km within the {band} band "
                f"({profile.threshold_m(band) / 1000:g} km of held territory), then the "
                "shortest: where routes stay beyond the band all the way, the shortest of "
                "them")
    head = (f"greatest minimum clearance from held territory (counted up to "
            f"{profile.max_m / 1000:g} km), then shortest, among held-avoiding routes ")
    lim = "" if limit_m is None else f" ({limit_m / 1000:.1f} km)"
    if relaxed:
        return (head + f"no longer than the shortest of them{lim}: the front already "
                f"forces a detour longer than {detour_cap:g} x the peacetime route")
    return head + f"no longer than {detour_cap:g} x the peacetime route{lim}"


def _csr(n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray,
         ids: np.ndarray | None = None) -> tuple[sparse.csr_matrix, sparse.csr_matrix | None]:
    """A directed n x n graph of arcs a -> b of weight w (the least of parallel arcs; zero
    weights kept as arcs), and with ``ids`` the matrix of each kept arc's id + 1."""
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    first = np.ones(len(a), bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, w = a[first], b[first], w[first]
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
    g = sparse.csr_matrix((w.astype(float), b, indptr), shape=(n, n))
    if ids is None:
        return g, None
    return g, sparse.csr_matrix(((ids[order][first] + 1).astype(np.int64), b, indptr),
                                shape=(n, n))


def _edge_path(pred: np.ndarray, gid: sparse.csr_matrix, target: int) -> list[int]:
    """Edge ids (``gid`` holds id + 1 per arc, rows sorted) from the source of a
    predecessor array to ``target`` (what :meth:`Network.edge_path` gives, without
    sparse fancy indexing)."""
    nodes = [target]
    while pred[nodes[-1]] >= 0:
        nodes.append(int(pred[nodes[-1]]))
    if len(nodes) < 2:
        return []
    b = np.asarray(nodes[:-1][::-1])
    a = np.asarray(nodes[1:][::-1])
    pos = gid.indptr[a].copy()
    while True:  # the arc a -> b in row a (rows are a few arcs long)
        off = gid.indices[pos] != b
        if not off.any():
            break
        pos[off] += 1
    return (gid.data[pos].astype(np.int64) - 1).tolist()


class _Search:
    """Shortest-route searches from one node to a few targets on an engine's graph (the
    contracted one when the engine has chains). ``level`` is each searched edge's
    clearance (m, -1 when held or outside the region; a chain's is its least), ``capped``
    the same capped at the outermost band: masks over them choose the edges allowed."""

    def __init__(self, eng: RouteEngine, source: int, targets: list[int]):
        ch = eng.chains
        self.chains = ch
        if ch is not None:
            self.net = ch.graph_net
            self.source = ch.local(source)
            self.targets = [ch.local(t) for t in targets]
            self.level = ch.min_of(eng.level)
            self.region = ch.all_of(eng.region)
        else:
            self.net = eng.net
            self.source, self.targets = source, list(targets)
            self.level, self.region = eng.level, eng.region
        self.capped = np.minimum(self.level, eng.profile.max_m)
        self._edge_level = eng.level

    def within(self, thr: float) -> np.ndarray:
        """Per searched edge, its length (m) within ``thr`` of held territory (a chain's:
        the sum over its edges)."""
        ch = self.chains
        if ch is None:
            return np.where(self.level <= thr, self.net.length, 0.0)
        eng_len, lev = ch.net.length[ch.order], self._edge_level[ch.order]
        if not len(ch):
            return np.zeros(0)
        return np.add.reduceat(np.where(lev <= thr, eng_len, 0.0), ch.start[:-1])

    def least_within(self, thr: float) -> tuple[np.ndarray, list[list[int] | None]]:
        """Per target, the held-avoiding route with the fewest metres within ``thr`` of
        held territory, and the shortest of those (exactly: with W the least such
        metres, an arc u -> v lies on such a route when dist_W(source, u) + w +
        dist_W(v, target) = W, any route of those arcs has W, and the shortest of them is
        searched on them alone). Returns those metres and the routes."""
        w = self.within(thr)
        a, b, e = self._arcs(self.level >= 0)
        n = self.net.n_nodes
        gw, _ = _csr(n, a, b, w[e])
        ds = csgraph.dijkstra(gw, indices=self.source)
        least = ds[self.targets]
        out: list[list[int] | None] = []
        for t, best in zip(self.targets, least.tolist(), strict=True):
            if not np.isfinite(best):
                out.append(None)
                continue
            dt = csgraph.dijkstra(gw, indices=t)  # symmetric: the distance to t
            tight = ds[a] + w[e] + dt[b] <= best + LENGTH_TOL_M + 1e-9 * best
            gl, gid = _csr(n, a[tight], b[tight], self.net.length[e[tight]], e[tight])
            _, pred = csgraph.dijkstra(gl, directed=True, indices=self.source,
                                       return_predecessors=True)
            p = _edge_path(pred, gid, t)
            out.append(self.expand(p))
        return least, out

    def _arcs(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Both directions of every edge in ``mask`` (loops left out): tail, head, edge."""
        e = np.flatnonzero(mask)
        a = np.concatenate([self.net.u[e], self.net.v[e]])
        b = np.concatenate([self.net.v[e], self.net.u[e]])
        ee = np.concatenate([e, e])
        keep = a != b
        return a[keep], b[keep], ee[keep]

    @overload
    def run(self, mask: np.ndarray, limit: float = ..., paths: Literal[False] = ...,
            local: bool = ...) -> tuple[np.ndarray, None]: ...

    @overload
    def run(self, mask: np.ndarray, limit: float = ..., *, paths: Literal[True],
            local: bool = ...) -> tuple[np.ndarray, list[list[int] | None]]: ...

    def run(self, mask: np.ndarray, limit: float = np.inf, paths: bool = False,
            local: bool = False) -> tuple[np.ndarray, list[list[int] | None] | None]:
        """Route lengths (m; inf: none, or longer than ``limit``) to each target on the
        edges in ``mask``, and with ``paths`` the routes (edge ids of the engine's
        network; with ``local``, of the searched graph: see :meth:`expand`)."""
        g, gid = self.net.graph(mask, self.net.length, ids=paths)
        lim = limit + LENGTH_TOL_M if np.isfinite(limit) else np.inf
        if not paths:
            dist = csgraph.dijkstra(g, indices=self.source, limit=lim)
            return dist[self.targets], None
        dist, pred = csgraph.dijkstra(g, indices=self.source, return_predecessors=True,
                                      limit=lim)
        out: list[list[int] | None] = []
        for t in self.targets:
            if not np.isfinite(dist[t]):
                out.append(None)
                continue
            p = _edge_path(pred, gid, t)
            out.append(p if local else self.expand(p))
        return dist[self.targets], out

    def expand(self, path: list[int] | None) -> list[int] | None:
        """A route of the searched graph (from the source) as edges of the engine's."""
        if path is None or self.chains is None:
            return path
        return self.chains.edges(path, self.source)

    def best_at(self, node: int) -> float:
        """The greatest capped clearance of the edges at ``node`` (-1: none usable): no
        route through the node is clearer."""
        at = (self.net.u == node) | (self.net.v == node)
        return float(self.capped[at].max()) if at.any() else -1.0


class RouteEngine:
    """Routing for one network and one day of held territory over a set of edges.

    With ``chains`` (:class:`Chains` of the same network, keeping every source and
    target node asked) the searches run on the contracted graph."""

    def __init__(self, net: Network, exposure: EdgeExposure, profile: ThreatProfile,
                 chains: Chains | None = None):
        self.net = net
        self.exp = exposure
        self.profile = profile
        self.chains = chains
        self.choices: dict[str, SafestChoice] = {}
        self.tradeoffs: dict[str, list[TradeoffPoint]] = {}
        n = len(net.length)
        ids = exposure.ids
        if len(ids) == n and np.array_equal(ids, np.arange(n)):
            # the exposure covers every edge in order: its arrays as they are (read only)
            self.clear, self.held = exposure.clearance, exposure.held
            self.band = exposure.band
            self.region = np.ones(n, bool)
        else:
            self.clear = np.full(n, -1.0)
            self.clear[exposure.ids] = exposure.clearance
            self.held = np.ones(n, bool)
            self.held[exposure.ids] = exposure.held
            self.band = np.zeros(n, np.int64)
            self.band[exposure.ids] = exposure.band
            self.region = np.zeros(n, bool)
            self.region[exposure.ids] = True
        #: each edge's clearance where routes may use it, -1 on held edges and outside
        self.level = np.where(self.region & ~self.held, self.clear, -1.0)

    def shortest(self, source: int, targets: list[int], mask: np.ndarray
                 ) -> list[list[int] | None]:
        """Shortest routes (edge ids) to each target on the edges in ``mask``."""
        s = _Search(self, source, targets)
        m = self.chains.all_of(mask) if self.chains is not None else mask
        return s.run(m, paths=True)[1]

    def describe(self, kind: str, hub: str, path: list[int] | np.ndarray | None,
                 peace_m: float, with_refs: bool = True, lean: bool = False,
                 **policy: Any) -> Route:
        """A route's figures. ``lean`` (the timeline's many routes): no km per band, and
        the edge ids stay an integer array. ``policy``: the :class:`Route` fields saying
        which rule chose it (policy, detour_cap, length_limit_km, beyond_band)."""
        if path is None:
            return Route(kind, hub, False, **policy)
        ids = np.asarray(path, dtype=np.int64)
        lens = self.net.length[ids]
        length = float(lens.sum())
        clear = np.where(self.held[ids], 0.0, self.clear[ids])
        # measure at every sample point the edges that may hold the route's minimum: an
        # edge's coarse value is at most L/2 + 250 m above its true clearance
        lb = clear - self.net.length[ids] / 2 - 250.0
        cand = lb <= clear.min() if len(ids) else np.zeros(0, bool)
        fine = self.exp.fine_clearance(self.net, ids[cand], self.profile.cap_m)
        clear[cand] = np.where(self.held[ids[cand]], 0.0, np.minimum(clear[cand], fine))
        bands = self.band[ids]
        names = self.profile.names
        km = {} if lean else {names[b]: round(float(lens[bands == b].sum()) / 1000, 2)
                              for b in range(len(names)) if (bands == b).any()}
        worst = names[int(bands.min())] if len(bands) else names[-1]
        status = "cut" if worst == HELD else ("open" if worst == names[-1]
                                              else f"under fire ({worst})")
        return Route(
            kind=kind, hub=hub, found=True, length_km=round(length / 1000, 2),
            detour=round(length / peace_m, 3) if peace_m > 0 else float("nan"),
            min_clearance_km=round(float(clear.min()) / 1000, 2) if len(ids) else float("nan"),
            worst_band=worst, status=status, km_by_band=km,
            refs=refs_in_order(self.net, path) if with_refs else [],
            edge_ids=ids if lean else [int(x) for x in ids], **policy,
        )

    def capped_clearance(self) -> np.ndarray:
        """The clearance the safest route maximises: capped at the outermost band, -1 on
        held edges and outside the region."""
        return np.minimum(self.level, self.profile.max_m)

    def routes(self, source: int, hubs: list[tuple[str, int]], *, with_refs: bool = True,
               peace: list[list[int] | None] | None = None,
               describe_avoid: bool = True, search_avoid: bool = True,
               detour_cap: float = DEFAULT_DETOUR_CAP,
               safest: dict[int, SafestChoice] | None = None,
               beyond: str | None = None, tradeoff: bool = False,
               lean: bool = False,
               described: dict[tuple[str, str], Route] | None = None
               ) -> dict[str, dict[str, Route]]:
        """The routes to each hub: ``peacetime``, ``avoid_held``, ``safest`` (within the
        detour cap, see :meth:`safest_choices`) and, with ``beyond`` (a band name),
        ``beyond``: the held-avoiding route with the fewest km within that band, then the
        shortest (:meth:`_Search.least_within`): the shortest route staying beyond the
        band where one does.

        ``peace`` (date-free) may be passed in when known. With ``describe_avoid=False``
        the avoid-held route only carries its edges; with ``search_avoid=False`` only
        whether it exists is known (found, no edges). ``safest`` maps hub positions to a
        :class:`SafestChoice` known to hold for this exposure (see
        :func:`safest_still_valid`). Each hub's choice is left in ``self.choices``, and
        with ``tradeoff`` its length / clearance trade-off (:func:`tradeoff_curve`) in
        ``self.tradeoffs``. ``lean``: see :meth:`describe`. ``described`` maps (hub,
        "peacetime" or "safest") to a route already described on inputs identical to
        this engine's along its edges: it is returned as it is when the route found has
        the same edges and rule (a kept safest route, the given peacetime route)."""
        targets = [t for _, t in hubs]
        search = _Search(self, source, targets)
        safest = safest or {}
        described = described or {}
        prof = self.profile

        def kept(hub: str, kind: str, path, policy: dict) -> Route | None:
            """The description given for this route, if it is of the same edges and rule."""
            r = described.get((hub, kind))
            if r is None or path is None or not np.array_equal(r.edge_ids, path):
                return None
            return r if all(getattr(r, k) == v for k, v in policy.items()) else None

        if peace is None:
            peace = search.run(search.region, paths=True)[1]
        pm = [float(self.net.length[p].sum()) if p is not None and len(p) else float("nan")
              for p in peace]
        runs: dict[Any, tuple] = {}  # searches by mask, shared by the policies below
        if not (search_avoid or describe_avoid or tradeoff) and len(safest) == len(hubs):
            # every safest route is known, so each hub has a held-avoiding route: whether
            # one exists is all that is asked, no search needed
            avoid_m = np.zeros(len(hubs))
            avoid_local: list[list[int] | None] = [[] for _ in hubs]
        else:
            avoid_m, avoid_local = search.run(search.level >= 0, paths=True, local=True)
        if search_avoid or describe_avoid:
            avoid = [search.expand(p) for p in avoid_local]
            runs["held"] = (avoid_m, avoid)
        else:  # not wanted: whether a route exists is all that is known
            avoid = [[] if p is not None else None for p in avoid_local]
            runs["held"] = (avoid_m, None)
        self.choices = self.safest_choices(search, [h for h, _ in hubs], pm, avoid_m,
                                           detour_cap, known=safest, avoid_local=avoid_local)
        out: dict[str, dict[str, Route]] = {}
        for i, (name, _node) in enumerate(hubs):
            pp = {"policy": POLICY_PEACETIME}
            r = {"peacetime": kept(name, "peacetime", peace[i], pp) or self.describe(
                     "peacetime", name, peace[i], pm[i], with_refs, lean, **pp)}
            ap: dict[str, Any] = {"policy": POLICY_AVOID_HELD}
            a = avoid[i]
            r["avoid_held"] = (self.describe("avoid_held", name, a, pm[i], with_refs, lean, **ap)
                               if describe_avoid or a is None else
                               Route("avoid_held", name, True, edge_ids=a if lean else list(a),
                                     **ap))
            ch = self.choices.get(name)
            sp = {"policy": policy_text("safest", prof, detour_cap=detour_cap,
                                        limit_m=None if ch is None else ch.limit_m,
                                        relaxed=ch is not None and ch.relaxed),
                  "detour_cap": float(detour_cap),
                  "length_limit_km": None if ch is None else round(ch.limit_m / 1000, 2)}
            path = None if ch is None else ch.path
            r["safest"] = kept(name, "safest", path, sp) or self.describe(
                "safest", name, path, pm[i], with_refs, lean, **sp)
            out[name] = r
        if beyond is not None:
            key = ("beyond", beyond)
            runs[key] = search.least_within(prof.threshold_m(beyond))
            bp = {"policy": policy_text("beyond", prof, band=beyond), "beyond_band": beyond}
            for i, (name, _node) in enumerate(hubs):
                out[name]["beyond"] = self.describe("beyond", name, runs[key][1][i], pm[i],
                                                    with_refs, lean, **bp)
        if tradeoff:
            self.tradeoffs = self._tradeoffs(search, hubs, pm, runs, out, with_refs)
        return out

    def safest_choices(self, search: _Search, names: list[str], peace_m: list[float],
                       avoid_m: np.ndarray, detour_cap: float,
                       known: dict[int, SafestChoice] | None = None,
                       avoid_local: list | None = None) -> dict[str, SafestChoice]:
        """The safest route to each target of ``search`` (hub ``names``) within the
        detour cap.

        For a hub whose peacetime route is P long and whose shortest held-avoiding route
        is A long, the length limit L is cap x P, or A where A is longer (the front
        already forces a longer detour: the limit is "relaxed"). The safest route is the
        route of greatest minimum capped clearance among held-avoiding routes no longer
        than L, and the shortest of those: for a level t let S(t) be the length of the
        shortest route using only edges of capped clearance >= t; S is non-decreasing in
        t, so the greatest level t* among the edges' values with S(t*) <= L is found by
        binary search (one Dijkstra search per step, each answering every hub), and the
        route is the shortest one at t*. Every route no longer than L whose minimum is
        >= t* has minimum exactly t* (a higher minimum would make a higher level
        feasible). Lengths may exceed a limit by :data:`LENGTH_TOL_M`.

        The search starts from bounds: the shortest held-avoiding route (``avoid_local``,
        routes of the searched graph) is feasible at its own minimum, and no route is
        clearer than the clearest edge at the city or at the hub.

        ``known`` maps target positions to choices known to hold (not searched again).
        Returns hub name -> choice (no entry: no route avoids held territory)."""
        known = known or {}
        out: dict[str, SafestChoice] = {}
        levels = np.unique(search.capped[search.capped >= 0])
        todo: dict[int, list[int]] = {}
        limit: dict[int, float] = {}
        relaxed: dict[int, bool] = {}
        for i in range(len(search.targets)):
            if i in known:
                out[names[i]] = known[i]
            elif search.targets[i] == search.source:  # the hub is the city: an empty route
                out[names[i]] = SafestChoice(self.profile.max_m, 0.0, False, [])
            elif np.isfinite(avoid_m[i]) and len(levels):
                cap_m = detour_cap * peace_m[i]
                relaxed[i] = bool(avoid_m[i] > cap_m + LENGTH_TOL_M)
                limit[i] = float(avoid_m[i]) if relaxed[i] else cap_m
                todo[i] = [0, len(levels) - 1]  # levels[0]: every held-avoiding edge
                if avoid_local is not None and avoid_local[i]:
                    top = min(search.best_at(search.source), search.best_at(search.targets[i]))
                    low = float(search.capped[avoid_local[i]].min())
                    todo[i] = [int(np.searchsorted(levels, low)),
                               int(np.searchsorted(levels, top, side="right")) - 1]
        while True:
            open_ = [i for i, (lo, hi) in todo.items() if lo < hi]
            if not open_:
                break
            widest = max(open_, key=lambda i: todo[i][1] - todo[i][0])
            mid = (todo[widest][0] + todo[widest][1] + 1) // 2
            d, _ = search.run(search.capped >= levels[mid], limit=max(limit[i] for i in open_))
            for i in open_:
                lo, hi = todo[i]
                if lo < mid <= hi:
                    todo[i] = [mid, hi] if d[i] <= limit[i] + LENGTH_TOL_M else [lo, mid - 1]
        by_level: dict[float, list] = {}
        for i, (lo, _hi) in todo.items():
            t = float(levels[lo])
            if t not in by_level:
                by_level[t] = search.run(search.capped >= t, paths=True)[1]
            out[names[i]] = SafestChoice(t, limit[i], relaxed[i], by_level[t][i])
        return out

    def _tradeoffs(self, search: _Search, hubs: list[tuple[str, int]], pm: list[float],
                   runs: dict, out: dict[str, dict[str, Route]], with_refs: bool
                   ) -> dict[str, list[TradeoffPoint]]:
        """Per hub, the shortest held-avoiding route, the route with the fewest km within
        each band (then the shortest; see :meth:`_Search.least_within`) and the safest
        route, as a trade-off curve (:func:`tradeoff_curve`)."""
        prof = self.profile
        if runs["held"][1] is None:  # the avoid-held routes were not searched
            runs["held"] = search.run(search.level >= 0, paths=True)
        for b in prof.bands:
            if ("beyond", b.name) not in runs:
                runs[("beyond", b.name)] = search.least_within(b.max_km * 1000)
        curves = {}
        for i, (name, _node) in enumerate(hubs):
            items = [("shortest", self.describe(
                "beyond", name, runs["held"][1][i], pm[i], with_refs,
                policy=POLICY_AVOID_HELD, beyond_band=HELD))]
            for b in prof.bands:
                items.append((f"least within {b.name}", self.describe(
                    "beyond", name, runs[("beyond", b.name)][1][i], pm[i], with_refs,
                    policy=policy_text("beyond", prof, band=b.name), beyond_band=b.name)))
            items.append(("safest", out[name]["safest"]))
            curves[name] = tradeoff_curve(items, [b.name for b in prof.bands])
            for p in curves[name]:
                if not p.route.found:
                    p.reason = "no route avoids held territory"
        return curves


def within_km(route: Route, bands: list[str]) -> dict[str, float]:
    """Km of a route within each band or closer to held territory (from its km per
    band)."""
    out, acc = {}, route.km_by_band.get(HELD, 0.0)
    for b in bands:
        acc += route.km_by_band.get(b, 0.0)
        out[b] = round(acc, 2)
    return out


def tradeoff_curve(items: list[tuple[str, Route]], bands: list[str]) -> list[TradeoffPoint]:
    """The trade-off between length, minimum clearance and km within each band (of
    ``bands``) from ``items`` (constraint, the route chosen for it): routes of the same
    edges are one point (their constraints merged), points sorted by length; a point that
    a shorter (or as long) point matches or beats on clearance and on km within every
    band is dropped (its constraints go to that point); each point states the km it
    adds, the clearance it gains and the km within each band it saves over the previous
    one. Constraints no route meets come last, as points whose route is not found."""
    merged: dict[tuple, TradeoffPoint] = {}
    for c, r in items:
        if not r.found:
            continue
        key = tuple(int(x) for x in r.edge_ids)
        if key in merged:
            merged[key].meets.append(c)
        else:
            merged[key] = TradeoffPoint([c], r, within_km=within_km(r, bands))

    def clear(p: TradeoffPoint) -> float:
        v = p.route.min_clearance_km
        return np.inf if v != v else v

    def beats(q: TradeoffPoint, p: TradeoffPoint) -> bool:
        return clear(q) >= clear(p) and all(q.within_km[b] <= p.within_km[b] for b in bands)

    pts = sorted(merged.values(), key=lambda p: (p.route.length_km, -clear(p)))
    curve: list[TradeoffPoint] = []
    for p in pts:
        q = next((q for q in curve if beats(q, p)), None)
        if q is not None:
            q.meets.extend(p.meets)
            continue
        if curve:
            prev = curve[-1]
            p.extra_km = round(p.route.length_km - prev.route.length_km, 2)
            gain = clear(p) - clear(prev)
            p.extra_clearance_km = round(gain, 2) if np.isfinite(gain) else None
            p.less_within_km = {b: round(prev.within_km[b] - p.within_km[b], 2)
                                for b in bands if prev.within_km[b] > p.within_km[b]}
        curve.append(p)
    curve += [TradeoffPoint([c], r) for c, r in items if not r.found]
    return curve


def safest_still_valid(old_c: np.ndarray, new_c: np.ndarray, choice: SafestChoice) -> bool:
    """Whether a safest route chosen on capped clearances ``old_c`` (see
    :meth:`RouteEngine.capped_clearance`) is still the one :meth:`RouteEngine.safest_choices`
    finds on ``new_c`` (same peacetime route and cap), without searching again.

    Let t* = ``choice.level`` and L = ``choice.limit_m``. Write E(>= t) for the edges of
    value >= t. The choice holds when every edge whose value changed

    (a) is >= t* both before and after, or below t* both times (E(>= t*) is the same
        set), and
    (b) is not above t* after unless it was above t* before (E(> t*) is no larger),

    and, if L was relaxed to the shortest held-avoiding route, no edge was released from
    held ground (value < 0 before, >= 0 after).

    Proof. The route R found has every edge in E(>= t*), which by (a) is unchanged: R
    avoids held ground and its length is still <= L, so level t* is still feasible.
    L is unchanged: if not relaxed, L = cap x P (P is date-free) and the new shortest
    held-avoiding route is no longer than R, so within the tolerance of cap x P: still
    not relaxed; if relaxed, R is a shortest held-avoiding route (A <= len R <= L = A),
    and with no edge released held ground only grew while R survived, so the shortest
    is still A. No higher level is feasible: a route of minimum t > t* after the change
    uses only edges of E(> t*), which by (b) were all above t* before, so it was a route
    of minimum > t* before with the same length, no longer than L: impossible, since t*
    was the greatest feasible level. So t* stays the level, and the final search runs on
    the same edge set E(>= t*) with the same lengths: it returns the same route. (Changes
    of values above t* that stay above t* cannot matter: only membership of E(>= t*) and
    E(> t*) enters the argument. Lengths compare with a limit to
    :data:`LENGTH_TOL_M`; a relaxed limit is a Dijkstra sum, so the kept limit may differ
    from a fresh one in its last bits.)
    """
    changed = old_c != new_c
    if not changed.any():
        return True
    a, b = old_c[changed], new_c[changed]
    t = choice.level
    ok = ((a >= t) == (b >= t)) & ~((b > t) & (a <= t))
    if choice.relaxed:
        ok &= ~((a < 0) & (b >= 0))
    return bool(ok.all())


def pair_status(routes: dict[str, Route]) -> str:
    """Open / under fire (worst band of the safest route) / cut (no route avoids held)."""
    s = routes.get("safest")
    if s is None or not s.found:
        return "cut"
    return s.status


def status_rank(status: str, profile) -> int:
    """0 = cut, 1 = under fire in the worst band ... len = open (higher is better)."""
    if status == "cut":
        return 0
    if status == "open":
        return len(profile.bands) + 1
    for i, b in enumerate(profile.bands):
        if status == f"under fire ({b.name})":
            return i + 1
    return 0


def city_radius_m(population: int) -> float:
    """Approximate built-up radius used as the city's area (source of routes)."""
    return float(np.clip(400.0 * np.sqrt(max(population, 1) / 1000.0) ** 0.6 * 2, 1500, 8000))


@dataclass
class Resilience:
    mode: str
    beyond_band: str
    disjoint_routes: int
    bottleneck_edges: list[dict]

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def resilience_levels(profile: ThreatProfile) -> list[tuple[str, float]]:
    """The levels resilience is counted at: (name, clearance a route must exceed, m):
    ``held`` (routes avoiding held territory: -inf), then each band by its outer limit."""
    return [(HELD, -np.inf)] + [(b.name, b.max_km * 1000.0) for b in profile.bands]


def resilience_mask(engine: RouteEngine, beyond_band: str,
                    classes: tuple[str, ...] | None = None) -> np.ndarray:
    """The edges :func:`resilience` may use: in the region, not held and, unless
    ``beyond_band`` is ``held``, farther than the band's outer limit from held territory."""
    mask = engine.region & ~engine.held
    if beyond_band != HELD:
        mask &= engine.clear > engine.profile.threshold_m(beyond_band)
    if classes:
        mask &= np.isin(engine.net.attr["cls"], classes)
    return mask


@dataclass
class CountProof:
    """Why a disjoint-route count holds (see :func:`count_still_valid`): the searched
    graph's edges that carried flow (``used``) and those with one end on each side of the
    minimum cut nearest the source (``crossing``, over every edge, usable or not)."""

    count: int
    used: np.ndarray
    crossing: np.ndarray


def count_still_valid(proof: CountProof, mask: np.ndarray) -> bool:
    """Whether ``proof.count`` is still the number of edge-disjoint routes on the edges
    in ``mask`` (same graph, city area and hub areas). It is when every edge that carried
    flow is still usable (the same routes exist: at least as many) and no more usable
    edges cross the cut than the count (the cut still holds: no more)."""
    return bool(mask[proof.used].all() and int((mask & proof.crossing).sum()) <= proof.count)


def _flow(net: Network, unit: np.ndarray, free: np.ndarray | None, source_nodes: np.ndarray,
          sink_nodes: np.ndarray, with_cut: bool) -> tuple[int, np.ndarray, CountProof]:
    """Maximum flow from the super-source (``source_nodes``) to the super-sink
    (``sink_nodes``) over the edges in ``unit`` (capacity 1 each way) and ``free``
    (capacity larger than any cut of unit edges): the flow, with ``with_cut`` the unit
    edges of the minimum cut nearest the source (edge ids), and the count's
    :class:`CountProof`. With no route on free edges alone, the flow is the fewest unit
    edges every route must use."""
    free = np.zeros(len(unit), bool) if free is None else free & ~unit
    ids = np.flatnonzero(unit | free)
    n = net.n_nodes
    s, t = n, n + 1
    u, v = net.u[ids], net.v[ids]
    src = np.unique(source_nodes)
    snk = np.setdiff1d(np.unique(sink_nodes), src)
    big = int(unit.sum()) + 1
    ecap = np.where(unit[ids], 1, big).astype(np.int32)
    rows = np.concatenate([u, v, np.full(len(src), s), snk])
    cols = np.concatenate([v, u, src, np.full(len(snk), t)])
    cap = np.concatenate([ecap, ecap, np.full(len(src) + len(snk), big, np.int32)])
    keep = rows != cols
    g = sparse.csr_matrix((cap[keep], (rows[keep], cols[keep])), shape=(n + 2, n + 2),
                          dtype=np.int32)
    g.sum_duplicates()
    res = csgraph.maximum_flow(g, s, t)
    flow = res.flow.tocsr()
    resid = (g - flow).tocsr()
    resid.data = np.where(resid.data > 0, resid.data, 0)
    resid.eliminate_zeros()
    reach = csgraph.breadth_first_order(resid, s, directed=True, return_predecessors=False)
    in_s = np.zeros(n + 2, bool)
    in_s[reach] = True
    used = np.zeros(len(unit), bool)  # parallel edges of a pair carrying flow: all used
    used[ids] = (np.asarray(flow[u, v]).ravel() != 0) | (np.asarray(flow[v, u]).ravel() != 0)
    proof = CountProof(int(res.flow_value), used, in_s[net.u] != in_s[net.v])
    cut = ids[(in_s[u] != in_s[v]) & unit[ids]] if with_cut else np.zeros(0, np.int64)
    return int(res.flow_value), cut, proof


def disjoint_count(engine: RouteEngine, source_nodes: np.ndarray, sink_nodes: np.ndarray,
                   mask: np.ndarray) -> int:
    """The number of edge-disjoint routes from the city area to the hub areas on the
    edges in ``mask`` (on the contracted graph when the engine has chains: a chain is
    used by at most one route, so the count is the same)."""
    return _count(engine, source_nodes, sink_nodes, mask, None)[0]


def _count(engine: RouteEngine, source_nodes: np.ndarray, sink_nodes: np.ndarray,
           mask: np.ndarray, proof: CountProof | None) -> tuple[int, CountProof | None]:
    """The count on ``mask`` (an edge mask of the engine's network) and its proof (on the
    searched graph), kept from ``proof`` when that still holds."""
    net = engine.net
    if engine.chains is not None:
        ch = engine.chains
        net, mask = ch.graph_net, ch.all_of(mask)
        source_nodes = np.searchsorted(ch.nodes, source_nodes)
        sink_nodes = np.searchsorted(ch.nodes, sink_nodes)
    if proof is not None and count_still_valid(proof, mask):
        return proof.count, proof
    n, _, new = _flow(net, mask, None, source_nodes, sink_nodes, with_cut=False)
    return n, new


def describe_edges(engine: RouteEngine, edges: np.ndarray, describe=None) -> list[dict]:
    """Each edge's route number, class, midpoint (metric), clearance (km, 0 when held)
    and band, and with ``describe(x, y)`` what it adds (lon, lat, nearest place)."""
    out = []
    net, a = engine.net, engine.net.attr
    names = engine.profile.names
    for e in np.asarray(edges, dtype=np.int64).tolist():
        x, y = (float(c) for c in net.edge_mid_xy[e])
        item = {"edge": e, "ref": route_label(a["ref"][e], a["eref"][e]), "cls": a["cls"][e],
                "x": round(x, 1), "y": round(y, 1),
                "clearance_km": 0.0 if engine.held[e] else
                round(float(engine.clear[e]) / 1000, 2),
                "band": names[int(engine.band[e])]}
        if describe is not None:
            item.update(describe(x, y))
        out.append(item)
    return out


def resilience(engine: RouteEngine, source_nodes: np.ndarray, sink_nodes: np.ndarray,
               beyond_band: str, classes: tuple[str, ...] | None = None,
               describe=None, with_cut: bool = True) -> Resilience:
    """Edge-disjoint routes from the city to the rear staying beyond ``beyond_band``.

    ``source_nodes`` (the city area) and ``sink_nodes`` (all hub areas) are merged into a
    super-source and super-sink; the minimum cut next to the city is the bottleneck
    (not looked for with ``with_cut=False``: the count only).
    """
    mask = resilience_mask(engine, beyond_band, classes)
    if engine.chains is not None and not with_cut:
        return Resilience(engine.net.mode, beyond_band,
                          disjoint_count(engine, source_nodes, sink_nodes, mask), [])
    n, cut, _ = _flow(engine.net, mask, None, source_nodes, sink_nodes, with_cut)
    return Resilience(engine.net.mode, beyond_band, n,
                      describe_edges(engine, cut, describe) if with_cut else [])


@dataclass
class BandResilience:
    """Edge-disjoint routes from the city area to the hub areas at every level of
    :func:`resilience_levels`, and where they fail.

    ``bottleneck_band``: the last level with routes (None when no route avoids held
    territory); ``bottleneck_edges``: a minimum cut there (cutting these edges leaves no
    route at that level). ``cut_band``: the first level without routes (None when routes
    stay beyond every band); ``cut_at_city`` / ``cut_at_hubs``: no usable edge at that
    level touches the city area / any hub area (the area itself lies within the band);
    otherwise ``cut_edges``: the fewest edges, each usable at the previous level but
    within ``cut_band``, that every route of the previous level must use (where the
    routes come within the band)."""

    mode: str
    counts: dict[str, int]
    bottleneck_band: str | None = None
    bottleneck_edges: list[dict] = field(default_factory=list)
    cut_band: str | None = None
    cut_at_city: bool = False
    cut_at_hubs: bool = False
    cut_edges: list[dict] = field(default_factory=list)


def level_masks(engine: RouteEngine) -> list[np.ndarray]:
    """The edges usable at each level of :func:`resilience_levels` (nested: each a subset
    of the one before)."""
    base = engine.region & ~engine.held
    return [base if thr < 0 else base & (engine.clear > thr)
            for _, thr in resilience_levels(engine.profile)]


def band_counts(engine: RouteEngine, source_nodes: np.ndarray, sink_nodes: np.ndarray,
                masks: list[np.ndarray], proofs: list[CountProof | None] | None = None
                ) -> tuple[list[int], list[CountProof | None]]:
    """The disjoint-route count at each level (``masks`` from :func:`level_masks`) and
    the proofs the next day can test (:func:`count_still_valid`); ``proofs`` are those of
    an earlier day of the same plan. Without a flow: a level after one without routes
    has none (its edges are a subset), a level whose edges are those of the one before
    has its count, a level with no usable edge at the city area or at the hub areas has
    none, and a level whose proof still holds keeps its count."""
    net = engine.net
    at_src = np.isin(net.u, source_nodes) | np.isin(net.v, source_nodes)
    at_snk = np.isin(net.u, sink_nodes) | np.isin(net.v, sink_nodes)
    out: list[int] = []
    new: list[CountProof | None] = []
    for k, m in enumerate(masks):
        if out and out[-1] == 0:
            out.append(0)
            new.append(None)
        elif out and np.array_equal(m, masks[k - 1]):
            out.append(out[-1])
            new.append(new[-1])
        elif not (m & at_src).any() or not (m & at_snk).any():
            out.append(0)
            new.append(None)
        else:
            n, proof = _count(engine, source_nodes, sink_nodes, m,
                              None if proofs is None else proofs[k])
            out.append(n)
            new.append(proof)
    return out, new


def band_resilience(engine: RouteEngine, source_nodes: np.ndarray, sink_nodes: np.ndarray,
                    describe=None, masks: list[np.ndarray] | None = None) -> BandResilience:
    """Counts at every level, the bottleneck at the last level with routes and the cut at
    the first without (see :class:`BandResilience`)."""
    names = [n for n, _ in resilience_levels(engine.profile)]
    masks = level_masks(engine) if masks is None else masks
    counts, _ = band_counts(engine, source_nodes, sink_nodes, masks)
    out = BandResilience(engine.net.mode, dict(zip(names, counts, strict=True)))
    last = max((k for k, c in enumerate(counts) if c > 0), default=None)
    if last is not None:
        out.bottleneck_band = names[last]
        _, cut, _ = _flow(engine.net, masks[last], None, source_nodes, sink_nodes, True)
        out.bottleneck_edges = describe_edges(engine, cut, describe)
    k = 0 if last is None else last + 1
    if k == len(names):
        return out
    out.cut_band = names[k]
    net, m = engine.net, masks[k]
    touches = m[np.isin(net.u, source_nodes) | np.isin(net.v, source_nodes)]
    out.cut_at_city = not touches.any()
    touches = m[np.isin(net.u, sink_nodes) | np.isin(net.v, sink_nodes)]
    out.cut_at_hubs = not touches.any()
    if not (out.cut_at_city or out.cut_at_hubs):
        before = engine.region if k == 0 else masks[k - 1]
        _, cut, _ = _flow(net, before & ~m, m, source_nodes, sink_nodes, True)
        out.cut_edges = describe_edges(engine, cut, describe)
    return out
