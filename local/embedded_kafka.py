"""A real Apache Kafka broker on this machine, in KRaft mode, without Docker.

By default one JVM runs as both broker and controller (a single-node combined quorum), with its
jars resolved from Maven Central by local/kafka/pom.xml at the version in versions.json. It is the
same broker code MSK runs, so the local pipeline and the tests talk to real Kafka.

The same class runs one node of a bigger cluster: `roles="controller"` or `roles="broker"`, a
`node_id`, the static `controller_quorum` {node id: controller port} and a shared `cluster_id`
(local/multi_node.py starts 3 controllers + 3 brokers that way).

    with EmbeddedKafka(Path(".state/kafka")) as kafka:
        kafka.create_topic("flight-events", partitions=6)
        ... kafka.bootstrap_servers ...

or from a shell: `python -m local.embedded_kafka start` (see `--help`).
"""
from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import uuid
from pathlib import Path

from local.maven import resolve_jars
from local.versions import STATE_DIR, versions

KAFKA_POM = Path(__file__).resolve().parent / "kafka" / "pom.xml"
DEFAULT_STATE_DIR = STATE_DIR / "kafka"
MIN_JAVA_MAJOR = 17
BROKER_NODE_ID = 1
ROLES = ("broker,controller", "broker", "controller")
# The CLI tools (TopicCommand, GetOffsetShell, ...) are short-lived; a small heap and the
# C1 compiler only make them start faster on a shared 2-core machine.
TOOL_JVM_OPTIONS = ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
LOG_TAIL_LINES = 40


class KafkaBrokerError(RuntimeError):
    """The local broker could not be started, reached or stopped; the message says why and what to do."""


class JavaNotUsableError(KafkaBrokerError):
    """Java is missing or older than the broker needs."""


class PortInUseError(KafkaBrokerError):
    """A port the broker must listen on is already taken."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports (held open together while picking, so the OS cannot repeat one)."""
    probes = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def _port_is_free(port: int) -> bool:
    # SO_REUSEADDR like the broker itself: connections of a previous broker lingering in
    # TIME_WAIT do not stop Kafka from binding, so they must not make us refuse either.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _tail(path: Path, from_byte: int = 0, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a log, ignoring what earlier runs wrote before byte `from_byte`."""
    try:
        with open(path, "rb") as log:
            log.seek(from_byte)
            text = log.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or "(the broker wrote nothing to its log)"


# --- A minimal Kafka wire-protocol client --------------------------------------------------
# Only enough to tell "the broker answers requests" from "something accepted a TCP connection":
# ApiVersions (which every Kafka version answers at v0) and a Metadata request that lists brokers.

_API_METADATA = 3
_API_API_VERSIONS = 18


def _kafka_request(host: str, port: int, api_key: int, api_version: int, body: bytes, timeout_s: float) -> bytes:
    """Send one request with a v1 request header and return the response body (after the correlation id)."""
    correlation_id = 7
    client_id = b"flightdata-readiness"
    header = struct.pack(">hhih", api_key, api_version, correlation_id, len(client_id)) + client_id
    payload = header + body
    with socket.create_connection((host, port), timeout=timeout_s) as conn:
        conn.settimeout(timeout_s)
        conn.sendall(struct.pack(">i", len(payload)) + payload)
        size = struct.unpack(">i", _recv_exactly(conn, 4))[0]
        response = _recv_exactly(conn, size)
    (got_correlation_id,) = struct.unpack_from(">i", response, 0)
    if got_correlation_id != correlation_id:
        raise KafkaBrokerError(
            f"127.0.0.1:{port} answered correlation id {got_correlation_id}, expected {correlation_id}; "
            "the process on this port does not speak the Kafka protocol"
        )
    return response[4:]


def _recv_exactly(conn: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = conn.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(chunks)} of {size} bytes")
        chunks += chunk
    return bytes(chunks)


def api_versions(host: str, port: int, timeout_s: float = 2.0) -> dict[int, tuple[int, int]]:
    """ApiVersions v0: {api_key: (min_version, max_version)} the broker supports."""
    body = _kafka_request(host, port, _API_API_VERSIONS, 0, b"", timeout_s)
    error_code, count = struct.unpack_from(">hi", body, 0)
    if error_code != 0:
        raise KafkaBrokerError(f"{host}:{port} answered ApiVersions with error code {error_code}")
    supported = {}
    for i in range(count):
        key, min_version, max_version = struct.unpack_from(">hhh", body, 6 + 6 * i)
        supported[key] = (min_version, max_version)
    return supported


def metadata_brokers(host: str, port: int, supported: dict[int, tuple[int, int]], timeout_s: float = 2.0) -> dict[int, tuple[str, int]]:
    """Metadata for no topics: {node_id: (host, port)} of the brokers the cluster currently lists."""
    min_version, max_version = supported.get(_API_METADATA, (0, -1))
    # v4..v8 share one non-flexible layout up to the broker list, which is all we read.
    candidates = [v for v in range(8, 3, -1) if min_version <= v <= max_version]
    if not candidates:
        raise KafkaBrokerError(
            f"{host}:{port} supports Metadata v{min_version}..v{max_version}, none of the v4..v8 this probe speaks"
        )
    version = candidates[0]
    request = struct.pack(">i", 0) + b"\x00"  # no topics, allow_auto_topic_creation=false
    if version >= 8:
        request += b"\x00\x00"  # no authorized-operations lists
    body = _kafka_request(host, port, _API_METADATA, version, request, timeout_s)
    offset = 4  # throttle_time_ms
    (count,) = struct.unpack_from(">i", body, offset)
    offset += 4
    brokers = {}
    for _ in range(count):
        node_id, host_len = struct.unpack_from(">ih", body, offset)
        offset += 6
        broker_host = body[offset : offset + host_len].decode()
        offset += host_len
        broker_port, rack_len = struct.unpack_from(">ih", body, offset)
        offset += 6 + max(rack_len, 0)
        brokers[node_id] = (broker_host, broker_port)
    return brokers


# --- Java ---------------------------------------------------------------------------------

def find_java(java: str | None = None) -> tuple[str, str]:
    """(java binary, where it came from): the argument, else $JAVA_HOME/bin/java, else java on PATH."""
    if java:
        return java, "the java argument"
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        return str(Path(java_home) / "bin" / "java"), "JAVA_HOME"
    return shutil.which("java") or "java", "PATH"


def java_major_version(java: str, source: str = "PATH") -> int:
    """Run `java -version` and return the major version; JavaNotUsableError names what went wrong.

    `source` says where `java` came from (argument, JAVA_HOME, PATH), so the error points at what to change.
    """
    how_to_fix = (
        f"The Kafka broker needs Java {MIN_JAVA_MAJOR} or newer: install one "
        "(Debian: apt-get install openjdk-17-jre-headless) and put it on PATH, set JAVA_HOME to it, "
        "or pass java=/path/to/bin/java."
    )
    try:
        result = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        raise JavaNotUsableError(f"cannot run Java at '{java}' (from {source}): {exc.strerror or exc}. {how_to_fix}") from exc
    except subprocess.TimeoutExpired as exc:
        raise JavaNotUsableError(f"'{java} -version' did not answer within 30 s. {how_to_fix}") from exc
    output = result.stderr + result.stdout
    match = re.search(r'version "(\d+)(?:\.(\d+))?', output)
    if result.returncode != 0 or not match:
        raise JavaNotUsableError(
            f"'{java} -version' (from {source}) exited {result.returncode} without a version I can read: {output.strip()[:300]!r}. {how_to_fix}"
        )
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_392" style
        major = int(match.group(2))
    if major < MIN_JAVA_MAJOR:
        raise JavaNotUsableError(f"'{java}' (from {source}) is Java {major}, older than {MIN_JAVA_MAJOR}. {how_to_fix}")
    return major


# --- The broker ---------------------------------------------------------------------------

def _cluster_id() -> str:
    """A new Kafka cluster id: 16 random bytes in URL-safe base64 without padding."""
    # Kafka rejects ids starting with '-' because they read like a command-line flag.
    cluster_id = "-"
    while cluster_id.startswith("-"):
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    return cluster_id


class EmbeddedKafka:
    """One local Kafka node (by default broker + KRaft controller) whose files all live under `state_dir`.

    state_dir holds server.properties, data/ (the log dirs, formatted once and kept across
    restarts), logs/broker.log and broker.pid. The pid file lets another Python process stop it.

    For one node of a multi-node cluster pass `roles` ("broker" or "controller"), `node_id`,
    `controller_quorum` ({node id: controller port} of every controller: a static quorum), the
    `cluster_id` every node shares, `cluster_brokers` (sizes the internal topics' replication and
    bounds a topic's) and `client_bootstrap` (what the tools and clients connect to).

    `jvm_options` go on the node's JVM command line (e.g. a -javaagent: that serves its JMX metrics).
    """

    def __init__(
        self,
        state_dir: Path,
        port: int = 9092,
        controller_port: int = 9093,
        heap_mb: int = 768,
        java: str | None = None,
        *,
        node_id: int = BROKER_NODE_ID,
        roles: str = "broker,controller",
        controller_quorum: dict[int, int] | None = None,
        cluster_id: str | None = None,
        cluster_brokers: int = 1,
        client_bootstrap: str | None = None,
        jvm_options: tuple[str, ...] = (),
    ) -> None:
        if roles not in ROLES:
            raise ValueError(f"roles={roles!r}; expected one of {', '.join(repr(r) for r in ROLES)}")
        if roles == "broker,controller" and port == controller_port:
            raise ValueError(f"port and controller_port are both {port}; the broker and controller need two different ports")
        if heap_mb < 256:
            raise ValueError(f"heap_mb={heap_mb} is too small for a Kafka broker; use at least 256 (512-768 suits tests)")
        if cluster_brokers < 1:
            raise ValueError(f"cluster_brokers={cluster_brokers}; a cluster has at least 1 broker")
        if controller_quorum is None:
            if roles != "broker,controller":
                raise ValueError(f"roles={roles!r} needs controller_quorum={{node id: controller port}} of the controllers")
        else:
            if not controller_quorum:
                raise ValueError("controller_quorum is empty; it maps every controller's node id to its controller port")
            if "controller" in roles and controller_quorum.get(node_id) != controller_port:
                raise ValueError(
                    f"controller node {node_id} listens on {controller_port}, but controller_quorum says "
                    f"{controller_quorum.get(node_id)}; a controller must be one of the voters"
                )
            if roles == "broker" and node_id in controller_quorum:
                raise ValueError(f"broker node_id={node_id} is also a controller id in controller_quorum; ids must be unique")
        self.state_dir = Path(state_dir).resolve()
        self.port = port
        self.controller_port = controller_port
        self.heap_mb = heap_mb
        self.node_id = node_id
        self.roles = roles
        self.controller_quorum = dict(controller_quorum) if controller_quorum is not None else None
        self.cluster_id = cluster_id
        self.cluster_brokers = cluster_brokers
        self.client_bootstrap = client_bootstrap
        self.jvm_options = tuple(jvm_options)
        self.java, self.java_source = find_java(java)
        self._process: subprocess.Popen | None = None
        self._log_start_byte = 0
        self._jar_dir: Path | None = None

    # -- paths --
    @property
    def bootstrap_servers(self) -> str:
        return self.client_bootstrap or f"127.0.0.1:{self.port}"

    @property
    def is_broker(self) -> bool:
        return "broker" in self.roles

    @property
    def quorum_voters(self) -> str | None:
        """controller.quorum.voters of a static quorum ("1@127.0.0.1:9093,..."), None for a single node."""
        if self.controller_quorum is None:
            return None
        return ",".join(f"{node}@127.0.0.1:{port}" for node, port in sorted(self.controller_quorum.items()))

    def _listeners(self) -> str:
        listeners = []
        if self.is_broker:
            listeners.append(f"PLAINTEXT://127.0.0.1:{self.port}")
        if "controller" in self.roles:
            listeners.append(f"CONTROLLER://127.0.0.1:{self.controller_port}")
        return ",".join(listeners)

    def _own_ports(self) -> list[tuple[str, int]]:
        ports = [("port", self.port)] if self.is_broker else []
        if "controller" in self.roles:
            ports.append(("controller port", self.controller_port))
        return ports

    @property
    def properties_path(self) -> Path:
        return self.state_dir / "server.properties"

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "logs" / "broker.log"

    @property
    def pid_path(self) -> Path:
        return self.state_dir / "broker.pid"

    # -- lifecycle --
    def __enter__(self) -> "EmbeddedKafka":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self, timeout_s: float = 90, wait: bool = True) -> None:
        """Start the node and return once it answers Kafka requests (a broker: and lists itself as a broker).

        wait=False returns once the JVM is launched; call wait_until_ready() later (the nodes of a
        cluster start together, because a broker cannot be ready before the controllers' quorum is).
        """
        deadline = time.monotonic() + timeout_s
        if self.is_running():
            running_listeners = self._configured_listeners()
            wanted_listeners = self._listeners()
            if running_listeners != wanted_listeners:
                raise KafkaBrokerError(
                    f"a broker from {self.state_dir} is already running with listeners {running_listeners}, "
                    f"not {wanted_listeners}; stop it first (`python -m local.embedded_kafka stop "
                    f"--state-dir {self.state_dir}`) or use its ports"
                )
            if wait:
                self._wait_until_ready(deadline)
            return
        java_major_version(self.java, self.java_source)
        for name, port in self._own_ports():
            if not _port_is_free(port):
                raise PortInUseError(
                    f"the broker {name} 127.0.0.1:{port} is already in use (another Kafka, or a stale broker "
                    f"from {self.state_dir}?). Stop whatever listens there (`python -m local.embedded_kafka stop`, "
                    f"or `ss -ltnp 'sport = :{port}'` to find it) or choose another port with "
                    f"{'--port' if name == 'port' else '--controller-port'}."
                )
        jar_dir = self.jar_dir()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._write_config()
        self._format_storage_once()

        log = open(self.log_path, "ab")
        # broker.log is kept across restarts; an error should show this run's lines only.
        self._log_start_byte = log.tell()
        try:
            self._process = subprocess.Popen(
                [
                    self.java,
                    f"-Xmx{self.heap_mb}m",
                    f"-Xms{min(self.heap_mb, 256)}m",
                    "-XX:+UseG1GC",
                    "-XX:MaxGCPauseMillis=20",
                    "-Djava.awt.headless=true",
                    f"-Dlog4j2.configurationFile={self.state_dir / 'log4j2.properties'}",
                    f"-Dkafka.logs.dir={self.log_path.parent}",
                    *self.jvm_options,
                    "-cp",
                    str(jar_dir / "*"),
                    "kafka.Kafka",
                    str(self.properties_path),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.state_dir,
                # Own session: Ctrl-C in the terminal that started it does not kill it, and
                # stop() can signal the whole group.
                start_new_session=True,
            )
        finally:
            log.close()
        self.pid_path.write_text(f"{self._process.pid}\n")
        if not wait:
            return
        try:
            self._wait_until_ready(deadline)
        except BaseException:
            self.stop()
            raise

    def wait_until_ready(self, timeout_s: float = 90) -> None:
        """After start(wait=False): return once the node answers; stop it and raise if it does not in time."""
        try:
            self._wait_until_ready(time.monotonic() + timeout_s)
        except BaseException:
            self.stop()
            raise

    def kill(self) -> None:
        """SIGKILL the node (no clean shutdown: the fault a crashed machine causes). Its data stays for a restart."""
        pid = self._read_pid()
        if pid is None or not self._is_our_broker(pid):
            raise KafkaBrokerError(f"no running Kafka node in {self.state_dir} to kill")
        self._signal_group(pid, signal.SIGKILL)
        if not self._wait_for_exit(pid, time.monotonic() + 10):
            raise KafkaBrokerError(f"the Kafka node (pid {pid}) survived SIGKILL for 10 s; check it with `ps -p {pid}`")
        if self._process is not None:
            self._process.wait(timeout=5)
            self._process = None
        self.pid_path.unlink(missing_ok=True)

    def _wait_until_ready(self, deadline: float) -> None:
        last_problem = "no attempt yet"
        while True:
            pid = self._read_pid()
            if pid is None or not self._is_our_broker(pid):
                raise KafkaBrokerError(
                    f"the Kafka broker in {self.state_dir} exited while starting ({self._exit_description()}). "
                    f"Last lines of {self.log_path}:\n{_tail(self.log_path, self._log_start_byte)}"
                )
            try:
                if self.is_broker:
                    supported = api_versions("127.0.0.1", self.port, timeout_s=2.0)
                    brokers = metadata_brokers("127.0.0.1", self.port, supported, timeout_s=2.0)
                    if self.node_id in brokers:
                        return
                    last_problem = f"Metadata lists brokers {sorted(brokers)}, not yet node {self.node_id}"
                else:  # a controller answers ApiVersions on its controller listener
                    api_versions("127.0.0.1", self.controller_port, timeout_s=2.0)
                    return
            except (OSError, struct.error) as exc:
                last_problem = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                where = f"127.0.0.1:{self.port if self.is_broker else self.controller_port}"
                raise KafkaBrokerError(
                    f"the Kafka {self.roles} node in {self.state_dir} did not answer on {where} in time "
                    f"(last probe: {last_problem}). Give it longer (start(timeout_s=...)) or look for the cause in "
                    f"{self.log_path}:\n{_tail(self.log_path, self._log_start_byte)}"
                )
            time.sleep(0.25)

    def _configured_listeners(self) -> str | None:
        try:
            text = self.properties_path.read_text()
        except FileNotFoundError:
            return None
        match = re.search(r"^listeners=(.*)$", text, flags=re.M)
        return match.group(1).strip() if match else None

    def _exit_description(self) -> str:
        if self._process is not None and self._process.poll() is not None:
            return f"exit code {self._process.returncode}"
        return "process gone"

    def stop(self, timeout_s: float = 30) -> None:
        """SIGTERM the broker, wait for its clean shutdown, SIGKILL it if that takes longer than timeout_s.

        Safe to call when it is not running, and from another process than the one that started it.
        """
        pid = self._read_pid()
        if pid is not None and self._is_our_broker(pid):
            self._signal_group(pid, signal.SIGTERM)
            if not self._wait_for_exit(pid, time.monotonic() + timeout_s):
                print(f"the Kafka broker (pid {pid}) did not shut down within {timeout_s} s of SIGTERM; "
                      f"killing it (its log: {self.log_path})", file=sys.stderr)
                self._signal_group(pid, signal.SIGKILL)
                if not self._wait_for_exit(pid, time.monotonic() + 10):
                    raise KafkaBrokerError(
                        f"the Kafka broker (pid {pid}) survived SIGKILL for 10 s; check it with `ps -p {pid}`"
                    )
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self._process = None
        self.pid_path.unlink(missing_ok=True)

    @staticmethod
    def _signal_group(pid: int, sig: signal.Signals) -> None:
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            os.kill(pid, sig)

    def _wait_for_exit(self, pid: int, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self._process is not None and self._process.pid == pid:
                if self._process.poll() is not None:
                    return True
            elif not self._is_our_broker(pid):
                return True
            time.sleep(0.1)
        return False

    def is_running(self) -> bool:
        """True if the broker process recorded in state_dir is alive (it may still be starting)."""
        pid = self._read_pid()
        return pid is not None and self._is_our_broker(pid)

    def _read_pid(self) -> int | None:
        try:
            return int(self.pid_path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def _is_our_broker(self, pid: int) -> bool:
        """Alive, not a zombie, and running kafka.Kafka on our server.properties (pids get reused)."""
        if self._process is not None and self._process.pid == pid:
            return self._process.poll() is None
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            return False
        state = stat.rsplit(")", 1)[-1].split()[0]
        return state != "Z" and b"kafka.Kafka" in cmdline and str(self.properties_path).encode() in cmdline

    # -- files --
    def jar_dir(self) -> Path:
        """The folder with the broker and tools jars (resolved from Maven Central once, then cached)."""
        if self._jar_dir is None:
            version = versions()["kafka"]
            self._jar_dir = resolve_jars(KAFKA_POM, {"kafka.version": version}, f"kafka-{version}")
        return self._jar_dir

    def _write_config(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Internal topics: one replica per broker up to 3, and (with 3) writes need 2 in sync, as on MSK.
        replicas = min(self.cluster_brokers, 3)
        min_isr = min(replicas, 2)
        settings = {
            "process.roles": self.roles,
            "node.id": str(self.node_id),
            **(
                {"controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}"}
                if self.quorum_voters is None
                else {"controller.quorum.voters": self.quorum_voters}
            ),
            "listeners": self._listeners(),
            "advertised.listeners": self._listeners(),
            "controller.listener.names": "CONTROLLER",
            **({"inter.broker.listener.name": "PLAINTEXT"} if self.is_broker else {}),
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            # One partition is plenty for internal topics on this machine.
            "num.partitions": "1",
            "default.replication.factor": str(replicas),
            "min.insync.replicas": str(min_isr),
            "offsets.topic.replication.factor": str(replicas),
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": str(replicas),
            "transaction.state.log.min.isr": str(min_isr),
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.replication.factor": str(replicas),
            "share.coordinator.state.topic.min.isr": str(min_isr),
            # Topics are created on purpose with the partition count the pipeline is sized for;
            # a typo in a topic name should fail loudly, not create a 1-partition topic.
            "auto.create.topics.enable": "false",
            # Consumers in tests join alone; the default 3 s delay would only slow every test down.
            "group.initial.rebalance.delay.ms": "0",
            # The machine is small and shared.
            "num.network.threads": "2",
            "num.io.threads": "4",
            "num.recovery.threads.per.data.dir": "1",
            "log.retention.hours": "24",
            "log.segment.bytes": str(256 * 1024 * 1024),
        }
        self.properties_path.write_text(
            "# Written by local/embedded_kafka.py on every start; edit that file, not this one.\n"
            + "".join(f"{key}={value}\n" for key, value in settings.items())
        )
        self._write_log_config("log4j2.properties", "INFO")
        self._write_log_config("tools-log4j2.properties", "WARN")

    def _write_log_config(self, name: str, root_level: str) -> None:
        (self.state_dir / name).write_text(
            "status = warn\n"
            "appender.console.type = Console\n"
            "appender.console.name = console\n"
            "appender.console.target = SYSTEM_ERR\n"
            "appender.console.layout.type = PatternLayout\n"
            "appender.console.layout.pattern = [%d] %p %m (%c)%n\n"
            f"rootLogger.level = {root_level}\n"
            "rootLogger.appenderRefs = console\n"
            "rootLogger.appenderRef.console.ref = console\n"
            # Per-request state-change chatter drowns the few lines that explain a failure.
            "logger.statechange.name = state.change.logger\n"
            "logger.statechange.level = WARN\n"
        )

    def _format_storage_once(self) -> None:
        if (self.data_dir / "meta.properties").exists():
            return
        cluster_id = self.cluster_id or _cluster_id()
        # A single node bootstraps its own dynamic quorum; a static quorum (controller.quorum.voters)
        # is named in every node's config already.
        standalone = ["--standalone"] if self.quorum_voters is None else []
        result = self.run_tool(
            "kafka.tools.StorageTool",
            ["format", *standalone, "--cluster-id", cluster_id, "--config", str(self.properties_path)],
            timeout_s=120,
            check=False,
        )
        if result.returncode != 0:
            raise KafkaBrokerError(
                f"formatting the Kafka storage in {self.data_dir} failed (exit {result.returncode}). "
                f"If that folder holds data of another cluster, delete {self.state_dir} and start again.\n"
                f"{(result.stdout + result.stderr).strip()[-2000:]}"
            )

    # -- tools --
    def run_tool(
        self, main_class: str, args: list[str], timeout_s: float = 120, check: bool = True
    ) -> subprocess.CompletedProcess:
        """Run one Kafka command-line tool (e.g. org.apache.kafka.tools.ProducerPerformance) on the broker's jars."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log_config = self.state_dir / "tools-log4j2.properties"
        if not log_config.exists():
            self._write_log_config(log_config.name, "WARN")
        cmd = [
            self.java,
            *TOOL_JVM_OPTIONS,
            f"-Dlog4j2.configurationFile={log_config}",
            "-cp",
            str(self.jar_dir() / "*"),
            main_class,
            *args,
        ]
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise KafkaBrokerError(f"{main_class} {' '.join(args)} did not finish within {timeout_s} s") from exc
        if check and result.returncode != 0:
            raise KafkaBrokerError(
                f"{main_class} {' '.join(args)} failed with exit {result.returncode} "
                f"against {self.bootstrap_servers}:\n{(result.stdout + result.stderr).strip()[-2000:]}"
            )
        return result

    def create_topic(
        self,
        name: str,
        partitions: int,
        replication_factor: int = 1,
        configs: dict[str, str] | None = None,
    ) -> None:
        """Create a topic; fails if it exists already (a second definition would hide a sizing mistake)."""
        if partitions < 1:
            raise ValueError(f"partitions={partitions} for topic '{name}'; a topic needs at least 1 partition")
        if not 1 <= replication_factor <= self.cluster_brokers:
            raise ValueError(
                f"replication_factor={replication_factor} for topic '{name}', but this local cluster has "
                f"{self.cluster_brokers} broker(s); use 1..{self.cluster_brokers}"
            )
        args = [
            "--bootstrap-server", self.bootstrap_servers, "--create", "--topic", name,
            "--partitions", str(partitions), "--replication-factor", str(replication_factor),
        ]
        for key, value in (configs or {}).items():
            args += ["--config", f"{key}={value}"]
        self.run_tool("org.apache.kafka.tools.TopicCommand", args)

    def describe_topic(self, name: str) -> dict:
        """{'name', 'partitions', 'replication_factor', 'configs': {key: value}} of an existing topic."""
        result = self.run_tool(
            "org.apache.kafka.tools.TopicCommand",
            ["--bootstrap-server", self.bootstrap_servers, "--describe", "--topic", name],
        )
        for line in result.stdout.splitlines():
            fields = dict(re.findall(r"(\w+): ?(\S*)", line))
            if fields.get("Topic") == name and "PartitionCount" in fields:
                configs = dict(kv.split("=", 1) for kv in fields.get("Configs", "").split(",") if "=" in kv)
                return {
                    "name": name,
                    "partitions": int(fields["PartitionCount"]),
                    "replication_factor": int(fields["ReplicationFactor"]),
                    "configs": configs,
                }
        raise KafkaBrokerError(f"topic '{name}' not found on {self.bootstrap_servers}:\n{result.stdout}{result.stderr}")

    def topic_end_offsets(self, name: str) -> dict[int, int]:
        """{partition: end offset}; on a fresh topic their sum is the number of records it holds."""
        result = self.run_tool(
            "org.apache.kafka.tools.GetOffsetShell",
            ["--bootstrap-server", self.bootstrap_servers, "--topic", name, "--time", "-1"],
            check=False,
        )
        if "Could not match any topic-partitions" in result.stdout + result.stderr:
            raise KafkaBrokerError(
                f"topic '{name}' does not exist on {self.bootstrap_servers}; create it first "
                f"(create_topic or `python -m local.embedded_kafka create-topic --topic {name} --partitions N`)"
            )
        if result.returncode != 0:
            raise KafkaBrokerError(
                f"GetOffsetShell for topic '{name}' failed with exit {result.returncode} against "
                f"{self.bootstrap_servers}:\n{(result.stdout + result.stderr).strip()[-2000:]}"
            )
        offsets = {}
        for line in result.stdout.splitlines():
            match = re.fullmatch(r"(.+):(\d+):(\d+)", line.strip())
            if match and match.group(1) == name:
                offsets[int(match.group(2))] = int(match.group(3))
        if not offsets:
            raise KafkaBrokerError(
                f"GetOffsetShell printed no offsets for topic '{name}' on {self.bootstrap_servers}:\n"
                f"{result.stdout}{result.stderr}"
            )
        return offsets


# --- CLI ------------------------------------------------------------------------------------

def _parse_config(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--config '{text}' is not key=value, e.g. --config retention.ms=3600000")
    return key, value


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR,
                        help=f"broker files: config, data, logs, pid (default {DEFAULT_STATE_DIR})")
    common.add_argument("--port", type=int, default=9092, help="client (PLAINTEXT) port on 127.0.0.1 (default 9092)")
    common.add_argument("--controller-port", type=int, default=9093, help="KRaft controller port (default 9093)")
    common.add_argument("--heap-mb", type=int, default=768, help="broker JVM max heap in MiB (default 768)")
    common.add_argument("--java", default=None, help="java binary (default $JAVA_HOME/bin/java, then PATH)")

    parser = argparse.ArgumentParser(
        prog="python -m local.embedded_kafka",
        description="A local Apache Kafka broker (KRaft, one node) for the flight data pipeline.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", parents=[common], help="start the broker and wait until it answers")
    start.add_argument("--timeout-s", type=float, default=90, help="how long to wait for the broker (default 90)")
    commands.add_parser("stop", parents=[common], help="stop the broker (SIGTERM, then SIGKILL after 30 s)")
    commands.add_parser("status", parents=[common], help="exit 0 if the broker answers, 1 if not")
    create = commands.add_parser("create-topic", parents=[common], help="create a topic")
    create.add_argument("--topic", required=True)
    create.add_argument("--partitions", type=int, required=True)
    create.add_argument("--replication-factor", type=int, default=1)
    create.add_argument("--config", type=_parse_config, action="append", default=[], metavar="KEY=VALUE",
                        help="topic config, repeatable (e.g. --config retention.ms=3600000)")
    offsets = commands.add_parser("end-offsets", parents=[common], help="print 'partition end_offset' per partition")
    offsets.add_argument("--topic", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # exits 2 on a usage error
    kafka = EmbeddedKafka(args.state_dir, port=args.port, controller_port=args.controller_port,
                          heap_mb=args.heap_mb, java=args.java)
    try:
        if args.command == "start":
            started_at = time.monotonic()
            kafka.start(timeout_s=args.timeout_s)
            print(kafka.bootstrap_servers)
            print(f"Kafka broker ready in {time.monotonic() - started_at:.1f} s "
                  f"(pid {kafka._read_pid()}, log {kafka.log_path})", file=sys.stderr)
        elif args.command == "stop":
            kafka.stop()
            print(f"Kafka broker in {kafka.state_dir} stopped", file=sys.stderr)
        elif args.command == "status":
            if not kafka.is_running():
                print(f"not running (no live broker recorded in {kafka.pid_path})")
                return 1
            try:
                api_versions("127.0.0.1", kafka.port)
            except (OSError, struct.error, KafkaBrokerError) as exc:
                print(f"process {kafka._read_pid()} is alive but {kafka.bootstrap_servers} does not answer: {exc}")
                return 1
            print(f"running at {kafka.bootstrap_servers} (pid {kafka._read_pid()})")
        elif args.command == "create-topic":
            kafka.create_topic(args.topic, args.partitions, args.replication_factor, dict(args.config))
            print(f"created topic {args.topic} with {args.partitions} partitions", file=sys.stderr)
        elif args.command == "end-offsets":
            for partition, end_offset in sorted(kafka.topic_end_offsets(args.topic).items()):
                print(partition, end_offset)
    except (KafkaBrokerError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # JarResolutionError and friends: still a clear one-line error, not a trace
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
