"""Sign-in limits count failed attempts only, per username and per address, so an office
behind one NAT address never locks itself out while guessing is still slowed down."""

from __future__ import annotations

import dataclasses

import pytest
from starlette.testclient import TestClient

from bot.staff.throttle import PER_ADDRESS, PER_USERNAME, WINDOW_SECONDS, FailedSignIns
from tests.helpers.staff import add_account, browser, sign_in

OFFICE = ("linkoping",)


def test_six_successful_sign_ins_from_one_address_in_a_minute_all_succeed(client: TestClient) -> None:
    add_account(client, "sara", "staff", OFFICE)
    assert [sign_in(browser(client), "sara") for _ in range(6)] == [303] * 6  # one person, six computers


def test_a_whole_office_behind_one_address_signs_in(client: TestClient) -> None:
    names = [f"staff{i}" for i in range(PER_ADDRESS + 1)]
    for name in names:
        add_account(client, name, "staff", OFFICE)
    # Everyone comes in at nine: more sign-ins from one NAT address than failures may come.
    assert [sign_in(browser(client), name) for name in names] == [303] * len(names)


def test_five_failed_sign_ins_block_the_next_attempt(client: TestClient) -> None:
    add_account(client, "sara", "staff", OFFICE)
    assert [sign_in(client, "sara", "wrong password!") for _ in range(5)] == [401] * 5
    assert sign_in(client, "sara") == 429  # even the right password waits now
    assert sign_in(browser(client), "sara") == 429  # from another browser too


def test_a_colleagues_failures_do_not_lock_out_the_office(client: TestClient) -> None:
    add_account(client, "sara", "staff", OFFICE)
    add_account(client, "olle", "staff", OFFICE)
    for _ in range(PER_USERNAME):
        sign_in(client, "sara", "wrong password!")
    assert sign_in(browser(client), "olle") == 303  # same address, another username


def test_many_usernames_guessed_from_one_address_block_that_address(client: TestClient) -> None:
    add_account(client, "sara", "staff", OFFICE)
    assert {sign_in(client, f"guess{i}", "wrong password!") for i in range(PER_ADDRESS)} == {401}
    assert sign_in(client, "sara") == 429


def test_a_successful_sign_in_clears_its_usernames_failures(client: TestClient) -> None:
    add_account(client, "sara", "staff", OFFICE)
    for _ in range(PER_USERNAME - 1):
        sign_in(client, "sara", "wrong password!")
    assert sign_in(client, "sara") == 303
    assert sign_in(client, "sara", "wrong password!") == 401  # a fresh count, not blocked
    assert sign_in(client, "sara") == 303


def test_the_limit_is_per_address_behind_a_trusted_proxy(client: TestClient) -> None:
    client.app.state.settings = dataclasses.replace(client.app.state.settings, trusted_proxies=("testclient",))  # type: ignore[attr-defined]
    add_account(client, "sara", "staff", OFFICE)
    guesser = browser(client, headers={"X-Forwarded-For": "203.0.113.9"})
    assert {sign_in(guesser, f"guess{i}", "wrong password!") for i in range(PER_ADDRESS)} == {401}
    assert sign_in(guesser, "sara") == 429
    office = browser(client, headers={"X-Forwarded-For": "198.51.100.7"})
    assert sign_in(office, "sara") == 303  # another client behind the same proxy


def test_failures_leave_the_window() -> None:
    throttle = FailedSignIns()
    for second in range(PER_USERNAME):
        throttle.failed("sara", "10.0.0.1", now=float(second))
    assert throttle.retry_after("sara", "10.0.0.1", now=10.0) == pytest.approx(WINDOW_SECONDS - 10.0)
    assert throttle.retry_after("SARA ", "10.0.0.2", now=10.0) > 0  # usernames as sign-in reads them
    assert throttle.retry_after("sara", "10.0.0.1", now=WINDOW_SECONDS + 0.5) == 0.0
