"""The build for documents far larger than the real one: everything in an in-memory Oxigraph store.

:func:`ruhrkg.graph.build.build` hands over here (``engine="oxigraph"``, or
``auto`` above 20,000 data triples). The stages are those of the reference
build, with Oxigraph doing the work that pure-Python libraries cannot do at
millions of triples:

* map: the mapper's triples go straight into the store (no rdflib graph);
* validate: the SHACL shapes compiled to SPARQL (:mod:`ruhrkg.graph.shacl_sparql`,
  tested to report what pyshacl reports);
* link: the curated link table, checked against the typed subjects;
* reason: the OWL 2 RL rules as SPARQL updates (:mod:`ruhrkg.graph.rules`,
  tested to infer what owlrl infers);
* describe: counts and VoID partitions by SPARQL, the content hash over the
  N-Triples lines of data, ontology and links, sorted;
* load: the store is written as N-Quads by Oxigraph and bulk-loaded into the
  build's on-disk store (both in Rust);
* export: the dumps in Oxigraph's own order, which is deterministic for the
  same content but not sorted (sorting millions of statements in Python
  costs more than the rest of the build).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from ruhrkg.graph import dataset, export, rules, terms
from ruhrkg.mappings.vocab import GRAPHS, PREFIXES, RK

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def build(mapped: list, doc, text: str, *, data_dir, links, say: Callable, lap: Callable, timings: dict,
          remote_store=None, shapes: Graph | None = None):  # fmt: skip
    """The build of :func:`ruhrkg.graph.build.build` in an in-memory Oxigraph store; ``shapes`` (default: the
    packaged ones) are what the data is validated against."""
    from ruhrkg.graph import shacl_sparql
    from ruhrkg.graph.shared import (
        COUNTED,
        BuildError,
        check_description,
        link_counts,
        links_graph,
        ontology_graph,
        package_version,
        shapes_graph,
        write_build,
    )

    names = {k: ox.NamedNode(GRAPHS[k]) for k in ("data", "ontology", "inferred", "links")}
    mem = ox.Store()
    n_data = len(mapped)
    mem.bulk_extend(terms.quads(mapped, GRAPHS["data"]))
    del mapped
    ontology = ontology_graph()
    mem.bulk_extend(terms.quads(ontology, GRAPHS["ontology"]))
    lap("map")
    say(f"mapped {n_data} triples into an in-memory Oxigraph store")

    try:
        report = shacl_sparql.validate_store(mem, GRAPHS["data"], shapes if shapes is not None else shapes_graph())
    except shacl_sparql.UnsupportedShape as e:
        raise BuildError(f"the shapes cannot be checked as SPARQL: {e}; use --engine rdflib") from None
    lap("validate")
    if not report.conforms:
        raise BuildError(report.text())
    say(report.text().replace("SHACL:", "SHACL (as SPARQL):", 1))

    typed = {terms.from_ox(q.subject) for q in mem.quads_for_pattern(None, RDF_TYPE, None, names["data"])}
    linked = links_graph(typed, links)
    del typed
    mem.bulk_extend(terms.quads(linked, GRAPHS["links"]))
    lap("link")

    try:
        n_inferred = rules.inferred_quads(mem, GRAPHS["data"], GRAPHS["ontology"], GRAPHS["inferred"])
    except rules.UnsupportedAxiom as e:
        raise BuildError(f"the rule reasoner cannot handle this ontology: {e}") from None
    lap("reason")
    say(f"OWL-RL (rules): {n_inferred} inferred triples")

    content_hash = _hash(mem, [names["data"], names["ontology"], names["links"]])
    version = f"{package_version()}+{content_hash[:12]}"
    built_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    classes = _class_counts(mem)
    counts = {name: classes.get(str(cls), 0) for name, cls in COUNTED.items()}
    entities = _scalar(mem, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c }")
    partitions = {"classes": dict(sorted(classes.items())), "properties": _property_counts(mem)}
    first, last = _date_range(mem)
    described = dataset.Facts(
        version=version,
        built_at=built_at,
        triples=n_data,
        entities=entities,
        class_counts={str(cls): counts[name] for name, cls in COUNTED.items()},
        temporal=(first, last) if first and last else None,
    )
    description = dataset.description(described, publisher=dataset.Publisher.from_env())
    check_description(description)
    mem.bulk_extend(terms.quads(description, GRAPHS["data"]))
    lap("describe")

    held = [mem]  # handed to fill(), which drops it once loaded: the dumps need the memory at x1000
    del mem

    def fill(st: ox.Store, staging: Path) -> dict:
        source = held.pop()
        st.bulk_load(source.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
        st.flush()
        del source
        lap("load")
        write_dumps(st, staging / "downloads")
        export.write_sssom(staging / "downloads", version=version, table=links)
        lap("export")
        return {k: _scalar(st, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{g.value}> {{ ?s ?p ?o }} }}")
                for k, g in names.items()}  # fmt: skip

    facts = {
        "counts": counts,
        "dataset": described.to_manifest(),
        "links": link_counts(linked),
        "partitions": partitions,
        "reasoner": "rules",
        "engine": "oxigraph",
    }
    return write_build(data_dir, built_at, version, content_hash, text, doc, facts, fill,
                       remote_store=remote_store, say=say, lap=lap, timings=timings)  # fmt: skip


def _date_range(st: ox.Store) -> tuple[dt.date | None, dt.date | None]:
    """The first start date and the last end date of the events in the data graph."""
    q = (f"SELECT (MIN(?s) AS ?first) (MAX(?e) AS ?last) WHERE {{ GRAPH <{GRAPHS['data']}> "
         f"{{ {{ ?x <{RK.startDate}> ?s }} UNION {{ ?x <{RK.endDate}> ?e }} }} }}")  # fmt: skip
    row = next(iter(st.query(q)))
    return tuple(dt.date.fromisoformat(row[v].value) if row[v] is not None else None for v in ("first", "last"))


def _scalar(st: ox.Store, query: str) -> int:
    return int(next(iter(st.query(query)))["n"].value)


def _class_counts(st: ox.Store) -> dict[str, int]:
    q = f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH <{GRAPHS['data']}> {{ ?s a ?c }} }} GROUP BY ?c"
    return {s["c"].value: int(s["n"].value) for s in st.query(q)}


def _property_counts(st: ox.Store) -> dict[str, int]:
    q = f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPHS['data']}> {{ ?s ?p ?o }} }} GROUP BY ?p"
    return dict(sorted((s["p"].value, int(s["n"].value)) for s in st.query(q)))


def _hash(st: ox.Store, graphs: list[ox.NamedNode]) -> str:
    """SHA-256 over the sorted N-Triples lines of each graph (a graph's separator after it)."""
    h = hashlib.sha256()
    for g in graphs:
        lines = st.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g).splitlines()
        lines.sort()
        for line in lines:
            h.update(line + b"\n")
        h.update(b"--\n")
    return h.hexdigest()


def write_dumps(st: ox.Store, directory: Path) -> list[Path]:
    """The files of :func:`ruhrkg.graph.export.write_dumps`, written by Oxigraph without sorting.

    N-Quads, TriG and JSON-LD hold the named graphs (JSON-LD as a dataset, one ``@graph``
    per graph); N-Triples and Turtle are each graph's document, concatenated (still one
    valid document of the merged graphs). The gzip copies are compressed (level 3) in
    a second thread while Oxigraph writes the next format.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    graphs = sorted(st.named_graphs(), key=str)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = []
        for fmt in export.DUMP_FORMATS:
            path = directory / f"ruhrkg.{fmt.value.extension}"
            rdf_format = fmt.value.rdf_format
            prefixes = PREFIXES if fmt in (export.ExportFormat.TURTLE, export.ExportFormat.TRIG) else None
            if rdf_format.supports_datasets:
                st.dump(str(path), format=rdf_format, prefixes=prefixes)
            else:
                with open(path, "wb") as out:
                    for g in graphs:
                        out.write(st.dump(format=rdf_format, from_graph=g, prefixes=prefixes))
            pending.append(pool.submit(_gzip, path))
            written.append(path)
        written += [p.result() for p in pending]
    return written


def _gzip(path: Path) -> Path:
    gz = path.with_name(path.name + ".gz")
    with open(path, "rb") as src, gzip.GzipFile(gz, "wb", compresslevel=3, mtime=0) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    return gz


__all__ = ["build", "write_dumps"]
