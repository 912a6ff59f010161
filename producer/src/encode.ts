/**
 * The wire format of a flight event: a UTF-8 JSON object as the Kafka value, the flight id as the
 * Kafka key (so every event of a flight lands on one partition, in order). `produce` and `generate`
 * both write it with FlightEventWriter, so a JSON Lines file is a byte-exact copy of what was sent,
 * and FlightSimulator#next() decodes the same bytes: every test of the simulator's events tests
 * what goes on the wire.
 *
 * Why a writer and not JSON.stringify: JSON.stringify of an event object, plus building that object
 * and its strings, was about half of what an event cost (docs/producer.md, "Generation and
 * encoding").
 * Most of an event never changes during its flight (ids, airline, airports, aircraft, schedule,
 * and, once known, the actual times, delays and diversion), so those bytes are made once per flight
 * (and per phase of it) with JSON.stringify and copied; only event_id's and seq's number, the type,
 * the time and the position are written per event, digit by digit, into the record batch itself.
 * The output is canonical JSON: JSON.stringify(JSON.parse(bytes)) gives the same bytes (tested).
 */

import { murmur2 } from '@platformatic/kafka';
import { type FlightEvent } from './generated/flight-event.ts';
import { MAX_ISO_UTC_BYTES, writeIsoUtc } from './iso-time.ts';
import { type ValueWriter } from './record-batch.ts';

export type EventType = FlightEvent['event_type'];

/** What stays the same over all events of one flight: decided when the flight is planned. */
export interface FlightFacts {
  readonly flightId: string;
  /** IATA designator. */
  readonly airline: string;
  readonly flightNumber: string;
  /** IATA codes. */
  readonly origin: string;
  readonly destination: string;
  /** ICAO type designator. */
  readonly aircraftType: string;
  /** ISO-8601 UTC, as toISOString() writes them. */
  readonly scheduledDeparture: string;
  readonly scheduledArrival: string;
  readonly actualDeparture: string;
  readonly actualArrival: string;
  readonly departureDelayMin: number;
  readonly arrivalDelayMin: number;
  /** IATA code of the diversion airport, or null when the flight reaches its destination. */
  readonly divertedTo: string | null;
  /**
   * The flight's bytes on the wire, made with the facts by flightFacts() and gone with the flight:
   * no event looks its flight up in a map, and facts and bytes sit side by side in memory.
   */
  readonly wire: FlightBytes;
}

/** A flight's facts, with the bytes the writer copies into each of its events. */
export function flightFacts(facts: Omit<FlightFacts, 'wire'>): FlightFacts {
  return { ...facts, wire: flightBytes(facts) };
}

/** One event as the simulator emits it: its flight's facts and what changes from event to event. */
export interface EventFacts {
  readonly flight: FlightFacts;
  readonly seq: number;
  readonly type: EventType;
  /** event_time, ms since the Unix epoch. */
  readonly timeMs: number;
  /** actual_departure and departure_delay_min are set. */
  readonly departed: boolean;
  /** actual_arrival and arrival_delay_min are set. */
  readonly landed: boolean;
  /** diverted_to is set. */
  readonly diverted: boolean;
  /** position is set, to the five fields below, in the integer units they are rounded to. */
  readonly hasPosition: boolean;
  /** lat_deg x 1e5. */
  readonly latE5: number;
  /** lon_deg x 1e5. */
  readonly lonE5: number;
  readonly altitudeFt: number;
  readonly groundSpeedKt: number;
  /** heading_deg x 10. */
  readonly headingE1: number;
}

/**
 * A flight's constant bytes: its Kafka key, and its JSON around the fields that change per event.
 * Made when the flight is planned and gone with the flight. Only the tail of the flight's
 * current phase is kept (it changes 3-4 times in a flight's life): with 2,000 flights alive, the
 * bytes the writer reads per event come from a cache-sized working set, which measured faster
 * than keeping every phase's tail. None of it is a slice of Node's shared Buffer pool: the key is
 * kept for the flight's life, and a kept pool slice pins its whole slab (the 30-minute soak once
 * showed that as external memory growing ~5 MiB/min).
 */
interface FlightBytes {
  readonly key: Buffer;
  readonly partitionHash: number;
  /** `{"schema_version":1,"event_id":"<flight_id>-` (then seq). */
  readonly eventIdHead: Uint8Array;
  /** `","flight_id":"<flight_id>","seq":` (then seq, then the event type and time). */
  readonly flightIdHead: Uint8Array;
  /**
   * From event_time's closing quote to the end (`..."position":null}`), or to the first position
   * field (`..."position":{"lat_deg":`), for the tail's variant(): the phase and whether there is
   * a position.
   */
  tail: Uint8Array;
  tailVariant: number;
  /** At least the bytes of an event of this flight with this tail. */
  maxBytes: number;
}

const PHASE_DEPARTED = 1;
const PHASE_LANDED = 2;
const PHASE_DIVERTED = 4;
/** seq's digits (twice), the longest type-and-time segment, the time, and the position's other fields, at most. */
const VARIABLE_BYTES_MAX = 2 * 16 + 48 + MAX_ISO_UTC_BYTES + 160;

const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
/** `,"event_type":"<type>","event_time":"` per event type. */
const TYPE_AND_TIME: Readonly<Record<EventType, Buffer>> = Object.fromEntries(
  (['scheduled', 'boarding', 'departed', 'position', 'landed', 'arrived', 'cancelled', 'diverted'] as const).map((type) => [
    type,
    ascii(`,"event_type":${JSON.stringify(type)},"event_time":"`),
  ]),
) as Record<EventType, Buffer>;
// The position's fields after lat_deg, in the order of the schema.
const LON = ascii(',"lon_deg":');
const ALTITUDE = ascii(',"altitude_ft":');
const SPEED = ascii(',"ground_speed_kt":');
const HEADING = ascii(',"heading_deg":');
const POSITION_END = ascii('}}');
const ZERO = 0x30;

/**
 * Writes events as their JSON bytes: select() an event, then writeTo() a Buffer, or hand the writer
 * to RecordBatchBuilder.append (it is the record's ValueWriter) with its key and partitionHash.
 */
export class FlightEventWriter implements ValueWriter {
  #event: EventFacts | undefined;
  #bytes: FlightBytes | undefined;

  /** Makes `event` the one this writer writes; returns the writer. */
  select(event: EventFacts): this {
    const flight = event.flight;
    const bytes = flight.wire;
    const phase = (event.departed ? PHASE_DEPARTED : 0) | (event.landed ? PHASE_LANDED : 0) | (event.diverted ? PHASE_DIVERTED : 0);
    const which = variant(phase, event.hasPosition);
    if (bytes.tailVariant !== which) setTail(flight, bytes, which);
    this.#bytes = bytes;
    this.#event = event;
    return this;
  }

  /** Kafka key of the selected event: its flight id, UTF-8 (one Buffer per flight). */
  get key(): Buffer {
    return this.#selected().key;
  }

  /** murmur2(key) & 0x7fffffff: the partition is this modulo the partition count. */
  get partitionHash(): number {
    return this.#selected().partitionHash;
  }

  /** At least the bytes of the selected event's JSON. */
  get maxBytes(): number {
    return this.#selected().maxBytes;
  }

  /** Writes the selected event's JSON at `pos` (room for maxBytes); returns the position after it. */
  writeTo(buf: Buffer, pos: number): number {
    const bytes = this.#selected();
    const event = this.#event as EventFacts;
    pos = writeInteger(buf, put(buf, pos, bytes.eventIdHead), event.seq);
    pos = writeInteger(buf, put(buf, pos, bytes.flightIdHead), event.seq);
    pos = writeIsoUtc(buf, put(buf, pos, TYPE_AND_TIME[event.type]), event.timeMs);
    pos = put(buf, pos, bytes.tail);
    if (!event.hasPosition) return pos;
    pos = writeDecimal(buf, pos, event.latE5, 5);
    pos = writeDecimal(buf, put(buf, pos, LON), event.lonE5, 5);
    pos = writeInteger(buf, put(buf, pos, ALTITUDE), event.altitudeFt);
    pos = writeInteger(buf, put(buf, pos, SPEED), event.groundSpeedKt);
    pos = writeDecimal(buf, put(buf, pos, HEADING), event.headingE1, 1);
    return put(buf, pos, POSITION_END);
  }

  #selected(): FlightBytes {
    if (this.#bytes === undefined) throw new Error('FlightEventWriter: select() an event first');
    return this.#bytes;
  }
}

/** Kafka value of an event object (tools and tests): the bytes the writer writes for it, as the writer's output is canonical JSON. */
export function encodeFlightEvent(event: FlightEvent): Buffer {
  return Buffer.from(JSON.stringify(event), 'utf8');
}

/** Kafka key of an event object: its flight id, UTF-8. */
export function flightEventKey(event: FlightEvent): Buffer {
  return Buffer.from(event.flight_id, 'utf8');
}

// ---- per-flight bytes ------------------------------------------------------------------------

function flightBytes(flight: Omit<FlightFacts, 'wire'>): FlightBytes {
  const id = JSON.stringify(flight.flightId);
  const texts = [
    flight.flightId,
    // event_id is `${flight_id}-${seq}`: the flight id's JSON without its closing quote, then '-'.
    `{"schema_version":1,"event_id":${id.slice(0, -1)}-`,
    `","flight_id":${id},"seq":`,
  ];
  const arena = Buffer.allocUnsafeSlow(texts.reduce((n, text) => n + Buffer.byteLength(text, 'utf8'), 0));
  let offset = 0;
  const [key, eventIdHead, flightIdHead] = texts.map((text) => {
    const length = arena.write(text, offset, 'utf8');
    offset += length;
    return arena.subarray(offset - length, offset);
  }) as [Buffer, Buffer, Buffer];
  // Passing the hash as the message's partition makes the sender skip its partitioner; it takes
  // it modulo the partition count, so the partition is the Java client's (murmur2 & 0x7fffffff) % n.
  const bytes = { key, partitionHash: murmur2(key) & 0x7fffffff, eventIdHead, flightIdHead, tail: arena.subarray(0, 0), tailVariant: -1, maxBytes: 0 };
  setTail(flight, bytes, variant(0, false)); // its first events are on the ground
  return bytes;
}

/** Makes `which` the flight's current tail (the previous one is no longer needed). */
function setTail(flight: Omit<FlightFacts, 'wire'>, bytes: FlightBytes, which: number): void {
  const text = tail(flight, which);
  const made = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
  made.write(text, 0, 'utf8');
  bytes.tail = made;
  bytes.tailVariant = which;
  bytes.maxBytes = bytes.eventIdHead.length + bytes.flightIdHead.length + made.length + VARIABLE_BYTES_MAX;
}

/** Index of a tail: the phase (PHASE_* bits) and whether the event has a position. */
function variant(phase: number, hasPosition: boolean): number {
  return (phase << 1) | (hasPosition ? 1 : 0);
}

/** From the closing quote of event_time to the end of the event, or to the position's first value. */
function tail(flight: Omit<FlightFacts, 'wire'>, which: number): string {
  const phase = which >> 1;
  const departed = (phase & PHASE_DEPARTED) !== 0;
  const landed = (phase & PHASE_LANDED) !== 0;
  const diverted = (phase & PHASE_DIVERTED) !== 0;
  const json = JSON.stringify;
  return (
    `","airline":${json(flight.airline)},"flight_number":${json(flight.flightNumber)},` +
    `"origin":${json(flight.origin)},"destination":${json(flight.destination)},"aircraft_type":${json(flight.aircraftType)},` +
    `"scheduled_departure":${json(flight.scheduledDeparture)},"scheduled_arrival":${json(flight.scheduledArrival)},` +
    `"actual_departure":${departed ? json(flight.actualDeparture) : 'null'},"actual_arrival":${landed ? json(flight.actualArrival) : 'null'},` +
    `"departure_delay_min":${departed ? json(flight.departureDelayMin) : 'null'},"arrival_delay_min":${landed ? json(flight.arrivalDelayMin) : 'null'},` +
    `"diverted_to":${diverted ? json(flight.divertedTo) : 'null'},"position":${(which & 1) === 1 ? '{"lat_deg":' : 'null}'}`
  );
}

// ---- numbers ---------------------------------------------------------------------------------

function put(buf: Buffer, pos: number, bytes: Uint8Array): number {
  buf.set(bytes, pos);
  return pos + bytes.length;
}

/** Decimal digits of an integer in int32 range, as JSON.stringify writes it (-0 as 0); returns the position after them. */
function writeInteger(buf: Buffer, pos: number, n: number): number {
  if (n < 0) {
    buf[pos++] = 0x2d; // '-'
    n = -n;
  }
  if (n < 10) {
    buf[pos] = ZERO + n;
    return pos + 1;
  }
  if (n > 0x7fffffff) throw new RangeError(`FlightEventWriter: ${n} is outside the int32 range of the event's integers`);
  const end = pos + digitCount(n);
  let p = end;
  do {
    const q = (n / 10) | 0;
    buf[--p] = ZERO + n - q * 10;
    n = q;
  } while (n > 0);
  return end;
}

function digitCount(n: number): number {
  let digits = 1;
  for (let rest = n; rest >= 10; rest = (rest / 10) | 0) digits++;
  return digits;
}

const POW10 = [1, 10, 100, 1000, 10_000, 100_000];

/**
 * `scaled / 10^decimals` as JSON.stringify writes that number, for an integer `scaled` in int32
 * range: the decimal itself, without trailing zeros (a decimal of at most 15 digits is the
 * shortest string that reads back as its nearest double, and toString's fixed notation covers
 * 1e-6 <= |x| < 1e21). -0 and 0 as 0.
 */
function writeDecimal(buf: Buffer, pos: number, scaled: number, decimals: number): number {
  if (scaled < 0) {
    buf[pos++] = 0x2d; // '-'
    scaled = -scaled;
  }
  const scale = POW10[decimals] as number;
  const whole = (scaled / scale) | 0;
  let fraction = scaled - whole * scale;
  pos = writeInteger(buf, pos, whole);
  if (fraction === 0) return pos;
  buf[pos++] = 0x2e; // '.'
  let digits = decimals;
  let q = (fraction / 10) | 0;
  while (fraction === q * 10) {
    fraction = q;
    q = (fraction / 10) | 0;
    digits--;
  }
  for (let i = digits - 1; i >= 0; i--) {
    q = (fraction / 10) | 0;
    buf[pos + i] = ZERO + fraction - q * 10;
    fraction = q;
  }
  return pos + digits;
}
