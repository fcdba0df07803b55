"""Custom Rasa 3.6 graph components, referenced from config.yml by module path.

- `FoldingTokenizer`: Rasa's whitespace tokenizer, with each token's lemma folded
  (see normalize.py) so the featurizers see one spelling for many. The token text and
  offsets stay the user's own.
- `EmergencyGuard`: after the classifiers, a message containing an emergency term from
  `data/lexicon/` becomes `ask_emergency` whatever the model thought, so a possible
  emergency always gets the 112 guidance first — even when the model was unsure.
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

from lotsen_nlu.lexicon import Lexicon
from lotsen_nlu.normalize import fold

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
    """Route any message with an emergency term to the emergency intent."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"lexicon_dir": "data/lexicon", "intent": "ask_emergency"}

    def __init__(self, config: dict[str, Any]) -> None:
        self.intent = config["intent"]
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
            text = message.get(TEXT) or ""
            if not text or text.startswith("/"):
                continue  # empty, or a button payload naming its intent
            term = self.lexicon.emergency_match(text)
            current = (message.get(INTENT) or {}).get("name")
            if term is None or current == self.intent:
                continue
            message.set(INTENT, {"name": self.intent, "confidence": 1.0}, add_to_output=True)
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != self.intent]
            message.set(INTENT_RANKING_KEY, [{"name": self.intent, "confidence": 1.0}, *ranking], add_to_output=True)
            message.set("emergency_term", term, add_to_output=True)
        return messages
