"""What the user is told at each step of a handoff, in their language."""

from __future__ import annotations

from bot.channels.base import OutgoingMessage
from bot.handoff.languages import language_name, language_names
from lotsen import protocol
from lotsen.i18n import t
from lotsen.languages import languages
from lotsen.municipalities import municipalities


def _leave_message_button(language: str) -> dict[str, str]:
    return {"title": t(language, "Leave a message"), "payload": protocol.payload(protocol.LEAVE_MESSAGE)}


def _callback_button(language: str, interpreter: bool) -> dict[str, str]:
    title = t(language, "Call me with an interpreter") if interpreter else t(language, "Call me back")
    return {"title": title, "payload": protocol.payload(protocol.CALLBACK)}


def _cancel_callback_button(language: str) -> dict[str, str]:
    return {"title": t(language, "Cancel"), "payload": protocol.payload(protocol.CALLBACK_CANCEL)}


def which_municipality(language: str) -> OutgoingMessage:
    buttons = [{"title": name, "payload": protocol.human_request(code)} for code, name in municipalities().items()]
    question = t(language, "Which municipality do you live in? Then I can find the right staff.")
    return OutgoingMessage.with_buttons(question, buttons)


def no_staff_chat(language: str) -> OutgoingMessage:
    return OutgoingMessage(
        t(
            language,
            "Lotsen cannot connect you to staff in your municipality. Please contact your municipality directly.",
        )
    )


def office_closed(language: str, when: str, spoken: list[str] | None = None) -> OutgoingMessage:
    """Closed now: leave a message, or be called back — with an interpreter when the staff
    (`spoken`, only given when none of them speaks the user's language) need one."""
    text = t(
        language,
        "Staff are not available right now. They are back {when}. "
        "You can leave a message, and they will read it when the office opens, or ask them to call you.",
        when=when,
    )
    if spoken:
        text += "\n" + t(
            language,
            "The staff speak {languages}. They can call you with an interpreter who speaks {language}.",
            languages=language_names(spoken, language),
            language=language_name(language, language, capitalise=False),
        )
    buttons = [_leave_message_button(language), _callback_button(language, bool(spoken))]
    return OutgoingMessage.with_buttons(text, buttons)


def no_shared_language(language: str, office: str, spoken: list[str]) -> OutgoingMessage:
    """Open now, but nobody there speaks the user's language: say so, and offer the staff's
    languages (each button in that language), an interpreter callback, or waiting anyway."""
    text = t(
        language,
        "The staff at {office} speak {languages}, not {language}. You can write to them in one of "
        "their languages, or they can call you with an interpreter. You can also wait for a person anyway.",
        office=office,
        languages=language_names(spoken, language),
        language=language_name(language, language, capitalise=False),
    )
    buttons = [
        {
            "title": t(code, "Continue in {language}", language=languages()[code].native_name),
            "payload": protocol.payload(protocol.HUMAN, **{protocol.KEY_LANGUAGE: code}),
        }
        for code in spoken
        if code in languages()
    ]
    buttons.append(_callback_button(language, True))
    buttons.append(
        {
            "title": t(language, "Wait for a person anyway"),
            "payload": protocol.payload(protocol.HUMAN, **{protocol.KEY_ANYWAY: "yes"}),
        }
    )
    return OutgoingMessage.with_buttons(text, buttons)


def ask_phone(language: str, interpreter: str | None) -> OutgoingMessage:
    text = t(
        language,
        "Write the phone number staff can call you on. A number from another country needs its "
        "country code, for example +46 70 123 45 67.",
    )
    if interpreter:
        text += "\n" + t(
            language,
            "They will book an interpreter who speaks {language}.",
            language=language_name(interpreter, language, capitalise=False),
        )
    return OutgoingMessage.with_buttons(text, [_cancel_callback_button(language)])


def phone_not_understood(language: str) -> OutgoingMessage:
    text = t(
        language,
        "That does not look like a phone number. Write only the number, for example 070 123 45 67 or +46 70 123 45 67.",
    )
    return OutgoingMessage.with_buttons(text, [_cancel_callback_button(language)])


def choose_window(language: str, phone: str, windows: list[tuple[str, str]]) -> OutgoingMessage:
    """`windows`: (title, key) pairs; "any time" is always offered."""
    text = t(language, "Thank you. When should staff call {phone}?", phone=phone)
    buttons = [
        {"title": title, "payload": protocol.payload(protocol.CALLBACK_WINDOW, **{protocol.KEY_WINDOW: key})}
        for title, key in windows
    ]
    buttons.append(
        {
            "title": t(language, "Any time"),
            "payload": protocol.payload(protocol.CALLBACK_WINDOW, **{protocol.KEY_WINDOW: "any"}),
        }
    )
    return OutgoingMessage.with_buttons(text, buttons)


def callback_arranged(language: str, phone: str, when: str, interpreter: str | None) -> OutgoingMessage:
    if interpreter:
        return OutgoingMessage(
            t(
                language,
                "Done. Staff will call {phone} {when}, with an interpreter who speaks {language}. "
                "You can keep asking me questions here.",
                phone=phone,
                when=when,
                language=language_name(interpreter, language, capitalise=False),
            )
        )
    return OutgoingMessage(
        t(
            language,
            "Done. Staff will call {phone} {when}. You can keep asking me questions here.",
            phone=phone,
            when=when,
        )
    )


def callback_cancelled(language: str) -> OutgoingMessage:
    return OutgoingMessage(t(language, "OK, no callback. Ask me anything."))


def callback_already_arranged(language: str) -> OutgoingMessage:
    return OutgoingMessage(t(language, "Your callback is already arranged. You can keep asking me questions here."))


def queued(language: str, office: str, position: int) -> OutgoingMessage:
    text = t(
        language,
        "I am asking a staff member at {office} to take over. You are number {position} in the queue. "
        "You can keep writing here; they will see your messages.",
        office=office,
        position=position,
    )
    stop = {"title": t(language, "Stop waiting"), "payload": protocol.payload(protocol.STOP_WAITING)}
    return OutgoingMessage.with_buttons(text, [stop])


def same_person(language: str, name: str) -> OutgoingMessage:
    """A returning user: the staff member who helped them last time gets the chat first."""
    return OutgoingMessage(
        t(language, "{name}, who helped you last time, will see your conversation first.", name=name)
    )


def left_queue(language: str) -> OutgoingMessage:
    return OutgoingMessage(t(language, "OK, you have left the queue. Ask me anything."))


def write_your_message(language: str) -> OutgoingMessage:
    return OutgoingMessage(
        t(language, "Write your message now, in one message. Staff will read it when the office opens.")
    )


def message_saved(language: str) -> OutgoingMessage:
    return OutgoingMessage(
        t(language, "Thank you. Your message is saved, and staff will read it when the office opens.")
    )


def expired(language: str) -> OutgoingMessage:
    text = t(
        language,
        "Sorry, no staff member could take your chat right now. You can leave a message for them, or keep asking me.",
    )
    return OutgoingMessage.with_buttons(text, [_leave_message_button(language)])


def claimed(language: str, name: str, office: str) -> OutgoingMessage:
    return OutgoingMessage(t(language, "{name} from {office} is now chatting with you.", name=name, office=office))


def handed_back(language: str) -> OutgoingMessage:
    return OutgoingMessage(
        t(
            language,
            "You are back with Lotsen, the automatic assistant. Ask me anything, or write /human "
            "to talk to a person again.",
        )
    )


def chat_ended(language: str) -> OutgoingMessage:
    return OutgoingMessage(
        t(
            language,
            "The staff member has ended the chat. Lotsen, the automatic assistant, is here if you have more questions.",
        )
    )


def handoff_off(language: str) -> OutgoingMessage:
    """Where staff chat is switched off (LOTSEN_HANDOFF=false)."""
    return OutgoingMessage(
        t(
            language,
            "Talking to a staff member in this chat is not available yet. "
            "You can call or visit your municipality's contact centre; its website lists how.",
        )
    )


def queue_full(language: str, office: str, phone: str | None) -> OutgoingMessage:
    """The office's queue is at its cap (LOTSEN_OFFICE_QUEUE_CAP)."""
    if phone:
        text = t(
            language,
            "Many people are waiting for staff at {office} right now, so I cannot add you to the queue. "
            "You can leave a message for them, or call {phone}.",
            office=office,
            phone=phone,
        )
    else:
        text = t(
            language,
            "Many people are waiting for staff at {office} right now, so I cannot add you to the queue. "
            "You can leave a message for them, or try again later.",
            office=office,
        )
    return OutgoingMessage.with_buttons(text, [_leave_message_button(language)])


def asked_too_often(language: str) -> OutgoingMessage:
    """Too many requests for a person from one place in an hour (LOTSEN_ADDRESS_HANDOFFS_PER_HOUR)."""
    text = t(
        language,
        "You have asked for a person many times in a short while. Please wait a little before you ask again, "
        "or leave a message.",
    )
    return OutgoingMessage.with_buttons(text, [_leave_message_button(language)])


def messages_full(language: str, office: str, phone: str | None) -> OutgoingMessage:
    """Too many messages left for the office, or from one place, in the last hour."""
    if phone:
        text = t(
            language,
            "Staff at {office} have received many messages in the last hour, so I could not pass yours on. "
            "Please try again later, or call {phone}.",
            office=office,
            phone=phone,
        )
    else:
        text = t(
            language,
            "Staff at {office} have received many messages in the last hour, so I could not pass yours on. "
            "Please try again later.",
            office=office,
        )
    return OutgoingMessage(text)
