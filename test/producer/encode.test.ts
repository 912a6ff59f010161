import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compatibilityPartitioner } from '@platformatic/kafka';
import { schemaPath } from '../../schema/generate-types.ts';
import { type EventFacts, type FlightFacts, encodeFlightEvent, FlightEventWriter, flightEventKey, flightFacts } from '../../producer/src/encode.ts';
import { FlightSimulator } from '../../producer/src/flight-simulator.ts';
import { type FlightEvent } from '../../producer/src/generated/flight-event.ts';

function simulator(seed: number, workerId: number, options: Partial<ConstructorParameters<typeof FlightSimulator>[0]> = {}): FlightSimulator {
  return new FlightSimulator({ seed, workerId, startTime: Date.parse('2026-03-01T22:30:00Z'), activeFlights: 40, positionIntervalS: 300, ...options });
}

/** A made-up flight and event, for values the simulator never produces. */
function madeUp(flight: Partial<Omit<FlightFacts, 'wire'>>, event: Partial<EventFacts>): EventFacts {
  const facts: FlightFacts = flightFacts({
    flightId: 'BA117-20260301-s1w0n0',
    airline: 'BA',
    flightNumber: 'BA117',
    origin: 'LHR',
    destination: 'JFK',
    aircraftType: 'B77W',
    scheduledDeparture: '2026-03-01T10:00:00.000Z',
    scheduledArrival: '2026-03-01T18:00:00.000Z',
    actualDeparture: '2026-03-01T10:04:00.000Z',
    actualArrival: '2026-03-01T17:51:00.000Z',
    departureDelayMin: 4,
    arrivalDelayMin: -9,
    divertedTo: null,
    ...flight,
  });
  return {
    flight: facts,
    seq: 3,
    type: 'position',
    timeMs: Date.parse('2026-03-01T11:00:00.000Z'),
    departed: true,
    landed: false,
    diverted: false,
    hasPosition: true,
    latE5: 5_147_002,
    lonE5: -45_000,
    altitudeFt: 35_000,
    groundSpeedKt: 488,
    headingE1: 2_871,
    ...event,
  };
}

const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as { properties: Record<string, { properties?: Record<string, unknown> }> };

/** `values` with its keys in the order the schema lists them (the schema is where the order is written down). */
function inSchemaOrder<T>(order: Record<string, unknown>, values: Record<string, unknown>): T {
  expect(Object.keys(values).sort()).toStrictEqual(Object.keys(order).sort());
  return Object.fromEntries(Object.keys(order).map((key) => [key, values[key]])) as T;
}

/** The event object the writer's bytes must be the JSON.stringify of. */
function expectedObject(e: EventFacts): FlightEvent {
  const f = e.flight;
  const position = e.hasPosition
    ? inSchemaOrder(schema.properties['position']!.properties!, {
        lat_deg: e.latE5 / 1e5,
        lon_deg: e.lonE5 / 1e5,
        altitude_ft: e.altitudeFt,
        ground_speed_kt: e.groundSpeedKt,
        heading_deg: e.headingE1 / 10,
      })
    : null;
  return inSchemaOrder<FlightEvent>(schema.properties, {
    schema_version: 1,
    event_id: `${f.flightId}-${e.seq}`,
    flight_id: f.flightId,
    seq: e.seq,
    event_type: e.type,
    event_time: new Date(e.timeMs).toISOString(),
    airline: f.airline,
    flight_number: f.flightNumber,
    origin: f.origin,
    destination: f.destination,
    aircraft_type: f.aircraftType,
    scheduled_departure: f.scheduledDeparture,
    scheduled_arrival: f.scheduledArrival,
    actual_departure: e.departed ? f.actualDeparture : null,
    actual_arrival: e.landed ? f.actualArrival : null,
    departure_delay_min: e.departed ? f.departureDelayMin : null,
    arrival_delay_min: e.landed ? f.arrivalDelayMin : null,
    diverted_to: e.diverted ? f.divertedTo : null,
    position,
  });
}

function write(event: EventFacts): Buffer {
  const record = new FlightEventWriter().select(event);
  const buf = Buffer.alloc(record.maxBytes + 16, '#');
  const end = record.writeTo(buf, 5);
  expect(buf.subarray(0, 5).toString()).toBe('#####');
  expect(buf.subarray(end).every((b) => b === 0x23)).toBe(true);
  expect(end - 5).toBeLessThanOrEqual(record.maxBytes);
  return buf.subarray(5, end);
}

describe('FlightEventWriter', () => {
  it('writes every simulated event, of every type, as JSON.stringify of the event with the fields in schema order, within maxBytes', () => {
    // GIVEN 40,000 events from three seeds and workers, diversions and cancellations frequent
    const streams = [
      simulator(1, 0, { cancelledShare: 0.1, divertedShare: 0.1 }),
      simulator(42, 3, { activeFlights: 300 }),
      simulator(4_000_000_000, 17, { divertedShare: 0.5 }),
    ];
    const writer = new FlightEventWriter();
    const buf = Buffer.alloc(16 * 1024, '#');
    const types = new Set<string>();
    let checked = 0;
    for (const sim of streams) {
      for (let i = 0; i < 13_334; i++) {
        const event = sim.step();
        // WHEN written at an offset
        const record = writer.select(event);
        const end = record.writeTo(buf, 7);
        const bytes = buf.subarray(7, end);
        const text = bytes.toString('utf8');
        // THEN the bytes are JSON.stringify of the event as the schema orders its fields, they fit
        // maxBytes, and re-encoding the parsed event gives them back (canonical JSON)
        const expected = JSON.stringify(expectedObject(event));
        if (text !== expected) expect(text).toBe(expected);
        if (!bytes.equals(encodeFlightEvent(JSON.parse(text) as FlightEvent))) expect(encodeFlightEvent(JSON.parse(text) as FlightEvent).toString()).toBe(text);
        if (end - 7 > record.maxBytes) expect(end - 7).toBeLessThanOrEqual(record.maxBytes);
        types.add(event.type);
        checked++;
      }
    }
    expect(checked).toBe(40_002);
    expect(types).toStrictEqual(new Set(['scheduled', 'boarding', 'departed', 'position', 'landed', 'arrived', 'cancelled', 'diverted']));
  });

  it('keys each event by its flight id, with the Java-compatible partition hash, one key Buffer per flight in memory of its own', () => {
    // GIVEN 5,000 events
    const seen = new Map<string, Buffer>();
    const writer = new FlightEventWriter();
    const sim = simulator(8, 0, { activeFlights: 200 });
    for (let i = 0; i < 5000; i++) {
      const event = sim.step();
      // WHEN selected
      const record = writer.select(event);
      // THEN the key is the flight id, the hash is the client's compatibility partitioner's, and the
      // key is the same Buffer for every event of the flight
      expect(record.key.toString('utf8')).toBe(event.flight.flightId);
      expect(record.partitionHash).toBe(compatibilityPartitioner({ topic: 't', value: Buffer.alloc(0) } as never, record.key));
      const first = seen.get(event.flight.flightId);
      if (first) expect(record.key).toBe(first);
      else seen.set(event.flight.flightId, record.key);
    }
    // AND a key never sits in Node's shared 64 KiB pool (a kept pool slice would pin its slab): its
    // ArrayBuffer is the flight's own, a few hundred bytes
    for (const key of seen.values()) expect(key.buffer.byteLength).toBeLessThan(4096);
  });

  it('writes escapes, non-ASCII, signs, zeros and trailing zeros exactly as JSON.stringify does, as UTF-8', () => {
    // GIVEN made-up events with values the simulator never produces
    const cases: EventFacts[] = [
      madeUp({ flightId: 'quote"back\\slash\u2028', airline: 'A\nB', origin: 'São', aircraftType: '✈' }, {}),
      madeUp({}, { latE5: -5, lonE5: 0, headingE1: 0, altitudeFt: -0, groundSpeedKt: 0 }),
      madeUp({}, { latE5: -0, lonE5: 18_000_000, headingE1: 3_599, altitudeFt: -1_500 }),
      madeUp({}, { latE5: 9_000_000, lonE5: -17_999_999, headingE1: 10, altitudeFt: 60_000, groundSpeedKt: 800 }),
      madeUp({}, { latE5: 100_000, lonE5: -150_000, headingE1: 3_500 }),
      madeUp({ departureDelayMin: -0, arrivalDelayMin: -120 }, { seq: 0, type: 'landed', landed: true }),
      madeUp({ divertedTo: 'MAN' }, { seq: 2_147_483_647, type: 'arrived', landed: true, diverted: true, hasPosition: false }),
      madeUp({}, { type: 'scheduled', departed: false, hasPosition: false, timeMs: 253_402_300_800_000 }),
      madeUp({}, { type: 'cancelled', departed: false, hasPosition: false, timeMs: -62_167_219_200_001 }),
    ];
    for (const event of cases) {
      // WHEN written / THEN the bytes are JSON.stringify's, UTF-8
      expect(write(event).toString('utf8')).toBe(JSON.stringify(expectedObject(event)));
      expect(write(event).equals(Buffer.from(JSON.stringify(expectedObject(event)), 'utf8'))).toBe(true);
    }
  });

  it('follows one flight through every phase, and back, writing each event as JSON.stringify does', () => {
    // GIVEN one diverted flight's events in lifecycle order, then a ground event again
    const { flight } = madeUp({ divertedTo: 'MAN' }, {});
    const phases: Partial<EventFacts>[] = [
      { type: 'scheduled', departed: false, hasPosition: false },
      { type: 'departed' },
      { type: 'position' },
      { type: 'diverted', diverted: true },
      { type: 'landed', landed: true, diverted: true },
      { type: 'arrived', landed: true, diverted: true, hasPosition: false },
      { type: 'boarding', departed: false, hasPosition: false },
    ];
    const writer = new FlightEventWriter();
    phases.forEach((phase, seq) => {
      const event = { ...madeUp({}, { seq, ...phase }), flight };
      // WHEN each is written with the same writer
      const record = writer.select(event);
      const buf = Buffer.alloc(record.maxBytes);
      // THEN its bytes are JSON.stringify's, and the flight keeps one key
      expect(buf.toString('utf8', 0, record.writeTo(buf, 0))).toBe(JSON.stringify(expectedObject(event)));
      expect(record.key).toBe(flight.wire.key);
    });
  });

  it('refuses to write before an event is selected, and integers outside the int32 range', () => {
    expect(() => new FlightEventWriter().writeTo(Buffer.alloc(10), 0)).toThrow(/select\(\) an event first/);
    expect(() => write(madeUp({}, { seq: 2 ** 31 }))).toThrow(/2147483648 is outside the int32 range/);
  });
});

describe('encodeFlightEvent and flightEventKey', () => {
  it('give an event object the bytes the writer wrote for it, and its flight id as key', () => {
    const sim = simulator(3, 0);
    for (const event of sim.take(500)) {
      expect(encodeFlightEvent(event).toString('utf8')).toBe(JSON.stringify(event));
      expect(flightEventKey(event).toString('utf8')).toBe(event.flight_id);
    }
  });
});
