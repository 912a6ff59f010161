/**
 * Simulates a constant-size fleet of flights and emits their lifecycle events in event-time order.
 *
 * Every flight is planned in full when it enters the simulation (schedule, delay, flight profile,
 * cancellation or diversion); its events are then emitted one at a time. A min-heap on each
 * flight's next event time keeps the emitted event_time non-decreasing per worker, which the
 * Spark job's event-time watermark relies on. Event time is simulated: it starts at `startTime`
 * and advances as fast as events are pulled, independent of the wall clock.
 *
 * step() is the hot path: it fills one reused EventFacts (encode.ts) with what changes from event
 * to event, and points it at the flight's FlightFacts, made once per flight; FlightEventWriter turns
 * that into JSON bytes without building an event object or its strings. next() is the same event
 * as an object, decoded from those bytes.
 */

import { type EventFacts, type EventType, type FlightFacts, FlightEventWriter, flightFacts } from './encode.ts';
import { type FlightEvent } from './generated/flight-event.ts';
import { distanceNm, type GeoPoint, GreatCircleRoute } from './great-circle.ts';
import { type AircraftType, type Airport, AIRCRAFT_TYPES, AIRLINES, AIRPORTS } from './reference-data.ts';
import { SeededRandom } from './seeded-random.ts';

export interface FlightSimulatorOptions {
  /** Seed of the random stream. Integer in [0, 2^32). */
  readonly seed: number;
  /** Id of this producer worker; workers with the same seed produce disjoint flights. Integer >= 0, default 0. */
  readonly workerId?: number;
  /** Event time at which the simulation starts, ms since the Unix epoch. */
  readonly startTime: number;
  /** Number of flights alive at once (between their 'scheduled' and last event). Default 2000. */
  readonly activeFlights?: number;
  /** Seconds between two 'position' reports of an airborne flight. Default 60. */
  readonly positionIntervalS?: number;
  /** Share of flights cancelled before boarding, in [0, 1]. Default 0.02. */
  readonly cancelledShare?: number;
  /** Share of flights diverted to another airport shortly before arrival, in [0, 1]. Default 0.005. */
  readonly divertedShare?: number;
}

export const FLIGHT_SIMULATOR_DEFAULTS = {
  workerId: 0,
  activeFlights: 2000,
  positionIntervalS: 60,
  cancelledShare: 0.02,
  divertedShare: 0.005,
} as const;

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** New flights of the initial fleet are announced across this window so the fleet does not move in lock-step. */
const INITIAL_ANNOUNCE_SPREAD_MS = 90 * MINUTE_MS;
/** Shortest and longest route the simulator flies, nautical miles. */
const MIN_ROUTE_NM = 150;
/** Aircraft need this much range margin over the great-circle distance (winds, alternates, reserves). */
const RANGE_MARGIN = 1.1;
/** Routes up to this length are flown by narrow-bodies, longer ones by wide-bodies. */
const NARROWBODY_MAX_ROUTE_NM = 2000;
const CLIMB_MS = 20 * MINUTE_MS;
const DESCENT_MS = 25 * MINUTE_MS;
const TAKEOFF_SPEED_KT = 160;
const LANDING_SPEED_KT = 145;
/** Padding airlines build into the scheduled block time beyond the expected air time. */
const SCHEDULE_PADDING_MS = 5 * MINUTE_MS;
/** Diversions happen within this long before the planned landing (weather or an incident at the destination). */
const DIVERSION_WINDOW_MS = 60 * MINUTE_MS;
/** Time for approach and landing at the diversion airport on top of the direct flight there. */
const DIVERSION_APPROACH_MS = 10 * MINUTE_MS;

// Schema bounds of the delay fields (schema/flight-event.schema.json).
const DEPARTURE_DELAY_MIN_BOUNDS = [-60, 1440] as const;
const ARRIVAL_DELAY_MIN_BOUNDS = [-120, 1440] as const;

/** Everything about one flight, decided when it enters the simulation. */
interface Flight {
  readonly serial: number;
  /** What its events say that never changes (ids, airline, airports, schedule, actual times, delays). */
  readonly facts: FlightFacts;
  readonly origin: Airport;
  readonly destination: Airport;
  readonly aircraft: AircraftType;
  readonly route: GreatCircleRoute;
  /** Time of the 'cancelled' event, or -1 when the flight operates. */
  readonly cancelledAtMs: number;
  readonly boardingAtMs: number;
  readonly departureMs: number;
  /** >1 = slower than nominal (headwind), <1 = faster; scales every airborne duration. */
  readonly pace: number;
  readonly climbMs: number;
  readonly cruiseMs: number;
  readonly descentMs: number;
  readonly peakAltitudeFt: number;
  /** Planned landing at the destination. */
  readonly landingMs: number;
  /** Time of the 'diverted' event, or -1 when the flight reaches its destination. */
  readonly divertedAtMs: number;
  readonly divertedTo: Airport | null;
  /** Actual landing time (destination or diversion airport). */
  readonly actualArrivalMs: number;
  readonly arrivedAtMs: number;

  // Mutable emission state.
  seq: number;
  nextType: EventType;
  nextTimeMs: number;
  /** Index of the next position report (1 = one interval after departure). */
  nextPositionIndex: number;
}

export class FlightSimulator implements Iterable<FlightEvent> {
  readonly #rng: SeededRandom;
  readonly #seed: number;
  readonly #workerId: number;
  readonly #positionIntervalMs: number;
  readonly #cancelledShare: number;
  readonly #divertedShare: number;
  /**
   * Binary min-heap of the flights ordered by (nextTimeMs, serial); its size is the fleet size,
   * constant. The keys are kept beside it in two typed arrays, so a sift (~11 levels for 2,000
   * flights) reads two compact arrays instead of a dozen flights' objects spread over the heap.
   */
  readonly #heap: Flight[] = [];
  readonly #heapTimes: Float64Array;
  readonly #heapSerials: Float64Array;
  #nextSerial = 0;
  #emitted = 0;
  /** The event step() returns, overwritten by the next step(). */
  readonly #event: MutableEventFacts = {
    flight: undefined as unknown as FlightFacts,
    seq: 0,
    type: 'scheduled',
    timeMs: 0,
    departed: false,
    landed: false,
    diverted: false,
    hasPosition: false,
    latE5: 0,
    lonE5: 0,
    altitudeFt: 0,
    groundSpeedKt: 0,
    headingE1: 0,
  };
  /** next()'s writer and buffer: the event's wire bytes, decoded. */
  #decoding: { readonly writer: FlightEventWriter; buf: Buffer } | undefined;

  constructor(options: FlightSimulatorOptions) {
    const seed = options.seed;
    const workerId = options.workerId ?? FLIGHT_SIMULATOR_DEFAULTS.workerId;
    const activeFlights = options.activeFlights ?? FLIGHT_SIMULATOR_DEFAULTS.activeFlights;
    const positionIntervalS = options.positionIntervalS ?? FLIGHT_SIMULATOR_DEFAULTS.positionIntervalS;
    const cancelledShare = options.cancelledShare ?? FLIGHT_SIMULATOR_DEFAULTS.cancelledShare;
    const divertedShare = options.divertedShare ?? FLIGHT_SIMULATOR_DEFAULTS.divertedShare;
    requireInteger('seed', seed, 0, 0xffffffff);
    requireInteger('workerId', workerId, 0, 1_000_000);
    requireInteger('activeFlights', activeFlights, 1, 10_000_000);
    requireNumber('startTime', options.startTime, 0, 253402300799999); // up to 9999-12-31
    requireNumber('positionIntervalS', positionIntervalS, 1, 3600);
    requireNumber('cancelledShare', cancelledShare, 0, 1);
    requireNumber('divertedShare', divertedShare, 0, 1);

    this.#seed = seed;
    this.#workerId = workerId;
    this.#rng = new SeededRandom(seed, workerId);
    this.#positionIntervalMs = Math.round(positionIntervalS * 1000);
    this.#cancelledShare = cancelledShare;
    this.#divertedShare = divertedShare;

    this.#heapTimes = new Float64Array(activeFlights);
    this.#heapSerials = new Float64Array(activeFlights);
    for (let i = 0; i < activeFlights; i++) {
      const announcedAtMs = options.startTime + Math.floor(this.#rng.uniform(0, INITIAL_ANNOUNCE_SPREAD_MS));
      this.#place(i, this.#planFlight(announcedAtMs));
    }
    for (let i = (activeFlights >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  /** Number of events emitted so far. */
  get emitted(): number {
    return this.#emitted;
  }

  /** Number of flights alive at once. */
  get activeFlights(): number {
    return this.#heap.length;
  }

  /**
   * The next event of the whole fleet; event_time never decreases from one call to the next.
   * The returned object is reused: it holds this event until the next call.
   */
  step(): EventFacts {
    const flight = this.#heap[0] as Flight;
    this.#emit(flight);
    if (this.#advance(flight)) {
      this.#heapTimes[0] = flight.nextTimeMs;
    } else {
      // The flight is over: a new one takes its place so the fleet size stays constant.
      this.#place(0, this.#planFlight(flight.nextTimeMs));
    }
    this.#siftDown(0);
    this.#emitted++;
    return this.#event;
  }

  /** The next event (as step()) as an object: its JSON bytes as sent to Kafka, parsed. */
  next(): FlightEvent {
    const decoding = (this.#decoding ??= { writer: new FlightEventWriter(), buf: Buffer.alloc(4096) });
    const writer = decoding.writer.select(this.step());
    if (decoding.buf.length < writer.maxBytes) decoding.buf = Buffer.alloc(2 * writer.maxBytes);
    const end = writer.writeTo(decoding.buf, 0);
    return JSON.parse(decoding.buf.toString('utf8', 0, end)) as FlightEvent;
  }

  /** The next `count` events. */
  *take(count: number): Generator<FlightEvent, void, undefined> {
    for (let i = 0; i < count; i++) yield this.next();
  }

  /** An endless stream of events; bound it yourself (e.g. with `take`). */
  *[Symbol.iterator](): Iterator<FlightEvent> {
    for (;;) yield this.next();
  }

  // ---- planning ---------------------------------------------------------------------------

  #planFlight(announcedAtMs: number): Flight {
    const rng = this.#rng;
    const serial = this.#nextSerial++;
    const airline = rng.pick(AIRLINES);
    const hub = airportByIata(rng.pick(airline.hubs));
    const other = rng.pick(routeCandidates(hub));
    const [origin, destination] = rng.chance(0.5) ? [hub, other] : [other, hub];
    const route = new GreatCircleRoute(origin, destination);
    const aircraft = rng.pick(aircraftFor(route.distanceNm));
    const flightNumber = `${airline.iata}${rng.int(1, 2999)}`;

    const scheduledDepartureMs = ceilToMinute(announcedAtMs + rng.uniform(30, 120) * MINUTE_MS);

    // Flight profile: linear speed ramps in climb and descent, constant cruise in between.
    const cruiseKt = aircraft.cruiseSpeedKt;
    let climbMs = CLIMB_MS;
    let descentMs = DESCENT_MS;
    const climbNm = nmAt((TAKEOFF_SPEED_KT + cruiseKt) / 2, climbMs);
    const descentNm = nmAt((cruiseKt + LANDING_SPEED_KT) / 2, descentMs);
    let cruiseMs: number;
    let peakAltitudeFt = aircraft.cruiseAltitudeFt;
    if (climbNm + descentNm >= route.distanceNm) {
      // Short hop: never reaches cruise; climb and descent shrink, and so does the top altitude.
      const k = route.distanceNm / (climbNm + descentNm);
      climbMs *= k;
      descentMs *= k;
      cruiseMs = 0;
      peakAltitudeFt = Math.max(10_000, Math.round((aircraft.cruiseAltitudeFt * k) / 1000) * 1000);
    } else {
      cruiseMs = ((route.distanceNm - climbNm - descentNm) / cruiseKt) * HOUR_MS;
    }
    const nominalAirMs = climbMs + cruiseMs + descentMs;
    const scheduledArrivalMs =
      scheduledDepartureMs + Math.round((nominalAirMs + SCHEDULE_PADDING_MS) / (5 * MINUTE_MS)) * 5 * MINUTE_MS;
    const boardingAtMs = scheduledDepartureMs - 30 * MINUTE_MS;

    const cancelled = rng.chance(this.#cancelledShare);
    const cancelledAtMs = cancelled ? Math.floor(rng.uniform(announcedAtMs, boardingAtMs)) : -1;

    const departureDelayMin = clamp(rng.departureDelayMinutes(-15, 720), DEPARTURE_DELAY_MIN_BOUNDS);
    // Seconds jitter below half a minute keeps departure_delay_min == round(actual - scheduled).
    const departureMs = scheduledDepartureMs + departureDelayMin * MINUTE_MS + rng.int(-29_000, 29_000);
    const pace = rng.uniform(0.97, 1.04);
    climbMs *= pace;
    cruiseMs *= pace;
    descentMs *= pace;
    const airMs = climbMs + cruiseMs + descentMs;
    const landingMs = departureMs + Math.round(airMs);

    let divertedAtMs = -1;
    let divertedTo: Airport | null = null;
    let actualArrivalMs = landingMs;
    const positionCount = Math.ceil(airMs / this.#positionIntervalMs) - 1; // reports strictly before landing
    const diverting = !cancelled && rng.chance(this.#divertedShare);
    const firstDivertSlot = Math.max(2, Math.ceil((airMs - DIVERSION_WINDOW_MS) / this.#positionIntervalMs));
    if (diverting && firstDivertSlot <= positionCount) {
      // The diversion replaces a position report, after at least one report has gone out.
      divertedAtMs = departureMs + rng.int(firstDivertSlot, positionCount) * this.#positionIntervalMs;
      const divertPoint = route.pointAt(distanceFlownNm(divertedAtMs - departureMs, climbMs, cruiseMs, descentMs, cruiseKt, pace) / route.distanceNm);
      divertedTo = nearestAirport(divertPoint, destination);
      const legNm = distanceNm(divertPoint.latDeg, divertPoint.lonDeg, divertedTo.latDeg, divertedTo.lonDeg);
      actualArrivalMs = divertedAtMs + Math.round((legNm / cruiseKt) * HOUR_MS + DIVERSION_APPROACH_MS);
    }
    const arrivalDelayMin = clamp(wholeMinutes(actualArrivalMs - scheduledArrivalMs), ARRIVAL_DELAY_MIN_BOUNDS);
    const arrivedAtMs = actualArrivalMs + rng.int(5 * 60, 15 * 60) * 1000;

    const flightId = `${flightNumber}-${yyyymmdd(scheduledDepartureMs)}-s${this.#seed}w${this.#workerId}n${serial}`;
    return {
      serial,
      facts: flightFacts({
        flightId,
        airline: airline.iata,
        flightNumber,
        origin: origin.iata,
        destination: destination.iata,
        aircraftType: aircraft.icao,
        scheduledDeparture: new Date(scheduledDepartureMs).toISOString(),
        scheduledArrival: new Date(scheduledArrivalMs).toISOString(),
        actualDeparture: new Date(departureMs).toISOString(),
        actualArrival: new Date(actualArrivalMs).toISOString(),
        departureDelayMin,
        arrivalDelayMin,
        divertedTo: divertedTo?.iata ?? null,
      }),
      origin,
      destination,
      aircraft,
      route,
      cancelledAtMs,
      boardingAtMs,
      departureMs,
      pace,
      climbMs,
      cruiseMs,
      descentMs,
      peakAltitudeFt,
      landingMs,
      divertedAtMs,
      divertedTo,
      actualArrivalMs,
      arrivedAtMs,
      seq: 0,
      nextType: 'scheduled',
      nextTimeMs: announcedAtMs,
      nextPositionIndex: 1,
    };
  }

  // ---- emission ---------------------------------------------------------------------------

  /** Fills #event with the flight's next event. */
  #emit(flight: Flight): void {
    const event = this.#event;
    const type = flight.nextType;
    const timeMs = flight.nextTimeMs;
    event.flight = flight.facts;
    event.seq = flight.seq++;
    event.type = type;
    event.timeMs = timeMs;
    event.departed = type !== 'scheduled' && type !== 'boarding' && type !== 'cancelled';
    event.landed = type === 'landed' || type === 'arrived';
    event.diverted = flight.divertedTo !== null && (type === 'diverted' || event.landed);
    event.hasPosition = this.#position(flight, type, timeMs);
  }

  /** Sets #event's position for an event of this type and time; false when the type has none. */
  #position(flight: Flight, type: EventType, timeMs: number): boolean {
    const pace = flight.pace;
    switch (type) {
      case 'departed':
        return this.#setPosition(flight.origin, 0, TAKEOFF_SPEED_KT / pace, flight.route.trackAt(0));
      case 'position':
      case 'diverted': {
        const elapsedMs = timeMs - flight.departureMs;
        const { climbMs, cruiseMs, descentMs } = flight;
        const cruiseKt = flight.aircraft.cruiseSpeedKt;
        const fraction = distanceFlownNm(elapsedMs, climbMs, cruiseMs, descentMs, cruiseKt, pace) / flight.route.distanceNm;
        const point = flight.route.pointAndTrackAt(fraction);
        let altitudeFt: number;
        let speedKt: number;
        if (elapsedMs <= climbMs) {
          altitudeFt = (flight.peakAltitudeFt * elapsedMs) / climbMs;
          speedKt = TAKEOFF_SPEED_KT + ((cruiseKt - TAKEOFF_SPEED_KT) * elapsedMs) / climbMs;
        } else if (elapsedMs <= climbMs + cruiseMs) {
          altitudeFt = flight.peakAltitudeFt;
          speedKt = cruiseKt;
        } else {
          const intoDescentMs = Math.min(descentMs, elapsedMs - climbMs - cruiseMs);
          altitudeFt = flight.peakAltitudeFt * (1 - intoDescentMs / descentMs);
          speedKt = cruiseKt - ((cruiseKt - LANDING_SPEED_KT) * intoDescentMs) / descentMs;
        }
        const headingDeg = type === 'diverted' ? new GreatCircleRoute(point, flight.divertedTo as Airport).trackAt(0) : point.trackDeg;
        return this.#setPosition(point, altitudeFt, speedKt / pace, headingDeg);
      }
      case 'landed': {
        if (flight.divertedTo !== null) {
          // The last leg starts where the 'diverted' event placed the flight (its rounded position).
          this.#position(flight, 'diverted', flight.divertedAtMs);
          const divertPoint = { latDeg: this.#event.latE5 / 1e5, lonDeg: this.#event.lonE5 / 1e5 };
          const leg = new GreatCircleRoute(divertPoint, flight.divertedTo);
          return this.#setPosition(flight.divertedTo, 0, LANDING_SPEED_KT / pace, leg.trackAt(1));
        }
        return this.#setPosition(flight.destination, 0, LANDING_SPEED_KT / pace, flight.route.trackAt(1));
      }
      default:
        return false;
    }
  }

  /** #event's position, rounded as the events carry it: 1e-5 degrees, 100 ft, 1 kt, 0.1 degree. */
  #setPosition(point: GeoPoint, altitudeFt: number, speedKt: number, headingDeg: number): true {
    const event = this.#event;
    const headingE1 = Math.round(headingDeg * 10);
    event.latE5 = Math.round(point.latDeg * 1e5);
    event.lonE5 = Math.round(point.lonDeg * 1e5);
    event.altitudeFt = Math.round(altitudeFt / 100) * 100;
    event.groundSpeedKt = Math.round(speedKt);
    event.headingE1 = headingE1 >= 3600 ? 0 : headingE1;
    return true;
  }

  /** Moves the flight to its next event; false when the flight has no more events. */
  #advance(flight: Flight): boolean {
    switch (flight.nextType) {
      case 'scheduled':
        if (flight.cancelledAtMs >= 0) return setNext(flight, 'cancelled', flight.cancelledAtMs);
        return setNext(flight, 'boarding', flight.boardingAtMs);
      case 'boarding':
        return setNext(flight, 'departed', flight.departureMs);
      case 'departed':
      case 'position': {
        const nextReportMs = flight.departureMs + flight.nextPositionIndex * this.#positionIntervalMs;
        flight.nextPositionIndex++;
        if (flight.divertedAtMs >= 0 && nextReportMs >= flight.divertedAtMs) {
          return setNext(flight, 'diverted', flight.divertedAtMs);
        }
        if (nextReportMs < flight.landingMs) return setNext(flight, 'position', nextReportMs);
        return setNext(flight, 'landed', flight.landingMs);
      }
      case 'diverted':
        return setNext(flight, 'landed', flight.actualArrivalMs);
      case 'landed':
        return setNext(flight, 'arrived', flight.arrivedAtMs);
      case 'arrived':
      case 'cancelled':
        return false;
    }
  }

  // ---- heap -------------------------------------------------------------------------------

  #place(i: number, flight: Flight): void {
    this.#heap[i] = flight;
    this.#heapTimes[i] = flight.nextTimeMs;
    this.#heapSerials[i] = flight.serial;
  }

  #siftDown(start: number): void {
    const heap = this.#heap;
    const times = this.#heapTimes;
    const serials = this.#heapSerials;
    const n = heap.length;
    let i = start;
    const item = heap[i] as Flight;
    const itemTime = times[i] as number;
    const itemSerial = serials[i] as number;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && before(times[right] as number, serials[right] as number, times[left] as number, serials[left] as number)) child = right;
      const childTime = times[child] as number;
      const childSerial = serials[child] as number;
      if (!before(childTime, childSerial, itemTime, itemSerial)) break;
      heap[i] = heap[child] as Flight;
      times[i] = childTime;
      serials[i] = childSerial;
      i = child;
    }
    heap[i] = item;
    times[i] = itemTime;
    serials[i] = itemSerial;
  }
}

// ---- helpers ----------------------------------------------------------------------------------

type MutableEventFacts = { -readonly [K in keyof EventFacts]: EventFacts[K] };

function setNext(flight: Flight, type: EventType, timeMs: number): true {
  flight.nextType = type;
  flight.nextTimeMs = timeMs;
  return true;
}

/** (timeA, serialA) orders before (timeB, serialB). */
function before(timeA: number, serialA: number, timeB: number, serialB: number): boolean {
  return timeA < timeB || (timeA === timeB && serialA < serialB);
}

/** Nautical miles covered at a constant speed over a duration. */
function nmAt(speedKt: number, durationMs: number): number {
  return (speedKt * durationMs) / HOUR_MS;
}

/**
 * Distance flown since take-off, nautical miles, for the climb / cruise / descent profile.
 * Durations are already scaled by `pace`; speeds are divided by it, so the total is the route length.
 */
function distanceFlownNm(
  elapsedMs: number,
  climbMs: number,
  cruiseMs: number,
  descentMs: number,
  cruiseKt: number,
  pace: number,
): number {
  const t = Math.max(0, elapsedMs);
  if (t <= climbMs) {
    return nmAt(TAKEOFF_SPEED_KT + ((cruiseKt - TAKEOFF_SPEED_KT) * t) / (2 * climbMs), t) / pace;
  }
  const climbNm = nmAt((TAKEOFF_SPEED_KT + cruiseKt) / 2, climbMs) / pace;
  if (t <= climbMs + cruiseMs) return climbNm + nmAt(cruiseKt, t - climbMs) / pace;
  const cruiseNm = nmAt(cruiseKt, cruiseMs) / pace;
  const u = Math.min(descentMs, t - climbMs - cruiseMs);
  return climbNm + cruiseNm + nmAt(cruiseKt - ((cruiseKt - LANDING_SPEED_KT) * u) / (2 * descentMs), u) / pace;
}

function ceilToMinute(ms: number): number {
  return Math.ceil(ms / MINUTE_MS) * MINUTE_MS;
}

/** Rounds a duration to whole minutes; `+ 0` turns -0 into 0 so it prints and compares as 0. */
function wholeMinutes(durationMs: number): number {
  return Math.round(durationMs / MINUTE_MS) + 0;
}

function clamp(value: number, [min, max]: readonly [number, number]): number {
  return Math.min(max, Math.max(min, value)) + 0;
}

function yyyymmdd(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`FlightSimulator: ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

function requireNumber(name: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`FlightSimulator: ${name} must be a number in [${min}, ${max}], got ${value}`);
  }
}

// ---- reference-data lookups (computed once per process) -------------------------------------

const AIRPORTS_BY_IATA = new Map(AIRPORTS.map((a) => [a.iata, a]));
const LONGEST_RANGE_NM = Math.max(...AIRCRAFT_TYPES.map((t) => t.rangeNm));
const routeCandidatesByHub = new Map<string, readonly Airport[]>();

function airportByIata(iata: string): Airport {
  const airport = AIRPORTS_BY_IATA.get(iata);
  if (!airport) throw new Error(`reference data: hub ${iata} is not in AIRPORTS`);
  return airport;
}

/** Airports a hub has a plausible route to: not too close, and within reach of some aircraft type. */
function routeCandidates(hub: Airport): readonly Airport[] {
  let candidates = routeCandidatesByHub.get(hub.iata);
  if (!candidates) {
    candidates = AIRPORTS.filter((a) => {
      const d = distanceNm(hub.latDeg, hub.lonDeg, a.latDeg, a.lonDeg);
      return d >= MIN_ROUTE_NM && d * RANGE_MARGIN <= LONGEST_RANGE_NM;
    });
    if (candidates.length === 0) throw new Error(`reference data: hub ${hub.iata} has no reachable airport`);
    routeCandidatesByHub.set(hub.iata, candidates);
  }
  return candidates;
}

function aircraftFor(routeNm: number): readonly AircraftType[] {
  const wantWidebody = routeNm > NARROWBODY_MAX_ROUTE_NM;
  const fitting = AIRCRAFT_TYPES.filter((t) => t.widebody === wantWidebody && t.rangeNm >= routeNm * RANGE_MARGIN);
  // routeCandidates guarantees some type can fly the route, so the fallback only widens the choice.
  return fitting.length > 0 ? fitting : AIRCRAFT_TYPES.filter((t) => t.rangeNm >= routeNm * RANGE_MARGIN);
}

function nearestAirport(point: GeoPoint, except: Airport): Airport {
  let best: Airport | undefined;
  let bestNm = Infinity;
  for (const airport of AIRPORTS) {
    if (airport === except) continue;
    const d = distanceNm(point.latDeg, point.lonDeg, airport.latDeg, airport.lonDeg);
    if (d < bestNm) {
      bestNm = d;
      best = airport;
    }
  }
  return best as Airport;
}
