"""Library diagnostics become DEBUG log records, never bare text on stderr.

GDAL speaks through several channels: pyogrio turns its warnings into Python
``RuntimeWarning``s, rasterio logs them on ``rasterio._env`` at WARNING, and numpy and
shapely emit ``RuntimeWarning``s of their own. None of them asks anything of a user
(the clip engine checks what matters and raises a one-line error), and printed as they
come they break a command's output and progress bar (rasterio even logs at INFO each
error GDAL signals while a format is being probed). So they are logged at DEBUG:
hidden in normal runs, shown with ``AUTOPKG_LOG_LEVEL=DEBUG`` or ``autopkg --debug``.
"""

from __future__ import annotations

import logging
import warnings
from typing import TextIO

#: Top-level loggers of the geospatial libraries whose INFO and WARNING records are demoted.
LIBRARY_LOGGERS = frozenset({"rasterio", "pyogrio", "fiona", "shapely"})

_log = logging.getLogger("py.warnings")


def route_python_warnings() -> None:
    """Send every Python warning (filters still apply) to the log at DEBUG, on one line."""
    warnings.showwarning = _log_warning


def _log_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    _log.debug("%s: %s (%s:%d)", category.__name__, message, filename, lineno)


class LibraryWarningsAsDebug(logging.Filter):
    """A handler filter that turns the libraries' INFO and WARNING records into DEBUG ones.

    A filter on the handler sees records after their logger let them through, so it
    also drops the demoted record unless the root logger is at DEBUG.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Demote a library INFO or WARNING; keep it only if DEBUG records are wanted."""
        demoted = record.levelno in (logging.INFO, logging.WARNING)
        if not demoted or record.name.split(".")[0] not in LIBRARY_LOGGERS:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)
