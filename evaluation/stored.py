"""How an evaluation run is stored in reports/nlu/: the scores a reader looks at in
`<pipeline>.json`, and the per-message predictions the report and `--rescore` recompute
from in `<pipeline>.predictions.json.gz` (several megabytes as plain JSON, a tenth of it
compressed, so the repository keeps both without large files)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

PREDICTIONS = ("held_out_predictions", "safety_predictions", "cv_predictions")


def predictions_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.predictions.json.gz")


def write_run(path: Path, run: dict[str, Any]) -> None:
    """`run` (scores and predictions) as the two files."""
    scores = {key: value for key, value in run.items() if key not in PREDICTIONS}
    predictions = {key: run[key] for key in PREDICTIONS if key in run}
    path.write_text(json.dumps(scores, ensure_ascii=False, indent=1), encoding="utf-8")
    # mtime=0: the same predictions give the same bytes, so a rerun shows no spurious diff.
    with predictions_path(path).open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed:
        packed.write(json.dumps(predictions, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def read_run(path: Path) -> dict[str, Any]:
    """A run's scores with its predictions (if stored beside them)."""
    run: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    stored = predictions_path(path)
    if stored.exists():
        run.update(json.loads(gzip.decompress(stored.read_bytes()).decode("utf-8")))
    return run


def runs(directory: Path) -> dict[str, dict[str, Any]]:
    """Every pipeline's run in `directory`, by name (not split.json or langid.json)."""
    return {
        path.stem: read_run(path) for path in sorted(directory.glob("*.json")) if path.stem not in ("split", "langid")
    }
