"""The vi and en catalogs translate every user-facing string in the code, with the same placeholders.

When this fails after you added or changed a ``_()`` / ``N_()`` string: run ``make i18n``, then fill in
the new ``msgstr`` entries in locales/vi/LC_MESSAGES/messages.po (and en)."""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from locales.i18n import LOCALES, _, use_locale

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("bot", "handlers", "storage", "reminders", "locales")  # as in the Makefile's i18n target
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
FIX = "Run `make i18n`, then translate the listed msgids in locales/{locale}/LC_MESSAGES/messages.po."


@cache
def source_msgids() -> tuple[str | tuple[str, ...], ...]:
    """Every message marked in the code right now (not the possibly stale messages.pot)."""
    found: dict[str, str | tuple[str, ...]] = {}
    for d in SOURCE_DIRS:
        for _file, _line, msg, _comments, _ctx in extract_from_dir(
                ROOT / d, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()):
            key = msg[0] if isinstance(msg, tuple) else msg
            if key:
                found[key] = msg
    return tuple(found[k] for k in sorted(found))


@cache
def catalog(locale: str) -> Catalog:
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def placeholders(text: str) -> set[str]:
    """Names of the ``{placeholders}`` in a str.format template ("{{" escapes are not placeholders)."""
    names = set()
    for _literal, field, _spec, _conv in string.Formatter().parse(text):
        if field is not None:
            names.add(field.split(".", 1)[0].split("[", 1)[0])
    return names


def test_source_has_messages() -> None:
    assert len(source_msgids()) > 50  # extraction found the code's strings at all


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    cat = catalog(locale)
    untranslated = []
    for msgid in source_msgids():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = cat.get(key)
        strings = () if entry is None else (entry.string if isinstance(entry.string, tuple) else (entry.string,))
        if entry is None or not strings or not all(s and s.strip() for s in strings):
            untranslated.append(key)
    assert not untranslated, (
        f"{len(untranslated)} msgid(s) have no {locale} translation:\n  "
        + "\n  ".join(repr(m) for m in untranslated) + "\n" + FIX.format(locale=locale))


@pytest.mark.parametrize("locale", LOCALES)
def test_no_fuzzy_entries(locale: str) -> None:
    fuzzy = [m.id for m in catalog(locale) if m.id and m.fuzzy]
    assert not fuzzy, (f"fuzzy entries in the {locale} catalog (check the translation, then remove the "
                       f"'#, fuzzy' flag):\n  " + "\n  ".join(repr(m) for m in fuzzy))


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_match(locale: str) -> None:
    wrong = []
    for m in catalog(locale):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        expected = set().union(*(placeholders(i) for i in ids))
        if isinstance(m.id, tuple):
            expected.add("n")  # ngettext always passes n
        for s in m.string if isinstance(m.string, tuple) else (m.string,):
            if not s:
                continue
            got = placeholders(s)
            if isinstance(m.id, tuple):
                got.add("n")  # a language with one plural form may leave the count out of the text
            if got != expected:
                wrong.append(f"{m.id!r} -> {s!r}: {sorted(got)} != {sorted(expected)}")
    assert not wrong, f"placeholders differ in the {locale} catalog:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("locale", LOCALES)
def test_plural_forms_are_complete(locale: str) -> None:
    cat = catalog(locale)
    short = [m.id for m in cat if m.id and isinstance(m.id, tuple)
             and len(m.string if isinstance(m.string, tuple) else (m.string,)) != cat.num_plurals]
    assert not short, f"plural entries without {cat.num_plurals} form(s) in {locale}: {short}"


def test_runtime_speaks_vietnamese_by_default_and_english_on_request() -> None:
    assert _("Cancel") == "Hủy"  # no locale set: the default is Vietnamese
    with use_locale("vi"):
        assert _("Cancel") == "Hủy"
        assert _("Welcome, {name}! You are now registered with {unit}.", name="An", unit="Thôn Nà Pài") \
            .startswith("Chào mừng An!")
    with use_locale("en"):
        assert _("Cancel") == "Cancel"
    with use_locale("fr"):  # unknown locales fall back to Vietnamese
        assert _("Confirm") == "Xác nhận"
