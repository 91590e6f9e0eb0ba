"""Service configuration, read once from ``AUTOPKG_*`` environment variables.

Only this module reads the environment. Everything else receives a ``Settings``
instance (or plain arguments derived from it).
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from autopkg.errors import ConfigurationError

LogLevel = Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"]
_URL_SCHEMES = ("http://", "https://", "file://")


class Settings(BaseSettings):
    """All configuration of an autopkg process (API, workers and CLI alike)."""

    model_config = SettingsConfigDict(env_prefix="AUTOPKG_", extra="ignore", frozen=True)

    data_dir: Path = Field(Path("data"), description="Root for everything stored locally.")
    log_level: LogLevel = "INFO"
    log_format: Literal["json", "text"] = Field(
        "json", description="Log lines as JSON objects (one per line) or as text."
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: a SQLite file under the data dir."
    )
    postgres_user: str | None = None
    postgres_password: SecretStr | None = None
    postgres_host: str | None = None
    postgres_port: int = 5432
    postgres_db: str | None = None

    storage_backend: Literal["localfs", "awss3"] = "localfs"
    localfs_storage_backend_root: Path | None = None
    localfs_processing_backend_root: Path | None = None
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    s3_bucket: str | None = None
    s3_region: str = "eu-west-2"
    s3_endpoint_url: str | None = None
    s3_connect_timeout_secs: float = Field(
        5.0, gt=0, le=300, description="Time to open a connection to S3, per attempt."
    )
    s3_read_timeout_secs: float = Field(
        10.0, gt=0, le=3600, description="Time S3 may take to answer, per attempt."
    )
    s3_max_attempts: int = Field(3, ge=1, le=10, description="Attempts of one S3 request.")
    storage_threads: int = Field(
        8, ge=1, le=256, description="Threads of an API process reading package storage."
    )
    packages_host_url: str | None = Field(
        None, description="Public root URL of packages; default: this API's /packages/."
    )
    public_url: str | None = Field(
        None,
        description="Scheme and host clients reach the API at; every absolute URL of an "
        "answer is built from it (default: a Host header of AUTOPKG_ALLOWED_HOSTS, else the "
        "address the request arrived on).",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host header values (host or host:port) trusted to build URLs from.",
    )
    serve_packages: bool = Field(
        True, description="Serve local-folder packages under /packages/ (off: a web server does)."
    )

    celery_broker: str | None = None
    celery_backend: str | None = None
    celery_concurrency: int = Field(2, ge=1, le=256)
    task_expiry_secs: int = Field(
        3600, ge=10, description="A queued run message no worker took by then is dropped."
    )
    task_soft_time_limit_secs: int = Field(
        6 * 3600, ge=1, description="A run still working after this is asked to stop and fails."
    )
    task_time_limit_secs: int = Field(
        6 * 3600 + 300,
        ge=2,
        description="An attempt still working after this is given up (retried or failed).",
    )
    run_stall_secs: int = Field(
        1800,
        ge=1,
        description="An attempt whose progress has not moved for this long is given up.",
    )
    workers: int = Field(2, ge=1, le=64, description="Embedded worker threads.")
    custom_area_retention_days: int = Field(
        30, ge=1, description="A custom area no job asked for in this many days is deleted."
    )
    run_lease_seconds: int = Field(60, ge=5, le=86400)

    include_test_processors: bool = False
    source_mirror: str | None = None
    verify_source_checksums: bool = True
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    admin_api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(5_000_000, ge=1024)
    max_header_bytes: int = Field(
        65_536, ge=1024, description="Request line and headers of one request, in bytes."
    )
    header_timeout_secs: float = Field(
        10.0, gt=0, le=3600, description="Time a request's line and headers may take to arrive."
    )
    body_timeout_secs: float = Field(
        60.0, gt=0, le=86400, description="Time a request's body may take to arrive."
    )
    max_processors_per_job: int = Field(50, ge=1, le=10_000)
    max_output_bytes: int = Field(
        50_000_000_000,
        ge=0,
        description="A job whose estimated output is larger is refused (0: unlimited).",
    )
    max_area_vertices: int = Field(250_000, ge=4, description="Vertices in one request's areas.")
    max_area_rings: int = Field(20_000, ge=1, description="Rings in one request's areas.")
    max_area_parts: int = Field(10_000, ge=1, description="Polygons in one request's areas.")
    # Russia, the largest country, is about 17.1 million km²: every built-in boundary
    # fits, while an area drawn around a continent or the globe is refused.
    max_area_km2: int = Field(
        20_000_000, ge=1, description="Geodesic area of one request's areas, in km²."
    )
    # Buffers are checked to stay within 0.5 % of their distance up to 1,000 km.
    max_buffer_m: int = Field(
        200_000,
        ge=1,
        le=1_000_000,
        description="Largest buffer, in metres, a job may grow its boundary by.",
    )
    max_repair_vertices: int = Field(
        200, ge=0, description="Vertices of invalid geometry one request may have repaired."
    )

    max_queued_jobs_per_client: int = Field(
        20,
        ge=0,
        description="Jobs not yet complete per API key, or per client address without keys "
        "(0: unlimited).",
    )

    rate_writes_per_minute: int = Field(
        60, ge=0, description="Writes per client address and per API key (0: unlimited)."
    )
    rate_auth_failures_per_minute: int = Field(
        10, ge=0, description="Failed authentications per client address (0: unlimited)."
    )
    database_read_timeout_secs: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="Longest a read transaction may run (a request's, or a worker's) "
        "before the database stops it.",
    )
    metrics_max_age_secs: float = Field(
        5.0,
        ge=0,
        le=300,
        description="How long /metrics reuses its reading of the database and storage "
        "(0: read at every scrape).",
    )

    callback_secret: SecretStr | None = Field(
        None,
        description="Key of the HMAC-SHA256 signature on every callback; without it, "
        "jobs asking for callbacks are refused (422).",
    )
    callback_allowed_networks: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default_factory=list,
        description="Networks callbacks may reach although they are not public (loopback, "
        "private, link-local…), comma-separated, e.g. 10.20.0.0/16; none by default.",
    )
    callback_timeout_secs: float = Field(
        10.0, gt=0, le=300, description="Time a callback receiver has to answer one POST."
    )
    callback_backoff_secs: float = Field(
        10.0,
        gt=0,
        le=86400,
        description="Wait before a failed callback is tried again, doubled at each attempt.",
    )
    callback_max_attempts: int = Field(
        10, ge=1, le=100, description="Attempts of one callback before it is given up."
    )
    callback_max_age_secs: float = Field(
        86400.0,
        gt=0,
        description="A callback not delivered this long after its state change is given up.",
    )
    callback_poll_secs: float = Field(
        1.0,
        gt=0,
        le=60,
        description="How often each API process looks for job state changes and due callbacks.",
    )

    osm_pghost: str | None = None
    osm_port: int = 5432
    osm_pgdatabase: str | None = None
    osm_pguser: str | None = None
    osm_pgpassword: SecretStr | None = None

    @field_validator(
        "api_keys", "admin_api_keys", "allowed_hosts", "callback_allowed_networks", mode="before"
    )
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("source_mirror", mode="before")
    @classmethod
    def _mirror(cls, value: object) -> object:
        # A plain path is a local mirror folder: taken as its absolute file:// URL, so
        # the fetches see one form, and refused at start when it is not a folder.
        if not isinstance(value, str) or not value or value.startswith(_URL_SCHEMES):
            return value
        folder = Path(value).expanduser().resolve()
        if not folder.is_dir():
            raise ValueError(f"{value!r} is neither an http(s):// or file:// URL nor a folder")
        return folder.as_uri()

    @field_validator("public_url")
    @classmethod
    def _origin(cls, value: str | None) -> str | None:
        if value is None:
            return value
        _check_url(value, schemes=("http", "https"))
        if urlsplit(value).path.strip("/") or urlsplit(value).query:
            raise ValueError("expected scheme://host[:port] only (no path or query)")
        return value.rstrip("/")

    @field_validator("source_mirror", "packages_host_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(_URL_SCHEMES):
            raise ValueError("must be an http(s):// or file:// URL")
        return value.rstrip("/") if value else value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        # The drivers parse the URL only when they connect, and a bad port then surfaces
        # as a ValueError deep in a traceback; the message never repeats the URL, which
        # may hold a password.
        if value is not None:
            _check_url(value, schemes=None)
        return value

    @field_validator("s3_endpoint_url")
    @classmethod
    def _endpoint_url(cls, value: str | None) -> str | None:
        if value is not None:
            _check_url(value, schemes=("http", "https"))
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Settings:
        if self.storage_backend == "awss3" and not self.s3_bucket:
            raise ValueError("AUTOPKG_STORAGE_BACKEND=awss3 needs AUTOPKG_S3_BUCKET")
        if self.storage_backend == "awss3" and not self.packages_host_url:
            raise ValueError(
                "AUTOPKG_STORAGE_BACKEND=awss3 needs AUTOPKG_PACKAGES_HOST_URL, the public URL "
                "packages are downloaded from (the bucket's URL or a CDN in front of it)"
            )
        if self.task_soft_time_limit_secs >= self.task_time_limit_secs:
            raise ValueError(
                "AUTOPKG_TASK_SOFT_TIME_LIMIT_SECS must be below AUTOPKG_TASK_TIME_LIMIT_SECS"
            )
        if self.celery_backend and not self.celery_broker:
            raise ValueError("AUTOPKG_CELERY_BACKEND is set but AUTOPKG_CELERY_BROKER is not")
        return self

    @property
    def storage_wait_secs(self) -> float:
        """How long an API request waits for package storage before answering 503."""
        return self.s3_connect_timeout_secs + self.s3_read_timeout_secs * self.s3_max_attempts

    @property
    def packages_root(self) -> Path:
        """Folder holding published packages (localfs storage)."""
        return self.localfs_storage_backend_root or self.data_dir / "packages"

    @property
    def processing_root(self) -> Path:
        """Folder holding the source cache and per-run scratch space."""
        return self.localfs_processing_backend_root or self.data_dir / "processing"

    @property
    def source_cache(self) -> Path:
        """Folder where downloaded sources are kept between runs."""
        return self.processing_root / "sources"


def _check_url(value: str, *, schemes: tuple[str, ...] | None) -> None:
    """Refuse a URL without a scheme, with a scheme not in ``schemes``, or with a bad port."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc})") from None
    if not parts.scheme or not value.startswith(f"{parts.scheme}://"):
        raise ValueError("not a URL: expected scheme://…")
    if schemes is not None and (parts.scheme not in schemes or not parts.hostname):
        raise ValueError(f"expected a {' or '.join(schemes)} URL with a host")
    if port == 0:
        raise ValueError("not a valid URL (port 0)")


def load_settings() -> Settings:
    """Read settings from the environment, turning validation errors into one message.

    Raises:
        ConfigurationError: naming every offending ``AUTOPKG_*`` variable.
    """
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            variable = f"AUTOPKG_{field.upper()}" if field else "configuration"
            problems.append(f"{variable}: {error['msg']}")
        raise ConfigurationError("invalid configuration: " + "; ".join(problems)) from None
