"""What loading a country's admin units costs: ``autopkg boundaries import``, measured.

geoBoundaries stand-ins (the test suite's generator, cut from the built-in countries
and densified to the publisher's file sizes) are served by a local HTTP mirror; each
import runs as its own process (``benchmarks.measure.run``: wall time and its own peak
RSS) on a fresh SQLite database: download, parse, repair, parents, store. Then one
``--all`` run over all 242 countries, where the mirror has only these two: what a
whole-world install costs beyond the files themselves (one API request per country and
level, answered 404).

``python -m benchmarks.admin_units`` prints the table; ``make bench`` runs it as the
``admin`` section.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.fixtures.mirror import serve_directory
from tests.fixtures.standin_geoboundaries import StandinCountry, write_country

from benchmarks.measure import PYTHON, Sample, run

#: Kenya-sized (47 counties, ~290 sub-counties) and India-sized (~700 districts) stand-ins;
#: densified every 0.002° (about 200 m) so the files weigh what the publisher's do.
COUNTRIES = (
    ("Kenya-sized", StandinCountry("KEN", adm1_grid=(8, 8), adm2_grid=(2, 3), densify=0.002)),
    ("India-sized", StandinCountry("IND", adm1_grid=(7, 7), adm2_grid=(5, 5), densify=0.002)),
)
HEADER = (
    "| import | admin-1 units | admin-2 units | files (MB) | wall (s) | peak RSS (MB) |",
    "|---|---|---|---|---|---|",
)


def _run(arguments: list[str], env: dict[str, str]) -> Sample:
    return run([PYTHON, "-m", "autopkg", *arguments], env)


def admin_units_rows() -> list[str]:
    """Markdown lines: one row per country import, then the whole-world run."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="admin-units-") as folder:
        root = Path(folder) / "mirror"
        sizes = {}
        for _, country in COUNTRIES:
            written = write_country(root, country)
            files = root.rglob(f"geoBoundaries-{country.iso3}-ADM*.geojson")
            sizes[country.iso3] = (
                {level: len(found) for level, found in written.features.items()},
                sum(path.stat().st_size for path in files) / 1e6,
            )
        with serve_directory(root) as url:
            base = {
                "AUTOPKG_SOURCE_MIRROR": url,
                "AUTOPKG_VERIFY_SOURCE_CHECKSUMS": "false",
                "AUTOPKG_LOG_LEVEL": "ERROR",
            }
            for label, country in COUNTRIES:
                env = {**base, "AUTOPKG_DATA_DIR": str(Path(folder) / f"data-{country.iso3}")}
                # Migrations and the built-in countries first, so the row is the import.
                _run(["boundaries", "list", "--json"], env)
                first = _run(["boundaries", "import", country.iso3], env)
                counts, megabytes = sizes[country.iso3]
                rows.append(
                    f"| {label} ({country.iso3}) | {counts[1]} | {counts[2]} | "
                    f"{megabytes:.1f} | {first.seconds:.1f} | {first.peak_mb:.0f} |"
                )
                again = _run(["boundaries", "import", country.iso3], env)
                rows.append(f"| {country.iso3} again (loaded: nothing to do) | | | | "
                            f"{again.seconds:.1f} | {again.peak_mb:.0f} |")  # fmt: skip
            env = {**base, "AUTOPKG_DATA_DIR": str(Path(folder) / "data-world")}
            _run(["boundaries", "list", "--json"], env)
            world = _run(["boundaries", "import", "--all"], env)
            loaded = len(world.stdout.splitlines())
            rows.append(
                f"| `--all` ({loaded} countries; the two above, the rest 404) | | | | "
                f"{world.seconds:.1f} | {world.peak_mb:.0f} |"
            )
    return [*HEADER, *rows]


if __name__ == "__main__":
    print("\n".join(admin_units_rows()))
