/**
 * Kafka key and partition hash of each flight, computed once per flight instead of once per event.
 * A flight emits tens to hundreds of events, and the simulator hands out the same flight_id
 * string for all of them (its hash is cached by V8), so a Map lookup replaces a Buffer
 * allocation plus murmur2 over ~40 bytes per event. Passing the hash as the message's partition
 * makes the client skip its partitioner; it takes it modulo the partition count itself, so the
 * partition is the Java client's (murmur2 & 0x7fffffff) % partitions, as before.
 */

import { murmur2 } from '@platformatic/kafka';

export interface FlightKey {
  readonly key: Buffer;
  /** murmur2(key) & 0x7fffffff: the client reduces it modulo the topic's partition count. */
  readonly partitionHash: number;
}

export class FlightKeys {
  readonly #byFlightId = new Map<string, FlightKey>();
  readonly #maxEntries: number;

  /** @param maxEntries entries kept before the cache starts over; a few times the active fleet. */
  constructor(maxEntries = 50_000) {
    this.#maxEntries = maxEntries;
  }

  /** Flights cached now. */
  get size(): number {
    return this.#byFlightId.size;
  }

  of(flightId: string): FlightKey {
    let entry = this.#byFlightId.get(flightId);
    if (entry === undefined) {
      // Callers forget finished flights (see forget); should one not, starting over still bounds
      // memory at the cost of a few misses.
      if (this.#byFlightId.size >= this.#maxEntries) this.#byFlightId.clear();
      const key = unpooledUtf8(flightId);
      entry = { key, partitionHash: murmur2(key) & 0x7fffffff };
      this.#byFlightId.set(flightId, entry);
    }
    return entry;
  }

  /**
   * Drops a flight that has sent its last event (FlightSimulator's endsFlight). The cache then holds
   * about the active fleet, constant, instead of filling towards `maxEntries` for hours: a steady
   * heap rise in a soak that only a cache clear would end.
   */
  forget(flightId: string): void {
    this.#byFlightId.delete(flightId);
  }
}

/**
 * `text` as UTF-8 in a Buffer of its own. Buffer.from(string) slices small strings out of a shared
 * pool slab (64 KiB here), and a cached slice keeps its whole slab alive: between two new flights
 * the client fills the slab with short-lived buffers, so every cached key pinned a slab. The
 * 30-minute soak showed it as external memory growing ~5 MiB/min (heap snapshots: 64 KiB
 * ArrayBuffers retained by FlightKeys' map entries).
 */
export function unpooledUtf8(text: string): Buffer {
  const key = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
  key.write(text, 'utf8');
  return key;
}
