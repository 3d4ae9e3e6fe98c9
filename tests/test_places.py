import json

import numpy as np
import pandas as pd
import pytest
from conftest import plain
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import box

from supplyline.crs import lonlat_xy
from supplyline.data.places import (
    Distance,
    Gazetteer,
    Oblast,
    Place,
    fold_districts,
    name_key,
    reconcile,
)
from supplyline.data.raions import find_raions
from supplyline.data.romanise import is_cyrillic, pick_ukrainian, romanise_uk
from supplyline.errors import PlaceNotFoundError


def test_name_key_folds_transliterations():
    assert name_key("Slovyansk") == name_key("Sloviansk")
    assert name_key("Kostiantynivka") == name_key("Kostyantynivka")
    assert name_key("Pokrovs'k") == name_key("Pokrovsk")
    assert name_key("Kramatorsk") != name_key("Pokrovsk")


@pytest.mark.parametrize("query,expected", [
    ("Slovyansk", "Sloviansk"), ("Sloviansk", "Sloviansk"),
    ("Kostiantynivka", "Kostiantynivka"), ("Kostyantynivka", "Kostiantynivka"),
    ("Krasnoarmiisk", "Pokrovsk"), ("Покровськ", "Pokrovsk"), ("Dnipropetrovsk", "Dnipro"),
])
def test_lookup_variants_and_old_names(ws, query, expected):
    m = ws.find(query)
    assert m.place.name == expected
    assert m.place.oblast in ("Donetsk Oblast", "Dnipropetrovsk Oblast")


def test_ambiguous_lists_candidates(ws):
    m = ws.find("Mykolaivka")
    assert m.candidates, "several Mykolaivkas exist"
    assert m.place.population >= max(c.population for c in m.candidates if c.name == m.place.name)
    m2 = ws.find("Mykolaivka, Dnipropetrovsk Oblast")
    assert m2.place.oblast == "Dnipropetrovsk Oblast"


def test_unknown_place_and_oblasts(ws):
    with pytest.raises(PlaceNotFoundError):
        ws.find("Qwertyuiopgrad")
    g = ws.gazetteer
    assert g.oblast("UA-14").name_en == "Donetsk Oblast"
    assert g.oblast("Dnipropetrovsk Oblast").iso == "UA-12"
    assert g.oblast("Донецька область").iso == "UA-14"
    with pytest.raises(PlaceNotFoundError):
        g.oblast("Atlantis Oblast")


# --------------------------------------------------------------------------- romanisation

@pytest.mark.parametrize("cyr,lat", [
    ("Запоріжжя", "Zaporizhzhia"), ("Гуляйполе", "Huliaipole"), ("Слов'янськ", "Sloviansk"),
    ("Костянтинівка", "Kostiantynivka"), ("Куп’янськ", "Kupiansk"), ("Мирноград", "Myrnohrad"),
    ("Покровськ", "Pokrovsk"), ("Єнакієве", "Yenakiieve"), ("Юр'ївка", "Yurivka"),
    ("Згурівка", "Zghurivka"), ("Часів Яр", "Chasiv Yar"), ("Щастя", "Shchastia"),
    ("Олексієво-Дружківка", "Oleksiievo-Druzhkivka"), ("Йосипівка", "Yosypivka"),
    ("Сєвєродонецьк", "Sievierodonetsk"), ("Ґорґани", "Gorgany"), ("Біла Церква", "Bila Tserkva"),
])
def test_romanise_kmu_2010(cyr, lat):
    # KMU 2010 table: initial Є/Ї/Й/Ю/Я as Ye/Yi/Y/Yu/Ya, soft sign and apostrophe dropped,
    # "зг" as "zgh"
    assert romanise_uk(cyr) == lat


@given(st.text(alphabet="абвгґдеєжзиіїйклмнопрстуфхцчшщьюяАБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ' -",
               max_size=30))
def test_romanise_gives_latin_only_and_keeps_the_key(text):
    out = romanise_uk(text)
    assert all(ord(ch) < 128 for ch in out)
    assert not is_cyrillic(out) or not out.strip()
    # the lookup key of a Cyrillic name and of its romanisation agree
    assert name_key(out) == name_key(text) or "зг" in text.lower()


NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяыэъёІЇЄҐЁ'’ʼ -.,",
                max_size=40)


@given(NAMES)
def test_name_key_is_case_and_apostrophe_blind(text):
    k = name_key(text)
    assert k == name_key(text.upper()) == name_key(text.replace("'", ""))
    assert set(k) <= set("abcdefghijklmnopqrstuvwxyz")


def test_name_key_folds_shch_spellings():
    # EGM writes щ "sch", KMU 2010 "shch"
    assert name_key("Monastyrysche") == name_key("Monastyryshche") == name_key("Монастирище")


def test_pick_ukrainian_rejects_old_russian_and_belarusian_names():
    alts = ["Dymytrov", "Myrnohrad", "Dimitrov", "Димитров", "Мирноград", "Мирноград"]
    assert pick_ukrainian(alts, "Myrnohrad", alts, key=name_key) == "Мирноград"
    alts = ["Kadiyivka", "Кадзііўка", "Кадиевка", "Кадіївка"]
    assert pick_ukrainian(alts, "Kadiyivka", alts, key=name_key) == "Кадіївка"
    # only a Russian form: no Ukrainian name rather than a wrong one
    assert pick_ukrainian(["Диановка"], "Dianivka", [], key=name_key) == ""
    # the unhyphenated current form before the old hyphenated one
    alts = ["Huliaipole", "Huliai-Pole", "Гуляй-Поле", "Гуляйполе"]
    assert pick_ukrainian(alts, "Hulyaypole", alts, key=name_key) == "Гуляйполе"


def test_raion_forms():
    assert [r.centre for r in find_raions("Pokrovskyi raion", name_key)] == ["Pokrovsk"]
    assert [r.centre for r in find_raions("Pokrovsk district", name_key)] == ["Pokrovsk"]
    assert [r.centre for r in find_raions("Покровський район", name_key)] == ["Pokrovsk"]
    assert find_raions("Pokrovsk", name_key) == []  # a bare town name is not a raion


# --------------------------------------------------------------------------- synthetic scene

X0, Y0 = 0.0, 5_300_000.0  # metric CRS, near 35.5 E 47.8 N


def ll(dx: float, dy: float) -> tuple[float, float]:
    lon, lat = lonlat_xy(X0 + dx, Y0 + dy)
    return float(lon), float(lat)


def frame(rows, source):
    """rows: (name, dx, dy, population, names...)."""
    return pd.DataFrame({
        "name": [r[0] for r in rows],
        "lon": [ll(r[1], r[2])[0] for r in rows], "lat": [ll(r[1], r[2])[1] for r in rows],
        "population": [r[3] for r in rows],
        "alternates": [[r[0], *r[4:]] for r in rows], "source": source,
        "ident": [f"{source}:{i}" for i in range(len(rows))],
    })


def egm_frame(rows):
    df = frame(rows, "egm").drop(columns=["alternates", "source"])
    return df.assign(egm_name=df["name"])


MANY = [f"Metropolis{i}" for i in range(12)]  # a real town has names in many languages


@pytest.fixture(scope="module")
def scene():
    geo = frame([
        ("Alpha", 0, 0, 10_000),                      # 0  EGM point 8 km off: one place
        ("Beta", 40_000, 0, 800),                     # 1  EGM "Beta" 8 km off, 10x people
        ("Newname", 0, 30_000, 2_000),                # 2  EGM "Oldname" 500 m off, same people
        ("Delta", 60_000, 30_000, 3_000),             # 3  a second record 1 km off
        ("Delta", 61_000, 30_000, 1_000),             # 4
        ("Metropolis", 100_000, 0, 300_000, *MANY),   # 5  a city with a built-up area
        ("Sotsville", 102_000, 0, 40_000),            # 6  district: few names, no EGM point
        ("Villagio", 104_000, 2_000, 2_000),          # 7  in the built-up area, EGM point
        ("Rayon Lenina", 98_000, 1_000, 50_000),      # 8  named as a district
        ("Novoselivka", 5_000, 0, 900),               # 9  near Alpha
        ("Novoselivka", 150_000, 0, 9_000),           # 10 larger, far away
        ("Edge", 0, -52_000, 1_000),                  # 11 2 km outside the oblast
    ], "geonames")
    egm = egm_frame([
        ("Alpha", 6_000, -5_300, 12_000),   # 8.0 km from Alpha
        ("Beta", 40_000, 8_000, 8_000),
        ("Oldname", 300, 400, 2_100),
        ("Gamma", 20_000, 20_000, 1_500),
        ("Villagio", 104_200, 2_000, 2_100),
    ])
    egm.loc[2, ["lon", "lat"]] = ll(300, 30_400)
    builtup = np.array([box(X0 + 95_000, Y0 - 5_000, X0 + 106_000, Y0 + 5_000)])
    rec = reconcile(geo, egm, builtup)
    oblasts = [Oblast("Testland Oblast", "Тестленд", "UA-99",
                      box(X0 - 50_000, Y0 - 50_000, X0 + 200_000, Y0 + 50_000))]
    return Gazetteer(rec.places, oblasts, districts=rec.districts, conflicts=rec.conflicts)


def test_reconcile_one_record_per_place(scene):
    pl = scene.places
    alpha = pl[pl["name"] == "Alpha"]
    assert len(alpha) == 1 and alpha["sources"].iat[0] == "geonames+egm"
    # GeoNames point and population kept, EGM point recorded
    assert alpha["lon"].iat[0] == pytest.approx(ll(0, 0)[0])
    assert alpha["population"].iat[0] == 10_000
    assert alpha["egm_ident"].iat[0] == "egm:0"
    # populations 10x apart beyond 3 km: two places
    assert sorted(pl[pl["name"] == "Beta"]["sources"]) == ["egm", "geonames"]
    # EGM-only village kept
    assert (pl["name"] == "Gamma").sum() == 1
    # renamed: EGM's old name is an alternate of the GeoNames place, not a second place
    assert "Oldname" not in set(pl["name"])
    assert "Oldname" in pl[pl["name"] == "Newname"]["alternates"].iat[0]
    # same-name GeoNames records 1 km apart: one place, the more populous
    delta = pl[pl["name"] == "Delta"]
    assert len(delta) == 1 and delta["population"].iat[0] == 3_000
    assert delta["also"].iat[0] == "geonames:4"
    assert len(set(pl["ident"])) == len(pl)


def test_check_lists_conflicts_with_resolution(scene):
    c = scene.check()
    pos = c[c["kind"] == "position"]
    assert list(pos["name"]) == ["Alpha"]
    assert pos["distance_km"].iat[0] == pytest.approx(8.0, abs=0.01)
    assert "GeoNames point" in pos["resolution"].iat[0]
    assert list(c[c["kind"] == "name"]["other_name"]) == ["Oldname"]
    assert list(c[c["kind"] == "duplicate"]["name"]) == ["Delta"]
    edge = c[c["kind"] == "oblast"]
    assert list(edge["name"]) == ["Edge"] and edge["oblast"].iat[0] == "Testland Oblast"
    s = scene.summary()
    assert s["position_conflicts"] == 1 and s["egm_only"] == 2 and s["districts_folded"] == 2


def test_districts_folded_into_their_city(scene):
    pl = scene.places
    assert not {"Sotsville", "Rayon Lenina"} & set(pl["name"])
    assert "Villagio" in set(pl["name"])  # an EGM settlement point: a village of its own
    d = scene.districts.set_index("name")
    assert d.loc["Sotsville", "city"] == "Metropolis"
    assert d.loc["Rayon Lenina", "city"] == "Metropolis"
    assert not scene.district.any()
    m = scene.find("Sotsville")
    assert m.place.name == "Metropolis" and m.how == "district"
    assert m.place.population == 300_000  # the city's own figure, nothing added


def test_every_place_has_an_oblast(scene):
    assert (scene.places["oblast"] == "Testland Oblast").all()
    assert scene.oblast_at((X0 + 1_000, Y0 - 51_000)) == "Testland Oblast"  # 1 km outside
    assert scene.oblast_at((X0 + 1_000, Y0 - 70_000)) == ""


def test_find_near_prefers_the_local_match(scene):
    alpha = scene.find("Alpha").place
    m = scene.find("Novoselivka")
    assert m.place.population == 9_000 and not m.far  # no context: the larger one
    m = scene.find("Novoselivka", near=alpha)
    assert m.place.population == 900 and m.distance_km == pytest.approx(5.0, abs=0.01)
    assert not m.far and m.warning is None
    assert [c.ident for c in m.candidates] == ["geonames:10"]
    # the "Name, Place" form means the same
    assert scene.find("Novoselivka, Alpha").place.ident == m.place.ident
    # none within the radius: the best match elsewhere, said so
    far = scene.find("Metropolis", near=alpha, radius_km=20)
    assert far.far and "100 km" in far.warning and "WARNING" in far.note()
    with pytest.raises(PlaceNotFoundError, match="none within 20 km of Alpha"):
        scene.find("Metropolis", near=alpha, radius_km=20, strict=True)


def test_fuzzy_match_is_never_silent(scene):
    m = scene.find("Metropolos")
    assert m.fuzzy and m.place.name == "Metropolis" and "closest spelling" in m.warning
    d = m.as_dict()
    assert d["warning"] and d["how"] == "fuzzy"


def test_match_json_and_candidates_unique(scene):
    m = scene.find("Novoselivka")
    idents = [m.place.ident] + [c.ident for c in m.candidates]
    assert len(idents) == len(set(idents))
    d = m.as_dict()
    assert plain(d)
    json.dumps(d, allow_nan=False)
    assert set(d["place"]) >= {"id", "name", "lon", "lat", "oblast", "population", "source"}
    assert scene.find(d["place"]["id"]).place == m.place


def test_unresolvable_is_one_line(scene):
    with pytest.raises(PlaceNotFoundError) as e:
        scene.find("Qwertyuiopgrad, Testland Oblast")
    assert "\n" not in str(e.value)
    with pytest.raises(PlaceNotFoundError, match="not an oblast, raion or place"):
        scene.find("Alpha, Nowhereshire")
    with pytest.raises(PlaceNotFoundError):
        scene.find("egm:does-not-exist")


def test_distance_is_null_with_a_reason_never_inf():
    d = Distance.of_metres(float("inf"), "no road route: the place is off the network")
    assert d.km is None and "off the network" in d.reason
    json.dumps(d.as_dict(), allow_nan=False)
    assert Distance.of_metres(12_345.0, "unused").as_dict() == {
        "distance_km": 12.345, "distance_km_reason": None}


def test_place_as_dict_is_plain():
    p = Place("Pokrovsk", 37.18, 48.28, 60_127, "geonames", "Donetsk Oblast",
              "geonames:704422", "Покровськ", "geonames")
    d = p.as_dict()
    assert d["id"] == "geonames:704422" and d["name_uk"] == "Покровськ" and plain(d)


def test_fold_without_builtup_uses_names_only():
    geo = frame([("City", 0, 0, 100_000, *MANY), ("Quarterville", 1_000, 0, 30_000)],
                "geonames")
    rec = reconcile(geo)
    assert list(rec.places["name"]) == ["City", "Quarterville"]
    pl, d = fold_districts(rec.places.assign(name_geonames=["City", "Rayon Quarterville"]),
                           None)
    assert list(pl["name"]) == ["City"] and list(d["city"]) == ["City"]


# --------------------------------------------------------------------------- cache

def test_gazetteer_cache_is_a_checked_entry_without_pickle(tmp_path, monkeypatch):
    import geopandas as gpd
    from shapely.geometry import Point

    monkeypatch.setenv("SUPPLYLINE_CACHE", str(tmp_path / "cache"))
    egm = tmp_path / "egm.gpkg"
    gpd.GeoDataFrame({"nama1": ["Zaporiz'ke"], "ppl": [1200], "inspireid": ["z1"],
                      "icc": ["UA"]}, geometry=[Point(37.0, 48.2)],
                     crs="EPSG:4326").to_file(egm, layer="settlements")
    small = {"min_population": 300_000}  # a few GeoNames cities: the test is about the cache
    g1 = Gazetteer.load(egm_path=egm, **small)
    files = sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert files == ["conflicts.parquet", "districts.parquet", "index.npz", "manifest.json",
                     "places.parquet"]
    g2 = Gazetteer.load(egm_path=egm, **small)
    pd.testing.assert_frame_equal(g1.places, g2.places)
    m = g2.find("Zaporizke")
    assert m.place.ident == "egm:z1" or any(c.ident == "egm:z1" for c in m.candidates)
    # a damaged entry is rebuilt, not trusted
    part = next((tmp_path / "cache").rglob("places.parquet"))
    part.write_bytes(b"garbage")
    g3 = Gazetteer.load(egm_path=egm, **small)
    assert len(g3.places) == len(g1.places)
    # so is a damaged lookup index
    part = next((tmp_path / "cache").rglob("index.npz"))
    part.write_bytes(b"garbage")
    g4 = Gazetteer.load(egm_path=egm, **small)
    assert g4.find("Zaporizke").place == m.place
    pd.testing.assert_frame_equal(g4.places, g1.places)


def test_pick_ukrainian_prefers_the_form_romanised_as_the_geonames_name():
    alts = ["Brovary", "Brovari", "Бровари", "Броварі", "Бровары"]
    assert pick_ukrainian(alts, "Brovary", alts, key=name_key) == "Бровари"


def test_latin_name_when_no_ukrainian_one():
    from supplyline.data.romanise import looks_kmu, pick_kmu_latin

    assert looks_kmu("Kadiivka") and not looks_kmu("Kadiyivka") and not looks_kmu("Kal'mius'ke")
    assert pick_kmu_latin("Kadiyivka", ["Kadievka", "Kadiivka", "Kadiïvka"], name_key) == \
        "Kadiivka"
    assert pick_kmu_latin("Kal'mius'ke", ["Komsomolske"], name_key) == "Kalmiuske"
