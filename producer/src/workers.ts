/**
 * Splitting one producer run across worker threads. Each worker is a full producer: its own
 * simulator (worker id = base + i, so flight ids never collide) and its own Kafka client, so no
 * event crosses a thread boundary. The parent only aggregates counters and relays stop requests.
 */

import { Worker } from 'node:worker_threads';
import { type ProduceConfig, type SimulationConfig } from './config.ts';
import { type KafkaSenderStats } from './kafka-sender.ts';
import { type ProduceOutcome } from './produce-loop.ts';

/** Young generation of a worker thread, MiB: three semi-spaces of 64 MiB. */
const YOUNG_GENERATION_MB = 192;

/** workerData of a produce worker thread. */
export interface ProduceWorkerData {
  readonly role: 'flight-producer-worker';
  readonly config: ProduceConfig;
}

/** Messages a worker posts to its parent. */
export type WorkerMessage =
  | {
      readonly type: 'progress';
      readonly generated: number;
      readonly stats: KafkaSenderStats;
      readonly inFlight: number;
      /** Latencies of the produce requests completed since the last message, ms (negative = failed). */
      readonly batchLatenciesMs: readonly number[];
    }
  | { readonly type: 'connected' }
  | { readonly type: 'done'; readonly outcome: ProduceOutcome };

/**
 * The per-worker share of a run: worker ids base..base+N-1, count and rate split evenly (the
 * first `count % N` workers take one more event). Workers whose share of a finite count is 0 are
 * left out, since count 0 means "unbounded".
 */
export function splitAcrossWorkers<T extends SimulationConfig & { readonly clientId?: string }>(config: T): T[] {
  const n = config.workers;
  if (n <= 1) return [config];
  const shares: T[] = [];
  for (let i = 0; i < n; i++) {
    const count = config.count > 0 ? Math.floor(config.count / n) + (i < config.count % n ? 1 : 0) : 0;
    if (config.count > 0 && count === 0) continue;
    shares.push({
      ...config,
      workers: 1,
      workerId: config.workerId + i,
      count,
      rate: config.rate / n,
      ...(config.clientId !== undefined ? { clientId: `${config.clientId}-t${i}` } : {}),
    });
  }
  return shares;
}

export interface RunningWorker {
  readonly worker: Worker;
  /** Latest counters the worker reported. */
  latest: { generated: number; stats: KafkaSenderStats; inFlight: number };
  readonly outcome: Promise<ProduceOutcome>;
}

/** Starts one produce worker thread running `entry` (the CLI module itself: one file, also when bundled). */
export interface WorkerListener {
  readonly log: (line: string) => void;
  readonly onConnected?: () => void;
  readonly onBatchDone?: (latencyMs: number, messages: number, ok: boolean) => void;
}

export function startProduceWorker(entry: URL, config: ProduceConfig, listener: WorkerListener): RunningWorker {
  const { log } = listener;
  const data: ProduceWorkerData = { role: 'flight-producer-worker', config };
  // A larger young generation: the Kafka client allocates several short-lived objects per record,
  // and fewer scavenges measured ~15-20% more msg/s (same as `node --max-semi-space-size=64`).
  const worker = new Worker(entry, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
  const running: RunningWorker = {
    worker,
    latest: { generated: 0, stats: { sent: 0, acked: 0, errors: 0, bytes: 0 }, inFlight: 0 },
    outcome: new Promise<ProduceOutcome>((resolve) => {
      let done: ProduceOutcome | undefined;
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'progress') {
          running.latest = { generated: message.generated, stats: message.stats, inFlight: message.inFlight };
          for (const ms of message.batchLatenciesMs) listener.onBatchDone?.(Math.abs(ms), 0, ms >= 0);
        } else if (message.type === 'connected') {
          listener.onConnected?.();
        } else {
          done = message.outcome;
        }
      });
      worker.on('error', (error: Error) => log(`worker ${config.workerId}: ${error.stack ?? error.message}`));
      worker.on('exit', (code) => {
        if (done === undefined) log(`worker ${config.workerId} exited with code ${code} before reporting its totals`);
        // A worker that died without totals counts what it last reported, and fails the run.
        resolve(done ?? { stats: running.latest.stats, generated: running.latest.generated, exitCode: 1, batchLatenciesMs: [], batchesAcked: 0 });
      });
    }),
  };
  return running;
}

export function sumStats(all: readonly KafkaSenderStats[]): KafkaSenderStats {
  const total = { sent: 0, acked: 0, errors: 0, bytes: 0 };
  for (const s of all) {
    total.sent += s.sent;
    total.acked += s.acked;
    total.errors += s.errors;
    total.bytes += s.bytes;
  }
  return total;
}
