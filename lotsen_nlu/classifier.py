"""Lotsen's intent classifier: our own n-grams beside a multilingual sentence encoder, as a
cascade that runs the encoder only when it can change the answer.

Two logistic regressions are trained on the same examples:
- *sparse*: tf-idf of character 2–4-grams (within words) and word 1–2-grams of the folded
  text (lotsen_nlu/normalize.py) — cheap (about a millisecond), strong on the words and
  spellings our data has;
- *combined*: the same n-grams ⊕ the e5 sentence embedding (lotsen_nlu/encoder.py), which
  knows what words mean across languages — half the errors of either alone when it was
  chosen (reports/nlu/decision.md), at ~16 ms of CPU per message.

For a message, the sparse model answers alone when it is sure (top probability ≥
`cascade_threshold`) and gives a possible emergency no weight at all; otherwise the
encoder runs and the combined model answers. The parse data says which (`encoder_used`)
and, when the encoder ran, how close the message is to the emergency examples
(`emergency_similarity`, read by the EmergencyGuard). Probabilities are a logistic
regression's, checked for calibration per language (reliability diagrams in
reports/nlu/), so the FallbackClassifier's threshold means what it says.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from lotsen_nlu import encoder
from lotsen_nlu.normalize import fold

log = logging.getLogger(__name__)

ENCODER_USED = "encoder_used"
EMERGENCY_SIMILARITY = "emergency_similarity"
ARRAYS = "classifier.npz"
VOCABULARY = "vocabulary.json"


def _vectorizers(
    config: dict[str, Any], vocabularies: dict[str, dict[str, int]] | None = None
) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    """The two n-gram vectorizers; with `vocabularies`, fixed to a trained model's."""
    known = vocabularies or {}
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=tuple(config["char_ngrams"]),
        min_df=config["min_df"] if not known else 1,
        sublinear_tf=True,
        dtype=np.float32,
        vocabulary=known.get("chars"),
    )
    words = TfidfVectorizer(
        analyzer="word",
        ngram_range=tuple(config["word_ngrams"]),
        sublinear_tf=True,
        token_pattern=r"(?u)\b\w+\b",
        dtype=np.float32,
        vocabulary=known.get("words"),
    )
    return chars, words


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class CascadeIntentClassifier(GraphComponent, IntentClassifier):
    """See the module docstring."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "char_ngrams": [2, 4],
            "word_ngrams": [1, 2],
            "min_df": 2,
            "C": 30.0,  # chosen on the held-out split (reports/nlu/decision.md)
            "dense_weight": 1.0,
            "use_encoder": True,
            # The sparse model answers alone at or above this probability …
            "cascade_threshold": 0.9,
            # … unless it gives the emergency intent this much (then the encoder runs).
            "emergency_watch": 0.01,
            "emergency_intent": "ask_emergency",
            "ranking_length": 10,
            "max_iter": 3000,
            "random_seed": 42,
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.chars, self.words = _vectorizers(self.config)
        self.classes: np.ndarray = np.array([])
        self.sparse_weights: tuple[np.ndarray, np.ndarray] | None = None
        self.combined_weights: tuple[np.ndarray, np.ndarray] | None = None
        self.emergency_vectors = np.zeros((0, encoder.DIMENSIONS), dtype=np.float32)
        self._prepared: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CascadeIntentClassifier:
        return cls(config, model_storage, resource)

    # Training ----------------------------------------------------------------------------

    def _sparse_features(self, texts: list[str], fit: bool = False) -> sparse.csr_matrix:
        folded = [fold(text) for text in texts]
        if fit:
            parts = [self.chars.fit_transform(folded), self.words.fit_transform(folded)]
        else:
            parts = [self.chars.transform(folded), self.words.transform(folded)]
        return sparse.hstack(parts).tocsr()

    def _fit(self, features: Any, intents: list[str]) -> tuple[np.ndarray, np.ndarray]:
        model = LogisticRegression(
            C=self.config["C"], max_iter=self.config["max_iter"], random_state=self.config["random_seed"]
        )
        model.fit(features, intents)
        self.classes = model.classes_
        return model.coef_.astype(np.float32), model.intercept_.astype(np.float32)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        texts, intents = [str(m.get(TEXT)) for m in examples], [str(m.get(INTENT)) for m in examples]
        started = time.monotonic()
        sparse_x = self._sparse_features(texts, fit=True)
        self.sparse_weights = self._fit(sparse_x, intents)
        if self.config["use_encoder"]:
            vectors, computed = encoder.EmbeddingCache().embed(texts)
            log.info("e5 embeddings: %d of %d computed, the rest from the cache", computed, len(texts))
            combined = sparse.hstack([sparse_x, sparse.csr_matrix(vectors * self.config["dense_weight"])]).tocsr()
            self.combined_weights = self._fit(combined, intents)
            emergency = np.array([intent == self.config["emergency_intent"] for intent in intents])
            self.emergency_vectors = vectors[emergency]
        log.info("cascade classifier trained on %d examples in %.1f s", len(texts), time.monotonic() - started)
        self.persist()
        return self._resource

    # Inference ---------------------------------------------------------------------------

    def _probabilities(self, features: Any, weights: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        coefficients, intercept = weights
        scores = features.astype(np.float32) @ self._transposed(coefficients) + intercept
        return _softmax(np.asarray(scores, dtype=np.float64))

    def _transposed(self, coefficients: np.ndarray) -> np.ndarray:
        """The weights as features × classes, C-ordered, made once per model.

        `sparse @ coefficients.T` copied the whole matrix on every message (scipy ravels a
        transposed view, and upcast it to the features' float64): 20 % of the Rasa
        server's CPU under load (reports/bench.md). In float32, as the weights are stored;
        the scores agree with the float64 product to ~1e-6 (tests/lotsen/test_rasa_runtime.py)."""
        cached = self._prepared.get(id(coefficients))
        if cached is None or cached[0] is not coefficients:
            cached = (coefficients, np.ascontiguousarray(coefficients.T))
            self._prepared[id(coefficients)] = cached
        return cached[1]

    def predict(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(probabilities, encoder used, emergency similarity or NaN) for each text."""
        assert self.sparse_weights is not None, "the classifier is not trained"
        sparse_x = self._sparse_features(texts)
        probabilities = self._probabilities(sparse_x, self.sparse_weights)
        used = np.zeros(len(texts), dtype=bool)
        similarity = np.full(len(texts), np.nan)
        if self.combined_weights is None:
            return probabilities, used, similarity
        emergency = np.flatnonzero(self.classes == self.config["emergency_intent"])
        watch = probabilities[:, emergency].max(axis=1) if emergency.size else np.zeros(len(texts))
        unsure = probabilities.max(axis=1) < self.config["cascade_threshold"]
        unsure |= watch >= self.config["emergency_watch"]
        rows = np.flatnonzero(unsure)
        if rows.size:
            vectors = encoder.embed([texts[i] for i in rows])
            combined = sparse.hstack([sparse_x[rows], sparse.csr_matrix(vectors * self.config["dense_weight"])])
            probabilities[rows] = self._probabilities(combined.tocsr(), self.combined_weights)
            used[rows] = True
            if len(self.emergency_vectors):
                similarity[rows] = (vectors @ self.emergency_vectors.T).max(axis=1)
        return probabilities, used, similarity

    def process(self, messages: list[Message]) -> list[Message]:
        texts = [str(m.get(TEXT) or "") for m in messages]
        wanted = [i for i, text in enumerate(texts) if text and not text.startswith("/")]
        for index in set(range(len(messages))) - set(wanted):
            # A button payload names its intent (RegexMessageHandler sets it at the end) and
            # an empty text has none; later components still expect the keys to exist.
            messages[index].set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
            messages[index].set(INTENT_RANKING_KEY, [], add_to_output=True)
        if not wanted or self.sparse_weights is None:
            return messages
        probabilities, used, similarity = self.predict([texts[i] for i in wanted])
        for row, index in enumerate(wanted):
            message = messages[index]
            order = np.argsort(-probabilities[row])[: self.config["ranking_length"]]
            ranking = [{"name": str(self.classes[i]), "confidence": float(probabilities[row, i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            message.set(ENCODER_USED, bool(used[row]), add_to_output=True)
            if not np.isnan(similarity[row]):
                message.set(EMERGENCY_SIMILARITY, float(similarity[row]), add_to_output=True)
        return messages

    # Storage -----------------------------------------------------------------------------

    def persist(self) -> None:
        """Plain arrays and the n-gram vocabularies: no pickle to trust when loading."""
        assert self.sparse_weights is not None
        arrays = {
            "classes": self.classes.astype(str),
            "sparse_coef": self.sparse_weights[0],
            "sparse_intercept": self.sparse_weights[1],
            "char_idf": self.chars.idf_.astype(np.float32),
            "word_idf": self.words.idf_.astype(np.float32),
            "emergency_vectors": self.emergency_vectors,
        }
        if self.combined_weights is not None:
            arrays.update(combined_coef=self.combined_weights[0], combined_intercept=self.combined_weights[1])
        vocabulary = {
            "chars": {term: int(i) for term, i in self.chars.vocabulary_.items()},
            "words": {term: int(i) for term, i in self.words.vocabulary_.items()},
            "encoder_model": encoder.model_hash() if self.combined_weights is not None else None,
        }
        with self._storage.write_to(self._resource) as directory:
            np.savez_compressed(directory / ARRAYS, **arrays)
            (directory / VOCABULARY).write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CascadeIntentClassifier:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                component._restore(Path(directory))
        except ValueError:
            log.warning("no trained cascade classifier in the model; it will not classify")
        return component

    def _restore(self, directory: Path) -> None:
        arrays = np.load(directory / ARRAYS)
        vocabulary = json.loads((directory / VOCABULARY).read_text(encoding="utf-8"))
        self.classes = arrays["classes"].astype(object)
        self.sparse_weights = (arrays["sparse_coef"], arrays["sparse_intercept"])
        self.chars, self.words = _vectorizers(self.config, vocabulary)
        self.chars.idf_, self.words.idf_ = arrays["char_idf"], arrays["word_idf"]
        if "combined_coef" in arrays.files:
            if vocabulary.get("encoder_model") != encoder.model_hash():
                raise RuntimeError("the sentence encoder changed since training: run `make train`")
            self.combined_weights = (arrays["combined_coef"], arrays["combined_intercept"])
            self.emergency_vectors = arrays["emergency_vectors"]
