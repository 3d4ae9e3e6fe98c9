"""Ukrainian and English: the catalogue is complete and consistent, the .po reader is
exact, the language is chosen by --lang / SUPPLYLINE_LANG / Accept-Language, and the CLI
shows Ukrainian headers and place names."""

from __future__ import annotations

import gettext
import io
import re
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supplyline import i18n
from supplyline.errors import InvalidArgumentError
from supplyline.i18n import (
    _,
    compile_po,
    missing_translations,
    negotiate,
    ngettext,
    normalise,
    parse_po,
    po_path,
    use_language,
)

FIELD = re.compile(r"\{[^{}]*\}")


def uk_entries():
    entries, header = parse_po(po_path("uk").read_text("utf-8"))
    return entries, header


def test_every_message_has_a_ukrainian_translation():
    missing = missing_translations("uk")
    assert missing == [], "no Ukrainian translation for: " + "; ".join(m[1] for m in missing)


def test_translations_keep_their_placeholders_and_are_not_fuzzy():
    entries, header = uk_entries()
    assert "nplurals=3" in header and "charset=UTF-8" in header
    assert len(entries) > 100
    for e in entries:
        assert not e["fuzzy"], e["msgid"]
        want = sorted(FIELD.findall(e.get("msgid_plural") or e["msgid"]))
        for form in e["msgstr"]:
            assert form, e["msgid"]
            assert sorted(FIELD.findall(form)) == want, (e["msgid"], form)
        if "msgid_plural" in e:
            assert len(e["msgstr"]) == 3, e["msgid"]
    ids = [(e.get("msgctxt"), e["msgid"]) for e in entries]
    assert len(ids) == len(set(ids))  # no duplicate entries


def test_neutral_wording():
    text = po_path("uk").read_text("utf-8").lower()
    for loaded in ("окупов", "ворог", "орк", "рашист", "звільнен"):
        assert loaded not in text, loaded
    with use_language("uk"):
        assert _("Held territory") == "Утримувана територія"


def test_plural_forms_follow_ukrainian_rules():
    with use_language("uk"):
        forms = {n: ngettext("{n} disjoint route beyond {band}",
                             "{n} disjoint routes beyond {band}", n).split()[1]
                 for n in (1, 2, 4, 5, 11, 12, 21, 22, 25, 101)}
    assert forms == {1: "незалежний", 2: "незалежні", 4: "незалежні", 5: "незалежних",
                     11: "незалежних", 12: "незалежних", 21: "незалежний", 22: "незалежні",
                     25: "незалежних", 101: "незалежний"}
    with use_language("en"):
        assert ngettext("{n} disjoint route beyond {band}",
                        "{n} disjoint routes beyond {band}", 1).startswith("{n} disjoint route ")


def test_language_choice():
    assert normalise("uk_UA.UTF-8") == "uk" and normalise("UA") == "uk"
    assert normalise("en-GB") == "en" and normalise("") is None
    with pytest.raises(InvalidArgumentError, match="language 'de'"):
        normalise("de")
    assert negotiate("uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7") == "uk"
    assert negotiate("en-US,en;q=0.9,uk;q=0.8") == "en"
    assert negotiate("de-DE,de;q=0.9,uk;q=0.5") == "uk"
    assert negotiate("de-DE,fr;q=0.9") == "en" and negotiate(None) == "en"
    assert negotiate("*;q=0.1,uk;q=bad") == "uk"


def test_environment_and_contexts(monkeypatch):
    monkeypatch.setenv("SUPPLYLINE_LANG", "uk")
    assert i18n.get_language() == "uk" and _("Rear hubs") == "Тилові вузли"
    with use_language("en"):
        assert _("Rear hubs") == "Rear hubs"
        seen = {}

        def worker():  # a thread (a web request) chooses its own language
            with use_language("uk"):
                seen["t"] = _("Rear hubs")

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert seen["t"] == "Тилові вузли" and _("Rear hubs") == "Rear hubs"
    monkeypatch.setenv("SUPPLYLINE_LANG", "xx")
    assert i18n.get_language() == "en"  # messages can still be shown ...
    with pytest.raises(InvalidArgumentError, match="SUPPLYLINE_LANG 'xx': expected one of"):
        i18n.check_environment()  # ... and the CLI reports the mistake
    from conftest import run_cli

    r = run_cli("schema", "status")
    assert r.returncode == 2 and r.stderr.startswith("error: SUPPLYLINE_LANG 'xx'")
    monkeypatch.delenv("SUPPLYLINE_LANG")
    assert i18n.get_language() == "en"


def test_catalogue_and_place_names():
    cat = i18n.catalogue("uk")
    assert cat["Rear hubs"] == "Тилові вузли"
    assert cat["oblast\x04Donetsk Oblast"] == "Донецька область"
    assert i18n.catalogue("en") == {}
    ref = {"name": "Pokrovsk", "name_uk": "Покровськ"}
    assert i18n.place_name(ref, "uk") == "Покровськ" and i18n.place_name(ref, "en") == "Pokrovsk"
    assert i18n.place_name({"name": "Kadiivka", "name_uk": None}, "uk") == "Kadiivka"


def test_compiled_catalogue_is_read_by_gettext():
    po = ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
          '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
          '#, fuzzy\nmsgid "skip"\nmsgstr "no"\n\n'
          'msgid "a \\"b\\"\\n"\nmsgstr ""\n"á "\n"\\"b\\"\\n"\n\n'
          'msgctxt "c"\nmsgid "x"\nmsgstr "y"\n\n'
          'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "un"\nmsgstr[1] "beaucoup"\n\n'
          'msgid "untranslated"\nmsgstr ""\n\n'
          '#~ msgid "old"\n#~ msgstr "vieux"\n')
    t = gettext.GNUTranslations(io.BytesIO(compile_po(po)))
    assert t.gettext('a "b"\n') == 'á "b"\n'
    assert t.gettext("skip") == "skip" and t.gettext("untranslated") == "untranslated"
    assert t.pgettext("c", "x") == "y" and t.gettext("x") == "x"
    assert t.ngettext("one", "many", 1) == "un" and t.ngettext("one", "many", 3) == "beaucoup"
    assert t.gettext("old") == "old"
    with pytest.raises(ValueError, match="line 2"):
        parse_po('msgid "a"\nbogus "b"\n')


def po_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace(
        "\t", "\\t") + '"'


text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
               min_size=1, max_size=40)


@given(st.dictionaries(text, text, min_size=1, max_size=8),
       st.lists(st.integers(0, 40), min_size=1, max_size=5))
def test_po_roundtrip(pairs, cuts):
    """Any strings written as .po entries (split over continuation lines anywhere) come
    back exactly, and gettext reads the compiled catalogue the same way."""
    lines = ['msgid ""', 'msgstr "Content-Type: text/plain; charset=UTF-8\\n"', ""]
    for k, v in pairs.items():
        lines.append(f"msgid {po_quote(k)}")
        cut = min(cuts[0], len(v))
        lines.append(f"msgstr {po_quote(v[:cut])}")
        lines.append(po_quote(v[cut:]))
        lines.append("")
    po = "\n".join(lines)
    entries, _header = parse_po(po)
    assert {e["msgid"]: e["msgstr"][0] for e in entries} == pairs
    t = gettext.GNUTranslations(io.BytesIO(compile_po(po)))
    for k, v in pairs.items():
        assert t.gettext(k) == v


# --------------------------------------------------------------------------- real data

def test_oblast_names_match_the_data(ws):
    with use_language("uk"):
        for o in ws.gazetteer.oblasts:
            assert i18n.oblast_label(o.name_en) == o.name_uk, o.name_en


def test_cli_in_ukrainian(shared_data, monkeypatch):
    from conftest import run_cli

    r = run_cli("--lang", "uk", "status", "Pokrovsk", "--date", "2025-06-01",
                data=shared_data)
    assert r.returncode == 0, r.stderr
    for word in ("Тилові вузли", "вузол", "область", "населення", "Покровськ",
                 "Донецька область", "Дніпро", "Павлоград", "під обстрілом",
                 "відстань від центру до лінії фронту"):
        assert word in r.stdout, word
    assert "Rear hubs" not in r.stdout and "Dnipro" not in r.stdout
    monkeypatch.setenv("SUPPLYLINE_LANG", "uk")
    r2 = run_cli("places", "--oblast", "UA-14", "--date", "2025-06-01", data=shared_data)
    assert r2.returncode == 0, r2.stderr
    assert "Найбільші неутримувані населені пункти" in r2.stdout
    assert "Краматорськ" in r2.stdout or "Слов'янськ" in r2.stdout
    monkeypatch.delenv("SUPPLYLINE_LANG")
    r3 = run_cli("status", "Pokrovsk", "--date", "2025-06-01", data=shared_data)
    assert "Rear hubs" in r3.stdout and "Pokrovsk" in r3.stdout  # English by default
    bad = run_cli("--lang", "xx", "status", "Pokrovsk", data=shared_data)
    assert bad.returncode == 2 and "language 'xx'" in bad.stderr


def test_frontend_messages_are_extracted_and_embedded(tmp_path):
    from supplyline.i18n import extract_frontend_messages
    from supplyline.viz.pages import FRONTEND_DIR, render_page

    js = tmp_path / "a.js"
    js.write_text('x(SL.t("Legend")); y(SL.t("{km} km ring", {km: 5})); t("a \\"b\\"");\n'
                  'SL.tx("no"); SL.t(name);', "utf-8")
    page = tmp_path / "a.html"
    page.write_text('<h3 data-i18n="Legend">L</h3><b data-i18n-title="Map &amp; more">', "utf-8")
    found = {m[1] for m in extract_frontend_messages([js, page])}
    assert found == {"Legend", "{km} km ring", 'a "b"', "Map & more"}
    real = {m[1] for m in extract_frontend_messages(sorted(FRONTEND_DIR.glob("*.*")))}
    assert {"Legend", "held territory", "under fire ({band})", "Permalink"} <= real

    with use_language("uk"):
        text = render_page("city", title="<x>", config={})
    assert '<html lang="uk">' in text and '"Legend":"Умовні позначення"' in text
    text = render_page("city", title="x", config={}, lang="en")
    assert '<html lang="en">' in text
    assert '<script id="supplyline-messages" type="application/json">{}</script>' in text
