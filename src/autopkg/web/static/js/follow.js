// Following a job until it ends, restoring its choices after a reload, and the list of
// this browser's jobs (or, with an API key, the key's).
import { chooseArea, chooseBoundary, showBuffered } from "./area.js";
import { tickProcessors } from "./catalogue.js";
import { $, boundaryLabel, call, el, keyHeaders, POLL_MS, state } from "./core.js";
import { renderProgress, setStatus } from "./jobs.js";
import { renderPackage } from "./package.js";

const MY_JOBS_KEY = "autopkg.myJobs"; // localStorage: ids of the jobs this browser submitted
const MY_JOBS_KEPT = 50;
const MY_JOBS_SHOWN = 10;

// ---- this browser's jobs ----------------------------------------------------

function myJobIds() {
  try {
    const ids = JSON.parse(localStorage.getItem(MY_JOBS_KEY) || "[]");
    return Array.isArray(ids) ? ids.filter((id) => typeof id === "string") : [];
  } catch {
    return []; // a damaged entry is as good as none
  }
}

function keepMyJobIds(ids) {
  try {
    localStorage.setItem(MY_JOBS_KEY, JSON.stringify(ids.slice(0, MY_JOBS_KEPT)));
  } catch {
    // storage full or disabled: the list simply stays as it was
  }
}

export function rememberJob(jobId) {
  keepMyJobIds([jobId, ...myJobIds().filter((id) => id !== jobId)]);
}

// ---- restoring a job's choices ----------------------------------------------

// After a reload (#job=…): the job's area, buffer and datasets, as they were chosen.
async function restoreChoices(job) {
  tickProcessors(job.job_group_processors.map((run) => run.processor_name));
  const name = job.boundary_name;
  const buffered = /^(.+)-buffer-(\d+)m$/.exec(name);
  if (buffered) {
    try {
      const base = await call(`v1/boundaries/${encodeURIComponent(buffered[1])}/simplified`);
      $("buffer").value = String(Number(buffered[2]) / 1000);
      await chooseJobArea(base.properties);
      showBuffered(job);
      return;
    } catch {
      // a long id keeps only its start: the buffered area itself is chosen instead
    }
  }
  const feature = await call(`v1/boundaries/${encodeURIComponent(name)}/simplified`);
  await chooseJobArea(feature.properties);
  showBuffered(job);
}

async function chooseJobArea(properties) {
  if (properties.name.startsWith("custom-")) {
    // A drawn or uploaded area is sent again as its geometry, as it first was.
    const detail = await call(`v1/boundaries/${encodeURIComponent(properties.name)}`);
    chooseArea(detail.geometry, properties.name_long);
    return;
  }
  await chooseBoundary({ ...properties });
}

// ---- following a job --------------------------------------------------------

function progressError(text) {
  $("progress").replaceChildren(el("p", { class: "error", role: "alert", text }));
}

// `restore`: a reload with #job=…; the job's choices come back and its progress is
// scrolled into view.
export function followJob(jobId, { restore = false } = {}) {
  clearTimeout(state.timer);
  state.jobId = jobId;
  history.replaceState(null, "", `#job=${jobId}`);
  $("package").hidden = true;
  $("progress").replaceChildren(el("p", { class: "hint", text: "Reading the job's progress…" }));
  if (restore) $("progress").scrollIntoView({ block: "center" });
  let first = true;
  const poll = async () => {
    if (state.jobId !== jobId) return;
    try {
      const job = await call(`v1/jobs/${encodeURIComponent(jobId)}`);
      renderProgress(job);
      if (first) {
        first = false;
        showBuffered(job);
        if (restore || (!state.boundary && !state.area)) {
          await restoreChoices(job).catch(() => {});
        }
        if (restore) $("progress").scrollIntoView({ block: "center" });
      }
      if (job.job_group_status === "COMPLETE") {
        renderJobs();
        if (job.job_group_outcome === "SUCCESS" || job.job_group_outcome === "PARTIAL") {
          await renderPackage(job.boundary_name);
        }
        return;
      }
    } catch (error) {
      if (error.status === 404) {
        // No such job (a mistyped or expired link): asking again will not change that.
        progressError(`There is no job ${jobId} on this service: the link may be mistyped, or the job removed. Choose an area and datasets to make a new package.`);
        return;
      }
      if (error.status >= 400 && error.status < 500) {
        progressError(`The job's progress cannot be read: ${error.message}`);
        return;
      }
      setStatus(`Progress could not be read: ${error.message}`, true);
    }
    state.timer = setTimeout(poll, POLL_MS);
  };
  poll();
}

// ---- my jobs ----------------------------------------------------------------

function jobItem(job) {
  const when = job.created_at ? new Date(job.created_at).toLocaleString() : "";
  const result = job.job_group_outcome || `${Math.round(job.job_group_percent_complete)} %`;
  return el(
    "li",
    {},
    el("button", { type: "button", text: boundaryLabel(job), onclick: () => followJob(job.job_id) }),
    el("span", { class: `outcome-${job.job_group_outcome}`, text: ` · ${job.job_group_processors.length} datasets · ${result}` }),
    el("div", { class: "hint", text: when }),
  );
}

async function keyJobs() {
  try {
    // A key lists only its own jobs.
    const listing = await call(`v1/jobs?limit=${MY_JOBS_SHOWN}`, { headers: keyHeaders() });
    return { jobs: listing.jobs };
  } catch (error) {
    const hint = error.status === 401 ? "That API key is not accepted: check it under 3. Package." : `Jobs could not be read: ${error.message}`;
    return { jobs: [], problem: hint };
  }
}

async function browserJobs() {
  const ids = myJobIds().slice(0, MY_JOBS_SHOWN);
  const answers = await Promise.all(
    ids.map((id) =>
      call(`v1/jobs/${encodeURIComponent(id)}`, { headers: keyHeaders() }).then(
        (job) => ({ id, job }),
        (error) => ({ id, error }),
      ),
    ),
  );
  // Jobs the service no longer has are forgotten; others stay for next time.
  const gone = new Set(answers.filter((a) => a.error && a.error.status === 404).map((a) => a.id));
  if (gone.size) keepMyJobIds(myJobIds().filter((id) => !gone.has(id)));
  return { jobs: answers.filter((a) => a.job).map((a) => a.job) };
}

// Without a key: the jobs this browser submitted (never other people's); with one: the
// key's jobs. The heading's note says which.
export async function renderJobs() {
  const withKey = Boolean(keyHeaders()["X-API-Key"]);
  $("jobs-source").textContent = withKey
    ? "The latest jobs of your API key."
    : "Jobs submitted from this browser (kept in this browser only). With an API key, that key's jobs are shown.";
  const { jobs, problem } = withKey ? await keyJobs() : await browserJobs();
  const items = jobs.map(jobItem);
  if (problem) items.push(el("li", { class: "hint error", text: problem }));
  else if (!items.length) items.push(el("li", { class: "hint", text: withKey ? "Your key has no jobs yet." : "No jobs from this browser yet." }));
  $("jobs").replaceChildren(...items);
}
