// Drawing an area on the map: a polygon corner by corner or a rectangle from two
// corners; then its corners can be dragged, and "Undo" takes back the last corner
// (while drawing) or the last move (after). The area is read out in km² beside the
// service's limit.
import { chooseArea } from "./area.js";
import { $, el, state } from "./core.js";
import { areaKm2, formatKm2 } from "./geo.js";
import { map, styles } from "./map.js";

let mode = null; // "polygon" or "rectangle" while drawing
let sketch = null; // the shape being drawn or dragged
let handles = []; // draggable corner markers of the drawn area
let corners = null; // the drawn area's corners, [lat, lng]
let history = []; // earlier corners, for "Undo"

const HINTS = {
  polygon: "Click the map to add corners, then press “Finish the shape”. “Undo” takes back the last corner.",
  rectangle: "Click the map at one corner of the rectangle, then at the opposite corner.",
};

// Longitudes as GeoJSON wants them, wherever on the world's copies the click was.
const wrapLng = (lng) => ((((lng + 180) % 360) + 360) % 360) - 180;

function polygonOf(points) {
  const ring = points.map(([lat, lng]) => [wrapLng(lng), lat]);
  return { type: "Polygon", coordinates: [[...ring, ring[0]]] };
}

function say(text, isError = false) {
  $("custom-status").textContent = text;
  $("custom-status").classList.toggle("error", isError);
}

function updateButtons() {
  $("draw-finish").hidden = mode !== "polygon";
  $("draw-undo").disabled = !((state.drawing && state.drawing.length) || history.length);
  $("draw").setAttribute("aria-pressed", String(mode === "polygon"));
  $("draw-rectangle").setAttribute("aria-pressed", String(mode === "rectangle"));
}

function removeSketch() {
  if (sketch) sketch.remove();
  sketch = null;
}

function removeHandles() {
  for (const handle of handles) handle.remove();
  handles = [];
}

// Stop drawing and editing (another area was chosen); the readout goes too.
export function endDrawing() {
  mode = null;
  state.drawing = null;
  corners = null;
  history = [];
  removeSketch();
  removeHandles();
  $("area-readout").replaceChildren();
  $("area-readout").classList.remove("error");
  updateButtons();
}

export function startDrawing(kind) {
  endDrawing();
  mode = kind;
  state.drawing = [];
  say(HINTS[kind]);
  updateButtons();
}

export function addPoint(latlng) {
  state.drawing.push([latlng.lat, latlng.lng]);
  if (mode === "rectangle") {
    if (state.drawing.length === 1) {
      removeSketch();
      sketch = L.circleMarker(latlng, { radius: 5, ...styles.chosen }).addTo(map);
      say("Now click the opposite corner.");
      updateButtons();
      return;
    }
    const [[lat1, lng1], [lat2, lng2]] = state.drawing;
    return finish([
      [lat1, lng1],
      [lat1, lng2],
      [lat2, lng2],
      [lat2, lng1],
    ]);
  }
  removeSketch();
  sketch = L.polygon(state.drawing, styles.chosen).addTo(map);
  if (state.drawing.length >= 3) showAreaReadout(areaKm2([polygonOf(state.drawing).coordinates]));
  updateButtons();
}

export function finishDrawing() {
  const points = state.drawing || [];
  if (points.length < 3) {
    say("A shape needs at least three corners: click the map to add them.", true);
    return;
  }
  finish(points);
}

function finish(points) {
  mode = null;
  state.drawing = null;
  corners = points.map((point) => [...point]);
  history = [];
  removeSketch();
  say("Drag a corner to move it; “Undo” takes the move back.");
  apply({ fit: true });
}

// Choose the drawn corners as the area, with a handle on each corner.
function apply({ fit }) {
  const geojson = polygonOf(corners);
  chooseArea(geojson, "the area you drew", { fit });
  removeHandles();
  handles = corners.map((corner, index) => {
    const handle = L.marker(corner, {
      draggable: true,
      keyboard: false,
      title: `Corner ${index + 1}: drag to move it`,
      icon: L.divIcon({ className: "vertex-handle", iconSize: [16, 16] }),
    }).addTo(map);
    handle.on("drag", () => {
      const moved = corners.map((c, i) => (i === index ? [handle.getLatLng().lat, handle.getLatLng().lng] : c));
      removeSketch();
      sketch = L.polygon(moved, { ...styles.chosen, fillOpacity: 0.2, dashArray: "4 4" }).addTo(map);
    });
    handle.on("dragend", () => {
      const { lat, lng } = handle.getLatLng();
      history.push(corners.map((c) => [...c]));
      corners = corners.map((c, i) => (i === index ? [lat, lng] : c));
      removeSketch();
      apply({ fit: false });
    });
    return handle;
  });
  showAreaReadout(areaKm2([geojson.coordinates]));
  updateButtons();
}

export function undo() {
  if (state.drawing && state.drawing.length) {
    state.drawing.pop();
    removeSketch();
    if (state.drawing.length) {
      sketch = mode === "rectangle" ? L.circleMarker(state.drawing[0], { radius: 5, ...styles.chosen }) : L.polygon(state.drawing, styles.chosen);
      sketch.addTo(map);
    }
    if (state.drawing.length < 3) $("area-readout").replaceChildren();
    else showAreaReadout(areaKm2([polygonOf(state.drawing).coordinates]));
    updateButtons();
    return;
  }
  if (history.length) {
    corners = history.pop();
    apply({ fit: false });
  }
}

// "Area: 1,234 km²", against the service's limit when it is known.
export function showAreaReadout(km2) {
  const max = state.limits?.max_area_km2;
  const parts = [`Area: ${formatKm2(km2)}`];
  const over = Boolean(max) && km2 > max;
  if (max) parts.push(over ? ` — over this service's limit of ${formatKm2(max)}: make it smaller.` : ` (this service takes up to ${formatKm2(max)})`);
  $("area-readout").replaceChildren(el("span", { text: parts.join("") }));
  $("area-readout").classList.toggle("error", over);
}
