"""`make check-data`: validate the knowledge bank the way an editor needs to hear it.

Errors (exit 1): schema errors with file and line, a topic or language missing (also in
municipal overrides, association descriptions and interest names), a topic intent the
domain does not know, an emergency answer that does not start with 112 and name 1177.
Warnings: dates past `review_by`, office details marked `unverified`, files that are not
read (wrong extension). Prints a topic × language coverage table, with a row per
municipal override.
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path

import yaml

from lotsen.knowledge import KnowledgeBank, KnowledgeError, load_bank
from lotsen.languages import supported_codes
from lotsen.paths import ROOT
from lotsen.settings import settings_or_exit

EMERGENCY_INTENT = "ask_emergency"


def domain_intents(domain_file: Path) -> set[str]:
    domain = yaml.safe_load(domain_file.read_text(encoding="utf-8"))
    return {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents", [])}


def topic_intents(rules_file: Path) -> set[str]:
    """The intents the rules send to the knowledge bank (action_answer_topic)."""
    rules = yaml.safe_load(rules_file.read_text(encoding="utf-8")).get("rules", [])
    found = set()
    for rule in rules:
        steps = rule.get("steps", [])
        for step, following in pairwise(steps):
            if "intent" in step and following.get("action") == "action_answer_topic":
                found.add(step["intent"])
    return found


def coverage_rows(bank: KnowledgeBank) -> list[tuple[str, set[str]]]:
    """(row name, languages present): each topic, then each of its municipal overrides."""
    rows = []
    for topic in sorted(bank.topics.values(), key=lambda t: t.id):
        rows.append((topic.id, set(topic.answers)))
        for municipality, override in sorted(topic.overrides.items()):
            rows.append((f"  {topic.id} @ {municipality}", set(override.answers)))
    return rows


def coverage_table(bank: KnowledgeBank) -> str:
    codes = supported_codes()
    rows = coverage_rows(bank)
    width = max([len(name) for name, _ in rows] + [5])
    lines = [f"{'topic':<{width}}  " + "  ".join(f"{c:>2}" for c in codes)]
    for name, present in rows:
        lines.append(f"{name:<{width}}  " + "  ".join(f"{'✓' if c in present else '·':>2}" for c in codes))
    return "\n".join(lines)


def _missing(present: Collection[str]) -> str:
    return ", ".join(c for c in supported_codes() if c not in present)


def completeness_errors(bank: KnowledgeBank) -> list[str]:
    """Every text editors write must exist in every supported language."""
    errors = []
    for topic in bank.topics.values():
        if missing := _missing(topic.answers):
            errors.append(f"topic {topic.id}: no answer in {missing}")
        for municipality, override in topic.overrides.items():
            if missing := _missing(override.answers):
                errors.append(f"topic {topic.id}, override {municipality}: no answer in {missing}")
    for association in bank.associations:
        if missing := _missing(association.description):
            errors.append(f"association {association.id}: no description in {missing}")
        if association.meets and (missing := _missing(association.meets)):
            errors.append(f"association {association.id}: no meeting times in {missing}")
    for interest in bank.interests.values():
        if missing := _missing(interest.names):
            errors.append(f"interest {interest.id}: no name in {missing}")
    return errors


def emergency_errors(bank: KnowledgeBank) -> list[str]:
    """The emergency answer's first message must start with 112 and name 1177, in every language."""
    topic = bank.by_intent(EMERGENCY_INTENT)
    if topic is None:
        return []
    errors = []
    for code, messages in topic.answers.items():
        first = messages[0].lstrip()
        if not first.startswith("112"):
            errors.append(f"topic {topic.id}: the first {code} message must start with 112")
        if "1177" not in first:
            errors.append(f"topic {topic.id}: the first {code} message must also name 1177")
    return errors


def review_warnings(bank: KnowledgeBank, today: date) -> list[str]:
    warnings = []
    dated = [
        *(("topic", t.id, t.review_by) for t in bank.topics.values()),
        *(("offices", o.municipality, o.review_by) for o in bank.offices.values()),
        *(("association", a.id, a.review_by) for a in bank.associations),
    ]
    for kind, name, review_by in dated:
        if review_by < today:
            warnings.append(f"{kind} {name}: review_by {review_by} has passed")
    for entry in bank.offices.values():
        for office in entry.offices:
            if office.unverified:
                warnings.append(f"office {office.id}: confirm {', '.join(office.unverified)} with the municipality")
    return warnings


def stray_files(knowledge_dir: Path) -> list[str]:
    """Files an editor may think are read but are not (e.g. `.yaml` instead of `.yml`)."""
    read = {"topics", "offices", "associations"}
    warnings = []
    for path in sorted(knowledge_dir.rglob("*")):
        if path.is_dir() or path.name.startswith("."):
            continue
        relative = path.relative_to(knowledge_dir)
        expected = (len(relative.parts) == 2 and relative.parts[0] in read) or str(relative) == "interests.yml"
        if not expected or path.suffix != ".yml":
            warnings.append(f"{path}: not read — knowledge files are topics/, offices/, associations/*.yml")
    return warnings


@dataclass
class Report:
    """What an editor needs to know about the bank: it (if it loads), errors, warnings."""

    bank: KnowledgeBank | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def report(knowledge_dir: Path, domain_file: Path, today: date) -> Report:
    """Check the bank: used by `make check-data` and by the editor pages."""
    try:
        bank = load_bank(knowledge_dir)
    except KnowledgeError as exc:
        return Report(None, str(exc).splitlines(), stray_files(knowledge_dir))
    errors: list[str] = []
    intents = domain_intents(domain_file)
    unanswered = sorted(topic_intents(domain_file.parent / "data" / "rules" / "topics.yml") - set(bank.topics))
    if unanswered:
        errors.append(f"no topic answers these intents: {', '.join(unanswered)}")
    for topic in bank.topics.values():
        if topic.intent not in intents:
            errors.append(f"topic {topic.id}: intent {topic.intent!r} is not in {domain_file.name}")
        if unknown := [i for i in topic.related if i not in bank.topics or i == topic.intent]:
            errors.append(f"topic {topic.id}: related names no other topic: {', '.join(unknown)}")
    errors += completeness_errors(bank)
    errors += emergency_errors(bank)
    return Report(bank, errors, review_warnings(bank, today) + stray_files(knowledge_dir))


def check(knowledge_dir: Path, domain_file: Path, today: date) -> tuple[list[str], list[str]]:
    """Return (errors, warnings) for the knowledge bank."""
    found = report(knowledge_dir, domain_file, today)
    return found.errors, found.warnings


def main() -> int:
    found = report(settings_or_exit().knowledge_dir, ROOT / "domain.yml", date.today())
    errors, warnings = found.errors, found.warnings
    if found.bank is not None:
        print(coverage_table(found.bank))
        bank = found.bank
        print(
            f"{len(bank.topics)} topics, offices for {len(bank.offices)} municipalities, "
            f"{len(bank.associations)} associations, {len(bank.interests)} interest tags"
        )
    for warning in warnings:
        print(f"warning: {warning}")
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"check-data: {len(errors)} error(s), {len(warnings)} warning(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
