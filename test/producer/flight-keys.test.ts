import { describe, expect, it } from 'vitest';
import { compatibilityPartitioner } from '@platformatic/kafka';
import { FlightKeys, unpooledUtf8 } from '../../producer/src/flight-keys.ts';
import { endsFlight, FlightSimulator } from '../../producer/src/flight-simulator.ts';

describe('FlightKeys', () => {
  it('gives each flight its id as key and the Java-compatible partition hash, reusing one entry per flight', () => {
    // GIVEN the flight ids of 5,000 simulated events and a cache smaller than their flights
    const simulator = new FlightSimulator({ seed: 8, startTime: Date.parse('2026-04-01T00:00:00Z'), activeFlights: 200 });
    const keys = new FlightKeys(150);
    for (const event of simulator.take(5000)) {
      // WHEN looked up
      const entry = keys.of(event.flight_id);
      // THEN the key is the flight id and the hash is what the client's compatibility partitioner computes
      expect(entry.key.toString('utf8')).toBe(event.flight_id);
      expect(entry.partitionHash).toBe(compatibilityPartitioner({ topic: 't', value: Buffer.alloc(0) } as never, entry.key));
      expect(keys.of(event.flight_id)).toBe(entry);
    }
  });

  it('keeps each cached key in memory of its own, so a cached key never pins a shared pool slab', () => {
    // GIVEN keys cached while other small buffers come and go from Node's pool, as the client's do
    const keys = new FlightKeys();
    const cached = ['BA117-20261124-LHR', 'LH400-20261124-FRA', 'AF1234-20261124-CDG'].map((id) => {
      Buffer.from('short-lived request bytes', 'utf8');
      return keys.of(id).key;
    });
    // THEN each key's ArrayBuffer is exactly its bytes (a pooled slice would sit in a 64 KiB slab)
    for (const key of cached) {
      expect(key.byteOffset).toBe(0);
      expect(key.buffer.byteLength).toBe(key.length);
    }
    expect(unpooledUtf8('Zürich').toString('utf8')).toBe('Zürich');
  });
});

describe('FlightKeys.forget at the end of each flight', () => {
  it('holds no more entries than the active fleet over a stream with far more flights', () => {
    // GIVEN 200 active flights and 100,000 events, as the produce loop uses the cache
    const simulator = new FlightSimulator({ seed: 3, startTime: Date.parse('2026-06-01T00:00:00Z'), activeFlights: 200, positionIntervalS: 600 });
    const keys = new FlightKeys(50_000);
    const flightsSeen = new Set<string>();
    let largest = 0;
    for (const event of simulator.take(100_000)) {
      // WHEN each event's key is looked up and a finished flight is forgotten
      keys.of(event.flight_id);
      if (endsFlight(event)) keys.forget(event.flight_id);
      flightsSeen.add(event.flight_id);
      largest = Math.max(largest, keys.size);
    }
    // THEN the cache never outgrew the fleet, though the stream had many times its flights
    expect(flightsSeen.size).toBeGreaterThan(5 * 200);
    expect(largest).toBeLessThanOrEqual(200);
  });

  it('gives a forgotten flight a fresh entry with the same key and hash if it is asked for again', () => {
    // GIVEN a cached flight WHEN it is forgotten and asked for again
    const keys = new FlightKeys();
    const first = keys.of('DL88-20261130-ATL');
    keys.forget('DL88-20261130-ATL');
    expect(keys.size).toBe(0);
    const again = keys.of('DL88-20261130-ATL');
    // THEN the entry is new but equal
    expect(again).not.toBe(first);
    expect(again.key.equals(first.key)).toBe(true);
    expect(again.partitionHash).toBe(first.partitionHash);
  });
});

