"""The knowledge bank as the action server sees it: one store per process, reloaded when
an editor saves a file (see lotsen/knowledge.py)."""

from __future__ import annotations

from lotsen.knowledge import KnowledgeStore
from lotsen.paths import KNOWLEDGE_DIR

STORE = KnowledgeStore(KNOWLEDGE_DIR)
