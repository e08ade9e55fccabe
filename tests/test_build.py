"""End-to-end: the whole document built into the on-disk store, checked through the saved queries."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import PROV, RDF

from ruhrkg.graph import build as building
from ruhrkg.graph import export, query, reason, remote, saved
from ruhrkg.graph import store as stores
from ruhrkg.mappings import iris
from ruhrkg.mappings.mapper import to_graph
from ruhrkg.mappings.vocab import GRAPHS, RK
from ruhrkg.server.cli import main


def rows(store, name, **params):
    """A saved query's solutions as dicts of Python values (None where unbound)."""
    q = saved.load(name)
    subs = query.substitutions(q, {k: [str(v)] for k, v in params.items()})
    result = query.execute(store, q.text, substitutions=subs)
    names = [v.value for v in result.variables]
    return [{n: _py(s[n]) for n in names} for s in result]


def _py(term):
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        dtype = term.datatype.value.rsplit("#", 1)[-1]
        if dtype == "integer":
            return int(term.value)
        if dtype == "date":
            return dt.date.fromisoformat(term.value)
        if dtype == "boolean":
            return term.value == "true"
        return term.value
    return term.value


def test_twenty_forums(store):
    forums = rows(store, "forums")
    assert [r["number"] for r in forums] == list(range(1, 21))
    assert forums[0]["forum"] == "https://w3id.org/ruhrkg/id/forum/01"
    assert forums[0]["title"] == "#Chancen, #Vielfalt, #Aufstieg"
    assert forums[0]["leadMinistry"] == "MKFFI"
    assert [r["leadMinistry"] for r in forums[16:]] == ["Stk", "Stk", "Stk", "Stk"]
    assert forums[13]["question"].startswith("Wie kann die Grüne Infrastruktur gestärkt werden")


def test_events_of_forum_01(store):
    events = [r for r in rows(store, "events") if r["number"] == 1]
    assert events == [
        {"number": 1, "ordinal": 1, "format": "Veranstaltung", "startDate": dt.date(2019, 4, 8),
         "endDate": dt.date(2019, 4, 8), "startTime": "12:00", "endTime": "18:00", "allDay": False,
         "venue": "Signal Iduna Park", "city": "Dortmund", "participantsMin": 100, "participantsMax": 100},
        {"number": 1, "ordinal": 2, "format": "Veranstaltung", "startDate": dt.date(2019, 6, 3),
         "endDate": dt.date(2019, 6, 3), "startTime": None, "endTime": None, "allDay": None,
         "venue": "Wissenschaftspark Gelsenkirchen", "city": "Gelsenkirchen", "participantsMin": None,
         "participantsMax": None},
    ]  # fmt: skip


def test_events_of_forums_03_05_17_and_20(store):
    by_key = {(r["number"], r["ordinal"], r["venue"]): r for r in rows(store, "events")}
    e = by_key[(3, 2, "Wissenschaftspark Gelsenkirchen")]
    assert (e["format"], e["startTime"], e["endTime"], e["participantsMin"]) == ("Workshop", "09:00", "15:15", None)
    e = by_key[(3, 1, "Haus der Technik")]
    assert (e["allDay"], e["startTime"], e["participantsMin"], e["participantsMax"]) == (True, None, 560, 560)
    assert {k[2] for k in by_key if k[:2] == (5, 3)} == {"Museum Küppersmühle", "Startport"}
    e = by_key[(5, 2, None)]
    assert (e["format"], e["startDate"], e["city"]) == ("Expertengespräche", None, None)
    e = by_key[(17, 3, None)]
    assert (e["startDate"], e["endDate"], e["city"]) == (dt.date(2019, 5, 28), dt.date(2019, 5, 30), "Tel Aviv")
    e = by_key[(20, 1, "wewole WERKEN gGmbH")]
    assert (e["participantsMin"], e["participantsMax"], e["city"]) == (30, 40, "Castrop-Rauxel")
    e = by_key[(20, 2, None)]
    assert (e["startDate"], e["city"], e["format"]) == (dt.date(2019, 5, 8), "Dortmund", "Meeting")
    assert len({(n, o) for n, o, _ in by_key}) == 47


def test_moderation_team_of_forum_14(store):
    team = [r for r in rows(store, "moderators") if r["number"] == 14]
    assert team == [
        {"number": 14, "name": "Ursula Heinen-Esser", "position": "Ministerin", "organization": None},
        {"number": 14, "name": "Ulrich Paetzel", "position": "Vorstandsvorsitzender", "organization": "Emschergenossenschaft"},
        {"number": 14, "name": "Josef Tumbrinck", "position": "Vorsitzender", "organization": "NABU NRW"},
    ]  # fmt: skip


def test_forum_ministries_roles(store):
    got = {(r["number"], r["ministry"], r["role"]) for r in rows(store, "forum-ministries")}
    assert (1, "Stk", "participating") in got  # Stk/Sport counts as Stk
    assert (6, "MHKBG", "participating") in got  # printed MHKGB
    assert (15, "MWIDE", "interested") in got and (15, "MWIDE", "participating") not in got
    assert {m for n, m, r in got if n == 3 and r == "participating"} == {
        "JM",
        "FM",
        "MSB",
        "MKFFI",
        "MAGS",
        "MHKBG",
        "VM",
        "Stk",
    }
    assert sum(1 for _, _, r in got if r == "lead") == 20


def test_ministry_co_participation(store):
    pairs = {(r["ministryA"], r["ministryB"]): r["forums"] for r in rows(store, "ministry-co-participation")}
    assert all(a < b for a, b in pairs)
    assert pairs[("IM", "JM")] == 2  # forums 03 and 12
    assert ("MKW", "MWIDE") in pairs and pairs[("MKW", "MWIDE")] == 3  # 05, 06, 17; 15 and 16 only "interested"
    # computed independently from the parsed records
    from collections import Counter
    from itertools import combinations

    from ruhrkg.mappings.parser import parse_text

    expected = Counter()
    for f in parse_text(building.packaged_source()).forums:
        codes = sorted({f.ressort.lead.code, *(m.code for m in f.ressort.participating)})
        expected.update(combinations(codes, 2))
    assert pairs == dict(expected)


def test_one_venue_one_iri(store):
    def venue_of(n, o):
        res = store.query(
            "SELECT ?e ?v WHERE { ?e <https://w3id.org/ruhrkg/def#venue> ?v }",
            substitutions={ox.Variable("e"): ox.NamedNode(str(iris.event(n, o)))},
            use_default_graph_as_union=True,
        )
        return [s["v"] for s in res]

    assert (
        venue_of(1, 2)
        == venue_of(3, 2)
        == [ox.NamedNode("https://w3id.org/ruhrkg/id/venue/wissenschaftspark-gelsenkirchen")]
    )
    assert venue_of(3, 1) == venue_of(18, 2)  # "Haus der Technik Essen" and "Haus der Technik, Essen"


def test_one_person_one_iri_across_forums(store):
    res = store.query(
        "SELECT ?p (COUNT(?m) AS ?n) WHERE { ?m <https://w3id.org/ruhrkg/def#member> ?p } GROUP BY ?p",
        substitutions={ox.Variable("p"): ox.NamedNode(str(iris.person("Andreas Pinkwart")))},
        use_default_graph_as_union=True,
    )
    assert int(next(iter(res))["n"].value) == 2


def test_named_graphs_and_manifest(built, store):
    assert {g.value for g in store.named_graphs()} == {
        str(GRAPHS[g]) for g in ("data", "ontology", "inferred", "links")
    }
    m = built.manifest
    assert m["triples"]["links"] == len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(GRAPHS["links"]))))
    assert m["counts"]["forums"] == 20 and m["counts"]["events"] == 47
    assert m["warnings"] == []
    assert set(m["timings"]) >= {"parse", "map", "validate", "link", "reason", "load"}


def test_dataset_description_is_in_the_graph(store, built):
    q = """PREFIX void: <http://rdfs.org/ns/void#> PREFIX dcat: <http://www.w3.org/ns/dcat#>
    PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX dct: <http://purl.org/dc/terms/>
    SELECT ?version ?time ?source ?n WHERE {
      ?d dcat:version ?version ; prov:generatedAtTime ?time ; prov:wasDerivedFrom ?source ;
         void:classPartition [ void:class <https://w3id.org/ruhrkg/def#Forum> ; void:entities ?n ] }"""
    (r,) = list(query.execute(store, q))
    assert r["version"].value == built.version
    assert r["source"].value == str(iris.source())
    assert r["n"].value == "20"


def test_provenance_quotes_the_source_lines(store, source_text):
    lines = source_text.split("\n")
    q = """PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX rk: <https://w3id.org/ruhrkg/def#>
    SELECT ?x ?start ?end ?text WHERE {
      VALUES ?cls { rk:Forum rk:Event rk:Person }
      ?x a ?cls ; prov:wasDerivedFrom ?ex . ?ex rk:startLine ?start ; rk:endLine ?end ; rk:text ?text }"""
    seen = set()
    for r in query.execute(store, q):
        start, end = int(r["start"].value), int(r["end"].value)
        assert r["text"].value == "\n".join(lines[start - 1 : end])
        seen.add(r["x"].value)
    missing = """PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX rk: <https://w3id.org/ruhrkg/def#>
    SELECT ?x WHERE { VALUES ?cls { rk:Forum rk:Event rk:Person } ?x a ?cls FILTER NOT EXISTS { ?x prov:wasDerivedFrom ?e } }"""
    assert list(query.execute(store, missing)) == []
    assert len(seen) == 20 + 47 + 39


def test_every_line_of_the_document_is_covered(doc):
    """Nothing is silently dropped: every non-blank line lies in a forum's span or the preamble."""
    covered = set()
    for f in doc.forums:
        covered.update(range(f.span.start, f.span.end + 1))
    first = doc.forums[0].span.start
    uncovered = [i + 1 for i, line in enumerate(doc.lines) if line.strip() and i + 1 not in covered and i + 1 >= first]
    assert uncovered == []
    preamble = [line.strip() for line in doc.lines[: first - 1] if line.strip()]
    assert preamble == [doc.title, "1. Juni 2019"]


def test_shacl_conformance(doc):
    from ruhrkg.graph.validate import validate

    report = validate(to_graph(doc), building.shapes_graph())
    assert report.conforms, report.text()


def test_shacl_violation_is_reported_readably(doc):
    from ruhrkg.graph.validate import validate

    g = to_graph(doc)
    g.remove((iris.forum(3), RK.leadMinistry, None))
    report = validate(g, building.shapes_graph())
    assert not report.conforms
    assert "forum/03" in report.text() and "leadMinistry" in report.text()


def test_inferred_graph_equals_plain_owlrl_closure(doc):
    data, ontology = to_graph(doc), building.ontology_graph()
    fast = reason.inferred_triples(data, ontology)
    reference = reason.reference_inferred_triples(data, ontology)
    assert set(fast) == set(reference)
    assert (
        URIRef(str(iris.forum(1))),
        RDF.type,
        URIRef("http://www.w3.org/ns/org#OrganizationalCollaboration"),
    ) in fast
    assert (iris.forum(15), RK.ministryTakingPart, iris.ministry("MWIDE")) not in fast
    assert (iris.forum(15), RK.ministryInvolved, iris.ministry("MWIDE")) in fast


@pytest.mark.parametrize("fmt", list(export.ExportFormat), ids=lambda f: f.value.name)
@pytest.mark.parametrize("selection", list(export.Selection), ids=lambda s: s.value)
def test_export_round_trips(store, fmt, selection):
    from ruhrkg.graph.terms import from_ox

    data = export.serialize(store, fmt, selection)
    rdflib_format = {"turtle": "turtle", "ntriples": "nt", "nquads": "nquads", "trig": "trig",
                     "jsonld": "json-ld", "rdfxml": "xml"}[fmt.value.name]  # fmt: skip
    if fmt.value.quads:
        from rdflib import Dataset

        parsed = Dataset()
        parsed.parse(data=data, format=rdflib_format)
        got = {(str(g.identifier), s, p, o) for g in parsed.graphs() for s, p, o in g}
        want = {(q.graph_name.value, from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
                for q in export.statements(store, fmt, selection)}  # fmt: skip
        assert got == want
    else:
        parsed = Graph().parse(data=data, format=rdflib_format)
        expected = Graph()
        for t in export.statements(store, fmt, selection):
            expected.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))
        assert len(parsed) == len(expected) > 2000
        assert isomorphic(parsed, expected)


def test_turtle_export_is_deterministic(store):
    a = export.serialize(store, export.ExportFormat.TURTLE)
    b = export.serialize(store, export.ExportFormat.TURTLE)
    assert a == b
    assert a.startswith(b"@prefix")


def test_dumps_written_at_build_time(built):
    names = sorted(p.name for p in built.downloads.iterdir())
    assert "ruhrkg.ttl" in names and "ruhrkg.nq.gz" in names and "ruhrkg-links.sssom.tsv" in names
    assert len(names) == 11  # five RDF formats, plain and gzip, and the links as SSSOM


def test_rebuild_with_a_broken_source_keeps_the_previous_build(tmp_path, data_dir, built):
    bad = tmp_path / "bad.txt"
    text = building.packaged_source().replace("Ressort: IM (beteiligte", "Ressort: (beteiligte")
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(building.BuildError, match="leadMinistry"):
        building.build(source=bad, data_dir=data_dir)
    assert stores.current(data_dir).path == built.path
    assert not list((data_dir / "builds").glob("*.partial"))
    assert rows(stores.current(data_dir).open_store(), "forums")[2]["leadMinistry"] == "IM"


def test_a_build_that_fails_while_writing_leaves_nothing_behind(tmp_path, data_dir):
    root = tmp_path / "data"
    shutil.copytree(data_dir, root, symlinks=True)
    first = stores.current(root)
    with socket.socket() as s:  # a port nothing listens on: publishing fails after the store was written
        s.bind(("127.0.0.1", 0))
        dead = remote.StoreSpec.parse(f"http://127.0.0.1:{s.getsockname()[1]}", env={})
    with pytest.raises(building.BuildError, match="publishing to the SPARQL store failed"):
        building.build(data_dir=root, remote_store=dead)
    assert not list((root / "builds").glob("*.partial"))
    assert stores.current(root).path == first.path


def test_killed_build_leaves_the_previous_build_usable(tmp_path):
    root = tmp_path / "data"
    building.build(data_dir=root)
    first = stores.current(root)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from ruhrkg.server.cli import main; main()", "build", "--data-dir", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not list((root / "builds").glob("*.partial")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    now = stores.current(root)
    assert now.path == first.path or (now.path / "build.json").exists()
    assert len(rows(now.open_store(), "forums")) == 20
    building.build(data_dir=root)  # the next build cleans up and succeeds
    assert not list((root / "builds").glob("*.partial"))


def test_concurrent_builds_are_refused(tmp_path):
    root = tmp_path / "data"
    with stores.build_lock(root.resolve()):
        with pytest.raises(stores.StoreError, match="another build"):
            building.build(data_dir=root)


def test_source_that_is_not_the_document(tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("Hallo Welt\n", encoding="utf-8")
    with pytest.raises(building.BuildError, match="Steckbrief Themenforum"):
        building.build(source=other, data_dir=tmp_path / "d")
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(building.BuildError, match="not UTF-8"):
        building.build(source=binary, data_dir=tmp_path / "d")
    assert not stores.has_build(tmp_path / "d")


def test_prov_links_use_rfc5147_fragments(store):
    res = query.execute(
        store,
        "SELECT ?f ?e WHERE { ?f <http://www.w3.org/ns/prov#wasDerivedFrom> ?e }",
        substitutions={ox.Variable("f"): ox.NamedNode(str(iris.forum(1)))},
    )
    (row,) = list(res)
    assert row["e"].value.endswith("steckbriefe-themenforen-2019#line=8,42")


def test_build_json_is_valid_json(built):
    assert json.loads((built.path / "build.json").read_text())["version"] == built.version


def test_every_forum_event_person_is_typed_once(store):
    q = """SELECT ?x (COUNT(?t) AS ?n) WHERE { ?x a ?t FILTER(STRSTARTS(STR(?t), "https://w3id.org/ruhrkg/def#")) }
           GROUP BY ?x HAVING (COUNT(?t) > 1)"""
    assert list(query.execute(store, q)) == []


def test_prov_predicate_is_used(doc):
    assert any(True for _ in to_graph(doc).triples((None, PROV.wasDerivedFrom, None)))


@pytest.fixture(autouse=True)
def _no_env_data_dir(monkeypatch):
    monkeypatch.delenv("RUHRKG_DATA_DIR", raising=False)
    yield
    assert os.environ.get("RUHRKG_DATA_DIR") is None


# --------------------------------------------------------------------------- reasoners and larger documents


def test_the_rule_reasoner_builds_the_same_inferred_graph(tmp_path, store):
    result = building.build(data_dir=tmp_path, reasoner="rules")
    assert result.build.manifest["reasoner"] == "rules"
    inferred = ox.NamedNode(GRAPHS["inferred"])
    mine = set(result.build.open_store().quads_for_pattern(None, None, None, inferred))
    assert mine == set(store.quads_for_pattern(None, None, None, inferred)) and len(mine) > 2000


def test_auto_uses_owlrl_for_the_real_document(built):
    assert built.manifest["reasoner"] == "owlrl"


def test_an_unknown_reasoner_is_refused(tmp_path):
    with pytest.raises(building.BuildError, match="unknown reasoner 'pellet'"):
        building.build(data_dir=tmp_path, reasoner="pellet")


def test_a_synthetic_corpus_builds_with_its_gazetteer(tmp_path, runner):
    """Three copies of the document (60 forums) with invented places: the CLI takes the gazetteer extension."""
    sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
    import synth

    corpus = synth.generate(3, seed=7)
    source, gazetteer = tmp_path / "corpus.txt", tmp_path / "corpus.gazetteer.yaml"
    source.write_text(corpus.text, encoding="utf-8")
    gazetteer.write_text(yaml.safe_dump(corpus.gazetteer, allow_unicode=True), encoding="utf-8")
    without = runner.invoke(main, ["build", "--data-dir", str(tmp_path / "a"), "--source", str(source), "-q"])
    assert "warning:" in without.output  # the invented venues are unknown to the packaged gazetteer
    args = ["build", "--data-dir", str(tmp_path / "b"), "--source", str(source), "--gazetteer", str(gazetteer),
            "--strict", "-q"]  # fmt: skip
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert stores.current(tmp_path / "b").manifest["counts"]["forums"] == 60


def test_a_bad_gazetteer_is_a_clear_error(tmp_path, runner):
    bad = tmp_path / "g.yaml"
    bad.write_text("venues:\n  - {key: zollverein, name: Doppelt, city: essen}\n")
    result = runner.invoke(main, ["build", "--data-dir", str(tmp_path), "--gazetteer", str(bad), "-q"])
    assert result.exit_code == 1 and "'zollverein' is already defined" in result.output
    assert "Traceback" not in result.output


def _quads_without_description(st: ox.Store) -> set:
    """Every quad but the dataset description (its version hash and build time differ between builds)."""
    described = {iris.dataset().toPython()} | {
        q.object.value for q in st.quads_for_pattern(ox.NamedNode(str(iris.dataset())), None, None, None)
    }
    return {q for q in st if q.subject.value not in described}


def _rows(st: ox.Store, q) -> list[tuple]:
    return [tuple(str(s[v]) for v in q.variables) for s in query.execute(st, q.text)]


def test_the_oxigraph_engine_builds_what_the_rdflib_engine_builds(tmp_path, store):
    result = building.build(data_dir=tmp_path, engine="oxigraph")
    m = result.build.manifest
    assert (m["engine"], m["reasoner"]) == ("oxigraph", "rules")
    mine = result.build.open_store()
    assert _quads_without_description(mine) == _quads_without_description(store)
    assert m["counts"] == stores.current(tmp_path).manifest["counts"]
    for name in saved.names():
        q = saved.load(name)
        if q.federated:
            continue
        assert _rows(mine, q) == _rows(store, q), name
    dumps = result.build.path / "downloads"
    nq = list(ox.parse(path=str(dumps / "ruhrkg.nq"), format=ox.RdfFormat.N_QUADS))
    assert len(nq) == len(mine)
    for ext in ("ttl", "nt", "trig", "jsonld"):
        assert (dumps / f"ruhrkg.{ext}").stat().st_size > 0 and (dumps / f"ruhrkg.{ext}.gz").exists()
    ttl = Graph().parse(dumps / "ruhrkg.ttl", format="turtle")
    assert len(ttl) == len({q.triple for q in nq})


def test_auto_chooses_the_oxigraph_engine_for_a_large_document(tmp_path, monkeypatch):
    monkeypatch.setattr(building, "AUTO_RULES_ABOVE", 1000)
    assert building.build(data_dir=tmp_path).build.manifest["engine"] == "oxigraph"


def test_a_shape_the_sparql_validator_cannot_check_is_a_clear_error(tmp_path, monkeypatch):
    from rdflib import Namespace

    sh = Namespace("http://www.w3.org/ns/shacl#")
    shapes = building.shapes_graph()
    shapes.add((URIRef("urn:x:shape"), sh.targetNode, URIRef("urn:x:node")))  # not supported as SPARQL
    monkeypatch.setattr(building, "shapes_graph", lambda: shapes)
    with pytest.raises(building.BuildError, match="cannot be checked as SPARQL.*--engine rdflib"):
        building.build(data_dir=tmp_path, engine="oxigraph")
    assert not stores.has_build(tmp_path)
