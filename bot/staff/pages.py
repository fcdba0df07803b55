"""Server-rendered staff pages: rendering in the staff's language, the sign-in guard, and
the sign-in, sign-out and password routes for both areas (`/console/…` and `/editor/…`).

Templates are autoescaped, so whatever a user typed is shown as text. Every form carries
the session's CSRF token; failed sign-ins (only failed ones) are limited per address and
per username (`bot/staff/throttle.py`).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.db import Staff
from bot.flood import client_address
from bot.staff.accounts import (
    MIN_PASSWORD_LENGTH,
    AccountError,
    WrongPasswordError,
    authenticate,
    can,
    change_password,
)
from bot.staff.i18n import gettext, templates
from bot.staff.session import SignedIn, csrf_ok, csrf_token, current_session, forget, sign_in, sign_out
from bot.staff.throttle import FailedSignIns

log = logging.getLogger(__name__)

EDITOR = "editor"
STAFF = "staff"
ADMIN = "admin"
ANY = "any"  # any signed-in account (the password page)
AREAS = ("/console", "/editor")


def ui_language(request: Request) -> str:
    return str(request.app.state.settings.console_language)


def area_of(request: Request) -> str:
    return "/console" if request.url.path.startswith("/console") else "/editor"


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    language = ui_language(request)
    context = {"csrf": csrf_token(request), "ui_language": language, "area": area_of(request)[1:], **context}
    return templates(language).TemplateResponse(request, template, context, status_code=status)


def error_page(request: Request, message: str, status: int, account: Staff | None = None) -> Response:
    return render(request, "staff/error.html", {"account": account, "message": message}, status)


def address_of(request: Request) -> str:
    """The client's address as the flood limits see it (`LOTSEN_TRUSTED_PROXIES`)."""
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"), request.app.state.settings.trusted_proxies)


def throttle(request: Request) -> FailedSignIns:
    """The gateway's counter of failed sign-ins (one per app, made on first use)."""
    state = request.app.state
    found = getattr(state, "failed_sign_ins", None)
    if not isinstance(found, FailedSignIns):
        found = FailedSignIns()
        state.failed_sign_ins = found
    return found


def _refused(language: str, role: str) -> str:
    if role == EDITOR:
        return gettext(language, "Your account may not edit the knowledge bank.")
    if role == ADMIN:
        return gettext(language, "Only administrators may manage accounts.")
    return gettext(language, "Your account may not use the staff console.")


async def signed_in_session(request: Request, role: str, touch: bool = True) -> SignedIn | Response:
    """The valid session of an account with `role`, or the response to send instead: the
    sign-in page (no or an ended session) or 403 (the role may not do this)."""
    signed = await current_session(request, touch=touch)
    if signed is None:
        forget(request)
        return RedirectResponse(f"{area_of(request)}/login?next={quote(request.url.path)}", status_code=303)
    if role != ANY and not can(signed.account.role, role):
        return error_page(request, _refused(ui_language(request), role), 403, signed.account)
    return signed


async def signed_in(request: Request, role: str, touch: bool = True) -> Staff | Response:
    """The signed-in account with `role`, or the response to send instead (sign-in or 403)."""
    signed = await signed_in_session(request, role, touch)
    return signed.account if isinstance(signed, SignedIn) else signed


def _login_page(request: Request, next_url: str, error: str | None = None, status: int = 200) -> Response:
    context = {"next": next_url, "error": error, "action": request.url.path}
    return render(request, "staff/login.html", context, status=status)


def _too_many(language: str, wait: float) -> str:
    return gettext(language, "Too many attempts. Try again in %(minutes)d minutes.", minutes=int(wait // 60) + 1)


async def login(request: Request) -> Response:
    language = ui_language(request)
    area = area_of(request)
    next_url = request.query_params.get("next", area)
    if not next_url.startswith(AREAS) or "//" in next_url or "\\" in next_url:
        next_url = area
    if request.method == "GET":
        return _login_page(request, next_url)
    form = await request.form()
    username = str(form.get("username") or "")
    if not csrf_ok(request, form):
        return _login_page(request, next_url, gettext(language, "The form had expired. Please try again."), 400)
    client = address_of(request)
    failures = throttle(request)
    if wait := failures.retry_after(username, client):
        return _login_page(request, next_url, _too_many(language, wait), 429)
    account = await authenticate(request.app.state.db, username, str(form.get("password") or ""))
    if account is None:
        failures.failed(username, client)
        log.warning("failed staff sign-in for %r from %s", username[:64], client)
        return _login_page(request, next_url, gettext(language, "Wrong username or password."), 401)
    failures.succeeded(username)
    await sign_in(request, account)
    log.info("staff %s signed in", account.username)
    return RedirectResponse(next_url, status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    if csrf_ok(request, form):
        await sign_out(request)
    return RedirectResponse(f"{area_of(request)}/login", status_code=303)


async def password(request: Request) -> Response:
    """Change one's own password: the current one, the new one twice; other sessions end."""
    signed = await signed_in_session(request, ANY)
    if not isinstance(signed, SignedIn):
        return signed
    language = ui_language(request)
    context: dict[str, Any] = {"account": signed.account, "min_length": MIN_PASSWORD_LENGTH}
    if request.method == "GET":
        return render(request, "staff/password.html", {**context, "changed": "changed" in request.query_params})
    form = await request.form()
    if not csrf_ok(request, form):
        error, status = gettext(language, "The form had expired. Please try again."), 400
        return render(request, "staff/password.html", {**context, "error": error}, status)
    new = str(form.get("new") or "")
    client = address_of(request)
    failures = throttle(request)
    if wait := failures.retry_after(signed.account.username, client):
        return render(request, "staff/password.html", {**context, "error": _too_many(language, wait)}, 429)
    if new != str(form.get("again") or ""):
        error = gettext(language, "The two new passwords differ.")
        return render(request, "staff/password.html", {**context, "error": error}, 422)
    try:
        await change_password(
            request.app.state.db, signed.account.id, str(form.get("current") or ""), new, signed.session_id
        )
    except AccountError as exc:
        status = 422
        if isinstance(exc, WrongPasswordError):
            failures.failed(signed.account.username, client)
            status = 401
        error = gettext(language, exc.message, **exc.params)
        return render(request, "staff/password.html", {**context, "error": error}, status)
    log.info("staff %s changed their password; their other sessions ended", signed.account.username)
    return RedirectResponse(f"{area_of(request)}/password?changed=1", status_code=303)


ROUTES = [
    Route(f"{area}/{name}", handler, methods=methods)
    for area in AREAS
    for name, handler, methods in (
        ("login", login, ["GET", "POST"]),
        ("logout", logout, ["POST"]),
        ("password", password, ["GET", "POST"]),
    )
]
