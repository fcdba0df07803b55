"""action_choose_language: names the chosen language to the gateway, or asks which one."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.language import ActionChooseLanguage
from lotsen.i18n import t
from lotsen.languages import supported_codes
from tests.helpers.trackers import tracker_for


async def test_named_language_is_set_and_confirmed_in_it() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionChooseLanguage().run(dispatcher, tracker_for("choose_language", "sv", "på arabiska tack"), {})
    assert events == []
    assert dispatcher.messages[0]["custom"] == {"set_language": "ar"}
    assert [m for m in dispatcher.messages if m.get("custom")] == [dispatcher.messages[0]]
    assert dispatcher.messages[1]["text"] == t("ar", "OK, I will write in {language} from now on.", language="العربية")


async def test_no_language_named_offers_buttons() -> None:
    dispatcher = CollectingDispatcher()
    await ActionChooseLanguage().run(dispatcher, tracker_for("choose_language", "en", "change language"), {})
    assert dispatcher.messages[0]["text"] == t("en", "Which language would you like?")
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        f'/choose_language{{"language":"{code}"}}' for code in supported_codes()
    ]
    assert len(dispatcher.messages[0]["buttons"]) == 8
    assert not any(m.get("custom") for m in dispatcher.messages)  # nothing changes until one is chosen
