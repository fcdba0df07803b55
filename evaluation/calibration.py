"""Is a confidence of 0.7 right 70 % of the time? Reliability per language.

The FallbackClassifier's threshold is only meaningful if the classifier's confidence is
calibrated: this compares, per language and confidence bin, the share of correct top
intents with the mean confidence (held-out + cross-validation predictions), draws one
diagram per pipeline and gives the expected calibration error (ECE) per language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

BINS = 10
LANGS = ["sv", "en", "ar", "fa", "so", "ti", "uk", "ru"]


def _top(prediction: dict[str, Any]) -> tuple[str, float] | None:
    ranking = prediction.get("ranking") or []
    if not ranking:
        return None
    name, confidence = ranking[0]
    return str(name), float(confidence)


def bins_of(predictions: list[dict[str, Any]]) -> list[tuple[float, float, int]]:
    """(mean confidence, share correct, count) per confidence bin with any predictions."""
    buckets: list[list[tuple[float, bool]]] = [[] for _ in range(BINS)]
    for prediction in predictions:
        top = _top(prediction)
        if top is None:
            continue
        name, confidence = top
        index = min(BINS - 1, int(confidence * BINS))
        buckets[index].append((confidence, name == prediction["intent"]))
    return [
        (sum(c for c, _ in bucket) / len(bucket), sum(ok for _, ok in bucket) / len(bucket), len(bucket))
        for bucket in buckets
        if bucket
    ]


def ece(predictions: list[dict[str, Any]]) -> float | None:
    """Expected calibration error: the count-weighted gap between confidence and accuracy."""
    rows = bins_of(predictions)
    total = sum(n for _, _, n in rows)
    return sum(n * abs(conf - acc) for conf, acc, n in rows) / total if total else None


def diagram(predictions: list[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(13, 6.5), sharex=True, sharey=True)
    for ax, lang in zip(axes.flat, LANGS, strict=True):
        rows = bins_of([p for p in predictions if p["lang"] == lang])
        ax.plot([0, 1], [0, 1], color="#999", linewidth=1)
        if rows:
            ax.plot([r[0] for r in rows], [r[1] for r in rows], marker="o", color="#12355b")
            for confidence, accuracy, count in rows:
                ax.annotate(str(count), (confidence, accuracy), fontsize=6, xytext=(2, -8), textcoords="offset points")
        value = ece([p for p in predictions if p["lang"] == lang])
        ax.set_title(f"{lang}  ECE {value:.3f}" if value is not None else lang, fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    for ax in axes[1]:
        ax.set_xlabel("confidence")
    for ax in axes[:, 0]:
        ax.set_ylabel("share correct")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def encoder_share(predictions: list[dict[str, Any]]) -> dict[str, float] | None:
    """Share of messages the cascade sent to the sentence encoder, per language."""
    used = [p for p in predictions if p.get("encoder_used") is not None]
    if not used:
        return None
    share = {
        lang: sum(bool(p["encoder_used"]) for p in rows) / len(rows)
        for lang in LANGS
        if (rows := [p for p in used if p["lang"] == lang])
    }
    share["all"] = sum(bool(p["encoder_used"]) for p in used) / len(used)
    return share
