"""The English catalogue: every French string translated, and the committed .mo built from the .po.

French is the source language; an English visitor who meets an untranslated
string sees French in the middle of an English page. `make messages` adds a
new string to the .po untranslated; msgfmt is not on every machine, so the
compiled .mo is committed, and a .po edited without recompiling reaches nobody.
Both are checked here (a string the .po does not list yet needs `make messages`).
"""

import ast
import gettext
from pathlib import Path

from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "frontend" / "locale" / "en" / "LC_MESSAGES"


def _po_entries(path: Path) -> list[dict]:
    """The .po file's entries: {"msgctxt"?, "msgid", "msgid_plural"?, "msgstr": {"msgstr" or "msgstr[n]": text}, "fuzzy"}."""
    entries, entry, field = [], None, None

    def close():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            close()
            entry, field = None, None
            continue
        if entry is None:
            entry = {"msgstr": {}, "fuzzy": False}
        if line.startswith("#,") and "fuzzy" in line:
            entry["fuzzy"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgctxt ", "msgid ", "msgid_plural ", "msgstr")):
            keyword, literal = line.split(" ", 1)
            field = keyword
            value = ast.literal_eval(literal)
            if keyword.startswith("msgstr"):
                entry["msgstr"][keyword] = value
            else:
                entry[keyword] = value
        elif line.startswith('"') and field is not None:
            value = ast.literal_eval(line)
            if field.startswith("msgstr"):
                entry["msgstr"][field] += value
            else:
                entry[field] += value
    close()
    return [entry for entry in entries if entry["msgid"]]  # the header has an empty msgid


def test_every_french_string_has_an_english_translation():
    entries = _po_entries(CATALOGUE / "django.po")
    assert len(entries) > 500  # the parser read the catalogue, not nothing

    untranslated = [entry["msgid"] for entry in entries if entry["fuzzy"] or not all(entry["msgstr"].values())]

    assert untranslated == []


def test_the_committed_mo_is_built_from_the_po():
    with (CATALOGUE / "django.mo").open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)

    stale = []
    for entry in _po_entries(CATALOGUE / "django.po"):
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            expected = [entry["msgstr"][f"msgstr[{n}]"] for n in (0, 1)]
            if context is None:
                got = [translations.ngettext(entry["msgid"], entry["msgid_plural"], n) for n in (1, 2)]
            else:
                got = [translations.npgettext(context, entry["msgid"], entry["msgid_plural"], n) for n in (1, 2)]
        else:
            expected = entry["msgstr"]["msgstr"]
            got = translations.gettext(entry["msgid"]) if context is None else translations.pgettext(context, entry["msgid"])
        if got != expected:
            stale.append(entry["msgid"])

    assert stale == []


FRENCH = Path(settings.BASE_DIR) / "frontend" / "locale" / "fr" / "LC_MESSAGES"


def test_every_french_plural_is_filled_so_zero_is_singular():
    # Without its entry, a plural falls back to the source's default rule (n != 1): "0 projets".
    plurals = [entry for entry in _po_entries(FRENCH / "django.po") if "msgid_plural" in entry]
    assert len(plurals) > 10
    unfilled = [entry["msgid"] for entry in plurals if entry["msgstr"].get("msgstr[0]") != entry["msgid"]]
    assert unfilled == [], "run `make messages`"
    with (FRENCH / "django.mo").open("rb") as compiled:
        french = gettext.GNUTranslations(compiled)
    stale = [entry["msgid"] for entry in plurals if french.ngettext(entry["msgid"], entry["msgid_plural"], 0) != entry["msgid"]]
    assert stale == [], "the French .mo is not built from the .po: run `make messages`"


def test_french_pages_count_zero_in_the_singular(client, db):
    text = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "0 projet en collecte" in text
