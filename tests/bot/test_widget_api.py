"""The widget's HTTP and WebSocket side: texts, script, history, deletion, live pushes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.app import create_app
from lotsen.i18n import t
from lotsen.settings import Settings
from tests.bot.test_console import post_form, staff_client
from tests.bot.test_editor import add_account
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.handoff import MONDAY_MORNING, Clock


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends) -> Iterator[TestClient]:
    settings = Settings.from_env(
        {
            "LOTSEN_KNOWLEDGE_DIR": str(knowledge_dir),
            "LOTSEN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
            "LOTSEN_RASA_URL": "http://rasa.test:5005",
            "LOTSEN_ACTIONS_URL": "http://actions.test:5055",
            "LOTSEN_RASA_TRACKER_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        }
    )
    with TestClient(create_app(settings, transport=backends.transport())) as test_client:
        test_client.app.state.handoff.clock = Clock(MONDAY_MORNING)  # type: ignore[attr-defined]
        yield test_client


def test_script_and_demo_are_served_without_external_resources(client: TestClient) -> None:
    script = client.get("/widget.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "attachShadow" in script.text and "textContent" in script.text
    assert "innerHTML = [" in script.text  # only the static skeleton, never message text
    demo = client.get("/widget/demo").text
    assert 'src="/widget.js" data-municipality="linkoping"' in demo
    assert "https://" not in script.text.split("*/", 1)[1]  # no CDN


def test_texts_per_language_with_direction(client: TestClient) -> None:
    arabic = client.get("/api/widget/texts", params={"language": "ar"}).json()
    assert arabic["direction"] == "rtl"
    assert arabic["texts"]["send"] == t("ar", "Send")
    assert {entry["code"] for entry in arabic["languages"]} == {"sv", "en", "ar", "fa", "so", "ti", "uk", "ru"}
    assert client.get("/api/widget/texts", params={"language": "en"}).json()["direction"] == "ltr"
    assert client.get("/api/widget/texts", params={"language": "xx"}).status_code == 400
    payloads = {entry["code"]: entry["payload"] for entry in arabic["languages"]}
    assert payloads["so"] == '/choose_language{"language":"so"}'  # built by the gateway, not the widget


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [("fa-AF,en-US", "fa"), ("de-DE,uk", "uk"), ("prs-AF", "fa"), ("", "sv"), ("ti-ER", "ti")],
)
def test_the_gateway_negotiates_the_widgets_first_language(client: TestClient, accept: str, chosen: str) -> None:
    assert client.get("/api/widget/texts", params={"accept": accept}).json()["language"] == chosen


def test_websocket_chat_replies_and_rejects_bad_input_without_closing(
    client: TestClient, backends: FakeBackends
) -> None:
    backends.rasa_replies = [{"text": "BankID-svar"}]
    with client.websocket_connect("/api/ws?sender=w-1") as ws:
        ws.send_text("not json")
        assert ws.receive_json() == {"type": "error", "status": 400, "error": "message must be valid JSON"}
        ws.send_json({"text": ""})
        assert ws.receive_json()["status"] == 400
        ws.send_json({"text": "x" * 2001})
        assert ws.receive_json()["status"] == 413
        ws.send_json({"text": "Hur skaffar jag BankID?", "metadata": {"municipality": "linkoping"}})
        reply = ws.receive_json()
        assert reply["type"] == "reply" and reply["messages"][0]["text"] == "BankID-svar"
    history = client.get("/api/messages", params={"sender": "w-1", "history": "1"}).json()["messages"]
    assert [(m["author"], m["text"]) for m in history] == [("user", "Hur skaffar jag BankID?"), ("bot", "BankID-svar")]


def test_websocket_without_sender_is_closed_with_a_reason(client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/api/ws") as ws:
        ws.receive_json()
    assert closed.value.code == 4400


def test_staff_reply_is_pushed_over_the_socket_with_the_staff_name(client: TestClient) -> None:
    add_account(client, "sara", "staff")
    sara = staff_client(client, "sara")
    with client.websocket_connect("/api/ws?sender=w-2") as ws:
        ws.send_json({"text": "/human", "metadata": {"language": "en", "municipality": "linkoping"}})
        assert ws.receive_json()["mode"] == "waiting"
        handoff = re.search(r'href="/console/handoffs/(\d+)"', sara.get("/console").text)
        assert handoff
        page = f"/console/handoffs/{handoff.group(1)}"
        post_form(sara, f"{page}/claim", page)
        claimed = ws.receive_json()
        assert claimed["type"] == "message" and claimed["author"] == "system" and claimed["mode"] == "human"
        post_form(sara, f"{page}/reply", page, text="Hi, I am Sara.")
        pushed = ws.receive_json()
        assert (pushed["author"], pushed["name"], pushed["text"]) == ("staff", "Sara", "Hi, I am Sara.")
    # After a reload the widget reads its history: the staff member's name is still there.
    history = client.get("/api/messages", params={"sender": "w-2", "history": "1"}).json()["messages"]
    assert [(m["author"], m["name"]) for m in history if m["author"] == "staff"] == [("staff", "Sara")]
    assert history[-1]["id"] == pushed["id"]  # one serialiser: the same message, the same shape
    assert set(history[-1]) == set(pushed) - {"type", "mode"}


def test_delete_my_conversation_erases_it(client: TestClient, backends: FakeBackends) -> None:
    client.post("/api/messages", json={"sender": "w-3", "text": "hej"})
    assert client.get("/api/messages", params={"sender": "w-3", "history": "1"}).json()["messages"]
    deleted = client.delete("/api/messages", params={"sender": "w-3"}).json()
    assert deleted == {"deleted": True, "everywhere": False}  # no tracker table in this test's Rasa store
    assert client.get("/api/messages", params={"sender": "w-3", "history": "1"}).json()["messages"] == []
    assert client.delete("/api/messages", params={"sender": "w-3"}).json()["deleted"] is False
    assert client.delete("/api/messages").status_code == 400
