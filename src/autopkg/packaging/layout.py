"""Where each part of a package lives on storage (keys relative to the storage root).

```
<boundary>/datapackage.json, index.html, license.html, version.html, provenance.json
<boundary>/CITATION.cff, citation.bib, citation.json, boundary.geojson
<boundary>/stac/collection.json, stac/<processor>-<version>.json
<boundary>/summary/summary.csv, summary/summary.parquet
<boundary>/datasets/<processor>/<version>/index.html, license.html
<boundary>/datasets/<processor>/<version>/data/<files>
<boundary>/datasets/<processor>/<version>/previews/<data file>.png
```
Manifest paths are relative to the boundary folder, keys include it.
"""

from __future__ import annotations

from autopkg.slugs import is_slug

MANIFEST = "datapackage.json"
PROVENANCE = "provenance.json"
CITATION_CFF = "CITATION.cff"
CITATION_BIB = "citation.bib"
CITATION_JSON = "citation.json"
BOUNDARY = "boundary.geojson"
#: Documents of the boundary folder beside the pages, rewritten with every commit.
PACKAGE_DOCUMENTS = (PROVENANCE, CITATION_CFF, CITATION_BIB, CITATION_JSON, BOUNDARY)
#: Pages of the boundary folder, and of each ``datasets/<name>/<version>/`` folder.
PACKAGE_PAGES = ("index.html", "license.html", "version.html")
DATASET_PAGES = ("index.html", "license.html")
#: Folders of a dataset's files: the data, and the previews of the data.
DATA = "data"
PREVIEWS = "previews"
#: The STAC catalogue: a Collection and one Item per processor version, side by side.
STAC = "stac"
STAC_COLLECTION = f"{STAC}/collection.json"
#: The summary table, as CSV and as Parquet (the same rows).
SUMMARY_CSV = "summary/summary.csv"
SUMMARY_PARQUET = "summary/summary.parquet"


def package_key(boundary_name: str, relative: str) -> str:
    """Return the storage key of ``relative`` (a path inside the boundary's folder)."""
    return f"{boundary_name}/{relative}"


def dataset_dir(name: str, version: str) -> str:
    """Return the folder of one processor version, relative to the boundary folder."""
    return f"datasets/{name}/{version}"


def data_path(name: str, version: str, file_name: str) -> str:
    """Return the manifest ``path`` of a data file (relative to the boundary folder)."""
    return f"{dataset_dir(name, version)}/data/{file_name}"


def preview_path(name: str, version: str, data_file_name: str) -> str:
    """Return the manifest ``path`` of the preview PNG of a data file."""
    return f"{dataset_dir(name, version)}/{PREVIEWS}/{data_file_name}.png"


def stac_item_path(processor_id: str) -> str:
    """Return where the STAC Item of processor version ``<name>.<version>`` lives."""
    name, _, version = processor_id.partition(".")
    return f"{STAC}/{name}-{version}.json"


def parse_data_path(relative: str) -> tuple[str, str, str] | None:
    """Split ``datasets/<name>/<version>/data/<file>`` into its parts, else ``None``.

    ``name`` and ``version`` must be slugs and ``file`` non-empty.
    """
    parts = relative.split("/")
    if (
        len(parts) == 5
        and parts[0] == "datasets"
        and parts[3] == DATA
        and is_slug(parts[1])
        and is_slug(parts[2])
        and parts[4]
    ):
        return parts[1], parts[2], parts[4]
    return None
