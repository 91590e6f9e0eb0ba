// The map of boundaries.
import { addVertex, chooseBoundary } from "./area.js";
import { call, el, state } from "./core.js";
import { renderJobs } from "./follow.js";

// ---- the map ----------------------------------------------------------------

export const styles = {
  plain: { color: "#5b6875", weight: 0.6, fillColor: "#f7f5ef", fillOpacity: 1 },
  chosen: { color: "#0b6e4f", weight: 2, fillColor: "#9fd8bf", fillOpacity: 1 },
};
export let map = null;

export function setUpMap() {
  map = L.map("map", { preferCanvas: true, minZoom: 1, worldCopyJump: true }).setView([10, 0], 2);
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Boundaries: Natural Earth (public domain)");
  map.on("click", (event) => {
    if (state.drawing) addVertex(event.latlng);
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
          if (!state.drawing) chooseBoundary({ name, name_long: nameLong });
        });
      },
    }).addTo(map);
    renderJobs();
  });
}

export function highlight(name) {
  for (const [key, layer] of state.layers) layer.setStyle(key === name ? styles.chosen : styles.plain);
  const layer = state.layers.get(name);
  if (layer) map.fitBounds(layer.getBounds(), { maxZoom: 6, padding: [20, 20] });
}
