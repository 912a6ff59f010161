/**
 * The producer CLI: `produce` sends simulated flight events to Kafka, `generate` writes the same
 * events as JSON Lines. Run with `npx tsx producer/src/main.ts <produce|generate> [options]`
 * (see `--help` and config.ts for options and environment variables).
 *
 * With --workers N the same module is started N times as a worker_thread (workerData says so),
 * each running produce-loop.ts; the main thread relays signals and adds up the totals.
 *
 * Exit codes: 0 success; 1 Kafka or I/O failure (message on stderr); 2 bad command line.
 */

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { type Writable } from 'node:stream';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ConfigError, type GenerateConfig, parseProducerConfig, type ProduceConfig, USAGE } from './config.ts';
import { createLog, type Log } from './log.ts';
import { ProducerMetrics, serveMetrics } from './metrics.ts';
import { formatProgressLine, LiveLine, progressLineEnabled } from './progress.ts';
import { createTopic } from './topics.ts';
import { FlightEventWriter } from './encode.ts';
import { type KafkaSenderStats } from './kafka-sender.ts';
import { type ProduceOutcome, type ProduceProgress, quantile, runProduceLoop, simulatorFor } from './produce-loop.ts';
import { type ProduceWorkerData, type RunningWorker, splitAcrossWorkers, startProduceWorker, sumStats, type WorkerMessage } from './workers.ts';

const PROGRESS_INTERVAL_MS = 1000;
/** `generate` writes its output in chunks of about this size. */
const GENERATE_CHUNK_BYTES = 1 << 20;

let log: Log = createLog('text');

async function produce(config: ProduceConfig): Promise<number> {
  log = createLog(config.logFormat);
  const startedMs = performance.now();
  let stopReason: string | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopReason !== undefined) {
      log(`${signal} again: exiting without waiting for in-flight batches`);
      process.exit(130);
    }
    stopReason = signal;
    log(`${signal}: stopping, flushing in-flight batches (send the signal again to exit at once)`);
    for (const running of workers) running.worker.postMessage({ type: 'stop', reason: signal });
    if (metrics) metrics.readiness = 'stopping';
  };

  const shares = splitAcrossWorkers(config);
  const workers: RunningWorker[] = [];
  const local: ProduceProgress = { generated: 0, stats: { sent: 0, acked: 0, errors: 0, bytes: 0 }, inFlight: 0 };
  const snapshot = (): { generated: number; stats: KafkaSenderStats; inFlight: number } => {
    if (workers.length === 0) return local;
    return {
      generated: workers.reduce((n, w) => n + w.latest.generated, 0),
      stats: sumStats(workers.map((w) => w.latest.stats)),
      inFlight: workers.reduce((n, w) => n + w.latest.inFlight, 0),
    };
  };

  // Kubernetes probes: ready once every worker has connected, unready while stopping or failed.
  const metrics = config.metricsPort > 0 ? new ProducerMetrics(snapshot) : undefined;
  let connectedWorkers = 0;
  const onConnected = (): void => {
    connectedWorkers++;
    if (metrics && connectedWorkers === shares.length && metrics.readiness === 'starting') metrics.readiness = 'ready';
  };
  const onBatchDone = metrics ? (latencyMs: number, _messages: number, ok: boolean): void => metrics.observeBatch(latencyMs, ok) : undefined;
  // Registered once `workers` and `metrics` exist, which the handler reaches into.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (metrics) {
    try {
      const server = await serveMetrics(metrics, config.metricsPort, config.metricsHost);
      log(`serving /metrics, /healthz and /readyz on http://${config.metricsHost}:${server.port}`);
    } catch (error) {
      log(`error: --metrics-port ${config.metricsPort}: cannot listen on ${config.metricsHost}:${config.metricsPort}: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
  }

  log(
    `producing to ${config.topic} at ${config.bootstrapBrokers.join(',')}: ` +
      `${config.count > 0 ? `${config.count} events` : 'until stopped'}` +
      `${config.rate > 0 ? ` at ${config.rate}/s` : ''}${config.durationS > 0 ? `, at most ${config.durationS} s` : ''}` +
      `${shares.length > 1 ? `, ${shares.length} worker threads` : ''}`,
  );
  // The live progress line: only on a terminal (text logs); pipes and log collectors get log lines only.
  const live = progressLineEnabled(process.stderr, config.logFormat) ? new LiveLine(process.stderr) : undefined;
  if (live) {
    const baseLog = log;
    log = (line) => {
      live.clear();
      baseLog(line);
    };
  }
  let lastProgressMs = performance.now();
  let lastProgressAcked = 0;
  const progress = setInterval(() => {
    if (!live) return;
    const nowMs = performance.now();
    const { generated, stats, inFlight } = snapshot();
    const perSecond = ((stats.acked - lastProgressAcked) * 1000) / (nowMs - lastProgressMs);
    lastProgressMs = nowMs;
    lastProgressAcked = stats.acked;
    live.draw(formatProgressLine({ perSecond, acked: stats.acked, generated, count: config.count, inFlight, elapsedMs: nowMs - startedMs }));
  }, PROGRESS_INTERVAL_MS);
  progress.unref();

  let outcomes: ProduceOutcome[];
  if (shares.length === 1) {
    outcomes = [
      await runProduceLoop(shares[0] as ProduceConfig, {
        stopRequested: () => stopReason,
        log,
        progress: local,
        onConnected,
        ...(onBatchDone ? { onBatchDone } : {}),
      }),
    ];
  } else {
    for (const share of shares) {
      workers.push(startProduceWorker(new URL(import.meta.url), share, { log, onConnected, ...(onBatchDone ? { onBatchDone } : {}) }));
    }
    outcomes = await Promise.all(workers.map((w) => w.outcome));
  }
  clearInterval(progress);
  live?.clear();
  if (metrics) metrics.readiness = outcomes.some((o) => o.exitCode !== 0) ? 'failed' : 'stopping';

  const elapsedMs = Math.round(performance.now() - startedMs);
  const { sent, acked, errors, bytes } = sumStats(outcomes.map((o) => o.stats));
  const result = {
    sent,
    acked,
    errors,
    bytes,
    elapsed_ms: elapsedMs,
    msgs_per_sec: Math.round((acked * 10_000) / Math.max(1, elapsedMs)) / 10,
  };
  log(`done: ${acked}/${sent} acknowledged, ${errors} errors, ${bytes} bytes in ${elapsedMs} ms (${result.msgs_per_sec} msg/s)`);
  // Each worker's sample is uniform over its own requests, and the workers share the rate evenly.
  const latencies = outcomes.flatMap((o) => o.batchLatenciesMs);
  if (latencies.length > 0) {
    const requests = outcomes.reduce((n, o) => n + o.batchesAcked, 0);
    const ms = (q: number): string => (quantile(latencies, q) as number).toFixed(1);
    log(
      `batch latency (send to acknowledgement, ${requests} requests, sampled ${latencies.length}): ` +
        `p50 ${ms(0.5)} ms, p99 ${ms(0.99)} ms, max of the sample ${ms(1)} ms`,
    );
  }
  process.stdout.write(`PRODUCER_RESULT ${JSON.stringify(result)}\n`);
  return outcomes.some((o) => o.exitCode !== 0) || acked !== sent || errors !== 0 ? 1 : 0;
}

/** A produce worker thread: runs its share and posts progress and its totals to the parent. */
async function produceWorker(data: ProduceWorkerData): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('produce worker started without a parent port');
  const id = data.config.workerId;
  const workerLog = createLog(data.config.logFormat, { worker: id });
  let stopReason: string | undefined;
  port.on('message', (message: { type: 'stop'; reason: string }) => {
    if (message.type === 'stop') stopReason ??= message.reason;
  });
  const progress: ProduceProgress = { generated: 0, stats: { sent: 0, acked: 0, errors: 0, bytes: 0 }, inFlight: 0 };
  let batchLatenciesMs: number[] = [];
  const reporter = setInterval(() => {
    const message: WorkerMessage = {
      type: 'progress',
      generated: progress.generated,
      stats: { ...progress.stats },
      inFlight: progress.inFlight,
      batchLatenciesMs,
    };
    batchLatenciesMs = [];
    port.postMessage(message);
  }, 250);
  const outcome = await runProduceLoop(data.config, {
    stopRequested: () => stopReason,
    log: workerLog,
    progress,
    onConnected: () => port.postMessage({ type: 'connected' } satisfies WorkerMessage),
    onBatchDone: (latencyMs, _messages, ok) => {
      if (batchLatenciesMs.length < 10_000) batchLatenciesMs.push(ok ? latencyMs : -latencyMs);
    },
  });
  clearInterval(reporter);
  const done: WorkerMessage = { type: 'done', outcome };
  port.postMessage(done);
  port.unref();
}

async function generate(config: GenerateConfig): Promise<number> {
  const out: Writable = config.out === '-' ? process.stdout : createWriteStream(config.out);
  let outputError: Error | undefined;
  out.on('error', (error: Error) => {
    outputError ??= error;
  });
  const writer = new FlightEventWriter();
  let chunk = Buffer.allocUnsafe(GENERATE_CHUNK_BYTES);
  let chunkBytes = 0;
  let bytes = 0;
  const flushChunk = async (): Promise<void> => {
    if (chunkBytes === 0) return;
    const ok = out.write(chunk.subarray(0, chunkBytes));
    chunk = Buffer.allocUnsafe(GENERATE_CHUNK_BYTES); // the stream may still hold the last one
    chunkBytes = 0;
    // once() rejects when the stream emits 'error' while we wait for 'drain'
    if (!ok && !outputError) await once(out, 'drain').catch((error: Error) => (outputError ??= error));
  };
  // With --workers N, each worker's stream in turn: the same events `produce --workers N` sends.
  for (const share of splitAcrossWorkers(config)) {
    const simulator = simulatorFor(share);
    for (let i = 0; i < share.count && !outputError; i++) {
      // The exact bytes `produce` sends as the Kafka value (the same writer), one event per line.
      const record = writer.select(simulator.step());
      if (chunkBytes + record.maxBytes + 1 > chunk.length) await flushChunk();
      const end = record.writeTo(chunk, chunkBytes);
      chunk[end] = 0x0a;
      bytes += end + 1 - chunkBytes;
      chunkBytes = end + 1;
    }
  }
  await flushChunk();
  if (out !== process.stdout) {
    out.end();
    if (!outputError) await once(out, 'finish').catch((error: Error) => (outputError ??= error));
  }
  if (outputError) {
    const pipeClosed = (outputError as NodeJS.ErrnoException).code === 'EPIPE';
    if (pipeClosed) return 0; // e.g. `generate ... | head`: the reader has all it wanted
    log(`error: cannot write --out ${config.out}: ${outputError.message}`);
    return 1;
  }
  log(`generated ${config.count} events (${bytes} bytes) to ${config.out === '-' ? 'stdout' : config.out}`);
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  let config;
  try {
    config = parseProducerConfig(argv, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  switch (config.command) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case 'produce':
      return produce(config);
    case 'generate':
      return generate(config);
    case 'topics':
      try {
        const outcome = await createTopic(config, log);
        process.stdout.write(`TOPICS_RESULT ${JSON.stringify({ topic: config.topic, ...outcome })}\n`);
        return 0;
      } catch (error) {
        log(`error: ${error instanceof Error ? error.message : String(error)}`);
        return 1;
      }
  }
}

function isProduceWorker(data: unknown): data is ProduceWorkerData {
  return typeof data === 'object' && data !== null && (data as { role?: unknown }).role === 'flight-producer-worker';
}

if (!isMainThread && isProduceWorker(workerData)) {
  produceWorker(workerData).catch((error: unknown) => {
    log(`worker: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  });
} else {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`[producer] unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
