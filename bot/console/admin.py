"""Account administration (`/console/admin`, admins only): create accounts, disable and
enable them, change the municipalities a staff member works for; see the languages each
person chats in (they set those on their own profile).

Every form carries the CSRF token; every change is one transaction with its audit row
(`account_create`, `account_disable`, `account_enable`, `account_scope`, with the
account's username in `target`). Disabling an account ends all its sessions at once; a
scope change applies from the account's next request (an open console's WebSocket within
a minute). An admin cannot disable their own account, so one admin always remains.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console import names
from bot.console.times import Times
from bot.db import Staff, utcnow
from bot.staff.accounts import (
    MIN_PASSWORD_LENGTH,
    ROLES,
    AccountError,
    create_account,
    list_accounts,
    required_scope,
    set_disabled,
    set_scope,
)
from bot.staff.i18n import gettext
from bot.staff.pages import ADMIN, error_page, render, signed_in, ui_language
from bot.staff.session import csrf_ok
from lotsen.municipalities import municipalities

log = logging.getLogger(__name__)
PAGE = "/console/admin"


def _spoken(accounts: list[Staff], language: str) -> dict[int, str]:
    """Each account's languages, named in the console language ("svenska, tigrinja")."""
    return {a.id: ", ".join(names.language_in_sentence(code, language) for code in a.languages or []) for a in accounts}


async def _page(request: Request, account: Staff, status: int = 200, **extra: Any) -> Response:
    accounts = await list_accounts(request.app.state.db)
    language = ui_language(request)
    context = {
        "account": account,
        "accounts": accounts,
        "spoken": _spoken(accounts, language),
        "times": Times(language, utcnow()),
        "roles": ROLES,
        "municipalities": municipalities(),
        "min_length": MIN_PASSWORD_LENGTH,
        "form": {},
        "error": None,
        "done": request.query_params.get("done"),
        "stuck_erasures": await request.app.state.erasure.stuck(),
        **extra,
    }
    return render(request, "console/admin.html", context, status)


async def accounts_page(request: Request) -> Response:
    account = await signed_in(request, ADMIN)
    if isinstance(account, Response):
        return account
    return await _page(request, account)


def _expired(request: Request, account: Staff) -> Response:
    return error_page(request, gettext(ui_language(request), "The form had expired. Please try again."), 400, account)


async def create(request: Request) -> Response:
    account = await signed_in(request, ADMIN)
    if isinstance(account, Response):
        return account
    form = await request.form()
    if not csrf_ok(request, form):
        return _expired(request, account)
    language = ui_language(request)
    username, role = str(form.get("username") or ""), str(form.get("role") or "")
    display_name = str(form.get("display_name") or "")
    chosen = [str(m) for m in form.getlist("municipalities")]
    fields = {"username": username, "display_name": display_name, "role": role, "municipalities": chosen}
    try:
        required_scope(role, chosen)
        created = await create_account(
            request.app.state.db,
            username,
            str(form.get("password") or ""),
            role,
            display_name,
            chosen,
            actor=account.username,
        )
    except AccountError as exc:
        return await _page(request, account, 422, form=fields, error=gettext(language, exc.message, **exc.params))
    log.info("admin %s created the %s account %s", account.username, created.role, created.username)
    return RedirectResponse(f"{PAGE}?done=created", status_code=303)


async def change(request: Request) -> Response:
    """POST /console/admin/accounts/{id}/{disable|enable|scope}."""
    account = await signed_in(request, ADMIN)
    if isinstance(account, Response):
        return account
    form = await request.form()
    if not csrf_ok(request, form):
        return _expired(request, account)
    target, what = int(request.path_params["staff_id"]), request.path_params["what"]
    db = request.app.state.db
    try:
        if what in ("disable", "enable"):
            changed = await set_disabled(db, account, target, disabled=what == "disable")
        elif what == "scope":
            changed = await set_scope(db, account, target, [str(m) for m in form.getlist("municipalities")])
        else:
            return error_page(request, "no such action", 404, account)
    except AccountError as exc:
        error = gettext(ui_language(request), exc.message, **exc.params)
        return await _page(request, account, 422, error=error)
    log.info("admin %s: %s %s", account.username, what, changed.username)
    return RedirectResponse(f"{PAGE}?done={what}", status_code=303)


ROUTES = [
    Route(PAGE, accounts_page),
    Route(f"{PAGE}/accounts", create, methods=["POST"]),
    Route(PAGE + "/accounts/{staff_id:int}/{what:str}", change, methods=["POST"]),
]
