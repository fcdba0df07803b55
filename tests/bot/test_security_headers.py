"""Security headers on every page, a strict Content Security Policy on the HTML pages
(so no template may carry an inline script), and the widget's cross-origin API and
script left embeddable."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.security_headers import SecurityHeaders
from lotsen.paths import ROOT
from tests.helpers.chat import post_chat
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.handoff import MONDAY_MORNING, Clock, handoff_client, say
from tests.helpers.staff import add_account, browser, staff_client

TEMPLATES = ROOT / "bot" / "templates"
STATIC = ROOT / "bot" / "static"


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends) -> Iterator[TestClient]:
    yield from handoff_client(tmp_path, knowledge_dir, backends, Clock(MONDAY_MORNING))


def csp_of(response: object) -> dict[str, list[str]]:
    header = response.headers["content-security-policy"]  # type: ignore[attr-defined]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {d[0]: d[1:] for d in directives}


def assert_strict_page(response: object, path: str) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["content-type"].startswith("text/html"), path
    assert headers["x-content-type-options"] == "nosniff", path
    assert headers["referrer-policy"] in ("no-referrer", "strict-origin"), path
    csp = csp_of(response)
    assert csp["script-src"] == ["'self'"], path  # no 'unsafe-inline', no 'unsafe-eval'
    assert csp["default-src"] == ["'self'"], path
    assert csp["frame-ancestors"] == ["'none'"], path
    assert csp["object-src"] == ["'none'"], path
    assert "'unsafe-inline'" not in csp.get("default-src", []), path
    assert set(csp["connect-src"]) >= {"'self'"}, path
    assert headers["x-frame-options"] == "DENY", path


def test_every_page_has_the_security_headers(client: TestClient) -> None:
    add_account(client, "ada", "admin")
    add_account(client, "erik", "editor")
    ada = staff_client(client, "ada")
    erik = browser(client)
    page = erik.get("/editor/login")
    erik.post(
        "/editor/login",
        data={"csrf": re.search(r'name="csrf" value="([^"]+)"', page.text).group(1), "username": "erik"}  # type: ignore[union-attr]
        | {"password": "correct horse battery"},
    )
    say(client, "hanna", "/human", language="sv", municipality="linkoping")
    hid = re.search(r'href="/console/handoffs/(\d+)"', ada.get("/console").text).group(1)  # type: ignore[union-attr]

    anonymous = browser(client)
    for path in ("/", "/widget/demo", "/console/login", "/editor/login"):
        assert_strict_page(anonymous.get(path), path)
    assert_strict_page(anonymous.get("/console", follow_redirects=True), "/console → sign-in")
    for path in (
        "/console",
        "/console/queue",
        f"/console/handoffs/{hid}",
        f"/console/handoffs/{hid}/transcript",
        "/console/admin",
        "/console/password",
        "/console/handoffs/9999",  # the error page too
    ):
        assert_strict_page(ada.get(path), path)
    for path in ("/editor", "/editor/unanswered", "/editor/password"):
        response = erik.get(path)
        assert response.status_code == 200, path
        assert_strict_page(response, path)


def test_every_response_is_nosniff_and_sends_no_referrer(client: TestClient) -> None:
    for path in ("/healthz", "/widget.js", "/api/widget/texts?language=sv", "/static/console.js", "/no/such/page"):
        response = client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "no-referrer", path


def test_the_widget_stays_embeddable_from_other_sites(client: TestClient) -> None:
    script = client.get("/widget.js", headers={"Origin": "https://www.linkoping.se"})
    assert script.headers["content-type"].startswith("text/javascript")
    for header in ("cross-origin-resource-policy", "content-security-policy", "x-frame-options"):
        assert header not in script.headers, header

    site = {"Origin": "https://www.linkoping.se"}
    preflight = client.options(
        "/api/messages",
        headers={**site, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] in ("*", site["Origin"])
    answer = post_chat(client, {"sender": "embedded", "text": "hej"}, headers=site)
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] in ("*", site["Origin"])
    assert "content-security-policy" not in answer.headers and "x-frame-options" not in answer.headers
    texts = client.get("/api/widget/texts?language=ar", headers=site)
    assert texts.headers["access-control-allow-origin"] in ("*", site["Origin"])
    assert "cross-origin-resource-policy" not in texts.headers


class _Scripts(HTMLParser):
    """Every <script> element and every inline event handler or javascript: URL."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_code: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts.append(found)
            self._in_script = True
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.inline_code.append(f"<{tag} {name}=…>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_code.append(data.strip()[:60])


PAGES = sorted([*TEMPLATES.rglob("*.html"), *STATIC.glob("*.html")])


def test_pages_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    assert {"bot/templates/index.html", "bot/templates/console/handoff.html", "bot/static/demo.html"} <= names


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_page_carries_an_inline_script(path: Path) -> None:
    parser = _Scripts()
    parser.feed(path.read_text(encoding="utf-8"))
    assert parser.inline_code == []  # the CSP would block it
    for script in parser.scripts:
        source = script.get("src")
        assert source, f"<script> without src in {path.name}"
        assert source.startswith("/") and not source.startswith("//"), source  # from the gateway


def test_the_inline_script_finder_finds_them() -> None:
    parser = _Scripts()
    parser.feed(
        '<p onclick="x()">a</p><script>alert(1)</script><a href="javascript:void(0)">b</a><script src="/x.js"></script>'
    )
    assert len(parser.inline_code) == 3 and len(parser.scripts) == 2


def test_the_pages_scripts_are_served_by_the_gateway(client: TestClient) -> None:
    for name in ("console.js", "try.js"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
        assert response.text.strip()
    assert client.get("/static/demo.html").status_code == 404  # only the named scripts
    assert client.get("/static/..%2Fapp.py").status_code == 404
    for page in ("/", "/widget/demo"):
        for source in re.findall(r'<script[^>]*\ssrc="([^"]+)"', client.get(page).text):
            assert client.get(source).status_code == 200, source


async def test_the_middleware_leaves_other_headers_alone() -> None:
    sent: list[dict[str, object]] = []

    async def app(scope: object, receive: object, send: object) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/html"), (b"x-frame-options", b"SAMEORIGIN")],
            }
        )  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b"<p>hi</p>"})  # type: ignore[operator]

    async def receive() -> dict[str, object]:
        return {"type": "http.request"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await SecurityHeaders(app)({"type": "http", "headers": []}, receive, send)  # type: ignore[arg-type]
    headers = dict(sent[0]["headers"])  # type: ignore[call-overload]
    assert headers[b"x-frame-options"] == b"SAMEORIGIN"  # a page's own choice wins
    assert b"content-security-policy" in headers and headers[b"x-content-type-options"] == b"nosniff"
