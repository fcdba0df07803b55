"""The benchmark report: percentiles, ratios and target verdicts."""

from __future__ import annotations

from lotsen.bench.load import LevelResult
from lotsen.bench.report import render


def level(target: str, concurrency: int, throughput: float, p50: float, p95: float) -> dict[str, object]:
    return {
        "target": target,
        "concurrency": concurrency,
        "messages": 100,
        "throughput": throughput,
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p95,
        "mean_ms": p50,
        "errors": 0,
        "lost": 0,
        "duplicated": 0,
        "missing": 0,
    }


def test_percentiles_and_throughput() -> None:
    result = LevelResult("gateway", 2, 2.0, latencies_ms=[float(x) for x in range(1, 101)])
    assert result.percentile(50) == 51.0 and result.percentile(95) == 95.0 and result.percentile(99) == 99.0
    assert result.throughput == 50.0


def test_report_shows_ratios_and_which_targets_are_missed() -> None:
    report = render(
        {
            "when": "now",
            "machine": "m",
            "seconds_per_level": 10,
            "levels": [
                level("gateway", 1, 20.0, 60.0, 80.0),
                level("rasa", 1, 25.0, 40.0, 50.0),
                level("gateway", 50, 120.0, 100.0, 200.0),
                level("rasa", 50, 150.0, 90.0, 150.0),
            ],
            "rss_mb": {"rasa": 900.0, "gateway": 500.0, "actions": 60.0},
            "startup_s": 14.0,
            "training_s": 230.0,
        }
    )
    assert "| 1 | 100 | 20.0 (0.80×) | 60.0 (1.50×)" in report
    assert "one user p50 ≤ 50 ms: **missed** (measured 60.0)" in report
    assert "≥ 100 msg/s at 50 conversations: met (measured 120.0)" in report
    assert "whole stack ≤ 1.5 GB RSS: met (measured 1460)" in report


def test_report_puts_the_default_pipeline_beside_ours_with_ratios() -> None:
    ours = {
        "levels": [level("gateway", 4, 40.0, 80.0, 100.0), level("rasa", 4, 50.0, 60.0, 90.0)],
        "rss_mb": {"rasa": 800.0, "gateway": 500.0},
        "startup_s": 15.0,
        "training_s": 300.0,
    }
    default = {
        "levels": [level("gateway", 4, 20.0, 160.0, 400.0), level("rasa", 4, 25.0, 120.0, 300.0)],
        "rss_mb": {"rasa": 1200.0, "gateway": 500.0},
        "startup_s": 30.0,
        "training_s": 1800.0,
    }
    report = render({"when": "now", "machine": "m", "seconds_per_level": 10, **ours, "baseline": default})
    assert "| gateway | 4 | 40.0 / 20.0 | 2.00× | 80.0 / 160.0 | 0.50× | 100.0 / 400.0 | 0.25× |" in report
    assert "| rasa | 4 | 50.0 / 25.0 | 2.00× |" in report
    assert "| whole stack RSS MB | 1300 | 1700 | 0.76× |" in report
    assert "| start-up to healthy s | 15.0 | 30.0 | 0.50× |" in report
    assert "| training s | 300.0 | 1800.0 | 0.17× |" in report
    assert "default pipeline" not in render({"when": "now", "machine": "m", "seconds_per_level": 10, **ours})


def test_report_compares_one_rasa_server_with_two() -> None:
    ours = {
        "levels": [level("gateway", 16, 50.0, 300.0, 450.0), level("rasa", 16, 55.0, 260.0, 370.0)],
        "rss_mb": {"rasa": 900.0, "gateway": 600.0},
        "startup_s": 14.0,
        "training_s": 300.0,
    }
    scaled = {
        "levels": [level("gateway", 16, 75.0, 200.0, 300.0)],
        "rss_mb": {"rasa": 900.0, "rasa-2": 900.0},
        "startup_s": 20.0,
    }
    report = render({"when": "now", "machine": "m", "seconds_per_level": 10, **ours, "scaled": scaled})
    assert "| 16 | 50.0 / 75.0 | 1.50× | 300.0 / 200.0 | 0.67× | 450.0 / 300.0 | 0.67× |" in report
    assert "1500 MB with one Rasa server, 1800 MB with two" in report


def test_cpu_per_message_is_read_from_proc_and_reported() -> None:
    import os

    from lotsen.bench.procinfo import cpu_seconds

    before = cpu_seconds(os.getpid())
    sum(i * i for i in range(2_000_000))  # burn some CPU in this process
    after = cpu_seconds(os.getpid())
    assert before is not None and after is not None and after > before
    assert cpu_seconds(2**22 + 12345) is None  # no such process

    gateway = {**level("gateway", 50, 50.0, 900.0, 1500.0), "cpu_ms_per_message": {"rasa": 18.0, "gateway": 8.5}}
    report = render(
        {
            "when": "now",
            "machine": "m",
            "seconds_per_level": 10,
            "levels": [gateway],
            "rss_mb": {},
            "startup_s": 1.0,
            "training_s": None,
        }
    )
    assert "| gateway | 50 | 8.5 | 18.0 | 26.5 |" in report
    assert "cores can serve" not in report  # unknown core count: no ceiling claimed
    two_cores = render(
        {
            "when": "now",
            "machine": "Linux x86_64, 2 CPU(s)",
            "seconds_per_level": 10,
            "levels": [gateway],
            "rss_mb": {},
            "startup_s": 1.0,
            "training_s": None,
        }
    )
    assert "2 cores can serve at most ~75 messages/s" in two_cores and "would need 2.6 cores" in two_cores
