"""Ukrainian national romanisation (KMU 2010) and picking the Ukrainian name of a place.

The official transliteration of Ukrainian into Latin letters (Resolution 55 of the
Cabinet of Ministers of Ukraine, 27 January 2010) is what Ukrainian authorities, maps and
most English-language reporting use: Sloviansk, Kostiantynivka, Zaporizhzhia, Kupiansk,
Huliaipole. It is a plain letter-for-letter table with three refinements:

- Є, Ї, Й, Ю, Я are written Ye, Yi, Y, Yu, Ya at the start of a word and ie, i, i, iu, ia
  elsewhere;
- the soft sign and the apostrophe are not written;
- the pair "зг" is written "zgh" (Zghurivka), to keep it apart from "ж" (zh).

GeoNames lists a place's names in many languages without saying which is which; the
Ukrainian one is picked from its Cyrillic alternates by the letters only Ukrainian uses
(і ї є ґ, the apostrophe) against those only Russian uses (ы э ъ ё) and Russian word
endings, and by whether its romanisation agrees with a Latin name of the same place
(:func:`pick_ukrainian`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

#: KMU 2010, letters inside a word.
KMU_2010: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
    "я": "ia",
}
#: KMU 2010, letters at the start of a word.
KMU_2010_INITIAL: dict[str, str] = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
#: Letters of Russian (and Belarusian) not in Ukrainian: romanised as in common use, so
#: that a Russian spelling typed by a user still gives a usable lookup key.
_NON_UKRAINIAN = {"ы": "y", "э": "e", "ъ": "", "ё": "e", "ў": "u"}
APOSTROPHES = "'’ʼ`´ʹ‘"
_CYRILLIC = set(KMU_2010) | set(_NON_UKRAINIAN)
_UKRAINIAN_ONLY = set("іїєґ")
_RUSSIAN_ONLY = set("ыэъёў")  # and Belarusian ў
#: Russian word endings with no Ukrainian counterpart spelt the same way.
_RUSSIAN_ENDINGS = ("ое", "ый", "ая", "ск", "цк", "ово", "ево", "ино", "ье", "овка", "евка",
                    "ское", "ская", "ский")


def is_cyrillic(text: str) -> bool:
    """True when ``text`` has Cyrillic letters and no Latin ones."""
    letters = [ch for ch in text.lower() if ch.isalpha()]
    return bool(letters) and all(ch in _CYRILLIC for ch in letters)


def romanise_uk(text: str) -> str:
    """``text`` (Ukrainian Cyrillic) in the KMU 2010 national romanisation.

    Characters that are not Cyrillic letters (spaces, hyphens, digits, Latin letters) are
    kept; the case of each letter is kept on the first letter of its romanisation
    (``"Щ"`` -> ``"Shch"``, ``"ЩО"`` -> ``"SHCHO"``).

    >>> romanise_uk("Запоріжжя"), romanise_uk("Гуляйполе"), romanise_uk("Слов'янськ")
    ('Zaporizhzhia', 'Huliaipole', 'Sloviansk')
    """
    text = unicodedata.normalize("NFC", _strip_accents(text))
    out: list[str] = []
    word_start = True
    prev = ""
    for i, ch in enumerate(text):
        low = ch.lower()
        if low in APOSTROPHES:
            continue  # the apostrophe is not written; a word goes on after it
        if low not in _CYRILLIC:
            out.append(ch)
            word_start = not ch.isalpha()
            prev = ""
            continue
        if low == "г" and prev == "з":
            lat = "gh"
        elif word_start and low in KMU_2010_INITIAL:
            lat = KMU_2010_INITIAL[low]
        else:
            lat = KMU_2010.get(low, _NON_UKRAINIAN.get(low, ""))
        if ch != low and lat:
            nxt = text[i + 1] if i + 1 < len(text) else ""
            whole_upper = nxt.isalpha() and nxt.isupper()
            lat = lat.upper() if whole_upper else lat[0].upper() + lat[1:]
        out.append(lat)
        word_start = False
        prev = low
    return "".join(out)


def _strip_accents(text: str) -> str:
    """Drop combining stress marks (GeoNames writes some names with them: "Караджи́")
    while keeping й and ї (which decompose into a letter and a combining mark)."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = []
    for ch in decomposed:
        if unicodedata.combining(ch) and ch not in ("\u0306", "\u0308"):  # breve, diaeresis
            continue
        kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept))


def ukrainian_score(name: str) -> int:
    """How Ukrainian a Cyrillic name looks: positive for letters and endings only Ukrainian
    uses, very negative for Russian-only letters, negative for Russian endings."""
    low = name.lower()
    if set(low) & _RUSSIAN_ONLY:
        return -10
    score = 2 * len(set(low) & _UKRAINIAN_ONLY)
    if any(a in low for a in APOSTROPHES):
        score += 1
    for word in re.split(r"[\s-]+", low):
        if word.endswith(_RUSSIAN_ENDINGS):
            score -= 2
    return score


def _latin_key(text: str) -> str:
    return re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", text.lower()))


#: How alike (difflib ratio of spelling-folded keys) a Cyrillic name's romanisation and
#: the GeoNames name must be when they are not the same word: GeoNames names are often a
#: transliteration of the Russian form ("Tankovoye" for Танкове).
AGREEMENT = 0.88


def pick_ukrainian(alternates: Iterable[str], name: str, latin_names: Iterable[str] = (),
                   key=None) -> str:
    """The Ukrainian Cyrillic name of the place called ``name`` (its GeoNames name) among
    its ``alternates``, or "" when none is credible.

    A candidate is a Cyrillic alternate without Russian-only letters whose romanisation
    agrees with ``name`` (the same spelling-folded ``key``, or at least
    :data:`AGREEMENT` alike): an old name ("Димитров" for Myrnohrad) or a name in another
    language is never taken. Among candidates: the same key first, then one romanised
    exactly as ``name`` ("Бровари" for Brovary, not the variant "Броварі"), then the most
    Ukrainian-looking (:func:`ukrainian_score`), then one whose romanisation is among
    ``latin_names`` letter for letter, then one without a hyphen (GeoNames lists both
    "Гуляйполе" and the older "Гуляй-Поле")."""
    import difflib

    key = key or _latin_key
    exact = {str(n) for n in latin_names if n}
    target = key(name)
    best: tuple | None = None
    for alt in alternates:
        alt = _strip_accents(str(alt)).strip()
        if not is_cyrillic(alt) or "район" in alt.lower():
            continue
        score = ukrainian_score(alt)
        if score < 0:
            continue
        rom = romanise_uk(alt)
        k = key(rom)
        same = k == target
        if not same and difflib.SequenceMatcher(None, k, target).ratio() < AGREEMENT:
            continue
        cand = (same, rom == name, score, rom in exact, "-" not in alt)
        if best is None or cand > best[0]:
            best = (cand, alt)
    return best[1] if best else ""


_NOT_KMU = re.compile(r"(?i)[a-z]y[aeiou]|[jwqx]|[a-z]ye|[^\x00-\x7f]|[" + APOSTROPHES + "]")


def looks_kmu(name: str) -> bool:
    """True when a Latin name could be KMU 2010 romanisation: plain ASCII letters, no
    apostrophe, no j/w/q/x, and no "y" before a vowel inside a word (KMU writes ia, iu,
    ie, i there: "Kadiivka", not "Kadiyivka")."""
    return bool(name.strip()) and not _NOT_KMU.search(name)


def pick_kmu_latin(name: str, latin_names: Iterable[str], key) -> str:
    """For a place without a Ukrainian Cyrillic name: the Latin name among
    ``latin_names`` with the same spelling-folded ``key`` as ``name`` that looks like
    KMU 2010 (:func:`looks_kmu`), else ``name`` without apostrophes."""
    target = key(name)
    plain = "".join(ch for ch in name if ch not in APOSTROPHES).strip()
    if looks_kmu(plain):
        return plain
    for n in latin_names:
        n = str(n).strip()
        if looks_kmu(n) and key(n) == target and n[:1].isupper():
            return n
    return plain
