"""Accounts: the admin page (create, disable, enable, change municipalities — CSRF on every
form, an audit row for every change) and `make add-user … MUNICIPALITIES=…`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.staff import accounts
from tests.helpers.staff import PASSWORD, add_account, audit_rows, browser, csrf_of, post_form, sign_in, staff_client

ADMIN = "/console/admin"


@pytest.fixture
def ada(client: TestClient) -> TestClient:
    add_account(client, "ada", "admin")
    return staff_client(client, "ada")


def account_row(db_path: Path, username: str) -> tuple[object, ...] | None:
    with sqlite3.connect(db_path) as db:
        row: tuple[object, ...] | None = db.execute(
            "SELECT id, role, municipalities, disabled FROM staff WHERE username = ?", (username,)
        ).fetchone()
    return row


def test_only_admins_reach_the_accounts_page(client: TestClient, ada: TestClient) -> None:
    add_account(client, "sara", "staff", ("linkoping",))
    add_account(client, "erik", "editor")
    assert browser(client).get(ADMIN, follow_redirects=False).headers["location"].startswith("/console/login")
    sara = staff_client(client, "sara")
    assert sara.get(ADMIN).status_code == 403
    assert 'href="/console/admin"' not in sara.get("/console").text
    assert (
        post_form(sara, f"{ADMIN}/accounts", "/console", username="x", role="admin", password=PASSWORD * 2).status_code
        == 403
    )  # type: ignore[attr-defined]
    erik = staff_client(client, "erik")
    assert erik.get(ADMIN).status_code == 403
    assert 'href="/console/admin"' in ada.get("/console").text
    assert ada.get(ADMIN).status_code == 200


def test_admin_creates_a_staff_account_that_sees_its_municipalities(
    client: TestClient, ada: TestClient, tmp_path: Path
) -> None:
    response = post_form(
        ada,
        f"{ADMIN}/accounts",
        ADMIN,
        username="Kim",
        display_name="Kim K.",
        role="staff",
        municipalities=["bastad", "linkoping"],
        password="kims first password",
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    row = account_row(tmp_path / "gateway.db", "kim")
    assert row is not None and row[1] == "staff" and row[2] == '["bastad", "linkoping"]' and row[3] == 0
    assert ("ada", "account_create", "kim") in audit_rows(tmp_path / "gateway.db", "actor", "action", "target")
    kim = browser(client)
    assert sign_in(kim, "kim", "kims first password") == 303
    assert "Båstad, Linköping" in kim.get("/console").text


@pytest.mark.parametrize(
    "fields",
    [
        {"username": "kim", "role": "staff", "municipalities": ["atlantis"], "password": "long enough password"},
        {"username": "kim", "role": "staff", "password": "long enough password"},  # no municipality
        {"username": "kim", "role": "staff", "municipalities": ["bastad"], "password": "short"},
        {"username": "ada", "role": "editor", "password": "long enough password"},  # taken
        {"username": "kim", "role": "root", "password": "long enough password"},
    ],
)
def test_a_wrong_new_account_is_refused_with_a_reason(
    ada: TestClient, tmp_path: Path, fields: dict[str, str | list[str]]
) -> None:
    response = post_form(ada, f"{ADMIN}/accounts", ADMIN, **fields)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert 'role="alert"' in response.text  # type: ignore[attr-defined]
    assert account_row(tmp_path / "gateway.db", "kim") is None


def test_every_admin_form_needs_the_csrf_token(client: TestClient, ada: TestClient, tmp_path: Path) -> None:
    add_account(client, "sara", "staff", ("linkoping",))
    sara_id = account_row(tmp_path / "gateway.db", "sara")[0]  # type: ignore[index]
    created = ada.post(
        f"{ADMIN}/accounts", data={"username": "kim", "role": "admin", "password": "long enough password"}
    )
    assert created.status_code == 400 and account_row(tmp_path / "gateway.db", "kim") is None
    for what, fields in (("disable", {}), ("scope", {"municipalities": "bastad"})):
        response = ada.post(f"{ADMIN}/accounts/{sara_id}/{what}", data={**fields, "csrf": "forged"})
        assert response.status_code == 400
    assert account_row(tmp_path / "gateway.db", "sara")[2:] == ('["linkoping"]', 0)  # type: ignore[index]


def test_changing_the_municipalities_applies_on_the_next_request(
    client: TestClient, ada: TestClient, tmp_path: Path
) -> None:
    add_account(client, "sara", "staff", ("linkoping",))
    sara = staff_client(client, "sara")
    sara_id = account_row(tmp_path / "gateway.db", "sara")[0]  # type: ignore[index]
    response = post_form(ada, f"{ADMIN}/accounts/{sara_id}/scope", ADMIN, municipalities=["bastad", "stockholm"])
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert "Stockholm, Båstad" in sara.get("/console").text or "Båstad, Stockholm" in sara.get("/console").text
    assert ("ada", "account_scope", "sara") in audit_rows(tmp_path / "gateway.db", "actor", "action", "target")
    refused = post_form(ada, f"{ADMIN}/accounts/{sara_id}/scope", ADMIN, municipalities=["atlantis"])
    assert refused.status_code == 422  # type: ignore[attr-defined]


def test_an_admin_cannot_disable_their_own_account(ada: TestClient, tmp_path: Path) -> None:
    ada_id = account_row(tmp_path / "gateway.db", "ada")[0]  # type: ignore[index]
    assert post_form(ada, f"{ADMIN}/accounts/{ada_id}/disable", ADMIN).status_code == 422  # type: ignore[attr-defined]
    assert ada.get(ADMIN).status_code == 200


def test_add_user_takes_municipalities_and_refuses_unknown_ones(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOTSEN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("LOTSEN_NEW_PASSWORD", "a long enough password")
    assert accounts.main(["kim", "--role", "staff", "--municipalities", "linkoping,bastad"]) == 0
    assert account_row(tmp_path / "cli.db", "kim")[2] == '["bastad", "linkoping"]'  # type: ignore[index]
    assert ("command-line", "account_create", "kim") in audit_rows(tmp_path / "cli.db", "actor", "action", "target")

    assert accounts.main(["lo", "--role", "staff", "--municipalities", "linkoping,atlantis"]) == 1
    assert "atlantis" in capsys.readouterr().err
    assert accounts.main(["lo", "--role", "staff"]) == 1  # a staff account needs a municipality
    assert account_row(tmp_path / "cli.db", "lo") is None
    assert accounts.main(["eva", "--role", "editor"]) == 0


def test_the_make_target_passes_municipalities() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text(encoding="utf-8")
    (line,) = [line for line in makefile.splitlines() if "-m bot.staff.accounts" in line]
    assert '--municipalities "$(MUNICIPALITIES)"' in line


def test_sign_in_page_does_not_say_which_part_was_wrong(client: TestClient, ada: TestClient, tmp_path: Path) -> None:
    add_account(client, "sara", "staff", ("linkoping",))
    sara_id = account_row(tmp_path / "gateway.db", "sara")[0]  # type: ignore[index]
    post_form(ada, f"{ADMIN}/accounts/{sara_id}/disable", ADMIN)
    disabled, unknown = browser(client), browser(client)
    page = disabled.get("/console/login")
    answer = disabled.post(
        "/console/login", data={"csrf": csrf_of(page.text), "username": "sara", "password": PASSWORD}
    )
    page = unknown.get("/console/login")
    nobody = unknown.post(
        "/console/login", data={"csrf": csrf_of(page.text), "username": "nobody", "password": PASSWORD}
    )
    assert answer.status_code == nobody.status_code == 401


def test_admins_see_erasures_that_keep_failing(client: TestClient, ada: TestClient, tmp_path: Path) -> None:
    assert "radering" not in ada.get(ADMIN).text.lower()
    with sqlite3.connect(tmp_path / "gateway.db") as db:  # an erasure Rasa's store refused two hours ago
        db.execute(
            "INSERT INTO erasure_jobs (rasa_sender_id, requested_at, next_attempt_at, attempts, last_error) "
            "VALUES ('web:x', datetime('now', '-2 hours'), datetime('now', '+1 hour'), 5, 'OperationalError')"
        )
    page = ada.get(ADMIN).text
    assert "1 radering(ar) i Rasas samtalslager" in page
    assert client.get("/healthz").json().get("warnings")
