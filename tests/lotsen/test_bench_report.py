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
    assert "one user p50 ≤ 40 ms: **missed** (measured 60.0)" in report
    assert "≥ 57 msg/s at 50 conversations (2× the issue's 28.5): met (measured 120.0)" in report
    assert "p95 at 50 conversations ≤ 1.5× Rasa-direct's: met (measured 1.33×)" in report
    assert "whole stack ≤ 1,200 MB RSS: **missed** (measured 1460)" in report
    assert "start-up to healthy ≤ 20 s: met (measured 14.0)" in report
    assert "CPU per message through the gateway ≤ 20 ms (worst level): **missed** (measured None)" in report


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


def test_report_puts_the_reference_build_before_this_one_with_ratios() -> None:
    def cpu(lvl: dict[str, object], **per_process: float) -> dict[str, object]:
        return {**lvl, "cpu_ms_per_message": per_process}

    now = {
        "levels": [
            cpu(level("gateway", 50, 60.0, 700.0, 900.0), rasa=12.0, gateway=4.0, actions=1.0),
            level("rasa", 50, 70.0, 650.0, 800.0),
        ],
        "rss_mb": {"rasa": 600.0, "gateway": 300.0, "actions": 70.0},
        "startup_s": 8.0,
        "training_s": None,
    }
    before = {
        "ref": "v1",
        "commit": "5ae2f25aaaaaaaaaaaa",
        "levels": [
            cpu(level("gateway", 50, 30.0, 1400.0, 3600.0), rasa=36.0, gateway=14.0, actions=1.5),
            level("rasa", 50, 40.0, 1200.0, 1600.0),
        ],
        "rss_mb": {"rasa": 650.0, "gateway": 580.0, "actions": 75.0},
        "startup_s": 6.0,
    }
    report = render({"when": "now", "machine": "m", "seconds_per_level": 10, **now, "before": before})
    assert "`v1` (5ae2f25aaa) → this checkout" in report
    row = "| gateway | 50 | 30.0 / 60.0 | 2.00× | 1400.0 / 700.0 | 0.50× | 3600.0 / 900.0 | 0.25×"
    row += " | 51.5 / 17.0 | 0.33× |"
    assert row in report
    assert "| gateway | 50 | 14.0 | 4.0 | 0.29× |" in report
    assert "| whole stack RSS MB | 1305 | 970 | 0.74× |" in report
    assert "CPU per message through the gateway ≤ 20 ms (worst level): met (measured 17.0)" in report
    assert "p95 at 50 conversations ≤ 1.5× Rasa-direct's: met (measured 1.12×)" in report
