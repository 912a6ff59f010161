import { afterEach, describe, expect, it } from 'vitest';
import { compressionsAlgorithms, Reader, readRecordsBatch } from '@platformatic/kafka';
import { codecFor } from '../../producer/src/compression.ts';
import { type BatchCompressor, startCompressorThread } from '../../producer/src/compressor.ts';
import { encodeFlightEvent, FlightEventWriter } from '../../producer/src/encode.ts';
import { FlightSimulator } from '../../producer/src/flight-simulator.ts';
import { RECORD_BATCH_HEADER_BYTES, RecordBatchBuilder, writeBatchHeader } from '../../producer/src/record-batch.ts';

const SIMULATION = { seed: 5, workerId: 1, startTime: Date.parse('2026-04-01T00:00:00Z'), activeFlights: 200 };
const IDENTITY = { producerId: 77n, producerEpoch: 2, baseSequence: 1000, timestampMs: 1_775_000_000_000 };

/** A builder holding `count` simulated events, from event `skip` on. */
function filledBuilder(count: number, skip = 0): RecordBatchBuilder {
  const steps = new FlightSimulator(SIMULATION);
  const writer = new FlightEventWriter();
  const builder = new RecordBatchBuilder();
  for (let i = 0; i < skip + count; i++) {
    const record = writer.select(steps.step());
    if (i >= skip) builder.append(record.key, record);
  }
  return builder;
}

const started: BatchCompressor[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.close()));
});

describe('compressor thread', () => {
  it.each(['lz4', 'zstd', 'gzip', 'snappy'] as const)('makes the same %s batch as compressing on the calling thread', async (compression) => {
    // GIVEN the same 2,000 events in two builders
    const onThread = startCompressorThread(compression, RECORD_BATCH_HEADER_BYTES);
    started.push(onThread);
    const here = filledBuilder(2000);
    const there = filledBuilder(2000);
    // WHEN one batch is finished here and the other's records are compressed on the thread, after room for the header
    const expected = here.finish({ ...IDENTITY, compression });
    const { records, count } = there.takeRecords();
    const batch = writeBatchHeader(await onThread.compress(records), codecFor(compression).attributes, count, IDENTITY);
    // THEN the two batches are the same bytes, and the client reads every event back
    expect(batch.equals(expected)).toBe(true);
    const decoded = readRecordsBatch(Reader.from(batch));
    expect(decoded.records).toHaveLength(2000);
    const events = [...new FlightSimulator(SIMULATION).take(2000)];
    expect(decoded.records.every((r, i) => r.value!.equals(encodeFlightEvent(events[i]!)))).toBe(true);
    // AND the builder starts the next batch empty
    expect(there.count).toBe(0);
  });

  it('answers many batches sent at once in the order they were sent, each copied before compress() returns', async () => {
    // GIVEN 40 different record sets handed over without waiting, from one buffer overwritten after each
    const compressor = startCompressorThread('lz4');
    started.push(compressor);
    const inputs = Array.from({ length: 40 }, (_, i) => Buffer.from(filledBuilder(50 + i, i * 7).takeRecords().records));
    const scratch = Buffer.alloc(Math.max(...inputs.map((b) => b.length)));
    // WHEN all are compressed, in two rounds (the second reuses the buffers the thread handed back)
    for (let round = 0; round < 2; round++) {
      const outputs = await Promise.all(
        inputs.map((records) => {
          records.copy(scratch);
          const answer = compressor.compress(scratch.subarray(0, records.length));
          scratch.fill(0);
          return answer;
        }),
      );
      // THEN each answer is its own input, compressed
      outputs.forEach((compressed, i) => {
        expect(Buffer.from(compressionsAlgorithms.lz4.decompressSync(compressed)).equals(inputs[i]!)).toBe(true);
      });
    }
  });

  it('refuses work once closed, naming the compression', async () => {
    const compressor = startCompressorThread('zstd');
    await compressor.close();
    await expect(compressor.compress(Buffer.from('x'))).rejects.toThrow(/zstd compressor thread was closed/);
    await compressor.close(); // twice is fine
  });
});

describe('RecordBatchBuilder.takeRecords', () => {
  it('hands over the records after the header and starts the next batch empty', () => {
    const builder = filledBuilder(10);
    const bytes = builder.bytes;
    const { records, count } = builder.takeRecords();
    expect([records.length, count]).toStrictEqual([bytes - RECORD_BATCH_HEADER_BYTES, 10]);
    expect([builder.count, builder.bytes, builder.valueBytes]).toStrictEqual([0, RECORD_BATCH_HEADER_BYTES, 0]);
  });

  it('refuses an empty batch', () => {
    expect(() => new RecordBatchBuilder().takeRecords()).toThrow(/empty batch/);
  });
});
