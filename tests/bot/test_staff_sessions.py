"""Staff sessions live on the server: the cookie carries one random secret, and the
`staff_sessions` row decides — signing out, a password change or a disabled account ends
it at once (a copied cookie too), it expires when idle and after an absolute maximum age,
and the console's WebSocket obeys the same rules."""

from __future__ import annotations

import base64
import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.app import create_app
from lotsen.settings import Settings
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.staff import PASSWORD, add_account, audit_rows, browser, csrf_of, post_form, sign_in, staff_client

NEW_PASSWORD = "a much longer new password"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def age_sessions(db_path: Path, created_ago: timedelta, seen_ago: timedelta) -> None:
    now = datetime.now(timezone.utc)
    with sqlite3.connect(db_path) as db:
        db.execute(
            "UPDATE staff_sessions SET created_at = ?, last_seen_at = ?",
            (_stamp(now - created_ago), _stamp(now - seen_ago)),
        )


def last_seen(db_path: Path) -> str:
    with sqlite3.connect(db_path) as db:
        return str(db.execute("SELECT last_seen_at FROM staff_sessions").fetchone()[0])


def is_signed_in(client: TestClient, page: str = "/console") -> bool:
    response = client.get(page, follow_redirects=False)
    assert response.status_code in (200, 303), response.status_code
    return response.status_code == 200


@pytest.fixture
def sara(client: TestClient) -> TestClient:
    add_account(client, "sara", "staff", ("linkoping",))
    return staff_client(client, "sara")


def test_the_cookie_carries_only_a_random_session_secret(client: TestClient, sara: TestClient) -> None:
    (value,) = [v for k, v in sara.cookies.items() if k == "lotsen_staff"]
    payload = json.loads(base64.b64decode(value.split(".")[0] + "=="))
    assert list(payload) == ["sid"]
    assert "sara" not in json.dumps(payload) and len(payload["sid"]) >= 40
    with sqlite3.connect(Path(client.app.state.settings.database_url.split("///")[1])) as db:  # type: ignore[attr-defined]
        (stored,) = db.execute("SELECT id FROM staff_sessions").fetchall()
    assert stored[0] != payload["sid"] and len(stored[0]) == 64  # only its SHA-256 is stored


def test_a_copied_cookie_stops_working_after_sign_out(client: TestClient, sara: TestClient) -> None:
    copy = browser(client, cookies=dict(sara.cookies))  # e.g. taken from a shared computer
    assert is_signed_in(copy)
    post_form(sara, "/console/logout", "/console")
    assert not is_signed_in(sara)
    assert not is_signed_in(copy)  # the same signed cookie, now refused
    assert copy.get("/console/queue").status_code == 401
    with pytest.raises(WebSocketDisconnect) as closed, copy.websocket_connect("/console/ws") as ws:
        ws.receive_json()
    assert closed.value.code == 4401


def test_signing_in_again_gives_a_new_secret(client: TestClient, sara: TestClient) -> None:
    before = dict(sara.cookies)
    assert sign_in(sara, "sara") == 303
    assert dict(sara.cookies) != before
    assert is_signed_in(sara)


def test_the_maximum_age_counts_from_sign_in_and_does_not_slide(
    client: TestClient, sara: TestClient, tmp_path: Path
) -> None:
    age_sessions(tmp_path / "gateway.db", created_ago=timedelta(hours=9, minutes=59), seen_ago=timedelta(0))
    assert is_signed_in(sara)  # used a moment ago and younger than 10 hours …
    age_sessions(tmp_path / "gateway.db", created_ago=timedelta(hours=10, minutes=1), seen_ago=timedelta(0))
    assert not is_signed_in(sara)  # … but however busy, 10 hours after sign-in it ends
    with pytest.raises(WebSocketDisconnect) as closed, sara.websocket_connect("/console/ws") as ws:
        ws.receive_json()
    assert closed.value.code == 4401


def test_an_idle_session_ends_and_automatic_refreshes_do_not_keep_it_alive(
    client: TestClient, sara: TestClient, tmp_path: Path
) -> None:
    db = tmp_path / "gateway.db"
    age_sessions(db, created_ago=timedelta(minutes=40), seen_ago=timedelta(minutes=30))
    before = last_seen(db)
    assert sara.get("/console/queue").status_code == 200  # what console.js fetches by itself
    with sara.websocket_connect("/console/ws") as ws:
        assert ws.receive_json() == {"type": "presence"}
    assert last_seen(db) == before  # neither counted as use
    assert is_signed_in(sara)  # a page a person opened is
    assert last_seen(db) > before

    age_sessions(db, created_ago=timedelta(minutes=90), seen_ago=timedelta(minutes=61))
    with pytest.raises(WebSocketDisconnect) as closed, sara.websocket_connect("/console/ws") as ws:
        ws.receive_json()
    assert closed.value.code == 4401
    assert not is_signed_in(sara)


def test_password_change_ends_the_other_sessions_and_keeps_this_one(
    client: TestClient, sara: TestClient, tmp_path: Path
) -> None:
    other = staff_client(client, "sara")  # the same person on another computer
    response = post_form(
        sara, "/console/password", "/console/password", current=PASSWORD, new=NEW_PASSWORD, again=NEW_PASSWORD
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert is_signed_in(sara)
    assert not is_signed_in(other)
    assert sign_in(browser(client), "sara", PASSWORD) == 401
    assert sign_in(browser(client), "sara", NEW_PASSWORD) == 303
    assert ("sara", "password_change", "sara") in audit_rows(tmp_path / "gateway.db", "actor", "action", "target")


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"current": "not my password", "new": NEW_PASSWORD, "again": NEW_PASSWORD}, 401),
        ({"current": PASSWORD, "new": NEW_PASSWORD, "again": NEW_PASSWORD + "!"}, 422),
        ({"current": PASSWORD, "new": "too short", "again": "too short"}, 422),
        ({"current": PASSWORD, "new": PASSWORD, "again": PASSWORD}, 422),
    ],
)
def test_password_change_is_refused_when_wrong(sara: TestClient, fields: dict[str, str], status: int) -> None:
    response = post_form(sara, "/console/password", "/console/password", **fields)
    assert response.status_code == status  # type: ignore[attr-defined]
    assert 'role="alert"' in response.text  # type: ignore[attr-defined]
    assert sign_in(browser(sara), "sara", PASSWORD) == 303  # unchanged


def test_password_change_needs_the_csrf_token(sara: TestClient) -> None:
    response = sara.post("/console/password", data={"current": PASSWORD, "new": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert response.status_code == 400
    assert sign_in(browser(sara), "sara", PASSWORD) == 303


def test_editors_change_their_password_in_the_editor_area(client: TestClient) -> None:
    add_account(client, "erik", "editor")
    erik = browser(client)
    assert sign_in(erik, "erik", area="/editor") == 303
    page = erik.get("/editor")
    assert 'href="/editor/password"' in page.text
    response = post_form(
        erik, "/editor/password", "/editor/password", current=PASSWORD, new=NEW_PASSWORD, again=NEW_PASSWORD
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert sign_in(browser(client), "erik", NEW_PASSWORD, area="/editor") == 303


def test_disabling_an_account_ends_its_sessions_at_once(client: TestClient, sara: TestClient, tmp_path: Path) -> None:
    add_account(client, "ada", "admin")
    ada = staff_client(client, "ada")
    sara_id = _account_id(tmp_path, "sara")
    response = post_form(ada, f"/console/admin/accounts/{sara_id}/disable", "/console/admin")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert live_sessions(tmp_path, sara_id) == 0  # revoked in the table at once, not on next use
    assert not is_signed_in(sara)
    assert sign_in(browser(client), "sara") == 401  # the right password, but disabled
    post_form(ada, f"/console/admin/accounts/{sara_id}/enable", "/console/admin")
    assert sign_in(browser(client), "sara") == 303
    rows = audit_rows(tmp_path / "gateway.db", "actor", "action", "target")
    assert ("ada", "account_disable", "sara") in rows and ("ada", "account_enable", "sara") in rows
    assert live_sessions(tmp_path, sara_id) == 1  # the sign-in after enabling


def live_sessions(tmp_path: Path, staff_id: int) -> int:
    with sqlite3.connect(tmp_path / "gateway.db") as db:
        query = "SELECT count(*) FROM staff_sessions WHERE staff_id = ? AND revoked_at IS NULL"
        return int(db.execute(query, (staff_id,)).fetchone()[0])


def test_a_disabled_account_is_refused_even_with_a_live_session(
    client: TestClient, sara: TestClient, tmp_path: Path
) -> None:
    with sqlite3.connect(tmp_path / "gateway.db") as db:  # e.g. disabled by another tool
        db.execute("UPDATE staff SET disabled = 1 WHERE username = 'sara'")
    assert not is_signed_in(sara)


def _account_id(tmp_path: Path, username: str) -> int:
    with sqlite3.connect(tmp_path / "gateway.db") as db:
        return int(db.execute("SELECT id FROM staff WHERE username = ?", (username,)).fetchone()[0])


@pytest.fixture
def secure_client(settings: Settings, backends: FakeBackends) -> Iterator[TestClient]:
    app = create_app(dataclasses.replace(settings, cookie_secure=True), transport=backends.transport())
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


def test_secure_cookie_is_host_prefixed(secure_client: TestClient) -> None:
    page = secure_client.get("/console/login")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-lotsen_staff=")
    flags = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "secure" in flags and "path=/" in flags and "httponly" in flags and "samesite=strict" in flags
    assert not any(flag.startswith("domain") for flag in flags)
    add_account(secure_client, "sara", "staff", ("linkoping",))
    response = secure_client.post(
        "/console/login",
        data={"csrf": csrf_of(page.text), "username": "sara", "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["set-cookie"].startswith("__Host-lotsen_staff=")
    assert secure_client.get("/console").status_code == 200
