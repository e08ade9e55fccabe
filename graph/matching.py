"""Reconciliation queries, without HTTP: checking them (:func:`parse_query`), bounding their work, scoring the
entities of a :class:`~ruhrkg.graph.reconcile.Index` against them.

**Scores** run from 0 to 100. A normalised label equal to the normalised query (or the query being the
entity's id) scores 100; otherwise 95 times :func:`~ruhrkg.graph.similarity.similarity`. Each ``properties``
entry the candidate has values for is compared the same way (entity values by id or by any of their labels) and
averaged in with weight ½ against the name; properties a candidate has no value for are neutral, unknown ``pid``
are ignored. ``type`` filters: ``type_strict`` ``any`` (the default) keeps entities of at least one of the
types, ``all`` of all of them, ``should`` keeps every entity but multiplies the score of those without one of the
types by 0.6. Candidates under 30 are dropped; the rest are ranked by score, then name, then id; ``limit``
(default 3, at most 100) cuts the list.

**Match rule.** ``match`` is true for the first candidate only, and only if its name matched exactly (score
100 before properties), its final score is at least 90, it is at least 10 points ahead of the next candidate
(returned or not), and it has one of the requested types (if any).

**Bounded work.** The cost of a batch is the number of string comparisons it can need (:func:`cost`: the
query's normalised forms times the keys of every entity, plus, for each property value, its normalised forms
times the keys of every value the entities have for that property), a form counting once per 40 characters
(comparing long texts costs more: trigrams, words and difflib's ratio grow with the length). Measured on the
built graph: a name query costs about 1,500 to 2,000, one with two short properties about 3,000, and one with
20 properties of 20 values of 120 characters about 450,000 (the default limit of a batch is 300,000). :func:`reconcile_batch` refuses a batch
whose cost exceeds ``max_comparisons`` before it starts, and stops one that runs past its time limit
(:class:`ReconcileError` 413 with the reason either way).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

from ruhrkg.graph.reconcile import Entity, Index, Value
from ruhrkg.graph.similarity import Key, similarity, variants

DEFAULT_LIMIT = 3
MAX_RESULTS = 100  # candidates per query; larger limits are cut to this
MAX_LIMIT = 10_000  # a larger limit is an error
MAX_TEXT = 500  # characters of a query, a property value, a prefix, an id
MAX_PROPERTIES = 20  # properties per query, and values per property
MAX_TYPES = 20
MIN_SCORE = 30.0
PROPERTY_WEIGHT = 0.5
SHOULD_PENALTY = 0.6
MATCH_MIN_SCORE = 90.0
MATCH_MIN_GAP = 10.0
COST_CHARS = 40  # a longer text costs more to compare: it counts once per this many characters


class ReconcileError(Exception):
    """A query or batch the service refuses: a status (400 malformed, 413 too much work) and a one-line reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


# --------------------------------------------------------------------------- queries


@dataclass
class Query:
    text: str
    types: list[str]
    strict: str
    limit: int
    properties: list[tuple[str, list]]  # (pid, values): a value is a string or {"id", "name"}


def parse_query(where: str, obj) -> Query:
    """One reconciliation query (a string or a JSON object), checked; :class:`ReconcileError` 400 names the place
    of the problem (``where``: the query's key)."""
    if isinstance(obj, str):
        obj = {"query": obj}
    if not isinstance(obj, dict):
        raise ReconcileError(400, f"{where} must be a JSON object")
    text = text_value(f"{where}.query", obj.get("query", ""), allow_number=True).strip()
    types = _types(where, obj.get("type"))
    strict = obj.get("type_strict") or "any"
    if strict not in ("any", "all", "should"):
        raise ReconcileError(400, f'{where}.type_strict must be "any", "all" or "should"')
    limit = int_value(f"{where}.limit", obj.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT, MAX_RESULTS)
    props = obj.get("properties") or []
    if not isinstance(props, list) or len(props) > MAX_PROPERTIES:
        raise ReconcileError(400, f"{where}.properties must be a list of at most {MAX_PROPERTIES} objects")
    properties = [_property(f"{where}.properties[{i}]", p) for i, p in enumerate(props)]
    if not text and not properties:
        raise ReconcileError(400, f"{where} needs a non-empty query or properties")
    return Query(text, types, strict, limit, properties)


def _types(where: str, types) -> list[str]:
    if types is None or types == "":
        return []
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, list) or len(types) > MAX_TYPES:
        raise ReconcileError(400, f"{where}.type must be a string or a list of at most {MAX_TYPES} strings")
    return [text_value(f"{where}.type", t) for t in types]


def _property(at: str, p) -> tuple[str, list]:
    if not isinstance(p, dict) or "pid" not in p or "v" not in p:
        raise ReconcileError(400, f'{at} must be an object with "pid" and "v"')
    pid = text_value(f"{at}.pid", p["pid"])
    vs = p["v"] if isinstance(p["v"], list) else [p["v"]]
    if len(vs) > MAX_PROPERTIES:
        raise ReconcileError(400, f"{at}.v has more than {MAX_PROPERTIES} values")
    values: list = []
    for v in vs:
        if isinstance(v, dict):
            if not isinstance(v.get("id", v.get("name")), str):
                raise ReconcileError(400, f'{at}.v must be a string, number, boolean or {{"id", "name"}} object')
            values.append({k: text_value(f"{at}.v.{k}", v[k]) for k in ("id", "name") if k in v})
        elif isinstance(v, bool):
            values.append("true" if v else "false")
        else:
            values.append(text_value(f"{at}.v", v, allow_number=True))
    return pid, values


def _text_of(value: str | dict) -> str:
    return value.get("name", "") if isinstance(value, dict) else value


def text_value(where: str, value, *, allow_number: bool = False) -> str:
    """A string of at most :data:`MAX_TEXT` characters without NUL (a number too, with ``allow_number``)."""
    if allow_number and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    if not isinstance(value, str):
        raise ReconcileError(400, f"{where} must be a string")
    if len(value) > MAX_TEXT:
        raise ReconcileError(400, f"{where} is longer than {MAX_TEXT} characters")
    if "\x00" in value:
        raise ReconcileError(400, f"{where} contains a NUL character")
    return value


def int_value(where: str, raw, default: int, lo: int, hi: int, cap: int | None = None) -> int:
    """An integer in ``lo..hi`` (a number or a string of digits); larger than ``cap`` is cut to ``cap``."""
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        raise ReconcileError(400, f"{where} must be an integer")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d{1,9}\s*", raw):
        raw = int(raw)
    if not isinstance(raw, int):
        raise ReconcileError(400, f"{where} must be an integer, not {json.dumps(raw)[:40]}")
    if not lo <= raw <= hi:
        raise ReconcileError(400, f"{where} must be between {lo} and {hi}, not {raw}")
    return min(raw, cap) if cap else raw


# --------------------------------------------------------------------------- scoring


@dataclass
class Candidate:
    entity: Entity
    score: float
    exact: bool
    name_score: float | None
    typed: bool
    prop_score: float | None
    match: bool = False


def cost(index: Index, q: Query) -> int:
    """The most string comparisons :func:`reconcile` can need for ``q``, a text counting once per
    :data:`COST_CHARS` characters (see the module docstring)."""
    total = 0
    if q.text:
        total += sum(_weight(variants(q.text, rules)) * n for rules, n in index.keys_by_rules.items())
    for pid, values in q.properties:
        p = index.prop(pid)
        if p is not None:
            total += sum(_weight(variants(_text_of(w), ())) for w in values) * index.value_keys[p.key]
    return total


def _weight(texts: set[str]) -> int:
    return sum(1 + len(t) // COST_CHARS for t in texts)


@dataclass
class Deadline:
    """When a batch must be done (``time.monotonic()``); :meth:`check` raises :class:`ReconcileError` 413 past it."""

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, seconds)

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise ReconcileError(413, f"the batch takes longer than the limit of {self.seconds:g} s: "
                                      "send fewer queries, properties or values per request")  # fmt: skip


def reconcile_batch(index: Index, queries: dict[str, Query], lang: str, *, max_comparisons: int,
                    seconds: float) -> dict[str, list[Candidate]]:  # fmt: skip
    """The candidates of every query of a batch, within ``max_comparisons`` and ``seconds`` (else 413)."""
    needed = sum(cost(index, q) for q in queries.values())
    if needed > max_comparisons:
        raise ReconcileError(413, f"the batch needs up to {needed} string comparisons, the limit is {max_comparisons}: "
                                  "send fewer queries, properties or values per request")  # fmt: skip
    deadline = Deadline.after(seconds)
    return {key: reconcile(index, q, lang, deadline) for key, q in queries.items()}


def name_scores(index: Index, text: str, deadline: Deadline) -> dict[str, tuple[float, bool]]:
    """Every entity's name score for ``text`` (0..100) and whether a normalised label equals it."""
    by_id = index.entity(text) if len(text) > 2 else None
    rulesets = {e.rules for e in index.entities.values()}
    qkeys = {rules: [Key.of(k) for k in variants(text, rules)] for rules in rulesets}
    out = {}
    for iri, e in index.entities.items():
        deadline.check()
        if by_id is e:
            out[iri] = (100.0, True)
            continue
        best = 0.0
        for q in qkeys[e.rules]:
            if q.text in e.keys:
                best = 1.0
                break
            for k in e.keys.values():
                best = max(best, similarity(q, k))
        out[iri] = (100.0, True) if best == 1.0 else (round(95 * best, 2), False)
    return out


def value_similarity(index: Index, wanted: list, have: list[Value]) -> float:
    """How well the values a query gives for a property fit the candidate's values, 0..1."""
    best = 0.0
    for w in wanted:
        if isinstance(w, dict):
            target = index.entity(w["id"]) if "id" in w else None
            if target is not None:
                if any(v.is_iri and v.value == target.iri for v in have):
                    return 1.0
                continue
        qkeys = [Key.of(k) for k in variants(_text_of(w), ())]
        for v in have:
            e = index.entities.get(v.value) if v.is_iri else None
            keys = e.keys.values() if e else [Key.of(k) for k in variants(v.value, ())]
            for q in qkeys:
                for k in keys:
                    best = max(best, similarity(q, k))
                    if best == 1.0:
                        return best
    return best


def reconcile(index: Index, q: Query, lang: str, deadline: Deadline) -> list[Candidate]:
    """The ranked candidates for one query, ``match`` set on the first if it is one (see the module docstring)."""
    wanted = [index.type_iri(t) for t in q.types]
    names = name_scores(index, q.text, deadline) if q.text else None
    props = [(p, vs) for p, vs in ((index.prop(pid), vs) for pid, vs in q.properties) if p is not None]
    candidates = []
    for iri, e in index.entities.items():
        deadline.check()
        typed = not wanted or (all if q.strict == "all" else any)(t in e.all_types for t in wanted)
        if not typed and q.strict != "should":
            continue
        name_score, exact = names[iri] if names else (None, False)
        total, weight, prop_scores = (name_score or 0.0), (1.0 if names else 0.0), []
        for p, vs in props:
            have = index.values(e, p, lang)
            if have:
                prop_scores.append(100 * value_similarity(index, vs, have))
                total += PROPERTY_WEIGHT * prop_scores[-1]
                weight += PROPERTY_WEIGHT
        if not weight:
            continue  # a query by properties alone, none of which this entity has
        score = total / weight * (1.0 if typed else SHOULD_PENALTY)
        if score >= MIN_SCORE:
            prop_score = round(sum(prop_scores) / len(prop_scores), 2) if prop_scores else None
            candidates.append(Candidate(e, round(score, 2), exact, name_score, typed, prop_score))
    candidates.sort(key=lambda c: (-c.score, c.entity.name(lang).casefold(), c.entity.iri))
    if candidates:
        first = candidates[0]
        first.match = (first.exact and first.score >= MATCH_MIN_SCORE and (first.typed or not wanted)
                       and (len(candidates) == 1 or first.score - candidates[1].score >= MATCH_MIN_GAP))  # fmt: skip
    return candidates[: q.limit]
