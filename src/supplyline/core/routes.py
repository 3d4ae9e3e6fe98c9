"""Routes from a city to its rear hubs: peacetime, avoiding held territory, safest.

For a city, a date and a network (road or rail):

- **peacetime**: shortest route ignoring the front;
- **avoid_held**: shortest route using no edge that touches held territory;
- **safest**: the route whose minimum clearance from held territory is greatest (clearance
  counted up to the outermost threat band: beyond it every stretch is equally safe), and
  the shortest among those.

Each route reports length, detour factor against peacetime, minimum clearance, km in each
band and the route numbers in order. :func:`resilience` counts edge-disjoint routes that
stay beyond a chosen band and finds the bottleneck (a minimum cut).

All graph work runs in :mod:`scipy.sparse.csgraph` on the edges of a region around the
city and its hubs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    edge_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


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


def refs_in_order(net: Network, edge_ids: list[int], min_km: float = 1.0) -> list[str]:
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

    def max_of(self, values: np.ndarray) -> np.ndarray:
        if not len(self):
            return np.zeros(0)
        return np.maximum.reduceat(values[self.order], self.start[:-1])

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
        n = len(net.length)
        ids = exposure.ids
        if len(ids) == n and np.array_equal(ids, np.arange(n)):
            # the exposure covers every edge in order: its arrays as they are (read only)
            self.clear, self.held = exposure.clearance, exposure.held
            self.band = exposure.band
            self.region = np.ones(n, bool)
            return
        self.clear = np.full(n, -1.0)
        self.clear[exposure.ids] = exposure.clearance
        self.held = np.ones(n, bool)
        self.held[exposure.ids] = exposure.held
        self.band = np.zeros(n, np.int64)
        self.band[exposure.ids] = exposure.band
        self.region = np.zeros(n, bool)
        self.region[exposure.ids] = True

    def _graph(self, mask: np.ndarray) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        return self.net.graph(mask, self.net.length)

    def shortest(self, source: int, targets: list[int], mask: np.ndarray
                 ) -> list[list[int] | None]:
        ch = self.chains
        if ch is not None:
            cn = ch.graph_net
            g, gid = cn.graph(ch.all_of(mask), cn.length)
            s = ch.local(source)
            dist, pred = csgraph.dijkstra(g, indices=s, return_predecessors=True)
            return [None if not np.isfinite(dist[ch.local(t)]) else
                    ch.edges(cn.edge_path(pred, gid, ch.local(t)), s) for t in targets]
        g, gid = self._graph(mask)
        dist, pred = csgraph.dijkstra(g, indices=source, return_predecessors=True)
        out: list[list[int] | None] = []
        for t in targets:
            out.append(None if not np.isfinite(dist[t]) else self.net.edge_path(pred, gid, t))
        return out

    def bottleneck(self, source: int, targets: list[int]) -> list[float]:
        """Max over routes of the min capped clearance, per target (-1 if unreachable)."""
        cap = self.profile.max_m
        mask = self.region & ~self.held
        c = np.minimum(self.clear, cap)
        # maximum spanning tree == minimum spanning tree of (cap + 1 - clearance)
        if self.chains is not None:
            ch = self.chains
            g, _ = ch.graph_net.graph(ch.all_of(mask), ch.max_of(cap + 1.0 - c), ids=False)
            source, targets = ch.local(source), [ch.local(t) for t in targets]
        else:
            g, _ = self.net.graph(mask, cap + 1.0 - c, ids=False)
        mst = csgraph.minimum_spanning_tree(g, overwrite=True).tocoo()
        _, pred = csgraph.breadth_first_order(mst, source, directed=False,
                                              return_predecessors=True)
        # each tree edge's weight on its child node (the end farther from the source)
        r, k, w = mst.row, mst.col, mst.data
        child = np.where(pred[r] == k, r, k)
        up = np.full(len(pred), -np.inf)
        up[child] = w
        # heaviest edge from every node up to the source, by pointer doubling
        anc = np.where(pred >= 0, pred, np.arange(len(pred)))
        heavy = up
        while True:
            nxt = anc[anc]
            heavy = np.maximum(heavy, heavy[anc])
            if np.array_equal(nxt, anc):
                break
            anc = nxt
        out = []
        for t in targets:
            if t == source:  # an empty route: nothing on it is exposed
                out.append(float(cap))
            elif pred[t] < 0:
                out.append(-1.0)
            else:
                out.append(float(cap + 1.0 - heavy[t]))
        return out

    def describe(self, kind: str, hub: str, path: list[int] | np.ndarray | None,
                 peace_m: float, with_refs: bool = True, lean: bool = False) -> Route:
        """A route's figures. ``lean`` (the timeline's many routes): no km per band, and
        the edge ids stay an integer array."""
        if path is None:
            return Route(kind, hub, False)
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
            edge_ids=ids if lean else [int(x) for x in ids],
        )

    def capped_clearance(self) -> np.ndarray:
        """The clearance the safest route maximises: capped at the outermost band, -1 on
        held edges and outside the region."""
        return np.where(self.region & ~self.held,
                        np.minimum(self.clear, self.profile.max_m), -1.0)

    def routes(self, source: int, hubs: list[tuple[str, int]], *, with_refs: bool = True,
               peace: list[list[int] | None] | None = None,
               avoid: list[list[int] | None] | None = None,
               describe_avoid: bool = True, search_avoid: bool = True,
               safest: dict[int, tuple[float, list[int]]] | None = None,
               lean: bool = False,
               described: dict[tuple[str, str], Route] | None = None
               ) -> dict[str, dict[str, Route]]:
        """Peacetime, avoid-held and safest routes to each hub. ``peace`` (date-free) and
        ``avoid`` (depends only on which edges are held) may be passed in when known; with
        ``describe_avoid=False`` the avoid-held route only carries its edges; with
        ``search_avoid=False`` (and no ``avoid``) it is not searched: only whether it
        exists is known (found, no edges), which is all the safest route needs. ``safest``
        maps hub positions to a known (bottleneck threshold, safest path) for this
        exposure (see :func:`safest_still_valid`). The threshold of every safest route
        found is left in ``self.thresholds`` (hub name -> m). ``lean``: see
        :meth:`describe`. ``described`` maps (hub, "peacetime" or "safest") to a route
        already described on inputs identical to this engine's along its edges: it is
        returned as it is when the route found has the same edges (a kept safest route,
        the given peacetime route)."""
        targets = [t for _, t in hubs]
        safest = safest or {}
        described = described or {}

        def kept(hub: str, kind: str, path) -> Route | None:
            """The description given for this route, if it is of the same edges."""
            r = described.get((hub, kind))
            return r if r is not None and path is not None and np.array_equal(
                r.edge_ids, path) else None
        if peace is None:
            peace = self.shortest(source, targets, self.region)
        if avoid is None and search_avoid:
            avoid = self.shortest(source, targets, self.region & ~self.held)
        need = [i for i in range(len(hubs))
                if i not in safest and (avoid is None or avoid[i] is not None)]
        bott = self.bottleneck(source, targets) if need else [-1.0] * len(hubs)
        if avoid is None:
            # not searched: a hub is reachable without held edges when the bottleneck
            # search reached it or a known safest route does; the route has no edges
            avoid = [[] if (i in safest or bott[i] >= 0) else None
                     for i in range(len(hubs))]
        out: dict[str, dict[str, Route]] = {}
        by_threshold: dict[float, list[list[int] | None]] = {}
        self.thresholds: dict[str, float] = {}
        for i, (name, _node) in enumerate(hubs):
            pm = (float(self.net.length[peace[i]].sum())
                  if peace[i] is not None and len(peace[i]) else float("nan"))
            r = {"peacetime": kept(name, "peacetime", peace[i]) or self.describe(
                     "peacetime", name, peace[i], pm, with_refs, lean),
                 "avoid_held": (self.describe("avoid_held", name, avoid[i], pm, with_refs,
                                              lean)
                                if describe_avoid or avoid[i] is None else
                                Route("avoid_held", name, True,
                                      edge_ids=avoid[i] if lean else list(avoid[i])))}
            if i in safest and avoid[i] is not None:
                thr, path = safest[i]
                self.thresholds[name] = thr
                r["safest"] = kept(name, "safest", path) or self.describe(
                    "safest", name, path, pm, with_refs, lean)
            elif bott[i] < 0 or avoid[i] is None:
                r["safest"] = Route("safest", name, False)
            else:
                thr = bott[i]
                if thr not in by_threshold:  # (thr >= 0: held edges, at -1, stay out)
                    mask = self.capped_clearance() >= thr - 0.01
                    by_threshold[thr] = self.shortest(source, targets, mask)
                self.thresholds[name] = thr
                r["safest"] = self.describe("safest", name, by_threshold[thr][i], pm,
                                            with_refs, lean)
            out[name] = r
        return out


def safest_still_valid(old_c: np.ndarray, new_c: np.ndarray, threshold: float,
                       zone: float = 0.02) -> bool:
    """Whether a safest route found on clearances ``old_c`` (see
    :meth:`RouteEngine.capped_clearance`) with bottleneck ``threshold`` is still the
    safest route on ``new_c``, without searching again.

    It is when no edge whose value changed lies near the threshold (within ``zone`` m)
    before or after, and none crossed it: the old route keeps every edge above the
    threshold (so the new bottleneck is at least as high), no new route rises above it
    (so it is no higher), and the edges allowed to the final shortest search are the same
    set, so that search returns the same path.
    """
    changed = old_c != new_c
    if not changed.any():
        return True
    a, b = old_c[changed], new_c[changed]
    lo, hi = threshold - zone, threshold + zone
    side_a = np.where(a < lo, -1, np.where(a > hi, 1, 0))
    side_b = np.where(b < lo, -1, np.where(b > hi, 1, 0))
    return bool((side_a != 0).all() and (side_a == side_b).all())


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


def resilience_mask(engine: RouteEngine, beyond_band: str,
                    classes: tuple[str, ...] | None = None) -> np.ndarray:
    """The edges :func:`resilience` may use: in the region, not held, beyond the band."""
    thr = engine.profile.threshold_m(beyond_band)
    mask = engine.region & ~engine.held & (engine.clear > thr)
    if classes:
        mask &= np.isin(engine.net.attr["cls"], classes)
    return mask


def resilience(engine: RouteEngine, source_nodes: np.ndarray, sink_nodes: np.ndarray,
               beyond_band: str, classes: tuple[str, ...] | None = None,
               describe=None, with_cut: bool = True) -> Resilience:
    """Edge-disjoint routes from the city to the rear staying beyond ``beyond_band``.

    ``source_nodes`` (the city area) and ``sink_nodes`` (all hub areas) are merged into a
    super-source and super-sink; the minimum cut next to the city is the bottleneck
    (not looked for with ``with_cut=False``: the count only).
    """
    net = engine.net
    mask = resilience_mask(engine, beyond_band, classes)
    if engine.chains is not None and not with_cut:  # the count on the contracted graph
        ch = engine.chains
        net = ch.graph_net
        mask = ch.all_of(mask)
        source_nodes = np.searchsorted(ch.nodes, source_nodes)
        sink_nodes = np.searchsorted(ch.nodes, sink_nodes)
    ids = np.flatnonzero(mask)
    n = net.n_nodes
    s, t = n, n + 1
    u, v = net.u[ids], net.v[ids]
    src = np.unique(source_nodes)
    snk = np.setdiff1d(np.unique(sink_nodes), src)
    big = len(ids) + 1
    rows = np.concatenate([u, v, np.full(len(src), s), snk])
    cols = np.concatenate([v, u, src, np.full(len(snk), t)])
    cap = np.concatenate([np.ones(2 * len(ids), np.int32), np.full(len(src) + len(snk), big,
                                                                    np.int32)])
    keep = rows != cols
    g = sparse.csr_matrix((cap[keep], (rows[keep], cols[keep])), shape=(n + 2, n + 2),
                          dtype=np.int32)
    g.sum_duplicates()
    res = csgraph.maximum_flow(g, s, t)
    if not with_cut:
        return Resilience(net.mode, beyond_band, int(res.flow_value), [])
    flow = res.flow.tocsr()
    resid = (g - flow).tocsr()
    resid.data = np.where(resid.data > 0, resid.data, 0)
    resid.eliminate_zeros()
    reach = csgraph.breadth_first_order(resid, s, directed=True, return_predecessors=False)
    in_s = np.zeros(n + 2, bool)
    in_s[reach] = True
    cut = ids[in_s[u] != in_s[v]]
    out = []
    a = net.attr
    for e in cut.tolist():
        x, y = (float(c) for c in net.edge_mid_xy[e])
        item = {"edge": e, "ref": route_label(a["ref"][e], a["eref"][e]), "cls": a["cls"][e],
                "x": round(x, 1), "y": round(y, 1),
                "clearance_km": round(float(engine.clear[e]) / 1000, 2)}
        if describe is not None:
            item.update(describe(x, y))
        out.append(item)
    return Resilience(net.mode, beyond_band, int(res.flow_value), out)
