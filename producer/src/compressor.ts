/**
 * Batch compression on a thread of its own, so that the event loop goes on generating and sending
 * while a dispatch's batches are compressed: Kafka's Java producer compresses on its sender thread
 * and librdkafka on its broker threads, never on the thread that produces the records.
 *
 * One worker thread per sender, fed first in, first out: answers come back in the order the batches
 * went in, so a partition's batches still go out in sequence order (kafka-sender.ts). The thread
 * runs this same module (or the bundle it is part of), and does nothing but compress.
 */

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { codecFor, type Compression } from './compression.ts';

export const COMPRESSOR_ROLE = 'flight-producer-compressor';

export interface CompressorWorkerData {
  readonly role: typeof COMPRESSOR_ROLE;
  readonly compression: Exclude<Compression, 'none'>;
  /** Bytes left free in front of each answer (a record batch's header goes there). */
  readonly roomBefore: number;
}

/** Compresses the records of a batch (not its header) as the codec of its compression does. */
export interface BatchCompressor {
  /**
   * The records, compressed, after `roomBefore` free bytes. `records` is copied before this
   * returns, so the caller may overwrite them at once.
   */
  compress(records: Uint8Array): Promise<Buffer>;
  /** Stops the thread; batches still waiting fail. Safe to call twice. */
  close(): Promise<void>;
}

/** Records go to the thread in buffers it hands back with its answer, so they are reused, not allocated per batch. */
const SPARE_INPUT_BUFFERS = 8;
const MIN_INPUT_BUFFER_BYTES = 1 << 20;

interface Answer {
  readonly compressed?: ArrayBuffer;
  readonly input?: ArrayBuffer;
  readonly error?: string;
}

export function isCompressorWorker(data: unknown): data is CompressorWorkerData {
  return typeof data === 'object' && data !== null && (data as { role?: unknown }).role === COMPRESSOR_ROLE;
}

/**
 * Starts a compressor thread. It runs this module: its source file, or the esbuild bundle that
 * holds it (import.meta.url is the bundle's then, and main.ts leaves a compressor thread alone).
 */
export function startCompressorThread(compression: Exclude<Compression, 'none'>, roomBefore = 0): BatchCompressor {
  const data: CompressorWorkerData = { role: COMPRESSOR_ROLE, compression, roomBefore };
  const worker = new Worker(new URL(import.meta.url), { workerData: data });
  const waiting: { resolve: (compressed: Buffer) => void; reject: (error: Error) => void }[] = [];
  const spare: ArrayBuffer[] = [];
  let failure: Error | undefined;
  const failAll = (error: Error): void => {
    failure ??= error;
    for (const w of waiting.splice(0)) w.reject(failure);
  };
  worker.on('message', (answer: Answer) => {
    if (answer.input && spare.length < SPARE_INPUT_BUFFERS) spare.push(answer.input);
    const next = waiting.shift();
    if (!next) return;
    if (answer.compressed) next.resolve(Buffer.from(answer.compressed));
    else next.reject(new Error(`${compression} compression failed: ${answer.error ?? 'no answer'}`));
  });
  worker.on('error', (error) => failAll(new Error(`the ${compression} compressor thread failed: ${error.message}`, { cause: error })));
  worker.on('exit', (code) => failAll(new Error(`the ${compression} compressor thread exited (code ${code})`)));
  // The thread must not keep the process alive by itself; close() ends it.
  worker.unref();
  return {
    compress(records: Uint8Array): Promise<Buffer> {
      if (failure) return Promise.reject(failure);
      let input = spare.pop();
      while (input !== undefined && input.byteLength < records.length) input = spare.pop();
      input ??= new ArrayBuffer(Math.max(records.length, MIN_INPUT_BUFFER_BYTES));
      new Uint8Array(input, 0, records.length).set(records);
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        worker.postMessage({ input, length: records.length }, [input]);
      });
    },
    async close(): Promise<void> {
      failAll(new Error(`the ${compression} compressor thread was closed`));
      await worker.terminate();
    },
  };
}

/** The compressor thread's side: compress each batch as it comes, answer in the same order, and hand the input buffer back. */
function serveCompressions(data: CompressorWorkerData): void {
  const port = parentPort;
  if (!port) return;
  const codec = codecFor(data.compression);
  port.on('message', ({ input, length }: { input: ArrayBuffer; length: number }) => {
    try {
      const compressed = codec.compress(Buffer.from(input, 0, length));
      const out = new ArrayBuffer(data.roomBefore + compressed.length);
      new Uint8Array(out, data.roomBefore).set(compressed);
      port.postMessage({ compressed: out, input } satisfies Answer, [out, input]);
    } catch (error) {
      port.postMessage({ error: error instanceof Error ? error.message : String(error), input } satisfies Answer, [input]);
    }
  });
}

if (!isMainThread && isCompressorWorker(workerData)) serveCompressions(workerData);
