"""make bench-producer's bookkeeping (bench/producer_bench.py) over made-up runs: which runs count,
medians, ratios, latency percentiles, and the refusal to start on a busy machine. No broker, no JVM."""
from __future__ import annotations

import os

import bench.producer_bench
from bench.producer_bench import measured, percentile, summarize


def run(client: str, rep: int, msgs_per_sec: float, load: float, *, compression: str = "none", workers: int = 1,
        p50: float | None = 5.0, p99: float | None = 20.0, others_cores: float | None = 0.02, load_after: float = 1.5) -> dict:
    return measured({"client": client, "compression": compression, "workers": workers, "repetition": rep,
                     "messages": 300_000, "msgs_per_sec": msgs_per_sec, "mb_per_sec": msgs_per_sec / 1800,
                     "p50_ms": p50, "p99_ms": p99, "latency_kind": "made up"}, load, 0.0, others_cores, load_after)


def test_a_run_taken_above_the_busy_load_is_recorded_but_left_out_of_medians_and_ratios():
    # GIVEN three repetitions of ours and ProducerPerformance, the second of ours taken at load 5
    runs = [
        run("flight-producer", 1, 200_000, 0.5), run("kafka-producer-perf-test", 1, 100_000, 0.6),
        run("flight-producer", 2, 900_000, 5.0), run("kafka-producer-perf-test", 2, 100_000, 0.7),
        run("flight-producer", 3, 240_000, 0.4), run("kafka-producer-perf-test", 3, 120_000, 0.5),
    ]
    # WHEN summarized
    ours = next(m for m in summarize(runs) if m["client"] == "flight-producer")
    # THEN the busy run is marked and counted as invalid, and neither its rate nor its ratio (9x) is used
    busy = runs[2]
    assert busy["valid"] is False and "5.00 > 3.0" in busy["invalid_reason"]
    assert busy["load_avg_1m_before"] == 5.0 and "load_avg_1m_after" in busy
    assert ours["repetitions"] == 2 and ours["invalid_runs"] == 1
    assert ours["msgs_per_sec"] == 220_000 and ours["per_repetition_msgs_per_sec"] == [200_000, 240_000]
    assert ours["ratio_to_producer_performance"] == 2.0


def test_ours_is_also_compared_with_confluent_kafka_repetition_by_repetition():
    # GIVEN two repetitions of ours, ProducerPerformance and confluent-kafka, on a machine twice as fast in the second
    runs = [
        run("flight-producer", 1, 150_000, 0.5), run("kafka-producer-perf-test", 1, 100_000, 0.5), run("confluent-kafka", 1, 200_000, 0.5),
        run("flight-producer", 2, 330_000, 0.5), run("kafka-producer-perf-test", 2, 200_000, 0.5), run("confluent-kafka", 2, 300_000, 0.5),
    ]
    # WHEN summarized
    medians = summarize(runs)
    ours = next(m for m in medians if m["client"] == "flight-producer")
    librdkafka = next(m for m in medians if m["client"] == "confluent-kafka")
    # THEN ours gets the median of its per-repetition ratios to each peer (0.75 and 1.1; 1.5 and 1.65),
    # not the ratio of the medians (240,000 / 250,000 = 0.96), and only ours is compared with confluent-kafka
    assert ours["ratio_to_confluent_kafka"] == 0.925
    assert ours["ratio_to_producer_performance"] == 1.575
    assert "ratio_to_confluent_kafka" not in librdkafka and librdkafka["ratio_to_producer_performance"] == 1.75


def test_a_run_during_which_other_processes_used_the_cpu_is_left_out_too():
    runs = [run("flight-producer", 1, 200_000, 0.5, others_cores=0.9), run("kafka-producer-perf-test", 1, 100_000, 0.5)]
    ours = next(m for m in summarize(runs) if m["client"] == "flight-producer")
    assert runs[0]["valid"] is False and runs[0]["others_cores"] == 0.9 and "0.90 cores" in runs[0]["invalid_reason"]
    assert ours["msgs_per_sec"] is None and ours["invalid_runs"] == 1 and ours["ratio_to_producer_performance"] is None


def test_a_run_that_ended_above_the_busy_load_is_left_out_too():
    runs = [run("flight-producer", 1, 200_000, 0.5, load_after=3.4), run("kafka-producer-perf-test", 1, 100_000, 0.5)]
    ours = next(m for m in summarize(runs) if m["client"] == "flight-producer")
    assert runs[0]["valid"] is False and "3.40 > 3.0 at the end of the run" in runs[0]["invalid_reason"]
    assert ours["msgs_per_sec"] is None and ours["invalid_runs"] == 1


def test_a_repetition_whose_peer_run_was_busy_gives_no_ratio():
    runs = [run("flight-producer", 1, 200_000, 0.5), run("kafka-producer-perf-test", 1, 100_000, 4.0)]
    medians = summarize(runs)
    ours = next(m for m in medians if m["client"] == "flight-producer")
    peer = next(m for m in medians if m["client"] == "kafka-producer-perf-test")
    assert ours["ratio_to_producer_performance"] is None
    assert peer["msgs_per_sec"] is None and peer["repetitions"] == 0 and peer["invalid_runs"] == 1


def test_p50_and_p99_are_reported_next_to_the_rate_and_missing_when_any_run_lacks_them():
    runs = [run("confluent-kafka", r, 290_000, 0.5, p50=4.0 + r, p99=30.0 + r) for r in (1, 2, 3)]
    [m] = summarize(runs)
    assert (m["p50_ms"], m["p99_ms"]) == (6.0, 32.0)
    [m] = summarize([run("kafka-python", 1, 5_000, 0.5, p50=None), run("kafka-python", 2, 5_000, 0.5)])
    assert m["p50_ms"] is None and m["p99_ms"] == 20.0


def test_percentiles_are_nearest_rank():
    samples = [float(v) for v in range(1, 101)]
    assert (percentile(samples, 50), percentile(samples, 99), percentile(samples, 100)) == (50.0, 99.0, 100.0)
    assert percentile([7.26], 99) == 7.3  # rounded to 0.1 ms
    assert percentile([], 50) is None


def test_a_busy_machine_stops_the_bench_before_it_builds_or_starts_anything(monkeypatch, capsys):
    monkeypatch.setattr(os, "getloadavg", lambda: (5.0, 5.0, 5.0))

    def must_not_run(*args, **kwargs):
        raise AssertionError("nothing may be built or started on a busy machine")

    monkeypatch.setattr(bench.producer_bench, "build_producer_bundle", must_not_run)
    monkeypatch.setattr(bench.producer_bench, "EmbeddedKafka", must_not_run)
    assert bench.producer_bench.main(["--wait-for-quiet-s", "0"]) == 3
    err = capsys.readouterr().err
    assert "load average is 5.00" in err and "below 1.0" in err and "--wait-for-quiet-s=0" in err
