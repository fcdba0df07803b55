"""Bidi isolation for chat bubbles (the editor preview; the widget does the same)."""

from __future__ import annotations

import pytest

from lotsen.bidi import isolate_runs


@pytest.mark.parametrize(
    ("text", "direction", "runs"),
    [
        ("BankID هو هوية إلكترونية.", "rtl", [("bdi", "BankID"), ("text", " هو هوية إلكترونية.")]),
        (
            "اتصل بـ 1177 (Vårdguiden) الآن",
            "rtl",
            [("text", "اتصل بـ 1177 ("), ("bdi", "Vårdguiden"), ("text", ") الآن")],
        ),
        (
            "اقرأ المزيد: https://www.1177.se/ اليوم",
            "rtl",
            [("text", "اقرأ المزيد: "), ("link", "https://www.1177.se/"), ("text", " اليوم")],
        ),
        ("Mobilt BankID از بانک", "rtl", [("bdi", "Mobilt BankID"), ("text", " از بانک")]),
        ("Call 112 now.", "ltr", [("text", "Call 112 now.")]),
        ("Say مرحبا to them", "ltr", [("text", "Say "), ("bdi", "مرحبا"), ("text", " to them")]),
        ("ሰላም BankID", "ltr", [("text", "ሰላም BankID")]),
        ("", "rtl", []),
    ],
)
def test_runs(text: str, direction: str, runs: list[tuple[str, str]]) -> None:
    assert isolate_runs(text, direction) == runs
    assert "".join(part for _, part in runs) == text  # nothing lost or reordered
