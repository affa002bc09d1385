"""The roster: who is available now, and one roster row (YAML or CSV) validated into a Person."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta

from bot.errors import UserError
from bot.models import Person, RosterRole, WorkingHours
from bot.text import DEFAULT_SKILL_LEVEL, normalize_skill, parse_level
from bot.timezones import as_utc, canonical_zone, zone

# The CSV columns, in order; a YAML row uses the same keys.
ROSTER_COLUMNS = (
    "name",
    "email",
    "slack_id",
    "teams_id",
    "department",
    "timezone",
    "working_hours",
    "skills",
    "learning",
    "max_active_swarms",
    "publisher",
    "role",
)
DEFAULT_TIMEZONE = "UTC"
DEFAULT_MAX_ACTIVE_SWARMS = 3
MAX_ACTIVE_SWARMS = 1000  # a bound the database's integer column holds on every backend
WEEKEND = (5, 6)  # Saturday, Sunday as datetime.weekday() counts them

_HOURS = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*[-–—]\s*(\d{1,2})(?::(\d{2}))?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
# "billing:5;sso:3" in a CSV cell; commas too, because a spreadsheet user types them.
_LIST_SEPARATORS = re.compile(r"[;,]")


def local_now(person: Person, now: datetime) -> datetime:
    """now on the person's wall clock."""
    return as_utc(now).astimezone(zone(person.timezone))


def is_working(person: Person, now: datetime) -> bool:
    """Inside the person's working hours on a weekday; without working hours, always."""
    hours = person.working_hours
    if hours is None:
        return True
    local = local_now(person, now)
    if not hours.contains(local.time()):
        return False
    shift_day = local.date()
    if hours.start > hours.end and local.time() < hours.end:
        # 02:00 in a 22:00-06:00 shift belongs to the shift that began the evening before.
        shift_day -= timedelta(days=1)
    return shift_day.weekday() not in WEEKEND


def is_away(person: Person, now: datetime) -> bool:
    """The person said /swarm away and that time has not come yet."""
    return person.away_until is not None and as_utc(person.away_until) > as_utc(now)


def parse_working_hours(text: str) -> WorkingHours:
    """`09:00-17:00` (also `9-17`, or `22:00-06:00` for a night shift)."""
    found = _HOURS.fullmatch(text.strip())
    start = _clock(found.group(1), found.group(2)) if found else None
    end = _clock(found.group(3), found.group(4)) if found else None
    if start is None or end is None or start == end:
        raise UserError("bad_working_hours", value=text)
    return WorkingHours(start=start, end=end)


def _clock(hour: str, minute: str | None) -> time | None:
    h, m = int(hour), int(minute or 0)
    return time(h, m) if h <= 23 and m <= 59 else None


def person_from_row(workspace_id: int, row: Mapping[str, object]) -> Person:
    """One roster row as a Person, or a UserError naming the field that is wrong.

    Takes a YAML mapping (typed values) or a CSV row (every value a string, "" for empty). Unknown keys are
    ignored, so an HR export with extra columns imports; ROSTER_COLUMNS lists the keys that count.
    """
    fields = {_column(key): value for key, value in row.items() if isinstance(key, str)}
    for field in ROSTER_COLUMNS:
        if (bad := _unstorable(fields.get(field))) is not None:
            # A lone surrogate ("\ud800" in YAML) or a NUL cannot be stored (UTF-8, PostgreSQL text): refuse the row,
            # naming the value with its escapes so the message itself can be printed.
            raise UserError("roster_bad_field", field=field, value=_printable(bad), name=None)

    name = _text(fields, "name")
    if name is None:
        raise UserError("roster_missing_name", field="name")

    email = _text(fields, "email", name)
    if email is not None and not _EMAIL.fullmatch(email):
        raise UserError("roster_bad_email", field="email", value=email, name=name)

    slack_id = _identifier(fields, "slack_id", name)
    teams_id = _identifier(fields, "teams_id", name)
    department = _text(fields, "department", name)

    raw_zone = _text(fields, "timezone", name) or DEFAULT_TIMEZONE
    timezone = canonical_zone(raw_zone)
    if timezone is None:
        raise UserError("roster_bad_timezone", field="timezone", value=raw_zone, name=name)

    working_hours = None
    if (raw_hours := _text(fields, "working_hours", name)) is not None:
        try:
            working_hours = parse_working_hours(raw_hours)
        except UserError:
            raise UserError("roster_bad_working_hours", field="working_hours", value=raw_hours, name=name) from None

    return Person(
        workspace_id=workspace_id,
        name=name,
        email=email,
        slack_id=slack_id,
        teams_id=teams_id,
        department=department,
        timezone=timezone,
        working_hours=working_hours,
        skills=_skills(fields.get("skills"), name),
        learning=_learning(fields.get("learning"), name),
        max_active_swarms=_max_active_swarms(fields.get("max_active_swarms"), name),
        publisher=_flag(fields.get("publisher"), "publisher", name),
        role=_role(fields.get("role"), name),
    )


def _unstorable(value: object) -> str | None:
    """The first text in a cell (or in its list or mapping) with a character no database takes; None if all fit."""
    if isinstance(value, str):
        return value if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value) else None
    if isinstance(value, Mapping):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple | set):
        for item in value:
            if (bad := _unstorable(item)) is not None:
                return bad
    return None


def _printable(text: str) -> str:
    """The value as one printable line: what cannot be shown (a lone surrogate, NUL, a carriage return or line break,
    any control character) as its escape, so that a report keeps one line per row."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)[:80]


def _flag(value: object, field: str, name: str) -> bool:
    """yes/no in YAML (a bool) or in a CSV cell ("true", "yes", "1", "" …)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("", "false", "no", "0", "n"):
        return False
    if text in ("true", "yes", "1", "y"):
        return True
    raise UserError("roster_bad_field", field=field, value=str(value), name=name)


def _role(value: object, name: str) -> RosterRole:
    """`agent` (also when left out), `lead` or `admin`, in any case."""
    if _blank(value):
        return RosterRole.AGENT
    try:
        return RosterRole(str(value).strip().lower())
    except ValueError:
        raise UserError("roster_bad_field", field="role", value=str(value), name=name) from None


def _column(key: str) -> str:
    # A spreadsheet header reads "Working hours" or "Slack ID"; the file format says working_hours, slack_id.
    return "_".join(key.strip().lower().split())


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(fields: Mapping[str, object], field: str, name: str | None = None) -> str | None:
    value = fields.get(field)
    if _blank(value):
        return None
    # YAML reads `teams_id: 123` as a number: a scalar is fine as text, a list or a mapping is a mistake.
    if isinstance(value, Mapping | list | tuple | set):
        raise UserError("roster_bad_field", field=field, value=str(value), name=name)
    return " ".join(str(value).split())


def _identifier(fields: Mapping[str, object], field: str, name: str) -> str | None:
    value = _text(fields, field, name)
    if value is not None and " " in value:
        raise UserError("roster_bad_field", field=field, value=value, name=name)
    return value


def _skills(value: object, name: str) -> dict[str, int]:
    """{billing: 5} from YAML, "billing:5;sso:3" from CSV, or a YAML list ["billing:5", "sso"]."""
    if _blank(value):
        return {}
    pairs: list[tuple[str, object]]
    if isinstance(value, Mapping):
        pairs = [(str(skill), level) for skill, level in value.items()]
    elif isinstance(value, str):
        pairs = [_split_pair(item) for item in _LIST_SEPARATORS.split(value) if item.strip()]
    elif isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise UserError("roster_bad_skill", field="skills", value=str(value), name=name)
        pairs = [_split_pair(item) for item in value if item.strip()]
    else:
        raise UserError("roster_bad_skill", field="skills", value=str(value), name=name)

    skills: dict[str, int] = {}
    for raw_skill, raw_level in pairs:
        skill = normalize_skill(raw_skill)
        if not skill:
            raise UserError("roster_bad_skill", field="skills", skill=raw_skill, value=str(raw_level), name=name)
        level = _level(skill, raw_level, name)
        # "Billing: 2" and "billing: 5" in one row are one skill; trust the higher claim.
        skills[skill] = max(level, skills.get(skill, 0))
    return skills


def _split_pair(item: str) -> tuple[str, object]:
    skill, sep, level = item.partition(":")
    return skill.strip(), (level.strip() if sep else None)


def _level(skill: str, raw: object, name: str) -> int:
    if raw is None:
        return DEFAULT_SKILL_LEVEL
    # bool is an int to Python, but `billing: yes` in YAML is not a level.
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if isinstance(raw, str):
        try:
            return parse_level(skill, raw)
        except UserError:
            pass
    raise UserError("roster_bad_skill", field="skills", skill=skill, value=str(raw), name=name)


def _learning(value: object, name: str) -> list[str]:
    if _blank(value):
        return []
    if isinstance(value, str):
        items: list[object] = list(_LIST_SEPARATORS.split(value))
    elif isinstance(value, list):
        items = list(value)
    else:
        raise UserError("roster_bad_learning", field="learning", value=str(value), name=name)
    learning: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise UserError("roster_bad_learning", field="learning", value=str(item), name=name)
        skill = normalize_skill(str(item))
        if skill and skill not in learning:
            learning.append(skill)
    return learning


def _max_active_swarms(value: object, name: str) -> int:
    if _blank(value):
        return DEFAULT_MAX_ACTIVE_SWARMS
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 1 <= number <= MAX_ACTIVE_SWARMS:
        raise UserError("roster_bad_number", field="max_active_swarms", value=str(value), name=name)
    return number


def person_to_row(person: Person) -> dict[str, object]:
    """The roster row that imports as this person again (`swarm roster export`): the keys of ROSTER_COLUMNS that
    say something, with YAML's types (a mapping of skills, a list of learning)."""
    row: dict[str, object] = {
        "name": person.name,
        "email": person.email,
        "slack_id": person.slack_id,
        "teams_id": person.teams_id,
        "department": person.department,
        "timezone": person.timezone,
        "working_hours": str(person.working_hours) if person.working_hours else None,
        "skills": dict(sorted(person.skills.items())),
        "learning": list(person.learning),
        "max_active_swarms": person.max_active_swarms,
        "publisher": person.publisher,
        "role": person.role.value if person.role.above_agent else None,
    }
    if person.max_active_swarms == DEFAULT_MAX_ACTIVE_SWARMS:
        del row["max_active_swarms"]
    return {key: value for key, value in row.items() if value not in (None, "", [], {}) and value is not False}
