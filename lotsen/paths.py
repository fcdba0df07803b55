"""Where the project's files are, resolved once from this file's location.

Every process starts with the repository as its working directory, but tests and tools
may not, so nothing here relies on the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
KNOWLEDGE_DIR = Path(os.environ.get("LOTSEN_KNOWLEDGE_DIR", DATA_DIR / "knowledge"))
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
MODELS_DIR = ROOT / "models"
APP_VENV = ROOT / ".venv"
RASA_VENV = ROOT / ".venv-rasa"


def var_dir() -> Path:
    """Runtime data (SQLite files, logs); `LOTSEN_VAR_DIR` moves it, e.g. for tests."""
    path = Path(os.environ.get("LOTSEN_VAR_DIR", ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path
