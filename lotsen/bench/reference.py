"""The "before" build for `make bench --before REF`: a commit or tag checked out into a
temporary git worktree, measured by this checkout's load generator in the same run.

The reference shares this checkout's two environments (the same interpreter and
libraries, so only the project's code differs) and its models/ directory (a reference
whose training inputs are unchanged reuses the trained model and the e5 cache; one whose
inputs differ is trained once and kept beside ours). Its gettext catalogs are compiled
in the worktree from its own .po files.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lotsen.paths import APP_VENV, ROOT

SHARED = (".venv", ".venv-rasa", "models")
DOMAINS = ("messages", "console", "phrasebook")


@dataclass
class Reference:
    ref: str
    commit: str
    root: Path
    model: Path


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def prepare(ref: str) -> Reference:
    """Check `ref` out, compile its catalogs, make sure its model exists."""
    commit = _git("rev-parse", "--verify", f"{ref}^{{commit}}")
    root = Path(tempfile.mkdtemp(prefix="lotsen-before-")) / "tree"
    _git("worktree", "add", "--detach", str(root), commit)
    for name in SHARED:
        (root / name).symlink_to(ROOT / name)
    locale = root / "lotsen" / "locale"
    for domain in DOMAINS:
        if any(locale.glob(f"*/LC_MESSAGES/{domain}.po")):
            subprocess.run(
                [str(APP_VENV / "bin" / "pybabel"), "-q", "compile", "-d", str(locale), "-D", domain],
                check=True,
                capture_output=True,
            )
    # The reference's own training code finds (or trains) the model for its inputs.
    trained = subprocess.run(
        [str(APP_VENV / "bin" / "python"), "-c", "from lotsen.train import ensure_model; print(ensure_model())"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    return Reference(ref, commit, root, Path(trained.stdout.strip().splitlines()[-1]))


def remove(reference: Reference) -> None:
    _git("worktree", "remove", "--force", str(reference.root))
