"""Names of the bank's fields and values as editors read them on the form pages.

Marked for the `console` catalog here and translated where they are shown (`_()` in the
templates), so the schema's keys (`phone_hours`, `municipal_service`) never reach a
municipality editor untranslated.
"""

from __future__ import annotations

from bot.staff.accounts import LATER, gettext

OFFICE_FIELDS = {
    "id": gettext(LATER, "Id"),
    "name": gettext(LATER, "Name"),
    "handoff": gettext(LATER, "Takes the chats"),
    "phone": gettext(LATER, "Phone"),
    "email": gettext(LATER, "Email"),
    "address": gettext(LATER, "Address"),
    "url": gettext(LATER, "Web page"),
    "languages": gettext(LATER, "Languages the staff speak"),
    "chat_hours": gettext(LATER, "Chat hours"),
    "phone_hours": gettext(LATER, "Phone hours"),
    "visit_hours": gettext(LATER, "Visiting hours"),
    "closed": gettext(LATER, "Closed days"),
    "half_days": gettext(LATER, "Half days"),
}

ASSOCIATION_KINDS = {
    "association": gettext(LATER, "Association"),
    "organisation": gettext(LATER, "Organisation"),
    "library": gettext(LATER, "Library"),
    "study_association": gettext(LATER, "Study association"),
    "municipal_service": gettext(LATER, "Municipal service"),
}
