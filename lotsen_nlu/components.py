"""Custom Rasa 3.6 graph components, referenced from config.yml by module path.

- `FoldingTokenizer`: Rasa's whitespace tokenizer, with each token's lemma folded
  (see normalize.py) so the featurizers see one spelling for many. The token text and
  offsets stay the user's own.
- `EmergencyGuard`: after the classifiers, flags a possible emergency — a term from
  `data/lexicon/`, the model giving `ask_emergency` even a small probability, or a message
  whose meaning (e5) is close to the emergency examples — so the
  112 guidance always comes first. If the model is confident the person asks about
  another topic ("urgent dentist"), the intent stays and the answer follows the 112 line
  (`possible_emergency` in the parse data); otherwise the intent becomes `ask_emergency`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from lotsen.privacy import install_log_masking
from lotsen_nlu import speedups
from lotsen_nlu.lexicon import Lexicon
from lotsen_nlu.normalize import fold

speedups.install()  # this module is imported by the Rasa server when it loads the model
install_log_masking()  # from then on, what users type is masked in Rasa's own logs

ROOT = Path(__file__).resolve().parent.parent


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class FoldingTokenizer(WhitespaceTokenizer):
    """Whitespace tokens whose lemma is the folded token text."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = fold(token.text) or token.text
        return tokens


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmergencyGuard(GraphComponent):
    """Make sure a possible emergency is never missed (see the module docstring)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "lexicon_dir": "data/lexicon",
            "intent": "ask_emergency",
            # The model's probability for the emergency intent that counts as "possible"
            # (the 112 line comes first), and the one that makes it the answer.
            "min_model_confidence": 0.2,
            "override_confidence": 0.3,
            # A topic intent at least this confident keeps its answer, after the 112 line.
            "keep_topic_confidence": 0.5,
            "topic_prefix": "ask_",
            # How close (cosine, e5) to the emergency examples counts as possible, when the
            # classifier ran the sentence encoder (`emergency_similarity`); 1.0 turns it off.
            "min_similarity": 1.0,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        self.intent = config["intent"]
        self.min_model_confidence = float(config["min_model_confidence"])
        self.override_confidence = float(config["override_confidence"])
        self.keep_topic_confidence = float(config["keep_topic_confidence"])
        self.topic_prefix = config["topic_prefix"]
        self.min_similarity = float(config.get("min_similarity", 1.0))
        directory = Path(config["lexicon_dir"])
        self.lexicon = Lexicon.load(directory if directory.is_absolute() else ROOT / directory)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EmergencyGuard:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._check(message)
        return messages

    def _check(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        if not text or text.startswith("/"):
            return  # empty, or a button payload naming its intent
        intent = message.get(INTENT) or {}
        ranking = message.get(INTENT_RANKING_KEY) or []
        if intent.get("name") == self.intent:
            return
        term = self.lexicon.emergency_match(text)
        model_p = max((float(r.get("confidence") or 0) for r in ranking if r.get("name") == self.intent), default=0.0)
        similar = float(message.get("emergency_similarity") or 0.0) >= self.min_similarity
        if term is None and model_p < self.min_model_confidence and not similar:
            return
        message.set("possible_emergency", True, add_to_output=True)
        if term:
            message.set("emergency_term", term, add_to_output=True)
        best = next((r for r in ranking if r.get("name") != "nlu_fallback"), None)
        if (
            best is not None
            and str(best.get("name", "")).startswith(self.topic_prefix)
            and best.get("name") != self.intent
            and float(best.get("confidence") or 0) >= self.keep_topic_confidence
        ):
            # Clearly another topic ("urgent dentist"): its answer follows the 112 line.
            message.set(INTENT, {"name": best["name"], "confidence": best["confidence"]}, add_to_output=True)
            return
        # A weak model signal on a message it did not understand keeps "did not understand"
        # after the 112 line (gibberish in Latin letters looks a little like the Latin-script
        # emergencies it learned); a lexicon term or a strong signal answers the emergency.
        if term or model_p >= self.override_confidence:
            message.set(INTENT, {"name": self.intent, "confidence": 1.0}, add_to_output=True)
            others = [r for r in ranking if r.get("name") != self.intent]
            message.set(INTENT_RANKING_KEY, [{"name": self.intent, "confidence": 1.0}, *others], add_to_output=True)
        # Otherwise the intent stays (small talk, off topic) and its reply follows the 112 line.
