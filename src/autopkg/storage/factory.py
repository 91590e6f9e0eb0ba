"""Choose the storage backend named by the settings."""

from __future__ import annotations

from autopkg.config import Settings
from autopkg.errors import ConfigurationError
from autopkg.storage.base import Storage
from autopkg.storage.localfs import LocalFSStorage


def make_storage(settings: Settings) -> Storage:
    """Return the configured backend (``localfs`` now; ``awss3`` plugs in here)."""
    if settings.storage_backend == "localfs":
        return LocalFSStorage(settings.packages_root)
    raise ConfigurationError(
        f"AUTOPKG_STORAGE_BACKEND={settings.storage_backend!r} is not available in this build"
    )
