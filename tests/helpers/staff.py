"""Staff accounts and browsers for the console tests: accounts with municipalities, a
signed-in browser of its own (own cookies) on the same app, forms with their CSRF token,
and the audit log."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from starlette.testclient import TestClient

from bot.staff.accounts import create_account

PASSWORD = "correct horse battery"


def add_account(client: TestClient, username: str, role: str, municipalities: Iterable[str] = ()) -> None:
    async def create() -> None:
        await create_account(
            client.app.state.db,  # type: ignore[attr-defined]
            username,
            PASSWORD,
            role,
            display_name=username.title(),
            municipalities=list(municipalities),
        )

    client.portal.call(create)  # type: ignore[union-attr]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the form"
    return found.group(1)


def browser(app_client: TestClient, **kwargs: object) -> TestClient:
    """A second browser (own cookies) on the same running app."""
    other = TestClient(app_client.app, **kwargs)  # type: ignore[arg-type]
    other.portal = app_client.portal  # type: ignore[attr-defined]
    return other


def sign_in(client: TestClient, username: str, password: str = PASSWORD, area: str = "/console") -> int:
    page = client.get(f"{area}/login")
    response = client.post(
        f"{area}/login",
        data={"csrf": csrf_of(page.text), "username": username, "password": password},
        follow_redirects=False,
    )
    return response.status_code


def staff_client(app_client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    """A new browser, signed in to the console as `username`."""
    other = browser(app_client)
    assert sign_in(other, username, password) == 303
    return other


def post_form(client: TestClient, url: str, page_url: str, **fields: str | list[str]) -> object:
    """Load `page_url` for its CSRF token, then post the form to `url`."""
    page = client.get(page_url)
    return client.post(url, data={"csrf": csrf_of(page.text), **fields}, follow_redirects=False)


def audit_rows(db_path: Path, *columns: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_path) as db:
        return db.execute(f"SELECT {', '.join(columns)} FROM audit_log ORDER BY id").fetchall()
