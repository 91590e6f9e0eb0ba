// Choosing an area: a boundary from search or the map, an upload or a drawing.
import { scheduleEstimate } from "./catalogue.js";
import { $, call, el, SEARCH_DELAY_MS, state } from "./core.js";
import { highlight, map, styles } from "./map.js";

let customLayer = null;
let sketch = null;

// ---- choosing an area -------------------------------------------------------

export function chooseBoundary(boundary) {
  state.boundary = boundary;
  state.area = null;
  if (customLayer) customLayer.remove();
  $("selected").textContent = `Chosen: ${boundary.name_long} (${boundary.name})`;
  highlight(boundary.name);
  scheduleEstimate();
}

export function chooseArea(geojson, description) {
  state.area = geojson;
  state.boundary = null;
  highlight(null);
  if (customLayer) customLayer.remove();
  customLayer = L.geoJSON(geojson, { style: () => styles.chosen }).addTo(map);
  map.fitBounds(customLayer.getBounds(), { maxZoom: 8, padding: [20, 20] });
  $("selected").textContent = `Chosen: ${description}`;
  scheduleEstimate();
}

let searchTimer = null;
export function onSearchInput() {
  clearTimeout(searchTimer);
  const text = $("search").value.trim();
  if (!text) {
    $("search-results").replaceChildren();
    return;
  }
  searchTimer = setTimeout(async () => {
    const found = await call(`v1/boundaries/search?name=${encodeURIComponent(text)}`);
    if ($("search").value.trim() !== text) return; // a newer search is on its way
    const items = found.slice(0, 20).map((boundary) =>
      el(
        "li",
        {},
        el("button", {
          type: "button",
          text: `${boundary.name_long} (${boundary.name})`,
          onclick: () => {
            chooseBoundary(boundary);
            $("search-results").replaceChildren();
          },
        }),
      ),
    );
    if (!items.length) items.push(el("li", { class: "hint", text: "No boundary matches." }));
    $("search-results").replaceChildren(...items);
  }, SEARCH_DELAY_MS);
}

export async function onFileChosen(event) {
  const [file] = event.target.files;
  if (!file) return;
  try {
    const geojson = JSON.parse(await file.text());
    chooseArea(geojson, `your area from ${file.name}`);
    $("custom-status").textContent = "";
  } catch (error) {
    $("custom-status").textContent = `That file is not GeoJSON: ${error.message}`;
  }
}

export function startDrawing() {
  state.drawing = [];
  $("draw-finish").hidden = false;
  $("custom-status").textContent = "Click the map to add corners, then press “Finish the shape”.";
}

export function addVertex(latlng) {
  state.drawing.push([latlng.lat, latlng.lng]);
  if (sketch) sketch.remove();
  sketch = L.polygon(state.drawing, styles.chosen).addTo(map);
}

export function finishDrawing() {
  const corners = state.drawing || [];
  state.drawing = null;
  $("draw-finish").hidden = true;
  if (sketch) sketch.remove();
  if (corners.length < 3) {
    $("custom-status").textContent = "A shape needs at least three corners.";
    return;
  }
  const ring = [...corners, corners[0]].map(([lat, lng]) => [lng, lat]);
  chooseArea({ type: "Polygon", coordinates: [ring] }, "the area you drew");
  $("custom-status").textContent = "";
}
