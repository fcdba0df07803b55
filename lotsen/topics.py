"""The topic intents (DESIGN.md contract) and their short titles, translated at use.

Shared by the actions (buttons) and the gateway (the staff console's handoff brief).
"""

from __future__ import annotations

from functools import cache

from lotsen.i18n import N_
from lotsen_nlu.lexicon import Gazetteer

TOPIC_TITLES: dict[str, str] = {
    "ask_bankid": N_("BankID"),
    "ask_personnummer": N_("Personal identity number"),
    "ask_id_card": N_("ID card"),
    "ask_healthcare": N_("Healthcare"),
    "ask_emergency": N_("Emergency"),
    "ask_dental": N_("Dentist"),
    "ask_interpreter": N_("Interpreter"),
    "ask_housing_queue": N_("Housing queue"),
    "ask_housing_allowance": N_("Housing allowance"),
    "ask_associations": N_("Associations and activities"),
    "ask_sfi": N_("Swedish classes (SFI)"),
    "ask_work": N_("Work"),
    "ask_violence": N_("Violence and threats"),
    "ask_mental_health": N_("Mental health"),
    "ask_shelter": N_("A place to sleep tonight"),
    "ask_residence_permit": N_("Residence permit"),
    "ask_school": N_("School and preschool"),
    "ask_financial_support": N_("Money to live on"),
    "ask_bank_account": N_("Bank account"),
    "ask_driving_licence": N_("Driving licence"),
    "ask_tax": N_("Tax"),
    "ask_moving": N_("Moving and address change"),
    "ask_home": N_("Living in your home"),
    "ask_events": N_("Local events"),
    "ask_word": N_("Words in letters"),
}


@cache
def topic_finder() -> Gazetteer:
    """Finds a topic named in a message ("events about work", "عن السكن") by its title in
    any of the languages, for narrowing a list to that topic."""
    from lotsen.i18n import t
    from lotsen.languages import supported_codes

    names = {intent: [t(code, title) for code in supported_codes()] for intent, title in TOPIC_TITLES.items()}
    return Gazetteer(names)
