"""Start and stop the three processes as one: Rasa, the action server and the gateway.

`make run` uses it in the foreground (output prefixed per process, a process that
crashes is started again, Ctrl-C or SIGTERM stops all three); the integration tests
use the same class on free ports with logs in files, so what is tested is what runs.

Every line a process prints goes through the supervisor (`ProcessLog`): masked again
(`lotsen.privacy` — whatever a process prints outside its logging, a warning or a
traceback on stderr, is covered too), written to `<log_dir>/<name>.log` (`var/logs/`
for `make run`), rotated at midnight and kept `LOTSEN_LOG_RETENTION_DAYS` days, and in
the foreground echoed with the process's name.

Each child gets its own process group and is told by the kernel to die with this
supervisor (PR_SET_PDEATHSIG), so even a `kill -9` of the supervisor leaves no orphans.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path

from starlette.config import Config

from lotsen.paths import APP_VENV, RASA_VENV, ROOT
from lotsen.privacy import mask_bounded
from lotsen.settings import Settings, settings_or_exit
from lotsen.train import model_path

PR_SET_PDEATHSIG = 1
STOP_GRACE_SECONDS = 10.0
DEFAULT_LOG_RETENTION_DAYS = 14  # as LOTSEN_LOG_RETENTION_DAYS's default in lotsen/settings.py
MAX_LOG_LINE_CHARS = 16384


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
    log_retention_days: int = DEFAULT_LOG_RETENTION_DAYS
    # Whose code runs: this checkout, or a reference build in a worktree (`make bench --before`).
    root: Path = ROOT

    @classmethod
    def from_settings(cls, settings: Settings) -> StackConfig:
        """The supervisor's part of the settings (checked, like every process's, at start)."""
        config = cls(
            gateway_port=settings.port,
            rasa_port=settings.rasa_port,
            actions_port=settings.actions_port,
            gateway_host=settings.host,
            var_dir=settings.var_dir,
            log_retention_days=settings.log_retention_days,
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


class RetainedLogFile(TimedRotatingFileHandler):
    """A log file rotated at midnight (`gateway.log` → `gateway.log.2026-12-01`), whose
    rotated files are deleted once older than `days` days — by the date in their name,
    so a stack that was stopped for a while keeps no older file either."""

    def __init__(self, path: Path, days: int) -> None:
        super().__init__(path, when="midnight", backupCount=days, encoding="utf-8")
        self.days = days
        # The supervisor's own time on every line (the gateway's lines carry none).
        self.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
        for old in self.getFilesToDelete():
            with contextlib.suppress(OSError):
                os.remove(old)

    def getFilesToDelete(self) -> list[str]:  # noqa: N802 — overrides logging's
        directory, base = os.path.split(self.baseFilename)
        oldest_kept = _today() - datetime.timedelta(days=self.days)
        expired = []
        for name in os.listdir(directory):
            if not name.startswith(base + "."):
                continue
            try:
                day = datetime.datetime.strptime(name[len(base) + 1 :], "%Y-%m-%d").date()
            except ValueError:
                continue
            if day < oldest_kept:
                expired.append(os.path.join(directory, name))
        return sorted(expired)

    def rotate_if_due(self) -> None:
        """Rotate (and delete expired files) at midnight even if the process is quiet."""
        with self.lock:  # type: ignore[union-attr]  # created in Handler.__init__
            if self.stream is not None and self.shouldRollover(_line("")):
                self.doRollover()


_TIMESTAMP = re.compile(r"(?:\x1b\[[0-9;]*m)*\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?")


def _today() -> datetime.date:
    return datetime.date.today()


def _line(text: str) -> logging.LogRecord:
    # Built directly, not through the record factory: the line is masked already.
    return logging.LogRecord("lotsen.stack", logging.INFO, __file__, 0, text, None, None)


class ProcessLog:
    """One process's output, line by line: masked, written to its rotated file, and
    echoed with the process's name when the stack runs in the foreground."""

    def __init__(self, name: str, directory: Path, days: int, echo: bool) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.echo = echo
        self.file = RetainedLogFile(directory / f"{name}.log", days)
        self.closed = False

    def write(self, line: str) -> None:
        line = line.rstrip("\r\n")
        # A line's own timestamp is no phone number ("2026-12-02 07" would look like one).
        stamp = _TIMESTAMP.match(line)
        start = stamp.end() if stamp else 0
        masked = line[:start] + mask_bounded(line[start:], MAX_LOG_LINE_CHARS)
        with self.file.lock:  # type: ignore[union-attr]
            if self.closed:
                return
            self.file.handle(_line(masked))
        if self.echo:
            sys.stdout.write(f"[{self.name:>7}] {masked}\n")
            sys.stdout.flush()

    def close(self) -> None:
        with self.file.lock:  # type: ignore[union-attr]
            self.closed = True
            self.file.close()


def _pump(process: subprocess.Popen[bytes], log: ProcessLog) -> None:
    assert process.stdout is not None
    for raw in process.stdout:
        log.write(raw.decode(errors="replace"))


class Stack:
    """The three processes; `start()`, `wait_healthy()`, `stop()`.

    Their output goes to `<log_dir>/<name>.log`; without a `log_dir` (`make run`) to
    `var/logs/` and, prefixed, to this process's stdout too.
    """

    def __init__(self, config: StackConfig, log_dir: Path | None = None) -> None:
        self.config = config
        self.echo = log_dir is None
        self.log_dir = log_dir if log_dir is not None else config.var_dir / "logs"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, ProcessLog] = {}
        self._pumps: list[threading.Thread] = []

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
        base = {**defaults, **os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(c.root), **c.extra_env}
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
        log = self.logs.get(name)
        if log is None:
            log = self.logs[name] = ProcessLog(name, self.log_dir, self.config.log_retention_days, self.echo)
        process = subprocess.Popen(
            argv, cwd=self.config.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent,
        )  # fmt: skip
        pump = threading.Thread(target=_pump, args=(process, log), name=f"log-{name}", daemon=True)
        pump.start()
        self._pumps = [*(p for p in self._pumps if p.is_alive()), pump]
        self.processes[name] = process

    def rotate_logs(self) -> None:
        for log in self.logs.values():
            log.file.rotate_if_due()

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
        for pump in self._pumps:  # the last lines, up to the processes' exit
            pump.join(timeout=5)
        self._pumps.clear()
        for log in self.logs.values():
            log.close()
        self.logs.clear()


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
            stack.rotate_logs()
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
