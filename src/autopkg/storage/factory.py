"""Choose the storage backend named by the settings."""

from __future__ import annotations

from pydantic import SecretStr

from autopkg.config import Settings
from autopkg.storage.base import Storage
from autopkg.storage.localfs import LocalFSStorage


def make_storage(settings: Settings) -> Storage:
    """Return the configured backend: a local folder, or an S3 bucket."""
    if settings.storage_backend == "awss3":
        # Imported here: boto3 takes a noticeable time to import and local mode never
        # needs it.
        from autopkg.storage.s3 import S3Storage, S3Timeouts

        assert settings.s3_bucket is not None  # guaranteed by Settings validation
        return S3Storage(
            settings.s3_bucket,
            region=settings.s3_region,
            endpoint_url=settings.s3_endpoint_url,
            access_key=_reveal(settings.s3_access_key),
            secret_key=_reveal(settings.s3_secret_key),
            timeouts=S3Timeouts(
                connect=settings.s3_connect_timeout_secs,
                read=settings.s3_read_timeout_secs,
                attempts=settings.s3_max_attempts,
            ),
        )
    return LocalFSStorage(settings.packages_root)


def _reveal(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None
