"""Stickiness rules for a conversation's language (issue 3)."""

from __future__ import annotations

from bot.language import Detection, LanguageState, next_language_state


def sure(code: str, words: int = 5) -> Detection:
    return Detection(code, 0.99, words)


def test_explicit_choice_switches_at_once_and_clears_pending() -> None:
    assert next_language_state("sv", "en", sure("en"), explicit="ar") == LanguageState("ar", None)


def test_first_clear_message_sets_the_language() -> None:
    assert next_language_state(None, None, sure("so")) == LanguageState("so", None)


def test_without_detection_the_channel_hint_is_negotiated() -> None:
    assert next_language_state(None, None, None, hint=["fa-AF", "en"]) == LanguageState("fa", None)
    assert next_language_state(None, None, None, hint=["de-DE"]) == LanguageState(None, None)


def test_one_message_in_another_language_does_not_switch() -> None:
    assert next_language_state("sv", None, sure("en")) == LanguageState("sv", "en")


def test_two_consecutive_confident_messages_switch() -> None:
    first = next_language_state("sv", None, sure("en"))
    assert next_language_state(first.language, first.pending, sure("en")) == LanguageState("en", None)


def test_a_message_in_the_current_language_resets_the_count() -> None:
    first = next_language_state("sv", None, sure("en"))
    back = next_language_state(first.language, first.pending, sure("sv"))
    assert back == LanguageState("sv", None)
    assert next_language_state(back.language, back.pending, sure("en")) == LanguageState("sv", "en")


def test_short_or_unclear_messages_never_switch_or_reset() -> None:
    first = next_language_state("sv", None, sure("en"))
    assert next_language_state(first.language, first.pending, sure("en", words=2)) == first
    assert next_language_state(first.language, first.pending, None) == first


def test_unsupported_language_keeps_the_conversation_language() -> None:
    state = next_language_state("ar", None, Detection(None, 0.99, 6, other="de"))
    assert state == LanguageState("ar", None, unsupported="de")
