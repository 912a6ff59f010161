import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { schemaPath } from '../../schema/generate-types.ts';
import { type FlightEvent, FLIGHT_EVENT_TYPES } from '../../producer/src/generated/flight-event.ts';
import { FlightSimulator, type FlightSimulatorOptions } from '../../producer/src/flight-simulator.ts';
import { distanceNm, EARTH_RADIUS_NM, initialBearingDeg } from '../../producer/src/great-circle.ts';
import { AIRCRAFT_TYPES, AIRPORTS } from '../../producer/src/reference-data.ts';

const START_TIME = Date.parse('2026-03-01T06:00:00.000Z');
const MINUTE_MS = 60_000;
const airportsByIata = new Map(AIRPORTS.map((a) => [a.iata, a]));
const aircraftByIcao = new Map(AIRCRAFT_TYPES.map((t) => [t.icao, t]));

function generate(options: Partial<FlightSimulatorOptions>, count: number): FlightEvent[] {
  return [...new FlightSimulator({ seed: 7, startTime: START_TIME, ...options }).take(count)];
}

function byFlight(events: readonly FlightEvent[]): Map<string, FlightEvent[]> {
  const flights = new Map<string, FlightEvent[]>();
  for (const event of events) {
    const list = flights.get(event.flight_id);
    if (list) list.push(event);
    else flights.set(event.flight_id, [event]);
  }
  return flights;
}

function isComplete(flight: readonly FlightEvent[]): boolean {
  const last = flight.at(-1)?.event_type;
  return last === 'arrived' || last === 'cancelled';
}

/** Distance of a point from the great circle through origin and destination, nautical miles. */
function crossTrackNm(lat: number, lon: number, from: { latDeg: number; lonDeg: number }, to: { latDeg: number; lonDeg: number }): number {
  const d13 = distanceNm(from.latDeg, from.lonDeg, lat, lon) / EARTH_RADIUS_NM;
  const theta13 = (initialBearingDeg(from.latDeg, from.lonDeg, lat, lon) * Math.PI) / 180;
  const theta12 = (initialBearingDeg(from.latDeg, from.lonDeg, to.latDeg, to.lonDeg) * Math.PI) / 180;
  return Math.abs(Math.asin(Math.sin(d13) * Math.sin(theta13 - theta12)) * EARTH_RADIUS_NM);
}

const NEXT_TYPES: Record<FlightEvent['event_type'], readonly FlightEvent['event_type'][]> = {
  scheduled: ['boarding', 'cancelled'],
  boarding: ['departed'],
  departed: ['position', 'diverted', 'landed'],
  position: ['position', 'diverted', 'landed'],
  diverted: ['landed'],
  landed: ['arrived'],
  arrived: [],
  cancelled: [],
};

// One big stream reused by the lifecycle tests; high cancel/divert shares so every path occurs often.
const eventfulStream = generate({ activeFlights: 300, positionIntervalS: 300, cancelledShare: 0.1, divertedShare: 0.1 }, 60_000);
const eventfulFlights = byFlight(eventfulStream);

describe('FlightSimulator determinism', () => {
  it('emits the exact same events for the same seed, worker, start time and options', () => {
    // GIVEN two simulators built from identical options
    const options = { seed: 42, workerId: 3, activeFlights: 500 };
    // WHEN each emits 20,000 events
    const first = generate(options, 20_000);
    const second = generate(options, 20_000);
    // THEN the sequences are identical, field by field and byte by byte
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });

  it('gives different workers with the same seed disjoint flight ids', () => {
    // GIVEN two workers sharing a seed
    const worker0 = generate({ seed: 42, workerId: 0, activeFlights: 200 }, 5_000);
    const worker1 = generate({ seed: 42, workerId: 1, activeFlights: 200 }, 5_000);
    // WHEN their flight ids are compared
    const ids0 = new Set(worker0.map((e) => e.flight_id));
    const overlap = worker1.filter((e) => ids0.has(e.flight_id));
    // THEN no flight id is shared, and the streams themselves differ
    expect(overlap).toEqual([]);
    expect(worker1.map((e) => e.origin + e.destination)).not.toEqual(worker0.map((e) => e.origin + e.destination));
  });

  it('gives different seeds different event streams', () => {
    const a = generate({ seed: 1, activeFlights: 100 }, 1_000);
    const b = generate({ seed: 2, activeFlights: 100 }, 1_000);
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
  });

  it('iterates with take() exactly like repeated next() calls', () => {
    const viaTake = generate({ activeFlights: 50 }, 500);
    const simulator = new FlightSimulator({ seed: 7, startTime: START_TIME, activeFlights: 50 });
    const viaNext = Array.from({ length: 500 }, () => simulator.next());
    expect(viaNext).toEqual(viaTake);
    expect(simulator.emitted).toBe(500);
  });

  it('rejects options outside their range, naming the option', () => {
    expect(() => new FlightSimulator({ seed: -1, startTime: START_TIME })).toThrow(/seed/);
    expect(() => new FlightSimulator({ seed: 1, startTime: START_TIME, activeFlights: 0 })).toThrow(/activeFlights/);
    expect(() => new FlightSimulator({ seed: 1, startTime: START_TIME, cancelledShare: 2 })).toThrow(/cancelledShare/);
  });
});

describe('FlightSimulator event stream', () => {
  it('never lets event_time go backwards across the whole worker', () => {
    const times = eventfulStream.map((e) => Date.parse(e.event_time));
    const regressions = times.filter((t, i) => i > 0 && t < (times[i - 1] as number));
    expect(regressions).toEqual([]);
    expect(times[0]).toBeGreaterThanOrEqual(START_TIME);
  });

  it('gives every event a unique id made of the flight id and seq', () => {
    const ids = new Set(eventfulStream.map((e) => e.event_id));
    expect(ids.size).toBe(eventfulStream.length);
    for (const e of eventfulStream.slice(0, 1000)) expect(e.event_id).toBe(`${e.flight_id}-${e.seq}`);
  });

  it('keeps the fleet size constant: a new flight is announced whenever one finishes', () => {
    // GIVEN a stream from 300 active flights
    // WHEN counting flights started but not finished after every event
    let alive = 0;
    let maxAlive = 0;
    for (const e of eventfulStream) {
      if (e.event_type === 'scheduled') alive++;
      if (e.event_type === 'arrived' || e.event_type === 'cancelled') alive--;
      maxAlive = Math.max(maxAlive, alive);
    }
    // THEN it never exceeds the fleet size, and ends exactly at it (every slot refilled)
    expect(maxAlive).toBe(300);
    expect(alive).toBe(300);
  });

  it('produces every kind of event, including cancellations and diversions', () => {
    const types = new Set(eventfulStream.map((e) => e.event_type));
    expect([...types].sort()).toEqual([...FLIGHT_EVENT_TYPES].sort());
  });

  it('produces a realistic mix with the default shares: mostly positions, few cancellations', () => {
    const events = generate({ activeFlights: 500 }, 100_000);
    const flights = [...byFlight(events).values()].filter(isComplete);
    const cancelled = flights.filter((f) => f.at(-1)?.event_type === 'cancelled').length;
    expect(flights.length).toBeGreaterThan(100);
    expect(cancelled / flights.length).toBeLessThan(0.08);
    expect(events.filter((e) => e.event_type === 'position').length / events.length).toBeGreaterThan(0.8);
  });
});

describe('FlightSimulator flight lifecycle', () => {
  // Each check collects what is wrong instead of calling expect() per event (hundreds of thousands),
  // so a failure lists the offending flights and a pass stays fast.

  it('numbers each flight\'s events 0, 1, 2, ... with no gap, in event-time order', () => {
    const problems: string[] = [];
    for (const [flightId, flight] of eventfulFlights) {
      flight.forEach((e, i) => {
        if (e.seq !== i) problems.push(`${flightId}: event ${i} has seq ${e.seq}`);
        if (i > 0 && e.event_time < (flight[i - 1] as FlightEvent).event_time) problems.push(`${flightId}: time goes back at seq ${e.seq}`);
      });
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('only takes allowed lifecycle transitions, starting at scheduled', () => {
    const problems: string[] = [];
    for (const [flightId, flight] of eventfulFlights) {
      if (flight[0]?.event_type !== 'scheduled') problems.push(`${flightId}: starts with ${flight[0]?.event_type}`);
      for (let i = 1; i < flight.length; i++) {
        const from = (flight[i - 1] as FlightEvent).event_type;
        const to = (flight[i] as FlightEvent).event_type;
        if (!NEXT_TYPES[from].includes(to)) problems.push(`${flightId}: ${from} -> ${to}`);
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('keeps the descriptive fields of a flight identical on all its events', () => {
    const problems: string[] = [];
    const describe = (e: FlightEvent): string =>
      [e.airline, e.flight_number, e.origin, e.destination, e.aircraft_type, e.scheduled_departure, e.scheduled_arrival].join('|');
    for (const [flightId, flight] of eventfulFlights) {
      const first = flight[0] as FlightEvent;
      const expected = describe(first);
      for (const e of flight) if (describe(e) !== expected) problems.push(`${flightId} seq ${e.seq}: ${describe(e)} != ${expected}`);
      if (!first.flight_number.startsWith(first.airline)) problems.push(`${flightId}: flight number of another airline`);
      if (first.origin === first.destination) problems.push(`${flightId}: origin = destination`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('announces flights 30-120 minutes ahead, boards 30 minutes before departure and taxis in 5-15 minutes', () => {
    const problems: string[] = [];
    for (const [flightId, flight] of eventfulFlights) {
      const scheduledDepartureMs = Date.parse((flight[0] as FlightEvent).scheduled_departure);
      for (const e of flight) {
        const leadMs = scheduledDepartureMs - Date.parse(e.event_time);
        if (e.event_type === 'scheduled' && (leadMs < 30 * MINUTE_MS || leadMs > 121 * MINUTE_MS)) problems.push(`${flightId}: announced ${leadMs} ms ahead`);
        if (e.event_type === 'boarding' && leadMs !== 30 * MINUTE_MS) problems.push(`${flightId}: boarding ${leadMs} ms ahead`);
        if (e.event_type === 'cancelled' && leadMs < 0) problems.push(`${flightId}: cancelled after departure time`);
      }
      const landed = flight.find((e) => e.event_type === 'landed');
      const arrived = flight.find((e) => e.event_type === 'arrived');
      if (landed && arrived) {
        const taxiMs = Date.parse(arrived.event_time) - Date.parse(landed.event_time);
        if (taxiMs < 5 * MINUTE_MS || taxiMs > 15 * MINUTE_MS) problems.push(`${flightId}: taxi-in ${taxiMs} ms`);
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('sets actual times and whole-minute delays from departure / landing on, consistent with the schedule', () => {
    const problems: string[] = [];
    for (const [flightId, flight] of eventfulFlights) {
      let departed = false;
      let landed = false;
      for (const e of flight) {
        const at = `${flightId} seq ${e.seq} (${e.event_type})`;
        departed ||= e.event_type === 'departed';
        landed ||= e.event_type === 'landed';
        if (e.event_type === 'departed' && e.actual_departure !== e.event_time) problems.push(`${at}: actual_departure != event_time`);
        if (e.event_type === 'landed' && e.actual_arrival !== e.event_time) problems.push(`${at}: actual_arrival != event_time`);
        if (!departed && (e.actual_departure !== null || e.departure_delay_min !== null)) problems.push(`${at}: departure set too early`);
        if (departed) {
          const delay = Math.round((Date.parse(e.actual_departure as string) - Date.parse(e.scheduled_departure)) / MINUTE_MS) + 0;
          if (!Object.is(e.departure_delay_min, delay)) problems.push(`${at}: departure_delay_min ${e.departure_delay_min} != ${delay}`);
        }
        if (!landed && (e.actual_arrival !== null || e.arrival_delay_min !== null)) problems.push(`${at}: arrival set too early`);
        if (landed) {
          const delay = Math.round((Date.parse(e.actual_arrival as string) - Date.parse(e.scheduled_arrival)) / MINUTE_MS) + 0;
          if (!Object.is(e.arrival_delay_min, delay)) problems.push(`${at}: arrival_delay_min ${e.arrival_delay_min} != ${delay}`);
        }
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('draws departure delays mostly within five minutes, with a long tail of hours', () => {
    const delays = generate({ activeFlights: 2000, positionIntervalS: 600 }, 60_000)
      .filter((e) => e.event_type === 'departed')
      .map((e) => e.departure_delay_min as number);
    expect(delays.length).toBeGreaterThan(1000);
    const withinFive = delays.filter((d) => Math.abs(d) <= 5).length / delays.length;
    expect(withinFive).toBeGreaterThan(0.6);
    expect(withinFive).toBeLessThan(0.9);
    expect(Math.max(...delays)).toBeGreaterThan(120);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(-15);
  });

  it('reports positions only when airborne, on the great-circle route, at plausible altitude and speed', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const [flightId, flight] of eventfulFlights) {
      const first = flight[0] as FlightEvent;
      const origin = airportsByIata.get(first.origin);
      const destination = airportsByIata.get(first.destination);
      const aircraft = aircraftByIcao.get(first.aircraft_type);
      if (!origin || !destination || !aircraft) throw new Error(`${flightId}: unknown reference data`);
      const routeNm = distanceNm(origin.latDeg, origin.lonDeg, destination.latDeg, destination.lonDeg);
      for (const e of flight) {
        const at = `${flightId} seq ${e.seq} (${e.event_type})`;
        const airborne = ['departed', 'position', 'diverted', 'landed'].includes(e.event_type);
        if ((e.position !== null) !== airborne) problems.push(`${at}: position ${e.position === null ? 'missing' : 'set'}`);
        if (!e.position) continue;
        const p = e.position;
        if (p.altitude_ft < 0 || p.altitude_ft > aircraft.cruiseAltitudeFt) problems.push(`${at}: altitude ${p.altitude_ft}`);
        if (p.ground_speed_kt < 120 || p.ground_speed_kt > Math.round(aircraft.cruiseSpeedKt / 0.97)) problems.push(`${at}: speed ${p.ground_speed_kt}`);
        if (p.heading_deg < 0 || p.heading_deg >= 360) problems.push(`${at}: heading ${p.heading_deg}`);
        if (e.event_type === 'departed' && (p.lat_deg !== origin.latDeg || p.lon_deg !== origin.lonDeg || p.altitude_ft !== 0)) {
          problems.push(`${at}: not on the ground at ${origin.iata}`);
        }
        if (e.event_type === 'position' || e.event_type === 'diverted') {
          // on the route: close to its great circle, and between its two ends
          const offTrackNm = crossTrackNm(p.lat_deg, p.lon_deg, origin, destination);
          const fromOriginNm = distanceNm(origin.latDeg, origin.lonDeg, p.lat_deg, p.lon_deg);
          const toGoNm = distanceNm(p.lat_deg, p.lon_deg, destination.latDeg, destination.lonDeg);
          if (offTrackNm > 0.5) problems.push(`${at}: ${offTrackNm} nm off the great circle`);
          if (fromOriginNm > routeNm + 0.5 || toGoNm > routeNm + 0.5) problems.push(`${at}: beyond the route ends`);
          if (e.event_type === 'position' && toGoNm > 5) {
            // heading = initial bearing from here to the destination (meaningless in the last few miles)
            const bearing = initialBearingDeg(p.lat_deg, p.lon_deg, destination.latDeg, destination.lonDeg);
            const diff = Math.abs(((bearing - p.heading_deg + 540) % 360) - 180);
            if (diff > 0.5) problems.push(`${at}: heading ${p.heading_deg}, bearing to destination ${bearing}`);
          }
          checked++;
        }
        if (e.event_type === 'landed') {
          const airport = airportsByIata.get(e.diverted_to ?? e.destination);
          if (p.lat_deg !== airport?.latDeg || p.lon_deg !== airport.lonDeg || p.altitude_ft !== 0) problems.push(`${at}: not at ${airport?.iata}`);
        }
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(checked).toBeGreaterThan(10_000);
  });

  it('moves positions forward along the route at the aircraft speed', () => {
    const problems: string[] = [];
    for (const [flightId, flight] of eventfulFlights) {
      const origin = airportsByIata.get((flight[0] as FlightEvent).origin);
      const cruiseKt = aircraftByIcao.get((flight[0] as FlightEvent).aircraft_type)?.cruiseSpeedKt;
      if (!origin || !cruiseKt) throw new Error(flightId);
      const positions = flight.filter((e) => e.event_type === 'position');
      for (let i = 1; i < positions.length; i++) {
        const a = (positions[i - 1] as FlightEvent).position as NonNullable<FlightEvent['position']>;
        const b = (positions[i] as FlightEvent).position as NonNullable<FlightEvent['position']>;
        const stepNm = distanceNm(origin.latDeg, origin.lonDeg, b.lat_deg, b.lon_deg) - distanceNm(origin.latDeg, origin.lonDeg, a.lat_deg, a.lon_deg);
        const hours = (Date.parse((positions[i] as FlightEvent).event_time) - Date.parse((positions[i - 1] as FlightEvent).event_time)) / 3_600_000;
        const meanKt = stepNm / hours;
        // the speed profile rises then falls, so the mean speed of a step is at least the slower end's,
        // and at most the cruise speed (with the fastest tailwind the simulator draws)
        if (meanKt < Math.min(a.ground_speed_kt, b.ground_speed_kt) - 5 || meanKt > cruiseKt / 0.97 + 5) {
          problems.push(`${flightId} seq ${(positions[i] as FlightEvent).seq}: ${meanKt} kt between ${a.ground_speed_kt} and ${b.ground_speed_kt} kt reports`);
        }
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('diverts after at least one position report, then lands and arrives at the diversion airport', () => {
    const diverted = [...eventfulFlights.values()].filter((f) => f.some((e) => e.event_type === 'diverted'));
    expect(diverted.length).toBeGreaterThan(5);
    for (const flight of diverted) {
      const index = flight.findIndex((e) => e.event_type === 'diverted');
      const divertedEvent = flight[index] as FlightEvent;
      expect(flight[index - 1]?.event_type).toBe('position');
      expect(divertedEvent.diverted_to).toMatch(/^[A-Z]{3}$/);
      expect(divertedEvent.diverted_to).not.toBe(divertedEvent.destination);
      flight.slice(0, index).forEach((e) => expect(e.diverted_to).toBeNull());
      flight.slice(index).forEach((e) => expect(e.diverted_to).toBe(divertedEvent.diverted_to));
      expect(flight.slice(index + 1).map((e) => e.event_type)).toEqual(
        isComplete(flight) ? ['landed', 'arrived'] : ['landed', 'arrived'].slice(0, flight.length - index - 1),
      );
    }
  });

  it('never sets diverted_to on flights that were not diverted', () => {
    for (const flight of eventfulFlights.values()) {
      if (flight.some((e) => e.event_type === 'diverted')) continue;
      expect(flight.every((e) => e.diverted_to === null)).toBe(true);
    }
  });

  it('cancels flights before boarding, with no departure', () => {
    const cancelled = [...eventfulFlights.values()].filter((f) => f.some((e) => e.event_type === 'cancelled'));
    expect(cancelled.length).toBeGreaterThan(20);
    for (const flight of cancelled) expect(flight.map((e) => e.event_type)).toEqual(['scheduled', 'cancelled']);
  });

  it('writes timestamps as ISO-8601 UTC with milliseconds and flight ids that name seed, worker and serial', () => {
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    for (const e of eventfulStream.slice(0, 5000)) {
      for (const t of [e.event_time, e.scheduled_departure, e.scheduled_arrival, e.actual_departure, e.actual_arrival]) {
        if (t !== null && t !== undefined) expect(t).toMatch(iso);
      }
      expect(e.flight_id).toMatch(/^[A-Z0-9]{2}\d{1,4}-\d{8}-s7w0n\d+$/);
      expect(e.flight_id.slice(e.flight_number.length + 1, e.flight_number.length + 9)).toBe(e.scheduled_departure.slice(0, 10).replaceAll('-', ''));
    }
  });
});

describe('FlightSimulator output against the event schema', () => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  // ajv-formats is CommonJS: under NodeNext its default import is the module, the plugin is `.default`
  ajvFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));

  it('validates every generated event against schema/flight-event.schema.json (strict, formats on)', () => {
    // GIVEN events from a default fleet and from an eventful one (cancellations, diversions), round-tripped through JSON
    const events = [...generate({ seed: 99, workerId: 5 }, 30_000), ...eventfulStream];
    // WHEN each is validated as it would arrive from Kafka
    const invalid: unknown[] = [];
    for (const event of events) {
      if (!validate(JSON.parse(JSON.stringify(event)))) invalid.push({ event, errors: validate.errors });
      if (invalid.length > 3) break;
    }
    // THEN none is rejected
    expect(invalid).toEqual([]);
  });

  it('has a validator that really checks: a bad timestamp, an unknown field or a fractional delay is rejected', () => {
    const good = JSON.parse(JSON.stringify(eventfulStream.find((e) => e.event_type === 'departed'))) as FlightEvent;
    expect(validate(good)).toBe(true);
    expect(validate({ ...good, event_time: 'yesterday' })).toBe(false);
    expect(validate({ ...good, gate: 'A1' })).toBe(false);
    expect(validate({ ...good, departure_delay_min: 1.5 })).toBe(false);
  });

  it('writes every optional field, as null when it is not known yet', () => {
    const optional = ['actual_departure', 'actual_arrival', 'departure_delay_min', 'arrival_delay_min', 'diverted_to', 'position'];
    for (const e of eventfulStream.slice(0, 2000)) {
      for (const field of optional) expect(Object.hasOwn(e, field), field).toBe(true);
    }
  });
});
