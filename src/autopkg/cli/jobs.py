"""``autopkg jobs``: submit, watch and list jobs on a running service (local or remote)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from autopkg.cli.common import JsonOption, console, err_console, job_progress, print_json
from autopkg.cli.options import BufferOption, OptionsJsonOption, parse_options_json

if TYPE_CHECKING:
    from rich.progress import TaskID

    from autopkg.cli.remote import ApiClient

app = typer.Typer(
    help="Submit, watch and list jobs on a running service.",
    no_args_is_help=True,
    add_completion=False,
)

# The service a person talks to is set once in the shell, like any client's endpoint.
ApiOption = Annotated[
    str, typer.Option("--api", envvar="AUTOPKG_API_URL", help="Base URL of the service.")
]
KeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key", envvar="AUTOPKG_API_KEY", help="API key, when the service requires one."
    ),
]
DEFAULT_API = "http://127.0.0.1:8000"
_POLL_SECONDS = 0.5


@app.command("submit")
def submit_command(
    boundary: Annotated[str, typer.Argument(help="Boundary name, e.g. gha.")],
    processor: Annotated[
        list[str], typer.Option("--processor", "-p", help="Processor id; repeat for more.")
    ],
    api: ApiOption = DEFAULT_API,
    api_key: KeyOption = None,
    watch: Annotated[bool, typer.Option(help="Follow the job until it is complete.")] = False,
    as_json: JsonOption = False,
    options_json: OptionsJsonOption = None,
    buffer_m: BufferOption = None,
) -> None:
    """Submit a job; with --watch follow it (exit 1 unless every processor succeeded)."""
    options = parse_options_json(options_json)
    client = _client(api, api_key)
    try:
        job_id = client.submit(boundary, processor, options, buffer_m=buffer_m)
        if not watch:
            _print(client.job(job_id) if as_json else None, f"job {job_id}", as_json)
            return
        _finish(_follow(client, job_id, quiet=as_json), as_json)
    finally:
        client.close()


@app.command("watch")
def watch_command(
    job_id: Annotated[str, typer.Argument(help="The job id submit printed.")],
    api: ApiOption = DEFAULT_API,
    as_json: JsonOption = False,
) -> None:
    """Follow a job with a progress bar per processor until it is complete."""
    client = _client(api)
    try:
        _finish(_follow(client, job_id, quiet=as_json), as_json)
    finally:
        client.close()


@app.command("list")
def list_command(
    api: ApiOption = DEFAULT_API,
    api_key: KeyOption = None,
    boundary: Annotated[str | None, typer.Option(help="Only jobs for this boundary.")] = None,
    state: Annotated[str | None, typer.Option(help="PENDING or COMPLETE.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many, newest first.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """List jobs, newest first (with API keys, the key's own)."""
    client = _client(api, api_key)
    try:
        page = client.jobs(boundary_name=boundary, state=state, limit=limit)
    finally:
        client.close()
    if as_json:
        print_json(page)
        return
    table = Table("job", "boundary", "status", "outcome", "%", "processors")
    for job in page["jobs"]:
        table.add_row(
            job["job_id"],
            _boundary_label(job),
            job["job_group_status"],
            job.get("job_group_outcome") or "",
            f"{job['job_group_percent_complete']:.0f}",
            ", ".join(p["processor_name"] for p in job["job_group_processors"]),
        )
    console.print(table)


def _boundary_label(job: dict[str, Any]) -> str:
    """The boundary's id, with a custom area's given name (services from before it have none)."""
    name, long_name = job["boundary_name"], job.get("boundary_name_long")
    return f"{name} ({long_name})" if long_name and name.startswith("custom-") else name


def _client(api: str, api_key: str | None = None) -> ApiClient:
    # httpx loads with the first command that calls the API, not with ``--help``.
    from autopkg.cli.remote import ApiClient

    return ApiClient(api, api_key)


def _follow(client: ApiClient, job_id: str, *, quiet: bool) -> dict[str, Any]:
    """Poll until COMPLETE; bars on stderr (not with --json, so stdout stays parseable)."""
    bars: dict[str, TaskID] = {}
    with job_progress(quiet=quiet) as progress:
        while True:
            body = client.job(job_id)
            for run in body["job_group_processors"]:
                name = run["processor_name"]
                if name not in bars:
                    bars[name] = progress.add_task(name, total=100, state="", task="")
                progress.update(
                    bars[name],
                    completed=run["job_progress"]["percent_complete"],
                    state=run["job_status"],
                    task=run["job_progress"]["current_task"],
                )
            if body["job_group_status"] == "COMPLETE":
                return body
            time.sleep(_POLL_SECONDS)


def _finish(body: dict[str, Any], as_json: bool) -> None:
    outcome = body.get("job_group_outcome")
    _print(body if as_json else None, f"job {body['job_id']}: {outcome}", as_json)
    for run in body["job_group_processors"]:
        if run["job_status"] == "FAILURE" and not as_json:
            detail = (run.get("job_result") or {}).get("detail", "failed")
            err_console.print(f"{run['processor_name']}: FAILURE: {detail}", markup=False)
    if outcome != "SUCCESS":
        raise typer.Exit(1)


def _print(body: dict[str, Any] | None, line: str, as_json: bool) -> None:
    if as_json and body is not None:
        print_json(body)
    else:
        console.print(line, markup=False, highlight=False)
