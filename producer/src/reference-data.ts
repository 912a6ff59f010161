/**
 * Reference data the flight simulator draws from: real airports, airlines and aircraft types.
 * Coordinates are the airports' reference points (rounded to 4 decimals); performance figures
 * are typical published values, good enough to make routes, speeds and flight times plausible.
 */

export interface Airport {
  /** IATA 3-letter code, e.g. 'LHR'. */
  readonly iata: string;
  readonly city: string;
  /** Latitude, decimal degrees, north positive. */
  readonly latDeg: number;
  /** Longitude, decimal degrees, east positive. */
  readonly lonDeg: number;
  /** IANA time zone, e.g. 'Europe/London'. */
  readonly timeZone: string;
}

export interface Airline {
  /** IATA 2-character designator, e.g. 'BA'. */
  readonly iata: string;
  /** ICAO 3-letter designator, e.g. 'BAW'. */
  readonly icao: string;
  readonly name: string;
  /** IATA codes of the airline's hubs; every generated flight of the airline touches one of them. */
  readonly hubs: readonly string[];
}

export interface AircraftType {
  /** ICAO type designator, e.g. 'B77W'. */
  readonly icao: string;
  readonly name: string;
  /** Typical cruise true airspeed, knots (used as ground speed: the simulator has no wind). */
  readonly cruiseSpeedKt: number;
  /** Typical initial cruise altitude, feet. */
  readonly cruiseAltitudeFt: number;
  /** Typical maximum range with passengers, nautical miles. */
  readonly rangeNm: number;
  /** True for twin-aisle aircraft, which the simulator keeps for long routes. */
  readonly widebody: boolean;
}

export const AIRPORTS: readonly Airport[] = [
  // Europe
  { iata: 'LHR', city: 'London', latDeg: 51.47, lonDeg: -0.4543, timeZone: 'Europe/London' },
  { iata: 'LGW', city: 'London', latDeg: 51.1537, lonDeg: -0.1821, timeZone: 'Europe/London' },
  { iata: 'MAN', city: 'Manchester', latDeg: 53.365, lonDeg: -2.2728, timeZone: 'Europe/London' },
  { iata: 'DUB', city: 'Dublin', latDeg: 53.4264, lonDeg: -6.2499, timeZone: 'Europe/Dublin' },
  { iata: 'CDG', city: 'Paris', latDeg: 49.0097, lonDeg: 2.5479, timeZone: 'Europe/Paris' },
  { iata: 'AMS', city: 'Amsterdam', latDeg: 52.3105, lonDeg: 4.7683, timeZone: 'Europe/Amsterdam' },
  { iata: 'FRA', city: 'Frankfurt', latDeg: 50.0379, lonDeg: 8.5622, timeZone: 'Europe/Berlin' },
  { iata: 'MUC', city: 'Munich', latDeg: 48.3537, lonDeg: 11.775, timeZone: 'Europe/Berlin' },
  { iata: 'ZRH', city: 'Zurich', latDeg: 47.4582, lonDeg: 8.5555, timeZone: 'Europe/Zurich' },
  { iata: 'VIE', city: 'Vienna', latDeg: 48.1103, lonDeg: 16.5697, timeZone: 'Europe/Vienna' },
  { iata: 'MAD', city: 'Madrid', latDeg: 40.4983, lonDeg: -3.5676, timeZone: 'Europe/Madrid' },
  { iata: 'BCN', city: 'Barcelona', latDeg: 41.2974, lonDeg: 2.0833, timeZone: 'Europe/Madrid' },
  { iata: 'LIS', city: 'Lisbon', latDeg: 38.7813, lonDeg: -9.1359, timeZone: 'Europe/Lisbon' },
  { iata: 'FCO', city: 'Rome', latDeg: 41.8003, lonDeg: 12.2389, timeZone: 'Europe/Rome' },
  { iata: 'CPH', city: 'Copenhagen', latDeg: 55.618, lonDeg: 12.656, timeZone: 'Europe/Copenhagen' },
  { iata: 'ARN', city: 'Stockholm', latDeg: 59.6498, lonDeg: 17.9238, timeZone: 'Europe/Stockholm' },
  { iata: 'OSL', city: 'Oslo', latDeg: 60.1976, lonDeg: 11.1004, timeZone: 'Europe/Oslo' },
  { iata: 'HEL', city: 'Helsinki', latDeg: 60.3172, lonDeg: 24.9633, timeZone: 'Europe/Helsinki' },
  { iata: 'IST', city: 'Istanbul', latDeg: 41.2753, lonDeg: 28.7519, timeZone: 'Europe/Istanbul' },
  { iata: 'ATH', city: 'Athens', latDeg: 37.9364, lonDeg: 23.9445, timeZone: 'Europe/Athens' },
  { iata: 'WAW', city: 'Warsaw', latDeg: 52.1657, lonDeg: 20.9671, timeZone: 'Europe/Warsaw' },
  // Middle East and Africa
  { iata: 'DXB', city: 'Dubai', latDeg: 25.2532, lonDeg: 55.3657, timeZone: 'Asia/Dubai' },
  { iata: 'DOH', city: 'Doha', latDeg: 25.2731, lonDeg: 51.6081, timeZone: 'Asia/Qatar' },
  { iata: 'AUH', city: 'Abu Dhabi', latDeg: 24.433, lonDeg: 54.6511, timeZone: 'Asia/Dubai' },
  { iata: 'TLV', city: 'Tel Aviv', latDeg: 32.0114, lonDeg: 34.8867, timeZone: 'Asia/Jerusalem' },
  { iata: 'CAI', city: 'Cairo', latDeg: 30.1219, lonDeg: 31.4056, timeZone: 'Africa/Cairo' },
  { iata: 'JNB', city: 'Johannesburg', latDeg: -26.1392, lonDeg: 28.246, timeZone: 'Africa/Johannesburg' },
  { iata: 'NBO', city: 'Nairobi', latDeg: -1.3192, lonDeg: 36.9278, timeZone: 'Africa/Nairobi' },
  { iata: 'ADD', city: 'Addis Ababa', latDeg: 8.9779, lonDeg: 38.7993, timeZone: 'Africa/Addis_Ababa' },
  // Asia and Oceania
  { iata: 'DEL', city: 'Delhi', latDeg: 28.5562, lonDeg: 77.1, timeZone: 'Asia/Kolkata' },
  { iata: 'BOM', city: 'Mumbai', latDeg: 19.0896, lonDeg: 72.8656, timeZone: 'Asia/Kolkata' },
  { iata: 'SIN', city: 'Singapore', latDeg: 1.3644, lonDeg: 103.9915, timeZone: 'Asia/Singapore' },
  { iata: 'KUL', city: 'Kuala Lumpur', latDeg: 2.7456, lonDeg: 101.7099, timeZone: 'Asia/Kuala_Lumpur' },
  { iata: 'BKK', city: 'Bangkok', latDeg: 13.69, lonDeg: 100.7501, timeZone: 'Asia/Bangkok' },
  { iata: 'HKG', city: 'Hong Kong', latDeg: 22.308, lonDeg: 113.9185, timeZone: 'Asia/Hong_Kong' },
  { iata: 'PEK', city: 'Beijing', latDeg: 40.0799, lonDeg: 116.6031, timeZone: 'Asia/Shanghai' },
  { iata: 'PVG', city: 'Shanghai', latDeg: 31.1443, lonDeg: 121.8083, timeZone: 'Asia/Shanghai' },
  { iata: 'CAN', city: 'Guangzhou', latDeg: 23.3924, lonDeg: 113.2988, timeZone: 'Asia/Shanghai' },
  { iata: 'ICN', city: 'Seoul', latDeg: 37.4602, lonDeg: 126.4407, timeZone: 'Asia/Seoul' },
  { iata: 'HND', city: 'Tokyo', latDeg: 35.5494, lonDeg: 139.7798, timeZone: 'Asia/Tokyo' },
  { iata: 'NRT', city: 'Tokyo', latDeg: 35.772, lonDeg: 140.3929, timeZone: 'Asia/Tokyo' },
  { iata: 'KIX', city: 'Osaka', latDeg: 34.4347, lonDeg: 135.244, timeZone: 'Asia/Tokyo' },
  { iata: 'TPE', city: 'Taipei', latDeg: 25.0797, lonDeg: 121.2342, timeZone: 'Asia/Taipei' },
  { iata: 'MNL', city: 'Manila', latDeg: 14.5086, lonDeg: 121.0194, timeZone: 'Asia/Manila' },
  { iata: 'CGK', city: 'Jakarta', latDeg: -6.1256, lonDeg: 106.6559, timeZone: 'Asia/Jakarta' },
  { iata: 'SYD', city: 'Sydney', latDeg: -33.9399, lonDeg: 151.1753, timeZone: 'Australia/Sydney' },
  { iata: 'MEL', city: 'Melbourne', latDeg: -37.669, lonDeg: 144.841, timeZone: 'Australia/Melbourne' },
  { iata: 'BNE', city: 'Brisbane', latDeg: -27.3842, lonDeg: 153.1175, timeZone: 'Australia/Brisbane' },
  { iata: 'AKL', city: 'Auckland', latDeg: -37.0082, lonDeg: 174.785, timeZone: 'Pacific/Auckland' },
  // Americas
  { iata: 'JFK', city: 'New York', latDeg: 40.6413, lonDeg: -73.7781, timeZone: 'America/New_York' },
  { iata: 'EWR', city: 'Newark', latDeg: 40.6895, lonDeg: -74.1745, timeZone: 'America/New_York' },
  { iata: 'BOS', city: 'Boston', latDeg: 42.3656, lonDeg: -71.0096, timeZone: 'America/New_York' },
  { iata: 'IAD', city: 'Washington', latDeg: 38.9531, lonDeg: -77.4565, timeZone: 'America/New_York' },
  { iata: 'ATL', city: 'Atlanta', latDeg: 33.6407, lonDeg: -84.4277, timeZone: 'America/New_York' },
  { iata: 'MIA', city: 'Miami', latDeg: 25.7959, lonDeg: -80.287, timeZone: 'America/New_York' },
  { iata: 'CLT', city: 'Charlotte', latDeg: 35.214, lonDeg: -80.9431, timeZone: 'America/New_York' },
  { iata: 'DTW', city: 'Detroit', latDeg: 42.2162, lonDeg: -83.3554, timeZone: 'America/Detroit' },
  { iata: 'ORD', city: 'Chicago', latDeg: 41.9742, lonDeg: -87.9073, timeZone: 'America/Chicago' },
  { iata: 'DFW', city: 'Dallas', latDeg: 32.8998, lonDeg: -97.0403, timeZone: 'America/Chicago' },
  { iata: 'IAH', city: 'Houston', latDeg: 29.9902, lonDeg: -95.3368, timeZone: 'America/Chicago' },
  { iata: 'MSP', city: 'Minneapolis', latDeg: 44.8848, lonDeg: -93.2223, timeZone: 'America/Chicago' },
  { iata: 'DEN', city: 'Denver', latDeg: 39.8561, lonDeg: -104.6737, timeZone: 'America/Denver' },
  { iata: 'PHX', city: 'Phoenix', latDeg: 33.4352, lonDeg: -112.0101, timeZone: 'America/Phoenix' },
  { iata: 'LAX', city: 'Los Angeles', latDeg: 33.9416, lonDeg: -118.4085, timeZone: 'America/Los_Angeles' },
  { iata: 'SFO', city: 'San Francisco', latDeg: 37.6213, lonDeg: -122.379, timeZone: 'America/Los_Angeles' },
  { iata: 'SEA', city: 'Seattle', latDeg: 47.4502, lonDeg: -122.3088, timeZone: 'America/Los_Angeles' },
  { iata: 'HNL', city: 'Honolulu', latDeg: 21.3187, lonDeg: -157.9225, timeZone: 'Pacific/Honolulu' },
  { iata: 'YYZ', city: 'Toronto', latDeg: 43.6777, lonDeg: -79.6248, timeZone: 'America/Toronto' },
  { iata: 'YVR', city: 'Vancouver', latDeg: 49.1967, lonDeg: -123.1815, timeZone: 'America/Vancouver' },
  { iata: 'YUL', city: 'Montreal', latDeg: 45.4706, lonDeg: -73.7408, timeZone: 'America/Toronto' },
  { iata: 'MEX', city: 'Mexico City', latDeg: 19.4361, lonDeg: -99.0719, timeZone: 'America/Mexico_City' },
  { iata: 'GRU', city: 'Sao Paulo', latDeg: -23.4356, lonDeg: -46.4731, timeZone: 'America/Sao_Paulo' },
  { iata: 'EZE', city: 'Buenos Aires', latDeg: -34.8222, lonDeg: -58.5358, timeZone: 'America/Argentina/Buenos_Aires' },
  { iata: 'BOG', city: 'Bogota', latDeg: 4.7016, lonDeg: -74.1469, timeZone: 'America/Bogota' },
  { iata: 'SCL', city: 'Santiago', latDeg: -33.393, lonDeg: -70.7858, timeZone: 'America/Santiago' },
];

export const AIRLINES: readonly Airline[] = [
  { iata: 'BA', icao: 'BAW', name: 'British Airways', hubs: ['LHR', 'LGW'] },
  { iata: 'LH', icao: 'DLH', name: 'Lufthansa', hubs: ['FRA', 'MUC'] },
  { iata: 'AF', icao: 'AFR', name: 'Air France', hubs: ['CDG'] },
  { iata: 'KL', icao: 'KLM', name: 'KLM Royal Dutch Airlines', hubs: ['AMS'] },
  { iata: 'IB', icao: 'IBE', name: 'Iberia', hubs: ['MAD'] },
  { iata: 'LX', icao: 'SWR', name: 'Swiss International Air Lines', hubs: ['ZRH'] },
  { iata: 'TK', icao: 'THY', name: 'Turkish Airlines', hubs: ['IST'] },
  { iata: 'EK', icao: 'UAE', name: 'Emirates', hubs: ['DXB'] },
  { iata: 'QR', icao: 'QTR', name: 'Qatar Airways', hubs: ['DOH'] },
  { iata: 'SQ', icao: 'SIA', name: 'Singapore Airlines', hubs: ['SIN'] },
  { iata: 'CX', icao: 'CPA', name: 'Cathay Pacific', hubs: ['HKG'] },
  { iata: 'NH', icao: 'ANA', name: 'All Nippon Airways', hubs: ['HND', 'NRT'] },
  { iata: 'QF', icao: 'QFA', name: 'Qantas', hubs: ['SYD', 'MEL'] },
  { iata: 'AA', icao: 'AAL', name: 'American Airlines', hubs: ['DFW', 'CLT', 'ORD', 'MIA'] },
  { iata: 'DL', icao: 'DAL', name: 'Delta Air Lines', hubs: ['ATL', 'DTW', 'MSP', 'JFK'] },
  { iata: 'UA', icao: 'UAL', name: 'United Airlines', hubs: ['ORD', 'DEN', 'SFO', 'EWR', 'IAH'] },
  { iata: 'AC', icao: 'ACA', name: 'Air Canada', hubs: ['YYZ', 'YVR', 'YUL'] },
];

export const AIRCRAFT_TYPES: readonly AircraftType[] = [
  { icao: 'E190', name: 'Embraer E190', cruiseSpeedKt: 447, cruiseAltitudeFt: 37000, rangeNm: 2400, widebody: false },
  { icao: 'A320', name: 'Airbus A320', cruiseSpeedKt: 447, cruiseAltitudeFt: 37000, rangeNm: 3300, widebody: false },
  { icao: 'A20N', name: 'Airbus A320neo', cruiseSpeedKt: 450, cruiseAltitudeFt: 37000, rangeNm: 3500, widebody: false },
  { icao: 'A321', name: 'Airbus A321', cruiseSpeedKt: 450, cruiseAltitudeFt: 37000, rangeNm: 3200, widebody: false },
  { icao: 'B738', name: 'Boeing 737-800', cruiseSpeedKt: 453, cruiseAltitudeFt: 37000, rangeNm: 2900, widebody: false },
  { icao: 'B38M', name: 'Boeing 737 MAX 8', cruiseSpeedKt: 453, cruiseAltitudeFt: 37000, rangeNm: 3500, widebody: false },
  { icao: 'A333', name: 'Airbus A330-300', cruiseSpeedKt: 470, cruiseAltitudeFt: 39000, rangeNm: 6350, widebody: true },
  { icao: 'B789', name: 'Boeing 787-9', cruiseSpeedKt: 488, cruiseAltitudeFt: 41000, rangeNm: 7600, widebody: true },
  { icao: 'A359', name: 'Airbus A350-900', cruiseSpeedKt: 488, cruiseAltitudeFt: 41000, rangeNm: 8100, widebody: true },
  { icao: 'B77W', name: 'Boeing 777-300ER', cruiseSpeedKt: 490, cruiseAltitudeFt: 39000, rangeNm: 7370, widebody: true },
  { icao: 'A388', name: 'Airbus A380-800', cruiseSpeedKt: 488, cruiseAltitudeFt: 41000, rangeNm: 8000, widebody: true },
];
