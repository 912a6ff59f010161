import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { encodeFlightEvent, flightEventKey } from '../../producer/src/encode.ts';
import { FlightSimulator } from '../../producer/src/flight-simulator.ts';
import { type FlightEvent } from '../../producer/src/generated/flight-event.ts';

function seededEvents(seed: number, workerId: number, count: number): FlightEvent[] {
  const simulator = new FlightSimulator({ seed, workerId, startTime: Date.parse('2026-03-01T22:30:00Z'), activeFlights: 40, positionIntervalS: 300 });
  return [...simulator.take(count)];
}

describe('encodeFlightEvent', () => {
  it('writes the event as one line of UTF-8 JSON that parses back to the same event, keyed by flight id', () => {
    // GIVEN a simulated event
    const event = new FlightSimulator({ seed: 3, startTime: Date.parse('2026-01-01T00:00:00Z'), activeFlights: 10 }).next();
    // WHEN encoded
    const value = encodeFlightEvent(event);
    const key = flightEventKey(event);
    // THEN value round-trips, has no newline (so JSON Lines files hold one event per line), and the key is the flight id
    expect(JSON.parse(value.toString('utf8'))).toStrictEqual(event);
    expect(value.includes(0x0a)).toBe(false);
    expect(key.toString('utf8')).toBe(event.flight_id);
    expect(Object.keys(JSON.parse(value.toString('utf8')))[0]).toBe('schema_version');
  });

  it('writes exactly the bytes of JSON.stringify for thousands of seeded events of every type', () => {
    // GIVEN 40,000 events from three seeds and workers (every event type, diversions and cancellations included)
    const events = [...seededEvents(1, 0, 20_000), ...seededEvents(42, 3, 10_000), ...seededEvents(4_000_000_000, 17, 10_000)];
    const types = new Set(events.map((e) => e.event_type));
    expect(types).toStrictEqual(new Set(['scheduled', 'boarding', 'departed', 'position', 'landed', 'arrived', 'cancelled', 'diverted']));
    for (const event of events) {
      // WHEN encoded
      const value = encodeFlightEvent(event);
      // THEN its bytes are JSON.stringify's, and they parse back to the event
      const expected = JSON.stringify(event);
      if (value.toString('utf8') !== expected) expect(value.toString('utf8')).toBe(expected);
      if (!isDeepStrictEqual(JSON.parse(value.toString('utf8')), event)) expect(JSON.parse(value.toString('utf8'))).toStrictEqual(event);
      if (flightEventKey(event).toString('utf8') !== event.flight_id) expect(flightEventKey(event).toString('utf8')).toBe(event.flight_id);
    }
  });

  it('writes escaped, non-ASCII and odd-shaped events exactly as JSON.stringify does, as UTF-8', () => {
    // GIVEN a real event, altered with strings that need escaping, odd numbers and other key orders
    const base = seededEvents(5, 0, 2000).find((e) => e.position !== null) as FlightEvent;
    const variants: FlightEvent[] = [
      { ...base, flight_id: 'quote"back\\slash', event_id: 'é-ünïcode-✈' },
      { ...base, airline: 'A\nB' },
      { ...base, position: { ...base.position!, lat_deg: Number.NaN } },
      { ...base, departure_delay_min: Number.POSITIVE_INFINITY },
      { ...base, position: { ...base.position!, lat_deg: -0 } },
      (({ diverted_to: _omitted, ...rest }) => rest as FlightEvent)(base),
      { position: base.position, ...base } as FlightEvent, // same keys, other order
    ];
    for (const event of variants) {
      // WHEN encoded
      const value = encodeFlightEvent(event);
      // THEN the bytes are still exactly JSON.stringify's (UTF-8)
      expect(value.equals(Buffer.from(JSON.stringify(event), 'utf8'))).toBe(true);
      expect(flightEventKey(event).equals(Buffer.from(event.flight_id, 'utf8'))).toBe(true);
    }
  });
});

