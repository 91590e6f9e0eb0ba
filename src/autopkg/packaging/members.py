"""What a published package consists of, as its manifest names it.

The zip route and the package file server both take a package to be exactly these
paths (relative to the boundary folder), so neither lists folders: a stray file, a
dotfile or a link beside them is never part of a package.
"""

from __future__ import annotations

from autopkg.packaging.layout import (
    DATASET_PAGES,
    MANIFEST,
    PACKAGE_DOCUMENTS,
    PACKAGE_PAGES,
    STAC_COLLECTION,
    dataset_dir,
    parse_data_path,
    preview_path,
    stac_item_path,
)
from autopkg.packaging.manifest import Manifest, Preview, Resource
from autopkg.packaging.summary import summary_documents
from autopkg.slugs import is_slug


def data_resources(manifest: Manifest) -> list[Resource]:
    """Return the manifest's resources whose ``path`` is a data file's place."""
    return [r for r in manifest.resources if parse_data_path(r.path)]


def document_paths(resources: list[Resource]) -> list[str]:
    """Return the pages and documents of a package holding ``resources``.

    The package's own pages and documents, its STAC Collection, and the pages and
    STAC Item of each processor version the resources belong to; some may be missing
    on storage (a package published before they existed).
    """
    documents = [*PACKAGE_PAGES, *PACKAGE_DOCUMENTS, STAC_COLLECTION]
    for processor_id in dict.fromkeys(r.processor or "" for r in resources):
        name, _, version = processor_id.partition(".")
        if is_slug(name) and is_slug(version):
            documents.extend(f"{dataset_dir(name, version)}/{page}" for page in DATASET_PAGES)
            documents.append(stac_item_path(processor_id))
    return documents


def placed_preview(resource: Resource) -> Preview | None:
    """Return the resource's preview record if its path is where its preview belongs.

    The path comes from stored JSON: a preview anywhere else is not the package's.
    """
    preview = resource.preview
    parsed = parse_data_path(resource.path)
    if preview is None or parsed is None or preview.path != preview_path(*parsed):
        return None
    return preview


def published_paths(manifest: Manifest) -> frozenset[str]:
    """Every path of the package the manifest describes, the manifest included."""
    resources = data_resources(manifest)
    previews = (placed_preview(resource) for resource in resources)
    return frozenset(
        [
            MANIFEST,
            *document_paths(resources),
            *(resource.path for resource in resources),
            *(preview.path for preview in previews if preview is not None),
            *summary_documents(manifest),
        ]
    )
