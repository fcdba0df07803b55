"""A dense featurizer with e5 sentence embeddings, for DIET (the `lotsen_diet_e5`
candidate in `make evaluate`; the chosen pipeline uses CascadeIntentClassifier instead).

Rasa 3.6's LanguageModelFeaturizer cannot load XLM-R-based models such as
multilingual-e5-small (Rasa issue #10385), hence this component. e5 gives one vector per
sentence; DIET also expects sequence features, so each token gets the sentence vector
(DIET then learns what the n-gram features add token by token).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from lotsen_nlu import encoder


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False, model_from=None)
class E5Featurizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def required_components() -> list[type]:
        return [Tokenizer]

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to configure."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> E5Featurizer:
        return cls(execution_context.node_name, {**cls.get_default_config(), **config})

    def _add(self, messages: list[Message], vectors: np.ndarray) -> None:
        for message, vector in zip(messages, vectors, strict=True):
            tokens = message.get(TOKENS_NAMES[TEXT]) or []
            sequence = np.tile(vector, (max(1, len(tokens)), 1))
            self.add_features_to_message(sequence, vector.reshape(1, -1), TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        examples = [m for m in training_data.training_examples if m.get(TEXT)]
        vectors, _ = encoder.EmbeddingCache().embed([str(m.get(TEXT)) for m in examples])
        self._add(examples, vectors)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        wanted = [m for m in messages if m.get(TEXT)]
        if wanted:
            self._add(wanted, encoder.embed([str(m.get(TEXT)) for m in wanted]))
        return messages
