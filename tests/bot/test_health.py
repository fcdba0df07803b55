"""`GET /healthz` names what is down or starting (DESIGN.md contract)."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.helpers.fake_backends import FakeBackends


def test_all_up_is_200(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "components": {"gateway": "ok", "database": "ok", "rasa": "ok", "action_server": "ok"},
    }


def test_action_server_down_is_503_naming_it(client: TestClient, backends: FakeBackends) -> None:
    backends.actions_up = False
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["components"]["action_server"] == "down"
    assert body["components"]["rasa"] == "ok"
    assert "action_server is down" in body["error"]


def test_rasa_loading_says_starting(client: TestClient, backends: FakeBackends) -> None:
    backends.rasa_mode = "loading"
    body = client.get("/healthz").json()
    assert body["status"] == "starting"
    assert body["components"]["rasa"] == "starting"


def test_rasa_not_yet_answering_within_grace_is_starting(client: TestClient, backends: FakeBackends) -> None:
    backends.rasa_mode = "refused"
    body = client.get("/healthz").json()
    assert body["components"]["rasa"] == "starting"


def test_rasa_gone_after_being_up_is_down(client: TestClient, backends: FakeBackends) -> None:
    assert client.get("/healthz").status_code == 200
    backends.rasa_mode = "refused"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["components"]["rasa"] == "down"
