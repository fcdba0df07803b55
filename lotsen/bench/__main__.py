"""`make bench` (`python -m lotsen.bench`): start the stack (or use a running one), load it
at several concurrency levels through the gateway and through Rasa's REST webhook, and
write reports/bench.md, reports/bench.json and reports/bench.png.

    python -m lotsen.bench                      # full run: levels 1, 4, 16, 50; 20 s each,
                                                # then the same with Rasa's default pipeline
    python -m lotsen.bench --no-baseline --levels 4 --seconds 5 --out /tmp/smoke   # the smoke test
    python -m lotsen.bench --gateway http://127.0.0.1:8000 --rasa http://127.0.0.1:5005 --token T
    python -m lotsen.bench --no-baseline --before 5ae2f25 --levels 1,16,50 --seconds 10
                                                # this checkout beside a reference build,
                                                # flame graphs of both in reports/profiles/
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lotsen.bench import profile, reference
from lotsen.bench.load import gateway_sender, rasa_sender, run_level
from lotsen.bench.procinfo import cpu_seconds, rss_mb
from lotsen.bench.report import render
from lotsen.paths import RASA_VENV, ROOT
from lotsen.scaled import recreate_databases, scaled_env
from lotsen.settings import settings_or_exit
from lotsen.stack import Stack, StackConfig
from lotsen.train import ensure_default_model, ensure_model, training_record


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _machine() -> str:
    cpus = len(os.sched_getaffinity(0))
    return f"{platform.system()} {platform.machine()}, {cpus} CPU(s), Python {platform.python_version()}"


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    return {name: seconds for name, pid in pids.items() if (seconds := cpu_seconds(pid)) is not None}


async def _measure(
    args: argparse.Namespace, gateway: str, rasa: str, token: str, pids: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    levels: list[dict[str, Any]] = []
    for concurrency in args.levels:
        targets: list[tuple[str, Any, str | None]] = [("gateway", gateway_sender(gateway), gateway)]
        if rasa and "," not in rasa:  # one Rasa server: measure its webhook too
            targets.append(("rasa", rasa_sender(rasa, token), None))
        for target, send, history in targets:
            print(f"  {target:7} × {concurrency:>3} conversations for {args.seconds:g} s …", end="", flush=True)
            before = _cpu(pids or {})
            result = await run_level(target, send, concurrency, args.seconds, history_url=history)
            summary = result.summary()
            if pids and summary["messages"]:
                after = _cpu(pids)
                summary["cpu_ms_per_message"] = {
                    name: round((after[name] - before[name]) * 1000 / summary["messages"], 1)
                    for name in after
                    if name in before
                }
            levels.append(summary)
            print(
                f" {summary['throughput']} msg/s, p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms,"
                f" errors {summary['errors']}, lost {summary['lost']}"
            )
    return levels


BENCH_DATABASES = ("lotsen_bench", "lotsen_bench_rasa")


def _training_seconds(model: Path) -> float | None:
    record = training_record(model)
    return json.loads(record.read_text())["training_seconds"] if record.exists() else None


async def _profile(args: argparse.Namespace, gateway: str, pids: dict[str, int], label: str) -> dict[str, Any]:
    """One more pass at `--profile-level` conversations with py-spy attached to every
    process: flame graphs to `<out>/profiles/<label>-<process>.svg`, top costs returned
    with the CPU per message of the pass (the samplers run outside the processes)."""
    seconds = args.profile
    print(f"  profile × {args.profile_level:>3} conversations for {seconds:g} s (py-spy) …", flush=True)
    samplings = profile.start(pids, args.out / "profiles", label, seconds)
    before = _cpu(pids)
    result = await run_level("gateway", gateway_sender(gateway), args.profile_level, seconds)
    after = _cpu(pids)
    costs = {s.name: s.finish(timeout=seconds + 30) for s in samplings}
    messages = result.messages or 1
    return {
        "concurrency": args.profile_level,
        "messages": result.messages,
        "cpu_ms_per_message": {n: round((after[n] - before[n]) * 1000 / messages, 1) for n in after if n in before},
        "processes": costs,
    }


def _run_stack(
    args: argparse.Namespace,
    model: Path,
    label: str,
    scaled: bool = False,
    root: Path = ROOT,
    profile_as: str | None = None,
) -> dict[str, Any]:
    """Start a whole stack on free ports with `model`, load it, stop it; its figures.

    `scaled`: two Rasa servers behind the one gateway, sharing a PostgreSQL tracker store
    and a Redis lock store (docs/deploy.md) — the "workers with a lock store" option.
    `root`: whose code runs (a reference build's worktree for the "before" column).
    `profile_as`: after the measured levels, a py-spy pass named so (`_profile`).
    """
    temporary = Path(tempfile.mkdtemp(prefix="lotsen-bench-"))
    config = StackConfig(
        gateway_port=_free_port(),
        rasa_port=_free_port(),
        actions_port=_free_port(),
        gateway_host="127.0.0.1",
        var_dir=temporary / "var",
        model=model,
        # Simulated newcomers all come from 127.0.0.1 and write fast: limits out of the way.
        extra_env={
            "LOTSEN_RATE_LIMIT_MESSAGES": "1000000",
            "LOTSEN_ADDRESS_MESSAGES_PER_MINUTE": "1000000",
            "LOTSEN_ADDRESS_NEW_CONVERSATIONS_PER_HOUR": "1000000",
            "LOTSEN_HANDOFF": "false",
        },
        root=root,
    )
    config.var_dir.mkdir(parents=True)
    if scaled:
        settings = settings_or_exit()
        postgres, redis = settings.scaled_postgres, settings.scaled_redis
        recreate_databases(postgres, BENCH_DATABASES)
        config.extra_rasa_ports = [_free_port()]
        config.extra_env.update(scaled_env(postgres, redis, *BENCH_DATABASES))
    stack = Stack(config, log_dir=temporary / "logs")
    print(f"starting the stack with {label} ({model.name}) …", flush=True)
    stack.start()
    try:
        startup = round(stack.wait_healthy(timeout=240), 1)
        print(f"healthy after {startup} s")
        rasa = ",".join(f"http://127.0.0.1:{port}" for port in config.rasa_ports)
        pids = {name: process.pid for name, process in stack.processes.items()}
        levels = asyncio.run(_measure(args, config.gateway_url, rasa, config.rasa_token, pids))
        memory = {name: mb for name, pid in pids.items() if (mb := rss_mb(pid)) is not None}
        profiled = None
        if profile_as and args.profile and profile.available():
            profiled = asyncio.run(_profile(args, config.gateway_url, pids, profile_as))
    finally:
        stack.stop()
        if scaled:
            recreate_databases(postgres, BENCH_DATABASES, create=False)
    return {
        "levels": levels,
        "rss_mb": memory,
        "startup_s": startup,
        "training_s": _training_seconds(model),
        "profile": profiled,
    }


def _run_running(args: argparse.Namespace, model: Path) -> dict[str, Any]:
    """Load a stack somebody else started (`--gateway`); start-up is then unknown."""
    pids = {name: int(pid) for name, pid in (p.split("=") for p in args.pids.split(",") if p)}
    gateway, rasa = args.gateway.rstrip("/"), (args.rasa or "").rstrip("/")
    levels = asyncio.run(_measure(args, gateway, rasa, args.token, pids))
    memory = {name: mb for name, pid in pids.items() if (mb := rss_mb(pid)) is not None}
    return {"levels": levels, "rss_mb": memory, "startup_s": None, "training_s": _training_seconds(model)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lotsen.bench", description=__doc__)
    parser.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",")], default=[1, 4, 16, 50])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    parser.add_argument("--gateway", help="use a running gateway at this URL instead of starting the stack")
    parser.add_argument("--rasa", help="the running stack's Rasa URL (with --gateway)")
    parser.add_argument("--token", default="", help="the running stack's Rasa API token (with --gateway)")
    parser.add_argument("--pids", default="", help="name=pid,… of a running stack, for memory figures")
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the stack with a model trained by Rasa's default config on the same data"
        " (trained once, ~35 min here, then cached in models/)",
    )
    parser.add_argument(
        "--scaled",
        action="store_true",
        help="also run two Rasa servers behind the gateway on the local PostgreSQL and Redis",
    )
    parser.add_argument(
        "--before",
        metavar="REF",
        help="also run the same bench on this commit or tag (checked out into a temporary worktree)"
        " and report every figure beside it with its ratio",
    )
    parser.add_argument(
        "--profile",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="after the levels, a py-spy pass of this length per build (0: none); flame graphs in <out>/profiles/",
    )
    parser.add_argument("--profile-level", type=int, default=16, help="conversations during the py-spy pass")
    parser.add_argument("--note", action="append", default=[], help="a line for the report's notes (repeatable)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    model = ensure_model()
    if args.gateway:
        ours = _run_running(args, model)
    else:
        ours = _run_stack(args, model, "Lotsen's pipeline", profile_as="after" if args.before else "now")
    before = None
    if args.before:
        ref = reference.prepare(args.before)
        try:
            label = f"the reference build {args.before}"
            before = _run_stack(args, ref.model, label, root=ref.root, profile_as="before")
        finally:
            reference.remove(ref)
        before["ref"], before["commit"] = args.before, ref.commit
    baseline = None
    if args.baseline:
        default_model = ensure_default_model()
        baseline = _run_stack(args, default_model, "Rasa's default pipeline")
    scaled = _run_stack(args, model, "two Rasa servers", scaled=True) if args.scaled else None
    results = {
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "seconds_per_level": args.seconds,
        **ours,
        "baseline": baseline,
        "before": before,
        "scaled": scaled,
        "notes": args.note,
    }
    (args.out / "bench.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    (args.out / "bench.md").write_text(render(results), encoding="utf-8")
    plotted = subprocess.run(
        [
            str(RASA_VENV / "bin" / "python"),
            "-m",
            "lotsen.bench.plot",
            str(args.out / "bench.json"),
            str(args.out / "bench.png"),
        ],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
    )
    if plotted.returncode != 0:
        print(f"plot not written: {plotted.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
    print(f"wrote {args.out / 'bench.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
