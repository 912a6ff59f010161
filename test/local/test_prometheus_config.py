"""local/prometheus.py without a server: the configuration it writes, its bounded wait, and the
error a machine without the Debian package gets."""
from __future__ import annotations

from pathlib import Path

import pytest

import local.prometheus as prometheus_module
from local.prometheus import PrometheusError, PrometheusServer, ScrapeJob, prometheus_config, wait_until


def test_config_scrapes_each_job_and_evaluates_rules_at_the_interval(tmp_path):
    rules = tmp_path / "rules.json"
    config = prometheus_config([ScrapeJob("producer", ["127.0.0.1:9464"], {"fleet": "a"})], [rules], interval_s=1)
    assert config == {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": [{
            "job_name": "producer",
            "metrics_path": "/metrics",
            "static_configs": [{"targets": ["127.0.0.1:9464"], "labels": {"fleet": "a"}}],
        }],
    }


def test_config_rejects_repeated_job_names_and_a_zero_interval():
    with pytest.raises(ValueError, match=r"\['a', 'a'\] repeat"):
        prometheus_config([ScrapeJob("a", ["h:1"]), ScrapeJob("a", ["h:2"])], [], interval_s=1)
    with pytest.raises(ValueError, match="interval_s=0"):
        prometheus_config([], [], interval_s=0)


def test_wait_until_returns_the_first_answer_and_fails_naming_what_it_waited_for():
    answers = iter([None, None, "ready"])
    assert wait_until(lambda: next(answers), timeout_s=5, what="x", poll_s=0) == "ready"
    with pytest.raises(TimeoutError, match="the broker's metrics: not within 0.05 s"):
        wait_until(lambda: None, timeout_s=0.05, what="the broker's metrics", poll_s=0.01)


def test_a_missing_binary_names_the_package_and_the_make_target(tmp_path, monkeypatch):
    monkeypatch.setattr(prometheus_module.shutil, "which", lambda name: None)
    server = PrometheusServer(tmp_path, [ScrapeJob("producer", ["127.0.0.1:9464"])])
    with pytest.raises(PrometheusError, match=r"Debian package 'prometheus'.*make test.*\.state/stamps/debs"):
        server.start()
    assert not Path(tmp_path / "prometheus.yml").exists()
