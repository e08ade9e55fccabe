"""The way back to Wikidata: a QuickStatements (version 1) batch of what Wikidata lacks.

For the Ruhr-Konferenz and each forum without a verified Wikidata link, the
batch creates an item with a German label (the printed title; an English
label is not made up), German and English descriptions, and
the statements the graph supports:

* ``P31`` instance of, ``P17`` country, ``P131`` located in (the state);
* ``P361`` part of the Ruhr-Konferenz, once the conference has a Q-ID (a
  link in the table, or ``conference_qid``): QuickStatements v1 cannot refer
  to an item created earlier in the same batch, so the first batch creates
  the conference, and the next one (after its Q-ID is linked) the forums;
* ``P921`` main subject (the Ruhr area, from ``wikidata-export.yaml`` or
  ``main_subject``), ``P664`` organizer (the lead ministry) and ``P710``
  participant (the participating ministries), where those have verified links;
* ``P580``/``P585``/``P582`` start, point in time, end: the dates of the
  first and last event;

every statement with a reference to the source document (``P1476`` title,
``P577`` publication date 2019-06-01, ``P854`` its IRI, ``P813`` retrieved).
Whatever is left out for want of a Q-ID is reported, so nothing is dropped
silently.

Every fixed Q-ID and every linked Q-ID is checked against Wikidata (its
English label for the fixed ones, its existence for the linked ones) before
a batch is written: :func:`check`.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from importlib import resources

import pyoxigraph as ox
import yaml

from ruhrkg.graph.wikidata import WikidataClient, WikidataError
from ruhrkg.mappings import iris
from ruhrkg.mappings.vocab import GRAPHS, PREFIXES

SOURCE_TITLE = "Steckbriefe der 20 Themenforen"
SOURCE_PUBLISHED = "+2019-06-01T00:00:00Z/11"


class ExportError(Exception):
    """A batch that must not be written (a Q-ID that does not check out)."""


@dataclass
class Batch:
    lines: list[str] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)  # statements left out, and why
    qids: dict[str, str] = field(default_factory=dict)  # Q-ID -> what it stands for (for the check)

    @property
    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)


@functools.cache
def constants() -> dict[str, dict]:
    text = resources.files("ruhrkg.mappings").joinpath("wikidata-export.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _q(s: str) -> str:
    """A QuickStatements string value: double quotes inside are not allowed, so they become typographic."""
    return '"' + s.replace('"', "\u201d").replace("\t", " ").replace("\n", " ") + '"'


def _time(date: str) -> str:
    return f"+{date}T00:00:00Z/11"


def _rows(store: ox.Store, query: str) -> list[dict[str, str]]:
    prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
    default = [ox.NamedNode(GRAPHS["data"])]
    named = [ox.NamedNode(GRAPHS["links"])]
    result = store.query(prologue + query, default_graph=default, named_graphs=named)
    names = [v.value for v in result.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in result]


def _linked(store: ox.Store) -> dict[str, str]:
    """Entity IRI -> Q-ID of every verified exact match."""
    rows = _rows(store, "SELECT ?e ?item WHERE { GRAPH <" + GRAPHS["links"] + "> { ?e skos:exactMatch ?item } }")
    return {r["e"]: r["item"].rsplit("/", 1)[-1] for r in rows}


def batch(
    store: ox.Store, *, conference_qid: str | None = None, main_subject: str | None = None, retrieved: str | None = None
) -> Batch:
    """The QuickStatements batch for the current graph."""
    out = Batch()
    fixed = constants()
    linked = _linked(store)
    retrieved = retrieved or dt.date.today().isoformat()
    reference = (
        f"\tS1476\tde:{_q(SOURCE_TITLE)}\tS577\t{SOURCE_PUBLISHED}\tS854\t{_q(str(iris.source()))}"
        f"\tS813\t{_time(retrieved)}"
    )
    for key in ("instance_of", "country", "state"):
        out.qids[fixed[key]["qid"]] = key
    subject = main_subject or fixed["main_subject"].get("qid")
    if subject:
        out.qids[subject] = "main_subject"
    conference = conference_qid or linked.get(str(iris.conference()))
    if conference:
        out.qids.setdefault(conference, "conference")

    def stmt(prop: str, value: str) -> None:
        out.lines.append(f"LAST\t{prop}\t{value}{reference}")

    def common() -> None:
        stmt("P31", fixed["instance_of"]["qid"])
        stmt("P17", fixed["country"]["qid"])
        stmt("P131", fixed["state"]["qid"])

    span = _rows(
        store,
        "SELECT (MIN(?s) AS ?start) (MAX(?e) AS ?end) WHERE { ?ev a rk:Event ; rk:startDate ?s ; rk:endDate ?e }",
    )[0]
    if str(iris.conference()) not in linked and not conference_qid:
        out.lines += ["CREATE", f"LAST\tLde\t{_q('Ruhr-Konferenz')}", f"LAST\tLen\t{_q('Ruhr Conference')}"]
        out.lines.append(
            f"LAST\tDde\t{_q('Prozess der Landesregierung Nordrhein-Westfalen (2018–2019) zur Zukunft des Ruhrgebiets')}"
        )
        out.lines.append(
            f"LAST\tDen\t{_q('process of the government of North Rhine-Westphalia (2018–2019) on the future of the Ruhr area')}"
        )
        common()
        stmt("P580", _time(span["start"]))
        stmt("P582", _time(span["end"]))
        organiser = linked.get(str(iris.ministry("Stk")))
        if organiser:
            stmt("P664", organiser)
            out.qids.setdefault(organiser, "ministry/stk")
        else:
            out.omitted.append("Ruhr-Konferenz: P664 organizer (the Staatskanzlei has no verified Wikidata link)")
        out.omitted.append(
            "the forums: P361 part of (the Ruhr-Konferenz has no Q-ID yet: run this batch, link "
            "conference/ruhr-konferenz to the new item, export again)"
        )
    forums = _rows(
        store,
        """SELECT ?forum ?number ?title ?lead (MIN(?s) AS ?start) (MAX(?e) AS ?end)
        WHERE { ?forum a rk:Forum ; rk:number ?number ; dct:title ?title ; rk:leadMinistry ?lead .
                OPTIONAL { ?ev rk:forum ?forum ; rk:startDate ?s ; rk:endDate ?e } }
        GROUP BY ?forum ?number ?title ?lead ORDER BY ?number""",
    )
    participants = {}
    for r in _rows(store, "SELECT ?forum ?m WHERE { ?forum rk:participatingMinistry ?m }"):
        participants.setdefault(r["forum"], []).append(r["m"])
    for f in forums:
        n = int(f["number"])
        if f["forum"] in linked:
            out.omitted.append(f"forum {n:02d}: already in Wikidata as {linked[f['forum']]}")
            continue
        out.lines += ["CREATE", f"LAST\tLde\t{_q(f['title'])}"]  # the title is German; no English label is made up
        out.lines.append(f"LAST\tDde\t{_q(f'Themenforum {n:02d} der Ruhr-Konferenz (Nordrhein-Westfalen, 2019)')}")
        out.lines.append(
            f"LAST\tDen\t{_q(f'thematic forum {n:02d} of the Ruhr Conference (North Rhine-Westphalia, 2019)')}"
        )
        common()
        if conference:
            stmt("P361", conference)
        if subject:
            stmt("P921", subject)
        else:
            out.omitted.append(f"forum {n:02d}: P921 main subject (no Q-ID for the Ruhr area configured)")
        if f.get("start"):
            if f["start"] == f["end"]:
                stmt("P585", _time(f["start"]))
            else:
                stmt("P580", _time(f["start"]))
                stmt("P582", _time(f["end"]))
        lead = linked.get(f["lead"])
        if lead:
            stmt("P664", lead)
            out.qids.setdefault(lead, f["lead"])
        else:
            out.omitted.append(f"forum {n:02d}: P664 organizer ({_short(f['lead'])} has no verified Wikidata link)")
        for m in sorted(participants.get(f["forum"], [])):
            if m in linked:
                stmt("P710", linked[m])
                out.qids.setdefault(linked[m], m)
            else:
                out.omitted.append(f"forum {n:02d}: P710 participant ({_short(m)} has no verified Wikidata link)")
    return out


def _short(iri: str) -> str:
    for p, ns in PREFIXES.items():
        if iri.startswith(ns):
            return f"{p}:{iri[len(ns) :]}"
    return iri


def check(out: Batch, client: WikidataClient) -> None:
    """Refuse a batch whose fixed Q-IDs do not carry their expected English labels, or whose linked Q-IDs
    do not exist; :class:`ExportError` lists every problem."""
    query = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT ?item ?label WHERE { VALUES ?item { "
        + " ".join(f"<http://www.wikidata.org/entity/{q}>" for q in sorted(out.qids))
        + ' } ?item rdfs:label ?label FILTER(LANG(?label) = "en") }'
    )
    try:
        found = {r["item"].rsplit("/", 1)[-1]: r["label"] for r in client.select(query)}
    except WikidataError as e:
        raise ExportError(f"cannot check the Q-IDs against Wikidata: {e}") from None
    problems = []
    for qid, what in sorted(out.qids.items()):
        if qid not in found:
            problems.append(f"{qid} ({what}) has no English label on Wikidata: does it exist?")
        elif what in constants() and found[qid].casefold() != constants()[what]["label"].casefold():
            expected = constants()[what]["label"]
            problems.append(f"{qid} ({what}) is labelled {found[qid]!r} on Wikidata, not {expected!r}")
    if problems:
        raise ExportError("the batch was not written:\n" + "\n".join(f"  - {p}" for p in problems))
