"""The web page in real headless Chromium: from "Ghana" to a downloaded, cited package."""

from __future__ import annotations

import json
import re
import time
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.server import ServeProcess
from tests.fixtures.waiting import wait_for
from tests.web.conftest import Session

DATASETS = ["natural_earth_raster.version_1", "wri_powerplants.version_130"]
TIMEOUT_MS = 90_000


def progress_values(page: Page, processor_id: str, until: float) -> list[int]:
    """Every distinct ``aria-valuenow`` of a processor's progressbar until it reads 100."""
    bar = page.get_by_role("progressbar", name=f"Progress of {processor_id}")
    seen: list[int] = []

    def read() -> list[int]:
        if bar.count():
            value = int(bar.get_attribute("aria-valuenow") or "0")
            if not seen or seen[-1] != value:
                seen.append(value)
        return seen

    return wait_for(
        read,
        lambda seen: seen[-1:] == [100],
        what=f"{processor_id} at 100",
        timeout=max(until - time.monotonic(), 0.0),
        interval=0.1,
    )


@pytest.mark.slow
def test_search_select_create_follow_download_and_cite(
    session: Session, web_server: ServeProcess
) -> None:
    page = session.page
    page.goto(web_server.url + "/")
    expect(
        page.locator("path.leaflet-interactive, .leaflet-overlay-pane canvas").first
    ).to_be_visible()
    session.shot("1-opened")

    search = page.get_by_role("searchbox", name="Find a boundary")
    search.fill("ghana")
    page.get_by_role("button", name="Ghana (gha)").click()
    expect(page.locator("#selected")).to_have_text("Chosen: Ghana (gha)")
    expect(page.locator(".leaflet-zoom-anim")).to_have_count(0)  # the zoom has settled
    session.shot("2-ghana-chosen")

    for processor_id in DATASETS:
        box = page.get_by_role("checkbox", name=re.compile(re.escape(processor_id)))
        box.check()
        expect(box).to_be_checked()
    session.shot("3-datasets-ticked")

    page.get_by_role("button", name="Create package").click()
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    for processor_id in DATASETS:
        values = progress_values(page, processor_id, deadline)
        assert values == sorted(values), f"progress went backwards: {values}"
    expect(page.get_by_role("progressbar")).to_have_count(len(DATASETS))
    expect(page.get_by_text("Your package is ready.")).to_be_visible(timeout=TIMEOUT_MS)
    session.shot("4-progress-complete", page.locator("#progress"))

    download_link = page.get_by_role("link", name="Download all (zip)")
    expect(download_link).to_be_visible(timeout=TIMEOUT_MS)
    files = page.locator("#package-body .file")
    expect(files).to_have_count(2)
    expect(page.locator("#package-body")).to_contain_text("wri_powerplants-version_130-gha.gpkg")
    plants = files.filter(has_text="wri_powerplants-version_130-gha.gpkg")
    expect(plants).to_contain_text("Features in")
    relief = files.filter(has_text="natural_earth_raster-version_1-gha.tif")
    expect(relief).to_contain_text("Colours: bands 1, 2, 3 as red, green and blue.")
    for name in ("wri_powerplants-version_130-gha.gpkg", "natural_earth_raster-version_1-gha.tif"):
        picture = page.get_by_role("img", name=f"Preview of {name}")
        expect(picture).to_be_visible()
        picture.scroll_into_view_if_needed()
        page.wait_for_function("(img) => img.complete", arg=picture.element_handle())
        assert picture.evaluate("(img) => img.naturalWidth") > 0, name
    session.shot("5-package", page.locator("#package-heading"))
    session.shot("5b-previews", relief)

    with page.expect_download() as download_info:
        download_link.click()
    archive = download_info.value.path()
    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
    assert "gha/datapackage.json" in names
    assert any(name.endswith("-gha.tif") for name in names)

    page.get_by_role("button", name="Copy citation").click()
    expect(page.get_by_text("Copied.")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Ghana data package, version ")
    assert "World Resources Institute" in copied or "Global Power Plant Database" in copied
    session.shot("6-cited", page.get_by_role("button", name="Copy citation"))

    page.reload()
    first_job = page.locator("#jobs li").first
    expect(first_job).to_contain_text("Ghana (gha)")
    expect(first_job).to_contain_text("SUCCESS")
    expect(page.get_by_role("progressbar")).to_have_count(len(DATASETS))
    session.shot("7-after-reload", page.locator("#jobs"))

    assert session.requests.outside == []
    assert any("/v1/jobs/" in url for url in session.requests.seen)


def test_a_failed_dataset_is_explained_in_plain_words(
    session: Session, web_server: ServeProcess
) -> None:
    page = session.page
    page.goto(web_server.url + "/")
    page.get_by_role("searchbox", name="Find a boundary").fill("cote")
    page.get_by_role("button", name="Côte d'Ivoire (civ)").click()
    for processor_id in ("test_processor.version_1", "test_fail_processor.version_1"):
        page.get_by_role("checkbox", name=re.compile(re.escape(processor_id))).check()
    page.get_by_role("button", name="Create package").click()
    failed = page.locator('[data-processor="test_fail_processor.version_1"] .task')
    expect(failed.locator(".failure-what")).to_have_text(
        "This dataset could not be made. Something went wrong while making it.",
        timeout=TIMEOUT_MS,
    )
    expect(failed.locator(".technical")).to_have_text(
        "test_fail_processor.version_1 failed on purpose for boundary civ"
    )
    expect(page.get_by_text("Part of your package is ready")).to_be_visible()
    expect(page.get_by_role("link", name="Download all (zip)")).to_be_visible()
    session.shot("partial", page.locator("#progress"))
    assert session.requests.outside == []


def test_api_docs_render_offline(session: Session, web_server: ServeProcess) -> None:
    page = session.page
    page.goto(web_server.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("autopkg")
    expect(page.get_by_text("/v1/jobs").first).to_be_visible()
    session.shot("swagger")
    page.goto(web_server.url + "/redoc")
    # ReDoc renders the whole document in script: slow on a busy machine.
    expect(page.get_by_role("heading", name=re.compile("^autopkg"))).to_be_visible(
        timeout=TIMEOUT_MS
    )
    session.shot("redoc")
    assert session.requests.outside == []
    assert all(urlpart.startswith(web_server.url) for urlpart in session.requests.seen)


def test_own_areas_by_upload_and_by_drawing(
    session: Session, web_server: ServeProcess, tmp_path: Path
) -> None:
    page = session.page
    page.goto(web_server.url + "/")
    expect(page.locator(".leaflet-overlay-pane canvas")).to_be_visible()
    page.get_by_text("Or use your own area").click()
    area = {"type": "Polygon", "coordinates": [[[-1, 6], [0, 6], [0, 7], [-1, 7], [-1, 6]]]}
    upload = tmp_path / "square.geojson"
    upload.write_text(json.dumps(area))
    page.get_by_label("Upload a GeoJSON file").set_input_files(upload)
    expect(page.locator("#selected")).to_have_text("Chosen: your area from square.geojson")
    page.get_by_role("checkbox", name=re.compile("test_processor.version_1")).check()
    name_box = page.get_by_role("textbox", name="Name of your area (optional)")
    name_box.fill("x" * 101)
    page.get_by_role("button", name="Create package").click()
    expect(page.locator("#create-status")).to_have_text(
        "The name is too long (101 characters; at most 100)."
    )
    expect(name_box).to_have_attribute("aria-invalid", "true")
    session.shot("name-refused", name_box)
    assert not any(url.endswith("/v1/jobs") for url in session.requests.seen)
    name_box.fill("  Square near Kumasi ")
    page.get_by_role("button", name="Create package").click()
    expect(page.get_by_text("Your package is ready.")).to_be_visible(timeout=TIMEOUT_MS)
    progress = page.locator("#progress")
    expect(progress).to_contain_text("Job for Square near Kumasi (custom-")
    uploaded_job = progress.locator("p").first.inner_text()
    expect(page.locator("#jobs li").first).to_contain_text("Square near Kumasi (custom-")
    expect(page.locator("#package-body")).to_contain_text("Square near Kumasi · 1 file,")
    session.shot("uploaded", progress)
    scale = page.locator("#package-body .file .scale")
    expect(scale).to_contain_text(
        re.compile(r"Colour scale: band 1, linear from [-\d.,]+\s+to [-\d.,]+ ")
    )
    session.shot("uploaded-package", scale)

    page.get_by_role("button", name="Draw a polygon").click()
    map_box = page.locator("#map").bounding_box()
    assert map_box is not None
    for dx, dy in ((0.45, 0.45), (0.55, 0.45), (0.5, 0.55)):
        page.mouse.click(
            map_box["x"] + map_box["width"] * dx, map_box["y"] + map_box["height"] * dy
        )
    page.get_by_role("button", name="Finish the shape").click()
    expect(page.locator("#selected")).to_have_text("Chosen: the area you drew")
    name_box.fill("")
    page.get_by_role("button", name="Create package").click()
    expect(progress).to_contain_text("Job for Custom area ", timeout=TIMEOUT_MS)
    expect(progress).not_to_contain_text(uploaded_job)
    expect(page.get_by_text("Your package is ready.")).to_be_visible(timeout=TIMEOUT_MS)
    session.shot("drawn", progress)
    jobs = session.requests.seen
    assert sum(url.endswith("/v1/jobs") for url in jobs) == 2
    assert session.requests.outside == []
