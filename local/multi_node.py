"""The multi-node topology on this machine, without Docker: 3 KRaft controllers + 3 Kafka brokers
from the Maven jars, and a Spark standalone master + 3 workers through pyspark's `spark-class`.

Everything binds 127.0.0.1 and lives under one state folder. It is the docker-compose.yml layout
(docs/topology.md), with small heaps so it fits a laptop:

    with MultiNodeTopology(Path(".state/multi-node")) as topology:
        topology.create_topic("flight-events", partitions=6)     # replication 3, min.insync.replicas 2
        ... topology.bootstrap_servers ... topology.spark.master_url ... topology.spark.job_env() ...

The Kafka half (MultiNodeKafka) and the Spark half (SparkStandalone) also start on their own; the fault
tests use them to kill -9 one broker or one worker and restart it.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from local.embedded_kafka import (
    EmbeddedKafka,
    KafkaBrokerError,
    _cluster_id,
    _port_is_free,
    _tail,
    find_java,
    free_ports,
    java_major_version,
)

# The topology; docker-compose.yml has the same counts (test/compose checks it).
CONTROLLERS = 3
BROKERS = 3
SPARK_WORKERS = 3
# KRaft node ids: controllers 1..3, brokers 4..6 (docker-compose.yml uses the same ids).
FIRST_CONTROLLER_ID = 1
FIRST_BROKER_ID = CONTROLLERS + 1
KAFKA_NODE_HEAP_MB = 320
# Writes need 2 of the 3 replicas in sync: one broker can die without losing an acknowledged event.
TOPIC_REPLICATION_FACTOR = 3
TOPIC_MIN_INSYNC_REPLICAS = 2
# A worker offers 1 core and 768 MiB; its one executor takes them (Spark's floor is ~450 MiB).
WORKER_CORES = 1
WORKER_MEMORY_MB = 768
SPARK_DAEMON_MEMORY_MB = 256


class SparkClusterError(RuntimeError):
    """The local Spark standalone cluster could not be started or reached; the message says why."""


# --- Kafka: 3 controllers + 3 brokers -------------------------------------------------------

class MultiNodeKafka:
    """Three KRaft controllers (static quorum) and three brokers, each an EmbeddedKafka node."""

    def __init__(
        self,
        state_dir: Path,
        controllers: int = CONTROLLERS,
        brokers: int = BROKERS,
        heap_mb: int = KAFKA_NODE_HEAP_MB,
        java: str | None = None,
    ) -> None:
        if controllers < 1 or brokers < 1:
            raise ValueError(f"controllers={controllers}, brokers={brokers}: a KRaft cluster needs at least one of each")
        self.state_dir = Path(state_dir).resolve()
        ports = free_ports(controllers + brokers)
        controller_ports, broker_ports = ports[:controllers], ports[controllers:]
        quorum = {FIRST_CONTROLLER_ID + i: port for i, port in enumerate(controller_ports)}
        bootstrap = ",".join(f"127.0.0.1:{port}" for port in broker_ports)
        common = dict(
            heap_mb=heap_mb, java=java, controller_quorum=quorum, cluster_id=_cluster_id(),
            cluster_brokers=brokers, client_bootstrap=bootstrap,
        )
        self.controllers = [
            EmbeddedKafka(self.state_dir / f"controller-{node_id}", port=0, controller_port=port,
                          node_id=node_id, roles="controller", **common)
            for node_id, port in quorum.items()
        ]
        self.brokers = [
            EmbeddedKafka(self.state_dir / f"broker-{FIRST_BROKER_ID + i}", port=port, controller_port=0,
                          node_id=FIRST_BROKER_ID + i, roles="broker", **common)
            for i, port in enumerate(broker_ports)
        ]

    @property
    def bootstrap_servers(self) -> str:
        return self.brokers[0].bootstrap_servers

    @property
    def nodes(self) -> list[EmbeddedKafka]:
        return [*self.controllers, *self.brokers]

    def start(self, timeout_s: float = 240) -> None:
        """Launch every node at once (a broker cannot be ready before the quorum), then wait for all."""
        deadline = time.monotonic() + timeout_s
        try:
            # Formatting storage and starting a JVM take seconds each: do the six side by side.
            with ThreadPoolExecutor(len(self.nodes)) as pool:
                list(pool.map(lambda node: node.start(wait=False), self.nodes))
                list(pool.map(lambda node: node.wait_until_ready(max(1.0, deadline - time.monotonic())), self.nodes))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        # Brokers first, so none waits for a controller that is already gone.
        errors = []

        def stop(node: EmbeddedKafka) -> None:
            try:
                node.stop()
            except KafkaBrokerError as exc:
                errors.append(str(exc))

        for group in (self.brokers, self.controllers):
            with ThreadPoolExecutor(len(group)) as pool:
                list(pool.map(stop, group))
        if errors:
            raise KafkaBrokerError("; ".join(errors))

    def __enter__(self) -> "MultiNodeKafka":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def tool_node(self) -> EmbeddedKafka:
        """A node to run Kafka's CLI tools from (they connect to every broker in bootstrap_servers)."""
        return self.brokers[0]

    def create_topic(
        self,
        name: str,
        partitions: int,
        replication_factor: int = TOPIC_REPLICATION_FACTOR,
        min_insync_replicas: int = TOPIC_MIN_INSYNC_REPLICAS,
        configs: dict[str, str] | None = None,
    ) -> None:
        if not 1 <= min_insync_replicas <= replication_factor:
            raise ValueError(
                f"min_insync_replicas={min_insync_replicas} for topic '{name}': expected 1..{replication_factor} "
                "(the replication factor)"
            )
        self.tool_node().create_topic(
            name, partitions, replication_factor,
            {"min.insync.replicas": str(min_insync_replicas), **(configs or {})},
        )

    def describe_topic(self, name: str) -> dict:
        return self.tool_node().describe_topic(name)

    def topic_end_offsets(self, name: str) -> dict[int, int]:
        return self.tool_node().topic_end_offsets(name)

    def wait_for_full_isr(self, topic: str, timeout_s: float = 90) -> None:
        """Wait until every partition of `topic` has all its replicas in sync again (after a restart)."""
        deadline = time.monotonic() + timeout_s
        while True:
            result = self.tool_node().run_tool(
                "org.apache.kafka.tools.TopicCommand",
                ["--bootstrap-server", self.bootstrap_servers, "--describe", "--topic", topic,
                 "--under-replicated-partitions"],
                check=False,
            )
            if result.returncode == 0 and "Partition:" not in result.stdout:
                return
            if time.monotonic() >= deadline:
                raise KafkaBrokerError(f"topic '{topic}' still has under-replicated partitions after {timeout_s} s:\n{result.stdout}")
            time.sleep(1)


# --- Spark: a standalone master + 3 workers -------------------------------------------------

def _spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).resolve().parent


class SparkStandalone:
    """A Spark standalone master and `workers` workers from pyspark's own jars (bin/spark-class).

    Security: everything binds 127.0.0.1 (SPARK_LOCAL_IP, --host), the master's REST submission
    server is off, and RPC needs a shared secret (spark.authenticate) generated per cluster and kept
    in a 0600 spark-defaults.conf that the daemons and the job's driver read through SPARK_CONF_DIR.
    """

    def __init__(
        self,
        state_dir: Path,
        workers: int = SPARK_WORKERS,
        worker_cores: int = WORKER_CORES,
        worker_memory_mb: int = WORKER_MEMORY_MB,
        daemon_memory_mb: int = SPARK_DAEMON_MEMORY_MB,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers={workers}: a Spark cluster needs at least 1 worker")
        if worker_memory_mb < 512:
            raise ValueError(f"worker_memory_mb={worker_memory_mb}: an executor needs at least 512 MiB (Spark's floor is ~450)")
        self.state_dir = Path(state_dir).resolve()
        self.worker_count = workers
        self.worker_cores = worker_cores
        self.worker_memory_mb = worker_memory_mb
        self.daemon_memory_mb = daemon_memory_mb
        ports = free_ports(2 + 2 * workers)
        self.master_port, self.master_ui_port = ports[0], ports[1]
        self.worker_ports = [(ports[2 + 2 * i], ports[3 + 2 * i]) for i in range(workers)]
        self._master: subprocess.Popen | None = None
        self._workers: list[subprocess.Popen | None] = [None] * workers

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.master_port}"

    @property
    def conf_dir(self) -> Path:
        return self.state_dir / "conf"

    def log_path(self, name: str) -> Path:
        return self.state_dir / "logs" / f"{name}.log"

    def job_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for a driver that joins this cluster: its spark-defaults.conf (secret, executor size)."""
        env = dict(os.environ if base is None else base)
        env["SPARK_CONF_DIR"] = str(self.conf_dir)
        env["SPARK_LOCAL_IP"] = "127.0.0.1"
        return env

    def _write_conf(self) -> None:
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "logs").mkdir(parents=True, exist_ok=True)
        conf = {
            "spark.authenticate": "true",
            "spark.authenticate.secret": secrets.token_hex(32),
            "spark.master.rest.enabled": "false",
            # The job's executors: one per worker, sized to what a worker offers.
            "spark.executor.cores": str(self.worker_cores),
            "spark.executor.memory": f"{self.worker_memory_mb}m",
            "spark.cores.max": str(self.worker_cores * self.worker_count),
            # A dead worker is noticed by its dropped connection at once; this bounds a hung one.
            "spark.worker.timeout": "30",
        }
        defaults = self.conf_dir / "spark-defaults.conf"
        defaults.touch(mode=0o600, exist_ok=True)
        defaults.chmod(0o600)
        defaults.write_text("".join(f"{k} {v}\n" for k, v in conf.items()))
        # Spark's default log4j2 config is INFO to the console: fine for the daemons' log files.

    def _daemon_env(self) -> dict[str, str]:
        env = self.job_env()
        env.update(
            SPARK_HOME=str(_spark_home()),
            SPARK_DAEMON_MEMORY=f"{self.daemon_memory_mb}m",
            SPARK_LOG_DIR=str(self.state_dir / "logs"),
            SPARK_NO_DAEMONIZE="1",
            PYSPARK_PYTHON=env.get("PYSPARK_PYTHON", sys.executable),
        )
        return env

    def _launch(self, name: str, main_class: str, args: list[str]) -> subprocess.Popen:
        spark_class = _spark_home() / "bin" / "spark-class"
        log = open(self.log_path(name), "ab")
        try:
            # spark-class execs the JVM, so the pid is the daemon's; its own session makes it a
            # process group with the executors a worker forks (kill_worker kills them together).
            return subprocess.Popen(
                [str(spark_class), main_class, *args, "--properties-file", str(self.conf_dir / "spark-defaults.conf")],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.state_dir,
                env=self._daemon_env(), start_new_session=True,
            )
        finally:
            log.close()

    def start(self, timeout_s: float = 180) -> None:
        """Start the master and every worker; return once the master lists them all ALIVE."""
        deadline = time.monotonic() + timeout_s
        java_major_version(*find_java())
        for port in (self.master_port, self.master_ui_port, *(p for pair in self.worker_ports for p in pair)):
            if not _port_is_free(port):
                raise SparkClusterError(f"port 127.0.0.1:{port} for the Spark cluster is taken; start again (ports are picked anew)")
        self._write_conf()
        try:
            self._master = self._launch(
                "master", "org.apache.spark.deploy.master.Master",
                ["--host", "127.0.0.1", "--port", str(self.master_port), "--webui-port", str(self.master_ui_port)],
            )
            for i in range(self.worker_count):
                self.start_worker(i)
            self.wait_for_workers(self.worker_count, max(1.0, deadline - time.monotonic()))
        except BaseException:
            self.stop()
            raise

    def start_worker(self, index: int) -> None:
        port, ui_port = self.worker_ports[index]
        work_dir = self.state_dir / f"worker-{index + 1}"
        work_dir.mkdir(parents=True, exist_ok=True)
        self._workers[index] = self._launch(
            f"worker-{index + 1}", "org.apache.spark.deploy.worker.Worker",
            ["--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui_port),
             "--cores", str(self.worker_cores), "--memory", f"{self.worker_memory_mb}M",
             "--work-dir", str(work_dir), self.master_url],
        )

    def master_state(self) -> dict:
        """The master's JSON status page (workers, applications), from its 127.0.0.1 web UI."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.master_ui_port}/json/", timeout=3) as response:
            return json.load(response)

    def alive_workers(self) -> int:
        return sum(1 for w in self.master_state().get("workers", []) if w.get("state") == "ALIVE")

    def wait_for_workers(self, count: int, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        last_problem = "no attempt yet"
        while True:
            if self._master is None or self._master.poll() is not None:
                raise SparkClusterError(
                    f"the Spark master exited while starting. Last lines of {self.log_path('master')}:\n"
                    f"{_tail(self.log_path('master'))}"
                )
            for i, worker in enumerate(self._workers):
                if worker is not None and worker.poll() is not None:
                    raise SparkClusterError(
                        f"Spark worker {i + 1} exited (code {worker.returncode}). Last lines of "
                        f"{self.log_path(f'worker-{i + 1}')}:\n{_tail(self.log_path(f'worker-{i + 1}'))}"
                    )
            try:
                alive = self.alive_workers()
                if alive >= count:
                    return
                last_problem = f"{alive} of {count} workers ALIVE"
            except (OSError, urllib.error.URLError, json.JSONDecodeError) as exc:
                last_problem = f"master UI not answering: {exc}"
            if time.monotonic() >= deadline:
                raise SparkClusterError(
                    f"the Spark cluster at {self.master_url} was not ready in {timeout_s:.0f} s ({last_problem}); "
                    f"logs in {self.state_dir / 'logs'}"
                )
            time.sleep(0.5)

    def worker_pid(self, index: int) -> int | None:
        worker = self._workers[index]
        return worker.pid if worker is not None and worker.poll() is None else None

    def executor_pids(self, index: int) -> list[int]:
        """Executor JVMs the worker has forked (same process group as the worker)."""
        pid = self.worker_pid(index)
        if pid is None:
            return []
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == pid:
                continue
            try:
                pgid = os.getpgid(int(proc.name))
                cmdline = (proc / "cmdline").read_bytes()
            except (OSError, ProcessLookupError):
                continue
            if pgid == pid and b"CoarseGrainedExecutorBackend" in cmdline:
                found.append(int(proc.name))
        return found

    def kill_worker(self, index: int) -> None:
        """SIGKILL worker `index` and its executor together, as if its machine died."""
        worker = self._workers[index]
        if worker is None or worker.poll() is not None:
            raise SparkClusterError(f"Spark worker {index + 1} is not running")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    def stop(self) -> None:
        """Stop the workers (and their executors), then the master: SIGTERM, SIGKILL after 15 s."""
        for process in [*self._workers, self._master]:
            if process is None:
                continue
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for process in [*self._workers, self._master]:
            if process is None:
                continue
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            # Executors the worker forked share its process group and may outlive it by a moment.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._workers = [None] * self.worker_count
        self._master = None

    def __enter__(self) -> "SparkStandalone":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


# --- Both -------------------------------------------------------------------------------------

class MultiNodeTopology:
    """MultiNodeKafka (3 controllers + 3 brokers) and SparkStandalone (master + 3 workers) together."""

    def __init__(self, state_dir: Path, *, spark: bool = True, java: str | None = None) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.kafka = MultiNodeKafka(self.state_dir / "kafka", java=java)
        self.spark = SparkStandalone(self.state_dir / "spark") if spark else None

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka.bootstrap_servers

    def create_topic(self, name: str, partitions: int, **kwargs) -> None:
        self.kafka.create_topic(name, partitions, **kwargs)

    def start(self) -> None:
        self.kafka.start()
        if self.spark is not None:
            try:
                self.spark.start()
            except BaseException:
                self.kafka.stop()
                raise

    def stop(self) -> None:
        try:
            if self.spark is not None:
                self.spark.stop()
        finally:
            self.kafka.stop()

    def __enter__(self) -> "MultiNodeTopology":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
