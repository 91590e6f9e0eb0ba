"""The page's package view: summary first, files by dataset, previews on the map, citation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.server import ServeProcess
from tests.web.conftest import Session

TIMEOUT_MS = 120_000
POPULATION = "jrc_ghsl_population.r2022_epoch2020_1km"
STORM = "storm.global_mosaics_version_1"
PLANTS = "wri_powerplants.version_130"
PERIODS = [10000, 10, 1000, 100]  # asked out of order: the page shows them in natural order


def publish(server: ServeProcess, body: dict[str, Any]) -> str:
    """Submit ``body`` through the API and wait until it succeeds; return the job id."""
    created = server.post("/v1/jobs", json=body)
    assert created.status_code == 202, created.text
    job_id = str(created.json()["job_id"])
    done = server.wait_for_job(job_id, timeout=TIMEOUT_MS / 1000)
    assert done["job_group_outcome"] == "SUCCESS", done
    return job_id


@pytest.fixture(scope="module")
def gambia_job(web_server: ServeProcess) -> str:
    """Gambia with population, four STORM maps and the power plants, published once."""
    return publish(
        web_server,
        {
            "boundary_name": "gmb",
            "processors": [POPULATION, STORM, PLANTS],
            "options": {STORM: {"models": ["constant"], "return_periods": PERIODS}},
        },
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_the_summary_comes_first_with_charts_and_a_sortable_area_table(
    session: Session, web_server: ServeProcess, gambia_job: str, width: int
) -> None:
    page = session.page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{web_server.url}/#job={gambia_job}")
    body = page.locator("#package-body")
    expect(body.get_by_role("heading", name="Summary")).to_be_visible(timeout=TIMEOUT_MS)
    headings = body.locator("h3").all_inner_texts()
    assert headings == ["Summary", "Files by dataset", "How to cite"]

    chart = body.locator("figure.chart img").first
    expect(chart).to_have_attribute("alt", re.compile("^Population exposed to STORM"))
    chart.scroll_into_view_if_needed()
    page.wait_for_function("(img) => img.complete", arg=chart.element_handle())
    assert chart.evaluate("(img) => img.naturalWidth") > 0
    session.shot(f"summary-chart-{width}", chart)

    rows = page.request.get(f"{web_server.url}/v1/packages/gmb/summary").json()
    people = {r["area"]: 0.0 for r in rows if r["statistic"] == "population"}
    for r in rows:
        if r["statistic"] == "population":
            people[r["area"]] += r["value"]
    table = page.locator("#summary-table")
    expect(table.locator("tbody tr")).to_have_count(len(people))
    shown = table.locator('tbody tr[data-area="gmb"] td').nth(1)
    expect(shown).to_have_text(f"{people['gmb']:,.1f}".removesuffix(".0"))
    table.get_by_role("button", name="People").click()
    expect(table.locator("th", has_text="People")).to_have_attribute("aria-sort", "ascending")
    order = [str(a) for a in table.locator("tbody tr").evaluate_all(
        "(rows) => rows.map((r) => r.dataset.area)"
    )]  # fmt: skip
    assert order == sorted(people, key=lambda area: people[area])
    table.get_by_role("button", name="People").click()
    expect(table.locator("th", has_text="People")).to_have_attribute("aria-sort", "descending")
    session.shot(f"summary-table-{width}", table)
    assert session.requests.outside == []


def test_files_are_grouped_collapsed_filtered_in_natural_order_and_shown_on_the_map(
    session: Session, web_server: ServeProcess, gambia_job: str
) -> None:
    page = session.page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{web_server.url}/#job={gambia_job}")
    storm = page.locator(f'#package-body details.dataset-files[data-processor="{STORM}"]')
    expect(storm).to_be_visible(timeout=TIMEOUT_MS)
    # Six files in all: more than four, so every dataset starts collapsed.
    expect(page.locator("#package-body details.dataset-files[open]")).to_have_count(0)
    expect(storm.locator("summary")).to_contain_text("4 files")
    session.shot("files-collapsed", storm)
    storm.locator("summary").click()
    names = storm.locator(".file-name").all_inner_texts()
    assert [int(re.findall(r"_(\d+)_yr", n)[0]) for n in names] == sorted(PERIODS)

    page.get_by_label("Filter the files by name").fill("_1000_yr")
    expect(storm.locator(".file")).to_have_count(1)
    expect(storm.locator("summary")).to_contain_text("1 of 4 files")
    expect(page.locator(f'details.dataset-files[data-processor="{PLANTS}"]')).to_be_hidden()
    expect(page.get_by_text("1 file matches “_1000_yr”.")).to_be_visible()
    session.shot("files-filtered", storm)

    page.get_by_label("Filter the files by name").fill("")
    plants = page.locator(f'details.dataset-files[data-processor="{PLANTS}"]')
    plants.locator("summary").click()
    card = plants.locator(".file").first
    picture = card.get_by_role("img")
    picture.scroll_into_view_if_needed()
    page.wait_for_function("(img) => img.complete", arg=picture.element_handle())
    box = picture.bounding_box()
    assert box is not None and box["width"] >= 150, box  # large enough to see
    show = card.get_by_role("button", name="Show on the map")
    show.click()
    overlay = page.locator("#map img.leaflet-image-layer")
    expect(overlay).to_have_count(1)
    package = page.request.get(f"{web_server.url}/v1/packages/gmb").json()
    (plants_file,) = [f for f in package["files"] if f["processor"] == PLANTS]
    expect(overlay).to_have_attribute("src", plants_file["preview"]["url"])
    expect(card.get_by_role("button", name="Hide from the map")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.wait_for_timeout(400)  # the map's zoom animation to the picture settles
    session.shot("preview-on-map")
    card.get_by_role("button", name="Hide from the map").click()
    expect(overlay).to_have_count(0)
    assert session.requests.outside == []


def test_an_empty_file_says_so(session: Session, web_server: ServeProcess) -> None:
    page = session.page
    page.set_viewport_size({"width": 390, "height": 860})
    sea = {
        "type": "Polygon",
        "coordinates": [[[-27, -14], [-26, -14], [-26, -13], [-27, -13], [-27, -14]]],
    }
    job_id = publish(web_server, {"boundary": sea, "processors": [PLANTS], "area_name": "Open sea"})
    page.goto(f"{web_server.url}/#job={job_id}")
    card = page.locator("#package-body .file")
    expect(card).to_have_count(1, timeout=TIMEOUT_MS)
    expect(card.locator(".empty-note")).to_have_text(
        "empty: nothing of this dataset lies inside the area"
    )
    expect(card).not_to_contain_text(" KB")
    expect(card.get_by_role("img")).to_have_count(0)
    session.shot("empty-file", card)
    assert session.requests.outside == []


def test_the_citation_names_the_package_version_and_links_the_citation_files(
    session: Session, web_server: ServeProcess, gambia_job: str
) -> None:
    page = session.page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{web_server.url}/#job={gambia_job}")
    citation = page.locator("#citation")
    expect(citation).to_be_visible(timeout=TIMEOUT_MS)
    manifest = page.request.get(f"{web_server.url}/packages/gmb/datapackage.json").json()
    first = citation.inner_text().splitlines()[0]
    assert first == (
        f"The Gambia data package, version {manifest['version']} "
        f"(published {manifest['created'][:10]}). autopkg. {web_server.url}/packages/gmb/"
    )
    assert "retrieved" not in citation.inner_text()
    for name in ("CITATION.cff", "citation.bib", "citation.json"):
        link = page.get_by_role("link", name=re.compile(f"^{re.escape(name)}"))
        href = link.get_attribute("href")
        assert href == f"{web_server.url}/packages/gmb/{name}"
        assert page.request.get(href).status == 200
    session.shot("citation", citation)
    assert session.requests.outside == []
