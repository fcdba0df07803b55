"""`/console/statistics` (the page) and `/console/statistics.csv` (the same numbers).

Who sees what: editors and admins every municipality (and conversations that have not
named one); staff only the municipalities of their account (`Staff.municipalities`) —
asking for another one is 403, like another municipality's handoff in the console. Not
signed in: the console's sign-in page, through the console's own guard
(`bot.staff.pages.signed_in_session`), which also ends idle or revoked sessions.

Filters are query parameters, so a view can be bookmarked and shared with colleagues who
may see it: `municipality` (an id; none: all the viewer may see) and `weeks` (4, 12, 26
or 52; anything else: 12).
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.db import Staff, utcnow
from bot.staff.accounts import can, scope_of
from bot.staff.i18n import gettext
from bot.staff.pages import ANY, EDITOR, STAFF, error_page, render, signed_in_session, ui_language
from bot.staff.session import SignedIn
from bot.statistics.export import csv_text
from bot.statistics.page import View, combined, context, load
from bot.statistics.weeks import weeks_back

log = logging.getLogger(__name__)
PAGE = "/console/statistics"
CSV = "/console/statistics.csv"


def scope(account: Staff) -> frozenset[str] | None:
    """The municipalities an account may see statistics of; None: all of them."""
    return None if can(account.role, EDITOR) else scope_of(account)


async def _viewer(request: Request) -> tuple[Staff, View] | Response:
    """The signed-in account and the view it asked for, or the response to send instead
    (sign-in, or 403 for a role or municipality it may not see)."""
    signed = await signed_in_session(request, ANY)
    if not isinstance(signed, SignedIn):
        return signed
    account, language = signed.account, ui_language(request)
    if not (can(account.role, STAFF) or can(account.role, EDITOR)):
        return error_page(request, gettext(language, "Your account may not see the statistics."), 403, account)
    allowed = scope(account)
    if allowed is not None and not allowed:
        message = gettext(
            language,
            "Your account has no municipalities yet, so there are no statistics to show. Ask an administrator.",
        )
        return error_page(request, message, 403, account)
    view = View(request.query_params.get("municipality", ""), weeks_back(request.query_params.get("weeks")), allowed)
    if view.municipality and view.municipality not in view.options():
        log.info("statistics of %r refused to %s", view.municipality[:32], account.username)
        message = gettext(language, "You may not see the statistics of that municipality.")
        return error_page(request, message, 403, account)
    return account, view


def _query(view: View) -> str:
    return urlencode({"municipality": view.municipality, "weeks": view.weeks_back})


async def statistics_page(request: Request) -> Response:
    found = await _viewer(request)
    if isinstance(found, Response):
        return found
    account, view = found
    now = utcnow()
    tallies = await load(request.app.state.db, view, now)
    language = ui_language(request)
    page = context(tallies, view, language, now, request.app.state.settings.retention_days)
    return render(request, "statistics/page.html", {**page, "account": account, "csv_url": f"{CSV}?{_query(view)}"})


async def statistics_csv(request: Request) -> Response:
    found = await _viewer(request)
    if isinstance(found, Response):
        return found
    _account, view = found
    now = utcnow()
    tallies = await load(request.app.state.db, view, now)
    weeks = tallies.weeks
    name = f"lotsen-statistics-{view.municipality or 'all'}-{weeks[0].label}-{weeks[-1].label}.csv"
    return Response(
        csv_text(tallies, combined(view, tallies)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


ROUTES = [
    Route(PAGE, statistics_page),
    Route(CSV, statistics_csv),
]
