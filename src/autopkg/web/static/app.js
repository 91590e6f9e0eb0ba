// The autopkg web page: a thin client of the public API (/v1), no build step.
"use strict";

(() => {
  const POLL_MS = 1000; // progress refresh; the page promises at most 2 s
  const SEARCH_DELAY_MS = 200;
  const ESTIMATE_DELAY_MS = 400; // ticking several boxes in a row asks once

  const state = {
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
  };

  const $ = (id) => document.getElementById(id);

  // ---- HTTP -------------------------------------------------------------------

  async function call(path, options = {}) {
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

  function el(tag, attrs = {}, ...children) {
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

  function formatBytes(bytes) {
    const units = ["B", "KB", "MB", "GB", "TB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
      value /= 1000;
      unit += 1;
    }
    return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
  }

  function escapeHtml(text) {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  // Processor summaries are Markdown: paragraphs, "- " lists, `code`, **bold**, *em*
  // and [links](https://…). The text is escaped first, so no HTML from it survives.
  function markdown(text) {
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

  function boundaryLabel(job) {
    const name = job.boundary_name;
    return `${job.boundary_name_long || state.names.get(name) || name} (${name})`;
  }

  const AREA_NAME_MAX = 100; // the API's limit (AREA_NAME_MAX_LENGTH)

  // The same rules as the API's, so a bad name is explained before anything is sent.
  function areaNameProblem(name) {
    if (name.length > AREA_NAME_MAX) return `The name is too long (${name.length} characters; at most ${AREA_NAME_MAX}).`;
    if (/[\u0000-\u001f\u007f]/.test(name)) return "The name cannot contain tabs or other control characters.";
    return null;
  }

  // ---- the map ----------------------------------------------------------------

  const styles = {
    plain: { color: "#5b6875", weight: 0.6, fillColor: "#f7f5ef", fillOpacity: 1 },
    chosen: { color: "#0b6e4f", weight: 2, fillColor: "#9fd8bf", fillOpacity: 1 },
  };
  let map = null;
  let customLayer = null;
  let sketch = null;

  function setUpMap() {
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

  function highlight(name) {
    for (const [key, layer] of state.layers) layer.setStyle(key === name ? styles.chosen : styles.plain);
    const layer = state.layers.get(name);
    if (layer) map.fitBounds(layer.getBounds(), { maxZoom: 6, padding: [20, 20] });
  }

  // ---- choosing an area -------------------------------------------------------

  function chooseBoundary(boundary) {
    state.boundary = boundary;
    state.area = null;
    if (customLayer) customLayer.remove();
    $("selected").textContent = `Chosen: ${boundary.name_long} (${boundary.name})`;
    highlight(boundary.name);
    scheduleEstimate();
  }

  function chooseArea(geojson, description) {
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
  function onSearchInput() {
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

  async function onFileChosen(event) {
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

  function startDrawing() {
    state.drawing = [];
    $("draw-finish").hidden = false;
    $("custom-status").textContent = "Click the map to add corners, then press “Finish the shape”.";
  }

  function addVertex(latlng) {
    state.drawing.push([latlng.lat, latlng.lng]);
    if (sketch) sketch.remove();
    sketch = L.polygon(state.drawing, styles.chosen).addTo(map);
  }

  function finishDrawing() {
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

  // ---- the processor catalogue ------------------------------------------------

  function datasetCard(version) {
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

  async function renderCatalogue() {
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

  function chosenProcessors() {
    return [...document.querySelectorAll("#catalogue input[type=checkbox]:checked")].map((box) => box.value);
  }

  // ---- size estimates before submitting ---------------------------------------

  function areaBody(processors) {
    return state.area ? { boundary: state.area, processors } : { boundary_name: state.boundary.name, processors };
  }

  function keyHeaders() {
    const key = $("api-key").value.trim();
    return key ? { "X-API-Key": key } : {};
  }

  function writeHeaders() {
    return { "Content-Type": "application/json", ...keyHeaders() };
  }

  function scheduleEstimate() {
    clearTimeout(state.estimateTimer);
    state.estimateTimer = setTimeout(estimate, ESTIMATE_DELAY_MS);
  }

  function setOverLimit(over) {
    state.overLimit = over;
    $("create").disabled = over;
  }

  function showEstimate(id, row) {
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

  async function estimate() {
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

  // ---- submitting and following a job -----------------------------------------

  function setStatus(text, isError = false) {
    $("create-status").textContent = text;
    $("create-status").classList.toggle("error", isError);
  }

  async function createPackage() {
    const processors = chosenProcessors();
    if (!state.boundary && !state.area) return setStatus("Choose an area first.", true);
    if (!processors.length) return setStatus("Tick at least one dataset.", true);
    const body = areaBody(processors);
    if (state.area) {
      const areaName = $("area-name").value.trim();
      const problem = areaNameProblem(areaName);
      $("area-name").setAttribute("aria-invalid", String(Boolean(problem)));
      if (problem) {
        $("area-name").focus();
        return setStatus(problem, true);
      }
      if (areaName) body.area_name = areaName;
    }
    $("create").disabled = true;
    try {
      const created = await call("v1/jobs", { method: "POST", headers: writeHeaders(), body: JSON.stringify(body) });
      setStatus("Submitted. Following its progress…");
      followJob(created.job_id);
    } catch (error) {
      if (error.status === 401) $("key-box").open = true;
      setStatus(`The package could not be requested: ${error.message}`, true);
    } finally {
      $("create").disabled = state.overLimit;
    }
  }

  function plainTask(run) {
    const detail = run.job_result && run.job_result.detail;
    switch (run.job_status) {
      case "PENDING":
        return "Waiting for a worker…";
      case "EXECUTING":
        return `${run.job_progress.current_task || "working"} (${Math.round(run.job_progress.percent_complete)} %)`;
      case "SUCCESS":
        return (run.job_result && run.job_result.message) || "Done.";
      case "SKIPPED":
        return "Already in the package and up to date: nothing to redo.";
      case "FAILURE":
        return `This dataset could not be made: ${detail || "an unknown error"}.`;
      case "REVOKED":
        return "Cancelled.";
      default:
        return run.job_status;
    }
  }

  const OUTCOMES = {
    SUCCESS: "Your package is ready.",
    PARTIAL: "Part of your package is ready; what could not be made, and why, is said above.",
    FAILURE: "Nothing could be made; the reasons are shown in red above.",
    CANCELLED: "This job was cancelled.",
  };

  function renderProgress(job) {
    const rows = job.job_group_processors.map((run) => {
      const id = run.processor_name;
      const version = state.processors.get(id);
      const percent = Math.round(run.job_progress.percent_complete);
      const failed = run.job_status === "FAILURE" || run.job_status === "REVOKED";
      const bar = el(
        "div",
        {
          class: "bar",
          role: "progressbar",
          "aria-label": `Progress of ${id}`,
          "aria-valuemin": "0",
          "aria-valuemax": "100",
          "aria-valuenow": String(percent),
          "aria-valuetext": `${percent} %: ${run.job_status}`,
        },
        el("span", { style: `width: ${percent}%` }),
      );
      return el(
        "div",
        { class: `row${failed ? " failed" : ""}`, "data-processor": id },
        el("div", {}, el("strong", { text: version ? version.data_title : id }), " ", el("code", { text: id })),
        bar,
        el("div", { class: "task", text: plainTask(run) }),
      );
    });
    const heading = el("p", { text: `Job for ${boundaryLabel(job)}:` });
    const parts = [heading, ...rows];
    if (job.job_group_outcome) {
      parts.push(el("p", { class: `outcome-${job.job_group_outcome}`, text: OUTCOMES[job.job_group_outcome] }));
    } else {
      parts.push(el("button", { type: "button", text: "Cancel this job", onclick: () => cancelJob(job.job_id) }));
    }
    $("progress").replaceChildren(...parts);
  }

  async function cancelJob(jobId) {
    try {
      renderProgress(await call(`v1/jobs/${jobId}`, { method: "DELETE", headers: writeHeaders() }));
    } catch (error) {
      setStatus(`The job could not be cancelled: ${error.message}`, true);
    }
  }

  function followJob(jobId) {
    clearTimeout(state.timer);
    state.jobId = jobId;
    history.replaceState(null, "", `#job=${jobId}`);
    $("package").hidden = true;
    $("progress").replaceChildren(el("p", { class: "hint", text: "Reading the job's progress…" }));
    const poll = async () => {
      if (state.jobId !== jobId) return;
      try {
        const job = await call(`v1/jobs/${jobId}`);
        renderProgress(job);
        // A job opened from the list or after a reload shows its boundary on the map.
        const name = job.boundary_name;
        if (!state.boundary && !state.area && state.names.has(name)) {
          chooseBoundary({ name, name_long: state.names.get(name) });
        }
        if (job.job_group_status === "COMPLETE") {
          renderJobs();
          if (job.job_group_outcome === "SUCCESS" || job.job_group_outcome === "PARTIAL") {
            await renderPackage(job.boundary_name);
          }
          return;
        }
      } catch (error) {
        setStatus(`Progress could not be read: ${error.message}`, true);
      }
      state.timer = setTimeout(poll, POLL_MS);
    };
    poll();
  }

  // ---- the package view -------------------------------------------------------

  function citationText(pkg) {
    const made = new Date().toISOString().slice(0, 10);
    const lines = [
      `${pkg.boundary.name_long} data package (autopkg), ${pkg.uri}, retrieved ${made}.`,
      "",
      "Datasets:",
      ...pkg.processors.map((p) => `- ${p.data_title}: ${p.data_citation}`),
    ];
    return lines.join("\n");
  }

  function formatValue(value) {
    return Number(value).toLocaleString("en", { maximumSignificantDigits: 4 });
  }

  // Says in words how the preview's colours map to values (packaging/preview.py legends).
  function colourScale(legend) {
    if (legend.type === "linear") {
      if (legend.min === null || legend.max === null) return el("span", { text: "No valid cell inside the area." });
      const ramp = el("span", { class: "ramp", style: `background: linear-gradient(to right, ${legend.colours.join(", ")})` });
      const [low, high] = legend.stretch;
      return el(
        "span",
        {},
        `Colour scale: band ${legend.band}, linear from ${formatValue(legend.min)} `,
        ramp,
        ` to ${formatValue(legend.max)} (percentiles ${low} and ${high} of the cells inside; values beyond are clamped). NoData is transparent.`,
      );
    }
    if (legend.type === "rgb") {
      return el("span", { text: `Colours: bands ${legend.bands.join(", ")} as red, green and blue. NoData is transparent.` });
    }
    if (legend.type === "features") {
      return el(
        "span",
        {},
        "Features in ",
        el("span", { class: "swatch", style: `background: ${legend.features}` }),
        " over the area in ",
        el("span", { class: "swatch", style: `background: ${legend.boundary}` }),
        ".",
      );
    }
    return el("span", { text: "" });
  }

  function fileCard(file, license) {
    const picture = file.preview
      ? el("a", { href: file.preview.url, class: "thumb" }, el("img", { src: file.preview.url, alt: `Preview of ${file.name}` }))
      : el("div", { class: "thumb none", text: "no preview" });
    return el(
      "div",
      { class: "file" },
      picture,
      el(
        "div",
        { class: "file-text" },
        el("a", { href: file.url, download: file.name, text: file.name }),
        el(
          "div",
          { class: "hint" },
          `${file.format} · ${formatBytes(file.bytes)} · `,
          el("a", { href: license.path, rel: "noreferrer", text: license.name }),
        ),
        file.preview ? el("div", { class: "scale" }, colourScale(file.preview.legend)) : "",
      ),
    );
  }

  async function renderPackage(boundaryName) {
    const pkg = await call(`v1/packages/${encodeURIComponent(boundaryName)}`);
    const byProcessor = new Map();
    for (const file of pkg.files) {
      if (!byProcessor.has(file.processor)) byProcessor.set(file.processor, []);
      byProcessor.get(file.processor).push(file);
    }
    const datasets = pkg.processors.map((version) => {
      const files = byProcessor.get(version.name) || [];
      const license = version.data_license;
      return el(
        "div",
        { class: "dataset-files" },
        el("h3", { text: `${version.data_title} ` }, el("code", { text: version.name })),
        el("p", {}, "Licence: ", el("a", { href: license.path, rel: "noreferrer", text: `${license.title} (${license.name})` })),
        ...files.map((file) => fileCard(file, license)),
      );
    });
    const citation = el("pre", { class: "citation", id: "citation", text: citationText(pkg) });
    const copied = el("span", { class: "hint", role: "status" });
    const copy = el("button", {
      type: "button",
      text: "Copy citation",
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(citation.textContent);
          copied.textContent = " Copied.";
        } catch (error) {
          copied.textContent = " Select the text above and copy it.";
        }
      },
    });
    const total = pkg.files.reduce((sum, file) => sum + file.bytes, 0);
    $("package-body").replaceChildren(
      el("p", {}, el("strong", { text: pkg.boundary.name_long }), ` · ${pkg.files.length} file${pkg.files.length === 1 ? "" : "s"}, ${formatBytes(total)}`),
      el(
        "p",
        {},
        el("a", { href: `v1/packages/${encodeURIComponent(pkg.boundary_name)}/zip`, download: `${pkg.boundary_name}.zip`, text: "Download all (zip)" }),
        " · ",
        el("a", { href: pkg.uri, text: "Package pages" }),
        " · ",
        el("a", { href: `${pkg.uri}datapackage.json`, text: "datapackage.json" }),
      ),
      ...datasets,
      el("h3", { text: "How to cite" }),
      citation,
      copy,
      copied,
    );
    $("package").hidden = false;
  }

  // ---- my jobs ----------------------------------------------------------------

  async function renderJobs() {
    let listing;
    try {
      // With API keys, a key lists only its own jobs.
      listing = await call("v1/jobs?limit=10", { headers: keyHeaders() });
    } catch (error) {
      const hint = error.status === 401 ? "Enter your API key (under 3. Package) to see your jobs." : `Jobs could not be read: ${error.message}`;
      $("jobs").replaceChildren(el("li", { class: "hint", text: hint }));
      return;
    }
    const items = listing.jobs.map((job) => {
      const when = job.created_at ? new Date(job.created_at).toLocaleString() : "";
      const result = job.job_group_outcome || `${Math.round(job.job_group_percent_complete)} %`;
      return el(
        "li",
        {},
        el("button", { type: "button", text: boundaryLabel(job), onclick: () => followJob(job.job_id) }),
        el("span", { class: `outcome-${job.job_group_outcome}`, text: ` · ${job.job_group_processors.length} datasets · ${result}` }),
        el("div", { class: "hint", text: when }),
      );
    });
    if (!items.length) items.push(el("li", { class: "hint", text: "No jobs yet." }));
    $("jobs").replaceChildren(...items);
  }

  // ---- start ------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    setUpMap();
    renderCatalogue().then(() => {
      const resumed = /^#job=([\w-]+)$/.exec(location.hash);
      if (resumed) followJob(resumed[1]);
    });
    $("search").addEventListener("input", onSearchInput);
    $("search").addEventListener("keydown", (event) => {
      const first = $("search-results").querySelector("button");
      if (event.key === "Enter" && first) first.click();
    });
    $("custom-file").addEventListener("change", onFileChosen);
    $("draw").addEventListener("click", startDrawing);
    $("draw-finish").addEventListener("click", finishDrawing);
    $("create").addEventListener("click", createPackage);
    $("api-key").addEventListener("change", () => {
      scheduleEstimate();
      renderJobs();
    });
  });
})();
