"""Sign-in for staff pages: signed session cookies, expiry, CSRF tokens, slow guessing.

The session cookie (Starlette's SessionMiddleware, signed with `LOTSEN_SECRET_KEY`) holds
only the account id, a CSRF token and when it was last used; a session unused for
`LOTSEN_SESSION_IDLE_MINUTES` ends. Every form carries the CSRF token and every POST
checks it. Failed sign-ins are limited per address and per username.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from starlette.requests import Request

from bot.db import Staff
from bot.staff.accounts import can

SESSION_USER = "staff_id"
SESSION_CSRF = "csrf"
SESSION_SEEN = "seen"


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def csrf_ok(request: Request, form: Any) -> bool:
    sent = form.get("csrf")
    expected = request.session.get(SESSION_CSRF)
    return isinstance(sent, str) and isinstance(expected, str) and secrets.compare_digest(sent, expected)


def sign_in(request: Request, account: Staff) -> None:
    request.session.clear()  # a fresh session (and CSRF token) at sign-in: no fixation
    request.session[SESSION_USER] = account.id
    request.session[SESSION_SEEN] = time.time()
    csrf_token(request)


def sign_out(request: Request) -> None:
    request.session.clear()


async def current_account(request: Request, needed: str) -> Staff | None:
    """The signed-in account if it may act as `needed` and its session is fresh, else None."""
    account_id = request.session.get(SESSION_USER)
    seen = request.session.get(SESSION_SEEN)
    idle_limit = request.app.state.settings.session_idle_minutes * 60
    if not isinstance(account_id, int) or not isinstance(seen, (int, float)) or time.time() - seen > idle_limit:
        request.session.pop(SESSION_USER, None)
        return None
    async with request.app.state.db.sessions() as session:
        account = await session.get(Staff, account_id)
    if account is None or not can(account.role, needed):
        return None
    request.session[SESSION_SEEN] = time.time()
    return account if isinstance(account, Staff) else None
