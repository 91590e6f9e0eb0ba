"""The page's area part in Chromium: admin units on demand, the breadcrumb, levels in
search results, the buffer, fitting areas across ±180°, drawing and refused uploads."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from playwright.sync_api import Page, Route, ViewportSize, expect
from pyproj import Geod
from shapely.geometry import shape

from autopkg.processors.fetch import mirror_relpath
from tests.e2e.conftest import serve_env
from tests.e2e.server import ServeProcess
from tests.fixtures.mirror import serve_directory
from tests.fixtures.standin_geoboundaries import API_ROOT
from tests.web.conftest import Session

TIMEOUT_MS = 90_000
TEST = "test_processor.version_1"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
# The page's own modules: importing one again from the page gives the running instance.
# The test puts them on window (page.wait_for_function does not await a promise).
EXPOSE = """async () => {
    const load = (name) => import(new URL(`static/js/${name}.js`, document.baseURI));
    [window.mapModule, window.coreModule] = await Promise.all([load("map"), load("core")]);
}"""
# The outlines of units of one level on the map (each unit is one layer with a feature).
COUNT_UNITS = """(level) => {
    let count = 0;
    window.mapModule.map.eachLayer((layer) => {
        const drawn = layer.feature?.properties?.admin_level === level && !layer.getLayers;
        if (drawn) count += 1;
    });
    return count;
}"""


def map_view(page: Page) -> dict[str, float]:
    """The map's zoom and the longitudes and latitudes it shows."""
    view: dict[str, float] = page.evaluate(
        """() => {
            const map = window.mapModule.map;
            const b = map.getBounds();
            return { zoom: map.getZoom(), west: b.getWest(), east: b.getEast(),
                     south: b.getSouth(), north: b.getNorth() };
        }"""
    )
    return view


def open_page(page: Page, url: str) -> None:
    """Open the page and wait for its map of boundaries (search results name countries)."""
    page.goto(url + "/")
    page.evaluate(EXPOSE)
    page.wait_for_function("() => window.coreModule.state.names.size > 0")


def settled(page: Page) -> None:
    expect(page.locator(".leaflet-zoom-anim")).to_have_count(0)


def search(page: Page, text: str) -> None:
    page.get_by_role("searchbox", name="Find a boundary").fill(text)


def test_a_country_s_units_are_drilled_into_and_the_trail_goes_back_up(
    session: Session, web_server: ServeProcess
) -> None:
    page = session.page
    page.set_viewport_size(DESKTOP)
    admin_1 = web_server.get("/v1/boundaries/gha/children").json()
    assert len(admin_1) > 2 and {u["admin_level"] for u in admin_1} == {1}
    # The children answer is held back until the "loading" state has been seen.
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if held:
            route.fallback()
        else:
            held.append(route)

    page.route("**/v1/boundaries/gha/children", hold_the_first)
    open_page(page, web_server.url)
    search(page, "ghana")
    with page.expect_request("**/v1/boundaries/gha/children"):
        page.get_by_role("button", name="Ghana (gha)").click()
    status = page.locator("#units-status")
    expect(status).to_have_text("Loading the admin-1 units of Ghana…")
    expect(status).to_have_class(re.compile(r"\bloading\b"))
    session.shot("1-loading", status)
    assert len(held) == 1
    held[0].fallback()

    units = page.get_by_role("group", name="Admin units")
    expect(status).to_have_text(
        f"{len(admin_1)} admin-1 units of Ghana: choose one in the list or on the map."
    )
    expect(units.get_by_role("listitem")).to_have_count(len(admin_1))
    page.wait_for_function(f"(n) => ({COUNT_UNITS})(1) === n", arg=len(admin_1))
    settled(page)
    session.shot("2-admin-1-of-ghana", page.locator("#area-heading"))

    # Clicking a unit on the map chooses it: a point inside it, as the page projects it.
    ashanti = next(u for u in admin_1 if u["name"] == "gha-ashanti")
    inside = shape(web_server.get("/v1/boundaries/gha-ashanti").json()["geometry"])
    point = inside.representative_point()
    pixel = page.evaluate(
        """([lat, lng]) => {
            const p = window.mapModule.map.latLngToContainerPoint([lat, lng]);
            return [p.x, p.y];
        }""",
        [point.y, point.x],
    )
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + pixel[0], box["y"] + pixel[1])
    selected = page.locator("#selected")
    expect(selected).to_have_text(f"Chosen: {ashanti['name_long']} (gha-ashanti), admin-1 of Ghana")
    trail = page.get_by_role("navigation", name="Where the chosen area lies")
    expect(trail.get_by_role("button")).to_have_text(["Ghana"])
    expect(trail.locator("[aria-current=location]")).to_have_text(ashanti["name_long"])

    admin_2 = web_server.get("/v1/boundaries/gha-ashanti/children").json()
    assert admin_2 and {u["admin_level"] for u in admin_2} == {2}
    page.get_by_role("button", name=f"Show the admin-2 units of {ashanti['name_long']}").click()
    choose = "choose one in the list or on the map."
    expect(status).to_have_text(f"{len(admin_2)} admin-2 units of {ashanti['name_long']}: {choose}")
    expect(units.get_by_role("listitem")).to_have_count(len(admin_2))
    district = admin_2[0]
    units.get_by_role("button", name=district["name_long"], exact=True).click()
    expect(selected).to_have_text(
        f"Chosen: {district['name_long']} ({district['name']}), admin-2 of Ghana"
    )
    expect(trail.get_by_role("button")).to_have_text(["Ghana", ashanti["name_long"]])
    settled(page)
    session.shot("3-admin-2-chosen", page.locator("#area-heading"))
    page.set_viewport_size(PHONE)
    session.shot("3-admin-2-chosen-phone", trail)
    for locator in (trail, page.locator("#units-list"), selected):
        box = locator.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.set_viewport_size(DESKTOP)

    # The trail goes back up, one level and then to the country.
    trail.get_by_role("button", name=ashanti["name_long"]).click()
    expect(selected).to_have_text(f"Chosen: {ashanti['name_long']} (gha-ashanti), admin-1 of Ghana")
    trail.get_by_role("button", name="Ghana").click()
    expect(selected).to_have_text("Chosen: Ghana (gha)")
    expect(trail).to_be_hidden()
    expect(units.get_by_role("listitem")).to_have_count(len(admin_1))

    # Search finds units of every level, and says which each is.
    search(page, "northern")
    results = page.get_by_role("list", name="Matching boundaries")
    expect(
        results.get_by_role(
            "button", name=re.compile(r"^Northern \(gha-northern\) admin-1 of Ghana$")
        )
    ).to_have_count(1)
    expect(
        results.get_by_role("button", name=re.compile(r"admin-2 of Ghana$")).first
    ).to_be_visible()
    session.shot("4-search-levels", results)
    page.set_viewport_size(PHONE)
    session.shot("4-search-levels-phone", results)
    assert session.requests.outside == []


@pytest.fixture(scope="module")
def offline_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """A server whose source mirror fails geoBoundaries' answer for Ghana."""
    empty = tmp_path_factory.mktemp("failing-mirror")
    ghana = mirror_relpath(f"{API_ROOT}/GHA/ADM1/index.json")
    with serve_directory(empty, failures={f"/{ghana}": 503}) as mirror:
        process = ServeProcess(tmp_path_factory.mktemp("web-offline"), serve_env(mirror))
        process.start()
        yield process
        process.stop()


def test_units_that_cannot_be_loaded_say_why(
    session: Session, offline_server: ServeProcess
) -> None:
    page = session.page
    page.set_viewport_size(PHONE)
    open_page(page, offline_server.url)
    search(page, "ghana")
    page.get_by_role("button", name="Ghana (gha)").click()
    status = page.locator("#units-status")
    expect(status).to_contain_text("Subnational units could not be loaded: ", timeout=TIMEOUT_MS)
    expect(status).to_contain_text(f"{API_ROOT}/GHA/ADM1/index.json")
    expect(status).to_contain_text("AUTOPKG_SOURCE_MIRROR")
    expect(status).to_have_class(re.compile(r"\berror\b"))
    # The country itself still works.
    expect(page.locator("#selected")).to_have_text("Chosen: Ghana (gha)")
    session.shot("phone", status)
    box = status.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    assert session.requests.outside == []


@pytest.mark.parametrize(("name", "most_degrees"), [("fji", 30), ("rus", 300)])
def test_the_map_fits_areas_across_the_antimeridian(
    session: Session, web_server: ServeProcess, name: str, most_degrees: float
) -> None:
    page = session.page
    page.set_viewport_size(DESKTOP)
    open_page(page, web_server.url)
    detail = web_server.get(f"/v1/boundaries/{name}").json()
    geometry = shape(detail["geometry"])
    west, _, east, _ = geometry.bounds
    assert west < -179 and east > 179, "the boundary must cross ±180°"
    # Its narrow extent, recomputed here: longitudes in 0..360.
    longitudes = shapely.get_coordinates(geometry)[:, 0]
    east_side = np.where(longitudes < 0, longitudes + 360, longitudes)
    low, high = float(east_side.min()), float(east_side.max())
    assert high - low < 300
    search(page, name)
    page.get_by_role("button", name=f"{detail['name_long']} ({name})").click()
    # The map centres on the area itself, not on the world.
    page.wait_for_function(
        """([low, high]) => {
            const lng = window.mapModule.map.getCenter().lng;
            const east = lng < 0 ? lng + 360 : lng;
            return low <= east && east <= high;
        }""",
        arg=[low, high],
    )
    settled(page)
    view = map_view(page)
    assert view["east"] - view["west"] < most_degrees, view
    assert view["zoom"] >= 2, view
    session.shot(name)
    assert session.requests.outside == []


def geodesic_km2(geometry: dict[str, Any]) -> float:
    """The area on the WGS 84 ellipsoid, recomputed here independently of the page."""
    area, _ = Geod(ellps="WGS84").geometry_area_perimeter(shape(geometry))
    return abs(area) / 1e6


def readout_km2(page: Page) -> float:
    text = page.locator("#area-readout").inner_text()
    found = re.match(r"Area: ([\d,.]+) km²", text)
    assert found, text
    return float(found[1].replace(",", ""))


def chosen_area(page: Page) -> dict[str, Any]:
    area: dict[str, Any] = page.evaluate("() => window.coreModule.state.area")
    return area


def click_map(page: Page, dx: float, dy: float) -> None:
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * dy)


def test_drawing_a_rectangle_editing_undoing_and_the_area_readout(
    session: Session, web_server: ServeProcess
) -> None:
    page = session.page
    page.set_viewport_size(DESKTOP)
    open_page(page, web_server.url)
    limit = web_server.get("/v1/limits").json()["max_area_km2"]
    search(page, "ghana")
    page.get_by_role("button", name="Ghana (gha)").click()
    settled(page)
    page.get_by_text("Or use your own area").click()
    page.get_by_role("button", name="Draw a rectangle").click()
    expect(page.get_by_role("button", name="Draw a rectangle")).to_have_attribute(
        "aria-pressed", "true"
    )
    click_map(page, 0.4, 0.4)
    expect(page.locator("#custom-status")).to_have_text("Now click the opposite corner.")
    click_map(page, 0.6, 0.6)
    expect(page.locator("#selected")).to_have_text("Chosen: the area you drew")
    drawn = chosen_area(page)
    ring = drawn["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    lngs, lats = {p[0] for p in ring}, {p[1] for p in ring}
    assert len(lngs) == 2 and len(lats) == 2, "a rectangle has two longitudes and two latitudes"
    readout = page.locator("#area-readout")
    expect(readout).to_contain_text(f"(this service takes up to {limit:,} km²)")
    assert readout_km2(page) == pytest.approx(geodesic_km2(drawn), rel=0.01)
    expect(page.locator(".vertex-handle")).to_have_count(4)
    session.shot("1-rectangle", readout)

    # Drag a corner: the area changes, and Undo takes the move back.
    handle = page.locator(".vertex-handle").nth(2)
    box = handle.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 30, steps=5)
    page.mouse.up()
    page.wait_for_function(
        "(before) => JSON.stringify(window.coreModule.state.area) !== before",
        arg=json.dumps(drawn, separators=(",", ":")),
    )
    moved = chosen_area(page)
    assert not shapely.equals(shape(moved), shape(drawn))
    assert readout_km2(page) == pytest.approx(geodesic_km2(moved), rel=0.01)
    assert readout_km2(page) > geodesic_km2(drawn)
    session.shot("2-corner-moved", readout)
    page.get_by_role("button", name="Undo").click()
    page.wait_for_function(
        "(before) => JSON.stringify(window.coreModule.state.area) === before",
        arg=json.dumps(drawn, separators=(",", ":")),
    )
    assert readout_km2(page) == pytest.approx(geodesic_km2(drawn), rel=0.01)
    expect(page.get_by_role("button", name="Undo")).to_be_disabled()

    # A polygon: Undo takes back the last corner while drawing.
    page.get_by_role("button", name="Draw a polygon").click()
    expect(readout).to_be_hidden()
    for dx, dy in ((0.45, 0.45), (0.55, 0.45), (0.8, 0.9)):
        click_map(page, dx, dy)
    page.get_by_role("button", name="Undo").click()
    click_map(page, 0.5, 0.55)
    page.get_by_role("button", name="Finish the shape").click()
    polygon = chosen_area(page)["coordinates"][0]
    assert len(polygon) == 4, "three corners: the undone one is gone"
    # An area over the service's limit is said to be, before anything is sent.
    page.get_by_role("button", name="Draw a rectangle").click()
    page.evaluate("() => { window.mapModule.map.setView([0, 0], 1, { animate: false }); }")
    click_map(page, 0.02, 0.1)
    click_map(page, 0.98, 0.9)
    expect(readout).to_contain_text(f"over this service's limit of {limit:,} km²")
    expect(readout).to_have_class(re.compile(r"\berror\b"))
    session.shot("3-over-the-limit", readout)
    page.set_viewport_size(PHONE)
    session.shot("3-over-the-limit-phone", page.locator(".draw-tools"))
    for locator in (page.locator(".draw-tools"), readout):
        box = locator.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
    assert session.requests.outside == []


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        (
            {"type": "Point", "coordinates": [1, 1]},
            "a point has no area: upload a Polygon or MultiPolygon",
        ),
        (
            {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
            "a line has no area: upload a Polygon or MultiPolygon",
        ),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]},
            "the outline of polygon 1 is not closed: a ring needs at least 4 positions, the "
            "last the same as the first (it has 3)",
        ),
    ],
)
def test_uploads_without_an_area_are_refused_with_the_reason(
    session: Session,
    web_server: ServeProcess,
    tmp_path: Path,
    geometry: dict[str, Any],
    message: str,
) -> None:
    page = session.page
    page.set_viewport_size(PHONE)
    open_page(page, web_server.url)
    page.get_by_text("Or use your own area").click()
    upload = tmp_path / "mine.geojson"
    upload.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": geometry}))
    page.get_by_label("Upload a GeoJSON file").set_input_files(upload)
    status = page.locator("#custom-status")
    expect(status).to_have_text(f"mine.geojson cannot be used: {message}.")
    expect(status).to_have_class(re.compile(r"\berror\b"))
    expect(page.locator("#selected")).to_have_text("No area chosen yet: search, or click the map.")
    session.shot("refused", status)
    assert session.requests.outside == []


def test_a_multipart_upload_is_chosen_and_measured(
    session: Session, web_server: ServeProcess, tmp_path: Path
) -> None:
    page = session.page
    open_page(page, web_server.url)
    page.get_by_text("Or use your own area").click()
    squares = [shapely.box(-1, 6, 0, 7), shapely.box(1, 8, 1.5, 8.5)]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(s)}
            for s in squares
        ],
    }
    upload = tmp_path / "two.geojson"
    upload.write_text(json.dumps(collection))
    page.get_by_label("Upload a GeoJSON file").set_input_files(upload)
    expect(page.locator("#selected")).to_have_text("Chosen: your area from two.geojson")
    expected = sum(geodesic_km2(dict(shapely.geometry.mapping(s))) for s in squares)
    expect(page.locator("#area-readout")).to_contain_text("Area: ")
    assert readout_km2(page) == pytest.approx(expected, rel=0.01)
    # The service takes it as one area: its dry run answers 200.
    with page.expect_response(lambda r: "dry_run=true" in r.url, timeout=TIMEOUT_MS) as answer:
        page.get_by_role("checkbox", name=re.compile(re.escape(TEST))).check()
    assert answer.value.status == 200, answer.value.text()
    sent = json.loads(answer.value.request.post_data or "{}")["boundary"]
    assert sent == json.loads(json.dumps(collection))
    session.shot("two-parts", page.locator("#area-readout"))
    assert session.requests.outside == []


def test_the_buffer_is_sent_bounded_and_its_area_named(
    session: Session, web_server: ServeProcess
) -> None:
    page = session.page
    page.set_viewport_size(DESKTOP)
    open_page(page, web_server.url)
    most_km = web_server.get("/v1/limits").json()["max_buffer_m"] / 1000
    buffer = page.get_by_role("spinbutton", name="Buffer (km)")
    expect(page.locator("#buffer-hint")).to_contain_text(f"up to {most_km:,.0f} km on this service")
    expect(buffer).to_have_attribute("max", f"{most_km:g}")
    buffer.fill(str(most_km + 1))
    expect(buffer).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#buffer-problem")).to_have_text(
        f"At most {most_km:,.0f} km on this service."
    )
    session.shot("1-too-large", buffer)
    buffer.fill("5")
    expect(buffer).to_have_attribute("aria-invalid", "false")
    expect(page.locator("#buffer-problem")).to_be_hidden()

    search(page, "gambia")
    page.get_by_role("button", name=re.compile(r"\(gmb\)")).click()
    bodies: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: (
            bodies.append(json.loads(r.post_data or "{}"))
            if r.method == "POST" and "/v1/jobs" in r.url
            else None
        ),
    )
    with page.expect_response(lambda r: "dry_run=true" in r.url, timeout=TIMEOUT_MS) as answer:
        page.get_by_role("checkbox", name=re.compile(re.escape(TEST))).check()
    assert answer.value.status == 200, answer.value.text()
    page.get_by_role("button", name="Create package").click()
    buffered = page.locator("#buffered")
    expect(buffered).to_have_text(
        "The package is made for the buffered area “The Gambia + 5 km” (gmb-buffer-5000m).",
        timeout=TIMEOUT_MS,
    )
    assert len(bodies) >= 2, "a dry run and the job"
    assert all(b["buffer_m"] == 5000 and b["boundary_name"] == "gmb" for b in bodies)
    session.shot("2-buffered-job", buffered)
    page.set_viewport_size(PHONE)
    session.shot("2-buffered-job-phone", buffered)
    assert session.requests.outside == []
