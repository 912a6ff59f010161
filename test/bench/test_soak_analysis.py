"""The soak's verdicts (bench/soak.py), as pure functions over made-up samples."""
from __future__ import annotations

import http.server
import os
import struct
import subprocess
import sys
import threading
import time

import pytest

from bench.soak import (producer_full_gc_node_args, request_producer_full_gc, rocksdb_pool_mib, parse_procs, trigger_aliasing, batch_summary, batches_verdict, folder_size, medians_per_period, class_growth, cpu_seconds, cpu_summary, floor, load_verdict, machine_cpu_seconds, mark_compact_live_mib,
                        memory_verdict, parse_args, parse_class_histogram, parse_hsperfdata, jvm_heap_mib, producer_heap_mib)
from flight_analytics.settings import spark_conf
from local.pipeline import PRODUCER_BUNDLE, producer_bundle_command, producer_image_node_args


def test_a_floor_is_the_least_value_of_the_last_samples():
    samples = [{"heap": v} for v in (50, 10, 90, 40, 45, 60, 70, 80, 41)]
    assert floor(samples, "heap") == 40  # the last 6: 40, 45, 60, 70, 80, 41
    assert floor([{"heap": None}], "heap") is None


def test_memory_that_levels_off_is_flat_and_memory_that_keeps_growing_is_not():
    run_s = 600.0
    levelled = [{"t_s": t, "mib": min(100 + t / 10, 130)} for t in range(0, 600, 5)]
    growing = [{"t_s": t, "mib": 100 + t / 10} for t in range(0, 600, 5)]
    assert memory_verdict(levelled, "mib", run_s)["flat"] is True
    verdict = memory_verdict(growing, "mib", run_s)
    assert verdict["flat"] is False
    assert verdict["second_half_slope_mib_per_min"] == 6.0


def test_state_bytes_are_reported_per_half_of_the_run():
    batches = [
        {"t_s": 10, "query": "windows", "input_rows": 5, "batch_duration_ms": 100, "state_bytes": 300},
        {"t_s": 20, "query": "windows", "input_rows": 5, "batch_duration_ms": 120, "state_bytes": 700},
        {"t_s": 70, "query": "windows", "input_rows": 5, "batch_duration_ms": 110, "state_bytes": 650},
    ]
    summary = batch_summary(batches, run_s=100)["windows"]
    assert summary["state_bytes_max"] == {"first_half": 700, "second_half": 650}
    assert summary["second_to_first_median_ratio"] == round(110 / 110, 2)


def _batches(query: str, durations_ms, file_mib, run_s: float = 1000.0, memory_mib=None) -> list[dict]:
    """One batch with data per duration, spread evenly over the run, with the given state file sizes
    (and memory: 8 MiB each unless given)."""
    step = run_s / len(durations_ms)
    memory_mib = memory_mib or [8.0] * len(durations_ms)
    return [{"t_s": i * step, "query": query, "input_rows": 10, "batch_duration_ms": d,
             "state_bytes": int((f + m) * 2**20) if f or m else 0, "state_file_bytes": int(f * 2**20),
             "state_memory_bytes": int(m * 2**20) if f else 0}
            for i, (d, f, m) in enumerate(zip(durations_ms, file_mib, memory_mib))]


POOL_MIB = 256.0


def test_a_soak_passes_with_flat_durations_bounded_state_and_enough_batches():
    run_s = 1000.0
    n = 200
    # The windows' files level off; their memory climbs while the cache fills, then holds at the pool
    # (reading a little above it, as Spark counts it).
    batches = (_batches("windows", [1000] * n, [min(10 + i, 50) for i in range(n)], run_s,
                        memory_mib=[min(20 + 4 * i, POOL_MIB + 3) for i in range(n)])
               + _batches("events_quarantine", [800] * n, [0] * n, run_s))
    verdict = batches_verdict(batches, batch_summary(batches, run_s), run_s, min_batches=n, pool_mib=POOL_MIB)
    assert verdict["ok"] is True
    windows = verdict["windows"]
    assert (windows["batches"], windows["durations_flat"], windows["state_bounded"], windows["enough_batches"]) == (n, True, True, True)
    assert windows["state"]["memory_max_mib"] == POOL_MIB + 3 and windows["state"]["memory_pool_mib"] == POOL_MIB
    assert windows["state"]["files"]["flat"] is True and windows["state"]["memory"]["flat"] is True
    assert verdict["events_quarantine"]["state"] == {"bounded": True, "stateful": False}


def test_a_soak_fails_on_slower_batches_growing_state_files_or_memory_or_too_few_batches():
    run_s = 1000.0
    n = 200
    slower = _batches("windows", [1000] * (n // 2) + [1200] * (n // 2), [50] * n, run_s)
    growing = _batches("windows", [1000] * n, [10 + i for i in range(n)], run_s)
    memory_growing = _batches("windows", [1000] * n, [50] * n, run_s, memory_mib=[20 + 2 * i for i in range(n)])
    steady = _batches("windows", [1000] * n, [50] * n, run_s)
    for batches, failed, min_batches in ((slower, "durations_flat", n), (growing, "state_bounded", n),
                                         (memory_growing, "state_bounded", n), (steady, "enough_batches", n + 1)):
        verdict = batches_verdict(batches, batch_summary(batches, run_s), run_s, min_batches=min_batches, pool_mib=POOL_MIB)
        assert verdict["ok"] is False
        assert verdict["windows"][failed] is False, failed
    assert batches_verdict([], {}, run_s, min_batches=0, pool_mib=POOL_MIB)["ok"] is False  # no batch at all is no pass


def test_records_without_the_state_split_are_judged_on_their_total_as_before():
    run_s = 1000.0
    n = 200
    growing = [{k: v for k, v in b.items() if k not in ("state_file_bytes", "state_memory_bytes")}
               for b in _batches("windows", [1000] * n, [10 + i for i in range(n)], run_s)]
    verdict = batches_verdict(growing, batch_summary(growing, run_s), run_s, min_batches=n, pool_mib=POOL_MIB)
    assert verdict["windows"]["state"]["judged"] == "state_bytes" and verdict["windows"]["state_bounded"] is False


def test_the_pool_is_the_one_the_job_runs_with():
    conf = spark_conf()
    assert conf["spark.sql.streaming.stateStore.rocksdb.boundedMemoryUsage"] == "true"
    assert rocksdb_pool_mib() == float(conf["spark.sql.streaming.stateStore.rocksdb.maxMemoryUsageMB"])


def test_a_checkpoint_folder_is_measured_in_files_and_mib_and_judged_like_memory(tmp_path):
    (tmp_path / "state" / "0").mkdir(parents=True)
    (tmp_path / "state" / "0" / "1.changelog").write_bytes(b"x" * 2**20)
    (tmp_path / "commits").mkdir()
    (tmp_path / "commits" / "0").write_bytes(b"v1")
    assert folder_size(tmp_path) == {"checkpoint_files": 2, "checkpoint_mib": 1.0}
    growing = [{"t_s": t, "checkpoint_files": 10 + t} for t in range(0, 600, 5)]
    verdict = memory_verdict(growing, "checkpoint_files", 600.0, unit="files")
    assert verdict["flat"] is False and verdict["second_half_slope_files_per_min"] == 60.0


def test_batch_durations_are_summed_up_as_medians_per_period_of_the_run():
    batches = [
        {"t_s": 10, "query": "windows", "input_rows": 5, "batch_duration_ms": 100},
        {"t_s": 20, "query": "windows", "input_rows": 5, "batch_duration_ms": 300},
        {"t_s": 30, "query": "windows", "input_rows": 0, "batch_duration_ms": 9000},  # no data: not counted
        {"t_s": 250, "query": "windows", "input_rows": 5, "batch_duration_ms": 200},
        {"t_s": 250, "query": "events_quarantine", "input_rows": 5, "batch_duration_ms": 50},
    ]
    assert medians_per_period(batches, run_s=300, period_s=100) == {
        "events_quarantine": [None, None, 50], "windows": [200, None, 200],
    }


def test_the_producer_heap_is_read_from_its_prometheus_text():
    text = (
        "# HELP flight_producer_nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.\n"
        "flight_producer_nodejs_heap_size_used_bytes 52428800\n"
        "flight_producer_nodejs_external_memory_bytes 10485760\n"
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert producer_heap_mib(server.server_address[1]) == {"producer_heap_used_mib": 50.0, "producer_external_mib": 10.0}
    finally:
        server.shutdown()
    assert producer_heap_mib(server.server_address[1]) == {}  # nothing listens any more


def test_the_live_heap_is_what_a_full_collection_leaves_in_a_trace_gc_line():
    # Lines as Node 24's --trace-gc prints them (copied from a producer run).
    full = ("[3673:0x80c8000]   105888 ms: Mark-Compact 30.8 (61.2) -> 21.7 (29.3) MB, pooled: 0 MB, 2.94 / 0.00 ms "
            " (+ 0.3 ms in 9 steps since start of marking) (average mu = 0.990) finalize incremental marking via stack guard")
    reduce = "[3673:0x80c8000]   900012 ms: Mark-Compact (reduce) 24.1 (33.0) -> 22.9 (27.5) MB, pooled: 0 MB, 3.1 / 0.0 ms"
    scavenge = "[3673:0x80c8000]      187 ms: Scavenge 8.2 (10.1) -> 8.0 (12.3) MB, pooled: 0 MB, 1.53 / 0.00 ms"
    assert mark_compact_live_mib(full) == 21.7
    assert mark_compact_live_mib(reduce) == 22.9
    assert mark_compact_live_mib(scavenge) is None
    assert mark_compact_live_mib('PRODUCER_RESULT {"sent": 1}') is None


HISTOGRAM = """12345:
 num     #instances         #bytes  class name (module)
-------------------------------------------------------
   1:        211275       46809248  [B (java.base@17.0.15)
   2:          5823        1813904  org.apache.spark.status.TaskDataWrapper
   3:           831         217722  org.apache.spark.status.api.v1.StageData
Total       2237272      124102320
"""


def test_the_drivers_live_heap_is_the_total_of_a_class_histogram():
    # Lines as `jcmd <pid> GC.class_histogram` prints them on JDK 17 (shortened)
    histogram = parse_class_histogram(HISTOGRAM)
    assert histogram["live_heap_mib"] == round(124102320 / 2**20, 1)
    assert histogram["classes"] == {"[B": 46809248, "org.apache.spark.status.TaskDataWrapper": 1813904,
                                    "org.apache.spark.status.api.v1.StageData": 217722}
    assert parse_class_histogram("12345:\nCommand failed\n") is None


def test_class_growth_names_the_classes_whose_median_grew_most_and_only_those():
    # GIVEN two groups of histograms; one histogram of the later group caught a batch's buffers in flight
    earlier = [{"a": 2**20, "b": 5 * 2**20, "gone": 2**20}, {"a": 2**20, "b": 5 * 2**20, "gone": 2**20}, {"a": 2**20, "b": 5 * 2**20}]
    later = [{"a": 4 * 2**20, "b": 5 * 2**20, "new": 2**20}, {"a": 4 * 2**20, "b": 50 * 2**20, "new": 2**20},
             {"a": 4 * 2**20, "b": 5 * 2**20, "new": 2**20}]
    # THEN the medians grew for "a" and "new" only: the one-off buffers of "b" are not growth
    grown = class_growth(earlier, later)
    assert grown == [
        {"class": "a", "grew_mib": 3.0, "first_mib": 1.0, "last_mib": 4.0},
        {"class": "new", "grew_mib": 1.0, "first_mib": 0.0, "last_mib": 1.0},
    ]


def test_cpu_per_half_separates_our_processes_from_the_rest_of_the_machine():
    # GIVEN cumulative CPU seconds: the driver uses 1 core in the first half and 1 in the second,
    # the producer 0.2, the broker 0.1, while the machine goes from 1.5 busy cores to 2
    samples = [{"t_s": t, "spark_driver_cpu_s": 1.0 * t, "producer_cpu_s": 0.2 * t, "broker_cpu_s": 0.1 * t,
                "machine_busy_cpu_s": 1.5 * t if t <= 50 else 75 + 2.0 * (t - 50), "machine_steal_cpu_s": 0.0}
               for t in range(0, 101, 5)]
    batches = [{"t_s": t, "query": "events_quarantine", "input_rows": 5000} for t in range(0, 100, 5)]
    # WHEN it is summarised
    cpu = cpu_summary(samples, batches, run_s=100)
    # THEN the second half shows more of the machine used by others, at the same driver cost per event
    assert cpu["first_half"]["spark_driver_cores"] == 1.0
    assert cpu["first_half"]["other_cores"] == 0.2
    assert cpu["second_half"]["other_cores"] == 0.7
    assert cpu["first_half"]["spark_driver_cpu_ms_per_1000_events"] == cpu["second_half"]["spark_driver_cpu_ms_per_1000_events"] == 1000.0
    assert cpu_summary([], [], run_s=100)["first_half"]["spark_driver_cores"] is None


def test_cpu_seconds_are_read_from_proc():
    # GIVEN this process, after some work
    sum(i * i for i in range(300_000))
    mine = cpu_seconds(os.getpid())
    assert mine is not None and mine > 0
    assert cpu_seconds(2**22 + 7) is None  # no such process
    machine = machine_cpu_seconds()
    assert machine["machine_busy_cpu_s"] >= mine


def test_the_soak_and_the_bench_start_node_with_the_images_flags_which_pin_the_young_generation():
    # GIVEN the producer image's ENTRYPOINT flags
    flags = producer_image_node_args()
    semi_space = {flag.split("=")[0]: flag.split("=")[1] for flag in flags if "semi-space-size" in flag}
    # THEN the young generation is pinned (min = max), so RSS does not climb towards it for hours
    assert set(semi_space) == {"--min-semi-space-size", "--max-semi-space-size"}
    assert semi_space["--min-semi-space-size"] == semi_space["--max-semi-space-size"]
    # AND a command built with them passes them to node before the bundle
    cmd = producer_bundle_command("produce", "--count", "1", node_args=(*flags, "--trace-gc"))
    assert cmd[1 : len(flags) + 2] == [*flags, "--trace-gc"]
    assert cmd[len(flags) + 2 :] == [str(PRODUCER_BUNDLE), "produce", "--count", "1"]



def test_a_soak_is_rebuilt_from_its_logs_with_times_from_its_minute_lines():
    from bench.soak_from_logs import interpolated_time, minute_marks, progress_records

    marks = minute_marks("== soak\n   t=60s producer 1 MiB, Spark driver 2 MiB, batches 30\n   t=120s producer 1 MiB, Spark driver 2 MiB, batches 90\n")
    assert marks == [(0.0, 0), (60.0, 30), (120.0, 90)]
    assert [interpolated_time(i, marks) for i in (0, 15, 30, 60, 90)] == [0.0, 30.0, 60.0, 90.0, 120.0]
    log = 'x\nSPARK_PROGRESS {"query":"w","batch_id":1}26/12/06 WARN glued\nSPARK_PROGRESS {"query":"w","batch_id":2}\n'
    assert [r["batch_id"] for r in progress_records(log)] == [1, 2]


def _loads(loads, run_s: float = 600.0, warm_up: tuple = ()) -> list[dict]:
    """Samples with a 1-minute load each: `warm_up` ones before the measured run (t_s < 0), then `loads` spread over it."""
    before = [{"t_s": -10.0 * (len(warm_up) - i), "load_1min": load} for i, load in enumerate(warm_up)]
    step = run_s / max(1, len(loads) - 1)
    return before + [{"t_s": i * step, "load_1min": load} for i, load in enumerate(loads)]


def test_a_soak_on_a_quiet_machine_whose_load_stays_at_or_below_3_is_valid_whatever_its_warm_up_did():
    # The warm-up (JIT, state filling) may load the machine; only the measured run is judged
    verdict = load_verdict(_loads([0.8, 1.4, 3.0, 1.1], warm_up=(4.4, 3.6)), 0.3, 600.0)
    assert verdict["valid"] is True and verdict["reason"] is None
    assert verdict["max_load_in_run"] == 3.0
    assert verdict["load_at_measured_start"] == 0.8 and verdict["load_at_measured_end"] == 1.1


@pytest.mark.parametrize("loads, at_start, reason", [
    ([0.8, 3.2, 1.0], 0.3, "up to 3.20 > 3.0 in the measured run"),
    ([0.8, 1.0], 1.2, "1.20 >= 1.0 at the start"),
])
def test_a_soak_started_on_a_busy_machine_or_loaded_above_3_while_measured_is_not_valid(loads, at_start, reason):
    verdict = load_verdict(_loads(loads), at_start, 600.0)
    assert verdict["valid"] is False
    assert reason in verdict["reason"]


def test_a_soak_without_load_samples_in_its_measured_run_is_not_valid():
    assert load_verdict(_loads([], warm_up=(0.5,)), 0.2, 600.0) == {"valid": False, "reason": "no load samples in the measured run"}


def test_a_negative_warm_up_names_the_value(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--warm-up-s", "-5"])
    assert "--warm-up-s=-5" in capsys.readouterr().err


def _hsperfdata(counters: dict[str, int], little_endian: bool = True) -> bytes:
    """A HotSpot performance-data file holding `counters` as long scalars, plus one string entry."""
    order = "<" if little_endian else ">"
    entries = b""
    for name, value in [*counters.items(), ("sun.rt.javaCommand", None)]:
        encoded = name.encode() + b"\0"
        name_offset = 20
        data_offset = name_offset + len(encoded) + (-(name_offset + len(encoded)) % 8)
        payload = struct.pack(order + "q", value) if value is not None else b"main\0\0\0\0"
        length = data_offset + len(payload)
        vector_length = 0 if value is not None else len(payload)
        kind = ord("J") if value is not None else ord("B")
        entry = struct.pack(order + "iiibbbbi", length, name_offset, vector_length, kind, 0, 0, 0, data_offset)
        entries += (entry + encoded).ljust(data_offset, b"\0") + payload
    prologue = b"\xca\xfe\xc0\xc0" + struct.pack(order + "bbbbiiqii", 1 if little_endian else 0, 2, 0, 1,
                                                       32 + len(entries), 0, 0, 32, len(counters) + 1)
    return prologue + entries


@pytest.mark.parametrize("little_endian", [True, False])
def test_the_jvms_heap_comes_from_its_performance_data_file_as_jstat_reads_it(little_endian):
    mib = 2**20
    counters = {"sun.gc.generation.0.space.0.used": 9 * mib, "sun.gc.generation.0.space.1.used": 0,
                "sun.gc.generation.0.space.2.used": 1 * mib, "sun.gc.generation.1.space.0.used": 20 * mib,
                "sun.gc.collector.1.invocations": 3}
    parsed = parse_hsperfdata(_hsperfdata(counters, little_endian))
    assert parsed == counters  # the string entry is skipped
    assert parse_hsperfdata(b"not a perf-data file" * 4) is None
    assert parse_hsperfdata(_hsperfdata(counters)[:60]) is None  # cut short


def test_the_heap_of_a_jvm_that_is_gone_is_none():
    assert jvm_heap_mib(None) is None
    assert jvm_heap_mib(2**22 + 12345) is None  # no such process, no such file


def test_the_load_verdict_reports_the_threads_sampled_at_random_instants_without_judging_them():
    samples = _loads([0.8, 1.4, 2.0])
    for sample, (running, blocked) in zip(samples, [(1.0, 0.5), (2.0, 0.0), (9.0, 0.5)]):
        sample.update(runnable_mean=running, blocked_mean=blocked)
    verdict = load_verdict(samples, 0.3, 600.0)
    assert verdict["runnable_and_blocked_threads_mean_in_run"] == 4.333
    assert verdict["valid"] is True  # the kernel's 1-minute load is the rule; the sampled mean is shown beside it


@pytest.mark.parametrize("trigger_s, evenly", [(1.0, False), (1.25, False), (2.5, False), (5.0, False),
                                               (1.1, True), (1.2, True), (1.3, True), (0.8, True)])
def test_a_trigger_that_divides_5_s_meets_the_kernels_load_sample_at_one_point_of_its_micro_batch(trigger_s, evenly):
    # 12 kernel samples (a minute, 5.004 s apart): spread over the micro-batch, the largest gap is a
    # small part of it; for a divisor of 5 s every sample of the minute lands within 5 % of one point.
    assert (trigger_aliasing(trigger_s) < 0.25) is evenly
    if not evenly:
        assert trigger_aliasing(trigger_s) > 0.9


def test_the_runnable_and_blocked_counts_come_from_proc_stat():
    text = "cpu  1 2 3\nctxt 99\nprocs_running 3\nprocs_blocked 1\nsoftirq 0\n"
    assert parse_procs(text) == (3, 1)
    assert parse_procs("cpu 1 2 3\nprocs_running 3\n") is None


def test_the_producer_is_asked_for_a_full_collection_by_signal_and_old_snapshots_go_first(tmp_path):
    # GIVEN a child that records the signal it gets, and a snapshot left by an earlier request
    assert producer_full_gc_node_args(tmp_path) == ("--heapsnapshot-signal=SIGUSR2", f"--diagnostic-dir={tmp_path}")
    got = tmp_path / "got"
    child = subprocess.Popen([sys.executable, "-c",
                              "import signal, sys, time, pathlib\n"
                              f"signal.signal(signal.SIGUSR2, lambda *a: pathlib.Path({str(got)!r}).write_text('usr2'))\n"
                              "print('ready', flush=True)\n"
                              "time.sleep(20)\n"], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        (tmp_path / "Heap.1.heapsnapshot").write_text("old")
        # WHEN the soak asks for a collection
        request_producer_full_gc(child, tmp_path)
        deadline = time.monotonic() + 10
        while not got.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        # THEN the old snapshot is gone and the child got SIGUSR2
        assert not (tmp_path / "Heap.1.heapsnapshot").exists()
        assert got.read_text() == "usr2"
    finally:
        child.kill()
        child.wait()
