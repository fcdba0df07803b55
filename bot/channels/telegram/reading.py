"""Reading Telegram updates: what text a message carries and which command it is.

A photo, video or document with a caption is read as its caption. Commands may carry
the bot's name (`/start@lotsen_bot`, as Telegram writes them in menus and groups) and a
deep-link parameter (`/start linkoping` from `t.me/<bot>?start=linkoping`, so a
municipality's website can link to its own conversation): both become payloads the
pipeline's command table knows.
"""

from __future__ import annotations

import re

from telegram import Message, Update

from bot.channels.base import storable
from lotsen import protocol

_COMMAND = re.compile(r"^/([A-Za-z_]{1,64})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+(\S.*))?$", re.DOTALL)
_PARAMETER = re.compile(r"^[a-z0-9-]{1,32}$")


def text_of(message: Message) -> str | None:
    """The words a message carries: its text, or the caption of a photo, video or document."""
    for value in (message.text, message.caption):
        if value and storable(value):
            return str(value)
    return None


def well_formed(update: Update) -> bool:
    """Telegram's documented types wherever Lotsen reads an update. Telegram sends nothing
    else; a forged or broken update (a chat id that is a list, a text that is a number)
    is refused at the webhook rather than failing half-way through a turn."""
    try:
        if type(update.update_id) is not int:
            return False
        chat, user, message = update.effective_chat, update.effective_user, update.effective_message
        if chat is not None and (type(chat.id) is not int or not isinstance(chat.type, str)):
            return False
        if user is not None and (type(user.id) is not int or not _optional_text(user.language_code)):
            return False
        if message is not None and not (_optional_text(message.text) and _optional_text(message.caption)):
            return False
        query = update.callback_query
        return query is None or _optional_text(query.data)
    except (AttributeError, TypeError, ValueError):
        return False


def _optional_text(value: object) -> bool:
    return value is None or storable(value)


def read_command(text: str, bot_username: str | None) -> str | None:
    """Typed `text` as the pipeline should see it; None when the command is for another bot.
    Anything that is not a plain command (a payload with entities, ordinary words) is
    returned as it is."""
    found = _COMMAND.match(text.strip())
    if not found:
        return text
    name, addressee, argument = found.group(1).lower(), found.group(2), found.group(3)
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None
    if name == protocol.START and argument is not None:
        parameter = argument.strip().lower()
        if _PARAMETER.match(parameter):
            return protocol.payload(protocol.START, **{protocol.KEY_MUNICIPALITY: parameter})
        return protocol.payload(protocol.START)
    if argument is None:
        return protocol.payload(name)
    return text  # a command followed by words ("/human please") is read as typed
