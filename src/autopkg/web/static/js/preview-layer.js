// A file's preview picture laid over the map at its corners (the API's preview.bounds),
// so a result is seen where it is. One at a time: showing another replaces it.
import { el } from "./core.js";
import { map } from "./map.js";

let shown = null; // {layer, button}
const PANE = "preview";

// Above the boundaries (Leaflet's overlay pane, z-index 400), which would cover it.
function pane() {
  if (!map.getPane(PANE)) map.createPane(PANE).style.zIndex = "450";
  return PANE;
}

function label(button, on) {
  button.textContent = on ? "Hide from the map" : "Show on the map";
  button.setAttribute("aria-pressed", String(on));
}

export function hidePreview() {
  if (!shown) return;
  shown.layer.remove();
  label(shown.button, false);
  shown = null;
}

export function previewButton(file) {
  const bounds = file.preview && file.preview.bounds;
  if (!bounds) return "";
  const [west, south, east, north] = bounds;
  const button = el("button", { type: "button", class: "secondary small", "data-map-preview": file.name });
  label(button, false);
  button.addEventListener("click", () => {
    const again = shown && shown.button === button;
    hidePreview();
    if (again) return;
    const corners = [
      [south, west],
      [north, east],
    ];
    const layer = L.imageOverlay(file.preview.url, corners, { opacity: 0.85, alt: `Preview of ${file.name} on the map`, pane: pane() }).addTo(map);
    map.fitBounds(corners, { padding: [20, 20] });
    shown = { layer, button };
    label(button, true);
  });
  return button;
}
