/**
 * Our producer's own work without Kafka, one thread: simulate, write each event's JSON into its
 * partition's record batch, and finish the batches (compression, CRC32C) as KafkaSender does when a
 * request is full. bench/producer_bench.py runs it next to the real producer runs, so a produce
 * rate can be split into "our CPU" and "the rest" (the client, the broker, the network).
 *
 *   node --import tsx bench/producer_encode_only.ts <events> <none|gzip|snappy|lz4|zstd>
 *
 * Prints `ENCODE_ONLY {"events", "msgs_per_sec", "cpu_us_per_event", ...}`. The first events
 * (WARMUP_EVENTS, JIT compilation) are not timed. CPU is the process's (every thread: the garbage
 * collector's too), so it is what a core pays per event.
 */

import { COMPRESSIONS, type Compression } from '../producer/src/compression.ts';
import { FlightEventWriter } from '../producer/src/encode.ts';
import { FlightSimulator } from '../producer/src/flight-simulator.ts';
import { RecordBatchBuilder } from '../producer/src/record-batch.ts';

/** As the benchmark's topic and the producer's defaults: 6 partitions, 5,000 events a request, 2,000 flights. */
const PARTITIONS = 6;
const BATCH_SIZE = 5000;
const ACTIVE_FLIGHTS = 2000;
const START_TIME = Date.parse('2026-11-24T00:00:00Z');
const WARMUP_EVENTS = 100_000;

function main(argv: readonly string[]): void {
  const [eventsText, compressionText] = argv;
  const events = Number(eventsText);
  if (!Number.isInteger(events) || events < 1) throw new RangeError(`events: expected an integer >= 1, got "${eventsText}"`);
  if (!COMPRESSIONS.includes(compressionText as Compression)) {
    throw new RangeError(`compression: expected one of ${COMPRESSIONS.join('|')}, got "${compressionText}"`);
  }
  const compression = compressionText as Compression;
  const simulator = new FlightSimulator({ seed: 1, workerId: 0, startTime: START_TIME, activeFlights: ACTIVE_FLIGHTS });
  const writer = new FlightEventWriter();
  const builders = Array.from({ length: PARTITIONS }, () => new RecordBatchBuilder());
  let pending = 0;
  let batchBytes = 0;
  const run = (count: number): void => {
    for (let i = 0; i < count; i++) {
      const record = writer.select(simulator.step());
      const builder = builders[record.partitionHash % PARTITIONS] as RecordBatchBuilder;
      builder.append(record.key, record);
      if (++pending >= BATCH_SIZE) {
        // A full request: every partition's batch is finished, then (acknowledged at once) recycled.
        for (const b of builders) {
          if (b.count === 0) continue;
          const batch = b.finish({ producerId: 1n, producerEpoch: 0, baseSequence: 0, timestampMs: START_TIME, compression });
          batchBytes += batch.length;
          b.recycle(batch);
        }
        pending = 0;
      }
    }
  };
  run(Math.min(WARMUP_EVENTS, events));
  batchBytes = 0;
  const cpuBefore = process.cpuUsage();
  const startMs = performance.now();
  run(events);
  const wallMs = performance.now() - startMs;
  const cpu = process.cpuUsage(cpuBefore);
  const result = {
    events,
    warmup_events: Math.min(WARMUP_EVENTS, events),
    compression,
    msgs_per_sec: Math.round((events * 1000) / wallMs),
    cpu_us_per_event: Math.round(((cpu.user + cpu.system) / events) * 1000) / 1000,
    // Bytes of the batches finished in the timed part, per event: what compression left of ~600.
    batch_bytes_per_event: Math.round((batchBytes / events) * 10) / 10,
  };
  process.stdout.write(`ENCODE_ONLY ${JSON.stringify(result)}\n`);
}

main(process.argv.slice(2));
