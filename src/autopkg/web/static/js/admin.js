// Admin units: a country's admin-1 units and an admin-1 unit's admin-2 units on the map
// (loaded on demand from GET /v1/boundaries/{name}/children), and the breadcrumb back up.
import { chooseBoundary } from "./area.js";
import { $, call, el, state } from "./core.js";
import { unwrapped, wraps } from "./geo.js";
import { map, raiseChosen, styles } from "./map.js";

const FETCHES_AT_ONCE = 6; // unit outlines asked for together
const features = new Map(); // boundary name -> Promise of its simplified GeoJSON Feature
let unitLayer = null;
let browsing = null; // the boundary whose units are shown

// The simplified Feature of a boundary (properties: name, name_long, admin_level, parent).
export function featureOf(name) {
  const layer = state.layers.get(name);
  if (layer) return Promise.resolve(layer.feature);
  if (!features.has(name)) {
    const asked = call(`v1/boundaries/${encodeURIComponent(name)}/simplified`);
    asked.catch(() => features.delete(name)); // asked again next time
    features.set(name, asked);
  }
  return features.get(name);
}

export function levelName(level) {
  return level === 0 ? "country" : `admin-${level}`;
}

// "admin-1 of Ghana": a unit's level and country, as search results and the trail say it.
export function levelLabel(boundary) {
  const level = boundary.admin_level;
  if (level === null || level === undefined) return "";
  if (level === 0) return "country";
  const country = boundary.name.split("-")[0];
  return `${levelName(level)} of ${state.names.get(country) || country.toUpperCase()}`;
}

// The chain of boundaries holding `boundary`, outermost first.
async function ancestorsOf(boundary) {
  const chain = [];
  let parent = boundary.parent;
  while (parent && chain.length < 3) {
    const { properties } = await featureOf(parent);
    chain.unshift(properties);
    parent = properties.parent;
  }
  return chain;
}

// The breadcrumb "Ghana › Northern › …": each unit above the chosen one is a button.
export async function renderTrail(boundary) {
  const trail = $("trail");
  let chain = [];
  try {
    chain = await ancestorsOf(boundary);
  } catch {
    chain = []; // the units above could not be read: the trail is left out, nothing else
  }
  if (state.boundary !== boundary) return;
  if (!chain.length) {
    trail.hidden = true;
    trail.replaceChildren();
    return;
  }
  const items = chain.map((unit) =>
    el(
      "li",
      {},
      el("button", {
        type: "button",
        text: unit.name_long,
        title: `Back to ${unit.name_long} (${levelName(unit.admin_level)})`,
        onclick: () => chooseBoundary(unit),
      }),
    ),
  );
  items.push(el("li", {}, el("span", { "aria-current": "location", text: boundary.name_long })));
  trail.replaceChildren(el("ol", {}, ...items));
  trail.hidden = false;
}

// After a boundary is chosen: show the units around it (a country's own, a unit's
// siblings) and offer the next level down.
export function showUnitsFor(boundary) {
  const level = boundary.admin_level;
  const offer = $("units-next");
  offer.replaceChildren();
  if (level === 1) {
    offer.append(
      el("button", {
        type: "button",
        class: "secondary",
        text: `Show the admin-2 units of ${boundary.name_long}`,
        onclick: () => browse(boundary),
      }),
    );
  }
  if (level === 0) return browse(boundary);
  if ((level === 1 || level === 2) && boundary.parent && browsing?.name !== boundary.parent) {
    return featureOf(boundary.parent).then((feature) => browse(feature.properties), () => {});
  }
  if (level === null || level === undefined) clearUnits();
}

export function clearUnits() {
  browsing = null;
  if (unitLayer) unitLayer.remove();
  unitLayer = null;
  $("units-status").replaceChildren();
  $("units-status").className = "units-status";
  $("units-list").replaceChildren();
  $("units-next").replaceChildren();
}

function unitsStatus(text, kind = "") {
  $("units-status").className = `units-status ${kind}`.trim();
  $("units-status").textContent = text;
}

// Show `parent`'s units: a list of buttons, and their outlines on the map.
export async function browse(parent) {
  if (browsing?.name === parent.name) return;
  browsing = parent;
  if (unitLayer) unitLayer.remove();
  unitLayer = null;
  $("units-list").replaceChildren();
  const what = `${levelName(parent.admin_level + 1)} units of ${parent.name_long}`;
  unitsStatus(`Loading the ${what}…`, "loading");
  let units;
  try {
    units = await call(`v1/boundaries/${encodeURIComponent(parent.name)}/children`);
  } catch (error) {
    if (browsing !== parent) return;
    unitsStatus(`Subnational units could not be loaded: ${error.message}`, "error");
    return;
  }
  if (browsing !== parent) return;
  if (!units.length) {
    unitsStatus(`${parent.name_long} has no ${levelName(parent.admin_level + 1)} units here.`);
    return;
  }
  unitsStatus(`${units.length} ${what}: choose one in the list or on the map.`);
  $("units-list").replaceChildren(
    ...units.map((unit) =>
      el(
        "li",
        {},
        el("button", {
          type: "button",
          text: unit.name_long,
          "data-unit": unit.name,
          onclick: () => chooseBoundary({ ...unit, parent: parent.name }),
        }),
      ),
    ),
  );
  await drawUnits(parent, units);
}

async function drawUnits(parent, units) {
  const layer = L.geoJSON(null, {
    style: () => styles.unit,
    onEachFeature: (feature, unitShape) => {
      const { name, name_long: nameLong } = feature.properties;
      unitShape.bindTooltip(el("span", { text: nameLong }), { sticky: true });
      unitShape.on("mouseover", () => unitShape.setStyle(styles.unitHover));
      unitShape.on("mouseout", () => unitShape.setStyle(styles.unit));
      unitShape.on("click", () => {
        if (!state.drawing) chooseBoundary({ ...feature.properties, name, name_long: nameLong });
      });
    },
  }).addTo(map);
  unitLayer = layer;
  const parentFeature = await featureOf(parent.name).catch(() => null);
  // The units of a country across ±180° are all drawn on its eastern side, as it is.
  const shift = Boolean(parentFeature) && wraps(parentFeature);
  const queue = [...units];
  const worker = async () => {
    while (queue.length && unitLayer === layer) {
      const unit = queue.shift();
      try {
        layer.addData(unwrapped(await featureOf(unit.name), shift));
      } catch {
        // a unit whose outline could not be read stays in the list, only off the map
      }
    }
  };
  await Promise.all(Array.from({ length: FETCHES_AT_ONCE }, worker));
  if (unitLayer === layer) raiseChosen();
}
