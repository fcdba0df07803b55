"""The 112 line that comes first whenever the NLU flags a possible emergency.

The EmergencyGuard component (lotsen_nlu/components.py) marks the parse data with
`possible_emergency`; every reply then starts with the first message of the emergency
answer in the knowledge bank, in the conversation's language.
"""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Tracker

from lotsen import protocol
from lotsen.knowledge import KnowledgeStore

EMERGENCY_INTENT = "ask_emergency"


def note_reading(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Tell the gateway how the message was read (intent, confidence) for the staff brief."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    name, confidence = intent.get("name"), intent.get("confidence")
    if isinstance(name, str) and isinstance(confidence, int | float) and 0 <= confidence <= 1:
        dispatcher.utter_message(json_message=protocol.reading(name, confidence))


def emergency_first(dispatcher: CollectingDispatcher, tracker: Tracker, language: str, store: KnowledgeStore) -> None:
    """Utter the 112 line if this message may be an emergency and is not answered as one."""
    latest = tracker.latest_message or {}
    intent = (latest.get("intent") or {}).get("name")
    if not latest.get("possible_emergency") or intent == EMERGENCY_INTENT:
        return
    bank = store.get()
    own = bank.answer(str(intent), language) if isinstance(intent, str) and bank.by_intent(intent) else None
    if own is not None and own.messages and "112" in own.messages[0]:
        return  # the answer itself opens with 112 (violence, mental health): not twice
    answer = bank.answer(EMERGENCY_INTENT, language)
    if answer is not None:
        dispatcher.utter_message(text=answer.messages[0])
