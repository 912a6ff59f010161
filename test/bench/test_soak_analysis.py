"""The soak's verdicts (bench/soak.py), as pure functions over made-up samples."""
from __future__ import annotations

import http.server
import threading

from bench.soak import batch_summary, floor, mark_compact_live_mib, memory_verdict, producer_heap_mib
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


def test_state_rows_are_reported_per_half_of_the_run():
    batches = [
        {"t_s": 10, "query": "windows", "input_rows": 5, "batch_duration_ms": 100, "state_rows": 300},
        {"t_s": 20, "query": "windows", "input_rows": 5, "batch_duration_ms": 120, "state_rows": 700},
        {"t_s": 70, "query": "windows", "input_rows": 5, "batch_duration_ms": 110, "state_rows": 650},
    ]
    summary = batch_summary(batches, run_s=100)["windows"]
    assert summary["state_rows_max"] == {"first_half": 700, "second_half": 650}
    assert summary["second_to_first_median_ratio"] == round(110 / 110, 2)


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

