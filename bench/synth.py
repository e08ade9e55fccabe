"""Synthetic Steckbriefe corpora: the real document's shape at N times its size.

    python bench/synth.py --scale 10 --seed 1 -o corpus.txt

writes ``corpus.txt`` (200 forums) and ``corpus.gazetteer.yaml``, the gazetteer
entries for the places and organisations it invents. Read it with both::

    from ruhrkg.mappings import gazetteer, mapper, parser
    gz = gazetteer.extended(yaml.safe_load(open("corpus.gazetteer.yaml")))
    doc = parser.parse_text(open("corpus.txt").read(), gazetteer=gz)   # no warnings
    data = mapper.to_graph(doc, gazetteer=gz)

How it is made. The real document is the template: a corpus at scale N is N
*blocks*, each block the 20 real forums in a shuffled order, renumbered
1..20N. Every line is copied except the parts that name something or count
something, which are re-drawn:

* persons: every real moderator becomes a new person per block, with the same
  shape (gender, academic title, middle initial, two or hyphenated given or
  family names); a person who moderates two forums of the real document
  moderates the same two forums of each block. Names are unique in the corpus.
* dates, times and participant counts: new values, printed in the same form
  as the line they replace (``10.05 2019``, ``11. Juni 2019``,
  ``28.-30.05.2019``, ``9:30``, ``12.30``, ``bis ca.``, ``ca. 40 – 50``, ...).
* organisations, venues and cities: block 0 keeps the real ones (the packaged
  gazetteer knows them). Every other block gets a *mirror* of the packaged
  gazetteer's cities, venues and organisations: the same entries with every
  distinctive word replaced by an invented one, the same word by the same word
  throughout the block (so "Polizeipräsident Essen" stays in the block's
  "Essen", and "Oktogon, Zeche Zollverein" still names the venue inside
  "Zeche Zollverein"). These mirrors are the gazetteer extension.

Everything else is the real text: titles, questions, descriptions, goals, the
Ressort lines (the 12 ministries and 4 units are a fixed set), the bullets'
positions, the markup. So every irregularity of the real document occurs in
every block: forums = 20 N, events = 47 N, memberships = 43 N, persons = 39 N.
The same seed and scale give a byte-identical corpus; a smaller scale with the
same seed is a prefix of a larger one (up to the title line).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ruhrkg.graph.build import packaged_source
from ruhrkg.mappings import gazetteer as gazetteers
from ruhrkg.mappings.iris import slug
from ruhrkg.mappings.parser import MONTHS, PARTICIPANTS, SCHEDULE_NOTE, TIME_FROM, TIME_RANGE, parse_text, strip_markup

FORUMS, EVENTS = 20, 47  # in the real document

# -- names ------------------------------------------------------------------------------------------
GIVEN_F = """Andrea Anja Anna Annette Barbara Birgit Brigitte Carina Christa Christiane Claudia Dagmar Doris Elke
Elisabeth Eva Franziska Gabriele Gudrun Hanna Heike Helga Ines Ingrid Iris Jana Johanna Judith Julia Karin Katja
Kerstin Lena Lisa Marion Marlene Martina Melanie Monika Nadine Nicole Petra Regina Renate Sabine Sandra Silke Simone
Sonja Stefanie Susanne Svenja Tanja Ulrike Ursula Ute Vera Verena Yvonne""".split()
GIVEN_M = """Achim Alexander Andreas Bernd Björn Carsten Christian Christoph Daniel Dennis Detlef Dieter Dirk Elmar
Erik Frank Friedrich Georg Gerd Hans Harald Heinz Helmut Holger Ingo Jan Jens Joachim Jochen Jörg Jürgen Karl Klaus
Lars Lutz Markus Martin Matthias Michael Norbert Olaf Oliver Patrick Paul Peter Rainer Ralf Reinhard Rolf Sebastian
Stefan Sven Thomas Thorsten Tobias Ulrich Uwe Volker Werner Wolfgang""".split()
FAMILY = """Albers Arndt Bauer Becker Berger Böhm Brandt Braun Busch Dietrich Engel Ernst Fischer Frank Franke
Friedrich Fuchs Graf Günther Haas Hahn Hartmann Heinrich Herrmann Hoffmann Hofmann Horn Huber Jung Kaiser Keller
Klein Koch König Kraus Krause Krüger Kuhn Kühn Lang Lange Lehmann Lorenz Ludwig Maier Mayer Meier Meyer Möller Müller
Neumann Otto Peters Pohl Richter Roth Sauer Schäfer Scholz Schmidt Schmitt Schneider Schröder Schubert Schulte Schulz
Schumacher Schuster Schwarz Seidel Simon Sommer Stein Vogel Vogt Wagner Walter Weber Werner Winkler Winter Wolf Wolff
Zimmermann""".split()
FAMILY_STEM = """Acker Bach Baum Berg Bier Birk Bock Brink Brock Dahl Dorn Eich Esch Feld Fink Gold Grote Hage Hart
Haus Heide Hell Holl Hom Kamp Kirch Klee Korn Kott Lamm Linde Loh Marr Mohr Moos Nolt Ohl Ost Pank Rade Ros Sand Scharf
Schell Stroh Tann Tegge Ulen Vorn Wald Wedel Wester Wied Wil Witt Wulf Zeh""".split()
FAMILY_END = "mann hoff kamp meier haus brock beck berg rath wede horst holt feld kötter mann ing ert lage hues".split()
INITIALS = "ABCDEFGHJKLMNPRSTW"

# the real moderators who are women (their positions are printed in the feminine form)
FEMALE = {"Martina", "Yvonne", "Ina", "Hildegard", "Anne", "Ursula", "Isabel", "Uta", "Andrea", "Stefanie"}

# words of gazetteer spellings that a mirror keeps (function words, legal forms, generic nouns);
# every other word is replaced by an invented one
KEEP = set(
    """der des die dem im in an am und für e V Co GmbH gGmbH AG SE Dr NRW Zeche Haus Park Stadthalle Museum Akademie
    Universität Stiftung Hochschule Radio Arena Gymnasium Sportschule Zentrale Immobilien Welterbe UNESCO
    Polizeipräsidium Polizeipräsident Polizeipräsidentin Institut Gesellschaft Campus Gebäude
    Bildungszentrum Wohnungs Immobilienwirtschaft Landesweite Kommunale""".split()
)
_WORD_SPLIT = re.compile(r"([\s\-./&,–]+)")
ONSETS = "b br d dr f fr g gr h k kl kr l m n p r s st sch t tr w z".split()
VOWELS = "a e i o u au ei ie".split()
CODAS = ["", "n", "r", "l", "m", "s", "ck", "nd", "rt", "ng", "st", "ld", "rn"]
ENDINGS = "en ing hausen dorf rode feld beck stedt heim hagen kamp wede rath horst born au".split()


class _Words:
    """Invented words, unique in the corpus and unlike any word of the real document."""

    def __init__(self, forbidden: set[str]) -> None:
        self.used = {w.lower() for w in forbidden}

    def new(self, rng: random.Random) -> str:
        """A place-like word (``Brandorf``, ``Kleistedt``); a syllable longer once short ones run out."""
        attempt = 0
        while True:
            syllables = 1 if attempt < 20 else 2
            w = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(syllables))
            w += rng.choice(ENDINGS)
            attempt += 1
            if w not in self.used:
                self.used.add(w)
                return w.capitalize()


# -- the real document as a template -----------------------------------------------------------------
@dataclass
class _Chunk:
    kind: str  # "text", "header", "bullet", "heading", "participants"
    text: str
    names: tuple[str, ...] = ()  # bullet: the persons it names


@dataclass
class _Template:
    number: int
    chunks: list[_Chunk]
    dates: int  # events with a printed date


@dataclass
class _Real:
    preamble: list[str]
    forums: list[_Template]
    persons: dict[str, tuple[str, str]]  # real name -> (given, family)
    gazetteer: dict  # the packaged gazetteer's data
    words: set[str]  # every word of the real document and gazetteer


def _real() -> _Real:
    text = packaged_source()
    doc = parse_text(text)
    lines = doc.lines
    first = doc.forums[0].span.start
    forums, persons = [], {}
    for f in doc.forums:
        kind = {f.span.start: "header"}
        names: dict[int, list[str]] = {}
        for m in f.moderators:
            kind[m.span.start] = "bullet"
            names.setdefault(m.span.start, []).append(m.name)
            persons[m.name] = (m.given_name, m.family_name)
        heading_lines = {}  # first line of an event heading -> its last line
        for e in f.events:
            last = e.span.start
            while last < e.span.end and lines[last].strip():  # lines[last] is line last + 1
                last += 1
            heading_lines[e.span.start] = last
            for k in range(e.span.start, e.span.end + 1):
                if strip_markup(lines[k - 1]).startswith("Teilnehmende:"):
                    kind[k] = "participants"
        chunks: list[_Chunk] = []
        no = f.span.start
        while no <= f.span.end:
            if no in heading_lines:
                last = heading_lines[no]
                chunks.append(_Chunk("heading", "\n".join(lines[no - 1 : last])))
                no = last + 1
                continue
            k = kind.get(no, "text")
            chunks.append(_Chunk(k, lines[no - 1], tuple(names.get(no, ()))))
            no += 1
        forums.append(_Template(f.number, chunks, sum(1 for e in f.events if e.start_date)))
    data = gazetteers.packaged_data()
    words = set(re.findall(r"\w+", text))
    for section in ("cities", "venues", "organizations"):
        for e in data[section]:
            for s in (e["name"], *e.get("aliases", ())):
                words.update(re.findall(r"\w+", s))
    return _Real(lines[: first - 1], forums, persons, data, words)


# -- one block ---------------------------------------------------------------------------------------
@dataclass
class _Block:
    """The substitutions of one block: persons, and (from block 1 on) mirrored spellings."""

    persons: dict[str, str] = field(default_factory=dict)  # real name -> synthetic name
    spellings: dict[str, str] = field(default_factory=dict)  # real spelling -> mirrored spelling


def _mirror(real: _Real, rng: random.Random, words: _Words) -> tuple[dict[str, str], dict]:
    """Mirrored spellings and gazetteer entries of the real cities, venues and organisations."""
    word_map: dict[str, str] = {}

    def mirror(spelling: str) -> str:
        parts = _WORD_SPLIT.split(spelling)
        out, replaced = [], False
        for i, part in enumerate(parts):
            if i % 2 == 0 and part and not part.isdigit() and part not in KEEP:
                if part not in word_map:
                    w = words.new(rng)
                    word_map[part] = (
                        w.upper() if part.isupper() and len(part) > 1 else w.lower() if part[0].islower() else w
                    )
                part, replaced = word_map[part], True
            out.append(part)
        if not replaced:
            raise ValueError(f"the spelling {spelling!r} has no word to replace: add one to bench/synth.py")
        return "".join(out)

    spellings: dict[str, str] = {}
    keys: dict[tuple[str, str], str] = {}
    extension: dict[str, list] = {"cities": [], "venues": [], "organizations": []}
    for section in extension:
        for e in real.gazetteer[section]:
            for s in (e["name"], *e.get("aliases", ())):
                spellings.setdefault(s, mirror(s))
            keys[(section, e["key"])] = slug(spellings[e["name"]])
    for section in extension:
        for e in real.gazetteer[section]:
            new = {"key": keys[(section, e["key"])], "name": spellings[e["name"]]}
            if e.get("aliases"):
                new["aliases"] = [spellings[a] for a in e["aliases"]]
            for k, v in e.items():
                if k in ("key", "name", "aliases"):
                    continue
                if k == "city":
                    v = keys[("cities", v)]
                elif k == "in":
                    v = keys[("venues", v)]
                new[k] = v
            extension[section].append(new)
    return spellings, extension


class _Persons:
    """New persons, unique by their IRI key in the whole corpus."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def like(self, given: str, family: str, rng: random.Random) -> str:
        female = given.split()[0].split("-")[0] in FEMALE
        first = GIVEN_F if female else GIVEN_M
        for attempt in range(1000):
            g = []
            for token in given.split():
                if re.fullmatch(r"[A-ZÄÖÜ]\.", token):
                    g.append(rng.choice(INITIALS) + ".")
                elif "-" in token:
                    g.append("-".join(rng.sample(first, 2)))
                else:
                    g.append(rng.choice(first))
            if attempt > 100:  # crowded: add a middle initial
                g.append(rng.choice(INITIALS) + ".")
            f = "-".join(self._family(rng) for _ in family.split("-"))
            name = " ".join([*g, f])
            key = slug(name)
            if key not in self.used:
                self.used.add(key)
                return name
        raise RuntimeError("ran out of person names")

    @staticmethod
    def _family(rng: random.Random) -> str:
        if rng.random() < 0.3:
            return rng.choice(FAMILY)
        return rng.choice(FAMILY_STEM) + rng.choice(FAMILY_END)


# -- re-printing dates, times and numbers in the printed form -----------------------------------------
MONTH_NAMES = {v: k.capitalize() for k, v in MONTHS.items()}
_MONTH_ALT = "|".join(MONTH_NAMES.values())
DATE_FORMS = [
    ("range", re.compile(r"(?<!\d)(\d{1,2})(\.\s*[-–]\s*)(\d{1,2})\.(\d{1,2})\.(\d{4})")),
    ("numeric", re.compile(r"(?<!\d)(\d{1,2})\.(\d{1,2})(\.\s?|\s)(\d{4})")),
    ("words", re.compile(rf"(?<!\d)(\d{{1,2}})(\.\s*)({_MONTH_ALT})(\s+)(\d{{4}})")),
]
FIRST_DAY, LAST_DAY = dt.date(2018, 11, 26), dt.date(2019, 11, 29)


def _pad(n: int, like: str) -> str:
    return f"{n:02d}" if len(like) == 2 else str(n)


def _replace_groups(m: re.Match, values: dict[int, str]) -> str:
    """The text of match ``m`` with the given groups replaced."""
    out, pos = [], m.start()
    for g in sorted(values):
        out.append(m.string[pos : m.start(g)])
        out.append(values[g])
        pos = m.end(g)
    out.append(m.string[pos : m.end()])
    return "".join(out)


def _redate(text: str, day: dt.date) -> tuple[str, tuple[int, int] | None]:
    for form, pattern in DATE_FORMS:
        if m := pattern.search(text):
            if form == "range":
                length = int(m.group(3)) - int(m.group(1))
                day = day.replace(day=min(day.day, 28 - length))
                values = {1: _pad(day.day, m.group(1)), 3: _pad(day.day + length, m.group(3))}
                values |= {4: _pad(day.month, m.group(4)), 5: str(day.year)}
            elif form == "numeric":
                values = {1: _pad(day.day, m.group(1)), 2: _pad(day.month, m.group(2)), 4: str(day.year)}
            else:
                values = {1: str(day.day), 3: MONTH_NAMES[day.month], 5: str(day.year)}
            return text[: m.start()] + _replace_groups(m, values) + text[m.end() :], m.span()
    return text, None


def _clock(rng: random.Random) -> tuple[int, int]:
    start = rng.randrange(8 * 4, 17 * 4 + 1) * 15
    end = min(start + rng.randrange(4, 33) * 15, 21 * 60 + 45)
    return start, end


def _retime(text: str, rng: random.Random) -> str:
    start, end = _clock(rng)

    def hm(minutes: int, h_like: str) -> tuple[str, str]:
        return _pad(minutes // 60, h_like), f"{minutes % 60:02d}"

    cut = len(text)
    note = SCHEDULE_NOTE.search(text)
    if note:
        cut = note.start()
    head = text[:cut]
    if m := TIME_RANGE.search(head):
        (h1, m1), (h2, m2) = hm(start, m.group(1)), hm(end, m.group(4))
        head = head[: m.start()] + _replace_groups(m, {1: h1, 2: m1, 4: h2, 5: m2}) + head[m.end() :]
    elif m := TIME_FROM.search(head):
        h, mi = hm(start, m.group(2))
        head = head[: m.start()] + _replace_groups(m, {2: h, 3: mi}) + head[m.end() :]
    if note:
        tail = text[cut:]
        nm = SCHEDULE_NOTE.search(tail)
        h, mi = hm(max(start - 60, 7 * 60), nm.group(1))
        tail = tail[: nm.start()] + _replace_groups(nm, {1: h, 2: mi}) + tail[nm.end() :]
        return head + tail
    return head


def _recount(line: str, rng: random.Random) -> str:
    prefix, _, rest = line.partition("Teilnehmende:")
    body = rest.lstrip()
    m = PARTICIPANTS.match(body)
    if not m:
        return line
    lo = int(m.group(2))
    step = 10 if lo % 10 == 0 and lo >= 20 else 1
    new_lo = max(step, round(lo * rng.uniform(0.5, 1.5) / step) * step)
    values = {2: str(new_lo)}
    if m.group(3):
        width = max(step, round((int(m.group(3)) - lo) * rng.uniform(0.5, 1.5) / step) * step)
        values[3] = str(new_lo + width)
    return prefix + "Teilnehmende:" + rest[: len(rest) - len(body)] + _replace_groups(m, values) + body[m.end() :]


def _respell(text: str, finders: list[Callable[[str], list]], spellings: dict[str, str]) -> str:
    """Replace gazetteer spellings found by ``finders`` (in order; later ones only outside earlier matches)."""
    if not spellings:
        return text
    spans: list[tuple[int, int, str]] = []
    for find in finders:
        for m in find(text):
            if not any(m.start < e and s < m.end for s, e, _ in spans):
                spans.append((m.start, m.end, spellings[m.text]))
    for s, e, new in sorted(spans, reverse=True):
        text = text[:s] + new + text[e:]
    return text


# -- the corpus -------------------------------------------------------------------------------------
@dataclass
class Corpus:
    text: str
    gazetteer: dict  # the extension: cities, venues and organisations the packaged gazetteer lacks
    scale: int
    seed: int

    def gazetteer_with_extension(self) -> gazetteers.Gazetteer:
        """The gazetteer to parse and map this corpus with."""
        return gazetteers.extended(self.gazetteer)


def generate(scale: int, seed: int = 1) -> Corpus:
    """The corpus at ``scale`` times the real document (``scale`` blocks of its 20 forums)."""
    if scale < 1:
        raise ValueError("the scale is a whole number >= 1")
    real = _real()
    gz = gazetteers.load()
    words = _Words(real.words)
    people = _Persons()
    extension: dict[str, list] = {"cities": [], "venues": [], "organizations": []}
    out = [re.sub(r"\b20 Themenforen\b", f"{FORUMS * scale} Themenforen", line) for line in real.preamble]
    forums: list[str] = []
    number = 0
    for b in range(scale):
        rng = random.Random(f"ruhrkg-synth/{seed}/{b}")
        block = _Block()
        if b > 0:
            block.spellings, mirrored = _mirror(real, rng, words)
            for k in extension:
                extension[k] += mirrored[k]
        for name, (given, family) in real.persons.items():
            block.persons[name] = people.like(given, family, rng)
        order = list(range(FORUMS))
        rng.shuffle(order)
        for i in order:
            number += 1
            forums.append(_render(real.forums[i], number, block, gz, rng))
    out.append("\n\n".join(forums))
    return Corpus("\n".join(out) + "\n", extension, scale, seed)


def _render(t: _Template, number: int, block: _Block, gz: gazetteers.Gazetteer, rng: random.Random) -> str:
    span = (LAST_DAY - FIRST_DAY).days
    days = sorted(FIRST_DAY + dt.timedelta(days=rng.randrange(span)) for _ in range(t.dates))
    lines = []
    for c in t.chunks:
        text = c.text
        if c.kind == "header":
            text = re.sub(r"\d+", f"{number:02d}", text, count=1)
        elif c.kind == "bullet":
            text = _respell(text, [gz.organization_matches], block.spellings)
            text = _rename(text, c.names, block.persons)
        elif c.kind == "heading":
            text = _respell(text, [gz.venue_matches, gz.city_matches], block.spellings)
            text = _retime(text, rng)
            if days:
                text, found = _redate(text, days[0])
                if found:
                    days.pop(0)
        elif c.kind == "participants":
            text = _recount(text, rng)
        lines.append(text)
    return "\n".join(lines)


def _rename(text: str, names: tuple[str, ...], persons: dict[str, str]) -> str:
    """Replace the persons a bullet names (each at its first occurrence, left to right)."""
    spans, pos = [], 0
    for name in names:
        i = text.index(name, pos)
        spans.append((i, i + len(name), persons[name]))
        pos = i + len(name)
    for s, e, new in reversed(spans):
        text = text[:s] + new + text[e:]
    return text


def gazetteer_yaml(corpus: Corpus) -> str:
    """The gazetteer extension as YAML, in the layout of ``gazetteer.yaml``."""
    header = (
        f"# Gazetteer extension of a synthetic corpus (scale {corpus.scale}, seed {corpus.seed}), made by\n"
        "# bench/synth.py: read it with ruhrkg.mappings.gazetteer.extended(yaml.safe_load(...)).\n"
    )
    return header + yaml.safe_dump(corpus.gazetteer, allow_unicode=True, sort_keys=False, width=1000)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Write a synthetic Steckbriefe document shaped like the real one, at N times its size "
        "(20 N forums, 47 N events), and the gazetteer entries for the places it invents.",
    )
    parser.add_argument("--scale", type=int, default=1, help="N: the number of 20-forum blocks (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="random seed; same seed and scale, same bytes (default 1)")
    parser.add_argument("-o", "--output", type=Path, help="the corpus file (default: standard output)")
    parser.add_argument(
        "--gazetteer",
        type=Path,
        help="where to write the gazetteer extension (default: next to --output as <name>.gazetteer.yaml; "
        "not written when the corpus goes to standard output unless given)",
    )
    args = parser.parse_args(argv)
    if args.scale < 1:
        parser.error("--scale must be at least 1")
    corpus = generate(args.scale, args.seed)
    gazetteer_path = args.gazetteer
    if args.output is None:
        sys.stdout.write(corpus.text)
    else:
        args.output.write_text(corpus.text, encoding="utf-8")
        gazetteer_path = gazetteer_path or args.output.with_name(args.output.stem + ".gazetteer.yaml")
    if gazetteer_path:
        gazetteer_path.write_text(gazetteer_yaml(corpus), encoding="utf-8")
    if args.output is None:
        return
    print(
        f"wrote {args.output} ({FORUMS * args.scale} forums, {len(corpus.text.splitlines())} lines) "
        f"and {gazetteer_path}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
