"""The flight event as Spark sees it, derived from schema/flight-event.schema.json.

The JSON Schema is the one definition of a flight event; this module only translates it into
the StructType that the job's parser returns (the Java parser, spark-jobs/validator/, checks the
constraints from the same schema text), and lists the constraints for tests and tools. Nothing
here is a second copy.

Type mapping:
    string                      -> StringType   (enum and pattern are checked, not typed)
    string + format date-time   -> TimestampType
    integer + format int32      -> IntegerType
    integer (int64 or no format)-> LongType
    number                      -> DoubleType
    object                      -> StructType, recursively
A field is nullable unless it is in its object's `required` list and its type does not allow null.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pyspark.sql.types import (
    DataType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

SCHEMA_PATH_ENV = "FLIGHT_EVENT_SCHEMA"
"""Environment variable naming the schema file, for images that ship it away from the source tree."""

DEFAULT_SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema" / "flight-event.schema.json"


class FlightEventSchemaError(RuntimeError):
    """The schema file is missing, unreadable, or uses a construct this module does not translate."""


@dataclass(frozen=True)
class FieldBounds:
    """Numeric limits of one field; None where the schema sets none."""

    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None


@dataclass(frozen=True)
class StringRules:
    """Textual limits of one string field; None where the schema sets none."""

    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class FlightEventSchema:
    """Everything Spark needs from the JSON Schema. Nested fields are named with dots ('position.lat_deg')."""

    source: Path
    struct: StructType
    top_level_fields: tuple[str, ...]
    required: tuple[str, ...]
    """Required fields in schema order; nested ones ('position.lat_deg') apply only when their parent is present."""
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    consts: dict[str, object] = field(default_factory=dict)
    bounds: dict[str, FieldBounds] = field(default_factory=dict)
    string_rules: dict[str, StringRules] = field(default_factory=dict)


def schema_path(path: str | os.PathLike | None = None) -> Path:
    """The schema file to read: `path`, else $FLIGHT_EVENT_SCHEMA, else schema/ in the source tree."""
    chosen = Path(path or os.environ.get(SCHEMA_PATH_ENV) or DEFAULT_SCHEMA_PATH)
    if not chosen.is_file():
        origin = "argument" if path else (f"${SCHEMA_PATH_ENV}" if os.environ.get(SCHEMA_PATH_ENV) else "default")
        raise FlightEventSchemaError(
            f"flight event schema not found at {chosen} ({origin}). "
            f"Ship schema/flight-event.schema.json with the job and point {SCHEMA_PATH_ENV} at it."
        )
    return chosen


def _json_types(node: dict) -> tuple[str, bool]:
    """(the non-null JSON type, whether null is allowed) of a schema node."""
    declared = node.get("type")
    types = declared if isinstance(declared, list) else [declared]
    non_null = [t for t in types if t != "null"]
    if len(non_null) != 1:
        raise FlightEventSchemaError(f"expected exactly one non-null type, got {declared!r}")
    return non_null[0], "null" in types


def _spark_type(name: str, node: dict, schema: _Collector) -> DataType:
    json_type, _ = _json_types(node)
    fmt = node.get("format")
    if json_type == "string":
        if "enum" in node:
            schema.enums[name] = tuple(node["enum"])
        if any(k in node for k in ("pattern", "minLength", "maxLength")):
            schema.string_rules[name] = StringRules(node.get("pattern"), node.get("minLength"), node.get("maxLength"))
        return TimestampType() if fmt == "date-time" else StringType()
    if json_type in ("integer", "number"):
        if any(k in node for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
            schema.bounds[name] = FieldBounds(
                node.get("minimum"), node.get("maximum"), node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
            )
        if json_type == "number":
            return DoubleType()
        return IntegerType() if fmt == "int32" else LongType()
    if json_type == "object":
        return _struct(node, schema, prefix=f"{name}.")
    raise FlightEventSchemaError(f"field {name!r}: JSON type {json_type!r} has no Spark mapping here")


class _Collector:
    def __init__(self) -> None:
        self.required: list[str] = []
        self.enums: dict[str, tuple[str, ...]] = {}
        self.consts: dict[str, object] = {}
        self.bounds: dict[str, FieldBounds] = {}
        self.string_rules: dict[str, StringRules] = {}


def _struct(node: dict, schema: _Collector, prefix: str = "") -> StructType:
    required = set(node.get("required", []))
    fields = []
    for name, child in node.get("properties", {}).items():
        dotted = prefix + name
        _, null_allowed = _json_types(child)
        if "const" in child:
            schema.consts[dotted] = child["const"]
        fields.append(StructField(name, _spark_type(dotted, child, schema), nullable=null_allowed or name not in required))
    schema.required.extend(prefix + name for name in node.get("required", []))
    return StructType(fields)


@lru_cache(maxsize=4)
def _load(path: Path) -> FlightEventSchema:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise FlightEventSchemaError(f"cannot read the flight event schema {path}: {err}") from err
    collected = _Collector()
    try:
        struct = _struct(document, collected)
    except FlightEventSchemaError as err:
        raise FlightEventSchemaError(f"{path}: {err}") from err
    return FlightEventSchema(
        source=path,
        struct=struct,
        top_level_fields=tuple(struct.fieldNames()),
        # Top-level requirements first, then nested ones, each in schema order.
        required=tuple(sorted(collected.required, key=lambda n: n.count("."))),
        enums=collected.enums,
        consts=collected.consts,
        bounds=collected.bounds,
        string_rules=collected.string_rules,
    )


def load_flight_event_schema(path: str | os.PathLike | None = None) -> FlightEventSchema:
    """Read and translate the schema file (cached per path)."""
    return _load(schema_path(path).resolve())


def flight_event_struct(path: str | os.PathLike | None = None) -> StructType:
    """The StructType of a flight event, for from_json."""
    return load_flight_event_schema(path).struct


def required_fields(path: str | os.PathLike | None = None) -> tuple[str, ...]:
    return load_flight_event_schema(path).required


def enum_values(path: str | os.PathLike | None = None) -> dict[str, tuple[str, ...]]:
    return load_flight_event_schema(path).enums
