import { describe, expect, it } from 'vitest';
import { jsCRC32C, Reader, readRecordsBatch } from '@platformatic/kafka';
import { encodeFlightEvent, FlightEventWriter } from '../../producer/src/encode.ts';
import { FlightSimulator } from '../../producer/src/flight-simulator.ts';
import { crc32c, RECORD_BATCH_HEADER_BYTES, RecordBatchBuilder, type ValueWriter } from '../../producer/src/record-batch.ts';

const COMPRESSIONS = ['none', 'lz4', 'zstd', 'gzip', 'snappy'] as const;

describe('RecordBatchBuilder', () => {
  it.each(COMPRESSIONS)('writes a v2 record batch (%s) that the client decodes back to the same keys and values, with a valid CRC32C', (compression) => {
    // GIVEN 3,000 simulated events, appended by the event writer and, every other one, as a Buffer of their bytes
    const options = { seed: 9, workerId: 2, startTime: Date.parse('2026-04-01T00:00:00Z'), activeFlights: 300 };
    const events = [...new FlightSimulator(options).take(3000)];
    const steps = new FlightSimulator(options);
    const writer = new FlightEventWriter();
    const builder = new RecordBatchBuilder(1024); // small, so it has to grow
    let valueBytes = 0;
    events.forEach((event, i) => {
      const record = writer.select(steps.step());
      valueBytes += i % 2 === 0 ? builder.append(record.key, record) : builder.append(Buffer.from(event.flight_id), encodeFlightEvent(event));
    });
    expect(builder.count).toBe(3000);
    expect(builder.valueBytes).toBe(valueBytes);
    // WHEN finished with a producer id, epoch and base sequence
    const batch = builder.finish({ producerId: 4242n, producerEpoch: 3, baseSequence: 2_147_483_000, timestampMs: 1_775_000_000_123, compression });
    // THEN the client's own decoder reads the header fields and every record back
    const decoded = readRecordsBatch(Reader.from(batch));
    expect(decoded).toMatchObject({ firstOffset: 0n, length: batch.length - 12, magic: 2, lastOffsetDelta: 2999, producerId: 4242n, producerEpoch: 3, firstSequence: 2_147_483_000 });
    expect(decoded.firstTimestamp).toBe(1_775_000_000_123n);
    expect(decoded.attributes & 0b111).toBe({ none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }[compression]);
    expect(decoded.records).toHaveLength(3000);
    decoded.records.forEach((record, i) => {
      const event = events[i]!;
      if (record.offsetDelta !== i || record.key!.toString() !== event.flight_id || !record.value!.equals(encodeFlightEvent(event))) {
        expect({ offsetDelta: record.offsetDelta, key: record.key!.toString(), value: record.value!.toString() }).toStrictEqual({ offsetDelta: i, key: event.flight_id, value: JSON.stringify(event) });
      }
      expect(record.headers).toHaveLength(0);
    });
    // AND the CRC32C covers attributes to the end, checked with the client's plain-JS implementation
    expect(batch.readUInt32BE(17)).toBe(jsCRC32C(batch.subarray(21)));
    expect(crc32c(batch.subarray(21))).toBe(jsCRC32C(batch.subarray(21)));
    // AND the builder starts empty for the next batch
    expect(builder.count).toBe(0);
    expect(builder.bytes).toBe(RECORD_BATCH_HEADER_BYTES);
  });

  it('writes values of any size, as Buffers or from writers whose maxBytes overestimates them', () => {
    // GIVEN values of 0 to 70,000 bytes, and writers that write fewer bytes than they announce
    // (so the length varints before the value are shorter than the builder reserved)
    const writerOf = (text: string, maxBytes: number): ValueWriter => ({ maxBytes, writeTo: (buf, pos) => pos + buf.write(text, pos, 'utf8') });
    const values: (Buffer | ValueWriter)[] = [
      Buffer.from('{"city":"São Paulo ✈"}'),
      Buffer.from('x'),
      Buffer.from('y'.repeat(70_000)),
      Buffer.alloc(0),
      writerOf('{"short":"but announced as 20,000 bytes"}', 20_000),
      writerOf('', 300),
      writerOf('z'.repeat(200), 200),
      writerOf('w'.repeat(9_000), 2_000_000),
    ];
    const expected = ['{"city":"São Paulo ✈"}', 'x', 'y'.repeat(70_000), '', '{"short":"but announced as 20,000 bytes"}', '', 'z'.repeat(200), 'w'.repeat(9_000)];
    const builder = new RecordBatchBuilder(256);
    // WHEN appended / THEN each returns its byte length, and the client decodes every value
    expect(values.map((v) => builder.append(Buffer.from('k'), v))).toStrictEqual(expected.map((v) => Buffer.byteLength(v)));
    const decoded = readRecordsBatch(Reader.from(builder.finish({ producerId: 1n, producerEpoch: 0, baseSequence: 0, timestampMs: 0, compression: 'none' })));
    expect(decoded.records.map((r) => r.value!.toString('utf8'))).toStrictEqual(expected);
    expect(decoded.records.map((r) => r.offsetDelta)).toStrictEqual(expected.map((_, i) => i));
  });

  it('refuses to finish an empty batch', () => {
    expect(() => new RecordBatchBuilder().finish({ producerId: 1n, producerEpoch: 0, baseSequence: 0, timestampMs: 0, compression: 'none' })).toThrow(/empty batch/);
  });
});
