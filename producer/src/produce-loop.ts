/**
 * One producer worker: its own simulator and its own Kafka sender, a generate -> encode -> add
 * loop bounded by count, duration, rate and a stop request, then a flush. It runs either in the
 * main thread (--workers 1) or in a worker_thread (see workers.ts); it never touches signals or
 * stdout, so both callers decide how to stop it and how to report.
 */

import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { type ProduceConfig, type SimulationConfig } from './config.ts';
import { FlightEventWriter } from './encode.ts';
import { FlightSimulator } from './flight-simulator.ts';
import { describeKafkaError, KafkaSender, type KafkaSenderStats } from './kafka-sender.ts';
import { LatencyReservoir } from './latency-reservoir.ts';

/** How many events the hot loop generates between two looks at the clock, signals and timers. */
const EVENTS_PER_CHECK = 1024;
/**
 * How much longer than a batch's own delivery timeout (Java's delivery.timeout.ms) we wait for the
 * in-flight batches after the last event: the sender, which knows each batch's partition, broker and
 * error, is the one that gives up and says why; this only bounds a sender that never answers.
 */
const CLOSE_GRACE_MS = 15_000;

/** The q-quantile (0..1) of some numbers, nearest rank; undefined when there are none. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function simulatorFor(config: SimulationConfig): FlightSimulator {
  return new FlightSimulator({
    seed: config.seed,
    workerId: config.workerId,
    startTime: config.startTimeMs,
    activeFlights: config.activeFlights,
    positionIntervalS: config.positionIntervalS,
  });
}

export interface ProduceProgress {
  generated: number;
  readonly stats: KafkaSenderStats;
  inFlight: number;
}

export interface ProduceOutcome {
  readonly stats: KafkaSenderStats;
  readonly generated: number;
  readonly exitCode: 0 | 1;
  /** Send-to-acknowledgement times of acknowledged produce requests, ms: a uniform sample of at most 20,000 of them. */
  readonly batchLatenciesMs: readonly number[];
  /** Acknowledged produce requests in all (the sample's population). */
  readonly batchesAcked: number;
}

export interface ProduceControl {
  /** Why to stop early (a signal, the parent thread), or undefined to go on. Polled every 1024 events. */
  readonly stopRequested: () => string | undefined;
  readonly log: (line: string) => void;
  /** Live counters, updated as the loop runs (read them from a timer for progress lines). */
  readonly progress?: ProduceProgress;
  /** Called once Kafka answered, the topic exists and the idempotent producer is registered. */
  readonly onConnected?: () => void;
  /** Called per completed produce request with its latency, ms (for the metrics histogram). */
  readonly onBatchDone?: (latencyMs: number, messages: number, ok: boolean) => void;
}

/**
 * Produces `config.count` events (or until the duration, a stop request or a failure), flushes,
 * closes, and returns the sender's totals. Exit code 1 when anything was not acknowledged.
 */
export async function runProduceLoop(config: ProduceConfig, control: ProduceControl): Promise<ProduceOutcome> {
  const simulator = simulatorFor(config);
  const sender = new KafkaSender(config);
  const writer = new FlightEventWriter();
  const progress: ProduceProgress = control.progress ?? { generated: 0, stats: sender.stats, inFlight: 0 };
  const { log } = control;
  let exitCode: 0 | 1 = 0;
  let generated = 0;
  let stopReason: string | undefined;
  const startedMs = performance.now();
  const progressTimer = setInterval(() => {
    progress.generated = generated;
    Object.assign(progress.stats, sender.stats);
    progress.inFlight = sender.inFlight;
  }, 200);
  progressTimer.unref();

  // Every retry is logged (the Java client warns on each too): a failover shows as a few lines
  // naming the partitions, the broker and the error, and a stall can be told from a slow broker.
  sender.onRetry = (r) =>
    log(
      `${r.willRetry ? 'retrying' : 'giving up on'} ${r.messages} messages (partitions ${r.partitions.join(',')}) ` +
        `after attempt ${r.attempt} to ${r.broker}: ${r.error}`,
    );
  const latencies = new LatencyReservoir();
  sender.onBatchDone = (latencyMs, messages, ok) => {
    if (ok) latencies.add(latencyMs);
    control.onBatchDone?.(latencyMs, messages, ok);
  };
  try {
    await sender.connect();
    log(`connected: topic ${config.topic} has ${sender.partitionCount} partitions; idempotent producer registered`);
    control.onConnected?.();
    const deadlineMs = config.durationS > 0 ? startedMs + config.durationS * 1000 : Infinity;
    const count = config.count;
    const rate = config.rate;
    while (count === 0 || generated < count) {
      if (generated % EVENTS_PER_CHECK === 0) {
        stopReason = control.stopRequested();
        if (stopReason !== undefined) break;
        if (performance.now() >= deadlineMs) {
          stopReason = `--duration-s ${config.durationS} elapsed`;
          break;
        }
        await yieldToEventLoop(); // lets signals, the linger timer and acknowledgements in
      }
      if (rate > 0) {
        const dueMs = startedMs + (generated * 1000) / rate;
        if (dueMs >= deadlineMs) {
          stopReason = `--duration-s ${config.durationS} elapsed`;
          break;
        }
        const aheadMs = dueMs - performance.now();
        if (aheadMs > 2) {
          await sleep(aheadMs);
          stopReason = control.stopRequested();
          if (stopReason !== undefined) break;
        }
      }
      // The writer writes the event's JSON straight into its partition's record batch (no string, no Buffer).
      const record = writer.select(simulator.step());
      const mustWait = sender.add(record.key, record, record.partitionHash);
      generated++;
      if (mustWait) await mustWait;
    }
    if (stopReason !== undefined) log(`stopped after ${generated} events (${stopReason})`);
  } catch (error) {
    log(`error: ${error instanceof Error ? error.message : String(error)}`);
    exitCode = 1;
  }

  const closeTimeoutMs = sender.deliveryTimeoutMs + CLOSE_GRACE_MS;
  const closeTimeout = sleep(closeTimeoutMs, 'timeout' as const, { ref: false });
  try {
    const closed = await Promise.race([sender.close().then(() => 'closed' as const), closeTimeout]);
    if (closed === 'timeout') {
      log(
        `error: ${sender.unacknowledgedMessages} events not acknowledged within ${closeTimeoutMs / 1000} s of the last send; ` +
          `giving up on them: ${sender.describeUnacknowledged() || 'none in flight'}`,
      );
      exitCode = 1;
    }
  } catch (error) {
    log(`error while closing the Kafka producer: ${describeKafkaError(error)}`);
    exitCode = 1;
  }
  clearInterval(progressTimer);
  const stats = { ...sender.stats };
  if (sender.failure) {
    // One line with the count, and the first failure's partitions, broker and error.
    log(`error: ${stats.sent - stats.acked} of ${stats.sent} events not acknowledged (${stats.errors} failed after retries): ${sender.failure.message}`);
    exitCode = 1;
  }
  progress.generated = generated;
  Object.assign(progress.stats, stats);
  progress.inFlight = 0;
  if (stats.acked !== stats.sent || stats.errors !== 0) {
    if (exitCode === 0 && !sender.failure) {
      // Every path above that sets exit code 1 says why; this one must too.
      log(`error: ${stats.sent - stats.acked} of ${stats.sent} events not acknowledged (${stats.errors} failed): ${sender.describeUnacknowledged() || 'no batch in flight'}`);
    }
    exitCode = 1;
  }
  return { stats, generated, exitCode, batchLatenciesMs: latencies.values(), batchesAcked: latencies.seen };
}
