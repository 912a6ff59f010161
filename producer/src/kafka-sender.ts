/**
 * Sends keyed messages to one Kafka topic with acks=all and an idempotent producer, batching and
 * bounding the work in flight itself.
 *
 * @platformatic/kafka has no linger and no backpressure of its own (a batch is whatever one
 * send() carries, and sends queue without bound), so this class accumulates batches up to
 * `batchSize` messages or `lingerMs`, and keeps at most `maxInFlight` sends unacknowledged.
 * When that cap is reached and the current batch is full, `add()` hands back a promise: the
 * caller awaits it, and memory stays flat at about (maxInFlight + 1) x batchSize messages.
 */

import {
  compatibilityPartitioner,
  type MessageToProduce,
  ProduceAcks,
  Producer,
} from '@platformatic/kafka';
import { type Compression } from './config.ts';
import { connectionSecurity, type SecurityOptions } from './security.ts';

export interface KafkaSenderOptions {
  /** host:port of one or more brokers. */
  readonly bootstrapBrokers: readonly string[];
  readonly topic: string;
  readonly clientId: string;
  /** Most messages in one produce request. */
  readonly batchSize: number;
  /** Longest an incomplete batch waits for more messages before it is sent, ms. */
  readonly lingerMs: number;
  /** Most produce requests awaiting acknowledgement at once. */
  readonly maxInFlight: number;
  readonly compression: Compression;
  /** Attempts per request before an error is reported. Default 5. */
  readonly retries?: number;
  /** Connection and request timeout, ms. Default 10000. */
  readonly timeoutMs?: number;
  /** PLAINTEXT (default), TLS, or TLS + MSK IAM. */
  readonly security?: SecurityOptions;
}

export interface KafkaSenderStats {
  /** Messages handed to the Kafka client. */
  sent: number;
  /** Messages the broker acknowledged (acks=all). */
  acked: number;
  /** Messages in requests that failed after the client's retries. */
  errors: number;
  /** Value bytes of the acknowledged messages (the JSON payload; no keys, no protocol overhead). */
  bytes: number;
}

/** Kafka refused or could not be reached; the message says what and where. */
export class KafkaSendError extends Error {
  override readonly name = 'KafkaSendError';
}

type Message = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

export class KafkaSender {
  readonly stats: KafkaSenderStats = { sent: 0, acked: 0, errors: 0, bytes: 0 };
  readonly #options: KafkaSenderOptions;
  readonly #producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  #batch: Message[] = [];
  #batchBytes = 0;
  /** The current batch should go out as soon as a send slot frees (full, lingered or flushed). */
  #batchReady = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #inFlight = 0;
  /** Callers waiting for room: resolved whenever a send completes. */
  #waiters: (() => void)[] = [];
  #failure: KafkaSendError | undefined;
  #closed = false;
  /** Called when a produce request completes: its latency from send to acknowledgement (or failure), ms. */
  onBatchDone: ((latencyMs: number, messages: number, ok: boolean) => void) | undefined;

  constructor(options: KafkaSenderOptions) {
    this.#options = options;
    const timeoutMs = options.timeoutMs ?? 10_000;
    this.#producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
      clientId: options.clientId,
      bootstrapBrokers: [...options.bootstrapBrokers],
      idempotent: true,
      acks: ProduceAcks.ALL,
      compression: options.compression,
      // Same partition for a key as the Java client (murmur2 & 0x7fffffff), so every tool agrees.
      partitioner: compatibilityPartitioner,
      // The idempotent producer otherwise retries forever; a dead broker must surface as an error.
      retries: options.retries ?? 5,
      retryDelay: 500,
      connectTimeout: timeoutMs,
      timeout: timeoutMs,
      autocreateTopics: false,
      ...connectionSecurity(options.security),
    });
  }

  /** Produce requests currently awaiting acknowledgement. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The first send failure, if any; once set, `add()` throws it. */
  get failure(): KafkaSendError | undefined {
    return this.#failure;
  }

  /**
   * Checks that the brokers answer and the topic exists, and registers the idempotent producer,
   * so configuration mistakes fail here with a clear message rather than on the first batch.
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
      await this.#producer.initIdempotentProducer({});
    } catch (error) {
      throw new KafkaSendError(`cannot register an idempotent producer with Kafka at ${where}: ${describeKafkaError(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * Queues one message, optionally with its partition hash precomputed. Returns undefined when the caller may go on, or a promise to await when
   * the in-flight cap is reached (backpressure).
   * @throws KafkaSendError once any earlier send has failed.
   */
  add(key: Buffer, value: Buffer, partitionHash?: number): Promise<void> | undefined {
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new KafkaSendError('KafkaSender.add() after close()');
    // A given partition (any non-negative integer; the client takes it modulo the partition count)
    // skips the client's partitioner; see flight-keys.ts.
    this.#batch.push(
      partitionHash === undefined ? { topic: this.#options.topic, key, value } : { topic: this.#options.topic, key, value, partition: partitionHash },
    );
    this.#batchBytes += value.length;
    if (this.#batch.length >= this.#options.batchSize) {
      this.#batchReady = true;
      this.#dispatchIfPossible();
      if (this.#batch.length > 0) return this.#waitForRoom();
    } else if (this.#batch.length === 1) {
      this.#lingerTimer = setTimeout(this.#onLinger, this.#options.lingerMs);
    }
    return undefined;
  }

  /** Sends what is batched and waits until every send has been acknowledged or has failed. */
  async flush(): Promise<void> {
    if (this.#batch.length > 0) {
      this.#batchReady = true;
      this.#dispatchIfPossible();
    }
    while (this.#inFlight > 0 || this.#batch.length > 0) await this.#waitForRoom();
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
    this.#batchReady = true;
    this.#dispatchIfPossible();
  };

  #waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #dispatchIfPossible(): void {
    if (!this.#batchReady || this.#batch.length === 0 || this.#inFlight >= this.#options.maxInFlight) return;
    clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    const messages = this.#batch;
    const bytes = this.#batchBytes;
    this.#batch = [];
    this.#batchBytes = 0;
    this.#batchReady = false;
    this.#inFlight++;
    this.stats.sent += messages.length;
    const sentAtMs = performance.now();
    this.#producer.send({ messages }).then(
      () => {
        this.stats.acked += messages.length;
        this.stats.bytes += bytes;
        this.onBatchDone?.(performance.now() - sentAtMs, messages.length, true);
        this.#onSendDone();
      },
      (error: unknown) => {
        this.stats.errors += messages.length;
        this.onBatchDone?.(performance.now() - sentAtMs, messages.length, false);
        this.#failure ??= new KafkaSendError(
          `Kafka did not acknowledge a batch of ${messages.length} messages to topic "${this.#options.topic}" ` +
            `at ${this.#options.bootstrapBrokers.join(',')}: ${describeKafkaError(error)}`,
          { cause: error },
        );
        this.#onSendDone();
      },
    );
  }

  #onSendDone(): void {
    this.#inFlight--;
    this.#dispatchIfPossible();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
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
