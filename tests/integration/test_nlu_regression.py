"""The trained model still understands held-out messages in every language.

tests/data/nlu_regression.yml holds 30 messages per language that were never trained
on. The floors are looser than the targets in reports/nlu/ (which `make evaluate`
measures): they catch a broken model or a data regression, not noise.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import httpx
import pytest
import yaml

from lotsen.paths import ROOT
from lotsen.stack import Stack

pytestmark = pytest.mark.integration

# Floors under what the cascade model holds (issue 16, measured 2026-12-02: accuracy 0.90–1.00
# per language, emergencies 0.98, off-topic answered 4 %; safety sets: acute emergencies
# 0.95–1.00 per language, near-domain answered 0–9 %), with a margin for retraining noise.
ACCURACY_FLOOR = 0.80  # per language, all intents
OFF_TOPIC_ANSWERED_CEILING = 0.12  # off-topic messages answered with a topic (target ≤ 0.10)
EMERGENCY_FLOOR = 0.93  # over all languages (target 1.00: see reports/nlu)
REJECTED = {"out_of_scope", "nlu_fallback"}


def parse(stack: Stack, text: str) -> dict[str, Any]:
    response = httpx.post(
        f"http://127.0.0.1:{stack.config.rasa_port}/model/parse",
        params={"token": stack.config.rasa_token},
        json={"text": text},
        timeout=30,
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def predictions(stack: Stack) -> dict[str, list[tuple[str, str, str]]]:
    cases = yaml.safe_load((ROOT / "tests" / "data" / "nlu_regression.yml").read_text(encoding="utf-8"))
    found: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for language, items in cases.items():
        for item in items:
            parsed = parse(stack, item["text"])
            got = parsed["intent"]["name"]
            if item["intent"] == "ask_emergency" and parsed.get("possible_emergency"):
                got = "ask_emergency"  # the 112 line comes first, before the other answer
            found[language].append((item["text"], item["intent"], got))
    return found


def test_every_language_is_understood(predictions: dict[str, list[tuple[str, str, str]]]) -> None:
    accuracy = {
        language: sum(expected == got for _, expected, got in rows) / len(rows)
        for language, rows in predictions.items()
    }
    assert set(accuracy) == {"sv", "en", "ar", "fa", "so", "ti", "uk", "ru"}
    below = {language: round(value, 2) for language, value in accuracy.items() if value < ACCURACY_FLOOR}
    assert not below, f"accuracy below {ACCURACY_FLOOR}: {below}"


def test_emergencies_are_recognised(predictions: dict[str, list[tuple[str, str, str]]]) -> None:
    rows = [row for rows in predictions.values() for row in rows if row[1] == "ask_emergency"]
    missed = [text for text, _, got in rows if got != "ask_emergency"]
    assert 1 - len(missed) / len(rows) >= EMERGENCY_FLOOR, missed


def test_off_topic_is_rarely_answered_as_a_topic(predictions: dict[str, list[tuple[str, str, str]]]) -> None:
    rows = [row for rows in predictions.values() for row in rows if row[1] == "out_of_scope"]
    answered = [(text, got) for text, _, got in rows if got.startswith("ask_")]
    assert len(answered) / len(rows) <= OFF_TOPIC_ANSWERED_CEILING, answered


def gets_112(parsed: dict[str, Any]) -> bool:
    """The 112 line comes first: the emergency answer, or the guard's line before another topic."""
    return bool(parsed["intent"]["name"] == "ask_emergency" or parsed.get("possible_emergency"))


SAFETY_DIR = ROOT / "evaluation" / "data" / "safety"
ACUTE_RECALL_FLOOR = 0.90  # per language (one miss in 22 below today's worst); the target is 1.00
NEAR_DOMAIN_ANSWERED_CEILING = 0.15  # per language; target ≤ 0.05 confident wrong


@pytest.fixture(scope="module")
def safety(stack: Stack) -> dict[str, dict[str, list[tuple[str, dict[str, Any]]]]]:
    """Every held-out safety message (acute emergencies without lexicon words, near-domain
    questions Lotsen has no answer for), parsed by the running model: none is trained on."""
    found: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]] = {}
    for path in sorted(SAFETY_DIR.glob("*.yml")):
        sets = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[path.stem] = {kind: [(text, parse(stack, text)) for text in texts] for kind, texts in sets.items()}
    return found


def test_acute_emergencies_get_112_first_in_every_language(
    safety: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]],
) -> None:
    assert set(safety) == {"sv", "en", "ar", "fa", "so", "ti", "uk", "ru"}
    low: dict[str, Any] = {}
    for language, sets in safety.items():
        rows = sets["emergencies"]
        missed = [text for text, parsed in rows if not gets_112(parsed)]
        if 1 - len(missed) / len(rows) < ACUTE_RECALL_FLOOR:
            low[language] = missed
    assert not low, f"acute emergencies without the 112 line: {low}"


def test_near_domain_questions_are_not_answered_with_a_wrong_topic(
    safety: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]],
) -> None:
    high: dict[str, Any] = {}
    for language, sets in safety.items():
        rows = sets["near_domain"]
        answered = [
            (text, parsed["intent"]["name"])
            for text, parsed in rows
            if parsed["intent"]["name"] not in REJECTED | {"ask_emergency"}
        ]
        if len(answered) / len(rows) > NEAR_DOMAIN_ANSWERED_CEILING:
            high[language] = answered
    assert not high, f"near-domain questions answered with a topic: {high}"
