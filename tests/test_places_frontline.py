"""Front-line places as reporting names them, resolved on the real data.

Each row: the name as written, the city it is named relative to (or None), the expected
oblast and the agreed location (lat, lon) the resolved point must lie within 2 km of.
The locations were written down independently and then checked against both GeoNames
and the EuroGlobalMap settlement point (where EGM has one, the two sources agree within
2 km of it except where ``Gazetteer.check()`` lists a conflict, e.g. Huliaipole).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from pyproj import Geod

from supplyline.errors import PlaceNotFoundError

pytestmark = pytest.mark.realdata
GEOD = Geod(ellps="WGS84")

FRONT_LINE = [
    ('Pokrovsk', None, 'Donetsk Oblast', 48.282, 37.176),
    ('Myrnohrad', None, 'Donetsk Oblast', 48.303, 37.262),
    ('Kramatorsk', None, 'Donetsk Oblast', 48.728, 37.561),
    ('Sloviansk', None, 'Donetsk Oblast', 48.853, 37.605),
    ('Kostiantynivka', None, 'Donetsk Oblast', 48.528, 37.707),
    ('Druzhkivka', None, 'Donetsk Oblast', 48.622, 37.527),
    ('Bakhmut', None, 'Donetsk Oblast', 48.595, 38.000),
    ('Chasiv Yar', None, 'Donetsk Oblast', 48.586, 37.836),
    ('Toretsk', None, 'Donetsk Oblast', 48.397, 37.847),
    ('Avdiivka', None, 'Donetsk Oblast', 48.139, 37.743),
    ('Selydove', None, 'Donetsk Oblast', 48.148, 37.300),
    ('Kurakhove', None, 'Donetsk Oblast', 47.985, 37.282),
    ('Vuhledar', None, 'Donetsk Oblast', 47.780, 37.250),
    ('Marinka', None, 'Donetsk Oblast', 47.941, 37.503),
    ('Lyman', None, 'Donetsk Oblast', 48.989, 37.803),
    ('Siversk', None, 'Donetsk Oblast', 48.867, 38.100),
    ('Soledar', None, 'Donetsk Oblast', 48.690, 38.070),
    ('Ocheretyne', None, 'Donetsk Oblast', 48.247, 37.600),
    ('Novohrodivka', None, 'Donetsk Oblast', 48.200, 37.340),
    ('Udachne', None, 'Donetsk Oblast', 48.240, 37.000),
    ('Dachne', 'Pokrovsk', 'Donetsk Oblast', 47.990, 37.190),
    ('Velyka Novosilka', None, 'Donetsk Oblast', 47.844, 36.838),
    ('Dobropillia', None, 'Donetsk Oblast', 48.467, 37.085),
    ('Hirnyk', None, 'Donetsk Oblast', 48.050, 37.370),
    ('Krasnohorivka', None, 'Donetsk Oblast', 47.990, 37.510),
    ('Mariupol', None, 'Donetsk Oblast', 47.097, 37.543),
    ('Horlivka', None, 'Donetsk Oblast', 48.305, 38.025),
    ('Bilozerske', None, 'Donetsk Oblast', 48.533, 37.060),
    ('Huliaipole', None, 'Zaporizhzhia Oblast', 47.664, 36.257),
    ('Orikhiv', None, 'Zaporizhzhia Oblast', 47.567, 35.786),
    ('Tokmak', None, 'Zaporizhzhia Oblast', 47.255, 35.712),
    ('Polohy', None, 'Zaporizhzhia Oblast', 47.480, 36.253),
    ('Vasylivka', None, 'Zaporizhzhia Oblast', 47.442, 35.280),
    ('Zaporizhzhia', None, 'Zaporizhzhia Oblast', 47.845, 35.125),
    ('Melitopol', None, 'Zaporizhzhia Oblast', 46.849, 35.365),
    ('Enerhodar', None, 'Zaporizhzhia Oblast', 47.499, 34.656),
    ('Mala Tokmachka', None, 'Zaporizhzhia Oblast', 47.537, 35.877),
    ('Kupiansk', None, 'Kharkiv Oblast', 49.710, 37.616),
    ('Izium', None, 'Kharkiv Oblast', 49.210, 37.257),
    ('Balakliia', None, 'Kharkiv Oblast', 49.462, 36.860),
    ('Vovchansk', None, 'Kharkiv Oblast', 50.291, 36.942),
    ('Lyptsi', None, 'Kharkiv Oblast', 50.200, 36.420),
    ('Kharkiv', None, 'Kharkiv Oblast', 49.990, 36.240),
    ('Chuhuiv', None, 'Kharkiv Oblast', 49.836, 36.686),
    ('Kivsharivka', None, 'Kharkiv Oblast', 49.630, 37.690),
    ('Borova', 'Kupiansk', 'Kharkiv Oblast', 49.377, 37.625),
    ('Lozova', None, 'Kharkiv Oblast', 48.889, 36.318),
    ('Sievierodonetsk', None, 'Luhansk Oblast', 48.948, 38.491),
    ('Lysychansk', None, 'Luhansk Oblast', 48.904, 38.442),
    ('Rubizhne', None, 'Luhansk Oblast', 49.012, 38.378),
    ('Kreminna', None, 'Luhansk Oblast', 49.049, 38.218),
    ('Svatove', None, 'Luhansk Oblast', 49.410, 38.150),
    ('Starobilsk', None, 'Luhansk Oblast', 49.277, 38.910),
    ('Bilohorivka', 'Lysychansk', 'Luhansk Oblast', 48.925, 38.245),
    ('Dnipro', None, 'Dnipropetrovsk Oblast', 48.465, 35.046),
    ('Pavlohrad', None, 'Dnipropetrovsk Oblast', 48.534, 35.871),
    ('Mezhova', None, 'Dnipropetrovsk Oblast', 48.252, 36.731),
    ('Pokrovske', 'Huliaipole', 'Dnipropetrovsk Oblast', 47.982, 36.235),
    ('Petropavlivka', 'Mezhova', 'Dnipropetrovsk Oblast', 48.457, 36.437),
    ('Synelnykove', None, 'Dnipropetrovsk Oblast', 48.320, 35.517),
    ('Nikopol', None, 'Dnipropetrovsk Oblast', 47.567, 34.396),
    ('Marhanets', None, 'Dnipropetrovsk Oblast', 47.648, 34.630),
]


def km(lon1, lat1, lon2, lat2) -> float:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2] / 1000.0


@pytest.fixture(scope="module")
def gaz(ws):
    return ws.gazetteer


def test_table_spans_the_front():
    assert len(FRONT_LINE) >= 40
    oblasts = {r[2] for r in FRONT_LINE}
    assert oblasts >= {"Donetsk Oblast", "Zaporizhzhia Oblast", "Kharkiv Oblast",
                       "Dnipropetrovsk Oblast", "Luhansk Oblast"}


@pytest.mark.parametrize("query,near,oblast,lat,lon", FRONT_LINE,
                         ids=[r[0] + (f"@{r[1]}" if r[1] else "") for r in FRONT_LINE])
def test_front_line_place(gaz, query, near, oblast, lat, lon):
    ref = gaz.find(near).place if near else None
    m = gaz.find(query, near=ref)
    assert m.place.oblast == oblast, m.note()
    assert km(lon, lat, m.place.lon, m.place.lat) <= 2.0, m.note()
    assert m.place.name == query  # output spelling is the one reporting uses
    assert m.how == "exact" and not m.far and m.warning is None


def test_huliaipole_resolves_to_the_town_not_the_egm_point(gaz):
    m = gaz.find("Huliaipole")
    assert m.place.oblast == "Zaporizhzhia Oblast"
    assert km(36.2558, 47.6669, m.place.lon, m.place.lat) < 0.5
    row = gaz.places[gaz.places["ident"] == m.place.ident].iloc[0]
    assert km(row["egm_lon"], row["egm_lat"], m.place.lon, m.place.lat) == pytest.approx(
        8.4, abs=0.2)
    c = gaz.check()
    hit = c[(c["kind"] == "position") & (c["ident"] == m.place.ident)]
    assert len(hit) == 1 and hit["distance_km"].iat[0] == pytest.approx(8.4, abs=0.2)
    # the same name in Dnipropetrovsk Oblast is a candidate, listed once
    idents = [c.ident for c in m.candidates]
    assert len(idents) == len(set(idents)) == 1


@pytest.mark.parametrize("query", ["Zaporizke", "Novoheorhiivka", "Ostapivske", "Vovche",
                                   "Zaporizhzhia"])
def test_missing_villages_near_pokrovsk_are_never_resolved_silently(gaz, query):
    """Neither GeoNames (>= 500 people) nor EGM (>= 1,000) has these villages near
    Pokrovsk: the match elsewhere is flagged (far, fuzzy), and strict lookup refuses."""
    pokrovsk = gaz.find("Pokrovsk").place
    m = gaz.find(query, near=pokrovsk)
    assert m.far and m.warning and m.distance_km > 40
    assert "WARNING" in m.note()
    json.dumps(m.as_dict(), allow_nan=False)
    with pytest.raises(PlaceNotFoundError, match="within 40 km of Pokrovsk"):
        gaz.find(query, near=pokrovsk, strict=True)


def test_fuzzy_fallbacks_are_reported(gaz):
    for q in ("Ostapivske", "Vovche"):
        m = gaz.find(q)
        assert m.fuzzy and "closest spelling" in m.warning


def test_dachne_and_novoheorhiivka_without_context(gaz):
    # without a reference point the largest place of the name wins, and the Donetsk
    # Oblast village is among the candidates
    m = gaz.find("Dachne")
    assert any(c.oblast == "Donetsk Oblast" for c in [m.place, *m.candidates])
    assert gaz.find("Dachne, Donetsk Oblast").place.oblast == "Donetsk Oblast"
    assert gaz.find("Dachne, Pokrovskyi raion").place.oblast == "Donetsk Oblast"


def test_oleksandrivka_candidates_are_unique(gaz):
    m = gaz.find("Oleksandrivka")
    places = [m.place, *m.candidates]
    assert len(places) > 10
    assert len({p.ident for p in places}) == len(places)
    labels = [p.label(coords=True) for p in places]
    assert len(set(labels)) == len(labels)
    # no two candidates of the same name are the same place (within 2 km)
    same = [p for p in places if p.name == "Oleksandrivka"]
    for i, a in enumerate(same):
        for b in same[i + 1:]:
            assert km(a.lon, a.lat, b.lon, b.lat) > 2.0


@pytest.mark.parametrize("old,new", [
    ("Krasnoarmiisk", "Pokrovsk"), ("Krasnoarmeysk", "Pokrovsk"), ("Artemivsk", "Bakhmut"),
    ("Dimitrov", "Myrnohrad"), ("Dymytrov", "Myrnohrad"), ("Dzerzhynsk", "Toretsk"),
    ("Slovyansk", "Sloviansk"), ("Kupyansk", "Kupiansk"),
    ("Zaporizhzhya", "Zaporizhzhia"), ("Kostyantynivka", "Kostiantynivka"),
    ("Hulyaypole", "Huliaipole"), ("Покровськ", "Pokrovsk"), ("Гуляйполе", "Huliaipole"),
    ("Слов'янськ", "Sloviansk"), ("Severodonetsk", "Sievierodonetsk"),
])
def test_aliases_resolve_to_the_current_name(gaz, old, new):
    assert gaz.find(old).place.name == new


def test_ukrainian_name_kept(gaz):
    assert gaz.find("Pokrovsk").place.name_uk == "Покровськ"
    assert gaz.find("Huliaipole").place.name_uk == "Гуляйполе"
    assert gaz.find("Zaporizhzhia").place.as_dict()["name_uk"] == "Запоріжжя"


def test_city_districts_are_folded(gaz):
    names = set(gaz.places["name"])
    assert not {"Sotsmisto", "Sonyachnyi", "Rutchenkivskyi", "Kalynivskyi"} & names
    d = gaz.districts

    def cities(name):
        return set(d[d["name_geonames"] == name]["city"])

    assert "Kramatorsk" in cities("Sotsmisto") and "Kramatorsk" in cities("Sonyachnyi")
    assert cities("Rutchenkivskyi") == {"Donetsk"}
    kramatorsk = gaz.find("Kramatorsk").place
    assert not len(gaz.nearby(kramatorsk.xy, 3000, min_population=20_000).query(
        "ident != @kramatorsk.ident"))
    assert gaz.find("Sotsmisto").place.name == "Kramatorsk"
    # Donetsk Oblast population: no district counted next to its city
    pl = gaz.places[gaz.places["oblast"] == "Donetsk Oblast"]
    assert pl["population"].sum() < 4_500_000
    # real towns next to big cities are not folded
    assert {"Makiivka", "Yasynuvata", "Druzhkivka", "Brovary"} <= names


def test_every_place_has_an_oblast(gaz):
    assert (gaz.places["oblast"] != "").all()
    k = gaz.find("Kherson").place
    assert k.oblast == "Kherson Oblast"


def test_name_oblast_and_name_raion_forms(gaz):
    m = gaz.find("Mykolaivka, Donetsk Oblast")
    assert m.place.oblast == "Donetsk Oblast"
    m = gaz.find("Novoselivka, Pokrovskyi raion")
    assert m.place.oblast == "Donetsk Oblast" and m.distance_km <= 60
    assert "raion" in m.context
    m = gaz.find("Andriivka, Bakhmut district")
    assert m.place.name == "Andriivka" and m.distance_km <= 60
    with pytest.raises(PlaceNotFoundError):
        gaz.find("Huliaipole, Pokrovskyi raion")


def test_summary_figures(gaz):
    s = gaz.summary()
    assert s["places"] == len(gaz.places)
    assert s["geonames_and_egm"] > 1000 and s["egm_only"] > 500
    assert s["districts_folded"] >= 20 and s["no_oblast"] == 0
    assert np.isfinite(gaz.check()["distance_km"].dropna()).all()
