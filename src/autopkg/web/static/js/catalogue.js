// The dataset catalogue, grouped, each with its options, and the size estimate before submitting.
import { withBuffer } from "./area.js";
import { $, call, el, ESTIMATE_DELAY_MS, formatBytes, markdown, state, writeHeaders } from "./core.js";
import { clearStatus } from "./jobs.js";
import { chosenOptions, optionsBox } from "./options.js";

// ---- the processor catalogue ------------------------------------------------

// The groups in the order a person chooses: what is there, what threatens it, then the rest.
export const GROUPS = [
  ["exposure", "People and buildings", "Where people live and what is built."],
  ["hazards", "Hazards", "Floods, cyclones and drought: how often and how strong."],
  ["infrastructure", "Infrastructure", "Power plants, the grid, roads and railways."],
  ["basemap", "Base maps", "Relief and borders to draw the rest on."],
  ["other", "Other datasets", ""],
];

export function datasetCard(version) {
  const id = version.name;
  const box = el("input", { type: "checkbox", id: `p-${id}`, value: id, onchange: onTicked });
  const license = version.data_license;
  return el(
    "div",
    { class: "dataset", "data-card-for": id },
    el(
      "div",
      { class: "dataset-head" },
      box,
      el("label", { for: `p-${id}` }, el("span", { class: "title", text: version.data_title }), " ", el("code", { class: "id", text: id })),
    ),
    el("p", { class: "estimate", "data-estimate-for": id, "aria-live": "polite" }),
    optionsBox(version, scheduleEstimate) || "",
    el(
      "details",
      { class: "about" },
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

function onTicked(event) {
  event.target.closest(".dataset").classList.toggle("ticked", event.target.checked);
  scheduleEstimate();
}

export async function renderCatalogue() {
  const processors = await call("v1/processors");
  const byGroup = new Map(GROUPS.map(([key]) => [key, []]));
  for (const processor of processors) {
    for (const version of processor.versions) {
      state.processors.set(version.name, version);
      const group = byGroup.has(version.data_group) ? version.data_group : "other";
      byGroup.get(group).push(datasetCard(version));
    }
  }
  const sections = GROUPS.filter(([key]) => byGroup.get(key).length).map(([key, title, hint]) =>
    el(
      "section",
      { class: "group", "data-group": key, "aria-labelledby": `g-${key}` },
      el("h3", { id: `g-${key}`, text: title }),
      hint ? el("p", { class: "hint", text: hint }) : "",
      ...byGroup.get(key),
    ),
  );
  $("catalogue").replaceChildren(...sections);
}

// Tick exactly these datasets (a job's, after a reload) and estimate them.
export function tickProcessors(ids) {
  const wanted = new Set(ids);
  for (const box of document.querySelectorAll("#catalogue input[type=checkbox]")) box.checked = wanted.has(box.value);
  scheduleEstimate();
}

export function chosenProcessors() {
  return [...document.querySelectorAll("#catalogue input[type=checkbox][id^='p-']:checked")].map((box) => box.value);
}

// Per ticked processor, its options narrowed from the defaults (none: not sent).
export function chosenProcessorOptions(processors) {
  const options = {};
  for (const id of processors) {
    const card = document.querySelector(`[data-card-for="${CSS.escape(id)}"]`);
    const chosen = card ? chosenOptions(card) : {};
    if (Object.keys(chosen).length) options[id] = chosen;
  }
  return options;
}

// A field with nothing chosen cannot be asked for: said on its card, before any request.
export function optionProblems(options) {
  const problems = [];
  for (const [id, fields] of Object.entries(options)) {
    for (const [name, values] of Object.entries(fields)) {
      if (!values.length) problems.push({ id, text: `Choose at least one of “${name.replace(/_/g, " ")}”, or untick the dataset.` });
    }
  }
  return problems;
}

// ---- size estimates before submitting ---------------------------------------

export function areaBody(processors) {
  const body = withBuffer(state.area ? { boundary: state.area, processors } : { boundary_name: state.boundary.name, processors });
  const options = chosenProcessorOptions(processors);
  if (Object.keys(options).length) body.options = options;
  return body;
}

export function scheduleEstimate() {
  // The messages these states answer go as soon as the state is there.
  if (state.boundary || state.area) clearStatus("area");
  if (chosenProcessors().length) clearStatus("datasets");
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
  line.classList.remove("none");
  if (!row) return line.replaceChildren();
  if (row.problem) {
    line.classList.add("none");
    return line.replaceChildren(row.problem);
  }
  if (row.bytes === null || row.bytes === undefined) {
    // The processor could not estimate (its index unreachable, a service not set up):
    // the job may still run, so the reason is said, not hidden.
    line.classList.add("none");
    return line.replaceChildren(`No size estimate: ${row.error || "this dataset cannot estimate its size"}.`);
  }
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
  const problems = optionProblems(chosenProcessorOptions(processors));
  if (problems.length) {
    for (const { id, text } of problems) showEstimate(id, { problem: text });
    $("estimate").replaceChildren(el("strong", { class: "error", text: "Some datasets have no option chosen: see their cards." }));
    return setOverLimit(true);
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
    const hint = error.status === 401 ? "enter this service's API key under “API key” to see the size." : error.message;
    $("estimate").textContent = `No estimate: ${hint}`;
    return setOverLimit(false);
  }
  if (seq !== state.estimateSeq) return;
  for (const row of answer.processors) showEstimate(row.processor, row);
  const count = answer.processors.length;
  const unknown = answer.processors.filter((row) => row.bytes === null).length;
  const total = [`Estimated total: ${formatBytes(answer.total_bytes)} for ${count} dataset${count === 1 ? "" : "s"}`];
  if (unknown) total.push(` (${unknown} without an estimate: not counted)`);
  total.push(".");
  if (answer.within_limit) {
    $("estimate").replaceChildren(...total);
  } else {
    $("estimate").replaceChildren(
      ...total,
      " ",
      el("strong", {
        class: "error",
        text: `That is over this service's limit of ${formatBytes(answer.max_output_bytes)}: untick some datasets or choose a smaller area.`,
      }),
    );
  }
  setOverLimit(!answer.within_limit);
}
