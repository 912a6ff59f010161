"""job.py's recognition of the Spark 4.1.2 replay bug (SPARK-55271): only that failure is restarted in place."""
from __future__ import annotations

from types import SimpleNamespace

from flight_analytics.job import is_replayed_batch_progress_failure

NPE_TRACE = (
    'java.lang.NullPointerException: Cannot invoke "scala.collection.IterableOps.map(scala.Function1)" because the '
    'return value of "scala.Option.get()" is null\n'
    "\tat org.apache.spark.sql.kafka010.KafkaMicroBatchStream$.metrics(KafkaMicroBatchStream.scala:520)\n"
    "\tat org.apache.spark.sql.kafka010.KafkaMicroBatchStream.metrics(KafkaMicroBatchStream.scala:363)\n"
)


def captured(desc: str, trace: str, cause=None) -> SimpleNamespace:
    """The shape of PySpark's CapturedException: a description, a Java trace, and the converted cause."""
    return SimpleNamespace(_desc=desc, _stackTrace=trace, _cause=cause)


def test_the_npe_in_kafka_metrics_is_recognised_in_the_cause_chain():
    # GIVEN the query's exception as PySpark returns it: the stream failure wrapping the NPE
    error = captured(
        "[STREAM_FAILED] Query [id = 1, runId = 2] terminated with exception: Cannot invoke ...",
        "org.apache.spark.sql.execution.streaming.StreamExecution.runStream(StreamExecution.scala:331)",
        cause=captured("Cannot invoke ...", NPE_TRACE),
    )
    assert is_replayed_batch_progress_failure(error)


def test_other_failures_are_not_restarted():
    other_npe = captured("x", "java.lang.NullPointerException\n\tat com.example.Sink.write(Sink.java:1)\n")
    kafka_error = captured("x", "org.apache.kafka.common.errors.TimeoutException\n\tat org.apache.spark.sql.kafka010.KafkaMicroBatchStream.latestOffset\n")
    for error in (other_npe, kafka_error, captured("x", "", cause=other_npe)):
        assert not is_replayed_batch_progress_failure(error)
