"""The model name follows the training inputs, so `make train` retrains only on change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lotsen.paths import ROOT
from lotsen.train import (
    DEFAULT_CONFIG,
    LOTSEN_CONFIG,
    MODEL_DEPENDENCIES,
    TRAINING_DIRS,
    TRAINING_FILES,
    fingerprint,
    model_path,
)


def copy_project(tmp_path: Path) -> Path:
    for name in (*TRAINING_FILES, LOTSEN_CONFIG, DEFAULT_CONFIG):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
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


def test_the_default_pipeline_baseline_is_cached_apart_and_follows_its_own_config(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    ours, default = model_path(project), model_path(project, DEFAULT_CONFIG, "rasa-default")
    assert ours.name.startswith("lotsen-") and default.name.startswith("rasa-default-")
    assert ours.name.removeprefix("lotsen-") != default.name.removeprefix("rasa-default-")
    with open(project / DEFAULT_CONFIG, "a", encoding="utf-8") as f:
        f.write("\n# edited\n")
    assert model_path(project) == ours  # our model does not retrain for the baseline's config
    assert model_path(project, DEFAULT_CONFIG, "rasa-default") != default
