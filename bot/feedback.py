"""Did this answer help? One tap after a topic answer, and after a 👎 one question.

👍 is recorded and thanked. 👎 is recorded and followed by "What was missing?" with a
"talk to a person" button; the user's next message (if it is text, not a button, and not
a possible emergency — that goes to the bot, 112 first) is kept as the reason, which
editors read per topic and language (`/editor/feedback`, masked there like the
unanswered questions). Pressing the same topic's buttons again within an hour changes
the earlier vote instead of counting twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.channels.base import OutgoingMessage
from bot.db import Conversation, Database, Feedback
from lotsen import protocol, sentences
from lotsen.i18n import t
from lotsen.topics import TOPIC_TITLES

REVOTE_WINDOW = timedelta(hours=1)
MAX_REASON_CHARS = 2000


class FeedbackService:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    async def vote(
        self, conversation: Conversation, topic: str | None, value: str | None, language: str
    ) -> list[OutgoingMessage]:
        """A 👍/👎 button. An unknown topic or value is ignored ([]: treated as text)."""
        if topic not in TOPIC_TITLES or value not in protocol.FEEDBACK_VALUES:
            return []
        score = 1 if value == "up" else -1
        now = self.clock()
        async with self.db.sessions() as session:
            stored = await session.get(Conversation, conversation.id)
            assert stored is not None
            earlier = await session.scalar(
                select(Feedback)
                .where(
                    Feedback.conversation_id == stored.id,
                    Feedback.topic == topic,
                    Feedback.created_at >= now - REVOTE_WINDOW,
                )
                .order_by(Feedback.id.desc())
                .limit(1)
            )
            row = earlier or Feedback(conversation_id=stored.id, topic=topic, created_at=now)
            row.value, row.language, row.municipality = score, language, stored.municipality
            session.add(row)
            await session.flush()
            stored.feedback_pending = row.id if score < 0 else None
            await session.commit()
        conversation.feedback_pending = stored.feedback_pending
        if score > 0:
            return [OutgoingMessage(t(language, "Thank you for telling us!"))]
        question = t(language, "Sorry it did not help. What was missing? Write it in one message, or talk to a person.")
        return [OutgoingMessage.with_buttons(question, [sentences.human_button(language)])]

    async def take_reason(self, conversation: Conversation, text: str, language: str) -> list[OutgoingMessage]:
        """The message after a 👎: kept as the reason."""
        async with self.db.sessions() as session:
            stored = await session.get(Conversation, conversation.id)
            assert stored is not None
            row = await session.get(Feedback, stored.feedback_pending) if stored.feedback_pending else None
            if row is not None:
                row.reason = text.strip()[:MAX_REASON_CHARS]
            stored.feedback_pending = None
            await session.commit()
        conversation.feedback_pending = None
        return [OutgoingMessage(t(language, "Thank you. The people who write Lotsen's answers will read it."))]

    async def forget_pending(self, conversation: Conversation) -> None:
        """The user moved on (a button, an emergency): no reason is expected any more."""
        if conversation.feedback_pending is None:
            return
        async with self.db.sessions() as session:
            stored = await session.get(Conversation, conversation.id)
            if stored is not None:
                stored.feedback_pending = None
                await session.commit()
        conversation.feedback_pending = None
