"""``/.well-known/void`` is valid DCAT-AP.de 3.0: 0 violations and 0 warnings of the official shapes (issue 14).

The shapes are vendored verbatim in ``tests/vocab/`` (see the README there): SEMIC's DCAT-AP 3.0.0 shapes and
GovData's DCAT-AP.de 3.0 shapes (``validator/resources/v3.0/shapes/``). The official validator also loads the
controlled vocabularies; offline, ``vocabulary-excerpt.ttl`` gives the statements they make about the terms we use.
Before issue 14: 3 violations (the SPARQL service as a ``dcat:distribution``, ``dct:source`` to a document, the data
service without ``dct:publisher``) and 13 warnings (licences outside the DCAT-AP.de vocabulary, ``owl:versionInfo``,
a ``dct:spatial`` that is not a ``dct:Location``).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, SH, VOID

from ruhrkg.graph import dataset
from ruhrkg.graph.terms import from_ox
from ruhrkg.mappings import iris
from ruhrkg.mappings.vocab import GRAPHS, VCARD
from ruhrkg.server.app import create_app
from ruhrkg.server.config import Settings

VOCAB = Path(__file__).parent / "vocab"


@pytest.fixture(scope="module")
def shapes() -> Graph:
    g = Graph()
    for path in [*sorted((VOCAB / "dcat-ap-de").glob("dcat-ap-*.ttl")), VOCAB / "dcat-ap" / "dcat-ap-SHACL.ttl"]:
        g.parse(path, format="turtle")
    return g


@pytest.fixture(scope="module")
def void(data_dir) -> Graph:
    app = create_app({"data_dir": str(data_dir), "access_log": False})
    try:
        resp = app.test_client().get("/.well-known/void", headers={"Accept": "text/turtle"})
        assert resp.status_code == 200
        return Graph().parse(data=resp.data, format="turtle")
    finally:
        app.extensions["ruhrkg"].close()


def results(data: Graph, shapes: Graph) -> list[tuple[str, str, str]]:
    g = Graph()
    for t in data:
        g.add(t)
    g.parse(VOCAB / "dcat-ap-de" / "vocabulary-excerpt.ttl", format="turtle")
    _conforms, report, _text = pyshacl.validate(g, shacl_graph=shapes, advanced=True, allow_warnings=True)
    return sorted(
        (str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1], str(report.value(r, SH.focusNode)),
         str(report.value(r, SH.resultMessage)))
        for r in report.subjects(RDF.type, SH.ValidationResult)
    )  # fmt: skip


def test_void_has_no_violation_and_no_warning(void, shapes):
    assert results(void, shapes) == []


def test_the_data_graph_describes_the_same_dataset(store, void, shapes):
    """One builder: the description in the data graph is valid too and differs only in URLs and sizes."""
    data = Graph()
    for q in store.quads_for_pattern(None, None, None, ox.NamedNode(str(GRAPHS["data"]))):
        data.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))
    g, todo, seen = Graph(), [iris.dataset()], set()
    while todo:  # the description: everything reachable from the dataset, but not the facts it describes
        node = todo.pop()
        seen.add(node)
        for p, o in data.predicate_objects(node):
            g.add((node, p, o))
            if p not in (PROV.wasDerivedFrom, VOID.classPartition) and o not in seen and (o, None, None) in data:
                todo.append(o)
    assert results(g, shapes) == []
    assert set(g.objects(iris.dataset(), DCAT.distribution)) == set(void.objects(iris.dataset(), DCAT.distribution))
    assert g.value(iris.dataset(), DCTERMS.license) == void.value(iris.dataset(), DCTERMS.license) == dataset.LICENSE


def test_the_sparql_endpoint_is_a_data_service_behind_a_distribution(void):
    (dist,) = void.subjects(DCAT.accessService, iris.data_service())
    assert (iris.dataset(), DCAT.distribution, dist) in void
    assert (iris.data_service(), RDF.type, DCAT.DataService) in void
    assert (iris.data_service(), DCTERMS.publisher, iris.agent("ruhrkg")) in void


@pytest.mark.parametrize(
    ("predicate", "severity"),
    [(DCTERMS.publisher, "Violation"), (DCTERMS.license, "Warning"), (DCTERMS.format, "Violation")],
)
def test_the_shapes_fire_on_a_broken_description(void, shapes, predicate, severity):
    """The check can fail: a publisher removed, a licence or a format from outside the vocabularies."""
    broken = Graph()
    for t in void:
        broken.add(t)
    if predicate == DCTERMS.publisher:
        broken.remove((iris.data_service(), predicate, None))
    else:
        node = iris.distribution("ruhrkg.ttl")
        broken.set((node, predicate, URIRef("https://example.org/not-in-the-vocabulary")))
    assert severity in {sev for sev, _focus, _msg in results(broken, shapes)}


def test_settings_come_from_the_environment():
    s = dataset.Publisher.from_env({"RUHRKG_PUBLISHER_NAME": "Land NRW", "RUHRKG_CONTACT_EMAIL": "a@b.de"})
    assert (s.publisher_name, s.contact_email, s.contact_name) == ("Land NRW", "a@b.de", "ruhrkg")
    served = Settings.from_env({"RUHRKG_PUBLISHER_NAME": "Land NRW", "RUHRKG_CONTACT_EMAIL": "a@b.de"}).publisher()
    assert served == s  # the web app reads the same variables into its settings


def test_the_served_description_names_the_configured_publisher(data_dir):
    app = create_app({"data_dir": str(data_dir), "access_log": False, "publisher_name": "Land NRW",
                      "contact_email": "open-data@example.org"})  # fmt: skip
    try:
        resp = app.test_client().get("/.well-known/void", headers={"Accept": "text/turtle"})
        g = Graph().parse(data=resp.data, format="turtle")
    finally:
        app.extensions["ruhrkg"].close()
    assert str(g.value(iris.agent("ruhrkg"), FOAF.name)) == "Land NRW"
    contact = g.value(iris.dataset(), DCAT.contactPoint)
    assert (contact, VCARD.hasEmail, URIRef("mailto:open-data@example.org")) in g
