"""The curated gazetteer (``gazetteer.yaml``): ministries, units, organisations, venues, cities.

It maps every printed spelling to one key, so one real-world thing gets one
IRI however the document spells it.

>>> gz = load()
>>> gz.ministry_code("MHKGB")
'MHKBG'
>>> [m.key for m in gz.find_venues("im Haus der Technik, Essen")]
['haus-der-technik']
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources

import yaml


@dataclass(frozen=True)
class Entry:
    key: str
    name: str
    aliases: tuple[str, ...] = ()
    en: str | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Match:
    key: str
    start: int
    end: int
    text: str


class Gazetteer:
    """Lookup of printed spellings. Build with :func:`load`."""

    def __init__(self, data: dict) -> None:
        self.areas = {a["key"]: Entry(a["key"], a["de"], en=a["en"]) for a in data["areas"]}
        self.cities = {c["key"]: _entry(c) for c in data["cities"]}
        self.ministries = {
            m["code"]: Entry(m["code"], m["de"], tuple(m.get("aliases", ())), en=m["en"]) for m in data["ministries"]
        }
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
    by_spelling: dict[str, str] = {}
    for e in entries.values():
        for spelling in (e.name, *e.aliases):
            by_spelling.setdefault(spelling, e.key)
    spellings = sorted(by_spelling, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(s) for s in spellings) + r")(?![\w-])")
    return pattern, by_spelling


def _matches(compiled: tuple[re.Pattern, dict[str, str]], text: str) -> list[Match]:
    pattern, by_spelling = compiled
    return [Match(by_spelling[m.group(1)], m.start(), m.end(), m.group(1)) for m in pattern.finditer(text)]


@functools.cache
def load() -> Gazetteer:
    """The packaged gazetteer (parsed once per process)."""
    text = resources.files("ruhrkg.mappings").joinpath("gazetteer.yaml").read_text(encoding="utf-8")
    return Gazetteer(yaml.safe_load(text))
