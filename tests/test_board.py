"""The front-wide board: stored sweep tables in, each city's figures of a date out."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from supplyline.analysis.board import (
    MANIFEST,
    TABLES,
    Board,
    BoardSpec,
    expected_manifest,
    tables_state,
)
from supplyline.errors import DateOutOfRangeError, InvalidArgumentError

BANDS = ["contact", "fpv", "tube", "rocket"]
D0 = dt.date(2025, 1, 1)
N = 40  # days 2025-01-01 .. 2025-02-09


def _day(i: int) -> dt.date:
    return D0 + dt.timedelta(days=i)


def _tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    """City A: distance 40 - i km (day 38 has no data), road best fpv / worst cut (hub H2),
    rail open; city B: centre held all along, road cut."""
    days, routes = [], []
    for i in range(N):
        a = {"city_id": "t:a", "city": "Aville", "date": _day(i), "data_missing": i == 38,
             "hubs": "t:h1;t:h2"}
        if i != 38:
            a |= {"distance_to_held_km": 40.0 - i, "centre_held": False,
                  "ring_held_share_5km": 0.0, "ring_held_share_10km": 0.01 * i,
                  "held_area_30km_km2": 100.0 + i, "road_status": "under fire (fpv)",
                  "road_best_min_clearance_km": 10.0, "rail_status": "open",
                  "rail_best_min_clearance_km": 50.0, "corridor_width_km": 5.0}
            routes += [{"city_id": "t:a", "city": "Aville", "date": _day(i), "mode": "road",
                        "hub_id": "t:h1", "hub": "Hub One", "status": "under fire (fpv)"},
                       {"city_id": "t:a", "city": "Aville", "date": _day(i), "mode": "road",
                        "hub_id": "t:h2", "hub": "Hub Two", "status": "cut"},
                       {"city_id": "t:a", "city": "Aville", "date": _day(i), "mode": "rail",
                        "hub_id": "t:h1", "hub": "Hub One", "status": "open"}]
        days.append(a)
        days.append({"city_id": "t:b", "city": "Beeburg", "date": _day(i),
                     "data_missing": False, "hubs": "t:h1", "distance_to_held_km": 0.0,
                     "centre_held": True, "ring_held_share_5km": 1.0,
                     "ring_held_share_10km": 0.9, "held_area_30km_km2": 900.0,
                     "road_status": "cut", "road_best_min_clearance_km": np.nan,
                     "rail_status": "cut", "rail_best_min_clearance_km": np.nan,
                     "corridor_width_km": 0.0})
        routes.append({"city_id": "t:b", "city": "Beeburg", "date": _day(i), "mode": "road",
                       "hub_id": "t:h1", "hub": "Hub One", "status": "cut"})
    events = pd.DataFrame([
        {"city_id": "t:b", "city": "Beeburg", "date": _day(20), "kind": "centre_held",
         "subject": "centre", "detail": "x", "pending": False},
        {"city_id": "t:a", "city": "Aville", "date": _day(35), "kind": "route_cut",
         "subject": "road to Hub Two", "detail": "under fire (fpv) -> cut", "pending": False}])
    summary = {"method": {"road_network": "main roads"}, "cities": {
        "Aville": {"city_id": "t:a", "trends": {"date": "2025-02-09"}, "forecasts": []}}}
    return pd.DataFrame(days), pd.DataFrame(routes), events, summary


@pytest.fixture
def tables_dir(tmp_path):
    days, routes, events, summary = _tables()
    for name, df in (("days", days), ("routes", routes), ("events", events)):
        df.to_parquet(tmp_path / f"{name}.parquet", index=False)
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    return tmp_path


@pytest.fixture
def board(tables_dir):
    return Board.load(tables_dir, band_names=BANDS, spec=BoardSpec(10_000, 50.0))


def _row(res, city_id):
    return next(r for r in res.cities if r.city.id == city_id)


def test_board_of_the_last_day(board):
    res = board.board()
    assert res.date == "2025-02-09" and res.first == "2025-01-01" and res.last == "2025-02-09"
    assert [r.city.id for r in res.cities] == ["t:b", "t:a"]  # nearest first
    a = _row(res, "t:a")
    assert a.distance_to_held_km == 1.0 and a.data_date == "2025-02-09"
    assert a.change_7d_km == pytest.approx(1.0 - 8.0)  # day 32: 8 km
    assert a.change_30d_km == pytest.approx(1.0 - 31.0)  # day 9: 31 km
    assert a.near_front and a.centre_held is False
    assert a.road.status == "under fire (fpv)"  # best hub: a connection is left
    assert a.road.worst == "cut" and a.road.worst_hub == "Hub Two"
    assert a.rail.status == a.rail.worst == "open"
    assert a.corridor_width_km == 5.0 and a.held_area_km2 == 139.0
    assert a.ring_held_share == {"5": 0.0, "10": 0.39}
    b = _row(res, "t:b")
    assert b.centre_held and b.distance_to_held_km == 0.0 and b.road.worst == "cut"
    assert b.road.best_min_clearance_km is None
    assert res.changes_from == "2025-02-03"
    assert [(e["city"], e["kind"]) for e in res.changes] == [("Aville", "route_cut")]
    assert res.severity[0] == "cut" and res.severity[-1] == "open"


def test_a_day_without_data_takes_the_last_observed_row(board):
    a = _row(board.board("2025-02-08"), "t:a")  # day 38: no data
    assert a.distance_to_held_km == 3.0 and a.data_date == "2025-02-07"
    assert a.spark["distance"][-1] is None  # the sparkline shows the gap
    assert a.spark["distance"][-2] == 3.0 and a.spark["first"] == "2025-01-01"
    assert len(a.spark["distance"]) == 39
    assert a.spark["road"][-2] == 0  # worst road severity: cut
    assert a.spark["ring_km"] == "10"


def test_changes_need_the_days_before(board):
    a = _row(board.board("2025-01-05"), "t:a")
    assert a.change_7d_km is None and a.change_30d_km is None
    a = _row(board.board("2025-01-08"), "t:a")
    assert a.change_7d_km == pytest.approx(-7.0) and a.change_30d_km is None


def test_board_arguments_are_checked(board):
    with pytest.raises(DateOutOfRangeError, match="2025-01-01 to 2025-02-09"):
        board.board("2024-12-31")
    with pytest.raises(DateOutOfRangeError):
        board.board("2025-02-10")
    with pytest.raises(InvalidArgumentError, match="ring"):
        board.board(ring_km="7")
    assert _row(board.board(ring_km="5"), "t:a").spark["ring"][-1] == 0.0


def test_board_to_dict_is_plain_json(board):
    d = board.board().to_dict()
    text = json.dumps(d, allow_nan=False)
    assert '"worst_hub": "Hub Two"' in text
    assert d["cities"][1]["spark"]["distance"][0] == 40.0


def test_city_tables_and_events(board):
    days, routes, events, summary = board.city_tables("t:a")
    assert len(days) == N and set(days["city_id"]) == {"t:a"}
    assert len(routes) == 3 * (N - 1)
    assert [e["kind"] for e in events] == ["route_cut"]
    assert summary["trends"]["date"] == "2025-02-09"
    assert board.events_between("2025-01-01", "2025-01-31") == [
        {"date": "2025-01-21", "city_id": "t:b", "city": "Beeburg", "kind": "centre_held",
         "subject": "centre", "detail": "x", "pending": False}]


class _Profile:
    class _B:
        def __init__(self, name, km):
            self.name, self.max_km = name, km

    bands = [_B("contact", 3), _B("fpv", 15)]


class _Hist:
    def __init__(self, last):
        from shapely import box

        self.first, self.last = dt.date(2025, 1, 1), last
        self.dates = [self.first, last]
        self.geoms = [box(0, 0, 1, 1), box(0, 0, 2, 2)]


class _Options:
    def key(self):
        return {"a": 1}


class _WS:
    def __init__(self, last):
        self.history, self.profile, self.options = _Hist(last), _Profile(), _Options()


def test_tables_state_missing_stale_ready(tables_dir):
    spec = BoardSpec(10_000, 50.0)
    ws = _WS(dt.date(2025, 2, 9))
    exp = expected_manifest(ws, spec)
    assert tables_state(tables_dir, exp)[0] == "missing"  # no manifest
    (tables_dir / MANIFEST).write_text(json.dumps(exp))
    assert all((tables_dir / t).is_file() for t in TABLES)
    assert tables_state(tables_dir, exp) == ("ready", f"board tables up to 2025-02-09 in "
                                                      f"{tables_dir}")
    newer = expected_manifest(_WS(dt.date(2025, 2, 10)), spec)
    state, why = tables_state(tables_dir, newer)
    assert state == "stale" and "2025-02-10" in why
    other = expected_manifest(ws, BoardSpec(20_000, 50.0))
    assert tables_state(tables_dir, other)[0] == "stale"
    (tables_dir / "routes.parquet").unlink()
    assert tables_state(tables_dir, exp)[0] == "missing"


def test_board_spec_is_checked():
    with pytest.raises(InvalidArgumentError):
        BoardSpec(-1)
    with pytest.raises(InvalidArgumentError):
        BoardSpec(10_000, 0)
    assert BoardSpec(start="2025-01-02").as_dict()["start"] == "2025-01-02"


# ------------------------------------------------------------------ real data
@pytest.mark.realdata
def test_built_board_matches_fresh_queries(ws, board_dir, real_board):
    board = real_board
    from conftest import BOARD_START

    from supplyline.analysis import queries
    from supplyline.analysis.board import read_manifest

    m = read_manifest(board_dir)
    spec = BoardSpec(**m["spec"])
    assert tables_state(board_dir, expected_manifest(ws, spec))[0] == "ready"
    assert str(board.first) == (spec.start or str(ws.history.first))
    assert board.last == ws.history.last
    if spec.start == BOARD_START:  # the tests' own small board
        assert m["spec"] == {"min_population": 100_000, "within_km": 50.0, "start": BOARD_START}
    res = board.board()
    assert len(res.cities) == m["cities"] >= 3
    for row in res.cities[:3]:  # the stored figures are the queries' figures
        st = queries.status(ws, row.city.id, res.date)
        assert row.distance_to_held_km == pytest.approx(st.distance_to_held_km, abs=0.01)
        for mode in ("road", "rail"):
            m_ = st.modes[mode]
            assert getattr(row, mode).status == m_.status
            worst = min((h.status for h in m_.hubs), key=res.severity.index, default=None)
            assert getattr(row, mode).worst == worst
