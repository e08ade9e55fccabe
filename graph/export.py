"""Serialisations of the graph: Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML.

Output is deterministic: statements are sorted by their N-Triples text, so
two builds of the same document give byte-identical files (apart from the
build time in the dataset description) and diffs stay small.
"""

from __future__ import annotations

import enum
import gzip
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ruhrkg.graph.formats import MEDIA_TYPES, RDF_FORMATS
from ruhrkg.mappings import links, sssom
from ruhrkg.mappings.vocab import GRAPHS, PREFIXES


@dataclass(frozen=True)
class Format:
    name: str
    rdf_format: ox.RdfFormat
    extension: str
    media_type: str
    quads: bool


def _format(name: str, extension: str, quads: bool) -> Format:
    """A format of :mod:`ruhrkg.graph.formats` (its pyoxigraph format and media type) with a file extension."""
    return Format(name, RDF_FORMATS[name], extension, MEDIA_TYPES[name], quads)


class ExportFormat(enum.Enum):
    """The export formats, by the names the CLI and URLs use."""

    TURTLE = _format("turtle", "ttl", False)
    NTRIPLES = _format("ntriples", "nt", False)
    NQUADS = _format("nquads", "nq", True)
    TRIG = _format("trig", "trig", True)
    JSONLD = _format("jsonld", "jsonld", False)
    RDFXML = _format("rdfxml", "rdf", False)

    @classmethod
    def named(cls, name: str) -> ExportFormat:
        for f in cls:
            if f.value.name == name or f.value.extension == name:
                return f
        raise ValueError(f"unknown format {name!r}; choose one of {', '.join(cls.names())}")

    @classmethod
    def names(cls) -> list[str]:
        return [f.value.name for f in cls]


class Selection(enum.Enum):
    """Which graphs an export holds."""

    DATA = "data"  # the asserted data graph
    ALL = "all"  # data, ontology, inferred (and links, when present)


def statements(store: ox.Store, fmt: ExportFormat, selection: Selection) -> list:
    """The sorted triples (or quads, for quad formats) of an export."""
    quads = sorted_quads(store, selection)
    return quads if fmt.value.quads else merged_triples(quads)


def sorted_quads(store: ox.Store, selection: Selection) -> list[ox.Quad]:
    """The quads of the selected graphs, sorted by graph, subject, predicate, object."""
    if selection is Selection.DATA:
        graphs = [ox.NamedNode(GRAPHS["data"])]
    else:
        graphs = sorted(store.named_graphs(), key=str)
    out = []
    for g in graphs:
        out += sorted(
            store.quads_for_pattern(None, None, None, g),
            key=lambda q: (str(q.subject), str(q.predicate), str(q.object)),
        )
    return out


def merged_triples(quads: list[ox.Quad]) -> list[ox.Triple]:
    """The triples of ``quads`` without their graph names, duplicates removed, sorted."""
    return sorted({q.triple for q in quads}, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def serialize(store: ox.Store, fmt: ExportFormat, selection: Selection = Selection.DATA) -> bytes:
    """One export as bytes."""
    return write(statements(store, fmt, selection), fmt)


def write(items: Iterable, fmt: ExportFormat, output=None):
    prefixes = PREFIXES if fmt in (ExportFormat.TURTLE, ExportFormat.TRIG, ExportFormat.RDFXML) else None
    return ox.serialize(items, output, fmt.value.rdf_format, prefixes=prefixes)


DUMP_FORMATS = (ExportFormat.TURTLE, ExportFormat.NTRIPLES, ExportFormat.NQUADS, ExportFormat.TRIG, ExportFormat.JSONLD)


def write_dumps(store: ox.Store, directory: Path) -> list[Path]:
    """The full dumps served under ``/downloads/``: every graph, plain and gzip-compressed.

    Triple formats merge the graphs; quad formats keep each graph's name.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    quads = sorted_quads(store, Selection.ALL)
    triples = merged_triples(quads)
    for fmt in DUMP_FORMATS:
        data = write(quads if fmt.value.quads else triples, fmt)
        path = directory / f"ruhrkg.{fmt.value.extension}"
        path.write_bytes(data)
        gz = path.with_name(path.name + ".gz")
        gz.write_bytes(gzip.compress(data, mtime=0))
        written += [path, gz]
    return written


def write_sssom(directory: Path, *, version: str, table: str | Path | None = None) -> Path:
    """The link table (``table``, default the packaged one) as SSSOM TSV beside the dumps
    (:mod:`ruhrkg.mappings.sssom`)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / sssom.FILE_NAME
    path.write_text(sssom.to_sssom(links.load(table), version=version), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Download:
    """One file a build publishes in its downloads directory (``/downloads/<name>``)."""

    name: str
    format: str  # an export format's name (``turtle`` ...) or ``sssom``
    media_type: str  # of the content (the compressed copies are served as ``application/gzip``)
    gzip: bool
    graphs: str | None  # RDF dumps: ``"named"`` (quad formats keep each graph's name) or ``"merged"``

    @property
    def served_type(self) -> str:
        """The media type the file is served as."""
        return "application/gzip" if self.gzip else self.media_type


def downloads() -> list[Download]:
    """Every file a build writes beside its store, in :data:`DUMP_FORMATS` order (plain, then gzip), then the
    links to Wikidata as SSSOM TSV: the one list the downloads page, the dataset description and the file route
    share."""
    out = [
        Download(f"ruhrkg.{f.value.extension}" + (".gz" if gz else ""), f.value.name, f.value.media_type, gz,
                 "named" if f.value.quads else "merged")
        for f in DUMP_FORMATS for gz in (False, True)
    ]  # fmt: skip
    return [*out, Download(sssom.FILE_NAME, "sssom", sssom.MEDIA_TYPE, False, None)]


@dataclass(frozen=True)
class Dump:
    """A download present in a build, with its size and SHA-256 (of the file as served)."""

    file: Download
    bytes: int
    sha256: str


def describe_dumps(directory: Path) -> list[Dump]:
    """The :func:`downloads` present in ``directory``, with size and checksum, in the order of :func:`downloads`."""
    out = []
    for d in downloads():
        path = directory / d.name
        if path.is_file():
            with path.open("rb") as f:  # streamed: a dump of a large build does not fit in memory
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            out.append(Dump(d, path.stat().st_size, digest))
    return out
