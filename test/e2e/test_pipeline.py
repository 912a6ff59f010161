"""End to end, with real components only: TypeScript producer -> embedded Kafka -> PySpark job.

The truth is computed independently: the producer's `generate` writes the very events `produce`
sends (same seed and start time) to a file, and plain Python recomputes what Spark must output.
"""
from __future__ import annotations

import json
import math
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from flight_analytics.transforms import TOP_DELAYED_ROUTES, WINDOW_FAMILIES
from local.pipeline import generate_events_file, produce
from streaming_job import job_command, progress_lines, read_batches, read_topic, run_job

pytestmark = pytest.mark.e2e

SEED = 20261124
START_TIME = "2026-03-01T00:00:00.000Z"
EVENT_COUNT = 60_000
PARTITIONS = 4
WATERMARK_DELAY_MIN = 10
# Several micro-batches, so the watermark moves between batches as in production.
MAX_OFFSETS_PER_TRIGGER = EVENT_COUNT // 6
# The job's windows share one aggregation keyed by the longest family window (transforms.analytics_windows):
# a window is written once the watermark passes the end of the 15-minute block that holds it.
STATE_WINDOW_S = max(family.minutes for family in WINDOW_FAMILIES) * 60


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def final_watermark(events: list[dict]) -> datetime:
    """Where the event-time watermark ends once every event is read: max event time - delay."""
    return max(parse_time(e["event_time"]) for e in events) - timedelta(minutes=WATERMARK_DELAY_MIN)


def is_written(window_start: datetime, watermark: datetime) -> bool:
    """Whether the job has written a window starting at window_start once the watermark is here."""
    start_s = window_start.replace(tzinfo=timezone.utc).timestamp()
    return start_s - start_s % STATE_WINDOW_S + STATE_WINDOW_S <= watermark.timestamp()


def window_of(e: dict, minutes: int) -> datetime:
    t = parse_time(e["event_time"])
    return t.replace(minute=t.minute - t.minute % minutes, second=0, microsecond=0)


def mean(values: list) -> float:
    return sum(values) / len(values) if values else math.nan


def expected_airport_windows(events: list[dict]) -> pd.DataFrame:
    """Per airport, 5-minute windows (closed by the final watermark), in plain Python."""
    groups: dict = defaultdict(lambda: {"departures": [], "arrivals": []})
    watermark = final_watermark(events)
    for e in events:
        if e["event_type"] == "departed":
            groups[(window_of(e, 5), e["origin"])]["departures"].append(e["departure_delay_min"])
        elif e["event_type"] == "arrived":
            groups[(window_of(e, 5), e["diverted_to"] or e["destination"])]["arrivals"].append(e["arrival_delay_min"])
    rows = [
        {
            "window_start": start.replace(tzinfo=None), "airport": airport,
            "departures": len(g["departures"]), "arrivals": len(g["arrivals"]),
            "avg_departure_delay_min": mean(g["departures"]), "avg_arrival_delay_min": mean(g["arrivals"]),
        }
        for (start, airport), g in groups.items()
        if is_written(start, watermark)
    ]
    return pd.DataFrame(rows).sort_values(["window_start", "airport"]).reset_index(drop=True)


def expected_route_windows(events: list[dict]) -> pd.DataFrame:
    """Per route (origin -> scheduled destination), 15-minute windows of departures, in plain Python."""
    groups: dict = defaultdict(list)
    watermark = final_watermark(events)
    for e in events:
        if e["event_type"] == "departed":
            groups[(window_of(e, 15), e["origin"], e["destination"])].append(e["departure_delay_min"])
    rows = [
        {
            "window_start": start.replace(tzinfo=None), "origin": origin, "destination": destination,
            "flights": len(delays), "avg_departure_delay_min": mean(delays),
        }
        for (start, origin, destination), delays in groups.items()
        if is_written(start, watermark)
    ]
    return pd.DataFrame(rows).sort_values(["window_start", "origin", "destination"]).reset_index(drop=True)


def expected_top_routes(routes: pd.DataFrame, top: int) -> pd.DataFrame:
    ranked = routes.dropna(subset=["avg_departure_delay_min"]).sort_values(
        ["window_start", "avg_departure_delay_min", "flights", "origin", "destination"], ascending=[True, False, False, True, True]
    )
    ranked["rank"] = ranked.groupby("window_start").cumcount() + 1
    return ranked[ranked["rank"] <= top].reset_index(drop=True)


def expected_latest_positions(events: list[dict]) -> pd.DataFrame:
    """Per flight: its latest event (by event time, then seq) and its latest position, in plain Python."""
    last: dict[str, dict] = {}
    fix: dict[str, dict] = {}
    for e in sorted(events, key=lambda e: (parse_time(e["event_time"]), e["seq"])):
        last[e["flight_id"]] = e
        if e["position"] is not None:
            fix[e["flight_id"]] = e
    rows = []
    for flight_id, e in last.items():
        f = fix.get(flight_id)
        rows.append({
            "flight_id": flight_id, "last_event_type": e["event_type"],
            "active": e["event_type"] not in ("landed", "arrived", "cancelled"),
            "lat_deg": f["position"]["lat_deg"] if f else math.nan, "lon_deg": f["position"]["lon_deg"] if f else math.nan,
        })
    return pd.DataFrame(rows).sort_values("flight_id").reset_index(drop=True)


def position_groups(events: list[dict]) -> set[tuple[str, datetime]]:
    """The (flight, 5-minute window) pairs of flight_positions/."""
    return {(e["flight_id"], window_of(e, 5)) for e in events}


def comparable(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """`actual` with the columns, types and row order of `expected`."""
    actual = actual.copy()
    if "window_start" in actual:
        actual["window_start"] = pd.to_datetime(actual["window_start"]).dt.tz_localize(None)
    return actual[expected.columns].astype(expected.dtypes.to_dict()).sort_values(keys).reset_index(drop=True)


def expected_airline_minutes(events: list[dict]) -> pd.DataFrame:
    """Per airline, per 1-minute tumbling window: what the Spark job must report, in plain Python.

    Only the windows the job has written by the final watermark (max event time - delay) count: it
    appends a window once, when the watermark passes the end of its 15-minute block (is_written).
    """
    watermark = final_watermark(events)
    groups: dict[tuple[datetime, str], dict] = defaultdict(
        lambda: {"events": 0, "departures": 0, "arrivals": 0, "cancellations": 0, "delays": []}
    )
    for e in events:
        t = parse_time(e["event_time"])
        window_start = t.replace(second=0, microsecond=0)
        g = groups[(window_start, e["airline"])]
        g["events"] += 1
        if e["event_type"] == "departed":
            g["departures"] += 1
            g["delays"].append(e["departure_delay_min"])
        elif e["event_type"] == "arrived":
            g["arrivals"] += 1
        elif e["event_type"] == "cancelled":
            g["cancellations"] += 1
    rows = []
    for (window_start, airline), g in groups.items():
        if not is_written(window_start, watermark):
            continue
        rows.append(
            {
                "window_start": window_start.replace(tzinfo=None),
                "airline": airline,
                "events": g["events"],
                "departures": g["departures"],
                "arrivals": g["arrivals"],
                "cancellations": g["cancellations"],
                "avg_departure_delay_min": sum(g["delays"]) / len(g["delays"]) if g["delays"] else math.nan,
                # percentile_approx is exact below 10,000 values: the smallest delay with >= 90% at or below it
                "p90_departure_delay_min": (
                    sorted(g["delays"])[math.ceil(0.9 * len(g["delays"])) - 1] if g["delays"] else math.nan
                ),
                "on_time_rate": sum(d <= 15 for d in g["delays"]) / len(g["delays"]) if g["delays"] else math.nan,
            }
        )
    return pd.DataFrame(rows).sort_values(["window_start", "airline"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def pipeline_run(kafka_broker, tmp_path_factory):
    workdir: Path = tmp_path_factory.mktemp("e2e")
    topic = f"flight-events-e2e-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(topic, partitions=PARTITIONS)

    truth_file = generate_events_file(workdir / "truth.jsonl", EVENT_COUNT, seed=SEED, start_time=START_TIME)
    truth = [json.loads(line) for line in truth_file.read_text().splitlines()]

    aggregates_topic = f"flight-aggregates-e2e-{uuid.uuid4().hex[:8]}"
    kafka_broker.create_topic(aggregates_topic, partitions=2)

    produced = produce(kafka_broker.bootstrap_servers, topic, EVENT_COUNT, seed=SEED, start_time=START_TIME)
    checkpoints = workdir / "checkpoints"
    code, spark, stderr = run_job(
        job_command(
            kafka_broker.bootstrap_servers, topic, workdir / "output", checkpoints, "--trigger", "available-now",
            "--max-offsets-per-trigger", str(MAX_OFFSETS_PER_TRIGGER), "--watermark-delay", f"{WATERMARK_DELAY_MIN} minutes",
            "--output-topic", aggregates_topic,
        )
    )
    assert code == 0, stderr
    aggregates = read_topic(kafka_broker, aggregates_topic, spark["windows"])
    return {
        "truth": truth, "produced": produced, "spark": spark, "output": workdir / "output",
        "progress": progress_lines(checkpoints), "aggregates": aggregates,
        "aggregates_end_offsets": kafka_broker.topic_end_offsets(aggregates_topic),
    }


def test_producer_acknowledges_every_event(pipeline_run):
    produced = pipeline_run["produced"]
    assert (produced.sent, produced.acked, produced.errors) == (EVENT_COUNT, EVENT_COUNT, 0)


def test_generate_and_produce_describe_the_same_events(pipeline_run):
    truth = pipeline_run["truth"]
    assert len(truth) == EVENT_COUNT
    assert len({e["event_id"] for e in truth}) == EVENT_COUNT


def test_every_produced_event_is_processed_exactly_once(pipeline_run):
    events = pd.read_parquet(pipeline_run["output"] / "events")
    truth_ids = {e["event_id"] for e in pipeline_run["truth"]}
    assert len(events) == EVENT_COUNT, "an event was lost or written twice"
    assert events["event_id"].nunique() == EVENT_COUNT
    assert set(events["event_id"]) == truth_ids
    spark = pipeline_run["spark"]
    assert (spark["input_rows"], spark["processed"], spark["quarantined"]) == (EVENT_COUNT, EVENT_COUNT, 0)


def test_parsed_fields_equal_what_the_producer_sent(pipeline_run):
    events = pd.read_parquet(
        pipeline_run["output"] / "events",
        columns=["event_id", "flight_id", "seq", "event_type", "airline", "event_time", "departure_delay_min", "position"],
    ).set_index("event_id")
    mismatches = []
    for e in pipeline_run["truth"]:
        row = events.loc[e["event_id"]]
        spark_time = row["event_time"].tz_localize("UTC") if row["event_time"].tzinfo is None else row["event_time"]
        position = row["position"]
        spark_lat = None if position is None else position["lat_deg"]
        truth_lat = None if e["position"] is None else e["position"]["lat_deg"]
        delay = None if pd.isna(row["departure_delay_min"]) else int(row["departure_delay_min"])
        if (
            row["flight_id"] != e["flight_id"]
            or row["seq"] != e["seq"]
            or row["event_type"] != e["event_type"]
            or row["airline"] != e["airline"]
            or spark_time != pd.Timestamp(e["event_time"])
            or delay != e["departure_delay_min"]
            or spark_lat != truth_lat
        ):
            mismatches.append(e["event_id"])
    assert mismatches[:5] == [] and len(mismatches) == 0


def test_airline_minute_windows_equal_an_independent_computation(pipeline_run):
    expected = expected_airline_minutes(pipeline_run["truth"])
    actual = comparable(read_batches(pipeline_run["output"] / "airline_minute"), expected, ["window_start", "airline"])
    assert len(expected) > 100, "the run should close many windows"
    pd.testing.assert_frame_equal(actual, expected, check_exact=False, rtol=1e-9)


def test_airport_and_route_windows_and_top_routes_equal_an_independent_computation(pipeline_run):
    truth, output = pipeline_run["truth"], pipeline_run["output"]
    airports = expected_airport_windows(truth)
    pd.testing.assert_frame_equal(
        comparable(read_batches(output / "airport_5min"), airports, ["window_start", "airport"]), airports, check_exact=False, rtol=1e-9
    )
    routes = expected_route_windows(truth)
    pd.testing.assert_frame_equal(
        comparable(read_batches(output / "route_15min"), routes, ["window_start", "origin", "destination"]), routes, check_exact=False, rtol=1e-9
    )
    top = expected_top_routes(routes, TOP_DELAYED_ROUTES)
    pd.testing.assert_frame_equal(comparable(read_batches(output / "top_delayed_routes"), top, ["window_start", "rank"]), top)
    assert len(airports) > 20 and len(routes) > 20 and top["rank"].max() == TOP_DELAYED_ROUTES
    # every window row of every family, and nothing else, is what the job reports
    airlines = expected_airline_minutes(truth)
    assert pipeline_run["spark"]["windows"] == len(airlines) + len(airports) + len(routes)


def test_the_aggregates_topic_holds_each_window_once_as_json(pipeline_run):
    records = pipeline_run["aggregates"]
    assert sum(pipeline_run["aggregates_end_offsets"].values()) == len(records) == pipeline_run["spark"]["windows"]
    assert len({key for key, _ in records}) == len(records), "one record per window (no replay happened here)"
    values = [json.loads(value) for _, value in records]
    for key, value in zip((k for k, _ in records), values):
        assert key.split("|")[0] == value["kind"] and key.endswith(value["window_start"][:19] + "Z")
    # the airline records carry exactly the closed windows of the independent computation
    expected = expected_airline_minutes(pipeline_run["truth"])
    airline = pd.DataFrame([v for v in values if v["kind"] == "airline_minute"])
    airline["window_start"] = pd.to_datetime(airline["window_start"])
    pd.testing.assert_frame_equal(comparable(airline, expected, ["window_start", "airline"]), expected, check_exact=False, rtol=1e-9)


def test_latest_positions_per_flight_equal_an_independent_computation_with_bounded_state(pipeline_run):
    truth = pipeline_run["truth"]
    rows = read_batches(pipeline_run["output"] / "flight_positions")
    # A live map keeps, per flight, the status of its latest row and the position of its latest fix.
    status = rows.sort_values("last_event_time").groupby("flight_id").last()
    fixes = rows.dropna(subset=["position_time"]).sort_values("position_time").groupby("flight_id").last()
    actual = pd.DataFrame({
        "flight_id": status.index, "last_event_type": status["last_event_type"].values, "active": status["active"].values,
        "lat_deg": fixes["lat_deg"].reindex(status.index).values, "lon_deg": fixes["lon_deg"].reindex(status.index).values,
    })
    expected = expected_latest_positions(truth)
    pd.testing.assert_frame_equal(comparable(actual, expected, ["flight_id"]), expected)
    assert expected["active"].any() and not expected["active"].all()

    # No state: each batch writes the (flight, window) pairs its own events touched, so every pair is
    # there at least once and none more often than the batches that read its events.
    groups = position_groups(truth)
    keyed = {(r.flight_id, pd.Timestamp(r.window_start).tz_localize(None).to_pydatetime()) for r in rows.itertuples()}
    assert keyed == {(f, w.replace(tzinfo=None)) for f, w in groups}
    batches = pd.read_parquet(pipeline_run["output"] / "flight_positions", columns=["batch_id"])["batch_id"].nunique()
    assert len(groups) <= len(rows) <= len(groups) * batches
    assert not [p for p in pipeline_run["progress"] if p["query"] == "flight_positions"], "positions are no query of their own"