"""The knowledge bank: sourced answers, offices and associations that editors keep in
`data/knowledge/` (schema in docs/knowledge.md)."""

from lotsen.knowledge.bank import FALLBACK_LANGUAGES, Answer, KnowledgeBank, in_language, load_bank
from lotsen.knowledge.files import MAX_FILE_BYTES, KnowledgeError, load_file, parse_text
from lotsen.knowledge.schema import (
    MAX_MESSAGE_CHARS,
    Association,
    Interest,
    MunicipalityOffices,
    Office,
    Source,
    Topic,
)
from lotsen.knowledge.store import KnowledgeStore
from lotsen.municipalities import OTHER as OTHER_MUNICIPALITY

__all__ = [
    "FALLBACK_LANGUAGES",
    "MAX_FILE_BYTES",
    "MAX_MESSAGE_CHARS",
    "OTHER_MUNICIPALITY",
    "Answer",
    "Association",
    "Interest",
    "KnowledgeBank",
    "KnowledgeError",
    "KnowledgeStore",
    "MunicipalityOffices",
    "Office",
    "Source",
    "Topic",
    "in_language",
    "load_bank",
    "load_file",
    "parse_text",
]
