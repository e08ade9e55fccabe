"""The timeline, the map and the downloads page in headless Chromium against a real server, and axe-core over
every page family.

A person finds the timeline from the home page, moves through its events with the keyboard, opens one, filters
by ministry and city; finds a city on the map; reads a checksum on the downloads page. No page asks another
host for anything. axe-core (vendored from npm with its licence in ``tests/vendor/axe-core/``) checks every page
family against the WCAG 2.1 A and AA rules: no serious or critical violation. Screenshots go to
test-artifacts/ (the ``page`` fixture).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def only_local_requests(page, base: str) -> list[str]:
    """Collects every request the page makes to another origin (there should be none)."""
    foreign: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((base, "data:", "blob:")) else foreign.append(r.url))
    return foreign


def test_timeline_from_home_by_keyboard(live_server, page):
    foreign = only_local_requests(page, live_server)
    page.goto(live_server + "/?lang=de")
    page.locator("main").get_by_role("link", name="Zeitleiste", exact=True).click()
    page.wait_for_url("**/timeline")
    assert page.locator("h1").inner_text() == "Zeitleiste der Veranstaltungen"
    assert page.locator("svg.timeline a.tl-event").count() == 46
    assert page.locator("aside.undated li").count() == 1
    page.locator(".filters").get_by_role("link", name="Bochum", exact=True).focus()
    for _ in range(120):  # Tab on from the filters until a mark of the timeline has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('svg a.tl-event')"):
            break
    else:
        pytest.fail("no mark of the timeline took the keyboard focus")
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    key = page.evaluate("document.activeElement.dataset.event")
    assert label.startswith("Themenforum ") and " – " in label
    focused = page.evaluate("getComputedStyle(document.activeElement.querySelector('circle, rect')).strokeWidth")
    assert focused == "3px"  # the focused mark is visibly outlined
    page.screenshot(path=str(Path(__file__).parent.parent / "test-artifacts" / "timeline-focus.png"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/doc/event/{key}")
    assert foreign == []


def test_timeline_filters_by_ministry_and_city(live_server, page):
    foreign = only_local_requests(page, live_server)
    page.goto(live_server + "/timeline?lang=en")
    page.get_by_role("navigation", name="Filter by ministry").get_by_role("link", name="MKW", exact=True).click()
    page.wait_for_url("**/timeline?ministry=MKW")
    by_ministry = page.locator("svg.timeline a.tl-event").count()
    assert 0 < by_ministry < 46
    page.get_by_role("navigation", name="Filter by city").get_by_role("link", name="Essen", exact=True).click()
    page.wait_for_url(re.compile(r".*/timeline\?ministry=MKW&city=essen$"))
    both = page.locator("svg.timeline a.tl-event").count()
    assert 0 < both <= by_ministry
    assert page.locator("table.events tbody tr").count() == both
    assert page.locator("svg.timeline a.tl-event").first.locator("title").text_content().endswith("Essen")
    assert foreign == []


def test_map_marks_lead_to_places(live_server, page):
    foreign = only_local_requests(page, live_server)
    page.goto(live_server + "/?lang=de")
    page.locator("main").get_by_role("link", name="Karte", exact=True).click()
    page.wait_for_url("**/map")
    assert page.locator("svg.map a.m-city").count() == 13
    assert page.locator("svg.map text.m-label").filter(has_text="Gelsenkirchen").count() == 1
    page.locator('svg.map a[data-place="essen"]').click()
    page.wait_for_url("**/doc/city/essen")
    assert page.locator("h1").inner_text() == "Essen"
    page.go_back()
    page.locator('svg.map a[data-place="zollverein"]').click()
    page.wait_for_url("**/doc/venue/zollverein")
    assert foreign == []


def test_downloads_page(live_server, page):
    foreign = only_local_requests(page, live_server)
    page.goto(live_server + "/downloads/")
    assert page.locator("h1").inner_text().startswith("Downloads")
    rows = page.locator("table.dumps tbody tr")
    assert rows.count() == 11  # five RDF formats plain and gzip, and the SSSOM links
    assert re.fullmatch(r"[0-9a-f]{64}", rows.first.locator("code.sha").inner_text())
    assert "oxigraph load" in page.locator("pre").nth(1).inner_text()
    assert page.evaluate("fetch('/favicon.ico').then(r => r.status)") == 200
    assert foreign == []


PAGE_FAMILIES = [
    "/",
    "/about",
    "/def",
    "/queries",
    "/queries/events",
    "/doc/forum/14",
    "/doc/event/17-3",
    "/doc/city/essen",
    "/doc/source/steckbriefe-themenforen-2019",
    "/doc/person/ulrich-paetzel",
    "/network/ministries",
    "/network/ministries?focus=MKW~MWIDE",
    "/network/persons",
    "/queries/no-such-query",
    "/api/docs",
    "/editor",
    "/timeline",
    "/timeline?ministry=MKW&city=essen&lang=en",
    "/map",
    "/downloads/",
    "/no/such/page",
]


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations of WCAG 2.1 A/AA on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => {
             const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
             return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
               .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" "))}));
           }""",
        WCAG21_AA,
    )


@pytest.mark.parametrize("path", PAGE_FAMILIES, ids=lambda p: re.sub(r"\W+", "-", p).strip("-") or "home")
def test_no_serious_accessibility_violation(live_server, page, path):
    page.goto(live_server + path)
    if path == "/editor":
        page.wait_for_selector(".yasqe .CodeMirror")
    assert axe_violations(page) == []


def test_no_serious_accessibility_violation_in_the_editor_with_results(live_server, page):
    page.goto(live_server + "/editor")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.locator("a.load-query").first.click()
    page.locator(".yasqe_queryButton").last.click()
    page.wait_for_selector(".yasr table")
    assert axe_violations(page) == []
