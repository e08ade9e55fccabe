"""Entity pages: every ``https://w3id.org/ruhrkg/id/<rest>`` IRI dereferences at ``/id/<rest>``, which answers
``303 See Other`` with the document about the thing, ``/doc/<rest>`` (the IRI names a forum or a person, not a
page; the representation the client asked for is kept in the new location).

At ``/doc/<rest>`` browsers get HTML; RDF clients get the entity's *RDF twin* in Turtle, JSON-LD, N-Triples or RDF/XML, by
``Accept`` or ``?format=`` (``turtle``, ``jsonld``, ``ntriples``, ``rdfxml``), with ``Link: rel="alternate"``
headers naming the other representations. The twin is

- every triple with the entity as subject (outgoing) or as object (incoming), from the data graph (and the
  ``links`` graph of external identifiers, if a build has one; the ontology graph adds nothing for ``/id/``
  subjects but the ontology's own ``rdfs:seeAlso`` of the source document);
- the ``rdfs:label`` of every resource those triples link to: their objects, subjects and predicates (the
  labels of the ontology's terms come from the ontology graph);
- ``<https://w3id.org/ruhrkg/doc/<rest>> foaf:primaryTopic <https://w3id.org/ruhrkg/id/<rest>>``: which thing the
  document is about.

One CONSTRUCT query (``graph/rq/entity-neighbourhood.rq``, the entity bound by a substitution, never pasted)
fetches that plus the outgoing triples of every neighbour and their objects' labels, which the HTML page needs
for its tables (a forum's events with venues and cities, its moderation team, a person's forums, the text of
provenance excerpts). The twin is cut out of that graph, so page and twin agree. Rendered responses are cached
per (dataset version, base URL, IRI, format, language) in the backend's result cache, which a rebuild empties.

The source document (``/doc/source/steckbriefe-themenforen-2019``) is shown with numbered lines: ``#L9``
anchors, one anchor per excerpt range so that the excerpts' ``#line=8,42`` fragments (RFC 5147) scroll there
without JavaScript (a small script highlights the range), a ``?lines=9-42`` view, and a text/plain twin
(``?format=txt`` or ``Accept: text/plain``).

Unknown IRIs get a 404 page (HTML) or a one-line 404 (other clients).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, abort, g, render_template, request, url_for

from ruhrkg.graph.formats import RDF_FORMATS, WITH_PREFIXES
from ruhrkg.graph.query import qname
from ruhrkg.graph.shared import packaged_source
from ruhrkg.mappings import iris
from ruhrkg.mappings.vocab import DEF, GRAPHS, ID, PREFIXES, RK
from ruhrkg.server.web.i18n import current_lang
from ruhrkg.server.web.render import RDF_TWINS, alternates, construct, negotiate, not_acceptable, respond

bp = Blueprint("entities", __name__)
#: The document (``/doc/...``) says which thing (``/id/...``) it is about.
FOAF_PRIMARY_TOPIC = ox.NamedNode("http://xmlns.com/foaf/0.1/primaryTopic")

#: The graphs entity pages read: the data, the ontology (for labels of terms) and external links.
ENTITY_GRAPHS = [str(GRAPHS["data"]), str(GRAPHS["ontology"]), str(GRAPHS["links"])]


def serialize(triples: Iterable[ox.Triple], fmt: str) -> bytes:
    """Triples in one of :data:`~ruhrkg.server.web.render.RDF_TWINS`, sorted so that equal graphs give equal bytes."""
    rdf_format = RDF_FORMATS[fmt]
    prefixes = PREFIXES if rdf_format in WITH_PREFIXES else None
    return ox.serialize(sorted(triples, key=str), format=rdf_format, prefixes=prefixes)


# -- terms -------------------------------------------------------------------------------------------

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
LABEL_PROPERTIES = tuple(
    ox.NamedNode(PREFIXES[p] + n)
    for p, n in (("rdfs", "label"), ("skos", "prefLabel"), ("dct", "title"), ("foaf", "name"), ("schema", "name"))
)
WAS_DERIVED_FROM = ox.NamedNode(PREFIXES["prov"] + "wasDerivedFrom")
IS_PART_OF = ox.NamedNode(PREFIXES["dct"] + "isPartOf")
SAME_AS = tuple(
    ox.NamedNode(i)
    for i in (
        PREFIXES["skos"] + "exactMatch",
        PREFIXES["schema"] + "sameAs",
        "http://schema.org/sameAs",
        PREFIXES["owl"] + "sameAs",
    )
)
WIKIDATA = re.compile(r"http://www\.wikidata\.org/entity/(Q\d+)$")


def rk(name: str) -> ox.NamedNode:
    return ox.NamedNode(str(getattr(RK, name)))


def href(iri: str) -> str:
    """Where a link to ``iri`` points: its page on this server for our IRIs, else the IRI itself."""
    return Links.current().href(iri)


class Links:
    """Builds links to our pages; ``url_for`` once per request, not once per link (it is slow)."""

    def __init__(self) -> None:
        self.id_base = url_for("entities.entity", rest="-")[:-1]
        self.def_base = url_for("pages.ontology")

    @classmethod
    def current(cls) -> Links:
        if "ruhrkg_links" not in g:
            g.ruhrkg_links = cls()
        return g.ruhrkg_links

    def href(self, iri: str) -> str:
        if iri.startswith(ID):
            rest, hash_, fragment = iri[len(ID) :].partition("#")
            return self.id_base + quote(rest, safe="/") + hash_ + fragment
        if iri.startswith(DEF):
            return self.def_base + "#" + iri[len(DEF) :]
        if iri == DEF.rstrip("#"):
            return self.def_base
        return iri


@dataclass(frozen=True)
class Value:
    """One term as the templates show it: text, optional link, language tag and datatype."""

    text: str
    href: str | None = None
    lang: str | None = None
    datatype: str | None = None
    title: str | None = None  # tooltip: the IRI or prefixed name
    external: bool = False


class Neighbourhood:
    """The triples around one entity, indexed both ways, and how to show its terms in one language."""

    def __init__(self, iri: str, triples: Iterable[ox.Triple], lang: str) -> None:
        self.node, self.lang = ox.NamedNode(iri), lang
        self.triples = set(triples)
        self.out: dict = defaultdict(lambda: defaultdict(list))
        self.inc: dict = defaultdict(lambda: defaultdict(list))
        for t in self.triples:
            s, p, o = t.subject, t.predicate, t.object
            self.out[s][p].append(o)
            if not isinstance(o, ox.Literal):
                self.inc[o][p].append(s)

    @property
    def exists(self) -> bool:
        return self.node in self.out or self.node in self.inc

    def objects(self, s, p) -> list:
        return self.out.get(s, {}).get(p, [])

    def subjects(self, p, o) -> list:
        return self.inc.get(o, {}).get(p, [])

    def value(self, s, p) -> str | None:
        """One value of a (normally functional) property: the least, so that pages are deterministic."""
        found = self.objects(s, p)
        return min(x.value for x in found) if found else None

    def twin(self) -> list[ox.Triple]:
        """The RDF twin: the entity's triples both ways and the labels of what they link to."""
        e = self.node
        own = [t for t in self.triples if e in (t.subject, t.object)]
        linked = {t.predicate for t in own} | {t.object if t.subject == e else t.subject for t in own}
        labels = [ox.Triple(x, RDFS_LABEL, lit) for x in linked - {e} for lit in self.objects(x, RDFS_LABEL)]
        return own + labels

    # -- showing terms ----------------------------------------------------------

    def label(self, node) -> str:
        """The best label of ``node`` in the current language (then untagged, then any), else a prefixed name."""
        if isinstance(node, ox.Literal):
            return node.value
        if node == RDF_TYPE:
            return "Typ" if self.lang == "de" else "type"
        for p in LABEL_PROPERTIES:
            found = self.objects(node, p)
            if found:
                return pick(found, self.lang).value
        return qname(node.value) if isinstance(node, ox.NamedNode) else str(node)

    def labels(self, node) -> list[Value]:
        """Every ``rdfs:label`` of ``node``, the current language first."""
        found = self.objects(node, RDFS_LABEL)
        order = {self.lang: 0, None: 1}
        return [self.show(x) for x in sorted(found, key=lambda x: (order.get(x.language, 2), x.value))]

    def show(self, node) -> Value:
        """A term for the templates."""
        if isinstance(node, ox.Literal):
            dt = node.datatype.value
            plain = dt.endswith(("#string", "#langString"))
            return Value(node.value, lang=node.language, datatype=None if plain else qname(dt))
        if isinstance(node, ox.NamedNode):
            iri = node.value
            link = href(iri)
            return Value(self.label(node), link, title=qname(iri) if iri.startswith(DEF) else iri, external=link == iri)
        return Value(str(node))

    def groups(self, incoming: bool = False) -> list[tuple[Value, list[Value]]]:
        """Outgoing (or incoming) links of the entity, grouped by property, types and labels first."""
        index = self.inc if incoming else self.out
        first = {RDF_TYPE: 0, RDFS_LABEL: 1}
        props = sorted(index.get(self.node, {}), key=lambda p: (first.get(p, 2), self.label(p).lower()))
        return [
            (
                self.show(p),
                sorted((self.show(x) for x in index[self.node][p]), key=lambda v: (v.text.lower(), v.href or "")),
            )
            for p in props
        ]


def pick(literals: list[ox.Literal], lang: str) -> ox.Literal:
    """The literal in ``lang``, else an untagged one, else any (the least of equals)."""
    for wanted in (lang, None):
        found = [lit for lit in literals if lit.language == wanted]
        if found:
            return min(found, key=lambda lit: lit.value)
    return min(literals, key=lambda lit: lit.value)


# -- what the HTML page shows -------------------------------------------------------------------------


def fmt_date(value: str | None, lang: str) -> str:
    """A date in the page's language.

    >>> fmt_date("2019-01-14", "de"), fmt_date("2019-01-14", "en")
    ('14.01.2019', '2019-01-14')
    """
    if not value or not re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return value or ""
    y, m, d = value.split("-")
    return f"{d}.{m}.{y}" if lang == "de" else value


def event_row(h: Neighbourhood, ev) -> dict:
    """One row of an events table."""
    de = h.lang == "de"
    start, end = h.value(ev, rk("startDate")), h.value(ev, rk("endDate"))
    date = fmt_date(start, h.lang) + (f" – {fmt_date(end, h.lang)}" if end and end != start else "")
    t0, t1 = (h.value(ev, rk(p)) or "" for p in ("startTime", "endTime"))
    approx = "ca. " if h.value(ev, rk("endTimeApproximate")) == "true" else ""
    time = t0[:5] + (f"–{approx}{t1[:5]}" if t1 else "") + (" Uhr" if de and t0 else "")
    if h.value(ev, rk("allDay")) == "true":
        time = "ganztägig" if de else "all day"
    lo, hi = h.value(ev, rk("participantsMin")), h.value(ev, rk("participantsMax"))
    people = (lo if lo == hi else f"{lo}–{hi}") if lo and hi else (hi or lo or "")
    if people and h.value(ev, rk("participantsApproximate")) == "true":
        people = "ca. " + people
    forum = h.objects(ev, rk("forum"))
    return {
        "event": h.show(ev),
        "sort": (start or "9999", t0, int(h.value(ev, rk("ordinal")) or 0)),
        "date": date,
        "time": time,
        "format": h.value(ev, rk("format")) or "",
        "title": h.value(ev, rk("title")) or "",
        "venues": [h.show(v) for v in h.objects(ev, rk("venue"))],
        "city": [h.show(c) for c in h.objects(ev, rk("city"))],
        "forum": h.show(forum[0]) if forum else None,
        "participants": people or h.value(ev, rk("participantsText")) or "",
    }


def membership_row(h: Neighbourhood, m) -> dict:
    """One row of a moderation-team table: person, forum, role, position, organisation."""

    def first(p):
        found = h.objects(m, rk(p))
        return h.show(found[0]) if found else None

    return {
        "membership": h.show(m),
        "sort": (h.value(m, rk("membershipIn")) or "", int(h.value(m, rk("listPosition")) or 0)),
        "person": first("member"),
        "forum": first("membershipIn"),
        "role": first("role"),
        "position": h.value(m, rk("position")) or "",
        "organisation": first("representing"),
    }


MINISTRY_ROLES = (
    ("leadMinistry", "federführend", "lead"),
    ("participatingMinistry", "beteiligt", "participating"),
    ("interestedMinistry", "interessiert", "interested"),
)


def ministry(h: Neighbourhood, m) -> Value:
    """A ministry as ``CODE – name``."""
    v, code = h.show(m), h.value(m, rk("code"))
    return Value(f"{code} – {v.text}" if code else v.text, v.href, title=v.title)


def page_context(h: Neighbourhood) -> dict:
    """Everything the entity template shows, for one entity in one language."""
    e = h.node
    types = h.objects(e, RDF_TYPE)
    is_a = {t.value for t in types}.__contains__
    events = [
        ev for p in ("forum", "venue", "city") for ev in h.subjects(rk(p), e) if rk("Event") in h.objects(ev, RDF_TYPE)
    ]
    memberships = [m for p in ("membershipIn", "member", "representing") for m in h.subjects(rk(p), e)]
    provenance = []
    for x in h.objects(e, WAS_DERIVED_FROM):
        start, text = h.value(x, rk("startLine")), h.value(x, rk("text"))
        if start and text is not None:
            first, lines = int(start), text.split("\n")
            provenance.append(
                {
                    "excerpt": h.show(x),
                    "first": first,
                    "last": first + len(lines) - 1,
                    "lines": list(enumerate(lines, first)),
                }
            )
    if is_a(str(RK.Ministry)):  # its forums, by its role in them
        roles = [
            (de, en, sorted(map(h.show, h.subjects(rk(p), e)), key=lambda v: v.text)) for p, de, en in MINISTRY_ROLES
        ]
    else:  # a forum's ministries, by role
        roles = [
            (de, en, sorted((ministry(h, m) for m in h.objects(e, rk(p))), key=lambda v: v.text))
            for p, de, en in MINISTRY_ROLES
        ]
    return {
        "iri": e.value,
        "label": h.label(e),
        "labels": h.labels(e),
        "types": [h.show(t) for t in types],
        "is_forum": is_a(str(RK.Forum)),
        "roles": [r for r in roles if r[2]],
        "roles_title": ("Themenforen", "Forums") if is_a(str(RK.Ministry)) else ("Ressorts", "Ministries"),
        "summary": [
            (h.show(rk(p)), h.label(pick(h.objects(e, rk(p)), h.lang)))
            for p in ("question", "goal")
            if h.objects(e, rk(p))
        ],
        "units": sorted((h.show(u) for u in h.objects(e, rk("involvedUnit"))), key=lambda v: v.text),
        "events": sorted((event_row(h, ev) for ev in set(events)), key=lambda r: r["sort"]),
        "events_of": "forum" if is_a(str(RK.Forum)) else "place",
        "memberships": sorted((membership_row(h, m) for m in set(memberships)), key=lambda r: r["sort"]),
        "member_columns": {
            "forum": not is_a(str(RK.Forum)),
            "person": not is_a(str(RK.Person)),
            "organisation": not is_a(str(RK.Organization)),
        },
        "provenance": sorted(provenance, key=lambda p: p["first"]),
        "wikidata": sorted({m.group(1) for p in SAME_AS for o in h.objects(e, p) if (m := WIKIDATA.match(o.value))}),
        "outgoing": h.groups(),
        "incoming": h.groups(incoming=True),
    }


# -- the source document ------------------------------------------------------------------------------


@functools.cache
def _packaged_lines() -> tuple[str, tuple[str, ...]]:
    """The packaged source's lines (as the parser splits them) and the SHA-256 of its bytes (as the data records it)."""
    text = packaged_source()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), tuple(lines)


def source_lines(h: Neighbourhood) -> list[str]:
    """The source document's lines: the packaged text if it is the one the build read (same SHA-256),
    else what the build's excerpts quote (lines no excerpt covers are empty)."""
    digest, lines = _packaged_lines()
    if digest == h.value(h.node, rk("sha256")):
        return list(lines)
    out = [""] * int(h.value(h.node, rk("lineCount")) or 0)
    for x in h.subjects(IS_PART_OF, h.node):
        start, text = h.value(x, rk("startLine")), h.value(x, rk("text"))
        for i, line in enumerate((text or "").split("\n"), int(start or 1)):
            if 0 < i <= len(out):
                out[i - 1] = line
    return out


def line_range(arg: str | None, count: int) -> tuple[int, int] | None:
    """``?lines=9-42`` (or ``9``) as ``(9, 42)``; 400 if malformed or outside ``1..count``."""
    if arg is None:
        return None
    m = re.fullmatch(r"\s*(\d{1,6})\s*(?:[-–,]\s*(\d{1,6})\s*)?", arg)
    first, last = (int(m.group(1)), int(m.group(2) or m.group(1))) if m else (0, 0)
    if not 1 <= first <= last <= count:
        abort(400, description=f"lines must be N or N-M with 1 <= N <= M <= {count}, not {arg!r}")
    return first, last


def source_context(h: Neighbourhood, lines: list[str], shown: tuple[int, int] | None) -> dict:
    """The numbered lines to show, and one anchor per excerpt range (``line=8,42``) before its first line."""
    anchors = defaultdict(list)
    for x in h.subjects(IS_PART_OF, h.node):
        _, _, fragment = x.value.partition("#")
        if fragment and h.value(x, rk("startLine")):
            anchors[int(h.value(x, rk("startLine")))].append(fragment)
    first, last = shown or (1, len(lines))
    rows = [(n, lines[n - 1], sorted(anchors.get(n, ()))) for n in range(first, last + 1)]
    return {"source_rows": rows, "source_range": shown, "line_count": len(lines)}


# -- the route ----------------------------------------------------------------------------------------


def _offered(iri: str) -> tuple[str, ...]:
    return ("html", "txt", *RDF_TWINS) if iri == str(iris.source()) else ("html", *RDF_TWINS)


@bp.route("/id/<path:rest>")
def entity(rest: str):
    """The thing itself: ``303 See Other`` to the document about it (``/doc/<rest>``, :func:`ruhrkg.mappings.iris.document`),
    in the representation the client asks for (``format=`` names it in the new location unless it is HTML)."""
    offered = _offered(ID + rest)
    fmt = negotiate(offered)
    if fmt is None:
        return not_acceptable(offered)
    args = {k: v for k, v in request.args.lists() if k != "format"}
    if fmt != "html" or "format" in request.args:  # the same Accept picks HTML again at /doc/ unless format= chose it
        args["format"] = fmt
    location = url_for("entities.document", rest=rest, **args)
    return Response(f"303 See Other: {location}\n", 303, mimetype="text/plain",
                    headers={"Location": location, "Vary": "Accept", "Cache-Control": "public, max-age=300"})  # fmt: skip


@bp.route("/doc/<path:rest>")
def document(rest: str):
    """The document about an entity, in the representation the client asks for."""
    iri = ID + rest
    is_source = iri == str(iris.source())
    offered = _offered(iri)
    fmt = negotiate(offered)
    if fmt is None:
        return not_acceptable(offered)
    try:
        ox.NamedNode(iri)
    except ValueError:
        return _missing(iri, fmt)
    lang = current_lang() if fmt == "html" else ""
    lines_arg = request.args.get("lines") if is_source and fmt in ("html", "txt") else None
    alts = alternates(offered, fmt, lambda n: url_for("entities.document", rest=rest, format=n))

    def make() -> bytes | None:
        h = Neighbourhood(iri, construct("entity-neighbourhood", ENTITY_GRAPHS, e=iri), lang)
        if not h.exists:
            return None
        if fmt in RDF_TWINS:
            topic = ox.Triple(ox.NamedNode(str(iris.document(iri))), FOAF_PRIMARY_TOPIC, ox.NamedNode(iri))
            return serialize([*h.twin(), topic], fmt)
        context = {}
        if is_source:
            lines = source_lines(h)
            shown = line_range(lines_arg, len(lines))
            if fmt == "txt":
                first, last = shown or (1, len(lines))
                return ("\n".join(lines[first - 1 : last]) + "\n").encode("utf-8")
            context = source_context(h, lines, shown)
        return render_template(
            "entity.html",
            **page_context(h),
            **context,
            alternates=alts,
            is_source=is_source,
            self_url=url_for("entities.document", rest=rest),
        ).encode("utf-8")

    return respond(("entity", iri, fmt, lang, lines_arg), fmt, make, links=alts, on_missing=lambda: _missing(iri, fmt))


def _missing(iri: str, fmt: str) -> Response:
    """404: a page for browsers, one line for everyone else."""
    if fmt == "html":
        return Response(render_template("404.html", iri=iri), 404, content_type="text/html; charset=utf-8")
    return Response(f"404 Not Found: {iri} is not in this dataset\n", 404, mimetype="text/plain")
