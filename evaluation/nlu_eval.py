"""NLU evaluation per language: held-out split and k-fold cross-validation, for several
pipelines on the same data. Runs in the Rasa environment (`make evaluate`).

The data is split once, stratified by (language, intent), with a fixed seed: 20 % is
held out, never trained on. Cross-validation runs on the remaining 80 %. Every
pipeline sees exactly the same splits, so the figures compare pipelines, not luck.

Writes reports/nlu/<pipeline>.json with per-language results and the predictions, and a
confusion-matrix image for each pipeline's held-out predictions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stored import runs, write_run  # noqa: E402  (a sibling script)

REJECTED = {"out_of_scope", "nlu_fallback"}
EMERGENCY = "ask_emergency"


def load_examples(nlu_dir: Path) -> list[dict[str, str]]:
    """Every example with its language (from the folder) and intent."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for lang_dir in sorted(p for p in nlu_dir.iterdir() if p.is_dir()):
        for path in sorted(lang_dir.glob("*.yml")):
            for message in load_data(str(path)).intent_examples:
                examples.append({"text": message.get("text"), "intent": message.get("intent"), "lang": lang_dir.name})
    return examples


def shuffled_groups(examples: list[dict[str, str]], seed: int) -> list[list[dict[str, str]]]:
    """The examples grouped by (language, intent), in a fixed order, each group shuffled
    by one seeded generator: the basis of every split, so all pipelines share them."""
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for example in examples:
        groups[(example["lang"], example["intent"])].append(example)
    rng = random.Random(seed)
    shuffled = []
    for key in sorted(groups):
        items = groups[key][:]
        rng.shuffle(items)
        shuffled.append(items)
    return shuffled


def stratified_split(examples: list[dict[str, str]], share: float, seed: int) -> tuple[list[Any], list[Any]]:
    kept, held = [], []
    for items in shuffled_groups(examples, seed):
        cut = max(1, round(len(items) * share))
        held.extend(items[:cut])
        kept.extend(items[cut:])
    return kept, held


def stratified_folds(examples: list[dict[str, str]], k: int, seed: int) -> list[list[dict[str, str]]]:
    folds: list[list[dict[str, str]]] = [[] for _ in range(k)]
    for items in shuffled_groups(examples, seed):
        for i, item in enumerate(items):
            folds[i % k].append(item)
    return folds


def write_nlu(examples: list[dict[str, str]], path: Path) -> None:
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = TrainingData([Message(data={"text": e["text"], "intent": e["intent"]}) for e in examples])
    path.write_text(data.nlu_as_yaml(), encoding="utf-8")


def load_safety(directory: Path) -> list[dict[str, str]]:
    """The held-out safety sets (never trained on): acute emergencies phrased without any
    lexicon word, and near-domain questions Lotsen has no answer for, per language."""
    items = []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for kind, intent in (("emergencies", EMERGENCY), ("near_domain", "out_of_scope")):
            items += [
                {"text": str(text), "intent": intent, "lang": path.stem, "kind": kind} for text in data.get(kind, [])
            ]
    return items


def train_and_predict(
    config: Path, train: list[Any], test: list[Any], work: Path
) -> tuple[list[dict[str, Any]], float]:
    """Train an NLU-only model on `train`; return predictions for `test` and training seconds."""
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    work.mkdir(parents=True, exist_ok=True)
    write_nlu(train, work / "train.yml")
    started = time.monotonic()
    model = train_nlu(str(config), str(work / "train.yml"), str(work / "models"), fixed_model_name="eval")
    seconds = time.monotonic() - started
    agent = Agent.load(model)

    async def parse_all() -> list[dict[str, Any]]:
        results = []
        for example in test:
            parsed = await agent.parse_message(example["text"])
            ranking = [r for r in parsed.get("intent_ranking") or [] if r["name"] != "nlu_fallback"][:5]
            results.append(
                {
                    **example,
                    "predicted": parsed["intent"]["name"],
                    "confidence": parsed["intent"]["confidence"],
                    "ranking": [[r["name"], round(float(r["confidence"]), 4)] for r in ranking],
                    "possible_emergency": bool(parsed.get("possible_emergency")),
                    # The cascade (config.yml): did the sentence encoder run for this message?
                    "encoder_used": parsed.get("encoder_used"),
                }
            )
        return results

    predictions = asyncio.run(parse_all())
    shutil.rmtree(work, ignore_errors=True)
    return predictions, seconds


def gets_112(prediction: dict[str, Any]) -> bool:
    return bool(prediction["predicted"] == EMERGENCY or prediction.get("possible_emergency"))


def scores(predictions: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-language macro-F1 over the true intents (fallback = rejected), plus the safety figures."""
    from sklearn.metrics import f1_score

    by_lang: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in predictions:
        by_lang[p["lang"]].append(p)
    result: dict[str, Any] = {}
    for lang, items in sorted(by_lang.items()):
        truth = [p["intent"] for p in items]
        # "I did not understand" and "I cannot help with that" are the same outcome for an
        # off-topic message (no topic is answered), so both count as out_of_scope here; for
        # an in-scope message a fallback stays an error.
        predicted = ["out_of_scope" if p["predicted"] in REJECTED else p["predicted"] for p in items]
        labels = sorted(set(truth))
        oos = [p for p in items if p["intent"] == "out_of_scope"]
        emergencies = [p for p in items if p["intent"] == EMERGENCY]
        in_scope = [p for p in items if p["intent"] != "out_of_scope"]
        result[lang] = {
            "n": len(items),
            "macro_f1": round(float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)), 4),
            "accuracy": round(sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(items), 4),
            "oos_rejection": round(sum(p["predicted"] in REJECTED for p in oos) / len(oos), 4) if oos else None,
            # The 112 guidance comes first: as the answer, or before the answer to another topic.
            "emergency_recall": round(sum(gets_112(p) for p in emergencies) / len(emergencies), 4)
            if emergencies
            else None,
            "false_112": round(sum(gets_112(p) for p in items if p["intent"] != EMERGENCY) / len(items), 4),
            # A confident wrong answer: a topic answered that was not asked about.
            "confident_wrong": round(
                sum(p["predicted"] not in REJECTED and p["predicted"] != p["intent"] for p in in_scope) / len(in_scope),
                4,
            ),
        }
    return result


def safety_scores(predictions: list[dict[str, Any]]) -> dict[str, Any]:
    """Per language: acute emergencies that got the 112 line first, and near-domain
    questions answered with a topic (a confident wrong answer)."""
    result: dict[str, Any] = {}
    for lang in sorted({p["lang"] for p in predictions}):
        emergencies = [p for p in predictions if p["lang"] == lang and p.get("kind") == "emergencies"]
        near = [p for p in predictions if p["lang"] == lang and p.get("kind") == "near_domain"]
        result[lang] = {
            "emergencies": len(emergencies),
            "emergency_recall": round(sum(gets_112(p) for p in emergencies) / len(emergencies), 4)
            if emergencies
            else None,
            "near_domain": len(near),
            "near_domain_confident_wrong": round(
                sum(p["predicted"] not in REJECTED and p["predicted"] != EMERGENCY for p in near) / len(near), 4
            )
            if near
            else None,
            "missed_emergencies": [p["text"] for p in emergencies if not gets_112(p)],
            "answered_near_domain": [[p["text"], p["predicted"]] for p in near if p["predicted"] not in REJECTED],
        }
    return result


def confusion_image(predictions: list[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = sorted({p["intent"] for p in predictions} | {p["predicted"] for p in predictions})
    matrix = confusion_matrix([p["intent"] for p in predictions], [p["predicted"] for p in predictions], labels=labels)
    fig, ax = plt.subplots(figsize=(13, 11))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=75, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                color = "white" if matrix[i, j] > matrix.max() / 2 else "black"
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7, color=color)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--configs", nargs="+", default=["config.yml", "evaluation/configs/rasa_default.yml"])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument(
        "--held-out-only", nargs="*", default=[], help="configs evaluated on the held-out split only (slow ones)"
    )
    parser.add_argument("--holdout", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default="reports/nlu")
    parser.add_argument("--rescore", action="store_true", help="recompute scores from stored predictions only")
    args = parser.parse_args()

    out = ROOT / args.out
    if args.rescore:
        for name, report in runs(out).items():
            if "held_out_predictions" in report:
                report["held_out"] = scores(report["held_out_predictions"])
                if report.get("safety_predictions"):
                    report["safety"] = safety_scores(report["safety_predictions"])
                if report.get("cv_predictions"):
                    report["cross_validation"] = scores(report["cv_predictions"])
                write_run(out / f"{name}.json", report)
        return 0
    out.mkdir(parents=True, exist_ok=True)
    examples = load_examples(ROOT / "data" / "nlu")
    safety = load_safety(ROOT / "evaluation" / "data" / "safety")
    pool, held = stratified_split(examples, args.holdout, args.seed)
    folds = stratified_folds(pool, args.folds, args.seed) if args.folds > 1 else []
    (out / "split.json").write_text(json.dumps({"held_out": held}, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"{len(examples)} examples: {len(pool)} for training/CV, {len(held)} held out", flush=True)

    for config in args.configs:
        name = "lotsen" if Path(config).name == "config.yml" else Path(config).stem
        print(f"[{name}] held-out: training on {len(pool)} examples…", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            predictions_all, seconds = train_and_predict(ROOT / config, pool, held + safety, Path(tmp) / "holdout")
            held_predictions, safety_predictions = predictions_all[: len(held)], predictions_all[len(held) :]
            cv_predictions: list[dict[str, Any]] = []
            for i, fold in enumerate([] if config in args.held_out_only else folds):
                train = [e for j, f in enumerate(folds) if j != i for e in f]
                print(f"[{name}] cross-validation fold {i + 1}/{len(folds)}…", flush=True)
                predictions, _ = train_and_predict(ROOT / config, train, fold, Path(tmp) / f"fold{i}")
                cv_predictions.extend(predictions)
        report = {
            "pipeline": name,
            "config": config,
            "train_seconds_holdout": round(seconds, 1),
            "held_out": scores(held_predictions),
            "cross_validation": scores(cv_predictions) if cv_predictions else {},
            "folds": 0 if config in args.held_out_only else args.folds,
            "held_out_predictions": held_predictions,
            "safety": safety_scores(safety_predictions),
            "safety_predictions": safety_predictions,
            "cv_predictions": cv_predictions,
        }
        write_run(out / f"{name}.json", report)
        confusion_image(held_predictions, out / f"confusion_{name}.png", f"{name}: held-out intents, all languages")
        print(f"[{name}] done in {seconds:.0f} s per training; wrote {out / f'{name}.json'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
