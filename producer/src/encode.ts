/**
 * The wire format of a flight event: a UTF-8 JSON object as the Kafka value, the flight id as the
 * Kafka key (so every event of a flight lands on one partition, in order). `generate` writes the
 * very same bytes, one event per line, so a JSON Lines file is a byte-exact copy of what was sent.
 *
 * Why JSON.stringify and not a hand-written template: measured (docs/producer.md), V8's stringify
 * fast path for plain objects of one shape ran 1.5x faster than a templated encoder into a reused
 * slab (447k vs 295k events/s, median of 7), and writing stringify's output into a slab instead of
 * Buffer.from gained nothing. The simulator's cost was elsewhere (Date#toISOString; see iso-time.ts).
 */

import { type FlightEvent } from './generated/flight-event.ts';

/** Kafka value of an event: UTF-8 JSON, fields in schema order, no trailing newline. */
export function encodeFlightEvent(event: FlightEvent): Buffer {
  return Buffer.from(encodeFlightEventJson(event), 'utf8');
}

/**
 * The same JSON as a string: the produce loop hands this to KafkaSender, which writes it as UTF-8
 * straight into the record batch (record-batch.ts), so no Buffer is made per event.
 */
export function encodeFlightEventJson(event: FlightEvent): string {
  return JSON.stringify(event);
}

/** Kafka key of an event: its flight id, UTF-8. (The produce loop caches it per flight: flight-keys.ts.) */
export function flightEventKey(event: FlightEvent): Buffer {
  return Buffer.from(event.flight_id, 'utf8');
}
