"""How an office is described to users: hours per kind in the user's language (CLDR
weekday names and times), whether chat is open now or when it opens next (holidays
counted), phone, address, languages spoken, and a warning when details are unconfirmed.

Shared by the action server (the answer users get) and the editor's office preview (so
an editor sees exactly that text before saving).
"""

from __future__ import annotations

from datetime import datetime, timezone

from lotsen.hours import describe_hours
from lotsen.i18n import N_, t
from lotsen.knowledge import Office
from lotsen.languages import languages
from lotsen.office_hours import Schedule, format_opening

HOURS_LABELS = (
    ("chat_hours", N_("Chat with staff: {hours}")),
    ("phone_hours", N_("Phone hours: {hours}")),
    ("visit_hours", N_("Visit: {hours}")),
)


def chat_status(office: Office, language: str, now: datetime) -> str | None:
    """ "Open now" or when chat opens next, counting holidays and the office's closed days."""
    schedule = Schedule.chat(office)
    if schedule is None:
        return None
    if schedule.is_open(now):
        return t(language, "Chat is open now.")
    opening = schedule.next_opening(now)
    return t(language, "Chat opens next: {when}", when=format_opening(opening, language)) if opening else None


def describe_office(office: Office, language: str, now: datetime | None = None) -> str:
    locale = languages()[language].locale
    lines = [office.name]
    for field, label in HOURS_LABELS:
        hours = getattr(office, field)
        if hours is not None and not hours.is_empty():
            lines.append(t(language, label, hours="; ".join(describe_hours(hours, language))))
    if status := chat_status(office, language, now or datetime.now(timezone.utc)):
        lines.append(status)
    for value, label in ((office.phone, N_("Telephone: {value}")), (office.address, N_("Address: {value}"))):
        if value:
            lines.append(t(language, label, value=value))
    if office.url:
        lines.append(str(office.url))
    if office.languages:
        names = ", ".join(locale.languages.get(code, code) for code in office.languages)
        lines.append(t(language, "Staff speak: {languages}", languages=names))
    if office.unverified:
        lines.append(t(language, "Some of these details are not confirmed yet. Check the website before you go."))
    return "\n".join(lines)
