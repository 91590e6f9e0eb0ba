"""Names people upload are shown as text on the page: markup in one never runs.

Each name below is a script in HTML clothing. The page must show it literally wherever
it appears (map tooltip, search, chosen area, job list, progress, failure reason,
package view), and the page's policy must refuse inline script even if one slipped in.
"""

from __future__ import annotations

import json
import re
import sqlite3

from playwright.sync_api import Page, expect

from tests.e2e.server import ServeProcess
from tests.web.conftest import Session

TIMEOUT_MS = 90_000


def hostile(where: str) -> str:
    """A name whose markup, if parsed as HTML, would change the page's title."""
    return f"<img src=x onerror=\"document.title='XSS-FIRED'\"> {where}"


BOUNDARY_NAME = hostile("boundary")
AREA_NAME = hostile("area")
ERROR_TEXT = hostile("error")
FILE_NAME = "<img src=x onerror=alert(1)>.tif"
# Record every refusal of the page's policy and every alert before any page script runs.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective);
});
window.alert = () => { window.__alerted = true; };
"""


def square(west: float, south: float, size: float) -> dict[str, object]:
    """A GeoJSON Polygon: a square ``size`` degrees wide from its south-west corner."""
    east, north = west + size, south + size
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def assert_nothing_ran(page: Page) -> None:
    """No handler ran, no markup became an element, and the policy had nothing to stop."""
    assert page.title() != "XSS-FIRED"
    assert page.evaluate("window.__alerted") is None
    assert page.locator("img[src='x']").count() == 0
    assert page.evaluate("window.__violations") == []


def test_hostile_names_are_shown_as_text(session: Session, web_server: ServeProcess) -> None:
    # A boundary in the South Atlantic, away from every country, named with markup.
    upload = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "evil", "name_long": BOUNDARY_NAME},
                "geometry": square(-25, -35, 10),
            }
        ],
    }
    loaded = web_server.post("/v1/boundaries", json=upload)
    assert loaded.status_code == 200, loaded.text
    assert [row["name"] for row in loaded.json()["loaded"]] == ["evil"]

    failed_job = web_server.post(
        "/v1/jobs", json={"boundary_name": "evil", "processors": ["test_fail_processor.version_1"]}
    ).json()["job_id"]
    web_server.wait_for_job(failed_job)
    with sqlite3.connect(web_server.data_dir / "autopkg.sqlite") as database:
        database.execute(
            "UPDATE runs SET error = ? WHERE id IN (SELECT run_id FROM job_runs WHERE job_id = ?)",
            (ERROR_TEXT, failed_job),
        )

    area_job = web_server.post(
        "/v1/jobs",
        json={
            "boundary": square(-1, 6, 1),
            "area_name": AREA_NAME,
            "processors": ["test_processor.version_1"],
        },
    ).json()["job_id"]
    area = web_server.wait_for_job(area_job)
    assert area["job_group_outcome"] == "SUCCESS", area
    manifest_path = web_server.data_dir / "packages" / area["boundary_name"] / "datapackage.json"
    manifest = json.loads(manifest_path.read_text())
    for resource in manifest["resources"]:
        resource["path"] = resource["path"].rsplit("/", 1)[0] + "/" + FILE_NAME
    manifest_path.write_text(json.dumps(manifest))

    page = session.page
    session.context.add_init_script(WATCH)
    # Both jobs count as this browser's: "My jobs" lists only those (or a key's).
    session.context.add_init_script(
        f"localStorage.setItem('autopkg.myJobs', {json.dumps(json.dumps([area_job, failed_job]))})"
    )
    page.goto(web_server.url + "/")
    expect(page.locator(".leaflet-overlay-pane canvas")).to_be_visible()

    # The map: hover the boundary once the search has zoomed onto it.
    page.get_by_role("searchbox", name="Find a boundary").fill("evil")
    page.get_by_role("button", name=f"{BOUNDARY_NAME} (evil)").click()
    expect(page.locator("#selected")).to_have_text(f"Chosen: {BOUNDARY_NAME} (evil)")
    expect(page.locator(".leaflet-zoom-anim")).to_have_count(0)
    box = page.locator("#map").bounding_box()
    assert box is not None
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(*centre)
    page.mouse.move(centre[0] + 5, centre[1] + 5)
    expect(page.locator(".leaflet-tooltip")).to_have_text(BOUNDARY_NAME)
    assert_nothing_ran(page)
    session.shot("hovered")

    # The job list names both jobs; opening each shows its name, reason and files.
    jobs = page.locator("#jobs li")
    expect(jobs.filter(has_text=f"{AREA_NAME} (custom-")).to_have_count(1)
    expect(jobs.filter(has_text=f"{BOUNDARY_NAME} (evil)")).to_have_count(1)
    jobs.filter(has_text=f"{BOUNDARY_NAME} (evil)").get_by_role("button").click()
    task = page.locator("#progress .task")
    expect(task.locator(".failure-what")).to_contain_text("This dataset could not be made.")
    expect(task.locator(".technical")).to_have_text(ERROR_TEXT)
    assert_nothing_ran(page)

    jobs.filter(has_text=f"{AREA_NAME} (custom-").get_by_role("button").click()
    expect(page.locator("#progress")).to_contain_text(f"Job for {AREA_NAME} (custom-")
    package = page.locator("#package-body")
    expect(package).to_contain_text(f"{AREA_NAME} · 1 file,", timeout=TIMEOUT_MS)
    expect(package.get_by_role("link", name=FILE_NAME, exact=True)).to_be_visible()
    expect(page.locator("#citation")).to_contain_text(f"{AREA_NAME} data package, version ")
    assert_nothing_ran(page)

    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        session.shot(f"{width}px-package", package)
        session.shot(f"{width}px-jobs", jobs.first)
    assert_nothing_ran(page)
    assert session.requests.outside == []


def test_the_page_refuses_inline_script(session: Session, web_server: ServeProcess) -> None:
    page = session.page
    session.context.add_init_script(WATCH)
    page.goto(web_server.url + "/")
    expect(page.locator(".leaflet-overlay-pane canvas")).to_be_visible()
    # Markup a rendering bug might let in: its handler must be refused by the policy.
    page.evaluate(
        """() => { const box = document.createElement("div");
        box.innerHTML = `<img src="static/favicon.svg" onload="document.title='XSS-FIRED'">`;
        document.body.append(box); }"""
    )
    page.wait_for_function("window.__violations.length > 0")
    assert page.title() != "XSS-FIRED"
    assert "script-src-attr" in page.evaluate("window.__violations")


def test_docs_pages_keep_working_under_their_policy(
    session: Session, web_server: ServeProcess
) -> None:
    page = session.page
    session.context.add_init_script(WATCH)
    shown = {
        "/docs": page.locator(".swagger-ui .info .title"),
        "/redoc": page.get_by_role("heading", name=re.compile("^autopkg")),
    }
    for path, title in shown.items():
        response = page.goto(web_server.url + path)
        assert response is not None
        policy = dict(
            part.strip().split(" ", 1)
            for part in response.headers["content-security-policy"].split(";")
        )
        assert "'unsafe-inline'" not in policy["script-src"]
        expect(title).to_contain_text("autopkg")
        # ReDoc's logo from its CDN is refused on purpose (img-src); no script may be.
        refused = page.evaluate("window.__violations")
        assert not [directive for directive in refused if directive.startswith("script-src")]
