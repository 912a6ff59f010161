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

  it('gives a point and its track at once that agree with pointAt and trackAt, also across the antimeridian and near a pole', () => {
    // GIVEN routes east, west, over the antimeridian and close to the North Pole
    const routes = [
      new GreatCircleRoute(LHR, JFK),
      new GreatCircleRoute(JFK, LHR),
      new GreatCircleRoute({ latDeg: 35.5494, lonDeg: 139.7798 }, { latDeg: 37.6213, lonDeg: -122.379 }),
      new GreatCircleRoute({ latDeg: 61.17, lonDeg: -150.0 }, { latDeg: 60.0, lonDeg: 30.0 }),
      new GreatCircleRoute({ latDeg: -33.9461, lonDeg: 151.1772 }, { latDeg: -37.6733, lonDeg: 144.8433 }),
    ];
    for (const route of routes) {
      for (const fraction of [-0.1, 0, 1e-9, 0.001, 0.25, 0.5, 0.75, 0.999, 1, 1.1]) {
        // WHEN asked for both
        const both = route.pointAndTrackAt(fraction);
        const point = route.pointAt(fraction);
        // THEN the point is pointAt's exactly, and the track trackAt's within 1e-9 degrees (modulo 360)
        expect({ latDeg: both.latDeg, lonDeg: both.lonDeg }).toStrictEqual({ latDeg: point.latDeg, lonDeg: point.lonDeg });
        const diff = Math.abs(both.trackDeg - route.trackAt(fraction));
        expect(Math.min(diff, 360 - diff)).toBeLessThan(1e-9);
        expect(both.trackDeg).toBeGreaterThanOrEqual(0);
        expect(both.trackDeg).toBeLessThan(360);
      }
    }
  });
});
