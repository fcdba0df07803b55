"""Sign-in for staff pages: server-side sessions, expiry, CSRF tokens.

The session cookie (Starlette's SessionMiddleware, signed with `LOTSEN_SECRET_KEY`) holds
one random secret and nothing else. Its SHA-256 is the id of a `staff_sessions` row, and
that row decides: a session is valid while it is not revoked (signing out, a password
change, the account disabled), younger than `LOTSEN_SESSION_MAX_HOURS` counted from the
sign-in (absolute, it does not slide) and used within `LOTSEN_SESSION_IDLE_MINUTES`. So a
copied cookie stops working the moment its session is revoked, on every gateway.

Only what a person does counts as use: the console's automatic refreshes and its
WebSocket are checked (`touch=False`) but do not keep a session alive, so an unattended
console signs itself out after the idle time.

The CSRF token of every form is derived from the same secret (a domain-separated
SHA-256), so it needs no storage and changes at every sign-in; an anonymous visitor gets a
secret without a row, for the sign-in form.

With `LOTSEN_COOKIE_SECURE=true` the cookie is `__Host-lotsen_staff`: `Secure`, `Path=/`
and no `Domain`, so no other host or plain-HTTP page can set or read it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection, Request

from bot.db import Staff, StaffSession, aware, utcnow
from bot.staff.accounts import can
from lotsen.settings import Settings

SESSION_SECRET = "sid"
COOKIE = "lotsen_staff"
SECURE_COOKIE = "__Host-lotsen_staff"
TOUCH_SECONDS = 60  # `last_seen_at` is written at most once a minute per session


def middleware(settings: Settings, secret_key: str) -> Middleware:
    """The signed session cookie for staff pages (see the module docstring)."""
    return Middleware(
        SessionMiddleware,
        secret_key=secret_key,
        session_cookie=SECURE_COOKIE if settings.cookie_secure else COOKIE,
        max_age=settings.session_max_hours * 3600,
        path="/",
        same_site="strict",
        https_only=settings.cookie_secure,
    )


def _digest(secret: str, label: bytes = b"") -> str:
    return hashlib.sha256(label + secret.encode()).hexdigest()


def session_id(secret: str) -> str:
    """The `staff_sessions.id` of a cookie's secret."""
    return _digest(secret)


def _secret(connection: HTTPConnection) -> str | None:
    if "session" not in connection.scope:
        return None
    secret = connection.session.get(SESSION_SECRET)
    return secret if isinstance(secret, str) and 20 <= len(secret) <= 100 else None


def csrf_token(request: Request) -> str:
    secret = _secret(request)
    if secret is None:
        secret = secrets.token_urlsafe(32)
        request.session.clear()
        request.session[SESSION_SECRET] = secret
    return _digest(secret, b"lotsen-csrf\x00")


def csrf_ok(request: Request, form: Any) -> bool:
    sent = form.get("csrf")
    secret = _secret(request)
    if not isinstance(sent, str) or secret is None:
        return False
    return secrets.compare_digest(sent, _digest(secret, b"lotsen-csrf\x00"))


async def sign_in(request: Request, account: Staff) -> None:
    """A fresh secret (and CSRF token) at sign-in, so nothing from before carries over."""
    secret = secrets.token_urlsafe(32)
    request.session.clear()
    request.session[SESSION_SECRET] = secret
    async with request.app.state.db.sessions() as session:
        session.add(StaffSession(id=session_id(secret), staff_id=account.id))
        await session.commit()


async def sign_out(request: Request) -> None:
    """Revoke this browser's session in the database, then forget the cookie."""
    secret = _secret(request)
    if secret is not None:
        async with request.app.state.db.sessions() as session:
            row = await session.get(StaffSession, session_id(secret))
            if row is not None and row.revoked_at is None:
                row.revoked_at = utcnow()
                await session.commit()
    request.session.clear()


@dataclass
class SignedIn:
    account: Staff
    session_id: str
    created_at: datetime


def _ended(row: StaffSession, settings: Settings, now: datetime) -> bool:
    return (
        row.revoked_at is not None
        or now - aware(row.created_at) > timedelta(hours=settings.session_max_hours)
        or now - aware(row.last_seen_at) > timedelta(minutes=settings.session_idle_minutes)
    )


async def current_session(connection: HTTPConnection, touch: bool = True) -> SignedIn | None:
    """The signed-in account and its session, if the session is valid (see the module
    docstring); `touch` counts this request as use. An ended session is revoked."""
    secret = _secret(connection)
    if secret is None:
        return None
    settings: Settings = connection.app.state.settings
    async with connection.app.state.db.sessions() as session:
        row = await session.get(StaffSession, session_id(secret))
        if row is None:
            return None
        account = await session.get(Staff, row.staff_id)
        now = utcnow()
        if _ended(row, settings, now) or account is None or account.disabled:
            if row.revoked_at is None:
                row.revoked_at = now
                await session.commit()
            return None
        if touch and (now - aware(row.last_seen_at)).total_seconds() >= TOUCH_SECONDS:
            row.last_seen_at = now
            await session.commit()
        return SignedIn(account, row.id, aware(row.created_at))


def forget(request: Request) -> None:
    """Drop an ended session's secret from the cookie (the next form gets a new one)."""
    if _secret(request) is not None:
        request.session.clear()


async def current_account(request: Request, needed: str) -> Staff | None:
    """The signed-in account if its session is valid and it may act as `needed`, else None."""
    signed = await current_session(request)
    return signed.account if signed is not None and can(signed.account.role, needed) else None
