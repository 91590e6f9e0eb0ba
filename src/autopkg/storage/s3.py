"""Package storage in an S3 bucket (AWS or any S3-compatible store).

Keys are object keys under the bucket root, checked by the same rule as on local
disk. S3 replaces an object atomically, so readers see the old object or the new one;
files above the multipart threshold are uploaded in parts, which S3 assembles only
when the last part arrives. Public URLs come from ``AUTOPKG_PACKAGES_HOST_URL`` (the
bucket, a website endpoint or a CDN in front of it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as S3ConnectionError

from autopkg.errors import NotFoundError, StorageError, StorageUnavailableError
from autopkg.storage.base import StoredFile
from autopkg.storage.keys import validate_key, validate_prefix

#: Files larger than this are uploaded in parts of this size.
MULTIPART_BYTES = 64 * 2**20
_MISSING = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class S3Timeouts:
    """Bounds of every S3 request: seconds to connect, to each answer, and attempts."""

    connect: float = 5.0
    read: float = 10.0
    attempts: int = 3


class S3Storage:
    """A :class:`~autopkg.storage.base.Storage` backed by one S3 bucket."""

    def __init__(
        self,
        bucket: str,
        *,
        region: str,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        timeouts: S3Timeouts = S3Timeouts(),
    ) -> None:
        self.bucket = bucket
        # boto3 waits 60 s for each answer and retries; a store that accepts connections
        # but never answers (a hung server) then held every caller for minutes.
        self._client: Any = boto3.client(
            "s3",
            region_name=region,
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(
                connect_timeout=timeouts.connect,
                read_timeout=timeouts.read,
                retries={"max_attempts": timeouts.attempts, "mode": "standard"},
            ),
        )
        self._transfer = TransferConfig(
            multipart_threshold=MULTIPART_BYTES, multipart_chunksize=MULTIPART_BYTES
        )

    def put_file(self, local_path: Path, key: str, content_type: str) -> StoredFile:
        """Upload ``local_path`` to ``key`` (in parts when large), hashing it on the way."""
        validate_key(key)
        with _errors("writing", key), local_path.open("rb") as handle:
            reader = _HashingReader(handle)
            self._client.upload_fileobj(
                reader,
                self.bucket,
                key,
                ExtraArgs={"ContentType": content_type},
                Config=self._transfer,
            )
        return StoredFile(size=reader.size, sha256=reader.digest.hexdigest())

    def put_bytes(self, data: bytes, key: str, content_type: str) -> None:
        """Write ``data`` to ``key``."""
        validate_key(key)
        with _errors("writing", key):
            self._client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type
            )

    def get_bytes(self, key: str) -> bytes | None:
        """Return the object's bytes, or ``None`` if there is no such object."""
        validate_key(key)
        try:
            with _errors("reading", key):
                response = self._client.get_object(Bucket=self.bucket, Key=key)
                data: bytes = response["Body"].read()
        except NotFoundError:
            return None
        return data

    def iter_chunks(self, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Stream the object's bytes.

        Raises:
            NotFoundError: if there is no object at ``key`` (raised by the call itself).
        """
        validate_key(key)
        with _errors("reading", key):
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        return _stream(response["Body"], chunk_size, key)

    def size(self, key: str) -> int | None:
        """Return the object's size in bytes, or ``None`` if it does not exist."""
        validate_key(key)
        try:
            with _errors("reading", key):
                head = self._client.head_object(Bucket=self.bucket, Key=key)
        except NotFoundError:
            return None
        return int(head["ContentLength"])

    def copy(self, key: str, to_key: str) -> None:
        """Copy ``key`` to ``to_key`` inside the bucket (server side, in parts when large).

        Raises:
            NotFoundError: if there is no object at ``key``.
        """
        validate_key(key)
        validate_key(to_key)
        with _errors("copying", key):
            self._client.copy(
                {"Bucket": self.bucket, "Key": key}, self.bucket, to_key, Config=self._transfer
            )

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        validate_key(key)
        with _errors("deleting", key):
            self._client.delete_object(Bucket=self.bucket, Key=key)

    def list_keys(self, prefix: str) -> list[str]:
        """Return the sorted keys of every object under the folder-like ``prefix``."""
        validate_prefix(prefix)
        keys: list[str] = []
        with _errors("listing", prefix or "/"):
            for page in self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            ):
                keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(key for key in keys if _is_valid_key(key))

    def list_folders(self) -> list[str]:
        """Return the sorted key prefixes before a first ``/`` (S3's common prefixes)."""
        names: list[str] = []
        with _errors("listing", "/"):
            for page in self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Delimiter="/"
            ):
                names.extend(p["Prefix"].rstrip("/") for p in page.get("CommonPrefixes", []))
        return sorted(names)

    def url(self, key: str, host_url: str) -> str:
        """Return ``host_url`` joined with the URL-quoted ``key``."""
        return host_url.rstrip("/") + "/" + "/".join(quote(s) for s in validate_key(key))


class _HashingReader:
    """A file reader that hashes what it hands out.

    It says it cannot seek, so boto3 reads it once, in order, part after part: the
    digest is then exactly that of the uploaded bytes.
    """

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, amount: int = -1) -> bytes:
        """Read up to ``amount`` bytes (all with -1), adding them to the digest."""
        chunk = self._handle.read(amount)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk

    def seekable(self) -> bool:
        """No: boto3 must read the file in order."""
        return False


def _is_valid_key(key: str) -> bool:
    try:
        validate_key(key)
    except Exception:
        return False
    return True


def _stream(body: Any, chunk_size: int, key: str) -> Iterator[bytes]:
    try:
        with _errors("reading", key):
            yield from body.iter_chunks(chunk_size)
    finally:
        body.close()


@contextmanager
def _errors(action: str, key: str) -> Iterator[None]:
    """Turn S3 failures into autopkg errors that name the key and the cause."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code in _MISSING:
            raise NotFoundError(f"no stored object {key!r}") from None
        message = error.get("Message") or code
        raise StorageError(f"S3 refused {action} {key}: {message}") from None
    except (S3ConnectionError, HTTPClientError) as exc:
        # Not reached, timed out or cut off (also while a body streams): the store may
        # answer again shortly.
        raise StorageUnavailableError(f"S3 did not answer {action} {key}: {exc}") from None
    except BotoCoreError as exc:
        raise StorageError(f"S3 unreachable {action} {key}: {exc}") from None
