"""schema.py derives the Spark schema from schema/flight-event.schema.json, by the documented rules."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyspark.sql.types import DoubleType, IntegerType, LongType, StringType, StructField, StructType, TimestampType

from flight_analytics import schema as flight_schema
from flight_analytics.schema import (
    FlightEventSchemaError,
    enum_values,
    flight_event_struct,
    load_flight_event_schema,
    required_fields,
)

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "flight-event.schema.json"
JSON_SCHEMA = json.loads(SCHEMA_FILE.read_text())


def expected_type(node: dict):
    types = node["type"] if isinstance(node["type"], list) else [node["type"]]
    json_type = next(t for t in types if t != "null")
    if json_type == "string":
        return TimestampType() if node.get("format") == "date-time" else StringType()
    if json_type == "integer":
        return IntegerType() if node.get("format") == "int32" else LongType()
    if json_type == "number":
        return DoubleType()
    assert json_type == "object"
    return StructType


def check_object(node: dict, struct: StructType, path: str = "") -> None:
    assert struct.fieldNames() == list(node["properties"]), f"fields of {path or 'the event'}"
    for name, child in node["properties"].items():
        field = struct[name]
        types = child["type"] if isinstance(child["type"], list) else [child["type"]]
        assert field.nullable == ("null" in types or name not in node.get("required", [])), f"nullability of {path}{name}"
        wanted = expected_type(child)
        if wanted is StructType:
            assert isinstance(field.dataType, StructType), f"{path}{name} is an object"
            check_object(child, field.dataType, f"{path}{name}.")
        else:
            assert field.dataType == wanted, f"type of {path}{name}"


def test_every_property_has_its_spark_type_and_nullability():
    check_object(JSON_SCHEMA, flight_event_struct())


def test_spot_checks_of_the_mapping():
    struct = flight_event_struct()
    assert struct["event_time"] == StructField("event_time", TimestampType(), nullable=False)
    assert struct["schema_version"] == StructField("schema_version", IntegerType(), nullable=False)
    assert struct["departure_delay_min"] == StructField("departure_delay_min", IntegerType(), nullable=True)
    assert struct["actual_departure"] == StructField("actual_departure", TimestampType(), nullable=True)
    assert struct["event_type"] == StructField("event_type", StringType(), nullable=False)
    assert struct["position"] == StructField(
        "position",
        StructType(
            [
                StructField("lat_deg", DoubleType(), nullable=False),
                StructField("lon_deg", DoubleType(), nullable=False),
                StructField("altitude_ft", IntegerType(), nullable=False),
                StructField("ground_speed_kt", IntegerType(), nullable=False),
                StructField("heading_deg", DoubleType(), nullable=False),
            ]
        ),
        nullable=True,
    )


def test_required_fields_and_enums_come_from_the_file():
    assert required_fields()[: len(JSON_SCHEMA["required"])] == tuple(JSON_SCHEMA["required"])
    assert "position.lat_deg" in required_fields()
    assert enum_values() == {"event_type": tuple(JSON_SCHEMA["properties"]["event_type"]["enum"])}


def test_bounds_come_from_the_file():
    bounds = load_flight_event_schema().bounds
    assert (bounds["position.lat_deg"].minimum, bounds["position.lat_deg"].maximum) == (-90, 90)
    assert (bounds["departure_delay_min"].minimum, bounds["departure_delay_min"].maximum) == (-60, 1440)
    assert bounds["position.heading_deg"].exclusive_maximum == 360


def test_int64_and_unformatted_integers_become_long(tmp_path):
    doc = {
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"type": "integer", "format": "int64"}, "b": {"type": ["integer", "null"]}},
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    assert flight_event_struct(path) == StructType(
        [StructField("a", LongType(), nullable=False), StructField("b", LongType(), nullable=True)]
    )


def test_the_env_var_points_at_another_file(tmp_path, monkeypatch):
    moved = tmp_path / "elsewhere.json"
    moved.write_text(SCHEMA_FILE.read_text())
    monkeypatch.setenv(flight_schema.SCHEMA_PATH_ENV, str(moved))
    assert flight_schema.schema_path() == moved
    assert flight_event_struct() == flight_event_struct(SCHEMA_FILE)


def test_a_missing_file_fails_with_a_message_that_says_how_to_fix_it(tmp_path, monkeypatch):
    monkeypatch.setenv(flight_schema.SCHEMA_PATH_ENV, str(tmp_path / "absent.json"))
    with pytest.raises(FlightEventSchemaError, match=r"absent\.json.*FLIGHT_EVENT_SCHEMA"):
        flight_event_struct()
