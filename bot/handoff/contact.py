"""One contact person (issue 21): "the participant has one and the same person to turn to".

When a user who was helped by a staff member before asks for a person again, the new
queue entry is offered to that staff member first: for a head start
(`LOTSEN_CONTACT_HEAD_START_MINUTES`, two minutes by default) nobody else can take it,
the console shows who helped last and when, and the user is told. After the head start
anyone at the office can take it, so nobody waits longer for a colleague who is away.

Only a staff member who may still take the chat counts: the account is not disabled,
has the staff role and works for the conversation's municipality.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Handoff, Staff, aware
from bot.handoff.states import Status
from bot.staff.accounts import can, in_scope


@dataclass(frozen=True)
class LastHelper:
    staff_id: int
    name: str
    helped_at: datetime


async def last_helper(
    session: AsyncSession, conversation_id: int, municipality: str, before: int | None = None
) -> LastHelper | None:
    """Who took this conversation's most recent handoff (before handoff `before`, when
    given), if they may take it again."""
    earlier = [Handoff.id < before] if before is not None else []
    found = (
        await session.execute(
            select(Handoff.claimed_at, Staff)
            .join(Staff, Staff.id == Handoff.claimed_by)
            .where(Handoff.conversation_id == conversation_id, Handoff.claimed_at.is_not(None), *earlier)
            .order_by(Handoff.claimed_at.desc())
            .limit(1)
        )
    ).first()
    if found is None:
        return None
    claimed_at, staff = found
    if staff.disabled or not can(staff.role, "staff") or not in_scope(staff, municipality):
        return None
    return LastHelper(staff.id, staff.display_name, aware(claimed_at))


def head_start(handoff: Handoff, now: datetime) -> tuple[int, datetime] | None:
    """Who has the head start on a waiting entry, and until when; None once it is over."""
    until = aware(handoff.offered_until) if handoff.offered_until else None
    if handoff.status != Status.WAITING.value or handoff.offered_to is None or until is None or until <= now:
        return None
    return handoff.offered_to, until


def held_for_another(handoff: Handoff, staff_id: int, now: datetime) -> bool:
    """The entry is still offered to someone else first."""
    holder = head_start(handoff, now)
    return holder is not None and holder[0] != staff_id
