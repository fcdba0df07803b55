"""The supported languages, read from `data/languages.yml`.

Codes are the API contract. Everything language-specific (CLDR locale, text direction,
how to recognise the language) is data, so adding a language needs no code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml
from babel import Locale, negotiate_locale

from lotsen.paths import DATA_DIR


@dataclass(frozen=True)
class Language:
    """One supported language."""

    code: str
    cldr: str
    script: str
    detect: str | None = None
    detect_also: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.cldr)

    @property
    def direction(self) -> str:
        """`ltr` or `rtl`, from CLDR."""
        return str(self.locale.text_direction)

    @property
    def native_name(self) -> str:
        name = Locale.parse(self.code).get_display_name(self.code) or self.code
        return name[:1].upper() + name[1:]


@cache
def languages() -> dict[str, Language]:
    """Supported languages by code, in the order of the data file."""
    entries = yaml.safe_load((DATA_DIR / "languages.yml").read_text(encoding="utf-8"))
    return {
        entry["code"]: Language(
            **{
                **entry,
                "detect_also": tuple(entry.get("detect_also") or ()),
                "aliases": tuple(entry.get("aliases") or ()),
            }
        )
        for entry in entries
    }


def supported_codes() -> list[str]:
    return list(languages())


def negotiate(preferred: list[str]) -> str | None:
    """Best supported language for a list of tags such as `["fa-AF", "en-US"]`, or None.

    Babel's negotiation only matches the language part against generic codes, which is
    what we want: `so-SO` → `so`, `uk-UA` → `uk`, `de-DE` → None.
    """
    aliases = {alias: code for code, lang in languages().items() for alias in lang.aliases}
    tags = [tag.strip().replace("_", "-") for tag in preferred if tag and tag.strip()]
    tags = [aliases.get(tag.split("-")[0].lower(), tag) for tag in tags]
    if not tags:
        return None
    return negotiate_locale(tags, supported_codes(), sep="-")
