// The dataset catalogue and the size estimate before submitting.
import { withBuffer } from "./area.js";
import { $, call, el, ESTIMATE_DELAY_MS, formatBytes, markdown, state, writeHeaders } from "./core.js";

// ---- the processor catalogue ------------------------------------------------

export function datasetCard(version) {
  const id = version.name;
  const box = el("input", { type: "checkbox", id: `p-${id}`, value: id, onchange: scheduleEstimate });
  const license = version.data_license;
  return el(
    "div",
    { class: "dataset" },
    el("label", { for: `p-${id}` }, box, el("span", { text: `${version.data_title} ` }), el("code", { text: id })),
    el("p", { class: "estimate", "data-estimate-for": id, "aria-live": "polite" }),
    el(
      "details",
      {},
      el("summary", { text: "About this dataset" }),
      markdown(version.data_summary),
      el(
        "p",
        {},
        "Licence: ",
        el("a", { href: license.path, rel: "noreferrer", text: `${license.title} (${license.name})` }),
      ),
      el("p", { text: `Formats: ${version.data_formats.join(", ")} · by ${version.data_author}` }),
      el("p", { text: `Cite as: ${version.data_citation}` }),
    ),
  );
}

export async function renderCatalogue() {
  const processors = await call("v1/processors");
  const cards = [];
  for (const processor of processors) {
    for (const version of processor.versions) {
      state.processors.set(version.name, version);
      cards.push(datasetCard(version));
    }
  }
  $("catalogue").replaceChildren(...cards);
}

// Tick exactly these datasets (a job's, after a reload) and estimate them.
export function tickProcessors(ids) {
  const wanted = new Set(ids);
  for (const box of document.querySelectorAll("#catalogue input[type=checkbox]")) box.checked = wanted.has(box.value);
  scheduleEstimate();
}

export function chosenProcessors() {
  return [...document.querySelectorAll("#catalogue input[type=checkbox]:checked")].map((box) => box.value);
}

// ---- size estimates before submitting ---------------------------------------

export function areaBody(processors) {
  return withBuffer(state.area ? { boundary: state.area, processors } : { boundary_name: state.boundary.name, processors });
}

export function scheduleEstimate() {
  clearTimeout(state.estimateTimer);
  state.estimateTimer = setTimeout(estimate, ESTIMATE_DELAY_MS);
}

export function setOverLimit(over) {
  state.overLimit = over;
  $("create").disabled = over;
}

export function showEstimate(id, row) {
  const line = document.querySelector(`[data-estimate-for="${CSS.escape(id)}"]`);
  if (!line) return;
  if (!row) return line.replaceChildren();
  const parts = [`Estimated ${formatBytes(row.bytes)}`];
  if (row.files !== null && row.files !== undefined) parts.push(`${row.files} file${row.files === 1 ? "" : "s"}`);
  if (row.pixels !== null && row.pixels !== undefined) parts.push(`${row.pixels.toLocaleString("en")} pixels`);
  if (row.features !== null && row.features !== undefined) parts.push(`${row.features.toLocaleString("en")} features`);
  const badges = [];
  if (row.published) badges.push(el("span", { class: "badge", text: "already published" }));
  if (row.current) badges.push(el("span", { class: "badge current", text: "up to date" }));
  line.replaceChildren(parts.join(" · "), ...badges);
}

export async function estimate() {
  const processors = chosenProcessors();
  const seq = ++state.estimateSeq;
  for (const id of state.processors.keys()) showEstimate(id, null);
  if ((!state.boundary && !state.area) || !processors.length) {
    $("estimate").replaceChildren();
    return setOverLimit(false);
  }
  $("estimate").textContent = "Estimating the size…";
  let answer;
  try {
    answer = await call("v1/jobs?dry_run=true", {
      method: "POST",
      headers: writeHeaders(),
      body: JSON.stringify(areaBody(processors)),
    });
  } catch (error) {
    if (seq !== state.estimateSeq) return;
    $("estimate").textContent = `No estimate: ${error.message}`;
    return setOverLimit(false);
  }
  if (seq !== state.estimateSeq) return;
  for (const row of answer.processors) showEstimate(row.processor, row);
  const total = `Estimated total: ${formatBytes(answer.total_bytes)} for ${answer.processors.length} dataset${answer.processors.length === 1 ? "" : "s"}.`;
  if (answer.within_limit) {
    $("estimate").replaceChildren(total);
  } else {
    $("estimate").replaceChildren(
      total,
      " ",
      el("strong", {
        class: "error",
        text: `That is over this service's limit of ${formatBytes(answer.max_output_bytes)}: untick some datasets or choose a smaller area.`,
      }),
    );
  }
  setOverLimit(!answer.within_limit);
}
