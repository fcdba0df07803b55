"""A municipality's own website, for browser tests of the embedded widget: static HTML
pages served from another origin than the gateway, on a free port, in a thread.

`http://127.0.0.1:<port>/` and `http://localhost:<port>/` are two more origins (neither
is the gateway's), so one server gives a test two host sites.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def embed_line(gateway_url: str, municipality: str = "linkoping") -> str:
    """Exactly the README's one line."""
    return f'<script src="{escape(gateway_url)}/widget.js" data-municipality="{escape(municipality)}" defer></script>'


def host_page(
    gateway_url: str,
    *,
    lang: str = "sv",
    head: str = "",
    municipality: str = "linkoping",
    script: str | None = None,
) -> str:
    """A plain municipal page with the widget embedded (`script` replaces the one line)."""
    return f"""<!doctype html>
<html lang="{escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Linköpings kommun – Ny i Linköping</title>
{head}
</head>
<body>
<header><h1>Linköpings kommun</h1></header>
<main><h2>Ny i Linköping</h2><p>Här hittar du information för dig som är ny i kommunen.</p></main>
{script if script is not None else embed_line(gateway_url, municipality)}
</body>
</html>
"""


class HostSite:
    """Serves `pages` (path → HTML) until stopped. `url(path, host)` for either origin."""

    def __init__(self, pages: dict[str, str]) -> None:
        self.pages = dict(pages)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                page = site.pages.get(path)
                if page is None:
                    self.send_error(404)
                    return
                body = page.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet tests

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, name="host-site", daemon=True)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def start(self) -> HostSite:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@contextmanager
def serve_host_site(pages: dict[str, str]) -> Iterator[HostSite]:
    site = HostSite(pages).start()
    try:
        yield site
    finally:
        site.stop()
