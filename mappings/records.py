"""Typed records that the parser produces and the mapper turns into RDF.

Every record carries the :class:`Span` of source lines it was read from.
Texts are kept as printed (minus Markdown ``**`` markers); parsed values
(dates, times, numbers, codes) sit beside them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Span:
    """An inclusive range of 1-based line numbers of the source document."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 1 <= self.start <= self.end:
            raise ValueError(f"bad line span {self.start}-{self.end}")

    def __str__(self) -> str:
        return f"{self.start}" if self.start == self.end else f"{self.start}-{self.end}"


@dataclass(frozen=True)
class ParseWarning:
    """A fragment of the document the parser could not interpret.

    The fragment is kept in the graph as ``rk:unparsedText``; the build
    prints the warning.
    """

    line: int
    fragment: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}: {self.fragment!r}"


@dataclass(frozen=True)
class MinistryRef:
    """A Ressort as printed in the Ressort line, resolved to its code.

    ``code`` is the ministry (``"Stk"``), ``unit`` the unit code if one was
    printed (``"Stk/Sport"``), ``printed`` the spelling in the document
    (``"MHKGB"`` for the typo of forum 06).
    """

    code: str
    printed: str
    unit: str | None = None


@dataclass(frozen=True)
class Ressort:
    text: str
    lead: MinistryRef
    participating: tuple[MinistryRef, ...] = ()
    interested: tuple[MinistryRef, ...] = ()
    span: Span = Span(1, 1)


@dataclass(frozen=True)
class Moderator:
    """One person of a moderation team, as printed in one bullet."""

    printed: str
    name: str
    given_name: str
    family_name: str
    academic_title: str | None
    position: str | None
    organization: str | None  # gazetteer key of the organisation represented
    list_position: int
    span: Span


@dataclass(frozen=True)
class Participants:
    """Expected participants: ``minimum``/``maximum`` are None where unknown."""

    text: str
    minimum: int | None = None
    maximum: int | None = None
    approximate: bool = False


@dataclass
class Event:
    ordinal: int
    heading: str
    span: Span
    format: str | None = None
    format_detail: str | None = None
    title: str | None = None
    topic: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    start_time: dt.time | None = None
    end_time: dt.time | None = None
    start_time_approximate: bool = False
    end_time_approximate: bool = False
    all_day: bool | None = None
    schedule_note: str | None = None
    venues: list[str] = field(default_factory=list)  # gazetteer keys
    city: str | None = None  # gazetteer key
    goal: str | None = None
    target_group: str | None = None
    participants: Participants | None = None
    unparsed: list[str] = field(default_factory=list)


@dataclass
class Forum:
    number: int
    span: Span
    title: str = ""
    keywords: list[str] = field(default_factory=list)
    ressort: Ressort | None = None
    moderators: list[Moderator] = field(default_factory=list)
    question: str | None = None
    concept: str | None = None
    description: str | None = None
    participant_group: str | None = None
    events: list[Event] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)


@dataclass
class Document:
    """The whole parsed Steckbriefe document."""

    title: str
    date: dt.date | None
    lines: list[str]
    sha256: str = ""  # of the document's UTF-8 bytes, as read
    forums: list[Forum] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)

    def excerpt(self, span: Span) -> str:
        """The text of ``span``, as printed."""
        return "\n".join(self.lines[span.start - 1 : span.end])
