"""Reconciliation with Wikidata: candidates for unlinked entities, a review file, and applying it.

``ruhrkg link wikidata`` (:func:`reconcile`) takes every ministry, person,
organisation, city and venue of the current build that has no verified link
in the curated table, searches Wikidata for it (search API, German and
English labels), fetches the candidates' types and statements with one
SPARQL query per batch, scores each candidate and writes a review file
(CSV, one row per candidate, best first).

Score (0-100), each part written into the ``reasons`` column:

* name (up to 60): the best similarity of our labels to the item's labels
  and aliases, after folding case, accents and titles (60 = identical);
* type (25): the item is an instance (P31/P279*) of a class expected for
  the kind (:data:`EXPECTED`); an item of none of them is dropped when it
  has any P31 at all (a person is never a street);
* context (15): a statement that ties the item to what the document says:
  a person holding a position of North Rhine-Westphalia (P39 → P1001) or
  employed by the organisation they represent (P108), a ministry of NRW
  (P1001/P131), a city in Germany (P17), a venue in its linked city (P131),
  an organisation in Germany (P17).

Only an unambiguous high score is accepted automatically: score ≥ 90 and at
least 15 points ahead of the runner-up. Everything else waits for a person.
Two people with the same name and nothing in our data to tell them apart
score the same, so neither is accepted.

``ruhrkg link apply`` (:func:`apply_review`) moves the decisions of a
reviewed file into the curated table: ``accept`` → ``verified`` (basis
``reconciled``, the score and reasons as evidence, the reviewer as curator),
``reject`` → ``rejected`` (never proposed again).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import pyoxigraph as ox

from ruhrkg.graph.wikidata import Facts, WikidataClient, WikidataError
from ruhrkg.mappings import links as linking
from ruhrkg.mappings.vocab import GRAPHS, ID, RK

HUMAN, GERMANY, NRW = "Q5", "Q183", "Q1198"
#: Classes an item must belong to (via P31/P279*) to be a candidate for a kind of entity.
EXPECTED = {
    "person": {HUMAN},
    "ministry": {"Q192350", "Q327333", "Q2659904"},  # ministry, government agency, government organization
    "organization": {"Q43229"},  # organization
    "city": {"Q486972", "Q515", "Q262166"},  # human settlement, city, municipality of Germany
    "venue": {"Q41176", "Q811979", "Q17334923", "Q43229"},  # building, architectural structure, location, organization
}
KINDS = {
    "person": RK.Person,
    "ministry": RK.Ministry,
    "organization": RK.Organization,
    "city": RK.City,
    "venue": RK.Venue,
}
CONTEXT_PROPERTIES = ("P17", "P131", "P1001", "P108", "P159")
AUTO_SCORE, AUTO_MARGIN = 90, 15
REVIEW_COLUMNS = [
    "entity", "label", "kind", "rank", "qid", "wikidata_label", "wikidata_description", "score", "reasons",
    "decision", "note", "service", "searched",
]  # fmt: skip
DECISIONS = {"", "accept", "reject"}
_TITLE = re.compile(r"\b(prof|dr|dipl|ing|med|rer|nat|phil|h\.?\s?c)\.?(?=\s|$)", re.I)


class ReviewError(ValueError):
    """A review file that cannot be applied; nothing was written."""


@dataclass
class Entity:
    """One of our entities, with what the reconciliation uses to search and to score."""

    iri: str
    kind: str
    labels: list[str]
    positions: list[str] = field(default_factory=list)  # persons: printed positions
    linked_items: dict[str, set[str]] = field(default_factory=dict)  # context: e.g. {"city": {"Q2066"}}

    @property
    def key(self) -> str:
        return self.iri[len(ID) :]


@dataclass
class Candidate:
    qid: str
    label: str
    description: str
    score: int
    reasons: list[str]


@dataclass
class ReviewRow:
    entity: str
    label: str
    kind: str
    rank: str = ""
    qid: str = ""
    wikidata_label: str = ""
    wikidata_description: str = ""
    score: str = ""
    reasons: str = ""
    decision: str = ""
    note: str = ""
    service: str = ""
    searched: str = ""


# ------------------------------------------------------------------------ our side


def entities(store: ox.Store, table: list[linking.Link], kinds: Iterable[str] = KINDS) -> list[Entity]:
    """Entities of ``kinds`` without a verified link, with labels and context, sorted by IRI."""
    data = ox.NamedNode(GRAPHS["data"])
    verified = {ID + r.entity: r.qid for r in table if r.status == "verified" and r.relation == "exactMatch"}
    label_p = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

    def values(s, p) -> list[str]:
        return [q.object.value for q in store.quads_for_pattern(s, ox.NamedNode(p), None, data)]

    out = []
    for kind in kinds:
        for q in store.quads_for_pattern(None, rdf_type, ox.NamedNode(KINDS[kind]), data):
            e = q.subject
            if not isinstance(e, ox.NamedNode) or e.value in verified:
                continue
            labels = sorted({x.object.value for x in store.quads_for_pattern(e, label_p, None, data)})
            ent = Entity(e.value, kind, labels)
            if kind == "person":
                for m in store.quads_for_pattern(None, ox.NamedNode(RK.member), e, data):
                    ent.positions += values(m.subject, RK.position)
                    for org in values(m.subject, RK.representing):
                        if org in verified:
                            ent.linked_items.setdefault("employer", set()).add(verified[org])
            elif kind == "venue":
                for city in values(e, RK.city):
                    if city in verified:
                        ent.linked_items.setdefault("city", set()).add(verified[city])
            out.append(ent)
    return sorted(out, key=lambda x: x.iri)


# ------------------------------------------------------------------------ scoring


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: accents and punctuation gone, ``ä``/``ae`` -> ``a``.

    Umlauts may be written ``ä``, ``ae`` or ``a`` in a spreadsheet, so all three become ``a`` (also in
    names that are spelled with ``ae``: ``Paetzel`` and ``Pätzel`` are both ``patzel``).

    >>> fold("Prof. Dr. Ulrich Pätzel"), fold("ULRICH PAETZEL"), fold("Düsseldorf") == fold("Duesseldorf")
    ('prof dr ulrich patzel', 'ulrich patzel', True)
    >>> fold("Straße  & Co.–KG"), fold("André Koch-Engelmann")
    ('strasse co kg', 'andre koch engelmann')
    """
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.translate(_TRANSLIT)
    text = re.sub(r"[\W_]+", " ", text, flags=re.ASCII)
    text = re.sub(r"(?<=[a-z])([aou])e", r"\1", text)
    return " ".join(text.split())


_TRANSLIT = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})


def normalise(text: str) -> str:
    """:func:`fold` without academic titles: ``Prof. Dr. Müller-Lüdenscheidt`` → ``muller ludenscheidt``."""
    return fold(_TITLE.sub(" ", text))


def similarity(ours: Iterable[str], theirs: Iterable[str]) -> float:
    """The best similarity (0-1) of any of our names to any of theirs: sequence ratio or token-set overlap."""
    best = 0.0
    for a in {normalise(x) for x in ours}:
        for b in {normalise(x) for x in theirs}:
            if not a or not b:
                continue
            if a == b:
                return 1.0
            ratio = difflib.SequenceMatcher(None, a, b).ratio()
            ta, tb = set(a.split()), set(b.split())
            overlap = len(ta & tb) / max(len(ta | tb), 1)
            best = max(best, ratio, overlap)
    return best


def score(entity: Entity, facts: Facts) -> Candidate | None:
    """Score one item for one entity; None if its type rules it out."""
    reasons = []
    name = similarity(entity.labels, facts.names())
    points = round(60 * name)
    reasons.append("label identical" if name == 1.0 else f"label similarity {name:.2f}")
    expected = EXPECTED[entity.kind]
    if facts.classes & expected:
        points += 25
        reasons.append("instance of " + ", ".join(sorted(facts.classes & expected)))
    elif facts.claims.get("P31") or facts.classes:
        return None
    else:
        reasons.append("no type statement")
    context = _context(entity, facts)
    if context:
        points += 15
        reasons.append(context)
    label = facts.labels.get("de") or facts.labels.get("en") or next(iter(facts.labels.values()), "")
    return Candidate(facts.qid, label, facts.description, points, reasons)


def _context(entity: Entity, facts: Facts) -> str:
    claims = facts.claims
    if entity.kind == "person":
        if NRW in facts.jurisdictions_of_positions and any(
            re.search(r"minister|staatssekret", p, re.I) for p in entity.positions
        ):
            return "holds a position of North Rhine-Westphalia (P39/P1001)"
        employer = entity.linked_items.get("employer", set()) & claims.get("P108", set())
        if employer:
            return f"employer {', '.join(sorted(employer))} (P108) is the organisation represented"
    elif entity.kind == "ministry":
        if NRW in claims.get("P1001", set()) | claims.get("P131", set()):
            return "jurisdiction North Rhine-Westphalia (P1001/P131)"
    elif entity.kind == "city":
        if GERMANY in claims.get("P17", set()):
            return "country Germany (P17)"
    elif entity.kind == "venue":
        city = entity.linked_items.get("city", set()) & claims.get("P131", set())
        if city:
            return f"located in {', '.join(sorted(city))} (P131), the venue's city"
    elif entity.kind == "organization" and GERMANY in claims.get("P17", set()):
        return "country Germany (P17)"
    return ""


def decide(candidates: list[Candidate]) -> bool:
    """Whether the best candidate may be accepted without review."""
    if not candidates or candidates[0].score < AUTO_SCORE:
        return False
    return len(candidates) == 1 or candidates[0].score - candidates[1].score >= AUTO_MARGIN


# ------------------------------------------------------------------------ the run


@dataclass
class Summary:
    entities: int = 0
    with_candidates: int = 0
    auto_accepted: int = 0
    failed: list[str] = field(default_factory=list)


def reconcile(
    ents: list[Entity],
    client: WikidataClient,
    table: list[linking.Link],
    *,
    auto_accept: bool = True,
    progress: Callable[[Entity], None] | None = None,
) -> tuple[list[ReviewRow], Summary]:
    """Search, score and rank candidates for each entity; the rows of the review file and a summary."""
    rejected = {(r.entity, r.qid) for r in table if r.status == "rejected"}
    today = dt.date.today().isoformat()
    summary = Summary(entities=len(ents))
    rows: list[ReviewRow] = []
    for ent in ents:
        base = {"entity": ent.key, "label": ent.labels[0] if ent.labels else "", "kind": ent.kind}
        base |= {"service": client.config.sparql_url, "searched": today}
        try:
            hits: dict[str, None] = {}
            for label in ent.labels:
                for lang in client.config.languages:
                    for h in client.search(_search_text(label, ent.kind), lang):
                        if (ent.key, h["id"]) not in rejected:
                            hits.setdefault(h["id"])
            facts = client.facts(hits, EXPECTED[ent.kind], CONTEXT_PROPERTIES + ("P31",)) if hits else {}
        except WikidataError as e:
            summary.failed.append(f"{ent.key}: {e}")
            rows.append(ReviewRow(**base, note=f"search failed: {e}"))
            if progress:
                progress(ent)
            continue
        scored = [c for f in facts.values() if (c := score(ent, f))]
        scored.sort(key=lambda c: (-c.score, int(c.qid[1:])))
        accept = auto_accept and decide(scored)
        if scored:
            summary.with_candidates += 1
        else:
            rows.append(ReviewRow(**base, note="no candidate of a fitting type found"))
        for rank, c in enumerate(scored[:5], start=1):
            auto = accept and rank == 1
            summary.auto_accepted += auto
            rows.append(
                ReviewRow(
                    **base,
                    rank=str(rank),
                    qid=c.qid,
                    wikidata_label=c.label,
                    wikidata_description=c.description,
                    score=str(c.score),
                    reasons="; ".join(c.reasons),
                    decision="accept" if auto else "",
                    note="accepted automatically: unambiguous high score" if auto else "",
                )
            )
        if progress:
            progress(ent)
    return rows, summary


def _search_text(label: str, kind: str) -> str:
    """What to type into the search box: persons without academic titles."""
    return " ".join(_TITLE.sub(" ", label).split()) if kind == "person" else label


def write_review(rows: list[ReviewRow]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, REVIEW_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(asdict(r))
    return out.getvalue()


# ------------------------------------------------------------------------ applying a review


def read_review(text: str, name: str = "<review>") -> list[ReviewRow]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("entity", "qid", "decision") if c not in (reader.fieldnames or [])]
    if missing:
        raise ReviewError(f"{name}: not a review file (the header lacks {', '.join(missing)})")
    names = {f.name for f in fields(ReviewRow)}
    rows = []
    for n, raw in enumerate(reader, start=2):
        row = ReviewRow(**{k: (v or "").strip() for k, v in raw.items() if k in names})
        row.decision = row.decision.lower()
        if row.decision not in DECISIONS:
            raise ReviewError(f"{name}, line {n}: decision {row.decision!r} is not 'accept', 'reject' or empty")
        if row.decision and not row.qid:
            raise ReviewError(f"{name}, line {n}: a decision needs a qid")
        rows.append(row)
    return rows


def apply_review(
    rows: list[ReviewRow], table: list[linking.Link], *, reviewer: str, name: str = "<review>"
) -> tuple[list[linking.Link], dict[str, int]]:
    """The table with the decisions of ``rows`` applied; :class:`ReviewError` on a conflict."""
    today = dt.date.today().isoformat()
    by_key = {(r.entity, r.qid): r for r in table}
    accepted: dict[str, str] = {}
    counts = {"accepted": 0, "rejected": 0}
    for row in rows:
        if not row.decision:
            continue
        if row.decision == "accept":
            if accepted.get(row.entity, row.qid) != row.qid:
                raise ReviewError(f"{name}: {row.entity} is accepted as both {accepted[row.entity]} and {row.qid}")
            accepted[row.entity] = row.qid
            for (entity, qid), link in by_key.items():
                if entity == row.entity and qid != row.qid and link.status == "verified":
                    raise ReviewError(
                        f"{name}: {row.entity} already has a verified link to {qid}; "
                        f"reject that row in the table before accepting {row.qid}"
                    )
        evidence = (
            f"reconciled against {row.service or 'Wikidata'} on {row.searched or today}: score {row.score or '?'}"
            f" ({row.reasons or 'no reasons recorded'}); {row.decision}ed by {reviewer}"
            + (" after automatic acceptance" if "automatically" in row.note else "")
        )
        old = by_key.get((row.entity, row.qid))
        by_key[(row.entity, row.qid)] = linking.Link(
            entity=row.entity,
            label=old.label if old else row.label,
            qid=row.qid,
            relation=old.relation if old else "exactMatch",
            status="verified" if row.decision == "accept" else "rejected",
            basis=old.basis if old and old.basis else "reconciled",
            evidence=f"{old.evidence}; {evidence}" if old else evidence,
            note=old.note if old else "",
            date=today,
            curator=reviewer,
        )
        counts["accepted" if row.decision == "accept" else "rejected"] += 1
    return list(by_key.values()), counts


def apply_file(review: Path, table_path: Path, *, reviewer: str) -> dict[str, int]:
    """Apply a review file to the table file (atomically); the counts of accepted and rejected links."""
    try:
        text = review.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ReviewError(f"cannot read {review}: {getattr(e, 'strerror', None) or e}") from None
    rows = read_review(text, str(review))
    table = linking.load(table_path)
    updated, counts = apply_review(rows, table, reviewer=reviewer, name=str(review))
    linking.save(updated, table_path)
    return counts
