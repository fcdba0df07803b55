"""Whether a web message may come in now: the budgets it spends (bot/flood.py).

Every message spends its client address's budget; a message for an existing conversation
spends its token's (one conversation cannot flood the bot), and a first message spends
the address's budget for new conversations (rotating sender ids from one place does not
get around the limits). Over budget: 429 with `Retry-After` and a reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from bot.channels.base import IncomingMessage, Reply
from bot.channels.tokens import token_hash
from bot.errors import ApiError
from bot.flood import ADDRESS_MESSAGES, MESSAGE, NEW_CONVERSATION, FloodGuard, client_address
from lotsen.settings import Settings


def address_of(peer: str | None, headers: Mapping[str, str], settings: Settings) -> str:
    return client_address(peer, headers.get("x-forwarded-for"), settings.trusted_proxies)


def _token_key(token: str) -> str:
    return f"token:{token_hash(token)[:24]}"


async def admit(flood: FloodGuard, incoming: IncomingMessage) -> None:
    """Spend the message's budgets, or raise ApiError(429)."""
    address = incoming.address or "unknown"
    spends = [(ADDRESS_MESSAGES, address)]
    if incoming.token:
        spends.append((MESSAGE, _token_key(incoming.token)))
    else:
        spends.append((NEW_CONVERSATION, address))
    for budget, key in spends:
        wait = await flood.spend(budget, key)
        if wait:
            seconds = max(1, math.ceil(wait))
            reason = "new conversations" if budget == NEW_CONVERSATION else "messages"
            raise ApiError(429, f"too many {reason}; try again in {seconds} s", {"Retry-After": str(seconds)})


async def count_first_message(flood: FloodGuard, reply: Reply) -> None:
    """A new conversation's first message counts in its token's budget too."""
    if reply.token is not None:
        await flood.spend(MESSAGE, _token_key(reply.token))
