"""Builds the gateway's parts from its settings and wires them together, once per start.

Kept apart from `bot/app.py` (routes and lifespan) so each can be read on its own: here
is what depends on what; there is how the process starts and stops.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from bot.backends import ActionServerClient, RasaClient
from bot.channels.base import OutputChannel
from bot.channels.telegram import TelegramChannel
from bot.channels.web import CHANNEL as WEB
from bot.channels.web import WebOutput
from bot.console.service import ConsoleService
from bot.db import Database, utcnow
from bot.erasure import ErasureJobs
from bot.events import Broker
from bot.feedback import FeedbackService
from bot.flood import FloodGuard, budgets_from
from bot.handoff import Handoff
from bot.handoff.null import NullHandoff
from bot.handoff.service import HandoffService
from bot.handoff.staff import StaffActions
from bot.language import LanguageDetector
from bot.outbox import Outbox
from bot.pipeline import Pipeline, Step
from bot.pipeline.commands import Commands
from bot.pipeline.record import Recorder
from bot.pipeline.throttle import Throttle
from bot.pipeline.understand import FollowDirectives, Gate, Understand
from lotsen.knowledge import KnowledgeStore
from lotsen.languages import languages
from lotsen.paths import DATA_DIR
from lotsen.settings import Settings
from lotsen_nlu.lexicon import Lexicon

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30.0


@dataclass
class Services:
    settings: Settings
    db: Database
    rasa: RasaClient
    actions: ActionServerClient
    broker: Broker
    detector: LanguageDetector
    store: KnowledgeStore
    outbox: Outbox
    handoff: Handoff
    staff_actions: StaffActions
    console: ConsoleService
    pipeline: Pipeline
    commands: Commands
    erasure: ErasureJobs
    telegram: TelegramChannel | None
    flood: FloodGuard
    channels: dict[str, OutputChannel] = field(default_factory=dict)


def build(settings: Settings, db: Database, http: httpx.AsyncClient) -> Services:
    rasa = RasaClient(
        settings.rasa_url,
        settings.rasa_token,
        http,
        timeout=settings.rasa_timeout,
        startup_grace=settings.startup_grace,
        concurrency=settings.rasa_concurrency,
    )
    actions = ActionServerClient(settings.actions_url, http)
    broker = Broker(settings.redis_url)
    flood = FloodGuard(budgets_from(settings), settings.redis_url)
    detector = LanguageDetector(languages())
    store = KnowledgeStore(settings.knowledge_dir)
    channels: dict[str, OutputChannel] = {WEB: WebOutput(broker)}
    telegram = TelegramChannel(settings, db, detector, flood) if settings.telegram_token is not None else None
    if telegram is not None:
        channels[telegram.name] = telegram
    outbox = Outbox(db, channels, broker)
    language = settings.default_language
    handoff: Handoff = NullHandoff()
    if settings.handoff:
        timeout = timedelta(minutes=settings.claim_timeout_minutes)
        handoff = HandoffService(
            db,
            store,
            timeout,
            broker,
            outbox,
            language,
            flood,
            settings.office_queue_cap,
            head_start=timedelta(minutes=settings.contact_head_start_minutes),
        )
    feedback = FeedbackService(db, utcnow)
    commands = Commands(db, handoff, settings.rasa_tracker_url, clock=utcnow, feedback=feedback)
    steps: list[Step] = [
        Throttle(flood),
        commands,
        Gate(handoff, feedback),
        Understand(rasa, actions),
        FollowDirectives(db, handoff),
    ]
    recorder = Recorder(db, detector, Lexicon.load(DATA_DIR / "lexicon"), language)
    pipeline = Pipeline(db, recorder, steps, channels, outbox)
    if telegram is not None:
        telegram.pipeline = pipeline
    return Services(
        settings=settings,
        db=db,
        rasa=rasa,
        actions=actions,
        broker=broker,
        detector=detector,
        store=store,
        outbox=outbox,
        handoff=handoff,
        staff_actions=StaffActions(db, store, broker, outbox, language),
        console=ConsoleService(db, broker),
        pipeline=pipeline,
        commands=commands,
        erasure=ErasureJobs(db, settings.rasa_tracker_url),
        telegram=telegram,
        flood=flood,
        channels=channels,
    )


async def expire_waits(handoff: Handoff) -> None:
    """End unclaimed waits even when the user writes nothing more (they get the notice)."""
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await handoff.expire_due()
        except Exception:
            log.exception("expiring unclaimed handoffs failed")
