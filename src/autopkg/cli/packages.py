"""``autopkg packages``: list, validate, rebuild and summarise published packages."""

from __future__ import annotations

from typing import Annotated

import typer

from autopkg.cli.common import JsonOption, console, err_console, print_json, runtime

app = typer.Typer(help="Inspect published packages.", no_args_is_help=True, add_completion=False)
Boundary = Annotated[str, typer.Argument(help="Boundary name, e.g. gha.")]


@app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """List boundaries with a published package and their URIs."""
    from autopkg.services import packages as service

    rt = runtime()
    found = [(name, rt.package_url(name)) for name in service.list_packages(rt)]
    if as_json:
        print_json([{"boundary_name": name, "uri": uri} for name, uri in found])
        return
    for name, uri in found:
        console.print(f"{name}\t{uri}", markup=False, highlight=False)


@app.command("validate")
def validate_command(
    boundaries: Annotated[list[str], typer.Argument(help="Boundary names, e.g. gha tgo.")],
) -> None:
    """Re-check every file's bytes and hash and validate the manifest of each package.

    Exits 1 when any package has a problem; every package named is checked first.
    """
    from autopkg.services import packages as service

    rt = runtime()
    invalid = False
    for boundary in boundaries:
        problems, notes = service.check_package(rt, boundary)
        for note in notes:
            err_console.print(f"note: {boundary}: {note}", markup=False)
        for problem in problems:
            err_console.print(f"{boundary}: {problem}", markup=False)
        if problems:
            invalid = True
        else:
            console.print(f"{boundary}: valid")
    if invalid:
        raise typer.Exit(1)


@app.command("rebuild")
def rebuild_command(boundary: Boundary) -> None:
    """Regenerate datapackage.json from the files on storage."""
    from autopkg.domain.metadata import Metadata
    from autopkg.jobs.locks import publish_lock
    from autopkg.packaging.publish import rebuild_manifest
    from autopkg.services.boundaries import get_boundary
    from autopkg.services.packages import mark_packages_changed

    rt = runtime()
    found = get_boundary(rt, boundary)

    def lookup(processor_id: str) -> Metadata | None:
        return rt.registry.get(processor_id).metadata if processor_id in rt.registry else None

    manifest = rebuild_manifest(
        rt.storage,
        found,
        lookup,
        lock=publish_lock(rt, found.name),
        package_url=rt.citable_package_url(found.name),
    )
    mark_packages_changed(rt)
    console.print(f"{boundary}: rebuilt with {len(manifest.resources)} resources")


@app.command("summary")
def summary_command(
    boundary: Boundary,
    statistic: Annotated[
        str | None, typer.Option(help="Only this statistic, e.g. population_exposed.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print the package's summary: one row per value (--json: the API's rows)."""
    from dataclasses import asdict

    from autopkg.services.summaries import package_summary

    rows = package_summary(runtime(), boundary, statistic=statistic)
    if as_json:
        print_json([asdict(row) for row in rows])
        return
    # Tab-separated, like the other listings: whole values at any terminal width.
    console.print(
        "area\tstatistic\tcategory\tthreshold\texposure\tvalue\tfile", markup=False, highlight=False
    )
    for row in rows:
        threshold = "" if row.threshold is None else f"{row.threshold:g} {row.threshold_unit}"
        line = "\t".join(
            (
                row.area,
                row.statistic,
                row.category,
                threshold,
                row.exposure_processor,
                f"{row.value:.6g} {row.unit}",
                row.source_file.rsplit("/", 1)[-1],
            )
        )
        console.print(line, markup=False, highlight=False)
