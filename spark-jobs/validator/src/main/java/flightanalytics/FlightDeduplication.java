package flightanalytics;

import java.sql.Timestamp;
import java.time.Instant;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.util.IntervalUtils;
import org.apache.spark.sql.streaming.ExpiredTimerInfo;
import org.apache.spark.sql.streaming.OutputMode;
import org.apache.spark.sql.streaming.StatefulProcessor;
import org.apache.spark.sql.streaming.TTLConfig;
import org.apache.spark.sql.streaming.TimeMode;
import org.apache.spark.sql.streaming.TimerValues;
import org.apache.spark.sql.streaming.ValueState;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.CalendarInterval;
import org.apache.spark.unsafe.types.UTF8String;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Streaming de-duplication with one state row per flight instead of one per event.
 *
 * <p>Spark's {@code dropDuplicatesWithinWatermark("event_id")} keeps one RocksDB row per event: a
 * read and a write for every event, and a delete when it expires. Here the events are grouped by
 * flight, and each flight's state is one value: the ids it has seen whose event time + delay is
 * still ahead of the watermark. A micro-batch reads and writes that value once per flight it
 * touches, however many of the flight's events it carries, and an event-time timer clears it once
 * every id in it has expired. The meaning is the same as Spark's operator keyed on (flight, event):
 * an event is dropped when an event of the same flight with the same id was kept less than the delay
 * before it in event time; an event behind the watermark is dropped as late (and counted in the
 * operator's {@code numRowsDroppedByWatermark}), before it reaches the state.
 *
 * <p>Built on {@code transformWithState} with an event-time column (Spark 4.0+), so the output keeps
 * the watermark and a windowed aggregation can follow in the same query.
 */
public final class FlightDeduplication {
    private FlightDeduplication() {}

    /**
     * {@code events} (a stream with a watermark on {@code timeColumn}) with each ({@code keyColumn},
     * {@code idColumn}) once within {@code delayMs} of event time. The output has the input's columns.
     */
    public static Dataset<Row> deduplicate(Dataset<Row> events, String keyColumn, String idColumn, String timeColumn, long delayMs) {
        StructType schema = events.schema();
        int id = schema.fieldIndex(idColumn);
        int time = schema.fieldIndex(timeColumn);
        // Grouped by the column itself, not by groupByKey's function: that would turn every row into
        // a Java Row once more just to read its key (each string decoded from UTF-8), before the
        // processor's own conversion.
        return events
            .groupBy(events.col(keyColumn))
            .as(Encoders.STRING(), Encoders.row(schema))
            .transformWithState(new Processor(id, time, delayMs), timeColumn, OutputMode.Append(), Encoders.row(schema));
    }

    /** The same, with the delay as withWatermark takes it ("10 minutes"), counted as Spark counts a watermark delay. */
    public static Dataset<Row> deduplicate(Dataset<Row> events, String keyColumn, String idColumn, String timeColumn, String delay) {
        CalendarInterval interval = IntervalUtils.stringToInterval(UTF8String.fromString(delay));
        return deduplicate(events, keyColumn, idColumn, timeColumn, IntervalUtils.getDuration(interval, TimeUnit.MILLISECONDS, 31));
    }

    static long epochMillis(Object value) {
        if (value instanceof Timestamp timestamp) return timestamp.getTime();
        if (value instanceof Instant instant) return instant.toEpochMilli();
        throw new IllegalArgumentException("event time is a " + (value == null ? "null" : value.getClass().getName())
            + ", expected a java.sql.Timestamp or java.time.Instant");
    }

    /** A flight's ids still inside the delay and when each expires (event time + delay, epoch ms), as
     * bytes: a count, then per id its expiry and its UTF-8 length and bytes. Bytes, not a bean, so the
     * state's encoder is Spark's plain binary one. */
    static byte[] encode(Map<String, Long> live) {
        int size = 4;
        byte[][] utf8 = new byte[live.size()][];
        long[] expiries = new long[live.size()];
        int i = 0;
        for (Map.Entry<String, Long> entry : live.entrySet()) {
            utf8[i] = entry.getKey().getBytes(StandardCharsets.UTF_8);
            expiries[i] = entry.getValue();
            size += 8 + 4 + utf8[i].length;
            i++;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        out.putInt(utf8.length);
        for (i = 0; i < utf8.length; i++) {
            out.putLong(expiries[i]);
            out.putInt(utf8[i].length);
            out.put(utf8[i]);
        }
        return out.array();
    }

    /** The entries of encode()'s bytes whose expiry is after the watermark, into live; returns the latest expiry of all. */
    static long decode(byte[] bytes, long watermark, Map<String, Long> live) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        int count = in.getInt();
        long latest = Long.MIN_VALUE;
        for (int i = 0; i < count; i++) {
            long expiry = in.getLong();
            int length = in.getInt();
            String id = new String(bytes, in.position(), length, StandardCharsets.UTF_8);
            in.position(in.position() + length);
            latest = Math.max(latest, expiry);
            if (expiry > watermark) live.put(id, expiry);
        }
        return latest;
    }

    static final class Processor extends StatefulProcessor<String, Row, Row> {
        private static final long serialVersionUID = 1L;
        private final int idIndex;
        private final int timeIndex;
        private final long delayMs;
        private transient ValueState<byte[]> seen;

        Processor(int idIndex, int timeIndex, long delayMs) {
            this.idIndex = idIndex;
            this.timeIndex = timeIndex;
            this.delayMs = delayMs;
        }

        @Override
        public void init(OutputMode outputMode, TimeMode timeMode) {
            seen = getHandle().getValueState("seen_ids", Encoders.BINARY(), TTLConfig.NONE());
        }

        @Override
        public Iterator<Row> handleInputRows(String flight, Iterator<Row> rows, TimerValues timerValues) {
            long watermark = timerValues.getCurrentWatermarkInMs();
            Map<String, Long> live = new HashMap<>();
            long timer = Long.MIN_VALUE; // the timer registered for this flight: its latest expiry
            if (seen.exists()) timer = decode(seen.get(), watermark, live);
            ArrayList<Row> kept = new ArrayList<>();
            while (rows.hasNext()) {
                Row row = rows.next();
                String id = row.getString(idIndex);
                if (live.containsKey(id)) continue;
                live.put(id, epochMillis(row.get(timeIndex)) + delayMs);
                kept.add(row);
            }
            long latest = Long.MIN_VALUE;
            for (long expiry : live.values()) latest = Math.max(latest, expiry);
            if (live.isEmpty()) seen.clear();
            else seen.update(encode(live));
            if (latest != timer) {
                if (timer != Long.MIN_VALUE) getHandle().deleteTimer(timer);
                if (latest != Long.MIN_VALUE) getHandle().registerTimer(latest);
            }
            return CollectionConverters.asScala(kept.iterator());
        }

        @Override
        public Iterator<Row> handleExpiredTimer(String flight, TimerValues timerValues, ExpiredTimerInfo expiredTimerInfo) {
            // The timer is the flight's latest expiry: every id it holds has expired.
            seen.clear();
            return CollectionConverters.asScala(java.util.Collections.<Row>emptyIterator());
        }
    }
}
