"""The gettext catalogs are complete and keep every placeholder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from lotsen.i18n import t
from lotsen.languages import supported_codes
from lotsen.paths import LOCALE_DIR, ROOT

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def template_ids() -> list[str]:
    with open(LOCALE_DIR / "messages.pot", "rb") as f:
        return [m.id for m in read_po(f) if m.id]


@pytest.mark.parametrize("language", supported_codes())
def test_catalog_translates_every_string_with_the_same_placeholders(language: str) -> None:
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=language)
    for msgid in template_ids():
        message = catalog.get(msgid)
        assert message is not None and message.string, f"{language}: untranslated {msgid!r}"
        assert "fuzzy" not in message.flags, f"{language}: fuzzy {msgid!r}"
        assert sorted(PLACEHOLDER.findall(str(message.string))) == sorted(PLACEHOLDER.findall(msgid))


@pytest.mark.parametrize("language", supported_codes())
def test_compiled_catalog_serves_the_po_translations(language: str) -> None:
    """The .mo the processes load matches the .po (a fuzzy header would make pybabel skip it)."""
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=language)
    assert not catalog.fuzzy, f"{language}: the catalog header is marked fuzzy"
    for msgid in template_ids():
        assert t(language, msgid) == catalog[msgid].string


def test_template_is_up_to_date_with_the_code(tmp_path: Path) -> None:
    """Fails when a string was added in code but `make update-messages` was not run."""
    fresh = tmp_path / "fresh.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "t:2", "-k", "N_",
         "--no-location", "--sort-output", "-o", str(fresh), str(ROOT)]
    )  # fmt: skip
    with open(fresh, "rb") as f:
        extracted = sorted(m.id for m in read_po(f) if m.id)
    assert extracted == sorted(template_ids())
