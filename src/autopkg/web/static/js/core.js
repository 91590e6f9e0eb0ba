// Shared state, the API call and small DOM and text helpers.
export const POLL_MS = 1000; // progress refresh; the page promises at most 2 s
export const SEARCH_DELAY_MS = 200;
export const ESTIMATE_DELAY_MS = 400; // ticking several boxes in a row asks once

export const state = {
  boundary: null, // {name, name_long} of a chosen boundary
  area: null, // a GeoJSON custom area instead of a boundary
  names: new Map(), // boundary name -> long name, from the map layer
  layers: new Map(), // boundary name -> Leaflet layer
  processors: new Map(), // processor id -> version metadata
  jobId: null,
  timer: null,
  drawing: null, // vertices [lat, lng] while drawing a custom area
  estimateTimer: null,
  estimateSeq: 0, // only the answer to the latest request is shown
  overLimit: false, // the latest estimate is above the service's limit
  limits: null, // the service's request limits (GET /v1/limits), once read
};

export const $ = (id) => document.getElementById(id);

// ---- HTTP -------------------------------------------------------------------

export async function call(path, options = {}) {
  const response = await fetch(new URL(path, document.baseURI), options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.detail || `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

// ---- small DOM and text helpers ---------------------------------------------

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

export function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

export function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Processor summaries are Markdown: paragraphs, "- " lists, `code`, **bold**, *em*
// and [links](https://…). The text is escaped first, so no HTML from it survives.
export function markdown(text) {
  const inline = (line) =>
    escapeHtml(line)
      .replace(/`([^`]+)`/g, "<code>$1</code>")
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/\*([^*]+)\*/g, "<em>$1</em>")
      .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" rel="noreferrer">$1</a>');
  const blocks = text.trim().split(/\n\s*\n/);
  const html = blocks.map((block) => {
    const lines = block.split("\n");
    if (lines.every((line) => /^\s*[-*] /.test(line))) {
      const items = lines.map((line) => `<li>${inline(line.replace(/^\s*[-*] /, ""))}</li>`);
      return `<ul>${items.join("")}</ul>`;
    }
    return `<p>${inline(lines.join(" "))}</p>`;
  });
  const box = el("div", { class: "markdown" });
  box.innerHTML = html.join("");
  return box;
}

export function boundaryLabel(job) {
  const name = job.boundary_name;
  return `${job.boundary_name_long || state.names.get(name) || name} (${name})`;
}

export const AREA_NAME_MAX = 100; // the API's limit (AREA_NAME_MAX_LENGTH)

// The same rules as the API's, so a bad name is explained before anything is sent.
export function areaNameProblem(name) {
  if (name.length > AREA_NAME_MAX) return `The name is too long (${name.length} characters; at most ${AREA_NAME_MAX}).`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return "The name cannot contain tabs or other control characters.";
  return null;
}

export function keyHeaders() {
  const key = $("api-key").value.trim();
  return key ? { "X-API-Key": key } : {};
}

export function writeHeaders() {
  return { "Content-Type": "application/json", ...keyHeaders() };
}
