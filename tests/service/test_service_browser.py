"""The call-taker page in real headless Chromium (Debian ``chromium``), driven by Playwright.

The page is served by the real app on a free loopback port; the browser is offline apart from
that server (every other request is aborted and counted, so a CDN dependency would fail the test).
"""

from __future__ import annotations

import pytest
from service_support import serve_in_thread

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(workspace):
    from geo_heart.service.app import create_app

    with serve_in_thread(create_app(workspace)) as url:
        yield url


@pytest.fixture()
def page(browser, base_url):
    context = browser.new_context(timezone_id="America/New_York", locale="en-US")
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith(base_url):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))

    def console(msg):
        # console errors include Content-Security-Policy violations ("Refused to …"); HTTP
        # error statuses ("Failed to load resource", e.g. a 422 the page shows, or the favicon)
        # are checked by the tests themselves
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            errors.append(msg.text)

    pg.on("console", console)
    pg.goto(base_url + "/")
    pg.wait_for_selector("body[data-ready=true]", timeout=15_000)
    yield pg
    context.close()
    assert errors == [], f"JavaScript or console errors on the page: {errors}"
    assert outside == [], f"the page tried to reach the internet: {outside}"


def _card(pg) -> dict[str, str]:
    pg.wait_for_function(
        "() => ['in','out','none','error','unknown','ambiguous','approximate']"
        ".includes(document.getElementById('card').dataset.state)"
    )
    out = {"state": pg.get_attribute("#card", "data-state") or ""}
    for key in ("verdict", "beat", "pilot", "decisions", "matched", "quality", "error"):
        loc = pg.locator("#card-pilot .badge" if key == "pilot" else f"#card-{key}")
        out[key] = loc.inner_text() if loc.count() else ""
    return out


def test_page_loads_call_types_and_map(page, workspace):
    labels = page.locator("#call-type option").all_inner_texts()
    assert labels[0] == "(not given)"
    assert labels[-1] == "other / not listed"
    assert set(labels[1:-1]) == {ct.label for ct in workspace.config.call_types.values()}
    assert page.locator("#map path.beat").count() == 37
    # shaded: the service area in force today (citywide since 2023-10-23: every beat but 999)
    assert page.locator("#map path.beat.pilot").count() == 36
    assert page.get_attribute("#card", "aria-live") == "polite"
    # the address box has focus on load, and the time defaults to now (not empty)
    assert page.evaluate("document.activeElement.id") == "address"
    assert page.input_value("#at") != ""


def test_typing_coordinates_and_enter_gives_the_card(page):
    page.fill("#at", "2023-06-03T11:00")  # Saturday, CRT hours
    page.select_option("#call-type", "trespass")
    page.click("#address")
    page.keyboard.type("35.9960, -78.9016")
    page.keyboard.press("Enter")
    card = _card(page)
    assert card["state"] == "in"
    assert card["beat"].startswith("512")
    assert card["pilot"] == "IN"
    assert "CRT" in card["verdict"] and "can respond now" in card["verdict"]
    assert page.get_attribute("li[data-program=CRT]", "data-eligible") == "true"
    assert page.get_attribute("li[data-program=CoR]", "data-eligible") == "false"
    # the point is drawn and its beat highlighted; the card says the location is coordinates
    assert page.locator("#map path.pt").count() == 1
    assert page.get_attribute("#map path.beat.hit", "data-beat") == "512"
    assert page.inner_text("#card-matched") == "coordinates 35.996000, -78.901600"
    assert "no match" not in page.inner_text("#card")
    assert page.input_value("#cad-line").startswith("BEAT 512 DISTRICT D5 | 35.996000,-78.901600 |")
    # zoom to the point and back, by keyboard
    full = float(page.get_attribute("#map", "data-zoom"))
    page.focus("#zoom")
    page.keyboard.press("Enter")
    assert page.get_attribute("#zoom", "aria-pressed") == "true"
    page.wait_for_function(f"() => +document.getElementById('map').dataset.zoom > {full + 2}")
    # the point is in the middle of the zoomed map
    box = page.locator("#map").bounding_box()
    pt = page.locator("#map path.pt").bounding_box()
    cx, cy = pt["x"] + pt["width"] / 2, pt["y"] + pt["height"] / 2
    assert cx == pytest.approx(box["x"] + box["width"] / 2, abs=20)
    assert cy == pytest.approx(box["y"] + box["height"] / 2, abs=20)
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => +document.getElementById('map').dataset.zoom == {full}")


def test_coordinates_with_a_radius_draw_the_circle_and_name_both_beats(page):
    page.fill("#at", "2023-06-03T11:00")
    page.select_option("#call-type", "trespass")
    page.fill("#address", "35.9960, -78.9016 ±250")
    page.press("#address", "Enter")
    card = _card(page)
    assert card["state"] == "approximate"
    assert card["matched"] == "caller's circle of 250 m around 35.996000, -78.901600"
    assert page.inner_text("#card-shares").startswith("512 90% · 511 10%")
    assert page.locator("#map path.shape").count() == 1
    assert sorted(page.get_attribute(p, "data-beat") for p in ["#map path.beat.maybe >> nth=0",
                  "#map path.beat.maybe >> nth=1"]) == ["511", "512"]  # fmt: skip
    line = page.input_value("#cad-line")
    assert line.startswith("BEAT ? (APPROX: 512 90%, 511 10%) CONFIRM WITH CALLER | ")
    assert "(circle of 250 m)" in line and "| Trespass | 2023-06-03 11:00" in line
    # the circle is 500 m across on the map: zoomed to it, its width matches the scale
    page.click("#zoom")
    page.wait_for_timeout(300)
    assert page.locator("#map path.shape").bounding_box()["width"] > 100


def test_weapon_checkbox_by_keyboard_routes_away_from_crt(page):
    page.fill("#at", "2023-06-03T11:00")
    page.select_option("#call-type", "trespass")
    page.fill("#address", "35.9960, -78.9016")
    page.focus("#weapon")
    page.keyboard.press("Space")
    assert page.is_checked("#weapon")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "submit"
    page.keyboard.press("Enter")
    card = _card(page)
    assert card["pilot"] == "IN"
    assert "No HEART program" in card["verdict"]
    assert "weapon or violence flagged" in page.inner_text("li[data-program=CRT]")


def test_point_outside_the_pilot(page):
    page.fill("#at", "2023-06-06T11:00")
    page.select_option("#call-type", "mental_health_crisis")
    page.fill("#address", "35.9017, -78.9381")
    page.press("#address", "Enter")
    card = _card(page)
    assert card["state"] == "out"
    assert card["beat"].startswith("422")
    assert card["pilot"] == "OUT"
    assert "CCD" in card["verdict"]
    assert "only the HEART pilot service area" in page.inner_text("li[data-program=CRT]")


def test_bad_input_shows_the_error(page):
    page.fill("#address", "x" * 10)
    page.fill("#at", "")
    page.evaluate(
        "() => { const a = document.getElementById('at'); a.type = 'text'; a.value = 'soon';"
        " a.dispatchEvent(new Event('input')); }"
    )
    page.press("#address", "Enter")
    card = _card(page)
    assert card["state"] == "error"
    assert "not ISO 8601" in card["error"]


def test_typing_an_address(page):
    page.fill("#at", "2023-06-03T11:00")
    page.select_option("#call-type", "trespass")
    page.click("#address")
    page.keyboard.type("200 s mangum st")
    page.keyboard.press("Enter")
    card = _card(page)
    assert card["state"] == "in", card
    assert card["beat"].startswith("512")
    assert card["pilot"] == "IN"
    assert card["matched"] == "200 block of S MANGUM ST"
    # the score is the calibrated probability that the beat is right; the radius is shown
    assert card["quality"].startswith("good hundred-block (score 0.9")
    assert " m)" in card["quality"] and "within" in card["quality"]
    assert "CRT" in card["verdict"]
    assert page.locator("#map path.pt").count() == 1
    assert page.get_attribute("#map path.beat.hit", "data-beat") == "512"


def test_address_known_only_from_history_and_no_match(page):
    page.fill("#at", "2023-06-03T11:00")
    page.select_option("#call-type", "trespass")
    page.fill("#address", "200 PACIFIC AVE")
    page.press("#address", "Enter")
    card = _card(page)
    assert card["beat"].startswith("223")
    assert card["pilot"] == "IN"
    assert "past calls" in card["quality"]
    assert page.locator("#map path.pt").count() == 0  # no map point to draw

    page.fill("#address", "99999 NOWHERE IMAGINARY BLVD")
    page.press("#address", "Enter")
    page.wait_for_function(
        "() => document.getElementById('card-quality')?.innerText.includes('no match')"
    )
    card = _card(page)
    assert card["state"] == "unknown"
    assert "Location not determined: ask the caller" in card["verdict"]
    assert card["pilot"] == "UNKNOWN"  # never OUT for a location we do not know
    # every program says why: the location is not known (never "outside the area")
    reasons = page.locator("#card-decisions .why").all_inner_texts()
    assert reasons and all("location not determined: ask the caller" in r for r in reasons)
    assert not any("outside the area" in r or "in no beat" in r for r in reasons)
    assert page.evaluate("document.activeElement.id") == "address"  # ready for the next one


def test_needs_call_type_before_green(page):
    page.fill("#at", "2024-06-01T11:00")
    page.fill("#address", "35.9960, -78.9016")
    page.press("#address", "Enter")
    card = _card(page)
    assert card["pilot"] == "IN"
    assert "needs call type" in card["verdict"] and "can respond" not in card["verdict"]
    assert page.get_attribute("#card-verdict", "class") == "verdict warn"


def test_street_only_is_approximate_with_the_beats_it_crosses(page):
    page.fill("#at", "2024-06-01T11:00")
    page.select_option("#call-type", "trespass")
    page.fill("#address", "MAIN ST")
    page.press("#address", "Enter")
    card = _card(page)
    assert card["state"] == "approximate"
    verdict = card["verdict"]
    assert verdict.startswith("Approximate: street only, ") and "confirm with the caller" in verdict
    n = int(verdict.split("street only, ")[1].split(" ")[0])
    picks = page.locator("#card-candidates button.pick").all_inner_texts()
    beats = {t.split("— beat ")[1].split(" ")[0] for t in picks} - {"none", "?"}
    assert n == len(beats) >= 2  # the headline counts the beats the street runs through
    assert all("% of the street" in t for t in picks)
    assert "Location known" not in verdict and card["beat"] != "" and not card["beat"][0].isdigit()
    assert page.get_attribute("#card-verdict", "class") == "verdict warn"


def test_other_call_type_answers_no_program(page):
    page.fill("#at", "2024-06-04T11:00")  # Tuesday, every program's hours
    page.select_option("#call-type", "not listed")
    page.fill("#address", "35.9960, -78.9016")
    page.press("#address", "Enter")
    card = _card(page)
    assert card["state"] == "in" and card["beat"].startswith("512")
    assert card["verdict"] == "No HEART program can respond now"
    assert "no program takes this call type" in page.inner_text("#card-calltype")
    reasons = page.locator("#card-decisions .why").all_inner_texts()
    assert len(reasons) == 4 and all("no program takes this call type" in r for r in reasons)


def test_candidates_pick_list_re_evaluates(page):
    page.fill("#at", "2024-06-01T11:00")
    page.select_option("#call-type", "trespass")
    page.fill("#address", "MAIN ST")
    page.press("#address", "Enter")
    card = _card(page)
    assert card["state"] == "approximate"
    picks = page.locator("#card-candidates button.pick")
    assert picks.count() >= 2
    label = picks.nth(1).inner_text()
    picks.nth(1).click()
    page.wait_for_selector("#card-picked")
    card = _card(page)
    assert card["state"] in ("in", "out") and card["beat"]
    assert page.inner_text("#card-picked") in label
    assert page.locator("#map path.pt").count() == 1


def test_new_call_resets_call_type_and_weapon(page):
    page.select_option("#call-type", "trespass")
    page.check("#weapon")
    page.fill("#address", "35.9960, -78.9016")
    page.press("#address", "Enter")
    _card(page)
    page.click("#new-call")
    assert page.input_value("#call-type") == ""
    assert not page.is_checked("#weapon")
    assert page.input_value("#address") == ""
    assert page.get_attribute("#card", "data-state") == "empty"
    assert page.evaluate("document.activeElement.id") == "address"


def test_time_is_the_area_time_zone(browser, base_url):
    # a browser in another time zone still shows (and sends) the area's local time
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-US")
    context.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith(base_url) else r.abort()
    )
    pg = context.new_page()
    pg.goto(base_url + "/")
    pg.wait_for_selector("body[data-ready=true]", timeout=15_000)
    shown = pg.input_value("#at")
    area_now = pg.evaluate(
        "() => new Intl.DateTimeFormat('en-CA', {timeZone: 'America/New_York', year: 'numeric',"
        " month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23'})"
        ".format(new Date())"
    )
    assert shown[:10] == area_now[:10] and shown[11:13] == area_now[-2:]
    assert "America/New_York" in pg.inner_text("#tz-hint")
    context.close()


def test_docs_render_offline(page, base_url):
    # the page's footer links to /docs: Swagger UI must render with the internet blocked
    page.click("footer a[href='/docs']")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
    assert page.locator(".swagger-ui .opblock").count() >= 5
    assert "geo-heart dispatch lookup" in page.locator(".swagger-ui .info").inner_text()


def test_crossing_near_a_beat_line_names_the_other_beat(page):
    page.fill("#at", "2024-06-04T11:00")
    page.fill("#address", "CHAPEL HILL ST & GREGSON ST")
    page.press("#address", "Enter")
    card = _card(page)
    assert card["state"] == "approximate"
    assert card["verdict"].startswith("Approximate: crossing near a beat line (within ~")
    also = page.locator("#card-also").inner_text()
    assert "confirm with the caller" in also and card["beat"].split(" ")[0] not in also
    assert "% of the street" not in page.locator("#card-candidates").inner_text()


def test_a_pidf_file_shows_the_ellipse_and_its_beats(page, tmp_path):
    from geo_heart.service.models import PIDF_EXAMPLE

    xml = PIDF_EXAMPLE.replace(
        '<gs:radius uom="urn:ogc:def:uom:EPSG::9001">250</gs:radius>',
        '<gs:semiMajorAxis uom="urn:ogc:def:uom:EPSG::9001">600</gs:semiMajorAxis>'
        '<gs:semiMinorAxis uom="urn:ogc:def:uom:EPSG::9001">200</gs:semiMinorAxis>'
        '<gs:orientation uom="urn:ogc:def:uom:EPSG::9102">60</gs:orientation>',
    ).replace("gs:Circle", "gs:Ellipse")
    path = tmp_path / "caller.xml"
    path.write_text(xml, encoding="utf-8")
    page.fill("#at", "2023-06-03T11:00")
    page.select_option("#call-type", "trespass")
    page.set_input_files("#pidf", str(path))
    card = _card(page)
    assert card["state"] == "approximate"
    assert card["matched"].startswith("caller's ellipse 600 × 200 m (bearing 60°) around 35.996000")
    assert page.inner_text("#card-shares").startswith("512 67% · 511 29% · 111 4%")
    assert page.locator("#map path.shape").count() == 1
    assert page.input_value("#cad-line").startswith("BEAT ? (APPROX: 512 67%, 511 29%, 111 4%)")
    # a malformed document: its one-line error, naming the file and the element
    path.write_text(xml.replace("<gs:orientation", "<gs:x").replace("</gs:orientation>", "</gs:x>"),
                    encoding="utf-8")  # fmt: skip
    page.set_input_files("#pidf", str(path))
    page.wait_for_selector("#card-error")
    assert page.inner_text("#card-error") == "caller.xml: PIDF-LO: gs:Ellipse has no gs:orientation"
