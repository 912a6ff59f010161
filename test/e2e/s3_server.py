"""An S3-compatible server for end-to-end tests: moto's S3 server in its own process, on a free
127.0.0.1 port (test/e2e/moto_s3_main.py: moto's server, answering `Expect: 100-continue` once), and
what a local Spark job needs to write s3a:// to it.

    s3 = MotoS3(workdir).start()
    s3.create_bucket("flights")
    env = s3.job_env(job_env())      # the job's S3A endpoint and the test's credentials
    ...                              # run the job with --output-dir s3a://flights/out
    s3.download("flights", "out/", workdir / "out")
    s3.stop()

The job keeps its production S3 settings (settings.py): the abortable checkpoint manager and the
AWS SDK's default credentials chain, which finds the test's keys in the environment, as it finds
the pod's identity on EKS. Only what differs from AWS is added, in Spark's own spark-defaults.conf
($SPARK_CONF_DIR): the endpoint, path-style addressing and the region.
"""
from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config

from local.embedded_kafka import free_ports

REGION = "us-east-1"
TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test-only-access-key", "AWS_SECRET_ACCESS_KEY": "test-only-secret-key"}
"""moto accepts any key; these exist only in the test's processes."""

START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15


class MotoS3:
    """moto's S3 server, started and stopped by the test harness. Its access log (one line per
    request, method and path) is kept in <workdir>/moto-access.log."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_ports(1)[0]
        self.access_log = workdir / "moto-access.log"
        self._process: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoS3:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.access_log, "ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("moto_s3_main.py")), "127.0.0.1", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto's S3 server exited with code {self._process.returncode}; see {self.access_log}")
            try:
                self.client().list_buckets()
                return self
            except Exception as err:  # not listening yet
                if time.monotonic() >= deadline:
                    self.stop()
                    raise RuntimeError(f"moto's S3 server did not answer on {self.endpoint_url} within {START_TIMEOUT_S} s: {err}") from err
            time.sleep(0.2)

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=STOP_TIMEOUT_S)

    def client(self):
        return boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name=REGION,
            aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30),
        )

    def create_bucket(self, bucket: str) -> None:
        self.client().create_bucket(Bucket=bucket)

    def keys(self, bucket: str, prefix: str) -> list[str]:
        """Every object key under prefix."""
        paginator = self.client().get_paginator("list_objects_v2")
        return [item["Key"] for page in paginator.paginate(Bucket=bucket, Prefix=prefix) for item in page.get("Contents", [])]

    def download(self, bucket: str, prefix: str, dest: Path) -> Path:
        """Copy every object under prefix to dest, keeping the key's path below prefix."""
        client = self.client()
        for key in self.keys(bucket, prefix):
            if key.endswith("/"):  # a folder marker
                continue
            target = dest / key.removeprefix(prefix).lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, key, str(target))
        return dest

    def spark_conf(self) -> dict[str, str]:
        """What S3A needs to reach this server instead of AWS."""
        return {
            "spark.hadoop.fs.s3a.endpoint": self.endpoint_url,
            "spark.hadoop.fs.s3a.endpoint.region": REGION,
            "spark.hadoop.fs.s3a.path.style.access": "true",
        }

    def job_env(self, base: dict[str, str]) -> dict[str, str]:
        """The environment of a job that writes to this server: its spark-defaults.conf, and the
        test's credentials for the AWS SDK's default chain."""
        conf_dir = self.workdir / "spark-conf"
        conf_dir.mkdir(parents=True, exist_ok=True)
        (conf_dir / "spark-defaults.conf").write_text("".join(f"{k} {v}\n" for k, v in self.spark_conf().items()))
        return {
            **base,
            **TEST_CREDENTIALS,
            "SPARK_CONF_DIR": str(conf_dir),
            "AWS_REGION": REGION,
            # No instance metadata service here: the SDK must not wait for one.
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of every request the server logged, in order."""
        found = []
        for line in self.access_log.read_text(errors="replace").splitlines():
            # werkzeug: 127.0.0.1 - - [date] "PUT /bucket/key?query HTTP/1.1" 200 -
            start = line.find('"')
            if start < 0:
                continue
            parts = line[start + 1:].split(" ")
            if len(parts) >= 2 and parts[0] in ("GET", "PUT", "POST", "DELETE", "HEAD"):
                found.append((parts[0], parts[1]))
        return found


@dataclass(frozen=True)
class S3Checkpoint:
    """One query's checkpoint folder on the server, for streaming_job.run_job_and_kill."""

    s3: MotoS3
    bucket: str
    prefix: str
    """Without a trailing slash, e.g. ck/events_quarantine."""

    @property
    def name(self) -> str:
        return self.prefix.rsplit("/", 1)[-1]

    def batch_files(self, folder: str) -> int:
        """Micro-batch files (named by their batch number) in its commits/ or offsets/."""
        return sum(1 for key in self.s3.keys(self.bucket, f"{self.prefix}/{folder}/") if key.rsplit("/", 1)[-1].isdigit())
