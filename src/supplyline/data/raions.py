"""Raions (districts of an oblast, as reorganised in July 2020) of the oblasts on and
behind the front, for "Name, Raion" lookups.

No raion boundaries are in the project's data (EuroGlobalMap's ``admin_areas`` carry
pre-2020 raion codes without names, and GeoNames as packaged has no second-level codes),
so a raion is located by its administrative centre: "Novoselivka, Pokrovskyi raion" means
the Novoselivka of Donetsk Oblast nearest to Pokrovsk, within
:data:`RAION_RADIUS_KM`. The 2020 raions of these oblasts are 40-110 km across, so the
radius covers a raion from its centre while it keeps apart places of the same name in
neighbouring raions only as far as their distances from the centre differ; the lookup
says so in its note.

Each entry: ISO 3166-2 code of the oblast, the raion's name (KMU 2010 romanisation of its
Ukrainian adjective form) and its centre as a place name the gazetteer knows (current
name). Renamed centres list the raion's current name (Samarivskyi, Berestynskyi).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: How far from a raion's centre a place named with "Name, Raion" is looked for.
RAION_RADIUS_KM = 60.0


@dataclass(frozen=True)
class Raion:
    oblast_iso: str
    name: str
    centre: str

    @property
    def label(self) -> str:
        return f"{self.name} raion"


RAIONS: tuple[Raion, ...] = tuple(Raion(*r) for r in (
    # Donetsk Oblast
    ("UA-14", "Bakhmutskyi", "Bakhmut"), ("UA-14", "Volnovaskyi", "Volnovakha"),
    ("UA-14", "Horlivskyi", "Horlivka"), ("UA-14", "Donetskyi", "Donetsk"),
    ("UA-14", "Kalmiuskyi", "Kalmiuske"), ("UA-14", "Kramatorskyi", "Kramatorsk"),
    ("UA-14", "Mariupolskyi", "Mariupol"), ("UA-14", "Pokrovskyi", "Pokrovsk"),
    # Luhansk Oblast
    ("UA-09", "Alchevskyi", "Alchevsk"), ("UA-09", "Dovzhanskyi", "Dovzhansk"),
    ("UA-09", "Luhanskyi", "Luhansk"), ("UA-09", "Rovenkivskyi", "Rovenky"),
    ("UA-09", "Svativskyi", "Svatove"), ("UA-09", "Sievierodonetskyi", "Sievierodonetsk"),
    ("UA-09", "Starobilskyi", "Starobilsk"), ("UA-09", "Shchastynskyi", "Shchastia"),
    # Kharkiv Oblast
    ("UA-63", "Bohodukhivskyi", "Bohodukhiv"), ("UA-63", "Iziumskyi", "Izium"),
    ("UA-63", "Berestynskyi", "Krasnohrad"), ("UA-63", "Krasnohradskyi", "Krasnohrad"),
    ("UA-63", "Kupianskyi", "Kupiansk"), ("UA-63", "Lozivskyi", "Lozova"),
    ("UA-63", "Kharkivskyi", "Kharkiv"), ("UA-63", "Chuhuivskyi", "Chuhuiv"),
    # Zaporizhzhia Oblast
    ("UA-23", "Berdianskyi", "Berdiansk"), ("UA-23", "Vasylivskyi", "Vasylivka"),
    ("UA-23", "Zaporizkyi", "Zaporizhzhia"), ("UA-23", "Melitopolskyi", "Melitopol"),
    ("UA-23", "Polohivskyi", "Polohy"),
    # Dnipropetrovsk Oblast
    ("UA-12", "Dniprovskyi", "Dnipro"), ("UA-12", "Kamianskyi", "Kamianske"),
    ("UA-12", "Kryvorizkyi", "Kryvyi Rih"), ("UA-12", "Nikopolskyi", "Nikopol"),
    ("UA-12", "Samarivskyi", "Novomoskovsk"), ("UA-12", "Novomoskovskyi", "Novomoskovsk"),
    ("UA-12", "Pavlohradskyi", "Pavlohrad"), ("UA-12", "Synelnykivskyi", "Synelnykove"),
    # Kherson Oblast
    ("UA-65", "Beryslavskyi", "Beryslav"), ("UA-65", "Henicheskyi", "Henichesk"),
    ("UA-65", "Kakhovskyi", "Kakhovka"), ("UA-65", "Skadovskyi", "Skadovsk"),
    ("UA-65", "Khersonskyi", "Kherson"),
    # Mykolaiv Oblast
    ("UA-48", "Bashtanskyi", "Bashtanka"), ("UA-48", "Voznesenskyi", "Voznesensk"),
    ("UA-48", "Mykolaivskyi", "Mykolaiv"), ("UA-48", "Pervomaiskyi", "Pervomaisk"),
    # Sumy Oblast
    ("UA-59", "Konotopskyi", "Konotop"), ("UA-59", "Okhtyrskyi", "Okhtyrka"),
    ("UA-59", "Romenskyi", "Romny"), ("UA-59", "Sumskyi", "Sumy"),
    ("UA-59", "Shostkynskyi", "Shostka"),
))

_QUALIFIER = re.compile(r"(?i)\s*\b(raion|rayon|rajon|district|r-n|р-н|район|районі)\b\.?\s*")


def raion_words(text: str) -> tuple[str, bool]:
    """``text`` without the word "raion" (or "district", "район" ...) and whether it had
    one: ``"Pokrovskyi raion"`` -> ``("Pokrovskyi", True)``."""
    stripped, n = _QUALIFIER.subn(" ", text)
    return stripped.strip(), n > 0


def find_raions(text: str, key) -> list[Raion]:
    """Raions that ``text`` names ("Pokrovskyi raion", "Pokrovsk district", "Покровський
    район", or the bare adjective "Pokrovskyi"); ``key`` is the spelling-folding key of
    the gazetteer. A bare centre name ("Pokrovsk") names a raion only with the word
    "raion" or "district"."""
    words, qualified = raion_words(text)
    k = key(words)
    if not k:
        return []
    out = [r for r in RAIONS if key(r.name) == k]
    if not out and qualified:
        out = [r for r in RAIONS if key(r.centre) == k]
    return out
