"""Recognise which supported language a message is written in.

lingua-language-detector, restricted to the supported languages it knows, plus a
script rule for languages no detector knows (Tigrinya: Ethiopic script). Short or
ambiguous text ("ok", "BankID", "112") yields no answer rather than a guess, so it can
never switch a conversation's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from lingua import Language as LinguaLanguage
from lingua import LanguageDetectorBuilder

from lotsen.languages import Language

# Unicode blocks per script, for languages recognised by script alone.
SCRIPT_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "Ethiopic": ((0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F)),
}
MIN_LETTERS = 8
MIN_CONFIDENCE = 0.45
MIN_MARGIN = 0.15


@dataclass(frozen=True)
class Detection:
    code: str
    confidence: float


class LanguageDetector:
    """Detects supported languages; build once per process (the models are loaded lazily)."""

    def __init__(self, languages: dict[str, Language]) -> None:
        self._by_lingua: dict[LinguaLanguage, str] = {}
        self._by_script: dict[str, str] = {}
        for code, language in languages.items():
            if language.detect.startswith("script:"):
                self._by_script[language.detect.removeprefix("script:")] = code
            else:
                self._by_lingua[LinguaLanguage.from_str(language.detect)] = code
        self._detector = LanguageDetectorBuilder.from_languages(*self._by_lingua).build()

    def _script_share(self, letters: list[str], script: str) -> float:
        ranges = SCRIPT_RANGES[script]
        inside = sum(1 for ch in letters if any(lo <= ord(ch) <= hi for lo, hi in ranges))
        return inside / len(letters)

    def detect(self, text: str) -> Detection | None:
        """The language of `text` if it is long and clear enough, else None."""
        letters = [ch for ch in text if ch.isalpha()]
        if not letters:
            return None
        for script, code in self._by_script.items():
            if self._script_share(letters, script) > 0.5:
                return Detection(code, 1.0)
        if len(letters) < MIN_LETTERS:
            return None
        values = self._detector.compute_language_confidence_values(text)
        if not values:
            return None
        best = values[0]
        runner_up = values[1].value if len(values) > 1 else 0.0
        if best.value < MIN_CONFIDENCE or best.value - runner_up < MIN_MARGIN:
            return None
        return Detection(self._by_lingua[best.language], best.value)
