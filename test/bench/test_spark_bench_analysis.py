"""make bench-spark's analysis (bench/spark_bench.py), as pure functions over made-up progress, stages and
loads: no broker, no JVM."""
from __future__ import annotations

import json
import os
from types import SimpleNamespace

from pathlib import Path

import pytest

import bench.spark_bench
from bench.spark_bench import (
    NAIVE,
    OURS,
    PLAIN,
    PROGRESS_EVENT,
    Batch,
    EventLog,
    attach_ratios,
    batch_of,
    batches_by_query,
    cpu_between,
    cpu_split_us_per_event,
    is_complete,
    iso_time,
    max_offsets_per_trigger,
    plain_figures,
    read_event_log,
    rows_within,
    run_order,
    run_validity,
    stage_cpu_by_bucket,
    steady_state,
    streaming_figures,
    summarise,
    tag_of,
    unix_seconds,
    wait_for_quiet,
)
from bench.spark_warm import main as warm_main
from bench.spark_warm import move_event_logs, pass_dir, warmup_args

T = 1_800_000_000.0
"""An arbitrary Unix time the made-up batches start from."""


def contiguous(query: str, durations_s: list[float], rows: int, start_s: float = T) -> list[Batch]:
    """Back-to-back batches of `rows` rows each, with the given durations."""
    batches, t = [], start_s
    for batch_id, duration_s in enumerate(durations_s):
        batches.append(Batch(query, batch_id, t, duration_s, rows))
        t += duration_s
    return batches


WARMUP, MIN = 3, 10
"""Small settings for these made-up runs (the bench's own are WARMUP_BATCHES and MIN_BATCHES)."""


def test_one_query_drops_its_warm_up_batches_and_measures_the_rest():
    # Three slow warm-up batches (10 s each), then nine of 1,000 rows in 2 s: 500 rows/s.
    batches = {"q": contiguous("q", [10.0] * WARMUP + [2.0] * 9, rows=1000)}
    steady = steady_state(batches, WARMUP, MIN)
    assert steady["steady_state"] is True and steady["reason"] is None
    assert steady["t0_unix_s"] == T + 30 and steady["t1_unix_s"] == T + 48
    assert steady["interval_s"] == 18
    assert steady["events_per_sec"] == 500
    assert steady["queries"]["q"] == {"batches": 12, "first_steady_batch_id": 3, "rows_in_interval": 9000, "events_per_sec": 500}


def test_two_overlapping_queries_are_measured_where_both_are_steady_and_the_slower_one_sets_the_rate():
    fast = contiguous("fast", [1.0] * 12, rows=1000)  # T .. T+12, 1,000 rows/s
    slow = contiguous("slow", [1.5] * 12, rows=1000, start_s=T + 0.25)  # T+0.25 .. T+18.25, 666.7 rows/s
    steady = steady_state({"fast": fast, "slow": slow}, WARMUP, MIN)
    # t0: slow's first steady batch starts last (T+0.25+3*1.5); t1: fast's last batch ends first.
    assert steady["t0_unix_s"] == T + 4.75 and steady["t1_unix_s"] == T + 12
    # fast: a quarter of batch 4, then batches 5..11 whole; slow: batches 3..6 whole, 1.25/1.5 of batch 7.
    assert steady["queries"]["fast"]["rows_in_interval"] == 7250
    assert steady["queries"]["slow"]["rows_in_interval"] == pytest.approx(4833.3, abs=0.1)
    assert steady["queries"]["fast"]["events_per_sec"] == 1000
    assert steady["events_per_sec"] == pytest.approx(666.7, abs=0.1)
    assert steady["limiting_query"] == "slow"


def test_a_query_with_too_few_batches_gives_no_steady_state():
    batches = {"enough": contiguous("enough", [1.0] * 12, rows=10),
               "short": contiguous("short", [1.0] * (MIN - 1), rows=10)}
    steady = steady_state(batches, WARMUP, MIN)
    assert steady["steady_state"] is False
    assert f"fewer than {MIN}" in steady["reason"] and f"short had {MIN - 1}" in steady["reason"]
    assert "events_per_sec" not in steady
    assert steady_state({})["steady_state"] is False


def test_queries_that_ran_one_after_the_other_have_no_common_steady_interval():
    first = contiguous("first", [1.0] * 12, rows=10)
    second = contiguous("second", [1.0] * 12, rows=10, start_s=T + 12)
    steady = steady_state({"first": first, "second": second}, WARMUP, MIN)
    assert steady["steady_state"] is False and "do not overlap" in steady["reason"]


def test_a_batch_counts_in_proportion_to_its_overlap_with_the_interval():
    batch = Batch("q", 0, T, 4.0, 1000)
    assert rows_within(batch, T + 1, T + 2) == 250
    assert rows_within(batch, T - 5, T + 10) == 1000
    assert rows_within(batch, T + 5, T + 10) == 0
    assert rows_within(Batch("q", 1, T, 0.0, 7), T, T + 1) == 7  # an instant batch counts whole when inside


def test_batches_are_read_from_the_logged_progress():
    logged = {"id": "uuid", "name": "windows", "batchId": 4, "timestamp": "2026-12-06T04:12:33.250Z",
              "batchDuration": 1500, "sources": [{"numInputRows": 600}, {"numInputRows": 400}]}
    batch = batch_of(logged)
    assert batch == Batch("windows", 4, unix_seconds("2026-12-06T04:12:33.250Z"), 1.5, 1000)
    assert iso_time(batch.start_s) == "2026-12-06T04:12:33.250Z"
    assert batch_of({**logged, "name": None, "numInputRows": 7}).query == "uuid"
    assert batch_of({**logged, "numInputRows": 7}).rows == 7
    ordered = batches_by_query([{**logged, "batchId": 5}, logged])
    assert [b.batch_id for b in ordered["windows"]] == [4, 5]


def test_cpu_between_two_times_is_interpolated_from_the_samples():
    samples = [(T, 0.0), (T + 10, 5.0), (T + 20, 25.0)]
    assert cpu_between(samples, T + 5, T + 15) == pytest.approx(15.0 - 2.5)
    assert cpu_between(samples, T, T + 20) == 25.0
    assert cpu_between(samples, T - 1, T + 5) is None  # before the first sample


def test_the_job_tag_is_the_longest_prefix_and_untagged_jobs_have_none():
    assert tag_of("fa:windows-compute batch 3") == "fa:windows-compute"
    assert tag_of("fa:events batch 0") == "fa:events"
    assert tag_of("events\nid = 1\nbatch = 0") is None
    assert tag_of(None) is None


def test_stage_cpu_is_split_by_job_tag_and_stage_ordinal():
    jobs = [
        ("fa:events batch 0", [0]),
        ("fa:windows-compute batch 0", [4, 2, 1, 3]),  # ordinals by id: 1 parse, 2 dedup, 3 and 4 windows
        ("fa:windows-write batch 0", [1, 8]),  # lists stage 1 again (skipped): it stays with windows-compute
        ("fa:positions batch 0", [6]),
        ("fa:quarantine batch 0", [9]),
        ("events\nid = x\nbatch = 0", [7]),  # the streaming engine's own job: other
    ]
    cpu_s = {0: 3.0, 1: 1.0, 2: 0.5, 3: 0.25, 4: 0.25, 6: 0.4, 7: 0.2, 8: 0.05, 9: 0.5, 99: 0.1}  # 99: no job seen
    buckets, by_ordinal = stage_cpu_by_bucket(jobs, cpu_s)
    assert buckets == pytest.approx({"events": 3.0, "quarantine": 0.5, "positions": 0.4, "parse_validate": 1.0,
                                     "dedup": 0.5, "windows": 0.55, "other": 0.3})
    assert by_ordinal["fa:windows-compute"] == [1.0, 0.5, 0.25, 0.25]
    assert by_ordinal["fa:windows-write"] == [0.0, 0.05]
    split = cpu_split_us_per_event(buckets, events=1_000_000)  # CPU seconds per million events = µs per event
    assert split == pytest.approx({"parse_validate": 1.0, "events_write": 2.5, "dedup": 0.5, "windows": 0.55,
                                   "positions": 0.4, "other": 0.3, "fa_events_raw": 3.0, "fa_quarantine_raw": 0.5,
                                   "total": 6.25})


def test_events_write_is_floored_at_zero():
    buckets = {"events": 1.0, "quarantine": 0.0, "positions": 0.0, "parse_validate": 2.0, "dedup": 0.0, "windows": 0.0,
               "other": 0.0}
    split = cpu_split_us_per_event(buckets, events=1_000_000)
    assert split["events_write"] == 0.0 and split["fa_events_raw"] == 1.0


def test_the_event_log_gives_progress_jobs_and_stage_cpu(tmp_path):
    progress = {"id": "u", "name": "naive_baseline", "batchId": 0, "timestamp": "2026-12-06T04:12:33.250Z",
                "batchDuration": 900, "sources": [{"numInputRows": 10}]}
    stage = lambda stage_id, cpu_ns: {"Event": "SparkListenerStageCompleted", "Stage Info": {  # noqa: E731
        "Stage ID": stage_id, "Accumulables": [{"Name": "internal.metrics.executorCpuTime", "Value": cpu_ns}]}}
    lines = [
        {"Event": "SparkListenerJobStart", "Job ID": 0, "Stage IDs": [0, 1],
         "Properties": {"spark.job.description": "fa:windows-compute batch 0"}},
        {"Event": "SparkListenerTaskEnd", "Stage ID": 0},
        stage(0, 2_000_000_000),
        stage(0, 500_000_000),  # a second attempt of the same stage adds up
        stage(1, 250_000_000),
        {"Event": PROGRESS_EVENT, "progress": progress},
    ]
    log_dir = tmp_path / "eventlog"
    log_dir.mkdir()
    text = "".join(json.dumps(line) + "\n" for line in lines) + '{"Event":"SparkListenerStageCompleted","Sta'
    (log_dir / "local-1.inprogress").write_text(text)  # cut off mid-line, like a killed run's log
    log = read_event_log(log_dir)
    assert log.progress == [progress]
    assert log.jobs == [("fa:windows-compute batch 0", [0, 1])]
    assert log.stage_cpu_s == pytest.approx({0: 2.5, 1: 0.25})


def test_a_streaming_run_gets_its_steady_rate_and_the_jvm_cpu_of_its_steady_interval():
    # the bench's own warm-up (WARMUP_BATCHES = 10) and minimum (MIN_BATCHES = 20): 24 batches
    batches = contiguous("naive_baseline", [2.0] * 24, rows=1000)  # 500 rows/s from T+20 to T+48
    progress = [{"id": "u", "name": b.query, "batchId": b.batch_id, "timestamp": iso_time(b.start_s),
                 "batchDuration": int(b.duration_s * 1000), "numInputRows": b.rows} for b in batches]
    sampler = SimpleNamespace(samples=[(T - 10, 0.0), (T + 50, 120.0)], cpu_s=120.0)  # 2 CPU s per wall s
    figures = streaming_figures({"input_rows": 24_000, "elapsed_s": 60.0}, EventLog(progress=progress), sampler)
    assert figures["steady_state"] is True and figures["steady_events_per_sec"] == 500
    assert figures["jvm_cpu_s_steady"] == pytest.approx(56.0)  # 28 s of steady interval
    assert figures["jvm_cpu_us_per_event_steady"] == pytest.approx(56.0 * 1e6 / 14_000)
    assert figures["jvm_cpu_us_per_event_whole_run"] == pytest.approx(120.0 * 1e6 / 24_000)
    assert figures["wall_events_per_sec_not_steady"] == 400
    assert [b["start_s"] for b in figures["batches"]["naive_baseline"]][:2] == [0.0, 2.0]


def test_a_run_after_a_warm_pass_counts_both_passes_in_its_whole_run_cpu_only():
    batches = contiguous("naive_baseline", [2.0] * 24, rows=1000)
    progress = [{"id": "u", "name": b.query, "batchId": b.batch_id, "timestamp": iso_time(b.start_s),
                 "batchDuration": int(b.duration_s * 1000), "numInputRows": b.rows} for b in batches]
    sampler = SimpleNamespace(samples=[(T - 10, 0.0), (T + 50, 120.0)], cpu_s=240.0)  # the warm pass took 120 s too
    figures = streaming_figures({"input_rows": 24_000, "elapsed_s": 60.0}, EventLog(progress=progress), sampler, passes=2)
    assert figures["jvm_cpu_us_per_event_whole_run"] == pytest.approx(240.0 * 1e6 / 48_000)
    assert figures["jvm_cpu_us_per_event_steady"] == pytest.approx(56.0 * 1e6 / 14_000)  # the measured pass's
    assert figures["events_processed"] == 24_000 and "2 pass(es)" in figures["whole_run_basis"]


def test_the_warm_pass_writes_to_folders_of_its_own():
    ours = ["--master", "local[2]", "--bootstrap", "b:1", "--topic", "t", "--output-dir", "/r/out",
            "--checkpoint-dir", "/r/ck", "--trigger", "available-now"]
    assert warmup_args("ours", ours, Path("/r/warmup")) == [
        "--master", "local[2]", "--bootstrap", "b:1", "--topic", "t", "--output-dir", "/r/warmup/out",
        "--checkpoint-dir", "/r/warmup/ck", "--trigger", "available-now"]
    assert ours[7] == "/r/out"  # the measured pass's arguments are left as they were
    naive = ["b:1", "t", "/r/out", "/r/ck", "--max-offsets-per-trigger", "10"]
    assert warmup_args("naive", naive, Path("/r/warmup")) == [
        "b:1", "t", "/r/warmup/out", "/r/warmup/ck", "--max-offsets-per-trigger", "10"]
    with pytest.raises(ValueError, match="--checkpoint-dir"):
        warmup_args("ours", ["--output-dir", "/r/out"], Path("/w"))
    with pytest.raises(ValueError, match="BOOTSTRAP TOPIC"):
        warmup_args("naive", ["b:1", "t"], Path("/w"))


def test_each_warm_pass_has_folders_of_its_own():
    folders = {pass_dir(Path("/r/warmup"), n) for n in (1, 2, 3)}
    assert folders == {Path("/r/warmup/pass1"), Path("/r/warmup/pass2"), Path("/r/warmup/pass3")}
    assert warmup_args("naive", ["b:1", "t", "/r/out", "/r/ck"], pass_dir(Path("/r/warmup"), 2))[2:4] == [
        "/r/warmup/pass2/out", "/r/warmup/pass2/ck"]


@pytest.mark.parametrize("argv", [
    ["ours", "/r/eventlog", "/r/warmup", "--", "--output-dir", "/r/out"],  # no pass count
    ["ours", "0", "/r/eventlog", "/r/warmup", "--"],  # at least one warm-up pass
    ["ours", "two", "/r/eventlog", "/r/warmup", "--"],
    ["mine", "1", "/r/eventlog", "/r/warmup", "--"],
])
def test_the_warm_runner_refuses_a_malformed_command_line(argv, capsys):
    assert warm_main(argv) == 2
    assert "PASSES EVENT_LOG_DIR WARMUP_DIR" in capsys.readouterr().err


def test_the_warm_pass_event_log_moves_out_of_the_measured_pass_folder(tmp_path):
    log_dir = tmp_path / "eventlog"
    log_dir.mkdir()
    (log_dir / "local-1").write_text("warm-up pass\n")
    move_event_logs(log_dir, tmp_path / "warmup" / "eventlog")
    assert list(log_dir.iterdir()) == []
    assert (tmp_path / "warmup" / "eventlog" / "local-1").read_text() == "warm-up pass\n"
    move_event_logs(tmp_path / "absent", tmp_path / "w2")  # no log folder: nothing to move


def test_the_plain_reference_reports_its_last_run():
    result = {"jvm_pid": 1, "runs": [
        {"run": 0, "wall_s": 20.0, "events": 1000, "events_per_sec": 50.0, "jvm_cpu_s": 30.0, "windows": 5},
        {"run": 1, "wall_s": 10.0, "events": 1000, "events_per_sec": 100.0, "jvm_cpu_s": 12.0, "windows": 5},
    ]}
    figures = plain_figures(result, SimpleNamespace(cpu_s=50.0))
    assert figures["steady_events_per_sec"] == 100.0 and figures["events_processed"] == 1000
    assert figures["jvm_cpu_us_per_event_steady"] == 12_000.0
    assert figures["wall_events_per_sec_not_steady"] == pytest.approx(2000 / 30, abs=0.1)
    assert figures["jvm_cpu_us_per_event_whole_run"] == 25_000.0


def test_waiting_for_a_quiet_machine_is_bounded():
    loads, slept = iter([2.0, 1.5, 0.8]), []
    assert wait_for_quiet(60, load=lambda: next(loads), sleep=slept.append) == (True, 0.8, 10.0)
    assert slept == [5.0, 5.0]
    slept.clear()
    assert wait_for_quiet(12, load=lambda: 2.0, sleep=slept.append) == (False, 2.0, 10.0)
    assert slept == [5.0, 5.0]
    assert wait_for_quiet(0, load=lambda: 2.0, sleep=slept.append)[0] is False


def test_a_busy_machine_stops_the_bench_before_it_starts_anything(monkeypatch, capsys):
    monkeypatch.setattr(os, "getloadavg", lambda: (5.0, 5.0, 5.0))

    def no_broker(*args, **kwargs):
        raise AssertionError("the broker must not start on a busy machine")

    monkeypatch.setattr(bench.spark_bench, "EmbeddedKafka", no_broker)
    assert bench.spark_bench.main(["--events", "120000", "--wait-for-quiet-s", "0"]) == 3
    assert "load average is 5.00" in capsys.readouterr().err


def test_a_run_started_under_load_or_failed_is_not_valid():
    assert run_validity(2.9, None) == (True, None)
    valid, reason = run_validity(3.5, None)
    assert valid is False and "something else was running" in reason
    assert run_validity(0.5, "exited 1")[0] is False


def test_the_order_rotates_per_repetition_and_batches_are_sized_for_twenty_four():
    assert run_order(0) == (PLAIN, OURS, NAIVE)
    assert run_order(1) == (OURS, NAIVE, PLAIN)
    assert run_order(3) == run_order(0)
    assert max_offsets_per_trigger(6_000_000) == 250_000
    assert max_offsets_per_trigger(240_000) == 10_000


def test_the_summary_uses_valid_steady_runs_only():
    split = {"parse_validate": 10.0, "events_write": 5.0, "dedup": 2.0, "windows": 3.0, "positions": 1.0, "other": 4.0}
    runs = [
        {"job": PLAIN, "repeat": 0, "valid": True, "steady_events_per_sec": 100_000.0, "jvm_cpu_us_per_event_steady": 20.0},
        {"job": OURS, "repeat": 0, "valid": True, "steady_events_per_sec": 50_000.0, "cpu_us_per_event_by_stage": split},
        {"job": NAIVE, "repeat": 0, "valid": True, "steady_events_per_sec": 25_000.0},
        # Started under load: left out however fast it looked.
        {"job": OURS, "repeat": 1, "valid": False, "steady_events_per_sec": 500_000.0, "cpu_us_per_event_by_stage": split},
        # No steady state (too few batches): left out.
        {"job": NAIVE, "repeat": 1, "valid": True, "steady_events_per_sec": None},
    ]
    attach_ratios(runs)
    assert (runs[1]["ratio_to_plain"], runs[1]["ratio_to_naive"]) == (0.5, 2.0)
    assert runs[3]["ratio_to_plain"] is None
    summary = summarise(runs)
    ours = summary[OURS]
    assert (ours["runs"], ours["usable_runs"]) == (2, 1)
    assert ours["steady_events_per_sec_median"] == 50_000.0 and ours["steady_events_per_sec_per_core"] == 25_000.0
    assert (ours["ratio_to_plain"], ours["ratio_to_naive"]) == (0.5, 2.0)
    assert ours["cpu_us_per_event_by_stage"] == split
    assert summary[NAIVE]["usable_runs"] == 1 and summary[PLAIN]["jvm_cpu_us_per_event_steady_median"] == 20.0


def test_only_a_run_with_a_steady_rate_for_all_three_jobs_replaces_the_published_file():
    runs = [
        {"job": PLAIN, "repeat": 0, "valid": True, "steady_events_per_sec": 100_000.0},
        {"job": OURS, "repeat": 0, "valid": True, "steady_events_per_sec": 50_000.0},
        {"job": NAIVE, "repeat": 0, "valid": True, "steady_events_per_sec": 25_000.0},
    ]
    attach_ratios(runs)
    assert is_complete(summarise(runs))
    # --only: one job ran.
    assert not is_complete(summarise([dict(runs[1])]))
    # Every job ran, but our job's only run was taken under load.
    left_out_ours = [runs[0], {**runs[1], "valid": False}, runs[2]]
    assert not is_complete(summarise(left_out_ours))
