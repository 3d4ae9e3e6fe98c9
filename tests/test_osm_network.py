"""An OpenStreetMap extract as the network source: build, route, and use it via Workspace."""

import shutil

from supplyline.data.network import build_network
from supplyline.io.osm import load_osm_lines, write_test_pbf


def _ladder(path):
    # two parallel east-west roads 0.1 deg apart joined at both ends, near Pokrovsk
    nodes = {}
    for i in range(11):
        nodes[1 + i] = (37.0 + 0.02 * i, 48.30)
        nodes[101 + i] = (37.0 + 0.02 * i, 48.40)
    ways = [
        (1, list(range(1, 12)), {"highway": "primary", "ref": "Н-20;E-50"}),
        (2, list(range(101, 112)), {"highway": "secondary", "ref": "Т-05-15"}),
        (3, [1, 101], {"highway": "tertiary"}),
        (4, [11, 111], {"highway": "tertiary"}),
        (5, [1, 11], {"railway": "rail", "electrified": "contact_line"}),
    ]
    write_test_pbf(path, nodes, ways)


def test_pbf_lines_build_a_routable_network(tmp_path):
    pbf = tmp_path / "t.osm.pbf"
    _ladder(pbf)
    roads = load_osm_lines(pbf, modes=("road",))
    net = build_network(roads, "road")
    assert net.report["components"] == 1
    assert net.report["nodes"] >= 4
    assert set(net.edges["ref"]) >= {"Н-20", "Т-05-15"}
    assert set(net.edges["eref"]) >= {"E-50"}
    rail = build_network(load_osm_lines(pbf, modes=("rail",)), "rail")
    assert rail.report["edges"] >= 1 and (rail.edges["cls"] == "rail").all()
    # 0.2 deg of longitude at 48.3 N is ~14.8 km
    assert 14_000 < roads.to_crs(net.edges.crs).length.iloc[0] < 15_500


def test_workspace_uses_osm_network(tmp_path, shared_data):
    from supplyline.analysis.context import Workspace

    data = tmp_path / "data"
    (data / "osm").mkdir(parents=True)
    _ladder(data / "osm" / "ladder.osm.pbf")
    for sub in ("deepstate", "admin"):
        (data / sub).symlink_to(shared_data / sub)
    ws = Workspace(data, network_source="osm")
    net = ws.network("road")
    assert net.report["edges"] < 200  # the small extract, not EGM
    assert str(ws.sources.osm.path).endswith("ladder.osm.pbf")
    shutil.rmtree(data / "osm")
