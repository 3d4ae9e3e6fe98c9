import datetime as dt

import numpy as np
import pandas as pd
import pytest

from supplyline.core.events import (
    backtest,
    baseline_scores,
    detect_events,
    first_persistent,
    forecast_crossing,
    forecast_with_backtest,
    line_crossing,
    persistent_changes,
    trends,
    withheld_reason,
)
from supplyline.core.exposure import ThreatProfile

PROFILE = ThreatProfile()
D0 = dt.date(2025, 1, 1)


def _days(dist, held=None, missing=()):
    n = len(dist)
    dates = [D0 + dt.timedelta(days=i) for i in range(n)]
    df = pd.DataFrame({"city_id": "x:1", "city": "X", "date": pd.to_datetime(dates),
                       "distance_to_held_km": dist,
                       "centre_held": held if held is not None else [d == 0 for d in dist],
                       "data_missing": [i in missing for i in range(n)]})
    return df


def test_persistence_filters_flicker():
    v = np.array(["a", "a", "b", "a", "a", "b", "b", "b", "b"], dtype=object)
    assert persistent_changes(v, 3) == [(5, "a", "b")]
    assert first_persistent(np.array([0, 1, 0, 1, 1, 1], bool), 3) == 3
    assert first_persistent(np.array([0, 1, 0, 1, 1, 0], bool), 3) is None


def test_a_run_at_the_end_is_confirmed_or_pending_the_same_way_in_both():
    flags = np.array([0, 0, 0, 0, 1, 1], bool)
    # two samples of a new state at the end: not confirmed (persist 3) in either function
    assert first_persistent(flags, 3) is None
    assert persistent_changes(flags, 3) == []
    # ... but both report it as pending when asked
    assert first_persistent(flags, 3, pending=True) == 4
    assert persistent_changes(flags, 3, pending=True) == [(4, False, True)]
    # a run of the full length at the end is confirmed
    assert first_persistent(np.array([0, 0, 0, 1, 1, 1], bool), 3) == 3
    assert persistent_changes(np.array([0, 0, 0, 1, 1, 1]), 3) == [(3, 0, 1)]


def test_pending_events_are_flagged():
    dist = [30.0] * 10 + [20.0] * 2  # entered the tube band on the last two days only
    ev = detect_events(_days(dist), None, PROFILE, persist=3)
    (e,) = [e for e in ev if e.subject == "tube"]
    assert e.pending and e.date == D0 + dt.timedelta(days=10)
    assert e.as_dict()["pending"] is True and e.as_dict()["city_id"] == "x:1"
    ev = detect_events(_days(dist + [20.0]), None, PROFILE, persist=3)
    (e,) = [e for e in ev if e.subject == "tube"]
    assert not e.pending


def test_band_and_centre_events_on_known_dates():
    # 30 km away (already inside the rocket band), then 1 km/day closer from day 10
    dist = [30.0] * 10 + [max(0.0, 30.0 - (i - 9)) for i in range(10, 60)]
    ev = detect_events(_days(dist), None, PROFILE, persist=2)
    got = {(e.kind, e.subject): e.date for e in ev}
    assert ("band_entered", "rocket") not in got  # inside from the start: not an entry
    assert got[("band_entered", "tube")] == D0 + dt.timedelta(days=14)  # 25 km
    assert got[("band_entered", "fpv")] == D0 + dt.timedelta(days=24)  # 15 km
    assert got[("band_entered", "contact")] == D0 + dt.timedelta(days=36)  # 3 km
    assert got[("centre_held", "X")] == D0 + dt.timedelta(days=39)


def test_band_entry_dates():
    dist = [50.0] * 5 + [50.0 - 2 * i for i in range(1, 26)] + [0.0] * 5
    ev = detect_events(_days(dist), None, PROFILE, persist=2)
    got = {(e.kind, e.subject): e.date for e in ev}
    # day index k has distance 50 - 2 (k - 4): <= 45 at k = 7, <= 25 at k = 17, <= 15 at
    # k = 22, <= 3 at k = 28, 0 from k = 29
    assert got[("band_entered", "rocket")] == D0 + dt.timedelta(days=7)
    assert got[("band_entered", "tube")] == D0 + dt.timedelta(days=17)
    assert got[("band_entered", "fpv")] == D0 + dt.timedelta(days=22)
    assert got[("band_entered", "contact")] == D0 + dt.timedelta(days=28)
    assert got[("centre_held", "X")] == D0 + dt.timedelta(days=29)
    kinds = [e.kind for e in ev]
    assert kinds.index("centre_held") > kinds.index("band_entered")


def test_route_events_and_missing_days_are_gaps():
    n = 12
    days = _days([40.0] * n, missing=(4,))
    st = ["open"] * 3 + ["under fire (fpv)"] * 4 + ["cut"] * 3 + ["open"] * 2
    routes = pd.DataFrame({"city_id": "x:1", "city": "X", "date": pd.to_datetime(
        [D0 + dt.timedelta(days=i) for i in range(n)]), "mode": "road", "hub_id": "h:1",
        "hub": "H", "status": st, "safest_min_clearance_km": np.linspace(30, 0, n)})
    routes = routes.drop(index=4)  # the missing day has no route row either
    ev = detect_events(days, routes, PROFILE, persist=2)
    got = [(e.kind, e.date) for e in ev]
    assert ("route_under_fire", D0 + dt.timedelta(days=3)) in got
    assert ("route_cut", D0 + dt.timedelta(days=7)) in got
    assert ("route_reopened", D0 + dt.timedelta(days=10)) in got


def test_forecast_linear_approach():
    dates = pd.Series(pd.date_range("2025-01-01", periods=100, freq="D"))
    vals = 50.0 - 0.5 * np.arange(100)  # 0.5 km/day: reaches 0 on day 100
    f = forecast_crossing(dates, vals, dates.iloc[59], 0.0, window_days=30)
    assert f.eta == dt.date(2025, 1, 1) + dt.timedelta(days=100)
    assert f.slope_per_day == pytest.approx(-0.5)
    assert f.eta_range[0] <= f.eta <= f.eta_range[1]


def test_backtest_perfect_on_linear_series_and_withheld_when_short():
    dates = pd.Series(pd.date_range("2025-01-01", periods=200, freq="D"))
    vals = np.maximum(0.0, 100.0 - 0.6 * np.arange(200))  # reaches 0 on day 167
    bt = backtest(dates, vals, 0.0, window_days=30, step_days=7, persist=1)
    assert bt["scored"] >= 10
    assert bt["median_abs_error_days"] <= 1
    assert bt["coverage"] == 1.0
    short = forecast_with_backtest(dates[:40], vals[:40], 0.0, "x", window_days=30)
    assert not short["shown"] and "not shown" in short["withheld"]


def _line(n=120, rate=1.0, start=100.0):
    dates = pd.Series(pd.date_range("2025-01-01", periods=n, freq="D"))
    return dates, np.maximum(0.0, start - rate * np.arange(n))


def test_straight_line_baseline_on_known_lines():
    dates, vals = _line()
    # through days 30..59 of 100 - t the line is exact: on day 59 it stands at 41 km and
    # falls 1 km a day, so it reaches 0 in 41 days
    assert line_crossing(dates, vals, dates.iloc[59], 0.0) == pytest.approx(41.0)
    assert line_crossing(dates, vals, dates.iloc[59], 50.0) == 0.0  # the line is there
    up = pd.Series(np.arange(120.0))
    assert line_crossing(dates, up.to_numpy(), dates.iloc[59], 0.0) is None  # not falling
    assert line_crossing(dates, vals, dates.iloc[59], 0.0, horizon_days=30) is None
    assert line_crossing(dates[:2], vals[:2], dates.iloc[1], 0.0) is None  # < 3 points


def test_baseline_scores_by_hand():
    # real days to the crossing on three dates: 10, none (counts as the horizon), 30
    days = {"trend": [12, np.inf, 20], "no_change": [np.inf] * 3,
            "straight_line_30d": [5, 100, 40]}
    b = baseline_scores(days, [10, np.inf, 30], horizon_days=365)
    # errors: trend 2, 0, 10 (MAE 4); no change 355, 0, 335 (230); line 5, 265, 10 (93.3)
    assert b["dates"] == 3 and b["crossings"] == 2
    assert b["mae_days"] == {"trend": 4.0, "no_change": 230.0, "straight_line_30d": 93.3}
    assert b["median_abs_error_days"]["straight_line_30d"] == 10.0
    assert b["skill"]["no_change"] == pytest.approx(1 - 4 / 230, abs=1e-3)
    assert b["skill"]["straight_line_30d"] == pytest.approx(1 - 4 / (280 / 3), abs=1e-3)
    empty = baseline_scores({"trend": [], "no_change": [], "straight_line_30d": []}, [])
    assert empty["dates"] == 0 and empty["skill"] == {"no_change": None,
                                                      "straight_line_30d": None}


def test_backtest_scores_baselines_on_the_same_dates():
    # 100 - t km, crossing on day 100; replays on days 30, 40, ..., 90 (7 dates). The trend
    # and the line are both exact (error 0); "no change" never crosses, which counts as
    # the 365-day horizon: errors 365 - (100 - t) = 295, 305, ..., 355 days, mean 325.
    dates, vals = _line()
    bt = backtest(dates, vals, 0.0, window_days=30, step_days=10, persist=1)
    b = bt["baselines"]
    assert b["dates"] == 7 and b["crossings"] == 7 and bt["scored"] == 7
    assert b["mae_days"] == {"trend": 0.0, "no_change": 325.0, "straight_line_30d": 0.0}
    assert b["skill"]["no_change"] == 1.0
    assert b["skill"]["straight_line_30d"] is None  # a perfect baseline cannot be beaten
    why = withheld_reason(bt)  # a forecast with this backtest would not be shown
    assert why.startswith("does not beat a straight line through the last 30 days")
    assert "skill undefined" in why


def test_forecast_that_beats_both_baselines_is_shown_with_itsrange_coverage_of():
    # three approaches at 1 km/day from 100 km to 0 (then back to 100 after ten days at
    # 0), every tenth day reported 60 km too far: the robust trend ignores those days, the
    # straight line through the last 30 days is pulled by them. Forecast in the fourth.
    t = np.arange(400)
    base = np.maximum(0.0, 100.0 - (t % 110))
    vals = base + np.where((t % 10 == 3) & (base > 0), 60.0, 0.0)
    dates = pd.Series(pd.date_range("2025-01-01", periods=400, freq="D"))
    f = forecast_with_backtest(dates, vals, 0.0, "x", at=dates.iloc[380], window_days=60,
                               step_days=5, persist=1)
    b = f["backtest"]["baselines"]
    assert b["crossings"] == b["dates"] > 0
    assert b["skill"]["no_change"] > 0.5 and b["skill"]["straight_line_30d"] > 0
    assert f["shown"] and f["forecast"]["note"] == "trend"
    # on day 380 the value is 50 km, falling 1 km/day: 50 days on
    assert f["forecast"]["eta"] == str((dates.iloc[380] + pd.Timedelta(days=50)).date())
    rc = f["forecast"]["range_coverage"]
    assert rc["nominal"] == 0.8 and rc["cases"] == f["backtest"]["coverage_cases"] > 5
    assert rc["observed"] == f["backtest"]["coverage"]
    # the same series with the outliers every seventh day: the line wins, withheld
    vals7 = base + np.where((t % 7 == 3) & (base > 0), 60.0, 0.0)
    g = forecast_with_backtest(dates, vals7, 0.0, "x", at=dates.iloc[380], window_days=60,
                               step_days=5, persist=1)
    assert not g["shown"] and g["withheld"].startswith("does not beat a straight line")
    assert g["backtest"]["baselines"]["skill"]["straight_line_30d"] < 0


def testrange_coverage_of_note():
    from supplyline.core.events import range_coverage_of

    r = range_coverage_of({"coverage": 0.0, "coverage_cases": 7})
    assert r["observed"] == 0.0 and "too narrow" in r["note"] and "0 % of 7" in r["note"]
    assert "only 2" in range_coverage_of({"coverage": 1.0, "coverage_cases": 2})["note"]
    assert "held the real date in 80 % of 10" in range_coverage_of(
        {"coverage": 0.8, "coverage_cases": 10})["note"]


def test_backtest_uses_only_what_was_known_on_the_forecast_date():
    dates, vals = _line()
    late = forecast_with_backtest(dates, vals, 0.0, "x", window_days=30, step_days=10,
                                  persist=1)
    early = forecast_with_backtest(dates, vals, 0.0, "x", at=dates.iloc[80], window_days=30,
                                   step_days=10, persist=1)
    assert late["backtest"]["baselines"]["dates"] == 7
    # on day 80 no crossing had happened yet and no date had a year of history after it
    assert early["backtest"]["baselines"]["dates"] == 0 and early["backtest"]["scored"] == 0
    assert not early["shown"]
    assert late["shown"] and late["forecast"]["note"] == "already reached"  # a fact


def test_trends_rates():
    dist = list(40.0 - 0.25 * np.arange(90))
    t = trends(_days(dist), None, window_days=60)
    assert t["approach_km_per_day"] == pytest.approx(0.25)


def test_real_pokrovsk_events_in_plausible_order(ws):
    from supplyline.analysis.summary import timeline_analysis

    res = timeline_analysis(ws, ["Pokrovsk"], "2025-09-01", "2025-11-20")
    ev = res["events"]
    first = {}
    for e in ev:
        first.setdefault((e["kind"], e["subject"]), e["date"])
    contact = first[("band_entered", "contact")]
    held = first[("centre_held", "Pokrovsk")]
    assert "2025-09-01" < contact < held <= "2025-11-20"
    cuts = [e["date"] for e in ev if e["kind"] == "route_cut" and e["subject"].startswith("road")]
    assert cuts and min(cuts) >= contact
    tl = res["timeline"]
    d = tl.city("Pokrovsk")
    obs = d[~d["data_missing"].astype(bool)]
    assert obs["recomputed"].dtype == bool and obs["recomputed"].any()
    assert obs["distance_to_held_km"].iloc[0] > obs["distance_to_held_km"].iloc[-1]
    assert {"day_hash", "recomputed"}.isdisjoint(tl.public_days().columns)


def test_parallel_and_dask_give_identical_timelines(ws):
    from supplyline.analysis.timeline import compute_timeline

    cities = ["Pokrovsk", "Kostyantynivka"]
    a = compute_timeline(ws, cities, "2025-03-01", "2025-03-20", use_cache=False)
    b = compute_timeline(ws, cities, "2025-03-01", "2025-03-20", use_cache=False, workers=2)
    cols = [c for c in a.days.columns if c != "recomputed"]

    def norm(df):
        return df[cols].sort_values(["city_id", "date"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(norm(a.days), norm(b.days), check_dtype=False)
    assert a.stats["recomputed"] + a.stats["carried_over"] == a.stats["city_days"]
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        return
    c = compute_timeline(ws, cities, "2025-03-01", "2025-03-20", use_cache=False, workers=2,
                         scheduler="local")
    pd.testing.assert_frame_equal(norm(a.days), norm(c.days), check_dtype=False)


def test_timeline_cache_reused(ws):
    from supplyline.analysis.timeline import compute_timeline

    a = compute_timeline(ws, ["Kurakhove"], "2024-10-01", "2024-10-10")
    b = compute_timeline(ws, ["Kurakhove"], "2024-10-01", "2024-10-15")
    assert b.stats["from_cache"] >= a.stats["city_days"]
    assert b.stats["recomputed"] <= 5
    both = b.city("Kurakhove").set_index("date").loc[a.city("Kurakhove")["date"]]
    assert np.allclose(both["distance_to_held_km"].to_numpy(float),
                       a.city("Kurakhove")["distance_to_held_km"].to_numpy(float),
                       equal_nan=True)


def test_timeline_cache_keeps_the_routes_of_days_outside_a_later_range(ws):
    """A range inside a cached one must not drop the stored route rows of the other days
    (it did: the merge compared against the already-merged dates), nor rewrite an entry
    that already holds exactly its rows."""
    from supplyline.analysis.timeline import compute_timeline

    def norm(df):
        return df.sort_values(["date", "mode", "hub_id"]).reset_index(drop=True)

    a = compute_timeline(ws, ["Kurakhove"], "2024-11-01", "2024-11-06")
    compute_timeline(ws, ["Kurakhove"], "2024-11-02", "2024-11-03")
    c = compute_timeline(ws, ["Kurakhove"], "2024-11-01", "2024-11-06")
    assert c.stats["from_cache"] == a.stats["city_days"] == 6
    assert len(a.routes) and len(c.routes) == len(a.routes)
    pd.testing.assert_frame_equal(norm(a.routes), norm(c.routes), check_dtype=False)


def test_calibration_uses_only_errors_known_at_the_time():
    from supplyline.core.events import calibrate

    # three earlier cities whose events are known (errors +10, +20, +30 days), then two
    # forecasts made after those events
    cases = [("2025-01-01", "2025-02-10", "2025-01-31"),
             ("2025-01-01", "2025-02-20", "2025-01-31"),
             ("2025-01-01", "2025-03-02", "2025-01-31"),
             ("2025-01-08", "2025-02-10", "2025-01-31"),
             ("2025-01-08", "2025-02-20", "2025-01-31")]
    fs = [{"shown": True, "cases": cases,
           "forecast": {"date": "2025-06-01", "eta": "2025-07-01", "note": "trend"}},
          {"shown": True, "cases": [],
           "forecast": {"date": "2025-01-15", "eta": "2025-03-01", "note": "trend"}},
          {"shown": True, "cases": [],
           "forecast": {"date": "2025-06-01", "eta": "2025-06-01",
                        "note": "already reached"}}]
    pooled = calibrate(fs, min_cases=5)
    assert pooled["cases"] == 5
    assert pooled["judged"] == 0  # every case was made before any outcome was known
    lo, hi = fs[0]["calibrated_range"]
    errs = [10, 20, 30, 10, 20]
    assert lo == str(dt.date(2025, 7, 1) - dt.timedelta(days=float(np.percentile(errs, 90))))
    assert hi == str(dt.date(2025, 7, 1) - dt.timedelta(days=float(np.percentile(errs, 10))))
    assert "calibrated_range" not in fs[1]  # made 2025-01-15: outcomes unknown then
    assert "no calibrated range" in fs[1]["calibration"]
    assert "calibrated_range" not in fs[2]  # already reached: nothing to calibrate


def test_no_event_on_a_change_of_data_source():
    # the front "moves" 10 km on the day the grey zone stops being known: not an event
    dist = [20.0] * 6 + [10.0] * 6
    days = _days(dist)
    days["grey_known"] = [True] * 6 + [False] * 6
    ev = detect_events(days, None, PROFILE, persist=2)
    assert not [e for e in ev if e.kind == "band_entered"]
    days["grey_known"] = True  # the same move with the same data: an event
    ev = detect_events(days, None, PROFILE, persist=2)
    assert [e.subject for e in ev if e.kind == "band_entered"] == ["fpv"]


def test_events_say_within_how_many_days_they_happened():
    dist = [20.0, 20.0, 20.0, 10.0, 10.0, 10.0]
    days = _days(dist)
    days["date"] = pd.to_datetime([D0 + dt.timedelta(days=7 * i) for i in range(6)])  # weekly
    (e,) = [e for e in detect_events(days, None, PROFILE, persist=2) if e.subject == "fpv"]
    assert e.date == D0 + dt.timedelta(days=21) and e.within_days == 7
    assert e.as_dict()["within_days"] == 7
