"""What users said about the answers, for editors: per topic and language, how often an
answer helped (👍) or not (👎), and what was missing — masked like the unanswered
questions, since people write names and numbers into it. Aggregates and reasons only:
no conversation can be opened from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.db import Feedback
from bot.staff.pages import EDITOR, render, signed_in
from lotsen.languages import languages
from lotsen.privacy import mask_personal_data
from lotsen.topics import TOPIC_TITLES

REASONS_PER_ROW = 20


@dataclass
class TopicFeedback:
    topic: str  # the intent
    language: str | None
    helped: int
    not_helped: int
    reasons: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def topic_id(self) -> str:
        return self.topic.removeprefix("ask_")


async def feedback_rows(request: Request, language: str | None) -> list[TopicFeedback]:
    """Most 👎 first; each row's newest reasons."""
    counts = (
        select(
            Feedback.topic,
            Feedback.language,
            func.sum(case((Feedback.value > 0, 1), else_=0)),
            func.sum(case((Feedback.value < 0, 1), else_=0)),
        )
        .group_by(Feedback.topic, Feedback.language)
        .order_by(func.sum(case((Feedback.value < 0, 1), else_=0)).desc(), Feedback.topic)
    )
    reasons = (
        select(Feedback.topic, Feedback.language, Feedback.reason, Feedback.created_at)
        .where(Feedback.reason.is_not(None))
        .order_by(Feedback.created_at.desc())
        .limit(1000)
    )
    if language:
        counts = counts.where(Feedback.language == language)
        reasons = reasons.where(Feedback.language == language)
    async with request.app.state.db.sessions() as session:
        rows = {
            (str(topic), lang): TopicFeedback(str(topic), lang, int(up or 0), int(down or 0))
            for topic, lang, up, down in (await session.execute(counts)).all()
        }
        for topic, lang, reason, at in (await session.execute(reasons)).all():
            row = rows.get((str(topic), lang))
            if row is not None and len(row.reasons) < REASONS_PER_ROW:
                row.reasons.append((mask_personal_data(str(reason)), at))
    return list(rows.values())


async def feedback_page(request: Request) -> Response:
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    language = request.query_params.get("language") or None
    if language not in languages():
        language = None
    return render(
        request,
        "editor/feedback.html",
        {
            "account": account,
            "rows": await feedback_rows(request, language),
            "selected": language,
            "languages": languages(),
            "titles": TOPIC_TITLES,
        },
    )


ROUTES = [Route("/editor/feedback", feedback_page)]
