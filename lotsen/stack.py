"""Start and stop the three processes as one: Rasa, the action server and the gateway.

`make run` uses it in the foreground (output prefixed per process, a process that
crashes is started again, Ctrl-C or SIGTERM stops all three); the integration tests
use the same class on free ports with logs in files, so what is tested is what runs.

Each child gets its own process group and is told by the kernel to die with this
supervisor (PR_SET_PDEATHSIG), so even a `kill -9` of the supervisor leaves no orphans.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from starlette.config import Config

from lotsen.paths import APP_VENV, RASA_VENV, ROOT
from lotsen.settings import Settings, settings_or_exit
from lotsen.train import model_path

PR_SET_PDEATHSIG = 1
STOP_GRACE_SECONDS = 10.0


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it when the supervisor goes away.

    Linux ties this to the *thread* that started the child, so start processes from a
    long-lived thread (the main one), never from a worker thread that ends.
    """
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class StackConfig:
    gateway_port: int = 8000
    rasa_port: int = 5005
    actions_port: int = 5055
    gateway_host: str = "0.0.0.0"
    # Hex, not urlsafe: a token starting with "-" would be read by Rasa's argparse as an option.
    rasa_token: str = field(default_factory=lambda: secrets.token_hex(24))
    var_dir: Path = field(default_factory=lambda: ROOT / "var")
    model: Path = field(default_factory=model_path)
    extra_env: dict[str, str] = field(default_factory=dict)
    # More Rasa servers and gateways (`make run-scaled`): they must share PostgreSQL and
    # Redis through `extra_env` (or the environment), see docs/deploy.md.
    extra_rasa_ports: list[int] = field(default_factory=list)
    extra_gateway_ports: list[int] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings) -> StackConfig:
        """The supervisor's part of the settings (checked, like every process's, at start)."""
        config = cls(
            gateway_port=settings.port,
            rasa_port=settings.rasa_port,
            actions_port=settings.actions_port,
            gateway_host=settings.host,
            var_dir=settings.var_dir,
        )
        if str(settings.rasa_token):
            config.rasa_token = str(settings.rasa_token)
        return config

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def rasa_ports(self) -> list[int]:
        return [self.rasa_port, *self.extra_rasa_ports]

    @property
    def gateway_ports(self) -> list[int]:
        return [self.gateway_port, *self.extra_gateway_ports]


def _numbered(name: str, index: int) -> str:
    """rasa, rasa-2, rasa-3…: the first keeps the plain name (logs, tests, `stop_one`)."""
    return name if index == 0 else f"{name}-{index + 1}"


class Stack:
    """The three processes; `start()`, `wait_healthy()`, `stop()`."""

    def __init__(self, config: StackConfig, log_dir: Path | None = None) -> None:
        self.config = config
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._log_files: list[IO[bytes]] = []

    def commands(self) -> dict[str, tuple[list[str], dict[str, str]]]:
        c = self.config
        # Embedded defaults; the environment (or extra_env) switches to PostgreSQL/Redis.
        defaults = {
            "LOTSEN_RASA_TRACKER_URL": f"sqlite:///{c.var_dir / 'rasa-tracker.db'}",
            "LOTSEN_RASA_LOCK_STORE": "in_memory",
            "LOTSEN_REDIS_HOST": "127.0.0.1",
            "LOTSEN_REDIS_PORT": "6379",
            "LOTSEN_REDIS_LOCK_DB": "1",
            # glibc gives every thread its own malloc arena; with the gateway's thread pool
            # that kept ~65 MB of freed memory resident (make bench: 628 → 562 MB RSS).
            "MALLOC_ARENA_MAX": "2",
        }
        base = {**defaults, **os.environ, "PYTHONUNBUFFERED": "1", **c.extra_env}
        rasa_env = {
            **base,
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "LOTSEN_ACTIONS_WEBHOOK_URL": f"http://127.0.0.1:{c.actions_port}/webhook",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONWARNINGS": "ignore",
        }
        commands: dict[str, tuple[list[str], dict[str, str]]] = {}
        actions_env = {**base, "SANIC_HOST": "127.0.0.1", "LOTSEN_VAR_DIR": str(c.var_dir)}
        commands["actions"] = (
            [str(APP_VENV / "bin" / "python"), "-m", "rasa_sdk", "--actions", "actions", "--port", str(c.actions_port)],
            actions_env,
        )
        for index, port in enumerate(c.rasa_ports):
            rasa = [
                str(RASA_VENV / "bin" / "rasa"), "run",
                "--enable-api", f"--auth-token={c.rasa_token}",
                "--interface", "127.0.0.1", "--port", str(port),
                "--model", str(c.model),
                "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
            ]  # fmt: skip
            commands[_numbered("rasa", index)] = (rasa, rasa_env)
        for index, port in enumerate(c.gateway_ports):
            gateway_env = {
                **base,
                "LOTSEN_HOST": c.gateway_host,
                "LOTSEN_PORT": str(port),
                "LOTSEN_RASA_URL": ",".join(f"http://127.0.0.1:{p}" for p in c.rasa_ports),
                "LOTSEN_RASA_TOKEN": c.rasa_token,
                "LOTSEN_ACTIONS_URL": f"http://127.0.0.1:{c.actions_port}",
                "LOTSEN_VAR_DIR": str(c.var_dir),
            }
            commands[_numbered("gateway", index)] = ([str(APP_VENV / "bin" / "python"), "-m", "bot"], gateway_env)
        return commands

    def start(self, only: tuple[str, ...] | None = None) -> None:
        if not self.config.model.exists():
            raise SystemExit(f"no trained model at {self.config.model}; run `make train` first")
        self.config.var_dir.mkdir(parents=True, exist_ok=True)
        for name, (argv, env) in self.commands().items():
            if only is None or name in only:
                self.start_one(name, argv, env)

    def start_one(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 — closed in stop()
            self._log_files.append(log)
            process = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=_die_with_parent,
            )  # fmt: skip
        else:
            process = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=_die_with_parent,
            )  # fmt: skip
            threading.Thread(target=_prefix_output, args=(name, process), daemon=True).start()
        self.processes[name] = process

    def restart(self, name: str) -> None:
        """Start one process again (after `stop_one`), with the same command."""
        argv, env = self.commands()[name]
        self.start_one(name, argv, env)

    def stop_one(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            _terminate([process])

    def exited(self) -> dict[str, int]:
        return {name: code for name, p in self.processes.items() if (code := p.poll()) is not None}

    def wait_healthy(self, timeout: float = 180.0) -> float:
        """Poll every gateway's /healthz and every Rasa server's /status until all answer
        200; return the seconds it took. (A gateway is healthy with one Rasa server up.)"""
        c = self.config
        pending = [f"http://127.0.0.1:{port}/healthz" for port in c.gateway_ports]
        if c.extra_rasa_ports:
            pending += [f"http://127.0.0.1:{port}/status?token={c.rasa_token}" for port in c.rasa_ports]
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.exited():
                raise RuntimeError(f"process exited during start-up: {self.exited()}")
            pending = [url for url in pending if not _answers(url)]
            if not pending:
                return time.monotonic() - started
            time.sleep(0.5)
        raise TimeoutError(f"stack not healthy after {timeout:.0f} s")

    def stop(self) -> None:
        _terminate(list(self.processes.values()))
        self.processes.clear()
        for log in self._log_files:
            log.close()
        self._log_files.clear()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _terminate(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process group, then SIGKILL whatever is still there after the grace time."""
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):  # the group may hold children too
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _prefix_output(name: str, process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    for raw in process.stdout:
        sys.stdout.write(f"[{name:>7}] {raw.decode(errors='replace')}")
        sys.stdout.flush()


def load_env_file(path: Path = ROOT / ".env") -> None:
    """Put `.env` settings into this process's environment (real variables win), so the
    supervisor and all three children see the same configuration."""
    if path.exists():
        for key, value in Config(path).file_values.items():
            os.environ.setdefault(key, value)


RESTARTS_PER_MINUTE = 5


def serve(stack: Stack, banner: str) -> int:
    """Run a stack in the foreground until Ctrl-C/SIGTERM.

    A process that stops on its own is started again (it heals without anyone
    stepping in); one that keeps stopping — more than RESTARTS_PER_MINUTE times in a
    minute — is a real fault, and then everything stops with exit status 1.
    """

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Explicit for SIGINT too: a shell that starts us in the background sets it to "ignore".
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    started = time.monotonic()
    restarts: dict[str, list[float]] = {}
    stack.start()
    try:
        seconds = stack.wait_healthy()
        print(f"\nLotsen is up after {seconds:.1f} s:\n{banner}", flush=True)
        while True:
            for name, code in stack.exited().items():
                now = time.monotonic()
                recent = [t for t in restarts.get(name, []) if now - t < 60]
                if len(recent) >= RESTARTS_PER_MINUTE:
                    print(f"{name} keeps stopping (exit {code}); stopping the others", file=sys.stderr)
                    return 1
                print(f"{name} stopped on its own (exit {code}); starting it again", file=sys.stderr, flush=True)
                restarts[name] = [*recent, now]
                stack.processes.pop(name, None)
                stack.restart(name)
            time.sleep(0.5)
    except KeyboardInterrupt:
        print(f"\nstopping (ran {time.monotonic() - started:.0f} s)…", flush=True)
        return 0
    except (TimeoutError, RuntimeError) as exc:
        print(f"start-up failed: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


def main() -> int:
    load_env_file()
    config = StackConfig.from_settings(settings_or_exit())
    return serve(
        Stack(config),
        f"  try it         http://localhost:{config.gateway_port}/\n"
        f"  chat API       POST http://localhost:{config.gateway_port}/api/messages\n"
        f"  health         http://localhost:{config.gateway_port}/healthz\n"
        f"  Rasa           http://127.0.0.1:{config.rasa_port} (token in LOTSEN_RASA_TOKEN)\n"
        f"  action server  http://127.0.0.1:{config.actions_port}\n"
        "Press Ctrl-C to stop all three.\n",
    )


if __name__ == "__main__":
    sys.exit(main())
