"""Normalisation and string similarity for reconciliation: names folded and reduced by the kind of entity, then
compared by difflib's ratio, trigram Dice and a fuzzy word F1. Nothing here knows the graph or HTTP.

Texts are normalised by :func:`ruhrkg.graph.linking.fold` (case, accents, umlauts: ``ä``, ``ae`` and ``a`` are
all the same, ``ß``/``ss``, punctuation, spaces); :func:`variants` then also drops parenthesised parts and
applies the reductions of :data:`RULES` (academic titles, "des Landes Nordrhein-Westfalen", "Ministerium für",
legal forms).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from ruhrkg.graph.linking import fold

NUMBER_MISMATCH = 0.6  # similarity factor when both sides have numbers and they differ
MAX_WORDS = 24  # distinct words of a query or label that count
MAX_DIFFLIB = 160  # longer strings are compared by trigrams and words only (difflib is quadratic)


def _drop(pattern: str) -> re.Pattern:
    return re.compile(rf"(?:^| )(?:{pattern})(?= |$)")


_TITLES = _drop(r"prof|professor|professorin|dr|doktor|dipl|ing|med|phil|rer|nat|pol|oec|jur|habil|h c|mba|"
                r"herr|frau|mr|mrs|ms|mag|em|apl|priv doz|doz")  # fmt: skip
_STATE = _drop(r"des landes nordrhein westfalen|des landes nrw|der landesregierung|des landes|"
               r"of the state of north rhine westphalia|of north rhine westphalia|"
               r"nordrhein westfalen|north rhine westphalia|land nrw|nrw")  # fmt: skip
_MINISTRY = re.compile(r"^(?:das |the )?(?:ministerium|ministry) (?:fur|der|des|of the|of|for) ")
_LEGAL = _drop(r"ggmbh|gmbh|mbh|ag|se|kgaa|kg|co|e v|ev|eg|gbr|ug|ltd|inc|plc|sa|ohg")


def _rule_titles(text: str) -> str:
    return " ".join(_TITLES.sub(" ", text).split())


def _rule_state(text: str) -> str:
    return " ".join(_STATE.sub(" ", text).split())


def _rule_ministry(text: str) -> str:
    return _MINISTRY.sub("", _rule_state(text))


def _rule_legal(text: str) -> str:
    return " ".join(_LEGAL.sub(" ", text).split())


#: Reductions applied to both the query and the labels, by kind of entity (the kind is the entity's class).
RULES = {"titles": _rule_titles, "state": _rule_state, "ministry": _rule_ministry, "legal": _rule_legal}


def unparenthesised(text: str) -> str:
    """``text`` without parenthesised parts: ``Sport (Staatskanzlei)`` -> ``Sport``."""
    return " ".join(re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", text).split())


@dataclass(frozen=True)
class Key:
    """A normalised string with its distinct words (at most :data:`MAX_WORDS`) and character trigrams."""

    text: str
    words: tuple[str, ...]
    word_set: frozenset[str]
    numbers: frozenset[str]
    grams: frozenset[str]

    @classmethod
    @functools.lru_cache(maxsize=65536)
    def of(cls, folded: str) -> Key:
        words = tuple(dict.fromkeys(folded.split()))[:MAX_WORDS]
        padded = f"  {folded} "
        grams = frozenset(padded[i : i + 3] for i in range(len(padded) - 2))
        return cls(folded, words, frozenset(words), frozenset(w for w in words if w.isdigit()), grams)


def variants(text: str, rules: tuple[str, ...] | frozenset[str]) -> set[str]:
    """The normalised forms of ``text``: folded, without parentheses, and reduced by each rule."""
    plain = {fold(text), fold(unparenthesised(text))}
    out = set(plain)
    for name in rules:
        out |= {RULES[name](p) for p in plain}
    out.discard("")
    return out


def similarity(q: Key, k: Key) -> float:
    """How alike two keys are, 0..1 (1 only if equal): the best of difflib's ratio, trigram Dice, token F1.

    >>> similarity(Key.of("ulrich patzel"), Key.of("ulrich patzel"))
    1.0
    >>> round(similarity(Key.of("ulrich pazel"), Key.of("ulrich patzel")), 2)
    0.96
    >>> similarity(Key.of("essen"), Key.of("bochum")) < 0.3
    True
    """
    if q.text == k.text:
        return 1.0
    dice = 2 * len(q.grams & k.grams) / (len(q.grams) + len(k.grams))
    if dice < 0.2 and not q.word_set & k.word_set:
        return dice
    best = max(dice, _word_f1(q, k))
    lq, lk = len(q.text), len(k.text)
    if max(lq, lk) <= MAX_DIFFLIB and 2 * min(lq, lk) / (lq + lk) > best:  # else the ratio cannot win
        best = max(best, SequenceMatcher(None, q.text, k.text, autojunk=False).ratio())
    best = min(0.99, best)
    if q.numbers and k.numbers and q.numbers != k.numbers:
        best *= NUMBER_MISMATCH  # "Themenforum 14" is not "Themenforum 01"
    return best


def _word_f1(a: Key, b: Key) -> float:
    """F1 of the distinct words of two keys; a word matches an equal one, or one that is >= 0.8 alike."""
    if not a.words or not b.words:
        return 0.0
    p = sum(_best_word(x, b) for x in a.words) / len(a.words)
    r = sum(_best_word(y, a) for y in b.words) / len(b.words)
    return 2 * p * r / (p + r) if p + r else 0.0


def _best_word(x: str, other: Key) -> float:
    if x in other.word_set:
        return 1.0
    if len(x) < 4:
        return 0.0  # short words (and numbers) must be equal
    return max((_word_similarity(x, y) for y in other.words if abs(len(x) - len(y)) <= 2), default=0.0)


@functools.lru_cache(maxsize=262144)
def _word_similarity(x: str, y: str) -> float:
    if len(y) < 4 or x.isdigit() or y.isdigit():
        return 0.0
    ratio = SequenceMatcher(None, x, y, autojunk=False).ratio()
    return ratio if ratio >= 0.8 else 0.0

