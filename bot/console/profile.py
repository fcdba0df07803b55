"""`/console/profile`: a signed-in staff member sets the name users and colleagues see and
the languages they chat in (the eight Lotsen speaks as checkboxes, any other as codes).

The queue uses the languages to say who speaks a waiting person's language; the checks
and the audited save are in `bot/staff/profile.py`.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console import names
from bot.db import Staff
from bot.staff.accounts import AccountError
from bot.staff.i18n import gettext
from bot.staff.pages import STAFF, render, signed_in, ui_language
from bot.staff.profile import clean_languages, clean_name, save_profile
from bot.staff.session import csrf_ok
from lotsen.languages import languages

log = logging.getLogger(__name__)
PAGE = "/console/profile"


def _page(request: Request, account: Staff, status: int = 200, **extra: Any) -> Response:
    lang = ui_language(request)
    own = list(account.languages or [])
    context = {
        "account": account,
        "choices": [(code, names.language(code, lang), language.native_name) for code, language in languages().items()],
        "chosen": own,
        "other": " ".join(code for code in own if code not in languages()),
        "other_names": [names.language(code, lang) for code in own if code not in languages()],
        "name": account.display_name,
        "error": None,
        "saved": "saved" in request.query_params,
        **extra,
    }
    return render(request, "console/profile.html", context, status)


async def profile(request: Request) -> Response:
    account = await signed_in(request, STAFF)
    if isinstance(account, Response):
        return account
    if request.method == "GET":
        return _page(request, account)
    form = await request.form()
    lang = ui_language(request)
    checked = [str(code) for code in form.getlist("languages")]
    other, name = str(form.get("other") or ""), str(form.get("display_name") or "")
    if not csrf_ok(request, form):
        error = gettext(lang, "The form had expired. Please try again.")
        return _page(request, account, 400, error=error, name=name, chosen=checked, other=other)
    try:
        saved = await save_profile(request.app.state.db, account.id, clean_name(name), clean_languages(checked, other))
    except AccountError as exc:
        error = gettext(lang, exc.message, **exc.params)
        return _page(request, account, 422, error=error, name=name, chosen=checked, other=other)
    log.info("staff %s changed their profile", saved.username)
    return RedirectResponse(f"{PAGE}?saved=1", status_code=303)


ROUTES = [Route(PAGE, profile, methods=["GET", "POST"])]
