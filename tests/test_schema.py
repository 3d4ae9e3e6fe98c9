"""One output schema: every result's JSON validates against the JSON Schema derived from
its dataclass, carries only plain JSON values (no NaN, inf or ""), and names the same
concept with the same key everywhere."""

from __future__ import annotations

import json

import jsonschema
import pytest

from supplyline.analysis import queries
from supplyline.analysis.results import RESULT_TYPES, json_schema

CITY_KEYS = {"id", "name", "lon", "lat", "oblast", "population", "source", "name_uk"}


def _walk(obj, path=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, obj


@pytest.mark.parametrize("kind", sorted(RESULT_TYPES))
def test_schemas_are_valid_json_schema(kind):
    schema = json_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$ref"].endswith(RESULT_TYPES[kind].__name__)


def _results(ws):
    day = "2025-06-01"
    return {
        "status": queries.status(ws, "Pokrovsk", day),
        "routes": queries.routes(ws, "Pokrovsk", day, to=["Dnipro"]),
        "encirclement": queries.encirclement(ws, "Pokrovsk", day),
        "distance": queries.distance(ws, "Pokrovsk", day, road="М-04", rail=True,
                                     route_to="Dnipro"),
        "places": queries.places(ws, day, oblast="UA-14", top=3, since="2025-01-01"),
        "axes": queries.axes(ws, "Pokrovsk", day, ["W", "NE"]),
    }


def test_every_result_validates_and_is_plain_json(ws):
    for kind, res in _results(ws).items():
        doc = res.to_dict()
        jsonschema.validate(doc, json_schema(kind))
        text = json.dumps(doc, allow_nan=False)  # no NaN or inf anywhere
        again = json.loads(text)
        assert again == doc, kind
        for path, v in _walk(doc):
            assert v != "", f"{kind}{path}: empty string (missing values are null)"
        if "city" in doc:
            assert set(doc["city"]) == CITY_KEYS, kind
        if "date" in doc:
            assert len(doc["date"]) == 10 and doc["date"][4] == "-", kind


def test_same_concept_same_key(ws):
    res = _results(ws)
    s, r, e = (res[k].to_dict() for k in ("status", "routes", "encirclement"))
    for key in ("distance_to_front_km", "distance_to_held_km", "centre_held", "data_date"):
        assert s[key] == r[key] == e[key], key
    hub = r["modes"]["road"]["hubs"][0]
    assert set(hub["hub"]) == CITY_KEYS
    assert "min_clearance_km" in hub["safest"] and "length_km" in hub["safest"]
