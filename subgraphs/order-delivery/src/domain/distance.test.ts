import { boundingBox, distanceKm, nearestWithin } from './distance';

const london = { lat: 51.5074, lng: -0.1278 };
const paris = { lat: 48.8566, lng: 2.3522 };
const within = (box: ReturnType<typeof boundingBox>, point: { lat: number; lng: number }) =>
  point.lat >= box.minLat && point.lat <= box.maxLat && box.lngRanges.some((range) => point.lng >= range.min && point.lng <= range.max);

describe('the distance rule', () => {
  it('measures great-circle distances in km', () => {
    expect(distanceKm(london, paris)).toBeCloseTo(343.6, 0);
    expect(distanceKm(london, london)).toBe(0);
    // One degree of latitude is about 111.2 km everywhere.
    expect(distanceKm({ lat: 10, lng: 20 }, { lat: 11, lng: 20 })).toBeCloseTo(111.19, 1);
    expect(distanceKm({ lat: 0, lng: 179.9 }, { lat: 0, lng: -179.9 })).toBeCloseTo(22.24, 1);
  });

  it('keeps what is within the radius, nearest first, and drops the corners of the box', () => {
    const center = { lat: 52.52, lng: 13.405 };
    const points = [
      { name: 'north 4 km', lat: 52.52 + 4 / 111.195, lng: 13.405 },
      { name: 'east 1 km', lat: 52.52, lng: 13.405 + 1 / (111.195 * Math.cos((52.52 * Math.PI) / 180)) },
      { name: 'corner (7 km)', lat: 52.52 + 4.9 / 111.195, lng: 13.405 + 4.9 / (111.195 * Math.cos((52.52 * Math.PI) / 180)) },
      { name: 'far', lat: 53.52, lng: 13.405 },
    ];
    const box = boundingBox(center, 5);
    expect(points.filter((p) => within(box, p)).map((p) => p.name)).toEqual(['north 4 km', 'east 1 km', 'corner (7 km)']);
    expect(nearestWithin(center, 5, points, (p) => p).map((entry) => entry.item.name)).toEqual(['east 1 km', 'north 4 km']);
    expect(nearestWithin(center, 5, points, (p) => p)[1]!.distanceKm).toBeCloseTo(4, 2);
  });

  it('includes a point exactly at the radius', () => {
    const center = { lat: 0, lng: 0 };
    const edge = { lat: 0, lng: 1 };
    expect(nearestWithin(center, distanceKm(center, edge), [edge], (p) => p)).toHaveLength(1);
  });

  it('never leaves a point within the radius outside the box, at any latitude', () => {
    for (const lat of [-89.9, -60, -1, 0, 35, 70, 85, 89.99]) {
      for (const radius of [0.5, 5, 50]) {
        const center = { lat, lng: 10 };
        for (let bearing = 0; bearing < 360; bearing += 15) {
          // A point at 99.9 % of the radius along each bearing (destination-point formula).
          const d = (radius * 0.999) / 6371.0088;
          const b = (bearing * Math.PI) / 180;
          const φ1 = (lat * Math.PI) / 180;
          const φ2 = Math.asin(Math.sin(φ1) * Math.cos(d) + Math.cos(φ1) * Math.sin(d) * Math.cos(b));
          const λ2 = 10 + (Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(φ1), Math.cos(d) - Math.sin(φ1) * Math.sin(φ2)) * 180) / Math.PI;
          const point = { lat: (φ2 * 180) / Math.PI, lng: ((λ2 + 540) % 360) - 180 };
          expect(distanceKm(center, point)).toBeLessThanOrEqual(radius);
          expect(within(boundingBox(center, radius), point)).toBe(true);
        }
      }
    }
  });

  it('splits the box at the antimeridian and covers every longitude near a pole', () => {
    expect(boundingBox({ lat: 0, lng: 179.95 }, 20).lngRanges).toEqual([
      { min: expect.closeTo(179.77, 2), max: 180 },
      { min: -180, max: expect.closeTo(-179.87, 2) },
    ]);
    expect(boundingBox({ lat: 0, lng: -179.95 }, 20).lngRanges).toHaveLength(2);
    expect(boundingBox({ lat: 89.9, lng: 0 }, 50)).toMatchObject({ maxLat: 90, lngRanges: [{ min: -180, max: 180 }] });
    expect(within(boundingBox({ lat: 0, lng: 179.95 }, 20), { lat: 0, lng: -179.95 })).toBe(true);
  });
});
