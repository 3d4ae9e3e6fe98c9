"""One control history from daily files and API snapshots: precedence, gaps, grey zone,
faulty files, the per-day cache."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import numpy as np
import pytest
import shapely

from supplyline.data.control import ControlHistory
from supplyline.errors import DataNotFoundError, DateOutOfRangeError
from supplyline.io.sources import locate

UTC = dt.UTC
OBLAST = shapely.box(33.0, 46.0, 40.0, 50.0)  # a synthetic "Ukraine" for the outline


def _fc(*feats) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(feats)})


def _feat(name, geom):
    return {"type": "Feature", "properties": {"name": name},
            "geometry": json.loads(shapely.to_geojson(geom))}


def _daily(root: Path, day: str, geom) -> Path:
    d = root / "deepstate"
    d.mkdir(parents=True, exist_ok=True)
    p = d / f"deepstatemap_data_{day.replace('-', '')}.geojson"
    p.write_text(_fc(_feat(None, geom)) if geom is not None else _fc())
    return p


def _snap(root: Path, when: dt.datetime, held, grey=None, taken=None, extra=()) -> Path:
    d = root / "deepstate-raw"
    d.mkdir(parents=True, exist_ok=True)
    feats = [_feat("Окуповано /// Occupied /// geoJSON.status.occupied", held)] if held else []
    if grey is not None:
        feats.append(_feat("Статус невідомий /// Unknown status /// geoJSON.status.unknown",
                           grey))
    if taken is not None:
        feats.append(_feat("Звільнено /// Liberated /// geoJSON.status.dismissed", taken))
    feats.extend(extra)
    p = d / f"{int(when.timestamp())}.geojson"
    p.write_text(_fc(*feats))
    return p


def _data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "admin").mkdir(parents=True)
    (root / "admin" / "ukraine-oblasts.geojson").write_text(_fc(_feat("oblast", OBLAST)))
    return root


def _load(root: Path, cache: Path, **kw) -> ControlHistory:
    return ControlHistory.from_sources(locate(root), cache_root=cache, **kw)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPLYLINE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SUPPLYLINE_DATA", raising=False)
    monkeypatch.chdir(tmp_path)  # no ../shared/data from here ...
    monkeypatch.setattr("supplyline.settings._PROJECT_ROOT", tmp_path / "project")  # nor here
    return tmp_path


# 0.1 x 0.1 degree boxes near 48 N; areas compared in the metric CRS by ratio.
HELD_D = shapely.box(37.0, 48.0, 37.2, 48.1)     # daily file: 0.02 square degrees
HELD_A = shapely.box(37.0, 48.0, 37.21, 48.1)    # the API's held territory that day
GREY = shapely.box(36.9, 48.0, 37.1, 48.1)       # half under the held territory
TAKEN = shapely.box(35.0, 47.0, 35.1, 47.1)


def test_precedence_sources_and_grey(env):
    root = _data(env)
    _daily(root, "2025-01-01", HELD_D)                                  # both
    _snap(root, dt.datetime(2025, 1, 1, 20, tzinfo=UTC), HELD_A, GREY, TAKEN)
    _daily(root, "2025-01-02", HELD_D)                                  # daily only
    _snap(root, dt.datetime(2024, 12, 25, 20, tzinfo=UTC), HELD_A, GREY)  # api only
    h = _load(root, env / "cache")
    assert h.dates == [dt.date(2024, 12, 25), dt.date(2025, 1, 1), dt.date(2025, 1, 2)]
    assert h.sources == ["api", "daily+api", "daily"]
    assert list(h.grey_known) == [True, True, False]
    assert list(h.gap_days) == [0, 7, 1]
    both = h.contested("2025-01-01")
    # held from the daily file, grey from the snapshot minus that held territory
    assert both.held.equals_exact(h.geoms[1], 0) and both.grey_known and both.source == "daily+api"
    assert both.held.area == pytest.approx(h.held("2025-01-02").geometry.area)
    assert both.grey.area == pytest.approx(both.held.area / 2, rel=0.01)  # 0.1 of 0.2 wide
    assert shapely.intersection(both.held, both.grey).area < 1.0
    assert both.ground.area == pytest.approx(both.held.area * 1.5, rel=0.01)
    assert h.taken_back("2025-01-01").area == pytest.approx(both.held.area / 2, rel=0.02)
    only_daily = h.contested("2025-01-02")
    assert not only_daily.grey_known and only_daily.grey.is_empty
    assert only_daily.ground.equals(only_daily.held) and only_daily.grey_date is None
    carried = h.contested("2025-01-03", max_grey_lag_days=2)
    assert carried.grey_known and carried.grey_date == dt.date(2025, 1, 1)
    assert carried.grey_lag_days == 1 and not carried.exact and carried.lag_days == 1
    assert h.contested("2025-01-02", max_grey_lag_days=0).grey_date is None
    api_only = h.held("2024-12-30")
    assert api_only.source == "api" and not api_only.exact
    agree = h.overlap_agreement()
    assert len(agree) == 1 and agree["rel_diff"][0] == pytest.approx(0.05, rel=0.02)
    s = h.summary()
    assert s["days_by_source"] == {"api": 1, "daily": 1, "daily+api": 1}
    assert s["grey_days"] == 2 and s["overlap"]["days"] == 1
    with pytest.raises(DateOutOfRangeError):
        h.contested("2024-12-24")


def test_several_snapshots_of_a_day_use_the_last_utc(env):
    root = _data(env)
    _snap(root, dt.datetime(2025, 3, 1, 8, tzinfo=UTC), shapely.box(37.0, 48.0, 37.1, 48.1))
    late = shapely.box(37.0, 48.0, 37.3, 48.1)
    _snap(root, dt.datetime(2025, 3, 1, 23, 30, tzinfo=UTC), late)   # 01:30 in Kyiv next day
    _snap(root, dt.datetime(2025, 3, 2, 0, 30, tzinfo=UTC), shapely.box(37.0, 48.0, 37.2, 48.1))
    h = _load(root, env / "cache")
    assert h.dates == [dt.date(2025, 3, 1), dt.date(2025, 3, 2)]
    a1, a2 = h.geoms[0].area, h.geoms[1].area
    assert a1 / a2 == pytest.approx(1.5, rel=0.01)
    assert h.repair_report.superseded_snapshots == 1


@pytest.mark.parametrize("content", [
    _fc(),                                                                 # empty
    _fc({"type": "Feature", "properties": {}, "geometry": {"type": "Point",
                                                           "coordinates": [37, 48]}}),
    _fc({"type": "Feature", "properties": {}, "geometry": None}),           # null geometry
])
def test_a_day_without_polygon_is_skipped_not_an_empty_front(env, content, caplog):
    root = _data(env)
    _daily(root, "2025-01-01", HELD_D)
    p = _daily(root, "2025-01-02", None)
    p.write_text(content)
    _daily(root, "2025-01-03", HELD_D)
    with caplog.at_level(logging.WARNING):
        h = _load(root, env / "cache")
    assert h.dates == [dt.date(2025, 1, 1), dt.date(2025, 1, 3)]
    held = h.held("2025-01-02")
    assert not held.exact and held.date == dt.date(2025, 1, 1) and not held.geometry.is_empty
    rep = h.repair_report
    assert rep.empty_days == 1
    assert rep.skipped_days == [{"date": "2025-01-02",
                                 "reason": "deepstatemap_data_20250102.geojson has no polygon"}]
    assert "2025-01-02" in caplog.text
    # from the cache: the same
    again = _load(root, env / "cache")
    assert again.dates == h.dates and again.repair_report.skipped_days == rep.skipped_days


def test_an_empty_daily_file_gives_way_to_the_snapshot_of_the_day(env):
    root = _data(env)
    _daily(root, "2025-01-01", None)
    _snap(root, dt.datetime(2025, 1, 1, 20, tzinfo=UTC), HELD_A, GREY)
    h = _load(root, env / "cache")
    assert h.sources == ["api"] and h.grey_known[0]
    assert any("has no polygon" in n for n in h.repair_report.notes)


def test_only_empty_days_is_an_error(env):
    root = _data(env)
    _daily(root, "2025-01-01", None)
    with pytest.raises(DataNotFoundError, match="no day with a held-territory polygon"):
        _load(root, env / "cache")


@pytest.mark.parametrize("name", ["deepstatemap_data_20300101.geojson",
                                  "deepstatemap_data_19990101.geojson",
                                  "deepstatemap_data_20220101.geojson",
                                  "deepstatemap_data_20251340.geojson"])
def test_impossible_or_future_dates_are_rejected_by_name(env, name, caplog):
    root = _data(env)
    _daily(root, "2025-01-01", HELD_D)
    (root / "deepstate" / name).write_text(_fc(_feat(None, HELD_D)))
    with caplog.at_level(logging.WARNING):
        h = _load(root, env / "cache")
    assert h.first == h.last == dt.date(2025, 1, 1)
    assert name in caplog.text
    assert [Path(p).name for p, _ in h.repair_report.rejected_files] == [name]


def test_future_snapshot_is_rejected(env, caplog):
    root = _data(env)
    _snap(root, dt.datetime(2025, 1, 1, 20, tzinfo=UTC), HELD_A)
    _snap(root, dt.datetime(2031, 1, 1, tzinfo=UTC), HELD_A)
    _snap(root, dt.datetime(2001, 1, 1, tzinfo=UTC), HELD_A)
    with caplog.at_level(logging.WARNING):
        h = _load(root, env / "cache")
    assert h.dates == [dt.date(2025, 1, 1)]
    assert len(h.repair_report.rejected_files) == 2 and "after today" in caplog.text


def test_data_env_that_does_not_exist_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("SUPPLYLINE_DATA", str(tmp_path / "nonexistent"))
    with pytest.raises(DataNotFoundError, match=r"SUPPLYLINE_DATA=.*nonexistent: not a "
                                                r"directory") as exc:
        locate()
    assert "\n" not in str(exc.value)


def test_sparse_stretches_and_spacing(env):
    root = _data(env)
    day = dt.date(2023, 1, 1)
    days = [day + dt.timedelta(days=7 * i) for i in range(6)]        # weekly
    days += [days[-1] + dt.timedelta(days=2 * i) for i in range(1, 7)]  # every second day
    days += [days[-1] + dt.timedelta(days=i) for i in range(1, 8)]  # daily
    for d in days:
        _daily(root, d.isoformat(), HELD_D)
    h = _load(root, env / "cache")
    stretches = h.sparse_stretches()
    assert [s["kind"] for s in stretches] == ["about weekly", "every second day"]
    assert stretches[0]["start"] == "2023-01-01" and stretches[0]["median_gap_days"] == 7
    assert stretches[1]["median_gap_days"] == 2
    assert h.gap_days[6] == 2 and h.gap_days[-1] == 1
    assert h.spacing_days[-1] == 1 and h.spacing_days[0] == 7
    assert len(h.missing_days()) == (h.last - h.first).days + 1 - len(h)


def test_warm_load_is_lazy_and_incremental_update_parses_only_new_files(env):
    root = _data(env)
    for i in range(1, 6):
        _daily(root, f"2025-01-0{i}", shapely.box(37.0, 48.0, 37.0 + 0.01 * i, 48.1))
    _snap(root, dt.datetime(2025, 1, 3, 20, tzinfo=UTC), HELD_A, GREY)
    cold = _load(root, env / "cache")
    assert cold.summary()["cache"]["parsed"] == 6 - 1  # five days, one of them with both
    warm = _load(root, env / "cache")
    assert warm.summary()["cache"]["parsed"] == 0 and warm.geoms.decoded == 0
    assert warm.held("2025-01-02").geometry.equals(cold.geoms[1])
    assert warm.geoms.decoded == 1
    _daily(root, "2025-01-06", HELD_D)
    _snap(root, dt.datetime(2025, 1, 6, 20, tzinfo=UTC), HELD_A, GREY)
    new = _load(root, env / "cache")
    c = new.summary()["cache"]
    assert (c["parsed"], c["reused"]) == (1, 5)
    assert new.last == dt.date(2025, 1, 6) and new.sources[-1] == "daily+api"
    entries = list((env / "cache" / "control-history").iterdir())
    assert len([e for e in entries if not e.name.startswith(".")]) == 1  # superseded removed
    assert [g.area for g in new.geoms[:5]] == [g.area for g in cold.geoms]


def test_overwritten_bytes_in_the_cache_are_detected_and_rebuilt(env, caplog):
    root = _data(env)
    for i in range(1, 4):
        _daily(root, f"2025-01-0{i}", shapely.box(37.0, 48.0, 37.0 + 0.01 * i, 48.1))
    good = [g.area for g in _load(root, env / "cache").geoms]
    entry = next(p for p in (env / "cache" / "control-history").iterdir()
                 if not p.name.startswith("."))
    blob = entry / "geoms.bin"
    data = bytearray(blob.read_bytes())
    data[len(data) // 2: len(data) // 2 + 16] = b"\x00" * 16  # same size, other bytes
    blob.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        h = _load(root, env / "cache")
        areas = [g.area for g in h.geoms]
    assert areas == good
    assert "damaged" in caplog.text
    # the rebuilt entry checks out
    assert [g.area for g in _load(root, env / "cache").geoms] == good


@pytest.mark.parametrize("victim", ["index.json", "manifest.json", "stats.json"])
def test_damaged_index_manifest_or_stats_is_rebuilt(env, victim):
    root = _data(env)
    _daily(root, "2025-01-01", HELD_D)
    first = _load(root, env / "cache")
    entry = next(p for p in (env / "cache" / "control-history").iterdir()
                 if not p.name.startswith("."))
    p = entry / victim
    raw = bytearray(p.read_bytes())
    raw[5] = (raw[5] + 1) % 256
    p.write_bytes(bytes(raw))
    again = _load(root, env / "cache")
    assert again.geoms[0].area == first.geoms[0].area
    assert again.repair_report.files == 1  # stats.json is read (and checked) here
    assert again.summary()["cache"]["parsed"] == 1


def test_unwritable_cache_still_loads(env, caplog):
    root = _data(env)
    _daily(root, "2025-01-01", HELD_D)
    blocked = env / "blocked"
    blocked.write_text("a file where the cache directory should be")  # (root ignores modes)
    with caplog.at_level(logging.WARNING):
        h = _load(root, blocked / "sub")
    assert len(h) == 1 and h.geoms[0].area > 0
    assert h.summary()["cache"]["entry"] is None
    assert "running without caching" in caplog.text


def test_geom_layer_is_numpy_compatible(env):
    root = _data(env)
    for i in range(1, 4):
        _daily(root, f"2025-01-0{i}", shapely.box(37.0, 48.0, 37.0 + 0.01 * i, 48.1))
    h = _load(root, env / "cache")
    areas = shapely.area(h.geoms)
    assert areas.shape == (3,) and np.all(np.diff(areas) > 0)
    assert len(h.geoms[1:]) == 2 and h.geoms[-1].area == areas[-1]
    assert list(h.geoms[np.array([0, 2])]) == [h.geoms[0], h.geoms[2]]
    assert sum(1 for _ in h.geoms) == 3 and not any(g.is_empty for g in h.geoms)
    clipped = shapely.clip_by_rect(h.geoms, *h.geoms[0].bounds)
    assert clipped.shape == (3,)
    with pytest.raises(IndexError):
        h.geoms[3]
    import pickle  # for worker processes (never for caches)

    again = pickle.loads(pickle.dumps(_load(root, env / "cache")))
    assert [g.area for g in again.geoms] == list(areas) and again.sources == h.sources


def test_first_location_is_merged_with_the_download_cache(env, monkeypatch):
    a = _data(env / "a")
    b = env / "b"
    downloads = env / "cache" / "data"  # SUPPLYLINE_CACHE/data: where fetch/update store
    _daily(a, "2025-01-01", HELD_D)
    _daily(downloads, "2025-01-01", shapely.box(37.0, 48.0, 37.5, 48.1))  # loses to a
    _snap(downloads, dt.datetime(2025, 1, 2, 20, tzinfo=UTC), HELD_A, GREY)  # new: merged
    _daily(b, "2025-01-03", HELD_D)  # a later location with control data: not merged
    monkeypatch.setenv("SUPPLYLINE_DATA", str(b))
    srcs = locate(a)
    assert [lab for lab, _ in srcs.daily_dirs] == ["--data", "user cache"]
    h = ControlHistory.from_sources(srcs, cache_root=env / "derived")
    assert h.dates == [dt.date(2025, 1, 1), dt.date(2025, 1, 2)]
    assert h.geoms[0].area == pytest.approx(
        ControlHistory.from_deepstate_dir(a / "deepstate", use_cache=False).geoms[0].area)


# --------------------------------------------------------------------------- real data

@pytest.fixture(scope="module")
def merged(shared_data, ws):
    # the session's cache (set up by ``ws``): the CLI tests then find it parsed
    return ControlHistory.from_sources(locate(shared_data))


@pytest.mark.realdata
def test_real_merged_history(merged):
    h = merged
    assert h.first == dt.date(2022, 4, 3) and h.last == dt.date(2026, 8, 22)
    s = h.summary()
    assert s["days_by_source"]["daily+api"] >= 180
    assert s["days_by_source"]["daily"] + s["days_by_source"]["daily+api"] == 769
    assert s["days_by_source"]["api"] + s["days_by_source"]["daily+api"] == 368
    kinds = [(x["kind"], x["start"][:7]) for x in h.sparse_stretches()]
    assert kinds == [("about weekly", "2022-04"), ("every second day", "2023-10"),
                     ("about weekly", "2024-03")]
    assert h.gap_days.max() <= 8
    rep = h.repair_report
    assert set(rep.unknown_names) == {"24.03", "дорога тростянець-суми 31.03",
                                      "орки відсутні 30.03", "багатокутник 47"}
    assert rep.skipped_days == [] and rep.rejected_files == []
    assert rep.foreign_features > 3000
    # the grey zone adds ~900-1,100 km2 in the overlap period (data README)
    a = h.areas_km2.set_index("date")
    assert 850 < a.loc[dt.date(2025, 6, 2), "grey_km2"] < 1150
    assert a["held_km2"].between(100_000, 130_000).all()


@pytest.mark.realdata
def test_held_areas_agree_on_every_overlapping_day(merged):
    """Daily files vs API snapshots: the held areas agree within 0.1 % on every day both
    have (worst measured: 0.058 %, 2025-05-23)."""
    agree = merged.overlap_agreement()
    assert len(agree) == 189
    worst = agree["rel_diff"].abs().max()
    assert worst < 0.001, agree.loc[agree["rel_diff"].abs().idxmax()].to_dict()


@pytest.mark.realdata
def test_real_contested_ground(merged):
    c = merged.contested("2025-06-02")
    assert c.grey_known and c.source == "daily+api" and c.exact
    assert c.ground.area > c.held.area
    assert shapely.intersection(c.held, c.grey).area / 1e6 < 1.0
    gap = merged.contested("2025-06-03")
    assert gap.source == "daily" and not gap.grey_known
    assert merged.contested("2025-06-03", max_grey_lag_days=1).grey_date == dt.date(2025, 6, 2)
