"""Home, about, the ontology documentation (/def) and the entity pages (/id/...), through the Flask test client."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from ruhrkg.graph.build import packaged_source
from ruhrkg.mappings.vocab import GRAPHS, ID, RK
from ruhrkg.server.app import create_app
from ruhrkg.server.web import entities

FORUM = ID + "forum/14"
SOURCE = ID + "source/steckbriefe-themenforen-2019"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RDFLIB_FORMATS = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt", "rdfxml": "xml"}


@pytest.fixture(scope="module")
def app(data_dir):
    app = create_app({"data_dir": str(data_dir), "access_log": False})
    yield app
    app.extensions["ruhrkg"].close()


@pytest.fixture
def client(app):
    """A client without cookies from earlier tests (the language choice is a cookie)."""
    return app.test_client()


@pytest.fixture(scope="module")
def entity_iris(store) -> list[str]:
    """Every subject of the data graph under /id/, without a fragment."""
    query = f"""SELECT DISTINCT ?s WHERE {{ GRAPH <{GRAPHS["data"]}> {{ ?s ?p ?o }}
        FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}") && !CONTAINS(STR(?s), "#")) }} ORDER BY ?s"""
    return [row["s"].value for row in store.query(query)]


def get(client, path: str, accept: str | None = BROWSER_ACCEPT, **headers):
    """GET ``path``, following the 303 from a thing (``/id/...``) to its document (``/doc/...``)."""
    if accept:
        headers["Accept"] = accept
    return client.get(path, headers=headers, follow_redirects=True)


def html(resp) -> str:
    assert resp.status_code == 200, resp.data[:300]
    assert resp.content_type == "text/html; charset=utf-8"
    return resp.get_data(as_text=True)


def parse(resp, fmt: str) -> Graph:
    assert resp.status_code == 200, resp.data[:300]
    return Graph().parse(data=resp.data, format=RDFLIB_FORMATS[fmt])


def page_path(iri: str) -> str:
    return "/id/" + iri[len(ID) :]


def link_header(resp) -> dict[str, str]:
    """``{type: href}`` of the ``rel="alternate"`` entries of the Link header."""
    return {t: h for h, t in re.findall(r'<([^>]+)>; rel="alternate"; type="([^"]+)"', resp.headers.get("Link", ""))}


# -- home and about ------------------------------------------------------------------------------------


def test_home_shows_the_dataset_and_links_to_everything(client, built):
    page = html(get(client, "/", **{"Accept-Language": "de"}))
    assert "Die 20 Themenforen" in page
    for n in range(1, 21):
        assert f'href="/id/forum/{n:02d}"' in page
    assert built.version in page
    assert f"<strong>{built.manifest['counts']['events']}</strong>" in page
    for path in (
        "/queries",
        "/network/ministries",
        "/editor",
        "/sparql",
        "/downloads/",
        "/.well-known/void",
        "/def",
        "/about",
        "/id/source/steckbriefe-themenforen-2019",
        "/id/ministry/mulnv",
    ):
        assert f'href="{path}"' in page, path
    assert "CC BY 4.0" in page and "Steckbriefe der 20 Themenforen" in page  # the footer


def test_home_lists_the_top_ministry_pairs_with_a_link_to_the_network(client, store):
    page = html(get(client, "/"))
    section = page[page.index('id="pairs"') : page.index("</section>", page.index('id="pairs"'))]
    assert section.count("<li>") == 5
    assert 'href="/network/ministries"' in section
    assert "MAGS</a> – <a" in section and "3 gemeinsame Themenforen" in section


def test_home_in_english_by_accept_language_and_by_the_switch(client):
    assert "The 20 thematic forums" in html(get(client, "/", **{"Accept-Language": "en-GB,en;q=0.9"}))
    resp = get(client, "/?lang=en", **{"Accept-Language": "de"})
    assert "The 20 thematic forums" in html(resp)
    assert "ruhrkg_lang=en" in resp.headers["Set-Cookie"]
    # the choice is remembered (cookie) over Accept-Language, until switched back
    assert "Which ministries worked together most?" in html(get(client, "/", **{"Accept-Language": "de"}))
    assert "About ruhrkg" in html(get(client, "/about", **{"Accept-Language": "de"}))
    assert "Die 20 Themenforen" in html(get(client, "/?lang=de"))


def test_about_explains_method_licences_citation_and_graphs(client, built):
    page = html(get(client, "/about?lang=en"))
    for text in ("Parsing", "Mapping", "Provenance", "Reasoning", "How to cite", "CC BY 4.0", "MIT", built.version):
        assert text in page, text
    for iri in GRAPHS.values():
        assert str(iri) in page
    assert "Über ruhrkg" in html(get(client, "/about?lang=de"))


def test_pages_refuse_what_they_cannot_send(client):
    assert get(client, "/", accept="image/png").status_code == 406


# -- the ontology --------------------------------------------------------------------------------------


def test_def_documents_every_term_under_its_local_name(client):
    for path in ("/def", "/def/"):
        page = html(get(client, path, **{"Accept-Language": "de"}))
        for name in RK.__annotations__:
            assert f'id="{name}"' in page, name
    assert "Ruhr-Konferenz-Ontologie" in page and "1.0.0" in page and "creativecommons.org/licenses/by/4.0" in page
    forum = page[page.index('id="Forum"') :][:3000]
    assert (
        "Themenforum" in forum
        and "thematic forum" in forum
        and 'href="http://www.w3.org/ns/org#OrganizationalCollaboration"' in forum
    )
    lead = page[page.index('id="leadMinistry"') :][:3000]
    assert 'href="#Forum"' in lead and 'href="#Ministry"' in lead and 'href="#ministryTakingPart"' in lead
    assert "Ruhr-Konferenz ontology" in html(get(client, "/def?lang=en"))


@pytest.mark.parametrize(
    "fmt, mime",
    [
        ("turtle", "text/turtle"),
        ("jsonld", "application/ld+json"),
        ("rdfxml", "application/rdf+xml"),
        ("ntriples", "application/n-triples"),
    ],
)
def test_def_rdf_twin_by_accept_and_by_format(client, fmt, mime):
    for resp in (get(client, "/def", accept=mime), get(client, f"/def?format={fmt}")):
        assert resp.content_type.split(";")[0] == mime
        g = parse(resp, fmt)
        assert (URIRef("https://w3id.org/ruhrkg/def"), RDF.type, OWL.Ontology) in g
        assert (RK.Forum, RDFS.label, Literal("Themenforum", lang="de")) in g
    links = link_header(get(client, "/def"))
    assert {"text/turtle", "application/ld+json", "application/rdf+xml"} <= set(links)
    assert '<link rel="alternate" type="text/turtle" href="/def?format=turtle">' in html(get(client, "/def"))


def test_def_shapes(client):
    resp = get(client, "/def/shapes")
    assert resp.status_code == 200 and resp.content_type.startswith("text/turtle")
    assert len(Graph().parse(data=resp.data, format="turtle")) > 100


# -- entity pages --------------------------------------------------------------------------------------


def test_every_entity_iri_dereferences_in_html_turtle_and_jsonld(client, entity_iris):
    assert len(entity_iris) > 200
    for iri in entity_iris:
        path = page_path(iri)
        assert iri in html(get(client, path)), iri
        for fmt, mime in (("turtle", "text/turtle"), ("jsonld", "application/ld+json")):
            g = parse(get(client, path, accept=mime), fmt)
            assert next(g.triples((URIRef(iri), None, None)), None) is not None, (iri, fmt)


def test_the_rdf_twin_is_the_entity_both_ways_plus_labels_of_what_it_links_to(client):
    g = parse(get(client, "/id/forum/14?format=ntriples", accept=None), "ntriples")
    forum, event = URIRef(FORUM), URIRef(ID + "event/14-1")
    assert (forum, RK.leadMinistry, URIRef(ID + "ministry/mulnv")) in g  # outgoing
    assert (event, RK.forum, forum) in g  # incoming
    assert (URIRef(ID + "ministry/mulnv"), RDFS.label, None) in g  # label of an object
    assert (event, RDFS.label, None) in g  # label of a subject
    assert (RK.leadMinistry, RDFS.label, Literal("lead ministry", lang="en")) in g  # label of a predicate
    assert (event, RK.startDate, None) not in g  # nothing else of the neighbours
    assert {s for s in g.subjects() if s != forum} <= {o for o in g.objects(forum)} | set(
        g.subjects(None, forum)
    ) | set(g.predicates())


@pytest.mark.parametrize(
    "accept, expected",
    [
        (BROWSER_ACCEPT, "text/html"),
        ("*/*", "text/html"),
        (None, "text/html"),
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("text/turtle;q=0.5, application/ld+json", "application/ld+json"),
        ("text/html;q=0.1, text/turtle", "text/turtle"),
    ],
)
def test_entity_content_negotiation(client, accept, expected):
    resp = get(client, "/id/forum/14", accept=accept)
    assert resp.status_code == 200
    assert resp.content_type.split(";")[0] == expected
    assert "Accept" in resp.headers["Vary"]


def test_format_parameter_overrides_accept(client):
    for fmt, mime in (
        ("turtle", "text/turtle"),
        ("ttl", "text/turtle"),
        ("jsonld", "application/ld+json"),
        ("ntriples", "application/n-triples"),
        ("html", "text/html"),
    ):
        resp = get(client, f"/id/forum/14?format={fmt}", accept="application/rdf+xml")
        assert resp.content_type.split(";")[0] == mime, fmt
    assert get(client, "/id/forum/14?format=pdf").status_code == 406
    resp = get(client, "/id/forum/14", accept="image/png")
    assert resp.status_code == 406 and "text/turtle" in resp.get_data(as_text=True)


def test_link_headers_and_alternate_links_name_the_twins(client):
    resp = get(client, "/id/forum/14")
    links = link_header(resp)
    assert links == {
        "text/turtle": "/doc/forum/14?format=turtle",
        "application/ld+json": "/doc/forum/14?format=jsonld",
        "application/n-triples": "/doc/forum/14?format=ntriples",
        "application/rdf+xml": "/doc/forum/14?format=rdfxml",
    }
    page = html(resp)
    for mime, href in links.items():
        assert f'<link rel="alternate" type="{mime}" href="{href}">' in page
    assert link_header(get(client, "/id/forum/14", accept="text/turtle"))["text/html"] == "/doc/forum/14?format=html"


def test_unknown_iris_get_404(client):
    resp = get(client, "/id/forum/99")
    assert resp.status_code == 404 and resp.content_type.startswith("text/html")
    assert "https://w3id.org/ruhrkg/id/forum/99" in resp.get_data(as_text=True)
    assert 'href="/"' in resp.get_data(as_text=True)  # the page has the site's header and links
    for accept in ("text/turtle", "application/ld+json"):
        resp = get(client, "/id/forum/99", accept=accept)
        assert resp.status_code == 404 and resp.content_type.startswith("text/plain")
    assert get(client, "/id/forum/<x>").status_code == 404
    assert get(client, "/id/forum/14/").status_code == 404


def test_conditional_get(client):
    first = get(client, "/id/forum/14")
    again = get(client, "/id/forum/14", **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    assert get(client, "/id/forum/14?format=turtle").headers["ETag"] != first.headers["ETag"]


def test_forum_page_shows_events_people_ministries_and_provenance(client, built):
    page = html(get(client, "/id/forum/14?lang=en"))
    assert "<h1>Thematic forum 14: Grüne Infrastruktur Metropolregion Ruhr</h1>" in page
    assert "Themenforum 14: Grüne Infrastruktur Metropolregion Ruhr" in page  # the other language's label
    events = page[page.index('id="events"') :]
    assert events.index("2019-01-14") < events.index("2019-04-08")
    assert "Stadthalle Mülheim" in events and "Kamen" in events and "ca. 150" in events and "all day" in events
    team = page[page.index('id="memberships"') : page.index('id="events"')]
    for name in ("Ursula Heinen-Esser", "Ulrich Paetzel", "Josef Tumbrinck", "Emschergenossenschaft", "Vorsitzender"):
        assert name in team
    assert team.index("Heinen-Esser") < team.index("Paetzel") < team.index("Tumbrinck")  # printed order
    ministries = page[page.index('id="roles"') : page.index('id="memberships"')]
    assert (
        ministries.index("lead")
        < ministries.index("MULNV")
        < ministries.index("participating")
        < ministries.index("MAGS")
    )
    provenance = page[page.index('id="provenance"') :]
    assert (
        "Steckbrief Themenforum 14:" in provenance
        and 'href="/id/source/steckbriefe-themenforen-2019#line=484,516"' in provenance
    )
    assert f'<code id="iri">{FORUM}</code>' in page and built.version in page[page.index('id="cite"') :][:500]
    assert ">lead ministry</a>" in page  # a property label from the ontology, in English
    assert 'id="wikidata"' not in page


def test_labels_follow_the_language(client):
    page = html(get(client, "/id/forum/14", **{"Accept-Language": "de"}))
    assert "<h1>Themenforum 14: Grüne Infrastruktur Metropolregion Ruhr</h1>" in page
    assert ">federführendes Ressort</a>" in page and "Moderationsteam" in page and "14.01.2019" in page


def test_person_venue_city_and_ministry_pages(client):
    person = html(get(client, "/id/person/andreas-pinkwart?lang=en"))
    assert "Forums moderated" in person
    assert 'href="/id/forum/04"' in person and 'href="/id/forum/05"' in person
    venue = html(get(client, "/id/venue/wissenschaftspark-gelsenkirchen?lang=en"))
    events = venue[venue.index('id="events"') : venue.index("</table>", venue.index('id="events"'))]
    assert events.count("<tr>") == 1 + 6 and "(6)" in events  # a header and six events
    city = html(get(client, "/id/city/essen?lang=en"))
    assert "Events here" in city and 'href="/id/forum/' in city
    ministry = html(get(client, "/id/ministry/mulnv?lang=en"))
    forums = ministry[ministry.index('id="roles"') : ministry.index("</section>", ministry.index('id="roles"'))]
    assert "<h2>Forums</h2>" in forums and forums.index("lead") < forums.index('href="/id/forum/14"')
    assert ">lead ministry</a>" in ministry  # the incoming links, grouped by property


def test_source_document_with_numbered_lines_anchors_and_a_text_twin(client):
    page = html(get(client, "/id/source/steckbriefe-themenforen-2019"))
    lines = packaged_source().split("\n")
    assert 'id="L1"' in page and f'id="L{len(lines)}"' in page
    assert '<span class="anchor" id="line=484,516"></span><span class="line" id="L485">' in page
    text = packaged_source().rstrip("\n") + "\n"
    for resp in (
        get(client, "/id/source/steckbriefe-themenforen-2019?format=txt"),
        get(client, "/id/source/steckbriefe-themenforen-2019", accept="text/plain"),
    ):
        assert resp.content_type == "text/plain; charset=utf-8" and resp.get_data(as_text=True) == text
    part = html(get(client, "/id/source/steckbriefe-themenforen-2019?lines=485-487"))
    assert 'id="L485"' in part and 'id="L487"' in part and 'id="L484"' not in part and 'id="L488"' not in part
    resp = get(client, "/id/source/steckbriefe-themenforen-2019?lines=485-487&format=txt")
    assert resp.get_data(as_text=True) == "\n".join(lines[484:487]) + "\n"
    assert get(client, "/id/source/steckbriefe-themenforen-2019?lines=9-99999").status_code == 400
    assert get(client, "/id/source/steckbriefe-themenforen-2019?lines=x").status_code == 400
    g = parse(get(client, "/id/source/steckbriefe-themenforen-2019", accept="text/turtle"), "turtle")
    assert (URIRef(SOURCE), RK.sha256, None) in g
    assert link_header(get(client, "/id/source/steckbriefe-themenforen-2019"))["text/plain"].endswith("format=txt")


def test_wikidata_links_are_shown_when_present(app):
    forum = ox.NamedNode(FORUM)
    triples = [
        ox.Triple(forum, ox.NamedNode(str(RDFS.label)), ox.Literal("Forum", language="de")),
        ox.Triple(
            forum,
            ox.NamedNode("http://www.w3.org/2004/02/skos/core#exactMatch"),
            ox.NamedNode("http://www.wikidata.org/entity/Q42"),
        ),
        ox.Triple(forum, ox.NamedNode("https://schema.org/sameAs"), ox.NamedNode("http://www.wikidata.org/entity/Q7")),
    ]
    with app.test_request_context("/id/forum/14"):
        context = entities.page_context(entities.Neighbourhood(FORUM, triples, "de"))
    assert context["wikidata"] == ["Q42", "Q7"]
    assert context["label"] == "Forum"


# -- cache keys and the Host header ---------------------------------------------------------------------

FORGED = "evil.example"


@pytest.mark.parametrize(
    "path", ["/", "/doc/forum/14", "/queries/forums", "/api/queries/forums", "/api/queries", "/.well-known/void",
             "/reconcile", "/network/ministries", "/downloads/", "/downloads/?format=html", "/timeline",
             "/timeline.ics", "/map", "/map.geojson"],
)  # fmt: skip
def test_a_forged_host_never_reaches_other_clients(client, path):
    """Requests with ``Host: evil.example`` come first; the normal requests after them must not see that host,
    neither in the body nor by a 304 for the forged request's ETag."""
    forged = [client.get(path, headers={"Host": FORGED}) for _ in range(3)]
    assert forged[0].status_code == 200
    if path in ("/.well-known/void", "/api/queries", "/reconcile", "/queries/forums", "/downloads/",
                "/downloads/?format=html"):
        assert FORGED.encode() in forged[0].data  # these name the server's URL: the test would catch a leak
    for _ in range(3):
        normal = client.get(path)
        assert normal.status_code == 200 and FORGED.encode() not in normal.data
    etag = forged[0].headers.get("ETag")
    if etag:
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 200
        assert normal.headers["ETag"] != etag


# -- things and documents: /id/ answers 303 See Other (issue 14) ---------------------------------------------
@pytest.mark.parametrize(
    ("path", "accept", "location"),
    [
        ("/id/forum/14", BROWSER_ACCEPT, "/doc/forum/14"),
        ("/id/forum/14", "text/turtle", "/doc/forum/14?format=turtle"),
        ("/id/forum/14", "application/ld+json", "/doc/forum/14?format=jsonld"),
        ("/id/forum/14?format=ntriples", BROWSER_ACCEPT, "/doc/forum/14?format=ntriples"),
        ("/id/forum/14?format=html", "text/turtle", "/doc/forum/14?format=html"),
        ("/id/forum/14?lang=en", BROWSER_ACCEPT, "/doc/forum/14?lang=en"),
        (
            "/id/source/steckbriefe-themenforen-2019?lines=9-42",
            "text/plain",
            "/doc/source/steckbriefe-themenforen-2019?lines=9-42&format=txt",
        ),
        ("/id/person/ulrich-paetzel", None, "/doc/person/ulrich-paetzel"),
    ],
)
def test_a_thing_redirects_to_its_document(client, path, accept, location):
    headers = {"Accept": accept} if accept else {}
    resp = client.get(path, headers=headers)
    assert resp.status_code == 303
    assert resp.headers["Location"] == location
    assert "Accept" in resp.headers["Vary"]


def test_the_document_is_not_the_thing(client):
    """The page answers 200 at /doc/, and its RDF twin says which thing it is about."""
    page = client.get("/doc/forum/14", headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 200 and page.content_type.startswith("text/html")
    g = parse(client.get("/doc/forum/14", headers={"Accept": "text/turtle"}), "turtle")
    foaf_topic = URIRef("http://xmlns.com/foaf/0.1/primaryTopic")
    assert (URIRef("https://w3id.org/ruhrkg/doc/forum/14"), foaf_topic, URIRef(FORUM)) in g
    assert client.get("/id/forum/14", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/doc/forum/99", headers={"Accept": BROWSER_ACCEPT}).status_code == 404
