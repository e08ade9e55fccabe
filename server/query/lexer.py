"""The SPARQL lexer and the one pre-check every query passes, whatever engine and route runs it.

This module is the security boundary of the query layer. :func:`check_query` runs in the web process on the
text of every query before any engine sees it, and the text it checked is the text that is executed:

- **Codepoint escapes first.** SPARQL 1.1 (section 19.2) processes ``\\u``/``\\U`` escapes *before* parsing,
  anywhere in the text, and so do Jena and QLever, while Oxigraph decodes them only in strings and IRIs. A
  keyword spelt ``\\u0053ERVICE`` would pass a check that reads escapes the Oxigraph way and be a ``SERVICE``
  to Jena. :func:`decode_escapes` therefore decodes every escape (Java's rule: a backslash preceded by an odd
  number of backslashes starts none), the checks read the decoded text, and every engine is sent the decoded
  text. An escape that decodes to a backslash (it could start a new escape), a surrogate or a NUL is refused.
- **Length, NUL, nesting, form** (Update is refused with 403).
- **SERVICE** only to an allow-listed IRI (403, no request made).
- **Vendor functions** that reach outside a store (Virtuoso's ``bif:``/``sql:``, Jena's ``java:``) are
  refused on the *expanded* IRI of every IRI and prefixed name, and on every ``BASE`` and ``PREFIX``
  namespace (403), so ``PREFIX b: <bi>`` then ``b:f:x`` cannot spell ``bif:x``.

>>> check_query("SELECT * { ?s ?p ?o }", max_query_length=100, max_nesting=10, service_allowlist=()).form
'select'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ruhrkg.server.query.errors import QueryRejected, QuerySyntaxError
from ruhrkg.server.query.terms import term

_B = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)  # PN_CHARS_BASE
_U = _B + "_"  # PN_CHARS_U
_C = _U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"  # PN_CHARS
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_EXP = r"[eE][+-]?[0-9]+"

# One token per match, in SPARQL 1.1's lexical grammar, with the whitespace and comments before it (skipped
# atomically, so a match never backtracks into them; at the end of the text, "eof" takes what is left). Order
# matters (long strings before short ones). "op" is a one-character operator or bracket that starts no other
# token, and "word" a bare word that begins neither a blank node ('_:') nor a prefixed name (the rest of a
# PN_PREFIX and a ':' do not follow): both are frequent, so they are tried first. Anything else is a single "punct" character.
_TOKEN_PATTERN = rf"""
  (?>(?:[ \t\r\n]|\#[^\r\n]*)*)
  (?:
    (?P<eof>\Z)
  | (?P<op>[(){{}}\[\],;=!&|+*/^@-])
  | (?P<word>_(?!:[{_U}0-9])[A-Za-z0-9_]*|[A-Za-z][A-Za-z0-9_]*(?!(?:[{_C}.]*[{_C}])?:))
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
             | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
             | '(?:[^'\\\n\r]|\\[^\n\r])*'
             | "(?:[^"\\\n\r]|\\[^\n\r])*")
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{{4}}|\\U[0-9A-Fa-f]{{8}})*>)
  | (?P<var>[?$][{_U}0-9][{_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)
  | (?P<bnode>_:[{_U}0-9](?:[{_C}.]*[{_C}])?)
  | (?P<pname>(?:[{_B}](?:[{_C}.]*[{_C}])?)?:(?:(?:[{_U}:0-9]|{_PLX})(?:(?:[{_C}.:]|{_PLX})*(?:[{_C}:]|{_PLX}))?)?)
  | (?P<number>[0-9]+\.[0-9]*{_EXP}|[0-9]*\.[0-9]+(?:{_EXP})?|[0-9]+(?:{_EXP})?)
  | (?P<esc>\\.)
  | (?P<punct>.)
  )
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
    service_spans: tuple[tuple[int, int], ...] = ()  # where each SERVICE IRI stands in ``text``
    text: str = ""  # the query as checked, escapes decoded: what an engine runs
    dataset_iris: tuple[str, ...] = ()  # the IRIs of its FROM / FROM NAMED clauses


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
        if kind == "eof":
            return
        start = m.start(kind)
        tok = text[start : m.end()]
        if kind == "punct" and tok in "'\"":
            raise QuerySyntaxError(400, f"malformed query: unterminated string at {_where(text, start)}")
        yield _Tok(kind, tok, start)


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
    _refuse_extensions(query, toks, prefixes)
    services, spans, dataset_iris = [], [], []
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
                k = j + 1
                if k < len(toks) and toks[k].kind == "word" and toks[k].text.lower() == "named":
                    k += 1
                if k < len(toks) and toks[k].kind in ("iri", "pname"):
                    dataset_iris.append(_expanded(toks[k], prefixes) or "")
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
    return Analysis(form, has_dataset, tuple(services), tuple(spans), query, tuple(dataset_iris))


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


def check_query(query: str, *, max_query_length: int, max_nesting: int, service_allowlist: tuple[str, ...]) -> Analysis:
    """The one pre-check of every query, on every route and engine: escapes decoded (:func:`decode_escapes`),
    then length, NUL, nesting, form, SERVICE and vendor functions (:func:`analyse`). The returned
    :attr:`Analysis.text` is what an engine must run. Raises :class:`QueryRejected` or :class:`QuerySyntaxError`.
    """
    if not isinstance(query, str):
        raise QueryRejected(400, "the query must be text")
    if len(query) > max_query_length:
        raise QueryRejected(400, f"query too long: {len(query)} characters, the limit is {max_query_length}")
    if len(query) > 8192:  # keep the cache small: long queries are rare and cheap enough to re-check
        return _check(query, tuple(service_allowlist), max_nesting)
    return _check_cached(query, tuple(service_allowlist), max_nesting)


def _check(query: str, allowlist: tuple[str, ...], max_nesting: int) -> Analysis:
    text = decode_escapes(query)
    if "\x00" in text:
        raise QueryRejected(400, "the query contains a NUL character")
    return analyse(text, service_allowlist=allowlist, max_nesting=max_nesting)


_check_cached = functools.lru_cache(maxsize=512)(_check)

#: A codepoint escape that the SPARQL grammar processes before parsing: a backslash preceded by an even
#: number of backslashes (none included), then ``u`` and 4 or ``U`` and 8 hex digits.
_CODEPOINT = re.compile(r"(?<!\\)((?:\\\\)*)\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")


def decode_escapes(query: str) -> str:
    """The query with every ``\\u``/``\\U`` codepoint escape decoded, wherever it stands (SPARQL 1.1, 19.2).

    An escape of a backslash, a NUL, a surrogate or a value past U+10FFFF is refused (400): the first
    could form a new escape, which another engine would decode a second time.

    >>> decode_escapes(r"SELECT * { \\u0053ERVICE <x:y> {} }")
    'SELECT * { SERVICE <x:y> {} }'
    >>> decode_escapes(r'ASK { FILTER("\\\\u0041" != "") }')  # an escaped backslash, then plain text
    'ASK { FILTER("\\\\\\\\u0041" != "") }'
    """
    if "\\u" not in query and "\\U" not in query:
        return query

    def one(m: re.Match) -> str:
        code = int(m.group(2) or m.group(3), 16)
        if code in (0, 0x5C) or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            raise QueryRejected(400, f"the codepoint escape {m.group()[len(m.group(1)):]} is not allowed")
        return m.group(1) + chr(code)

    return _CODEPOINT.sub(one, query)


#: IRI schemes of vendor functions that reach outside a store (Virtuoso's SQL built-ins, Jena's Java classes).
EXTENSION_SCHEMES = ("bif:", "sql:", "java:")


def _expanded(tok: _Tok, prefixes: dict[str, str]) -> str | None:
    """The IRI an IRI token or a prefixed name stands for (a prefix the query does not declare: as written)."""
    if tok.kind == "iri":
        return _decode_iri(tok.text[1:-1])
    prefix, local = tok.text.split(":", 1)
    return prefixes.get(prefix, prefix + ":") + _LOCAL_ESCAPE.sub(r"\1", local)


def _refuse_extensions(query: str, toks: list[_Tok], prefixes: dict[str, str]) -> None:
    """403 for an IRI, a prefixed name (expanded), a BASE or a PREFIX namespace in a vendor scheme."""
    for ns in prefixes.values():
        if ns.lower().startswith(EXTENSION_SCHEMES):
            raise QueryRejected(403, f"the namespace <{_shown(ns[:60])}> is a store's extension scheme "
                                     f"({', '.join(EXTENSION_SCHEMES)}), which is not allowed")  # fmt: skip
    for t in toks:
        if t.kind in ("iri", "pname") and (_expanded(t, prefixes) or "").lower().startswith(EXTENSION_SCHEMES):
            raise QueryRejected(
                403,
                f"{_shown(t.text[:60])} at {_where(query, t.pos)}: the store's extension functions "
                f"({', '.join(EXTENSION_SCHEMES)}) are not allowed",
            )


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
    row = " ".join(str(term(*substitutions[n])) for n in names)
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


