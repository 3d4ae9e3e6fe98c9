"""Messages in English and Ukrainian: one gettext catalogue, the active language.

English is the source language (the message ids); Ukrainian comes from the gettext
catalogue ``locale/uk/LC_MESSAGES/supplyline.po`` shipped inside the package. The ``.po``
file is the only copy (text, reviewable in a diff, no build step): on first use it is
compiled in memory to the standard ``.mo`` format and read by :class:`gettext.GNUTranslations`,
so plural forms and contexts follow gettext exactly. A fresh install from the registry
therefore needs nothing but the package. To add or change messages::

    pybabel extract -F babel.cfg -o src/supplyline/locale/supplyline.pot src
    pybabel update -i src/supplyline/locale/supplyline.pot -d src/supplyline/locale \\
        -D supplyline -l uk

(Babel is a development tool only; ``tests/test_i18n.py`` fails when a message of the
source has no Ukrainian translation.)

Use
---
>>> from supplyline.i18n import _, use_language
>>> with use_language("uk"):
...     _("Held territory")
'Утримувана територія'

The active language is a context variable: :func:`set_language` (the CLI's ``--lang``),
:func:`use_language` (a block, e.g. one web request), otherwise ``SUPPLYLINE_LANG``
(:attr:`supplyline.settings.Settings.lang`), otherwise English. :func:`negotiate` picks a
language from a browser's ``Accept-Language`` header; :func:`catalogue` gives every
translation of a language as a dict (for a web page's JavaScript).

Wording is neutral in both languages: "held territory" is *утримувана територія*, the
front *лінія фронту*, a side *сторона*.
"""

from __future__ import annotations

import ast
import gettext
import html
import io
import json
import re
import struct
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

from .errors import InvalidArgumentError
from .settings import get_settings

#: Languages with a catalogue (English is the source language).
LANGUAGES = ("en", "uk")
DEFAULT_LANGUAGE = "en"
DOMAIN = "supplyline"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_ALIASES = {"ua": "uk", "ukr": "uk", "eng": "en"}
_active: ContextVar[str | None] = ContextVar("supplyline_language", default=None)


def normalise(lang: str | None) -> str | None:
    """``lang`` as one of :data:`LANGUAGES` (``uk_UA.UTF-8``, ``uk-UA``, ``UA`` all give
    ``uk``); None for None or an empty string.

    Raises
    ------
    InvalidArgumentError
        For a language without a catalogue (one line, naming the value).
    """
    if lang is None or not str(lang).strip():
        return None
    code = str(lang).strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    code = _ALIASES.get(code, code)
    if code not in LANGUAGES:
        msg = f"language {lang!r}: expected one of {', '.join(LANGUAGES)}"
        raise InvalidArgumentError(msg)
    return code


def get_language() -> str:
    """The active language: set for this context, else ``SUPPLYLINE_LANG``, else English
    (also when ``SUPPLYLINE_LANG`` names a language without a catalogue: the CLI reports
    that as an error with :func:`check_environment`, a message must still be shown)."""
    lang = _active.get()
    if lang is not None:
        return lang
    try:
        return normalise(get_settings().lang) or DEFAULT_LANGUAGE
    except InvalidArgumentError:
        return DEFAULT_LANGUAGE


def check_environment() -> None:
    """Raise :class:`InvalidArgumentError` when ``SUPPLYLINE_LANG`` is not a language of
    :data:`LANGUAGES`."""
    value = get_settings().lang
    try:
        normalise(value)
    except InvalidArgumentError:
        msg = f"SUPPLYLINE_LANG {value!r}: expected one of {', '.join(LANGUAGES)}"
        raise InvalidArgumentError(msg) from None


def set_language(lang: str | None) -> str:
    """Make ``lang`` (None: back to the default) the active language of this context;
    returns the language now active."""
    _active.set(normalise(lang))
    return get_language()


@contextmanager
def use_language(lang: str | None) -> Iterator[str]:
    """The block runs with ``lang`` active (None: the default), then the previous one."""
    token = _active.set(normalise(lang))
    try:
        yield get_language()
    finally:
        _active.reset(token)


def negotiate(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The best of :data:`LANGUAGES` for an HTTP ``Accept-Language`` header
    (``"uk-UA,uk;q=0.9,en;q=0.8"`` gives ``uk``); ``default`` when none fits."""
    best, best_q = default, -1.0
    for part in (accept_language or "").split(","):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            k, _eq, v = p.strip().partition("=")
            if k == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        try:
            code = normalise(tag) if tag and tag != "*" else None
        except InvalidArgumentError:
            code = None
        if code is not None and q > best_q:
            best, best_q = code, q
    return best


# --------------------------------------------------------------------------- lookups

def translations(lang: str | None = None) -> gettext.NullTranslations:
    """The gettext translations of ``lang`` (default: the active language)."""
    return _translations(normalise(lang) or get_language())


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    path = po_path(lang)
    return gettext.GNUTranslations(io.BytesIO(compile_po(path.read_text(encoding="utf-8"))))


def po_path(lang: str) -> Path:
    """The ``.po`` catalogue of ``lang``."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _(message: str) -> str:
    """``message`` (English) in the active language."""
    return translations().gettext(message)


gettext_ = _


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n`` in the active language (Ukrainian has three
    forms: 1 / 2-4 / 5+)."""
    return translations().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the active language, disambiguated by ``context`` (e.g. the band
    name ``"contact"`` in context ``"band"``)."""
    return translations().pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it now (module constants)."""
    return message


# --------------------------------------------------------------------------- domain words

#: Default threat band names, modes, route kinds and event kinds shown translated (a
#: profile's own band names are shown as given).
BAND_LABELS = {"held": N_("held"), "contact": N_("contact"), "fpv": N_("fpv"),
               "tube": N_("tube"), "rocket": N_("rocket"), "beyond": N_("beyond")}
ROUTE_KINDS = {"peacetime": N_("peacetime"), "avoid_held": N_("avoid held"),
               "safest": N_("safest")}
MODES = {"road": N_("road"), "rail": N_("rail")}
EVENT_KINDS = {"band_entered": N_("front entered a band"),
               "centre_held": N_("centre held"), "route_cut": N_("route cut"),
               "route_under_fire": N_("route under fire"),
               "route_reopened": N_("route reopened"), "route_eased": N_("route eased"),
               "routes_dropped": N_("fewer independent routes"),
               "line_reached": N_("line reached")}


def band_label(name: str) -> str:
    """A band's name for display (the default names translated)."""
    return _(BAND_LABELS[name]) if name in BAND_LABELS else name


def status_label(status: str | None) -> str:
    """A route status for display: ``open``, ``cut``, ``under fire (BAND)``."""
    if status is None:
        return "-"
    if status == "open":
        return _("open")
    if status == "cut":
        return _("cut")
    if status.startswith("under fire (") and status.endswith(")"):
        return _("under fire ({band})").format(band=band_label(status[12:-1]))
    return status


def route_kind_label(kind: str) -> str:
    """A route kind (peacetime, avoid_held, safest) for display."""
    return _(ROUTE_KINDS[kind]) if kind in ROUTE_KINDS else kind


def mode_label(mode: str) -> str:
    """A network mode (road, rail) for display."""
    return _(MODES[mode]) if mode in MODES else mode


def event_kind_label(kind: str) -> str:
    """An event kind (``route_cut``, ...) for display."""
    return _(EVENT_KINDS[kind]) if kind in EVENT_KINDS else kind.replace("_", " ")


def oblast_label(name: str) -> str:
    """An oblast's English name (``Donetsk Oblast``) in the active language."""
    return pgettext("oblast", name)


def place_name(place: Any, lang: str | None = None) -> str:
    """A place's name in ``lang`` (default: the active language): the Ukrainian Cyrillic
    name where the data has one and Ukrainian is asked for, else the official
    romanisation. ``place`` is a :class:`~supplyline.analysis.results.PlaceRef`, a
    :class:`~supplyline.data.places.Place` or their ``to_dict()``."""
    get = place.get if isinstance(place, dict) else lambda k, d=None: getattr(place, k, d)
    name = get("name") or ""
    if (normalise(lang) or get_language()) == "uk":
        return get("name_uk") or name
    return name


def catalogue(lang: str | None = None) -> dict[str, str]:
    """Every translated message of ``lang`` as ``{english: translation}`` (contexts as
    ``"context\\x04message"``; plural forms left out). English gives ``{}``."""
    code = normalise(lang) or get_language()
    if code == DEFAULT_LANGUAGE:
        return {}
    entries, _header = parse_po(po_path(code).read_text(encoding="utf-8"))
    return {_key(e): e["msgstr"][0] for e in entries
            if e["msgid"] and "msgid_plural" not in e and e["msgstr"][0]}


# --------------------------------------------------------------------------- extraction

#: Functions whose literal arguments are message ids: name -> (context arg, id args).
KEYWORDS = {"_": (None, (0,)), "N_": (None, (0,)), "gettext_": (None, (0,)),
            "ngettext": (None, (0, 1)), "pgettext": (0, (1,))}


def extract_messages(paths: Iterable[Path]) -> set[tuple[str | None, str, str | None]]:
    """The message ids of Python sources: ``(context, msgid, msgid_plural)`` of every
    call of :data:`KEYWORDS` with literal strings, and (for Rich tables shown through
    ``cli.render.Table``) of literal ``Table(title=...)`` and ``add_column(...)``
    arguments, also when the headers come from a literal tuple in a ``for`` loop. What
    ``pybabel extract`` finds, plus the table headers."""
    import ast

    found: set[tuple[str | None, str, str | None]] = set()

    def lit(node: ast.AST) -> str | None:
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) \
            else None

    for path in paths:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"), str(path))
        uses_table = "render.py" in str(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(
                    f, ast.Attribute) else None
                if name in KEYWORDS:
                    ctx_i, id_i = KEYWORDS[name]
                    args = [lit(a) for a in node.args]
                    msgid = args[id_i[0]] if len(args) > max(id_i) else None
                    if msgid and all(args[i] for i in id_i):
                        ctx = args[ctx_i] if ctx_i is not None else None
                        found.add((ctx, msgid, args[id_i[1]] if len(id_i) > 1 else None))
                elif uses_table and name == "Table":
                    for kw in node.keywords:
                        if kw.arg == "title" and (title := lit(kw.value)):
                            found.add((None, title, None))
                elif uses_table and name == "add_column" and node.args and \
                        (header := lit(node.args[0])):
                    found.add((None, header, None))
            elif uses_table and isinstance(node, ast.For) and \
                    isinstance(node.iter, ast.Tuple | ast.List):
                body = ast.dump(ast.Module(body=node.body, type_ignores=[]))
                if "add_column" in body:
                    for el in node.iter.elts:
                        if text := lit(el):
                            found.add((None, text, None))
    return found


#: ``SL.t("...")`` (or ``t("...")`` inside common.js) in the front-end scripts: the
#: literal first argument, in double quotes (JSON string syntax).
_JS_MESSAGE = re.compile(r'(?<![\w$.])(?:SL\.)?t\(\s*"((?:[^"\\\n]|\\.)*)"')
#: ``data-i18n="..."``, ``data-i18n-title="..."``, ... in the front-end pages.
_HTML_MESSAGE = re.compile(r'\sdata-i18n(?:-[a-z-]+)?="([^"]*)"')


def extract_frontend_messages(paths: Iterable[Path]) -> set[tuple[str | None, str, str | None]]:
    """The message ids of the web front-end: the literal first argument of every
    ``SL.t("...")`` in ``.js`` files and every ``data-i18n*="..."`` value in ``.html``
    files, as ``(None, msgid, None)``."""
    found: set[tuple[str | None, str, str | None]] = set()
    for path in paths:
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".js":
            found |= {(None, json.loads(f'"{m}"'), None) for m in _JS_MESSAGE.findall(text)}
        elif path.suffix == ".html":
            found |= {(None, html.unescape(m), None) for m in _HTML_MESSAGE.findall(text)}
    return found - {(None, "", None)}


def missing_translations(lang: str = "uk", root: Path | None = None
                         ) -> list[tuple[str | None, str, str | None]]:
    """Message ids of the package sources (:func:`extract_messages`, and the front-end's
    :func:`extract_frontend_messages`) without a
    translation (or fuzzy) in the ``lang`` catalogue."""
    src = root or Path(__file__).resolve().parent
    entries, _header = parse_po(po_path(lang).read_text(encoding="utf-8"))
    done = {(e.get("msgctxt"), e["msgid"]) for e in entries
            if not e["fuzzy"] and all(e["msgstr"])}
    found = extract_messages(sorted(src.rglob("*.py"))) | extract_frontend_messages(
        sorted([*src.rglob("frontend/*.js"), *src.rglob("frontend/*.html")]))
    return sorted((m for m in found if (m[0], m[1]) not in done),
                  key=lambda m: (m[0] or "", m[1]))


# --------------------------------------------------------------------------- .po reader

def parse_po(text: str) -> tuple[list[dict[str, Any]], str]:
    """The entries of a gettext ``.po`` file and its header.

    Each entry is ``{"msgctxt"?, "msgid", "msgid_plural"?, "msgstr": [forms], "fuzzy"}``;
    obsolete entries (``#~``) are skipped. Raises :class:`ValueError` naming the line of
    a malformed entry."""
    entries: list[dict[str, Any]] = []
    cur: dict[str, Any] = {}
    key: tuple[str, int] | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal cur, key, fuzzy
        if "msgid" in cur:
            forms = cur.pop("forms", {})
            cur["msgstr"] = [forms[i] for i in sorted(forms)] or [""]
            cur["fuzzy"] = fuzzy
            entries.append(cur)
        cur, key, fuzzy = {}, None, False

    # gettext lines end at "\n" only (str.splitlines would also split at \x1c-\x1e, \x85..)
    for lineno, raw in enumerate(text.split("\n"), 1):
        line = raw.strip(" \t\r")
        if not line:
            flush()
            continue
        if line.startswith("#"):
            if line.startswith("#,") and "fuzzy" in line:
                if "msgid" in cur:
                    flush()
                fuzzy = True
            continue
        if line.startswith('"'):
            if key is None:
                raise ValueError(f"line {lineno}: a string continues no keyword")
            _append(cur, key, _unquote(line, lineno))
            continue
        word, _sp, rest = line.partition(" ")
        rest = rest.strip(" \t")
        if word in ("msgctxt", "msgid") and ("msgstr" in cur or "forms" in cur):
            flush()
        if word.startswith("msgstr[") and word.endswith("]"):
            key = ("forms", int(word[7:-1]))
        elif word == "msgstr":
            key = ("forms", 0)
        elif word in ("msgctxt", "msgid", "msgid_plural"):
            key = (word, -1)
        else:
            raise ValueError(f"line {lineno}: unknown keyword {word!r}")
        _append(cur, key, _unquote(rest, lineno), start=True)
        if key[0] == "forms":
            cur["msgstr"] = True  # a msgstr seen: the next msgid starts a new entry
    flush()
    header = next((e["msgstr"][0] for e in entries if e["msgid"] == "" and
                   "msgctxt" not in e), "")
    return [e for e in entries if e["msgid"] != "" or "msgctxt" in e], header


def _append(cur: dict[str, Any], key: tuple[str, int], s: str, start: bool = False) -> None:
    name, index = key
    if name == "forms":
        forms = cur.setdefault("forms", {})
        forms[index] = s if start else forms.get(index, "") + s
    else:
        cur[name] = s if start else cur.get(name, "") + s


def _unquote(s: str, lineno: int) -> str:
    if len(s) < 2 or not (s.startswith('"') and s.endswith('"')):
        raise ValueError(f"line {lineno}: expected a quoted string, got {s!r}")
    try:
        value = ast.literal_eval(s)
    except (ValueError, SyntaxError):
        raise ValueError(f"line {lineno}: bad string {s!r}") from None
    if not isinstance(value, str):
        raise ValueError(f"line {lineno}: bad string {s!r}")
    return value


def _key(entry: dict[str, Any]) -> str:
    ctx = entry.get("msgctxt")
    return entry["msgid"] if ctx is None else f"{ctx}\x04{entry['msgid']}"


def compile_po(text: str) -> bytes:
    """A ``.po`` catalogue as the bytes of a ``.mo`` file (GNU format, as ``msgfmt``
    writes it: fuzzy and untranslated entries left out)."""
    entries, header = parse_po(text)
    pairs: dict[bytes, bytes] = {b"": header.encode()}
    for e in entries:
        if e["fuzzy"] or not all(e["msgstr"]):
            continue
        key = _key(e)
        if "msgid_plural" in e:
            key += "\x00" + e["msgid_plural"]
        pairs[key.encode()] = "\x00".join(e["msgstr"]).encode()
    keys = sorted(pairs)
    ids = b"".join(k + b"\x00" for k in keys)
    strs = b"".join(pairs[k] + b"\x00" for k in keys)
    n = len(keys)
    start = 7 * 4 + 16 * n
    koffs: list[int] = []
    voffs: list[int] = []
    pos = 0
    for k in keys:
        koffs += [len(k), start + pos]
        pos += len(k) + 1
    pos = 0
    for k in keys:
        voffs += [len(pairs[k]), start + len(ids) + pos]
        pos += len(pairs[k]) + 1
    head = struct.pack("Iiiiiii", 0x950412DE, 0, n, 7 * 4, 7 * 4 + 8 * n, 0, 0)
    return head + struct.pack(f"{2 * n}i", *koffs) + struct.pack(f"{2 * n}i", *voffs) + ids + strs


__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "N_", "_", "band_label", "catalogue",
           "check_environment", "compile_po", "event_kind_label", "extract_frontend_messages",
           "extract_messages",
           "get_language", "missing_translations", "mode_label", "negotiate", "ngettext",
           "normalise", "oblast_label", "parse_po", "pgettext", "place_name",
           "route_kind_label", "set_language", "status_label", "translations",
           "use_language"]
