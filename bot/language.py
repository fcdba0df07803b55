"""Recognise which language a message is written in, and keep each conversation's
language steady.

Detection: the script first (Ethiopic means Tigrinya, which no detector knows; a script
no supported language uses means an unsupported language), then lingua-language-detector
restricted to the supported languages written in that script. Swedish loanwords
("bankid", "skatteverket") are ignored, so they do not make a Somali question Swedish.
Short or ambiguous text ("ok", "BankID", "112") gives no answer rather than a guess. A
second lingua detector that also knows common Latin-script languages Lotsen does not
speak tells "German" from "unclear", so an unsupported language gets a helpful reply
instead of a wrong guess.

Stickiness: an explicit choice switches at once; otherwise a conversation switches
only after two consecutive confident messages of three or more words in another
supported language.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import yaml
from lingua import Language as LinguaLanguage
from lingua import LanguageDetectorBuilder

from lotsen.languages import Language, negotiate
from lotsen.paths import DATA_DIR
from lotsen_nlu.normalize import fold, script_of

# Latin-script languages newcomers to Sweden often write that Lotsen does not speak (each
# costs ~25 MB of models in the gateway; scripts no supported language uses need none).
# Nordic neighbours are left out on purpose (see `detect_also` in data/languages.yml):
# Norwegian or Danish is better answered in Swedish than refused. Languages that share
# a script with a supported one and are easily confused with it on short text (Urdu,
# Kazakh, Swahili) are left out too: a wrong refusal is worse than a wrong guess.
OTHER_LANGUAGES = (
    "GERMAN", "FRENCH", "SPANISH", "TURKISH", "POLISH", "BOSNIAN", "CROATIAN", "ROMANIAN", "ALBANIAN",
)  # fmt: skip
MIN_LETTERS = 4
MIN_WORDS_TO_SWITCH = 3
MIN_CONFIDENCE = 0.35
MIN_MARGIN = 0.05
MIN_OTHER_CONFIDENCE = 0.8
MIN_SCRIPT_LETTERS = 2
MIN_LOANWORD_STEM = 3
# Quoted words or sentences (a word from a letter) do not tell the writer's language.
_QUOTED = re.compile(r"«[^»]*»|“[^”]*”|„[^“”]*[“”]|\"[^\"]*\"|‘[^’]*’|(?<!\w)'[^']*'(?!\w)")


def load_loanwords() -> tuple[str, ...]:
    words = yaml.safe_load((DATA_DIR / "loanwords.yml").read_text(encoding="utf-8")) or []
    return tuple(sorted({fold(str(w)) for w in words if len(fold(str(w))) >= MIN_LOANWORD_STEM}))


def count_words(text: str) -> int:
    return len([w for w in text.split() if any(ch.isalpha() for ch in w)])


@dataclass(frozen=True)
class Detection:
    """A supported language (`code`), or an unsupported one (`code` None; `other` is its
    ISO 639-1 code, or "" when even its name is unknown)."""

    code: str | None
    confidence: float
    words: int
    other: str | None = None


class LanguageDetector:
    """Script first, then lingua among the supported languages written in that script.

    Script settles most cases outright (Ethiopic → Tigrinya; a script no supported
    language uses → unsupported) and keeps Swedish loanwords in Latin letters from
    deciding the language of an Arabic or Russian message. Build once per process:
    lingua loads its models lazily, language by language.
    """

    def __init__(self, languages: dict[str, Language]) -> None:
        self._by_script: dict[str, list[str]] = {}
        self._by_lingua: dict[LinguaLanguage, str] = {}
        close: set[LinguaLanguage] = set()
        for code, language in languages.items():
            self._by_script.setdefault(language.script, []).append(code)
            if language.detect:
                self._by_lingua[LinguaLanguage.from_str(language.detect)] = code
            close.update(LinguaLanguage.from_str(name) for name in language.detect_also)
        lingua_of = {code: lang for lang, code in self._by_lingua.items()}
        self._detectors = {
            script: LanguageDetectorBuilder.from_languages(*(lingua_of[c] for c in codes)).build()
            for script, codes in self._by_script.items()
            if len(codes) > 1
        }
        # The broad detector only answers "is this a Latin-script language we do not speak?".
        # Low-accuracy mode would save memory but took short Swedish for German ("vem vann
        # matchen igår?"); the list of other languages is kept short instead.
        self._others = {LinguaLanguage.from_str(name) for name in OTHER_LANGUAGES} - set(self._by_lingua) - close
        latin = [lingua_of[c] for c in self._by_script.get("LATIN", []) if c in lingua_of]
        self._broad = LanguageDetectorBuilder.from_languages(*latin, *close, *self._others).build()
        self._loanwords = load_loanwords()

    def warm_up(self) -> None:
        """Load the models now (a few seconds) rather than on each language's first message."""
        samples = ("hej hur mår du idag", "hello how are you today", "مرحبا كيف حالك اليوم", "سلام حال شما چطور است",
                   "iska warran maanta sidee tahay", "привіт як ти сьогодні", "привет как ты сегодня",
                   "wie geht es dir heute")  # fmt: skip
        for sample in samples:
            self.detect(sample)

    @staticmethod
    def unquoted(text: str) -> str:
        """The text without what is in quotes — "what does «beslut om avslag» mean?" is
        English however Swedish the quoted words are — unless everything is quoted."""
        rest = _QUOTED.sub(" ", text)
        return rest if any(ch.isalpha() for ch in rest) else text

    def detect(self, text: str, known: bool = False) -> Detection | None:
        """The language of `text` if it is clear enough, else None.

        `known`: the conversation has a language already. Then a message of fewer than
        MIN_WORDS_TO_SWITCH words in a script a supported language uses cannot change the
        answer (`next_language_state` ignores it), so lingua is not asked at all."""
        text = self.unquoted(text)
        letters = [ch for ch in text if ch.isalpha()]
        if not letters:
            return None
        counts = Counter(script_of(ch) for ch in letters)
        non_latin = [(n, s) for s, n in counts.items() if s != "LATIN"]
        # Arabic, Cyrillic or Ethiopic writers borrow Swedish words in Latin letters; the
        # reverse is rare. So any other script present decides.
        script = max(non_latin)[1] if non_latin and max(non_latin)[0] >= MIN_SCRIPT_LETTERS else "LATIN"
        if script == "LATIN":
            own = " ".join(w for w in text.split() if not fold(w).strip("?!.,:;()\"'").startswith(self._loanwords))
        else:
            own = " ".join(w for w in text.split() if any(ch.isalpha() and script_of(ch) == script for ch in w))
        words = count_words(own)
        candidates = self._by_script.get(script, [])
        if known and candidates and words < MIN_WORDS_TO_SWITCH:
            return None
        if not candidates:  # a script no supported language uses (Chinese, Greek, Hindi…)
            if sum(ch.isalpha() for ch in own) < MIN_LETTERS:
                return None
            return Detection(None, 1.0, words, other=self._name_unsupported(own))
        if len(candidates) == 1:
            return Detection(candidates[0], 1.0, words)
        if sum(ch.isalpha() for ch in own) < MIN_LETTERS:
            return None
        values = self._detectors[script].compute_language_confidence_values(own)
        best = values[0]
        if script == "LATIN" and words >= MIN_WORDS_TO_SWITCH:
            broad = self._broad.compute_language_confidence_values(own)
            if broad and broad[0].language in self._others and broad[0].value >= MIN_OTHER_CONFIDENCE:
                return Detection(None, broad[0].value, words, other=broad[0].language.iso_code_639_1.name.lower())
        runner_up = values[1].value if len(values) > 1 else 0.0
        if best.value < MIN_CONFIDENCE or best.value - runner_up < MIN_MARGIN:
            return None
        return Detection(self._by_lingua[best.language], best.value, words)

    @staticmethod
    def _name_unsupported(text: str) -> str:
        """Name a language in a script no supported language uses, if lingua knows it."""
        result = _NAMER.detect_language_of(text)
        return result.iso_code_639_1.name.lower() if result else ""


# Scripts that name their language (Chinese, Greek, Hindi…); used only for the notice.
_NAMER = LanguageDetectorBuilder.from_languages(
    *(LinguaLanguage.from_str(n) for n in ("CHINESE", "JAPANESE", "KOREAN", "GREEK", "HEBREW", "HINDI", "THAI",
                                           "ARMENIAN", "GEORGIAN", "BENGALI", "TAMIL", "PUNJABI", "GUJARATI"))
).with_low_accuracy_mode().build()  # fmt: skip


@dataclass(frozen=True)
class LanguageState:
    """What a message does to the conversation's language."""

    language: str | None  # to store as the conversation's language (None: not known yet)
    pending: str | None  # a language seen once, waiting for a second message
    unsupported: str | None = None  # the message is in a language Lotsen does not speak


def next_language_state(
    current: str | None,
    pending: str | None,
    detection: Detection | None,
    explicit: str | None = None,
    hint: list[str] | None = None,
) -> LanguageState:
    """Apply the stickiness rules (module docstring) to one message."""
    if explicit:
        return LanguageState(explicit, None)
    if detection is not None and detection.code is None:
        return LanguageState(current, pending, unsupported=detection.other)
    if current is None:
        if detection is not None:
            return LanguageState(detection.code, None)
        return LanguageState(negotiate(hint or []), None)
    if detection is None or detection.words < MIN_WORDS_TO_SWITCH:
        return LanguageState(current, pending)  # too short or unclear: changes nothing
    if detection.code == current:
        return LanguageState(current, None)
    if detection.code == pending:
        return LanguageState(detection.code, None)
    return LanguageState(current, detection.code)
