"""The command line: happy paths and clear errors (exit status and message, never a traceback)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rdflib import Graph

from ruhrkg.server.cli import main


def invoke(runner, *args):
    return runner.invoke(main, list(args), catch_exceptions=False)


def test_help_lists_the_commands(runner):
    result = invoke(runner, "--help")
    assert result.exit_code == 0
    for command in ("build", "export", "query"):
        assert command in result.output


def test_build_prints_counts(runner, tmp_path):
    result = invoke(runner, "build", "--data-dir", str(tmp_path / "d"))
    assert result.exit_code == 0, result.output
    assert "20 forums" in result.output and "47 events" in result.output


def test_build_with_missing_source(runner, tmp_path):
    result = invoke(runner, "build", "--data-dir", str(tmp_path / "d"), "--source", str(tmp_path / "nope.txt"))
    assert result.exit_code == 1
    assert "cannot read the source document" in result.output
    assert "Traceback" not in result.output


def test_export_turtle(runner, data_dir):
    result = invoke(runner, "export", "--data-dir", str(data_dir), "-f", "turtle")
    assert result.exit_code == 0
    g = Graph().parse(data=result.stdout, format="turtle")
    assert len(g) > 2000


def test_export_to_file_all_graphs(runner, data_dir, tmp_path):
    out = tmp_path / "all.nq"
    result = invoke(runner, "export", "--data-dir", str(data_dir), "-f", "nquads", "-g", "all", "-o", str(out))
    assert result.exit_code == 0
    assert "<https://w3id.org/ruhrkg/graph/inferred>" in out.read_text()


def test_export_without_a_build(runner, tmp_path):
    result = invoke(runner, "export", "--data-dir", str(tmp_path / "empty"))
    assert result.exit_code == 1
    assert "run `ruhrkg build` first" in result.output


def test_export_unknown_format(runner, data_dir):
    result = invoke(runner, "export", "--data-dir", str(data_dir), "-f", "yaml")
    assert result.exit_code == 2
    assert "Invalid value" in result.output


def test_query_saved_as_csv(runner, data_dir):
    result = invoke(runner, "query", "--data-dir", str(data_dir), "-n", "moderators", "-f", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {"number", "name", "position", "organization"} == set(rows[0])
    assert ("14", "Josef Tumbrinck", "Vorsitzender", "NABU NRW") in {tuple(r.values()) for r in rows}


def test_query_adhoc_json_and_table(runner, data_dir):
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?f a <https://w3id.org/ruhrkg/def#Forum> }"
    result = invoke(runner, "query", "--data-dir", str(data_dir), q, "-f", "json")
    assert json.loads(result.stdout)["results"]["bindings"][0]["n"]["value"] == "20"
    result = invoke(runner, "query", "--data-dir", str(data_dir), "-n", "forums")
    assert "(20 rows)" in result.stdout and "forum:01" in result.stdout


def test_query_inferred_dataset(runner, data_dir):
    q = "ASK { <https://w3id.org/ruhrkg/id/forum/01> a <http://www.w3.org/ns/org#OrganizationalCollaboration> }"
    assert invoke(runner, "query", "--data-dir", str(data_dir), q).stdout.strip() == "false"
    assert invoke(runner, "query", "--data-dir", str(data_dir), "--graph", "inferred", q).stdout.strip() == "true"


def test_query_construct_prints_turtle(runner, data_dir):
    q = "CONSTRUCT WHERE { <https://w3id.org/ruhrkg/id/forum/01> ?p ?o }"
    result = invoke(runner, "query", "--data-dir", str(data_dir), q)
    assert len(Graph().parse(data=result.stdout, format="turtle")) > 10


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["SELECT * WHERE { ?s ?p }"], "malformed query"),
        (["-n", "no-such-query"], "no saved query named"),
        (["-n", "forums", "-p", "x=1"], "has no parameter"),
        (["-n", "forums", "-p", "novalue"], "write NAME=VALUE"),
        (["SELECT * WHERE { ?s ?p ?o }", "-p", "a=1"], "--param only applies"),
        (["ASK { ?s ?p ?o }", "-f", "turtle"], "cannot be written as turtle"),
    ],
)
def test_query_errors(runner, data_dir, args, message):
    result = invoke(runner, "query", "--data-dir", str(data_dir), *args)
    assert result.exit_code in (1, 2)
    assert message in result.output
    assert "Traceback" not in result.output


def test_query_needs_exactly_one_source(runner, data_dir):
    result = invoke(runner, "query", "--data-dir", str(data_dir))
    assert result.exit_code == 2
    assert "exactly one" in result.output


def test_query_list(runner):
    result = invoke(runner, "query", "--list")
    for name in ("forums", "forum-ministries", "moderators", "events", "ministry-co-participation"):
        assert name in result.output


def test_build_reports_uninterpreted_text_and_keeps_it(runner, tmp_path):
    from ruhrkg.graph import build as building
    from ruhrkg.graph import store as stores

    source = tmp_path / "odd.txt"
    text = building.packaged_source().replace("im Ruhrturm Essen", "im Kulturzentrum Nirgendwo")
    source.write_text(text, encoding="utf-8")
    root = tmp_path / "d"
    result = invoke(runner, "build", "--data-dir", str(root), "--source", str(source))
    assert result.exit_code == 0
    assert "warning: line 310: venue not in the gazetteer" in result.stderr
    st = stores.current(root).open_store()
    ask = 'ASK { GRAPH ?g { <https://w3id.org/ruhrkg/id/event/09-1> <https://w3id.org/ruhrkg/def#unparsedText> ?t FILTER(CONTAINS(?t, "Nirgendwo")) } }'
    assert bool(st.query(ask))
    before = stores.current(root).path
    strict = invoke(runner, "build", "--data-dir", str(root), "--source", str(source), "--strict")
    assert strict.exit_code == 1
    assert "strict mode" in strict.output and "Nirgendwo" in strict.output
    assert stores.current(root).path == before


def test_build_shacl_failure_exits_non_zero_with_a_report(runner, tmp_path):
    from ruhrkg.graph import build as building

    source = tmp_path / "bad.txt"
    source.write_text(
        building.packaged_source().replace("Ressort: JM (beteiligte", "Ressort: (beteiligte"), encoding="utf-8"
    )
    result = invoke(runner, "build", "--data-dir", str(tmp_path / "d"), "--source", str(source))
    assert result.exit_code == 1
    assert "SHACL" in result.output and "forum/12" in result.output and "leadMinistry" in result.output
    assert "the previous build (if any) is unchanged" in result.output
