"""Conversion between rdflib terms (mapping, SHACL, OWL-RL) and pyoxigraph terms (store, queries).

>>> from rdflib import Literal as L
>>> to_ox(L("Essen", lang="de"))
<Literal value=Essen language=de>
>>> from_ox(to_ox(L(3))) == L(3)
True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def to_ox(term: Node):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r} to an Oxigraph term")


def from_ox(term) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        return Literal(term.value, datatype=None if dt == _XSD_STRING else URIRef(dt))
    raise TypeError(f"cannot convert {term!r} to an rdflib term")


def quads(triples: Iterable[tuple[Node, Node, Node]], graph: URIRef) -> Iterator[ox.Quad]:
    """rdflib triples as Oxigraph quads in ``graph``."""
    g = ox.NamedNode(str(graph))
    for s, p, o in triples:
        yield ox.Quad(to_ox(s), to_ox(p), to_ox(o), g)
