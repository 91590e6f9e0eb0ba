// Following a job until it ends, and the list of jobs.
import { chooseBoundary } from "./area.js";
import { $, boundaryLabel, call, el, keyHeaders, POLL_MS, state } from "./core.js";
import { renderProgress, setStatus } from "./jobs.js";
import { renderPackage } from "./package.js";

export function followJob(jobId) {
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

// ---- my jobs ----------------------------------------------------------------

export async function renderJobs() {
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
