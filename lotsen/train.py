"""`make train`: train the Rasa model only when its inputs changed.

The model file is named after a hash of everything Rasa trains from (config, domain,
NLU data, rules, stories), so "is it up to date?" is a file-exists check and a test run
or `make run` never retrains for nothing. Knowledge-bank edits are not training inputs:
answers are read at run time.

The same code trains the baseline `make bench` compares with: the same data under Rasa's
default config (`evaluation/configs/rasa_default.yml`), cached the same way (it takes
about half an hour here, so it is trained once per data change, never by `make test`).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lotsen.paths import MODELS_DIR, RASA_VENV, ROOT

LOTSEN_CONFIG = "config.yml"
DEFAULT_CONFIG = "evaluation/configs/rasa_default.yml"  # Rasa 3.6's own default config
TRAINING_FILES = ("domain.yml",)
TRAINING_DIRS = ("data/nlu", "data/rules", "data/stories")
# Not training data, but the code of the model's own components (the folding tokenizer
# shapes the features), so a change to it must produce a new model too. The emergency
# lexicon is read when Rasa starts, so editing it needs a restart, not a retraining.
MODEL_DEPENDENCIES = ("lotsen_nlu",)
KEEP_MODELS = 3


def training_inputs(root: Path = ROOT, config: str = LOTSEN_CONFIG) -> list[Path]:
    files = [root / config, *(root / name for name in TRAINING_FILES)]
    for directory in TRAINING_DIRS:
        files.extend(p for p in (root / directory).rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml"})
    for directory in MODEL_DEPENDENCIES:
        if (root / directory).exists():
            files.extend(p for p in (root / directory).rglob("*") if p.is_file() and p.suffix == ".py")
    return sorted(files)


def fingerprint(root: Path = ROOT, config: str = LOTSEN_CONFIG) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root, config):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(root: Path = ROOT, config: str = LOTSEN_CONFIG, name: str = "lotsen") -> Path:
    """Where the model for the current training data is (or will be)."""
    return MODELS_DIR / f"{name}-{fingerprint(root, config)}.tar.gz"


def _prune_old_models(keep: Path, name: str) -> None:
    models = sorted(MODELS_DIR.glob(f"{name}-*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [m for m in models if m != keep][KEEP_MODELS - 1 :]:
        old.unlink(missing_ok=True)
        training_record(old).unlink(missing_ok=True)


def training_record(model: Path) -> Path:
    """Beside each model: how long it took to train (read by `make bench`)."""
    return model.with_name(model.name.removesuffix(".tar.gz") + ".json")


def ensure_model(root: Path = ROOT, config: str = LOTSEN_CONFIG, name: str = "lotsen") -> Path:
    """Train if no model matches the current inputs; return the model's path."""
    target = model_path(root, config, name)
    if target.exists():
        print(f"model up to date: {target.relative_to(root)}")
        return target
    MODELS_DIR.mkdir(exist_ok=True)
    command = [
        str(RASA_VENV / "bin" / "rasa"),
        "train",
        "--data",
        *TRAINING_DIRS,
        "--config",
        config,
        "--domain",
        "domain.yml",
        "--out",
        str(MODELS_DIR),
        "--fixed-model-name",
        target.name.removesuffix(".tar.gz"),
    ]
    print(f"training {target.relative_to(root)} (data or config changed)…", flush=True)
    started = time.monotonic()
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(command, cwd=root, env=env, check=False)
    if result.returncode != 0 or not target.exists():
        raise SystemExit(f"rasa train failed (exit {result.returncode})")
    seconds = time.monotonic() - started
    print(f"trained in {seconds:.1f} s: {target.relative_to(root)}")
    training_record(target).write_text(json.dumps({"training_seconds": round(seconds, 1)}), encoding="utf-8")
    _prune_old_models(target, name)
    return target


def ensure_default_model(root: Path = ROOT) -> Path:
    """The baseline: the same data trained with Rasa's default config."""
    return ensure_model(root, DEFAULT_CONFIG, "rasa-default")


if __name__ == "__main__":
    ensure_model()
    sys.exit(0)
