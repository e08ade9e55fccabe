"""Parse the Steckbriefe text into typed records (:mod:`ruhrkg.mappings.records`).

The document is irregular; each irregularity has a unit test. The parser
never drops text silently: a fragment it cannot interpret is kept in the
record's ``unparsed`` list and reported as a :class:`ParseWarning`.

>>> doc = parse_text(SAMPLE)
>>> f = doc.forums[0]
>>> f.number, f.ressort.lead.code, [m.name for m in f.moderators]
(7, 'MAGS', ['Karl-Josef Laumann'])
>>> e = f.events[0]
>>> e.format, str(e.start_date), str(e.start_time), e.venues, e.participants.maximum
('Präsenzveranstaltung', '2019-03-18', '10:00:00', ['haus-der-technik'], 200)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ruhrkg.mappings.gazetteer import Gazetteer
from ruhrkg.mappings.gazetteer import load as load_gazetteer
from ruhrkg.mappings.records import (
    Document,
    Event,
    Forum,
    MinistryRef,
    Moderator,
    ParseWarning,
    Participants,
    Ressort,
    Span,
)

SAMPLE = """Steckbrief Themenforum 07:

Zukunftswert Arbeit

Ressort: MAGS

Moderationsteam

- **Minister Karl-Josef Laumann**

Thema: Wie gestalten wir die Arbeit von morgen?

Teilnehmerkreis

Unternehmen im Ruhrgebiet.

Veranstaltungen

1. Präsenzveranstaltung am 18.03.2019 von 10:00 bis 12:00 Uhr im Haus der Technik Essen

Ziel: Ideen entwickeln.

Teilnehmende: ca. 150 bis 200 ausgewählte Akteure
"""

MONTHS = {
    "januar": 1, "februar": 2, "märz": 3, "april": 4, "mai": 5, "juni": 6,
    "juli": 7, "august": 8, "september": 9, "oktober": 10, "november": 11, "dezember": 12,
}  # fmt: skip

GOVERNMENT_POSITIONS = ("Ministerin", "Minister", "Staatssekretärin", "Staatssekretär")
ACADEMIC_TITLE = re.compile(r"^((?:(?:Prof|Dr)\.\s*)+)")

FORUM_HEADER = re.compile(r"^\s*Steckbrief Themenforum\s+(\d+)\s*:?\s*$")
EVENT_HEADING = re.compile(r"^(?:-\s*)?(?:\*\*)?\s*(\d+)\.\s*(?:\*\*)?\s*(\S.*)$")
SECTION = {"Moderationsteam": "moderation", "Teilnehmerkreis": "group", "Veranstaltungen": "events"}

_T = r"(\d{1,2})[:.](\d{2})"
TIME_RANGE = re.compile(rf"(?:\bvon\s+)?{_T}(?:\s*Uhr)?\s*(?:bis|–|-)\s*(ca\.\s*)?{_T}(?:\s*Uhr)?")
TIME_FROM = re.compile(rf"\bab\s+(ca\.\s*)?{_T}(?:\s*Uhr)?")
ALL_DAY = re.compile(r"\bganzt[äa][gt]ig\b")  # "ganztätig" is a printed typo
SCHEDULE_NOTE = re.compile(rf",?\s*\bzuvor\s+ab\s+{_T}\s*Uhr\b.*$")
DATE_RANGE = re.compile(r"\b(?:vom\s+)?(\d{1,2})\.\s*[-–]\s*(\d{1,2})\.(\d{1,2})\.(\d{4})")
DATE_NUMERIC = re.compile(r"\b(?:am\s+)?(\d{1,2})\.(\d{1,2})(?:\.\s?|\s)(\d{4})")
DATE_WORDS = re.compile(r"\b(?:am\s+)?(\d{1,2})\.\s*(" + "|".join(m.capitalize() for m in MONTHS) + r")\s+(\d{4})")
TOPIC = re.compile(r"\s*\bzum Thema\s+(?!„)(.+)$")
QUOTED = re.compile(r"„([^“]+)“")
CONNECTORS = re.compile(r"^(?:am|vom|von|bis|ab|Uhr|im|in|der|dem|auf|bei|und|ca\.|[,–\-:]|\s)*$", re.IGNORECASE)
LOCATIVE = re.compile(r"\b(?:im|in der|in|auf|bei)\s+(?P<place>[^¦]+?)\s*(?:¦|$)")
PARTICIPANTS = re.compile(r"^(ca\.\s*)?(\d+)(?:\s*(?:–|-|bis)\s*(\d+))?(?!\d|\.\d)")
UNKNOWN_PARTICIPANTS = re.compile(r"^(?:x|n\.\s*n\.\s*b\.)(?:\s|$)", re.IGNORECASE)
PLACEHOLDER = " ¦ "


@dataclass
class _Paragraph:
    lines: list[tuple[int, str]]

    @property
    def span(self) -> Span:
        return Span(self.lines[0][0], self.lines[-1][0])

    @property
    def text(self) -> str:
        return "\n".join(t for _, t in self.lines)

    @property
    def joined(self) -> str:
        """The lines joined by spaces, for headings split across lines."""
        return " ".join(t.strip() for _, t in self.lines)


def parse_file(path, *, gazetteer: Gazetteer | None = None) -> Document:
    """Parse a Steckbriefe document from a file (UTF-8)."""
    with open(path, encoding="utf-8") as f:
        return parse_text(f.read(), gazetteer=gazetteer)


def parse_text(text: str, *, gazetteer: Gazetteer | None = None) -> Document:
    """Parse the text of a Steckbriefe document."""
    return _Parser(text, gazetteer or load_gazetteer()).parse()


def strip_markup(s: str) -> str:
    """Remove stray Markdown bold markers and surrounding blanks.

    >>> strip_markup("- **Minister Dr. Joachim Stamp**")
    '- Minister Dr. Joachim Stamp'
    """
    return re.sub(r"\s+", " ", s.replace("**", "")).strip()


class _Parser:
    def __init__(self, text: str, gazetteer: Gazetteer) -> None:
        self.gz = gazetteer
        self.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.warnings: list[ParseWarning] = []

    def warn(self, line: int, fragment: str, message: str, sink: list[str]) -> None:
        self.warnings.append(ParseWarning(line, fragment, message))
        sink.append(fragment)

    # -- document -------------------------------------------------------
    def parse(self) -> Document:
        starts = [i + 1 for i, line in enumerate(self.lines) if FORUM_HEADER.match(line)]
        preamble = [p for p in self._paragraphs(1, (starts[0] - 1) if starts else len(self.lines))]
        title, date = "", None
        for p in preamble:
            d = _parse_date(p.joined)
            if d and date is None and DATE_WORDS.fullmatch(p.joined.strip()):
                date = d[0]
            elif not title:
                title = strip_markup(p.joined)
        doc = Document(title=title, date=date, lines=self.lines, sha256=self.sha256)
        bounds = starts + [len(self.lines) + 1]
        for start, nxt in zip(bounds, bounds[1:], strict=False):
            end = nxt - 1
            while end > start and not self.lines[end - 1].strip():
                end -= 1
            doc.forums.append(self._forum(start, end))
        doc.warnings = self.warnings
        return doc

    def _paragraphs(self, first: int, last: int) -> Iterable[_Paragraph]:
        current: list[tuple[int, str]] = []
        for no in range(first, last + 1):
            line = self.lines[no - 1]
            if line.strip():
                current.append((no, line))
            elif current:
                yield _Paragraph(current)
                current = []
        if current:
            yield _Paragraph(current)

    # -- forum ----------------------------------------------------------
    def _forum(self, start: int, end: int) -> Forum:
        number = int(FORUM_HEADER.match(self.lines[start - 1]).group(1))
        forum = Forum(number=number, span=Span(start, end))
        state = "title"
        description: list[str] = []
        group: list[str] = []
        events: list[tuple[_Paragraph, list[_Paragraph]]] = []
        for p in self._paragraphs(start + 1, end):
            head = strip_markup(p.lines[0][1])
            if head in SECTION:
                state = SECTION[head]
                if len(p.lines) > 1:  # a heading with text right under it
                    p = _Paragraph(p.lines[1:])
                    head = strip_markup(p.lines[0][1])
                else:
                    continue
            if head.startswith("Ressort:"):
                forum.ressort = self._ressort(p, forum)
                state = "after-ressort"
            elif head.startswith("Thema:"):
                forum.question = strip_markup(p.joined)[len("Thema:") :].strip()
                state = "description"
            elif state == "title":
                self._title(forum, p)
                state = "after-title"
            elif state == "moderation":
                self._moderators(forum, p)
            elif state == "description":
                text = strip_markup(p.joined)
                m = re.match(r"^Konzept\s*[-–:]\s*(.+)$", text)
                if m and forum.concept is None:
                    forum.concept = _unquote_sentence(m.group(1))
                else:
                    description.append(p.text.strip())
            elif state == "group":
                group.append(p.text.strip())
            elif state == "events":
                if EVENT_HEADING.match(p.lines[0][1]) and not _is_field(strip_markup(p.lines[0][1])):
                    events.append((p, []))
                elif events:
                    events[-1][1].append(p)
                else:
                    self.warn(p.span.start, p.text, "text before the first event", forum.unparsed)
            else:
                self.warn(p.span.start, p.text, f"unexpected paragraph ({state})", forum.unparsed)
        forum.description = "\n\n".join(description) or None
        forum.participant_group = "\n\n".join(group) or None
        for heading, body in events:
            forum.events.append(self._event(heading, body))
        if not forum.title:
            self.warn(start, self.lines[start - 1], "forum without a title", forum.unparsed)
        if forum.ressort is None:
            self.warn(start, self.lines[start - 1], "forum without a Ressort line", forum.unparsed)
        return forum

    def _title(self, forum: Forum, p: _Paragraph) -> None:
        text = strip_markup(p.joined)
        forum.title = text
        tags = re.findall(r"#(\w[\w-]*)", text)
        if tags and re.fullmatch(r"(?:#\w[\w-]*[\s,]*)+", text):
            forum.keywords = tags

    # -- Ressort --------------------------------------------------------
    def _ressort(self, p: _Paragraph, forum: Forum) -> Ressort:
        text = strip_markup(p.joined)[len("Ressort:") :].strip()
        m = re.match(r"^(\S+)\s*(?:\((.*)\))?\s*(.*)$", text)
        lead = self._ministry(m.group(1), p.span.start, forum)
        inner = m.group(2) or ""
        if m.group(3):
            self.warn(p.span.start, m.group(3), "text after the Ressort parenthesis", forum.unparsed)
        interested: list[MinistryRef] = []
        participating: list[MinistryRef] = []
        inner = re.sub(r"^(?:weitere[s]?\s+)?beteiligte[s]?\s+Ressorts?\s*:?\s*", "", inner)
        for part in re.split(r",\s*", inner) if inner else []:
            part = part.strip()
            if not part or part == "noch offen" or part.endswith(" noch offen"):
                continue
            if mi := re.fullmatch(r"(.+?)\s+(?:ist|sind)\s+interessiert", part):
                interested += self._ministries(mi.group(1), p.span.start, forum)
            else:
                participating += self._ministries(part, p.span.start, forum)
        return Ressort(text, lead, tuple(participating), tuple(interested), p.span)

    def _ministries(self, text: str, line: int, forum: Forum) -> list[MinistryRef]:
        return [r for t in re.split(r"\s+und\s+", text) if (r := self._ministry(t.strip(), line, forum))]

    def _ministry(self, printed: str, line: int, forum: Forum) -> MinistryRef | None:
        base, _, unit = printed.partition("/")
        code = self.gz.ministry_code(base)
        if code is None:
            self.warn(line, printed, "unknown Ressort code", forum.unparsed)
            return None
        unit_code = f"{code}/{unit}" if unit else None
        if unit_code and unit_code not in self.gz.units:
            self.warn(line, printed, "unknown unit of a Ressort", forum.unparsed)
            unit_code = None
        return MinistryRef(code=code, printed=printed, unit=unit_code)

    # -- moderators -----------------------------------------------------
    def _moderators(self, forum: Forum, p: _Paragraph) -> None:
        for no, raw in p.lines:
            line = strip_markup(raw)
            if not line.startswith("-"):
                self.warn(no, line, "moderation team line is not a bullet", forum.unparsed)
                continue
            bullet = line.lstrip("-").strip()
            for printed in _split_persons(bullet):
                person = self._person(printed, no, len(forum.moderators) + 1, forum)
                if person:
                    forum.moderators.append(person)

    def _person(self, printed: str, line: int, list_position: int, forum: Forum) -> Moderator | None:
        rest = printed
        position = None
        for gov in GOVERNMENT_POSITIONS:
            if rest.startswith(gov + " "):
                position, rest = gov, rest[len(gov) :].strip()
                break
        title = None
        if m := ACADEMIC_TITLE.match(rest):
            title = re.sub(r"\s+", " ", m.group(1)).strip()
            rest = rest[m.end() :].strip()
        organization = None
        if m := re.fullmatch(r"(.+?)\s*\((.+)\)", rest):
            rest, org_text = m.group(1), m.group(2)
            organization = self._organization_key(org_text)
            if organization is None:
                self.warn(line, org_text, "unknown organisation", forum.unparsed)
        name, _, tail = rest.partition(",")
        name = name.strip()
        if not re.fullmatch(r"[A-ZÄÖÜ][\w.-]*(?:\s+[A-ZÄÖÜ][\w.-]*)+", name):
            self.warn(line, printed, "cannot read a person's name", forum.unparsed)
            return None
        tail_position, tail_org = self._position_and_organization(tail.strip(), line, forum)
        position = position or tail_position
        organization = organization or tail_org
        given, _, family = name.rpartition(" ")
        return Moderator(
            printed=printed,
            name=name,
            given_name=given,
            family_name=family,
            academic_title=title,
            position=position,
            organization=organization,
            list_position=list_position,
            span=Span(line, line),
        )

    def _organization_key(self, text: str) -> str | None:
        matches = self.gz.organization_matches(text)
        return matches[0].key if matches and matches[0].text == text.strip() else None

    def _position_and_organization(self, tail: str, line: int, forum: Forum) -> tuple[str | None, str | None]:
        """Split "Vorstandsvorsitzender E.ON" or "RUB, Sprecherin ..." into position and organisation."""
        if not tail:
            return None, None
        matches = self.gz.organization_matches(tail)
        if not matches:
            return tail, None
        m = matches[-1]
        org = self.gz.organizations[m.key]
        implied = org.extra.get("position")  # "Polizeipräsident Essen" names both
        before = tail[: m.start].strip().rstrip(",").strip()
        after = tail[m.end :].strip().lstrip(",").strip()
        position = " ".join(x for x in (before, after) if x)
        position = re.sub(r"\s+(?:der|des|von|bei)$", "", position).strip() or None
        if implied and m.text != org.name:
            position = f"{position} {implied}".strip() if position else implied
        return position, m.key

    # -- events ---------------------------------------------------------
    def _event(self, heading: _Paragraph, body: list[_Paragraph]) -> Event:
        m = EVENT_HEADING.match(heading.lines[0][1])
        ordinal = int(m.group(1))
        text = strip_markup(heading.joined)
        text = re.sub(r"^-\s*", "", text)
        text = re.sub(r"^\d+\.\s*", "", text)
        last = body[-1].span.end if body else heading.span.end
        event = Event(ordinal=ordinal, heading=text, span=Span(heading.span.start, last))
        self._heading(event, text, heading.span.start)
        goal: list[str] = []
        for p in body:
            for no, raw in p.lines:
                line = strip_markup(raw)
                if line.startswith("Ziel:"):
                    goal.append(line[len("Ziel:") :].strip())
                elif line.startswith("Zielgruppe:"):
                    event.target_group = line[len("Zielgruppe:") :].strip()
                elif line.startswith("Teilnehmende:"):
                    event.participants = _participants(line[len("Teilnehmende:") :].strip())
                elif goal and event.participants is None:
                    goal[-1] += "\n\n" + line if no == p.lines[0][0] else " " + line
                else:
                    self.warn(no, line, "unexpected line in an event", event.unparsed)
        event.goal = "\n\n".join(goal) or None
        return event

    def _heading(self, event: Event, text: str, line: int) -> None:
        rest = text
        if m := SCHEDULE_NOTE.search(rest):
            event.schedule_note = m.group(0).lstrip(", ").strip()
            rest = rest[: m.start()]
        if m := TOPIC.search(rest):
            event.topic = m.group(1).strip()
            rest = rest[: m.start()]
        # times first: "17.00 – 19.45" would otherwise read as a date fragment
        if m := TIME_RANGE.search(rest):
            event.start_time = _time(m.group(1), m.group(2))
            event.end_time = _time(m.group(4), m.group(5))
            event.end_time_approximate = bool(m.group(3))
            rest = _cut(rest, m)
        elif m := TIME_FROM.search(rest):
            event.start_time = _time(m.group(2), m.group(3))
            event.start_time_approximate = bool(m.group(1))
            rest = _cut(rest, m)
        if m := ALL_DAY.search(rest):
            event.all_day = True
            rest = _cut(rest, m)
        elif event.start_time is not None:
            event.all_day = False
        for pattern in (DATE_RANGE, DATE_NUMERIC, DATE_WORDS):
            if m := pattern.search(rest):
                event.start_date, event.end_date = _parse_date(m.group(0))
                rest = _cut(rest, m)
                break
        # the subtitle after a dash outside quotes: "... Recklinghausen – Themensetzung „…“"
        subtitle = None
        if m := re.search(r"\s+–\s+(?![^„]*“)(.+)$", rest):
            subtitle = m.group(1).strip()
            rest = rest[: m.start()]
        for vm in reversed(self.gz.venue_matches(rest)):
            event.venues.insert(0, vm.key)
            rest = _cut(rest, vm)
        cities = self.gz.city_matches(rest)
        for cm in reversed(cities):
            rest = _cut(rest, cm)
        chunks = [c.strip() for c in rest.split("¦")]
        lead, residue = chunks[0], [c for c in chunks[1:] if not CONNECTORS.match(c)]
        lead = re.sub(r"(?:\s*,)?\s*\b(?:am|vom|von|im|in der|in|auf|bei)$", "", lead).strip()
        # a leading chunk that still holds a locative phrase: an unknown venue
        if lm := re.search(r"\s+\b(?:im|in der|auf|bei)\s+(.+)$", lead):
            if not event.venues:
                residue.insert(0, lm.group(0).strip())
                lead = lead[: lm.start()].strip()
        self._format_and_title(event, lead, subtitle)
        for frag in residue:
            frag = frag.strip(" ,")
            if LOCATIVE.match(frag + " ¦") and not event.venues:
                self.warn(line, frag, "venue not in the gazetteer", event.unparsed)
            elif frag:
                self.warn(line, frag, "uninterpreted text in an event heading", event.unparsed)
        city_keys = {c.key for c in cities}
        venue_cities = {self.gz.venues[v].extra.get("city") for v in event.venues} - {None}
        if len(city_keys) > 1:
            self.warn(line, text, "more than one city in an event heading", event.unparsed)
        if city_keys:
            event.city = sorted(city_keys)[0]
            if venue_cities and not venue_cities <= city_keys:
                self.warn(line, text, "printed city differs from the venue's city", event.unparsed)
        elif len(venue_cities) == 1:
            event.city = venue_cities.pop()

    def _format_and_title(self, event: Event, lead: str, subtitle: str | None) -> None:
        lead = lead.strip(" ,")
        if m := re.match(r"^Veranstaltung\s*:\s*(.+)$", lead):
            lead = m.group(1)
        if m := QUOTED.search(lead):
            event.title = m.group(1).strip()
            lead = (lead[: m.start()] + lead[m.end() :]).strip()
            lead = re.sub(r"\s+(?:zum|über das|zu dem)\s+Thema$", "", lead).strip()
        if m := re.match(r"^(.+?)\s+als\s+(\S+)$", lead):
            event.format = m.group(2)
        elif m := re.match(r"^(.+?)\s+((?:mit|zum|zur|zu|des|über)\s.+)$", lead):
            event.format, event.format_detail = m.group(1), m.group(2)
        else:
            event.format = lead or None
        if subtitle:
            if event.title is None:
                event.title = subtitle
            else:
                event.format_detail = " – ".join(x for x in (event.format_detail, subtitle) if x)


def _is_field(line: str) -> bool:
    return line.startswith(("Ziel:", "Zielgruppe:", "Teilnehmende:"))


def _cut(text: str, m) -> str:
    start, end = (m.start, m.end) if isinstance(m.start, int) else (m.start(), m.end())
    return text[:start] + PLACEHOLDER + text[end:]


def _time(h: str, mnt: str) -> dt.time:
    return dt.time(int(h), int(mnt))


def _parse_date(text: str) -> tuple[dt.date, dt.date] | None:
    """Parse one printed date or date range into (start, end).

    >>> _parse_date("vom 28.-30.05.2019")
    (datetime.date(2019, 5, 28), datetime.date(2019, 5, 30))
    >>> _parse_date("am 10.05 2019")
    (datetime.date(2019, 5, 10), datetime.date(2019, 5, 10))
    >>> _parse_date("11. Juni 2019")
    (datetime.date(2019, 6, 11), datetime.date(2019, 6, 11))
    """
    if m := DATE_RANGE.search(text):
        d1, d2, mo, y = map(int, m.groups())
        return dt.date(y, mo, d1), dt.date(y, mo, d2)
    if m := DATE_NUMERIC.search(text):
        d, mo, y = map(int, m.groups())
        return dt.date(y, mo, d), dt.date(y, mo, d)
    if m := DATE_WORDS.search(text):
        d, mo, y = int(m.group(1)), MONTHS[m.group(2).lower()], int(m.group(3))
        return dt.date(y, mo, d), dt.date(y, mo, d)
    return None


def _split_persons(bullet: str) -> list[str]:
    """Split a bullet that names two persons joined by "und".

    A split happens only where "und" is followed by a name and a comma, so
    "Vorstand Personal und Arbeitsdirektor thyssenkrupp" stays whole.

    >>> _split_persons("Prof. Dr. Ulrich Paetzel, Vorstandsvorsitzender X und Josef Tumbrinck, Vorsitzender NABU NRW")
    ['Prof. Dr. Ulrich Paetzel, Vorstandsvorsitzender X', 'Josef Tumbrinck, Vorsitzender NABU NRW']
    """
    name = r"(?:(?:Prof|Dr)\.\s*)*[A-ZÄÖÜ][\w.-]+(?:\s+[A-ZÄÖÜ][\w.-]+)+,"
    parts = re.split(rf"\s+und\s+(?={name})", bullet)
    return [p.strip() for p in parts if p.strip()]


def _participants(text: str) -> Participants:
    """Read the expected participants.

    >>> _participants("ca. 40 – 50 ausgewählte Akteure")
    Participants(text='ca. 40 – 50 ausgewählte Akteure', minimum=40, maximum=50, approximate=True)
    >>> _participants("n. n. b.").minimum is None
    True
    """
    if UNKNOWN_PARTICIPANTS.match(text):
        return Participants(text)
    if m := PARTICIPANTS.match(text):
        lo = int(m.group(2))
        hi = int(m.group(3)) if m.group(3) else lo
        return Participants(text, lo, hi, bool(m.group(1)))
    return Participants(text)


def _unquote_sentence(s: str) -> str:
    s = s.strip().rstrip(".").strip()
    if s.startswith("„") and s.endswith("“"):
        s = s[1:-1]
    return s
