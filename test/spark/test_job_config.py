"""The job's command line: defaults, environment fallbacks, and exit 2 with a useful message."""
from __future__ import annotations

import pytest

from flight_analytics.config import JobConfig, parse_args

REQUIRED = ["--bootstrap", "127.0.0.1:9092", "--topic", "flights", "--output-dir", "/tmp/out/", "--checkpoint-dir", "/tmp/ck"]


def test_defaults_with_only_the_required_options():
    assert parse_args(REQUIRED, environ={}) == JobConfig(
        bootstrap="127.0.0.1:9092", topic="flights", output_dir="/tmp/out", checkpoint_dir="/tmp/ck"
    )


def test_every_option():
    config = parse_args(
        [
            *REQUIRED,
            "--starting-offsets", "latest",
            "--max-offsets-per-trigger", "5000",
            "--trigger", "processing-time:10s",
            "--watermark-delay", "2 minutes",
            "--master", "local[2]",
            "--timeout-s", "90",
            "--kafka-option", "kafka.security.protocol=SASL_SSL",
            "--kafka-option", "kafka.sasl.jaas.config=a=b",
            "--output-topic", "flight-aggregates",
            "--metrics-port", "9108",
            "--metrics-host", "0.0.0.0",
        ],
        environ={},
    )
    assert (config.starting_offsets, config.max_offsets_per_trigger, config.trigger) == ("latest", 5000, "processing-time:10s")
    assert (config.processing_time_s, config.watermark_delay, config.master, config.timeout_s) == (10, "2 minutes", "local[2]", 90.0)
    assert config.kafka_options == {"kafka.security.protocol": "SASL_SSL", "kafka.sasl.jaas.config": "a=b"}
    assert (config.output_topic, config.metrics_port, config.metrics_host) == ("flight-aggregates", 9108, "0.0.0.0")


def test_a_trigger_in_milliseconds():
    config = parse_args([*REQUIRED, "--trigger", "processing-time:1200ms"], environ={})
    assert (config.processing_time_ms, config.processing_time_s) == (1200, 1.2)
    assert parse_args(REQUIRED, environ={}).processing_time_ms is None  # available-now by default


def test_the_kafka_output_and_the_metrics_server_are_off_by_default():
    config = parse_args(REQUIRED, environ={})
    assert (config.output_topic, config.metrics_port, config.metrics_host) == (None, 0, "127.0.0.1")


def test_environment_variables_fill_in_and_options_win():
    environ = {
        "FLIGHT_KAFKA_BOOTSTRAP": "broker:9098",
        "FLIGHT_KAFKA_TOPIC": "from-env",
        "FLIGHT_OUTPUT_DIR": "s3a://bucket/out",
        "FLIGHT_CHECKPOINT_DIR": "s3a://bucket/ck",
        "FLIGHT_TRIGGER": "processing-time:30s",
        "FLIGHT_KAFKA_OPTIONS": "kafka.security.protocol=SASL_SSL;kafka.sasl.mechanism=AWS_MSK_IAM",
    }
    config = parse_args(["--topic", "from-cli"], environ=environ)
    assert (config.bootstrap, config.topic, config.output_dir, config.trigger) == (
        "broker:9098", "from-cli", "s3a://bucket/out", "processing-time:30s",
    )
    assert config.kafka_options == {"kafka.security.protocol": "SASL_SSL", "kafka.sasl.mechanism": "AWS_MSK_IAM"}


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--starting-offsets", "beginning", "'earliest' or 'latest'"),
        ("--max-offsets-per-trigger", "0", "an integer > 0"),
        ("--max-offsets-per-trigger", "many", "an integer > 0"),
        ("--trigger", "once", "'available-now' or 'processing-time:<N>s'"),
        ("--trigger", "processing-time:10", "'available-now' or 'processing-time:<N>s'"),
        ("--trigger", "processing-time:0ms", "'processing-time:<N>ms' with N > 0"),
        ("--trigger", "processing-time:1.5s", "'processing-time:<N>ms' with N > 0"),
        ("--watermark-delay", "10m", "'<N> seconds|minutes|hours|days'"),
        ("--timeout-s", "-3", "a number of seconds > 0"),
        ("--kafka-option", "novalue", "key=value"),
        ("--output-topic", "bad topic!", "a Kafka topic name"),
        ("--output-topic", "..", "a Kafka topic name"),
        ("--metrics-port", "70000", "a TCP port 1-65535, or 0"),
        ("--metrics-port", "http", "a TCP port 1-65535, or 0"),
    ],
)
def test_a_bad_value_exits_2_naming_option_value_and_expectation(option, value, expected, capsys):
    with pytest.raises(SystemExit) as exited:
        parse_args([*REQUIRED, option, value], environ={})
    assert exited.value.code == 2
    message = capsys.readouterr().err
    assert f"{option}={value!r}" in message and expected in message


def test_a_missing_required_option_exits_2_naming_its_env_var(capsys):
    with pytest.raises(SystemExit) as exited:
        parse_args(["--bootstrap", "b:9092", "--output-dir", "o", "--checkpoint-dir", "c"], environ={})
    assert exited.value.code == 2
    message = capsys.readouterr().err
    assert "--topic" in message and "FLIGHT_KAFKA_TOPIC" in message
