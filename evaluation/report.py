"""Write reports/nlu/README.md from the evaluation results (`make evaluate`, last step).

Reads reports/nlu/<pipeline>.json with its predictions (nlu_eval.py, stored.py) and langid.json (langid_eval.py). Also
replays the stored intent rankings at other fallback thresholds, so the threshold in
config.yml is a measured choice, not a guess.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibration import diagram, ece, encoder_share  # noqa: E402  (a sibling script)
from stored import runs  # noqa: E402

OUT = ROOT / "reports" / "nlu"
REJECTED = {"out_of_scope", "nlu_fallback"}
LANGS = ["sv", "en", "ar", "fa", "so", "ti", "uk", "ru"]
TARGETS = "macro-F1 ≥ 0.95 per language · emergency recall 1.00 · out-of-scope rejection ≥ 0.90 · language ID ≥ 0.98"


def fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.2f}"


def table(results: dict[str, dict[str, Any]], key: str) -> str:
    names = list(results)
    lines = ["| language | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for lang in LANGS:
        lines.append(f"| {lang} | " + " | ".join(fmt(results[n].get(lang, {}).get(key)) for n in names) + " |")
    return "\n".join(lines)


def replay(predictions: list[dict[str, Any]], threshold: float, ambiguity: float) -> list[str]:
    """What the pipeline would have predicted with another fallback threshold."""
    predicted = []
    for p in predictions:
        ranking = p.get("ranking") or []
        guard_fired = p["predicted"] == "ask_emergency" and ranking and ranking[0] == ["ask_emergency", 1.0]
        if guard_fired or not ranking:
            predicted.append(p["predicted"])
            continue
        top = ranking[0][1]
        second = ranking[1][1] if len(ranking) > 1 else 0.0
        predicted.append(ranking[0][0] if top >= threshold and top - second >= ambiguity else "nlu_fallback")
    return predicted


def sweep(predictions: list[dict[str, Any]]) -> str:
    lines = [
        "| threshold | correct | said “did not understand” | confident wrong | out-of-scope rejected "
        "| emergency recall |",
        "|---|---|---|---|---|---|",
    ]
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        predicted = replay(predictions, threshold, 0.1)
        pairs = list(zip(predictions, predicted, strict=True))
        in_scope = [(p, q) for p, q in pairs if p["intent"] != "out_of_scope"]
        oos = [(p, q) for p, q in pairs if p["intent"] == "out_of_scope"]
        emergency = [(p, q) for p, q in pairs if p["intent"] == "ask_emergency"]
        correct = sum(p["intent"] == q or (p["intent"] == "out_of_scope" and q in REJECTED) for p, q in pairs) / len(
            pairs
        )
        fallback = sum(q == "nlu_fallback" for _, q in in_scope) / len(in_scope)
        wrong = sum(q not in REJECTED and q != p["intent"] for p, q in in_scope) / len(in_scope)
        rejected = sum(q in REJECTED for _, q in oos) / len(oos)
        recall = sum(q == "ask_emergency" or bool(p.get("possible_emergency")) for p, q in emergency) / len(emergency)
        lines.append(
            f"| {threshold:.1f} | {correct:.2f} | {fallback:.2f} | {wrong:.2f} | {rejected:.2f} | {recall:.2f} |"
        )
    return "\n".join(lines)


NEW_TOPICS = {
    "ask_violence", "ask_mental_health", "ask_shelter", "ask_residence_permit", "ask_school",
    "ask_financial_support", "ask_bank_account", "ask_driving_licence", "ask_tax", "ask_moving",
}  # fmt: skip


def group_f1(predictions: list[dict[str, Any]], intents: set[str]) -> dict[str, float | None]:
    """Per language, macro-F1 over a group of intents (the others count as "something else")."""
    from sklearn.metrics import f1_score

    result: dict[str, float | None] = {}
    for lang in LANGS:
        rows = [p for p in predictions if p["lang"] == lang]
        labels = sorted({p["intent"] for p in rows} & intents)
        if not labels:
            result[lang] = None
            continue
        truth = [p["intent"] for p in rows]
        predicted = [p["predicted"] for p in rows]
        result[lang] = float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0))
    return result


def topics_section(reports: dict[str, Any]) -> list[str]:
    """The ten topics of issue 17 and the twelve before them, per language (held-out)."""
    names = list(reports)
    parts: list[str] = []
    for title, group in (
        ("the ten new topics", NEW_TOPICS),
        ("the twelve earlier topics", {i for r in reports.values() for p in r["held_out_predictions"]
                                        for i in [p["intent"]] if i.startswith("ask_") and i not in NEW_TOPICS
                                        and i != "ask_office_hours"}),
    ):  # fmt: skip
        values = {n: group_f1(reports[n]["held_out_predictions"], group) for n in names}
        parts += ["", f"## Macro-F1 over {title} (held-out)", "| language | " + " | ".join(names) + " |"]
        parts.append("|---|" + "---|" * len(names))
        for lang in LANGS:
            parts.append(f"| {lang} | " + " | ".join(fmt(values[n][lang]) for n in names) + " |")
    return parts


def safety_section(reports: dict[str, Any]) -> list[str]:
    """Acute emergencies without alarm words, and near-domain questions, never trained on."""
    names = [n for n, r in reports.items() if r.get("safety")]
    if not names:
        return []
    parts = [
        "",
        "## Safety (held-out sets in evaluation/data/safety/, never trained on)",
        "Acute emergencies phrased without any lexicon word: share that got the 112 line first (target 1.00). "
        "Near-domain questions Lotsen has no answer for: share answered with a topic (target ≤ 0.05).",
        "",
        "| language | " + " | ".join(f"{n} 112 first | {n} near-domain answered" for n in names) + " |",
        "|---|" + "---|---|" * len(names),
    ]
    for lang in LANGS:
        cells = []
        for name in names:
            row = reports[name]["safety"].get(lang, {})
            cells += [fmt(row.get("emergency_recall")), fmt(row.get("near_domain_confident_wrong"))]
        parts.append(f"| {lang} | " + " | ".join(cells) + " |")
    first = reports[names[0]]["safety"]
    missed = [(lang, text) for lang, row in first.items() for text in row.get("missed_emergencies", [])]
    if missed:
        parts += ["", f"Emergencies `{names[0]}` missed:"] + [f"- {lang}: {text}" for lang, text in missed]
    return parts


def calibration_section(reports: dict[str, Any]) -> list[str]:
    """ECE per language and pipeline, one reliability diagram each, the cascade's share."""
    names = [n for n, r in reports.items() if any("ranking" in p for p in r["held_out_predictions"])]
    parts = [
        "",
        "## Calibration: expected calibration error per language (held-out + cross-validation)",
        "Lower is better: 0.05 means confidences are on average five points off the share of correct answers.",
        "| language | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    predictions = {n: reports[n]["held_out_predictions"] + reports[n].get("cv_predictions", []) for n in names}
    for lang in LANGS:
        values = [ece([p for p in predictions[n] if p["lang"] == lang]) for n in names]
        parts.append(f"| {lang} | " + " | ".join(fmt(v) for v in values) + " |")
    for name in names:
        diagram(predictions[name], OUT / f"reliability_{name}.png", f"{name}: reliability per language")
        parts += ["", f"![reliability {name}](reliability_{name}.png)"]
    for name in names:
        share = encoder_share(predictions[name])
        if share:
            per_language = ", ".join(f"{lang} {value:.2f}" for lang, value in share.items() if lang != "all")
            parts += [
                "",
                f"`{name}`: the cascade ran the sentence encoder for **{share['all']:.0%}** of messages "
                f"({per_language}); the rest were answered by the n-gram model alone.",
            ]
    return parts


def main() -> int:
    reports = runs(OUT)
    langid_path = OUT / "langid.json"
    langid = json.loads(langid_path.read_text(encoding="utf-8")) if langid_path.exists() else None
    if not reports:
        print("no evaluation results in reports/nlu; run `make evaluate`", file=sys.stderr)
        return 1
    held = {name: r["held_out"] for name, r in reports.items()}
    cv = {name: r["cross_validation"] for name, r in reports.items() if r.get("cross_validation")}
    parts = [
        "# NLU evaluation",
        "",
        "Written by `make evaluate` (evaluation/). One model serves all eight languages; figures are",
        "broken down by the language of each example. 20 % of the examples, stratified by language",
        "and intent, are held out and never trained on; cross-validation (where a pipeline has it)",
        "runs on the other 80 %. Every pipeline sees the same splits. `nlu_fallback` (the bot says",
        "it did not understand) counts as wrong for an in-scope message; for an off-topic message it counts",
        "as out_of_scope, since both replies answer no topic and offer the topics and a person.",
        "",
        f"Targets: {TARGETS}.",
        "",
        "Why the pipeline in config.yml was chosen, and what these figures do not show: [decision.md](decision.md).",
        "",
        "Pipelines: "
        + ", ".join(f"`{n}` ({r['config']}, {r['train_seconds_holdout']:.0f} s to train)" for n, r in reports.items()),
        "",
        "## Macro-F1 per language, held-out",
        table(held, "macro_f1"),
    ]
    if cv:
        parts += ["", "## Macro-F1 per language, cross-validation", table(cv, "macro_f1")]
    parts += [
        "",
        "## Emergency recall (held-out): the 112 guidance came first",
        table(held, "emergency_recall"),
        "",
        "## 112 line shown for a message that was not an emergency (held-out, share of all messages)",
        table(held, "false_112"),
        "",
        "## Out-of-scope rejection (held-out)",
        table(held, "oos_rejection"),
        "",
        "## Confident wrong answers (held-out): a topic answered that was not asked about",
        table(held, "confident_wrong"),
    ]
    parts += topics_section(reports) + safety_section(reports) + calibration_section(reports)
    for name, r in reports.items():
        predictions = r["held_out_predictions"] + r.get("cv_predictions", [])
        if any("ranking" in p for p in predictions):
            parts += [
                "",
                f"## `{name}`: fallback threshold replayed on held-out + cross-validation predictions",
                sweep(predictions),
            ]
        parts += ["", f"![confusion matrix {name}](confusion_{name}.png)"]
    if langid:
        overall = langid["overall"]
        parts += [
            "",
            "## Language identification (gateway detector, messages of 3+ words)",
            f"Overall {overall['accuracy']:.3f} on {overall['messages']} messages; "
            f"{overall['native_script_accuracy']:.3f} on the {overall['native_script_messages']} written in the "
            "language's own script (the rest are Arabic, Persian, Russian or Ukrainian in Latin letters).",
            "",
            "| language | messages | accuracy | native script | accuracy |",
            "|---|---|---|---|---|",
        ]
        for lang in LANGS:
            row = langid.get(lang)
            if row:
                parts.append(
                    f"| {lang} | {row['messages']} | {row['accuracy']:.3f} | {row['native_script_messages']} | "
                    f"{fmt(row['native_script_accuracy'])} |"
                )
    (OUT / "README.md").write_text("\n".join(parts) + "\n", encoding="utf-8")
    print(f"wrote {OUT / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
