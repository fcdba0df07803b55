"""The glossary finds every official word in a message — a question in any language, a
word alone, a sentence pasted from a letter — and refuses a bank where one form would
point at two words."""

from __future__ import annotations

from pathlib import Path

import pytest

from lotsen.knowledge import KnowledgeError, load_bank
from lotsen.knowledge.glossary import GlossaryEntry, GlossaryFinder

LANGS = ("sv", "en", "ar", "fa", "so", "ti", "uk", "ru")


def entry(word: str, *forms: str) -> GlossaryEntry:
    return GlossaryEntry(
        id=word.replace("å", "a").replace("ä", "a").replace("ö", "o").replace(" ", "-"),
        word=word,
        forms=[word, *forms],
        explanations={code: f"{word} ({code})" for code in LANGS},
    )


FINDER = GlossaryFinder.build(
    [
        entry("kallelse", "kallelsen", "kallelser"),
        entry("beslut", "beslutet", "besluten"),
        entry("överklaga", "överklagar", "överklagade"),
        entry("påminnelse", "påminnelsen"),
        entry("sista dag"),
        entry("komplettering", "kompletteringen"),
        entry("avi"),
    ]
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vad betyder kallelse?", ["kallelse"]),
        ("what does 'Kallelsen' mean", ["kallelse"]),
        ("ما معنى kallelse في الرسالة؟", ["kallelse"]),
        ("«överklaga» — что это значит?", ["overklaga"]),
        ("beslut", ["beslut"]),
        (
            "Vi behöver en komplettering av din ansökan. Sista dag är 12 mars. Du kan överklaga beslutet.",
            ["komplettering", "sista-dag", "overklaga", "beslut"],
        ),
        ("Jag fick en betalningspåminnelse", ["paminnelse"]),  # the end of a compound
        ("a sista dagen? no: sista dag!", ["sista-dag"]),
        ("avisering", []),  # a short form matches whole words only
        ("hej hur mår du", []),
    ],
)
def test_words_are_found_in_any_message(text: str, expected: list[str]) -> None:
    assert [e.id for e in FINDER.find(text)] == expected


def test_a_form_of_two_words_is_refused(knowledge_dir: Path) -> None:
    folder = knowledge_dir / "glossary"
    folder.mkdir(exist_ok=True)
    (folder / "clash.yml").write_text(
        "review_by: 2027-06-01\n"
        "entries:\n"
        "  - {id: beslut, word: beslut, forms: [beslut, beslutet], explanations: {sv: ett beslut}}\n"
        "  - {id: besluta, word: besluta, forms: [besluta, beslutet], explanations: {sv: att besluta}}\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError, match="also a form of"):
        load_bank(knowledge_dir)


def test_the_word_must_be_one_of_its_forms() -> None:
    with pytest.raises(ValueError, match="must include the word itself"):
        GlossaryEntry(id="beslut", word="beslut", forms=["beslutet"], explanations={"sv": "x"})
