"""Media types of the SPARQL endpoint, and content negotiation that looks at the query form first.

>>> negotiate("select", "text/turtle, application/sparql-results+json;q=0.9, */*;q=0.1").name
'json'
>>> negotiate("construct", "text/turtle, application/sparql-results+json;q=0.9, */*;q=0.1").name
'turtle'
>>> negotiate("select", None).name
'json'
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header


@dataclass(frozen=True)
class MediaType:
    name: str  # the format= value and the query service's result_format
    mime: str
    aliases: tuple[str, ...] = ()
    extension: str = ""
    w3c: str = ""  # http://www.w3.org/ns/formats/ IRI for the service description
    keywords: tuple[str, ...] = ()  # more format= values (SPARQLWrapper sends format=xml for RDF/XML, ...)


RESULTS = (
    MediaType("json", "application/sparql-results+json", ("application/json",), "srj", "SPARQL_Results_JSON"),
    MediaType("xml", "application/sparql-results+xml", ("application/xml", "text/xml"), "srx", "SPARQL_Results_XML"),
    MediaType("csv", "text/csv", (), "csv", "SPARQL_Results_CSV"),
    MediaType("tsv", "text/tab-separated-values", (), "tsv", "SPARQL_Results_TSV"),
)
GRAPHS = (
    MediaType("turtle", "text/turtle", ("application/x-turtle", "text/n3"), "ttl", "Turtle", ("n3",)),
    MediaType("ntriples", "application/n-triples", ("text/plain",), "nt", "N-Triples", ("n-triples",)),
    MediaType("nquads", "application/n-quads", (), "nq", "N-Quads", ("n-quads",)),
    MediaType("trig", "application/trig", (), "trig", "TriG"),
    MediaType("jsonld", "application/ld+json", (), "jsonld", "JSON-LD", ("json-ld", "json")),
    MediaType("rdfxml", "application/rdf+xml", ("application/xml",), "rdf", "RDF_XML", ("xml", "rdf/xml", "rdf+xml")),
)


class NotAcceptable(Exception):
    """No offered media type satisfies the request; ``offered`` lists what is."""

    def __init__(self, message: str, offered: tuple[MediaType, ...]) -> None:
        super().__init__(message)
        self.offered = offered


def offered_for(form: str) -> tuple[MediaType, ...]:
    return RESULTS if form in ("select", "ask") else GRAPHS


def by_format_parameter(form: str, value: str) -> MediaType:
    """The media type named by a ``format=`` parameter (a short name, extension or media type)."""
    value = value.strip().lower()
    offered = offered_for(form)
    for mt in offered:
        if value in (mt.name, mt.extension, mt.mime, *mt.aliases, *mt.keywords):
            return mt
    raise NotAcceptable(f"format={value!r} is not available for a {form.upper()} query", offered)


def choose(form: str, requested: list[str], accept: str | None) -> MediaType:
    """The media type of an answer: the first usable ``format=`` value if any is given, else negotiation."""
    error = None
    for value in requested:
        try:
            return by_format_parameter(form, value)
        except NotAcceptable as e:
            error = e
    if error:
        raise error
    return negotiate(form, accept)


def content_type(media_type: str) -> str:
    """The Content-Type header for a media type: text types say they are UTF-8."""
    if media_type.startswith("text/") and "charset" not in media_type:
        return media_type + "; charset=utf-8"
    return media_type


def negotiate(form: str, accept: str | None) -> MediaType:
    """The best offered media type for ``accept`` (q-values honoured), after looking at the query form.

    A missing header or ``*/*`` gets the first offered type (SPARQL JSON, or Turtle).
    Remembered for short headers: clients send the same few again and again.
    """
    if accept is not None and len(accept) > 1000:
        return _negotiate(form, accept)
    return _negotiate_cached(form, accept)


def _negotiate(form: str, accept: str | None) -> MediaType:
    offered = offered_for(form)
    if not accept or not accept.strip():
        return offered[0]
    # media-type parameters other than q (e.g. "text/csv; header=present") do not narrow the match
    parsed = parse_accept_header(_without_parameters(accept), MIMEAccept)
    best, best_q = None, 0.0
    for mt in offered:
        for candidate in (mt.mime, *mt.aliases):
            q = parsed.quality(candidate)
            if q > best_q:
                best, best_q = mt, q
    if best is None:
        names = ", ".join(mt.mime for mt in offered)
        raise NotAcceptable(
            f"none of the accepted media types is offered for a {form.upper()} query; offered: {names}", offered
        )
    return best


_negotiate_cached = functools.lru_cache(maxsize=256)(_negotiate)


def _without_parameters(accept: str) -> str:
    """``text/csv; header=present; q=0.5`` -> ``text/csv;q=0.5`` (q kept, other parameters dropped)."""
    out = []
    for item in accept.split(","):
        mime, *params = [p.strip() for p in item.split(";")]
        q = [p for p in params if p.replace(" ", "").lower().startswith("q=")]
        out.append(";".join([mime, *q]))
    return ", ".join(out)
