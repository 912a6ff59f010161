/**
 * The producer CLI: `produce` sends simulated flight events to Kafka, `generate` writes the same
 * events as JSON Lines. Run with `npx tsx producer/src/main.ts <produce|generate> [options]`
 * (see `--help` and config.ts for options and environment variables).
 *
 * Exit codes: 0 success; 1 Kafka or I/O failure (message on stderr); 2 bad command line.
 */

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { type Writable } from 'node:stream';
import { ConfigError, type GenerateConfig, parseProducerConfig, type ProduceConfig, type SimulationConfig, USAGE } from './config.ts';
import { encodeFlightEvent, flightEventKey } from './encode.ts';
import { FlightSimulator } from './flight-simulator.ts';
import { describeKafkaError, KafkaSender } from './kafka-sender.ts';

/** How many events the hot loop generates between two looks at the clock, signals and timers. */
const EVENTS_PER_CHECK = 1024;
const PROGRESS_INTERVAL_MS = 1000;
/** Longest we wait for in-flight batches after a stop or failure before giving up on them. */
const CLOSE_TIMEOUT_MS = 60_000;

function log(line: string): void {
  process.stderr.write(`[producer] ${line}\n`);
}

function simulatorFor(config: SimulationConfig): FlightSimulator {
  return new FlightSimulator({
    seed: config.seed,
    workerId: config.workerId,
    startTime: config.startTimeMs,
    activeFlights: config.activeFlights,
    positionIntervalS: config.positionIntervalS,
  });
}

async function produce(config: ProduceConfig): Promise<number> {
  const simulator = simulatorFor(config);
  const sender = new KafkaSender(config);
  const startedMs = performance.now();
  let stopReason: string | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopReason !== undefined) {
      log(`${signal} again: exiting without waiting for in-flight batches`);
      process.exit(130);
    }
    stopReason = signal;
    log(`${signal}: stopping, flushing in-flight batches (send the signal again to exit at once)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let exitCode = 0;
  let generated = 0;
  let lastProgressMs = startedMs;
  let lastProgressAcked = 0;
  let progress: NodeJS.Timeout | undefined;

  try {
    await sender.connect();
    lastProgressMs = performance.now();
    progress = setInterval(() => {
      const nowMs = performance.now();
      const perSecond = ((sender.stats.acked - lastProgressAcked) * 1000) / (nowMs - lastProgressMs);
      lastProgressMs = nowMs;
      lastProgressAcked = sender.stats.acked;
      const total = config.count > 0 ? `${generated}/${config.count}` : `${generated}`;
      let eta = '';
      if (config.count > 0 && perSecond > 0) eta = `, ETA ${Math.ceil((config.count - sender.stats.acked) / perSecond)} s`;
      log(`${Math.round(perSecond)} msg/s, generated ${total}, acked ${sender.stats.acked}, in flight ${sender.inFlight}${eta}`);
    }, PROGRESS_INTERVAL_MS);
    progress.unref();
    log(
      `producing to ${config.topic} at ${config.bootstrapBrokers.join(',')}: ` +
        `${config.count > 0 ? `${config.count} events` : 'until stopped'}` +
        `${config.rate > 0 ? ` at ${config.rate}/s` : ''}${config.durationS > 0 ? `, at most ${config.durationS} s` : ''}`,
    );
    const deadlineMs = config.durationS > 0 ? startedMs + config.durationS * 1000 : Infinity;
    while (stopReason === undefined && (config.count === 0 || generated < config.count)) {
      if (generated % EVENTS_PER_CHECK === 0) {
        const nowMs = performance.now();
        if (nowMs >= deadlineMs) {
          stopReason = `--duration-s ${config.durationS} elapsed`;
          break;
        }
        await yieldToEventLoop(); // lets signals, the linger timer and acknowledgements in
      }
      if (config.rate > 0) {
        const dueMs = startedMs + (generated * 1000) / config.rate;
        if (dueMs >= deadlineMs) {
          stopReason = `--duration-s ${config.durationS} elapsed`;
          break;
        }
        const aheadMs = dueMs - performance.now();
        if (aheadMs > 2) await sleep(aheadMs);
      }
      const event = simulator.next();
      const mustWait = sender.add(flightEventKey(event), encodeFlightEvent(event));
      generated++;
      if (mustWait) await mustWait;
    }
    if (stopReason !== undefined) log(`stopped after ${generated} events (${stopReason})`);
  } catch (error) {
    log(`error: ${error instanceof Error ? error.message : String(error)}`);
    exitCode = 1;
  }

  const closeTimeout = sleep(CLOSE_TIMEOUT_MS, 'timeout' as const, { ref: false });
  try {
    const closed = await Promise.race([sender.close().then(() => 'closed' as const), closeTimeout]);
    if (closed === 'timeout') {
      log(`error: in-flight batches not acknowledged within ${CLOSE_TIMEOUT_MS / 1000} s; giving up on them`);
      exitCode = 1;
    }
  } catch (error) {
    log(`error while closing the Kafka producer: ${describeKafkaError(error)}`);
    exitCode = 1;
  }
  clearInterval(progress);
  if (sender.failure && exitCode === 0) {
    log(`error: ${sender.failure.message}`);
    exitCode = 1;
  }

  const elapsedMs = Math.round(performance.now() - startedMs);
  const { sent, acked, errors, bytes } = sender.stats;
  const result = {
    sent,
    acked,
    errors,
    bytes,
    elapsed_ms: elapsedMs,
    msgs_per_sec: Math.round((acked * 10_000) / Math.max(1, elapsedMs)) / 10,
  };
  log(`done: ${acked}/${sent} acknowledged, ${errors} errors, ${bytes} bytes in ${elapsedMs} ms (${result.msgs_per_sec} msg/s)`);
  process.stdout.write(`PRODUCER_RESULT ${JSON.stringify(result)}\n`);
  if (acked !== sent || errors !== 0) exitCode = 1;
  return exitCode;
}

async function generate(config: GenerateConfig): Promise<number> {
  const simulator = simulatorFor(config);
  const out: Writable = config.out === '-' ? process.stdout : createWriteStream(config.out);
  let outputError: Error | undefined;
  out.on('error', (error: Error) => {
    outputError ??= error;
  });
  const newline = Buffer.from('\n');
  const chunks: Buffer[] = [];
  let chunkBytes = 0;
  let bytes = 0;
  const flushChunk = async (): Promise<void> => {
    if (chunks.length === 0) return;
    const ok = out.write(Buffer.concat(chunks, chunkBytes));
    chunks.length = 0;
    chunkBytes = 0;
    // once() rejects when the stream emits 'error' while we wait for 'drain'
    if (!ok && !outputError) await once(out, 'drain').catch((error: Error) => (outputError ??= error));
  };
  for (let i = 0; i < config.count && !outputError; i++) {
    // The exact bytes `produce` sends as the Kafka value, one event per line.
    const line = encodeFlightEvent(simulator.next());
    chunks.push(line, newline);
    chunkBytes += line.length + 1;
    bytes += line.length + 1;
    if (chunkBytes >= 1 << 20) await flushChunk();
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
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[producer] unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
