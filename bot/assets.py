"""The pages' own scripts, served from `bot/static/` under `/static/…`.

The Content Security Policy (`bot/security_headers.py`) allows scripts from the gateway
only, so no page carries an inline script: the console's live updates are
`console.js`, the try-it page's chat is `try.js`, the editor's character counter is
`editor.js`. Only the files named here are served.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from lotsen.paths import ROOT

STATIC = ROOT / "bot" / "static"
SCRIPTS = ("console.js", "try.js", "editor.js")


async def script(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in SCRIPTS:
        raise HTTPException(404)
    return FileResponse(
        STATIC / name, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": "no-cache"}
    )


ROUTE = Route("/static/{name:str}", script)
