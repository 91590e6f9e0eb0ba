// Submitting a job and showing its progress.
import { areaBody, chosenProcessors } from "./catalogue.js";
import { $, areaNameProblem, boundaryLabel, call, el, state, writeHeaders } from "./core.js";
import { failureBlock } from "./failures.js";
import { followJob, rememberJob } from "./follow.js";

// ---- the status line --------------------------------------------------------

// Every message belongs to a state ("area", "datasets", "key", "name", "job"…) and goes
// when that state changes (clearStatus): a message is never left over from before.
let statusKey = null;

export function setStatus(text, isError = false, key = null, technical = null) {
  statusKey = text ? key : null;
  const line = $("create-status");
  line.classList.toggle("error", isError);
  if (isError && technical) {
    line.replaceChildren(failureBlock(text, technical));
  } else {
    line.textContent = text;
  }
}

export function clearStatus(key) {
  if (statusKey !== null && statusKey === key) setStatus("");
}

// ---- submitting and following a job -----------------------------------------

export async function createPackage() {
  const processors = chosenProcessors();
  if (!state.boundary && !state.area) return setStatus("Choose an area first.", true, "area");
  if (!processors.length) return setStatus("Tick at least one dataset.", true, "datasets");
  const body = areaBody(processors);
  if (state.area) {
    const areaName = $("area-name").value.trim();
    const problem = areaNameProblem(areaName);
    $("area-name").setAttribute("aria-invalid", String(Boolean(problem)));
    if (problem) {
      $("area-name").focus();
      return setStatus(problem, true, "name");
    }
    if (areaName) body.area_name = areaName;
  }
  $("create").disabled = true;
  try {
    const created = await call("v1/jobs", { method: "POST", headers: writeHeaders(), body: JSON.stringify(body) });
    rememberJob(created.job_id);
    setStatus("Submitted. Following its progress…", false, "job");
    followJob(created.job_id);
  } catch (error) {
    if (error.status === 401) {
      $("key-box").open = true;
      setStatus("The package could not be requested.", true, "key", error.message);
    } else {
      setStatus("The package could not be requested.", true, "request", error.message);
    }
  } finally {
    $("create").disabled = state.overLimit;
  }
}

export function plainTask(run) {
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
      return failureBlock("This dataset could not be made.", detail || "");
    case "REVOKED":
      return "Cancelled.";
    default:
      return run.job_status;
  }
}

export const OUTCOMES = {
  SUCCESS: "Your package is ready.",
  PARTIAL: "Part of your package is ready; what could not be made, and why, is said above.",
  FAILURE: "Nothing could be made; the reasons are shown in red above.",
  CANCELLED: "This job was cancelled.",
};

export function renderProgress(job) {
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
      el("div", { class: "row-title" }, el("strong", { text: version ? version.data_title : id }), " ", el("code", { text: id })),
      bar,
      el("div", { class: "task" }, plainTask(run)),
    );
  });
  const heading = el("p", { class: "job-heading", text: `Job for ${boundaryLabel(job)}:` });
  const parts = [heading, ...rows];
  if (job.job_group_outcome) {
    // The job has ended: "Submitted. Following its progress…" (or "Cancelling…") is over.
    clearStatus("job");
    parts.push(el("p", { class: `outcome outcome-${job.job_group_outcome}`, text: OUTCOMES[job.job_group_outcome] }));
  } else {
    parts.push(el("button", { type: "button", class: "secondary", text: "Cancel this job", onclick: () => cancelJob(job.job_id) }));
  }
  $("progress").replaceChildren(...parts);
}

export async function cancelJob(jobId) {
  setStatus("Cancelling the job…", false, "job");
  try {
    renderProgress(await call(`v1/jobs/${jobId}`, { method: "DELETE", headers: writeHeaders() }));
  } catch (error) {
    setStatus("The job could not be cancelled.", true, "job", error.message);
  }
}
