"""What both build engines share (:mod:`ruhrkg.graph.build`, the rdflib pipeline, and :mod:`ruhrkg.graph.large`,
the Oxigraph one): the packaged source, ontology and shapes, the links graph, and writing a finished build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import RDF

from ruhrkg.graph import remote, store, validate
from ruhrkg.mappings import links as linking
from ruhrkg.mappings.records import ParseWarning
from ruhrkg.mappings.vocab import RK


class BuildError(Exception):
    """A build that cannot finish; the previous build stays current."""


@dataclass
class BuildResult:
    build: store.Build
    warnings: list[ParseWarning]
    timings: dict[str, float] = field(default_factory=dict)


COUNTED = {
    "forums": RK.Forum,
    "events": RK.Event,
    "ministries": RK.Ministry,
    "units": RK.OrganizationalUnit,
    "persons": RK.Person,
    "memberships": RK.ForumMembership,
    "organizations": RK.Organization,
    "venues": RK.Venue,
    "cities": RK.City,
}


def packaged_source() -> str:
    return resources.files("ruhrkg.source").joinpath("steckbriefe-themenforen-2019.txt").read_text(encoding="utf-8")


def ontology_graph() -> Graph:
    return _packaged_ttl("ruhrkg.ttl")


def shapes_graph() -> Graph:
    return _packaged_ttl("shapes.ttl")


def _packaged_ttl(name: str) -> Graph:
    g = Graph()
    g.parse(data=resources.files("ruhrkg.ontology").joinpath(name).read_text(encoding="utf-8"), format="turtle")
    return g


def package_version() -> str:
    try:
        return metadata.version("ruhrkg")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"


def write_build(
    data_dir, built_at: dt.datetime, version: str, content_hash: str, text: str, doc, facts: dict,
    fill: Callable[[ox.Store, Path], dict], *, remote_store, say: Callable, lap: Callable, timings: dict,
) -> BuildResult:  # fmt: skip
    """Write a new build under the build lock and make it current; both engines end here.

    ``fill(store, staging)`` loads the new on-disk store, writes the dumps into
    ``staging / "downloads"`` and returns the triples per graph; ``facts`` are
    the engine's manifest entries (counts, partitions, ...). With
    ``remote_store`` the graphs are also published there before ``current``
    moves; if that fails, :class:`BuildError` and nothing moves.
    """
    root = store.data_dir(data_dir)
    with store.build_lock(root):
        build_id = f"{built_at:%Y%m%dT%H%M%SZ}-{content_hash[:12]}"
        staging = store.staging_dir(root, build_id)
        try:
            st = ox.Store(str(staging / "store"))
            triples = fill(st, staging)
            published_remote = None
            if remote_store is not None:
                try:
                    published_remote = remote.publish(remote_store, st, build_id, data_dir=root, progress=say)
                except remote.RemoteStoreError as e:
                    raise BuildError(f"publishing to the SPARQL store failed: {e}") from None
                lap("remote")
            del st
            manifest = {
                "version": version,
                "content_hash": content_hash,
                "built_at": built_at.isoformat(),
                "source_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "triples": triples,
                **facts,
                "warnings": [{"line": w.line, "fragment": w.fragment, "message": w.message} for w in doc.warnings],
                "timings": {k: round(v, 4) for k, v in timings.items()},
            }
            if published_remote is not None:
                manifest["store"] = published_remote
            published = store.publish(root, staging, manifest)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)  # a failed build leaves nothing half-written behind
            raise
        lap("publish")
    published.manifest["timings"] = {k: round(v, 4) for k, v in timings.items()}
    return BuildResult(published, doc.warnings, timings)


def check_description(description: Graph) -> None:
    """The dataset description against the shapes (``rksh:DatasetShape``): a :class:`BuildError` if it fails
    (the publisher and contact point come from the environment, :meth:`ruhrkg.graph.dataset.Publisher.from_env`)."""
    report = validate.validate(description, shapes_graph())
    if not report.conforms:
        raise BuildError(report.text())


def links_graph(data: Graph | set, table: str | Path | None = None) -> Graph:
    """The links graph from the curated link table, checked against the data and the shapes.

    Kept out of the data graph and out of reasoning: the links say how our
    entities correspond to Wikidata items, not what the entities are.
    """
    try:
        rows = linking.load(table)
    except linking.LinkTableError as e:
        raise BuildError(str(e)) from None
    typed = data if isinstance(data, set) else set(data.subjects(RDF.type, None))
    unknown = sorted({r.entity for r in rows if r.entity_iri not in typed})
    if unknown:
        raise BuildError(
            f"the link table {table or linking.packaged_table()} names entities the data does not have: "
            + ", ".join(unknown)
        )
    g = Graph()
    for t in linking.triples(rows):
        g.add(t)
    report = validate.validate(g, shapes_graph())
    if not report.conforms:
        raise BuildError(report.text())
    return g


def link_counts(g: Graph) -> dict:
    """The number of links per status."""
    by_status: dict[str, int] = {}
    for status in g.objects(None, RK.linkStatus):
        name = str(status).rsplit("#", 1)[-1]
        by_status[name] = by_status.get(name, 0) + 1
    return dict(sorted(by_status.items()))
