"""The model name follows the training inputs, so `make train` retrains only on change."""

from __future__ import annotations

import shutil
from pathlib import Path

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


def test_nlu_edit_changes_fingerprint(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    before = fingerprint(project)
    with open(project / "data/nlu/sv/greet.yml", "a", encoding="utf-8") as f:
        f.write("      - hallåja\n")
    assert fingerprint(project) != before


def test_tokenizer_code_edit_changes_fingerprint(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    before = fingerprint(project)
    with open(project / "lotsen_nlu/normalize.py", "a", encoding="utf-8") as f:
        f.write("# changed\n")
    assert fingerprint(project) != before


def test_knowledge_edit_does_not_retrain(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    before = fingerprint(project)
    path = project / "data/knowledge/topics/bankid.yml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert fingerprint(project) == before
