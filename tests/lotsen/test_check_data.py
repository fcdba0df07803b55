"""`make check-data` reports problems with file and line, and passes on the shipped bank."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import yaml

from lotsen.check_data import check
from lotsen.paths import KNOWLEDGE_DIR, ROOT

DOMAIN = ROOT / "domain.yml"


def copy_bank(tmp_path: Path) -> Path:
    shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge")
    return tmp_path / "knowledge"


def test_shipped_bank_has_no_errors() -> None:
    errors, _ = check(KNOWLEDGE_DIR, DOMAIN, date(2026, 11, 23))
    assert errors == []


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bank = copy_bank(tmp_path)
    (bank / "topics" / "broken.yml").write_text("id: broken\nintent: [ask_x\nsources: 1\n", encoding="utf-8")
    errors, _ = check(bank, DOMAIN, date(2026, 11, 23))
    assert len(errors) == 1
    assert "broken.yml:" in errors[0] and "invalid YAML" in errors[0]


def test_schema_errors_name_the_field(tmp_path: Path) -> None:
    bank = copy_bank(tmp_path)
    path = bank / "topics" / "bankid.yml"
    text = path.read_text(encoding="utf-8").replace("https://www.elegitimation.se/", "not a link")
    path.write_text(text.replace("  en:\n", "  xx:\n"), encoding="utf-8")
    errors, _ = check(bank, DOMAIN, date(2026, 11, 23))
    joined = "\n".join(errors)
    assert "bankid.yml" in joined
    assert "sources.1.url" in joined
    assert "unsupported language code(s): xx" in joined


def test_too_long_message_is_an_error(tmp_path: Path) -> None:
    bank = copy_bank(tmp_path)
    path = bank / "topics" / "bankid.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  sv:\n", "  sv:\n    - " + "a" * 601 + "\n", 1), encoding="utf-8")
    errors, _ = check(bank, DOMAIN, date(2026, 11, 23))
    assert any("at most 600 characters" in e for e in errors)


def test_duplicate_topic_id_and_unknown_intent(tmp_path: Path) -> None:
    bank = copy_bank(tmp_path)
    original = (bank / "topics" / "bankid.yml").read_text(encoding="utf-8")
    (bank / "topics" / "copy.yml").write_text(original.replace("intent: ask_bankid", "intent: ask_nothing"))
    errors, _ = check(bank, DOMAIN, date(2026, 11, 23))
    assert any("duplicate topic id 'bankid'" in e for e in errors)


def test_review_date_in_the_past_is_a_warning(tmp_path: Path) -> None:
    errors, warnings = check(KNOWLEDGE_DIR, DOMAIN, date(2030, 1, 1))
    assert errors == []
    assert any("review_by" in w for w in warnings)


def test_missing_language_is_an_error(tmp_path: Path) -> None:
    bank = copy_bank(tmp_path)
    path = bank / "topics" / "sfi.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["answers"]["ti"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    errors, _ = check(bank, DOMAIN, date(2026, 11, 23))
    assert "topic sfi: no answer in ti" in errors


def test_missing_topic_is_an_error(tmp_path: Path) -> None:
    bank = copy_bank(tmp_path)
    (bank / "topics" / "dental.yml").unlink()
    errors, _ = check(bank, DOMAIN, date(2026, 11, 23))
    assert "no topic answers these intents: ask_dental" in errors


def test_javascript_link_is_rejected(tmp_path: Path) -> None:
    bank = copy_bank(tmp_path)
    path = bank / "topics" / "work.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["sources"][0]["url"] = "javascript:alert(1)"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    errors, _ = check(bank, DOMAIN, date(2026, 11, 23))
    assert any("work.yml" in e and "sources.0.url" in e for e in errors)


def test_huge_file_is_rejected_without_reading_it(tmp_path: Path) -> None:
    bank = copy_bank(tmp_path)
    (bank / "topics" / "huge.yml").write_bytes(b"#" * (10 * 1024 * 1024))
    errors, _ = check(bank, DOMAIN, date(2026, 11, 23))
    assert any("huge.yml" in e and "at most" in e for e in errors)
