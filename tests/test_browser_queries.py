"""Saved-query pages in headless Chromium against a real `ruhrkg serve`: the table, the form, the downloads."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ruhrkg.graph import saved


def test_saved_query_page_shows_a_table_and_its_download_returns_the_data(live_server, page):
    page.goto(f"{live_server}/queries/forums-of-ministry?lang=de")
    table = page.locator("table#results")
    table.wait_for()
    headers = table.locator("thead th").all_inner_texts()
    assert headers == list(saved.load("forums-of-ministry").variables)
    rows = table.locator("tbody tr")
    shown = rows.count()
    assert shown > 0
    assert "Themenforum 01" in rows.first.inner_text()  # the label next to the forum's IRI
    assert rows.first.locator("a").first.get_attribute("href") == "/id/forum/01"

    # the CSV download link returns the same rows
    link = page.locator('a[data-format="csv"]').first
    resp = page.request.get(live_server + link.get_attribute("href"))
    assert resp.ok and resp.headers["content-type"].startswith("text/csv")
    data = list(csv.reader(io.StringIO(resp.text())))
    assert data[0] == headers and len(data) == shown + 1

    # the Excel link: BOM, semicolons, an attachment
    excel = page.request.get(live_server + page.locator('a[data-format="excel-csv"]').first.get_attribute("href"))
    assert excel.ok and excel.body().startswith(b"\xef\xbb\xbf")
    assert "attachment" in excel.headers["content-disposition"]
    assert len(list(csv.reader(io.StringIO(excel.body().decode("utf-8-sig"), newline=""), delimiter=";"))) == shown + 1

    # a real click on the download link delivers the file
    with page.expect_download() as info:
        page.locator('a[data-format="json"]').first.click()
    download = info.value
    assert download.suggested_filename == "forums-of-ministry.json"
    body = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert len(body["results"]["bindings"]) == shown


def test_parameter_form_works_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        pg = context.new_page()
        pg.goto(f"{live_server}/queries/forums-of-ministry?lang=en")
        before = pg.locator("table#results tbody tr").count()
        pg.locator('input[name="ministry"][value="MAGS"]').check()
        pg.locator('form.query-form button[type="submit"]').click()
        pg.wait_for_url("**ministry=MAGS**")
        after = pg.locator("table#results tbody tr").count()
        assert after > before
        assert "ministry=MAGS&ministry=MKFFI" in pg.url and "lang=en" in pg.url  # the checkboxes' order
        permalink = pg.locator("#permalink").get_attribute("href")
        assert permalink.endswith("/queries/forums-of-ministry?ministry=MAGS&ministry=MKFFI&lang=en")
        pg.goto(f"{live_server}/queries?lang=en")
        cards = pg.locator("article.query-card")
        names = {cards.nth(i).get_attribute("data-query") for i in range(cards.count())}
        assert names == set(saved.names())  # each query under every one of its tags
    finally:
        context.close()
