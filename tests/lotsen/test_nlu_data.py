"""Training data hygiene: each language's examples are in that language, and Tigrinya
has Latin-script examples for every intent (many Eritreans type that way).

Runs the gateway's own language detector over `data/nlu/`. Only confusions between
languages that share a script are checked strictly (Ukrainian/Russian, Arabic/Persian):
a transliterated line ("dozvil na prozhyvannia") is meant to be there, and the detector
cannot tell transliterations apart.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from bot.language import LanguageDetector, count_words
from lotsen.languages import languages
from lotsen.paths import DATA_DIR
from lotsen_nlu.normalize import script_of

SAME_SCRIPT_CEILING = 0.02  # at most 2 % of a language's own-script lines read as its neighbour
MIN_WORDS = 4
MIN_CONFIDENCE = 0.6


def examples(language: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted((DATA_DIR / "nlu" / language).glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in (block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    found[path.stem].append(line.strip()[2:].strip())
    return found


def own_script(text: str, script: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(script_of(ch) == script for ch in letters) / len(letters) > 0.8


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(languages())


@pytest.mark.parametrize(("language", "neighbour"), [("uk", "ru"), ("ru", "uk"), ("ar", "fa"), ("fa", "ar")])
def test_lines_in_a_shared_script_are_in_their_own_language(
    detector: LanguageDetector, language: str, neighbour: str
) -> None:
    script = languages()[language].script
    lines = [
        text
        for texts in examples(language).values()
        for text in texts
        if count_words(text) >= MIN_WORDS and own_script(text, script)
    ]
    wrong = []
    for text in lines:
        found = detector.detect(text)
        if found is not None and found.code == neighbour and found.confidence >= MIN_CONFIDENCE:
            wrong.append(text)
    assert len(lines) > 300
    assert len(wrong) / len(lines) <= SAME_SCRIPT_CEILING, wrong[:20]


def test_tigrinya_has_latin_script_examples_for_every_intent() -> None:
    by_intent = examples("ti")
    missing = {
        intent: sum(own_script(text, "LATIN") for text in texts)
        for intent, texts in by_intent.items()
        if sum(own_script(text, "LATIN") for text in texts) < 5
    }
    assert len(by_intent) >= 30 and not missing, missing


def test_every_language_has_the_same_intents() -> None:
    intents = {code: set(examples(code)) for code in languages()}
    reference = intents["en"]
    assert {code: found ^ reference for code, found in intents.items() if found != reference} == {}
    assert Path(DATA_DIR / "nlu" / "en" / "ask_violence.yml").exists()
