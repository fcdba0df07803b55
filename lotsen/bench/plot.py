"""Latency against concurrency, from reports/bench.json. Run with the Rasa environment's
Python, which has matplotlib (the app environment does not need it):

    .venv-rasa/bin/python -m lotsen.bench.plot reports/bench.json reports/bench.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main(source: str, target: str) -> None:
    results = json.loads(Path(source).read_text(encoding="utf-8"))
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    runs = [("", results["levels"], "-")]
    if results.get("baseline"):
        runs.append((", Rasa default pipeline", results["baseline"]["levels"], ":"))
    for suffix, all_levels, line in runs:
        for name, style in (("gateway", line), ("rasa", "--" if not suffix else "-.")):
            levels = sorted((lvl for lvl in all_levels if lvl["target"] == name), key=lambda lvl: lvl["concurrency"])
            if not levels:
                continue
            xs = [lvl["concurrency"] for lvl in levels]
            for key, marker in (("p50_ms", "o"), ("p95_ms", "s")):
                label = f"{'gateway' if name == 'gateway' else 'Rasa webhook'}{suffix} {key[:3]}"
                ax.plot(xs, [lvl[key] for lvl in levels], style, marker=marker, label=label)
    ax.set_xlabel("concurrent conversations")
    ax.set_ylabel("latency per message (ms)")
    ax.set_xscale("log", base=2)
    ax.grid(True, alpha=0.3)
    ax.set_yscale("log")
    ax.legend(fontsize="small")
    ax.set_title("Latency vs concurrency")
    fig.tight_layout()
    fig.savefig(target, dpi=120)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
