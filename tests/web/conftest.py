"""Real headless Chromium (Debian's, never a downloaded one) driving a real ``autopkg serve``."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from filelock import FileLock
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Route, sync_playwright

from tests.e2e.conftest import serve_env
from tests.e2e.server import ServeProcess

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# Without these, Chromium calls Google hosts at start-up (the machine has no internet).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Debian's chromium, installed by ``scripts/ensure-chromium`` when missing (or fail)."""
    # One install at a time: apt refuses a second while the first holds its lock. The
    # parent of the temporary folder is shared by every pytest process of the user.
    with FileLock(tmp_path_factory.getbasetemp().parent / "ensure-chromium.lock"):
        installed = subprocess.run(
            [ROOT / "scripts" / "ensure-chromium"], capture_output=True, text=True, check=False
        )
    if installed.returncode != 0 or not CHROMIUM.exists():
        pytest.fail(f"Debian's chromium could not be installed:\n{installed.stderr[-2000:]}")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Browser]:
    """One headless Chromium for each module of browser tests.

    Not one for the session: Playwright's sync API keeps an event loop running in the
    main thread while it is started, and a later test of another layer on the same
    xdist worker could not call ``asyncio.run``.
    """
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def web_server(
    tmp_path_factory: pytest.TempPathFactory, source_mirror: str
) -> Iterator[ServeProcess]:
    """A real server for the page, with the test processors and a source mirror."""
    process = ServeProcess(tmp_path_factory.mktemp("web-serve"), serve_env(source_mirror))
    process.start()
    yield process
    process.stop()


@dataclass
class Requests:
    """Every request the page made, and those aimed anywhere but 127.0.0.1 (aborted)."""

    seen: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def handle(self, route: Route) -> None:
        """Let loopback requests through; abort and record any other."""
        url = route.request.url
        self.seen.append(url)
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()


@dataclass
class Session:
    """A page in a fresh browser context, its request log and a screenshot helper."""

    page: Page
    context: BrowserContext
    requests: Requests
    name: str

    def shot(self, step: str, show: Locator | None = None) -> Path:
        """Save a screenshot for ``step`` under ``test-artifacts/screenshots``.

        The side panel scrolls on its own, so ``show`` is scrolled into view first.
        """
        if show is not None:
            show.scroll_into_view_if_needed()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{step}.png"
        self.page.screenshot(path=path)
        return path


@pytest.fixture
def session(
    browser: Browser, web_server: ServeProcess, request: pytest.FixtureRequest
) -> Iterator[Session]:
    """A fresh page on the server, with every non-loopback request blocked and recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web_server.url)
    requests = Requests()
    context.route("**/*", requests.handle)
    page = context.new_page()
    yield Session(page=page, context=context, requests=requests, name=request.node.name)
    context.close()
