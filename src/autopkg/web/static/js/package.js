// The package view: the summary first, then the files by dataset (filter, natural order,
// previews, on the map), then the citation of this version of the package.
import { $, call, el, formatBytes } from "./core.js";
import { hidePreview, previewButton } from "./preview-layer.js";
import { summaryBlock } from "./summary.js";

// ---- the package view -------------------------------------------------------

// The package's own version and time (datapackage.json), never the day it is read: a
// citation names bytes that stay readable under that version.
export function citationText(pkg) {
  const dp = pkg.datapackage || {};
  const version = dp.version ? `version ${dp.version}` : "unversioned";
  const created = dp.created ? ` (published ${String(dp.created).slice(0, 10)})` : "";
  const lines = [
    `${pkg.boundary.name_long} data package, ${version}${created}. autopkg. ${pkg.uri}`,
    "",
    "Datasets:",
    ...pkg.processors.map((p) => `- ${p.data_title}: ${p.data_citation}`),
  ];
  return lines.join("\n");
}

export function formatValue(value) {
  return Number(value).toLocaleString("en", { maximumSignificantDigits: 4 });
}

// Says in words how the preview's colours map to values (packaging/preview.py legends).
export function colourScale(legend) {
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

const EMPTY = "empty: nothing of this dataset lies inside the area";
// Natural order: 10_yr, 100_yr, 1000_yr, 10000_yr (numbers by value, not by digit).
const naturally = new Intl.Collator("en", { numeric: true, sensitivity: "base" }).compare;
// A package this small shows every file at once; a larger one opens a dataset on request.
const OPEN_UP_TO_FILES = 4;

export function fileCard(file, license) {
  let picture;
  if (file.empty) picture = el("div", { class: "thumb none", text: "no data here" });
  else if (file.preview) {
    picture = el("a", { href: file.preview.url, class: "thumb" }, el("img", { src: file.preview.url, alt: `Preview of ${file.name}`, loading: "lazy" }));
  } else picture = el("div", { class: "thumb none", text: "no preview" });
  const facts = file.empty ? el("div", { class: "empty-note", text: EMPTY }) : el("div", { class: "hint" }, `${file.format} · ${formatBytes(file.bytes)} · `, el("a", { href: license.path, rel: "noreferrer", text: license.name }));
  return el(
    "div",
    { class: `file${file.empty ? " empty" : ""}`, "data-file": file.name },
    picture,
    el(
      "div",
      { class: "file-text" },
      el("a", { class: "file-name", href: file.url, download: file.name, text: file.name }),
      facts,
      file.preview && !file.empty ? el("div", { class: "scale" }, colourScale(file.preview.legend)) : "",
      file.empty ? "" : previewButton(file),
    ),
  );
}

// One dataset's files, collapsed in a large package; cards are made when first shown.
function datasetGroup(version, files, open) {
  const license = version.data_license;
  const list = el("div", { class: "file-list" });
  const count = el("span", { class: "count" });
  const empties = files.filter((f) => f.empty).length;
  const group = el(
    "details",
    { class: "dataset-files", "data-processor": version.name },
    el(
      "summary",
      {},
      el("span", { class: "title", text: version.data_title }),
      el("span", { class: "meta" }, count, " · ", el("code", { text: version.name })),
    ),
    el("p", { class: "hint" }, "Licence: ", el("a", { href: license.path, rel: "noreferrer", text: `${license.title} (${license.name})` }), empties ? ` · ${empties} empty (nothing of it inside the area)` : ""),
    list,
  );
  const show = (needle) => {
    const shown = needle ? files.filter((f) => f.name.toLowerCase().includes(needle)) : files;
    count.textContent = needle ? `${shown.length} of ${files.length} files` : `${files.length} file${files.length === 1 ? "" : "s"}`;
    group.hidden = needle !== "" && !shown.length;
    // A closed dataset holds no cards (made again when opened): 390 cards cost seconds.
    list.replaceChildren(...(group.open || needle ? shown.map((file) => fileCard(file, license)) : []));
    return shown.length;
  };
  group.addEventListener("toggle", () => {
    if (group.open && !list.childElementCount) show(group.dataset.needle || "");
  });
  const filter = (needle) => {
    group.dataset.needle = needle;
    const found = show(needle);
    if (needle) group.open = found > 0;
    return found;
  };
  group.open = open;
  show("");
  return { node: group, filter };
}

export async function renderPackage(boundaryName) {
  hidePreview();
  const pkg = await call(`v1/packages/${encodeURIComponent(boundaryName)}`);
  const manifest = await call(`${pkg.uri}datapackage.json`).catch(() => ({ resources: [] }));
  const byProcessor = new Map();
  for (const file of pkg.files) {
    if (!byProcessor.has(file.processor)) byProcessor.set(file.processor, []);
    byProcessor.get(file.processor).push(file);
  }
  for (const files of byProcessor.values()) files.sort((a, b) => naturally(a.name, b.name));
  const open = pkg.files.length <= OPEN_UP_TO_FILES;
  const groups = pkg.processors.map((version) => datasetGroup(version, byProcessor.get(version.name) || [], open));
  const filter = el("input", { type: "search", id: "file-filter", placeholder: "e.g. 100_yr, rcp8p5, msz", autocomplete: "off" });
  const found = el("p", { class: "hint", role: "status" });
  filter.addEventListener("input", () => {
    const needle = filter.value.trim().toLowerCase();
    const total = groups.reduce((sum, group) => sum + group.filter(needle), 0);
    found.textContent = needle ? `${total} ${total === 1 ? "file matches" : "files match"} “${filter.value.trim()}”.` : "";
  });

  const citation = el("pre", { class: "citation", id: "citation", text: citationText(pkg) });
  const copied = el("span", { class: "hint", role: "status" });
  const copy = el("button", {
    type: "button",
    class: "secondary",
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
  const cite = (path, label) => el("a", { href: `${pkg.uri}${path}`, download: path, text: label });
  const total = pkg.files.reduce((sum, file) => sum + file.bytes, 0);
  const dp = pkg.datapackage || {};
  $("package-body").replaceChildren(
    el(
      "div",
      { class: "package-head" },
      el("p", {}, el("strong", { text: pkg.boundary.name_long }), ` · ${pkg.files.length} file${pkg.files.length === 1 ? "" : "s"}, ${formatBytes(total)}`, dp.version ? ` · version ${dp.version}` : ""),
      el(
        "p",
        { class: "actions" },
        el("a", { class: "button primary", href: `v1/packages/${encodeURIComponent(pkg.boundary_name)}/zip`, download: `${pkg.boundary_name}.zip`, text: "Download all (zip)" }),
        el("a", { href: pkg.uri, text: "Package pages" }),
        el("a", { href: `${pkg.uri}datapackage.json`, text: "datapackage.json" }),
      ),
    ),
    el("h3", { text: "Summary" }),
    ...(await summaryBlock(pkg, manifest)),
    el("h3", { text: "Files by dataset" }),
    el("label", { for: "file-filter", text: "Filter the files by name" }),
    filter,
    found,
    ...groups.map((group) => group.node),
    el("h3", { text: "How to cite" }),
    citation,
    el("p", { class: "actions" }, copy, copied),
    el("p", { class: "hint" }, "For a reference manager: ", cite("CITATION.cff", "CITATION.cff"), " · ", cite("citation.bib", "citation.bib (BibTeX)"), " · ", cite("citation.json", "citation.json (CSL-JSON)")),
  );
  $("package").hidden = false;
}
