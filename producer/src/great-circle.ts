/** Great-circle geometry on a spherical Earth: distances, bearings and points along a route. */

/** Mean Earth radius, nautical miles. */
export const EARTH_RADIUS_NM = 3440.065;

const DEG = Math.PI / 180;

/** Normalises an angle in degrees to [0, 360). */
export function normaliseBearingDeg(deg: number): number {
  const d = deg % 360;
  const n = d < 0 ? d + 360 : d;
  return n >= 360 ? 0 : n;
}

/** Great-circle distance between two points, nautical miles (haversine). */
export function distanceNm(lat1Deg: number, lon1Deg: number, lat2Deg: number, lon2Deg: number): number {
  const phi1 = lat1Deg * DEG;
  const phi2 = lat2Deg * DEG;
  const dPhi = phi2 - phi1;
  const dLambda = (lon2Deg - lon1Deg) * DEG;
  const h = Math.sin(dPhi / 2) ** 2 + Math.cos(phi1) * Math.cos(phi2) * Math.sin(dLambda / 2) ** 2;
  return 2 * EARTH_RADIUS_NM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Initial true bearing from point 1 towards point 2, degrees in [0, 360). */
export function initialBearingDeg(lat1Deg: number, lon1Deg: number, lat2Deg: number, lon2Deg: number): number {
  const phi1 = lat1Deg * DEG;
  const phi2 = lat2Deg * DEG;
  const dLambda = (lon2Deg - lon1Deg) * DEG;
  const y = Math.sin(dLambda) * Math.cos(phi2);
  const x = Math.cos(phi1) * Math.sin(phi2) - Math.sin(phi1) * Math.cos(phi2) * Math.cos(dLambda);
  return normaliseBearingDeg(Math.atan2(y, x) / DEG);
}

export interface GeoPoint {
  readonly latDeg: number;
  readonly lonDeg: number;
}

/** The shortest path between two distinct points, with the trigonometry done once. */
export class GreatCircleRoute {
  /** Route length, nautical miles. */
  readonly distanceNm: number;
  readonly #from: GeoPoint;
  readonly #to: GeoPoint;
  /** Angular distance, radians. */
  readonly #delta: number;
  readonly #sinDelta: number;
  // Unit vectors of both ends (Earth-centred Cartesian).
  readonly #a: readonly [number, number, number];
  readonly #b: readonly [number, number, number];

  constructor(from: GeoPoint, to: GeoPoint) {
    this.#from = from;
    this.#to = to;
    this.distanceNm = distanceNm(from.latDeg, from.lonDeg, to.latDeg, to.lonDeg);
    this.#delta = this.distanceNm / EARTH_RADIUS_NM;
    this.#sinDelta = Math.sin(this.#delta);
    this.#a = toUnitVector(from);
    this.#b = toUnitVector(to);
  }

  /** The point a given fraction (0 = start, 1 = end) of the way along the route. */
  pointAt(fraction: number): GeoPoint {
    if (fraction <= 0 || this.#sinDelta < 1e-12) return this.#from;
    if (fraction >= 1) return this.#to;
    const wa = Math.sin((1 - fraction) * this.#delta) / this.#sinDelta;
    const wb = Math.sin(fraction * this.#delta) / this.#sinDelta;
    const x = wa * this.#a[0] + wb * this.#b[0];
    const y = wa * this.#a[1] + wb * this.#b[1];
    const z = wa * this.#a[2] + wb * this.#b[2];
    return {
      latDeg: Math.atan2(z, Math.sqrt(x * x + y * y)) / DEG,
      lonDeg: Math.atan2(y, x) / DEG,
    };
  }

  /** True track over ground at a point a given fraction along the route, degrees in [0, 360). */
  trackAt(fraction: number): number {
    if (fraction >= 1) {
      // At the end there is nothing left to aim at: use the final bearing (reverse of the way back).
      return normaliseBearingDeg(
        initialBearingDeg(this.#to.latDeg, this.#to.lonDeg, this.#from.latDeg, this.#from.lonDeg) + 180,
      );
    }
    const p = this.pointAt(fraction);
    return initialBearingDeg(p.latDeg, p.lonDeg, this.#to.latDeg, this.#to.lonDeg);
  }
}

function toUnitVector(p: GeoPoint): [number, number, number] {
  const phi = p.latDeg * DEG;
  const lambda = p.lonDeg * DEG;
  return [Math.cos(phi) * Math.cos(lambda), Math.cos(phi) * Math.sin(lambda), Math.sin(phi)];
}
