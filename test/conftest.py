"""Fixtures shared by every Python test: one real Kafka broker per test session, and the fault
tests' counts, printed in the run's summary so every `make test` log (CI's too) shows them."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from local.embedded_kafka import EmbeddedKafka, free_ports

# Small: the suite shares 2 cores and a few GiB with Spark, and tests hold little data.
TEST_BROKER_HEAP_MB = 512


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedKafka]:
    """A running single-node Kafka on free 127.0.0.1 ports, shared by the session.

    Tests share it, so each test must create its own uniquely named topics.
    """
    port, controller_port = free_ports(2)
    broker = EmbeddedKafka(
        tmp_path_factory.mktemp("kafka"),
        port=port,
        controller_port=controller_port,
        heap_mb=TEST_BROKER_HEAP_MB,
    )
    broker.start(timeout_s=120)
    try:
        yield broker
    finally:
        broker.stop()


FAULT_RESULTS = pytest.StashKey[list]()
FAULT_COUNTS = ("produced", "acknowledged", "found", "duplicated", "lost")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[FAULT_RESULTS] = []


@pytest.fixture(scope="session")
def fault_report(pytestconfig: pytest.Config) -> Callable[[dict], None]:
    """Records one fault scenario's counts (`scenario` plus FAULT_COUNTS, and any details): printed
    at once as a FAULT_RESULT line, and again in the run's summary."""

    def record(counts: dict) -> None:
        missing = [key for key in ("scenario", *FAULT_COUNTS) if key not in counts]
        if missing:
            raise ValueError(f"fault_report: counts lack {missing}; expected scenario and {list(FAULT_COUNTS)}")
        print("FAULT_RESULT " + json.dumps(counts), flush=True)
        pytestconfig.stash[FAULT_RESULTS].append(counts)

    return record


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    results = config.stash.get(FAULT_RESULTS, [])
    if not results:
        return
    terminalreporter.section("fault results: events per scenario")
    for counts in results:
        numbers = " ".join(f"{key}={counts[key]}" for key in FAULT_COUNTS)
        terminalreporter.write_line(f"{counts['scenario']}: {numbers}")
