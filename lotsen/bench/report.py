"""reports/bench.md from the measurements: a table per target with ratios against Rasa's
own REST webhook, the same stack with Rasa's default pipeline side by side, memory,
start-up, training, and the targets met or missed."""

from __future__ import annotations

import re
from typing import Any

TARGETS = {
    "throughput_at_50": 100.0,  # messages/s at 50 concurrent conversations
    "p95_at_50_ms": 250.0,
    "single_user_p50_ms": 50.0,
    "stack_rss_mb": 1536.0,
    "startup_s": 30.0,
}


def _ratio(ours: float | None, base: float | None) -> str:
    if not ours or not base:
        return "–"
    return f"{ours / base:.2f}×"


def _row(level: dict[str, Any], base: dict[str, Any] | None) -> str:
    b = base or {}
    throughput = f"{level['throughput']} ({_ratio(level['throughput'], b.get('throughput'))})"
    return (
        f"| {level['concurrency']} | {level['messages']} | {throughput}"
        f" | {level['p50_ms']} ({_ratio(level['p50_ms'], b.get('p50_ms'))})"
        f" | {level['p95_ms']} ({_ratio(level['p95_ms'], b.get('p95_ms'))})"
        f" | {level['p99_ms']} | {level['errors']} | {level['lost']} | {level['duplicated']} | {level['missing']} |"
    )


def _by_level(levels: list[dict[str, Any]], target: str) -> dict[int, dict[str, Any]]:
    return {lvl["concurrency"]: lvl for lvl in levels if lvl["target"] == target}


def _side_by_side(results: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Our model beside the same data trained with Rasa's default config, per level."""
    lines = [
        "## Beside Rasa's default pipeline (same data, same stack), ratio ours ÷ default",
        "",
        "The same three-process stack and load, with a model trained from the same NLU data,",
        "rules and stories under Rasa 3.6's default config (`evaluation/configs/rasa_default.yml`:",
        "DIET with transformer layers, TED and UnexpecTED policies).",
        "",
        "| path | concurrent | msg/s ours / default | ratio | p50 ms ours / default | ratio"
        " | p95 ms ours / default | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for target in ("gateway", "rasa"):
        ours, base = _by_level(results["levels"], target), _by_level(baseline["levels"], target)
        for concurrency in sorted(set(ours) & set(base)):
            o, b = ours[concurrency], base[concurrency]
            lines.append(
                f"| {target} | {concurrency} | {o['throughput']} / {b['throughput']}"
                f" | {_ratio(o['throughput'], b['throughput'])}"
                f" | {o['p50_ms']} / {b['p50_ms']} | {_ratio(o['p50_ms'], b['p50_ms'])}"
                f" | {o['p95_ms']} / {b['p95_ms']} | {_ratio(o['p95_ms'], b['p95_ms'])} |"
            )
    ours_rss, base_rss = sum(results["rss_mb"].values()), sum(baseline["rss_mb"].values())
    lines += [
        "",
        "| | ours | default pipeline | ratio |",
        "|---|---|---|---|",
        f"| whole stack RSS MB | {ours_rss:.0f} | {base_rss:.0f} | {_ratio(ours_rss, base_rss)} |",
        *(
            f"| {name} RSS MB | {results['rss_mb'].get(name, 0):.0f} | {mb:.0f}"
            f" | {_ratio(results['rss_mb'].get(name), mb)} |"
            for name, mb in baseline["rss_mb"].items()
        ),
        f"| start-up to healthy s | {results['startup_s']} | {baseline['startup_s']}"
        f" | {_ratio(results['startup_s'], baseline['startup_s'])} |",
        f"| training s | {results['training_s']} | {baseline['training_s']}"
        f" | {_ratio(results['training_s'], baseline['training_s'])} |",
        "",
    ]
    return lines


def _scaled_section(results: dict[str, Any], scaled: dict[str, Any]) -> list[str]:
    """One Rasa server beside two (Redis lock store, PostgreSQL tracker store)."""
    one, two = _by_level(results["levels"], "gateway"), _by_level(scaled["levels"], "gateway")
    one_rss, two_rss = sum(results["rss_mb"].values()), sum(scaled["rss_mb"].values())
    return [
        "## Two Rasa servers behind the gateway (Redis lock store, PostgreSQL), ratio two ÷ one",
        "",
        "| concurrent | msg/s one / two | ratio | p50 ms one / two | ratio | p95 ms one / two | ratio |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {c} | {one[c]['throughput']} / {two[c]['throughput']}"
            f" | {_ratio(two[c]['throughput'], one[c]['throughput'])}"
            f" | {one[c]['p50_ms']} / {two[c]['p50_ms']} | {_ratio(two[c]['p50_ms'], one[c]['p50_ms'])}"
            f" | {one[c]['p95_ms']} / {two[c]['p95_ms']} | {_ratio(two[c]['p95_ms'], one[c]['p95_ms'])} |"
            for c in sorted(set(one) & set(two))
        ),
        "",
        f"Whole stack RSS: {one_rss:.0f} MB with one Rasa server, {two_rss:.0f} MB with two"
        f" ({', '.join(f'{name} {mb:.0f}' for name, mb in scaled['rss_mb'].items())});"
        f" start-up {scaled['startup_s']} s.",
        "",
    ]


def _cpu_section(results: dict[str, Any]) -> list[str]:
    """CPU spent per message by each process: what bounds throughput on few cores."""
    rows = [lvl for lvl in results["levels"] if lvl.get("cpu_ms_per_message")]
    if not rows:
        return []
    names = sorted({name for lvl in rows for name in lvl["cpu_ms_per_message"]})
    lines = [
        "## CPU per message (ms of CPU time, all cores, read from /proc)",
        "",
        f"| path | concurrent | {' | '.join(names)} | total |",
        "|---|---|" + "---|" * (len(names) + 1),
    ]
    for lvl in rows:
        cpu = lvl["cpu_ms_per_message"]
        cells = " | ".join(str(cpu.get(name, "–")) for name in names)
        lines.append(f"| {lvl['target']} | {lvl['concurrency']} | {cells} | {sum(cpu.values()):.1f} |")
    cores = re.search(r"(\d+) CPU", results.get("machine", ""))
    busiest = max((lvl for lvl in rows if lvl["target"] == "gateway"), key=lambda lvl: lvl["concurrency"], default=None)
    if cores and busiest:
        per_message = sum(busiest["cpu_ms_per_message"].values())
        ceiling = int(cores.group(1)) * 1000 / per_message
        lines += [
            "",
            f"At {per_message:.1f} ms of CPU per message through the gateway, {cores.group(1)} cores can serve at"
            f" most ~{ceiling:.0f} messages/s however the work is spread; 100 msg/s would need"
            f" {100 * per_message / 1000:.1f} cores at this cost.",
        ]
    return [*lines, ""]


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def render(results: dict[str, Any]) -> str:
    gateway = _by_level(results["levels"], "gateway")
    rasa = _by_level(results["levels"], "rasa")
    lines = [
        "# Benchmark",
        "",
        f"Run {results['when']} on {results['machine']} (`make bench`; raw figures in `reports/bench.json`).",
        "Each simulated newcomer sends a multilingual conversation (topics, small talk, out-of-scope,",
        f"a language switch) and waits for each reply; {results['seconds_per_level']:g} s per level.",
        "Ratios compare the whole gateway path (gateway → Rasa → action server → knowledge bank)",
        "with Rasa's own REST webhook on the same model and messages.",
        "",
        "## Through the gateway (`POST /api/messages`), ratio to Rasa's webhook in brackets",
        "",
        "| concurrent | messages | msg/s | p50 ms | p95 ms | p99 ms | errors | lost | duplicated | missing |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(_row(level, rasa.get(c)) for c, level in sorted(gateway.items())),
        "",
        "## Rasa's REST webhook directly",
        "",
        "| concurrent | messages | msg/s | p50 ms | p95 ms | p99 ms | errors | lost | duplicated | missing |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(_row(level, None) for _, level in sorted(rasa.items())),
        "",
        "## Memory, start-up, training",
        "",
        "| process | RSS MB (after the run) |",
        "|---|---|",
        *(f"| {name} | {mb:.0f} |" for name, mb in results["rss_mb"].items()),
        f"| **whole stack** | **{sum(results['rss_mb'].values()):.0f}** |",
        "",
        f"- Start-up to healthy: {results['startup_s']} s"
        if results["startup_s"] is not None
        else "- Start-up: not measured (used a running stack)",
        f"- Training (`make train`, this model): {results['training_s']} s"
        if results["training_s"]
        else "- Training: no record beside the model",
        "",
        *_cpu_section(results),
        *(_side_by_side(results, results["baseline"]) if results.get("baseline") else []),
        *(_scaled_section(results, results["scaled"]) if results.get("scaled") else []),
        "## Targets (2-core machine)",
        "",
    ]
    at50 = gateway.get(50)
    single = gateway.get(1)
    rss = sum(results["rss_mb"].values())
    checks = [
        (
            "≥ 100 msg/s at 50 conversations",
            at50 and at50["throughput"] >= TARGETS["throughput_at_50"],
            at50 and at50["throughput"],
        ),
        (
            "p95 ≤ 250 ms at 50 conversations",
            at50 and at50["p95_ms"] <= TARGETS["p95_at_50_ms"],
            at50 and at50["p95_ms"],
        ),
        (
            "one user p50 ≤ 50 ms",
            single and single["p50_ms"] <= TARGETS["single_user_p50_ms"],
            single and single["p50_ms"],
        ),
        ("whole stack ≤ 1.5 GB RSS", rss <= TARGETS["stack_rss_mb"], round(rss)),
        (
            "start-up ≤ 30 s",
            results["startup_s"] is not None and results["startup_s"] <= TARGETS["startup_s"],
            results["startup_s"],
        ),
    ]
    lines += [f"- {name}: {_verdict(bool(ok))} (measured {value})" for name, ok, value in checks]
    if results.get("notes"):
        lines += ["", "## Notes", "", *(f"- {note}" for note in results["notes"])]
    return "\n".join(lines) + "\n"
