"""A step before all others: a message over its sender's budget (Telegram marks it
`throttled`; the web answers 429 before the pipeline) is stored — nothing a person
sends is lost — but not answered, except for one "slow down" per window."""

from __future__ import annotations

from bot.channels.base import OutgoingMessage
from bot.flood import SLOW_DOWN_NOTICE, FloodGuard
from bot.pipeline.turn import Turn
from lotsen.i18n import N_, t

SLOW_DOWN = N_("You are sending messages very quickly. Please wait a moment and try again.")


class Throttle:
    def __init__(self, flood: FloodGuard) -> None:
        self.flood = flood

    async def __call__(self, turn: Turn) -> bool:
        if not turn.incoming.throttled:
            return False
        if await self.flood.spend(SLOW_DOWN_NOTICE, turn.incoming.flood_key):
            return True  # told already in this window: the message is stored, nothing more
        return turn.say([OutgoingMessage(t(turn.language, SLOW_DOWN))])
