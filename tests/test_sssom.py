"""The Wikidata link table exported as SSSOM beside the RDF dumps (issue 14)."""

from __future__ import annotations

import re

import pytest

from ruhrkg.mappings import links, sssom
from ruhrkg.server.app import create_app

REQUIRED = {"subject_id", "predicate_id", "object_id", "mapping_justification"}


@pytest.fixture(scope="module")
def exported(built):
    return sssom.parse_sssom((built.downloads / sssom.FILE_NAME).read_text(encoding="utf-8"))


def test_every_row_of_the_table_with_status_and_evidence(exported):
    header, rows = exported
    table = links.load()
    assert len(rows) == len(table) > 20
    by_subject = {(r["subject_id"], r["object_id"]): r for r in rows}
    for link in table:
        row = by_subject[(f"rkid:{link.entity}", f"wikidata:{link.qid}")]
        assert row["predicate_id"] == f"skos:{link.relation}"
        assert row["link_status"] == link.status and row["evidence"] == link.evidence
        assert row["evidence_basis"] == link.basis and row["mapping_date"] == link.date
        assert row["predicate_modifier"] == ("Not" if link.status == "rejected" else "")
    assert {r["link_status"] for r in rows} == {"verified", "candidate"}
    assert by_subject[("rkid:organization/nabu-nrw", "wikidata:Q516755")]["predicate_id"] == "skos:broadMatch"


def test_the_header_is_complete_sssom_metadata(exported):
    header, rows = exported
    assert REQUIRED <= set(rows[0]) and all(r[c] for r in rows for c in REQUIRED)
    assert header["license"] and header["mapping_set_id"].startswith("https://w3id.org/ruhrkg/")
    used = {v.split(":", 1)[0] for r in rows for k, v in r.items() if k.endswith("_id") or k == "mapping_justification"}
    used |= {e["property"].split(":", 1)[0] for e in header["extension_definitions"]}
    assert used <= set(header["curie_map"])
    assert {e["slot_name"] for e in header["extension_definitions"]} == {"link_status", "evidence", "evidence_basis"}
    assert "skos:exactMatch" in header["mapping_set_description"] and "owl:sameAs" in header["mapping_set_description"]


def test_a_rejected_link_is_a_negated_mapping():
    rejected = links.Link("city/essen", "Essen", "Q1", status="rejected", evidence="reviewer: a namesake")
    _header, rows = sssom.parse_sssom(sssom.to_sssom([rejected], version="x"))
    assert rows[0]["predicate_modifier"] == "Not" and rows[0]["link_status"] == "rejected"


def test_served_beside_the_dumps(data_dir):
    app = create_app({"data_dir": str(data_dir), "access_log": False})
    try:
        client = app.test_client()
        assert sssom.FILE_NAME in {f["name"] for f in client.get("/downloads/").get_json()["files"]}
        with client.get(f"/downloads/{sssom.FILE_NAME}") as resp:
            assert resp.status_code == 200 and resp.mimetype == "text/tab-separated-values"
            assert re.match(rb"#curie_map:", resp.data)
    finally:
        app.extensions["ruhrkg"].close()
