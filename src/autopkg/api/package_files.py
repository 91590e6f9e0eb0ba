"""Package files of local storage under ``/packages/``: exactly what a manifest names.

Starlette's ``StaticFiles`` serves whatever lies in the folder: dotfiles, a file
someone left there, a symlink pointing anywhere inside the root and a hard link to
any file of the same file system. A package is what its manifest names
(:func:`~autopkg.packaging.members.published_paths`), so only those paths are served,
and only as regular files reached without a symlink and with no other name (one link).
A folder URL (a package's ``uri``) serves its ``index.html``.

Several ranges in one ``Range`` header are answered 200 with the whole file, as RFC
9110 allows: Starlette's multipart answer declared a length it did not send.
"""

from __future__ import annotations

import os

from fastapi.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from autopkg.errors import AutopkgError, InvalidInputError
from autopkg.packaging.layout import MANIFEST, package_key
from autopkg.packaging.manifest import load_manifest
from autopkg.packaging.members import published_paths
from autopkg.packaging.versions import VERSIONS, archived_paths, is_version, read_version
from autopkg.slugs import is_slug
from autopkg.storage.localfs import LocalFSStorage

_INDEX = "index.html"


class PackageFiles(StaticFiles):
    """Read-only package files of a :class:`LocalFSStorage`, GET and HEAD only."""

    def __init__(self, storage: LocalFSStorage) -> None:
        super().__init__(directory=storage.root, html=True, check_dir=False)
        self.storage = storage

    async def check_config(self) -> None:
        """Check the folder once it exists: until the first publication makes it, the
        storage holds no package and every path is 404 (Starlette's check fails there)."""
        if self.storage.root.is_dir():
            await super().check_config()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, a ``Range`` of several ranges ignored."""
        headers = [
            (name, value)
            for name, value in scope["headers"]
            if not (name == b"range" and b"," in value)
        ]
        await super().__call__({**scope, "headers": headers}, receive, send)

    def get_path(self, scope: Scope) -> str:
        """The path below the mount, as sent (no normalisation: ``..`` is refused later)."""
        path = str(scope["path"])
        root = str(scope.get("root_path", ""))
        return (path[len(root) :] if path.startswith(root) else path).lstrip("/")

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file at ``path`` if its package's manifest names it; else 404 (405)."""
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(status_code=405)
        boundary, slash, relative = path.partition("/")
        if not relative or relative.endswith("/"):
            relative += _INDEX
        found = await run_in_threadpool(self._lookup, boundary, relative)
        if found is None:
            raise HTTPException(status_code=404)
        if not slash:
            # A relative Location: the Host header is never reflected.
            return RedirectResponse(str(scope["path"]) + "/", status_code=307)
        full_path = self.storage.path_of(package_key(boundary, relative))
        return self.file_response(full_path, found, scope)

    def _lookup(self, boundary: str, relative: str) -> os.stat_result | None:
        """The status of ``relative`` in ``boundary``'s package if it is to be served."""
        if not is_slug(boundary):
            return None
        named = self._named(boundary, relative)
        if relative not in named:
            return None
        try:
            info = self.storage.stat(package_key(boundary, relative))
        except InvalidInputError:
            return None
        return info if info is not None and info.st_nlink == 1 else None

    def _named(self, boundary: str, relative: str) -> frozenset[str]:
        """The paths that may be served for ``relative``: its package's, or its version's.

        A file under ``versions/<version>/`` is served when that version's kept manifest
        names it (a file a later publication replaced, see
        :mod:`~autopkg.packaging.versions`).
        """
        folder, _, rest = relative.partition("/")
        try:
            if folder == VERSIONS:
                version = rest.partition("/")[0]
                kept = (
                    read_version(self.storage, boundary, version) if is_version(version) else None
                )
                return frozenset() if kept is None else archived_paths(kept, version)
            key = package_key(boundary, MANIFEST)
            raw = self.storage.get_bytes(key)
            return frozenset() if raw is None else published_paths(load_manifest(raw, key))
        except AutopkgError:
            return frozenset()
