"""What the simulated newcomers say: a multilingual mix of topic questions, small talk,
out-of-scope messages and a language switch, in the proportions a municipality's chat
sees (mostly questions; some greetings and thanks; a few off-topic lines)."""

from __future__ import annotations

import random

CONVERSATION_TURNS: list[list[str]] = [
    ["Hej!", "Hur skaffar jag BankID?", "Tack!"],
    ["Hello", "How do I join the housing queue?", "And housing allowance?", "Thanks"],
    ["مرحبا", "كيف أحصل على رقم شخصي؟", "شكرا"],
    ["سلام", "چطور کارت شناسایی بگیرم؟", "ممنون"],
    ["Salaan", "Sideen u helaa dhakhtar?", "Mahadsanid"],
    ["ሰላም", "ባንክ ኣይዲ ከመይ ይረክብ?", "የቐንየለይ"],
    ["Привіт", "Як записатися на курси шведської мови SFI?", "Дякую"],
    ["Здравствуйте", "Как найти работу в Швеции?", "Can you answer in English please?", "What about dentists?"],
    ["What is the weather like tomorrow?", "Who won the football match?", "Where is the nearest dentist?"],
    ["Jag behöver en tolk hos läkaren", "Finns det språkcafé i Linköping?", "Hej då"],
]


def conversation(rng: random.Random) -> list[str]:
    """One simulated newcomer's turns."""
    return list(rng.choice(CONVERSATION_TURNS))
