"""The page's jobs in Chromium: "My jobs" is this browser's or the key's, never other
people's; a reload with ``#job=`` restores the job's choices; a bogus one says so once."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.e2e.conftest import serve_env
from tests.e2e.server import ServeProcess
from tests.web.conftest import Requests, Session

TIMEOUT_MS = 90_000
TEST = "test_processor.version_1"
RELIEF = "natural_earth_raster.version_1"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
KEYS = ("key-of-ama", "key-of-kofi")


def submit(server: ServeProcess, boundary: str, processors: list[str], key: str = "") -> str:
    """Submit a job through the API, as another client would, and wait for its end."""
    headers = {"X-API-Key": key} if key else {}
    created = server.post(
        "/v1/jobs", json={"boundary_name": boundary, "processors": processors}, headers=headers
    )
    assert created.status_code == 202, created.text
    job_id: str = created.json()["job_id"]
    return job_id


def ticked(page: Page) -> list[str]:
    boxes = page.locator("#catalogue input[type=checkbox]:checked")
    return sorted(boxes.evaluate_all("(boxes) => boxes.map((box) => box.value)"))


def test_my_jobs_are_this_browser_s_and_a_reload_restores_the_job(
    session: Session, web_server: ServeProcess
) -> None:
    page = session.page
    page.set_viewport_size(DESKTOP)
    someone_else = submit(web_server, "ben", [TEST])
    web_server.wait_for_job(someone_else)
    page.goto(web_server.url + "/")
    jobs = page.locator("#jobs")
    expect(page.locator("#jobs-source")).to_contain_text("Jobs submitted from this browser")
    expect(jobs.get_by_role("listitem")).to_have_text(["No jobs from this browser yet."])
    session.shot("1-no-jobs-yet", jobs)

    page.get_by_role("searchbox", name="Find a boundary").fill("togo")
    page.get_by_role("button", name=re.compile(r"^Togo \(tgo\)")).click()
    page.get_by_role("spinbutton", name="Buffer (km)").fill("2")
    for processor in (TEST, RELIEF):
        page.get_by_role("checkbox", name=re.compile(re.escape(processor))).check()
    with page.expect_response(lambda r: r.url.endswith("/v1/jobs") and r.status == 202) as made:
        page.get_by_role("button", name="Create package").click()
    job_id = made.value.json()["job_id"]
    web_server.wait_for_job(job_id)
    mine = jobs.get_by_role("listitem")
    expect(mine).to_have_count(1, timeout=TIMEOUT_MS)
    expect(mine).to_contain_text("Togo + 2 km (tgo-buffer-2000m)")
    assert someone_else not in page.content()

    # A reload in a fresh page of the same browser: the area, buffer and datasets come
    # back, and the job's progress is in view (not far down the panel).
    page.goto("about:blank")
    page.goto(f"{web_server.url}/#job={job_id}")
    selected = page.locator("#selected")
    expect(selected).to_have_text("Chosen: Togo (tgo)", timeout=TIMEOUT_MS)
    expect(page.get_by_role("spinbutton", name="Buffer (km)")).to_have_value("2")
    page.wait_for_function(
        "(n) => document.querySelectorAll('#catalogue input:checked').length === n", arg=2
    )
    assert ticked(page) == sorted([TEST, RELIEF])
    expect(page.get_by_role("progressbar")).to_have_count(2)
    expect(page.locator("#progress")).to_be_in_viewport()
    expect(page.locator("#buffered")).to_contain_text("“Togo + 2 km” (tgo-buffer-2000m)")
    session.shot("2-restored", page.locator("#progress"))
    page.set_viewport_size(PHONE)
    page.locator("#progress").scroll_into_view_if_needed()
    session.shot("2-restored-phone")
    expect(jobs.get_by_role("listitem")).to_have_count(1)
    assert session.requests.outside == []


def test_a_bogus_job_link_says_so_where_the_job_would_be_and_stops_asking(
    session: Session, web_server: ServeProcess
) -> None:
    page = session.page
    page.set_viewport_size(PHONE)
    bogus = "no-such-job-0000"
    asked: list[str] = []
    page.on(
        "request", lambda r: asked.append(r.url) if r.url.endswith(f"/v1/jobs/{bogus}") else None
    )
    page.goto(f"{web_server.url}/#job={bogus}")
    progress = page.locator("#progress")
    expect(progress.get_by_role("alert")).to_contain_text(
        f"There is no job {bogus} on this service"
    )
    expect(progress).to_be_in_viewport()
    session.shot("bogus", progress)
    # The page polls every second while a job runs: three seconds would be three asks.
    page.wait_for_timeout(3000)
    assert 1 <= len(asked) <= 2, asked
    expect(page.locator("#create-status")).to_have_text("")
    assert session.requests.outside == []


@pytest.fixture(scope="module")
def keyed_server(
    tmp_path_factory: pytest.TempPathFactory, source_mirror: str
) -> Iterator[ServeProcess]:
    """A server whose jobs belong to API keys."""
    env = {**serve_env(source_mirror), "AUTOPKG_API_KEYS": ",".join(KEYS)}
    process = ServeProcess(tmp_path_factory.mktemp("web-keyed"), env)
    process.start()
    yield process
    process.stop()


def test_with_a_key_my_jobs_are_the_key_s(
    browser: Browser, keyed_server: ServeProcess, request: pytest.FixtureRequest
) -> None:
    ama, kofi = KEYS
    amas = submit(keyed_server, "gha", [TEST], key=ama)
    kofis = submit(keyed_server, "tgo", [TEST], key=kofi)
    context = browser.new_context(viewport=DESKTOP)
    requests = Requests()
    context.route("**/*", requests.handle)
    page = context.new_page()
    session = Session(page=page, context=context, requests=requests, name=request.node.name)
    try:
        page.goto(keyed_server.url + "/")
        jobs = page.locator("#jobs")
        # Without a key: this browser's jobs only (none), never the service's list.
        expect(jobs.get_by_role("listitem")).to_have_text(["No jobs from this browser yet."])
        assert not any(re.search(r"/v1/jobs(\?|$)", url) for url in requests.seen)
        page.get_by_text("API key (only if this service asks for one)").click()
        key_box = page.get_by_label("API key", exact=True)
        key_box.fill(ama)
        key_box.dispatch_event("change")
        expect(page.locator("#jobs-source")).to_have_text("The latest jobs of your API key.")
        expect(jobs.get_by_role("listitem")).to_have_count(1)
        expect(jobs).to_contain_text("Ghana (gha)")
        expect(jobs).not_to_contain_text("Togo")
        session.shot("ama-s-jobs", jobs)
        key_box.fill("not-a-key")
        key_box.dispatch_event("change")
        expect(jobs).to_contain_text("That API key is not accepted")
        assert amas != kofis
        assert requests.outside == []
    finally:
        context.close()
