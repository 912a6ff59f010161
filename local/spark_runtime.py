"""Spark on this machine: the Kafka connector jars, the flight event validator's jar, S3A's jars
when a session writes s3a://, and a small local SparkSession.

The versions come from versions.json only. The pyspark installed in the venv must be the Spark
of versions.json, because the connector is built for exactly one Spark version; a mismatch fails
late and obscurely ("Failed to find data source: kafka", NoClassDefFoundError ...), so it is
checked first here.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from local.maven import classpath, resolve_jars
from local.validator import local_file_system_jar, validator_jar
from local.versions import PROJECT_ROOT, versions

CONNECTOR_POM = PROJECT_ROOT / "local" / "spark" / "pom.xml"
S3A_POM = PROJECT_ROOT / "local" / "spark-s3a" / "pom.xml"

S3A_CONF_PREFIX = "spark.hadoop.fs.s3a."
"""A session whose conf has a key under it writes s3a:// (the job's spark_conf adds one for an s3a://
checkpoint), so it gets S3A's jars (s3a_jars)."""

LOCAL_FILE_SYSTEM = "flightanalytics.localfs.NioPermissionsLocalFileSystem"
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
    "spark.ui.showConsoleProgress": "false",
    # Local checkpoints and outputs (file://). Without Hadoop's native library, every file the local
    # FileSystem creates, renames or resolves runs a subprocess (chmod, readlink), and the default
    # FileContext-based checkpoint manager resolves symlinks on every rename: a Java Flight Recorder
    # run of the job over 1.5 M events saw 4,255 processes started in 110 s, mostly for the state
    # stores' changelog files and their .crc checksums. The FileSystem-based manager avoids the
    # symlink resolution. A cluster writes s3a:// with the abortable manager (settings.py).
    # The file system is a checksummed LocalFileSystem that sets permissions with java.nio instead
    # of a chmod subprocess (local/java/). It must stay a LocalFileSystem: Hadoop casts the file://
    # file system to one (FileSystem.getLocal), and with the raw one (no .crc files, once set here
    # for speed) every RocksDB snapshot upload failed in the state stores' maintenance, which Spark
    # logs as a warning and ignores: no snapshot was ever written, so no changelog file was ever
    # deleted and a restart had to replay every batch's changelog (found by a 6,300 s soak;
    # test_state_checkpoints.py). S3A's upload buffers cast it the same way.
    "spark.sql.streaming.checkpointFileManagerClass": LOCAL_CHECKPOINT_FILE_MANAGER,
    "spark.hadoop.fs.file.impl": LOCAL_FILE_SYSTEM,
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


def pyspark_hadoop_version() -> str:
    """The Hadoop client pyspark ships (jars/hadoop-client-api-<version>.jar): hadoop-aws must be the
    same release, as the image build takes it from the base image's jar of the same name."""
    import pyspark

    jars_dir = Path(pyspark.__file__).parent / "jars"
    found = sorted(jars_dir.glob("hadoop-client-api-*.jar"))
    if len(found) != 1:
        raise RuntimeError(
            f"expected one hadoop-client-api-<version>.jar in {jars_dir}, found {[j.name for j in found]}; "
            "reinstall pyspark: .venv/bin/pip install --force-reinstall -r spark-jobs/requirements.txt"
        )
    return found[0].name.removeprefix("hadoop-client-api-").removesuffix(".jar")


def s3a_jars() -> list[Path]:
    """hadoop-aws (with its AWS SDK bundle) and spark-hadoop-cloud, as the Spark image has them
    (local/spark-s3a/pom.xml), resolved from Maven Central on first use."""
    v = versions()
    spark, scala, hadoop = v["spark"], v["scalaBinary"], pyspark_hadoop_version()
    jar_dir = resolve_jars(
        S3A_POM,
        {"spark.version": spark, "scala.binary": scala, "hadoop.version": hadoop},
        f"spark-s3a-{spark}-{scala}-hadoop-{hadoop}",
    )
    return classpath(jar_dir)


def uses_s3a(conf: dict[str, str]) -> bool:
    """Whether a session with this conf writes s3a:// (see S3A_CONF_PREFIX)."""
    return any(key.startswith(S3A_CONF_PREFIX) for key in conf)


def local_session(app_name: str, master: str = "local[2]", extra_conf: dict[str, str] | None = None):
    """A SparkSession for this machine, with the Kafka connector and the flight event validator
    (local.validator, compiled on first use) on its classpath, and S3A's jars if the conf configures
    S3A (uses_s3a).

    `extra_conf` overrides DEFAULT_CONF. Settings that size the JVM (driver memory, jars) only take
    effect if no SparkSession is running yet in this process. Settings the code does not know (an S3
    endpoint, say) come from Spark's own spark-defaults.conf in $SPARK_CONF_DIR.
    """
    check_pyspark_version()
    from pyspark.sql import SparkSession

    jars = [*connector_jars(), validator_jar()]
    conf = {**DEFAULT_CONF, "spark.jars": ",".join(str(j) for j in jars), **(extra_conf or {})}
    # On the JVM's own classpath: Hadoop loads file systems with its own class loader, before any
    # spark.jars is added. S3A's jars go there too, as in the image's /opt/spark/jars (spark.jars
    # would also copy the 641 MB SDK bundle into the session's userFiles folder on every start).
    jvm_classpath = [local_file_system_jar(), *(s3a_jars() if uses_s3a(conf) else [])]
    classpath_conf = os.pathsep.join(str(j) for j in jvm_classpath)
    conf = {"spark.driver.extraClassPath": classpath_conf, "spark.executor.extraClassPath": classpath_conf, **conf}
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session
