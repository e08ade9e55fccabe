"""The reconciliation index, without HTTP: the graph's entities with their names, keys and facts, the classes, and
the properties of the service. :mod:`ruhrkg.graph.matching` checks and scores queries against it;
:mod:`ruhrkg.server.api.reconcile` is the W3C Reconciliation Service API on top of both.

**Index.** Built once per dataset version (:func:`build_index`) from the rows of four queries
(``graph/rq/reconcile-*.rq``): every IRI with an ``rdf:type`` in the data graph except source excerpts (line
ranges of the source text, not things anyone reconciles), with all its labels (``rdfs:label``,
``skos:prefLabel``/``altLabel``, ``dct:title``, ``schema:name``, ``foaf:name``, ``skos:notation``, ``rk:code``) in
every language, its types with their superclasses from the ontology graph, and the facts of :data:`PROPERTIES`.
Labels and queries are normalised by :func:`ruhrkg.graph.similarity.variants`, by the kind of entity
(:data:`RULES_BY_CLASS`). Persons are also indexed as "Family, Given", forums as "Themenforum 14"/"Forum 14".
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pyoxigraph as ox

from ruhrkg.graph.query import Row, qname
from ruhrkg.graph.similarity import Key, variants
from ruhrkg.mappings.vocab import DEF, ID, ID_KINDS, PREFIXES, RK

RDFS = PREFIXES["rdfs"]
SKOS = PREFIXES["skos"]
XSD_INTEGER = PREFIXES["xsd"] + "integer"
#: The queries the index is built from (``graph/rq/NAME.rq``), by the name :class:`Index` reads their rows under.
INDEX_QUERIES = {"entities": "reconcile-entities", "labels": "reconcile-labels", "ontology": "reconcile-ontology",
                 "facts": "reconcile-facts"}  # fmt: skip

#: The classes the manifest offers as default types (IRIs from the vocabulary, names from the ontology graph).
DEFAULT_TYPES = tuple(
    str(getattr(RK, n))
    for n in ("Person", "Ministry", "Organization", "Venue", "City", "Forum", "Event", "OrganizationalUnit")
)
#: Classes whose instances are not indexed.
UNINDEXED_TYPES = frozenset({str(RK.SourceExcerpt)})
#: The reductions of :data:`ruhrkg.graph.similarity.RULES` that apply to an entity, by its class.
RULES_BY_CLASS = {
    str(RK.Person): ("titles",),
    str(RK.Ministry): ("state", "ministry"),
    str(RK.OrganizationalUnit): ("state", "ministry"),
    str(RK.Organization): ("legal", "state"),
    str(RK.Venue): ("legal",),
}


# --------------------------------------------------------------------------- properties


@dataclass(frozen=True)
class Prop:
    """A property of the service: for matching (``properties`` of a query), extension and previews."""

    key: str
    iri: str
    de: str
    en: str
    aliases: tuple[str, ...] = ()
    value_type: str | None = None  # the class of entity values, for data extension metadata

    def name(self, lang: str) -> str:
        return self.de if lang == "de" else self.en


def _p(key, local, de, en, aliases=(), value_type=None) -> Prop:
    iri = local if ":" in local else str(getattr(RK, local))
    return Prop(key, iri, de, en, tuple(aliases), str(getattr(RK, value_type)) if value_type else None)


#: The properties, in the order previews and proposals list them.
PROPERTIES = (
    _p("label", RDFS + "label", "Name", "name", ("name", "label", "schema:name", "bezeichnung")),
    _p("code", "code", "Kürzel", "code", ("kuerzel", "abbreviation", "notation")),
    _p("city", "city", "Stadt", "city",
       ("stadt", "ort", "location", "schema:location", "place", "schema:addressLocality", "gemeinde"), "City"),
    _p("organisation", "representing", "Organisation", "organisation",
       ("organization", "organisation", "org", "affiliation", "schema:affiliation", "schema:worksFor",
        "org:memberOf", "employer", "arbeitgeber", "institution"), "Organization"),
    _p("position", "position", "Funktion", "position",
       ("funktion", "job title", "jobtitle", "schema:jobTitle", "amt", "role")),
    _p("forum", "forum", "Themenforum", "thematic forum",
       ("themenforum", "forum", "forums", "themenforen", "rk:membershipIn"), "Forum"),
    _p("leadMinistry", "leadMinistry", "federführendes Ressort", "lead ministry",
       ("lead", "federfuehrend", "lead ministry", "ministry", "ressort"), "Ministry"),
    _p("participatingMinistry", "participatingMinistry", "beteiligtes Ressort", "participating ministry",
       ("beteiligt", "participating"), "Ministry"),
    _p("member", "member", "Person (Moderation)", "person (moderation)",
       ("person", "persons", "personen", "moderation", "moderator"), "Person"),
    _p("venue", "venue", "Veranstaltungsort", "venue",
       ("veranstaltungsort", "schema:location"), "Venue"),
    _p("startDate", "startDate", "Datum", "date",
       ("datum", "date", "schema:startDate")),
    _p("number", "number", "Nummer", "number", ("nummer", "nr", "no")),
    _p("containedIn", "containedIn", "liegt in", "contained in",
       ("land", "state", "country", "schema:containedInPlace"), "AdministrativeArea"),
    _p("unitOf", "unitOf", "Einheit von", "unit of", ("parent",), "Ministry"),
    _p("academicTitle", "academicTitle", "akademischer Titel", "academic title",
       ("titel", "title", "schema:honorificPrefix")),
    _p("givenName", "givenName", "Vorname", "given name",
       ("vorname", "first name", "schema:givenName", "foaf:givenName")),
    _p("familyName", "familyName", "Nachname", "family name",
       ("nachname", "surname", "last name", "schema:familyName", "foaf:familyName")),
    _p("wikidata", SKOS + "exactMatch", "Wikidata", "Wikidata",
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

LABEL_PROPERTIES = (RDFS + "label", SKOS + "prefLabel", PREFIXES["schema"] + "name", PREFIXES["foaf"] + "name",
                    PREFIXES["dct"] + "title")  # fmt: skip


@dataclass(frozen=True)
class Value:
    """A property value: an IRI (``lang`` None, ``datatype`` None) or a literal."""

    value: str
    is_iri: bool
    datatype: str | None = None
    lang: str | None = None

    @classmethod
    def of(cls, term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Value:
        if isinstance(term, ox.Literal):
            return cls(term.value, False, term.datatype.value, term.language)
        return cls(term.value, isinstance(term, ox.NamedNode))


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


def build_index(version: str, select: Callable[[str], list[Row]]) -> Index:
    """The index of a build: ``select(name)`` runs the query ``graph/rq/NAME.rq`` and returns its rows."""
    return Index(version, {key: select(name) for key, name in INDEX_QUERIES.items()})


class Index:
    """Every indexed entity with its keys and facts, the classes, and how to resolve ids, types and properties."""

    def __init__(self, version: str, rows: dict[str, list[Row]]) -> None:
        self.version = version
        self.classes = _classes(rows["ontology"])
        self.entities: dict[str, Entity] = {}
        for row in rows["entities"]:
            self.entities.setdefault(row["e"].value, Entity(row["e"].value)).types.append(row["type"].value)
        for iri in [i for i, e in self.entities.items() if "#" in i or UNINDEXED_TYPES & set(e.types)]:
            del self.entities[iri]
        for e in self.entities.values():
            e.types.sort()
            e.all_types = self.closure(e.types)
            e.rules = frozenset(r for t in e.types for r in RULES_BY_CLASS.get(t, ()))
        for row in rows["labels"]:
            if (e := self.entities.get(row["e"].value)) is not None:
                e.labels.append(Label(row["label"].value, row["p"].value, row["label"].language))
        for row in rows["facts"]:
            if (e := self.entities.get(row["e"].value)) is not None:
                e.facts[row["pid"].value].append(Value.of(row["v"]))
        order = {p: i for i, p in enumerate(LABEL_PROPERTIES)}
        for e in self.entities.values():
            e.labels.sort(key=lambda v: (order.get(v.prop, len(order)), v.lang or "", v.value))
            e.names = [v for v in e.labels if v.prop in order]
            for key in e.facts:
                e.facts[key].sort(key=lambda v: (v.value,))
            self._add_keys(e)
        self.types = self._used_types()
        self.keys_by_rules = _keys_by_rules(self.entities.values())
        #: how many keys a query's value for a property is compared with, at most, by property key
        self.value_keys = {p.key: self._count_value_keys(p) for p in PROPERTIES}

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

    def _count_value_keys(self, p: Prop) -> int:
        """How many keys a query's value for ``p`` is compared with, at most (over all entities and languages)."""
        total = 0
        for e in self.entities.values():
            have = [Value(v.value, False) for v in e.labels if v.prop == RDFS + "label"] if p.key == "label" else []
            for v in have or self.values(e, p, "de"):
                target = self.entities.get(v.value) if v.is_iri else None
                total += len(target.keys) if target else len(variants(v.value, ()))
        return total

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
        return _PROP_LOOKUP.get(ident.strip().casefold())

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


def _classes(rows: list[Row]) -> dict[str, ClassInfo]:
    classes: dict[str, ClassInfo] = {}
    for row in rows:
        c, p, o = row["c"].value, row["p"].value, row["o"]
        info = classes.setdefault(c, ClassInfo(c))
        if p == RDFS + "subClassOf":
            if isinstance(o, ox.NamedNode):
                info.supers.add(o.value)
        elif isinstance(o, ox.Literal):
            target = info.labels if p == RDFS + "label" else info.comments
            target.setdefault(o.language or "", o.value)
    return classes


def _keys_by_rules(entities) -> dict[frozenset[str], int]:
    """The number of keys of all entities that share a set of rules."""
    out: dict[frozenset[str], int] = defaultdict(int)
    for e in entities:
        out[e.rules] += len(e.keys)
    return dict(out)


def _prop_lookup() -> dict[str, Prop]:
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


_PROP_LOOKUP = _prop_lookup()

