"""The job's settings: command-line options, each with an environment variable as fallback.

A bad value stops the job before Spark starts, with exit code 2 and a message that names the
option, the value and what was expected.
"""
from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass, field

_TRIGGER = re.compile(r"^(available-now|processing-time:(\d+)(s|ms))$")
_DURATION = re.compile(r"^\d+ (second|minute|hour|day)s?$")
_TOPIC = re.compile(r"[a-zA-Z0-9._-]{1,249}")


@dataclass(frozen=True)
class JobConfig:
    bootstrap: str
    topic: str
    output_dir: str
    checkpoint_dir: str
    starting_offsets: str = "earliest"
    max_offsets_per_trigger: int | None = None
    trigger: str = "available-now"
    watermark_delay: str = "10 minutes"
    max_event_ahead: str = "1 hour"
    master: str | None = None
    timeout_s: float | None = None
    kafka_options: dict[str, str] = field(default_factory=dict)
    output_topic: str | None = None
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"

    @property
    def processing_time_ms(self) -> int | None:
        """Milliseconds between micro-batches, or None for available-now."""
        match = _TRIGGER.match(self.trigger)
        if not match or not match.group(2):
            return None
        return int(match.group(2)) * (1000 if match.group(3) == "s" else 1)

    @property
    def processing_time_s(self) -> float | None:
        """Seconds between micro-batches, or None for available-now."""
        ms = self.processing_time_ms
        return None if ms is None else ms / 1000


# option -> (environment variable, help). Defaults live on JobConfig.
_OPTIONS = {
    "--bootstrap": ("FLIGHT_KAFKA_BOOTSTRAP", "Kafka bootstrap servers, host:port[,host:port]"),
    "--topic": ("FLIGHT_KAFKA_TOPIC", "Kafka topic of flight events"),
    "--starting-offsets": ("FLIGHT_STARTING_OFFSETS", "earliest | latest (first run only; later runs resume from the checkpoint)"),
    "--max-offsets-per-trigger": ("FLIGHT_MAX_OFFSETS_PER_TRIGGER", "records per micro-batch, integer > 0 (default: no cap)"),
    "--output-dir": ("FLIGHT_OUTPUT_DIR", "where events/, quarantine/, the window folders and flight_positions/ are written (path or s3a:// URI)"),
    "--checkpoint-dir": ("FLIGHT_CHECKPOINT_DIR", "one checkpoint folder per query is made under it"),
    "--trigger": ("FLIGHT_TRIGGER", "available-now | processing-time:<N>s | processing-time:<N>ms"),
    "--watermark-delay": ("FLIGHT_WATERMARK_DELAY", "how late an event may arrive and still count, e.g. '10 minutes'"),
    "--max-event-ahead": (
        "FLIGHT_MAX_EVENT_AHEAD",
        "quarantine an event whose event_time is more than this after its Kafka record timestamp "
        "(reason event_time_ahead), e.g. '1 hour' (default: Kafka's own log.message.timestamp.after.max.ms)",
    ),
    "--master": ("FLIGHT_SPARK_MASTER", "run on this machine with this master, e.g. local[2] (omit on a cluster)"),
    "--timeout-s": ("FLIGHT_TIMEOUT_S", "available-now: fail if not done after this many seconds; processing-time: run this long, then stop"),
    "--kafka-option": ("FLIGHT_KAFKA_OPTIONS", "extra Kafka source option key=value, repeatable (env: ';'-separated), e.g. kafka.security.protocol=SASL_SSL"),
    "--output-topic": ("FLIGHT_OUTPUT_TOPIC", "also send every closed window as JSON to this Kafka topic (same cluster and kafka.security/sasl/ssl options as the source; default: off)"),
    "--metrics-port": ("FLIGHT_METRICS_PORT", "serve Prometheus metrics on http://<metrics-host>:<port>/metrics; 0 = off (default)"),
    "--metrics-host": ("FLIGHT_METRICS_HOST", "address the metrics server binds (default 127.0.0.1; 0.0.0.0 in a pod Prometheus scrapes)"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flight_analytics",
        description="Flight events from Kafka -> validated events, quarantine, windowed analytics and live positions as Parquet (and Kafka).",
    )
    for option, (env, help_text) in _OPTIONS.items():
        parser.add_argument(
            option,
            action="append" if option == "--kafka-option" else "store",
            help=f"{help_text} [env {env}]",
        )
    return parser


def _fail(parser: argparse.ArgumentParser, option: str, value: object, expected: str) -> None:
    parser.error(f"{option}={value!r} is not valid: expected {expected} (or set {_OPTIONS[option][0]})")


def parse_args(argv: list[str] | None = None, environ: dict[str, str] | None = None) -> JobConfig:
    """Options win over environment variables; exits with code 2 on a missing or bad value."""
    parser = _parser()
    args = vars(parser.parse_args(argv))
    env = os.environ if environ is None else environ

    def value(option: str) -> str | list[str] | None:
        given = args[option.lstrip("-").replace("-", "_")]
        if given is not None:
            return given
        from_env = env.get(_OPTIONS[option][0])
        if option == "--kafka-option" and from_env:
            return [item for item in from_env.split(";") if item.strip()]
        return from_env or None

    for option in ("--bootstrap", "--topic", "--output-dir", "--checkpoint-dir"):
        if not value(option):
            _fail(parser, option, None, "a non-empty value")

    settings: dict = {
        "bootstrap": value("--bootstrap"),
        "topic": value("--topic"),
        "output_dir": value("--output-dir").rstrip("/"),
        "checkpoint_dir": value("--checkpoint-dir").rstrip("/"),
        "master": value("--master"),
    }

    starting = value("--starting-offsets")
    if starting is not None:
        if starting not in ("earliest", "latest"):
            _fail(parser, "--starting-offsets", starting, "'earliest' or 'latest'")
        settings["starting_offsets"] = starting

    max_offsets = value("--max-offsets-per-trigger")
    if max_offsets is not None:
        if not re.fullmatch(r"\d+", max_offsets.strip()) or int(max_offsets) <= 0:
            _fail(parser, "--max-offsets-per-trigger", max_offsets, "an integer > 0")
        settings["max_offsets_per_trigger"] = int(max_offsets)

    trigger = value("--trigger")
    if trigger is not None:
        match = _TRIGGER.match(trigger)
        if not match or (match.group(2) is not None and int(match.group(2)) <= 0):
            _fail(parser, "--trigger", trigger, "'available-now' or 'processing-time:<N>s' or 'processing-time:<N>ms' with N > 0")
        settings["trigger"] = trigger

    watermark = value("--watermark-delay")
    if watermark is not None:
        if not _DURATION.match(watermark.strip()):
            _fail(parser, "--watermark-delay", watermark, "'<N> seconds|minutes|hours|days', e.g. '10 minutes'")
        settings["watermark_delay"] = watermark.strip()

    max_ahead = value("--max-event-ahead")
    if max_ahead is not None:
        if not _DURATION.match(max_ahead.strip()):
            _fail(parser, "--max-event-ahead", max_ahead, "'<N> seconds|minutes|hours|days', e.g. '1 hour'")
        settings["max_event_ahead"] = max_ahead.strip()

    timeout = value("--timeout-s")
    if timeout is not None:
        try:
            seconds = float(timeout)
        except ValueError:
            seconds = -1.0
        if not seconds > 0:
            _fail(parser, "--timeout-s", timeout, "a number of seconds > 0")
        settings["timeout_s"] = seconds

    kafka_options = {}
    for item in value("--kafka-option") or []:
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            _fail(parser, "--kafka-option", item, "key=value")
        kafka_options[key.strip()] = val
    settings["kafka_options"] = kafka_options

    output_topic = value("--output-topic")
    if output_topic is not None:
        # Kafka's own rule for topic names (Topic.validate): 1-249 of [a-zA-Z0-9._-], not "." or "..".
        if not _TOPIC.fullmatch(output_topic) or output_topic in (".", ".."):
            _fail(parser, "--output-topic", output_topic, "a Kafka topic name: 1-249 characters of a-z A-Z 0-9 . _ -")
        settings["output_topic"] = output_topic

    metrics_port = value("--metrics-port")
    if metrics_port is not None:
        if not re.fullmatch(r"\d+", metrics_port.strip()) or int(metrics_port) > 65535:
            _fail(parser, "--metrics-port", metrics_port, "a TCP port 1-65535, or 0 for no metrics server")
        settings["metrics_port"] = int(metrics_port)

    metrics_host = value("--metrics-host")
    if metrics_host is not None:
        if not metrics_host.strip():
            _fail(parser, "--metrics-host", metrics_host, "an address to bind, e.g. 127.0.0.1")
        settings["metrics_host"] = metrics_host.strip()

    return JobConfig(**settings)
