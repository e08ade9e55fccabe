"""The curated table of links to Wikidata (``wikidata-links.csv``) and its mapping to RDF.

One row per proposed link: our entity (its IRI path under ``id/``), the
Wikidata item, the SKOS mapping relation, a status, and the evidence for it.

Statuses:

* ``verified``: two or more independent sources or a curated registry agree,
  or a person confirmed the link in review (``ruhrkg link apply``);
* ``candidate``: a single source, or a source that may mean a namesake; kept
  with its evidence, but not asserted as a match until someone confirms it;
* ``rejected``: a person decided the item is *not* this entity; kept so the
  reconciliation never proposes it again.

RDF (all of it in the ``links`` named graph, never in the data graph, so
OWL-RL reasoning never sees it):

* every row becomes an ``rk:EntityLink`` resource with the status, the
  relation, the evidence, its grade (``rk:linkBasis``), a note, the date and
  who curated it;
* only a ``verified`` row adds the direct statement ``<entity>
  skos:exactMatch wd:Q…`` (or the row's weaker SKOS relation), which is what
  queries join on.

The relation is SKOS, not ``owl:sameAs``: under OWL-RL ``owl:sameAs`` would
merge our resource with Wikidata's and copy every statement of one to the
other; ``skos:exactMatch`` says the two describe the same thing and entails
nothing about either one's statements.

>>> rows = load()
>>> sorted({r.status for r in rows}) == ["candidate", "verified"]
True
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from ruhrkg.mappings import iris
from ruhrkg.mappings.vocab import ID, RK

WD = "http://www.wikidata.org/entity/"
TABLE = "wikidata-links.csv"
STATUSES = ("verified", "candidate", "rejected")
RELATIONS = {
    "exactMatch": SKOS.exactMatch,
    "closeMatch": SKOS.closeMatch,
    "broadMatch": SKOS.broadMatch,
    "narrowMatch": SKOS.narrowMatch,
    "relatedMatch": SKOS.relatedMatch,
}
STATUS_IRI = {"verified": RK.verified, "candidate": RK.candidate, "rejected": RK.rejected}
_QID = re.compile(r"Q[1-9][0-9]{0,11}")
_ENTITY = re.compile(r"[a-z]+/[a-z0-9][a-z0-9-]*")


class LinkTableError(ValueError):
    """A row of the link table that cannot be used; the message names the file, line and column."""


@dataclass(frozen=True)
class Link:
    """One row of the link table."""

    entity: str  # the IRI path under id/, e.g. ``city/essen``
    label: str  # our label, for people reading the table
    qid: str
    relation: str = "exactMatch"
    status: str = "candidate"
    basis: str = ""  # the grade of the evidence, e.g. ``two-or-more-sources-or-registry`` or ``reconciled``
    evidence: str = ""
    note: str = ""
    date: str = ""  # ISO date the row was curated
    curator: str = ""

    @property
    def entity_iri(self) -> URIRef:
        return URIRef(ID + self.entity)

    @property
    def item(self) -> URIRef:
        return URIRef(WD + self.qid)

    @property
    def kind(self) -> str:
        return self.entity.split("/", 1)[0]


COLUMNS = [f.name for f in fields(Link)]


def packaged_table() -> Path:
    """The table shipped with the package (in a checkout: ``mappings/wikidata-links.csv``)."""
    return Path(str(resources.files("ruhrkg.mappings").joinpath(TABLE)))


def load(path: str | Path | None = None) -> list[Link]:
    """Read and check a link table; :class:`LinkTableError` for the first bad row."""
    path = Path(path) if path else packaged_table()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise LinkTableError(f"cannot read the link table {path}: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise LinkTableError(f"the link table {path} is not UTF-8 (byte {e.start})") from e
    return parse(text, str(path))


def parse(text: str, name: str = "<link table>") -> list[Link]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("entity", "qid", "status", "evidence") if c not in (reader.fieldnames or [])]
    if missing:
        raise LinkTableError(f"{name}: the header lacks the column(s) {', '.join(missing)}")
    rows, seen = [], set()
    for n, raw in enumerate(reader, start=2):
        values = {c: (raw.get(c) or "").strip() for c in COLUMNS}
        link = Link(**{k: v for k, v in values.items() if v or k in ("entity", "label", "qid")})
        _check(link, f"{name}, line {n}")
        if (link.entity, link.qid) in seen:
            raise LinkTableError(f"{name}, line {n}: {link.entity} -> {link.qid} is listed twice")
        seen.add((link.entity, link.qid))
        rows.append(link)
    exact = {}
    for link in rows:
        if link.status == "verified" and link.relation == "exactMatch":
            if link.entity in exact:
                raise LinkTableError(
                    f"{name}: {link.entity} has two verified exact matches ({exact[link.entity]} and {link.qid}); "
                    "one thing has one Wikidata item"
                )
            exact[link.entity] = link.qid
    return rows


def _check(link: Link, where: str) -> None:
    if not _ENTITY.fullmatch(link.entity):
        raise LinkTableError(f"{where}: entity {link.entity!r} is not an IRI path such as 'city/essen'")
    if not _QID.fullmatch(link.qid):
        raise LinkTableError(f"{where}: qid {link.qid!r} is not a Wikidata item ID such as 'Q2066'")
    if link.relation not in RELATIONS:
        raise LinkTableError(f"{where}: relation {link.relation!r} is not one of {', '.join(RELATIONS)}")
    if link.status not in STATUSES:
        raise LinkTableError(f"{where}: status {link.status!r} is not one of {', '.join(STATUSES)}")
    if not link.evidence:
        raise LinkTableError(f"{where}: a link needs its evidence (where the Q-ID was found or who confirmed it)")
    if link.date:
        try:
            dt.date.fromisoformat(link.date)
        except ValueError:
            raise LinkTableError(f"{where}: date {link.date!r} is not an ISO date (YYYY-MM-DD)") from None


def dump(rows: Iterable[Link]) -> str:
    """The table as CSV text, sorted by entity then Q-ID (stable diffs)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for link in sorted(rows, key=lambda r: (r.entity, int(r.qid[1:]))):
        writer.writerow(asdict(link))
    return out.getvalue()


def save(rows: Iterable[Link], path: str | Path) -> None:
    """Write the table atomically: a crash leaves the old file or the new one, never half of one."""
    path = Path(path)
    text = dump(rows)
    parse(text, str(path))  # never write a table that cannot be read back
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def triples(rows: Iterable[Link]) -> Iterator[tuple]:
    """The links graph: one ``rk:EntityLink`` per row, and the direct SKOS statement for verified rows."""
    for link in rows:
        node = iris.link(link.entity, link.qid)
        yield node, RDF.type, RK.EntityLink
        yield node, RK.linkedEntity, link.entity_iri
        yield node, RK.linkTarget, link.item
        yield node, RK.matchRelation, RELATIONS[link.relation]
        yield node, RK.linkStatus, STATUS_IRI[link.status]
        yield node, RK.evidence, Literal(link.evidence)
        if link.basis:
            yield node, RK.linkBasis, Literal(link.basis)
        if link.note:
            yield node, SKOS.note, Literal(link.note, lang="en")
        if link.date:
            yield node, DCTERMS.date, Literal(link.date, datatype=XSD.date)
        if link.curator:
            yield node, RK.curator, Literal(link.curator)
        if link.status == "verified":
            yield link.entity_iri, RELATIONS[link.relation], link.item
