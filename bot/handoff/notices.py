"""What the user is told at each step of a handoff, in their language."""

from __future__ import annotations

from bot.channels.base import OutgoingMessage
from lotsen import protocol
from lotsen.i18n import t
from lotsen.municipalities import municipalities


def _leave_message_button(language: str) -> dict[str, str]:
    return {"title": t(language, "Leave a message"), "payload": protocol.payload(protocol.LEAVE_MESSAGE)}


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


def office_closed(language: str, when: str) -> OutgoingMessage:
    text = t(
        language,
        "Staff are not available right now. They are back {when}. "
        "You can leave a message, and they will read it when the office opens.",
        when=when,
    )
    return OutgoingMessage.with_buttons(text, [_leave_message_button(language)])


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
