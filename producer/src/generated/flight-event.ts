/* Generated from schema/flight-event.schema.json by schema/generate-types.ts. Do not edit: edit the schema and run `make schema`. */

/**
 * One thing that happened to one flight, as it travels through Kafka as a UTF-8 JSON object (Kafka key = flight_id). The producer's TypeScript type (producer/src/generated/flight-event.ts) and the Spark job's StructType (spark-jobs/flight_analytics/schema.py) are both derived from this file; test/ fails when either drifts. Field names are snake_case because they become Parquet and SQL columns. Timestamps are ISO-8601 UTC strings with milliseconds.
 */
export interface FlightEvent {
  /**
   * Version of this schema the event was written with. Bumped only on an incompatible change.
   */
  schema_version: 1;
  /**
   * Globally unique id of this event: '<flight_id>-<seq>'. Consumers de-duplicate on it.
   */
  event_id: string;
  /**
   * Unique id of one flight (one departure of one flight number on one day). Also the Kafka message key, so all events of a flight stay in order on one partition.
   */
  flight_id: string;
  /**
   * Sequence number of this event within its flight, starting at 0, with no gaps.
   */
  seq: number;
  /**
   * What happened. Lifecycle: scheduled -> boarding -> departed -> position* -> landed -> arrived; or scheduled -> cancelled; or ... departed -> position* -> diverted -> landed -> arrived (at diverted_to).
   */
  event_type:
    'scheduled' | 'boarding' | 'departed' | 'position' | 'landed' | 'arrived' | 'cancelled' | 'diverted';
  /**
   * When it happened (event time, UTC). Spark windows and watermarks use this.
   */
  event_time: string;
  /**
   * Operating airline, IATA 2-character designator (e.g. 'BA').
   */
  airline: string;
  /**
   * Marketing flight number: airline designator followed by 1-4 digits (e.g. 'BA117').
   */
  flight_number: string;
  /**
   * Departure airport, IATA 3-letter code.
   */
  origin: string;
  /**
   * Scheduled arrival airport, IATA 3-letter code.
   */
  destination: string;
  /**
   * Aircraft type, ICAO type designator (e.g. 'B77W', 'A320').
   */
  aircraft_type: string;
  /**
   * Scheduled off-block time at origin (UTC).
   */
  scheduled_departure: string;
  /**
   * Scheduled on-block time at destination (UTC).
   */
  scheduled_arrival: string;
  /**
   * Actual take-off time (UTC); null until the flight has departed.
   */
  actual_departure?: string | null;
  /**
   * Actual landing time (UTC); null until the flight has landed.
   */
  actual_arrival?: string | null;
  /**
   * Minutes between scheduled_departure and actual_departure, whole minutes, negative when early. Null until departed. Range -60..1440.
   */
  departure_delay_min?: number | null;
  /**
   * Minutes between scheduled_arrival and actual_arrival, whole minutes, negative when early. Null until landed. Range -120..1440.
   */
  arrival_delay_min?: number | null;
  /**
   * Airport the flight diverted to, IATA 3-letter code; set on 'diverted' and every later event of that flight, null otherwise.
   */
  diverted_to?: string | null;
  /**
   * Where the aircraft is. Set on 'departed', 'position', 'diverted' and 'landed' events; null on the ground phases.
   */
  position?: {
    /**
     * Latitude, decimal degrees (WGS84), north positive.
     */
    lat_deg: number;
    /**
     * Longitude, decimal degrees (WGS84), east positive.
     */
    lon_deg: number;
    /**
     * Pressure altitude, feet.
     */
    altitude_ft: number;
    /**
     * Ground speed, knots.
     */
    ground_speed_kt: number;
    /**
     * True track over ground, degrees clockwise from north, [0, 360).
     */
    heading_deg: number;
  } | null;
}

/** Every value of FlightEvent.event_type, in lifecycle order. */
export const FLIGHT_EVENT_TYPES = ['scheduled', 'boarding', 'departed', 'position', 'landed', 'arrived', 'cancelled', 'diverted'] as const;
