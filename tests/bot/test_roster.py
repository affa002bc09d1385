import csv
from dataclasses import replace
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
import yaml

from bot.errors import UserError
from bot.models import Person, RosterRole, WorkingHours
from bot.roster import (
    ROSTER_COLUMNS,
    is_away,
    is_working,
    local_now,
    parse_working_hours,
    person_from_row,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NINE_TO_FIVE = WorkingHours(time(9), time(17))
NIGHT_SHIFT = WorkingHours(time(22), time(6))


def person(**fields: object) -> Person:
    values: dict[str, object] = {"workspace_id": 1, "name": "Ana Ruiz", "timezone": "Europe/Madrid"}
    values.update(fields)
    return Person(**values)  # type: ignore[arg-type]


def madrid(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2026 given in Madrid wall-clock time (UTC+1 until the 29th), as UTC."""
    return datetime(2026, 3, day, hour - 1, minute, tzinfo=UTC)


# -- local_now / is_working / is_away -----------------------------------------------------------------------------


def test_local_now_is_the_persons_wall_clock() -> None:
    local = local_now(person(timezone="Australia/Sydney"), datetime(2026, 3, 4, 15, 0, tzinfo=UTC))
    assert (local.date().isoformat(), local.hour) == ("2026-03-05", 2)
    assert local.utcoffset() is not None


def test_local_now_with_an_unknown_zone_is_utc() -> None:
    local = local_now(person(timezone="Nowhere/Special"), datetime(2026, 3, 4, 15, 0, tzinfo=UTC))
    assert local.hour == 15


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (madrid(4, 9), True),  # Wednesday, start is inclusive
        (madrid(4, 12, 30), True),
        (madrid(4, 16, 59), True),
        (madrid(4, 17), False),  # end is exclusive
        (madrid(4, 8, 59), False),
        (madrid(7, 12), False),  # Saturday
        (madrid(8, 12), False),  # Sunday
        (madrid(9, 12), True),  # Monday
    ],
)
def test_is_working_on_weekdays_inside_hours(moment: datetime, working: bool) -> None:
    assert is_working(person(working_hours=NINE_TO_FIVE), moment) is working


def test_is_working_uses_the_persons_zone() -> None:
    # 09:30 UTC is 10:30 in Madrid but 04:30 in New York.
    now = datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
    assert is_working(person(working_hours=NINE_TO_FIVE), now)
    assert not is_working(person(working_hours=NINE_TO_FIVE, timezone="America/New_York"), now)


@pytest.mark.parametrize("moment", [madrid(4, 3), madrid(7, 12), madrid(8, 3)])
def test_without_working_hours_a_person_is_always_working(moment: datetime) -> None:
    assert is_working(person(working_hours=None), moment)


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (madrid(6, 23), True),  # Friday evening
        (madrid(7, 2), True),  # early Saturday is still Friday's shift
        (madrid(7, 23), False),  # Saturday evening: no shift starts on a weekend
        (madrid(9, 2), False),  # early Monday belongs to Sunday night
        (madrid(9, 22), True),
        (madrid(4, 12), False),
    ],
)
def test_a_night_shift_belongs_to_the_day_it_started(moment: datetime, working: bool) -> None:
    assert is_working(person(working_hours=NIGHT_SHIFT), moment) is working


NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("away_until", "away"),
    [
        (None, False),
        (datetime(2026, 3, 4, 15, 1, tzinfo=UTC), True),
        (datetime(2026, 3, 4, 15, 0, tzinfo=UTC), False),  # the moment it ends they are back
        (datetime(2026, 3, 4, 14, 0, tzinfo=UTC), False),
        (datetime(2026, 3, 4, 17, 0), True),  # naive, as SQLite returns it: UTC
        (datetime(2026, 3, 4, 14, 0), False),
    ],
)
def test_is_away(away_until: datetime | None, away: bool) -> None:
    assert is_away(person(away_until=away_until), NOW) is away


# -- parse_working_hours ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("09:00-17:00", NINE_TO_FIVE),
        ("9-17", NINE_TO_FIVE),
        (" 09:00 – 17:00 ", NINE_TO_FIVE),
        ("08:30-16:45", WorkingHours(time(8, 30), time(16, 45))),
        ("22:00-06:00", NIGHT_SHIFT),
        ("00:00-23:59", WorkingHours(time(0), time(23, 59))),
    ],
)
def test_parse_working_hours(text: str, hours: WorkingHours) -> None:
    assert parse_working_hours(text) == hours


@pytest.mark.parametrize(
    "text", ["", "9", "nine to five", "09:00", "25:00-17:00", "09:60-17:00", "09:00-09:00", "09:00-24:00", "9:0-17"]
)
def test_bad_working_hours(text: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_working_hours(text)
    assert caught.value.reason == "bad_working_hours"
    assert caught.value.details == {"value": text}


# -- person_from_row ----------------------------------------------------------------------------------------------

ANA_ROW: dict[str, object] = {
    "name": "Ana Ruiz",
    "email": "ana@example.com",
    "slack_id": "U01ANA",
    "teams_id": "5f1c2a7e-0d3b-4c8e-9a41-1e6b2f0c9d01",
    "department": "Support",
    "timezone": "Europe/Madrid",
    "working_hours": "09:00-17:00",
    "skills": {"billing": 5, "postgres": 4},
    "learning": ["kubernetes"],
    "max_active_swarms": 3,
}


def test_a_full_yaml_row() -> None:
    assert person_from_row(7, ANA_ROW) == Person(
        workspace_id=7,
        name="Ana Ruiz",
        email="ana@example.com",
        slack_id="U01ANA",
        teams_id="5f1c2a7e-0d3b-4c8e-9a41-1e6b2f0c9d01",
        department="Support",
        timezone="Europe/Madrid",
        working_hours=NINE_TO_FIVE,
        skills={"billing": 5, "postgres": 4},
        learning=["kubernetes"],
        max_active_swarms=3,
    )


def test_a_row_with_only_a_name_gets_the_defaults() -> None:
    assert person_from_row(1, {"name": "  Bruno   Costa "}) == Person(workspace_id=1, name="Bruno Costa")


def test_a_csv_row_has_strings_and_empty_cells() -> None:
    row = {column: "" for column in ROSTER_COLUMNS}
    row.update(
        name="Chloe Martin",
        email="chloe@example.com",
        timezone="Europe/London",
        skills="PDF:5; export:4;Reporting",
        learning="kubernetes;;Single Sign On",
        max_active_swarms="2",
    )
    result = person_from_row(1, row)
    assert result.skills == {"pdf": 5, "export": 4, "reporting": 3}
    assert result.learning == ["kubernetes", "single-sign-on"]
    assert result.max_active_swarms == 2
    assert (result.slack_id, result.teams_id, result.department, result.working_hours) == (None, None, None, None)


def test_spreadsheet_headers_and_unknown_columns() -> None:
    row = {"Name": "Dee", "Working Hours": "9-17", "Slack ID": "U02DEE", "Notes": "ignored"}
    result = person_from_row(1, row)
    assert (result.working_hours, result.slack_id) == (NINE_TO_FIVE, "U02DEE")


def test_yaml_numbers_in_text_fields_become_text() -> None:
    assert person_from_row(1, {"name": "Eve", "teams_id": 12345}).teams_id == "12345"


@pytest.mark.parametrize(("written", "canonical"), [("europe/madrid", "Europe/Madrid"), (" UTC ", "UTC")])
def test_timezone_names_are_matched_case_insensitively(written: str, canonical: str) -> None:
    assert person_from_row(1, {"name": "Eve", "timezone": written}).timezone == canonical


@pytest.mark.parametrize(
    ("skills", "expected"),
    [
        ({"Billing": 5, "SSO": "4"}, {"billing": 5, "sso": 4}),
        ({"billing": None}, {"billing": 3}),  # `billing:` with no level in YAML
        ("billing:5;sso:3", {"billing": 5, "sso": 3}),
        ("billing:5, sso", {"billing": 5, "sso": 3}),
        (["billing:5", "sso"], {"billing": 5, "sso": 3}),
        ({"billing": 2, "Billing": 5}, {"billing": 5}),  # one skill: the higher claim
        ("billing:5;billing:1", {"billing": 5}),
        ("", {}),
        (None, {}),
        ({}, {}),
    ],
)
def test_skills_forms(skills: object, expected: dict[str, int]) -> None:
    assert person_from_row(1, {"name": "Eve", "skills": skills}).skills == expected


@pytest.mark.parametrize(
    ("skills", "details"),
    [
        ({"billing": 0}, {"skill": "billing", "value": "0"}),
        ({"billing": 6}, {"skill": "billing", "value": "6"}),
        ({"billing": 4.5}, {"skill": "billing", "value": "4.5"}),
        ({"billing": True}, {"skill": "billing", "value": "True"}),
        ({"billing": "high"}, {"skill": "billing", "value": "high"}),
        ("billing:9", {"skill": "billing", "value": "9"}),
        ("billing:", {"skill": "billing", "value": ""}),
        ({"!!!": 3}, {"skill": "!!!", "value": "3"}),
        (5, {"value": "5"}),
        ([{"billing": 5}], {"value": "[{'billing': 5}]"}),
    ],
)
def test_bad_skills(skills: object, details: dict[str, str]) -> None:
    with pytest.raises(UserError) as caught:
        person_from_row(1, {"name": "Eve", "skills": skills})
    assert caught.value.reason == "roster_bad_skill"
    assert caught.value.details == {"field": "skills", "name": "Eve", **details}


@pytest.mark.parametrize(
    ("learning", "expected"),
    [
        (["Kubernetes", "pdf", "kubernetes"], ["kubernetes", "pdf"]),
        ("kubernetes;pdf", ["kubernetes", "pdf"]),
        ("kubernetes, pdf", ["kubernetes", "pdf"]),
        ([2024], ["2024"]),
        ("", []),
        (None, []),
    ],
)
def test_learning_forms(learning: object, expected: list[str]) -> None:
    assert person_from_row(1, {"name": "Eve", "learning": learning}).learning == expected


@pytest.mark.parametrize(("learning", "value"), [({"pdf": 1}, "{'pdf': 1}"), ([["pdf"]], "['pdf']"), (7, "7")])
def test_bad_learning(learning: object, value: str) -> None:
    with pytest.raises(UserError) as caught:
        person_from_row(1, {"name": "Eve", "learning": learning})
    assert caught.value.reason == "roster_bad_learning"
    assert caught.value.details == {"field": "learning", "value": value, "name": "Eve"}


@pytest.mark.parametrize(("value", "expected"), [(5, 5), ("5", 5), (" 2 ", 2), (1, 1), ("", 3), (None, 3)])
def test_max_active_swarms(value: object, expected: int) -> None:
    assert person_from_row(1, {"name": "Eve", "max_active_swarms": value}).max_active_swarms == expected


@pytest.mark.parametrize("value", [0, -1, "0", "two", 2.5, "2.5", True])
def test_bad_max_active_swarms(value: object) -> None:
    with pytest.raises(UserError) as caught:
        person_from_row(1, {"name": "Eve", "max_active_swarms": value})
    assert caught.value.reason == "roster_bad_number"
    assert caught.value.details == {"field": "max_active_swarms", "value": str(value), "name": "Eve"}


@pytest.mark.parametrize("row", [{}, {"name": ""}, {"name": "   "}, {"name": None}, {"email": "ana@example.com"}])
def test_a_row_without_a_name_is_refused(row: dict[str, object]) -> None:
    with pytest.raises(UserError) as caught:
        person_from_row(1, row)
    assert caught.value.reason == "roster_missing_name"
    assert caught.value.details == {"field": "name"}


@pytest.mark.parametrize("email", ["ana", "ana@", "ana@example", "@example.com", "ana@@example.com", "a b@example.com"])
def test_bad_email(email: str) -> None:
    with pytest.raises(UserError) as caught:
        person_from_row(1, {"name": "Ana", "email": email})
    assert caught.value.reason == "roster_bad_email"
    assert caught.value.details == {"field": "email", "value": email, "name": "Ana"}


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "Europe", "CEST", "localtime", "posixrules", "../etc/passwd", "+02:00"]
)
def test_bad_timezone(zone: str) -> None:
    with pytest.raises(UserError) as caught:
        person_from_row(1, {"name": "Ana", "timezone": zone})
    assert caught.value.reason == "roster_bad_timezone"
    assert caught.value.details == {"field": "timezone", "value": zone, "name": "Ana"}


def test_bad_working_hours_in_a_row() -> None:
    with pytest.raises(UserError) as caught:
        person_from_row(1, {"name": "Ana", "working_hours": "nine to five"})
    assert caught.value.reason == "roster_bad_working_hours"
    assert caught.value.details == {"field": "working_hours", "value": "nine to five", "name": "Ana"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("slack_id", "U01 ANA"), ("teams_id", "not an id"), ("department", ["R&D"]), ("email", {"work": "a@b.c"})],
)
def test_bad_field(field: str, value: object) -> None:
    with pytest.raises(UserError) as caught:
        person_from_row(1, {"name": "Ana", field: value})
    assert caught.value.reason == "roster_bad_field"
    assert caught.value.details == {"field": field, "value": str(value), "name": "Ana"}


def test_a_name_that_is_a_list_is_a_bad_field() -> None:
    with pytest.raises(UserError) as caught:
        person_from_row(1, {"name": ["Ana", "Ruiz"]})
    assert caught.value.reason == "roster_bad_field"
    assert caught.value.details == {"field": "name", "value": "['Ana', 'Ruiz']", "name": None}


# -- the example rosters ------------------------------------------------------------------------------------------


def example_people() -> list[Person]:
    rows = yaml.safe_load((EXAMPLES / "roster.yaml").read_text(encoding="utf-8"))["people"]
    return [replace(person_from_row(1, row), id=number) for number, row in enumerate(rows, start=1)]


def test_every_row_of_the_example_yaml_roster_is_valid() -> None:
    people = example_people()
    assert len(people) >= 25
    assert len({p.email for p in people}) == len(people)
    assert {p.department for p in people} >= {"Support", "R&D", "Product", "Sales", "Finance"}
    assert {p.timezone for p in people} >= {
        "Europe/Madrid",
        "Europe/London",
        "America/New_York",
        "America/Los_Angeles",
        "Asia/Kolkata",
        "Australia/Sydney",
    }
    assert all(p.working_hours is not None and p.skills and p.slack_id for p in people)
    ana = next(p for p in people if p.name == "Ana Ruiz")
    assert (ana.email, ana.slack_id, ana.department, ana.timezone) == (
        "ana@example.com",
        "U01ANA",
        "Support",
        "Europe/Madrid",
    )


def test_the_example_csv_rows_match_the_same_people_in_the_yaml() -> None:
    with (EXAMPLES / "roster.csv").open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        assert tuple(reader.fieldnames or ()) == ROSTER_COLUMNS
        from_csv = [person_from_row(1, row) for row in reader]
    from_yaml = {p.email: replace(p, id=None) for p in example_people()}
    assert len(from_csv) >= 5
    for row_person in from_csv:
        assert row_person == from_yaml[row_person.email]


def test_a_row_names_its_roster_role_and_is_an_agent_without_one() -> None:
    assert person_from_row(1, {"name": "Rahul", "role": "Lead"}).role is RosterRole.LEAD
    assert person_from_row(1, {"name": "Ana", "role": ""}).role is RosterRole.AGENT
    assert person_from_row(1, {"name": "Ana"}).role is RosterRole.AGENT
    with pytest.raises(UserError) as refused:
        person_from_row(1, {"name": "Zoe", "role": "boss"})
    assert refused.value.details["field"] == "role"
