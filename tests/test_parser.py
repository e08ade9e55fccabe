"""Unit tests for each irregularity of the Steckbriefe document."""

from __future__ import annotations

import datetime as dt

import pytest

from ruhrkg.mappings.parser import parse_text, strip_markup

D = dt.date
T = dt.time


def one_event(heading: str, body: str = "Ziel: x\n\nTeilnehmende: ca. 10 Akteure"):
    """Parse a minimal forum with one event and return (event, warnings)."""
    text = f"""Steckbrief Themenforum 99:

Titel

Ressort: MAGS

Moderationsteam

- **Minister Max Muster**

Thema: Frage?

Teilnehmerkreis

Alle.

Veranstaltungen

{heading}

{body}
"""
    doc = parse_text(text)
    (forum,) = doc.forums
    (event,) = forum.events
    return event, doc.warnings


def forum(doc, number):
    return next(f for f in doc.forums if f.number == number)


def event(doc, number, ordinal):
    return next(e for e in forum(doc, number).events if e.ordinal == ordinal)


# -- dates ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("heading", "start", "end"),
    [
        ("1. Veranstaltung am 10.05 2019 im Ebertbad Oberhausen", D(2019, 5, 10), D(2019, 5, 10)),
        ("1. Veranstaltung am 11. Juni 2019 in der Henrichshütte Hattingen", D(2019, 6, 11), D(2019, 6, 11)),
        ("1. Meeting des ThinkTanks am 8. Mai 2019 in Dortmund", D(2019, 5, 8), D(2019, 5, 8)),
        ("3. Veranstaltung: Innovationskonferenz vom 28.-30.05.2019 in Tel Aviv", D(2019, 5, 28), D(2019, 5, 30)),
        (
            "1. Workshop am 18.12.2018 von 11:00 bis 15:00 Uhr im Wissenschaftspark Gelsenkirchen",
            D(2018, 12, 18),
            D(2018, 12, 18),
        ),
    ],
)
def test_dates(heading, start, end):
    e, warnings = one_event(heading)
    assert (e.start_date, e.end_date) == (start, end)
    assert warnings == []


def test_event_without_date_keeps_dates_unknown():
    e, warnings = one_event("2. Expertengespräche")
    assert e.format == "Expertengespräche"
    assert (e.start_date, e.end_date, e.start_time, e.all_day) == (None, None, None, None)
    assert warnings == []


# -- times ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("heading", "start", "end", "approx_end"),
    [
        ("1. Zukunftswerkstatt am 15.03.2019 in der NRW-Sportschule Goethe Gymnasium Dortmund, 17.00 – 19.45 Uhr",
         T(17), T(19, 45), False),
        ("2. Plenarveranstaltung am 04.07.2019 ab 10:00 Uhr im Ruhrfestspielhaus Recklinghausen", T(10), None, False),
        ("2. Veranstaltung als Workshop am 17.05.2019 im Wissenschaftspark Gelsenkirchen von 09:00 Uhr bis ca. 15:15 Uhr",
         T(9), T(15, 15), True),
        ("3. Öffentliche Veranstaltung am 08.07.2019 von 17:00 bis 19:00 in der Akademie Mont-Cenis in Herne",
         T(17), T(19), False),
        ("1. Expertengespräch am 21.02.2019 von 9:30 bis 11:30 Uhr im MAGS NRW", T(9, 30), T(11, 30), False),
        ("1. Auftaktveranstaltung am 21.01.2019 von 09:30 bis 12.30 Uhr im Erich Brost-Pavillon, UNESCO-Welterbe Zollverein in Essen",
         T(9, 30), T(12, 30), False),
    ],
)  # fmt: skip
def test_times(heading, start, end, approx_end):
    e, warnings = one_event(heading)
    assert (e.start_time, e.end_time, e.end_time_approximate) == (start, end, approx_end)
    assert e.all_day is False
    assert warnings == []


@pytest.mark.parametrize("word", ["ganztägig", "ganztätig"])
def test_all_day_including_the_printed_typo(word):
    e, warnings = one_event(f"1. Klausur am 15.03.2019 {word} im SANAA-Gebäude Essen")
    assert e.all_day is True
    assert e.start_time is None
    assert e.venues == ["sanaa-gebaeude"]
    assert warnings == []


def test_schedule_note_is_kept():
    e, _ = one_event(
        "1. Zukunftswerkstatt am 15.03.2019 in der NRW-Sportschule Goethe Gymnasium Dortmund, 17.00 – 19.45 Uhr, "
        "zuvor ab 16.00 Uhr presseöffentlicher Termin"
    )
    assert e.schedule_note == "zuvor ab 16.00 Uhr presseöffentlicher Termin"
    assert e.start_time == T(17)


# -- headings, markup, formats ------------------------------------------------
def test_heading_split_across_lines_with_bold_markers(doc):
    e = event(doc, 4, 2)
    assert e.heading.startswith("Plenarveranstaltung am 04.07.2019 ab 10:00 Uhr im Ruhrfestspielhaus Recklinghausen")
    assert "**" not in e.heading
    assert e.title == "Startschuss Prozess „Urbane Energielösungen für die Metropolregion“"
    assert e.venues == ["ruhrfestspielhaus"]
    assert e.city == "recklinghausen"
    assert e.span.start < e.span.end


def test_stray_bold_markers_and_bullet_dash(doc):
    e = event(doc, 3, 1)
    assert e.format == "Symposium"
    assert e.title == "360° – Maßnahmen gegen die Clan-Kriminalität"
    assert e.all_day is True
    assert strip_markup("- 1. Symposium am 30.01.2019**") == "- 1. Symposium am 30.01.2019"


@pytest.mark.parametrize(
    ("heading", "fmt", "detail", "title"),
    [
        ("2. Veranstaltung als Workshop am 17.05.2019 im Wissenschaftspark Gelsenkirchen", "Workshop", None, None),
        ("2. Barcamp am 15.02.2019 ganztägig im Haus der Technik, Essen", "Barcamp", None, None),
        ("1. Veranstaltung mit Keynote-Speaker, Talkrunde und Workshops am 07.02.2019 in der Sparkassenakademie Dortmund",
         "Veranstaltung", "mit Keynote-Speaker, Talkrunde und Workshops", None),
        ("1. Veranstaltung zum Thema „Altschulden“ am 10.05 2019 im Ebertbad Oberhausen", "Veranstaltung", None, "Altschulden"),
        ("3. Veranstaltung: Innovationskonferenz vom 28.-30.05.2019 in Tel Aviv", "Innovationskonferenz", None, None),
        ("1. Arbeitssitzung des TF am 09.01.2019 bei Radio Bochum", "Arbeitssitzung", "des TF", None),
    ],
)  # fmt: skip
def test_format_detail_and_title(heading, fmt, detail, title):
    e, warnings = one_event(heading)
    assert (e.format, e.format_detail, e.title) == (fmt, detail, title)
    assert warnings == []


# -- venues and cities --------------------------------------------------------
@pytest.mark.parametrize("place", ["im Haus der Technik Essen", "im Haus der Technik, Essen"])
def test_venue_with_or_without_comma_before_the_city(place):
    e, warnings = one_event(f"1. Barcamp am 15.02.2019 {place}")
    assert e.venues == ["haus-der-technik"]
    assert e.city == "essen"
    assert warnings == []


def test_two_venues_in_one_event(doc):
    e = event(doc, 5, 3)
    assert e.venues == ["museum-kueppersmuehle", "startport"]
    assert e.city == "duisburg"
    assert (e.start_time, e.end_time) == (T(13), T(18))


def test_venue_before_the_date(doc):
    e = event(doc, 5, 1)
    assert e.format == "Auftaktworkshop"
    assert e.venues == ["g-data-campus"]
    assert e.city == "bochum"


def test_venue_inside_a_larger_site(doc):
    assert event(doc, 12, 2).venues == ["oktogon-zollverein"]
    assert event(doc, 13, 1).venues == ["erich-brost-pavillon"]
    assert event(doc, 17, 1).venues == ["rag-immobilien-zentrale"]
    assert event(doc, 19, 2).venues == ["geblaesehalle"]


def test_city_without_venue(doc):
    e = event(doc, 20, 2)
    assert (e.venues, e.city) == ([], "dortmund")
    assert event(doc, 17, 3).city == "tel-aviv"


def test_unknown_venue_is_kept_and_reported():
    e, warnings = one_event("1. Workshop am 02.02.2019 im Kulturzentrum Nirgendwo")
    assert e.venues == []
    assert any("Kulturzentrum Nirgendwo" in frag for frag in e.unparsed)
    assert [w.message for w in warnings] == ["venue not in the gazetteer"]
    assert warnings[0].line == 19


def test_uninterpreted_heading_text_is_kept_and_reported():
    e, warnings = one_event("1. Workshop am 02.02.2019 im Ruhrturm Essen ¿unklar?")
    assert e.venues == ["ruhrturm"]
    assert warnings and "¿unklar?" in warnings[0].fragment
    assert e.unparsed


# -- participants -------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "lo", "hi", "approx"),
    [
        ("ca. 100 Teilnehmende aus o.g. Teilnehmerkreis", 100, 100, True),
        ("ca. 40 – 50 ausgewählte Akteure", 40, 50, True),
        ("ca. 90-100 aus o.g. Teilnehmerkreis", 90, 100, True),
        ("ca. 150 bis 200 aus o.g. erweitertem Teilnehmerkreis", 150, 200, True),
        ("560 aus o.g. Teilnehmerkreis", 560, 560, False),
        ("30 – 40 Personen ausgewählte Akteure", 30, 40, False),
        ("x aus o.g. Teilnehmerkreis", None, None, False),
        ("n.n.b.", None, None, False),
        ("n. n. b.", None, None, False),
        ("Interdisziplinäre Teams aus o.g. Expertinnen und Experten", None, None, False),
    ],
)
def test_participants(text, lo, hi, approx):
    e, _ = one_event("1. Workshop am 02.02.2019 im Ruhrturm Essen", f"Ziel: x\n\nTeilnehmende: {text}")
    p = e.participants
    assert (p.minimum, p.maximum, p.approximate, p.text) == (lo, hi, approx, text)


def test_goal_over_several_paragraphs_and_target_group(doc):
    e = event(doc, 11, 3)
    assert e.goal.count("\n\n") == 1
    assert e.goal.split("\n\n")[1].startswith("Ziel dieser Veranstaltung ist es, sich in zwei Foren")
    e = event(doc, 20, 1)
    assert e.target_group.startswith("Unterschiedliche Player")
    assert e.goal == "kreative, innovative, zukunftsorientierte Ideen sammeln, kategorisieren, priorisieren."


# -- forums: title, Ressort, moderators --------------------------------------------
def test_hashtag_title_kept_as_keywords(doc):
    f = forum(doc, 1)
    assert f.title == "#Chancen, #Vielfalt, #Aufstieg"
    assert f.keywords == ["Chancen", "Vielfalt", "Aufstieg"]
    assert f.concept == "Erfolgreiche Integration: Talente entdecken, Potenziale fördern"
    assert not f.description.startswith("Konzept")


def test_ressort_lead_participating_units(doc):
    r = forum(doc, 1).ressort
    assert r.lead.code == "MKFFI"
    assert [(m.code, m.unit) for m in r.participating] == [("MSB", None), ("Stk", "Stk/Sport")]
    r = forum(doc, 20).ressort
    assert (r.lead.code, r.lead.unit) == ("Stk", "Stk/Ehrenamt")
    assert {forum(doc, n).ressort.lead.unit for n in (17, 18, 19)} == {"Stk/MBEI", "Stk/CdS", "Stk/Sport"}


def test_ressort_without_colon_and_with_beteiligtes(doc):
    assert [m.code for m in forum(doc, 7).ressort.participating] == ["MSB", "MWIDE"]
    assert [m.code for m in forum(doc, 12).ressort.participating] == ["IM", "MKFFI"]
    assert forum(doc, 8).ressort.participating == ()


def test_printed_typo_mhkgb_is_mhkbg(doc):
    (typo,) = [m for m in forum(doc, 6).ressort.participating if m.printed == "MHKGB"]
    assert typo.code == "MHKBG"


def test_interested_is_not_participating(doc):
    for n in (15, 16):
        r = forum(doc, n).ressort
        assert r.participating == ()
        assert [m.code for m in r.interested] == ["MWIDE"]


def test_unknown_ressort_code_is_reported():
    doc = parse_text("Steckbrief Themenforum 01:\n\nT\n\nRessort: XYZ (beteiligte Ressorts: MAGS)\n")
    assert [w.message for w in doc.warnings] == ["unknown Ressort code"]
    assert doc.forums[0].unparsed == ["XYZ"]


def test_moderators_with_titles_positions_and_organisations(doc):
    team = [(m.academic_title, m.name, m.position, m.organization) for m in forum(doc, 14).moderators]
    assert team == [
        (None, "Ursula Heinen-Esser", "Ministerin", None),
        ("Prof. Dr.", "Ulrich Paetzel", "Vorstandsvorsitzender", "emschergenossenschaft"),
        (None, "Josef Tumbrinck", "Vorsitzender", "nabu-nrw"),
    ]
    assert forum(doc, 14).moderators[1].span == forum(doc, 14).moderators[2].span  # one bullet


def test_position_containing_und_and_commas(doc):
    burkhard = forum(doc, 7).moderators[1]
    assert (burkhard.position, burkhard.organization) == ("Vorstand Personal und Arbeitsdirektor", "thyssenkrupp")
    klar = forum(doc, 20).moderators[1]
    assert klar.position == "Leiterin Human Resource Management & Soziales Engagement"
    assert klar.organization == "dr-ausbuettel"
    assert (klar.given_name, klar.family_name) == ("Stefanie Janne", "Klar")
    havenith = forum(doc, 5).moderators[1]
    assert (havenith.position, havenith.organization) == (
        "Sprecherin des Exzellenzclusters RESOLV",
        "ruhr-universitaet-bochum",
    )


def test_organisation_in_parentheses_and_position_implied_by_the_organisation(doc):
    metzelder = forum(doc, 19).moderators[1]
    assert (metzelder.name, metzelder.position, metzelder.organization) == (
        "Christoph Metzelder", None, "christoph-metzelder-stiftung")  # fmt: skip
    richter = forum(doc, 3).moderators[1]
    assert (richter.position, richter.organization) == ("Polizeipräsident", "polizeipraesidium-essen")


def test_the_real_document_parses_without_warnings(doc):
    assert doc.warnings == []
    assert doc.title == "Steckbriefe der 20 Themenforen"
    assert doc.date == D(2019, 6, 1)
    assert [f.number for f in doc.forums] == list(range(1, 21))


def test_numbered_lines_of_a_teilnehmerkreis_are_not_events(doc):
    f = forum(doc, 11)
    assert [e.ordinal for e in f.events] == [1, 2, 3, 4]
    assert f.participant_group.startswith("1. Thema „Altschulden“")


def test_windows_line_endings_parse_the_same(source_text, doc):
    crlf = parse_text(source_text.replace("\n", "\r\n"))
    assert [len(f.events) for f in crlf.forums] == [len(f.events) for f in doc.forums]
    assert crlf.warnings == []
