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
    assert "broken.yml:" in errors[0] and "not valid YAML" in errors[0]


def test_schema_errors_name_the_field(tmp_path: Path) -> None:
    bank = copy_bank(tmp_path)
    path = bank / "topics" / "bankid.yml"
    text = path.read_text(encoding="utf-8").replace("https://www.elegitimation.se/", "not a link")
    path.write_text(text.replace("  en:\n", "  xx:\n"), encoding="utf-8")
    errors, _ = check(bank, DOMAIN, date(2026, 11, 23))
    joined = "\n".join(errors)
    assert "bankid.yml" in joined
    assert "sources.1.url" in joined
    assert "unknown language code(s) xx" in joined


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


def test_schema_error_names_the_line_of_the_bad_value(tmp_path: Path) -> None:
    bank = copy_bank(tmp_path)
    path = bank / "topics" / "sfi.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("review_by:"))
    lines[number - 1] = "review_by: next spring"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors, _ = check(bank, DOMAIN, date(2026, 11, 23))
    assert any(f"sfi.yml:{number}: review_by:" in e for e in errors), errors


def test_bad_office_hours_and_unknown_municipality(tmp_path: Path) -> None:
    bank = copy_bank(tmp_path)
    path = bank / "offices" / "linkoping.yml"
    path.write_text(path.read_text(encoding="utf-8").replace('"08:00-16:00"', '"16:00-08:00"', 1), encoding="utf-8")
    (bank / "offices" / "malmo.yml").write_text(
        "municipality: malmo\nlast_checked: 2026-11-23\nreview_by: 2027-01-01\n"
        "offices:\n  - {id: x, name: X, phone: '040-34 10 00'}\n",
        encoding="utf-8",
    )
    errors = "\n".join(check(bank, DOMAIN, date(2026, 11, 23))[0])
    assert "linkoping.yml" in errors and "closes before it opens" in errors
    assert "malmo.yml:1: municipality: unknown municipality 'malmo'" in errors


def test_association_problems_are_errors(tmp_path: Path) -> None:
    bank = copy_bank(tmp_path)
    path = bank / "associations" / "hej-framling.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["contact"] = {"url": "javascript:alert(1)"}
    data["interests"].append("knitting")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    other = bank / "associations" / "kompis-sverige.yml"
    data = yaml.safe_load(other.read_text(encoding="utf-8"))
    del data["description"]["uk"]
    other.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    errors = "\n".join(check(bank, DOMAIN, date(2026, 11, 23))[0])
    assert "hej-framling.yml" in errors and "contact.url" in errors
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["contact"] = {"url": "https://hejframling.se/"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    errors = "\n".join(check(bank, DOMAIN, date(2026, 11, 23))[0])
    assert "unknown interest tag(s) knitting" in errors
    data["interests"].remove("knitting")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert check(bank, DOMAIN, date(2026, 11, 23))[0] == ["association kompis-sverige: no description in uk"]


def test_emergency_answer_must_start_with_112_and_name_1177(tmp_path: Path) -> None:
    bank = copy_bank(tmp_path)
    path = bank / "topics" / "emergency.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["answers"]["ar"][0] = "اتصل بالطوارئ."
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    errors, _ = check(bank, DOMAIN, date(2026, 11, 23))
    assert "topic emergency: the first ar message must start with 112" in errors
    assert "topic emergency: the first ar message must also name 1177" in errors


def test_override_missing_a_language_is_an_error_and_stray_files_warn(tmp_path: Path) -> None:
    bank = copy_bank(tmp_path)
    path = bank / "topics" / "housing_queue.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["overrides"]["skelleftea"]["answers"]["fa"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (bank / "topics" / "notes.yaml").write_text("id: x\n", encoding="utf-8")
    errors, warnings = check(bank, DOMAIN, date(2026, 11, 23))
    assert errors == ["topic housing_queue, override skelleftea: no answer in fa"]
    assert any("notes.yaml" in w and "not read" in w for w in warnings)


def test_unverified_office_details_are_warnings() -> None:
    _, warnings = check(KNOWLEDGE_DIR, DOMAIN, date(2026, 11, 23))
    assert any(w.startswith("office vasby-direkt: confirm phone") for w in warnings)


def test_a_long_first_message_is_an_error(tmp_path: Path) -> None:
    from lotsen.check_data import first_message_errors
    from lotsen.knowledge import load_bank

    directory = Path(shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge"))
    path = directory / "topics" / "emergency.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def first_sv(text: str) -> list[str]:
        data["answers"]["sv"][0] = text
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return [e for e in first_message_errors(load_bank(directory)) if e.startswith("topic emergency: the first sv")]

    assert first_sv("Ring 112 om någons liv är i fara. Behöver du råd, ring 1177.") == []
    assert first_sv("Ring 112 nu. Eller 1177. " + "Det här är en mening. " * 2)  # four sentences
    assert first_sv("Ring 112 om någons liv är i fara, 1177 för råd " + "och mer " * 40)  # over 300 characters


def test_sentences_are_counted_by_their_ends_not_abbreviations() -> None:
    from lotsen.check_data import sentences_in

    assert sentences_in("Ring 112 nu.") == 1
    assert sentences_in("Ring t.ex. 1177 om du behöver råd. Är det akut, ring 112.") == 2
    assert sentences_in("Kvinnofridslinjen 020-50 50 50 svarar dygnet runt") == 1
    assert sentences_in("اتصل بالرقم 112 الآن. ثم اتصل بـ 1177؟ لا تنتظر.") == 3
