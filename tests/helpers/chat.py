"""Chatting through the web API as a client does: the first reply's token is kept per
sender and sent as `Authorization: Bearer …` with every later request."""

from __future__ import annotations

from typing import Any

import httpx

Tokens = dict[str, str]


def tokens_of(client: Any) -> Tokens:
    """The tokens a test client has been given, by sender (kept on the client object)."""
    found: Tokens = client.__dict__.setdefault("_lotsen_tokens", {})
    return found


def auth(client: Any, sender: str) -> dict[str, str]:
    token = tokens_of(client).get(sender)
    return {"Authorization": f"Bearer {token}"} if token else {}


def post_chat(client: Any, body: Any, **kwargs: Any) -> httpx.Response:
    """POST /api/messages; sends the sender's token if it has one and keeps a new one."""
    sender = body.get("sender") if isinstance(body, dict) else None
    headers = {**(auth(client, sender) if isinstance(sender, str) else {}), **kwargs.pop("headers", {})}
    response: httpx.Response = client.post("/api/messages", json=body, headers=headers, **kwargs)
    if response.status_code == 200 and isinstance(sender, str) and "token" in response.json():
        tokens_of(client)[sender] = response.json()["token"]
    return response


def history(client: Any, sender: str, after: int = 0, include_user: bool = True) -> list[dict[str, Any]]:
    params = {"after": str(after), **({"history": "1"} if include_user else {})}
    response = client.get("/api/messages", params=params, headers=auth(client, sender))
    if response.status_code == 401:
        return []  # no conversation (any more) for this sender
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


def forget_token(client: Any, sender: str) -> None:
    tokens_of(client).pop(sender, None)


# Integration tests talk to running gateways with plain httpx calls; one token per
# sender for the whole test session (a conversation's token works on every gateway).
SESSION_TOKENS: Tokens = {}


def say_over_http(
    base_url: str, sender: str, text: str, metadata: dict[str, str] | None = None, timeout: float = 30
) -> dict[str, Any]:
    token = SESSION_TOKENS.get(sender)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"sender": sender, "text": text, "metadata": metadata or {}}
    response = httpx.post(f"{base_url}/api/messages", json=body, headers=headers, timeout=timeout)
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = response.json()
    if "token" in reply:
        SESSION_TOKENS[sender] = reply["token"]
    return reply


def history_over_http(base_url: str, sender: str) -> list[dict[str, Any]]:
    token = SESSION_TOKENS.get(sender)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{base_url}/api/messages", params={"history": "1"}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages
