"""Small-talk actions reply in the conversation's language, with topic buttons."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action

from actions.conversation import ActionGreet, ActionNotUnderstood, ActionOutOfScope
from lotsen.languages import supported_codes
from tests.helpers.trackers import tracker_for


@pytest.mark.parametrize("action_class", [ActionGreet, ActionOutOfScope, ActionNotUnderstood])
async def test_reply_is_translated_for_every_language(action_class: type[Action]) -> None:
    texts = {}
    for language in supported_codes():
        dispatcher = CollectingDispatcher()
        assert await action_class().run(dispatcher, tracker_for("greet", language), {}) == []
        assert len(dispatcher.messages) == 1
        texts[language] = dispatcher.messages[0]["text"]
        assert {"title": "BankID", "payload": "/ask_bankid"} in dispatcher.messages[0]["buttons"]
    # Each language has its own text: no catalog silently fell back to English.
    assert len(set(texts.values())) == len(texts)


async def test_unsupported_language_in_metadata_falls_back_to_swedish() -> None:
    swedish, klingon = CollectingDispatcher(), CollectingDispatcher()
    await ActionGreet().run(swedish, tracker_for("greet", "sv"), {})
    await ActionGreet().run(klingon, tracker_for("greet", "tlh"), {})
    assert klingon.messages == swedish.messages
