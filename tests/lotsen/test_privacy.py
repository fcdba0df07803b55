"""Personal data is masked; the numbers newcomers need (112, 1177, 114 14) are not."""

from __future__ import annotations

import pytest

from lotsen.privacy import MASK, mask_personal_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mitt personnummer är 19900101-1234", f"mitt personnummer är {MASK}"),
        ("900101-1234", MASK),
        ("199001011234", MASK),
        ("ring 070-123 45 67", f"ring {MASK}"),
        ("+46 70 123 45 67", MASK),
        ("skriv till amina.a@example.se", f"skriv till {MASK}"),
        ("ring 112 eller 1177", "ring 112 eller 1177"),
        ("Polisen 114 14", "Polisen 114 14"),
        ("BankID sedan 2026, Storgatan 12", "BankID sedan 2026, Storgatan 12"),
    ],
)
def test_masking(text: str, expected: str) -> None:
    assert mask_personal_data(text) == expected
