"""``ruhrkg build``: parse, map, validate, reason, load, export, publish.

>>> result = build(data_dir=tmp_path)              # doctest: +SKIP
>>> result.build.manifest["counts"]["forums"]      # doctest: +SKIP
20
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import yaml
from rdflib import Graph
from rdflib.namespace import RDF

from ruhrkg.graph import dataset, export, reason, remote, rules, terms, validate
from ruhrkg.graph.shared import (
    COUNTED,
    BuildError,
    BuildResult,
    check_description,
    link_counts,
    links_graph,
    ontology_graph,
    package_version,
    packaged_source,
    shapes_graph,
    write_build,
)
from ruhrkg.mappings import gazetteer as gazetteers
from ruhrkg.mappings import mapper
from ruhrkg.mappings.parser import parse_text
from ruhrkg.mappings.vocab import GRAPHS, PREFIXES, RK

REASONERS = ("auto", "owlrl", "rules")
ENGINES = ("auto", "rdflib", "oxigraph")
#: ``reasoner="auto"`` uses owlrl up to this many data triples (the real document has 2,800), rules above.
AUTO_RULES_ABOVE = 20_000

def build(
    *,
    source: str | Path | None = None,
    data_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    strict: bool = False,
    links: str | Path | None = None,
    reasoner: str = "auto",
    gazetteer: str | Path | None = None,
    engine: str = "auto",
    remote_store: remote.StoreSpec | None = None,
) -> BuildResult:
    """Build the graph from the source document into a new store and make it current.

    Raises :class:`BuildError` (and leaves the current build untouched) if the
    source cannot be read, the data does not conform to the SHACL shapes, the
    link table (``links``; default: the packaged ``wikidata-links.csv``) is
    invalid or names an entity the data lacks, or, with ``strict``, the parser
    reported uninterpreted text.

    ``reasoner``: ``owlrl`` (the reference), ``rules`` (the same entailments as
    SPARQL updates run by Oxigraph, :mod:`ruhrkg.graph.rules`; seconds where
    owlrl takes hours), or ``auto``: owlrl up to :data:`AUTO_RULES_ABOVE` data
    triples, rules beyond. ``gazetteer``: a YAML file of further places and
    organisations (the layout of ``gazetteer.yaml``), for documents that name
    ones the packaged gazetteer lacks.

    ``engine``: where the graph is held while it is validated and reasoned
    over. ``rdflib`` (pyshacl, then owlrl or the rules, as ``reasoner`` says) is
    the reference; ``oxigraph`` keeps everything in an in-memory Oxigraph store
    (SHACL compiled to SPARQL, :mod:`ruhrkg.graph.shacl_sparql`; the rule
    reasoner; counts by SPARQL; dumps in Oxigraph's own order, which is
    deterministic but not sorted), for documents far larger than the real one;
    ``auto`` picks rdflib up to :data:`AUTO_RULES_ABOVE` data triples.
    ``remote_store``: also publish the graphs into this remote SPARQL store
    (:func:`ruhrkg.graph.remote.publish`), after the local store and dumps are
    written and before ``current`` moves; if that fails, the store keeps its
    previous graphs, ``current`` stays, and :class:`BuildError` is raised.
    """
    say = progress or (lambda _msg: None)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = now - clock
        clock = now

    if reasoner not in REASONERS:
        raise BuildError(f"unknown reasoner {reasoner!r}; choose one of {', '.join(REASONERS)}")
    if engine not in ENGINES:
        raise BuildError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    gz = _gazetteer(gazetteer)
    text = _read_source(source)
    doc = parse_text(text, gazetteer=gz)
    lap("parse")
    say(f"parsed {len(doc.forums)} forums, {sum(len(f.events) for f in doc.forums)} events")
    if strict and doc.warnings:
        listed = "\n".join(f"  - {w}" for w in doc.warnings)
        raise BuildError(f"{len(doc.warnings)} parser warning(s) and strict mode is on:\n{listed}")

    mapped = list(mapper.document_triples(doc, gazetteer=gz or gazetteers.load()))
    if engine == "oxigraph" or (engine == "auto" and len(mapped) > AUTO_RULES_ABOVE):
        from ruhrkg.graph import large

        return large.build(mapped, doc, text, data_dir=data_dir, links=links, say=say, lap=lap, timings=timings,
                           remote_store=remote_store, shapes=shapes_graph())  # fmt: skip
    data = Graph()
    for prefix, ns in PREFIXES.items():
        data.bind(prefix, ns, replace=True)
    for t in mapped:
        data.add(t)
    del mapped
    ontology = ontology_graph()
    lap("map")

    report = validate.validate(data, shapes_graph())
    lap("validate")
    if not report.conforms:
        raise BuildError(report.text())
    say(report.text())

    linked = links_graph(data, links)
    lap("link")
    say(f"links: {len(linked)} triples in the links graph")

    engine = reasoner if reasoner != "auto" else ("owlrl" if len(data) <= AUTO_RULES_ABOVE else "rules")
    try:
        inferred = (reason.inferred_triples if engine == "owlrl" else rules.inferred_triples)(data, ontology)
    except rules.UnsupportedAxiom as e:
        raise BuildError(f"the rule reasoner cannot handle this ontology: {e}; use --reasoner owlrl") from None
    lap("reason")
    say(f"OWL-RL ({engine}): {len(inferred)} inferred triples")

    content_hash = _content_hash(data, ontology, linked)
    version = f"{package_version()}+{content_hash[:12]}"
    built_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    counts = {name: len(set(data.subjects(RDF.type, cls))) for name, cls in COUNTED.items()}
    entities = len({s for s in data.subjects(RDF.type, None)})
    dates = sorted(o.toPython() for p in (RK.startDate, RK.endDate) for o in data.objects(None, p))
    described = dataset.Facts(
        version=version,
        built_at=built_at,
        triples=len(data),
        entities=entities,
        class_counts={str(cls): counts[name] for name, cls in COUNTED.items()},
        temporal=(dates[0], dates[-1]) if dates else None,
    )
    description = dataset.description(described, publisher=dataset.Publisher.from_env())
    check_description(description)
    for t in description:
        data.add(t)
    lap("describe")

    def fill(st: ox.Store, staging: Path) -> dict:
        st.bulk_extend(terms.quads(data, GRAPHS["data"]))
        st.bulk_extend(terms.quads(ontology, GRAPHS["ontology"]))
        st.bulk_extend(terms.quads(inferred, GRAPHS["inferred"]))
        st.bulk_extend(terms.quads(linked, GRAPHS["links"]))
        st.flush()
        lap("load")
        export.write_dumps(st, staging / "downloads")
        export.write_sssom(staging / "downloads", version=version, table=links)
        lap("export")
        return {"data": len(data), "ontology": len(ontology), "inferred": len(inferred), "links": len(linked)}

    facts = {
        "counts": counts,
        "dataset": described.to_manifest(),
        "links": link_counts(linked),
        "partitions": _partitions(data),
        "reasoner": engine,
        "engine": "rdflib",
    }
    return write_build(data_dir, built_at, version, content_hash, text, doc, facts, fill,
                       remote_store=remote_store, say=say, lap=lap, timings=timings)  # fmt: skip


def _gazetteer(path: str | Path | None):
    if path is None:
        return None
    try:
        extra = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(extra, dict):
            raise ValueError("not a mapping of sections")
        return gazetteers.extended(extra)
    except OSError as e:
        raise BuildError(f"cannot read the gazetteer {path}: {e.strerror or e}") from None
    except (yaml.YAMLError, ValueError, KeyError, TypeError) as e:
        raise BuildError(f"the gazetteer {path} cannot be used: {e}") from None


def _read_source(source: str | Path | None) -> str:
    if source is None:
        return packaged_source()
    try:
        raw = Path(source).read_bytes()
    except OSError as e:
        raise BuildError(f"cannot read the source document {source}: {e.strerror or e}") from e
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BuildError(f"the source document {source} is not UTF-8 text (byte {e.start})") from e
    if "Steckbrief Themenforum" not in text:
        raise BuildError(f"{source} holds no 'Steckbrief Themenforum' section: is it the Steckbriefe document?")
    return text


def _partitions(g: Graph) -> dict:
    """VoID class and property partitions of the data graph: entities per class, triples per property."""
    classes: dict[str, set] = {}
    properties: dict[str, int] = {}
    for s, p, o in g:
        properties[str(p)] = properties.get(str(p), 0) + 1
        if p == RDF.type:
            classes.setdefault(str(o), set()).add(s)
    return {
        "classes": {c: len(members) for c, members in sorted(classes.items())},
        "properties": dict(sorted(properties.items())),
    }


def _content_hash(*graphs: Graph) -> str:
    h = hashlib.sha256()
    for g in graphs:
        for line in sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in g):
            h.update(line.encode("utf-8") + b"\n")
        h.update(b"--\n")
    return h.hexdigest()
