"""The metric CRS: the fixed PROJ pipeline gives exactly what the CRS database resolves."""

from __future__ import annotations

import numpy as np
import pyproj
import shapely

from supplyline.crs import (
    GEOGRAPHIC_CRS,
    METRIC_CRS,
    lonlat_xy,
    metric_xy,
    to_lonlat,
    to_metric,
)


def test_pipeline_equals_the_transformer_from_the_crs_both_ways():
    ref = pyproj.Transformer.from_crs(GEOGRAPHIC_CRS, METRIC_CRS, always_xy=True)
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(20, 45, 50_000), rng.uniform(40, 56, 50_000)
    x, y = metric_xy(lon, lat)
    rx, ry = ref.transform(lon, lat)
    assert np.array_equal(x, rx) and np.array_equal(y, ry)
    back = lonlat_xy(x, y)
    rback = ref.transform(rx, ry, direction="INVERSE")
    assert np.array_equal(back[0], rback[0]) and np.array_equal(back[1], rback[1])
    # geometries too, and a known point: the central meridian maps to x = 500 km
    p = to_metric(shapely.points(35.5, 48.0))
    assert abs(p.x - 500_000.0) < 1e-6 and abs(p.y - 5_318_000) < 5_000
    q = to_lonlat(p)
    assert abs(q.x - 35.5) < 1e-9 and abs(q.y - 48.0) < 1e-9
