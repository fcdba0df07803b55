"""`make check-data`: validate the knowledge bank the way an editor needs to hear it.

Errors (exit 1): schema errors with file and line, a topic or language missing (also in
municipal overrides, association descriptions and interest names), a topic intent the
domain does not know, an emergency answer that does not start with 112 and name 1177.
Warnings: dates past `review_by`, office details marked `unverified`, files that are not
read (wrong extension). Prints a topic × language coverage table, with a row per
municipal override.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from pathlib import Path

import yaml

from lotsen.knowledge import KnowledgeBank, KnowledgeError, load_bank
from lotsen.knowledge.bank import Replacements
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


def glossary_coverage(bank: KnowledgeBank) -> str:
    """How many glossary words are explained in each language."""
    codes = supported_codes()
    counts = {code: sum(code in entry.explanations for entry in bank.glossary.values()) for code in codes}
    cells = "  ".join(f"{code} {counts[code]}" for code in codes)
    return f"glossary: {len(bank.glossary)} words; explained in {cells}; {len(bank.events)} event(s)"


def coverage_table(bank: KnowledgeBank) -> str:
    codes = supported_codes()
    rows = coverage_rows(bank)
    width = max([len(name) for name, _ in rows] + [5])
    lines = [f"{'topic':<{width}}  " + "  ".join(f"{c:>2}" for c in codes)]
    for name, present in rows:
        lines.append(f"{name:<{width}}  " + "  ".join(f"{'✓' if c in present else '·':>2}" for c in codes))
    return "\n".join(lines)


Gap = tuple[str, str, str]  # (what, e.g. "topic sfi", which text, e.g. "answer", language code)


def completeness_gaps(bank: KnowledgeBank) -> list[Gap]:
    """Every text editors write must exist in every supported language: what is missing."""
    wanted: list[tuple[str, str, Collection[str]]] = []
    for topic in bank.topics.values():
        wanted.append((f"topic {topic.id}", "answer", topic.answers))
        for municipality, override in topic.overrides.items():
            wanted.append((f"topic {topic.id}, override {municipality}", "answer", override.answers))
    for association in bank.associations:
        wanted.append((f"association {association.id}", "description", association.description))
        if association.meets:
            wanted.append((f"association {association.id}", "meeting times", association.meets))
    for interest in bank.interests.values():
        wanted.append((f"interest {interest.id}", "name", interest.names))
    for entry in bank.glossary.values():
        wanted.append((f"glossary word {entry.id}", "explanation", entry.explanations))
    for event in bank.events:
        wanted.append((f"event {event.id}", "title", event.title))
        wanted.append((f"event {event.id}", "description", event.description))
    return [
        (subject, text, code) for subject, text, present in wanted for code in supported_codes() if code not in present
    ]


def gap_errors(gaps: list[Gap]) -> list[str]:
    """One line per text, naming all its missing languages."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for subject, text, code in gaps:
        grouped.setdefault((subject, text), []).append(code)
    return [f"{subject}: no {text} in {', '.join(codes)}" for (subject, text), codes in grouped.items()]


def completeness_errors(bank: KnowledgeBank) -> list[str]:
    return gap_errors(completeness_gaps(bank))


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


FIRST_MESSAGE_CHARS = 300
FIRST_MESSAGE_SENTENCES = 2
SENTENCE_END = re.compile(r"[.!?؟።]+(?=\s|$)")


ABBREVIATIONS = re.compile(r"\b(?:t\.ex|bl\.a|e\.g|i\.e|etc|kl|ca|nr|ev|resp|st|d\.v\.s|m\.m|o\.s\.v)\.", re.IGNORECASE)


def sentences_in(text: str) -> int:
    """Sentences, counted by their end marks (a last one without a mark counts too);
    common abbreviations ("t.ex.", "e.g.") end none."""
    plain = ABBREVIATIONS.sub("", text.strip())
    ends = len(SENTENCE_END.findall(plain))
    return ends + (0 if SENTENCE_END.search(plain[-1:] or ".") else 1)


def first_message_errors(bank: KnowledgeBank) -> list[str]:
    """On a phone the first message is what people read: what to do, in at most two
    sentences and 300 characters (details follow in the next messages)."""
    errors = []
    for topic in sorted(bank.topics.values(), key=lambda t: t.id):
        answers = [("", topic.answers), *((f" @ {m}", o.answers) for m, o in sorted(topic.overrides.items()))]
        for where, by_language in answers:
            for code, messages in sorted(by_language.items()):
                first = messages[0].strip()
                if len(first) > FIRST_MESSAGE_CHARS or sentences_in(first) > FIRST_MESSAGE_SENTENCES:
                    errors.append(
                        f"topic {topic.id}{where}: the first {code} message must say what to do in at most "
                        f"{FIRST_MESSAGE_SENTENCES} sentences and {FIRST_MESSAGE_CHARS} characters "
                        f"(it has {sentences_in(first)} and {len(first)})"
                    )
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
    read = {"topics", "offices", "associations", "glossary", "events"}
    warnings = []
    for path in sorted(knowledge_dir.rglob("*")):
        if path.is_dir() or path.name.startswith("."):
            continue
        relative = path.relative_to(knowledge_dir)
        expected = (len(relative.parts) == 2 and relative.parts[0] in read) or str(relative) == "interests.yml"
        if not expected or path.suffix != ".yml":
            warnings.append(
                f"{path}: not read — knowledge files are topics/, offices/, associations/, glossary/, events/*.yml"
            )
    return warnings


@dataclass
class Report:
    """What an editor needs to know about the bank: it (if it loads), errors, warnings.

    `problems` are the errors one by one (a missing language each), so two reports can be
    compared: a change may not add a problem (lotsen/knowledge/publishing.py).
    """

    bank: KnowledgeBank | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def report(knowledge_dir: Path, domain_file: Path, today: date, replace: Replacements | None = None) -> Report:
    """Check the bank: used by `make check-data`, the editor pages and publishing a change.

    `replace` checks the bank as it would be with those files changed (see `load_bank`).
    """
    try:
        bank = load_bank(knowledge_dir, replace)
    except KnowledgeError as exc:
        load_errors = str(exc).splitlines()
        return Report(None, load_errors, stray_files(knowledge_dir), list(load_errors))
    errors: list[str] = []
    problems: list[str] = []

    def add(message: str, *, per: list[str] | None = None) -> None:
        """One error line; as problems, one per item of `per` (the line's list)."""
        if per is None:
            errors.append(message)
            problems.append(message)
        else:
            errors.append(message + ", ".join(per))
            problems.extend(message + item for item in per)

    intents = domain_intents(domain_file)
    unanswered = sorted(topic_intents(domain_file.parent / "data" / "rules" / "topics.yml") - set(bank.topics))
    if unanswered:
        add("no topic answers these intents: ", per=unanswered)
    for topic in bank.topics.values():
        if topic.intent not in intents:
            add(f"topic {topic.id}: intent {topic.intent!r} is not in {domain_file.name}")
        if unknown := [i for i in topic.related if i not in bank.topics or i == topic.intent]:
            add(f"topic {topic.id}: related names no other topic: ", per=unknown)
    gaps = completeness_gaps(bank)
    errors += gap_errors(gaps)
    problems += [gap_errors([gap])[0] for gap in gaps]
    for message in emergency_errors(bank) + first_message_errors(bank):
        add(message)
    return Report(bank, errors, review_warnings(bank, today) + stray_files(knowledge_dir), problems)


def check(knowledge_dir: Path, domain_file: Path, today: date) -> tuple[list[str], list[str]]:
    """Return (errors, warnings) for the knowledge bank."""
    found = report(knowledge_dir, domain_file, today)
    return found.errors, found.warnings


def main() -> int:
    found = report(settings_or_exit().knowledge_dir, ROOT / "domain.yml", date.today())
    errors, warnings = found.errors, found.warnings
    if found.bank is not None:
        print(coverage_table(found.bank))
        print(glossary_coverage(found.bank))
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
