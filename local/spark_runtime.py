"""Spark on this machine: the Kafka connector jars, the flight event validator's jar, and a small
local SparkSession.

The versions come from versions.json only. The pyspark installed in the venv must be the Spark
of versions.json, because the connector is built for exactly one Spark version; a mismatch fails
late and obscurely ("Failed to find data source: kafka", NoClassDefFoundError ...), so it is
checked first here.
"""
from __future__ import annotations

import sys
from pathlib import Path

from local.maven import classpath, resolve_jars
from local.validator import validator_jar
from local.versions import PROJECT_ROOT, versions

CONNECTOR_POM = PROJECT_ROOT / "local" / "spark" / "pom.xml"

LISTING_THRESHOLD_KEY = "spark.sql.sources.parallelPartitionDiscovery.threshold"
SPARK_DEFAULT_LISTING_THRESHOLD = 32
"""Above this many folders at one level, Spark lists them with a job of one task per folder."""

LOCAL_CHECKPOINT_FILE_MANAGER = "org.apache.spark.sql.execution.streaming.checkpointing.FileSystemBasedCheckpointFileManager"

DEFAULT_CONF = {
    # Two cores are shared with other work; a handful of shuffle partitions keeps small batches fast.
    # It cannot change once a stateful query has checkpointed, so pick it before the first run.
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.driver.memory": "2g",
    "spark.sql.session.timeZone": "UTC",
    # Local servers bind to loopback only: without these the driver picks the first non-loopback
    # interface (and says so in a warning).
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    # The analytics stream events/, one batch_id=<n> folder per batch. Past 32 folders Spark lists
    # them with a job of one task per folder, every trigger of each query; in local mode those tasks
    # only share the driver's cores, and the driver's status store keeps them (1,000 stages, ever
    # larger). The driver lists them itself: no listing tasks, and 0.13 s instead of 1.5 s per
    # trigger at 300 folders (docs/spark-job.md, "Parse once"). A cluster keeps Spark's parallel listing.
    LISTING_THRESHOLD_KEY: "1000000",
    "spark.ui.showConsoleProgress": "false",
    # Local checkpoints and outputs (file://). Without Hadoop's native library, every file the local
    # FileSystem creates, renames or resolves runs a subprocess (chmod, readlink), and the default
    # FileContext-based checkpoint manager resolves symlinks on every rename: a Java Flight Recorder
    # run of the job over 1.5 M events saw 4,255 processes started in 110 s, mostly for the state
    # stores' changelog files and their .crc checksums. The FileSystem-based manager and the raw
    # local file system (no .crc files) leave 1,318, and took that run from 101 s to 87 s.
    # A cluster writes s3a:// with the abortable manager (settings.py) and is not affected.
    "spark.sql.streaming.checkpointFileManagerClass": LOCAL_CHECKPOINT_FILE_MANAGER,
    "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
}


class SparkVersionMismatch(RuntimeError):
    """The installed pyspark is not the Spark named in versions.json."""


def check_pyspark_version() -> str:
    """Return the Spark version, or raise if the installed pyspark is another one."""
    import pyspark

    wanted = versions()["spark"]
    if pyspark.__version__ != wanted:
        raise SparkVersionMismatch(
            f"pyspark {pyspark.__version__} is installed ({Path(pyspark.__file__).parent}) but versions.json "
            f"says spark {wanted}; the Kafka connector jars must match Spark exactly. "
            f"Fix: .venv/bin/pip install -r spark-jobs/requirements.txt (it pins pyspark=={wanted})."
        )
    return wanted


def connector_jars() -> list[Path]:
    """The spark-sql-kafka connector and what it needs beyond pyspark's own jars, resolved from Maven Central."""
    v = versions()
    spark, scala = v["spark"], v["scalaBinary"]
    major, minor = spark.split(".")[:2]
    jar_dir = resolve_jars(
        CONNECTOR_POM,
        {
            "spark.version": spark,
            "scala.binary": scala,
            # See local/spark/pom.xml: the token provider is not served for every patch release.
            "spark.tokenProvider.versionRange": f"[{major}.{minor}.0,{spark}]",
        },
        f"spark-kafka-{spark}-{scala}",
    )
    jars = classpath(jar_dir)
    token_provider = [j.name for j in jars if j.name.startswith("spark-token-provider-kafka")]
    if token_provider and not token_provider[0].endswith(f"-{spark}.jar"):
        print(
            f"note: Maven Central has no {token_provider[0].rsplit('-', 1)[0]}-{spark}.jar; "
            f"using {token_provider[0]} from the same Spark line",
            file=sys.stderr,
        )
    return jars


def local_session(app_name: str, master: str = "local[2]", extra_conf: dict[str, str] | None = None):
    """A SparkSession for this machine, with the Kafka connector and the flight event validator
    (local.validator, compiled on first use) on its classpath.

    `extra_conf` overrides DEFAULT_CONF. Settings that size the JVM (driver memory, jars) only take
    effect if no SparkSession is running yet in this process.
    """
    check_pyspark_version()
    from pyspark.sql import SparkSession

    jars = [*connector_jars(), validator_jar()]
    conf = {**DEFAULT_CONF, "spark.jars": ",".join(str(j) for j in jars), **(extra_conf or {})}
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session
