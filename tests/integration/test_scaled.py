"""Two gateways and two Rasa servers (plus one action server) sharing the local PostgreSQL
and Redis, configured by environment alone — what `make run-scaled` starts.

One conversation served alternately by both gateways stays consistent; a console on
gateway A hears a message that arrived at gateway B; erasure leaves no row behind in
either PostgreSQL store; killing one Rasa server under load loses no message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx
import psycopg2
import pytest
from starlette.datastructures import Secret
from websockets.client import connect

from bot.backends import RasaClient
from lotsen.scaled import scaled_env
from lotsen.stack import Stack
from tests.bot.test_editor import csrf_of
from tests.helpers.chat import SESSION_TOKENS, history_over_http, say_over_http
from tests.helpers.services import (
    POSTGRES_ADMIN_URL,
    REDIS_START,
    REDIS_URL,
    fresh_database,
    redis_answers,
    require_postgres,
    require_redis,
)
from tests.helpers.stack import PASSWORD, create_staff, free_port, office_open_all_day, stack_config

pytestmark = pytest.mark.integration


@dataclass
class Scaled:
    stack: Stack
    gateway_db: str
    tracker_db: str

    @property
    def gateways(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.stack.config.gateway_ports]

    @property
    def rasas(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.stack.config.rasa_ports]

    def sql(self, database: str, query: str, *args: Any) -> list[tuple[Any, ...]]:
        connection = psycopg2.connect(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}")
        try:
            with connection.cursor() as cursor:
                cursor.execute(query, args)
                return list(cursor.fetchall())
        finally:
            connection.close()


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scaled]:
    require_postgres()
    require_redis()
    tmp = tmp_path_factory.mktemp("scaled")
    with contextlib.ExitStack() as cleanup:
        gateway_db = cleanup.enter_context(fresh_database("lotsen_it_gateway"))
        tracker_db = cleanup.enter_context(fresh_database("lotsen_it_rasa"))
        config = stack_config(tmp)
        config.var_dir.mkdir(parents=True, exist_ok=True)
        config.extra_rasa_ports = [free_port()]
        config.extra_gateway_ports = [free_port()]
        config.extra_env.update(scaled_env(POSTGRES_ADMIN_URL, REDIS_URL, gateway_db, tracker_db))
        # The load tests send fast, from one address: flood limits out of the way.
        config.extra_env.update(
            LOTSEN_RATE_LIMIT_MESSAGES="100000",
            LOTSEN_ADDRESS_MESSAGES_PER_MINUTE="100000",
            LOTSEN_ADDRESS_NEW_CONVERSATIONS_PER_HOUR="100000",
        )
        stack = Stack(config, log_dir=tmp / "logs")
        stack.start()
        try:
            stack.wait_healthy(timeout=300)
            yield Scaled(stack, gateway_db, tracker_db)
        finally:
            stack.stop()
            for log in sorted((tmp / "logs").glob("*.log")):
                tail = log.read_text(errors="replace").splitlines()[-10:]
                print(f"--- {log.stem} log (tail) ---\n" + "\n".join(tail))


def say(gateway: str, sender: str, text: str, **metadata: str) -> dict[str, Any]:
    return say_over_http(gateway, sender, text, metadata, timeout=60)


def history(gateway: str, sender: str) -> list[tuple[str, str]]:
    return [(m["author"], m["text"]) for m in history_over_http(gateway, sender)]


def test_one_conversation_served_by_both_gateways_stays_consistent(scaled: Scaled) -> None:
    sender = "scaled-alternating"
    questions = ["Hej!", "Hur skaffar jag BankID?", "Hur får jag ett personnummer?", "Tack så mycket"]
    for turn, text in enumerate(questions):
        reply = say(scaled.gateways[turn % 2], sender, text, language="sv")
        assert reply["messages"], f"no answer to {text!r}"

    seen_by_a, seen_by_b = history(scaled.gateways[0], sender), history(scaled.gateways[1], sender)
    assert seen_by_a == seen_by_b
    assert [text for author, text in seen_by_a if author == "user"] == questions  # none lost, in order
    assert "BankID" in " ".join(text for author, text in seen_by_a if author == "bot")

    token = scaled.stack.config.rasa_token
    trackers = [
        httpx.get(f"{rasa}/conversations/web:{sender}/tracker", params={"token": token}, timeout=30).json()
        for rasa in scaled.rasas
    ]
    user_texts = [[e.get("text") for e in tracker["events"] if e["event"] == "user"] for tracker in trackers]
    assert user_texts[0] == user_texts[1] == questions  # both Rasa servers read one shared tracker


def test_both_rasa_servers_take_turns_on_one_conversation(scaled: Scaled) -> None:
    """Straight to the two Rasa servers, alternately: the lock store and the shared
    tracker store keep one conversation's state consistent whichever server answers."""
    sender, token = "web:scaled-rasa-alternating", scaled.stack.config.rasa_token
    questions = ["Hur skaffar jag BankID?", "Var ser jag en läkare?", "Hur får jag ett personnummer?", "Tack"]
    for turn, text in enumerate(questions):
        response = httpx.post(
            f"{scaled.rasas[turn % 2]}/webhooks/rest/webhook",
            params={"token": token},
            json={"sender": sender, "message": text, "metadata": {"language": "sv"}},
            timeout=60,
        )
        assert response.status_code == 200 and response.json(), text
    for rasa in scaled.rasas:
        tracker = httpx.get(f"{rasa}/conversations/{sender}/tracker", params={"token": token}, timeout=30).json()
        assert [e.get("text") for e in tracker["events"] if e["event"] == "user"] == questions


def test_a_console_on_gateway_a_hears_a_message_that_arrived_at_gateway_b(scaled: Scaled) -> None:
    create_staff(scaled.stack, "kim", "Kim")
    a, b = scaled.gateways
    with office_open_all_day(scaled.stack), httpx.Client(base_url=a, timeout=30) as console:
        page = console.get("/console/login")
        signed_in = console.post(
            "/console/login",
            data={"csrf": csrf_of(page.text), "username": "kim", "password": PASSWORD},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303
        cookie = "; ".join(f"{name}={value}" for name, value in console.cookies.items())

        async def listen_then_write() -> list[dict[str, Any]]:
            url = a.replace("http://", "ws://") + "/console/ws"
            async with connect(url, extra_headers={"Cookie": cookie}) as socket:
                await asyncio.sleep(0.5)
                heard: list[dict[str, Any]] = []
                await asyncio.to_thread(say, b, "scaled-handoff", "/human", language="sv", municipality="linkoping")
                await asyncio.to_thread(say, b, "scaled-handoff", "Är det någon där?")
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline and not any(e.get("type") == "message" for e in heard):
                    with contextlib.suppress(asyncio.TimeoutError):
                        heard.append(json.loads(await asyncio.wait_for(socket.recv(), 1)))
                return heard

        heard = asyncio.run(listen_then_write())
        assert {"type": "queue"} in heard, heard
        assert any(e.get("type") == "message" for e in heard), heard
        assert "Är det någon där?" in console.get("/console").text  # the queue on A shows B's message


def test_erasure_leaves_no_row_behind_in_either_postgresql_store(scaled: Scaled) -> None:
    sender = "scaled-forget-me"
    say(scaled.gateways[0], sender, "Mitt personnummer är 19900101-1234, hur får jag BankID?", language="sv")
    assert scaled.sql(scaled.tracker_db, "SELECT count(*) FROM events WHERE sender_id = %s", f"web:{sender}")[0][0] > 0

    token = SESSION_TOKENS[sender]
    headers = {"Authorization": f"Bearer {token}"}
    erased = httpx.delete(f"{scaled.gateways[1]}/api/messages", headers=headers, timeout=30)
    assert erased.status_code == 200, erased.text

    assert scaled.sql(scaled.gateway_db, "SELECT count(*) FROM conversations WHERE sender = %s", sender) == [(0,)]
    assert scaled.sql(scaled.gateway_db, "SELECT count(*) FROM messages WHERE text LIKE %s", "%19900101%") == [(0,)]
    assert scaled.sql(scaled.tracker_db, "SELECT count(*) FROM events WHERE sender_id = %s", f"web:{sender}") == [(0,)]
    assert scaled.sql(scaled.tracker_db, "SELECT count(*) FROM events WHERE data LIKE %s", "%19900101%") == [(0,)]


@dataclass
class LoadReport:
    sent: int = 0
    answered: int = 0  # replies by the bot (from the gateway's database)
    notices: int = 0  # translated "one moment / technical problems" notices
    answered_after_recovery: int = 0
    answered_after_fault: dict[str, int] = field(default_factory=dict)  # bot replies per sender
    lost: list[str] = field(default_factory=list)


QUESTIONS = ["Hur skaffar jag BankID?", "Var ser jag en läkare?", "Hur fungerar bostadskön?", "Tack"]


def run_load(
    scaled: Scaled,
    senders: list[str],
    fault: Callable[[], None],
    recover: Callable[[], None] | None = None,
    seconds: float = 14.0,
) -> LoadReport:
    """Bounded load on loopback: each sender writes, waits for the reply, writes again,
    alternating gateways. `fault` runs after 3 s, `recover` after 7 s — both quick, on the
    test's main thread: a child started from a worker thread would get SIGTERM when that
    thread ends (the stack's processes die with the thread that started them). A message
    is lost when the HTTP call fails or returns no reply; what the replies were is read
    from the database."""
    report = LoadReport()
    recovered_at: list[datetime] = []
    fault_at: list[datetime] = []

    async def conversation(client: httpx.AsyncClient, gateway: str, sender: str, stop_at: float) -> None:
        turn = 0
        headers: dict[str, str] = {}
        while time.monotonic() < stop_at:
            text = f"{QUESTIONS[turn % len(QUESTIONS)]} ({turn})"
            turn += 1
            report.sent += 1
            try:
                response = await client.post(
                    f"{gateway}/api/messages",
                    json={"sender": sender, "text": text, "metadata": {"language": "sv"}},
                    headers=headers,
                )
            except httpx.HTTPError as exc:
                report.lost.append(f"{sender} {text}: {exc!r}")
                continue
            if response.status_code != 200 or not response.json()["messages"]:
                report.lost.append(f"{sender} {text}: HTTP {response.status_code} {response.text[:100]}")
            elif "token" in response.json():
                headers = {"Authorization": f"Bearer {response.json()['token']}"}
            await asyncio.sleep(0.05)

    async def load() -> None:
        stop_at = time.monotonic() + seconds
        async with httpx.AsyncClient(timeout=60) as client:
            tasks = [
                asyncio.create_task(conversation(client, scaled.gateways[i % 2], sender, stop_at))
                for i, sender in enumerate(senders)
            ]
            await asyncio.sleep(3)
            fault()
            fault_at.append(datetime.now(timezone.utc))
            if recover is not None:
                await asyncio.sleep(4)
                recover()
                recovered_at.append(datetime.now(timezone.utc))
            await asyncio.gather(*tasks)

    asyncio.run(load())
    rows = scaled.sql(
        scaled.gateway_db,
        "SELECT c.sender, m.author, m.created_at FROM messages m JOIN conversations c ON c.id = m.conversation_id "
        "WHERE c.sender = ANY(%s)",
        senders,
    )
    stored = sum(1 for _, author, _ in rows if author == "user")
    report.notices = sum(1 for _, author, _ in rows if author == "system")
    report.answered = sum(1 for _, author, _ in rows if author == "bot")
    if recovered_at:
        report.answered_after_recovery = sum(1 for _, a, at in rows if a == "bot" and at > recovered_at[0])
    for sender in senders:
        report.answered_after_fault[sender] = sum(
            1 for who, a, at in rows if who == sender and a == "bot" and at > fault_at[0]
        )
    print(
        f"sent {report.sent}, bot replies {report.answered} ({report.answered_after_recovery} after recovery), "
        f"'one moment' notices {report.notices}, lost {len(report.lost)}"
    )
    assert stored == report.sent - len(report.lost), "a message was answered but not stored"
    return report


def _kill(scaled: Scaled, name: str) -> None:
    os.killpg(scaled.stack.processes[name].pid, signal.SIGKILL)
    scaled.stack.processes[name].wait()


def _restart(scaled: Scaled, name: str) -> None:
    scaled.stack.processes.pop(name, None)
    scaled.stack.restart(name)


def test_killing_the_action_server_under_load_loses_no_message(scaled: Scaled) -> None:
    report = run_load(
        scaled,
        [f"scaled-actions-{i}" for i in range(3)],
        fault=lambda: _kill(scaled, "actions"),
        recover=lambda: _restart(scaled, "actions"),
    )
    assert report.lost == []
    assert report.notices > 0, "the outage was not noticed: did the kill happen?"
    assert report.answered_after_recovery > 0, "answers did not come back after the restart"


def test_restarting_redis_under_load_loses_no_message(scaled: Scaled) -> None:
    def stop_redis() -> None:
        subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], check=False, capture_output=True)

    def start_redis() -> None:
        subprocess.run(REDIS_START, check=True, capture_output=True)

    try:
        report = run_load(scaled, [f"scaled-redis-{i}" for i in range(3)], fault=stop_redis, recover=start_redis)
    finally:
        if not redis_answers():
            start_redis()
    assert report.lost == []
    assert report.answered_after_recovery > 0, "answers did not come back after Redis restarted"


def test_restarting_postgresql_under_load_loses_no_message(scaled: Scaled) -> None:
    """PostgreSQL holds the gateways' conversations and Rasa's trackers; a restart (fast
    mode: every connection is cut) must cost at most a notice, never a message."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    restart = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"]

    with office_open_all_day(scaled.stack):  # a waiting handoff that must survive the restart
        say(scaled.gateways[0], "scaled-pg-waiting", "/human", language="ar", municipality="linkoping")
        say(scaled.gateways[0], "scaled-pg-waiting", '/human{"anyway":"yes"}')  # no Arabic at the office
    before = datetime.now(timezone.utc)
    report = run_load(
        scaled,
        [f"scaled-postgres-{i}" for i in range(3)],
        fault=lambda: subprocess.run(restart, check=True, capture_output=True, timeout=60),
    )
    assert scaled.sql("postgres", "SELECT pg_postmaster_start_time()")[0][0] > before, "PostgreSQL did not restart"
    assert report.lost == []
    waiting = scaled.sql(
        scaled.gateway_db,
        "SELECT h.status FROM handoffs h JOIN conversations c ON c.id = h.conversation_id WHERE c.sender = %s",
        "scaled-pg-waiting",
    )
    assert waiting == [("waiting",)]
    assert all(count > 0 for count in report.answered_after_fault.values()), report.answered_after_fault


def test_killing_one_rasa_server_under_load_loses_no_message(scaled: Scaled) -> None:
    """One Rasa server is killed with SIGKILL and stays down: the other takes over."""
    routing = RasaClient(",".join(scaled.rasas), Secret(""), httpx.AsyncClient())
    killed = scaled.rasas[0]
    candidates = [f"scaled-load-{i}" for i in range(40)]
    # Two conversations whose own server is the one killed, two on the survivor.
    senders = [s for s in candidates if routing.servers_for(f"web:{s}")[0] == killed][:2]
    senders += [s for s in candidates if routing.servers_for(f"web:{s}")[0] != killed][:2]
    assert len(senders) == 4

    report = run_load(scaled, senders, fault=lambda: _kill(scaled, "rasa"), seconds=40)

    assert report.sent > 10
    assert report.lost == []
    # A message the dead server was answering leaves its Redis lock ticket behind. The
    # next message of that conversation may then wait out the gateway's 20 s (Rasa's
    # ticket queue can stall when the waiter's own ticket expires too) and get a notice;
    # the ticket is cleaned up after that, so the conversation is answered again: at
    # most one notice per conversation that was on the dead server, then answers.
    assert report.notices <= 2
    assert all(count > 0 for count in report.answered_after_fault.values()), report.answered_after_fault
