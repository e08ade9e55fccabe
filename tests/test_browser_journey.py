"""The journey of issue 4's "done when", in a real browser, by a person who knows no SPARQL.

From the home page: find which ministries worked together most, see it as a network, download it for
Gephi, open a forum and see its events and people, and copy a citable link.
"""

from __future__ import annotations

import io
import re

import networkx as nx


def test_from_the_home_page_to_a_network_a_gexf_file_a_forum_and_a_citable_link(live_server, page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(live_server + "/?lang=en")
    top = page.locator("#pairs li").first
    top_pair = top.inner_text()
    assert re.search(r"[A-Za-z]+ – [A-Za-z]+: 3 shared forums", top_pair), top_pair

    page.get_by_role("link", name="See it as a network and download it").click()
    page.wait_for_url("**/network/ministries")
    page.wait_for_function("window.ruhrkgNetwork && window.ruhrkgNetwork.cy.nodes().length >= 10")
    assert page.evaluate("window.ruhrkgNetwork.cy.nodes().length") == 12

    with page.expect_download() as info:
        page.locator('a[href*=".gexf"]').first.click()
    with open(info.value.path(), "rb") as f:
        g = nx.read_gexf(io.BytesIO(f.read()), version="1.3")
    a, b = re.match(r"(\S+) – (\S+):", top_pair).groups()
    weights = {
        frozenset((g.nodes[u].get("label", u), g.nodes[v].get("label", v))): d.get("weight")
        for u, v, d in g.edges(data=True)
    }
    assert weights[frozenset((a, b))] == 3

    page.goto(live_server + "/?lang=en")
    page.locator("#forums").get_by_role("link", name=re.compile("Grüne Infrastruktur")).click()
    page.wait_for_url("**/doc/forum/14*")
    assert page.locator("#events table tbody tr").count() == 2
    assert "Kamen" in page.locator("#events").inner_text()
    assert page.locator("#memberships").get_by_role("link", name="Josef Tumbrinck", exact=True).count() == 1

    page.get_by_role("button", name="Copy IRI").click()
    assert page.evaluate("navigator.clipboard.readText()") == "https://w3id.org/ruhrkg/id/forum/14"
