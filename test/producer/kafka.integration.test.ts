/**
 * The producer against a real Kafka broker (no mocks): what goes in comes out exactly once, in
 * per-flight order, byte for byte as `generate` writes it.
 */

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer, type Message, MessagesStreamModes } from '@platformatic/kafka';
import { encodeFlightEvent, flightEventKey } from '../../producer/src/encode.ts';
import { FlightSimulator } from '../../producer/src/flight-simulator.ts';
import { type FlightEvent } from '../../producer/src/generated/flight-event.ts';
import { KafkaSender } from '../../producer/src/kafka-sender.ts';
import { EmbeddedKafka, freePort, REPO_ROOT } from './embedded-kafka.ts';

// `node --import tsx`, not the tsx CLI: the CLI relays signals to a child process and SIGKILLs it
// (exit 143) when the child does not confirm within 30 ms, which a loaded machine can exceed.
const TSX_LOADER = join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs');
const MAIN = join(REPO_ROOT, 'producer/src/main.ts');

let kafka: EmbeddedKafka;
let workDir: string;

beforeAll(async () => {
  kafka = await EmbeddedKafka.start();
  workDir = await mkdtemp(join(tmpdir(), 'producer-it-'));
}, 240_000);

afterAll(async () => {
  await kafka?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
}, 90_000);

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** Reads `expected` messages from the start of a topic, then checks the log holds no more. */
async function consumeAll(topic: string, expected: number, timeoutMs = 90_000): Promise<KafkaMessage[]> {
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
    clientId: `it-consumer-${topic}`,
    groupId: `it-group-${topic}-${Date.now()}`,
    bootstrapBrokers: [kafka.bootstrap],
    maxWaitTime: 500,
  });
  const received: KafkaMessage[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed only ${received.length} of ${expected} messages from ${topic} in ${timeoutMs} ms`)), timeoutMs);
      stream.on('data', (message: KafkaMessage) => {
        received.push(message);
        if (received.length === expected) {
          clearTimeout(timer);
          resolve();
        }
      });
      stream.on('error', (error: Error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    await stream.close();
    // Exactly once, also in the log: the end offsets add up to what was consumed (the topic is fresh).
    const endOffsets = (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? [];
    expect(endOffsets.reduce((sum, offset) => sum + Number(offset), 0)).toBe(expected);
  } finally {
    await consumer.close(true);
  }
  return received;
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the producer CLI; `onStderr` may act on progress lines (e.g. send a signal). */
function runCli(args: string[], options: { timeoutMs?: number; onStderr?: (text: string, pid: number) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', pathToFileURL(TSX_LOADER).href, MAIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`producer CLI ${args.join(' ')} did not finish in time; stderr:\n${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(stderr, child.pid as number);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function producerResult(stdout: string): Record<string, number> {
  const lines = stdout.split('\n').filter((line) => line.startsWith('PRODUCER_RESULT '));
  expect(lines).toHaveLength(1);
  return JSON.parse((lines[0] as string).slice('PRODUCER_RESULT '.length)) as Record<string, number>;
}

/**
 * An onStderr hook that sends `signal` once the producer has logged that it is connected (every
 * worker, when there are several) and `afterMs` more have passed, so events are in flight. (The
 * live progress line is only drawn on a terminal, so the tests wait for the log line instead.)
 */
function signalOnceProducing(workers = 1, afterMs = 1500, onSignal?: (pid: number) => Promise<void>): { hook: (stderr: string, pid: number) => void; signalled: () => boolean } {
  let armed = false;
  let sent = false;
  return {
    signalled: () => sent,
    hook: (stderr, pid) => {
      if (armed || (stderr.match(/connected: topic/g) ?? []).length < workers) return;
      armed = true;
      setTimeout(() => {
        void (async () => {
          try {
            await onSignal?.(pid);
          } finally {
            sent = true;
            process.kill(pid, 'SIGTERM');
          }
        })();
      }, afterMs);
    },
  };
}

/** Every flight's messages sit on one partition, with seq rising with the offset. */
function perFlightOrderProblems(messages: readonly KafkaMessage[]): string[] {
  const problems: string[] = [];
  const lastByFlight = new Map<string, { partition: number; offset: bigint; seq: number }>();
  const sorted = [...messages].sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  for (const message of sorted) {
    const event = JSON.parse(message.value.toString('utf8')) as FlightEvent;
    if (message.key.toString('utf8') !== event.flight_id) problems.push(`${event.event_id}: key ${message.key.toString()} is not the flight id`);
    const last = lastByFlight.get(event.flight_id);
    if (last && last.partition !== message.partition) problems.push(`${event.flight_id}: on partitions ${last.partition} and ${message.partition}`);
    if (last && event.seq !== last.seq + 1) problems.push(`${event.flight_id}: seq ${event.seq} follows ${last.seq}`);
    if (!last && event.seq !== 0) problems.push(`${event.flight_id}: first seq is ${event.seq}`);
    lastByFlight.set(event.flight_id, { partition: message.partition, offset: message.offset, seq: event.seq });
  }
  return problems;
}

describe('producer against a real Kafka broker', () => {
  it('delivers 20,000 events through KafkaSender exactly once, in per-flight order, with the in-flight cap respected', async () => {
    // GIVEN a topic with 4 partitions and a sender with small batches and a cap of 3 requests in flight
    const topic = 'sender-it';
    await kafka.createTopic(topic, 4);
    const sender = new KafkaSender({
      bootstrapBrokers: [kafka.bootstrap],
      topic,
      clientId: 'sender-it',
      batchSize: 500,
      lingerMs: 5,
      maxInFlight: 3,
      compression: 'lz4',
    });
    const simulator = new FlightSimulator({ seed: 2026, workerId: 1, startTime: Date.parse('2026-06-01T00:00:00Z'), activeFlights: 400 });
    const sentValues = new Map<string, string>();

    // WHEN 20,000 events are added, awaiting backpressure when asked to, then flushed
    await sender.connect();
    let maxInFlight = 0;
    let waits = 0;
    for (const event of simulator.take(20_000)) {
      const value = encodeFlightEvent(event);
      sentValues.set(event.event_id, value.toString('utf8'));
      const mustWait = sender.add(flightEventKey(event), value);
      maxInFlight = Math.max(maxInFlight, sender.inFlight);
      if (mustWait) {
        waits++;
        await mustWait;
      }
    }
    await sender.close();

    // THEN every event was acknowledged, the cap held and backpressure was applied
    expect(sender.stats).toMatchObject({ sent: 20_000, acked: 20_000, errors: 0 });
    expect(sender.stats.bytes).toBe([...sentValues.values()].reduce((sum, v) => sum + Buffer.byteLength(v), 0));
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(waits).toBeGreaterThan(0);

    // AND reading the topic back yields each event id exactly once, byte for byte, in per-flight order
    const messages = await consumeAll(topic, 20_000);
    const seen = new Map<string, number>();
    const mismatched: string[] = [];
    for (const message of messages) {
      const value = message.value.toString('utf8');
      const eventId = (JSON.parse(value) as FlightEvent).event_id;
      seen.set(eventId, (seen.get(eventId) ?? 0) + 1);
      if (sentValues.get(eventId) !== value) mismatched.push(eventId);
    }
    expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
    expect(seen.size).toBe(20_000);
    expect(mismatched).toEqual([]);
    expect(new Set(messages.map((m) => m.partition)).size).toBe(4);
    expect(perFlightOrderProblems(messages).slice(0, 5)).toEqual([]);
  }, 180_000);

  it('CLI produce sends exactly the bytes CLI generate writes for the same options, and reports PRODUCER_RESULT', async () => {
    // GIVEN a topic and one set of stream options
    const topic = 'cli-it';
    await kafka.createTopic(topic, 4);
    const streamOptions = ['--count', '5000', '--seed', '11', '--worker-id', '2', '--start-time', '2026-02-01T00:00:00Z', '--active-flights', '300'];
    const outFile = join(workDir, 'cli-it.jsonl');

    // WHEN produce sends them (zstd, odd batch size) and generate writes them to a file
    const produced = await runCli(['produce', '--bootstrap', kafka.bootstrap, '--topic', topic, '--compression', 'zstd', '--batch-size', '700', ...streamOptions]);
    const generated = await runCli(['generate', '--out', outFile, ...streamOptions]);

    // THEN produce succeeded and says so on one stdout line
    expect(produced.code, produced.stderr).toBe(0);
    const result = producerResult(produced.stdout);
    expect(result).toMatchObject({ sent: 5000, acked: 5000, errors: 0 });
    expect(result['elapsed_ms']).toBeGreaterThan(0);
    expect(result['msgs_per_sec']).toBeGreaterThan(0);
    expect(generated.code, generated.stderr).toBe(0);

    // AND the topic holds exactly the lines of the file, byte for byte
    const lines = (await readFile(outFile, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(5000);
    expect(result['bytes']).toBe(lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0));
    const messages = await consumeAll(topic, 5000);
    expect(messages.map((m) => m.value.toString('utf8')).sort()).toEqual([...lines].sort());
    expect(perFlightOrderProblems(messages).slice(0, 5)).toEqual([]);
  }, 180_000);

  it('CLI produce stops on SIGTERM, flushes what is in flight, exits 0, and the topic holds exactly the acknowledged events', async () => {
    // GIVEN a rate-limited endless produce run
    const topic = 'signal-it';
    await kafka.createTopic(topic, 2);
    const trigger = signalOnceProducing();
    // WHEN it is sent SIGTERM 1.5 s after it connected
    const run = await runCli(['produce', '--bootstrap', kafka.bootstrap, '--topic', topic, '--rate', '2000', '--seed', '5'], { onStderr: trigger.hook });
    // THEN it exits 0 and reports a consistent result
    expect(trigger.signalled()).toBe(true);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('SIGTERM');
    const result = producerResult(run.stdout);
    expect(result['sent']).toBeGreaterThan(0);
    expect(result['acked']).toBe(result['sent']);
    expect(result['errors']).toBe(0);
    // AND the topic holds exactly the acknowledged count (consumeAll checks the end offsets too), each event once
    const messages = await consumeAll(topic, result['acked'] as number);
    const ids = new Set(messages.map((m) => (JSON.parse(m.value.toString('utf8')) as FlightEvent).event_id));
    expect(ids.size).toBe(result['acked']);
    // AND with stderr not a terminal there is no live progress line (no carriage returns)
    expect(run.stderr).not.toContain('\r');
  }, 120_000);

  it('CLI produce --rate holds the rate within 10 % over a 4 s run, with a count or with a duration', async () => {
    // GIVEN a topic, and two rate-limited runs: 4 s by duration, and 12,000 events at 3,000/s
    const topic = 'rate-it';
    await kafka.createTopic(topic, 2);
    const byDuration = await runCli(['produce', '--bootstrap', kafka.bootstrap, '--topic', topic, '--rate', '2500', '--duration-s', '4']);
    const byCount = await runCli(['produce', '--bootstrap', kafka.bootstrap, '--topic', topic, '--rate', '3000', '--count', '12000']);
    // THEN the duration run sent 2,500/s x 4 s = 10,000 events, within 10 %
    expect(byDuration.code, byDuration.stderr).toBe(0);
    const d = producerResult(byDuration.stdout);
    expect(d['acked']).toBeGreaterThanOrEqual(9_000);
    expect(d['acked']).toBeLessThanOrEqual(10_001);
    // AND the count run took 12,000 / 3,000 = 4 s, within 10 % (its elapsed time includes connecting and the last flush)
    expect(byCount.code, byCount.stderr).toBe(0);
    const c = producerResult(byCount.stdout);
    expect(c['acked']).toBe(12_000);
    expect(c['elapsed_ms']).toBeGreaterThanOrEqual(3_600);
    expect(c['elapsed_ms']).toBeLessThanOrEqual(4_400 + 1_000);
  }, 120_000);

  it('CLI produce --workers 2 sends exactly what generate --workers 2 writes, as one PRODUCER_RESULT', async () => {
    // GIVEN a topic and one set of stream options split across two worker threads
    const topic = 'workers-it';
    await kafka.createTopic(topic, 3);
    const streamOptions = ['--count', '4001', '--seed', '12', '--worker-id', '5', '--workers', '2', '--start-time', '2026-02-01T00:00:00Z', '--active-flights', '200'];
    const outFile = join(workDir, 'workers-it.jsonl');

    // WHEN produce sends them and generate writes them
    const produced = await runCli(['produce', '--bootstrap', kafka.bootstrap, '--topic', topic, '--compression', 'lz4', ...streamOptions]);
    const generated = await runCli(['generate', '--out', outFile, ...streamOptions]);

    // THEN the totals add up across workers
    expect(produced.code, produced.stderr).toBe(0);
    expect(producerResult(produced.stdout)).toMatchObject({ sent: 4001, acked: 4001, errors: 0 });
    expect(generated.code, generated.stderr).toBe(0);
    // AND the topic holds the file's lines, from worker ids 5 and 6, with per-flight order kept
    const lines = (await readFile(outFile, 'utf8')).split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(4001);
    const messages = await consumeAll(topic, 4001);
    expect(messages.map((m) => m.value.toString('utf8')).sort()).toEqual([...lines].sort());
    const workerIds = new Set(lines.map((line) => /w(\d+)n\d+$/.exec((JSON.parse(line) as FlightEvent).flight_id)?.[1]));
    expect(workerIds).toStrictEqual(new Set(['5', '6']));
    expect(perFlightOrderProblems(messages).slice(0, 5)).toEqual([]);
  }, 180_000);

  it('CLI produce --workers 2 stops both workers on SIGTERM, and the topic holds exactly the acknowledged count', async () => {
    // GIVEN a rate-limited endless run on two workers
    const topic = 'workers-signal-it';
    await kafka.createTopic(topic, 2);
    const trigger = signalOnceProducing(2);
    // WHEN it is sent SIGTERM 1.5 s after both workers connected
    const run = await runCli(['produce', '--bootstrap', kafka.bootstrap, '--topic', topic, '--rate', '4000', '--workers', '2'], { onStderr: trigger.hook });
    // THEN it exits 0, and nothing acknowledged is lost or doubled
    expect(trigger.signalled()).toBe(true);
    expect(run.code, run.stderr).toBe(0);
    const result = producerResult(run.stdout);
    expect(result['acked']).toBeGreaterThan(0);
    expect(result['acked']).toBe(result['sent']);
    const messages = await consumeAll(topic, result['acked'] as number);
    const ids = new Set(messages.map((m) => (JSON.parse(m.value.toString('utf8')) as FlightEvent).event_id));
    expect(ids.size).toBe(result['acked']);
  }, 120_000);

  it('CLI produce --metrics-port serves /readyz (200 while producing) and /metrics with the acknowledged count', async () => {
    // GIVEN a rate-limited endless run with a metrics server and JSON logs
    const topic = 'metrics-it';
    await kafka.createTopic(topic, 2);
    const port = await freePort();
    let scraped: { ready: number; metrics: string } | undefined;
    // WHEN it has been producing for 1.5 s, scrape it, then SIGTERM it
    const trigger = signalOnceProducing(1, 1500, async () => {
      const ready = (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      scraped = { ready, metrics };
    });
    const run = await runCli(
      ['produce', '--bootstrap', kafka.bootstrap, '--topic', topic, '--rate', '2000', '--metrics-port', String(port), '--log-format', 'json'],
      { onStderr: trigger.hook },
    );
    // THEN it was ready, counted acknowledged events, logged JSON lines, and exited cleanly
    expect(run.code, run.stderr).toBe(0);
    expect(scraped?.ready).toBe(200);
    expect(Number(/^flight_producer_events_acked_total (\d+)$/m.exec(scraped?.metrics ?? '')?.[1])).toBeGreaterThan(0);
    const logLines = run.stderr.trim().split('\n');
    for (const line of logLines) expect(JSON.parse(line)).toMatchObject({ service: 'flight-producer' });
    expect(producerResult(run.stdout)['acked']).toBeGreaterThan(0);
  }, 120_000);

  it('CLI topics creates a topic with its partitions and configs, and leaves an existing one alone', async () => {
    // WHEN the topic is created, then created again with another partition count
    const first = await runCli(['topics', '--bootstrap', kafka.bootstrap, '--topic', 'topics-it', '--partitions', '5', '--topic-config', 'retention.ms=3600000']);
    const again = await runCli(['topics', '--bootstrap', kafka.bootstrap, '--topic', 'topics-it', '--partitions', '7']);
    // THEN the first run created it with 5 partitions, the second reports it as it is and still exits 0
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('TOPICS_RESULT {"topic":"topics-it","created":true,"partitions":5}');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('TOPICS_RESULT {"topic":"topics-it","created":false,"partitions":5}');
    expect(again.stderr).toMatch(/exists already .* 5 partitions \(not the 7 asked for/);
    // AND producers can use it
    const produced = await runCli(['produce', '--bootstrap', kafka.bootstrap, '--topic', 'topics-it', '--count', '500']);
    expect(produced.code, produced.stderr).toBe(0);
    expect(new Set((await consumeAll('topics-it', 500)).map((m) => m.partition)).size).toBe(5);
  }, 120_000);

  it('CLI produce fails with a clear message and a non-zero exit when the topic does not exist', async () => {
    const run = await runCli(['produce', '--bootstrap', kafka.bootstrap, '--topic', 'no-such-topic', '--count', '10']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/topic "no-such-topic"/);
    expect(producerResult(run.stdout)).toMatchObject({ sent: 0, acked: 0 });
  }, 60_000);

  it('CLI produce fails with a clear message and a non-zero exit when no broker answers', async () => {
    const run = await runCli(['produce', '--bootstrap', '127.0.0.1:1', '--count', '10']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Kafka at 127\.0\.0\.1:1/);
    expect(run.stderr).toMatch(/ECONNREFUSED|Cannot connect/);
  }, 60_000);
});

describe('a broker lost for good', () => {
  it('CLI produce exits 1 after --delivery-timeout-ms with one line naming the partitions, the broker, the error and the unacknowledged count', async () => {
    const lost = await EmbeddedKafka.start();
    let stopping: Promise<void> | undefined;
    try {
      await lost.createTopic('lost-broker', 2);
      const startedMs = Date.now();
      const run = await runCli(
        ['produce', '--bootstrap', lost.bootstrap, '--topic', 'lost-broker', '--rate', '2000', '--count', '60000', '--delivery-timeout-ms', '5000'],
        {
          timeoutMs: 90_000,
          // Once the producer is connected and sending, the only broker goes away and stays away.
          onStderr: (stderr) => {
            if (!stopping && /\bconnected\b/.test(stderr)) stopping = new Promise((r) => setTimeout(r, 1500)).then(() => lost.stop());
          },
        },
      );
      const elapsedS = (Date.now() - startedMs) / 1000;
      expect(run.code, run.stderr).toBe(1);
      const result = producerResult(run.stdout);
      const { sent = 0, acked = 0, errors = -1 } = result;
      expect(acked).toBeGreaterThan(0);
      expect(acked).toBeLessThan(sent);
      expect(errors).toBe(sent - acked);
      const failure = run.stderr.split('\n').filter((line) => /error: \d+ of \d+ events not acknowledged/.test(line));
      expect(failure, run.stderr).toHaveLength(1);
      const line = failure[0] as string;
      // how many, which partition, which broker, and the error
      expect(line).toMatch(new RegExp(`error: ${errors} of ${sent} events not acknowledged .*Kafka did not acknowledge topic "lost-broker"`));
      expect(line).toMatch(/partition [01] \(\d+ messages, last sent to node 1 at 127\.0\.0\.1:\d+, attempt \d+\): /);
      expect(line).toMatch(/ECONNREFUSED|Connection closed|no answer/);
      // The run ended at its delivery timeout, not at a test timeout.
      expect(elapsedS).toBeLessThan(60);
    } finally {
      await stopping;
      if (!stopping) await lost.stop();
    }
  }, 240_000);
});
