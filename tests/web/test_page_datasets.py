"""The page's datasets, options, estimates and status messages, at 1280 and 390 px wide."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.e2e.conftest import serve_env
from tests.e2e.server import ServeProcess
from tests.web.conftest import Requests, Session

TIMEOUT_MS = 90_000
STORM = "storm.global_mosaics_version_1"
OSM = "gri_osm.roads_and_rail_version_1"
TEST = "test_processor.version_1"
FAIL = "test_fail_processor.version_1"
WIDTHS = {"wide": 1280, "phone": 390}
GROUPS = ["People and buildings", "Hazards", "Infrastructure", "Base maps", "Other datasets"]
KEY = "page-test-key"


def dry_run_bodies(page: Page) -> list[dict[str, Any]]:
    """Start recording the bodies of the page's dry runs; the list fills as they are sent."""
    bodies: list[dict[str, Any]] = []

    def seen(request: Request) -> None:
        if "dry_run=true" in request.url and request.post_data:
            bodies.append(json.loads(request.post_data))

    page.on("request", seen)
    return bodies


def choose(page: Page, search: str, button: str) -> None:
    page.get_by_role("searchbox", name="Find a boundary").fill(search)
    page.get_by_role("list", name="Matching boundaries").get_by_role("button", name=button).click()


def tick(page: Page, processor_id: str) -> None:
    page.get_by_role("checkbox", name=re.compile(re.escape(processor_id))).check()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_dataset_cards_are_grouped_and_read_at_any_width(
    session: Session, web_server: ServeProcess, width: str
) -> None:
    page = session.page
    page.set_viewport_size({"width": WIDTHS[width], "height": 860})
    page.goto(web_server.url + "/")
    headings = page.locator("#catalogue .group > h3")
    expect(headings).to_have_text(GROUPS)
    hazards = page.locator('#catalogue .group[data-group="hazards"] .dataset')
    expect(hazards.filter(has_text=STORM)).to_have_count(1)
    expect(
        page.locator('#catalogue .group[data-group="exposure"] .dataset').filter(
            has_text="jrc_ghsl_built_c.r2022_epoch2018_10m_mszfun"
        )
    ).to_have_count(1)
    # Nothing cut off: every id shows whole, and a title is a few lines at most.
    cut = page.evaluate(
        """() => [...document.querySelectorAll('#catalogue code.id')]
             .filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent)"""
    )
    assert cut == []
    tallest = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll('#catalogue .dataset .title')]
             .map((t) => t.getBoundingClientRect().height
                         / parseFloat(getComputedStyle(t).lineHeight)))"""
    )
    assert tallest <= 2.05, f"a title takes {tallest:.1f} lines"
    panel = page.locator(".panel").bounding_box()
    map_box = page.locator("#map").bounding_box()
    assert panel is not None and map_box is not None
    if width == "phone":
        # The panel takes the whole width; the map sits above it at a usable height.
        assert panel["width"] >= WIDTHS["phone"] - 2
        assert map_box["y"] + map_box["height"] <= panel["y"] + 1
        assert 250 <= map_box["height"] <= 500
    else:
        assert 450 <= panel["width"] <= 640
        assert map_box["x"] >= panel["x"] + panel["width"] - 1
    session.shot(f"catalogue-{width}", page.locator("#catalogue .group").first)
    session.shot(f"catalogue-hazards-{width}", hazards.first)
    assert session.requests.outside == []


def test_options_are_choices_sent_with_the_job_and_change_the_estimate(
    session: Session, web_server: ServeProcess
) -> None:
    page = session.page
    page.set_viewport_size({"width": 1280, "height": 900})
    bodies = dry_run_bodies(page)
    page.goto(web_server.url + "/")
    choose(page, "benin", "Benin (ben)")
    tick(page, STORM)
    estimate = page.locator(f'[data-estimate-for="{STORM}"]')
    expect(estimate).to_contain_text("140 files", timeout=TIMEOUT_MS)
    assert "options" not in bodies[-1]  # every default: the same request as none

    card = page.locator(f'[data-card-for="{STORM}"]')
    card.get_by_text("Options: everything").click()
    periods = card.locator('fieldset[data-field="return_periods"]')
    expect(periods.get_by_role("checkbox", name="All")).to_be_checked()
    expect(periods.get_by_role("checkbox")).to_have_count(1 + 28)
    session.shot("options-open", card)

    models = card.locator('fieldset[data-field="models"]')
    models.get_by_role("checkbox", name="All").uncheck()
    models.get_by_role("checkbox", name="constant", exact=True).check()
    periods.get_by_role("checkbox", name="All").uncheck()
    for period in ("10", "100", "1000"):
        periods.get_by_role("checkbox", name=period, exact=True).check()
    expect(estimate).to_contain_text("3 files", timeout=TIMEOUT_MS)
    sent = bodies[-1]["options"]
    assert sent == {STORM: {"models": ["constant"], "return_periods": [10, 100, 1000]}}
    # The card's figure is the API's own for those options.
    answer = page.request.post(
        f"{web_server.url}/v1/jobs?dry_run=true",
        data={"boundary_name": "ben", "processors": [STORM], "options": sent},
    ).json()
    (row,) = answer["processors"]
    expect(estimate).to_contain_text(f"{row['files']} files")
    expect(card.locator(".options > summary")).to_have_text(
        "Options: models constant; return periods 10, 100, 1000"
    )
    session.shot("options-narrowed", card)

    for period in ("10", "100", "1000"):
        periods.get_by_role("checkbox", name=period, exact=True).uncheck()
    expect(estimate).to_have_text("Choose at least one of “return periods”, or untick the dataset.")
    expect(page.get_by_role("button", name="Create package")).to_be_disabled()
    session.shot("options-none", card)
    periods.get_by_role("checkbox", name="All").check()
    expect(estimate).to_contain_text("28 files", timeout=TIMEOUT_MS)
    expect(page.get_by_role("button", name="Create package")).to_be_enabled()
    assert session.requests.outside == []


def test_an_estimate_that_cannot_be_made_says_why(
    session: Session, web_server: ServeProcess
) -> None:
    page = session.page
    page.set_viewport_size({"width": 390, "height": 860})
    page.goto(web_server.url + "/")
    choose(page, "benin", "Benin (ben)")
    tick(page, TEST)
    tick(page, OSM)
    reason = page.locator(f'[data-estimate-for="{OSM}"]')
    expect(reason).to_contain_text(
        "No size estimate: the OSM database is not configured", timeout=TIMEOUT_MS
    )
    expect(reason).not_to_contain_text("null")
    expect(page.locator("#estimate")).to_contain_text("(1 without an estimate: not counted)")
    session.shot("no-estimate-phone", reason)
    assert session.requests.outside == []


def test_status_messages_go_with_their_state(session: Session, web_server: ServeProcess) -> None:
    page = session.page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(web_server.url + "/")
    expect(page.locator("#catalogue .dataset").first).to_be_visible()
    status = page.locator("#create-status")
    create = page.get_by_role("button", name="Create package")
    create.click()
    expect(status).to_have_text("Choose an area first.")
    session.shot("status-no-area", status)
    choose(page, "benin", "Benin (ben)")
    expect(status).to_have_text("")
    create.click()
    expect(status).to_have_text("Tick at least one dataset.")
    session.shot("status-no-dataset", status)
    tick(page, TEST)
    expect(status).to_have_text("")
    expect(status).to_be_hidden()
    assert session.requests.outside == []


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_failure_is_said_in_plain_words_with_the_details_behind_a_toggle(
    session: Session, web_server: ServeProcess, width: str
) -> None:
    page = session.page
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    page.goto(web_server.url + "/")
    choose(page, "cote", "Côte d'Ivoire (civ)")
    tick(page, TEST)
    tick(page, FAIL)
    page.get_by_role("button", name="Create package").click()
    failure = page.locator(f'[data-processor="{FAIL}"] .failure')
    expect(failure.locator(".failure-what")).to_have_text(
        "This dataset could not be made. Something went wrong while making it.",
        timeout=TIMEOUT_MS,
    )
    expect(failure.locator(".failure-todo")).to_contain_text("Try again")
    technical = failure.locator(".technical")
    expect(technical).to_be_hidden()
    session.shot(f"failure-{width}", failure)
    failure.get_by_text("Details", exact=True).click()
    expect(technical).to_have_text(f"{FAIL} failed on purpose for boundary civ")
    # Nothing runs past the panel.
    inside = page.evaluate(
        """() => { const p = document.querySelector('.panel').getBoundingClientRect();
             return [...document.querySelectorAll('#progress *')].every(
               (n) => n.getBoundingClientRect().right <= p.right + 1); }"""
    )
    assert inside
    session.shot(f"failure-details-{width}", failure)
    assert session.requests.outside == []


@pytest.fixture(scope="module")
def keyed_server(
    tmp_path_factory: pytest.TempPathFactory, source_mirror: str
) -> Iterator[ServeProcess]:
    """A server asking for an API key."""
    env = {**serve_env(source_mirror), "AUTOPKG_API_KEYS": KEY}
    process = ServeProcess(tmp_path_factory.mktemp("web-keyed"), env)
    process.start()
    yield process
    process.stop()


def test_a_key_message_goes_with_the_key_and_a_follow_message_with_a_cancel(
    browser: Browser, keyed_server: ServeProcess
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requests = Requests()
    context.route("**/*", requests.handle)
    page = context.new_page()
    session = Session(page=page, context=context, requests=requests, name="keyed")
    try:
        page.goto(keyed_server.url + "/")
        choose(page, "benin", "Benin (ben)")
        tick(page, TEST)
        expect(page.locator("#estimate")).to_contain_text(
            "No estimate: enter this service's API key", timeout=TIMEOUT_MS
        )
        page.get_by_role("button", name="Create package").click()
        status = page.locator("#create-status")
        expect(status.locator(".failure-what")).to_have_text(
            "The package could not be requested. This service asks for an API key, and "
            "none (or a wrong one) was given."
        )
        key = page.get_by_label("API key", exact=True)
        expect(key).to_be_visible()
        session.shot("key-asked", status)
        key.fill(KEY)
        expect(status).to_have_text("")
        key.press("Tab")  # the key is taken: the estimate is asked again with it
        expect(page.locator(f'[data-estimate-for="{TEST}"]')).to_contain_text(
            "Estimated", timeout=TIMEOUT_MS
        )

        # All 140 STORM maps: long enough to cancel while it runs.
        page.get_by_role("checkbox", name=re.compile(re.escape(TEST))).uncheck()
        tick(page, STORM)
        expect(page.locator(f'[data-estimate-for="{STORM}"]')).to_contain_text(
            "140 files", timeout=TIMEOUT_MS
        )
        page.get_by_role("button", name="Create package").click()
        expect(status).to_have_text("Submitted. Following its progress…")
        page.get_by_role("button", name="Cancel this job").click()
        expect(page.get_by_text("This job was cancelled.")).to_be_visible(timeout=TIMEOUT_MS)
        expect(status).to_have_text("")
        session.shot("cancelled", page.locator("#progress"))
        assert requests.outside == []
    finally:
        context.close()
