"""Timeline analysis: the timeline plus events, trends and backtested forecasts.

:func:`timeline_analysis` runs :func:`~supplyline.analysis.timeline.compute_timeline` and
derives, per city, the dated events, the trends and the forecasts with their backtests
(:mod:`supplyline.core.events`), and pools the backtests across cities to calibrate the
forecast ranges.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from ..core.events import (
    DEFAULT_WINDOW_DAYS,
    HORIZON_DAYS,
    LINE_WINDOW_DAYS,
    MIN_SCORED,
    calibrate,
    detect_events,
    forecast_with_backtest,
    trends,
)
from ..core.proximity import distance_series
from ..data.places import Place
from .context import Workspace
from .options import AnalysisOptions
from .timeline import compute_timeline

LINE_RADIUS_KM = 20.0
LINE_MIN_KM = 3.0


LINE_CAP_KM = 30.0

#: How forecasts are made and when one is shown (stated in the summary).
FORECAST_METHOD = {
    "trend": (f"Theil-Sen slope over the {DEFAULT_WINDOW_DAYS} days before the date, "
              "extended to the threshold; 80 % range from the slope's confidence interval"),
    "horizon_days": HORIZON_DAYS,
    "baselines": {"no_change": "the value stays as it is: no crossing",
                  "straight_line_30d": (f"a least-squares line through the last "
                                        f"{LINE_WINDOW_DAYS} days, extended")},
    "shown_when": (f"its backtest (replayed on past dates, using only what was known on the "
                   f"forecast date) scored >= {MIN_SCORED} cases and, on the same dates, its "
                   "mean error in days to the crossing is below both baselines' (skill > 0)"),
    "range_coverage": "how often the 80 % range held the real date in the backtest",
    "calibrated_range": "from earlier forecasts' errors pooled across the cities of the run",
}


def line_series(ws: Workspace, place: Place, hubs: list[Place] | None = None,
                options: AnalysisOptions | None = None) -> dict:
    """Distance (km, up to ``LINE_CAP_KM``; farther reads inf) per history day from held
    territory to the lines of a place, as pandas Series indexed by date: the numbered main
    roads and the railways within ``LINE_RADIUS_KM``, per stretch relative to the rear axis
    (toward the rear, through the city, toward the front), and the peacetime road route
    and rail line to each of ``hubs`` ("the rail line to Dnipro"). Only the parts not
    held on the first day of the history count."""
    import pandas as pd

    from ..core.proximity import STRETCHES, rear_bearing, stretch_of
    from ..core.routes import city_radius_m
    from .figures import plan_city

    options = options or ws.options
    hubs = hubs or []
    hist = ws.history
    c = np.asarray(place.xy)
    rear = rear_bearing(place.xy, [h.xy for h in hubs])
    lines: dict[str, shapely.Geometry] = {}
    for mode in ("road", "rail"):
        net = ws.network(mode)
        sel = np.hypot(*(net.edge_mid_xy - c).T) <= LINE_RADIUS_KM * 1000
        stretch = stretch_of(net.edge_mid_xy, place.xy, rear, city_radius_m(place.population))
        groups = {}
        if mode == "road":
            labels = net.attr["ref1"]
            for lab in sorted(set(labels[sel]) - {""}):
                groups[f"road {lab}"] = sel & (labels == lab)
        else:
            groups["railway"] = sel
        for label, m in groups.items():
            for k, name in enumerate(STRETCHES):
                part = m & (stretch == k)
                if net.length[part].sum() >= LINE_MIN_KM * 1000:
                    lines[f"{label}, {name}"] = shapely.multilinestrings(net.lines(part))
        for h in hubs:
            plan = plan_city(ws, place, [h], options.with_(modes=(mode,)))
            mp = plan.modes.get(mode)
            if mp is None or not mp.peace or mp.peace[0] is None or not len(mp.peace[0]):
                continue
            ids = mp.net.parent_edges[np.asarray(mp.peace[0], dtype=np.int64)]
            what = "rail line" if mode == "rail" else "road route"
            lines[f"{what} to {h.name}"] = shapely.multilinestrings(net.lines(ids))
    out: dict[str, pd.Series] = {}
    if not lines:
        return out
    bounds = np.array([shapely.bounds(g) for g in lines.values()])
    r = LINE_CAP_KM * 1000 + 1100
    box = (bounds[:, 0].min() - r, bounds[:, 1].min() - r, bounds[:, 2].max() + r,
           bounds[:, 3].max() + r)
    # every day clipped once to what any of these lines can see
    days = shapely.clip_by_rect(hist.geoms, *box)
    first = shapely.buffer(days[0], 1100)
    for label, geom in lines.items():
        geom = shapely.difference(geom, first)
        if geom.is_empty:
            continue
        s = distance_series(days, hist.dates, geom, label, cap_km=LINE_CAP_KM)
        out[label] = pd.Series(s.distance_km, index=pd.to_datetime(s.dates))
    return out


def timeline_analysis(ws: Workspace, cities: list, start=None, end=None, *,
                      options: AnalysisOptions | None = None, use_cache: bool = True,
                      progress=None, forecast_at=None, workers: int = 1,
                      scheduler: str | None = None) -> dict:
    """Timeline + events + trends + backtested forecasts for ``cities``.

    Each forecast comes with its backtest against two naive baselines and is withheld
    unless it beats both (:data:`FORECAST_METHOD`); the backtests of every city are pooled
    per quantity to calibrate the ranges and to compare with the baselines overall."""
    tl = compute_timeline(ws, cities, start, end, options=options, use_cache=use_cache,
                          progress=progress, workers=workers, scheduler=scheduler)
    events: list[dict[str, Any]] = []
    summaries: dict[str, dict[str, Any]] = {}
    for place in tl.cities:
        name = place.name
        d = tl.city(place.ident or name)
        r = tl.city_routes(place.ident or name)
        hub_ids = sorted({h for v in d["hubs"].dropna() for h in str(v).split(";") if h}) \
            if "hubs" in d else []
        lines = line_series(ws, place, [ws.find(h).place for h in hub_ids], tl.options)
        lo, hi = d["date"].min(), d["date"].max()
        lines = {k: v[(v.index >= lo) & (v.index <= hi)] for k, v in lines.items()}
        ev = detect_events(d, r, ws.profile, line_series=lines)
        events.extend(e.as_dict() for e in ev)
        obs = d[~d["data_missing"].astype(bool)]
        fc = []
        if len(obs) > 10:
            dist = obs["distance_to_held_km"].to_numpy(float)
            fc.append(forecast_with_backtest(obs["date"], dist, 0.0,
                                             "city centre held (distance -> 0 km)",
                                             at=forecast_at))
            for mode in ("road", "rail"):
                col = f"{mode}_best_min_clearance_km"
                if col in obs:
                    vals = obs[col].to_numpy(float)
                    vals = np.where(np.isnan(vals), 0.0, vals)  # no route = cut
                    fc.append(forecast_with_backtest(obs["date"], vals, 0.0,
                                                     f"{mode} connection cut", at=forecast_at))
                    fpv = ws.profile.bands[min(1, len(ws.profile.bands) - 1)]
                    fc.append(forecast_with_backtest(
                        obs["date"], vals, fpv.max_km,
                        f"{mode} connection within {fpv.max_km:g} km ({fpv.name})",
                        at=forecast_at))
        hubs = sorted({h for v in d["hubs"].dropna() for h in str(v).split(";") if h}) \
            if "hubs" in d else []
        summaries[name] = {"city_id": place.ident or name, "hubs": hubs,
                           "trends": trends(d, r, forecast_at), "forecasts": fc,
                           "events": len(ev)}
    # pool every city's backtest cases per quantity kind to calibrate the ranges
    pooled = {}
    kinds: dict[str, list[dict]] = {}
    for info in summaries.values():
        for f in info["forecasts"]:
            kinds.setdefault(f["quantity"], []).append(f)
    for kind, fs in kinds.items():
        pooled[kind] = calibrate(fs)
        for f in fs:
            f.pop("cases", None)
    return {"timeline": tl, "events": events, "cities": summaries, "stats": tl.stats,
            "pooled_backtest": pooled, "forecast_method": FORECAST_METHOD}


def write_tables(res: dict, output: Path) -> dict:
    """Write the timeline's days, routes and events as Parquet and CSV (ISO dates, no
    internal columns) and ``summary.json`` into the directory ``output``; returns the
    summary (stats, per-city trends and forecasts, pooled backtest, files written)."""
    import json

    import pandas as pd

    from ..io.cache import atomic_write
    from .results import plain

    tl = res["timeline"]
    output = Path(output)
    tables = {"days": tl.public_days(), "routes": tl.routes,
              "events": pd.DataFrame(res["events"])}
    written = []
    for name, df in tables.items():
        df = df.copy()
        if "date" in df:
            df["date"] = pd.to_datetime(df["date"]).dt.date
        for suffix in (".parquet", ".csv"):
            path = output / f"{name}{suffix}"
            write = df.to_parquet if suffix == ".parquet" else df.to_csv
            atomic_write(path, partial(write, index=False))
            written.append(str(path))
    summary = {"stats": res["stats"], "method": tl.options.describe(),
               "cities": res["cities"], "files": written,
               "pooled_backtest": res.get("pooled_backtest", {}),
               "forecast_method": res.get("forecast_method", FORECAST_METHOD)}
    atomic_write(output / "summary.json", lambda tmp: tmp.write_text(
        json.dumps(plain(summary), indent=2, ensure_ascii=False, allow_nan=False)))
    return plain(summary)
