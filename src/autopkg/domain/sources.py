"""Where a processor's data comes from: publishers' files, databases, what a run fetched."""

from __future__ import annotations

from dataclasses import dataclass

from autopkg.domain.facts import SourceFacts


@dataclass(frozen=True)
class Source:
    """One file a processor downloads from its publisher.

    ``size`` and ``sha256`` are pinned when the publisher's bytes are known; so is
    ``checksum``, ``<algorithm>:<hex digest>`` (``sha1:…``, ``md5:…``), for publishers
    that give another algorithm's digest. They are checked unless checksum verification
    is turned off for mirrors of stand-ins. ``pinned_by`` names where pins taken at run
    time come from (a publisher's record), for the message of a file that fails them.
    """

    url: str
    filename: str
    size: int | None = None
    sha256: str | None = None
    checksum: str | None = None
    pinned_by: str | None = None


@dataclass(frozen=True)
class SourceSet:
    """Every source a processor can need, whatever the boundary and options.

    ``files`` are always the same; ``indexes`` are small files read to decide the others
    (a listing, a tile schema), and ``listed`` the files they name. With
    ``may_be_absent``, a listed file the publisher does not serve (HTTP 404) is not
    missing but absent by design (a tile of open sea).
    """

    files: tuple[Source, ...] = ()
    indexes: tuple[Source, ...] = ()
    listed: tuple[Source, ...] = ()
    may_be_absent: bool = False


@dataclass(frozen=True)
class RasterPrior:
    """The grid a processor's estimates assume for a raster source.

    ``member`` is the GeoTIFF's path inside a zip source (``None``: the source is one).
    """

    grid: SourceFacts
    member: str | None = None


@dataclass(frozen=True)
class PostgresSource:
    """A PostgreSQL database a processor reads its source from (e.g. ``AUTOPKG_OSM_PG*``)."""

    host: str
    port: int
    dbname: str
    user: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class FetchedSource:
    """A source a run fetched: where it came from and exactly which bytes it holds.

    ``missing`` says why a source has no bytes (the publisher answered that it has no
    such file), for a processor that can do without it (a tile of the sea); its size
    is then 0 and its sha256 empty.
    """

    url: str
    filename: str
    size: int
    sha256: str
    missing: str | None = None
