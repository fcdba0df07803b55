"""Security headers on every HTTP response (a pure ASGI middleware).

Every response: `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`
(a console URL never leaks to a link's site).

Every HTML page — the staff console and editor, the sign-in pages, the try-it page `/`
and the widget demo `/widget/demo` — also gets a strict Content Security Policy: scripts
from the gateway only (no inline script, no `eval`; the pages' scripts live in
`bot/static/`), connections to the gateway and its WebSockets, images from the gateway
or `data:`, no plugins, forms posting to the gateway only, and `frame-ancestors 'none'`
(with `X-Frame-Options: DENY` for old browsers) so no other site can frame a page to
trick a staff member into clicking. Styles may stay inline (`'unsafe-inline'` for
`style-src` only): the pages and the widget's shadow root carry `<style>` elements, and
a style cannot run code.

Not HTML — the chat API's JSON, `/widget.js`, the widget's texts — gets no CSP and no
frame or resource policy, so municipalities' sites keep embedding the widget and calling
the API cross-origin (CORS is `bot/channels/origins.py`'s job and is left alone).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
EVERY_RESPONSE = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
HTML_PAGES = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Frame-Options": "DENY"}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                added = dict(EVERY_RESPONSE)
                if headers.get("content-type", "").lower().startswith("text/html"):
                    added.update(HTML_PAGES)
                for name, value in added.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
