package flightanalytics;

import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The flight event's JSON Schema, compiled once into the rules {@link FlightEventParser} checks.
 *
 * <p>Only the subset of JSON Schema the flight event uses is understood: {@code type} (one type, or
 * one type and {@code "null"}), {@code properties} (in order), {@code required},
 * {@code additionalProperties: false}, {@code enum} (strings), {@code const}, {@code pattern},
 * {@code minLength}/{@code maxLength}, {@code minimum}/{@code maximum}/{@code exclusiveMinimum}/
 * {@code exclusiveMaximum}, and {@code format} date-time (strings), int32 and int64 (integers).
 * Any other keyword that constrains a value makes the constructor fail, so a schema change this
 * class does not enforce is noticed when the job starts, not in the data. The type mapping is
 * spark-jobs/flight_analytics/schema.py's: date-time -> TimestampType, int32 -> IntegerType, other
 * integers -> LongType, number -> DoubleType, object -> StructType, other strings -> StringType.
 */
final class EventSchema {
    enum Kind { STRING, DATE_TIME, INT32, INT64, NUMBER, OBJECT }

    /** Keywords that only document: they never change whether a value is valid. */
    private static final Set<String> ANNOTATIONS = Set.of(
        "$schema", "$id", "$comment", "title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly");
    private static final Set<String> OBJECT_KEYWORDS = Set.of("type", "properties", "required", "additionalProperties");
    private static final Set<String> STRING_KEYWORDS = Set.of("type", "format", "enum", "const", "pattern", "minLength", "maxLength");
    private static final Set<String> NUMBER_KEYWORDS = Set.of(
        "type", "format", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum");

    /** One object level: its properties in schema order, looked up by name. */
    static final class ObjectRule {
        final String prefix;
        final Field[] fields;
        final Field[] required;
        final boolean additionalProperties;
        private final Map<String, Field> byName;

        ObjectRule(String prefix, Field[] fields, Field[] required, boolean additionalProperties) {
            this.prefix = prefix;
            this.fields = fields;
            this.required = required;
            this.additionalProperties = additionalProperties;
            this.byName = new HashMap<>(fields.length * 2);
            for (Field field : fields) {
                byName.put(field.name, field);
            }
        }

        Field field(String name) {
            return byName.get(name);
        }
    }

    /** One property: where it goes in the row, and every rule its value must pass. */
    static final class Field {
        final String name;
        /** The name as Jackson matches it against the input's bytes (JsonParser.nextFieldName(SerializableString)). */
        final SerializedString serializedName;
        /** Dotted from the root: "position.lat_deg". */
        final String path;
        /** Column in its object's row. */
        final int index;
        /** Rank in schema order over all levels (a parent before its children): the first failure of a kind is the lowest. */
        final int ordinal;
        final Kind kind;
        final boolean nullable;
        boolean required;

        // Reasons that never change, built once.
        final String duplicateReason;
        final String missingReason;
        final String invalidTypeReason;
        final String outOfRangeReason;
        final String invalidFormatReason;

        String constString;
        Long constLong;
        Double constDouble;
        Set<String> enumValues;
        /** Whether a string passes the schema's pattern (null: no pattern): SimplePattern when the
         *  pattern has the simplest shape, else the regex searched anywhere (find()). */
        Predicate<String> pattern;
        int minLength = -1;
        int maxLength = -1;
        /** Integers: the smallest and largest allowed value (every bound folded in). */
        long lowest = Long.MIN_VALUE;
        long highest = Long.MAX_VALUE;
        /** Numbers: the bounds as doubles, NaN where there is none. */
        double minimum = Double.NaN;
        double maximum = Double.NaN;
        double exclusiveMinimum = Double.NaN;
        double exclusiveMaximum = Double.NaN;
        ObjectRule object;

        Field(String name, String path, int index, int ordinal, Kind kind, boolean nullable) {
            this.name = name;
            this.serializedName = new SerializedString(name);
            this.path = path;
            this.index = index;
            this.ordinal = ordinal;
            this.kind = kind;
            this.nullable = nullable;
            this.duplicateReason = "duplicate_field:" + path;
            this.missingReason = "missing_required:" + path;
            this.invalidTypeReason = "invalid_type:" + path;
            this.outOfRangeReason = "out_of_range:" + path;
            this.invalidFormatReason = "invalid_format:" + path;
        }

        String sparkType() {
            switch (kind) {
                case STRING: return "string";
                case DATE_TIME: return "timestamp";
                case INT32: return "int";
                case INT64: return "bigint";
                case NUMBER: return "double";
                default: return EventSchema.simpleString(object, null);
            }
        }
    }

    final ObjectRule root;

    private EventSchema(ObjectRule root) {
        this.root = root;
    }

    static EventSchema parse(String schemaJson) {
        JsonNode document;
        try {
            document = new ObjectMapper().readTree(schemaJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("the flight event schema is not JSON: " + e.getMessage(), e);
        }
        if (document == null || !document.isObject()) {
            throw new IllegalArgumentException("the flight event schema must be a JSON object");
        }
        String[] type = types(document, "(root)");
        if (!"object".equals(type[0]) || type[1] != null) {
            throw new IllegalArgumentException("the flight event schema's root must be of type \"object\"");
        }
        return new EventSchema(objectRule(document, "", new int[] {0}));
    }

    /** Spark's simpleString of the row this schema parses into, plus the trailing column if not null. */
    static String simpleString(ObjectRule rule, String lastStringColumn) {
        StringBuilder out = new StringBuilder("struct<");
        for (int i = 0; i < rule.fields.length; i++) {
            if (i > 0) {
                out.append(',');
            }
            out.append(rule.fields[i].name).append(':').append(rule.fields[i].sparkType());
        }
        if (lastStringColumn != null) {
            out.append(rule.fields.length > 0 ? "," : "").append(lastStringColumn).append(":string");
        }
        return out.append('>').toString();
    }

    private static ObjectRule objectRule(JsonNode node, String prefix, int[] ordinal) {
        String where = prefix.isEmpty() ? "(root)" : prefix.substring(0, prefix.length() - 1);
        checkKeywords(node, OBJECT_KEYWORDS, where);
        JsonNode properties = node.path("properties");
        if (!properties.isMissingNode() && !properties.isObject()) {
            throw new IllegalArgumentException(where + ": \"properties\" must be an object");
        }
        List<Field> fields = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : properties.properties()) {
            fields.add(field(entry.getKey(), prefix + entry.getKey(), fields.size(), entry.getValue(), ordinal));
        }
        Set<String> requiredNames = new LinkedHashSet<>();
        JsonNode required = node.path("required");
        if (!required.isMissingNode()) {
            if (!required.isArray()) {
                throw new IllegalArgumentException(where + ": \"required\" must be an array of property names");
            }
            for (JsonNode name : required) {
                requiredNames.add(name.asText());
            }
        }
        List<Field> requiredFields = new ArrayList<>();
        for (Field field : fields) {
            if (requiredNames.remove(field.name)) {
                field.required = true;
                requiredFields.add(field);
            }
        }
        if (!requiredNames.isEmpty()) {
            throw new IllegalArgumentException(where + ": required " + requiredNames + " not among its properties");
        }
        JsonNode additional = node.path("additionalProperties");
        if (!additional.isMissingNode() && !additional.isBoolean()) {
            throw new IllegalArgumentException(where + ": only additionalProperties true or false is supported");
        }
        return new ObjectRule(prefix, fields.toArray(new Field[0]), requiredFields.toArray(new Field[0]),
            additional.isMissingNode() || additional.booleanValue());
    }

    private static Field field(String name, String path, int index, JsonNode node, int[] ordinal) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(path + ": a property's schema must be an object");
        }
        String[] type = types(node, path);
        boolean nullable = type[1] != null;
        String format = node.has("format") ? node.get("format").asText() : null;
        int rank = ordinal[0]++;
        Field field;
        switch (type[0]) {
            case "string":
                checkKeywords(node, STRING_KEYWORDS, path);
                if (format != null && !"date-time".equals(format)) {
                    throw new IllegalArgumentException(path + ": string format \"" + format + "\" is not supported (only date-time)");
                }
                field = new Field(name, path, index, rank, format == null ? Kind.STRING : Kind.DATE_TIME, nullable);
                stringRules(field, node);
                break;
            case "integer":
                checkKeywords(node, NUMBER_KEYWORDS, path);
                if (format != null && !"int32".equals(format) && !"int64".equals(format)) {
                    throw new IllegalArgumentException(path + ": integer format \"" + format + "\" is not supported (int32, int64)");
                }
                field = new Field(name, path, index, rank, "int32".equals(format) ? Kind.INT32 : Kind.INT64, nullable);
                integerRules(field, node);
                break;
            case "number":
                checkKeywords(node, NUMBER_KEYWORDS, path);
                if (format != null) {
                    throw new IllegalArgumentException(path + ": number format \"" + format + "\" is not supported");
                }
                field = new Field(name, path, index, rank, Kind.NUMBER, nullable);
                numberRules(field, node);
                break;
            case "object":
                field = new Field(name, path, index, rank, Kind.OBJECT, nullable);
                field.object = objectRule(node, path + ".", ordinal);
                break;
            default:
                throw new IllegalArgumentException(path + ": JSON type \"" + type[0] + "\" has no Spark mapping here");
        }
        return field;
    }

    /** {the one non-null type, "null" or null}. */
    private static String[] types(JsonNode node, String path) {
        JsonNode type = node.get("type");
        List<String> names = new ArrayList<>();
        if (type != null && type.isTextual()) {
            names.add(type.asText());
        } else if (type != null && type.isArray()) {
            for (JsonNode t : type) {
                names.add(t.asText());
            }
        }
        String nonNull = null;
        String nullType = null;
        for (String t : names) {
            if ("null".equals(t)) {
                nullType = t;
            } else if (nonNull == null) {
                nonNull = t;
            } else {
                nonNull = "";
            }
        }
        if (nonNull == null || nonNull.isEmpty()) {
            throw new IllegalArgumentException(path + ": expected exactly one non-null type, got " + type);
        }
        return new String[] {nonNull, nullType};
    }

    private static void checkKeywords(JsonNode node, Set<String> allowed, String path) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String keyword = names.next();
            if (!allowed.contains(keyword) && !ANNOTATIONS.contains(keyword)) {
                throw new IllegalArgumentException(
                    path + ": keyword \"" + keyword + "\" is not supported by the flight event validator");
            }
        }
    }

    private static void stringRules(Field field, JsonNode node) {
        if (node.has("const")) {
            if (!node.get("const").isTextual()) {
                throw new IllegalArgumentException(field.path + ": a string's const must be a string");
            }
            field.constString = node.get("const").asText();
        }
        if (node.has("enum")) {
            Set<String> values = new HashSet<>();
            for (JsonNode value : node.get("enum")) {
                if (!value.isTextual()) {
                    throw new IllegalArgumentException(field.path + ": only string enums are supported");
                }
                values.add(value.asText());
            }
            field.enumValues = values;
        }
        if (node.has("pattern")) {
            String pattern = node.get("pattern").asText();
            SimplePattern simple = SimplePattern.compile(pattern);
            field.pattern = simple != null ? simple::matches : Pattern.compile(ecmaToJava(pattern)).asPredicate();
        }
        if (node.has("minLength")) {
            field.minLength = node.get("minLength").asInt();
        }
        if (node.has("maxLength")) {
            field.maxLength = node.get("maxLength").asInt();
        }
    }

    private static void integerRules(Field field, JsonNode node) {
        if (node.has("const")) {
            JsonNode value = node.get("const");
            if (!value.isIntegralNumber() || !value.canConvertToLong()) {
                throw new IllegalArgumentException(field.path + ": an integer's const must be an integer");
            }
            field.constLong = value.longValue();
        }
        BigDecimal lowest = BigDecimal.valueOf(field.kind == Kind.INT32 ? Integer.MIN_VALUE : Long.MIN_VALUE);
        BigDecimal highest = BigDecimal.valueOf(field.kind == Kind.INT32 ? Integer.MAX_VALUE : Long.MAX_VALUE);
        if (node.has("minimum")) {
            lowest = lowest.max(bound(node, "minimum", field).setScale(0, RoundingMode.CEILING));
        }
        if (node.has("exclusiveMinimum")) {
            lowest = lowest.max(bound(node, "exclusiveMinimum", field).setScale(0, RoundingMode.FLOOR).add(BigDecimal.ONE));
        }
        if (node.has("maximum")) {
            highest = highest.min(bound(node, "maximum", field).setScale(0, RoundingMode.FLOOR));
        }
        if (node.has("exclusiveMaximum")) {
            highest = highest.min(bound(node, "exclusiveMaximum", field).setScale(0, RoundingMode.CEILING).subtract(BigDecimal.ONE));
        }
        // Clamped to the type's range above, so both fit in a long.
        field.lowest = lowest.longValueExact();
        field.highest = highest.longValueExact();
    }

    private static void numberRules(Field field, JsonNode node) {
        if (node.has("const")) {
            if (!node.get("const").isNumber()) {
                throw new IllegalArgumentException(field.path + ": a number's const must be a number");
            }
            field.constDouble = node.get("const").doubleValue();
        }
        if (node.has("minimum")) {
            field.minimum = bound(node, "minimum", field).doubleValue();
        }
        if (node.has("maximum")) {
            field.maximum = bound(node, "maximum", field).doubleValue();
        }
        if (node.has("exclusiveMinimum")) {
            field.exclusiveMinimum = bound(node, "exclusiveMinimum", field).doubleValue();
        }
        if (node.has("exclusiveMaximum")) {
            field.exclusiveMaximum = bound(node, "exclusiveMaximum", field).doubleValue();
        }
    }

    private static BigDecimal bound(JsonNode node, String keyword, Field field) {
        JsonNode value = node.get(keyword);
        if (!value.isNumber()) {
            throw new IllegalArgumentException(field.path + ": " + keyword + " must be a number");
        }
        return value.decimalValue();
    }

    /**
     * A JSON Schema pattern (ECMA-262, searched anywhere in the string) as a Java regex with the same
     * meaning for the constructs the schema uses. The one difference that matters: outside a
     * character class, ECMA's {@code $} matches only at the end of the input, Java's also before a
     * final line terminator ("LHR\n" would match {@code ^[A-Z]{3}$}), so it becomes {@code \z}.
     */
    static String ecmaToJava(String pattern) {
        StringBuilder out = new StringBuilder(pattern.length() + 4);
        boolean inClass = false;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()) {
                out.append(c).append(pattern.charAt(++i));
            } else if (inClass) {
                out.append(c);
                inClass = c != ']';
            } else if (c == '[') {
                out.append(c);
                inClass = true;
            } else if (c == '$') {
                out.append("\\z");
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
