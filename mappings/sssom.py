"""The link table as SSSOM (Simple Standard for Sharing Ontological Mappings): TSV with its YAML metadata header.

Written beside the RDF dumps of every build (``downloads/ruhrkg-links.sssom.tsv``). One row per row of
``wikidata-links.csv``, statuses and evidence kept:

* ``subject_id``: our entity (``rkid:city/essen``), ``object_id`` the Wikidata item (``wikidata:Q2066``);
* ``predicate_id``: the row's SKOS mapping relation (``skos:exactMatch``, ``skos:broadMatch``, ...), see
  :data:`PREDICATE_NOTE` for why; a ``rejected`` row keeps its relation with ``predicate_modifier: Not`` (the
  SSSOM way to say "is *not* a match");
* ``mapping_justification``: ``semapv:DatabaseCrossReference`` for rows whose evidence is a public source that
  names the Q-ID next to the entity, ``semapv:ManualMappingCuration`` for rows a reviewer accepted
  (``ruhrkg link apply``: basis ``reconciled``);
* ``author_label`` (who curated it), ``mapping_date``, ``comment`` (the note);
* three extension slots, declared in the header (``extension_definitions``): ``link_status`` (``verified``,
  ``candidate``, ``rejected``: only ``verified`` rows are asserted in the graph; a consumer that ignores the
  slot must not take candidates for matches), ``evidence`` and ``evidence_basis``.

>>> from ruhrkg.mappings import links
>>> text = to_sssom(links.load(), version="0.1.0")
>>> text.splitlines()[0]
'#curie_map:'
>>> header, rows = parse_sssom(text)
>>> header["license"], rows[0]["predicate_id"]
('https://creativecommons.org/licenses/by/4.0/', 'skos:exactMatch')
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import yaml

from ruhrkg.mappings.links import WD, Link
from ruhrkg.mappings.vocab import BASE, CC_BY_4, DEF, ID

FILE_NAME = "ruhrkg-links.sssom.tsv"
MEDIA_TYPE = "text/tab-separated-values"
CURIE_MAP = {
    "rkid": ID,
    "rk": DEF,
    "wikidata": WD,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "semapv": "https://w3id.org/semapv/vocab/",
}
COLUMNS = [
    "subject_id", "subject_label", "predicate_id", "predicate_modifier", "object_id", "mapping_justification",
    "author_label", "mapping_date", "comment", "link_status", "evidence", "evidence_basis",
]  # fmt: skip
#: Why the SKOS mapping relations, written into the metadata and the README.
PREDICATE_NOTE = (
    "predicate_id is the SKOS mapping relation of the curated row. Under the formal SKOS semantics "
    "skos:exactMatch makes both ends skos:Concepts, and neither our entities (forums, ministries, cities, "
    "organisations) nor Wikidata's items are concepts of a thesaurus; we use it, as Wikidata's own 'exact match' "
    "(P2888) does, to say that the two IRIs identify the same real-world thing and may be used interchangeably "
    "for lookup, and we never reason with it (the links graph is kept out of the OWL RL closure). owl:sameAs was "
    "rejected: under OWL RL it merges the two resources and copies every Wikidata statement onto ours. "
    "skos:broadMatch marks a part of a larger body (NABU NRW and NABU)."
)
EXTENSIONS = [
    {"slot_name": "link_status", "property": "rk:linkStatus", "type_hint": "http://www.w3.org/2001/XMLSchema#string"},
    {"slot_name": "evidence", "property": "rk:evidence", "type_hint": "http://www.w3.org/2001/XMLSchema#string"},
    {"slot_name": "evidence_basis", "property": "rk:linkBasis", "type_hint": "http://www.w3.org/2001/XMLSchema#string"},
]


def metadata(*, version: str) -> dict:
    """The mapping set's metadata (the YAML header)."""
    return {
        "curie_map": CURIE_MAP,
        "mapping_set_id": BASE + "downloads/" + FILE_NAME,
        "mapping_set_version": version,
        "mapping_set_title": "ruhrkg: links of the Ruhr-Konferenz knowledge graph to Wikidata",
        "mapping_set_description": (
            "Curated links of ruhrkg's entities to Wikidata items, with their status (verified, candidate, "
            "rejected) and evidence. Only verified links are asserted in the graph. " + PREDICATE_NOTE
        ),
        "license": CC_BY_4,
        "subject_source": BASE + "id/",
        "object_source": "http://www.wikidata.org/entity/",
        "mapping_provider": BASE,
        "extension_definitions": EXTENSIONS,
    }


def to_sssom(rows: Iterable[Link], *, version: str) -> str:
    """The SSSOM TSV text: the metadata as ``#``-prefixed YAML, then one tab-separated row per link."""
    header = yaml.safe_dump(metadata(version=version), sort_keys=False, allow_unicode=True, width=1000)
    out = io.StringIO()
    out.write("".join(f"#{line}\n" if line else "#\n" for line in header.splitlines()))
    writer = csv.DictWriter(out, COLUMNS, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for link in sorted(rows, key=lambda r: (r.entity, int(r.qid[1:]))):
        writer.writerow(
            {
                "subject_id": f"rkid:{link.entity}",
                "subject_label": link.label,
                "predicate_id": f"skos:{link.relation}",
                "predicate_modifier": "Not" if link.status == "rejected" else "",
                "object_id": f"wikidata:{link.qid}",
                "mapping_justification": "semapv:ManualMappingCuration"
                if link.basis == "reconciled"
                else "semapv:DatabaseCrossReference",
                "author_label": link.curator,
                "mapping_date": link.date,
                "comment": link.note,
                "link_status": link.status,
                "evidence": link.evidence,
                "evidence_basis": link.basis,
            }
        )
    return out.getvalue()


def parse_sssom(text: str) -> tuple[dict, list[dict[str, str]]]:
    """The metadata and the rows of an SSSOM TSV text with an embedded header (for tests and readers)."""
    lines = text.splitlines(keepends=True)
    header = "".join(line[1:] for line in lines if line.startswith("#"))
    body = "".join(line for line in lines if not line.startswith("#"))
    return yaml.safe_load(header), list(csv.DictReader(io.StringIO(body), delimiter="\t"))
