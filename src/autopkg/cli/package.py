"""``autopkg package``: build a package locally without the API (the batch path)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from autopkg.cli.common import console, err_console, job_progress, runtime
from autopkg.cli.options import BufferOption, OptionsJsonOption, parse_options_json

if TYPE_CHECKING:
    from rich.progress import TaskID

    from autopkg.jobs.service import JobStatus
    from autopkg.runtime import Runtime


def package_command(
    boundary: Annotated[str, typer.Argument(help="Boundary name, e.g. gha.")],
    processor: Annotated[
        list[str], typer.Option("--processor", "-p", help="Processor id; repeat for more.")
    ],
    output: Annotated[
        Path | None, typer.Option(help="Package root folder (default: the configured one).")
    ] = None,
    options_json: OptionsJsonOption = None,
    buffer_m: BufferOption = None,
) -> None:
    """Run processors for a boundary in this process and publish the package.

    A package whose estimated output is over AUTOPKG_MAX_OUTPUT_BYTES is refused.
    """
    from autopkg.jobs import service
    from autopkg.jobs.embedded import EmbeddedExecutor

    options = parse_options_json(options_json)
    rt = runtime(packages_root=output)
    executor = EmbeddedExecutor(rt, workers=rt.settings.workers, only_dispatched=True)
    # Submitted before the workers start (dispatches wait for them), so a mistake in
    # the request is the only line printed, with none of the workers' start-up lines.
    submission = service.submit(
        rt,
        executor,
        boundary_name=boundary,
        processor_ids=processor,
        options=options,
        buffer_m=buffer_m,
    )
    executor.start()
    try:
        status = _follow(rt, submission.job_id)
    finally:
        executor.stop()
    failed = [run for run in status.runs if run.state.value == "FAILURE"]
    for run in failed:
        detail = (run.result or {}).get("detail", "failed")
        err_console.print(f"{run.processor_id}: FAILURE: {detail}", markup=False)
    package = rt.package_url(status.boundary_name)
    console.print(f"package: {package}", markup=False, highlight=False)
    if failed:
        raise typer.Exit(1)


def _follow(rt: Runtime, job_id: str) -> JobStatus:
    from autopkg.jobs import service

    bars: dict[str, TaskID] = {}
    with job_progress() as progress:
        while True:
            status = service.status(rt, job_id=job_id)
            for run in status.runs:
                if run.processor_id not in bars:
                    bars[run.processor_id] = progress.add_task(
                        run.processor_id, total=100, state="", task=""
                    )
                progress.update(
                    bars[run.processor_id],
                    completed=run.percent,
                    state=run.state.value,
                    task=run.task,
                )
            if status.complete:
                return status
            time.sleep(0.2)
