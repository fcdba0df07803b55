"""The plain developer page at `/` for trying the bot in a browser; the product is the widget."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from lotsen.languages import languages
from lotsen.municipalities import municipalities
from lotsen.paths import ROOT

templates = Jinja2Templates(directory=str(ROOT / "bot" / "templates"))


async def index(request: Request) -> Response:
    return templates.TemplateResponse(
        request,
        "index.html",
        {
            "languages": [(code, lang.native_name) for code, lang in languages().items()],
            "municipalities": list(municipalities().items()),
        },
    )
