// The package's summary, shown first: the charts of population exposed and a sortable
// per-area table of the headline numbers (GET /v1/packages/{b}/summary).
import { call, el, state } from "./core.js";

// The statistics of each dataset alone, one column each (categories summed): hazard
// figures are many per area (file, threshold), so they are the charts' and the CSV's.
const HEADLINES = [
  ["population", "People"],
  ["built_up_area_km2", "Built-up area (km²)"],
  ["plant_count", "Power plants"],
  ["capacity_mw", "Plant capacity (MW)"],
  ["length_km", "Length (km)"],
];

// The charts' line colours by the names the manifest records (packaging/charts.py PALETTE).
const COLOURS = {
  blue: "#1f77b4",
  orange: "#ff7f0e",
  green: "#2ca02c",
  red: "#d62728",
  purple: "#9467bd",
  brown: "#8c564b",
  pink: "#e377c2",
  grey: "#7f7f7f",
  olive: "#bcbd22",
  cyan: "#17becf",
};

const numberFormat = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });

function title(processorId) {
  const version = state.processors.get(processorId);
  return version ? version.data_title : processorId;
}

export function areaTable(rows) {
  const columns = [];
  for (const [statistic, label] of HEADLINES) {
    const processors = [...new Set(rows.filter((r) => r.statistic === statistic).map((r) => r.processor))].sort();
    for (const processor of processors) {
      const named = processors.length > 1 || statistic === "length_km" ? `${label}: ${title(processor)}` : label;
      columns.push({ key: `${statistic}|${processor}`, label: named });
    }
  }
  const areas = new Map();
  for (const row of rows) {
    if (!areas.has(row.area)) areas.set(row.area, { area: row.area, name: row.area_name, level: row.admin_level, values: {} });
    const key = `${row.statistic}|${row.processor}`;
    const values = areas.get(row.area).values;
    if (columns.some((c) => c.key === key)) values[key] = (values[key] || 0) + row.value;
  }
  if (!columns.length) return null;
  const records = [...areas.values()];
  const headers = [{ key: "name", label: "Area" }, { key: "level", label: "Level" }, ...columns];
  const value = (record, key) => (key === "name" ? record.name : key === "level" ? record.level : record.values[key]);
  const body = el("tbody");
  const cells = headers.map((header, index) => {
    const button = el("button", { type: "button", class: "sort", text: header.label });
    const th = el("th", { scope: "col", "aria-sort": "none" }, button);
    button.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      for (const other of thead.querySelectorAll("th")) other.setAttribute("aria-sort", "none");
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      sortBy(header.key, ascending, index === 0);
    });
    return th;
  });
  const thead = el("thead", {}, el("tr", {}, ...cells));
  const collator = new Intl.Collator("en", { numeric: true });
  function draw() {
    body.replaceChildren(
      ...records.map((record) =>
        el(
          "tr",
          { "data-area": record.area },
          el("th", { scope: "row", text: record.name }),
          el("td", { text: record.level === null ? "" : String(record.level) }),
          ...columns.map((column) => {
            const found = record.values[column.key];
            return el("td", { class: "number", text: found === undefined ? "–" : numberFormat.format(found) });
          }),
        ),
      ),
    );
  }
  function sortBy(key, ascending, text) {
    const sign = ascending ? 1 : -1;
    records.sort((a, b) => {
      const [x, y] = [value(a, key), value(b, key)];
      if (x === undefined || x === null) return 1;
      if (y === undefined || y === null) return -1;
      return sign * (text ? collator.compare(x, y) : x - y);
    });
    draw();
  }
  draw();
  return el("div", { class: "table-scroll" }, el("table", { class: "summary-table", id: "summary-table" }, thead, body));
}

export function chartFigure(chart, uri) {
  const what = `Population exposed to ${title(chart.processor)} above ${chart.threshold} ${chart.threshold_unit}`.trim();
  const legend = el(
    "ul",
    { class: "chart-legend" },
    ...chart.lines.map((line) => el("li", {}, el("span", { class: "swatch", style: `background: ${COLOURS[line.colour] || line.colour}` }), ` ${line.series}`)),
  );
  const data = el(
    "details",
    { class: "chart-data" },
    el("summary", { text: "The numbers" }),
    el(
      "div",
      { class: "table-scroll" },
      el(
        "table",
        {},
        el("thead", {}, el("tr", {}, el("th", { text: "Series" }), el("th", { text: "Return period (years)" }), el("th", { text: "People" }))),
        el(
          "tbody",
          {},
          ...chart.lines.flatMap((line) =>
            line.points.map(([period, people]) =>
              el("tr", {}, el("td", { text: line.series }), el("td", { class: "number", text: String(period) }), el("td", { class: "number", text: numberFormat.format(people) })),
            ),
          ),
        ),
      ),
    ),
  );
  return el(
    "figure",
    { class: "chart" },
    el("img", { src: uri + chart.path, alt: what, loading: "lazy" }),
    el("figcaption", {}, el("strong", { text: what }), el("span", { class: "hint", text: " Return period (years, log scale) across, people up." }), legend),
    data,
  );
}

export async function summaryBlock(pkg, manifest) {
  let rows;
  try {
    rows = await call(`v1/packages/${encodeURIComponent(pkg.boundary_name)}/summary`);
  } catch (error) {
    if (error.status === 404) return [el("p", { class: "hint", text: "This package has no summary." })];
    return [el("p", { class: "hint", text: `The summary could not be read: ${error.message}` })];
  }
  const table = manifest.resources.find((r) => r.path === "summary/summary.csv");
  const charts = (table && table["autopkg:summary"] && table["autopkg:summary"].charts) || [];
  const parts = [];
  if (charts.length) parts.push(el("div", { class: "charts" }, ...charts.map((chart) => chartFigure(chart, pkg.uri))));
  const byArea = areaTable(rows);
  if (byArea) parts.push(el("h4", { text: "By area (click a heading to sort)" }), byArea);
  if (!parts.length) parts.push(el("p", { class: "hint", text: "Nothing in this package is summarised (no population, buildings, plants or lines)." }));
  parts.push(
    el(
      "p",
      { class: "hint" },
      "Every value, with its method and units: ",
      el("a", { href: `${pkg.uri}summary/summary.csv`, download: "", text: "summary.csv" }),
      ".",
    ),
  );
  return parts;
}
