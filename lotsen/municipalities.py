"""The municipality ids (API contract), read from `data/municipalities.yml`."""

from __future__ import annotations

from functools import cache

import yaml

from lotsen.paths import DATA_DIR


@cache
def municipalities() -> dict[str, str]:
    """Municipality display names by id."""
    entries = yaml.safe_load((DATA_DIR / "municipalities.yml").read_text(encoding="utf-8"))
    return {entry["id"]: entry["name"] for entry in entries}


def municipality_ids() -> list[str]:
    return list(municipalities())
