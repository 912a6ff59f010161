import { describe, expect, it } from 'vitest';
import { distanceNm, GreatCircleRoute, initialBearingDeg } from '../../producer/src/great-circle.ts';

const LHR = { latDeg: 51.47, lonDeg: -0.4543 };
const JFK = { latDeg: 40.6413, lonDeg: -73.7781 };

describe('great-circle geometry', () => {
  it('measures London Heathrow to New York JFK as about 2,990 nm', () => {
    expect(distanceNm(LHR.latDeg, LHR.lonDeg, JFK.latDeg, JFK.lonDeg)).toBeCloseTo(2991, -1);
  });

  it('starts the LHR-JFK route heading west-north-west', () => {
    expect(initialBearingDeg(LHR.latDeg, LHR.lonDeg, JFK.latDeg, JFK.lonDeg)).toBeCloseTo(288.3, 0);
  });

  it('interpolates points that split the route in the requested proportion', () => {
    const route = new GreatCircleRoute(LHR, JFK);
    for (const fraction of [0, 0.25, 0.5, 0.9, 1]) {
      const p = route.pointAt(fraction);
      expect(distanceNm(LHR.latDeg, LHR.lonDeg, p.latDeg, p.lonDeg)).toBeCloseTo(route.distanceNm * fraction, 3);
      expect(distanceNm(p.latDeg, p.lonDeg, JFK.latDeg, JFK.lonDeg)).toBeCloseTo(route.distanceNm * (1 - fraction), 3);
    }
    // the great circle bulges north of both ends
    expect(route.pointAt(0.5).latDeg).toBeGreaterThan(LHR.latDeg);
  });

  it('crosses the antimeridian with longitudes kept in [-180, 180]', () => {
    const route = new GreatCircleRoute({ latDeg: 35.5494, lonDeg: 139.7798 }, { latDeg: 37.6213, lonDeg: -122.379 });
    for (let f = 0; f <= 1; f += 0.05) {
      const p = route.pointAt(f);
      expect(Math.abs(p.lonDeg)).toBeLessThanOrEqual(180);
    }
    const heading = route.trackAt(1);
    expect(heading).toBeGreaterThanOrEqual(0);
    expect(heading).toBeLessThan(360);
  });
});
