"""The events on a time axis: rows of the timeline queries in, a layout, an SVG, JSON and iCalendar out.

Pure functions, no HTTP: :func:`events_from_rows` groups the rows of ``rq/timeline-events.rq`` (one per
event and venue) into :class:`Event` records, :func:`ministries_from_rows` reads ``rq/timeline-ministries.rq``;
:func:`select` applies the ministry and city filters; :func:`by_date` orders the dated events; :func:`layout`
places every dated event on a time axis, one row per forum (a multi-day event is a span); :func:`to_svg` draws
that layout as accessible SVG (a title and description, one link per mark with a text alternative, focusable
without JavaScript); :func:`to_ical` writes iCalendar (RFC 5545).

>>> e = Event("https://w3id.org/ruhrkg/id/event/17-3", "https://w3id.org/ruhrkg/id/forum/17", 17, 3, "Forum",
...           start=dt.date(2019, 5, 28), end=dt.date(2019, 5, 30),
...           city=Place("https://w3id.org/ruhrkg/id/city/tel-aviv", "Tel Aviv"))
>>> e.key, e.multi_day, e.timezone
('17-3', True, 'Asia/Jerusalem')
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ruhrkg.mappings import iris

#: The time zone of an event's city where it is not Europe/Berlin (every other city is in NRW).
TIMEZONES = {str(iris.city("tel-aviv")): "Asia/Jerusalem"}
DEFAULT_TIMEZONE = "Europe/Berlin"

MONTHS = {
    "de": ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


@dataclass(frozen=True)
class Place:
    iri: str
    name: str

    @property
    def key(self) -> str:
        return self.iri.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Event:
    iri: str
    forum: str
    number: int
    ordinal: int
    forum_title: str
    format: str = ""
    title: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    start_time: str = ""  # "HH:MM" where printed
    end_time: str = ""
    all_day: bool = False
    end_approximate: bool = False
    venues: tuple[Place, ...] = ()
    city: Place | None = None

    @property
    def key(self) -> str:
        return self.iri.rsplit("/", 1)[-1]

    @property
    def last_day(self) -> dt.date | None:
        return self.end or self.start

    @property
    def multi_day(self) -> bool:
        return self.start is not None and self.last_day > self.start

    @property
    def timezone(self) -> str:
        return TIMEZONES.get(self.city.iri if self.city else "", DEFAULT_TIMEZONE)

    @property
    def location(self) -> str:
        """Venue(s) and city: ``"Tectrum, Duisburg"``."""
        parts = [v.name for v in self.venues] + ([self.city.name] if self.city else [])
        return ", ".join(parts)

    def name(self, lang: str) -> str:
        """``"Themenforum 05, Veranstaltung 3: Workshop „…“"`` (what the event is called in lists)."""
        head = f"{'Themenforum' if lang == 'de' else 'Forum'} {self.number:02d}, "
        head += f"{'Veranstaltung' if lang == 'de' else 'event'} {self.ordinal}"
        what = " ".join(x for x in (self.format, f"„{self.title}“" if self.title else "") if x)
        return f"{head}: {what}" if what else head

    def when(self, lang: str) -> str:
        """The printed date and time: ``"14.01.2019, ganztägig"``, ``"2019-05-28 – 2019-05-30"``."""
        if self.start is None:
            return "ohne Datum" if lang == "de" else "no date"
        text = _date(self.start, lang) + (f" – {_date(self.last_day, lang)}" if self.multi_day else "")
        if self.all_day:
            return text + (", ganztägig" if lang == "de" else ", all day")
        if self.start_time:
            approx = "ca. " if self.end_approximate else ""
            text += f", {self.start_time}" + (f"–{approx}{self.end_time}" if self.end_time else "")
            text += " Uhr" if lang == "de" else ""
        return text


def _date(d: dt.date, lang: str) -> str:
    return d.strftime("%d.%m.%Y") if lang == "de" else d.isoformat()


def events_from_rows(rows: Iterable[dict[str, str]]) -> list[Event]:
    """Events from the rows of ``timeline-events.rq`` (one row per event and venue), in the rows' order."""
    by_iri: dict[str, dict] = {}
    for r in rows:
        e = by_iri.get(r["event"])
        if e is None:
            e = by_iri[r["event"]] = {
                "iri": r["event"],
                "forum": r["forum"],
                "number": int(r["number"]),
                "ordinal": int(r["ordinal"]),
                "forum_title": r.get("forumTitle", ""),
                "format": r.get("format", ""),
                "title": r.get("title", ""),
                "start": _parse_date(r.get("startDate")),
                "end": _parse_date(r.get("endDate")),
                "start_time": r.get("startTime", "")[:5],
                "end_time": r.get("endTime", "")[:5],
                "all_day": r.get("allDay") == "true",
                "end_approximate": r.get("endTimeApproximate") == "true",
                "venues": [],
                "city": Place(r["city"], r.get("cityName", "")) if r.get("city") else None,
            }
        if r.get("venue") and all(v.iri != r["venue"] for v in e["venues"]):
            e["venues"].append(Place(r["venue"], r.get("venueName", "")))
    return [Event(**{**e, "venues": tuple(e["venues"])}) for e in by_iri.values()]


def _parse_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


# -- filters -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ministry:
    code: str
    iri: str
    names: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


def ministries_from_rows(rows: Iterable[dict[str, str]]) -> tuple[list[Ministry], dict[str, set[str]]]:
    """The ministries (by code) and, per forum IRI, the codes of the ministries taking part in it."""
    ministries: dict[str, Ministry] = {}
    forums: dict[str, set[str]] = {}
    for r in rows:
        names = {"de": r.get("nameDe", r["code"]), "en": r.get("nameEn", r["code"])}
        ministries.setdefault(r["code"], Ministry(r["code"], r["ministry"], names))
        forums.setdefault(r["forum"], set()).add(r["code"])
    return sorted(ministries.values(), key=lambda m: m.code.lower()), forums


def by_date(events: Iterable[Event]) -> list[Event]:
    """The dated events, by start date and time, then forum and ordinal (the undated are left out)."""
    return sorted((e for e in events if e.start), key=lambda e: (e.start, e.start_time, e.number, e.ordinal))


def cities(events: Iterable[Event]) -> list[Place]:
    """The cities of the events, by name."""
    return sorted({e.city for e in events if e.city}, key=lambda c: c.name)


def select(
    events: Iterable[Event], *, ministry: str | None = None, city: str | None = None, forums: dict[str, set[str]]
) -> list[Event]:
    """The events of forums in which ``ministry`` (a code) takes part, held in ``city`` (a city key)."""
    return [
        e
        for e in events
        if (not ministry or ministry in forums.get(e.forum, ()))
        and (not city or (e.city is not None and e.city.key == city))
    ]


# -- layout and SVG ------------------------------------------------------------------------------------

LABEL_WIDTH = 150  # the forum labels left of the axis
AXIS_WIDTH = 900
ROW_HEIGHT = 30
TOP = 44  # month labels above the first row
MARK_RADIUS = 7


@dataclass(frozen=True)
class Mark:
    event: Event
    x: float  # the start's centre (a single day) or left edge (a span)
    width: float  # 0 for a single day
    y: float


@dataclass(frozen=True)
class Row:
    forum: str
    number: int
    title: str
    y: float
    marks: tuple[Mark, ...]


@dataclass(frozen=True)
class Layout:
    first: dt.date
    last: dt.date
    rows: tuple[Row, ...]
    months: tuple[tuple[dt.date, float], ...]  # the first of each month on the axis, and its x
    undated: tuple[Event, ...]
    width: int
    height: int

    @property
    def last_day(self) -> dt.date:
        """The last day on the axis (``last`` is the first day after it)."""
        return self.last - dt.timedelta(days=1)


def layout(events: Iterable[Event]) -> Layout:
    """Every dated event on one time axis, one row per forum (in forum order); undated events set aside.

    The axis runs from the first of the month of the earliest event to the end of the month of the latest.
    A day is a slot of ``AXIS_WIDTH / days`` pixels: a single-day event is a dot in its day's slot, a
    multi-day event a bar from the start of its first day to the end of its last.

    >>> a = Event("e/01-1", "f/01", 1, 1, "A", start=dt.date(2019, 1, 1))
    >>> b = Event("e/02-1", "f/02", 2, 1, "B", start=dt.date(2019, 1, 30), end=dt.date(2019, 1, 31))
    >>> lay = layout([a, b, Event("e/02-2", "f/02", 2, 2, "B")])
    >>> [r.number for r in lay.rows], lay.rows[1].marks[0].width > 0, [e.key for e in lay.undated]
    ([1, 2], True, ['02-2'])
    """
    events = list(events)
    dated = [e for e in events if e.start is not None]
    undated = tuple(e for e in events if e.start is None)
    if not dated:
        today = dt.date(2019, 1, 1)
        first, last = today, today
    else:
        first = min(e.start for e in dated).replace(day=1)
        last = max(e.last_day for e in dated)
    end = _next_month(last)  # exclusive
    days = (end - first).days
    scale = AXIS_WIDTH / days

    def x_of(d: dt.date) -> float:
        return LABEL_WIDTH + (d - first).days * scale

    rows = []
    forums = sorted({(e.number, e.forum, e.forum_title) for e in dated})
    for i, (number, forum, title) in enumerate(forums):
        y = TOP + i * ROW_HEIGHT + ROW_HEIGHT / 2
        marks = []
        for e in sorted((e for e in dated if e.forum == forum), key=lambda e: (e.start, e.ordinal)):
            if e.multi_day:
                marks.append(Mark(e, round(x_of(e.start), 1), round((e.last_day - e.start).days * scale + scale, 1), y))
            else:
                marks.append(Mark(e, round(x_of(e.start) + scale / 2, 1), 0, y))
        rows.append(Row(forum, number, title, y, tuple(marks)))
    months = []
    d = first
    while d < end:
        months.append((d, round(x_of(d), 1)))
        d = _next_month(d)
    height = TOP + len(rows) * ROW_HEIGHT + 10
    return Layout(first, end, tuple(rows), tuple(months), undated, LABEL_WIDTH + AXIS_WIDTH + 20, height)


def _next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)


def to_svg(lay: Layout, *, lang: str, href: Callable[[str], str]) -> str:
    """The layout as inline SVG: month grid, one row per forum, one link per event (``href(iri)``).

    Accessible without JavaScript: the SVG has a title and a description; each mark is a link (so it takes
    keyboard focus in document order) with a ``<title>`` and an ``aria-label`` naming the event, its date and
    place; forum labels carry the forum's title. Styling comes from classes (``tl-…``), so focus shows.
    """
    e = html.escape
    de = lang == "de"
    n = sum(len(r.marks) for r in lay.rows)
    title = f"Zeitleiste: {n} Veranstaltungen nach Themenforum" if de else f"Timeline: {n} events by forum"
    desc = (
        f"Zeitachse von {MONTHS['de'][lay.first.month - 1]} {lay.first.year} bis "
        f"{MONTHS['de'][lay.last_day.month - 1]} {lay.last_day.year}; "
        "jede Zeile ein Themenforum, jeder Punkt eine Veranstaltung (Balken: mehrtägig), verlinkt zu ihrer Seite. "
        "Dieselben Angaben stehen in der Tabelle unter der Grafik."
        if de
        else f"Time axis from {MONTHS['en'][lay.first.month - 1]} {lay.first.year} to "
        f"{MONTHS['en'][lay.last_day.month - 1]} {lay.last_day.year}; "
        "each row is a forum, each dot an event (bars: several days), linked to its page. "
        "The table below the chart gives the same facts."
    )
    out = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {lay.width} {lay.height}" '
        f'width="{lay.width}" height="{lay.height}" role="group" aria-labelledby="tl-title" aria-describedby="tl-desc">',
        f'<title id="tl-title">{e(title)}</title>',
        f'<desc id="tl-desc">{e(desc)}</desc>',
        '<g class="tl-grid" aria-hidden="true">',
    ]
    bottom = lay.height - 10
    for d, x in lay.months:
        label = MONTHS[lang][d.month - 1] + (f" {d.year}" if d.month == 1 or d == lay.first else "")
        out.append(f'<line x1="{x}" y1="{TOP - 6}" x2="{x}" y2="{bottom}"/>')
        out.append(f'<text x="{x + 3}" y="{TOP - 12}">{e(label)}</text>')
    out.append("</g>")
    for r in lay.rows:
        label = f"{'Themenforum' if de else 'Forum'} {r.number:02d}"
        out.append(f'<g class="tl-row" data-forum="{r.number:02d}">')
        out.append(
            f'<a href="{e(href(r.forum))}" class="tl-forum" aria-label="{e(label)}: {e(r.title)}">'
            f"<title>{e(label)}: {e(r.title)}</title>"
            f'<text x="8" y="{r.y + 4}">{e(label)}</text></a>'
        )
        out.append(
            f'<line class="tl-lane" x1="{LABEL_WIDTH}" y1="{r.y}" x2="{LABEL_WIDTH + AXIS_WIDTH}" y2="{r.y}" aria-hidden="true"/>'
        )
        for m in r.marks:
            text = f"{m.event.name(lang)} – {m.event.when(lang)}" + (
                f" – {m.event.location}" if m.event.location else ""
            )
            shape = (
                f'<rect x="{m.x}" y="{m.y - MARK_RADIUS}" width="{m.width}" height="{2 * MARK_RADIUS}" rx="3"/>'
                if m.width
                else f'<circle cx="{m.x}" cy="{m.y}" r="{MARK_RADIUS}"/>'
            )
            out.append(
                f'<a href="{e(href(m.event.iri))}" class="tl-event" data-event="{e(m.event.key)}" aria-label="{e(text)}">'
                f"<title>{e(text)}</title>{shape}</a>"
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


# -- machine twins -----------------------------------------------------------------------------------


def to_json(events: Iterable[Event], *, href: Callable[[str], str] | None = None) -> list[dict]:
    """The events as JSON-ready dicts (dates ISO 8601, times ``HH:MM``, absent values null)."""
    out = []
    for e in events:
        out.append(
            {
                "event": e.iri,
                **({"page": href(e.iri)} if href else {}),
                "forum": e.forum,
                "forumNumber": e.number,
                "ordinal": e.ordinal,
                "format": e.format or None,
                "title": e.title or None,
                "startDate": e.start.isoformat() if e.start else None,
                "endDate": e.last_day.isoformat() if e.start else None,
                "startTime": e.start_time or None,
                "endTime": e.end_time or None,
                "endTimeApproximate": e.end_approximate,
                "allDay": e.all_day,
                "timezone": e.timezone,
                "venues": [{"iri": v.iri, "name": v.name} for v in e.venues],
                "city": {"iri": e.city.iri, "name": e.city.name} if e.city else None,
            }
        )
    return out


def _vtimezone(tzid: str, standard: tuple[str, str, str, str], daylight: tuple[str, str, str, str]) -> tuple[str, ...]:
    """A VTIMEZONE with one yearly rule each way: ``(offset, name, first onset, RRULE)`` for standard and daylight."""
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tzid}"]
    for kind, (offset, name, onset, rule), (before, *_) in (
        ("DAYLIGHT", daylight, standard),
        ("STANDARD", standard, daylight),
    ):
        lines += [f"BEGIN:{kind}", f"TZOFFSETFROM:{before}", f"TZOFFSETTO:{offset}", f"TZNAME:{name}",
                  f"DTSTART:{onset}", f"RRULE:{rule}", f"END:{kind}"]  # fmt: skip
    return (*lines, "END:VTIMEZONE")


VTIMEZONES = {
    "Europe/Berlin": _vtimezone(
        "Europe/Berlin",
        standard=("+0100", "CET", "19961027T030000", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"),
        daylight=("+0200", "CEST", "19810329T020000", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"),
    ),
    # since 2013: from the Friday before the last Sunday of March to the last Sunday of October
    "Asia/Jerusalem": _vtimezone(
        "Asia/Jerusalem",
        standard=("+0200", "IST", "20131027T020000", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"),
        daylight=("+0300", "IDT", "20130329T020000", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=23,24,25,26,27,28,29;BYDAY=FR"),
    ),
}


def to_ical(events: Iterable[Event], *, stamp: dt.datetime, lang: str = "de", name: str = "Ruhr-Konferenz") -> str:
    """iCalendar (RFC 5545): one VEVENT per dated event, undated events left out.

    UID is the event's IRI (stable across builds); DTSTAMP is ``stamp`` (the build time, UTC). Where a time is
    printed, DTSTART/DTEND are local times with the TZID of the event's city (a VTIMEZONE for each zone used);
    otherwise they are DATE values (DTEND the day after the last day, as RFC 5545 wants). LOCATION is venue
    and city, URL the event's IRI, which dereferences to its page.

    >>> ics = to_ical([Event("https://w3id.org/ruhrkg/id/event/02-1", "f", 2, 1, "Forum", start=dt.date(2019, 3, 28),
    ...                      start_time="10:00", end_time="16:30")], stamp=dt.datetime(2019, 6, 1))
    >>> [line for line in ics.splitlines() if line.startswith(("DTSTAMP", "DTSTART;", "DTEND"))]
    ['DTSTAMP:20190601T000000Z', 'DTSTART;TZID=Europe/Berlin:20190328T100000', 'DTEND;TZID=Europe/Berlin:20190328T163000']
    """
    events = [e for e in events if e.start is not None]
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//ruhrkg//timeline//DE", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_text(name)}", f"X-WR-TIMEZONE:{DEFAULT_TIMEZONE}"]  # fmt: skip
    for zone in sorted({e.timezone for e in events if e.start_time and not e.all_day}):
        lines.extend(VTIMEZONES[zone])
    for e in events:
        lines += ["BEGIN:VEVENT", f"UID:{e.iri}", f"DTSTAMP:{stamp.strftime('%Y%m%dT%H%M%SZ')}"]
        if e.start_time and not e.all_day:
            tz = e.timezone
            lines.append(f"DTSTART;TZID={tz}:{e.start:%Y%m%d}T{e.start_time.replace(':', '')}00")
            if e.end_time:
                lines.append(f"DTEND;TZID={tz}:{e.last_day:%Y%m%d}T{e.end_time.replace(':', '')}00")
        else:
            lines.append(f"DTSTART;VALUE=DATE:{e.start:%Y%m%d}")
            lines.append(f"DTEND;VALUE=DATE:{e.last_day + dt.timedelta(days=1):%Y%m%d}")
        lines.append(f"SUMMARY:{_text(e.name(lang))}")
        description = e.forum_title + (" (Ende ca.)" if e.end_approximate and lang == "de" else "")
        description += " (end approximate)" if e.end_approximate and lang != "de" else ""
        lines.append(f"DESCRIPTION:{_text(description)}")
        if e.location:
            lines.append(f"LOCATION:{_text(e.location)}")
        lines.append(f"URL:{e.iri}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _text(value: str) -> str:
    """An iCalendar TEXT value: backslash, semicolon, comma and newline escaped."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 3.1), never inside a UTF-8 character.

    >>> folded = _fold("SUMMARY:" + "ä" * 60); [len(part.encode()) for part in folded.split("\\r\\n")]
    [74, 55]
    """
    parts, current, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > 75:
            parts.append(current)
            current, size = " ", 1
        current += ch
        size += n
    parts.append(current)
    return "\r\n".join(parts)
