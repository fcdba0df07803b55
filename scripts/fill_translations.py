"""Merge translations from a YAML file into the gettext catalogs.

    .venv/bin/python scripts/fill_translations.py new-strings.yml [--domain messages]

The file maps a language code to {English source text: translation}. Only entries
that exist in the catalog are filled (run `make update-messages` first); a fuzzy mark
is cleared. Translators and native-speaker reviewers work in such a file, which is
easier to read side by side than eight .po files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml
from babel.messages.pofile import read_po, write_po

LOCALE = Path(__file__).resolve().parent.parent / "lotsen" / "locale"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--domain", default="messages")
    args = parser.parse_args()
    table = yaml.safe_load(args.file.read_text(encoding="utf-8"))
    missing = 0
    for language, strings in table.items():
        path = LOCALE / language / "LC_MESSAGES" / f"{args.domain}.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for source, translation in strings.items():
            message = catalog.get(source)
            if message is None:
                print(f"{language}: not in the catalog: {source[:60]!r}", file=sys.stderr)
                missing += 1
                continue
            message.string = translation
            message.flags.discard("fuzzy")
        with path.open("wb") as handle:
            write_po(handle, catalog, width=76, omit_header=False, sort_output=False, ignore_obsolete=True)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
