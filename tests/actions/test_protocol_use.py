"""No payload or directive is spelled out in actions/: all come from lotsen.protocol.

The trained model and the gateway read these strings byte for byte; spelled in two places
they drift apart. This scans the source text, which is crude but cannot be fooled by an
import: a payload or directive written by hand shows up as one of these patterns.
"""

from __future__ import annotations

import re

import pytest

from lotsen.paths import ROOT

ACTIONS_DIR = ROOT / "actions"

HAND_SPELLED = {
    "a directive dict": re.compile(r"json_message\s*=\s*(\{|dict\()"),
    "an f-string payload": re.compile(r"""\bf["']/"""),
    "a payload literal": re.compile(r"""["']/[a-z_]"""),
    "JSON inside an f-string": re.compile(r"""\{\{\s*["']"""),
    "a directive key": re.compile(r"""["'](set_language|set_municipality|unanswered|handoff|topic)["']\s*:"""),
}


def hand_spelled(source: str) -> list[str]:
    """`what: line` for every line that spells a payload or directive by hand."""
    return [
        f"{what}: {line.strip()}"
        for line in source.splitlines()
        for what, pattern in HAND_SPELLED.items()
        if pattern.search(line)
    ]


@pytest.mark.parametrize(
    "line",
    [
        'HUMAN_PAYLOAD = "/request_human"',
        'return {"title": title, "payload": f"/{intent}"}',
        """{"title": name, "payload": f'/{intent}{{"municipality":"{municipality}"}}'}""",
        """"payload": f'/{ASSOCIATIONS_INTENT}{{"interest":"{interest.id}"}}',""",
        'dispatcher.utter_message(json_message={"set_language": chosen})',
        'dispatcher.utter_message(json_message={"handoff": "request"})',
        'directive = {"topic": intent}',
        "reply = {'unanswered': reason}",
    ],
)
def test_the_scan_catches_what_actions_used_to_spell_by_hand(line: str) -> None:
    assert hand_spelled(line)


def test_the_scan_lets_protocol_calls_and_prose_pass() -> None:
    fine = [
        "dispatcher.utter_message(json_message=protocol.set_language(chosen))",
        '"payload": protocol.intent_payload(intent, **{protocol.KEY_MUNICIPALITY: municipality})',
        '"I will answer for {municipality} from now on. Write /municipality to change it."',
    ]
    assert [line for line in fine if hand_spelled(line)] == []


def test_actions_spell_no_payload_or_directive() -> None:
    files = sorted(ACTIONS_DIR.rglob("*.py"))
    assert files
    found = {
        str(path.relative_to(ROOT)): hits for path in files if (hits := hand_spelled(path.read_text(encoding="utf-8")))
    }
    assert found == {}, "use lotsen.protocol instead"


def test_actions_do_not_fall_back_to_a_literal_language() -> None:
    """The fallback language is LOTSEN_DEFAULT_LANGUAGE (actions/config.py), never a code in the source."""
    literal = re.compile(r"""(LANGUAGE\s*=\s*|\belse\s+|\bor\s+)["'][a-z]{2,3}["']""")
    found = [
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for path in sorted(ACTIONS_DIR.rglob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if literal.search(line)
    ]
    assert found == []
