// Choosing an area: a boundary (from search, the map or its admin units), an upload or
// a drawing, and the buffer around it.
import { clearUnits, featureOf, levelLabel, renderTrail, showUnitsFor } from "./admin.js";
import { scheduleEstimate } from "./catalogue.js";
import { $, call, el, SEARCH_DELAY_MS, state } from "./core.js";
import { endDrawing, showAreaReadout } from "./draw.js";
import { areaKm2, polygonsOf } from "./geo.js";
import { highlight, showChosen } from "./map.js";

// ---- the service's limits ---------------------------------------------------

export async function loadLimits() {
  try {
    state.limits = await call("v1/limits");
  } catch {
    return; // the service checks every request anyway; the page only says less ahead
  }
  const km = state.limits.max_buffer_m / 1000;
  $("buffer").max = String(km);
  $("buffer-hint").textContent = `0 for none; up to ${km.toLocaleString("en")} km on this service. Roads and rivers are then not cut at the border.`;
}

// ---- choosing an area -------------------------------------------------------

// "Ghana (gha)", "Ashanti (gha-ashanti), admin-1 of Ghana".
function describe(boundary) {
  const level = boundary.admin_level ? `, ${levelLabel(boundary)}` : "";
  return `${boundary.name_long} (${boundary.name})${level}`;
}

// `boundary` is {name, name_long} and, when known, admin_level and parent.
export async function chooseBoundary(boundary) {
  state.boundary = boundary;
  state.area = null;
  endDrawing();
  $("buffered").textContent = "";
  $("selected").textContent = `Chosen: ${describe(boundary)}`;
  highlight(boundary.admin_level === 0 ? boundary.name : null);
  let feature;
  try {
    feature = await featureOf(boundary.name);
  } catch (error) {
    if (state.boundary === boundary) $("selected").textContent = `Chosen: ${describe(boundary)} (its outline could not be read: ${error.message})`;
    scheduleEstimate();
    return;
  }
  if (state.boundary !== boundary) return; // another area was chosen meanwhile
  // A boundary chosen by name alone (a job's) learns its level and parent here.
  const { admin_level: level, parent } = feature.properties;
  Object.assign(boundary, { admin_level: level ?? null, parent: parent ?? null });
  $("selected").textContent = `Chosen: ${describe(boundary)}`;
  showChosen(feature);
  renderTrail(boundary);
  showUnitsFor(boundary);
  scheduleEstimate();
}

// A custom area (GeoJSON) instead of a boundary.
export function chooseArea(geojson, description, { fit = true } = {}) {
  state.area = geojson;
  state.boundary = null;
  $("buffered").textContent = "";
  highlight(null);
  clearUnits();
  $("trail").hidden = true;
  showChosen(geojson, { fit });
  $("selected").textContent = `Chosen: ${description}`;
  scheduleEstimate();
}

// ---- the buffer -------------------------------------------------------------

export function bufferMetres() {
  const km = Number($("buffer").value || 0);
  return Number.isFinite(km) ? Math.round(km * 1000) : 0;
}

// A job's or dry run's body with the buffer, when there is one (the API says what is
// wrong with one out of range, in its words).
export function withBuffer(body) {
  const metres = bufferMetres();
  return metres ? { ...body, buffer_m: metres } : body;
}

export function onBufferInput() {
  const metres = bufferMetres();
  const max = state.limits?.max_buffer_m;
  let problem = "";
  if (metres < 0) problem = "A buffer cannot be negative: 0 means none.";
  else if (max && metres > max) problem = `At most ${(max / 1000).toLocaleString("en")} km on this service.`;
  $("buffer").setAttribute("aria-invalid", String(Boolean(problem)));
  $("buffer-problem").textContent = problem;
  scheduleEstimate();
}

// Once a job exists its area is the buffered one: say its name.
export function showBuffered(job) {
  if (!/-buffer-\d+m$/.test(job.boundary_name)) return;
  $("buffered").textContent = `The package is made for the buffered area “${job.boundary_name_long || job.boundary_name}” (${job.boundary_name}).`;
}

// ---- search -----------------------------------------------------------------

let searchTimer = null;
export function onSearchInput() {
  clearTimeout(searchTimer);
  const text = $("search").value.trim();
  if (!text) {
    $("search-results").replaceChildren();
    return;
  }
  searchTimer = setTimeout(async () => {
    let found;
    try {
      found = await call(`v1/boundaries/search?name=${encodeURIComponent(text)}`);
    } catch (error) {
      $("search-results").replaceChildren(el("li", { class: "hint error", text: `Search failed: ${error.message}` }));
      return;
    }
    if ($("search").value.trim() !== text) return; // a newer search is on its way
    const items = found.slice(0, 20).map((boundary) => {
      const level = levelLabel(boundary);
      return el(
        "li",
        {},
        el(
          "button",
          {
            type: "button",
            onclick: () => {
              chooseBoundary(boundary);
              $("search-results").replaceChildren();
            },
          },
          `${boundary.name_long} (${boundary.name})`,
          ...(level ? [" ", el("span", { class: "level", text: level })] : []),
        ),
      );
    });
    if (!items.length) items.push(el("li", { class: "hint", text: "No boundary matches." }));
    $("search-results").replaceChildren(...items);
  }, SEARCH_DELAY_MS);
}

// ---- uploads ----------------------------------------------------------------

export async function onFileChosen(event) {
  const [file] = event.target.files;
  if (!file) return;
  let geojson;
  try {
    geojson = JSON.parse(await file.text());
  } catch (error) {
    $("custom-status").textContent = `That file is not GeoJSON (it is not JSON: ${error.message}).`;
    $("custom-status").classList.add("error");
    return;
  }
  let polygons;
  try {
    polygons = polygonsOf(geojson);
  } catch (error) {
    $("custom-status").textContent = `${file.name} cannot be used: ${error.message}.`;
    $("custom-status").classList.add("error");
    return;
  }
  endDrawing();
  $("custom-status").classList.remove("error");
  $("custom-status").textContent = "";
  chooseArea(geojson, `your area from ${file.name}`);
  showAreaReadout(areaKm2(polygons));
}
