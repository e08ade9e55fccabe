"""The gazetteer: trie-compiled lookups and extensions of the packaged file."""

from __future__ import annotations

import re

import pytest

from ruhrkg.graph.build import packaged_source
from ruhrkg.mappings import gazetteer
from ruhrkg.mappings.gazetteer import _matches


def plain_alternation(spellings) -> re.Pattern:
    """The straightforward regex the trie replaces: every spelling, longest first."""
    ordered = sorted(spellings, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(s) for s in ordered) + r")(?![\w-])")


@pytest.mark.parametrize("section", ["venues", "cities", "organizations"])
def test_trie_matches_exactly_what_the_plain_alternation_matches(section):
    gz = gazetteer.load()
    compiled = {"venues": gz._venue_re, "cities": gz._city_re, "organizations": gz._org_re}[section]
    by_spelling = compiled[1]
    plain = (plain_alternation(by_spelling), by_spelling)
    texts = packaged_source().splitlines()
    # spellings glued to each other, cut short, or followed by word characters and hyphens
    texts += [f"{a} {b}" for a in by_spelling for b in ("", "x", "-Nord", ", Essen", "in Essen")]
    texts += [s[:-1] for s in by_spelling] + [s + s for s in by_spelling]
    for text in texts:
        assert _matches(compiled, text) == _matches(plain, text), text


def test_prefix_spellings_longest_wins():
    gz = gazetteer.extended(
        {
            "venues": [
                {"key": "halle", "name": "Halle Nord", "city": "essen"},
                {"key": "halle-ost", "name": "Halle Nord Ost", "city": "essen"},
            ]
        }
    )
    assert [m.key for m in gz.venue_matches("im Halle Nord Ost in Essen")] == ["halle-ost"]
    assert [m.key for m in gz.venue_matches("im Halle Nord Osten")] == ["halle"]
    assert [m.key for m in gz.venue_matches("im Halle Nord-Ost")] == []


def test_extended_adds_entries_and_leaves_the_packaged_gazetteer_alone():
    before = len(gazetteer.load().venues)
    gz = gazetteer.extended(
        {
            "cities": [{"key": "hamm", "name": "Hamm", "area": "nordrhein-westfalen"}],
            "venues": [{"key": "kurhaus-hamm", "name": "Kurhaus Hamm", "city": "hamm"}],
            "organizations": [{"key": "stadtwerke-hamm", "name": "Stadtwerke Hamm"}],
        }
    )
    assert [m.key for m in gz.venue_matches("im Kurhaus Hamm")] == ["kurhaus-hamm"]
    assert gz.venues["kurhaus-hamm"].extra["city"] == "hamm"
    assert [m.key for m in gz.organization_matches("Leiter Stadtwerke Hamm")] == ["stadtwerke-hamm"]
    assert gz.ministry_code("MHKGB") == "MHKBG"  # the packaged entries are all still there
    assert len(gazetteer.load().venues) == before
    assert "kurhaus-hamm" not in gazetteer.load().venues


def test_extended_refuses_to_redefine_a_key_or_an_unknown_section():
    with pytest.raises(ValueError, match="essen"):
        gazetteer.extended({"cities": [{"key": "essen", "name": "Essen", "area": "nordrhein-westfalen"}]})
    with pytest.raises(ValueError, match="unknown gazetteer section"):
        gazetteer.extended({"rivers": []})


def test_lookups_stay_fast_with_a_large_gazetteer():
    import time

    venues = [{"key": f"halle-{i}", "name": f"Halle Nummer{i:05d}", "city": "essen"} for i in range(30000)]
    gz = gazetteer.extended({"venues": venues})
    text = "Workshop am 02.02.2019 von 10:00 bis 12:00 Uhr in der Halle Nummer29999 in Essen"
    t0 = time.perf_counter()
    for _ in range(200):
        (m,) = gz.venue_matches(text)
    assert m.key == "halle-29999"
    assert time.perf_counter() - t0 < 2.0  # the plain alternation needs about 5 ms per lookup here


# -- ministries with a lifetime (issue 14) -------------------------------------------------------------------
ENDED_2022 = {"MWIDE": {"MWIKE", "MHKBD"}, "MULNV": {"MUNV", "MLV"}, "VM": {"MUNV"}, "MKFFI": {"MKJFGFI"},
              "MHKBG": {"MHKBD", "MKJFGFI"}}  # fmt: skip


def test_every_ministry_says_what_is_known_of_its_lifetime():
    gz = gazetteer.load()
    for code, entry in gz.ministries.items():
        existed = entry.extra["existed"]  # every ministry: a period, "unknown" where we do not know
        assert set(existed) == {"from", "until"}, code
        if existed["until"] != "unknown" or existed["from"] != "unknown":
            assert entry.extra["sources"], f"{code}: a date without a source"
        for key in entry.extra.get("sources", ()):
            assert gz.sources[key]["url"].startswith("https://"), key
    for code, successors in ENDED_2022.items():
        entry = gz.ministries[code]
        assert entry.extra["existed"]["until"] == "2022-06"
        assert set(entry.extra["successors"]) == successors
        assert all(s in gz.successors for s in successors)


def test_ministry_lifetimes_in_the_graph(doc):
    from rdflib import Literal
    from rdflib.namespace import ORG, XSD

    from ruhrkg.mappings import iris
    from ruhrkg.mappings.mapper import to_graph
    from ruhrkg.mappings.vocab import RK, SCHEMA

    g = to_graph(doc)
    for code, successors in ENDED_2022.items():
        m = iris.ministry(code)
        assert g.value(m, SCHEMA.dissolutionDate) == Literal("2022-06", datatype=XSD.gYearMonth)
        assert g.value(m, SCHEMA.foundingDate) == Literal("2017", datatype=XSD.gYear)
        change = g.value(m, ORG.changedBy)
        assert (change, ORG.originalOrganization, m) in g
        assert {str(g.value(s, RK.code)) for s in g.objects(change, ORG.resultingOrganization)} == successors
    # unknown stays unsaid; a successor is not an rk:Ministry of the document
    assert g.value(iris.ministry("Stk"), SCHEMA.foundingDate) is None
    assert g.value(iris.ministry("MAGS"), SCHEMA.dissolutionDate) is None
    assert (iris.ministry("MWIKE"), None, RK.Ministry) not in g
    assert len(set(g.subjects(None, RK.Ministry))) == 12
