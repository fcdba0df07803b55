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
from tests.helpers.chat import auth, history, post_chat
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.handoff import MONDAY_MORNING, Clock
from tests.helpers.staff import add_account, post_form, staff_client


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
    with client.websocket_connect("/api/ws") as ws:
        ws.send_text("not json")
        assert ws.receive_json() == {"type": "error", "status": 400, "error": "message must be valid JSON"}
        ws.send_json({"type": "message", "sender": "w-1", "text": ""})
        assert ws.receive_json()["status"] == 400
        ws.send_json({"type": "message", "sender": "w-1", "text": "x" * 2001})
        assert ws.receive_json()["status"] == 413
        ws.send_json({"type": "message", "text": "hej"})  # neither a token nor a new sender
        assert ws.receive_json()["status"] == 400
        first = {"type": "message", "sender": "w-1", "text": "Hur skaffar jag BankID?"}
        ws.send_json({**first, "metadata": {"municipality": "linkoping"}})
        reply = ws.receive_json()
        assert reply["type"] == "reply" and reply["messages"][0]["text"] == "BankID-svar"
        assert len(reply["token"]) >= 32
    headers = {"Authorization": f"Bearer {reply['token']}"}
    history = client.get("/api/messages", params={"history": "1"}, headers=headers).json()["messages"]
    assert [(m["author"], m["text"]) for m in history] == [("user", "Hur skaffar jag BankID?"), ("bot", "BankID-svar")]


def test_a_socket_proves_its_conversation_with_the_first_frame(client: TestClient, backends: FakeBackends) -> None:
    token = post_chat(client, {"sender": "w-5", "text": "hej"}).json()["token"]
    with client.websocket_connect("/api/ws") as ws:
        ws.send_json({"type": "message", "sender": "w-5", "text": "hej igen"})  # someone else's id, no token
        assert ws.receive_json()["status"] == 401
        ws.send_json({"type": "auth", "token": token})
        assert ws.receive_json() == {"type": "auth", "ok": True, "mode": "bot", "language": "sv"}
        ws.send_json({"type": "message", "sender": "someone-else", "text": "hej igen"})  # the id is ignored
        assert ws.receive_json()["type"] == "reply"
    assert [m["text"] for m in history(client, "w-5")][-2] == "hej igen"
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/api/ws") as ws:
        ws.send_json({"type": "auth", "token": "not-the-token"})
        ws.receive_json()
    assert closed.value.code == 4401


def test_staff_reply_is_pushed_over_the_socket_with_the_staff_name(client: TestClient) -> None:
    add_account(client, "sara", "staff", ("linkoping",))
    sara = staff_client(client, "sara")
    with client.websocket_connect("/api/ws") as ws:
        ws.send_json(
            {
                "type": "message",
                "sender": "w-2",
                "text": "/human",
                "metadata": {"language": "en", "municipality": "linkoping"},
            }
        )
        first = ws.receive_json()
        assert first["mode"] == "waiting"
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
    headers = {"Authorization": f"Bearer {first['token']}"}
    history = client.get("/api/messages", params={"history": "1"}, headers=headers).json()["messages"]
    assert [(m["author"], m["name"]) for m in history if m["author"] == "staff"] == [("staff", "Sara")]
    assert history[-1]["id"] == pushed["id"]  # one serialiser: the same message, the same shape
    assert set(history[-1]) == set(pushed) - {"type", "mode"}


def test_delete_my_conversation_erases_it(client: TestClient, backends: FakeBackends) -> None:
    post_chat(client, {"sender": "w-3", "text": "hej"})
    assert history(client, "w-3")
    headers = auth(client, "w-3")
    deleted = client.delete("/api/messages", headers=headers).json()
    assert deleted == {"deleted": True, "everywhere": False}  # no tracker table in this test's Rasa store
    assert client.get("/api/messages", params={"history": "1"}, headers=headers).status_code == 401  # gone
    assert client.delete("/api/messages", headers=headers).status_code == 401
    assert client.delete("/api/messages").status_code == 401
