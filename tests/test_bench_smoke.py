"""Smoke tests for bench/: every benchmark's entry point runs on a one-commune data set (SQLite) and
returns its results dict; no timing is asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import conversation, drain, province, startup, status, sweep


@pytest.fixture(autouse=True)
def _bench_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CDSBENCH_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("CDSBENCH_RESULTS", str(tmp_path / "results.json"))
    return tmp_path


def _rows(tmp_path: Path) -> list[dict]:
    return json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["rows"]


def test_status_benchmark(tmp_path: Path) -> None:
    result = status.run(["--db", "sqlite", "--tiny", "--samples", "4", "--province-runs", "1"])
    assert result["activity_rows"] > 0 and result["communes"] == 1
    assert set(result["commune_status_ms"]) >= {"p50", "p95", "p99", "max"}
    for key in ("province_status_s", "sql_per_commune_status", "sql_top_commune", "province_status_fn_s",
                "sql_per_province_status_fn", "pass"):
        assert key in result
    assert result["province_status_check"] == {"agrees": True, "checked": 2, "differs": {}}
    assert result["xlsx_export_s"]["n"] == 1 and result["xlsx_export_s"]["kb"] > 0  # a workbook was built
    row = _rows(tmp_path)[0]
    assert (row["bench"], row["db"], row["scale"], row["variant"]) == ("status", "sqlite", "tiny", "")
    assert row["machine"]["nproc"] >= 1
    assert not list((tmp_path / "out").glob("cdsbench_*.db"))  # working copy and template dropped


def test_province_benchmark(tmp_path: Path) -> None:
    result = province.run(["--db", "sqlite", "--tiny", "--samples", "2", "--chat-samples", "2", "--old-runs", "1",
                           "--dash-samples", "2"])
    assert result["communes"] == 1 and result["activity_rows"] > 0
    assert result["dashboard_check"]["agrees"] is True and result["dashboard_check"]["cells_checked"] == 6
    assert result["dashboard_cold_ms"]["n"] == result["dashboard_fill_ms"]["n"] == 2
    assert result["dashboard_check"]["cold_equals_fill"] is True  # the roll-up's months == the logs' months
    assert result["sql_per_dashboard_cold"] < result["sql_per_dashboard_fill"]  # filled once, then read
    assert result["check"] == {"agrees": True, "checked": 2, "differs": {}}  # batched == per commune
    assert set(result["traffic_ms"]) >= {"p50", "p95", "p99"} and result["chat_ms"]["n"] == 2
    assert result["sql_per_traffic"] < result["sql_old_way"] and result["sql_per_chat_answer"] > 0
    assert result["chat_reply_lines"] > 3 and len(result["loadavg_1m"]) == 2
    row = _rows(tmp_path)[0]
    assert (row["bench"], row["db"], row["scale"]) == ("province", "sqlite", "tiny")


def test_sweep_benchmark(tmp_path: Path) -> None:
    result = sweep.run(["--db", "sqlite", "--tiny", "--drain-seconds", "1"])
    for key in ("people", "planned", "plan_s", "run_s", "queued", "rss_mb", "moments", "drain", "pass"):
        assert key in result
    assert result["queued"] > 0 and result["duplicates"] == 0
    assert result["moments"]["overdue"]["rerun_concurrent_queued"] == [0, 0]
    assert result["rss_mb"]["peak"] > 0 and "msg_per_s" in result["drain"]["shipped"]
    assert _rows(tmp_path)[0]["bench"] == "sweep"


def test_status_benchmark_with_index(tmp_path: Path) -> None:
    result = status.run(["--db", "sqlite", "--tiny", "--samples", "2", "--province-runs", "1", "--index",
                         "--no-record"])
    assert result["province_status_check"]["agrees"] is True and result["province_status_fn_s"] >= 0
    assert not (tmp_path / "results.json").exists()


def test_conversation_benchmark(tmp_path: Path) -> None:
    result = conversation.run(["--db", "sqlite", "--tiny", "--users", "3", "--warmup", "0.5", "--seconds", "1.5",
                               "--configs", "echo:0,ours:0:off,ours:0:off:webhook2"])
    assert [r["config"] for r in result["runs"]] == ["echo:0", "ours:0:off", "ours:0:off:webhook2"]
    assert result["runs"][2]["processes"] == 2 and result["runs"][2]["webhook_rejected"] == 0
    for run in result["runs"]:
        assert set(run) >= {"updates", "updates_per_s", "latency_ms", "timeouts", "bot_cpu_share"}
        assert set(run["latency_ms"]) >= {"p50", "p95", "p99"}
        assert run["timeouts"] == 0 and run["bad"] == 0 and run["bot_error_replies"] == 0
    assert result["echo_ceiling_updates_per_s"] is not None and "fraction_of_ceiling" in result["runs"][1]
    assert result["best"]["config"] == "ours:0:off"
    assert _rows(tmp_path)[0]["bench"] == "conversation"


def test_drain_benchmark(tmp_path: Path) -> None:
    result = drain.run(["--db", "sqlite", "--tiny", "--members", "4", "--rounds", "1", "--repeats", "1"])
    assert result["updates"] == 8 and result["lost"] == 0 and result["doubled"] == 0 and result["unconfirmed"] == 0
    assert result["ratio_median"] > 0 and result["ours"]["sql_per_update"] > 0
    assert _rows(tmp_path)[0]["bench"] == "drain"


def test_startup_benchmark(tmp_path: Path) -> None:
    result = startup.run(["--repeats", "1", "--idle", "0.2"])
    for kind in ("ours", "echo"):
        assert result[kind]["start_s"] > 0 and result[kind]["idle_rss_mb"] > 0
    assert result["ours"]["web_s"] > 0  # its web server came up (after the first getUpdates)
    assert _rows(tmp_path)[0]["bench"] == "startup"
