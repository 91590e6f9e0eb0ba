"""Size estimates on the page before submitting (``POST /v1/jobs?dry_run=true``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import serve_env
from tests.e2e.server import ServeProcess
from tests.fixtures.waiting import wait_for
from tests.web.conftest import Requests, Session

TIMEOUT_MS = 90_000
RELIEF = "natural_earth_raster.version_1"
TEST = "test_processor.version_1"
ESTIMATE = re.compile(r"^Estimated [\d.]+ (B|KB|MB|GB)")


def job_count(page: Page, url: str) -> int:
    return int(page.request.get(f"{url}/v1/jobs?limit=1").json()["total"])


def publish(page: Page, url: str, boundary: str, processor: str) -> None:
    """Publish ``processor`` for ``boundary`` through the API, polling until it is done."""
    created = page.request.post(
        f"{url}/v1/jobs", data={"boundary_name": boundary, "processors": [processor]}
    )
    assert created.status == 202, created.text()
    job_url = f"{url}/v1/jobs/{created.json()['job_id']}"
    job = wait_for(
        lambda: page.request.get(job_url).json(),
        lambda job: job["job_group_status"] == "COMPLETE",
        what=f"{processor} for {boundary} finished",
        timeout=TIMEOUT_MS / 1000,
        interval=0.2,
    )
    assert job["job_group_outcome"] == "SUCCESS", job


def choose_benin(page: Page, *processors: str) -> None:
    page.get_by_role("searchbox", name="Find a boundary").fill("benin")
    results = page.get_by_role("list", name="Matching boundaries")
    results.get_by_role("button", name="Benin (ben)").click()
    for processor_id in processors:
        page.get_by_role("checkbox", name=re.compile(re.escape(processor_id))).check()


def test_estimates_show_per_processor_before_submitting(
    session: Session, web_server: ServeProcess
) -> None:
    page = session.page
    page.goto(web_server.url + "/")
    publish(page, web_server.url, "ben", TEST)
    jobs_before = job_count(page, web_server.url)

    choose_benin(page, RELIEF, TEST)
    relief = page.locator(f'[data-estimate-for="{RELIEF}"]')
    expect(relief).to_have_text(ESTIMATE, timeout=TIMEOUT_MS)
    published = page.locator(f'[data-estimate-for="{TEST}"]')
    expect(published).to_have_text(ESTIMATE)
    expect(published.locator(".badge")).to_have_text(["already published", "up to date"])
    expect(relief.locator(".badge")).to_have_count(0)
    expect(page.locator("#estimate")).to_contain_text("Estimated total: ")
    expect(page.get_by_role("button", name="Create package")).to_be_enabled()
    session.shot("estimates", relief)

    page.get_by_role("checkbox", name=re.compile(re.escape(RELIEF))).uncheck()
    expect(relief).to_have_text("")
    expect(published).to_have_text(ESTIMATE)
    assert any("dry_run=true" in url for url in session.requests.seen)
    assert job_count(page, web_server.url) == jobs_before  # estimating created no job
    assert session.requests.outside == []


@pytest.fixture(scope="module")
def tiny_limit_server(
    tmp_path_factory: pytest.TempPathFactory, source_mirror: str
) -> Iterator[ServeProcess]:
    """A server that refuses any output above 1 kB."""
    env = {**serve_env(source_mirror), "AUTOPKG_MAX_OUTPUT_BYTES": "1000"}
    process = ServeProcess(tmp_path_factory.mktemp("web-tiny-limit"), env)
    process.start()
    yield process
    process.stop()


def test_an_estimate_over_the_limit_warns_and_disables_create(
    browser: Browser, tiny_limit_server: ServeProcess
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    requests = Requests()
    context.route("**/*", requests.handle)
    page = context.new_page()
    session = Session(page=page, context=context, requests=requests, name="over-limit")
    try:
        page.goto(tiny_limit_server.url + "/")
        choose_benin(page, RELIEF)
        expect(page.locator(f'[data-estimate-for="{RELIEF}"]')).to_have_text(
            ESTIMATE, timeout=TIMEOUT_MS
        )
        expect(page.locator("#estimate")).to_contain_text(
            "over this service's limit of 1.0 KB", timeout=TIMEOUT_MS
        )
        expect(page.get_by_role("button", name="Create package")).to_be_disabled()
        session.shot("warning", page.locator("#estimate"))
        page.get_by_role("checkbox", name=re.compile(re.escape(RELIEF))).uncheck()
        expect(page.get_by_role("button", name="Create package")).to_be_enabled()
        assert requests.outside == []
    finally:
        context.close()
