"""A 5-second smoke run of the benchmark against the running stack (the full run is
`make bench`): the load generator, the history check and the report all work."""

from __future__ import annotations

import asyncio

import pytest

from lotsen.bench.load import gateway_sender, rasa_sender, run_level
from lotsen.bench.report import render
from lotsen.stack import Stack

pytestmark = pytest.mark.integration


def test_five_second_benchmark_smoke_run(stack: Stack) -> None:
    gateway = stack.config.gateway_url
    rasa = f"http://127.0.0.1:{stack.config.rasa_port}"
    through_gateway = asyncio.run(run_level("gateway", gateway_sender(gateway), 4, 3.0, history_url=gateway))
    direct = asyncio.run(run_level("rasa", rasa_sender(rasa, stack.config.rasa_token), 4, 2.0))
    for result in (through_gateway, direct):
        summary = result.summary()
        print(summary)
        assert summary["messages"] > 0
        assert summary["errors"] == summary["lost"] == summary["duplicated"] == summary["missing"] == 0
    report = render(
        {
            "when": "smoke",
            "machine": "test",
            "seconds_per_level": 3,
            "levels": [through_gateway.summary(), direct.summary()],
            "rss_mb": {"gateway": 100.0},
            "startup_s": None,
            "training_s": None,
        }
    )
    assert "| 4 |" in report and "×)" in report
