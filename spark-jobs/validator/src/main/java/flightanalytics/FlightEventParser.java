package flightanalytics;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.RecyclerPool;
import flightanalytics.EventSchema.Field;
import flightanalytics.EventSchema.Kind;
import flightanalytics.EventSchema.ObjectRule;
import java.io.IOException;
import java.io.Serializable;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.objects.Invoke;
import org.apache.spark.sql.classic.ExpressionUtils$;
import org.apache.spark.sql.types.AbstractDataType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.ObjectType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Kafka value bytes -> one flight event row, in a single strict pass, as a Spark expression
 * ({@link #column}).
 *
 * <p>Every record gets exactly one of two outcomes. Either it is one JSON object, in UTF-8, that
 * the flight event's JSON Schema accepts, and the row holds its fields in Spark's internal form
 * (string -> UTF8String, date-time -> microseconds since the epoch, int32 -> Integer, other
 * integers -> Long, number -> Double, object -> nested InternalRow; null where absent or null) with
 * a null {@code parse_error}; or every
 * field is null and {@code parse_error} names the first broken rule, in the order of
 * {@link #reasonCategories()}:
 * <pre>
 *   invalid_utf8              the bytes are not well-formed UTF-8
 *   invalid_json              not JSON, not an object, a null (tombstone) value, a BOM, NaN/Infinity ...
 *   trailing_data             anything but whitespace after the object: "{...}xyz", "{...}{...}"
 *   duplicate_field:f         a key twice in one object (dotted: position.lat_deg)
 *   unexpected_field:f        a key the schema does not define (additionalProperties: false)
 *   missing_required:f        a required key absent or null (a nested one only where its parent is there)
 *   invalid_type:f            a value of another JSON type ("seq": "2", "seq": 2.0, "event_time": 1764...)
 *   unsupported_f:value       a value other than the schema's const
 *   unknown_f:value           a value outside the schema's enum
 *   out_of_range:f            beyond minimum/maximum, an int32 beyond 32 bits, a number beyond double
 *   invalid_format:f          pattern, minLength/maxLength, date-time, or a lone UTF-16 surrogate escape
 * </pre>
 * Within a kind, the field first in schema order wins (unknown keys: the first in the document).
 *
 * <p>The whole record is read even after a failure, so a syntax error or trailing data after a
 * wrongly typed field is still reported as such. Parsing is Jackson's streaming parser straight
 * from the bytes with its strict defaults (no comments, single quotes, NaN, leading zeros or
 * trailing commas); no tree, no ObjectMapper, no exception unless the record is broken.
 *
 * <p>The row is built in Spark's internal form and handed to Spark as it is: a Java UDF returns
 * an external Row, which Spark converts field by field (each String encoded to UTF-8 again, each
 * Instant to microseconds), ~6 % of the executors' samples in a profile.
 *
 * <p>The object is serialized to the executors: it carries only the schema text, and compiles it
 * (patterns included) once per deserialized copy, on first use.
 */
public final class FlightEventParser implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The last column of every row: null for a valid event, else the reason. */
    public static final String PARSE_ERROR = "parse_error";

    private static final List<String> REASON_CATEGORIES = List.of(
        "invalid_utf8", "invalid_json", "trailing_data", "duplicate_field", "unexpected_field", "missing_required",
        "invalid_type", "unsupported", "unknown", "out_of_range", "invalid_format");

    // Indexes into Failures, in reporting order (the first three end the parse at once).
    private static final int DUPLICATE = 0;
    private static final int UNEXPECTED = 1;
    private static final int MISSING = 2;
    private static final int INVALID_TYPE = 3;
    private static final int UNSUPPORTED = 4;
    private static final int UNKNOWN = 5;
    private static final int OUT_OF_RANGE = 6;
    private static final int INVALID_FORMAT = 7;
    private static final int KINDS = 8;

    /** The rank of a key the schema does not know: after every known one, the first seen wins. */
    private static final int UNKNOWN_KEY_RANK = Integer.MAX_VALUE;

    // Per-key states of one object while it is read.
    private static final byte ABSENT = 0;
    private static final byte NULL = 1;
    private static final byte INVALID = 2;
    private static final byte PRESENT = 3;

    private final String schemaJson;
    private transient volatile Compiled compiled;

    /** @param schemaJson the flight event JSON Schema document (schema/flight-event.schema.json's text) */
    public FlightEventParser(String schemaJson) {
        this.schemaJson = Objects.requireNonNull(schemaJson, "schemaJson");
        // Compiled now so that an unsupported schema fails on the driver, at registration.
        this.compiled = new Compiled(EventSchema.parse(schemaJson));
    }

    /** The kinds of reason, in the order they are reported (a reason is the kind, or kind:field, or kind_field:value). */
    public static List<String> reasonCategories() {
        return REASON_CATEGORIES;
    }

    /** Spark's simpleString of the rows {@link #call} returns: the schema's fields, then parse_error. */
    public String simpleString() {
        return EventSchema.simpleString(compiled().schema.root, PARSE_ERROR);
    }

    /** The name of the method {@link #column}'s expression calls (it shows in query plans). */
    public static final String METHOD = "parseFlightEvent";

    /**
     * A column that parses `value` (binary) with `parser` into `returnTypeJson` (a StructType as
     * JSON; it must be {@link #simpleString()}'s type, with every field nullable): Spark's
     * {@code Invoke} expression calling {@link #parseFlightEvent} on the parser, which generated
     * code calls directly, with no conversion of its arguments or its result.
     *
     * <p>The expression is marked non-deterministic so that Spark evaluates it once per record:
     * Spark 4.1 pushes a filter on one of its fields (valid_events' parse_error IS NULL) below the
     * projection that computes it, which would run a deterministic expression twice per record
     * (once in the filter, once in the projection; SPARK-47672). It is deterministic in fact: the
     * same bytes always give the same row.
     */
    public static Column column(FlightEventParser parser, Column value, String returnTypeJson) {
        DataType returnType = DataType.fromJson(returnTypeJson);
        if (!returnType.simpleString().equals(parser.simpleString())) {
            throw new IllegalArgumentException("return type " + returnType.simpleString()
                + " does not match the schema the parser reads: " + parser.simpleString());
        }
        Expression target = new Literal(parser, new ObjectType(FlightEventParser.class));
        Expression argument = ExpressionUtils$.MODULE$.expression(value);
        scala.collection.immutable.List<Expression> arguments = scala.collection.immutable.List$.MODULE$.<Expression>empty().$colon$colon(argument);
        scala.collection.immutable.List<AbstractDataType> inputTypes = scala.collection.immutable.List$.MODULE$.<AbstractDataType>empty();
        // propagateNull false: a null value (a tombstone) is a record too, quarantined as invalid_json.
        Invoke invoke = new Invoke(target, METHOD, returnType, arguments, inputTypes, false, false, false);
        return ExpressionUtils$.MODULE$.column(invoke);
    }

    /** How query plans show the parser (the expression's target object). */
    @Override
    public String toString() {
        return "FlightEventParser";
    }

    /** One record's row, in Spark's internal form (see the class comment). */
    public InternalRow parseFlightEvent(byte[] value) {
        return compiled().parse(value);
    }

    private Compiled compiled() {
        Compiled c = compiled;
        if (c == null) {
            // After deserialization on an executor. Compiled is immutable: two threads compiling at
            // once both get a correct copy.
            c = new Compiled(EventSchema.parse(schemaJson));
            compiled = c;
        }
        return c;
    }

    /** The first failure of each kind met so far (lowest rank, then first seen). */
    private static final class Failures {
        private final String[] reasons = new String[KINDS];
        private final int[] ranks = new int[KINDS];
        private boolean any;

        boolean wants(int kind, int rank) {
            return reasons[kind] == null || rank < ranks[kind];
        }

        void add(int kind, int rank, String reason) {
            if (wants(kind, rank)) {
                reasons[kind] = reason;
                ranks[kind] = rank;
                any = true;
            }
        }

        String first() {
            if (!any) {
                return null;
            }
            for (String reason : reasons) {
                if (reason != null) {
                    return reason;
                }
            }
            return null;
        }
    }

    /**
     * Jackson's buffers for the next parser: one set kept, handed to the next parser made and given
     * back when it closes; a second parser at the same time gets new ones. One atomic swap each way
     * (Jackson's concurrent-deque pool cost ~3 % of the task samples in a profile, its thread-local
     * one as much).
     */
    static final class KeptRecycler implements RecyclerPool<BufferRecycler> {
        private static final long serialVersionUID = 1L;
        private final AtomicReference<BufferRecycler> kept = new AtomicReference<>();

        @Override
        public BufferRecycler acquirePooled() {
            BufferRecycler recycler = kept.getAndSet(null);
            return recycler != null ? recycler : new BufferRecycler();
        }

        @Override
        public void releasePooled(BufferRecycler recycler) {
            kept.set(recycler);
        }
    }

    /** The schema's rules and a parser factory: built once per deserialized parser, shared by its calls. */
    private static final class Compiled {
        final EventSchema schema;
        final JsonFactory factory;
        final int width;

        Compiled(EventSchema schema) {
            this.schema = schema;
            this.width = schema.root.fields.length + 1;
            // Jackson's read defaults are the strict JSON grammar. Not interning names keeps keys of
            // malformed records out of the JVM's string table; no source in error locations keeps
            // a broken record's bytes out of the exception we discard anyway.
            this.factory = JsonFactory.builder()
                .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
                .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
                // Exact like the JDK's (correctly rounded) and several times faster: Double.parseDouble was ~5 % of the parse in a profile.
                .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
                // Each parser borrows its buffers from this factory's own pool instead of Jackson's
                // default thread-local one: a task thread of Spark holds many thread-locals, and the
                // lookup missed and probed on every record (~3 % of the task samples in a profile).
                .recyclerPool(new KeptRecycler())
                .build();
        }

        InternalRow parse(byte[] value) {
            if (value == null) {
                return invalid("invalid_json");
            }
            if (!Text.isUtf8(value)) {
                return invalid("invalid_utf8");
            }
            if (!plainUtf8Start(value)) {
                return invalid("invalid_json");
            }
            Failures failures = new Failures();
            Object[] values = new Object[width];
            boolean objectRead = false;
            try (JsonParser parser = factory.createParser(value)) {
                if (parser.nextToken() != JsonToken.START_OBJECT) {
                    return invalid("invalid_json");
                }
                readObject(parser, schema.root, values, failures);
                objectRead = true;
                if (parser.nextToken() != null) {
                    return invalid("trailing_data");
                }
            } catch (IOException | RuntimeException e) {
                // A syntax error (JsonParseException), a number or string beyond Jackson's limits
                // (StreamConstraintsException): the record is not the JSON we read.
                return invalid(objectRead ? "trailing_data" : "invalid_json");
            }
            String reason = failures.first();
            return reason == null ? new GenericInternalRow(values) : invalid(reason);
        }

        /**
         * Jackson picks UTF-16 or UTF-32 by itself when one of the first bytes is 0 and skips a
         * UTF-8 byte order mark. JSON on the wire is UTF-8 without a BOM (RFC 8259), and no JSON text
         * in UTF-8 has a 0 byte before its first value, so both are rejected here.
         */
        private static boolean plainUtf8Start(byte[] value) {
            if (value.length >= 3 && (value[0] & 0xFF) == 0xEF && (value[1] & 0xFF) == 0xBB && (value[2] & 0xFF) == 0xBF) {
                return false;
            }
            for (int i = 0; i < Math.min(4, value.length); i++) {
                if (value[i] == 0) {
                    return false;
                }
            }
            return true;
        }

        private InternalRow invalid(String reason) {
            Object[] values = new Object[width];
            values[width - 1] = UTF8String.fromString(reason);
            return new GenericInternalRow(values);
        }

        /** The object whose START_OBJECT was just read, into `out` (one slot per field of `rule`). */
        private void readObject(JsonParser parser, ObjectRule rule, Object[] out, Failures failures) throws IOException {
            byte[] state = new byte[rule.fields.length];
            Set<String> unknownKeys = null;
            Field[] fields = rule.fields;
            int expected = 0; // the field that follows the last one read, in schema order
            while (true) {
                // Producers write the fields in the schema's order, so first ask Jackson whether the
                // next name is the expected one: it compares the input's bytes with the name's, and
                // neither decodes the name into a String nor looks it up (the lookup and the name's
                // decoding were ~10 % of the task samples in a profile). Any other name, in any
                // order or escaped, is read and looked up as before.
                String name = null;
                Field field;
                if (expected < fields.length && parser.nextFieldName(fields[expected].serializedName)) {
                    field = fields[expected];
                } else {
                    // A miss has moved the parser on already (to another name or the object's end).
                    if (expected >= fields.length) {
                        parser.nextToken();
                    }
                    if (parser.currentToken() != JsonToken.FIELD_NAME) {
                        break;
                    }
                    name = parser.currentName();
                    field = rule.field(name);
                }
                JsonToken token = parser.nextToken();
                if (field == null) {
                    if (unknownKeys == null) {
                        unknownKeys = new HashSet<>();
                    }
                    if (!unknownKeys.add(name)) {
                        failures.add(DUPLICATE, UNKNOWN_KEY_RANK, "duplicate_field:" + rule.prefix + name);
                    } else if (!rule.additionalProperties) {
                        failures.add(UNEXPECTED, UNKNOWN_KEY_RANK, "unexpected_field:" + rule.prefix + name);
                    }
                    parser.skipChildren();
                } else if (state[field.index] != ABSENT) {
                    failures.add(DUPLICATE, field.ordinal, field.duplicateReason);
                    parser.skipChildren();
                } else {
                    expected = field.index + 1;
                    state[field.index] = readValue(parser, token, field, out, failures);
                }
            }
            for (Field field : rule.required) {
                byte s = state[field.index];
                if (s == ABSENT || (s == NULL && !field.nullable)) {
                    failures.add(MISSING, field.ordinal, field.missingReason);
                }
            }
        }

        /** The value at `token` into out[field.index]; its state (the value is skipped if it is not valid). */
        private byte readValue(JsonParser parser, JsonToken token, Field field, Object[] out, Failures failures)
                throws IOException {
            if (token == JsonToken.VALUE_NULL) {
                if (field.nullable || field.required) {
                    return NULL; // a required non-nullable field reads as missing
                }
                failures.add(INVALID_TYPE, field.ordinal, field.invalidTypeReason);
                return INVALID;
            }
            Object value;
            switch (field.kind) {
                case STRING:
                case DATE_TIME:
                    value = token == JsonToken.VALUE_STRING ? string(parser.getText(), field, failures) : wrongType(parser, field, failures);
                    break;
                case INT32:
                case INT64:
                    value = token == JsonToken.VALUE_NUMBER_INT ? integer(parser, field, failures) : wrongType(parser, field, failures);
                    break;
                case NUMBER:
                    value = token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT
                        ? number(parser, field, failures) : wrongType(parser, field, failures);
                    break;
                default:
                    if (token == JsonToken.START_OBJECT) {
                        Object[] child = new Object[field.object.fields.length];
                        readObject(parser, field.object, child, failures);
                        value = new GenericInternalRow(child);
                    } else {
                        value = wrongType(parser, field, failures);
                    }
            }
            if (value == null) {
                return INVALID;
            }
            out[field.index] = value;
            return PRESENT;
        }

        private static Object wrongType(JsonParser parser, Field field, Failures failures) throws IOException {
            failures.add(INVALID_TYPE, field.ordinal, field.invalidTypeReason);
            parser.skipChildren();
            return null;
        }

        private static Object string(String text, Field field, Failures failures) {
            if (field.constString != null && !field.constString.equals(text)) {
                failures.add(UNSUPPORTED, field.ordinal, "unsupported_" + field.path + ":" + text);
                return null;
            }
            if (field.enumValues != null && !field.enumValues.contains(text)) {
                failures.add(UNKNOWN, field.ordinal, "unknown_" + field.path + ":" + text);
                return null;
            }
            boolean valid = Text.wellFormed(text);
            // length() counts UTF-16 units, never fewer than code points: count only when it could matter.
            if (valid && field.minLength >= 0 && text.length() < field.minLength * 2) {
                valid = Text.codePoints(text) >= field.minLength;
            }
            if (valid && field.maxLength >= 0 && text.length() > field.maxLength) {
                valid = Text.codePoints(text) <= field.maxLength;
            }
            if (valid && field.pattern != null) {
                valid = field.pattern.test(text);
            }
            long micros = 0;
            if (valid && field.kind == Kind.DATE_TIME) {
                micros = Text.dateTimeMicros(text);
                valid = micros != Text.NOT_A_DATE_TIME;
            }
            if (!valid) {
                failures.add(INVALID_FORMAT, field.ordinal, field.invalidFormatReason);
                return null;
            }
            return field.kind == Kind.DATE_TIME ? (Object) Long.valueOf(micros) : (Object) UTF8String.fromString(text);
        }

        private static Object integer(JsonParser parser, Field field, Failures failures) throws IOException {
            JsonParser.NumberType type = parser.getNumberType();
            if (type == JsonParser.NumberType.BIG_INTEGER || (field.kind == Kind.INT32 && type != JsonParser.NumberType.INT)) {
                failures.add(OUT_OF_RANGE, field.ordinal, field.outOfRangeReason);
                return null;
            }
            long value = parser.getLongValue();
            if (field.constLong != null && field.constLong != value) {
                failures.add(UNSUPPORTED, field.ordinal, "unsupported_" + field.path + ":" + value);
                return null;
            }
            if (value < field.lowest || value > field.highest) {
                failures.add(OUT_OF_RANGE, field.ordinal, field.outOfRangeReason);
                return null;
            }
            return field.kind == Kind.INT32 ? (Object) Integer.valueOf((int) value) : (Object) Long.valueOf(value);
        }

        private static Object number(JsonParser parser, Field field, Failures failures) throws IOException {
            double value = parser.getDoubleValue();
            if (field.constDouble != null && field.constDouble != value) {
                failures.add(UNSUPPORTED, field.ordinal, "unsupported_" + field.path + ":" + parser.getText());
                return null;
            }
            // NaN never compares, so each bound is written as "inside" and negated.
            boolean outside = !Double.isFinite(value)
                || (!Double.isNaN(field.minimum) && !(value >= field.minimum))
                || (!Double.isNaN(field.maximum) && !(value <= field.maximum))
                || (!Double.isNaN(field.exclusiveMinimum) && !(value > field.exclusiveMinimum))
                || (!Double.isNaN(field.exclusiveMaximum) && !(value < field.exclusiveMaximum));
            if (outside) {
                failures.add(OUT_OF_RANGE, field.ordinal, field.outOfRangeReason);
                return null;
            }
            return value;
        }
    }
}
