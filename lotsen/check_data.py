"""`make check-data`: validate the knowledge bank the way an editor needs to hear it.

Prints schema errors with file and line, a missing language or topic as an error, warns
about answers past their `review_by` date, and prints a topic × language coverage
table. Exits 1 on errors.
"""

from __future__ import annotations

import sys
from datetime import date
from itertools import pairwise
from pathlib import Path

import yaml

from lotsen.knowledge import KnowledgeBank, KnowledgeError, load_bank
from lotsen.languages import supported_codes
from lotsen.paths import KNOWLEDGE_DIR, ROOT


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


def coverage_table(bank: KnowledgeBank) -> str:
    codes = supported_codes()
    width = max([len(t.id) for t in bank.topics.values()] + [5])
    lines = [f"{'topic':<{width}}  " + "  ".join(f"{c:>2}" for c in codes)]
    for topic in sorted(bank.topics.values(), key=lambda t: t.id):
        marks = ["✓" if c in topic.answers else "·" for c in codes]
        lines.append(f"{topic.id:<{width}}  " + "  ".join(f"{m:>2}" for m in marks))
    return "\n".join(lines)


def check(knowledge_dir: Path, domain_file: Path, today: date) -> tuple[list[str], list[str]]:
    """Return (errors, warnings) for the knowledge bank."""
    try:
        bank = load_bank(knowledge_dir)
    except KnowledgeError as exc:
        return str(exc).splitlines(), []
    errors: list[str] = []
    warnings: list[str] = []
    intents = domain_intents(domain_file)
    unanswered = sorted(topic_intents(domain_file.parent / "data" / "rules" / "topics.yml") - set(bank.topics))
    if unanswered:
        errors.append(f"no topic answers these intents: {', '.join(unanswered)}")
    for topic in bank.topics.values():
        if topic.intent not in intents:
            errors.append(f"topic {topic.id}: intent {topic.intent!r} is not in {domain_file.name}")
        if topic.review_by < today:
            warnings.append(f"topic {topic.id}: review_by {topic.review_by} has passed")
        missing = [c for c in supported_codes() if c not in topic.answers]
        if missing:
            errors.append(f"topic {topic.id}: no answer in {', '.join(missing)}")
    print(coverage_table(bank))
    return errors, warnings


def main() -> int:
    errors, warnings = check(KNOWLEDGE_DIR, ROOT / "domain.yml", date.today())
    for warning in warnings:
        print(f"warning: {warning}")
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"check-data: {len(errors)} error(s), {len(warnings)} warning(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
