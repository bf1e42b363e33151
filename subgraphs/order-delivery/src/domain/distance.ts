export interface GeoPoint {
  lat: number;
  lng: number;
}

/** Mean Earth radius (IUGG), in km. */
const earthRadiusKm = 6371.0088;

const radians = (degrees: number) => (degrees * Math.PI) / 180;
const degrees = (radians: number) => (radians * 180) / Math.PI;

/** Great-circle distance in km (haversine: stable for the short distances couriers ride). */
export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  const dLat = radians(b.lat - a.lat);
  const dLng = radians(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * earthRadiusKm * Math.asin(Math.min(1, Math.sqrt(h)));
}

interface LngRange {
  min: number;
  max: number;
}

/** A latitude band and one or two longitude ranges (two when the box crosses the antimeridian). */
export interface BoundingBox {
  minLat: number;
  maxLat: number;
  lngRanges: LngRange[];
}

/**
 * The smallest lat/lng box that holds every point within `radiusKm` of `center`, for an index range
 * scan in SQL; the exact distance filters its corners out afterwards. Longitude spread per
 * J. Matuschek, "Finding Points Within a Distance of a Latitude/Longitude Using Bounding Coordinates":
 * a circle that reaches a pole covers every longitude, and one over the antimeridian needs two ranges.
 */
export function boundingBox(center: GeoPoint, radiusKm: number): BoundingBox {
  const angular = radiusKm / earthRadiusKm;
  const lat = radians(center.lat);
  const minLat = lat - angular;
  const maxLat = lat + angular;
  if (minLat <= -Math.PI / 2 || maxLat >= Math.PI / 2) {
    return { minLat: Math.max(degrees(minLat), -90), maxLat: Math.min(degrees(maxLat), 90), lngRanges: [{ min: -180, max: 180 }] };
  }
  const spread = degrees(Math.asin(Math.sin(angular) / Math.cos(lat)));
  const min = center.lng - spread;
  const max = center.lng + spread;
  const lngRanges = min < -180 ? [{ min: min + 360, max: 180 }, { min: -180, max }] : max > 180 ? [{ min, max: 180 }, { min: -180, max: max - 360 }] : [{ min, max }];
  return { minLat: degrees(minLat), maxLat: degrees(maxLat), lngRanges };
}

/** Points within `radiusKm` of `center`, nearest first (ties keep their given order), with their distance. */
export function nearestWithin<T>(center: GeoPoint, radiusKm: number, candidates: readonly T[], pointOf: (candidate: T) => GeoPoint): { item: T; distanceKm: number }[] {
  return candidates
    .map((item) => ({ item, distanceKm: distanceKm(center, pointOf(item)) }))
    .filter((entry) => entry.distanceKm <= radiusKm)
    .sort((a, b) => a.distanceKm - b.distanceKm);
}
