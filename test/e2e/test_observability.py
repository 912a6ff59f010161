"""Every dashboard and alert query of monitoring/ is proven against real metrics in a real Prometheus.

One scenario, real components only: the embedded Kafka broker with the JMX exporter agent and
monitoring/kafka-jmx-exporter.yaml (the rules Strimzi's brokers run), the producer sending at a
bounded rate with --metrics-port, the Spark job on a processing-time trigger with --metrics-port,
and malformed records among the events (so quarantined_records_total{reason} exists). Prometheus
(the Debian package) scrapes the three every second and loads monitoring/alert-rules.json as it is.
While all of them run, the test checks that:
  - every query of monitoring/dashboards/*.json and every alert expr evaluates without error and
    returns data; an alert's expr is empty while the system is healthy, so for an alert "data" is
    asked of the operands of its top-level comparisons and and/or/unless (local/promql.data_operands);
  - every metric name a query selects is in the /metrics of one of the targets, and every label
    it matches on or groups by is on a series of one of its metrics;
  - every rule's health is "ok", and the quarantine-rate alert goes pending (its `for` is minutes,
    so firing is out of a short test's reach; pending proves its expr is true in this scenario).
"""
from __future__ import annotations

import glob
import json
import re
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from typing import NamedTuple

import pytest

from local.embedded_kafka import EmbeddedKafka, free_ports
from local.jmx_exporter import javaagent_option
from local.pipeline import node_env, producer_command
from local.processes import stop_group
from local.prometheus import PrometheusQueryError, PrometheusServer, ScrapeJob, wait_until
from local.promql import data_operands, dashboard_queries, label_names, metric_names, substitute_variables
from local.versions import PROJECT_ROOT
from streaming_job import job_command, job_env

pytestmark = pytest.mark.e2e

MONITORING = PROJECT_ROOT / "monitoring"
ALERT_RULES = MONITORING / "alert-rules.json"
JMX_EXPORTER_CONFIG = MONITORING / "kafka-jmx-exporter.yaml"
QUARANTINE_ALERT = "FlightAnalyticsQuarantineRate"

PRODUCER_RATE = 100  # events/s: small, the point is metrics, not load
PRODUCER_DURATION_S = 150  # an upper bound: the test stops it once every query has data
MALFORMED_EVERY_S = 2
MALFORMED_PER_ROUND = 20  # ~10% of the records: well above the quarantine alert's 1%
STARTUP_BUDGET_S = 150  # broker, Spark session and the job's first batch on a shared 2-core machine
DATA_BUDGET_S = 90  # from the producer's start until every query has data

# Grafana's built-in variables, with values that fit a 1 s scrape of a run of about a minute. Our
# dashboards name the datasource through ${datasource} outside their exprs; any other variable in a
# query makes substitute_variables fail with its name.
GRAFANA_VALUES = {"__rate_interval": "30s", "__interval": "5s", "__interval_ms": "5000", "__range": "2m",
                  "__range_s": "120", "datasource": "prometheus"}


class Query(NamedTuple):
    where: str
    expr: str  # PromQL, Grafana variables substituted
    must_have_data: list[str]  # the expr itself, or an alert's data_operands


def all_queries() -> list[Query]:
    """Every dashboard query and every alert expr."""
    found = []
    for path in sorted(glob.glob(str(MONITORING / "dashboards" / "*.json"))):
        dashboard = json.loads(Path(path).read_text())
        for query in dashboard_queries(dashboard, Path(path).name):
            expr = substitute_variables(query.expr, GRAFANA_VALUES)
            found.append(Query(query.where, expr, [expr]))
    for group in json.loads(ALERT_RULES.read_text())["groups"]:
        for rule in group["rules"]:
            found.append(Query(f"{ALERT_RULES.name} / {rule['alert']}", rule["expr"], data_operands(rule["expr"])))
    return found


def sample_names(exposition: str) -> set[str]:
    """Metric names of the samples in a Prometheus text exposition (histograms as _bucket/_sum/_count)."""
    return {m.group(1) for m in re.finditer(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", exposition, flags=re.M)}


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def fetch_or_empty(url: str) -> str:
    try:
        return fetch(url)
    except OSError:
        return ""


def start(cmd: list[str], log: Path, **kwargs) -> subprocess.Popen:
    """A component in its own process group (the job's JVM, tsx's node), its stderr to `log`."""
    with open(log, "w") as stderr:
        return subprocess.Popen(cmd, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True, **kwargs)


def missing_data(prometheus: PrometheusServer, queries: list[Query]) -> list[str]:
    """Each query (or alert operand) that errs or returns nothing, as '<where>: <PromQL>: <why>'."""
    problems = []
    for query in queries:
        for promql in query.must_have_data:
            try:
                if not prometheus.query(promql):
                    problems.append(f"{query.where}: {promql}: no data")
            except PrometheusQueryError as err:
                problems.append(f"{query.where}: {promql}: {err}")
    return problems


def quarantine_alert_state(prometheus: PrometheusServer) -> str | None:
    for group in prometheus.rules():
        for rule in group["rules"]:
            if rule.get("name") == QUARANTINE_ALERT:
                return rule.get("state")
    return None


@pytest.fixture(scope="module")
def observed(tmp_path_factory):
    """The running scenario, once every query has data or DATA_BUDGET_S has passed: a dict with the
    Prometheus server and the targets' /metrics text, taken while every component still runs."""
    work = tmp_path_factory.mktemp("observability")
    queries = all_queries()
    broker_port, controller_port, jmx_port, producer_port, job_port = free_ports(5)
    broker = EmbeddedKafka(work / "kafka", port=broker_port, controller_port=controller_port, heap_mb=512,
                           jvm_options=(javaagent_option(jmx_port, JMX_EXPORTER_CONFIG),))
    targets = {"kafka-broker": f"127.0.0.1:{jmx_port}", "flight-producer": f"127.0.0.1:{producer_port}",
               "spark-job": f"127.0.0.1:{job_port}"}
    prometheus = PrometheusServer(work / "prometheus", [ScrapeJob(name, [t]) for name, t in targets.items()],
                                  rule_files=[ALERT_RULES])
    processes: list[subprocess.Popen] = []
    try:
        broker.start(timeout_s=120)
        topic = f"flight-events-observed-{uuid.uuid4().hex[:8]}"
        broker.create_topic(topic, partitions=2)
        prometheus.start()
        processes.append(start(
            job_command(broker.bootstrap_servers, topic, work / "output", work / "checkpoints",
                        "--trigger", "processing-time:2s", "--metrics-port", str(job_port),
                        # The producer simulates from now at faster than real time (see bench/soak.py).
                        "--max-event-ahead", "3650 days", "--timeout-s", str(STARTUP_BUDGET_S + DATA_BUDGET_S + 60)),
            work / "job-stderr.log", env=job_env(),
        ))
        wait_until(lambda: True if "flight_analytics_batch_id" in fetch_or_empty(f"http://{targets['spark-job']}/metrics") else None,
                   STARTUP_BUDGET_S, f"the Spark job's first micro-batch on its /metrics (log: {work / 'job-stderr.log'})", poll_s=1)
        processes.append(start(
            producer_command("produce", "--bootstrap", broker.bootstrap_servers, "--topic", topic, "--count", "0",
                             "--duration-s", str(PRODUCER_DURATION_S), "--rate", str(PRODUCER_RATE),
                             "--metrics-port", str(producer_port)),
            work / "producer-stderr.log", env=node_env(),
        ))
        # Malformed records through one long-lived console producer: a JVM start per round would be slow.
        malformed = start(
            [broker.java, "-Xmx128m", "-cp", str(broker.jar_dir() / "*"), "org.apache.kafka.tools.ConsoleProducer",
             "--bootstrap-server", broker.bootstrap_servers, "--topic", topic, "--producer-property", "linger.ms=5"],
            work / "malformed-stderr.log", stdin=subprocess.PIPE, text=True,
        )
        processes.append(malformed)
        deadline = time.monotonic() + DATA_BUDGET_S
        sent_malformed = 0
        while time.monotonic() < deadline:
            malformed.stdin.write("".join(f"not json {sent_malformed + i}\n" for i in range(MALFORMED_PER_ROUND)))
            malformed.stdin.flush()
            sent_malformed += MALFORMED_PER_ROUND
            if not missing_data(prometheus, queries) and quarantine_alert_state(prometheus) in ("pending", "firing"):
                break
            time.sleep(MALFORMED_EVERY_S)
        assert all(p.poll() is None for p in processes), (
            f"a component exited early: {[(p.args[:3], p.returncode) for p in processes]}; logs in {work}")
        expositions = {job: fetch(f"http://{target}/metrics") for job, target in targets.items()}
        yield {"prometheus": prometheus, "queries": queries, "expositions": expositions, "sent_malformed": sent_malformed}
    finally:
        for process in reversed(processes):
            stop_group(process)
        prometheus.stop()
        broker.stop()


def test_prometheus_scrapes_the_broker_the_producer_and_the_job(observed):
    targets = observed["prometheus"].targets()
    assert sorted((t["labels"]["job"], t["health"], t["lastError"]) for t in targets) == [
        ("flight-producer", "up", ""), ("kafka-broker", "up", ""), ("spark-job", "up", "")]


def test_every_dashboard_and_alert_query_returns_data(observed):
    assert len(observed["queries"]) > 20  # three dashboards and the alert rules, not an empty glob
    assert missing_data(observed["prometheus"], observed["queries"]) == []


def test_every_metric_name_a_query_selects_is_served_by_a_target(observed):
    served = set().union(*(sample_names(text) for text in observed["expositions"].values()))
    unserved = sorted({(q.where, name) for q in observed["queries"] for name in metric_names(q.expr) if name not in served})
    assert unserved == []


def test_every_label_a_query_uses_is_on_a_series_of_its_metrics(observed):
    prometheus = observed["prometheus"]
    problems = []
    for query in observed["queries"]:
        labels_on_series = set()
        for name in metric_names(query.expr):
            for series in prometheus.api("series", {"match[]": name, "start": str(time.time() - 600)}):
                labels_on_series |= set(series)
        problems += [(query.where, label) for label in sorted(label_names(query.expr) - labels_on_series)]
    assert problems == []


def test_every_alert_rule_is_evaluated_with_health_ok(observed):
    rules = [rule for group in observed["prometheus"].rules() for rule in group["rules"]]
    expected = [rule["alert"] for group in json.loads(ALERT_RULES.read_text())["groups"] for rule in group["rules"]]
    assert sorted(rule["name"] for rule in rules) == sorted(expected)
    assert [(rule["name"], rule["health"], rule.get("lastError", "")) for rule in rules if rule["health"] != "ok"] == []


def test_the_quarantine_rate_alert_goes_pending_when_a_tenth_of_the_records_are_malformed(observed):
    assert observed["sent_malformed"] > 0
    assert quarantine_alert_state(observed["prometheus"]) in ("pending", "firing")
    reasons = observed["prometheus"].query("sum by (reason) (flight_analytics_quarantined_records_total)")
    assert {series["metric"].get("reason") for series in reasons} == {"invalid_json"}
