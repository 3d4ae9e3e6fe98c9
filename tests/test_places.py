import pytest

from supplyline.data.places import name_key
from supplyline.errors import PlaceNotFoundError


def test_name_key_folds_transliterations():
    assert name_key("Slovyansk") == name_key("Sloviansk")
    assert name_key("Kostiantynivka") == name_key("Kostyantynivka")
    assert name_key("Pokrovs'k") == name_key("Pokrovsk")
    assert name_key("Kramatorsk") != name_key("Pokrovsk")


@pytest.mark.parametrize("query,expected", [
    ("Slovyansk", "Slovyansk"), ("Sloviansk", "Slovyansk"),
    ("Kostiantynivka", "Kostyantynivka"), ("Kostyantynivka", "Kostyantynivka"),
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
