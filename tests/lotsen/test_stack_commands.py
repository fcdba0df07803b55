"""The supervisor's command lines: a Rasa token that starts with "-" stays one argument."""

from __future__ import annotations

from pathlib import Path

from lotsen.stack import Stack, StackConfig


def test_rasa_token_starting_with_a_dash_is_passed_as_one_argument(tmp_path: Path) -> None:
    config = StackConfig(rasa_token="-starts-with-dash", var_dir=tmp_path, model=tmp_path / "m.tar.gz")
    rasa_argv, _ = Stack(config, log_dir=tmp_path).commands()["rasa"]
    assert "--auth-token=-starts-with-dash" in rasa_argv
    assert "-starts-with-dash" not in rasa_argv


def test_generated_tokens_never_start_with_a_dash() -> None:
    assert all(not StackConfig().rasa_token.startswith("-") for _ in range(200))
