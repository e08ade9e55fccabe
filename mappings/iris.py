"""Minting of every IRI in the data: one function per entity type.

IRIs live under ``https://w3id.org/ruhrkg/id/<type>/<key>``. Keys are
readable and stable: they are built from the fields each docstring names,
slugified, never from positions in a file or counters, so a rebuild of the
same document mints the same IRIs, and one real-world thing gets one IRI
however the document spells it (spellings are resolved by the gazetteer
before an IRI is minted).

>>> forum(1)
rdflib.term.URIRef('https://w3id.org/ruhrkg/id/forum/01')
>>> person("Prof. Dr. Ulrich Paetzel")
rdflib.term.URIRef('https://w3id.org/ruhrkg/id/person/ulrich-paetzel')
>>> excerpt(10, 12)
rdflib.term.URIRef('https://w3id.org/ruhrkg/id/source/steckbriefe-themenforen-2019#line=9,12')
"""

from __future__ import annotations

import re
import unicodedata

from rdflib import URIRef

from ruhrkg.mappings.vocab import DOC, ID

SOURCE_KEY = "steckbriefe-themenforen-2019"
_TITLES = re.compile(r"^(?:(?:Prof|Dr)\.\s*)+")
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def slug(text: str) -> str:
    """Lower-case ASCII, words joined by ``-``; German umlauts folded as ``ae``/``oe``/``ue``.

    >>> slug("Polizeipräsidium Essen")
    'polizeipraesidium-essen'
    >>> slug("André Koch-Engelmann")
    'andre-koch-engelmann'
    >>> slug("Stk/Sport")
    'stk-sport'
    """
    text = text.translate(_FOLD)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    if not text:
        raise ValueError("cannot mint an IRI from an empty key")
    return text


def _iri(kind: str, key: str) -> URIRef:
    return URIRef(f"{ID}{kind}/{key}")


def forum(number: int) -> URIRef:
    """A Themenforum, keyed by its printed number (two digits)."""
    return _iri("forum", f"{number:02d}")


def event(forum_number: int, ordinal: int) -> URIRef:
    """An event, keyed by its forum's number and its printed ordinal: ``event/01-2``."""
    return _iri("event", f"{forum_number:02d}-{ordinal}")


def person(name: str) -> URIRef:
    """A person, keyed by the printed name without academic titles."""
    return _iri("person", slug(_TITLES.sub("", name)))


def membership(forum_number: int, name: str) -> URIRef:
    """A person's part in a forum, keyed by forum number and the person's key."""
    return _iri("membership", f"{forum_number:02d}-{slug(_TITLES.sub('', name))}")


def ministry(code: str) -> URIRef:
    """A Ressort, keyed by its official code (``MKFFI``, ``Stk``), never a printed typo."""
    return _iri("ministry", slug(code))


def unit(code: str) -> URIRef:
    """An organisational unit, keyed by its code (``Stk/Sport`` -> ``unit/stk-sport``)."""
    return _iri("unit", slug(code))


def organization(key: str) -> URIRef:
    """An organisation, keyed by its gazetteer key."""
    return _iri("organization", slug(key))


def venue(key: str) -> URIRef:
    """A venue, keyed by its gazetteer key (or the slug of its printed name if unknown)."""
    return _iri("venue", slug(key))


def city(key: str) -> URIRef:
    """A city, keyed by its gazetteer key."""
    return _iri("city", slug(key))


def geometry(section: str, key: str) -> URIRef:
    """The point of a city or venue, keyed as the place whose gazetteer entry gives it: ``city/essen#geometry``.

    >>> geometry("cities", "essen")
    rdflib.term.URIRef('https://w3id.org/ruhrkg/id/city/essen#geometry')
    """
    place = {"cities": city, "venues": venue}[section](key)
    return URIRef(f"{place}#geometry")


def area(key: str) -> URIRef:
    """A state or country, keyed by its gazetteer key."""
    return _iri("area", slug(key))


def role(key: str) -> URIRef:
    """A role in a forum (``moderator``)."""
    return _iri("role", slug(key))


def conference() -> URIRef:
    """The Ruhr-Konferenz itself."""
    return _iri("conference", "ruhr-konferenz")


def source() -> URIRef:
    """The source document."""
    return _iri("source", SOURCE_KEY)


def excerpt(start: int, end: int) -> URIRef:
    """Lines ``start`` to ``end`` (1-based, inclusive) of the source document.

    The fragment follows RFC 5147 (``text/plain`` fragment identifiers),
    which counts line *positions* from 0: lines 10 to 12 are ``line=9,12``.
    """
    if not 1 <= start <= end:
        raise ValueError(f"bad line range {start}-{end}")
    return URIRef(f"{source()}#line={start - 1},{end}")


def link(entity: str, qid: str) -> URIRef:
    """A curated link of one of our entities (its path under ``id/``) to a Wikidata item.

    >>> link("city/essen", "Q2066")
    rdflib.term.URIRef('https://w3id.org/ruhrkg/id/link/city-essen-Q2066')
    """
    return _iri("link", f"{entity.replace('/', '-')}-{qid}")


def dataset() -> URIRef:
    """The dataset that a build produces."""
    return _iri("dataset", "ruhrkg")


def class_partition(local_name: str) -> URIRef:
    """The VoID class partition of the dataset for one class."""
    return _iri("partition", slug(local_name))


def agent(key: str) -> URIRef:
    """A publisher or creator that is not in the document's forums (``landesregierung-nrw``, ``ruhrkg``), keyed by
    its gazetteer key under ``agents``."""
    return _iri("agent", slug(key))


def change_event(key: str) -> URIRef:
    """A reorganisation of ministries (``org:ChangeEvent``), keyed by its gazetteer key under ``changes``.

    >>> change_event("nrw-2022-06")
    rdflib.term.URIRef('https://w3id.org/ruhrkg/id/change/nrw-2022-06')
    """
    return _iri("change", slug(key))


def data_service() -> URIRef:
    """The SPARQL endpoint as a ``dcat:DataService``."""
    return _iri("service", "sparql")


def distribution(file_name: str) -> URIRef:
    """One download (dump) of the dataset, keyed by its file name.

    >>> distribution("ruhrkg.nt.gz")
    rdflib.term.URIRef('https://w3id.org/ruhrkg/id/distribution/ruhrkg.nt.gz')
    """
    return _iri("distribution", file_name)


def property_partition(local_name: str) -> URIRef:
    """The VoID property partition of the dataset for one property."""
    return _iri("partition", "property-" + slug(local_name))


def document(thing: str) -> URIRef:
    """The document about a thing: ``id/<kind>/<key>`` names the thing (a forum, a person), ``doc/<kind>/<key>``
    the page and its RDF twins that describe it. ``/id/...`` answers ``303 See Other`` with this document.

    >>> document("https://w3id.org/ruhrkg/id/forum/14")
    rdflib.term.URIRef('https://w3id.org/ruhrkg/doc/forum/14')
    """
    if not thing.startswith(ID):
        raise ValueError(f"{thing} is not a ruhrkg IRI")
    return URIRef(DOC + thing[len(ID) :].partition("#")[0])
