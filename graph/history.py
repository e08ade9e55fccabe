"""The version history of the ontology, read from its header (no HTTP): version, prior version, change notes.

The header of ``ontology/ruhrkg.ttl`` carries ``owl:versionInfo``, ``owl:versionIRI``, ``owl:priorVersion``,
``dct:modified`` and one ``skos:changeNote`` per version and language, each starting ``"<version> (<date>): "``.

>>> from ruhrkg.graph.build import ontology_graph
>>> h = history(ontology_graph())
>>> h.version, h.prior_version
('1.1.0', 'https://w3id.org/ruhrkg/def/1.0.0')
>>> [c.version for c in h.changes]
['1.1.0', '1.0.0']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS

ONTOLOGY_IRI = URIRef("https://w3id.org/ruhrkg/def")
_NOTE = re.compile(r"^(?P<version>\d+\.\d+\.\d+) \((?P<date>[^)]*)\): (?P<text>.*)$", re.DOTALL)


@dataclass(frozen=True)
class Change:
    """What changed in one version, by language (``{"de": ..., "en": ...}``) and its date as written there."""

    version: str
    date: dict[str, str]
    text: dict[str, str]


@dataclass(frozen=True)
class History:
    version: str
    version_iri: str
    prior_version: str
    modified: str
    changes: tuple[Change, ...]  #: newest first


def history(g: Graph, ontology: URIRef = ONTOLOGY_IRI) -> History:
    by_version: dict[str, Change] = {}
    for note in g.objects(ontology, SKOS.changeNote):
        m = _NOTE.match(str(note)) if isinstance(note, Literal) else None
        if m is None:
            raise ValueError(f"a skos:changeNote must start with '<version> (<date>): ', not {str(note)[:40]!r}")
        lang = note.language or ""
        change = by_version.setdefault(m["version"], Change(m["version"], {}, {}))
        change.date[lang] = m["date"]
        change.text[lang] = m["text"]
    order = sorted(by_version, key=lambda v: tuple(int(x) for x in v.split(".")), reverse=True)
    return History(
        version=str(g.value(ontology, OWL.versionInfo) or ""),
        version_iri=str(g.value(ontology, OWL.versionIRI) or ""),
        prior_version=str(g.value(ontology, OWL.priorVersion) or ""),
        modified=str(g.value(ontology, DCTERMS.modified) or ""),
        changes=tuple(by_version[v] for v in order),
    )
