import { describe, expect, it } from 'vitest';
import { encodeFlightEvent, flightEventKey } from '../../producer/src/encode.ts';
import { FlightSimulator } from '../../producer/src/flight-simulator.ts';

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
});
