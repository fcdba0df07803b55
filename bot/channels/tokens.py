"""Conversation tokens for the web channel: the credential that makes a conversation yours.

The first reply of a new web conversation carries a token (192 random bits); only its
SHA-256 is stored. Every later request for that conversation — POST, GET, DELETE, the
WebSocket's first frame — must carry it as `Authorization: Bearer <token>`, never in a
URL. Telegram needs none: the platform authenticates the chat.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping

TOKEN_BYTES = 24
SCHEME = "bearer"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def matches(stored_hash: str | None, token: str | None) -> bool:
    """In constant time; a conversation without a stored hash matches nothing."""
    if not stored_hash or not token:
        return False
    return secrets.compare_digest(stored_hash, token_hash(token))


def bearer(headers: Mapping[str, str]) -> str | None:
    """The token of an `Authorization: Bearer …` header, if there is one."""
    scheme, _, value = headers.get("authorization", "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != SCHEME or not value or len(value) > 200:
        return None
    return value
