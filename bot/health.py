"""`GET /healthz`: 200 when the gateway, its database, Rasa and the action server all
answer; otherwise 503 naming what is starting or down. Erasures that Rasa's tracker store
has not confirmed for an hour are reported (`warnings`) without failing the check, so an
operator sees them where they already look."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse


async def healthz(request: Request) -> JSONResponse:
    state = request.app.state
    database_ok, rasa, actions = await asyncio.gather(state.db.ping(), state.rasa.state(), state.actions.state())
    components = {
        "gateway": "ok",
        "database": "ok" if database_ok else "down",
        "rasa": rasa,
        "action_server": actions,
    }
    not_ok = {name: value for name, value in components.items() if value != "ok"}
    warnings = []
    if database_ok and (stuck := await state.erasure.stuck()):
        warnings.append(f"{stuck} erasure(s) of Rasa's tracker not finished after an hour (see the gateway log)")
    if not not_ok:
        body = {"status": "ok", "components": components, **({"warnings": warnings} if warnings else {})}
        return JSONResponse(body)
    status = "starting" if set(not_ok.values()) == {"starting"} else "down"
    problems = ", ".join(f"{name} is {value}" for name, value in not_ok.items())
    return JSONResponse({"status": status, "components": components, "error": problems}, status_code=503)
