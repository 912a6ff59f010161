/**
 * Kafka record batches (magic v2) written straight into one growing Buffer per partition.
 *
 * Why not the client's encoder: @platformatic/kafka builds every record with its own Writer and
 * DynamicBuffer, BigInt timestamps and two header Maps, then concatenates the batch twice (for the
 * CRC and for the socket). Profiled at about two thirds of a produce run's CPU (docs/producer.md).
 * Here a record costs a few varint bytes, and the event writer (encode.ts) writes the event's JSON
 * bytes straight into the batch; the CRC32C is computed once over the finished batch, and nothing
 * per record is allocated.
 *
 * Layout (https://kafka.apache.org/documentation/#recordbatch), all integers big-endian:
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 (2) | crc uint32 |
 *   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64 |
 *   producerId int64 | producerEpoch int16 | baseSequence int32 | records count int32 | records
 * record: length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *         keyLength varint | key | valueLength varint | value | headers count varint (0)
 * (varints are zig-zag encoded). The CRC32C covers attributes to the end.
 */

import { createRequire } from 'node:module';
import { crc32c as clientCrc32c } from '@platformatic/kafka';
import { codecFor, type Compression } from './compression.ts';

/** Bytes before the first record. */
export const RECORD_BATCH_HEADER_BYTES = 61;
const CRC_OFFSET = 17;
const ATTRIBUTES_OFFSET = 21;

/**
 * CRC32C of a Buffer. The native @node-rs/crc32 (an optional dependency of the client) is called on
 * the Buffer itself; the client's own wrapper copies it into a new Uint8Array first. Without the
 * native module, the client's wasm/JS implementation.
 */
export const crc32c: (data: Buffer) => number = loadCrc32c();

function loadCrc32c(): (data: Buffer) => number {
  try {
    const native = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: (input: Uint8Array) => number };
    return (data) => native.crc32c(data) >>> 0;
  } catch {
    return (data) => clientCrc32c(data) >>> 0;
  }
}

/** Bytes of the zig-zag varint of a non-negative int32 `n`. */
function varintBytes(n: number): number {
  const z = n * 2; // zig-zag of n >= 0
  return z < 0x80 ? 1 : z < 0x4000 ? 2 : z < 0x200000 ? 3 : z < 0x10000000 ? 4 : 5;
}

/** Writes the zig-zag varint of a non-negative int32 `n` at `pos`; returns the position after it. */
function writeVarint(buf: Buffer, pos: number, n: number): number {
  let z = n * 2;
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

/**
 * A record value that writes its own bytes into the batch, so no string or Buffer is made for it
 * (encode.ts's FlightEventWriter is one).
 */
export interface ValueWriter {
  /** At least as many bytes as writeTo() will write. */
  readonly maxBytes: number;
  /** Writes the value at `pos` of `buf`, which has room for maxBytes; returns the position after it. */
  writeTo(buf: Buffer, pos: number): number;
}

/** The records of one partition's next batch, appended in place; `finish()` turns them into a batch. */
export class RecordBatchBuilder {
  #buf: Buffer;
  #pos = RECORD_BATCH_HEADER_BYTES;
  #count = 0;
  /** Value bytes appended. */
  #valueBytes = 0;

  readonly #spare: Buffer[] = [];

  constructor(initialBytes = 64 * 1024) {
    this.#buf = Buffer.allocUnsafe(Math.max(initialBytes, RECORD_BATCH_HEADER_BYTES + 64));
  }

  /**
   * Hands back the buffer of a batch this builder finished, once nothing reads it any more (its
   * request was answered), to be written again: a new 1 MB buffer per batch made the external
   * memory grow fast enough to trigger full garbage collections.
   */
  recycle(batch: Buffer): void {
    if (this.#spare.length < 8 && batch.byteOffset === 0 && batch.buffer.byteLength >= this.#buf.length) {
      this.#spare.push(Buffer.from(batch.buffer, 0, batch.buffer.byteLength));
    }
  }

  /** Records appended since the last finish(). */
  get count(): number {
    return this.#count;
  }

  /** Bytes of the batch as it stands, uncompressed, header included. */
  get bytes(): number {
    return this.#pos;
  }

  /** Bytes of the values appended since the last finish(). */
  get valueBytes(): number {
    return this.#valueBytes;
  }

  /**
   * Appends one record: `key` and `value` as they are, or the bytes a ValueWriter writes straight
   * into the batch. Returns the value's byte length.
   */
  append(key: Buffer, value: Buffer | ValueWriter): number {
    if (value instanceof Uint8Array) return this.#appendBytes(key, value);
    const keyLength = key.length;
    const offsetDelta = this.#count;
    // Bytes between the record's length and the value's length: attributes, timestampDelta
    // (every record carries the batch's timestamp), offsetDelta, the key and its length.
    const keyPart = 2 + varintBytes(offsetDelta) + varintBytes(keyLength) + keyLength;
    // The value's length is known once it is written, and it decides the size of the two varints
    // before it; they are sized for maxBytes, and the value moves back in the rare case it was
    // short enough to need a shorter varint (an event is ~600 bytes: 2-byte varints either way).
    const maxValue = value.maxBytes;
    const guessedLengths = varintBytes(keyPart + varintBytes(maxValue) + maxValue + 1) + varintBytes(maxValue);
    const room = guessedLengths + keyPart + maxValue + 1;
    if (this.#pos + room > this.#buf.length) this.#grow(this.#pos + room);
    const buf = this.#buf;
    const guessedStart = this.#pos + guessedLengths + keyPart;
    const guessedEnd = value.writeTo(buf, guessedStart);
    const valueLength = guessedEnd - guessedStart;
    const bodyLength = keyPart + varintBytes(valueLength) + valueLength + 1;
    const valueStart = this.#pos + varintBytes(bodyLength) + keyPart + varintBytes(valueLength);
    if (valueStart !== guessedStart) buf.copyWithin(valueStart, guessedStart, guessedEnd);
    let pos = writeVarint(buf, this.#pos, bodyLength);
    pos = this.#writeKey(pos, key, offsetDelta);
    pos = writeVarint(buf, pos, valueLength) + valueLength;
    buf[pos++] = 0; // no headers
    this.#appended(pos, valueLength);
    return valueLength;
  }

  #appendBytes(key: Buffer, value: Uint8Array): number {
    const keyLength = key.length;
    const valueLength = value.length;
    const offsetDelta = this.#count;
    const bodyLength = 2 + varintBytes(offsetDelta) + varintBytes(keyLength) + keyLength + varintBytes(valueLength) + valueLength + 1;
    const room = 5 + bodyLength;
    if (this.#pos + room > this.#buf.length) this.#grow(this.#pos + room);
    const buf = this.#buf;
    let pos = writeVarint(buf, this.#pos, bodyLength);
    pos = this.#writeKey(pos, key, offsetDelta);
    pos = writeVarint(buf, pos, valueLength);
    buf.set(value, pos);
    pos += valueLength;
    buf[pos++] = 0; // no headers
    this.#appended(pos, valueLength);
    return valueLength;
  }

  /** attributes, timestampDelta, offsetDelta, key length and key, from `pos`; returns the position after them. */
  #writeKey(pos: number, key: Buffer, offsetDelta: number): number {
    const buf = this.#buf;
    buf[pos++] = 0; // attributes
    buf[pos++] = 0; // timestampDelta: every record of a batch carries the batch's timestamp
    pos = writeVarint(buf, pos, offsetDelta);
    pos = writeVarint(buf, pos, key.length);
    buf.set(key, pos);
    return pos + key.length;
  }

  #appended(end: number, valueLength: number): void {
    this.#pos = end;
    this.#count++;
    this.#valueBytes += valueLength;
  }

  /**
   * The finished batch (a Buffer the builder no longer touches), then starts the next one empty.
   * `timestampMs` becomes every record's CreateTime.
   */
  finish(options: {
    readonly producerId: bigint;
    readonly producerEpoch: number;
    readonly baseSequence: number;
    readonly timestampMs: number;
    readonly compression: Compression;
  }): Buffer {
    if (this.#count === 0) throw new Error('RecordBatchBuilder.finish() on an empty batch');
    let batch = this.#buf.subarray(0, this.#pos);
    let attributes = 0;
    if (options.compression !== 'none') {
      const codec = codecFor(options.compression);
      const compressed = codec.compress(batch.subarray(RECORD_BATCH_HEADER_BYTES));
      const out = Buffer.allocUnsafe(RECORD_BATCH_HEADER_BYTES + compressed.length);
      out.set(compressed, RECORD_BATCH_HEADER_BYTES);
      batch = out;
      attributes = codec.attributes;
      // The uncompressed records stay in this builder's buffer, which is reused for the next batch.
      this.#pos = RECORD_BATCH_HEADER_BYTES;
    } else {
      // The batch keeps this buffer (it is in flight until acknowledged, then recycled); the next
      // batch gets a spare one, or a new one.
      const size = this.#buf.length;
      let next = this.#spare.pop();
      while (next !== undefined && next.length < size) next = this.#spare.pop();
      this.#buf = next ?? Buffer.allocUnsafe(size);
      this.#pos = RECORD_BATCH_HEADER_BYTES;
    }
    const count = this.#count;
    batch.writeBigInt64BE(0n, 0); // baseOffset: the broker assigns offsets
    batch.writeInt32BE(batch.length - 12, 8);
    batch.writeInt32BE(-1, 12); // partitionLeaderEpoch: unknown to producers
    batch.writeInt8(2, 16); // magic
    batch.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
    batch.writeInt32BE(count - 1, 23); // lastOffsetDelta
    const timestamp = BigInt(Math.trunc(options.timestampMs));
    batch.writeBigInt64BE(timestamp, 27);
    batch.writeBigInt64BE(timestamp, 35);
    batch.writeBigInt64BE(options.producerId, 43);
    batch.writeInt16BE(options.producerEpoch, 51);
    batch.writeInt32BE(options.baseSequence, 53);
    batch.writeInt32BE(count, 57);
    batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
    this.#count = 0;
    this.#valueBytes = 0;
    return batch;
  }

  #grow(needed: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(needed, 2 * this.#buf.length));
    this.#buf.copy(bigger, 0, 0, this.#pos);
    this.#buf = bigger;
  }
}
