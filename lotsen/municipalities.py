"""The municipality ids (API contract), read from `data/municipalities.yml`.

Each municipality also lists the ways newcomers write its name (other scripts, no
diacritics), so "bostadskö i Линчёпинг" finds Linköping.
"""

from __future__ import annotations

from functools import cache

import yaml

from lotsen.paths import DATA_DIR
from lotsen_nlu.lexicon import Gazetteer


@cache
def _entries() -> list[dict[str, object]]:
    return list(yaml.safe_load((DATA_DIR / "municipalities.yml").read_text(encoding="utf-8")))


@cache
def municipalities() -> dict[str, str]:
    """Municipality display names by id."""
    return {str(entry["id"]): str(entry["name"]) for entry in _entries()}


def municipality_ids() -> list[str]:
    return list(municipalities())


@cache
def municipality_finder() -> Gazetteer:
    """Finds a municipality named in a message, by its name or any alias."""
    names: dict[str, list[str]] = {}
    for entry in _entries():
        aliases = entry.get("aliases") or []
        assert isinstance(aliases, list)
        names[str(entry["id"])] = [str(entry["name"]), *(str(a) for a in aliases)]
    return Gazetteer(names)


OTHER = "other"  # "I live somewhere else": national answers, and Lotsen does not ask again
