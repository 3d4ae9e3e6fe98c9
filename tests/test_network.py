"""Unit tests for supplyline.data.network on small synthetic networks (lines given in metres)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.sparse import csgraph
from shapely.geometry import LineString, MultiLineString, Point

from supplyline.crs import GEOGRAPHIC_CRS, METRIC_CRS
from supplyline.data.network import (
    BuildParams,
    build_network,
    load_network,
    split_lines,
    symmetric_graph,
)
from supplyline.errors import DataFormatError
from supplyline.io.loaders import LINE_COLUMNS


def make_lines(*items, crs: str = METRIC_CRS) -> gpd.GeoDataFrame:
    """Standard-schema lines from geometries (metric coordinates) or (geometry, attrs)."""
    rows, geoms = [], []
    for item in items:
        geom, attrs = item if isinstance(item, tuple) else (item, {})
        row = dict.fromkeys(LINE_COLUMNS, "")
        row["mode"] = "road"
        row.update(attrs)
        rows.append(row)
        geoms.append(geom)
    return gpd.GeoDataFrame(rows, columns=LINE_COLUMNS, geometry=geoms, crs=crs)


def line(*pts, **attrs):
    return (LineString(pts), attrs)


def node_at(net, x, y, tol=1e-6) -> int:
    d = np.hypot(net.node_xy[:, 0] - x, net.node_xy[:, 1] - y)
    i = int(np.argmin(d))
    assert d[i] <= tol, f"no node at ({x}, {y}); nearest is {d[i]} m away"
    return i


def path_length(net, a: int, b: int) -> float:
    dist = csgraph.dijkstra(net.adjacency(net.length), indices=a)
    return float(dist[b])


def degree(net, node: int) -> int:
    return int((net.u == node).sum() + (net.v == node).sum())


# --------------------------------------------------------------------------- splitting

def test_straight_3km_line_becomes_three_1km_edges():
    net = build_network(make_lines(line((0, 0), (3000, 0))), "road",
                        BuildParams(max_edge_m=1000))
    assert len(net.edges) == 3
    np.testing.assert_allclose(net.length, [1000, 1000, 1000])
    assert net.length.sum() == pytest.approx(3000)
    assert net.n_nodes == 4
    # a chain: the two ends have degree 1, the two cut points degree 2
    assert sorted(degree(net, i) for i in range(net.n_nodes)) == [1, 1, 2, 2]
    assert path_length(net, node_at(net, 0, 0), node_at(net, 3000, 0)) == pytest.approx(3000)
    for x in (1000, 2000):
        node_at(net, x, 0)
    assert net.report["components"] == 1
    assert net.report["length_km"] == 3.0
    assert net.report["edges"] == 3 and net.report["nodes"] == 4


def test_split_keeps_attributes_and_crs():
    net = build_network(make_lines(line((0, 0), (2500, 0), ref="M-04", cls="primary")),
                        "road", BuildParams(max_edge_m=1000))
    # 2500 m -> 3 equal pieces of 833.3 m (no piece longer than max_edge_m)
    np.testing.assert_allclose(net.length, [2500 / 3] * 3)
    assert (net.edges["ref"] == "M-04").all() and (net.edges["cls"] == "primary").all()
    assert net.edges.crs.equals(gpd.GeoSeries(crs=METRIC_CRS).crs)
    assert {"u", "v", "length", "component", "geometry"} <= set(net.edges.columns)


def test_split_lines_bent_line_and_explicit_cuts():
    bent = LineString([(0, 0), (1500, 0), (1500, 1500)])  # 3000 m with a corner
    straight = LineString([(0, 5000), (800, 5000)])
    pieces, src = split_lines(np.array([bent, straight]), 1000.0,
                              np.array([1]), np.array([300.0]))
    lens = shapely.length(pieces)
    np.testing.assert_allclose(lens, [1000, 1000, 1000, 300, 500])
    assert src.tolist() == [0, 0, 0, 1, 1]
    # the middle piece of the bent line goes round the corner
    assert shapely.get_coordinates(pieces[1]).tolist() == [[1000, 0], [1500, 0], [1500, 500]]
    assert shapely.get_coordinates(pieces[3]).tolist() == [[0, 5000], [300, 5000]]
    # the pieces of each source line put back together are the source line
    for i, g in enumerate([bent, straight]):
        merged = shapely.line_merge(shapely.union_all(pieces[src == i]))
        assert merged.equals(g)


def test_split_lines_cut_on_vertex_and_duplicate_cuts():
    g = LineString([(0, 0), (400, 0), (1000, 0)])
    # a cut exactly on the vertex at 400 m, given twice: no zero-length piece
    pieces, src = split_lines(np.array([g]), 5000.0, np.array([0, 0]), np.array([400.0, 400.0]))
    np.testing.assert_allclose(shapely.length(pieces), [400, 600])
    assert src.tolist() == [0, 0]


# --------------------------------------------------------------------------- joining

def test_lines_meeting_exactly_share_a_node():
    net = build_network(make_lines(line((0, 0), (1000, 0)), line((1000, 0), (1000, 1000))),
                        "road", BuildParams(max_edge_m=5000))
    assert len(net.edges) == 2 and net.n_nodes == 3
    shared = node_at(net, 1000, 0)
    assert degree(net, shared) == 2
    assert net.report["components"] == 1
    assert path_length(net, node_at(net, 0, 0), node_at(net, 1000, 1000)) == pytest.approx(2000)


@pytest.mark.parametrize(("snap_tol", "components"), [(10.0, 1), (1.0, 2)])
def test_ends_5m_apart_snap_only_within_tolerance(snap_tol, components):
    lines = make_lines(line((0, 0), (1000, 0)), line((1005, 0), (2000, 0)))
    net = build_network(lines, "road", BuildParams(snap_tol_m=snap_tol, max_edge_m=5000))
    assert net.report["components"] == components
    assert net.n_nodes == (3 if components == 1 else 4)
    if components == 1:
        node_at(net, 1002.5, 0)  # the snapped node sits between the two ends


@pytest.mark.parametrize(
    ("seam_a", "seam_b", "seam_tol", "components"),
    [
        ("s1", "s1", 150.0, 1),  # same feature split at a tile seam: joined
        ("s1", "s2", 150.0, 2),  # different features 80 m apart: not joined
        ("", "", 150.0, 2),  # no seam id: only the snap tolerance applies
        ("s1", "s1", 50.0, 2),  # gap wider than the seam tolerance
    ],
)
def test_seam_join(seam_a, seam_b, seam_tol, components):
    lines = make_lines(line((0, 0), (1000, 0), seam_id=seam_a),
                       line((1080, 0), (2000, 0), seam_id=seam_b))
    net = build_network(lines, "road", BuildParams(seam_tol_m=seam_tol))
    assert net.report["components"] == components
    if components == 1:
        a, b = node_at(net, 0, 0), node_at(net, 2000, 0)
        # the seam gap is bridged by merging the two ends, not by a new edge
        assert path_length(net, a, b) == pytest.approx(1000 + 920)


def test_short_seam_feature_is_not_collapsed():
    # EGM gives every feature a seam id; a 100 m link must stay a 100 m edge
    lines = make_lines(line((0, 0), (1000, 0), seam_id="a"),
                       line((1000, 0), (1100, 0), seam_id="b"),
                       line((1100, 0), (2000, 0), seam_id="c"))
    net = build_network(lines, "road")
    assert len(net.edges) == 3 and net.report["dropped_loops"] == 0
    assert net.length.sum() == pytest.approx(2000)
    assert path_length(net, node_at(net, 0, 0), node_at(net, 2000, 0)) == pytest.approx(2000)


def test_t_junction_is_noded():
    main = line((0, 0), (2000, 0))
    side = line((700, 0), (700, 1000))
    net = build_network(make_lines(main, side), "road", BuildParams(max_edge_m=5000))
    assert net.report["t_junction_splits"] == 1
    assert len(net.edges) == 3
    j = node_at(net, 700, 0)
    assert degree(net, j) == 3
    top = node_at(net, 700, 1000)
    assert path_length(net, node_at(net, 0, 0), top) == pytest.approx(1700)
    assert path_length(net, node_at(net, 2000, 0), top) == pytest.approx(2300)


def test_t_junction_within_snap_tolerance_is_noded():
    # the side road stops 5 m short of the main road
    net = build_network(make_lines(line((0, 0), (2000, 0)), line((700, 5), (700, 1000))),
                        "road", BuildParams(max_edge_m=5000))
    assert net.report["t_junction_splits"] == 1
    assert net.report["components"] == 1
    top = node_at(net, 700, 1000)
    assert path_length(net, node_at(net, 0, 0), top) == pytest.approx(1700, abs=5)


def test_crossroads_on_a_through_road_is_noded():
    # two side roads end at the same interior point of a through road
    lines = make_lines(line((0, 0), (2000, 0)), line((700, 0), (700, 1000)),
                       line((700, 0), (700, -1000)))
    net = build_network(lines, "road", BuildParams(max_edge_m=5000))
    assert net.report["components"] == 1
    assert net.report["t_junction_splits"] == 1  # one cut, although two ends touch there
    j = node_at(net, 700, 0)
    assert degree(net, j) == 4
    assert path_length(net, node_at(net, 0, 0), node_at(net, 700, -1000)) == pytest.approx(1700)


def test_crossing_without_shared_point_is_not_noded():
    # an X crossing (overpass) with no line ending on the other: no junction
    net = build_network(make_lines(line((0, 0), (2000, 0)), line((1000, -1000), (1000, 1000))),
                        "road", BuildParams(max_edge_m=5000))
    assert net.report["t_junction_splits"] == 0
    assert net.report["components"] == 2


# --------------------------------------------------------------------------- components

def test_two_separate_lines_give_two_components():
    lines = make_lines(line((0, 0), (3000, 0)), line((0, 10_000), (1000, 10_000)))
    net = build_network(lines, "road", BuildParams(max_edge_m=1000))
    assert net.report["components"] == 2
    assert net.report["largest_components_nodes"] == [4, 2]
    assert net.report["main_component_km"] == 3.0
    assert net.report["main_component_share"] == pytest.approx(0.75)
    comp = net.node_component
    assert comp[node_at(net, 0, 0)] == comp[node_at(net, 3000, 0)] == net.main_component
    assert comp[node_at(net, 0, 10_000)] != net.main_component
    # edges carry their component
    assert (net.edges["component"] == net.main_component).sum() == 3
    # nearest node: the main component by default, any component on request
    small = node_at(net, 0, 10_000)
    i, d = net.nearest_node((0, 9_000))
    assert net.node_component[i] == net.main_component
    assert d == pytest.approx(9_000)
    i, d = net.nearest_node((0, 9_000), main_only=False)
    assert i == small and d == pytest.approx(1_000)


def test_degenerate_line_and_point_are_dropped_and_counted():
    lines = make_lines(line((0, 0), (1000, 0)), LineString([(5, 5), (5, 5)]), Point(10, 10),
                       MultiLineString([[(0, 5000), (1000, 5000)], [(0, 6000), (500, 6000)]]))
    net = build_network(lines, "road", BuildParams(max_edge_m=5000))
    assert net.report["input_features"] == 4
    assert net.report["dropped_degenerate"] == 1
    assert net.report["dropped_non_lines"] == 1
    # the multi-line is exploded into its two parts
    assert len(net.edges) == 3
    np.testing.assert_allclose(sorted(net.length), [500, 1000, 1000])
    assert net.report["components"] == 3


def test_tiny_line_leaves_no_isolated_node():
    # a 0.5 m line collapses into one node (a loop) and is dropped without a trace
    lines = make_lines(line((0, 0), (1000, 0)), line((5000, 0), (5000.5, 0)))
    net = build_network(lines, "road")
    assert net.report["dropped_loops"] == 1
    assert net.report["components"] == 1
    assert net.n_nodes == 2 and len(net.edges) == 1


def test_only_other_modes_or_unusable_geometry_raise():
    rail = make_lines(line((0, 0), (1000, 0), mode="rail"))
    with pytest.raises(DataFormatError):
        build_network(rail, "road")
    assert len(build_network(rail, "rail").edges) == 1
    with pytest.raises(DataFormatError):
        build_network(make_lines(Point(0, 0)), "road")
    with pytest.raises(DataFormatError):
        build_network(make_lines(line((0, 0), (5, 0))), "road")  # shorter than snap_tol
    no_crs = make_lines(line((0, 0), (1000, 0)))
    no_crs = no_crs.set_crs(None, allow_override=True)
    with pytest.raises(DataFormatError):
        build_network(no_crs, "road")


def test_geographic_input_is_projected_to_metres():
    # 0.01 degree of longitude along the equator-parallel at 48 N, at the CRS centre
    metric = make_lines(line((500_000, 5_300_000), (503_000, 5_300_000)))
    geo = metric.to_crs(GEOGRAPHIC_CRS)
    net = build_network(geo, "road", BuildParams(max_edge_m=1000))
    assert net.length.sum() == pytest.approx(3000, abs=0.01)
    assert len(net.edges) == 3


# --------------------------------------------------------------------------- graph helpers

def test_symmetric_graph_keeps_shortest_parallel_edge():
    u = np.array([0, 1, 0, 2])
    v = np.array([1, 0, 0, 1])
    w = np.array([5.0, 3.0, 1.0, 0.0])
    ids = np.array([10, 11, 12, 13])
    g, gid = symmetric_graph(u, v, w, ids, 3)
    assert g[0, 1] == g[1, 0] == 3.0  # the shorter of the parallel edges 10 / 11
    assert gid[0, 1] == gid[1, 0] == 12.0  # edge id + 1
    assert g[0, 0] == 0  # self loop dropped
    assert g[1, 2] > 0 and g[1, 2] <= 1e-6  # zero weight kept as a tiny positive one
    assert gid[2, 1] == 14.0


def test_edge_path_follows_dijkstra_predecessors():
    # a square with a diagonal shortcut missing: 0-1-2 vs 0-3-2 (longer)
    lines = make_lines(line((0, 0), (1000, 0)), line((1000, 0), (1000, 1000)),
                       line((0, 0), (0, 1500)), line((0, 1500), (1000, 1000)))
    net = build_network(lines, "road", BuildParams(max_edge_m=5000))
    a, c = node_at(net, 0, 0), node_at(net, 1000, 1000)
    g, gid = net.adjacency_with_ids(net.length)
    dist, pred = csgraph.dijkstra(g, indices=a, return_predecessors=True)
    path = net.edge_path(pred, gid, c)
    assert dist[c] == pytest.approx(2000)
    assert sorted(net.length[path].tolist()) == [1000, 1000]
    assert net.edge_path(pred, gid, a) == []
    # masking out the short route forces the long one
    mask = np.ones(len(net.edges), bool)
    mask[path[0]] = False
    dist2 = csgraph.dijkstra(net.adjacency(net.length, mask), indices=a)
    assert dist2[c] == pytest.approx(1500 + np.hypot(1000, 500))


# --------------------------------------------------------------------------- caching

def _edges_equal(a, b) -> None:
    assert sorted(a.edges.columns) == sorted(b.edges.columns)
    assert b.edges.crs.equals(a.edges.crs)
    np.testing.assert_array_equal(a.u, b.u)
    np.testing.assert_array_equal(a.v, b.v)
    np.testing.assert_array_equal(a.length, b.length)
    np.testing.assert_array_equal(a.node_xy, b.node_xy)
    assert shapely.equals_exact(a.geoms, b.geoms, tolerance=0).all()
    for col in ("ref", "cls", "component"):
        assert a.edges[col].tolist() == b.edges[col].tolist()


def test_load_network_cache_hit_and_rebuild(tmp_path):
    src = tmp_path / "roads.gpkg"
    src.write_bytes(b"stand-in source file")
    lines = make_lines(line((0, 0), (3000, 0), ref="M-01"), line((3000, 0), (3000, 2000)))
    cache = tmp_path / "cache"
    kw = dict(lines=lines, source_files=[src], cache_root=cache)

    first = load_network("road", **kw)
    assert first.report["cache"] == "miss"
    (entry,) = list((cache / "network").iterdir())  # one entry: a directory of files
    names = sorted(p.name for p in entry.iterdir())
    assert "manifest.json" in names and {"u.npy", "v.npy", "length.npy", "coords.npy",
                                         "samples_xy.npy", "text.ref.json"} <= set(names)
    for p in entry.glob("*.npy"):  # plain arrays: readable without pickle
        np.load(p, allow_pickle=False)

    second = load_network("road", **kw)
    assert second.report["cache"] == "hit"
    _edges_equal(first, second)
    assert second.mode == "road"
    assert second.report["components"] == first.report["components"]
    # a loaded network routes like the built one
    a, b = node_at(second, 0, 0), node_at(second, 3000, 2000)
    assert path_length(second, a, b) == pytest.approx(5000)

    # the cache is disposable: delete it and the network is just rebuilt
    import shutil

    shutil.rmtree(cache / "network")
    third = load_network("road", **kw)
    assert third.report["cache"] == "miss"
    _edges_equal(first, third)
    assert load_network("road", **kw).report["cache"] == "hit"


def test_damaged_network_cache_is_a_miss_and_rebuilt(tmp_path, caplog):
    src = tmp_path / "roads.gpkg"
    src.write_bytes(b"stand-in source file")
    lines = make_lines(line((0, 0), (3000, 0), ref="M-01"), line((3000, 0), (3000, 2000)))
    kw = dict(lines=lines, source_files=[src], cache_root=tmp_path / "cache")
    first = load_network("road", **kw)
    (entry,) = list((tmp_path / "cache" / "network").iterdir())

    def damage(name: str) -> None:  # one byte overwritten: same size, other checksum
        data = bytearray((entry / name).read_bytes())
        data[-1] ^= 0xFF
        (entry / name).write_bytes(bytes(data))

    damage("u.npy")  # read when the network loads: a miss, rebuilt
    again = load_network("road", **kw)
    assert again.report["cache"] == "miss" and "checksum" in caplog.text
    _edges_equal(first, again)
    assert load_network("road", **kw).report["cache"] == "hit"
    # an array read when first used: one clear error, and the entry is gone for the
    # next load to rebuild
    damage("coords.npy")
    lazy = load_network("road", **kw)
    assert lazy.report["cache"] == "hit"
    with pytest.raises(DataFormatError, match="network cache damaged"):
        lazy.lines(np.array([0]))
    assert not entry.exists()
    again = load_network("road", **kw)
    assert again.report["cache"] == "miss"
    _edges_equal(first, again)
    # an entry of another schema version is not read either
    import json

    (entry,) = list((tmp_path / "cache" / "network").iterdir())
    m = json.loads((entry / "manifest.json").read_text())
    m["schema"] = -1
    (entry / "manifest.json").write_text(json.dumps(m))
    assert load_network("road", **kw).report["cache"] == "miss"


def test_unwritable_cache_runs_without_caching(tmp_path, caplog):
    src = tmp_path / "roads.gpkg"
    src.write_bytes(b"stand-in source file")
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache directory should be")
    lines = make_lines(line((0, 0), (3000, 0)))
    net = load_network("road", lines=lines, source_files=[src], cache_root=blocked)
    assert net.report["cache"] == "miss" and len(net.edges) == 3
    assert "running without caching" in caplog.text


def test_load_network_cache_keyed_by_source_and_params(tmp_path):
    src = tmp_path / "roads.gpkg"
    src.write_bytes(b"v1")
    lines = make_lines(line((0, 0), (3000, 0)))
    cache = tmp_path / "cache"
    assert load_network("road", lines=lines, source_files=[src],
                        cache_root=cache).report["cache"] == "miss"
    other = load_network("road", lines=lines, source_files=[src], cache_root=cache,
                         params=BuildParams(max_edge_m=500))
    assert other.report["cache"] == "miss" and len(other.edges) == 6
    src.write_bytes(b"version 2, a different size")
    assert load_network("road", lines=lines, source_files=[src],
                        cache_root=cache).report["cache"] == "miss"
    # no source files or use_cache=False: never cached
    assert load_network("road", lines=lines, cache_root=cache).report["cache"] == "miss"
    assert load_network("road", lines=lines, source_files=[src], cache_root=cache,
                        use_cache=False).report["cache"] == "miss"


def test_load_network_damaged_cache_is_rebuilt(tmp_path, caplog):
    src = tmp_path / "roads.gpkg"
    src.write_bytes(b"x")
    lines = make_lines(line((0, 0), (3000, 0)))
    cache = tmp_path / "cache"
    load_network("road", lines=lines, source_files=[src], cache_root=cache)
    (entry,) = list((cache / "network").iterdir())
    (entry / "length.npy").write_bytes(b"not an array")  # truncated: another size
    net = load_network("road", lines=lines, source_files=[src], cache_root=cache)
    assert net.report["cache"] == "miss"
    assert len(net.edges) == 3
    assert "damaged" in caplog.text
    assert load_network("road", lines=lines, source_files=[src],
                        cache_root=cache).report["cache"] == "hit"


def test_load_network_needs_a_source():
    with pytest.raises(ValueError):
        load_network("road")
