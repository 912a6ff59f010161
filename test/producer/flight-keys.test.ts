import { describe, expect, it } from 'vitest';
import { compatibilityPartitioner } from '@platformatic/kafka';
import { FlightKeys, unpooledUtf8 } from '../../producer/src/flight-keys.ts';
import { FlightSimulator } from '../../producer/src/flight-simulator.ts';

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

