"""A real Prometheus server on this machine, for tests: it scrapes the given targets, evaluates the
given rule files, and answers PromQL over its HTTP API.

The server is the Debian package `prometheus` (`make test` installs it). Each PrometheusServer
gets its own config, its own temporary TSDB and a free port on 127.0.0.1, so it never meets the
system's Prometheus service or another test's.

    with PrometheusServer(work_dir, [ScrapeJob("producer", ["127.0.0.1:9464"])], rule_files=[rules]) as prometheus:
        prometheus.query('sum(rate(flight_producer_events_acked_total[30s]))')
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from local.embedded_kafka import free_port
from local.processes import stop_group

DEBIAN_PACKAGE = "prometheus"
HOW_TO_INSTALL = (
    f"install the Debian package '{DEBIAN_PACKAGE}': `make test` does (Makefile target .state/stamps/debs), "
    f"or as root `apt-get install -y --no-install-recommends {DEBIAN_PACKAGE}`"
)
LOG_TAIL_LINES = 30
T = TypeVar("T")


class PrometheusError(RuntimeError):
    """The server could not be found, started or asked; the message says why and what to do."""


class PrometheusQueryError(PrometheusError):
    """Prometheus rejected a query (bad PromQL, an unknown function, ...); the message names the query."""


@dataclass(frozen=True)
class ScrapeJob:
    """One scrape job: its `job` label, its targets ("host:port") and labels added to their series."""

    name: str
    targets: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    metrics_path: str = "/metrics"


def prometheus_config(jobs: list[ScrapeJob], rule_files: list[Path], interval_s: int) -> dict:
    """The server's configuration: scrape every job and evaluate every rule every `interval_s`."""
    if interval_s < 1:
        raise ValueError(f"interval_s={interval_s}; expected a whole number of seconds >= 1")
    names = [job.name for job in jobs]
    if len(set(names)) != len(names):
        raise ValueError(f"scrape job names {names} repeat; each job needs its own name (it is the `job` label)")
    return {
        "global": {"scrape_interval": f"{interval_s}s", "scrape_timeout": f"{interval_s}s", "evaluation_interval": f"{interval_s}s"},
        "rule_files": [str(Path(path).resolve()) for path in rule_files],
        "scrape_configs": [
            {
                "job_name": job.name,
                "metrics_path": job.metrics_path,
                "static_configs": [{"targets": list(job.targets), "labels": dict(job.labels)}],
            }
            for job in jobs
        ],
    }


def find_prometheus() -> str:
    """The prometheus binary on PATH, or a PrometheusError that says how to install it."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise PrometheusError(f"no 'prometheus' binary on PATH; {HOW_TO_INSTALL}")
    return binary


def wait_until(probe: Callable[[], T | None], timeout_s: float, what: str, poll_s: float = 0.5) -> T:
    """Call `probe` until it returns something other than None, at most `timeout_s`; then fail naming `what`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not within {timeout_s:g} s")
        time.sleep(poll_s)


class PrometheusServer:
    """A Prometheus process whose files (config, TSDB, log) all live under `work_dir`.

    Rule files are passed as they are: a JSON file of `{"groups": [...]}` is valid YAML, so the
    committed monitoring/alert-rules.json is loaded without a converted copy.
    """

    def __init__(self, work_dir: Path, jobs: list[ScrapeJob], rule_files: list[Path] = (), interval_s: int = 1) -> None:
        self.work_dir = Path(work_dir).resolve()
        self.config = prometheus_config(list(jobs), list(rule_files), interval_s)
        self.port = free_port()
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "prometheus.log"

    def __enter__(self) -> "PrometheusServer":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self, timeout_s: float = 30) -> None:
        """Start the server and return once /-/ready answers 200 (its rule files loaded, TSDB open)."""
        binary = find_prometheus()
        self.work_dir.mkdir(parents=True, exist_ok=True)
        config_path = self.work_dir / "prometheus.yml"
        config_path.write_text(json.dumps(self.config, indent=2) + "\n")  # JSON is YAML
        self._check_rule_files(binary)
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config_path}",
                    f"--storage.tsdb.path={self.work_dir / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--storage.tsdb.retention.time=1d",
                ],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.work_dir,
                start_new_session=True,
            )
        try:
            wait_until(self._ready, timeout_s, f"Prometheus on {self.url} answering /-/ready")
        except BaseException as exc:
            self.stop()
            raise PrometheusError(f"Prometheus did not start ({exc}). Last lines of {self.log_path}:\n{self._log_tail()}") from None

    def _check_rule_files(self, binary: str) -> None:
        """promtool's verdict on each rule file, so a bad rule fails with promtool's message, not a log line."""
        promtool = Path(binary).with_name("promtool")
        for path in self.config["rule_files"]:
            if not promtool.exists():
                raise PrometheusError(f"no promtool next to {binary}; {HOW_TO_INSTALL}")
            done = subprocess.run([str(promtool), "check", "rules", path], capture_output=True, text=True, timeout=60)
            if done.returncode != 0:
                raise PrometheusError(f"promtool check rules {path} failed:\n{(done.stdout + done.stderr).strip()}")

    def _ready(self) -> bool | None:
        if self._process is not None and self._process.poll() is not None:
            raise PrometheusError(f"prometheus exited with code {self._process.returncode} while starting")
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                return True if response.status == 200 else None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:])
        except FileNotFoundError:
            return f"(no log at {self.log_path})"

    def api(self, path: str, params: dict[str, str] | None = None, timeout_s: float = 10) -> object:
        """GET /api/v1/<path>: its `data`, or PrometheusQueryError with Prometheus' own error text."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/{path}{query}", timeout=timeout_s) as response:
                body = json.load(response)
        except urllib.error.HTTPError as err:
            try:
                body = json.load(err)
            except ValueError:
                raise PrometheusError(f"GET /api/v1/{path} {params}: HTTP {err.code}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
            raise PrometheusError(f"Prometheus on {self.url} did not answer GET /api/v1/{path}: {err}") from None
        if body.get("status") != "success":
            raise PrometheusQueryError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict]:
        """The instant vector (or scalar as a one-element list) of `expr` now."""
        data = self.api("query", {"query": expr})
        return data["result"] if data["resultType"] in ("vector", "matrix") else [{"value": data["result"]}]

    def rules(self) -> list[dict]:
        """Every loaded rule group, with each rule's health, lastError and (for alerts) state."""
        return self.api("rules")["groups"]

    def targets(self) -> list[dict]:
        """The active scrape targets, with health ("up"/"down"/"unknown") and lastError."""
        return self.api("targets")["activeTargets"]

    def stop(self, timeout_s: float = 15) -> None:
        """SIGTERM, then SIGKILL if it has not exited within timeout_s. Safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            stop_group(process, timeout_s)
