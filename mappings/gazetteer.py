"""The curated gazetteer (``gazetteer.yaml``): ministries, units, organisations, venues, cities.

It maps every printed spelling to one key, so one real-world thing gets one
IRI however the document spells it.

>>> gz = load()
>>> gz.ministry_code("MHKGB")
'MHKBG'
>>> [m.key for m in gz.find_venues("im Haus der Technik, Essen")]
['haus-der-technik']

A document that names places the packaged file does not know (such as a
synthetic test corpus) is read with :func:`extended`, the packaged entries
plus extra ones in the same layout, passed to the parser and the mapper as
``gazetteer=``. The packaged file itself is never changed by it.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from importlib import resources

import yaml

#: The time zone of an event whose city the document does not name: the Ruhr-Konferenz is a process of NRW.
DEFAULT_TIME_ZONE = "Europe/Berlin"


@dataclass(frozen=True)
class Entry:
    key: str
    name: str
    aliases: tuple[str, ...] = ()
    en: str | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Point:
    """Where a city or venue is drawn: WGS 84 degrees, the record they come from, and whose point it is.

    ``owner`` is ``(section, key)`` of the entry whose ``geo`` gives the point: the place itself, or, for a
    venue without coordinates of its own, the venue it is part of or its city.
    """

    lat: float
    lon: float
    source: str
    owner: tuple[str, str]


@dataclass(frozen=True)
class Match:
    key: str
    start: int
    end: int
    text: str


class Gazetteer:
    """Lookup of printed spellings. Build with :func:`load`."""

    def __init__(self, data: dict) -> None:
        self.areas = {a["key"]: Entry(a["key"], a["de"], en=a["en"], extra={"tz": a.get("tz")}) for a in data["areas"]}
        self.cities = {c["key"]: _entry(c) for c in data["cities"]}
        self.ministries = {
            m["code"]: Entry(m["code"], m["de"], tuple(m.get("aliases", ())), en=m["en"],
                             extra={k: m[k] for k in ("existed", "changed_by", "successors", "sources") if k in m})
            for m in data["ministries"]
        }  # fmt: skip
        #: curated facts about the ministries: their sources, reorganisations and successors (see gazetteer.yaml)
        self.sources = {x["key"]: x for x in data.get("sources", ())}
        self.changes = {x["key"]: x for x in data.get("changes", ())}
        self.successors = {x["code"]: Entry(x["code"], x["de"], en=x["en"]) for x in data.get("successors", ())}
        self.units = {u["code"]: Entry(u["code"], u["de"], en=u["en"], extra={"of": u["of"]}) for u in data["units"]}
        self.organizations = {o["key"]: _entry(o) for o in data["organizations"]}
        self.venues = {v["key"]: _entry(v) for v in data["venues"]}
        self._ministry_alias = {a: m.key for m in self.ministries.values() for a in (m.key, *m.aliases)}
        self._venue_re = _alternation(self.venues)
        self._city_re = _alternation(self.cities)
        self._org_re = _alternation(self.organizations)

    # -- ministries -------------------------------------------------------
    def ministry_code(self, printed: str) -> str | None:
        """The official code for a printed Ressort code, or None."""
        return self._ministry_alias.get(printed)

    def time_zone(self, city: str | None) -> str:
        """The IANA time zone of a city (by its area), :data:`DEFAULT_TIME_ZONE` where the city is unknown.

        >>> load().time_zone("tel-aviv"), load().time_zone("essen"), load().time_zone(None)
        ('Asia/Jerusalem', 'Europe/Berlin', 'Europe/Berlin')
        """
        if city is None or city not in self.cities:
            return DEFAULT_TIME_ZONE
        return self.areas[self.cities[city].extra["area"]].extra.get("tz") or DEFAULT_TIME_ZONE

    # -- coordinates --------------------------------------------------------
    def point(self, section: str, key: str) -> Point | None:
        """The point of a city or venue (``section`` is ``"cities"`` or ``"venues"``), or None if unknown.

        >>> load().point("venues", "oktogon-zollverein").owner
        ('venues', 'zollverein')
        >>> p = load().point("venues", "signal-iduna-park"); p.owner, p.source
        (('cities', 'dortmund'), 'wikidata:Q1295')
        """
        entry = getattr(self, section)[key]
        if geo := entry.extra.get("geo"):
            return Point(float(geo["lat"]), float(geo["lon"]), geo["source"], (section, key))
        if section == "venues":
            if parent := entry.extra.get("in"):
                return self.point("venues", parent)
            if city := entry.extra.get("city"):
                return self.point("cities", city)
        return None

    # -- lookups in running text -----------------------------------------
    def find_venues(self, text: str) -> list[Entry]:
        return [self.venues[m.key] for m in self.venue_matches(text)]

    def venue_matches(self, text: str) -> list[Match]:
        return _matches(self._venue_re, text)

    def city_matches(self, text: str) -> list[Match]:
        return _matches(self._city_re, text)

    def organization_matches(self, text: str) -> list[Match]:
        return _matches(self._org_re, text)


def _entry(d: dict) -> Entry:
    extra = {k: v for k, v in d.items() if k not in {"key", "name", "aliases"}}
    return Entry(d["key"], d["name"], tuple(d.get("aliases", ())), extra=extra)


def _alternation(entries: dict[str, Entry]) -> tuple[re.Pattern, dict[str, str]]:
    """One regex for all spellings, as whole words; the longest spelling wins at each position.

    The spellings are compiled as a trie (``Zeche (?:Zollverein|Nordstern)``
    rather than one alternative per spelling): it matches exactly what the
    plain alternation of the spellings sorted longest first matches, but the
    regex engine tries a few branches per character instead of every spelling,
    so lookups stay fast with tens of thousands of entries.
    """
    by_spelling: dict[str, str] = {}
    for e in entries.values():
        for spelling in (e.name, *e.aliases):
            by_spelling.setdefault(spelling, e.key)
    pattern = re.compile(r"(?<![\w-])(" + _trie_regex(by_spelling) + r")(?![\w-])")
    return pattern, by_spelling


_END = ""  # marks the end of a spelling in a trie node


def _trie_regex(spellings) -> str:
    """A regex matching the same strings as the alternation of ``spellings``, longest first."""
    root: dict = {}
    for s in spellings:
        node = root
        for ch in s:
            node = node.setdefault(ch, {})
        node[_END] = {}
    if not root:
        return "(?!)"  # no spellings: matches nothing

    def emit(node: dict) -> str:
        # longer continuations before the end of a spelling, so the first match is the longest one
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch != _END]
        if _END in node:
            branches.append("")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return emit(root)


def _matches(compiled: tuple[re.Pattern, dict[str, str]], text: str) -> list[Match]:
    pattern, by_spelling = compiled
    return [Match(by_spelling[m.group(1)], m.start(), m.end(), m.group(1)) for m in pattern.finditer(text)]


def packaged_data() -> dict:
    """The packaged ``gazetteer.yaml``, parsed (a fresh copy on each call)."""
    return copy.deepcopy(_packaged_data())


@functools.cache
def _packaged_data() -> dict:
    text = resources.files("ruhrkg.mappings").joinpath("gazetteer.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@functools.cache
def load() -> Gazetteer:
    """The packaged gazetteer (parsed once per process)."""
    return Gazetteer(packaged_data())


SECTIONS = ("areas", "cities", "ministries", "units", "organizations", "venues")


def extended(extra: dict) -> Gazetteer:
    """The packaged gazetteer plus the entries of ``extra``.

    ``extra`` has the layout of ``gazetteer.yaml`` (any of its sections; each a
    list of entries). Its entries are added after the packaged ones; a key
    that is already taken raises :class:`ValueError`, so an extension can add
    places but never redefine one.

    >>> gz = extended({"cities": [{"key": "hamm", "name": "Hamm", "area": "nordrhein-westfalen"}]})
    >>> [m.key for m in gz.city_matches("am 01.02.2019 in Hamm")], len(load().cities)
    (['hamm'], 14)
    """
    data = packaged_data()
    unknown = set(extra) - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown gazetteer section(s): {', '.join(sorted(unknown))}")
    for section in SECTIONS:
        id_field = "code" if section in ("ministries", "units") else "key"
        taken = {e[id_field] for e in data[section]}
        for entry in extra.get(section) or ():
            if entry[id_field] in taken:
                raise ValueError(f"gazetteer {section}: {entry[id_field]!r} is already defined")
            taken.add(entry[id_field])
            data[section].append(entry)
    return Gazetteer(data)
