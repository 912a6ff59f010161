"""Checks that run before the first batch, so a wrong setting fails in seconds with one clear line.

Without them, an unreachable broker made the job wait 3 minutes and print 400 lines of Java stack
traces and a query plan, with the cause in one of them. Each check here has a total time bound and
turns the Java exception it gets into one line that names the option, its value and what to check:

    check_writable(spark, config)  --output-dir and --checkpoint-dir: make the folder, write and
                                   delete a small probe file, through the Hadoop FileSystem of the
                                   path (file://, s3a://: the same code and credentials the job uses)
    check_kafka(spark, config)     --bootstrap and --topic: describe the topic(s) with Kafka's
                                   AdminClient from the connector's jars, with the job's
                                   --kafka-option kafka.* settings (SASL_SSL, MSK IAM apply)

Both raise PreflightError, whose str() is the line to print: "flight_analytics: error: ...".
The job exits with EXIT_CODE after printing it.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from flight_analytics.config import JobConfig

EXIT_CODE = 2
"""Like a bad argument (config.py): the job could not start with these settings. Exit 1 stays
"a query failed while running"; either is a failure to spark-operator."""

PREFIX = "flight_analytics: error: "

KAFKA_TIMEOUT_S = 10
"""How long the AdminClient may try to reach the cluster and describe the topic."""
KAFKA_CLOSE_TIMEOUT_S = 2
KAFKA_CHECK_BOUND_S = KAFKA_TIMEOUT_S + 8
"""Hard bound of check_kafka, Python side: Kafka's own timeouts come first, this one catches a call
that ignores them (a hanging DNS lookup while creating the client)."""

WRITE_CHECK_BOUND_S = 20
"""Hard bound of check_writable for both folders together (S3A may retry for minutes otherwise)."""

PROBE_PREFIX = "_flight_analytics_write_check_"
"""Names starting with _ are skipped by Spark's file sources, should one ever be left behind."""

MAX_DETAIL_CHARS = 300

_WRAPPER_CLASSES = ("java.util.concurrent.ExecutionException", "java.util.concurrent.CompletionException")


class PreflightError(RuntimeError):
    """A setting the job cannot run with; str() is one line starting with 'flight_analytics: error: '."""

    def __init__(self, message: str) -> None:
        line = _one_line(message)
        super().__init__(line if line.startswith(PREFIX) else PREFIX + line)


class _NoKafkaClient(RuntimeError):
    """Kafka's client classes are not on the driver's classpath."""


class _NoAnswer(Exception):
    """The bounded call did not return in time (its JVM call may still be running)."""


# --- helpers --------------------------------------------------------------------------------

def _one_line(text: object, limit: int | None = None) -> str:
    line = " ".join(str(text).split())
    if limit is not None and len(line) > limit:
        line = line[: limit - 3] + "..."
    return line


def _bounded(fn: Callable[[], Any], timeout_s: float, name: str) -> Any:
    """fn() in a daemon thread, waited for at most timeout_s: _NoAnswer if it is still running then.
    (py4j serves each Python thread on its own connection, so the caller can still stop Spark.)"""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as err:  # handed to the caller below
            outcome["error"] = err

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise _NoAnswer()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _java_throwable(err: BaseException) -> Any:
    """The Java Throwable behind a py4j call's exception, or None. PySpark's exception handler
    (installed globally by the session) turns some Java exceptions into its own classes
    (IllegalArgumentException, ...); those keep the Java one as _origin."""
    java_exception = getattr(err, "java_exception", None)  # py4j.protocol.Py4JJavaError
    if java_exception is not None:
        return java_exception
    return getattr(err, "_origin", None)  # pyspark.errors.exceptions.captured.CapturedException


def _java_chain(err: BaseException) -> list[tuple[str, str]]:
    """[(Java class name, one-line message)] of the exception and its causes, outermost first."""
    chain: list[tuple[str, str]] = []
    throwable = _java_throwable(err)
    try:
        while throwable is not None and len(chain) < 10:
            message = throwable.getMessage()
            chain.append((str(throwable.getClass().getName()), _one_line(message) if message is not None else ""))
            cause = throwable.getCause()
            if cause is None or cause.equals(throwable):
                break
            throwable = cause
    except Exception:  # the JVM is gone or the gateway broke: say what we have
        pass
    return chain


def _simple(class_name: str) -> str:
    return class_name.rsplit(".", 1)[-1]


def _has(chain: list[tuple[str, str]], *simple_names: str) -> bool:
    return any(_simple(name) in simple_names for name, _ in chain)


def _detail(err: BaseException) -> str:
    """'Class: message' of the exception that says most, plus its root cause if that says more."""
    chain = _java_chain(err)
    if not chain:
        return _one_line(f"{type(err).__name__}: {err}", MAX_DETAIL_CHARS)
    useful = [(name, message) for name, message in chain if name not in _WRAPPER_CLASSES] or chain
    first_name, first_message = useful[0]
    text = f"{_simple(first_name)}: {first_message}" if first_message else _simple(first_name)
    root_name, root_message = useful[-1]
    if len(useful) > 1 and root_message and root_message not in first_message:
        text += f"; caused by {_simple(root_name)}: {root_message}"
    return _one_line(text, MAX_DETAIL_CHARS)


# --- Kafka ----------------------------------------------------------------------------------

def _topics(config: JobConfig) -> list[str]:
    """--topic as the Kafka source reads it: 'subscribe' takes a comma-separated list."""
    return [topic.strip() for topic in config.topic.split(",") if topic.strip()]


def admin_properties(config: JobConfig) -> dict[str, str]:
    """The AdminClient's settings: the source's bootstrap, then every kafka.* --kafka-option with
    the prefix removed (security.protocol, sasl.*, ssl.*: the same client settings the Kafka source
    gets), then short timeouts so an unreachable cluster fails within KAFKA_TIMEOUT_S."""
    props = {"bootstrap.servers": config.bootstrap}
    for key, value in config.kafka_options.items():
        if key.startswith("kafka."):
            props[key.removeprefix("kafka.")] = value
    timeout_ms = str(KAFKA_TIMEOUT_S * 1000)
    props.update(
        {
            "request.timeout.ms": timeout_ms,
            "default.api.timeout.ms": timeout_ms,
            "socket.connection.setup.timeout.ms": str(min(KAFKA_TIMEOUT_S, 5) * 1000),
            "socket.connection.setup.timeout.max.ms": timeout_ms,
            "client.id": "flight-analytics-preflight",
        }
    )
    return props


def _describe_topics(jvm: Any, props: dict[str, str], topics: list[str]) -> dict[str, BaseException | None]:
    """{topic: None if it exists, else the exception describing it raised}. Raises what the
    client itself raises (creating it, reaching the cluster)."""
    from py4j.java_gateway import JavaClass

    admin_class = jvm.org.apache.kafka.clients.admin.AdminClient
    if not isinstance(admin_class, JavaClass):
        raise _NoKafkaClient()
    java_props = jvm.java.util.Properties()
    for key, value in props.items():
        java_props.setProperty(key, value)
    admin = admin_class.create(java_props)
    try:
        names = jvm.java.util.ArrayList()
        for topic in topics:
            names.add(topic)
        options = jvm.org.apache.kafka.clients.admin.DescribeTopicsOptions().timeoutMs(KAFKA_TIMEOUT_S * 1000)
        futures = admin.describeTopics(names, options).topicNameValues()
        seconds = jvm.java.util.concurrent.TimeUnit.valueOf("SECONDS")
        outcome: dict[str, BaseException | None] = {}
        for topic in topics:
            try:
                futures.get(topic).get(KAFKA_TIMEOUT_S + 2, seconds)
                outcome[topic] = None
            except Exception as err:
                chain = _java_chain(err)
                if _has(chain, "UnknownTopicOrPartitionException", "InvalidTopicException", "TopicAuthorizationException"):
                    outcome[topic] = err  # about this topic
                else:
                    raise  # about the cluster: the other topics would only fail the same way
        return outcome
    finally:
        try:
            admin.close(jvm.java.time.Duration.ofSeconds(KAFKA_CLOSE_TIMEOUT_S))
        except Exception:
            pass


def _quiet_kafka_logs(jvm: Any) -> Callable[[], None]:
    """Turn off the Kafka client's own log lines (a WARN per reconnect attempt, some with a stack
    trace) while the check runs: its one-line error says what they would. Returns the undo."""
    name = "org.apache.kafka"
    try:
        log4j = jvm.org.apache.logging.log4j
        context = log4j.LogManager.getContext(False)
        existed = context.getConfiguration().getLoggers().containsKey(name)
        previous = context.getConfiguration().getLoggerConfig(name).getLevel()
        log4j.core.config.Configurator.setLevel(name, log4j.Level.getLevel("OFF"))
    except Exception:
        return lambda: None

    def restore() -> None:
        try:
            if existed:
                log4j.core.config.Configurator.setLevel(name, previous)
            else:
                context.getConfiguration().removeLogger(name)
                context.updateLoggers()
        except Exception:
            pass

    return restore


def check_kafka(spark: Any, config: JobConfig) -> None:
    """The cluster at --bootstrap answers with the job's security settings and every --topic exists;
    PreflightError otherwise, within KAFKA_CHECK_BOUND_S."""
    topics = _topics(config)
    bootstrap = f"--bootstrap={config.bootstrap}"
    protocol = config.kafka_options.get("kafka.security.protocol", "PLAINTEXT")
    security_hint = (
        f"the security options match the broker's listener (now kafka.security.protocol={protocol}; "
        "set with --kafka-option kafka.security.protocol=..., kafka.sasl.*, kafka.ssl.*)"
    )
    jvm = spark._jvm
    restore_logs = _quiet_kafka_logs(jvm)
    timed_out = False
    try:
        outcome = _bounded(
            lambda: _describe_topics(jvm, admin_properties(config), topics), KAFKA_CHECK_BOUND_S, "preflight-kafka"
        )
    except _NoAnswer:
        timed_out = True  # the client is still trying: leave its logs off, the job is about to exit
        raise PreflightError(
            f"cannot reach Kafka at {bootstrap}: no answer within {KAFKA_CHECK_BOUND_S} s. Check that the broker is up, "
            f"that host:port is right and reachable from here, and that {security_hint}."
        ) from None
    except Exception as err:
        raise PreflightError(_kafka_failure(err, bootstrap, topics, security_hint)) from None
    finally:
        if not timed_out:
            restore_logs()

    failed = {topic: _java_chain(err) for topic, err in outcome.items() if err is not None}
    invalid = [topic for topic, chain in failed.items() if _has(chain, "InvalidTopicException")]
    if invalid:
        raise PreflightError(
            f'"{invalid[0]}" (--topic) is not a valid Kafka topic name ({_detail(outcome[invalid[0]])}); '
            "a name is 1-249 characters of a-z A-Z 0-9 . _ - (several topics: comma-separated). Fix --topic."
        )
    missing = [topic for topic, chain in failed.items() if _has(chain, "UnknownTopicOrPartitionException")]
    if missing:
        names = ", ".join(f'"{topic}"' for topic in missing)
        which = "topic" if len(missing) == 1 else "topics"
        raise PreflightError(
            f"{which} {names} (--topic) does not exist on Kafka at {bootstrap}. Check the topic name (case-sensitive) "
            "and that --bootstrap is the cluster that holds it; create it first if it is new "
            "(the job does not create topics), or fix --topic."
        )
    denied = list(failed)
    if denied:
        err = outcome[denied[0]]
        raise PreflightError(
            f'not allowed to describe topic "{denied[0]}" (--topic) on Kafka at {bootstrap} ({_detail(err)}). '
            "Check that the job's identity may Describe and Read the topic (on MSK IAM: kafka-cluster:DescribeTopic "
            "and kafka-cluster:ReadData) and that the kafka.sasl.* options name that identity."
        )


def _kafka_failure(err: BaseException, bootstrap: str, topics: list[str], security_hint: str) -> str:
    """One line for a failure of the client or the cluster (not of one topic)."""
    if isinstance(err, _NoKafkaClient):
        return (
            f"cannot check Kafka at {bootstrap}: the Kafka client (org.apache.kafka.clients.admin.AdminClient) is not on "
            "the driver's classpath. Check that the spark-sql-kafka-0-10 connector and kafka-clients jars are there "
            "(the image's /opt/spark/jars; locally, run with --master so local/ adds them)."
        )
    chain = _java_chain(err)
    detail = _detail(err)
    messages = " ".join(message for _, message in chain)
    if _has(chain, "SslAuthenticationException", "SSLHandshakeException", "SSLException"):
        return (
            f"TLS handshake with Kafka at {bootstrap} failed ({detail}). Check that the port is the TLS listener, "
            "that kafka.security.protocol is SSL or SASL_SSL as the listener expects, and the kafka.ssl.* "
            "truststore options (the broker's certificate must be trusted)."
        )
    if _has(chain, "SaslAuthenticationException", "AuthenticationException", "IllegalSaslStateException", "UnsupportedSaslMechanismException"):
        return (
            f"Kafka at {bootstrap} rejected the job's credentials ({detail}). Check kafka.sasl.mechanism and "
            "kafka.sasl.jaas.config (on MSK IAM: the job's IAM role and its kafka-cluster:Connect permission), "
            f"and that {security_hint}."
        )
    if _has(chain, "ClusterAuthorizationException", "TopicAuthorizationException", "AuthorizationException"):
        return (
            f"not allowed to describe topic(s) {', '.join(topics)} (--topic) on Kafka at {bootstrap} ({detail}). "
            "Check the ACLs or IAM policy of the job's identity (Describe and Read on the topic)."
        )
    if _has(chain, "ConfigException") and "resolvable bootstrap" in messages:
        return (
            f"cannot resolve any host of Kafka's {bootstrap} ({detail}). Check the host names for typos "
            "and that this machine's DNS can resolve them."
        )
    if _has(chain, "ConfigException"):
        return (
            f"the Kafka client settings are not valid ({detail}). Check {bootstrap} (host:port[,host:port]) "
            "and the --kafka-option kafka.* values."
        )
    if _has(chain, "TimeoutException"):
        return (
            f"cannot reach Kafka at {bootstrap} within {KAFKA_TIMEOUT_S} s ({detail}). Check that the broker is up, "
            f"that host:port is right and reachable from here (and the addresses the brokers advertise), and that "
            f"{security_hint}."
        )
    return (
        f"checking Kafka at {bootstrap} and topic(s) {', '.join(topics)} (--topic) failed ({detail}). Check that "
        f"the broker is up and reachable, and that {security_hint}."
    )


# --- writable folders -----------------------------------------------------------------------

_STEPS = {
    "filesystem": "opening its file system",
    "mkdirs": "creating the folder",
    "create": "writing a probe file in it",
    "delete": "deleting the probe file",
}


def _probe_folder(jvm: Any, hadoop_conf: Any, directory: str, state: dict[str, str]) -> None:
    """mkdirs, create and delete <directory>/_flight_analytics_write_check_<uuid>. state['step'] is
    the step under way, for the error message. Raises on the first failing step."""
    hadoop_path = jvm.org.apache.hadoop.fs.Path
    state["step"] = "filesystem"
    path = hadoop_path(directory)
    fs = path.getFileSystem(hadoop_conf)
    state["step"] = "mkdirs"
    if not fs.mkdirs(path):
        raise RuntimeError("mkdirs returned false: the folder could not be created")
    if not fs.getFileStatus(path).isDirectory():
        raise RuntimeError("the path exists and is not a folder")
    state["step"] = "create"
    probe = hadoop_path(path, PROBE_PREFIX + uuid.uuid4().hex)
    created = False
    try:
        stream = fs.create(probe, False)
        created = True
        try:
            stream.write(1)
        finally:
            stream.close()
        state["step"] = "delete"
        if not fs.delete(probe, False):
            raise RuntimeError("delete returned false")
        created = False
    finally:
        if created:  # a failed write: do not leave the probe behind
            try:
                fs.delete(probe, False)
            except Exception:
                pass


def check_writable(spark: Any, config: JobConfig) -> None:
    """--output-dir and --checkpoint-dir can be created, written and deleted in; PreflightError
    naming the option, the path and the underlying error otherwise, within WRITE_CHECK_BOUND_S."""
    jvm = spark._jvm
    hadoop_conf = spark._jsc.hadoopConfiguration()
    state = {"step": "filesystem", "option": "--output-dir", "directory": config.output_dir}

    def probe_both() -> None:
        for option, directory in (("--output-dir", config.output_dir), ("--checkpoint-dir", config.checkpoint_dir)):
            state.update(option=option, directory=directory)
            _probe_folder(jvm, hadoop_conf, directory, state)

    advice = (
        "Check the path (every existing parent must be a folder) and that the job's user "
        "(on S3: its IAM role, with s3:PutObject, s3:GetObject, s3:DeleteObject and s3:ListBucket) may create and delete files there."
    )
    try:
        _bounded(probe_both, WRITE_CHECK_BOUND_S, "preflight-write")
    except _NoAnswer:
        raise PreflightError(
            f"{state['option']}={state['directory']} did not answer within {WRITE_CHECK_BOUND_S} s while "
            f"{_STEPS[state['step']]}. Check the path, the bucket or endpoint, and network access from here."
        ) from None
    except Exception as err:
        raise PreflightError(
            f"{state['option']}={state['directory']} cannot be written: {_STEPS[state['step']]} failed ({_detail(err)}). {advice}"
        ) from None
