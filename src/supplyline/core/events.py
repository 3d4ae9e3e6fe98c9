"""Events, trends and a backtested forecast from timeline series.

Pure functions over the DataFrames of :mod:`supplyline.timeline` (one city at a time):

* :func:`detect_events` -- dated events: held territory entered a band around the centre,
  the centre became held, a route came under fire / was cut / reopened, the number of
  independent routes dropped, a road or railway near the city was reached.
  A change counts only when the new state persists ``persist`` observed days (DeepState
  polygons flicker); the event date is the first day of the new state.
* :func:`trends` -- robust (Theil-Sen) rates over a trailing window: approach to the
  centre (km/day), change of held area near the city (km2/day), and the rate each route's
  clearance shrinks.
* :func:`forecast_crossing` + :func:`backtest` -- when a quantity will cross a threshold
  (centre held, route cut, route within FPV range), from the trend on a date, with an
  80 % range from the slope's confidence interval; the backtest replays past dates,
  compares with what happened later and with two naive baselines on the same dates (no
  change; a straight line through the last 30 days). A forecast is only shown with its
  backtest, and only when it beats both baselines; beside its range stands the range's
  real coverage in the backtest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .routes import status_rank

DEFAULT_PERSIST = 3
DEFAULT_WINDOW_DAYS = 60
HORIZON_DAYS = 365


def _observed(days: pd.DataFrame) -> pd.DataFrame:
    d = days[~days["data_missing"].astype(bool)].sort_values("date")
    return d.reset_index(drop=True)


def _same(a: object, b: object) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and np.isnan(a)
                      and np.isnan(b))


def persistent_changes(values: np.ndarray, persist: int, *, pending: bool = False
                       ) -> list[tuple[int, Any, Any]]:
    """Indexes where a series settles into a new value for >= ``persist`` samples.

    Returns (index, old value, new value); the first value is the initial state. A new
    value counts once it has lasted ``persist`` samples; with ``pending`` a run that
    reaches the end of the series counts too however short it is (a change not yet
    confirmed: :func:`pending_from` tells which). :func:`first_persistent` applies the
    same rule to a series of flags.
    """
    out: list[tuple[int, Any, Any]] = []  # the values are elements of the array
    n = len(values)
    if n == 0:
        return out
    state = values[0]
    i = 1
    while i < n:
        v = values[i]
        if _same(v, state):
            i += 1
            continue
        j = i
        while j < n and _same(values[j], v):
            j += 1
        if j - i >= persist or (pending and j == n):
            out.append((i, state, v))
            state = v
        i = j
    return out


def first_persistent(flags: np.ndarray, persist: int, *, pending: bool = False) -> int | None:
    """First index where ``flags`` is True for ``persist`` consecutive samples (with
    ``pending``, or for a shorter run reaching the end of the series)."""
    run = 0
    for i, f in enumerate(flags):
        run = run + 1 if f else 0
        if run >= persist:
            return i - persist + 1
    if pending and run:
        return len(flags) - run
    return None


def pending_from(n: int, index: int, persist: int) -> bool:
    """Whether a change found at ``index`` of a series of ``n`` samples is still pending
    (it has lasted fewer than ``persist`` samples, all of them at the end)."""
    return n - index < persist


@dataclass
class Event:
    """A dated change of one city's figures. ``pending``: seen on the last days of the
    series but not yet for ``persist`` observed days (it may still flicker back)."""

    city: str
    date: dt.date
    kind: str
    subject: str
    detail: str
    city_id: str = ""
    pending: bool = False
    #: days since the previous observed day: the change happened in that span (1 on daily
    #: data; about 7 in the weekly stretches of 2022-2024)
    within_days: int = 1

    def as_dict(self) -> dict:
        return {"city_id": self.city_id or self.city, "city": self.city,
                "date": str(self.date), "kind": self.kind, "subject": self.subject,
                "detail": self.detail, "pending": self.pending,
                "within_days": self.within_days}


def detect_events(days: pd.DataFrame, routes: pd.DataFrame | None, profile, *,
                  persist: int = DEFAULT_PERSIST,
                  line_series: dict[str, pd.Series] | None = None,
                  line_tolerance_km: float = 1.0) -> list[Event]:
    """Events of one city from its day rows and route rows (see module doc). Changes seen
    on the last days but not yet for ``persist`` observed days are ``pending``."""
    d = _observed(days)
    if not len(d):
        return []
    city = str(d["city"].iloc[0])
    cid = str(d["city_id"].iloc[0]) if "city_id" in d else city
    dates = [t.date() for t in d["date"]]
    ev: list[Event] = []
    gap = {a: (a - b).days for a, b in zip(dates[1:], dates[:-1], strict=True)}
    switched = source_switches(d)

    found = [*_centre_changes(d, profile, persist, dates),
             *_route_changes(routes, profile, persist),
             *_disjoint_changes(d, persist, dates),
             *_line_changes(line_series, line_tolerance_km, persist)]
    for i, on, kind, subject, detail in found:
        if on[i] in switched:  # the data changed source that day: not an advance or retreat
            continue
        ev.append(Event(city, on[i], kind, subject, detail, cid,
                        pending_from(len(on), i, persist), gap.get(on[i], 1)))
    ev.sort(key=lambda e: (e.date, e.kind))
    return ev


#: a change found: (index into its dates, the dates, kind, subject, detail)
_Change = tuple[int, list, str, str, str]


def _centre_changes(d: pd.DataFrame, profile, persist: int, dates: list) -> list[_Change]:
    """Hostile ground (the front) entering each band around the centre; the centre
    held."""
    out: list[_Change] = []
    col = "distance_to_front_km" if "distance_to_front_km" in d else "distance_to_held_km"
    dist = d[col].to_numpy(dtype=float)
    for b in profile.bands:
        inside = dist <= b.max_km
        if inside[0]:
            continue
        i = first_persistent(inside, persist, pending=True)
        if i is not None:
            out.append((i, dates, "band_entered", b.name,
                        f"the front within {b.max_km:g} km ({b.name}) of the centre: "
                        f"{dist[i]:.1f} km"))
    held = d["centre_held"].astype(bool).to_numpy()
    if not held[0]:
        i = first_persistent(held, persist, pending=True)
        if i is not None:
            out.append((i, dates, "centre_held", str(d["city"].iloc[0]),
                        "the city centre became held"))
    return out


def _route_changes(routes: pd.DataFrame | None, profile, persist: int) -> list[_Change]:
    """Status transitions per mode and hub."""
    out: list[_Change] = []
    if routes is None or not len(routes):
        return out
    r = routes.sort_values("date")
    for (mode, _hid), g in r.groupby(["mode", "hub_id"], sort=False):
        g = g.drop_duplicates("date")
        hub = str(g["hub"].iloc[0])
        st = g["status"].astype(str).to_numpy()
        gd = [t.date() for t in g["date"]]
        for i, old, new in persistent_changes(st, persist, pending=True):
            kind = ("route_cut" if new == "cut" else
                    "route_reopened" if old == "cut" else
                    "route_under_fire" if str(new).startswith("under fire") and
                    _rank(new, profile) < _rank(old, profile) else "route_eased")
            out.append((i, gd, kind, f"{mode} to {hub}", f"{old} -> {new}"))
    return out


def _disjoint_changes(d: pd.DataFrame, persist: int, dates: list) -> list[_Change]:
    """Independent routes dropping."""
    out: list[_Change] = []
    for mode in ("road", "rail"):
        col = f"{mode}_disjoint_routes"
        if col in d:
            vals = d[col].to_numpy(dtype=float)
            for i, old, new in persistent_changes(vals, persist, pending=True):
                if new < old:
                    out.append((i, dates, "routes_dropped", f"{mode}",
                                f"independent {mode} routes {int(old)} -> {int(new)}"))
    return out


def _line_changes(line_series: dict[str, pd.Series] | None, tolerance_km: float,
                  persist: int) -> list[_Change]:
    """Lines (roads, railways) reached."""
    out: list[_Change] = []
    for label, s in (line_series or {}).items():
        s = s.dropna()
        if not len(s) or s.iloc[0] <= tolerance_km:
            continue
        i = first_persistent((s <= tolerance_km).to_numpy(), persist, pending=True)
        if i is not None:
            on = [x.date() if hasattr(x, "date") else x for x in s.index]
            out.append((i, on, "line_reached", label,
                        f"held territory within {tolerance_km:g} km of {label}"))
    return out


def source_switches(days: pd.DataFrame) -> set[dt.date]:
    """Observed days whose data differs in kind from the observed day before: the grey zone
    known / not known, or held territory from another source (API snapshot vs daily
    file). A change of figures on such a day may be the data's, not the ground's."""
    d = _observed(days)
    out: set[dt.date] = set()
    keys = []
    if "grey_known" in d:
        keys.append(d["grey_known"].astype(bool).to_numpy())
    if "data_source" in d:
        keys.append(np.array(["daily" if str(s).startswith("daily") else str(s)
                              for s in d["data_source"]], dtype=object))
    for k in keys:
        flip = np.flatnonzero(k[1:] != k[:-1]) + 1
        out |= {d["date"].iloc[i].date() for i in flip}
    return out


def _rank(status: str, profile) -> int:
    return status_rank(status, profile)


# ------------------------------------------------------------------------------ trends
def robust_slope(t_days: np.ndarray, y: np.ndarray, confidence: float = 0.8
                 ) -> tuple[float, float, float]:
    """Theil-Sen slope with its ``confidence`` interval (units of y per day)."""
    ok = np.isfinite(y)
    if ok.sum() < 5 or np.ptp(t_days[ok]) == 0:
        return np.nan, np.nan, np.nan
    res = stats.theilslopes(y[ok], t_days[ok], alpha=confidence)
    return float(res[0]), float(res[2]), float(res[3])


def trends(days: pd.DataFrame, routes: pd.DataFrame | None, at=None, *,
           window_days: int = DEFAULT_WINDOW_DAYS) -> dict:
    """Rates over the ``window_days`` before ``at`` (default: the last day)."""
    d = _observed(days)
    if not len(d):
        return {}
    at_ts = pd.Timestamp(at) if at is not None else d["date"].max()
    w = d[(d["date"] <= at_ts) & (d["date"] > at_ts - pd.Timedelta(days=window_days))]
    t = (w["date"] - at_ts).dt.days.to_numpy(dtype=float)
    out: dict = {"date": str(at_ts.date()), "window_days": window_days}
    col = "distance_to_front_km" if "distance_to_front_km" in w else "distance_to_held_km"
    s, lo, hi = robust_slope(t, w[col].to_numpy(dtype=float))
    out["approach_km_per_day"] = _r(-s)
    out["approach_range"] = [_r(-hi), _r(-lo)]
    area_col = [c for c in d.columns if c.startswith("held_area_")]
    if area_col:
        s, _, _ = robust_slope(t, w[area_col[0]].to_numpy(dtype=float))
        out["area_km2_per_day"] = _r(s)
    out["routes"] = []
    if routes is not None and len(routes):
        rw = routes[(routes["date"] <= at_ts) &
                    (routes["date"] > at_ts - pd.Timedelta(days=window_days))]
        for (mode, hid), g in rw.groupby(["mode", "hub_id"]):
            tt = (g["date"] - at_ts).dt.days.to_numpy(dtype=float)
            s, _, _ = robust_slope(tt, g["safest_min_clearance_km"].to_numpy(dtype=float))
            out["routes"].append({"mode": mode, "hub_id": hid, "hub": str(g["hub"].iloc[0]),
                                  "clearance_km_per_day": _r(s),
                                  "shrinking": bool(np.isfinite(s) and s < 0)})
    return out


def _r(x: float | None, n: int = 3) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), n) + 0.0


# ---------------------------------------------------------------------------- forecast
@dataclass
class Forecast:
    quantity: str
    threshold: float
    date: dt.date
    value: float
    slope_per_day: float | None
    eta: dt.date | None
    eta_range: tuple[dt.date | None, dt.date | None]
    note: str

    def as_dict(self) -> dict:
        return {"quantity": self.quantity, "threshold": self.threshold, "date": str(self.date),
                "value": _r(self.value), "slope_per_day": _r(self.slope_per_day),
                "eta": str(self.eta) if self.eta else None,
                "eta_range": [str(x) if x else None for x in self.eta_range],
                "note": self.note}


def forecast_crossing(dates: pd.Series, values: np.ndarray, at: pd.Timestamp,
                      threshold: float, *, window_days: int = DEFAULT_WINDOW_DAYS,
                      horizon_days: int = HORIZON_DAYS, quantity: str = "") -> Forecast:
    """When ``values`` will fall to ``threshold``, from the trend before ``at``."""
    m = (dates <= at) & (dates > at - pd.Timedelta(days=window_days))
    t = (dates[m] - at).dt.days.to_numpy(dtype=float)
    y = values[m.to_numpy()]
    now = y[-1] if len(y) else np.nan
    day = at.date()
    if not np.isfinite(now):
        return Forecast(quantity, threshold, day, now, None, None, (None, None), "no data")
    if now <= threshold:
        return Forecast(quantity, threshold, day, now, None, day, (day, day), "already reached")
    s, lo, hi = robust_slope(t, y)
    if not np.isfinite(s) or s >= 0:
        return Forecast(quantity, threshold, day, now, s, None, (None, None),
                        "no approach trend")

    def eta(slope: float) -> dt.date | None:
        if not np.isfinite(slope) or slope >= 0:
            return None
        k = (now - threshold) / -slope
        return day + dt.timedelta(days=int(round(k))) if k <= horizon_days else None

    e = eta(s)
    rng = (eta(lo), eta(hi))  # steepest slope -> earliest date
    note = "trend" if e else f"beyond {horizon_days} days at the current rate"
    return Forecast(quantity, threshold, day, now, s, e, rng, note)


def _actual_crossing(dates: pd.Series, values: np.ndarray, at: pd.Timestamp,
                     threshold: float, persist: int) -> dt.date | None:
    after = (dates > at).to_numpy()
    idx = np.flatnonzero(after)
    if not len(idx):
        return None
    i = first_persistent(values[idx] <= threshold, persist)
    return dates.iloc[idx[i]].date() if i is not None else None


#: The straight-line baseline fits the observations of this many days before the date.
LINE_WINDOW_DAYS = 30
#: Nominal coverage of the trend's range (the slope's confidence interval).
RANGE_NOMINAL = 0.8
BASELINES = ("no_change", "straight_line_30d")


def line_crossing(dates: pd.Series, values: np.ndarray, at: pd.Timestamp, threshold: float,
                  *, window_days: int = LINE_WINDOW_DAYS,
                  horizon_days: int = HORIZON_DAYS) -> float | None:
    """Days after ``at`` when a straight line (least squares) through the observations of
    the ``window_days`` before ``at`` reaches ``threshold``: 0 when the line is already
    there on ``at``; None when it is not falling or gets there after ``horizon_days``, or
    with fewer than 3 observations."""
    m = ((dates <= at) & (dates > at - pd.Timedelta(days=window_days))).to_numpy()
    t = (dates[m] - at).dt.days.to_numpy(dtype=float)
    y = values[m]
    ok = np.isfinite(y)
    if ok.sum() < 3 or np.ptp(t[ok]) == 0:
        return None
    slope, level = np.polyfit(t[ok], y[ok], 1)  # level: the line's value on ``at``
    if level <= threshold:
        return 0.0
    if slope >= 0:
        return None
    days = (level - threshold) / -slope
    return float(days) if days <= horizon_days else None


def backtest(dates: pd.Series, values: np.ndarray, threshold: float, *,
             window_days: int = DEFAULT_WINDOW_DAYS, step_days: int = 7,
             persist: int = DEFAULT_PERSIST, horizon_days: int = HORIZON_DAYS) -> dict:
    """Replay the forecast on past dates and compare with what happened later.

    Replay dates run every ``step_days`` from ``window_days`` after the first day, while
    the value is still above the threshold. Scored: a forecast date and a real crossing
    within the history (errors in days, and how often the real date fell inside the
    trend's 80 % range). Also counted: false alarms (forecast before the end of the
    history, no crossing) and misses (a crossing but no forecast).

    On the same dates the forecast is compared with two naive baselines (``baselines``):
    ``no_change`` (the value stays: no crossing) and ``straight_line_30d`` (a least-
    squares line through the last 30 days, extended). Each predicts the days until the
    crossing (in whole days, like the forecast's date), "none within the horizon" counting
    as ``horizon_days``; its error on a date is the difference from the real number of
    days capped the same way. Only dates whose
    outcome is known count: the crossing came, or the history goes on for the whole
    horizon without it. ``skill`` against a baseline is 1 - MAE(trend) / MAE(baseline):
    above 0 the trend does better, 1 is perfect.
    """
    dates = pd.Series(pd.to_datetime(dates)).reset_index(drop=True)
    values = np.asarray(values, dtype=float)
    errors: list[int] = []
    inside: list[bool] = []
    false_alarm, missed = 0, 0
    cases: list[tuple[dt.date, dt.date, dt.date]] = []  # (forecast made, eta, actual)
    days: dict[str, list[float]] = {"trend": [], **{b: [] for b in BASELINES}}
    truth: list[float] = []
    if not len(dates):
        return _bt_summary(errors, inside, 0, 0, cases, days, truth, horizon_days)
    end = dates.iloc[-1].date()
    start = dates.iloc[0] + pd.Timedelta(days=window_days)
    for at in pd.date_range(start, dates.iloc[-1], freq=f"{step_days}D"):
        prior = dates[dates <= at]
        if not len(prior):
            continue
        at_obs = prior.iloc[-1]
        cur = values[len(prior) - 1]
        if not np.isfinite(cur) or cur <= threshold:
            continue
        f = forecast_crossing(dates, values, at_obs, threshold, window_days=window_days,
                              horizon_days=horizon_days)
        actual = _actual_crossing(dates, values, at_obs, threshold, persist)
        made = at_obs.date()
        if f.eta is not None and actual is not None:
            errors.append((f.eta - actual).days)
            cases.append((made, f.eta, actual))
            lo, hi = f.eta_range
            inside.append(bool((lo or f.eta) <= actual <= (hi or dt.date.max)))
        elif f.eta is not None and actual is None and f.eta <= end:
            false_alarm += 1
        elif f.eta is None and actual is not None and (actual - made).days <= horizon_days:
            missed += 1
        if actual is None and (end - made).days < horizon_days:
            continue  # outcome not known yet: no baseline comparison on this date
        truth.append(float((actual - made).days) if actual is not None else np.inf)
        days["trend"].append(float((f.eta - made).days) if f.eta is not None else np.inf)
        days["no_change"].append(np.inf)
        lc = line_crossing(dates, values, at_obs, threshold, horizon_days=horizon_days)
        days["straight_line_30d"].append(np.inf if lc is None else float(round(lc)))
    return _bt_summary(errors, inside, false_alarm, missed, cases, days, truth, horizon_days)


def _bt_summary(errors, inside, false_alarm, missed, cases=(), days=None, truth=(),
                horizon_days: int = HORIZON_DAYS) -> dict:
    e = np.asarray(errors, dtype=float)
    return {
        "cases": [(str(a), str(b), str(c)) for a, b, c in cases],
        "scored": int(len(e)),
        "median_abs_error_days": _r(float(np.median(np.abs(e))), 1) if len(e) else None,
        "error_p10_p90_days": ([_r(float(np.percentile(e, 10)), 1),
                                _r(float(np.percentile(e, 90)), 1)] if len(e) else None),
        "coverage": _r(float(np.mean(inside)), 3) if inside else None,
        "coverage_cases": len(inside),
        "coverage_nominal": RANGE_NOMINAL,
        "false_alarms": int(false_alarm),
        "missed": int(missed),
        "baselines": baseline_scores(days or {}, truth, horizon_days),
    }


def baseline_scores(days: dict[str, list[float]], truth: list[float] | np.ndarray,
                    horizon_days: int = HORIZON_DAYS) -> dict:
    """Errors (days, capped at ``horizon_days``) of the trend and each baseline against
    the real days to the crossing (``inf``: none), and the trend's skill against each."""
    h = float(horizon_days)
    real = np.minimum(np.asarray(truth, dtype=float), h)
    out: dict = {"dates": int(len(real)), "crossings": int((real < h).sum()),
                 "horizon_days": int(horizon_days), "mae_days": {}, "median_abs_error_days": {},
                 "skill": {}}
    if not len(real):
        for k in ("trend", *BASELINES):
            out["mae_days"][k] = out["median_abs_error_days"][k] = None
        out["skill"] = dict.fromkeys(BASELINES)
        return out
    err = {k: np.abs(np.minimum(np.asarray(v, dtype=float), h) - real)
           for k, v in days.items()}
    for k, v in err.items():
        out["mae_days"][k] = _r(float(v.mean()), 1)
        out["median_abs_error_days"][k] = _r(float(np.median(v)), 1)
    model = float(err["trend"].mean())
    for b in BASELINES:
        base = float(err[b].mean())
        out["skill"][b] = _r(1.0 - model / base, 3) if base > 1e-9 else None
    return out


MIN_SCORED = 5


def withheld_reason(bt: dict) -> str | None:
    """Why a forecast with this backtest is not shown, or None (it earns its place)."""
    if bt["scored"] < MIN_SCORED:
        return (f"backtest scored {bt['scored']} case(s) (< {MIN_SCORED}); forecast not "
                "shown")
    b = bt["baselines"]
    names = {"no_change": "'no change'",
             "straight_line_30d": "a straight line through the last 30 days"}
    for k in BASELINES:
        sk = b["skill"][k]
        if sk is None or sk <= 0:
            return (f"does not beat {names[k]}: mean error {b['mae_days']['trend']} d "
                    f"against {b['mae_days'][k]} d over {b['dates']} past dates "
                    f"(skill {sk if sk is not None else 'undefined'}); forecast not shown")
    return None


def range_coverage_of(bt: dict) -> dict:
    """The trend range's real coverage in the backtest beside its nominal 80 %."""
    cov, n = bt["coverage"], bt["coverage_cases"]
    if cov is None:
        note = "no past case to check the range against"
    elif n < MIN_SCORED:
        note = f"checked on only {n} past case(s)"
    elif cov < RANGE_NOMINAL - 0.2:
        note = (f"too narrow: it held the real date in {round(100 * cov)} % of {n} past "
                "cases, not 80 %; use the calibrated range or the backtest's errors")
    else:
        note = f"held the real date in {round(100 * cov)} % of {n} past cases"
    return {"nominal": RANGE_NOMINAL, "observed": cov, "cases": n, "note": note}


def forecast_with_backtest(dates: pd.Series, values: np.ndarray, threshold: float,
                           quantity: str, at=None, **kw) -> dict:
    """A forecast on ``at`` (default: last day) and its backtest over the series up to
    ``at`` (only what was known on that day decides whether the forecast is shown).

    The forecast is withheld (``shown: False``, ``withheld`` says why) when the backtest
    scored fewer than ``MIN_SCORED`` cases, or when on the backtest's dates the trend does
    not beat both naive baselines (``no change`` and a straight line through the last 30
    days; see :func:`backtest`). A value already at the threshold is stated as such (not
    a forecast). A shown forecast carries ``range_coverage``: how often its 80 % range
    held the real date in the backtest.
    """
    dates = pd.Series(pd.to_datetime(dates)).reset_index(drop=True)
    values = np.asarray(values, dtype=float)
    at_ts = pd.Timestamp(at) if at is not None else dates.iloc[-1]
    known = (dates <= at_ts).to_numpy()  # the backtest uses only what was known on ``at``
    dates, values = dates[known].reset_index(drop=True), values[known]
    f = forecast_crossing(dates, values, dates.iloc[-1], threshold, quantity=quantity,
                          **{k: v for k, v in kw.items() if k in ("window_days",
                                                                  "horizon_days")})
    bt = backtest(dates, values, threshold, **kw)
    bt_cases = bt.pop("cases")
    why = None if f.note == "already reached" else withheld_reason(bt)
    out = {"quantity": quantity, "threshold": threshold, "backtest": bt, "shown": why is None,
           "cases": bt_cases}
    if why is None:
        out["forecast"] = f.as_dict()
        if f.eta is not None and f.note == "trend":
            out["forecast"]["range_coverage"] = range_coverage_of(bt)
    else:
        out["withheld"] = why
    return out


def calibrate(forecasts: list[dict], *, min_cases: int = MIN_SCORED) -> dict:
    """Pool backtest cases of one quantity across cities and calibrate forecast ranges.

    The slope-based 80 % range is often far too narrow (fronts stall, then move). Here the
    range is instead taken from the errors of *earlier* forecasts whose real date was
    already known when the forecast was made (10th-90th percentile), across all cities
    in the run. The pooled coverage says how often that calibrated range held the real
    date, each case judged only with errors known at its own forecast date.
    Adds ``calibrated_range`` to each shown forecast (or ``calibration`` saying why not)
    and returns the pooled figures, with the baselines pooled over every city's backtest
    dates (:func:`pool_baselines`).
    """
    cases = []  # (made, eta, actual, error days)
    for f in forecasts:
        for made, eta, actual in f.get("cases", []):
            m, e, a = (dt.date.fromisoformat(x) for x in (made, eta, actual))
            cases.append((m, e, a, (e - a).days))
    cases.sort(key=lambda c: c[0])
    inside = []
    for m, e, a, _ in cases:
        known = [err for (_, _, a2, err) in cases if a2 <= m]
        if len(known) >= min_cases:
            p10, p90 = np.percentile(known, [10, 90])
            lo, hi = e - dt.timedelta(days=float(p90)), e - dt.timedelta(days=float(p10))
            inside.append(bool(lo <= a <= hi))
    pooled = {"cases": len(cases), "judged": len(inside),
              "median_abs_error_days": (_r(float(np.median([abs(c[3]) for c in cases])), 1)
                                        if cases else None),
              "calibrated_coverage": _r(float(np.mean(inside)), 3) if inside else None,
              "baselines": pool_baselines([f.get("backtest") or {} for f in forecasts])}
    for f in forecasts:
        fc = f.get("forecast")
        if not f.get("shown") or not fc or not fc.get("eta") or fc.get("note") != "trend":
            continue
        made = dt.date.fromisoformat(fc["date"])
        known = [c[3] for c in cases if c[2] <= made]
        if len(known) < min_cases:
            f["calibration"] = (f"{len(known)} earlier case(s) with a known outcome "
                                f"(< {min_cases}): no calibrated range")
            continue
        p10, p90 = np.percentile(known, [10, 90])
        eta = dt.date.fromisoformat(fc["eta"])
        f["calibrated_range"] = [str(eta - dt.timedelta(days=float(p90))),
                                 str(eta - dt.timedelta(days=float(p10)))]
        f["calibration"] = f"from {len(known)} earlier forecasts' errors (all cities)"
    return pooled


def pool_baselines(backtests: list[dict]) -> dict:
    """The baseline comparison of several backtests pooled over all their dates: mean
    errors weighted by each backtest's number of dates, and the trend's skill on them."""
    rows = [b["baselines"] for b in backtests if b.get("baselines", {}).get("dates")]
    n = sum(r["dates"] for r in rows)
    out: dict = {"dates": n, "crossings": sum(r["crossings"] for r in rows), "mae_days": {},
                 "skill": {}}
    for k in ("trend", *BASELINES):
        out["mae_days"][k] = (_r(sum(r["mae_days"][k] * r["dates"] for r in rows) / n, 1)
                              if n else None)
    for b in BASELINES:
        m, base = out["mae_days"]["trend"], out["mae_days"][b]
        out["skill"][b] = _r(1.0 - m / base, 3) if n and base else None
    return out
