"""Fixtures shared by every Python test: one real Kafka broker per test session."""
from __future__ import annotations

from collections.abc import Iterator

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
