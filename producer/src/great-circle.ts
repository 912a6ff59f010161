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
  return bearingTowardsDeg(lat1Deg, lon1Deg, lon2Deg, Math.sin(lat2Deg * DEG), Math.cos(lat2Deg * DEG));
}

/** initialBearingDeg with point 2's latitude given as its sine and cosine (a route keeps them). */
function bearingTowardsDeg(lat1Deg: number, lon1Deg: number, lon2Deg: number, sinPhi2: number, cosPhi2: number): number {
  const phi1 = lat1Deg * DEG;
  const dLambda = (lon2Deg - lon1Deg) * DEG;
  const y = Math.sin(dLambda) * cosPhi2;
  const x = Math.cos(phi1) * sinPhi2 - Math.sin(phi1) * cosPhi2 * Math.cos(dLambda);
  return normaliseBearingDeg(Math.atan2(y, x) / DEG);
}

export interface GeoPoint {
  readonly latDeg: number;
  readonly lonDeg: number;
}

/**
 * The shortest path between two distinct points, with the trigonometry done once. The simulator
 * asks each airborne flight's route for a point and a track per event, so what those need is kept
 * as plain numbers on the route itself (one object, a few cache lines).
 */
export class GreatCircleRoute {
  /** Route length, nautical miles. */
  readonly distanceNm: number;
  readonly #from: GeoPoint;
  readonly #to: GeoPoint;
  /** Angular distance, radians. */
  readonly #delta: number;
  readonly #sinDelta: number;
  // Unit vectors of both ends (Earth-centred Cartesian).
  readonly #ax: number;
  readonly #ay: number;
  readonly #az: number;
  readonly #bx: number;
  readonly #by: number;
  readonly #bz: number;
  // The end's longitude and the sine and cosine of its latitude, for bearings towards it.
  readonly #toLonDeg: number;
  readonly #sinToLat: number;
  readonly #cosToLat: number;

  constructor(from: GeoPoint, to: GeoPoint) {
    this.#from = from;
    this.#to = to;
    this.distanceNm = distanceNm(from.latDeg, from.lonDeg, to.latDeg, to.lonDeg);
    this.#delta = this.distanceNm / EARTH_RADIUS_NM;
    this.#sinDelta = Math.sin(this.#delta);
    [this.#ax, this.#ay, this.#az] = toUnitVector(from);
    [this.#bx, this.#by, this.#bz] = toUnitVector(to);
    this.#toLonDeg = to.lonDeg;
    this.#sinToLat = Math.sin(to.latDeg * DEG);
    this.#cosToLat = Math.cos(to.latDeg * DEG);
  }

  /** The point a given fraction (0 = start, 1 = end) of the way along the route. */
  pointAt(fraction: number): GeoPoint {
    if (fraction <= 0 || this.#sinDelta < 1e-12) return this.#from;
    if (fraction >= 1) return this.#to;
    const wa = Math.sin((1 - fraction) * this.#delta) / this.#sinDelta;
    const wb = Math.sin(fraction * this.#delta) / this.#sinDelta;
    const x = wa * this.#ax + wb * this.#bx;
    const y = wa * this.#ay + wb * this.#by;
    const z = wa * this.#az + wb * this.#bz;
    return {
      latDeg: Math.atan2(z, Math.sqrt(x * x + y * y)) / DEG,
      lonDeg: Math.atan2(y, x) / DEG,
    };
  }

  /**
   * pointAt(fraction) and trackAt(fraction) at once, for a point strictly inside the route. The
   * track comes from the point's unit vector instead of its degrees: atan2 of the destination's
   * east and north components there, one transcendental call instead of five (the simulator asks
   * this for every position report). It agrees with trackAt to ~1e-12 degrees.
   */
  pointAndTrackAt(fraction: number): GeoPoint & { readonly trackDeg: number } {
    if (fraction <= 0 || fraction >= 1 || this.#sinDelta < 1e-12) {
      const point = this.pointAt(fraction);
      return { latDeg: point.latDeg, lonDeg: point.lonDeg, trackDeg: this.trackAt(fraction, point) };
    }
    const wa = Math.sin((1 - fraction) * this.#delta) / this.#sinDelta;
    const wb = Math.sin(fraction * this.#delta) / this.#sinDelta;
    const x = wa * this.#ax + wb * this.#bx;
    const y = wa * this.#ay + wb * this.#by;
    const z = wa * this.#az + wb * this.#bz;
    const r2 = x * x + y * y;
    // With the point p = (x, y, z): east ~ (-y, x, 0), north ~ (-z x, -z y, x^2 + y^2), both scaled by |(x, y)|.
    const east = this.#by * x - this.#bx * y;
    const north = this.#bz * r2 - z * (this.#bx * x + this.#by * y);
    return {
      latDeg: Math.atan2(z, Math.sqrt(r2)) / DEG,
      lonDeg: Math.atan2(y, x) / DEG,
      trackDeg: normaliseBearingDeg(Math.atan2(east, north) / DEG),
    };
  }

  /**
   * True track over ground at a point a given fraction along the route, degrees in [0, 360).
   * `point` is pointAt(fraction), when the caller has it already.
   */
  trackAt(fraction: number, point?: GeoPoint): number {
    if (fraction >= 1) {
      // At the end there is nothing left to aim at: use the final bearing (reverse of the way back).
      return normaliseBearingDeg(
        initialBearingDeg(this.#to.latDeg, this.#to.lonDeg, this.#from.latDeg, this.#from.lonDeg) + 180,
      );
    }
    const p = point ?? this.pointAt(fraction);
    return bearingTowardsDeg(p.latDeg, p.lonDeg, this.#toLonDeg, this.#sinToLat, this.#cosToLat);
  }
}

function toUnitVector(p: GeoPoint): [number, number, number] {
  const phi = p.latDeg * DEG;
  const lambda = p.lonDeg * DEG;
  return [Math.cos(phi) * Math.cos(lambda), Math.cos(phi) * Math.sin(lambda), Math.sin(phi)];
}
