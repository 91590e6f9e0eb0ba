// The map of boundaries.
import { chooseBoundary } from "./area.js";
import { call, el, state } from "./core.js";
import { addPoint } from "./draw.js";
import { renderJobs } from "./follow.js";
import { boundsOf, unwrapped, westCopy } from "./geo.js";

// ---- the map ----------------------------------------------------------------

export const styles = {
  plain: { color: "#5b6875", weight: 0.6, fillColor: "#f7f5ef", fillOpacity: 1 },
  chosen: { color: "#0b6e4f", weight: 2, fillColor: "#9fd8bf", fillOpacity: 1 },
  // The chosen area drawn over everything else (admin units included), in one piece.
  outline: { color: "#0b6e4f", weight: 3, fillColor: "#9fd8bf", fillOpacity: 0.35, interactive: false },
  unit: { color: "#8a5a00", weight: 1, fillColor: "#fff3d6", fillOpacity: 0.75 },
  unitHover: { color: "#8a5a00", weight: 2.5, fillColor: "#ffe2a3", fillOpacity: 0.85 },
};
export let map = null;
let outline = null;

export function setUpMap() {
  map = L.map("map", { preferCanvas: true, minZoom: 1, worldCopyJump: true }).setView([10, 0], 2);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Boundaries: Natural Earth (public domain), geoBoundaries (admin units)");
  map.on("click", (event) => {
    if (state.drawing) addPoint(event.latlng);
  });
  call("v1/boundaries/simplified").then((collection) => {
    L.geoJSON(collection, {
      style: () => styles.plain,
      onEachFeature: (feature, layer) => {
        const { name, name_long: nameLong } = feature.properties;
        state.names.set(name, nameLong);
        state.layers.set(name, layer);
        // A string would be read as HTML by Leaflet, and long names come from uploads.
        layer.bindTooltip(el("span", { text: nameLong }), { sticky: true });
        layer.on("click", () => {
          if (!state.drawing) chooseBoundary({ ...feature.properties });
        });
      },
    })
      .addTo(map)
      // An area chosen before the layer arrived (a slow network) stays drawn above it.
      .bringToBack();
    renderJobs();
  });
}

// Fit the map to a GeoJSON object, across ±180° too (see boundsOf). A box centred east
// of 180° (the USA: 172°…294°) is fitted one world to the west, where the base map is.
export function fitArea(geojson, maxZoom = 8) {
  const bounds = boundsOf(geojson);
  if (!bounds) return;
  const [[south, west], [north, east]] = bounds;
  const shift = (west + east) / 2 > 180 ? 360 : 0;
  map.fitBounds(
    [
      [south, west - shift],
      [north, east - shift],
    ],
    { maxZoom, padding: [20, 20] },
  );
}

// Draw the chosen area (GeoJSON, or null for none) on top, and fit the map to it. An
// area across ±180° is drawn in one piece, twice: either side of 180°.
export function showChosen(geojson, { fit = true } = {}) {
  if (outline) outline.remove();
  outline = null;
  if (!geojson) return;
  const whole = unwrapped(geojson);
  const copies = whole === geojson ? [geojson] : [whole, westCopy(whole)];
  outline = L.geoJSON(copies, { style: () => styles.outline, interactive: false }).addTo(map);
  if (fit) fitArea(geojson);
}

// Keep the chosen area's outline above admin units drawn after it.
export function raiseChosen() {
  if (outline) outline.bringToFront();
}

// Colour one country of the base map as chosen (or none).
export function highlight(name) {
  for (const [key, layer] of state.layers) layer.setStyle(key === name ? styles.chosen : styles.plain);
}
