// The package view: files, previews and the citation.
import { $, call, el, formatBytes } from "./core.js";

// ---- the package view -------------------------------------------------------

export function citationText(pkg) {
  const made = new Date().toISOString().slice(0, 10);
  const lines = [
    `${pkg.boundary.name_long} data package (autopkg), ${pkg.uri}, retrieved ${made}.`,
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

export function fileCard(file, license) {
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

export async function renderPackage(boundaryName) {
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
