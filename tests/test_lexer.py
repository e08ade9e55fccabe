"""The lexer, the security boundary of the query layer: escapes, vendor functions, and linear work."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ruhrkg.server.query.errors import QueryRejected
from ruhrkg.server.query.lexer import analyse, check_query, decode_escapes

LIMITS = {"max_query_length": 100_000, "max_nesting": 200, "service_allowlist": ("https://q.example/sparql",)}


@pytest.mark.parametrize(("raw", "decoded"), [
    (r"\u0053ELECT", "SELECT"),
    (r"\\u0053", r"\\u0053"),  # an escaped backslash: no escape follows it (Java's rule, as Jena reads it)
    (r"\\\u0053", "\\\\S"),
    (r"<http://a/\u00e9>", "<http://a/é>"),
    (r"'\U0001F600'", "'\U0001F600'"),
    (r"\u00", r"\u00"),  # too short: not an escape
])  # fmt: skip
def test_codepoint_escapes_are_decoded_everywhere(raw, decoded):
    assert decode_escapes(raw) == decoded


@pytest.mark.parametrize("escape", [r"\u005C", r"\u005c", r"\U0000005C", r"\u0000", r"\uD800", r"\U00110000"])
def test_escapes_that_could_start_another_escape_or_are_no_character_are_refused(escape):
    with pytest.raises(QueryRejected) as e:
        decode_escapes(f"SELECT * {{ ?s ?p '{escape}' }}")
    assert e.value.status == 400


def test_the_checked_text_is_the_text_that_runs():
    analysis = check_query(r"SELECT * { SERVICE <https://q.example/sparq\u006C> { ?s ?p ?o } }", **LIMITS)
    assert analysis.services == ("https://q.example/sparql",)
    assert "\\u" not in analysis.text and "sparql>" in analysis.text


@pytest.mark.parametrize("query", [
    "PREFIX b: <bi> SELECT (b:f:x(1) AS ?x) {}",
    "PREFIX : <bif:> SELECT (:x(1) AS ?x) {}",
    "BASE <java:> SELECT (<x>(1) AS ?x) {}",
    "SELECT (<SQL:x>(1) AS ?x) {}",
    r"SELECT (<b\u0069f:x>(1) AS ?x) {}",
])  # fmt: skip
def test_vendor_schemes_are_refused_on_every_expanded_iri(query):
    with pytest.raises(QueryRejected) as e:
        check_query(query, **LIMITS)
    assert e.value.status == 403


def test_ordinary_names_that_contain_the_schemes_pass():
    query = "PREFIX bif: <http://example.org/bif#> SELECT ?sql WHERE { ?java bif:x <http://a/sql:b> }"
    assert check_query(query, **LIMITS).form == "select"


@pytest.mark.parametrize("tail", [" " * 90_000, "# c\n" * 20_000, "\n" * 90_000])
def test_the_work_is_linear_in_the_length(tail):
    started = time.process_time()
    assert check_query("ASK {}" + tail, **LIMITS).form == "ask"
    assert time.process_time() - started < 0.5


@given(st.text(alphabet="ab_:.-0 <>?\"'#\n\\u0053{}()", max_size=60))
def test_analyse_answers_or_refuses_never_crashes(text):
    try:
        analyse(text, service_allowlist=("https://q.example/sparql",))
    except QueryRejected as e:
        assert e.status in (400, 403)
    except Exception as e:  # noqa: BLE001
        assert getattr(e, "status", None) == 400, repr(e)
