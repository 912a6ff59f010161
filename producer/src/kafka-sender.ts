/**
 * Sends keyed messages to one Kafka topic with acks=all and an idempotent producer, batching and
 * bounding the work in flight itself.
 *
 * The records go into Kafka record batches we write ourselves (record-batch.ts: one growing Buffer
 * per partition, the event's JSON written straight into it, one CRC32C per batch), and one Produce
 * request per partition leader carries every partition's batch. @platformatic/kafka still does the
 * rest: bootstrap, metadata, the idempotent producer id, connections (TLS, SASL/MSK IAM), request
 * framing, response parsing and retries. Its own `send()` builds each record with a Writer, BigInts
 * and Maps and copies every batch twice, which profiling showed was most of a run's CPU.
 *
 * A request holds up to `batchSize` messages (and at most ~1 MB per partition, under the broker's
 * default message.max.bytes) or what arrived within `lingerMs`. At most `maxInFlight` requests are
 * unacknowledged (<= 5, the batches per partition Kafka de-duplicates for an idempotent producer).
 * When that cap is reached and the next request is full, `add()` hands back a promise: the caller
 * awaits it, and memory stays flat at about (maxInFlight + 1) x batchSize messages.
 *
 * Idempotence: each partition's batches carry the producer id and consecutive sequence numbers, so a
 * retried batch (same bytes) is de-duplicated by the broker. A batch is retried (to its partition's
 * current leader) on retriable errors for up to DELIVERY_TIMEOUT_MS; one that still fails fails the
 * sender (and the run); it is never re-sent under a new producer id, so nothing is written twice.
 */

import {
  kGetApi,
  kGetConnection,
  kMetadata,
  findErrorBy,
  murmur2,
  protocolErrors,
  protocolErrorsCodesById,
  produceV3,
  produceV4,
  produceV5,
  produceV6,
  produceV7,
  produceV8,
  produceV9,
  produceV10,
  produceV11,
  ProduceAcks,
  Producer,
  Writer,
} from '@platformatic/kafka';
import { type Compression } from './compression.ts';
import { RecordBatchBuilder, type ValueWriter } from './record-batch.ts';
import { connectionSecurity, type SecurityOptions } from './security.ts';

/** Most in-flight batches per partition for which Kafka guarantees de-duplication of an idempotent producer. */
export const MAX_IN_FLIGHT_IDEMPOTENT = 5;
/** Uncompressed bytes after which a partition's batch goes out: under the broker's default message.max.bytes (1 MiB + 12). */
export const MAX_PARTITION_BATCH_BYTES = 1_000_000;
const PRODUCE_API_KEY = 0;
/** How long a batch may be retried before it counts as failed (Java's delivery.timeout.ms default). */
export const DELIVERY_TIMEOUT_MS = 120_000;
const RETRY_BACKOFF_MS = 250;
const MAX_RETRY_BACKOFF_MS = 2_000;
/** Partition errors a batch is sent again for (or taken as delivered), beyond those the client marks retriable. */
const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
const DUPLICATE_SEQUENCE_NUMBER = 46;

type ResponseParser = typeof produceV11.parseResponse;
const PRODUCE_PARSERS: Readonly<Record<number, ResponseParser>> = {
  3: produceV3.parseResponse,
  4: produceV4.parseResponse,
  5: produceV5.parseResponse,
  6: produceV6.parseResponse,
  7: produceV7.parseResponse,
  8: produceV8.parseResponse,
  9: produceV9.parseResponse,
  10: produceV10.parseResponse,
  11: produceV11.parseResponse,
};

export interface KafkaSenderOptions {
  /** host:port of one or more brokers. */
  readonly bootstrapBrokers: readonly string[];
  readonly topic: string;
  readonly clientId: string;
  /** Most messages in one produce request. */
  readonly batchSize: number;
  /** Longest an incomplete batch waits for more messages before it is sent, ms. */
  readonly lingerMs: number;
  /** Most produce requests awaiting acknowledgement at once (1..5). */
  readonly maxInFlight: number;
  readonly compression: Compression;
  /** Attempts of the client's own operations (metadata, producer id) before an error is reported. Default 5. Produce requests are retried until DELIVERY_TIMEOUT_MS. */
  readonly retries?: number;
  /** How long a batch is retried before it counts as failed, ms (Java's delivery.timeout.ms). Default DELIVERY_TIMEOUT_MS. */
  readonly deliveryTimeoutMs?: number;
  /** Connection and request timeout, ms. Default 10000. */
  readonly timeoutMs?: number;
  /** PLAINTEXT (default), TLS, or TLS + MSK IAM. */
  readonly security?: SecurityOptions;
}

export interface KafkaSenderStats {
  /** Messages handed to Kafka in produce requests. */
  sent: number;
  /** Messages the broker acknowledged (acks=all). */
  acked: number;
  /** Messages in requests that failed after the retries. */
  errors: number;
  /** Value bytes of the acknowledged messages (the JSON payload; no keys, no protocol overhead). */
  bytes: number;
}

/** Kafka refused or could not be reached; the message says what and where. */
export class KafkaSendError extends Error {
  override readonly name = 'KafkaSendError';
}

interface PartitionState {
  readonly builder: RecordBatchBuilder;
  /** Sequence number of the next batch's first record (wraps at 2^31, as Kafka's does). */
  nextSequence: number;
}

interface PartitionBatch {
  readonly partition: number;
  readonly batch: Buffer;
  readonly messages: number;
  readonly valueBytes: number;
  /** Where the batch's latest attempt went and why it has not been acknowledged yet (for the failure line). */
  lastBroker?: string;
  lastError?: unknown;
  attempts: number;
}

/** One delivery attempt that did not acknowledge some batches: they are sent again (or failed). */
export interface RetryNotice {
  readonly partitions: readonly number[];
  readonly messages: number;
  /** The broker the attempt went to ("node 5 at 127.0.0.1:9093"), or what stood in the way of reaching one. */
  readonly broker: string;
  readonly error: string;
  readonly attempt: number;
  readonly willRetry: boolean;
}

export class KafkaSender {
  readonly stats: KafkaSenderStats = { sent: 0, acked: 0, errors: 0, bytes: 0 };
  readonly #options: KafkaSenderOptions;
  readonly #producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  readonly #timeoutMs: number;
  /** Longest one delivery attempt (metadata, connection, Produce request) may go unanswered before its batches are sent again. */
  readonly #attemptTimeoutMs: number;
  #partitions: PartitionState[] = [];
  #producerId = -1n;
  #producerEpoch = -1;
  #apiVersion = 0;
  #parseResponse: ResponseParser | undefined;
  /** Messages waiting for the next request, over all partitions. */
  #pending = 0;
  /** The next request should go out as soon as a send slot frees (full, lingered or flushed). */
  #requestReady = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #inFlight = 0;
  /** Callers waiting for room: resolved whenever a request completes. */
  #waiters: (() => void)[] = [];
  #failure: KafkaSendError | undefined;
  #closed = false;
  /** Batches sent and not yet acknowledged or failed. */
  readonly #unacknowledged = new Set<PartitionBatch>();
  /** Called when an attempt leaves batches unacknowledged (sent again, or given up on). */
  onRetry: ((notice: RetryNotice) => void) | undefined;
  /** Called when a produce request completes: its latency from send to acknowledgement (or failure), ms. */
  onBatchDone: ((latencyMs: number, messages: number, ok: boolean) => void) | undefined;

  constructor(options: KafkaSenderOptions) {
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1 || options.maxInFlight > MAX_IN_FLIGHT_IDEMPOTENT) {
      throw new RangeError(`maxInFlight: expected an integer between 1 and ${MAX_IN_FLIGHT_IDEMPOTENT} (idempotent producer), got ${options.maxInFlight}`);
    }
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    // The client's own timeouts answer first (connect, request); this is for an answer that never comes.
    this.#attemptTimeoutMs = 2 * this.#timeoutMs + 5_000;
    this.#producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
      clientId: options.clientId,
      bootstrapBrokers: [...options.bootstrapBrokers],
      idempotent: true,
      acks: ProduceAcks.ALL,
      compression: options.compression,
      // The idempotent producer otherwise retries forever; a dead broker must surface as an error.
      retries: options.retries ?? 5,
      retryDelay: 500,
      connectTimeout: this.#timeoutMs,
      timeout: this.#timeoutMs,
      autocreateTopics: false,
      ...connectionSecurity(options.security),
    });
  }

  /** How long a batch is retried before it counts as failed, ms. */
  get deliveryTimeoutMs(): number {
    return this.#options.deliveryTimeoutMs ?? DELIVERY_TIMEOUT_MS;
  }

  /** Produce requests currently awaiting acknowledgement. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The first send failure, if any; once set, `add()` throws it. */
  get failure(): KafkaSendError | undefined {
    return this.#failure;
  }

  /** Partitions of the topic (known after connect()). */
  get partitionCount(): number {
    return this.#partitions.length;
  }

  /**
   * Checks that the brokers answer and the topic exists, registers the idempotent producer and
   * picks the Produce API version, so configuration mistakes fail here with a clear message
   * rather than on the first batch.
   */
  async connect(): Promise<void> {
    const where = `${this.#options.bootstrapBrokers.join(',')}`;
    let partitionCount: number | undefined;
    try {
      const metadata = await this.#producer.metadata({ topics: [this.#options.topic] });
      partitionCount = metadata.topics.get(this.#options.topic)?.partitionsCount;
    } catch (error) {
      throw new KafkaSendError(
        `cannot read metadata of topic "${this.#options.topic}" from Kafka at ${where}: ${describeKafkaError(error)}. ` +
          'Check --bootstrap, that the broker is up, and that the topic exists (it is not auto-created).',
        { cause: error },
      );
    }
    if (!partitionCount) {
      throw new KafkaSendError(`topic "${this.#options.topic}" does not exist on Kafka at ${where}; create it first`);
    }
    try {
      const info = await this.#producer.initIdempotentProducer({});
      this.#producerId = info.producerId;
      this.#producerEpoch = info.producerEpoch;
    } catch (error) {
      throw new KafkaSendError(`cannot register an idempotent producer with Kafka at ${where}: ${describeKafkaError(error)}`, {
        cause: error,
      });
    }
    const api = await new Promise<{ version: number }>((resolve, reject) =>
      this.#producer[kGetApi]('Produce', (error, found) => (error || !found ? reject(error ?? new Error('no Produce API')) : resolve(found))),
    ).catch((error: unknown) => {
      throw new KafkaSendError(`Kafka at ${where} offers no Produce API version this client speaks: ${describeKafkaError(error)}`, { cause: error });
    });
    this.#apiVersion = api.version;
    this.#parseResponse = PRODUCE_PARSERS[api.version];
    if (!this.#parseResponse) throw new KafkaSendError(`Kafka at ${where} chose Produce v${api.version}; expected v3-v11`);
    // A batch of ~1 MB grows its buffer a few times at first, then keeps it.
    this.#partitions = Array.from({ length: partitionCount }, () => ({ builder: new RecordBatchBuilder(), nextSequence: 0 }));
  }

  /**
   * Queues one message: `value`'s bytes go into the partition's batch (a ValueWriter, such as the
   * event writer, writes them there itself). `partitionHash` (murmur2(key) & 0x7fffffff, see
   * encode.ts) saves hashing the key; the partition is hash % partitions, as the Java
   * client's default partitioner.
   * Returns undefined when the caller may go on, or a promise to await when the in-flight cap is
   * reached (backpressure).
   * @throws KafkaSendError once any earlier send has failed.
   */
  add(key: Buffer, value: Buffer | ValueWriter, partitionHash?: number): Promise<void> | undefined {
    const builder = this.#builderFor(key, partitionHash);
    builder.append(key, value);
    return this.#added(builder);
  }

  #builderFor(key: Buffer, partitionHash: number | undefined): RecordBatchBuilder {
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new KafkaSendError('KafkaSender.add() after close()');
    const partitions = this.#partitions;
    if (partitions.length === 0) throw new KafkaSendError('KafkaSender.add() before connect()');
    const hash = partitionHash ?? murmur2(key) & 0x7fffffff;
    return (partitions[hash % partitions.length] as PartitionState).builder;
  }

  #added(builder: RecordBatchBuilder): Promise<void> | undefined {
    this.#pending++;
    if (this.#pending >= this.#options.batchSize || builder.bytes >= MAX_PARTITION_BATCH_BYTES) {
      this.#requestReady = true;
      this.#dispatchIfPossible();
      if (this.#pending > 0) return this.#waitForRoom();
    } else if (this.#pending === 1) {
      this.#lingerTimer = setTimeout(this.#onLinger, this.#options.lingerMs);
    }
    return undefined;
  }

  /** Sends what is batched and waits until every request has been acknowledged or has failed. */
  async flush(): Promise<void> {
    if (this.#pending > 0) {
      this.#requestReady = true;
      this.#dispatchIfPossible();
    }
    while (this.#inFlight > 0 || (this.#pending > 0 && !this.#failure)) await this.#waitForRoom();
  }

  /** Flushes, then closes the Kafka client. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      clearTimeout(this.#lingerTimer);
      await this.#producer.close();
    }
  }

  readonly #onLinger = (): void => {
    this.#lingerTimer = undefined;
    this.#requestReady = true;
    this.#dispatchIfPossible();
  };

  #waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #dispatchIfPossible(): void {
    if (!this.#requestReady || this.#pending === 0 || this.#inFlight >= this.#options.maxInFlight) return;
    if (this.#failure) {
      // Nothing more goes out after a failure; what is batched is dropped (counted as not sent).
      this.#pending = 0;
      return;
    }
    clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    const timestampMs = Date.now();
    const batches: PartitionBatch[] = [];
    for (let partition = 0; partition < this.#partitions.length; partition++) {
      const state = this.#partitions[partition] as PartitionState;
      const messages = state.builder.count;
      if (messages === 0) continue;
      const valueBytes = state.builder.valueBytes;
      const batch = state.builder.finish({
        producerId: this.#producerId,
        producerEpoch: this.#producerEpoch,
        baseSequence: state.nextSequence,
        timestampMs,
        compression: this.#options.compression,
      });
      state.nextSequence = (state.nextSequence + messages) % 0x80000000;
      batches.push({ partition, batch, messages, valueBytes, attempts: 0 });
    }
    this.#pending = 0;
    this.#requestReady = false;
    this.#inFlight++;
    this.#sendToLeaders(batches);
  }

  /** The dispatch's batches go to their partition leaders; it counts as one in-flight request until every batch is answered. */
  #sendToLeaders(batches: PartitionBatch[]): void {
    this.stats.sent += batches.reduce((n, b) => n + b.messages, 0);
    const sentAtMs = performance.now();
    this.#deliver(batches, (acked, failed, error) => {
      const okMessages = acked.reduce((n, b) => n + b.messages, 0);
      const failedMessages = failed.reduce((n, b) => n + b.messages, 0);
      this.stats.acked += okMessages;
      this.stats.bytes += acked.reduce((n, b) => n + b.valueBytes, 0);
      this.stats.errors += failedMessages;
      if (failedMessages > 0) {
        this.#failure ??= new KafkaSendError(
          `Kafka did not acknowledge topic "${this.#options.topic}" at ${this.#options.bootstrapBrokers.join(',')} within ${this.deliveryTimeoutMs / 1000} s: ${describeBatches(failed, error)}`,
          { cause: error },
        );
      }
      // Answered (acknowledged, or failed for good): the batch bytes are not read again.
      for (const b of [...acked, ...failed]) this.#partitions[b.partition]?.builder.recycle(b.batch);
      if (okMessages > 0) this.onBatchDone?.(performance.now() - sentAtMs, okMessages, true);
      if (failedMessages > 0) this.onBatchDone?.(performance.now() - sentAtMs, failedMessages, false);
      this.#onRequestDone();
    });
  }

  /**
   * Delivers batches: one Produce request per current partition leader; a batch whose partition
   * answers with a retriable error (leader moved, not enough replicas, a batch ahead of one being
   * retried) or whose request failed on the network is sent again, the same bytes and sequence
   * numbers, to the partition's leader as the refreshed metadata says, until DELIVERY_TIMEOUT_MS.
   * The broker de-duplicates a batch it already has. Other errors fail the batch at once.
   */
  #deliver(batches: readonly PartitionBatch[], done: (acked: PartitionBatch[], failed: PartitionBatch[], error: unknown) => void): void {
    const deadlineMs = performance.now() + this.deliveryTimeoutMs;
    const acked: PartitionBatch[] = [];
    const failed: PartitionBatch[] = [];
    let lastError: unknown;
    let delayMs = RETRY_BACKOFF_MS;
    for (const b of batches) this.#unacknowledged.add(b);
    const finish = (): void => {
      for (const b of batches) this.#unacknowledged.delete(b);
      done(acked, failed, lastError);
    };
    const settle = (retry: PartitionBatch[], error: unknown): void => {
      if (error) lastError = error;
      if (retry.length === 0) return finish();
      const giveUp = this.#closed || this.#failure !== undefined || performance.now() + delayMs > deadlineMs;
      this.#notifyRetry(retry, !giveUp);
      if (giveUp) {
        failed.push(...retry);
        lastError ??= new KafkaSendError(`not acknowledged within ${this.deliveryTimeoutMs / 1000} s`);
        return finish();
      }
      setTimeout(() => attempt(retry, true), delayMs);
      delayMs = Math.min(2 * delayMs, MAX_RETRY_BACKOFF_MS);
    };
    const attempt = (pending: readonly PartitionBatch[], refreshMetadata: boolean): void => {
      // Each batch of this attempt gets one outcome, the first; the attempt ends when every batch
      // has one, or at its deadline (Java's request.timeout.ms), when the unanswered are sent again
      // and any later answer to this attempt is ignored.
      const unanswered = new Set(pending);
      const retry: PartitionBatch[] = [];
      let roundError: unknown;
      let ended = false;
      const end = (): void => {
        ended = true;
        clearTimeout(deadline);
        settle(retry, roundError);
      };
      const record = (group: readonly PartitionBatch[], outcome: (b: PartitionBatch) => Outcome, error?: unknown, broker?: string): void => {
        if (ended) return;
        if (error) roundError = error;
        for (const b of group) {
          if (!unanswered.delete(b)) continue; // answered twice: the first answer stands
          const o = outcome(b);
          if (broker !== undefined) b.lastBroker = broker;
          if (o === 'ok') acked.push(b);
          else {
            b.lastError = error ?? b.lastError;
            if (o === 'retry') retry.push(b);
            else failed.push(b);
          }
        }
        if (unanswered.size === 0) end();
      };
      for (const b of pending) b.attempts++;
      const deadline = setTimeout(
        () => record([...unanswered], () => 'retry', new KafkaSendError(`no answer from Kafka within ${this.#attemptTimeoutMs / 1000} s`)),
        this.#attemptTimeoutMs,
      );
      this.#producer[kMetadata]({ topics: [this.#options.topic], forceUpdate: refreshMetadata }, (error, metadata) => {
        // No broker was reached: each batch keeps the broker of its last attempt, and the error says metadata failed.
        if (error || !metadata) return record(pending, () => 'retry', error ?? new KafkaSendError('no metadata'));
        const partitions = metadata.topics.get(this.#options.topic)?.partitions ?? [];
        const byLeader = new Map<number, PartitionBatch[]>();
        for (const b of pending) {
          const leader = partitions[b.partition]?.leader ?? -1;
          const group = byLeader.get(leader);
          if (group) group.push(b);
          else byLeader.set(leader, [b]);
        }
        for (const [leader, group] of byLeader) {
          const broker = metadata.brokers.get(leader);
          if (!broker) {
            const error = new KafkaSendError(`no leader known for partitions ${group.map((b) => b.partition).join(',')} of "${this.#options.topic}"`);
            record(group, () => 'retry', error, `leader ${leader} (not in metadata)`);
            continue;
          }
          const where = `node ${leader} at ${broker.host}:${broker.port}`;
          this.#producer[kGetConnection](broker, (connectError, connection) => {
            if (connectError || !connection) {
              const error = connectError ?? new KafkaSendError('no connection');
              return record(group, () => (isRetriable(error) ? 'retry' : 'fail'), error, where);
            }
            const request = this.#produceRequest(group);
            connection.send(PRODUCE_API_KEY, this.#apiVersion, request, this.#parseResponse as ResponseParser, this.#apiVersion >= 9, this.#apiVersion >= 9, (sendError, response) => {
              const outcomes = partitionOutcomes(sendError, response);
              record(
                group,
                (b) => (outcomes === undefined ? (isRetriable(sendError) ? 'retry' : 'fail') : (outcomes.get(b.partition)?.outcome ?? 'retry')),
                sendError ?? firstPartitionError(outcomes),
                where,
              );
              // The answer's per-partition error codes name what the broker said of each batch.
              if (outcomes) for (const b of group) b.lastError = outcomes.get(b.partition)?.error ?? b.lastError;
            });
          });
        }
      });
    };
    attempt(batches, false);
  }

  /** Tells onRetry (the producer's log) which batches one attempt left unacknowledged, where, and why. */
  #notifyRetry(batches: readonly PartitionBatch[], willRetry: boolean): void {
    if (!this.onRetry) return;
    const byBroker = new Map<string, PartitionBatch[]>();
    for (const b of batches) {
      const key = `${b.lastBroker ?? 'no broker'}\u0000${describeKafkaError(b.lastError)}`;
      const group = byBroker.get(key);
      if (group) group.push(b);
      else byBroker.set(key, [b]);
    }
    for (const [key, group] of byBroker) {
      const [broker, error] = key.split('\u0000') as [string, string];
      this.onRetry({
        partitions: [...new Set(group.map((b) => b.partition))].sort((x, y) => x - y),
        messages: group.reduce((n, b) => n + b.messages, 0),
        broker,
        error,
        attempt: Math.max(...group.map((b) => b.attempts)),
        willRetry,
      });
    }
  }

  /**
   * What is not acknowledged yet, per partition: messages, the broker of the latest attempt, and
   * its error. Empty when everything sent was acknowledged or failed.
   */
  describeUnacknowledged(): string {
    return describeBatches(this.#unacknowledged);
  }

  /** Messages sent and neither acknowledged nor failed yet. */
  get unacknowledgedMessages(): number {
    let n = 0;
    for (const b of this.#unacknowledged) n += b.messages;
    return n;
  }

  /** A Produce request (v3-v11) carrying `batches` as they are; a fresh Writer per attempt (the connection consumes it). */
  #produceRequest(batches: readonly PartitionBatch[]): () => Writer {
    const flexible = this.#apiVersion >= 9;
    const topic = Buffer.from(this.#options.topic, 'utf8');
    const timeoutMs = this.#timeoutMs;
    return () => {
      const w = Writer.create();
      if (flexible) w.appendUnsignedVarInt(0); // transactional_id: null (compact)
      else w.appendInt16(-1);
      w.appendInt16(ProduceAcks.ALL).appendInt32(timeoutMs);
      if (flexible) w.appendUnsignedVarInt(2).appendUnsignedVarInt(topic.length + 1).append(topic).appendUnsignedVarInt(batches.length + 1);
      else w.appendInt32(1).appendInt16(topic.length).append(topic).appendInt32(batches.length);
      for (const b of batches) {
        w.appendInt32(b.partition);
        if (flexible) w.appendUnsignedVarInt(b.batch.length + 1).append(b.batch).appendUnsignedVarInt(0);
        else w.appendInt32(b.batch.length).append(b.batch);
      }
      if (flexible) w.appendUnsignedVarInt(0).appendUnsignedVarInt(0); // topic's and request's tagged fields
      return w;
    };
  }

  #onRequestDone(): void {
    this.#inFlight--;
    this.#dispatchIfPossible();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

type Outcome = 'ok' | 'retry' | 'fail';

/**
 * Batches per partition, for an error line: "partition P (n messages, last sent to <broker>,
 * attempt k): <error>; ...". `fallbackError` stands in for a batch that has no error of its own.
 */
function describeBatches(batches: Iterable<PartitionBatch>, fallbackError?: unknown): string {
  const byPartition = new Map<number, { messages: number; broker?: string; error?: unknown; attempts: number }>();
  for (const b of batches) {
    const entry = byPartition.get(b.partition) ?? { messages: 0, attempts: 0 };
    entry.messages += b.messages;
    entry.broker = b.lastBroker ?? entry.broker;
    entry.error = b.lastError ?? entry.error;
    entry.attempts = Math.max(entry.attempts, b.attempts);
    byPartition.set(b.partition, entry);
  }
  return [...byPartition.entries()]
    .sort(([a], [b]) => a - b)
    .map(([p, e]) => {
      const error = e.error ?? fallbackError;
      const why = error === undefined ? 'no answer yet' : describeKafkaError(error);
      return `partition ${p} (${e.messages} messages, last sent to ${e.broker ?? 'no broker'}, attempt ${e.attempts}): ${why}`;
    })
    .join('; ');
}

/**
 * What each partition of a Produce request came to, from the parsed response (also the one a
 * ResponseError carries); undefined when there is no response (a network or timeout error).
 */
function partitionOutcomes(error: unknown, response: unknown): Map<number, { outcome: Outcome; error?: KafkaSendError }> | undefined {
  const parsed = (response ?? (error as { response?: unknown } | null)?.response) as
    | { responses?: { partitionResponses?: { index: number; errorCode: number }[] }[] }
    | undefined;
  if (!parsed?.responses) return undefined;
  const outcomes = new Map<number, { outcome: Outcome; error?: KafkaSendError }>();
  for (const topic of parsed.responses) {
    for (const { index, errorCode } of topic.partitionResponses ?? []) {
      const outcome = partitionOutcome(errorCode);
      const name = (protocolErrorsCodesById as Record<number, string>)[errorCode] ?? `error code ${errorCode}`;
      outcomes.set(index, outcome === 'ok' ? { outcome } : { outcome, error: new KafkaSendError(`broker answered ${name} (${errorCode}) for partition ${index}`) });
    }
  }
  return outcomes;
}

function firstPartitionError(outcomes: Map<number, { error?: KafkaSendError }> | undefined): KafkaSendError | undefined {
  for (const o of outcomes?.values() ?? []) if (o.error) return o.error;
  return undefined;
}


function partitionOutcome(errorCode: number): Outcome {
  // A duplicate is a batch the broker already has: a retry whose first answer was lost.
  if (errorCode === 0 || errorCode === DUPLICATE_SEQUENCE_NUMBER) return 'ok';
  // A gap before this batch: an earlier batch of the partition is being retried; send this again after it.
  if (errorCode === OUT_OF_ORDER_SEQUENCE_NUMBER) return 'retry';
  const id = (protocolErrorsCodesById as Record<number, string>)[errorCode];
  const known = id === undefined ? undefined : (protocolErrors as Record<string, { canRetry: boolean }>)[id];
  return known?.canRetry ? 'retry' : 'fail';
}

/** Network trouble and timeouts are retried (until the delivery timeout); errors the client calls final are not. */
function isRetriable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if ((error as { code?: string }).code === 'PLT_KFK_TIMEOUT' || findErrorBy(error, 'code', 'PLT_KFK_TIMEOUT')) return true;
  return !findErrorBy(error, 'canRetry', false);
}

/** One line out of the client's nested errors: codes, broker error names and messages. */
export function describeKafkaError(error: unknown, depth = 0): string {
  if (!(error instanceof Error) || depth > 4) return String(error);
  const details = error as Error & { code?: string; apiId?: string; errors?: unknown[] };
  const message = error.message.replace(/\.+$/, '');
  const parts = [details.apiId ? `${details.apiId}: ${message}` : message];
  if (details.code && !details.apiId) parts[0] = `${details.code}: ${parts[0]}`;
  const nested = Array.isArray(details.errors) ? details.errors : error.cause ? [error.cause] : [];
  const inner = [...new Set(nested.slice(0, 3).map((e) => describeKafkaError(e, depth + 1)))];
  return inner.length > 0 ? `${parts[0]} (${inner.join('; ')})` : (parts[0] as string);
}
