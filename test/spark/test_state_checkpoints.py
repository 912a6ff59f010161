"""A stateful query's checkpoint stays bounded however many micro-batches it runs: the state store
maintenance uploads RocksDB snapshots, and older changelog files are then deleted.

A 6,300 s soak found the opposite: local sessions used Hadoop's raw local file system (no .crc
files, for speed), which Hadoop cannot cast to its LocalFileSystem (FileSystem.getLocal), so every
snapshot upload failed inside the maintenance thread, which Spark logs as a warning and ignores.
No snapshot was ever written, no changelog ever deleted, and a restart had to replay every batch.
"""
from __future__ import annotations

import time
from pathlib import Path

SNAPSHOT_CONF = {
    # A snapshot after every 2 changelogs, and keep 2 batches: a short run shows the cycle.
    "spark.sql.streaming.stateStore.minDeltasForSnapshot": "2",
    "spark.sql.streaming.minBatchesToRetain": "2",
    # Read once per JVM, by whichever stateful query starts first: up to Spark's 60 s default here.
    "spark.sql.streaming.stateStore.maintenanceInterval": "1s",
}
WAIT_S = 180


def test_the_local_file_system_is_the_one_hadoop_casts_to(spark):
    # FileSystem.getLocal casts the file:// file system to LocalFileSystem (RocksDB's snapshot
    # upload and S3A's upload buffers call it): with the raw one it throws a ClassCastException.
    jvm = spark._jvm
    local = jvm.org.apache.hadoop.fs.FileSystem.getLocal(spark.sparkContext._jsc.hadoopConfiguration())
    assert jvm.java.lang.Class.forName("org.apache.hadoop.fs.LocalFileSystem").isInstance(local), local.getClass().getName()


def test_the_local_file_system_sets_permissions_without_a_subprocess_and_sets_them_right(spark, tmp_path):
    # local/java/: Hadoop's raw local file system runs `chmod` for every file it creates when its
    # native library is missing (as here); this one sets the same bits with java.nio.
    jvm = spark._jvm
    local = jvm.org.apache.hadoop.fs.FileSystem.getLocal(spark.sparkContext._jsc.hadoopConfiguration())
    assert local.getClass().getName() == "flightanalytics.localfs.NioPermissionsLocalFileSystem"
    assert not jvm.org.apache.hadoop.io.nativeio.NativeIO.isAvailable(), "with Hadoop's native library this class is not needed"
    target = tmp_path / "f"
    target.write_text("x")
    for mode in (0o640, 0o755, 0o600, 0o000, 0o777):
        local.setPermission(jvm.org.apache.hadoop.fs.Path(str(target)), jvm.org.apache.hadoop.fs.permission.FsPermission(mode))
        assert target.stat().st_mode & 0o7777 == mode, (oct(mode), oct(target.stat().st_mode))
    # A folder and a file made through it: the folder gets the permission asked for (no bit of
    # 0o750 is in a umask of 022), the file its bytes and a checksum beside it.
    folder = jvm.org.apache.hadoop.fs.Path(str(tmp_path / "made" / "deeper"))
    assert local.mkdirs(folder, jvm.org.apache.hadoop.fs.permission.FsPermission(0o750))
    assert (tmp_path / "made" / "deeper").stat().st_mode & 0o777 == 0o750
    out = local.create(jvm.org.apache.hadoop.fs.Path(str(tmp_path / "made" / "file")))
    out.write(7)
    out.close()
    assert (tmp_path / "made" / "file").read_bytes() == bytes([7])
    assert (tmp_path / "made" / ".file.crc").exists(), "a LocalFileSystem writes a checksum beside each file"


def test_a_stateful_stream_uploads_snapshots_and_deletes_old_changelogs(spark, tmp_path):
    # GIVEN the job's state store settings (RocksDB, changelog checkpointing) and a de-duplicating stream
    saved = {key: spark.conf.get(key, None) for key in SNAPSHOT_CONF}
    for key, value in SNAPSHOT_CONF.items():
        spark.conf.set(key, value)
    checkpoint = tmp_path / "checkpoint"
    store = checkpoint / "state" / "0" / "0"
    query = None
    try:
        stream = (
            spark.readStream.format("rate").option("rowsPerSecond", 200).load()
            .withWatermark("timestamp", "5 seconds")
            .dropDuplicatesWithinWatermark(["value"])
        )
        # WHEN it runs micro-batch after micro-batch
        query = (stream.writeStream.format("noop").option("checkpointLocation", str(checkpoint))
                 .trigger(processingTime="200 milliseconds").start())
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and not (snapshots(store) and not changelog_exists(store, 1)):
            assert query.exception() is None, query.exception()
            time.sleep(1)
        batches = query.lastProgress["batchId"] if query.lastProgress else None
    finally:
        if query is not None:
            query.stop()
        for key, value in saved.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)
    # THEN snapshots were uploaded and the first batches' changelogs are gone
    assert snapshots(store), f"no RocksDB snapshot in {store} after {WAIT_S} s ({batches} batches): {sorted(p.name for p in store.iterdir())[:10]}"
    assert not changelog_exists(store, 1), f"1.changelog was never deleted ({batches} batches)"


def snapshots(store: Path) -> list[Path]:
    return sorted(store.glob("*.zip")) if store.exists() else []


def changelog_exists(store: Path, version: int) -> bool:
    return any(store.glob(f"{version}.changelog")) or any(store.glob(f"{version}_*.changelog"))
