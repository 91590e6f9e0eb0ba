// Geometry on the page: reading an uploaded area, its area in km², and bounds that
// stay narrow for areas across ±180° (Fiji, Russia, Kiribati…).

const EARTH_RADIUS_KM = 6371.0088; // the mean radius (IUGG)

// Polygons ([rings of [lng, lat]]) of a GeoJSON geometry, Feature or FeatureCollection;
// a reason in words when it has none or a ring is not closed, as the API would say.
export function polygonsOf(geojson) {
  const polygons = [];
  const visit = (node) => {
    if (!node || typeof node !== "object") throw new Error("this is not GeoJSON: no geometry was found in it");
    switch (node.type) {
      case "FeatureCollection":
        if (!Array.isArray(node.features) || !node.features.length) throw new Error("the collection has no features");
        node.features.forEach(visit);
        return;
      case "Feature":
        if (!node.geometry) throw new Error("a feature has no geometry");
        visit(node.geometry);
        return;
      case "GeometryCollection":
        (node.geometries || []).forEach(visit);
        return;
      case "Polygon":
        polygons.push(node.coordinates);
        return;
      case "MultiPolygon":
        polygons.push(...node.coordinates);
        return;
      case "Point":
      case "MultiPoint":
        throw new Error("a point has no area: upload a Polygon or MultiPolygon");
      case "LineString":
      case "MultiLineString":
        throw new Error("a line has no area: upload a Polygon or MultiPolygon");
      default:
        throw new Error(`“${String(node.type).slice(0, 40)}” is not a GeoJSON type: upload a Polygon or MultiPolygon`);
    }
  };
  visit(geojson);
  if (!polygons.length) throw new Error("there is no polygon in it: upload a Polygon or MultiPolygon");
  polygons.forEach((rings, p) => {
    if (!Array.isArray(rings) || !rings.length) throw new Error(`polygon ${p + 1} has no corners`);
    rings.forEach((ring, r) => {
      const where = `${r ? `hole ${r}` : "the outline"} of polygon ${p + 1}`;
      const first = ring[0] || [];
      const last = ring[ring.length - 1] || [];
      if (ring.length < 4 || first[0] !== last[0] || first[1] !== last[1]) {
        throw new Error(
          `${where} is not closed: a ring needs at least 4 positions, the last the same as the first (it has ${ring.length})`,
        );
      }
    });
  });
  return polygons;
}

// A ring's area on the sphere, in km² (the spherical excess of its edges, each taken
// as a great circle; close to the service's ellipsoidal figure for any size).
function ringKm2(ring) {
  const rad = Math.PI / 180;
  let sum = 0;
  for (let i = 0; i < ring.length - 1; i += 1) {
    const [lng1, lat1] = ring[i];
    const [lng2, lat2] = ring[i + 1];
    let dLng = (lng2 - lng1) * rad;
    if (dLng > Math.PI) dLng -= 2 * Math.PI; // an edge across ±180° is the short way round
    if (dLng < -Math.PI) dLng += 2 * Math.PI;
    sum += dLng * (2 + Math.sin(lat1 * rad) + Math.sin(lat2 * rad));
  }
  return Math.abs((sum * EARTH_RADIUS_KM * EARTH_RADIUS_KM) / 2);
}

// Holes subtracted.
export function areaKm2(polygons) {
  return polygons.reduce(
    (total, [outline, ...holes]) => total + ringKm2(outline) - holes.reduce((sum, hole) => sum + ringKm2(hole), 0),
    0,
  );
}

function longitudes(geojson, into = []) {
  if (Array.isArray(geojson) && typeof geojson[0] === "number") {
    into.push(geojson);
  } else if (Array.isArray(geojson)) {
    for (const item of geojson) longitudes(item, into);
  } else if (geojson && typeof geojson === "object") {
    longitudes(geojson.coordinates || geojson.geometry || geojson.features || geojson.geometries || [], into);
  }
  return into;
}

// [[south, west], [north, east]] of a GeoJSON object. Longitudes are read in 0..360
// when that makes the box narrower (Fiji: 177°…182° rather than -180°…180°), so east
// may pass 180: Leaflet draws and fits such boxes as they are.
export function boundsOf(geojson) {
  const points = longitudes(geojson);
  if (!points.length) return null;
  const lats = points.map((p) => p[1]);
  const plain = points.map((p) => p[0]);
  const wrapped = plain.map((lng) => (lng < 0 ? lng + 360 : lng));
  const span = (values) => Math.max(...values) - Math.min(...values);
  // Only an area wider than half the world can be narrower the other way round.
  const lngs = span(plain) > 180 && span(wrapped) < span(plain) ? wrapped : plain;
  return [
    [Math.min(...lats), Math.min(...lngs)],
    [Math.max(...lats), Math.max(...lngs)],
  ];
}

// Whether an area's narrowest bounds pass 180° (see boundsOf).
export function wraps(geojson) {
  const bounds = boundsOf(geojson);
  return Boolean(bounds) && bounds[1][1] > 180;
}

// The same GeoJSON with its longitudes moved: `move` maps one longitude to another.
function movedLongitudes(geojson, move) {
  const moved = (node) => {
    if (Array.isArray(node) && typeof node[0] === "number") return [move(node[0]), ...node.slice(1)];
    if (Array.isArray(node)) return node.map(moved);
    if (node && typeof node === "object") {
      const copy = { ...node };
      for (const key of ["coordinates", "geometry", "features", "geometries"]) if (key in copy) copy[key] = moved(copy[key]);
      return copy;
    }
    return node;
  };
  return moved(geojson);
}

// The same GeoJSON with western longitudes moved east by 360° when its bounds wrap
// (or when told to: the units of a country across ±180°), so it is drawn in one piece.
export function unwrapped(geojson, shift = wraps(geojson)) {
  return shift ? movedLongitudes(geojson, (lng) => (lng < 0 ? lng + 360 : lng)) : geojson;
}

// The same GeoJSON one world to the west (a copy for views centred west of 180°).
export function westCopy(geojson) {
  return movedLongitudes(geojson, (lng) => lng - 360);
}

export function formatKm2(km2) {
  const digits = km2 < 10 ? 2 : 0;
  return `${km2.toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: digits })} km²`;
}
