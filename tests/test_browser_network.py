"""The network views and the query editor in headless Chromium, against a real `ruhrkg serve`.

The network is drawn by Cytoscape.js (vendored): the tests read the library's own node count, click a node on
the canvas at its rendered position, and check the server-rendered details, the URL and the permalink. The
editor (YASGUI, vendored) runs a query typed into it and shows YASR's results table. Screenshots go to
test-artifacts/ (the ``page`` fixture).
"""

from __future__ import annotations

import io
import re

import networkx as nx

READY = "() => window.ruhrkgNetwork && document.getElementById('network-graph').dataset.ready === 'true'"


def open_network(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(READY)


def click_node(page, node_id: str) -> None:
    """A real mouse click on the canvas, where Cytoscape drew the node."""
    x, y = page.evaluate(
        "id => { const p = window.ruhrkgNetwork.cy.getElementById(id).renderedPosition(); return [p.x, p.y]; }", node_id
    )
    box = page.locator("#network-graph").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_ministry_network_draws_its_nodes(live_server, page):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None)
    open_network(page, live_server + "/network/ministries")
    nodes = page.evaluate("window.ruhrkgNetwork.cy.nodes().length")
    edges = page.evaluate("window.ruhrkgNetwork.cy.edges().length")
    assert nodes >= 10 and edges >= nodes
    assert page.locator("#network-graph canvas").count() >= 1
    # every node is drawn inside the visible canvas
    box = page.locator("#network-graph").bounding_box()
    positions = page.evaluate(
        "window.ruhrkgNetwork.cy.nodes().map(n => [n.renderedPosition().x, n.renderedPosition().y])"
    )
    assert all(0 <= x <= box["width"] and 0 <= y <= box["height"] for x, y in positions)
    # the server-rendered tables are there too
    assert page.locator("table.network-edges tbody tr").count() == edges
    assert page.locator("table.network-nodes tbody tr").count() == nodes
    assert not errors and not outside


def test_clicking_a_node_shows_its_forums_and_a_shareable_url(live_server, page):
    open_network(page, live_server + "/network/ministries")
    click_node(page, "MWIDE")
    page.wait_for_selector('#network-details .details[data-focus="MWIDE"]')
    details = page.locator("#network-details")
    forums = details.locator('a[href^="/id/forum/"]')
    assert forums.count() >= 5
    assert "Urbane Energielösungen" in details.inner_text()
    assert details.locator('a[href="/id/ministry/mwide"]').count() == 1
    assert page.evaluate("window.ruhrkgNetwork.cy.getElementById('MWIDE').hasClass('focused')")
    assert re.search(r"[?&]focus=MWIDE\b", page.url)
    permalink = page.locator("#permalink").get_attribute("href")
    assert "focus=MWIDE" in permalink and "mode=all" in permalink
    # the permalink reproduces the view, with the details rendered by the server
    open_network(page, live_server + permalink)
    assert page.locator('#network-details .details[data-focus="MWIDE"]').count() == 1
    assert page.evaluate("window.ruhrkgNetwork.cy.getElementById('MWIDE').hasClass('focused')")
    assert page.locator('tr[data-node="MWIDE"].selected').count() == 1


def test_selecting_an_edge_and_switching_to_lead_only(live_server, page):
    open_network(page, live_server + "/network/ministries")
    all_edges = page.evaluate("window.ruhrkgNetwork.cy.edges().length")
    page.evaluate("() => { window.ruhrkgNetwork.cy.getElementById('MKW~MWIDE').emit('tap'); }")
    page.wait_for_selector('#network-details .details[data-focus="MKW~MWIDE"]')
    shared = page.locator('#network-details a[href^="/id/forum/"]').evaluate_all("as => as.map(a => a.textContent)")
    assert len(shared) == 3
    # the mode link keeps the selection
    page.locator("a.mode-link[data-mode=lead]").click()
    page.wait_for_function(READY)
    assert "mode=lead" in page.url and "focus=MKW~MWIDE" in page.url.replace("%7E", "~")
    assert page.evaluate("window.ruhrkgNetwork.cy.edges().length") < all_edges
    assert page.locator('#network-details a[href^="/id/forum/"]').count() == 2
    # a click on the background clears the selection
    box = page.locator("#network-graph").bounding_box()
    page.mouse.click(box["x"] + 3, box["y"] + 3)
    page.wait_for_selector("#network-details .details[data-focus='']")
    assert "focus=" not in page.url
    assert page.locator("tr.selected").count() == 0


def test_persons_network_draws_persons_and_forums(live_server, page):
    open_network(page, live_server + "/network/persons")
    kinds = page.evaluate(
        "(() => { const c = {}; window.ruhrkgNetwork.cy.nodes().forEach(n => { c[n.data('kind')] = (c[n.data('kind')] || 0) + 1; }); return c; })()"
    )
    assert kinds["forum"] == 20 and kinds["person"] >= 30
    click_node(page, "person:andreas-pinkwart")
    page.wait_for_selector('#network-details .details[data-focus="person:andreas-pinkwart"]')
    assert page.locator('#network-details a[href^="/id/forum/"]').count() == 2


def test_gexf_download_link_returns_the_network(live_server, page):
    open_network(page, live_server + "/network/ministries?mode=lead")
    link = page.locator('a[href*=".gexf"]')
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "ruhrkg-ministries-lead.gexf"
    with open(download.path(), "rb") as f:
        g = nx.read_gexf(io.BytesIO(f.read()), version="1.3")
    assert g.number_of_nodes() == page.evaluate("window.ruhrkgNetwork.cy.nodes().length")
    assert g.number_of_edges() == page.evaluate("window.ruhrkgNetwork.cy.edges().length")


def test_network_page_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto(live_server + "/network/ministries?focus=MKW~MWIDE")
        assert pg.locator("table.network-edges tbody tr").count() >= 20
        assert pg.locator('#network-details a[href^="/id/forum/"]').count() == 3
        pg.locator('tr[data-node="IM"] td a').first.click()
        assert pg.locator('#network-details .details[data-focus="IM"]').count() == 1
    finally:
        context.close()


# --------------------------------------------------------------------------- the editor

QUERY = (
    'SELECT ?code WHERE { ?m <https://w3id.org/ruhrkg/def#code> ?code . FILTER(STRSTARTS(?code, "M")) } ORDER BY ?code'
)


def test_editor_runs_a_typed_query(live_server, page):
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None)
    page.goto(live_server + "/editor")
    page.wait_for_selector(".yasgui .yasqe .CodeMirror")
    assert page.locator("#plain-form").is_hidden()
    endpoint = page.locator(".yasgui .tabPanel.active .controlbar input.autocomplete").input_value()
    assert endpoint == live_server + "/sparql"
    page.locator(".yasgui .yasqe .CodeMirror").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(QUERY)
    page.keyboard.press("Escape")  # close an autocompletion hint, if one is open
    assert page.evaluate("window.ruhrkgEditor.getTab().getQuery()") == QUERY
    with page.expect_response(lambda r: r.url == live_server + "/sparql" and r.request.method == "POST") as answer:
        page.locator(".yasgui .yasqe_queryButton").click()
    assert answer.value.status == 200
    page.wait_for_selector(".yasr table tbody tr")
    cells = page.locator(".yasr table tbody tr td:nth-child(2)").all_inner_texts()
    assert "MWIDE" in cells and "MKW" in cells and all(c.strip().startswith("M") for c in cells)
    assert not outside, outside


def test_editor_loads_a_saved_query_into_a_tab(live_server, page):
    page.goto(live_server + "/editor")
    page.wait_for_selector(".yasgui .yasqe .CodeMirror")
    page.locator("a.load-query[data-name=moderators]").click()
    page.wait_for_function("window.ruhrkgEditor.getTab().getName() === 'moderators'")
    assert "rk:ForumMembership" in page.evaluate("window.ruhrkgEditor.getTab().getQuery()")
    page.locator(".yasgui .tabPanel.active .yasqe_queryButton").click()
    page.wait_for_selector(".yasgui .tabPanel.active .yasr table tbody tr")
    assert page.locator(".yasgui .tabPanel.active .yasr table tbody tr").count() >= 20


def test_editor_without_javascript_has_a_plain_form(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto(live_server + "/editor")
        assert pg.locator("#plain-form").is_visible()
        pg.locator("#plain-query").fill("SELECT (COUNT(*) AS ?n) WHERE { ?f a <https://w3id.org/ruhrkg/def#Forum> }")
        pg.locator("#plain-form select[name=format]").select_option("csv")
        with pg.expect_download() as info:
            pg.locator("#plain-form button[type=submit]").click()
        with open(info.value.path(), encoding="utf-8") as f:
            assert f.read().split() == ["n", "20"]
    finally:
        context.close()
