"""Server-rendered staff pages: rendering in the staff's language, the sign-in guard, and
the sign-in and sign-out routes for both areas (`/console/…` and `/editor/…`).

Templates are autoescaped, so whatever a user typed is shown as text. Every form carries
the session's CSRF token; failed sign-ins are limited per address and per username.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.db import Staff
from bot.staff.accounts import authenticate
from bot.staff.i18n import gettext, templates
from bot.staff.session import csrf_ok, csrf_token, current_account, sign_in, sign_out

log = logging.getLogger(__name__)

EDITOR = "editor"
STAFF = "staff"
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


async def signed_in(request: Request, role: str) -> Staff | Response:
    """The signed-in account with `role`, or the response to send instead (sign-in or 403)."""
    account = await current_account(request, role)
    if account is not None:
        return account
    if request.session.get("staff_id") is not None:
        if role == EDITOR:
            message = gettext(ui_language(request), "Your account may not edit the knowledge bank.")
        else:
            message = gettext(ui_language(request), "Your account may not use the staff console.")
        return error_page(request, message, 403)
    return RedirectResponse(f"{area_of(request)}/login?next={quote(request.url.path)}", status_code=303)


def _login_page(request: Request, next_url: str, error: str | None = None, status: int = 200) -> Response:
    context = {"next": next_url, "error": error, "action": request.url.path}
    return render(request, "staff/login.html", context, status=status)


async def login(request: Request) -> Response:
    language = ui_language(request)
    area = area_of(request)
    next_url = request.query_params.get("next", area)
    if not next_url.startswith(AREAS) or "//" in next_url:
        next_url = area
    if request.method == "GET":
        return _login_page(request, next_url)
    form = await request.form()
    username = str(form.get("username") or "")
    if not csrf_ok(request, form):
        return _login_page(request, next_url, gettext(language, "The form had expired. Please try again."), 400)
    client = request.client.host if request.client else "unknown"
    limiter = request.app.state.login_limiter
    wait = max(limiter.retry_after(f"ip:{client}"), limiter.retry_after(f"user:{username.strip().lower()}"))
    if wait:
        error = gettext(language, "Too many attempts. Try again in %(minutes)d minutes.", minutes=int(wait // 60) + 1)
        return _login_page(request, next_url, error, 429)
    account = await authenticate(request.app.state.db, username, str(form.get("password") or ""))
    if account is None:
        log.warning("failed staff sign-in for %r from %s", username[:64], client)
        return _login_page(request, next_url, gettext(language, "Wrong username or password."), 401)
    sign_in(request, account)
    log.info("staff %s signed in", account.username)
    return RedirectResponse(next_url, status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    if csrf_ok(request, form):
        sign_out(request)
    return RedirectResponse(f"{area_of(request)}/login", status_code=303)


ROUTES = [
    Route(f"{area}/{name}", handler, methods=methods)
    for area in AREAS
    for name, handler, methods in (("login", login, ["GET", "POST"]), ("logout", logout, ["POST"]))
]
