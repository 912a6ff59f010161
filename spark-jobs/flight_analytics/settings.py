"""Production Spark settings, written once in spark-settings.json next to this file: the job's own
session reads them through spark_conf, and the SparkApplication manifest (k8s/spark-conf.ts) reads
the same file.

    from flight_analytics.settings import spark_conf
    spark_conf(checkpoint_dir="s3a://bucket/checkpoints", shuffle_partitions=24)  # -> {"spark....": "..."}

Why each one:
- RocksDB state store with changelog checkpointing: window and de-duplication state lives off the
  JVM heap, and each micro-batch uploads only the changed keys instead of a full snapshot.
- spark.sql.shuffle.partitions: the number of state-store partitions of every stateful query. It
  is fixed by the first checkpoint and cannot change later, so size it before the first run
  (about 2-3x the executor cores of the cluster, which the capacity plan does; the local default is
  4 for 2 cores).
- spark.sql.session.timeZone=UTC: windows and dates mean the same thing on every machine.
- spark.sql.streaming.metricsEnabled: streaming query metrics (input rate, processing rate,
  latency) on the Spark metrics system (the Prometheus exporter on a cluster).
- spark.sql.codegen.hugeMethodLimit=8000: HotSpot never JIT-compiles a method over 8000 bytes of
  bytecode; it interprets it. Under whole-stage codegen a wide stage can generate such a method, and
  Spark's default limit (65535) then leaves it interpreted; at 8000 Spark falls back to
  per-expression code that is JIT-compiled. Measured when validation was 57 Spark expressions
  (parse+validate ~40% less CPU); validation is one Java parser now, and the limit still guards the
  other stages.
- spark.sql.streaming.stateStore.rocksdb.trackTotalNumberOfRows=false: to count its rows, the
  RocksDB store reads every key before it writes or deletes it; the de-duplication writes one key per
  event and deletes it later, so that was two of its three reads per event (its task CPU per event
  fell by a third without them, make bench-spark). Spark then reports 0 state rows: the job reports
  state bytes instead (progress.py).
- spark.sql.streaming.stateStore.rocksdb.boundedMemoryUsage=true with maxMemoryUsageMB: every
  RocksDB store of a JVM (one per stateful operator and shuffle partition) shares one block cache
  and one write-buffer budget, and together they hold at most that many MB (a soft limit: RocksDB
  may overshoot briefly). Unbounded, each store keeps its own block cache (8 MB by Spark's default)
  and memtables (up to 64 MB x 2 by RocksDB's), so a JVM's RocksDB memory scales with its store
  count, which the shuffle partitions set, and has no figure to size a pod by. The caches also keep
  blocks of files compaction has deleted until they need the room, so they fill slowly: the
  2026-12-07 19:35 soak saw the windows query's state bytes (memory plus files) rise 48 -> 60 MiB in
  100 minutes while its checkpoints stayed flat. With the pool, the 22:41 soak's state memory
  filled over ~35 minutes and then held at ~230 MiB (docs/topology.md#soak): an explicit bound,
  not a smaller one. 256 here (local[2]); on the cluster the capacity plan gives half of an
  executor's memory overhead (deploy/plan/capacity-plan.ts, k8s/spark-conf.ts). Spark then reports
  each store's share of the pool as its memory (the pool's use / the stores in the JVM).
- spark.sql.objectHashAggregate.sortBased.fallbackThreshold=65536: the windows' aggregation holds a
  percentile sketch, so Spark runs it as an object hash aggregate, which by default gives up on
  hashing past 128 groups per task and sorts every input row instead (a twentieth of the job's task
  CPU in a profile). A batch has thousands of (family, key, window) groups; 65,536 keeps them hashed
  (a few KB each).
- spark.sql.hive.filesourcePartitionFileCacheSize=0: Spark keeps a session-wide cache of file
  listings, filled by every spark.read of a folder; the events query reads back each batch's own
  events/ folder for the positions, a new folder every batch, so no entry is ever read again and the
  cache only grows (to its 250 MB default bound) in the driver's heap: the soak's growing classes
  were Hadoop file statuses. 0 turns that cache off (the cached listings are used only within one
  read otherwise).
- spark.sql.codegen.cache.maxEntries=1000: Spark compiles the code it generates for each plan and
  keeps the classes in one JVM-wide cache, keyed by the code's text and the thread's class loader,
  100 entries by default (a Guava cache of 4 segments, 25 each). The job's queries generate about
  135 distinct classes, compiled once on the driver and once in the tasks (two class loaders), so
  the default cache evicted them in turn and Spark recompiled the same text every micro-batch: 726
  compilations in a 1 M-event run, 158 with 1,000 entries. Each recompiled class is also new code
  for the JIT: the compiler threads took ~0.5 of a core all through a run before, and fall to
  ~0.15-0.2 after three minutes now. With the listener relay (progress.py), the JVM's CPU per event
  in steady state fell from 88 to 79 µs in make bench-spark (docs/spark-job.md).
  Classes for text that never comes back (a watermark's literal) still age out.
- spark.scheduler.mode=FAIR: each query's Spark jobs run in a scheduler pool of their own (named
  after the query, sinks.run_in_pool), and the pools share the executors' task slots equally. Under
  the default (FIFO) the query whose jobs came first took every slot while its tasks lasted, so the
  events query ran ahead and the windows query, which every event must also pass, fell behind: in
  make bench-spark's steady interval (a warm JVM) the events query did 39,090 events/s and the
  windows query 25,916, and the job's rate is the slower one's. The two cost about the same task
  CPU per event, so equal shares should let them move together; measured, the gap narrowed in one
  run and not in the next, so a gain in rate is not shown (docs/spark-job.md).
- JVM options -XX:+UseParallelGC (javaOptions: the driver's and the executors'): the throughput
  collector instead of G1, the JVM's default. The job allocates a row's worth of short-lived objects
  per event and keeps its state off the heap (RocksDB), so young collections are nearly all the GC
  there is, and the parallel collector's are cheap and its write barrier lighter than G1's. Our job
  alone (bench.spark_bench --only flight-analytics, 6 M events): 24.8 µs of JVM CPU per event in
  steady state against 25.8 with G1, the same code, two runs (docs/spark-job.md).
- On s3a:// checkpoints, a rename is a copy (SPARK-40039): the abortable stream-based checkpoint
  file manager (spark-hadoop-cloud, with hadoop-aws) writes each checkpoint file in place, and S3A
  takes its credentials from the pod's identity (EKS Pod Identity), never from keys in the conf.
- On the cluster only (k8s/spark-conf.ts): S3A as the s3a:// file system, and no dynamic
  allocation, which is not streaming-aware (it scales on task backlog, not Kafka lag, and moves
  RocksDB state when it removes an executor).
The micro-batch trigger on the cluster comes from the capacity plan (k8s/spark-job-chart.ts).
"""
from __future__ import annotations

import json
from pathlib import Path

SETTINGS_FILE = Path(__file__).with_name("spark-settings.json")
"""The data file; the Spark image carries it with the package."""

_SETTINGS: dict[str, dict[str, str] | str] = json.loads(SETTINGS_FILE.read_text(encoding="utf-8"))

ABORTABLE_CHECKPOINT_FILE_MANAGER = _SETTINGS["s3aCheckpoints"]["spark.sql.streaming.checkpointFileManagerClass"]

JAVA_OPTIONS = _SETTINGS["javaOptions"]
"""The JVM options of the driver and the executors. They take effect when the JVM starts: in the
job's own session (the first in its process) as spark.driver/executor.extraJavaOptions, on the
cluster as the SparkApplication's javaOptions (k8s/spark-conf.ts)."""

DEFAULT_SHUFFLE_PARTITIONS = 4
"""For local[2]; a cluster passes its own (see the module docstring)."""


def spark_conf(checkpoint_dir: str | None = None, shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS) -> dict[str, str]:
    """The sparkConf of the flight analytics job's own session, as strings. The SparkApplication's
    comes from the same file through k8s/spark-conf.ts, which gives the JVM options as javaOptions
    instead of the extraJavaOptions keys here.

    `checkpoint_dir` decides whether the S3 settings are needed: an s3a:// location adds the
    abortable checkpoint file manager and the S3A credentials chain of the pod's identity.
    """
    if shuffle_partitions < 1:
        raise ValueError(f"shuffle_partitions={shuffle_partitions}: expected an integer >= 1 (about 2-3x the executor cores)")
    conf = {
        **_SETTINGS["everywhere"],
        "spark.driver.extraJavaOptions": JAVA_OPTIONS,
        "spark.executor.extraJavaOptions": JAVA_OPTIONS,
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
    }
    if checkpoint_dir is not None and checkpoint_dir.startswith("s3a://"):
        conf.update(_SETTINGS["s3aCheckpoints"])
    return conf
