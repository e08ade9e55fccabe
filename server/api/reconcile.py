"""A Reconciliation Service API (W3C Entity Reconciliation CG, versions 0.1 and 0.2) over the graph's entities.

OpenRefine users add ``<server>/reconcile`` as a *standard service* and match spreadsheet columns (names of
persons, ministries, organisations, venues, cities, forums, events) against the graph. Routes:

- ``GET /reconcile``: the service manifest.
- ``POST /reconcile`` (form field ``queries``) or ``GET /reconcile?queries=``: a batch of reconciliation queries
  ``{"q0": {"query": "…", "type": "…", "type_strict": "…", "limit": 3, "properties": [{"pid": "…", "v": "…"}]}}``,
  answered ``{"q0": {"result": [candidate, …]}}``. Version 0.1's single ``query=`` (a string or one query
  object) is answered ``{"result": […]}``. ``extend=`` is the data extension service (``{"ids": […],
  "properties": [{"id": "…"}]}`` → ``{"meta": […], "rows": {…}}``); ``/reconcile/properties?type=`` proposes
  the properties for a type.
- ``/reconcile/suggest/entity|type|property?prefix=`` (``type=``, ``limit=``, ``cursor=``): auto-completion.
- ``/reconcile/preview?id=``: an HTML snippet for OpenRefine's preview iframe; ``/reconcile/view?id=``
  redirects to the entity's page.

Every JSON answer is also JSONP with ``callback=`` (a JavaScript identifier, checked); CORS headers, preflight
included, come from the app. Bad input gets 4xx with an ``application/problem+json`` reason, never a traceback.

**Identifiers.** A candidate's ``id`` is the entity's full IRI (``https://w3id.org/ruhrkg/id/person/ulrich-
paetzel``), as services over RDF data (VIVO, the RDF extension's SPARQL services) do: it is what users want in
their spreadsheet, what data extension and property values use, and it stays meaningful outside OpenRefine.
``identifierSpace`` is the IRI base ``https://w3id.org/ruhrkg/id/``, ``schemaSpace`` the ontology namespace
``https://w3id.org/ruhrkg/def#``; types and properties are identified by their IRIs. Because the whole IRI goes
into ``{{id}}``, the manifest's view template is ``/reconcile/view?id={{id}}`` (a redirect to ``/id/<kind>/<key>``),
not ``/id/{{id}}``. Everywhere an id is read, ``person:ulrich-paetzel`` and ``person/ulrich-paetzel`` work too.

**Index.** Built once per dataset version with SPARQL through the backend's query workers (so it follows a
rebuild): every IRI with an ``rdf:type`` in the data graph except source excerpts (line ranges of the source text,
not things anyone reconciles), with all its labels (``rdfs:label``, ``skos:prefLabel``/``altLabel``,
``dct:title``, ``schema:name``, ``foaf:name``, ``skos:notation``, ``rk:code``) in every language, its types with
their superclasses from the ontology graph, and the facts of :data:`PROPERTIES`. Labels and queries are
normalised by :func:`fold` (case, accents, umlauts: ``ä``, ``ae`` and ``a`` are all the same, ``ß``/``ss``,
punctuation, spaces); then, by the kind of entity, academic titles are dropped for persons, "des Landes
Nordrhein-Westfalen"/"NRW" and "Ministerium für" for ministries, legal forms (GmbH, AG, e.V.) for organisations
and venues, and parenthesised parts for all (:data:`RULES`). Persons are also indexed as "Family, Given",
forums as "Themenforum 14"/"Forum 14".

**Scores** run from 0 to 100. A normalised label equal to the normalised query (or the query being the
entity's id) scores 100; otherwise 95 times the best of difflib's ratio, trigram Dice and a fuzzy word F1
(times 0.6 if both contain numbers and they differ: "Themenforum 14" is not "Themenforum 01").
Each ``properties`` entry the candidate has values for is compared the same way (entity values by id or by
any of their labels) and averaged in with weight ½ against the name; properties a candidate has no value for
are neutral, unknown ``pid`` are ignored. ``type`` filters: ``type_strict`` ``any`` (the default) keeps
entities of at least one of the types, ``all`` of all of them, ``should`` keeps every entity but multiplies the
score of those without one of the types by 0.6. Candidates under 30 are dropped; the rest are ranked by score,
then name, then id; ``limit`` (default 3, at most 100) cuts the list.

**Match rule.** ``match`` is true for the first candidate only, and only if its name matched exactly (score
100 before properties), its final score is at least 90, it is at least 10 points ahead of the next candidate
(returned or not), and it has one of the requested types (if any). OpenRefine sends ``type_strict: "should"``,
so other types stay visible as candidates, below and never matched. Namesakes (the venue and the organisation "Radio Bochum") are
thus never matched automatically unless a type or a property tells them apart.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, redirect, request, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from ruhrkg.graph.linking import fold
from ruhrkg.mappings.vocab import DEF, GRAPHS, ID, ID_KINDS, PREFIXES, RK
from ruhrkg.server.query.errors import QueryServiceError
from ruhrkg.server.sparql.description import base_url
from ruhrkg.server.web.entities import Links, qname
from ruhrkg.server.web.i18n import current_lang

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")

VERSIONS = ["0.1", "0.2"]
PROBLEM = "application/problem+json"
DEFAULT_LIMIT = 3
MAX_RESULTS = 100  # candidates per query; larger limits are cut to this
MAX_LIMIT = 10_000  # a larger limit is an error
MAX_QUERIES = 100  # queries per batch (the manifest's batchSize)
MAX_TEXT = 500  # characters of a query, a property value, a prefix, an id
MAX_BATCH_CHARS = 500_000  # characters of the queries= / extend= JSON
MAX_PROPERTIES = 20  # properties per query, and values per property
MAX_TYPES = 20
MAX_IDS = 500  # ids per data extension request
MIN_SCORE = 30.0
PROPERTY_WEIGHT = 0.5
SHOULD_PENALTY = 0.6
NUMBER_MISMATCH = 0.6  # similarity factor when both sides have numbers and they differ
MAX_WORDS = 24  # distinct words of a query or label that count
MAX_DIFFLIB = 160  # longer strings are compared by trigrams and words only (difflib is quadratic)
MATCH_MIN_SCORE = 90.0
MATCH_MIN_GAP = 10.0
SUGGEST_LIMIT = 10
PREVIEW_SIZE = (400, 200)  # width, height of OpenRefine's preview iframe
_CALLBACK = re.compile(r"[A-Za-z_$][\w$]{0,63}(?:\.[A-Za-z_$][\w$]{0,63}){0,4}")

RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
RDF_TYPE = PREFIXES["rdf"] + "type"
DATA, ONTOLOGY, LINKS = (str(GRAPHS[k]) for k in ("data", "ontology", "links"))

#: The classes the manifest offers as default types (IRIs from the vocabulary, names from the ontology graph).
DEFAULT_TYPES = tuple(
    str(getattr(RK, n))
    for n in ("Person", "Ministry", "Organization", "Venue", "City", "Forum", "Event", "OrganizationalUnit")
)
#: Classes whose instances are not indexed.
UNINDEXED_TYPES = frozenset({str(RK.SourceExcerpt)})


# --------------------------------------------------------------------------- normalisation


def _drop(pattern: str) -> re.Pattern:
    return re.compile(rf"(?:^| )(?:{pattern})(?= |$)")


_TITLES = _drop(r"prof|professor|professorin|dr|doktor|dipl|ing|med|phil|rer|nat|pol|oec|jur|habil|h c|mba|"
                r"herr|frau|mr|mrs|ms|mag|em|apl|priv doz|doz")  # fmt: skip
_STATE = _drop(r"des landes nordrhein westfalen|des landes nrw|der landesregierung|des landes|"
               r"of the state of north rhine westphalia|of north rhine westphalia|"
               r"nordrhein westfalen|north rhine westphalia|land nrw|nrw")  # fmt: skip
_MINISTRY = re.compile(r"^(?:das |the )?(?:ministerium|ministry) (?:fur|der|des|of the|of|for) ")
_LEGAL = _drop(r"ggmbh|gmbh|mbh|ag|se|kgaa|kg|co|e v|ev|eg|gbr|ug|ltd|inc|plc|sa|ohg")


def _rule_titles(text: str) -> str:
    return " ".join(_TITLES.sub(" ", text).split())


def _rule_state(text: str) -> str:
    return " ".join(_STATE.sub(" ", text).split())


def _rule_ministry(text: str) -> str:
    return _MINISTRY.sub("", _rule_state(text))


def _rule_legal(text: str) -> str:
    return " ".join(_LEGAL.sub(" ", text).split())


#: Reductions applied to both the query and the labels, by kind of entity (the kind is the entity's class).
RULES = {"titles": _rule_titles, "state": _rule_state, "ministry": _rule_ministry, "legal": _rule_legal}
RULES_BY_CLASS = {
    str(RK.Person): ("titles",),
    str(RK.Ministry): ("state", "ministry"),
    str(RK.OrganizationalUnit): ("state", "ministry"),
    str(RK.Organization): ("legal", "state"),
    str(RK.Venue): ("legal",),
}


def unparenthesised(text: str) -> str:
    """``text`` without parenthesised parts: ``Sport (Staatskanzlei)`` -> ``Sport``."""
    return " ".join(re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", text).split())


@dataclass(frozen=True)
class Key:
    """A normalised string with its distinct words (at most :data:`MAX_WORDS`) and character trigrams."""

    text: str
    words: tuple[str, ...]
    word_set: frozenset[str]
    numbers: frozenset[str]
    grams: frozenset[str]

    @classmethod
    @functools.lru_cache(maxsize=65536)
    def of(cls, folded: str) -> Key:
        words = tuple(dict.fromkeys(folded.split()))[:MAX_WORDS]
        padded = f"  {folded} "
        grams = frozenset(padded[i : i + 3] for i in range(len(padded) - 2))
        return cls(folded, words, frozenset(words), frozenset(w for w in words if w.isdigit()), grams)


def variants(text: str, rules: tuple[str, ...] | frozenset[str]) -> set[str]:
    """The normalised forms of ``text``: folded, without parentheses, and reduced by each rule."""
    plain = {fold(text), fold(unparenthesised(text))}
    out = set(plain)
    for name in rules:
        out |= {RULES[name](p) for p in plain}
    out.discard("")
    return out


def similarity(q: Key, k: Key) -> float:
    """How alike two keys are, 0..1 (1 only if equal): the best of difflib's ratio, trigram Dice, token F1.

    >>> similarity(Key.of("ulrich patzel"), Key.of("ulrich patzel"))
    1.0
    >>> round(similarity(Key.of("ulrich pazel"), Key.of("ulrich patzel")), 2)
    0.96
    >>> similarity(Key.of("essen"), Key.of("bochum")) < 0.3
    True
    """
    if q.text == k.text:
        return 1.0
    dice = 2 * len(q.grams & k.grams) / (len(q.grams) + len(k.grams))
    if dice < 0.2 and not q.word_set & k.word_set:
        return dice
    best = max(dice, _word_f1(q, k))
    lq, lk = len(q.text), len(k.text)
    if max(lq, lk) <= MAX_DIFFLIB and 2 * min(lq, lk) / (lq + lk) > best:  # else the ratio cannot win
        best = max(best, SequenceMatcher(None, q.text, k.text, autojunk=False).ratio())
    best = min(0.99, best)
    if q.numbers and k.numbers and q.numbers != k.numbers:
        best *= NUMBER_MISMATCH  # "Themenforum 14" is not "Themenforum 01"
    return best


def _word_f1(a: Key, b: Key) -> float:
    """F1 of the distinct words of two keys; a word matches an equal one, or one that is >= 0.8 alike."""
    if not a.words or not b.words:
        return 0.0
    p = sum(_best_word(x, b) for x in a.words) / len(a.words)
    r = sum(_best_word(y, a) for y in b.words) / len(b.words)
    return 2 * p * r / (p + r) if p + r else 0.0


def _best_word(x: str, other: Key) -> float:
    if x in other.word_set:
        return 1.0
    if len(x) < 4:
        return 0.0  # short words (and numbers) must be equal
    return max((_word_similarity(x, y) for y in other.words if abs(len(x) - len(y)) <= 2), default=0.0)


@functools.lru_cache(maxsize=262144)
def _word_similarity(x: str, y: str) -> float:
    if len(y) < 4 or x.isdigit() or y.isdigit():
        return 0.0
    ratio = SequenceMatcher(None, x, y, autojunk=False).ratio()
    return ratio if ratio >= 0.8 else 0.0


# --------------------------------------------------------------------------- properties


@dataclass(frozen=True)
class Prop:
    """A property of the service: for matching (``properties`` of a query), extension and previews."""

    key: str
    iri: str
    de: str
    en: str
    pattern: str  # a SPARQL group binding ?e (entity) and ?v (value); empty for computed properties
    aliases: tuple[str, ...] = ()
    value_type: str | None = None  # the class of entity values, for data extension metadata

    def name(self, lang: str) -> str:
        return self.de if lang == "de" else self.en


def _p(key, local, de, en, pattern, aliases=(), value_type=None) -> Prop:
    iri = local if ":" in local else str(getattr(RK, local))
    return Prop(key, iri, de, en, pattern, tuple(aliases), str(getattr(RK, value_type)) if value_type else None)


_D = f"GRAPH <{DATA}>"
#: The properties, in the order previews and proposals list them.
PROPERTIES = (
    _p("label", RDFS + "label", "Name", "name", "", ("name", "label", "schema:name", "bezeichnung")),
    _p("code", "code", "Kürzel", "code", f"{_D} {{ ?e rk:code ?v }}", ("kuerzel", "abbreviation", "notation")),
    _p("city", "city", "Stadt", "city", f"{_D} {{ ?e rk:city ?v }}",
       ("stadt", "ort", "location", "schema:location", "place", "schema:addressLocality", "gemeinde"), "City"),
    _p("organisation", "representing", "Organisation", "organisation",
       f"{_D} {{ ?m rk:member ?e ; rk:representing ?v }}",
       ("organization", "organisation", "org", "affiliation", "schema:affiliation", "schema:worksFor",
        "org:memberOf", "employer", "arbeitgeber", "institution"), "Organization"),
    _p("position", "position", "Funktion", "position", f"{_D} {{ ?m rk:member ?e ; rk:position ?v }}",
       ("funktion", "job title", "jobtitle", "schema:jobTitle", "amt", "role")),
    _p("forum", "forum", "Themenforum", "thematic forum",
       f"""{_D} {{
         {{ ?e rk:forum ?v }}
         UNION {{ ?m rk:member ?e ; rk:membershipIn ?v }}
         UNION {{ ?m rk:representing ?e ; rk:membershipIn ?v }}
         UNION {{ ?v rk:leadMinistry|rk:participatingMinistry|rk:interestedMinistry|rk:involvedUnit ?e }}
         UNION {{ ?x rk:venue ?e ; rk:forum ?v }}
         UNION {{ ?x rk:city ?e ; rk:forum ?v }}
       }}""",
       ("themenforum", "forum", "forums", "themenforen", "rk:membershipIn"), "Forum"),
    _p("leadMinistry", "leadMinistry", "federführendes Ressort", "lead ministry", f"{_D} {{ ?e rk:leadMinistry ?v }}",
       ("lead", "federfuehrend", "lead ministry", "ministry", "ressort"), "Ministry"),
    _p("participatingMinistry", "participatingMinistry", "beteiligtes Ressort", "participating ministry",
       f"{_D} {{ ?e rk:participatingMinistry ?v }}", ("beteiligt", "participating"), "Ministry"),
    _p("member", "member", "Person (Moderation)", "person (moderation)",
       f"{_D} {{ {{ ?m rk:representing ?e ; rk:member ?v }} UNION {{ ?m rk:membershipIn ?e ; rk:member ?v }} }}",
       ("person", "persons", "personen", "moderation", "moderator"), "Person"),
    _p("venue", "venue", "Veranstaltungsort", "venue", f"{_D} {{ ?e rk:venue ?v }}",
       ("veranstaltungsort", "schema:location"), "Venue"),
    _p("startDate", "startDate", "Datum", "date", f"{_D} {{ ?e rk:startDate ?v }}",
       ("datum", "date", "schema:startDate")),
    _p("number", "number", "Nummer", "number", f"{_D} {{ ?e rk:number ?v }}", ("nummer", "nr", "no")),
    _p("containedIn", "containedIn", "liegt in", "contained in", f"{_D} {{ ?e rk:containedIn ?v }}",
       ("land", "state", "country", "schema:containedInPlace"), "AdministrativeArea"),
    _p("unitOf", "unitOf", "Einheit von", "unit of", f"{_D} {{ ?e rk:unitOf ?v }}", ("parent",), "Ministry"),
    _p("academicTitle", "academicTitle", "akademischer Titel", "academic title",
       f"{_D} {{ ?e rk:academicTitle ?v }}", ("titel", "title", "schema:honorificPrefix")),
    _p("givenName", "givenName", "Vorname", "given name", f"{_D} {{ ?e rk:givenName ?v }}",
       ("vorname", "first name", "schema:givenName", "foaf:givenName")),
    _p("familyName", "familyName", "Nachname", "family name", f"{_D} {{ ?e rk:familyName ?v }}",
       ("nachname", "surname", "last name", "schema:familyName", "foaf:familyName")),
    _p("wikidata", SKOS + "exactMatch", "Wikidata", "Wikidata",
       f"""GRAPH ?g {{ ?e ?same ?v }}
       FILTER(?g IN (<{DATA}>, <{LINKS}>) && STRSTARTS(STR(?v), "http://www.wikidata.org/entity/Q"))
       VALUES ?same {{ skos:exactMatch owl:sameAs schema:sameAs <http://schema.org/sameAs> }}""",
       ("wikidata", "qid", "wd", "owl:sameAs", "schema:sameAs")),
)  # fmt: skip
#: What a candidate's description shows, by class.
DESCRIPTION = {
    str(RK.Person): ("position", "organisation", "forum"),
    str(RK.Ministry): ("code",),
    str(RK.OrganizationalUnit): ("code", "unitOf"),
    str(RK.Organization): ("forum",),
    str(RK.Venue): ("city",),
    str(RK.City): ("containedIn",),
    str(RK.Forum): ("leadMinistry",),
    str(RK.Event): ("startDate", "venue", "city"),
}
#: Not shown in previews (the name is the heading; the parts of a name add nothing).
NOT_PREVIEWED = frozenset({"label", "givenName", "familyName", "number"})

# --------------------------------------------------------------------------- the index

_PROLOGUE = "\n".join(f"PREFIX {p}: <{PREFIXES[p]}>" for p in ("rk", "rdf", "rdfs", "skos", "dct", "owl", "schema"))
LABEL_PROPERTIES = (RDFS + "label", SKOS + "prefLabel", PREFIXES["schema"] + "name", PREFIXES["foaf"] + "name",
                    PREFIXES["dct"] + "title")  # fmt: skip
KEY_PROPERTIES = (*LABEL_PROPERTIES, SKOS + "altLabel", SKOS + "hiddenLabel", SKOS + "notation",
                  PREFIXES["schema"] + "alternateName", str(RK.code))  # fmt: skip
ENTITIES_QUERY = f"SELECT DISTINCT ?e ?type WHERE {{ GRAPH <{DATA}> {{ ?e a ?type }} FILTER(isIRI(?e)) }}"
LABELS_QUERY = f"""SELECT DISTINCT ?e ?p ?label WHERE {{
  GRAPH <{DATA}> {{ ?e a ?type ; ?p ?label }}
  FILTER(isIRI(?e) && isLiteral(?label))
  VALUES ?p {{ {" ".join(f"<{p}>" for p in KEY_PROPERTIES)} }}
}}"""
ONTOLOGY_QUERY = f"""SELECT ?c ?p ?o WHERE {{
  GRAPH <{ONTOLOGY}> {{ ?c ?p ?o }}
  VALUES ?p {{ <{RDFS}label> <{RDFS}comment> <{RDFS}subClassOf> }}
}}"""
FACTS_QUERY = (
    _PROLOGUE
    + "\nSELECT DISTINCT ?e ?pid ?v WHERE {\n  "
    + "\n  UNION ".join(f'{{ {p.pattern} BIND("{p.key}" AS ?pid) }}' for p in PROPERTIES if p.pattern)
    + "\n  FILTER(isIRI(?e))\n}"
)


@dataclass(frozen=True)
class Value:
    """A property value: an IRI (``lang`` None, ``datatype`` None) or a literal."""

    value: str
    is_iri: bool
    datatype: str | None = None
    lang: str | None = None


@dataclass(frozen=True)
class Label:
    """A label of an entity: its text, the property that gives it, its language tag (None if untagged)."""

    value: str
    prop: str
    lang: str | None


@dataclass
class Entity:
    iri: str
    types: list[str] = field(default_factory=list)  # asserted, sorted
    all_types: set[str] = field(default_factory=set)  # with superclasses
    names: list[Label] = field(default_factory=list)  # display labels, best property first
    labels: list[Label] = field(default_factory=list)  # every label, for keys
    keys: dict[str, Key] = field(default_factory=dict)
    rules: frozenset[str] = frozenset()
    facts: dict[str, list[Value]] = field(default_factory=lambda: defaultdict(list))

    def name(self, lang: str) -> str:
        return pick(self.names, lang) or qname(self.iri)

    def label_values(self, lang: str) -> list[str]:
        """``rdfs:label`` in ``lang`` (else untagged, else every one)."""
        labels = [v for v in self.labels if v.prop == RDFS + "label"]
        for wanted in (lang, None):
            found = sorted(v.value for v in labels if v.lang == wanted)
            if found:
                return found
        return sorted(v.value for v in labels) or [self.name(lang)]


@dataclass
class ClassInfo:
    iri: str
    labels: dict[str, str] = field(default_factory=dict)  # lang ('' for none) -> label
    comments: dict[str, str] = field(default_factory=dict)
    supers: set[str] = field(default_factory=set)  # direct superclasses

    def name(self, lang: str) -> str:
        label = self.labels.get(lang) or self.labels.get("") or next(iter(sorted(self.labels.values())), None)
        if not label:
            return qname(self.iri)
        return label[:1].upper() + label[1:]

    def comment(self, lang: str) -> str | None:
        return self.comments.get(lang) or self.comments.get("") or None


def pick(values: list[Label], lang: str) -> str | None:
    """The first value in ``lang``, else the first untagged, else the first (``values`` are in order of preference)."""
    for wanted in (lang, None):
        for v in values:
            if v.lang == wanted:
                return v.value
    return values[0].value if values else None


class Index:
    """Every indexed entity with its keys and facts, the classes, and how to resolve ids, types and properties."""

    def __init__(self, version: str, rows: dict[str, list[dict]]) -> None:
        self.version = version
        self.classes: dict[str, ClassInfo] = {}
        for row in rows["ontology"]:
            c, p, o = row["c"]["value"], row["p"]["value"], row["o"]
            info = self.classes.setdefault(c, ClassInfo(c))
            if p == RDFS + "subClassOf":
                if o["type"] == "uri":
                    info.supers.add(o["value"])
            elif o["type"] == "literal":
                target = info.labels if p == RDFS + "label" else info.comments
                target.setdefault(o.get("xml:lang", ""), o["value"])
        self.entities: dict[str, Entity] = {}
        for row in rows["entities"]:
            iri, t = row["e"]["value"], row["type"]["value"]
            self.entities.setdefault(iri, Entity(iri)).types.append(t)
        for iri in [i for i, e in self.entities.items() if "#" in i or UNINDEXED_TYPES & set(e.types)]:
            del self.entities[iri]
        for e in self.entities.values():
            e.types.sort()
            e.all_types = self.closure(e.types)
            e.rules = frozenset(r for t in e.types for r in RULES_BY_CLASS.get(t, ()))
        for row in rows["labels"]:
            e = self.entities.get(row["e"]["value"])
            if e is not None:
                lit = row["label"]
                e.labels.append(Label(lit["value"], row["p"]["value"], lit.get("xml:lang")))
        for row in rows["facts"]:
            e = self.entities.get(row["e"]["value"])
            if e is not None:
                v = row["v"]
                e.facts[row["pid"]["value"]].append(
                    Value(v["value"], v["type"] == "uri", v.get("datatype"), v.get("xml:lang"))
                )
        order = {p: i for i, p in enumerate(LABEL_PROPERTIES)}
        for e in self.entities.values():
            e.labels.sort(key=lambda v: (order.get(v.prop, len(order)), v.lang or "", v.value))
            e.names = [v for v in e.labels if v.prop in order]
            for key in e.facts:
                e.facts[key].sort(key=lambda v: (v.value,))
            self._add_keys(e)
        self.types = self._used_types()

    def closure(self, types) -> set[str]:
        """The types with all their superclasses (per the ontology graph)."""
        out, todo = set(), list(types)
        while todo:
            t = todo.pop()
            if t not in out:
                out.add(t)
                todo.extend(self.classes.get(t, ClassInfo(t)).supers)
        return out

    def _add_keys(self, e: Entity) -> None:
        texts = {v.value for v in e.labels}
        given, family = e.facts.get("givenName"), e.facts.get("familyName")
        if given and family:
            texts |= {f"{given[0].value} {family[0].value}", f"{family[0].value}, {given[0].value}"}
        if str(RK.Forum) in e.types:
            for n in e.facts.get("number", []):
                texts |= {f"Themenforum {int(n.value):02d}", f"Thematic forum {int(n.value):02d}",
                          f"Forum {int(n.value):02d}", f"Themenforum {int(n.value)}", f"Forum {int(n.value)}"}  # fmt: skip
        for text in texts:
            for k in variants(text, e.rules):
                e.keys[k] = Key.of(k)

    def _used_types(self) -> list[str]:
        """Every class an indexed entity has (with superclasses from our ontology), default types first."""
        used = {t for e in self.entities.values() for t in e.all_types}
        used = {t for t in used if t in self.classes}
        rest = sorted(used - set(DEFAULT_TYPES), key=lambda t: (not t.startswith(DEF), t))
        return [t for t in DEFAULT_TYPES if t in self.classes] + rest

    # -- resolving what clients send ----------------------------------------------------------

    def entity(self, ident: str) -> Entity | None:
        """The entity an id names: its IRI, ``kind:key``, ``kind/key``, or a URL of its page."""
        ident = ident.strip()
        if ident in self.entities:
            return self.entities[ident]
        kind, sep, key = ident.partition(":")
        if sep and kind in ID_KINDS and not key.startswith("//"):
            return self.entities.get(f"{ID}{kind}/{key}")
        if ident.split("/", 1)[0] in ID_KINDS:
            return self.entities.get(ID + ident)
        path = urlsplit(ident).path if "://" in ident else ""
        if "/id/" in path:
            return self.entities.get(ID + path.split("/id/", 1)[1])
        return None

    def type_iri(self, ident: str) -> str:
        """A type id as its IRI: an IRI, a prefixed name (``rk:City``, ``schema:Person``), a local name or a
        label of one of the types; else as given."""
        ident = ident.strip()
        found = self._type_lookup.get(ident.casefold())
        if found:
            return found
        prefix, sep, local = ident.partition(":")
        return PREFIXES[prefix] + local if sep and prefix in PREFIXES and not local.startswith("//") else ident

    @functools.cached_property
    def _type_lookup(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for iri in sorted(self.types, key=lambda t: not t.startswith(DEF)):
            info = self.classes[iri]
            names = [iri, qname(iri), iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1], *info.labels.values()]
            for n in names:
                out.setdefault(n.casefold(), iri)
        return out

    def prop(self, ident: str) -> Prop | None:
        """A property by IRI, prefixed name, key, name or alias (case-insensitive)."""
        return self._prop_lookup.get(ident.strip().casefold())

    @functools.cached_property
    def _prop_lookup(self) -> dict[str, Prop]:
        out: dict[str, Prop] = {}
        for p in PROPERTIES:  # ids and names first: they win over aliases
            for n in (p.iri, qname(p.iri), p.key, p.de, p.en):
                out.setdefault(n.casefold(), p)
        for p in PROPERTIES:
            for n in p.aliases:
                out.setdefault(n.casefold(), p)
                if ":" in n:
                    prefix, _, local = n.partition(":")
                    if prefix in PREFIXES:
                        out.setdefault((PREFIXES[prefix] + local).casefold(), p)
        return out

    def values(self, e: Entity, prop: Prop, lang: str) -> list[Value]:
        if prop.key == "label":
            return [Value(v, False) for v in e.label_values(lang)]
        return e.facts.get(prop.key, [])

    def props_for(self, type_iri: str | None) -> list[Prop]:
        """The properties entities of a type (or of any type) have values for."""
        members = [e for e in self.entities.values() if type_iri is None or type_iri in e.all_types]
        have = {k for e in members for k, vs in e.facts.items() if vs}
        return [p for p in PROPERTIES if p.key == "label" or p.key in have] if members else []

    # -- showing ----------------------------------------------------------------------------------

    def type_name(self, iri: str, lang: str) -> str:
        return self.classes[iri].name(lang) if iri in self.classes else qname(iri)

    def short_name(self, iri: str, lang: str) -> str:
        """A value as descriptions show it: a forum as "Themenforum 14", a ministry by its code."""
        e = self.entities.get(iri)
        if e is None:
            return qname(iri)
        if str(RK.Forum) in e.types:
            return e.name(lang).split(": ", 1)[0]
        if e.facts.get("code"):
            return e.facts["code"][0].value
        return e.name(lang)

    def show(self, v: Value, lang: str, short: bool = False) -> str:
        if not v.is_iri:
            return v.value
        if short:
            return self.short_name(v.value, lang)
        e = self.entities.get(v.value)
        return e.name(lang) if e else qname(v.value)

    def description(self, e: Entity, lang: str) -> str:
        keys = next((DESCRIPTION[t] for t in e.types if t in DESCRIPTION), ())
        parts = []
        for key in keys:
            shown = list(dict.fromkeys(self.show(v, lang, short=True) for v in e.facts.get(key, [])))
            if shown:
                parts.append(", ".join(shown[:4]) + (" …" if len(shown) > 4 else ""))
        return " · ".join(parts)


def _rows(query: str) -> list[dict]:
    result = current_app.extensions["ruhrkg"].execute(query, result_format="json")
    return json.loads(b"".join(result.chunks))["results"]["bindings"]


_index_lock = threading.Lock()


def current_index() -> Index:
    """The index of the current build: built on first use, rebuilt after a rebuild (a new dataset version)."""
    backend = current_app.extensions["ruhrkg"]
    holder = current_app.extensions.setdefault("ruhrkg_reconcile", {})
    version = backend.version
    index = holder.get("index")
    if index is not None and index.version == version:
        return index
    with _index_lock:
        index = holder.get("index")
        if index is None or index.version != version:
            queries = {"entities": ENTITIES_QUERY, "labels": LABELS_QUERY, "ontology": ONTOLOGY_QUERY,
                       "facts": FACTS_QUERY}  # fmt: skip
            index = Index(version, {name: _rows(q) for name, q in queries.items()})
            holder["index"] = index
    return index


# --------------------------------------------------------------------------- errors and answers


class ReconcileError(Exception):
    """Bad input: an HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def problem(status: int, detail: str) -> Response:
    """An RFC 9457 problem details response."""
    body = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"), "status": status,
            "detail": detail, "instance": request.path}  # fmt: skip
    return Response(json.dumps(body, ensure_ascii=False) + "\n", status=status, mimetype=PROBLEM)


@bp.errorhandler(ReconcileError)
def _bad_input(e: ReconcileError):
    return problem(e.status, e.message)


@bp.errorhandler(QueryServiceError)
def _store_error(e: QueryServiceError):
    logging.getLogger(__name__).warning("reconciliation could not read the graph: %s", e.message)
    return problem(503 if e.status >= 500 else e.status, f"the graph could not be read: {e.message}")


@bp.errorhandler(HTTPException)
def _http_error(e: HTTPException):
    resp = problem(e.code or 500, e.description or e.name)
    for k, v in e.get_headers():
        if k.lower() not in ("content-type", "content-length"):
            resp.headers[k] = v
    return resp


@bp.errorhandler(UnicodeDecodeError)
def _not_utf8(e: UnicodeDecodeError):
    return problem(400, "the request is not valid UTF-8")


@bp.errorhandler(RecursionError)
def _too_deep(e: RecursionError):
    return problem(400, "the JSON is nested too deeply")


def callback() -> str | None:
    """The JSONP callback, if any; 400 unless it is a plain (dotted) JavaScript identifier."""
    name = request.values.get("callback")
    if name is None or name == "":
        return None
    if not _CALLBACK.fullmatch(name):
        raise ReconcileError(400, "callback must be a JavaScript identifier (letters, digits, _, $ and dots)")
    return name


def answer(data) -> Response:
    """JSON, or JSONP if there is a ``callback``."""
    cb = callback()
    text = json.dumps(data, ensure_ascii=False)
    if cb:
        # the comment guards against content sniffing of a callback that starts the body
        resp = Response(f"/**/{cb}({text});\n", mimetype="application/javascript")
    else:
        resp = Response(text + "\n", mimetype="application/json")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def param(name: str) -> str | None:
    """A parameter from the form body (POST) or the query string."""
    if request.method == "POST" and name in request.form:
        return request.form[name]
    return request.args.get(name)


def load_json(name: str, text: str):
    if len(text) > MAX_BATCH_CHARS:
        raise ReconcileError(413, f"{name} is longer than {MAX_BATCH_CHARS} characters")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except ValueError as e:
        raise ReconcileError(400, f"{name} is not valid JSON: {e}") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _text(where: str, value, *, allow_number: bool = False) -> str:
    if allow_number and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    if not isinstance(value, str):
        raise ReconcileError(400, f"{where} must be a string")
    if len(value) > MAX_TEXT:
        raise ReconcileError(400, f"{where} is longer than {MAX_TEXT} characters")
    if "\x00" in value:
        raise ReconcileError(400, f"{where} contains a NUL character")
    return value


def int_param(where: str, raw, default: int, lo: int, hi: int, cap: int | None = None) -> int:
    """An integer in ``lo..hi`` (a number or a string of digits); larger than ``cap`` is cut to ``cap``."""
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        raise ReconcileError(400, f"{where} must be an integer")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d{1,9}\s*", raw):
        raw = int(raw)
    if not isinstance(raw, int):
        raise ReconcileError(400, f"{where} must be an integer, not {json.dumps(raw)[:40]}")
    if not lo <= raw <= hi:
        raise ReconcileError(400, f"{where} must be between {lo} and {hi}, not {raw}")
    return min(raw, cap) if cap else raw


# --------------------------------------------------------------------------- reconciliation


@dataclass
class Query:
    text: str
    types: list[str]
    strict: str
    limit: int
    properties: list[tuple[str, list]]  # (pid, values)


def parse_query(where: str, obj) -> Query:
    """One reconciliation query, checked; raises :class:`ReconcileError` with the place of the problem."""
    if isinstance(obj, str):
        obj = {"query": obj}
    if not isinstance(obj, dict):
        raise ReconcileError(400, f"{where} must be a JSON object")
    text = _text(f"{where}.query", obj.get("query", ""), allow_number=True).strip()
    types = obj.get("type")
    if types is None or types == "":
        types = []
    elif isinstance(types, str):
        types = [types]
    if not isinstance(types, list) or len(types) > MAX_TYPES:
        raise ReconcileError(400, f"{where}.type must be a string or a list of at most {MAX_TYPES} strings")
    types = [_text(f"{where}.type", t) for t in types]
    strict = obj.get("type_strict") or "any"
    if strict not in ("any", "all", "should"):
        raise ReconcileError(400, f'{where}.type_strict must be "any", "all" or "should"')
    limit = int_param(f"{where}.limit", obj.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT, MAX_RESULTS)
    props = obj.get("properties") or []
    if not isinstance(props, list) or len(props) > MAX_PROPERTIES:
        raise ReconcileError(400, f"{where}.properties must be a list of at most {MAX_PROPERTIES} objects")
    properties = []
    for i, p in enumerate(props):
        at = f"{where}.properties[{i}]"
        if not isinstance(p, dict) or "pid" not in p or "v" not in p:
            raise ReconcileError(400, f'{at} must be an object with "pid" and "v"')
        pid = _text(f"{at}.pid", p["pid"])
        vs = p["v"] if isinstance(p["v"], list) else [p["v"]]
        if len(vs) > MAX_PROPERTIES:
            raise ReconcileError(400, f"{at}.v has more than {MAX_PROPERTIES} values")
        values = []
        for v in vs:
            if isinstance(v, dict):
                if not isinstance(v.get("id", v.get("name")), str):
                    raise ReconcileError(400, f'{at}.v must be a string, number, boolean or {{"id", "name"}} object')
                values.append({k: _text(f"{at}.v.{k}", v[k]) for k in ("id", "name") if k in v})
            elif isinstance(v, bool):
                values.append("true" if v else "false")
            else:
                values.append(_text(f"{at}.v", v, allow_number=True))
        properties.append((pid, values))
    if not text and not properties:
        raise ReconcileError(400, f"{where} needs a non-empty query or properties")
    return Query(text, types, strict, limit, properties)


@dataclass
class Candidate:
    entity: Entity
    score: float
    exact: bool
    name_score: float | None
    typed: bool
    prop_score: float | None


def name_scores(index: Index, text: str) -> dict[str, tuple[float, bool]]:
    """Every entity's name score for ``text`` (0..100) and whether a normalised label equals it."""
    by_id = index.entity(text) if len(text) > 2 else None
    rulesets = {e.rules for e in index.entities.values()}
    qkeys = {rules: [Key.of(k) for k in variants(text, rules)] for rules in rulesets}
    out = {}
    for iri, e in index.entities.items():
        if by_id is e:
            out[iri] = (100.0, True)
            continue
        best = 0.0
        for q in qkeys[e.rules]:
            exact = e.keys.get(q.text)
            if exact is not None:
                best = 1.0
                break
            for k in e.keys.values():
                best = max(best, similarity(q, k))
        out[iri] = (100.0, True) if best == 1.0 else (round(95 * best, 2), False)
    return out


def value_similarity(index: Index, wanted: list, have: list[Value]) -> float:
    """How well the values a query gives for a property fit the candidate's values, 0..1."""
    best = 0.0
    for w in wanted:
        if isinstance(w, dict):
            target = index.entity(w["id"]) if "id" in w else None
            if target is not None:
                if any(v.is_iri and v.value == target.iri for v in have):
                    return 1.0
                continue
            w = w.get("name", "")
        qkeys = [Key.of(k) for k in variants(w, ())]
        if not qkeys:
            continue
        for v in have:
            e = index.entities.get(v.value) if v.is_iri else None
            keys = e.keys.values() if e else [Key.of(k) for k in variants(v.value, ())]
            for q in qkeys:
                for k in keys:
                    best = max(best, similarity(q, k))
                    if best == 1.0:
                        return best
    return best


def reconcile(index: Index, q: Query, lang: str) -> list[dict]:
    """The ranked candidates for one query (see the module docstring for scores and the match rule)."""
    wanted = [index.type_iri(t) for t in q.types]
    names = name_scores(index, q.text) if q.text else None
    props = [(index.prop(pid), vs) for pid, vs in q.properties]
    props = [(p, vs) for p, vs in props if p is not None]
    candidates = []
    for iri, e in index.entities.items():
        typed = not wanted or (
            all(t in e.all_types for t in wanted) if q.strict == "all" else any(t in e.all_types for t in wanted)
        )
        if not typed and q.strict != "should":
            continue
        name_score, exact = names[iri] if names else (None, False)
        total, weight, prop_scores = (name_score or 0.0), (1.0 if names else 0.0), []
        for p, vs in props:
            have = index.values(e, p, lang)
            if have:
                s = 100 * value_similarity(index, vs, have)
                prop_scores.append(s)
                total += PROPERTY_WEIGHT * s
                weight += PROPERTY_WEIGHT
        if not weight:
            continue  # a query by properties alone, none of which this entity has
        score = total / weight * (1.0 if typed else SHOULD_PENALTY)
        if score >= MIN_SCORE:
            prop_score = round(sum(prop_scores) / len(prop_scores), 2) if prop_scores else None
            candidates.append(Candidate(e, round(score, 2), exact, name_score, typed, prop_score))
    candidates.sort(key=lambda c: (-c.score, c.entity.name(lang).casefold(), c.entity.iri))
    out = []
    for i, c in enumerate(candidates[: q.limit]):
        match = (
            i == 0
            and c.exact
            and c.score >= MATCH_MIN_SCORE
            and (len(candidates) == 1 or c.score - candidates[1].score >= MATCH_MIN_GAP)
            and (c.typed or not wanted)
        )
        out.append(candidate_json(index, c, match, lang))
    return out


def candidate_json(index: Index, c: Candidate, match: bool, lang: str) -> dict:
    e = c.entity
    item = {
        "id": e.iri,
        "name": e.name(lang),
        "type": [{"id": t, "name": index.type_name(t, lang)} for t in e.types],
        "score": c.score,
        "match": match,
    }
    description = index.description(e, lang)
    if description:
        item["description"] = description
    features = [{"id": "type_match", "value": c.typed}]
    if c.name_score is not None:
        features[:0] = [{"id": "name_score", "value": c.name_score}, {"id": "name_exact", "value": c.exact}]
    if c.prop_score is not None:
        features.append({"id": "property_score", "value": c.prop_score})
    item["features"] = features
    return item


# --------------------------------------------------------------------------- the service endpoint


@bp.route("", methods=["GET", "POST"], strict_slashes=False)
def service():
    """The manifest, or answers to ``queries=``, ``query=`` (0.1) or ``extend=``."""
    callback()  # a bad callback is an error before anything else
    queries, single, extend = param("queries"), param("query"), param("extend")
    given = [n for n, v in (("queries", queries), ("query", single), ("extend", extend)) if v is not None]
    if len(given) > 1:
        raise ReconcileError(400, f"send one of queries=, query= and extend=, not {' and '.join(given)}")
    if not given:
        if request.method == "POST":
            raise ReconcileError(400, "missing parameter: a POST needs queries= (or extend=), form-encoded")
        return answer(manifest(current_index()))
    index, lang = current_index(), current_lang()
    if extend is not None:
        return answer(extension(index, load_json("extend", extend), lang))
    if single is not None:
        obj = load_json("query", single) if single.lstrip().startswith("{") else single
        return answer({"result": reconcile(index, parse_query("query", obj), lang)})
    batch = load_json("queries", queries)
    if not isinstance(batch, dict):
        raise ReconcileError(400, 'queries must be a JSON object: {"q0": {"query": "..."}, ...}')
    if len(batch) > MAX_QUERIES:
        raise ReconcileError(413, f"at most {MAX_QUERIES} queries per batch, not {len(batch)}")
    parsed = {}
    for key, obj in batch.items():
        if len(key) > 100:
            raise ReconcileError(400, "a query key is longer than 100 characters")
        parsed[key] = parse_query(key, obj)
    return answer({key: {"result": reconcile(index, q, lang)} for key, q in parsed.items()})


def _external(endpoint: str, **values) -> str:
    return base_url() + url_for(endpoint, **values)


def manifest(index: Index) -> dict:
    lang = current_lang()
    root = _external("reconcile.service")
    return {
        "versions": VERSIONS,
        "name": "Ruhr-Konferenz – Wissensgraph / knowledge graph (ruhrkg)",
        "identifierSpace": ID,
        "schemaSpace": DEF,
        "documentation": _external("api.docs") + "#reconcile",
        "serviceVersion": index.version,
        "batchSize": MAX_QUERIES,
        "defaultTypes": [{"id": t, "name": index.type_name(t, lang)} for t in DEFAULT_TYPES if t in index.classes],
        "view": {"url": _external("reconcile.view") + "?id={{id}}"},
        "preview": {
            "url": _external("reconcile.preview") + "?id={{id}}",
            "width": PREVIEW_SIZE[0],
            "height": PREVIEW_SIZE[1],
        },
        "suggest": {
            kind: {"service_url": root, "service_path": f"/suggest/{kind}"} for kind in ("entity", "type", "property")
        },
        "extend": {
            "propose_properties": {"service_url": root, "service_path": "/properties"},
            "property_settings": [
                {
                    "name": "limit",
                    "label": "Limit",
                    "type": "number",
                    "default": 0,
                    "help_text": "Maximum number of values per cell (0: all) / Höchstzahl der Werte je Zelle (0: alle)",
                },
            ],
        },
    }


# --------------------------------------------------------------------------- data extension


def extension(index: Index, obj, lang: str) -> dict:
    if not isinstance(obj, dict) or not isinstance(obj.get("ids"), list) or not isinstance(obj.get("properties"), list):
        raise ReconcileError(400, 'extend must be a JSON object {"ids": [...], "properties": [{"id": ...}]}')
    ids, props = obj["ids"], obj["properties"]
    if len(ids) > MAX_IDS or len(props) > 50:
        raise ReconcileError(413, f"at most {MAX_IDS} ids and 50 properties per request")
    ids = [_text("extend.ids[]", i) for i in ids]
    wanted = []
    for i, p in enumerate(props):
        if not isinstance(p, dict) or not isinstance(p.get("id"), str):
            raise ReconcileError(400, f'extend.properties[{i}] must be an object with a string "id"')
        settings = p.get("settings") or {}
        if not isinstance(settings, dict):
            raise ReconcileError(400, f"extend.properties[{i}].settings must be an object")
        limit = int_param(f"extend.properties[{i}].settings.limit", settings.get("limit"), 0, 0, MAX_LIMIT)
        wanted.append((_text(f"extend.properties[{i}].id", p["id"]), index.prop(p["id"]), limit))
    meta = []
    for pid, prop, _ in wanted:
        m = {"id": pid, "name": prop.name(lang) if prop else pid}
        if prop and prop.value_type:
            m["type"] = {"id": prop.value_type, "name": index.type_name(prop.value_type, lang)}
        meta.append(m)
    rows = {}
    for ident in ids:
        e = index.entity(ident)
        row = {}
        for pid, prop, limit in wanted:
            values = index.values(e, prop, lang) if e and prop else []
            cells = [extension_cell(index, prop, v, lang) for v in values]
            row[pid] = cells[:limit] if limit else cells
        rows[ident] = row
    return {"meta": meta, "rows": rows}


def extension_cell(index: Index, prop: Prop, v: Value, lang: str) -> dict:
    if prop.key == "wikidata":
        return {"str": v.value.rsplit("/", 1)[1]}
    if v.is_iri:
        e = index.entities.get(v.value)
        return {"id": v.value, "name": e.name(lang) if e else qname(v.value)}
    if v.datatype == PREFIXES["xsd"] + "integer" and re.fullmatch(r"[+-]?\d+", v.value):
        return {"int": int(v.value)}
    return {"str": v.value}


@bp.route("/properties")
def properties():
    """Data extension property proposals for a type (all properties if no type is given)."""
    callback()
    index, lang = current_index(), current_lang()
    raw_type = _text("type", request.args.get("type", ""))
    limit = int_param("limit", request.args.get("limit"), 0, 0, MAX_LIMIT)
    props = index.props_for(index.type_iri(raw_type) if raw_type else None)
    out = {"type": raw_type, "properties": [{"id": p.iri, "name": p.name(lang)} for p in props]}
    if limit:
        out["properties"], out["limit"] = out["properties"][:limit], limit
    return answer(out)


# --------------------------------------------------------------------------- suggest


def _prefix_rank(prefix: str, keys) -> int | None:
    """0 if a key starts with ``prefix``, 1 if every word of it starts a word of a key, else None."""
    words = prefix.split()
    best = None
    for k in keys:
        if k.startswith(prefix):
            return 0
        if best is None and all(any(t.startswith(w) for t in k.split()) for w in words):
            best = 1
    return best


def _suggest_args() -> tuple[str, int, int]:
    callback()
    raw = request.args.get("prefix")
    if raw is None:
        raise ReconcileError(400, "missing parameter: prefix")
    prefix = fold(_text("prefix", raw))
    limit = int_param("limit", request.args.get("limit"), SUGGEST_LIMIT, 1, MAX_LIMIT, MAX_RESULTS)
    cursor = int_param("cursor", request.args.get("cursor"), 0, 0, MAX_LIMIT)
    return prefix, limit, cursor


def _ranked(items, prefix: str, cursor: int, limit: int) -> list:
    """``items`` are (keys, sort name, id, payload); those matching ``prefix``, best first, paged.
    Keys None: the item is named by its id, it comes first."""
    found = []
    for keys, name, ident, payload in items:
        rank = -1 if keys is None else 0 if not prefix else _prefix_rank(prefix, keys)
        if rank is not None:
            found.append((rank, name.casefold(), ident, payload))
    found.sort(key=lambda x: x[:3])
    return [x[3] for x in found[cursor : cursor + limit]]


@bp.route("/suggest/entity")
def suggest_entity():
    prefix, limit, cursor = _suggest_args()
    index, lang = current_index(), current_lang()
    raw_type = _text("type", request.args.get("type", ""))
    wanted = index.type_iri(raw_type) if raw_type else None
    by_id = index.entity(request.args["prefix"]) if len(request.args["prefix"]) > 2 else None
    items = []
    for e in index.entities.values():
        if wanted and wanted not in e.all_types:
            continue
        item = {"id": e.iri, "name": e.name(lang)}
        description = index.description(e, lang)
        if description:
            item["description"] = description
        item["notable"] = [{"id": t, "name": index.type_name(t, lang)} for t in e.types]
        keys = None if e is by_id else e.keys
        items.append((keys, e.name(lang), e.iri, item))
    return answer({"result": _ranked(items, prefix, cursor, limit)})


@bp.route("/suggest/type")
def suggest_type():
    prefix, limit, cursor = _suggest_args()
    index, lang = current_index(), current_lang()
    items = []
    for t in index.types:
        info = index.classes[t]
        names = [*info.labels.values(), qname(t), t.rsplit("#", 1)[-1].rsplit("/", 1)[-1]]
        item = {"id": t, "name": info.name(lang)}
        if info.comment(lang):
            item["description"] = info.comment(lang)
        items.append(({fold(n) for n in names}, info.name(lang), t, item))
    return answer({"result": _ranked(items, prefix, cursor, limit)})


@bp.route("/suggest/property")
def suggest_property():
    prefix, limit, cursor = _suggest_args()
    lang = current_lang()
    items = []
    for p in PROPERTIES:
        names = [p.de, p.en, p.key, qname(p.iri), *p.aliases]
        item = {"id": p.iri, "name": p.name(lang), "description": qname(p.iri)}
        items.append(({fold(n) for n in names}, p.name(lang), p.iri, item))
    return answer({"result": _ranked(items, prefix, cursor, limit)})


# --------------------------------------------------------------------------- preview and view


def _entity_param(index: Index) -> Entity:
    raw = request.args.get("id")
    if raw is None or not raw.strip():
        raise ReconcileError(400, "missing parameter: id (an entity IRI, e.g. https://w3id.org/ruhrkg/id/city/essen)")
    e = index.entity(_text("id", raw))
    if e is None:
        raise ReconcileError(404, f"{raw} is not an entity of this dataset")
    return e


PREVIEW_STYLE = (
    "body{font:13px/1.35 system-ui,sans-serif;margin:6px 8px;color:#222}h1{font-size:15px;margin:0 0 2px}"
    "a{color:#0b57a4}p{margin:0 0 4px;color:#555}dl{margin:0;display:grid;grid-template-columns:max-content 1fr;"
    "gap:1px 8px}dt{color:#555}dd{margin:0}"
)


@bp.route("/preview")
def preview():
    """A small HTML page about one entity, for OpenRefine's preview iframe."""
    index, lang = current_index(), current_lang()
    e = _entity_param(index)
    links = Links.current()
    page = base_url() + links.href(e.iri)

    def link(v: Value) -> Markup:
        text = escape(index.show(v, lang))
        if v.is_iri and v.value in index.entities:
            return Markup('<a href="{}" target="_blank" rel="noopener">{}</a>').format(
                base_url() + links.href(v.value), text
            )
        return text

    facts = []
    for p in PROPERTIES:
        values = e.facts.get(p.key, []) if p.key not in NOT_PREVIEWED else []
        if values:
            shown = Markup(", ").join(link(v) for v in values[:4]) + (" …" if len(values) > 4 else "")
            name = p.name(lang)
            facts.append(Markup("<dt>{}</dt><dd>{}</dd>").format(name[:1].upper() + name[1:], shown))
        if len(facts) == 6:
            break
    types = ", ".join(index.type_name(t, lang) for t in e.types)
    body = Markup(
        '<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{name}</title>'
        "<style>{style}</style></head><body>"
        '<h1><a href="{page}" target="_blank" rel="noopener">{name}</a></h1>'
        "<p>{types} · <code>{qname}</code></p><dl>{facts}</dl></body></html>\n"
    ).format(
        lang=lang, name=e.name(lang), style=Markup(PREVIEW_STYLE), page=page, types=types, qname=qname(e.iri),
        facts=Markup("").join(facts),
    )  # fmt: skip
    resp = Response(str(body), mimetype="text/html")
    resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.route("/view")
def view():
    """The manifest's view template: redirects to the entity's page."""
    e = _entity_param(current_index())
    return redirect(Links.current().href(e.iri), code=303)


# --------------------------------------------------------------------------- OpenAPI


def openapi_paths() -> dict:
    """The ``/reconcile`` operation for the app's OpenAPI document (the other routes are in the manifest)."""
    string = {"type": "string"}
    problem_ref = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    params = [
        {"name": "queries", "in": "query", "required": False, "schema": string,
         "description": 'A batch of reconciliation queries as JSON: `{"q0": {"query": "Ulrich Paetzel", '
                        '"type": "https://w3id.org/ruhrkg/def#Person", "limit": 3}}`'},
        {"name": "query", "in": "query", "required": False, "schema": string,
         "description": "One query (API 0.1): a string or a JSON query object; answered `{\"result\": [...]}`"},
        {"name": "extend", "in": "query", "required": False, "schema": string,
         "description": 'Data extension: `{"ids": [IRI, ...], "properties": [{"id": IRI}]}`'},
        {"name": "callback", "in": "query", "required": False, "schema": string,
         "description": "JSONP: wrap the answer in a call of this JavaScript function"},
    ]  # fmt: skip
    responses = {
        "200": {
            "description": "Without parameters the service manifest; else the answers, keyed like the queries.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "400": {"description": "Malformed input (the reason is in `detail`)", "content": problem_ref},
        "413": {"description": "Too many queries in one batch", "content": problem_ref},
    }
    description = (
        "The W3C Reconciliation Service API (versions 0.1 and 0.2) for OpenRefine: add this URL as a standard "
        "service. Without parameters it answers the manifest. `queries=` (form-encoded POST, or GET) is a JSON "
        "batch; candidates are persons, ministries (also by code, e.g. `MKW`), organisations, venues, cities, "
        "forums and events, matched by their labels and scored 0-100, with the entity IRI as `id`; `match` is true "
        "only for an exact (normalised) label match that is at least 10 points ahead of the next candidate. "
        "Also `/reconcile/suggest/entity`, `/reconcile/suggest/type` and `/reconcile/suggest/property` "
        "(`prefix=`), `/reconcile/preview?id=`, `/reconcile/view?id=`, `/reconcile/properties?type=` and "
        "`extend=` (data extension). JSONP with `callback=`."
    )
    return {
        "/reconcile": {
            "get": {
                "operationId": "reconcile",
                "summary": "Reconciliation service (OpenRefine): manifest and queries",
                "x-summary-de": "Abgleichdienst (OpenRefine): Manifest und Abfragen",
                "description": description,
                "tags": ["reconciliation"],
                "parameters": params,
                "responses": responses,
            },
            "post": {
                "operationId": "reconcilePost",
                "summary": "Reconciliation queries or data extension, form-encoded",
                "tags": ["reconciliation"],
                "requestBody": {
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {"type": "object", "properties": {"queries": string, "extend": string}}
                        }
                    }
                },
                "responses": responses,
            },
        }
    }
