"""The synthetic corpus generator (bench/synth.py): shape, size, determinism, and parsing without warnings."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ruhrkg.graph import validate
from ruhrkg.graph.build import shapes_graph
from ruhrkg.mappings import gazetteer
from ruhrkg.mappings.mapper import to_graph
from ruhrkg.mappings.parser import parse_text

SYNTH = Path(__file__).parent.parent / "bench" / "synth.py"


def load_synth():
    spec = importlib.util.spec_from_file_location("ruhrkg_bench_synth", SYNTH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


synth = load_synth()


def parsed(scale: int, seed: int = 1):
    corpus = synth.generate(scale, seed)
    gz = corpus.gazetteer_with_extension()
    return corpus, gz, parse_text(corpus.text, gazetteer=gz)


@pytest.fixture(scope="module")
def x1():
    return parsed(1)


def events(doc):
    return [e for f in doc.forums for e in f.events]


# -- determinism -------------------------------------------------------------------------------------
def test_same_seed_and_scale_give_the_same_corpus_and_another_seed_another():
    a, b, c = synth.generate(2, 7), synth.generate(2, 7), synth.generate(2, 8)
    assert a.text == b.text and a.gazetteer == b.gazetteer
    assert a.text != c.text


def test_the_cli_writes_byte_identical_files_whatever_the_hash_seed(tmp_path):
    outputs = []
    for run, hash_seed in enumerate(("1", "2")):
        out = tmp_path / f"corpus{run}.txt"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, str(SYNTH), "--scale", "3", "--seed", "5", "-o", str(out)], check=True, env=env)
        outputs.append((out.read_bytes(), out.with_name(out.stem + ".gazetteer.yaml").read_bytes()))
    assert outputs[0] == outputs[1]
    assert outputs[0][0].decode("utf-8") == synth.generate(3, 5).text


def test_cli_help_names_the_options(capsys):
    with pytest.raises(SystemExit):
        synth.main(["--help"])
    out = capsys.readouterr().out
    assert "--scale" in out and "--seed" in out and "-o OUTPUT" in out and "--gazetteer" in out


def test_a_smaller_scale_is_a_prefix_of_a_larger_one():
    small, large = synth.generate(1, 3).text, synth.generate(2, 3).text
    body = small.split("Steckbrief Themenforum", 1)[1]
    assert large.split("Steckbrief Themenforum", 1)[1].startswith(body.rstrip("\n"))


# -- size and parsing --------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1, 10])
def test_parses_without_warnings_and_counts_scale(scale):
    _, _, doc = parsed(scale)
    assert doc.warnings == []
    assert [f.number for f in doc.forums] == list(range(1, 20 * scale + 1))
    assert len(events(doc)) == 47 * scale
    assert len({m.name for f in doc.forums for m in f.moderators}) == 39 * scale
    assert len({v for e in events(doc) for v in e.venues}) >= 25 * scale
    assert len({m.organization for f in doc.forums for m in f.moderators} - {None}) == 22 * scale
    assert doc.title == f"Steckbriefe der {20 * scale} Themenforen"


def test_scale_one_needs_no_gazetteer_extension_and_larger_scales_bring_theirs(x1):
    corpus, _, doc = x1
    assert all(not entries for entries in corpus.gazetteer.values())
    assert parse_text(corpus.text).warnings == []  # the packaged gazetteer suffices
    larger = synth.generate(2, 1)
    assert {len(v) for v in larger.gazetteer.values()} == {len(gazetteer.packaged_data()[k]) for k in larger.gazetteer}
    assert parse_text(larger.text).warnings  # without the extension its places are unknown
    assert yaml.safe_load(synth.gazetteer_yaml(larger)) == larger.gazetteer


def test_the_mapped_graph_conforms_to_the_shapes():
    _, gz, doc = parsed(2)
    report = validate.validate(to_graph(doc, gazetteer=gz), shapes_graph())
    assert report.conforms, report.text()


# -- every irregularity of the real document occurs at scale 1 ---------------------------------------------
def test_date_forms(x1):
    _, _, doc = x1
    headings = [e.heading for e in events(doc)]
    assert any(re.search(r"\b\d{2}\.\d{2} \d{4}\b", h) for h in headings)  # 10.05 2019
    assert any(re.search(r"\b\d{1,2}\. (Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember) \d{4}\b", h) for h in headings)  # fmt: skip
    multi = [e for e in events(doc) if e.end_date and e.end_date > e.start_date]
    assert multi and re.search(r"\d{2}\.-\d{2}\.\d{2}\.\d{4}", multi[0].heading)  # 28.-30.05.2019
    assert any(e.start_date is None for e in events(doc))


def test_time_forms(x1):
    _, _, doc = x1
    evs = events(doc)
    assert any(re.search(r"\d{1,2}\.\d{2} – \d{1,2}\.\d{2} Uhr", e.heading) and e.end_time for e in evs)
    assert any(e.start_time and e.end_time is None and " ab " in e.heading for e in evs)
    assert any(e.end_time_approximate and "bis ca." in e.heading for e in evs)
    assert any(e.all_day and "ganztätig" in e.heading for e in evs)
    assert any(e.all_day and "ganztägig" in e.heading for e in evs)
    assert any(e.schedule_note for e in evs)
    assert any(re.search(r"\b\d:\d{2}\b", e.heading) for e in evs)  # 9:30, no leading zero
    assert any(re.search(r"\b\d{2}\.\d{2} Uhr", e.heading) for e in evs)  # 12.30 Uhr


def test_venue_forms(x1):
    _, gz, doc = x1
    evs = events(doc)

    def city_spellings(e):
        c = gz.cities[e.city]
        return (c.name, *c.aliases)

    assert any(e.venues and e.city and any(f", {s}" in e.heading for s in city_spellings(e)) for e in evs)
    assert any(
        e.venues and e.city and any(f"{gz.venues[e.venues[0]].name} {s}" in e.heading for s in city_spellings(e))
        for e in evs
    )
    assert any(len(e.venues) == 2 for e in evs)
    assert any(e.city and not e.venues for e in evs)
    assert any(gz.venues[v].extra.get("in") for e in evs for v in e.venues)  # a venue inside a larger site
    split = [e for e in evs if strip(doc.lines[e.span.start - 1]) != e.heading and e.heading.startswith(strip(doc.lines[e.span.start - 1]))]  # fmt: skip
    assert split  # a heading printed over several lines


def strip(line: str) -> str:
    return re.sub(r"^-?\s*\d+\.\s*", "", line.replace("**", "").strip())


def test_event_fields(x1):
    _, _, doc = x1
    evs = events(doc)
    assert any(e.title for e in evs) and any(e.topic for e in evs) and any(e.format_detail for e in evs)
    assert any(e.target_group for e in evs)
    assert any(e.goal and "\n\n" in e.goal for e in evs)


def test_participant_forms(x1):
    _, _, doc = x1
    ps = [e.participants for e in events(doc) if e.participants]
    assert any(p.approximate and p.minimum == p.maximum for p in ps)  # ca. 80
    assert any(p.minimum is not None and p.minimum < p.maximum for p in ps)  # ranges
    assert any(p.minimum is not None and not p.approximate for p in ps)  # 560
    assert any(p.minimum is None and p.text.startswith("n.n.b.") for p in ps)
    assert any(p.minimum is None and p.text.startswith("n. n. b.") for p in ps)
    assert any(p.minimum is None and p.text.startswith("x ") for p in ps)


def test_forum_forms(x1):
    _, _, doc = x1
    fs = doc.forums
    assert any(f.keywords for f in fs)  # hashtags
    assert any(f.concept for f in fs)
    assert any(f.participant_group and f.participant_group.startswith("1. Thema") for f in fs)
    refs = [r for f in fs for r in (f.ressort.lead, *f.ressort.participating, *f.ressort.interested)]
    assert any(r.printed == "MHKGB" and r.code == "MHKBG" for r in refs)
    assert any(f.ressort.lead.unit for f in fs) and any(r.unit for f in fs for r in f.ressort.participating)
    assert any(f.ressort.interested for f in fs)
    assert any(not f.ressort.participating and not f.ressort.interested for f in fs)


def test_moderator_forms(x1):
    _, _, doc = x1
    ms = [m for f in doc.forums for m in f.moderators]
    spans = [m.span for m in ms]
    assert any(spans.count(s) == 2 for s in spans)  # two persons in one bullet
    assert any(m.position and " und " in m.position for m in ms)
    assert any(m.position and "&" in m.position for m in ms)
    assert any(m.organization and "(" in m.printed for m in ms)
    assert any(m.position == "Polizeipräsident" for m in ms) and any(m.position == "Polizeipräsidentin" for m in ms)
    assert {m.academic_title for m in ms} >= {"Prof. Dr.", "Dr.", "Prof."}
    assert any(m.given_name.count(" ") == 1 for m in ms)  # two given names
    assert any("-" in m.family_name for m in ms)
    positions = {m.position for m in ms}
    assert {"Minister", "Ministerin", "Staatssekretär", "Staatssekretärin"} <= positions


def test_a_person_in_two_forums_of_a_block_is_the_same_person(x1):
    _, _, doc = x1
    names = [m.name for f in doc.forums for m in f.moderators]
    assert len(names) == 43 and len(set(names)) == 39
