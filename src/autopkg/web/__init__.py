"""The web page's static files (HTML, JS, CSS and vendored libraries), shipped in the package.

The page is a thin client of the public API: nothing here runs on the server.
"""

from __future__ import annotations

from pathlib import Path

#: Folder served under ``/static``; ``index.html`` is the page at ``/``.
STATIC_DIR = Path(__file__).with_name("static")
