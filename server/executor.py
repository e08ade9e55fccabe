"""Query execution for the SPARQL endpoint: pre-checks, then a pool of killable worker processes.

Nothing an anonymous client sends may stop the server, change the data, make
the server fetch a URL it was not told to trust, or hold a CPU or memory for
longer than the limits allow. Hence two tiers:

1. **Pre-checks in the calling process** (:func:`analyse`), on the query text,
   before any worker sees it: length, NUL bytes, bracket nesting, the query
   form (SPARQL Update is refused with 403), and every ``SERVICE`` target
   against an allow-list (403, and no network request is made). A lexer that
   knows SPARQL's strings, IRIs, comments, variables and prefixed names does
   this; it is the security boundary, see :func:`analyse` for its rules.

2. **Worker processes** (:class:`QueryService`) run the query. Each opens the
   store read-only once, caps its own address space with ``RLIMIT_AS`` and
   runs queries on a thread with a 64 MB stack (so deep parser recursion that
   slips past the pre-checks needs about 8x more text to crash it). The caller
   waits with a deadline; on timeout the worker is killed with SIGKILL (which
   really ends its CPU and memory use) and replaced. A worker that dies
   (memory limit, stack overflow, any crash) is replaced too, and the caller
   gets an error, never a hang. As a backstop, a worker also caps its own CPU
   time per query (``RLIMIT_CPU``), in case the calling process is gone.
   Results are serialised in the worker and streamed back in 64 KB frames.

Workers are started with ``subprocess`` (``python -c``), not ``multiprocessing``:
they import only pyoxigraph (a replacement answers about 0.1 s after it is
started) and do not re-import the web application's main module.

The pool is started lazily on the first query and belongs to the process
that started it, so a :class:`QueryService` may be created before a
pre-forking WSGI server forks: each web-worker process starts its own pool.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import re
import resource
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, NoReturn
from urllib.parse import quote, urlencode

import pyoxigraph as ox

from ruhrkg.graph.formats import RDF_FORMATS, RESULT_FORMATS, WITH_PREFIXES, XSD_INTEGER

log = logging.getLogger(__name__)

CHUNK = 64 * 1024  # bytes per streamed result frame
WORKER_STACK = 64 * 1024 * 1024  # stack of the thread that runs queries in a worker
MIN_MEMORY_MB = 256  # a worker needs about 180 MB of address space before its first query

SUBSTITUTION_KINDS = ("iri", "literal", "integer")
#: Query engines: ``oxigraph`` (workers are Oxigraph server processes, :mod:`ruhrkg.server.oxpool`), ``python``
#: (workers are Python processes running pyoxigraph), ``auto`` (oxigraph when its program is installed and the store
#: fits the in-memory limit, else python).
ENGINES = ("auto", "oxigraph", "python")
_MAYBE_RELATIVE = re.compile(r"<(?![A-Za-z][A-Za-z0-9+.\-]*:)")
_PLAIN_BASE = re.compile(r'[^\x00-\x20<>"{}|^`\\]+')


# --------------------------------------------------------------------------- errors


class QueryServiceError(Exception):
    """Base of every error :meth:`QueryService.execute` raises: an HTTP ``status`` and a one-line ``message``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class QuerySyntaxError(QueryServiceError):
    """The query does not parse (400); the message has the line and column."""


class QueryRejected(QueryServiceError):
    """Refused before execution: malformed, too long, too deeply nested (400); Update or SERVICE (403)."""


class QueryTimeout(QueryServiceError):
    """The query did not finish within the time limit (503); its worker was killed."""


class QueryResourceLimit(QueryServiceError):
    """The query exceeded the memory limit (503); its worker was replaced."""


class WorkerCrashed(QueryServiceError):
    """The worker running the query died for another reason (500); it was replaced."""


class QueryFailed(QueryServiceError):
    """The engine reported an error while evaluating the query (500), e.g. an allowed SERVICE that failed."""


class StoreUnavailable(QueryServiceError):
    """Remote mode: the SPARQL store cannot be reached, or answered with an unusable status or type (502/503)."""


# --------------------------------------------------------------------------- the lexer

_B = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)  # PN_CHARS_BASE
_U = _B + "_"  # PN_CHARS_U
_C = _U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"  # PN_CHARS
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_EXP = r"[eE][+-]?[0-9]+"

# One token per match, in SPARQL 1.1's lexical grammar; order matters (long strings before short ones,
# prefixed names before bare words). "op" is a one-character operator or bracket that starts no other
# token (matched first because it is frequent); anything else is a single "punct" character.
_TOKEN_PATTERN = rf"""
    (?P<ws>[ \t\r\n]+)
  | (?P<op>[(){{}}\[\],;=!&|+*/^@-])
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
             | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
             | '(?:[^'\\\n\r]|\\[^\n\r])*'
             | "(?:[^"\\\n\r]|\\[^\n\r])*")
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{{4}}|\\U[0-9A-Fa-f]{{8}})*>)
  | (?P<var>[?$][{_U}0-9][{_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)
  | (?P<bnode>_:[{_U}0-9](?:[{_C}.]*[{_C}])?)
  | (?P<pname>(?:[{_B}](?:[{_C}.]*[{_C}])?)?:(?:(?:[{_U}:0-9]|{_PLX})(?:(?:[{_C}.:]|{_PLX})*(?:[{_C}:]|{_PLX}))?)?)
  | (?P<number>[0-9]+\.[0-9]*{_EXP}|[0-9]*\.[0-9]+(?:{_EXP})?|[0-9]+(?:{_EXP})?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<esc>\\.)
  | (?P<punct>.)
"""
_SERVICE = re.compile("service", re.IGNORECASE)
_UESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LOCAL_ESCAPE = re.compile(r"\\(.)")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_DOT_SEGMENT = re.compile(r"/\.\.?(?:[/?#]|$)")
# After these, '<' must begin a term, so an IRI-shaped '<...>' is an IRI for the parser too.
_TERM_EXPECTED = frozenset("(,=<>!&|+-*/^")
# Inside an IRI-shaped span that the parser might read as 'less than', these would lex differently.
_UNSAFE_IN_AMBIGUOUS = re.compile(r"[#'()\[\]]|service", re.IGNORECASE)
_OPENERS = {"(": ")", "[": "]", "{": "}"}
FORMS = ("select", "construct", "describe", "ask")
UPDATE_KEYWORDS = ("insert", "delete", "load", "clear", "drop", "create", "add", "move", "copy", "with")


class _Tok(NamedTuple):
    kind: str  # a group name of the token pattern
    text: str
    pos: int


@dataclass(frozen=True)
class Analysis:
    """What the pre-checks learnt about a query: its form, whether it names its own dataset, its SERVICE IRIs."""

    form: str
    has_dataset: bool
    services: tuple[str, ...]
    service_spans: tuple[tuple[int, int], ...] = ()  # where each SERVICE IRI stands in the text


@functools.cache
def _token_re() -> re.Pattern:
    """The compiled token pattern (compiled on first use: it takes ~40 ms, and workers never lex)."""
    return re.compile(_TOKEN_PATTERN, re.VERBOSE | re.DOTALL)


def _where(text: str, pos: int) -> str:
    """``line L, column C`` of a position, for messages."""
    line, line_start = text.count("\n", 0, pos) + 1, text.rfind("\n", 0, pos) + 1
    return f"line {line}, column {pos - line_start + 1}"


def _tokens(text: str) -> Iterator[_Tok]:
    """The significant tokens of ``text`` (no whitespace, no comments), as they are lexed.

    Raises :class:`QuerySyntaxError` for an unterminated string: the rest of the
    text would otherwise be hidden from the checks.
    """
    for m in _token_re().finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        tok = m.group()
        if kind == "punct" and tok in "'\"":
            raise QuerySyntaxError(400, f"malformed query: unterminated string at {_where(text, m.start())}")
        yield _Tok(kind, tok, m.start())


def _shown(text: str) -> str:
    """``text`` for a one-line message: control characters escaped."""
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]", lambda m: f"\\x{ord(m.group()):02x}", text)


def _decode_iri(iri: str) -> str:
    """The IRI inside ``<...>`` with its ``\\u``/``\\U`` escapes decoded, as the parser decodes them."""
    return _UESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), iri)


def _prologue(toks: list[_Tok]) -> tuple[int, dict[str, str]]:
    """Skip ``BASE``/``PREFIX``/``VERSION`` declarations; return the next token's index and the declared prefixes.

    Keywords are matched as the parser matches them, without a word boundary:
    ``PREFIX:<x>`` declares the empty prefix.
    """
    prefixes: dict[str, str] = {}
    i = 0
    while i < len(toks):
        t = toks[i]
        low = t.text.lower()
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if (t.kind, low, nxt and nxt.kind) in (("word", "base", "iri"), ("word", "version", "string")):
            i += 2
        elif t.kind == "word" and low == "prefix" and nxt and nxt.kind == "pname" and nxt.text.endswith(":"):
            if i + 2 >= len(toks) or toks[i + 2].kind != "iri":
                break
            prefixes[nxt.text[:-1]] = _decode_iri(toks[i + 2].text[1:-1])
            i += 3
        elif t.kind == "pname" and low.startswith("prefix") and low.endswith(":") and nxt and nxt.kind == "iri":
            prefixes[t.text[6:-1]] = _decode_iri(nxt.text[1:-1])
            i += 2
        else:
            break
    return i, prefixes


def _form_at(toks: list[_Tok], i: int) -> str:
    if i >= len(toks):
        raise QueryRejected(400, "empty query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    t = toks[i]
    low = t.text.lower() if t.kind == "word" else ""
    for name in FORMS:
        if low.startswith(name):
            return name
    for name in UPDATE_KEYWORDS:
        if low.startswith(name):
            return "update"
    raise QueryRejected(400, f"not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE, found {t.text[:20]!r}")


def query_form(query: str) -> str:
    """``select``, ``ask``, ``construct``, ``describe`` or ``update``, read by the lexer without executing.

    >>> query_form("PREFIX a: <http://a/> # SELECT\\nASK { ?s a:p 'DELETE' }")
    'ask'
    >>> query_form("insert data { <a:b> <a:c> <a:d> }")
    'update'
    """
    head = []  # the prologue and the token after it: the rest of the text is not lexed
    for tok in _tokens(query):
        head.append(tok)
        if tok.kind not in ("word", "pname", "iri", "string") or (
            tok.kind == "word" and tok.text.lower() not in ("base", "prefix", "version")
        ):
            break
    i, _ = _prologue(head)
    return _form_at(head, i)


def analyse(query: str, *, service_allowlist: Sequence[str] = (), max_nesting: int = 200) -> Analysis:
    """Check a query's text before it is executed; raise :class:`QueryRejected` (or a syntax error) if refused.

    Rules, in the lexer's terms (strings, IRIs, comments, variable names and the
    local parts of prefixed names are opaque):

    - brackets ``( [ {`` nest at most ``max_nesting`` deep and close in order (400);
    - the form after the prologue is SELECT, ASK, CONSTRUCT or DESCRIBE; Update is refused (403);
    - ``SERVICE`` (any case) is followed by an optional ``SILENT``, then an IRI or a
      prefixed name declared in the prologue, then ``{``; the IRI, with escapes
      decoded, must equal an entry of ``service_allowlist`` (else 403);
    - a bare word or a prefix name that contains ``service`` otherwise is refused
      (403): the parser matches keywords without a word boundary, so
      ``SERVICEx:a`` and even a declared ``service:a`` can be read as ``SERVICE``;
    - an IRI-shaped ``<...>`` right after a value inside ``( )`` could be
      ``less than`` to the parser; if it holds ``# ' ( ) [ ]`` or ``service`` the
      two readings would lex differently, so it is refused (400).

    >>> analyse("SELECT * { SERVICE <https://q.example/sparql> { ?s ?p ?o } }",
    ...         service_allowlist=["https://q.example/sparql"]).services
    ('https://q.example/sparql',)
    """
    toks = list(_tokens(query))
    i, prefixes = _prologue(toks)
    form = _form_at(toks, i)
    if form == "update":
        raise QueryRejected(403, "SPARQL Update is not allowed: this endpoint is read-only")
    allowed = set(service_allowlist)
    services, spans = [], []
    stack: list[tuple[str, str, int]] = []  # (bracket, kind, position); kind: "paren", "row", "data", "other"
    values_pending = has_dataset = False
    prev: _Tok | None = None
    for j, t in enumerate(toks):
        if t.kind == "op" and t.text in _OPENERS:
            if t.text == "{":
                kind = "data" if values_pending else "other"
                values_pending = False
            elif t.text == "(":
                kind = "row" if stack and stack[-1][1] == "data" else "paren"
            else:
                kind = "other"
            stack.append((t.text, kind, t.pos))
            if len(stack) > max_nesting:
                raise QueryRejected(
                    400,
                    f"query too deeply nested: more than {max_nesting} levels of brackets at {_where(query, t.pos)}",
                )
        elif t.kind == "op" and t.text in ")]}":
            if not stack or _OPENERS[stack[-1][0]] != t.text:
                opened = f" (opened with '{stack[-1][0]}' at {_where(query, stack[-1][2])})" if stack else ""
                raise QuerySyntaxError(400, f"malformed query: unbalanced '{t.text}' at {_where(query, t.pos)}{opened}")
            stack.pop()
        elif t.kind == "iri":
            ambiguous = (
                stack
                and stack[-1][1] == "paren"
                and prev is not None
                and not (prev.kind in ("op", "punct") and prev.text in _TERM_EXPECTED)
            )
            if ambiguous and _UNSAFE_IN_AMBIGUOUS.search(t.text):
                raise QueryRejected(
                    400,
                    f"ambiguous '<' at {_where(query, t.pos)}: write '< ' with a space for 'less than', "
                    "or a prefixed name for the IRI",
                )
        elif t.kind == "word":
            low = t.text.lower()
            if low == "values":
                values_pending = True
            elif low == "from":
                has_dataset = True
            elif low == "service":
                iri, span = _service_target(query, toks, j, prefixes, allowed)
                services.append(iri)
                spans.append(span)
            elif "service" in low:
                raise QueryRejected(403, f"{t.text!r} at {_where(query, t.pos)}: write SERVICE as a separate word")
        elif t.kind == "pname" and _SERVICE.search(t.text.split(":", 1)[0]):
            raise QueryRejected(
                403,
                f"prefix {t.text.split(':', 1)[0]!r} at {_where(query, t.pos)}: a prefix name may not contain "
                "'service' (it can be read as the SERVICE keyword)",
            )
        prev = t
    return Analysis(form, has_dataset, tuple(services), tuple(spans))


def redirect_services(query: str, analysis: Analysis, redirects: dict[str, str]) -> str:
    """The query with each allowed SERVICE IRI that ``redirects`` maps replaced by its target.

    This is how a deployment (or a test) points ``SERVICE <https://query.wikidata.org/sparql>``
    at a mirror or a stand-in without changing any query: the allow-list is checked on the IRI
    as written, and only the endpoint that is called differs.

    >>> q = "SELECT * { SERVICE <https://q.example/sparql> { ?s ?p ?o } }"
    >>> a = analyse(q, service_allowlist=["https://q.example/sparql"])
    >>> redirect_services(q, a, {"https://q.example/sparql": "http://127.0.0.1:9/sparql"})
    'SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }'
    """
    out = query
    for iri, (start, end) in sorted(
        zip(analysis.services, analysis.service_spans, strict=True), key=lambda x: -x[1][0]
    ):
        target = redirects.get(iri)
        if target:
            out = out[:start] + f"<{target}>" + out[end:]
    return out


def _service_target(
    query: str, toks: list[_Tok], j: int, prefixes: dict[str, str], allowed: set[str]
) -> tuple[str, tuple[int, int]]:
    """The IRI of the SERVICE at ``toks[j]`` and its span; :class:`QueryRejected` (403) unless it is allowed."""
    where = _where(query, toks[j].pos)
    k = j + 1
    if k < len(toks) and toks[k].kind == "word" and toks[k].text.lower().startswith("silent"):
        if toks[k].text.lower() != "silent":
            raise QueryRejected(403, f"SERVICE at {where}: write SILENT as a separate word")
        k += 1
    target = toks[k] if k < len(toks) else None
    if target is None or target.kind not in ("iri", "pname"):
        raise QueryRejected(403, f"SERVICE at {where} must name an allowed endpoint IRI (variables are not allowed)")
    if target.kind == "iri":
        iri = _decode_iri(target.text[1:-1])
    else:
        prefix, local = target.text.split(":", 1)
        ns = prefixes.get(prefix)
        if ns is None or not _SCHEME.match(ns) or _DOT_SEGMENT.search(ns):
            raise QueryRejected(403, f"SERVICE at {where}: {_shown(target.text)} is not an absolute IRI")
        iri = ns + _LOCAL_ESCAPE.sub(r"\1", local)
    if k + 1 >= len(toks) or (toks[k + 1].kind, toks[k + 1].text) != ("op", "{"):
        raise QueryRejected(403, f"SERVICE at {where}: expected '{{' after the endpoint IRI")
    if iri not in allowed:
        offered = ", ".join(f"<{a}>" for a in sorted(allowed)) or "none"
        raise QueryRejected(403, f"SERVICE <{_shown(iri)}> is not allowed (allowed endpoints: {offered})")
    return iri, (target.pos, target.pos + len(target.text))


def _quick_analysis(query: str, max_nesting: int) -> Analysis | None:
    """The analysis of a query that plainly needs no lexing, or None.

    Conservative checks on the raw text, which hold whatever the tokens are:
    no ``service`` and no ``from`` anywhere (so no SERVICE and no dataset
    clause, even inside strings or IRIs), no more opening brackets in all than
    ``max_nesting`` (so no deeper nesting), as many closing brackets as opening
    ones of each kind, and a query form read from the prologue. Anything else
    goes through :func:`analyse`. Most queries pass, and skip ~0.1 ms of lexing.

    >>> _quick_analysis("SELECT * { ?s ?p ?o }", 200)
    Analysis(form='select', has_dataset=False, services=(), service_spans=())
    >>> _quick_analysis("SELECT * FROM <g:a> { ?s ?p ?o }", 200) is None
    True
    """
    low = query.lower()
    if "service" in low or "from" in low or query.count('"') % 2 or query.count("'") % 2:
        return None  # (odd quotes: the lexer's message on an unterminated string is the clearer one)
    opened = 0
    for a, b in ("{}", "()", "[]"):
        n = query.count(a)
        if n != query.count(b):
            return None
        opened += n
    if opened > max_nesting:
        return None
    m = _PLAIN_PROLOGUE.match(query)
    if m:
        return Analysis(m.group(1).lower(), False, ())
    try:
        form = query_form(query)
    except QueryServiceError:
        return None  # the full analysis says what is wrong
    return Analysis(form, False, ()) if form in ("select", "ask", "construct", "describe") else None


#: A plain prologue (whitespace, comments, ASCII PREFIX and BASE declarations) and the query form after it: what
#: :func:`query_form` finds in most queries, without lexing (a few microseconds instead of ~20). Each alternative
#: starts with a character the others cannot, and a comment must run to its line's end (else the pattern could
#: end it early and read a form inside it), so there is one way to match and no deep backtracking. No match:
#: ask the lexer.
_PLAIN_PROLOGUE = re.compile(
    r"""(?:[ \t\r\n]|\#[^\r\n]*[\r\n]|(?:prefix[ \t\r\n]*(?:[A-Za-z](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?:"""
    r"""[ \t\r\n]*|base[ \t\r\n]*)"""
    r"""<[^<>"{}|^`\\\x00-\x20]*>)*"""
    r"(select|construct|describe|ask)\b",
    re.IGNORECASE,
)


_quick_analysis_cached = functools.lru_cache(maxsize=64)(_quick_analysis)


@functools.lru_cache(maxsize=512)
def _analyse_cached(query: str, allowlist: tuple[str, ...], max_nesting: int) -> Analysis:
    return analyse(query, service_allowlist=allowlist, max_nesting=max_nesting)


# --------------------------------------------------------------------------- shared by the local and remote services


def check_query(query: str, *, max_query_length: int, max_nesting: int, service_allowlist: tuple[str, ...]) -> Analysis:
    """The pre-checks (length, NUL bytes, nesting, form, SERVICE) of every query service; :class:`QueryRejected`."""
    if not isinstance(query, str):
        raise QueryRejected(400, "the query must be text")
    if len(query) > max_query_length:
        raise QueryRejected(400, f"query too long: {len(query)} characters, the limit is {max_query_length}")
    if "\x00" in query:
        raise QueryRejected(400, "the query contains a NUL character")
    quick = (_quick_analysis_cached if len(query) <= 8192 else _quick_analysis)(query, max_nesting)
    if quick is not None:
        return quick
    if len(query) > 8192:  # keep the cache small: long queries are rare and cheap enough to re-check
        return analyse(query, service_allowlist=service_allowlist, max_nesting=max_nesting)
    return _analyse_cached(query, tuple(service_allowlist), max_nesting)


_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def checked_allowlist(service_allowlist: Sequence[str]) -> tuple[str, ...]:
    """The SERVICE allow-list, every entry a plain absolute IRI (else ValueError)."""
    for iri in service_allowlist:
        if not _SCHEME.match(iri) or _DOT_SEGMENT.search(iri) or _NOT_IN_IRI.search(iri):
            raise ValueError(f"service allow-list entry {iri!r} is not a plain absolute IRI")
    return tuple(service_allowlist)


def checked_redirects(service_redirects: dict[str, str] | None) -> dict[str, str]:
    """SERVICE redirects (allowed IRI -> endpoint actually called), every target a plain absolute IRI."""
    for source, target in (service_redirects or {}).items():
        if not _SCHEME.match(target) or _NOT_IN_IRI.search(target):
            raise ValueError(f"SERVICE redirect target {target!r} for {source!r} is not a plain absolute IRI")
    return {k: v for k, v in (service_redirects or {}).items() if k != v}


def result_formats(form: str, result_format: str) -> dict:
    """The formats of a query form (results or RDF); :class:`QueryRejected` if ``result_format`` is not one."""
    formats = RESULT_FORMATS if form in ("select", "ask") else RDF_FORMATS
    if result_format not in formats:
        raise QueryRejected(
            400, f"a {form.upper()} query cannot be written as {result_format!r}; choose one of {', '.join(formats)}"
        )
    return formats


def query_dataset(analysis: Analysis, dataset: str, default_graph_uris=(), named_graph_uris=()) -> dict:
    """The dataset of a request as graph IRIs: ``{"default_graph": [...], "named_graphs": [...]}`` (named
    graphs absent: all of them), ``{"union": True}`` (every graph), or ``{}`` (the query's own FROM)."""
    from ruhrkg.graph.query import QueryError, dataset_kwargs  # not at the top: workers do not load rdflib

    if default_graph_uris or named_graph_uris:
        for iri in (*default_graph_uris, *named_graph_uris):
            _named_node(iri, "graph IRI")
        return {"default_graph": list(default_graph_uris), "named_graphs": list(named_graph_uris)}
    try:
        kwargs = dataset_kwargs(dataset)
    except QueryError as e:
        raise QueryRejected(400, str(e)) from None
    if analysis.has_dataset:
        return {}
    if kwargs.get("use_default_graph_as_union"):
        return {"union": True}
    return {"default_graph": [g.value for g in kwargs["default_graph"]]}


def bind_values(query: str, substitutions: dict) -> str:
    """The query with ``substitutions`` (``{name: (kind, value)}``, checked) bound by a ``VALUES`` block at the
    start of its outermost WHERE group: how bindings travel to a remote store, which has no substitutions.

    This is what pyoxigraph's ``substitutions`` mean too (sub-SELECTs and SERVICE are not affected by
    either). It is safe however odd the values: each is serialised as an RDF term by pyoxigraph
    (``str(ox.NamedNode(...))``, ``str(ox.Literal(...))``, which escape quotes, backslashes and line
    breaks), so a value can only ever be one IRI or one literal, never query text. The query itself has
    passed :func:`analyse` before; the insertion adds terms and nothing else.

    >>> bind_values('SELECT * WHERE { ?s ?p ?q }', {"q": ("literal", "x } UNION { ?a ?b ?c")})
    'SELECT * WHERE { VALUES (?q) { ("x } UNION { ?a ?b ?c") } ?s ?p ?q }'
    >>> bind_values('CONSTRUCT { ?e ?p ?o } WHERE { { SELECT * { ?e ?p ?o } } }', {"e": ("iri", "http://a/b")})
    'CONSTRUCT { ?e ?p ?o } WHERE { VALUES (?e) { (<http://a/b>) } { SELECT * { ?e ?p ?o } } }'
    >>> bind_values('SELECT * { SELECT ?n { ?s ?p ?n } }', {"n": ("integer", "7")})
    'SELECT * { VALUES (?n) { ("7"^^<http://www.w3.org/2001/XMLSchema#integer>) } { SELECT ?n { ?s ?p ?n } } }'
    """
    if not substitutions:
        return query
    names = list(substitutions)
    row = " ".join(str(_term(*substitutions[n])) for n in names)
    block = f"VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}"
    toks = list(_tokens(query))
    i, _ = _prologue(toks)
    form = _form_at(toks, i)
    depth, opened, template_done = 0, None, form != "construct"
    for j in range(i + 1, len(toks)):
        t = toks[j]
        if t.kind == "word" and depth == 0 and not template_done and t.text.lower() == "where":
            raise QueryRejected(400, "parameters cannot be bound in the short form CONSTRUCT WHERE { ... } on a "
                                     "remote store: write CONSTRUCT { ... } WHERE { ... }")  # fmt: skip
        if t.kind != "op":
            continue
        if t.text in _OPENERS:
            if t.text == "{" and depth == 0:
                if template_done:
                    opened = j
                    break
                template_done = True  # the template's '{' ... '}' of a CONSTRUCT is skipped
            depth += 1
        elif t.text in ")]}":
            depth -= 1
    if opened is None:
        raise QueryRejected(400, "parameters can only be bound in a query with a WHERE clause")
    start = toks[opened].pos + 1
    nxt = toks[opened + 1] if opened + 1 < len(toks) else None
    if nxt is not None and nxt.kind == "word" and nxt.text.lower() == "select":  # a group that is one sub-SELECT
        depth, end = 0, None
        for t in toks[opened:]:
            if t.kind == "op" and t.text in _OPENERS:
                depth += 1
            elif t.kind == "op" and t.text in ")]}":
                depth -= 1
                if depth == 0:
                    end = t.pos
                    break
        if end is None:
            raise QuerySyntaxError(400, "malformed query: unbalanced brackets")
        return query[:start] + f" {block} {{" + query[start:end] + "} " + query[end:]
    return query[:start] + f" {block}" + query[start:]


def has_relative_iris(query: str) -> bool:
    """Whether the query may hold a relative IRI (then a remote store needs our ``BASE``).

    >>> has_relative_iris("SELECT * { <#a> ?p ?o }"), has_relative_iris("SELECT * { <http://a/> ?p ?o }")
    (True, False)
    """
    if "<" not in query:
        return False
    return any(t.kind == "iri" and not _SCHEME.match(_decode_iri(t.text[1:-1])) for t in _tokens(query))


# --------------------------------------------------------------------------- the worker process
#
# Protocol: the parent writes messages (4-byte big-endian length + JSON) to the worker's stdin: first
# the configuration, then one request per query. The worker answers each request on its stdout with
# frames (1-byte kind + 4-byte length + payload): "D" result bytes (any number), then "E" (end) or
# "X" (JSON {"kind", "message"}: the query failed; the worker is still usable unless kind is "startup").

_FRAME = struct.Struct(">cI")
_LEN = struct.Struct(">I")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _FrameWriter:
    """The file-like object the worker serialises into: it sends a "D" frame per ~64 KB."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buf = bytearray()

    def write(self, data) -> int:
        self.buf += data
        if len(self.buf) >= CHUNK:
            _write_all(self.fd, _FRAME.pack(b"D", len(self.buf)) + self.buf)
            self.buf.clear()
        return len(data)

    def flush(self) -> None:
        pass

    def end(self) -> None:
        out = _FRAME.pack(b"D", len(self.buf)) + self.buf if self.buf else b""
        _write_all(self.fd, out + _FRAME.pack(b"E", 0))
        self.buf.clear()

    def error(self, kind: str, message: str) -> None:
        self.buf.clear()
        payload = json.dumps({"kind": kind, "message": message}).encode()
        _write_all(self.fd, _FRAME.pack(b"X", len(payload)) + payload)


def _read_message(stream) -> dict | None:
    head = stream.read(_LEN.size)
    if len(head) < _LEN.size:
        return None
    return json.loads(stream.read(_LEN.unpack(head)[0]))


def _worker_main() -> None:
    """Entry point of a worker process (``python -c``): serve queries until stdin closes."""
    requests = os.fdopen(os.dup(0), "rb")
    out = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(2, 1)  # stray prints go to stderr, never into the frame stream
    config = _read_message(requests)
    if config is None:
        return
    limit = config["memory_limit_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    threading.stack_size(WORKER_STACK)
    thread = threading.Thread(target=_serve, args=(config, requests, out), name="ruhrkg-query")
    thread.start()
    thread.join()


def _serve(config: dict, requests, out: int) -> None:
    writer = _FrameWriter(out)
    try:
        store = ox.Store.read_only(config["store_path"])
        store = _in_memory(store, config.get("in_memory_max_quads", 0), config.get("default_graphs", ()))
    except Exception as e:  # noqa: BLE001 - reported to the parent, which replaces this worker
        writer.error("startup", f"cannot open the store at {config['store_path']}: {e}")
        return
    try:
        while (request := _read_message(requests)) is not None:
            cpu = resource.getrusage(resource.RUSAGE_SELF)
            used = math.ceil(cpu.ru_utime + cpu.ru_stime)
            resource.setrlimit(resource.RLIMIT_CPU, (used + request["cpu"], resource.RLIM_INFINITY))
            try:
                _run(store, request, writer, config["prefixes"])
            except SyntaxError as e:
                writer.error("syntax", str(e))
            except MemoryError:
                writer.error("memory", "out of memory")
            except Exception as e:  # noqa: BLE001 - every engine error goes back to the caller
                if isinstance(e, BrokenPipeError):
                    raise
                writer.error("failed", f"{type(e).__name__}: {e}")
            else:
                writer.end()
    except BrokenPipeError:
        pass  # the parent went away


#: In a worker's in-memory copy: the graphs of the default dataset, merged into the store's default graph,
#: and every named graph (the ``union`` dataset). None while a worker queries the store on disk.
_MERGED: list | None = None
_NAMED: list = []
#: The default dataset alone (data + ontology in a store of their own), for queries that cannot see named graphs.
_PLAIN: ox.Store | None = None


def _in_memory(disk: ox.Store, max_quads: int, default_graphs=()) -> ox.Store:
    """A copy of a small store in memory (queries run 2-3x faster there), else the store itself.

    The copy also holds the graphs of the default dataset (data + ontology)
    merged into its default graph: a query on one default graph is planned and
    run faster than on a union of named graphs (0.70 ms instead of 0.99 ms for
    a join with GROUP BY here). :func:`_run` uses it for exactly that dataset;
    the named graphs stay as they are. A second store, :data:`_PLAIN`, holds
    that merged default graph alone: Oxigraph's in-memory store walks every
    quad of a predicate in all graphs, so a query that names no graph runs
    there up to a third faster (0.63 -> 0.40 ms for a join with GROUP BY).

    The store never changes under a worker (a rebuild writes a new store and
    the parent restarts its workers), so the copies cannot go stale.
    """
    global _MERGED, _NAMED, _PLAIN
    if max_quads <= 0 or len(disk) > max_quads:
        return disk
    mem = ox.Store()
    mem.extend(disk)  # not bulk_extend: its 200 MB buffers would not fit a small memory limit
    if default_graphs and not any(True for _ in disk.quads_for_pattern(None, None, None, ox.DefaultGraph())):
        plain = ox.Store()
        for g in default_graphs:
            merged = [
                ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                for q in disk.quads_for_pattern(None, None, None, ox.NamedNode(g))
            ]
            mem.extend(merged)
            plain.extend(merged)
        _MERGED, _NAMED, _PLAIN = list(default_graphs), list(disk.named_graphs()), plain
    return mem


def _term(kind: str, value: str):
    if kind == "iri":
        return ox.NamedNode(value)
    if kind == "integer":
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD_INTEGER))
    return ox.Literal(value)


def _run(store: ox.Store, request: dict, writer: _FrameWriter, prefixes: dict[str, str]) -> None:
    """Execute one request and serialise its result into ``writer``."""
    kwargs: dict = {}
    dataset = request["dataset"]
    if _MERGED is not None and dataset.get("default_graph") == _MERGED and "named_graphs" not in dataset:
        # The default dataset: the copy's own default graph holds it; without the word GRAPH (anywhere, so
        # certainly not as a keyword) the query cannot reach the named graphs, and the default graph alone will do.
        if "graph" not in request["query"].lower():
            store = _PLAIN
    elif _MERGED is not None and dataset.get("union"):
        kwargs["default_graph"] = _NAMED  # every named graph, without the merged copy
    elif dataset.get("union"):
        kwargs["use_default_graph_as_union"] = True
    elif "default_graph" in dataset:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in dataset["default_graph"]]
    if "named_graphs" in dataset:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in dataset["named_graphs"]]
    subs = {ox.Variable(name): _term(kind, value) for name, (kind, value) in request["substitutions"].items()}
    if request.get("base_iri"):
        kwargs["base_iri"] = request["base_iri"]
    result = store.query(request["query"], substitutions=subs or None, **kwargs)
    name = request["format"]
    if isinstance(result, ox.QueryTriples):
        fmt = RDF_FORMATS[name]
        triples = result
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            triples = (ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in result)
        with_prefixes = fmt in WITH_PREFIXES
        ox.serialize(triples, writer, fmt, prefixes=prefixes if with_prefixes else None)
    else:
        result.serialize(writer, RESULT_FORMATS[name])


# --------------------------------------------------------------------------- the parent side


class _Expired(Exception):
    pass


class _Dead(Exception):
    pass


class _Budget:
    """Seconds a query may still spend waiting for a worker, or for its worker's output."""

    def __init__(self, seconds: float):
        self.left = seconds

    def wait(self, fn, *args):
        start = time.monotonic()
        try:
            return fn(*args)
        finally:
            self.left -= time.monotonic() - start


_BOOT = "from ruhrkg.server.executor import _worker_main; _worker_main()"


class _Worker:
    """One worker process and the parent's ends of its pipes."""

    def __init__(self, config: bytes, generation: int):
        self.generation = generation
        self.errors = tempfile.TemporaryFile()
        # glibc reserves 64 MB of address space per arena; a Rust backtrace would bury the
        # "memory allocation of N bytes failed" line that tells an out-of-memory abort from a crash
        env = {**os.environ, "MALLOC_ARENA_MAX": "2", "RUST_BACKTRACE": "0"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _BOOT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors, env=env
        )
        self.wfd = self.proc.stdin.fileno()
        self.rfd = self.proc.stdout.fileno()
        os.set_blocking(self.wfd, False)
        self.poll_in = select.poll()
        self.poll_in.register(self.rfd, select.POLLIN)
        self.poll_out = select.poll()
        self.poll_out.register(self.wfd, select.POLLOUT)
        self.buf = bytearray()
        self.pending = _LEN.pack(len(config)) + config
        try:  # written now, so the worker opens the store while it waits for its first query
            self.pending = self.pending[os.write(self.wfd, self.pending) :]
        except OSError:
            pass  # a worker that died at once is noticed by its first query

    def send(self, message: bytes, budget: _Budget) -> None:
        data = memoryview(self.pending + _LEN.pack(len(message)) + message)
        self.pending = b""
        while data:
            try:
                data = data[os.write(self.wfd, data) :]
            except BlockingIOError:
                if budget.left <= 0 or not budget.wait(self.poll_out.poll, math.ceil(budget.left * 1000)):
                    raise _Expired from None
            except (BrokenPipeError, ConnectionResetError):
                raise _Dead from None

    def frame(self, budget: _Budget) -> tuple[bytes, bytes]:
        """The next frame; :class:`_Expired` when the budget runs out, :class:`_Dead` if the worker died."""
        while True:
            if len(self.buf) >= _FRAME.size:
                kind, size = _FRAME.unpack_from(self.buf)
                end = _FRAME.size + size
                if len(self.buf) >= end:
                    payload = bytes(self.buf[_FRAME.size : end])
                    del self.buf[:end]
                    return kind, payload
            if budget.left <= 0 or not budget.wait(self.poll_in.poll, math.ceil(budget.left * 1000)):
                raise _Expired
            try:
                data = os.read(self.rfd, CHUNK)
            except OSError:
                data = b""
            if not data:
                raise _Dead
            self.buf += data

    def death(self) -> tuple[int | None, str]:
        """The exit status of a worker whose pipe closed, and the end of what it wrote to stderr."""
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.errors.seek(0, os.SEEK_END)
        self.errors.seek(max(0, self.errors.tell() - 8000))
        return code, self.errors.read().decode("utf-8", "replace")

    def kill(self) -> None:
        self.signal()
        self.proc.wait()
        self.forget()

    def signal(self) -> None:
        """SIGKILL the process, leaving its pipes to the thread that may be reading them."""
        if self.proc.poll() is None:
            self.proc.kill()

    def forget(self) -> None:
        """Close the parent's ends without touching the process (after a fork, it is not ours)."""
        for f in (self.proc.stdin, self.proc.stdout, self.errors):
            try:
                f.close()
            except OSError:
                pass


@dataclass
class Result:
    """A query result being streamed: its form, its media type, and its bytes in chunks.

    ``chunks`` is a tuple when the answer is complete (most are); otherwise an
    iterator that holds a worker until it is exhausted: close it
    (``chunks.close()``, which WSGI servers do) if you stop early. Errors can
    still be raised while iterating when the result is larger than one chunk.
    """

    form: str
    media_type: str
    chunks: Iterable[bytes]


class _Stream:
    """The chunks of a result larger than one frame, read from the worker as they are consumed."""

    def __init__(self, service: QueryService, worker: _Worker, budget: _Budget, read: list[bytes]):
        self._service, self._worker, self._budget, self._read = service, worker, budget, read

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        if self._read:
            return self._read.pop(0)
        if self._worker is None:
            raise StopIteration
        worker = self._worker
        self._worker = None  # _receive releases or discards it unless it returns a data frame
        kind, payload = self._service._receive(worker, self._budget)
        if kind == b"E":
            raise StopIteration
        self._worker = worker
        return payload

    def close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            self._service._discard(worker)

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass


_RESULT_MEDIA = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}


class _Pieces:
    """A first piece, then the rest from a generator; closing it closes the generator (freeing its worker)."""

    def __init__(self, first: bytes, rest: Iterator[bytes]):
        self._first, self._rest = first, rest

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        if self._first:
            piece, self._first = self._first, b""
            return piece
        return next(self._rest)

    def close(self) -> None:
        self._rest.close()


class QueryService:
    """Runs SPARQL queries on a build's store in a pool of killable worker processes.

    ``memory_limit_mb`` caps each worker's address space (``RLIMIT_AS``), which
    includes about 180 MB the worker maps before its first query. ``timeout`` is
    the seconds a query may spend waiting for a free worker plus waiting for its
    worker's output (time the caller spends with the chunks is not counted).
    Thread-safe: each :meth:`execute` borrows one idle worker.
    """

    def __init__(
        self,
        store_path: str | Path,
        *,
        workers: int = 2,
        timeout: float = 10.0,
        memory_limit_mb: int = 1024,
        service_allowlist: Sequence[str] = ("https://query.wikidata.org/sparql",),
        max_query_length: int = 100_000,
        max_nesting: int = 200,
        in_memory_max_quads: int = 500_000,
        service_redirects: dict[str, str] | None = None,
        engine: str = "auto",
    ):
        # Imported here, not at the top: workers import this module and should not load rdflib.
        from ruhrkg.graph.query import dataset_kwargs
        from ruhrkg.mappings.vocab import PREFIXES
        from ruhrkg.server import oxpool

        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
        self._oxpool = oxpool
        self._program = oxpool.oxigraph_program() if engine != "python" else None
        if engine == "oxigraph" and self._program is None:
            raise ValueError("engine 'oxigraph' needs the oxigraph program (pip install oxigraph)")
        self.engine = engine

        if workers < 1 or timeout <= 0:
            raise ValueError("need at least one worker and a positive timeout")
        if memory_limit_mb < MIN_MEMORY_MB:
            raise ValueError(f"memory_limit_mb must be at least {MIN_MEMORY_MB}")
        self._dataset_kwargs = dataset_kwargs
        self._prefixes = dict(PREFIXES)
        self.workers = workers
        self.timeout = timeout
        self.memory_limit_mb = memory_limit_mb
        self.service_allowlist = checked_allowlist(service_allowlist)
        self.service_redirects = checked_redirects(service_redirects)
        self.max_query_length = max_query_length
        self.max_nesting = max_nesting
        self.in_memory_max_quads = in_memory_max_quads
        self._store_path = str(store_path)
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._generation = 0
        self._pid: int | None = None
        self._closed = False
        # the Oxigraph engine (ruhrkg.server.oxpool): its workers, their data, per kind
        self._merged = [g.value for g in dataset_kwargs("default")["default_graph"]]
        self._ox_idle: dict[str, list] = {"plain": [], "full": []}
        self._ox_all: set = set()
        self._ox_starting = {"plain": 0, "full": 0}
        self._ox_ready: tuple[int, bool, dict[str, bytes]] | None = None  # see _ox_state()
        self._ox_named: list[str] = []
        self._ox_lock = threading.Lock()
        self._spawner = None

    # -- public API ------------------------------------------------------------

    def execute(
        self,
        query: str,
        *,
        dataset: str = "default",
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        result_format: str = "json",
        substitutions: dict[str, tuple[str, str]] | None = None,
        base_iri: str | None = None,
    ) -> Result:
        """Check and run a query; the result streams from the worker in chunks.

        ``dataset``: ``default`` (data + ontology), ``inferred`` (+ inferred
        triples) or ``union`` (every graph); a query's own FROM / FROM NAMED
        takes precedence over it, and explicit ``default_graph_uris`` /
        ``named_graph_uris`` (SPARQL protocol) over both. ``result_format``:
        json, xml, csv or tsv for SELECT/ASK; turtle, ntriples, nquads, trig,
        jsonld or rdfxml for CONSTRUCT/DESCRIBE. ``substitutions`` binds
        variables to values (kind ``iri``, ``literal`` or ``integer``), never
        pasting them into the text. ``base_iri`` resolves relative IRIs in the
        query (the endpoint passes its own URL). Raises a :class:`QueryServiceError`.
        """
        analysis = self.check(query)
        form = analysis.form
        formats = result_formats(form, result_format)
        if analysis.services and self.service_redirects:
            query = redirect_services(query, analysis, self.service_redirects)
        if self._oxigraph_engine():
            return self._execute_ox(analysis, query, dataset, default_graph_uris, named_graph_uris, result_format,
                                    substitutions, base_iri, formats[result_format].media_type)  # fmt: skip
        request = {
            "query": query,
            "format": result_format,
            "dataset": query_dataset(analysis, dataset, default_graph_uris, named_graph_uris),
            "substitutions": _check_substitutions(substitutions or {}),
            "base_iri": base_iri,
            "cpu": math.ceil(2 * self.timeout) + 5,  # backstop if this process dies mid-query
        }
        media_type = formats[result_format].media_type
        budget = _Budget(self.timeout)
        worker = self._acquire(budget)
        try:
            try:
                worker.send(json.dumps(request).encode(), budget)
            except (_Expired, _Dead) as e:
                self._fail(worker, e)
            kind, payload = self._receive(worker, budget)
            if kind == b"E":
                return Result(form, media_type, iter(()))
            # A result that fits one frame (most do) is complete once the next frame says so.
            kind2, payload2 = self._receive(worker, budget)
        except QueryServiceError:
            raise  # the worker has been released or replaced
        except BaseException:
            self._discard(worker)
            raise
        if kind2 == b"E":
            return Result(form, media_type, iter((payload,)))
        return Result(form, media_type, _Stream(self, worker, budget, [payload, payload2]))

    def check(self, query: str) -> Analysis:
        """The pre-checks alone (length, NUL bytes, nesting, form, SERVICE); raises :class:`QueryRejected`."""
        return check_query(query, max_query_length=self.max_query_length, max_nesting=self.max_nesting,
                           service_allowlist=self.service_allowlist)  # fmt: skip

    def reload(self, store_path: str | Path) -> None:
        """Serve a new store: idle workers are replaced now, busy ones when their query ends."""
        with self._cond:
            self._store_path = str(store_path)
            self._generation += 1
            idle, self._idle = self._idle, []
            self._all.difference_update(idle)
            for kind in self._ox_idle:
                idle += self._ox_idle[kind]
                self._ox_all.difference_update(self._ox_idle[kind])
                self._ox_idle[kind] = []
        for worker in idle:
            worker.kill()
        try:
            python_workers = not self._oxigraph_engine()
        except QueryServiceError:
            python_workers = False  # a store that cannot be opened: every query says so
        if self._pid == os.getpid() and python_workers:
            with self._cond:
                self._fill()

    def close(self) -> None:
        """Kill every worker; queries still running fail with :class:`WorkerCrashed`."""
        with self._cond:
            self._closed = True
            ox_idle = [w for ws in self._ox_idle.values() for w in ws]
            idle, busy = self._idle + ox_idle, (self._all | self._ox_all).difference(self._idle + ox_idle)
            self._all, self._idle = set(), []
            self._ox_all, self._ox_idle = set(), {"plain": [], "full": []}
            self._cond.notify_all()
        if self._pid == os.getpid():
            for worker in idle:
                worker.kill()
            for worker in busy:
                worker.signal()  # its query's thread sees the pipe close and cleans up
            if self._spawner is not None:
                self._spawner.stop()

    def __enter__(self) -> QueryService:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the pool ----------------------------------------------------------------

    def _config(self) -> bytes:
        return json.dumps(
            {
                "store_path": self._store_path,
                "memory_limit_mb": self.memory_limit_mb,
                "prefixes": self._prefixes,
                "in_memory_max_quads": self.in_memory_max_quads,
                "default_graphs": [g.value for g in self._dataset_kwargs("default")["default_graph"]],
            }
        ).encode()

    def _fill(self) -> None:
        """Start workers until the pool is full (with the lock held)."""
        while len(self._all) < self.workers:
            try:
                worker = _Worker(self._config(), self._generation)
            except OSError as e:
                log.error("cannot start a query worker: %s", e)
                return
            self._all.add(worker)
            self._idle.append(worker)
            self._cond.notify()

    def _acquire(self, budget: _Budget) -> _Worker:
        with self._cond:
            if self._pid != os.getpid():  # first use, or first use after a fork
                self._adopt()
            while True:
                if self._closed:
                    raise QueryServiceError(503, "the query service is closed")
                self._fill()
                if self._idle:
                    return self._idle.pop()
                if budget.left <= 0:
                    raise QueryTimeout(
                        503, f"no query worker became free within the {self.timeout:g} s time limit; try again later"
                    )
                budget.wait(self._cond.wait, budget.left)

    def _adopt(self) -> None:
        """First use in this process (with the lock held): a parent's workers, pipes and threads are not ours."""
        for worker in self._all | self._ox_all:
            worker.forget()
        self._all, self._idle, self._pid = set(), [], os.getpid()
        self._ox_all, self._ox_idle, self._ox_starting = set(), {"plain": [], "full": []}, {"plain": 0, "full": 0}
        self._spawner = None

    # -- the Oxigraph engine -------------------------------------------------------

    def _oxigraph_engine(self) -> bool:
        """Whether this store is served by Oxigraph workers (decided once per build, on first use)."""
        return self._ox_state()[1]

    def _ox_state(self) -> tuple[int, bool, dict[str, bytes]]:
        """(generation, Oxigraph engine?, the workers' N-Quads per kind) of the current build."""
        ready = self._ox_ready
        if ready is not None and ready[0] == self._generation:
            return ready
        with self._ox_lock:
            generation, path = self._generation, self._store_path
            if self._ox_ready is None or self._ox_ready[0] != generation:
                use, data = False, {}
                if self._program is not None:
                    try:
                        store = ox.Store.read_only(path)
                        use = self.engine == "oxigraph" or 0 < len(store) <= self.in_memory_max_quads
                        if use:
                            plain, full = self._oxpool.store_data(path, self._merged)
                            data = {"plain": plain, "full": full}
                            self._ox_named = sorted(g.value for g in store.named_graphs())
                        del store
                    except OSError as e:  # not remembered: a reload may bring a good store
                        raise WorkerCrashed(500, f"cannot open the store at {path}: {_one_line(str(e))}") from None
                self._ox_ready = (generation, use, data)
            return self._ox_ready

    def _execute_ox(self, analysis, query, dataset, default_graph_uris, named_graph_uris, result_format,
                    substitutions, base_iri, media_type) -> Result:  # fmt: skip
        text = bind_values(query, _check_substitutions(substitutions)) if substitutions else query
        if base_iri and _MAYBE_RELATIVE.search(text) and _PLAIN_BASE.fullmatch(base_iri) and has_relative_iris(text):
            text = f"BASE <{base_iri}> {text}"  # on the first line: the worker's messages keep our line numbers
        kind, params = self._ox_target(analysis, dataset, default_graph_uris, named_graph_uris, text)
        rdf = analysis.form in ("construct", "describe")
        accept = "application/n-triples" if rdf else _RESULT_MEDIA[result_format]
        budget = _Budget(self.timeout)
        worker = self._ox_acquire(kind, budget)
        try:
            worker.fresh()
            status, _, budget.left = worker.exchange(
                "POST", "/query" + params, b"application/sparql-query", text.encode("utf-8"), accept, budget.left
            )
            if status != 200:
                message = _one_line(worker.finish_body(budget.left).decode("utf-8", "replace")) or "(no message)"
                self._ox_release(worker)
                if status == 400:
                    raise QuerySyntaxError(400, f"malformed query: {message}")
                raise QueryFailed(500, f"query failed: {message}")
            whole = worker.small_body(CHUNK)  # most answers: read whole, the worker free again at once
            if whole is not None:
                budget.left = worker._left
                self._ox_release(worker)
                head, pieces = [whole], None
            else:
                pieces = self._ox_body(worker, budget)
                head, size = [], 0
                for piece in pieces:
                    head.append(piece)
                    size += len(piece)
                    if size >= CHUNK:
                        break
                else:
                    pieces = None
        except QueryServiceError:
            raise
        except (self._oxpool.Expired, self._oxpool.Broken, OSError) as e:
            self._ox_fail(worker, e)
        except BaseException:
            self._ox_discard(worker)
            raise
        first = b"".join(head)
        chunks: Iterable[bytes] = ((first,) if first else ()) if pieces is None else _Pieces(first, pieces)
        if rdf and result_format not in ("ntriples", "nquads"):  # N-Triples is N-Quads of the default graph
            fmt = RDF_FORMATS[result_format]
            prefixes = self._prefixes if fmt in WITH_PREFIXES else None
            if pieces is None:  # arrived whole: written here, no thread needed
                chunks = (self._oxpool.reserialise(first, fmt, prefixes, quads=fmt == ox.RdfFormat.TRIG),)
            else:
                chunks = self._oxpool.Reserialiser(iter(chunks), fmt, prefixes, quads=fmt == ox.RdfFormat.TRIG)
        return Result(analysis.form, media_type, chunks)

    def _ox_target(self, analysis, dataset, default_graph_uris, named_graph_uris, text) -> tuple[str, str]:
        """The kind of worker for a request and the dataset as protocol parameters."""
        if dataset == "default" and not (default_graph_uris or named_graph_uris or analysis.has_dataset):
            return ("full" if "graph" in text.lower() else "plain"), ""  # (most requests: the short way)
        ds = query_dataset(analysis, dataset, default_graph_uris, named_graph_uris)
        if not ds:
            return "full", ""  # the query's own FROM / FROM NAMED
        if ds.get("union"):
            default, named = self._ox_named, self._ox_named
        else:
            default, named = ds["default_graph"], ds.get("named_graphs")
            if named is None and default == self._merged:
                # the full store's own default graph; without the word GRAPH no named graph can be reached
                return ("full" if "graph" in text.lower() else "plain"), ""
            if named is None:
                named = self._ox_named  # pyoxigraph's meaning: a default graph given, every graph named
        pairs = [*(("default-graph-uri", g) for g in default), *(("named-graph-uri", g) for g in named)]
        return "full", "?" + urlencode(pairs, quote_via=quote)

    def _ox_body(self, worker, budget: _Budget) -> Iterator[bytes]:
        """The answer's pieces; the worker goes back to the pool at the end, or is replaced if the reader stops."""
        ended = False
        try:
            worker._left = budget.left
            for piece in worker.body():
                budget.left = worker._left
                yield piece
            ended = True
        except (self._oxpool.Expired, self._oxpool.Broken) as e:
            ended = True
            self._ox_fail(worker, e)
        finally:
            if not ended:
                self._ox_discard(worker)  # closed before its end (GeneratorExit): the connection is mid-answer
        self._ox_release(worker)

    def _ox_acquire(self, kind: str, budget: _Budget):
        while True:
            generation, _, data = self._ox_state()
            with self._cond:
                if self._pid != os.getpid():
                    self._adopt()
                if self._closed:
                    raise QueryServiceError(503, "the query service is closed")
                if self._ox_idle[kind]:
                    return self._ox_idle[kind].pop()
                if generation != self._generation:
                    continue  # a new build arrived: its data first
                start = len([w for w in self._ox_all if w.kind == kind]) + self._ox_starting[kind] < self.workers
                if start:
                    self._ox_starting[kind] += 1
                    if self._spawner is None:
                        self._spawner = self._oxpool.Spawner()
                    spawner = self._spawner
                elif budget.left <= 0:
                    raise QueryTimeout(
                        503, f"no query worker became free within the {self.timeout:g} s time limit; try again later"
                    )
                else:
                    budget.wait(self._cond.wait, budget.left)
                    continue
            try:
                worker = self._oxpool.OxWorker(program=self._program, kind=kind, data=data[kind],
                                               memory_limit_mb=self.memory_limit_mb, generation=generation,
                                               spawner=spawner)  # fmt: skip
            except (self._oxpool.WorkerError, OSError) as e:
                log.error("cannot start an Oxigraph query worker: %s", e)
                raise StoreUnavailable(503, f"cannot start a query worker: {_one_line(str(e))}") from None
            finally:
                with self._cond:
                    self._ox_starting[kind] -= 1
            with self._cond:
                if self._closed or generation != self._generation:
                    stale = True
                else:
                    stale = False
                    self._ox_all.add(worker)
            if stale:
                worker.kill()
                continue
            return worker

    def _ox_release(self, worker) -> None:
        with self._cond:
            if worker in self._ox_all and worker.generation == self._generation and not self._closed:
                self._ox_idle[worker.kind].append(worker)
                self._cond.notify()
                return
        self._ox_discard(worker)

    def _ox_discard(self, worker) -> None:
        with self._cond:
            self._ox_all.discard(worker)
            self._cond.notify()  # a slot is free: a waiting request may start a new worker
        worker.kill()

    def _ox_fail(self, worker, cause: Exception) -> NoReturn:
        """Replace a worker that ran out of time, died or broke the protocol; raise the caller's error."""
        if isinstance(cause, self._oxpool.Expired):
            self._ox_discard(worker)
            raise QueryTimeout(503, f"the query did not finish within the {self.timeout:g} s time limit")
        code, stderr = worker.death()
        self._ox_discard(worker)
        if self._closed:
            raise WorkerCrashed(500, "the query service was closed while the query ran")
        log.warning("Oxigraph query worker %d ended (exit status %s): %s", worker.proc.pid, code, stderr[-500:])
        if "memory allocation of" in stderr or code == -signal.SIGKILL:
            raise QueryResourceLimit(503, f"the query exceeded the {self.memory_limit_mb} MB memory limit")
        what = signal.Signals(-code).name if code is not None and code < 0 else f"exit status {code}"
        raise WorkerCrashed(500, f"the query crashed its worker process ({what}); the service keeps running")

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            if worker in self._all and worker.generation == self._generation and not self._closed:
                self._idle.append(worker)
                self._cond.notify()
                return
        self._discard(worker)

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker and start its replacement."""
        with self._cond:
            self._all.discard(worker)
        worker.kill()
        with self._cond:
            if not self._closed and self._pid == os.getpid():
                self._fill()

    def _receive(self, worker: _Worker, budget: _Budget) -> tuple[bytes, bytes]:
        """The next data or end frame of ``worker``; on "E" the worker is released, on errors it is released
        (a failed query) or discarded (timeout, crash) and the matching :class:`QueryServiceError` raised."""
        try:
            kind, payload = worker.frame(budget)
        except (_Expired, _Dead) as e:
            self._fail(worker, e)
        if kind == b"D":
            return kind, payload
        if kind == b"E":
            self._release(worker)
            return kind, payload
        error = json.loads(payload)
        if error["kind"] == "startup":
            self._discard(worker)
            raise WorkerCrashed(500, error["message"])
        self._release(worker)
        if error["kind"] == "syntax":
            raise QuerySyntaxError(400, f"malformed query: {_one_line(error['message'])}")
        if error["kind"] == "memory":
            raise QueryResourceLimit(503, f"the query exceeded the {self.memory_limit_mb} MB memory limit")
        raise QueryFailed(500, f"query failed: {_one_line(error['message'])}")

    def _fail(self, worker: _Worker, cause: Exception) -> NoReturn:
        """Discard a worker that timed out or died and raise the error for the caller."""
        if isinstance(cause, _Expired):
            self._discard(worker)
            raise QueryTimeout(503, f"the query did not finish within the {self.timeout:g} s time limit")
        code, stderr = worker.death()
        self._discard(worker)
        sig = -code if code is not None and code < 0 else None
        log.warning("query worker %d died (exit status %s): %s", worker.proc.pid, code, stderr.strip()[-500:])
        if self._closed:
            raise WorkerCrashed(500, "the query service was closed while the query ran")
        if sig == signal.SIGXCPU:
            raise QueryTimeout(503, f"the query did not finish within the {self.timeout:g} s time limit")
        if sig == signal.SIGKILL or "memory allocation of" in stderr:
            raise QueryResourceLimit(503, f"the query exceeded the {self.memory_limit_mb} MB memory limit")
        what = signal.Signals(sig).name if sig else f"exit status {code}"
        raise WorkerCrashed(500, f"the query crashed its worker process ({what}); the service keeps running")


def _one_line(message: str, limit: int = 300) -> str:
    """An engine message on one line, cut to ``limit`` characters (the parser lists every expected token)."""
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _named_node(iri: str, what: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except (ValueError, TypeError):
        raise QueryRejected(400, f"invalid {what}: {iri!r}") from None


def _check_substitutions(subs: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Validate variable bindings in this process so a bad value is a 400, not a worker error."""
    for name, (kind, value) in subs.items():
        var = _token_re().match(f"?{name}") if isinstance(name, str) else None
        if not var or var.lastgroup != "var" or var.end() != len(name) + 1 or not isinstance(value, str):
            raise QueryRejected(400, f"invalid substitution {name!r}: variable names and values are text")
        if kind not in SUBSTITUTION_KINDS:
            raise QueryRejected(400, f"substitution for {name!r}: kind must be one of {', '.join(SUBSTITUTION_KINDS)}")
        if kind == "iri":
            _named_node(value, f"IRI for {name!r}")
        elif kind == "integer" and not re.fullmatch(r"[+-]?\d{1,18}", value.strip()):
            raise QueryRejected(400, f"substitution for {name!r} must be an integer, not {value!r}")
    return {name: [kind, value] for name, (kind, value) in subs.items()}
