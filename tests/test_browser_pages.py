"""The home, forum and source pages in headless Chromium against a real server (`ruhrkg serve`).

A person who knows no SPARQL finds, from the home page, which ministries worked together most, opens a forum,
sees its events and people, and copies a citable link. Screenshots go to test-artifacts/ (the `page` fixture).
"""

from __future__ import annotations

import re

FORUM_IRI = "https://w3id.org/ruhrkg/id/forum/14"


def test_home_page_renders(live_server, page):
    page.goto(live_server + "/")
    assert page.title().endswith("· ruhrkg")
    assert page.locator("h1").inner_text() == "Die Ruhr-Konferenz als Wissensgraph"
    assert page.locator("table.forums tbody tr").count() == 20
    pairs = page.locator("#pairs")
    assert "Welche Ressorts arbeiteten am häufigsten zusammen?" in pairs.locator("h2").inner_text()
    assert pairs.locator("ol.pairs li").count() == 5
    assert pairs.get_by_role("link", name=re.compile("Als Netzwerk")).get_attribute("href") == "/network/ministries"
    assert "CC BY 4.0" in page.locator("footer").inner_text()
    page.get_by_role("link", name="EN", exact=True).click()
    assert page.locator("h1").inner_text() == "The Ruhr-Konferenz as a knowledge graph"


def test_forum_page_shows_events_people_labels_and_links(live_server, page):
    page.goto(live_server + "/?lang=de")
    page.get_by_role("link", name="Grüne Infrastruktur Metropolregion Ruhr").click()
    page.wait_for_url("**/doc/forum/14")
    assert page.locator("h1").inner_text() == "Themenforum 14: Grüne Infrastruktur Metropolregion Ruhr"
    assert page.locator(".types .type").first.inner_text() == "Themenforum"
    events = page.locator("#events table tbody tr")
    assert events.count() == 2
    assert events.nth(0).locator("td").nth(0).inner_text() == "14.01.2019"
    assert "Stadthalle Mülheim" in events.nth(0).inner_text() and "Kamen" in events.nth(1).inner_text()
    team = page.locator("#memberships")
    for name in ("Ursula Heinen-Esser", "Ulrich Paetzel", "Josef Tumbrinck"):
        assert team.get_by_role("link", name=name, exact=True).count() == 1
    assert "MULNV" in page.locator("#roles").inner_text()
    assert "Steckbrief Themenforum 14:" in page.locator("#provenance").inner_text()
    team.get_by_role("link", name="Ulrich Paetzel", exact=True).click()
    page.wait_for_url("**/doc/person/ulrich-paetzel")
    assert page.locator("h1").inner_text() == "Ulrich Paetzel"
    assert page.locator("#memberships").get_by_role("link", name=re.compile("Themenforum 14")).count() == 1


def test_copy_a_citable_link(live_server, page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(live_server + "/id/forum/14")
    assert page.locator("#iri").inner_text() == FORUM_IRI
    assert FORUM_IRI in page.locator("#cite").inner_text()
    button = page.get_by_role("button", name="IRI kopieren")
    button.click()
    page.get_by_role("button", name="Kopiert ✓").first.wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == FORUM_IRI


def test_source_lines_are_highlighted_from_an_excerpt_link(live_server, page):
    page.goto(live_server + "/id/source/steckbriefe-themenforen-2019#line=484,516")
    assert "hl-js" in page.locator("#L485").get_attribute("class")
    assert "hl-js" in page.locator("#L516").get_attribute("class")
    assert "hl-js" not in page.locator("#L517").get_attribute("class")
    assert page.locator("#L485").is_visible()
