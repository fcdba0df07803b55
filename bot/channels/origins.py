"""Which websites may embed the chat: any (the default — the API uses no cookies, and a
conversation is proven by its token), or only `LOTSEN_WIDGET_ORIGINS`.

The chat API, the widget's texts and its WebSocket answer cross-origin requests; the
staff console and the editor pages never do (they use a session cookie).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

CROSS_ORIGIN_PATHS = ("/api/",)


def origin_allowed(origin: str | None, allowed: Sequence[str]) -> bool:
    """A browser's Origin header against the setting; no Origin (not a browser) passes."""
    if not allowed or origin is None:
        return True
    return origin.rstrip("/") in allowed


class WidgetCors:
    """CORS for the widget's API paths only, with Starlette's own middleware."""

    def __init__(self, app: ASGIApp, allowed: Sequence[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(allowed) or ["*"],
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(CROSS_ORIGIN_PATHS):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
