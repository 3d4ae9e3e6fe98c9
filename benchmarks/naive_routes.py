"""The routes of one city on one date the straightforward way: geopandas, shapely and
networkx on the raw files, nothing cached. The whole-process baseline of the command-line
benchmark (``run.py --only cli``), answering what

    supplyline routes Pokrovsk --date 2025-01-31 --to Dnipro --to Pavlohrad --to Kramatorsk

answers for roads: per hub the peacetime route (shortest) and the safest route (the
greatest minimum distance from held territory, capped at 45 km, then the shortest), with
their lengths and minimum clearances.

    python benchmarks/naive_routes.py --data ../shared/data --date 2025-01-31 \\
        --city 37.177,48.280 --hub Dnipro=35.046,48.467 ...
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import geopandas as gpd
import networkx as nx
import shapely

METRIC = "+proj=tmerc +lat_0=0 +lon_0=35.5 +k=1 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m"
CAP_M = 45_000.0


def load_roads(gpkg: Path) -> gpd.GeoDataFrame:
    roads = gpd.read_file(gpkg, layer="roads").to_crs(METRIC).explode(ignore_index=True)
    roads = roads[roads.geom_type == "LineString"].reset_index(drop=True)
    roads["length"] = roads.length
    return roads


def build_graph(roads: gpd.GeoDataFrame, held) -> nx.Graph:
    """Nodes: line ends rounded to 10 m; one edge per line (the shortest of parallels)."""
    clear = roads.distance(held).clip(upper=CAP_M).to_numpy()
    touches = roads.intersects(held).to_numpy()
    g = nx.Graph()
    for geom, length, c, hit in zip(roads.geometry, roads["length"], clear, touches,
                                    strict=True):
        (x0, y0), (x1, y1) = geom.coords[0], geom.coords[-1]
        u, v = (round(x0, -1), round(y0, -1)), (round(x1, -1), round(y1, -1))
        if u == v:
            continue
        if not g.has_edge(u, v) or g[u][v]["length"] > length:
            g.add_edge(u, v, length=float(length), clear=0.0 if hit else float(c))
    return g


def nearest_node(g: nx.Graph, xy) -> tuple:
    return min(g.nodes, key=lambda n: (n[0] - xy[0]) ** 2 + (n[1] - xy[1]) ** 2)


def describe(g: nx.Graph, path: list) -> dict:
    edges = [g[a][b] for a, b in zip(path[:-1], path[1:], strict=True)]
    return {"length_km": round(sum(e["length"] for e in edges) / 1000, 2),
            "min_clearance_km": round(min(e["clear"] for e in edges) / 1000, 2)}


def safest(g: nx.Graph, s, t) -> list | None:
    """Maximin clearance by binary search over the clearance values, then the shortest."""
    levels = sorted({d["clear"] for _, _, d in g.edges(data=True) if d["clear"] > 0})
    best, lo, hi = None, 0, len(levels) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        sub = nx.subgraph_view(g, filter_edge=lambda a, b, m=levels[mid]: g[a][b]["clear"] >= m)
        if s in sub and t in sub and nx.has_path(sub, s, t):
            best, lo = levels[mid], mid + 1
        else:
            hi = mid - 1
    if best is None:
        return None
    sub = nx.subgraph_view(g, filter_edge=lambda a, b: g[a][b]["clear"] >= best)
    return nx.shortest_path(sub, s, t, weight="length")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--date", required=True)
    ap.add_argument("--city", required=True, help="lon,lat")
    ap.add_argument("--hub", action="append", required=True, help="NAME=lon,lat")
    a = ap.parse_args()
    day = a.date.replace("-", "")
    held = gpd.read_file(a.data / "deepstate" / f"deepstatemap_data_{day}.geojson")
    held = shapely.make_valid(held.to_crs(METRIC).union_all())
    roads = load_roads(a.data / "egm" / "eastern-ukraine-egm90.gpkg")
    g = build_graph(roads, held)

    def metric(lonlat: str):
        lon, lat = (float(v) for v in lonlat.split(","))
        pt = gpd.GeoSeries.from_xy([lon], [lat], crs="EPSG:4326")
        return tuple(pt.to_crs(METRIC).get_coordinates().iloc[0])

    s = nearest_node(g, metric(a.city))
    out = {}
    for item in a.hub:
        name, lonlat = item.split("=")
        t = nearest_node(g, metric(lonlat))
        peace = nx.shortest_path(g, s, t, weight="length")
        safe = safest(g, s, t)
        out[name] = {"peacetime": describe(g, peace),
                     "safest": describe(g, safe) if safe else None}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
