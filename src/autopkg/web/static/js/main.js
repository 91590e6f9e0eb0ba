// The autopkg web page: a thin client of the public API (/v1), no build step: ES modules
// loaded by the browser as they are.
import { loadLimits, onBufferInput, onFileChosen, onSearchInput } from "./area.js";
import { renderCatalogue, scheduleEstimate } from "./catalogue.js";
import { $ } from "./core.js";
import { finishDrawing, startDrawing, undo } from "./draw.js";
import { followJob, renderJobs } from "./follow.js";
import { createPackage } from "./jobs.js";
import { clearStatus } from "./jobs.js";
import { setUpMap } from "./map.js";

// ---- start ------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  setUpMap();
  loadLimits();
  renderCatalogue().then(() => {
    const resumed = /^#job=([\w-]+)$/.exec(location.hash);
    if (resumed) followJob(resumed[1], { restore: true });
  });
  $("search").addEventListener("input", onSearchInput);
  $("search").addEventListener("keydown", (event) => {
    const first = $("search-results").querySelector("button");
    if (event.key === "Enter" && first) first.click();
  });
  $("custom-file").addEventListener("change", onFileChosen);
  $("draw").addEventListener("click", () => startDrawing("polygon"));
  $("draw-rectangle").addEventListener("click", () => startDrawing("rectangle"));
  $("draw-undo").addEventListener("click", undo);
  $("draw-finish").addEventListener("click", finishDrawing);
  $("buffer").addEventListener("input", onBufferInput);
  $("create").addEventListener("click", createPackage);
  // A message asking for the key goes as soon as one is typed.
  $("api-key").addEventListener("input", () => clearStatus("key"));
  $("api-key").addEventListener("change", () => {
    scheduleEstimate();
    renderJobs();
  });
});
