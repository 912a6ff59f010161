"""The micro-batch half of `make soak`'s analysis, rebuilt from a run's logs when its results file
was not written (the 2026-12-06 run lost its analysis to one glued stderr line, since fixed).

Each SPARK_PROGRESS record's time is interpolated from the soak's own minute lines
("t=<s>s ... batches <records so far>"), so times are good to about a minute; the batch
durations, rows and state sizes are the job's own. Memory samples and class histograms lived only
in the soak's process and cannot be rebuilt. The checkpoint folder's growth comes from its files'
modification times.

    .venv/bin/python -m bench.soak_from_logs --soak-log soak-run.log --job-log .state/soak/job-stderr.log \\
        --checkpoints .state/soak/checkpoints --seconds 6300 --min-batches 3000 --load-average-at-start 0.56 \
        --out bench/results/soak-....json
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from bench.soak import batch_summary, batches_verdict, medians_per_period, rocksdb_pool_mib

MINUTE_LINE = re.compile(r"t=(\d+)s .* batches (\d+)")


def minute_marks(soak_log: str) -> list[tuple[float, int]]:
    """(seconds into the run, progress records seen by then), from the soak's minute lines."""
    marks = [(0.0, 0)]
    for line in soak_log.splitlines():
        if (m := MINUTE_LINE.search(line)) is not None:
            marks.append((float(m.group(1)), int(m.group(2))))
    return marks


def progress_records(job_log: str) -> list[dict]:
    """Every SPARK_PROGRESS record, the first JSON value after the marker (text glued after it ignored)."""
    decoder = json.JSONDecoder()
    return [decoder.raw_decode(line.split("SPARK_PROGRESS ", 1)[1])[0] for line in job_log.splitlines() if "SPARK_PROGRESS " in line]


def interpolated_time(index: int, marks: list[tuple[float, int]]) -> float:
    """When the index-th record arrived, by linear interpolation between minute marks."""
    for (t0, k0), (t1, k1) in zip(marks, marks[1:]):
        if k0 <= index < k1:
            return t0 + (t1 - t0) * (index - k0) / (k1 - k0)
    (t0, k0), (t1, k1) = marks[-2], marks[-1]
    return t1 + (index - k1) * (t1 - t0) / max(1, k1 - k0)


def checkpoint_growth(folder: Path, quarters: int = 4) -> list[dict]:
    """Per query folder, files and MiB written by each quarter of the time between its first and last file, cumulative."""
    result = []
    for query in sorted(p for p in folder.iterdir() if p.is_dir()):
        stats = (os.stat(Path(root) / name) for root, _, names in os.walk(query) for name in names)
        stamps = sorted((stat.st_mtime, stat.st_size) for stat in stats)
        if not stamps:
            continue
        first, last = stamps[0][0], stamps[-1][0]
        points = []
        for q in range(1, quarters + 1):
            cut = first + q * (last - first) / quarters
            kept = [size for t, size in stamps if t <= cut]
            points.append({"quarter": q, "files": len(kept), "mib": round(sum(kept) / 2**20, 1)})
        result.append({"query": query.name, "files": len(stamps), "by_quarter": points})
    return result


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench.soak_from_logs", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--soak-log", type=Path, required=True, help="the soak's stdout (its minute lines)")
    p.add_argument("--job-log", type=Path, required=True, help="the job's stderr (job-stderr.log in the soak's work dir)")
    p.add_argument("--checkpoints", type=Path, help="the job's checkpoint folder, to measure its growth")
    p.add_argument("--seconds", type=float, required=True, help="the run's --seconds")
    p.add_argument("--min-batches", type=int, default=0)
    p.add_argument("--load-average-at-start", type=float, required=True,
                   help="the 1-minute load average read (uptime) just before the soak started; the soak records it itself since 2026-12-06")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    marks = minute_marks(args.soak_log.read_text())
    records = progress_records(args.job_log.read_text(errors="replace"))
    batches = [{"t_s": round(interpolated_time(i, marks), 1), "query": r["query"], "batch_id": r["batch_id"],
                "input_rows": r["input_rows"], "batch_duration_ms": r["batch_duration_ms"], "state_bytes": r.get("state_bytes"),
                "state_memory_bytes": r.get("state_memory_bytes"), "state_file_bytes": r.get("state_file_bytes")}
               for i, r in enumerate(records)]
    in_run = [b for b in batches if 0 <= b["t_s"] <= args.seconds]
    summary = batch_summary(in_run, args.seconds)
    result = {
        "benchmark": "soak (micro-batches, rebuilt from logs)",
        "method": __doc__.strip().split("\n\n")[1],
        "config": {"seconds": args.seconds, "min_batches": args.min_batches, "load_average_1m_at_start": args.load_average_at_start},
        "progress_records": len(records),
        "summary": {
            "spark_batches": summary,
            "spark_batches_verdict": batches_verdict(batches, summary, args.seconds, args.min_batches, rocksdb_pool_mib()),
            "spark_batch_median_ms_per_10_min": medians_per_period(in_run, args.seconds),
            "checkpoint_growth": checkpoint_growth(args.checkpoints) if args.checkpoints else None,
        },
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result["summary"]["spark_batches_verdict"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
