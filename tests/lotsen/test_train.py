"""The model name follows the training inputs, so `make train` retrains only on change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lotsen.paths import ROOT
from lotsen.train import MODEL_DEPENDENCIES, TRAINING_DIRS, TRAINING_FILES, fingerprint


def copy_project(tmp_path: Path) -> Path:
    for name in TRAINING_FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    for directory in (*TRAINING_DIRS, *MODEL_DEPENDENCIES, "data/knowledge", "data/lexicon"):
        shutil.copytree(ROOT / directory, tmp_path / directory)
    return tmp_path


def test_fingerprint_is_stable(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    assert fingerprint(project) == fingerprint(project) == fingerprint(ROOT)


@pytest.mark.parametrize(
    ("edited", "retrains"),
    [
        ("data/nlu/sv/greet.yml", True),  # training data
        ("config.yml", True),
        ("lotsen_nlu/normalize.py", True),  # the tokenizer shapes the features
        ("data/knowledge/topics/bankid.yml", False),  # answers are read at run time
        ("data/lexicon/sv.yml", False),  # read when Rasa starts
    ],
)
def test_only_model_inputs_change_the_fingerprint(tmp_path: Path, edited: str, retrains: bool) -> None:
    project = copy_project(tmp_path)
    before = fingerprint(project)
    with open(project / edited, "a", encoding="utf-8") as f:
        f.write("\n# edited\n")
    assert (fingerprint(project) != before) is retrains
