"""The DeepStateMap API format: name classifier, snapshot parser, history list."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from supplyline.errors import DataFormatError
from supplyline.io.deepstate_api import (
    Kind,
    Outline,
    classify_feature,
    classify_name,
    i18n_key,
    last_per_day,
    normalise_name,
    parse_history_list,
    parse_snapshot,
    snapshot_time,
    ukraine_outline,
)

# Names as served, one or more per naming generation (copied from the snapshots).
GEN_2022 = {
    "Окуповано": Kind.HELD,
    "Окуповано. 01.04": Kind.HELD,
    "Ізюм. Окуповано\xa0": Kind.HELD,
    "Окуповані Циркуни": Kind.HELD,
    "Рубіжне. Території зайняті ворогом": Kind.HELD,
    "Захоплено": Kind.HELD,
    "Звільнено": Kind.TAKEN_BACK,
    "Звільнено 31.03-02.04": Kind.TAKEN_BACK,
    "звільнено 26.03.2022": Kind.TAKEN_BACK,
    "Звільнено в 10х-20х числах квітня": Kind.TAKEN_BACK,
    "Під контролем ЗСУ": Kind.TAKEN_BACK,
    "Ворога відкинуто\n": Kind.TAKEN_BACK,
    "Під питанням": Kind.GREY,
    "Невідомо точно при вихід": Kind.GREY,
    "Ситуація невідома": Kind.GREY,
    "Сіра зона": Kind.GREY,
    "Нам достеменно невідомо, що тут. Тут можуть бути орки, а можуть не бути": Kind.GREY,
    "Фактично контролюється ворогом, але немає інформації про його перебування тут":
        Kind.GREY,
    "ОРДЛО": Kind.HELD_BEFORE_2022,
    "Крим": Kind.HELD_BEFORE_2022,
    "Окупований Крим": Kind.HELD_BEFORE_2022,
    "Острів Тузла": Kind.HELD_BEFORE_2022,
    "Придністров'я": Kind.FOREIGN,
    "Зміїний": Kind.LABEL,
    "24.03": Kind.UNKNOWN,
    "Багатокутник 47": Kind.UNKNOWN,
}
GEN_2023 = {
    "Окуповано /// Occupied\n": Kind.HELD,
    "Окуповано\xa004.04 та 21.04 /// Occupied 04.04 and 21.04\n\n": Kind.HELD,
    "Сєвєродонецьк. Території, що окуповано.\n04.06 ведуться бої за повне витіснення "
    "орків.\n\n/// Sieverodonetsk. Territories, which are under occupation.": Kind.HELD,
    "Рубіжне. Території зайняті ворогом. \n\n12.05 був відхід з Південної.\n // Rubizhne. "
    "Territory, which is under occupation.": Kind.HELD,
    "Звільнено /// Liberated\xa0\n": Kind.TAKEN_BACK,
    "Звільнено 26.06\xa0/// Taken back 23.06": Kind.TAKEN_BACK,
    "Звільнено /// Recaptured\n": Kind.TAKEN_BACK,
    "Сєвєродонецьк. Території, відбиті у орків.\n\n/// Sieverodonetsk. Recaptured "
    "territories.\n": Kind.TAKEN_BACK,
    "Статус невідомий /// Unknown status\n": Kind.GREY,
    "Під питанням /// Contensed\n": Kind.GREY,
    "28.05 Під питанням /// 26.05 Contested": Kind.GREY,
    "Ситуація невідома /// Situation is unknown": Kind.GREY,
    "ОРДЛО /// CADR and CALR\n": Kind.HELD_BEFORE_2022,
    "Окупований Крим /// Occupied Crimea": Kind.HELD_BEFORE_2022,
    "Острів Тузла /// Occupied Tuzla Island": Kind.HELD_BEFORE_2022,
    "Зміїний ///\xa0Snake Island": Kind.LABEL,
}
GEN_2024 = {
    "Окуповано /// Occupied\xa0/// geoJSON.status.occupied\n": Kind.HELD,
    "Статус невідомий /// Unknown status /// geoJSON.status.unknown\n": Kind.GREY,
    "Звільнено /// Liberated\xa0/// geoJSON.status.dismissed": Kind.TAKEN_BACK,
    "Звільнено 16.03-17.03 /// Liberated 16.03-17.03\xa0/// geoJSON.status.dismissed_at "
    "{{at:16.03 -17.03}}": Kind.TAKEN_BACK,
    "Окупований Крим /// Occupied Crimea\xa0/// geoJSON.territories.crimea": Kind.HELD_BEFORE_2022,
    "ОРДЛО /// CADR and CALR\xa0/// geoJSON.territories.ordlo": Kind.HELD_BEFORE_2022,
    "Острів Тузла /// Occupied Tuzla Island\xa0/// geoJSON.territories.tuzla":
        Kind.HELD_BEFORE_2022,
    "Зміїний ///\xa0Snake Island /// geoJSON.zmiinyi_island": Kind.LABEL,
    # letters lost to a broken encoding (as in a few snapshots)
    "Звільне\ufffd\ufffdо /// Liberated": Kind.TAKEN_BACK,
    "\ufffd\ufffdкуповано /// Occupied /// geoJSON.status.occupied\n": Kind.HELD,
    "С\ufffd\ufffdатус невідомий /// Unknown status /// geoJSON.status.unknown": Kind.GREY,
    "geoJSON.territories.somewhere-new": Kind.UNKNOWN,
}
#: Every foreign polygon, as named in each generation: never held.
FOREIGN = [
    "Придністров'я", "Придністров'я ///\xa0Transnistria", "Придністров'я.\n///\nTransnistria.",
    "Придністров'я/// Transnistria /// geoJSON.territories.transnistria",
    "Тимчасово окупована східна Пруссія///East Prussia is temporarily occupied",
    "Тимчасово окупована східна Пруссія.\n///\nEast Prussia is temporarily occupied.\n/// "
    "geoJSON.territories.prussia\n",
    "Окупована Абхазія /// Occupied Abkhazia\n",
    "Окупована Абхазія.\n///\nOccupied Abkhazia.\n/// geoJSON.territories.abkhazia\n",
    "Окупований Цхінвальський район /// Occupied Tskhinval district\n",
    "Окупований Цхінвальський район\n///\nOccupied Tskhinvali district /// "
    "geoJSON.territories.tskhinvali-district\n",
    "Тимчасово окупована територія Карелії.///\xa0The temporarily occupied territory of Karelia.",
    "Тимчасово окупована територія Карелії.\n///\nThe temporarily occupied territory of "
    "Karelia.\n/// geoJSON.territories.karelia\n",
    "Тимчасово окупована територія республіки Ічкерія./// The temporarily occupied territory "
    "of the Republic of Ichkeria.",
    "Тимчасово окупована територія республіки Ічкерія.\n///\nThe temporarily occupied "
    "territory of the Republic of Ichkeria.\n/// geoJSON.territories.ichkeria\n",
    "Аннексовані у Естонії території /// Annexed from Estonia territories\n",
    "Окуповані у Естонії території.\n///\noccupied Estonia territories.\n/// "
    "geoJSON.territories.estonia\n",
    "Окуповані території Латвії /// Occupied territories of Latvia\n",
    "Аннексовані території Латвії /// Annexed from Latvia territories\n",
    "Окуповані території Латвії.\n///\nOccupied Latvia territories.\n/// "
    "geoJSON.territories.latvia\n",
    "Окупований Печорський район (Саатсеський чобіт) /// Occupied Pechorsky district "
    "(Saaste Boot)\n",
    "Окупований Печорський район (Саатсеський чобіт).\n///\nOccupied Pechorsky district "
    "(Saaste Boot).\n/// geoJSON.territories.pechorsky-district\n",
    "Окупована область Петсамо /// Occupied Petsamo\n",
    "Окупована область Петсамо\n///\nOccupied Petsamo\n/// geoJSON.territories.petsamo\n",
    "Окупована область Салла /// Occupied Salla\n",
    "Окупована область Салла\n///\nOccupied Salla\n/// geoJSON.territories.salla\n",
    "Окуповані Південні Курильські острови /// Occupied Southern Kuril islands\n",
    "Окуповані Південні Курильські острови.\n///\nOccupied Southern Kuril islands.\n/// "
    "geoJSON.territories.kuril\n",
    "Тимчасо\ufffd\ufffdо окупована територія республіки Ічкерія.\n///\nThe temporarily "
    "occupied territory of the Republic of Ichkeria.\n/// geoJSON.territories.ichkeria\n",
]


@pytest.mark.parametrize("name,kind", [*GEN_2022.items(), *GEN_2023.items(),
                                       *GEN_2024.items()])
def test_classify_each_generation(name, kind):
    assert classify_name(name) is kind


@pytest.mark.parametrize("name", FOREIGN)
def test_every_foreign_polygon_is_foreign(name):
    assert classify_name(name) is Kind.FOREIGN
    assert not classify_name(name).is_held


def test_i18n_key_and_normalisation():
    assert i18n_key("Окуповано /// Occupied\xa0/// geoJSON.status.occupied\n") == \
        "status.occupied"
    assert i18n_key("Окуповано /// Occupied") is None
    assert normalise_name(" Окуповано\xa0\n/// Occupied ") == "окуповано /// occupied"
    assert normalise_name(None) == ""


def test_unknown_name_falls_back_to_a_status_colour():
    assert classify_feature("24.03", "#0288d1") == (Kind.TAKEN_BACK, "colour")
    assert classify_feature("Зміїний", "#a52714") == (Kind.HELD, "colour")
    assert classify_feature("Зміїний", "#0f9d58") == (Kind.TAKEN_BACK, "colour")
    assert classify_feature("24.03", "#ff5252") == (Kind.UNKNOWN, "none")
    assert classify_feature("24.03", None) == (Kind.UNKNOWN, "none")
    # a recognised name is never overridden by its colour
    assert classify_feature("Окуповано", "#0288d1") == (Kind.HELD, "name")
    assert classify_feature("Придністров'я", "#a52714") == (Kind.FOREIGN, "name")


_NOISE = st.sampled_from(["", " ", "\xa0", "\n", "\t", " 25.03", " 27-31.03", "\xa0\n", "  "])


@given(st.one_of(st.text(), st.none(), st.integers(), st.floats(), st.binary(),
                 st.lists(st.text()), st.dictionaries(st.text(), st.text())),
       st.one_of(st.text(), st.none(), st.integers()))
@settings(max_examples=400, deadline=None)
def test_classifier_never_raises(name, fill):
    assert isinstance(classify_name(name), Kind)
    kind, how = classify_feature(name, fill)
    assert isinstance(kind, Kind) and how in ("name", "colour", "none")
    assert normalise_name(normalise_name(name)) == normalise_name(name)


@given(st.sampled_from(sorted({**GEN_2022, **GEN_2023, **GEN_2024}.items())), _NOISE, _NOISE,
       st.booleans())
@settings(max_examples=300, deadline=None)
def test_stray_spaces_dates_and_case_do_not_change_the_class(item, before, after, upper):
    name, kind = item
    noisy = before + (name.upper() if upper else name) + after
    if kind is Kind.UNKNOWN:  # a bare date or label stays unrecognised
        assert classify_name(noisy) in (Kind.UNKNOWN,)
    else:
        assert classify_name(noisy) is kind


# --------------------------------------------------------------------------- snapshots

BOX = Outline(shapely.box(30.0, 44.0, 40.0, 52.0), "test box")
shapely.prepare(BOX.geometry)


def _feat(name, geom, fill=None, z=False):
    g = json.loads(shapely.to_geojson(geom))
    if z:
        def add_z(c):
            return [add_z(x) for x in c] if isinstance(c[0], list) else [*c, 0]
        g["coordinates"] = add_z(g["coordinates"])
    props = {"name": name}
    if fill:
        props["fill"] = fill
    return {"type": "Feature", "properties": props, "geometry": g}


def _fc(*feats):
    return {"type": "FeatureCollection", "features": list(feats)}


def test_parse_snapshot_layers_by_hand():
    held = shapely.box(37.0, 47.0, 38.0, 48.0)                    # 1 x 1 degree
    grey = shapely.box(36.5, 47.0, 37.5, 48.0)                    # half over held
    taken = shapely.box(34.0, 49.0, 35.0, 49.5)                   # 0.5
    crimea = shapely.box(33.0, 44.5, 35.0, 45.5)                  # 2.0
    bow = shapely.Polygon([(38, 47), (39, 48), (39, 47), (38, 48)])  # invalid: 2 x 0.25
    doc = _fc(
        _feat("Окуповано /// Occupied /// geoJSON.status.occupied", held, z=True),
        _feat("Статус невідомий /// Unknown status", grey),
        _feat("Звільнено 25.03", taken),
        {"type": "Feature", "properties": {"name": "Окупований Крим"},
         "geometry": {"type": "GeometryCollection",
                      "geometries": [json.loads(shapely.to_geojson(crimea))]}},
        _feat("Окуповано", bow),
        _feat("Придністров'я", shapely.box(29.5, 46.5, 30.5, 47.5)),
        _feat("Окупована Абхазія.\n///\nOccupied Abkhazia.\n/// geoJSON.territories.abkhazia",
              shapely.box(31.0, 50.0, 32.0, 51.0)),               # foreign by key, inside box
        _feat("Окуповано /// Occupied", shapely.box(41.0, 50.0, 42.0, 51.0)),  # outside
        _feat("Окуповано /// Occupied", shapely.box(39.5, 45.0, 40.5, 46.0)),  # half outside
        _feat("24.03", shapely.box(31.0, 48.0, 31.5, 48.5), fill="#0288d1"),
        _feat("Щось нове", shapely.box(32.0, 48.0, 33.0, 49.0), fill="#123456"),
        {"type": "Feature", "properties": {"name": "Окуповано"},
         "geometry": {"type": "Point", "coordinates": [37.5, 47.5, 0]}},
        {"type": "Feature", "properties": {"name": "Окуповано"}, "geometry": None},
    )
    snap = parse_snapshot(doc, outline=BOX)
    st_ = snap.stats
    assert snap.held.area == pytest.approx(1.0 + 2.0 + 0.5 + 0.5)  # held, Crimea, bow, half
    assert snap.grey.area == pytest.approx(0.5)                     # minus the held half
    assert snap.taken_back.area == pytest.approx(0.5 + 0.25)        # incl. "24.03" by colour
    assert shapely.intersection(snap.held, snap.grey).area == pytest.approx(0.0)
    assert not snap.held.contains(shapely.Point(30.0, 47.0))        # Transnistria
    assert not snap.held.contains(shapely.Point(31.5, 50.5))        # foreign by key
    assert st_.points == 1 and st_.null_geometries == 1
    assert st_.z_dropped == 1 and st_.invalid_repaired == 1
    assert st_.foreign == {"придністров'я": 1, "окупована абхазія. /// occupied abkhazia. "
                                                "/// geojson.territories.abkhazia": 1}
    assert st_.outside_ukraine == {"окуповано /// occupied": 1}
    assert st_.unknown_names == {"24.03": 1, "щось нове": 1}
    assert st_.by_colour == {"24.03": "taken_back"}
    assert not shapely.has_z(snap.held)
    h, g, t = snap.metric()
    assert h.area / 1e6 > 30_000  # about 4 square degrees near 47 N


def test_named_territories_are_kept_whole_outside_the_outline():
    tuzla = shapely.box(40.5, 45.0, 40.6, 45.1)  # off the outline (as the real Tuzla)
    snap = parse_snapshot(_fc(
        _feat("Острів Тузла /// Occupied Tuzla Island /// geoJSON.territories.tuzla", tuzla),
        _feat("Зміїний", shapely.box(40.5, 46.0, 40.6, 46.1), fill="#a52714"),
        _feat("Зміїний ///\xa0Snake Island", shapely.box(40.5, 47.0, 40.6, 47.1),
              fill="#0f9d58"),
    ), outline=BOX)
    assert snap.held.area == pytest.approx(0.02)
    assert snap.taken_back.area == pytest.approx(0.01)
    assert not snap.stats.unknown_names and not snap.stats.outside_ukraine


@pytest.mark.parametrize("doc", [
    _fc(),
    _fc({"type": "Feature", "properties": {"name": "Окуповано"},
         "geometry": {"type": "Point", "coordinates": [37.5, 47.5]}}),
    _fc({"type": "Feature", "properties": {"name": "Окуповано"}, "geometry": None}),
    _fc({"type": "Feature", "properties": {"name": "Окуповано"},
         "geometry": {"type": "Polygon", "coordinates": [[[37, 47], [38, 47]]]}}),
])
def test_snapshot_without_polygons(doc):
    snap = parse_snapshot(doc, outline=BOX)
    assert not snap.has_polygons and snap.held.is_empty


@pytest.mark.parametrize("raw,what", [
    (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "an HTML page"),
    (b'{"type": "FeatureCollection", "features": [{"type": "Fea', "not JSON"),
    (b'{"type": "Feature"}', "expected a DeepStateMap GeoJSON"),
    (b'[1, 2, 3]', "expected a DeepStateMap GeoJSON"),
    (b"\xff\xfe\x00", "not JSON"),
])
def test_bad_snapshots_are_one_line_errors(raw, what):
    with pytest.raises(DataFormatError, match=what) as exc:
        parse_snapshot(raw, label="1700000000.geojson")
    assert "\n" not in str(exc.value) and "1700000000.geojson" in str(exc.value)


def test_wrapped_last_form_and_times(tmp_path):
    fc = _fc(_feat("Окуповано", shapely.box(37.0, 47.0, 38.0, 48.0)))
    wrapped = {"id": 1754251105, "datetime": "2025-08-03T19:58:25.000Z", "map": fc}
    snap = parse_snapshot(json.dumps(wrapped).encode(), outline=BOX)
    assert snap.id == "1754251105" and snap.day == dt.date(2025, 8, 3)
    assert snap.time == dt.datetime(2025, 8, 3, 19, 58, 25, tzinfo=dt.UTC)
    assert snap.held.area == pytest.approx(1.0)
    p = tmp_path / "1754251105.geojson"
    p.write_text(json.dumps(fc))
    assert parse_snapshot(p, outline=BOX).time == snap.time
    assert snapshot_time(p) == snap.time


def test_last_snapshot_of_each_utc_day():
    # 2025-08-03 21:30 UTC is already 08-04 in Kyiv: it still belongs to 08-03 (UTC)
    t = {int(dt.datetime(2025, 8, 3, h, m, tzinfo=dt.UTC).timestamp()): f"{h}:{m}"
         for h, m in ((6, 0), (19, 58), (21, 30))}
    t[int(dt.datetime(2025, 8, 4, 0, 5, tzinfo=dt.UTC).timestamp())] = "next"
    days = last_per_day(t)
    assert list(days) == [dt.date(2025, 8, 3), dt.date(2025, 8, 4)]
    assert days[dt.date(2025, 8, 3)][1] == "21:30"


def test_history_list():
    raw = json.dumps([
        {"id": 1754251105, "datetime": "2025-08-03T19:58:25.000Z", "description": "x"},
        {"id": "1649005166", "datetime": "2022-04-03T16:59:26Z"},
        {"id": 5},                      # no datetime, and 5 s after 1970 (kept: caller filters)
        {"datetime": "2025-01-01"},     # no id
        {"id": "../etc", "datetime": "2025-01-01"},  # not an id
        "junk",
    ])
    snaps, skipped = parse_history_list(raw)
    assert [s.id for s in snaps] == ["5", "1649005166", "1754251105"]
    assert skipped == 3
    assert snaps[-1].filename == "1754251105.geojson"
    assert snaps[-1].day == dt.date(2025, 8, 3)
    with pytest.raises(DataFormatError, match="HTML"):
        parse_history_list(b"<html>login</html>")
    with pytest.raises(DataFormatError, match="expected a JSON list"):
        parse_history_list(b'{"error": "x"}')


@given(st.binary(max_size=200))
@settings(max_examples=200, deadline=None)
def test_history_list_parser_never_crashes(raw):
    try:
        parse_history_list(raw)
    except DataFormatError:
        pass


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c,
                                                                        max_size=4),
                    max_leaves=20))
@settings(max_examples=300, deadline=None)
def test_snapshot_parser_never_crashes_on_odd_json(doc):
    for d in (doc, {"type": "FeatureCollection", "features": [doc]},
              {"type": "FeatureCollection", "features": [
                  {"type": "Feature", "properties": {"name": "Окуповано"}, "geometry": doc}]}):
        try:
            parse_snapshot(json.dumps(d).encode(), outline=BOX)
        except DataFormatError:
            pass


# --------------------------------------------------------------------------- real data

@pytest.mark.realdata
def test_outline_of_ukraine(shared_data):
    ol = ukraine_outline(shared_data / "admin" / "ukraine-oblasts.geojson")
    inside = {"Kyiv (a hole of the oblasts, filled)": (30.52, 50.45),
              "Sevastopol": (33.52, 44.60), "Pokrovsk": (37.18, 48.28)}
    outside = {"Tiraspol": (29.64, 46.84), "Belgorod": (36.59, 50.60),
               "Rostov": (39.72, 47.23)}
    for name, xy in inside.items():
        assert ol.geometry.contains(shapely.Point(xy)), name
    for name, xy in outside.items():
        assert not ol.geometry.contains(shapely.Point(xy)), name


@pytest.mark.realdata
@pytest.mark.parametrize("name,gen", [("1649005166.geojson", 2022), ("1680387436.geojson", 2023),
                                      ("1754251105.geojson", 2025)])
def test_real_snapshots_of_each_generation(shared_data, name, gen):
    ol = ukraine_outline(shared_data / "admin" / "ukraine-oblasts.geojson")
    snap = parse_snapshot(shared_data / "deepstate-raw" / name, outline=ol)
    held, grey, _ = snap.metric()
    assert 100_000 < held.area / 1e6 < 130_000
    assert 100 < grey.area / 1e6 < 7_000
    for city in ((34.10, 44.95), (37.80, 48.00), (39.30, 48.57)):  # Simferopol, Donetsk, Luhansk
        assert snap.held.contains(shapely.Point(city))
    for city in ((29.64, 46.84), (34.35, 61.79), (41.02, 43.00)):  # Tiraspol, Petrozavodsk, Sukhumi
        assert not snap.held.contains(shapely.Point(city))
    assert not snap.held.contains(shapely.Point(30.52, 50.45))      # Kyiv
    assert snap.stats.foreign, "foreign polygons are left out, and counted"
    assert snap.stats.points > 0
    allowed = {"24.03", "дорога тростянець-суми 31.03", "орки відсутні 30.03",
               "багатокутник 47"}
    assert set(snap.stats.unknown_names) <= allowed
