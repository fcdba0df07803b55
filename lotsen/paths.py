"""Where the project's own files are, resolved once from this file's location.

Every process starts with the repository as its working directory, but tests and tools
may not, so nothing here relies on the current directory. Places an operator may move
(the knowledge bank, runtime data) are settings: `lotsen.settings`.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
KNOWLEDGE_DIR = DATA_DIR / "knowledge"  # the bank in git; LOTSEN_KNOWLEDGE_DIR may point elsewhere
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
MODELS_DIR = ROOT / "models"
APP_VENV = ROOT / ".venv"
RASA_VENV = ROOT / ".venv-rasa"
