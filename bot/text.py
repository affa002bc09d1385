"""What people type, turned into domain values: case text, skill names, room names, levels, causes, times.

Every function here is pure; anything a user can get wrong raises UserError with a reason key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta

from bot.errors import UserError
from bot.models import DEFAULT_SEVERITY, MAX_CASE_CHARS, SEVERITIES, Case
from bot.timezones import as_utc, zone

DEFAULT_SKILL_LEVEL = 3
SKILL_LEVELS = range(1, 6)
ROOM_NAME_MAX = 80
ROOM_NAME_WORDS = 4
AWAY_DAY_START = time(9, 0)
MAX_AWAY = timedelta(days=366)

# Punctuation that ends a sentence rather than belonging to the token before it: "#pdf," "sev2." "customer:ACME;".
_TRAILING_PUNCT = ",.;:!?)"
_QUOTES = "\"'“”‘’"

_TOKEN = re.compile(
    # customer:"Acme Corp" is one token; Slack and macOS turn straight quotes into curly ones as people type.
    r"(?P<key>customer|product|version)\s*[:=]\s*(?:\"(?P<dq>[^\"]*)\"|“(?P<cq>[^”]*)”)[,.;:!?]*(?!\S)"
    r"|(?P<word>\S+)",
    re.IGNORECASE,
)
# A word: a run of letters and digits (underscores and everything else separate words), in any script.
WORD = re.compile(r"[^\W_]+")
_FIELD = re.compile(r"(customer|product|version)[:=](.*)", re.IGNORECASE | re.DOTALL)
_SEVERITY = re.compile(r"sev(?:erity)?[:=-]?(\d+)", re.IGNORECASE)
# A version in free text needs a cue word or a leading "v", so "costs 4.50" or "since 2023" are not versions.
_FREE_VERSION = re.compile(
    r"\b(?:since|after|release|version|upgrad(?:e|ed|ing)\s+to)\s+v?(\d+(?:\.\d+)+)\b"
    r"|\bversion\s+(\d+)\b"
    r"|\bv(\d+(?:\.\d+)*)\b",
    re.IGNORECASE,
)
_EXPLICIT_V = re.compile(r"[vV](?=\d)")

_SKILL_SEPARATORS = re.compile(r"[\s_]+")
_SKILL_DROP = re.compile(r"[^a-z0-9+.\-]")
_DASHES = re.compile(r"-{2,}")

_ROOM_SEPARATORS = re.compile(r"[._/]+")
_ROOM_DROP = re.compile(r"[^a-z0-9-]")

_CAUSE = re.compile(r"\b(?:root\s+)?cause\s*:", re.IGNORECASE)

_UNTIL_PREFIX = re.compile(r"(?:until|till|til|for)\s+", re.IGNORECASE)
_MINUTES_PER_UNIT = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 1),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 60),
    **dict.fromkeys(("d", "day", "days"), 60 * 24),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 60 * 24 * 7),
}
_UNIT = "|".join(sorted(_MINUTES_PER_UNIT, key=len, reverse=True))
_DURATION = re.compile(rf"(?:\d+\s*(?:{_UNIT})(?![a-z])\s*)+")
_DURATION_PART = re.compile(rf"(\d+)\s*({_UNIT})(?![a-z])")
_CLOCK = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", re.IGNORECASE)
_ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ t](\d{1,2}):(\d{2}))?")
_AtLocal = Callable[[date, time], datetime]
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def normalize_skill(name: str) -> str:
    """The canonical spelling of a skill: "#Single Sign_On" → "single-sign-on", "C++" → "c++"."""
    folded = _ascii_fold(name).lower().strip().lstrip("#")
    folded = _SKILL_DROP.sub("", _SKILL_SEPARATORS.sub("-", folded))
    # A trailing dot is the end of a sentence ("… about #pdf."); a leading one is part of the name (".net").
    return _DASHES.sub("-", folded).strip("-").rstrip(".")


def close_skill(skill: str, known: Collection[str]) -> str | None:
    """The known skill that `skill`, unknown, is probably a typo of (`biling` is `billing`, `paymnets` is `payments`):
    one slip (a letter missing, added, changed, or two neighbours swapped) from five letters, two from eight; None for
    a known skill, a short one, or one nothing is that close to (the nearest, then the first in order, wins)."""
    if skill in known or len(skill) < 5:
        return None
    most = 2 if len(skill) >= 8 else 1
    near = sorted((distance, name) for name in known if (distance := _slips(skill, name, most)) <= most)
    return near[0][1] if near else None


def _slips(a: str, b: str, most: int) -> int:
    """Letters missing, added or changed, or neighbours swapped, from `a` to `b` (optimal string alignment), or
    `most + 1` once it is sure to be more."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return min(rows[-1][-1], most + 1)


def parse_case(text: str, *, tags_alone: bool = False) -> Case:
    """A case from what the requester typed after /swarm: #tags, sevN, customer:, product:, version: and the rest.
    With `tags_alone`, tags without other words are a case too, about those skills (`/swarm experts #billing`)."""
    if len(text) > MAX_CASE_CHARS:
        raise UserError("case_too_long", limit=MAX_CASE_CHARS, length=len(text))

    words: list[str] = []
    tags: list[str] = []
    fields: dict[str, str] = {}
    severity = DEFAULT_SEVERITY
    pending_key: str | None = None  # "customer:" followed by a space: the value is the next word

    for token in _TOKEN.finditer(text):
        key = token.group("key")
        if key is not None:
            _set_field(fields, key, token.group("dq") if token.group("dq") is not None else token.group("cq"))
            pending_key = None
            continue
        word = token.group("word")
        bare = word.rstrip(_TRAILING_PUNCT).lstrip("(")
        if pending_key is not None:
            key, pending_key = pending_key, None
            if not bare.startswith("#") and not _SEVERITY.fullmatch(bare) and not _FIELD.fullmatch(word):
                _set_field(fields, key, bare)
                continue
        if tag := _tag(bare):
            if tag not in tags:
                tags.append(tag)
        elif level := _SEVERITY.fullmatch(bare):
            severity = int(level.group(1))
            if severity not in SEVERITIES:
                raise UserError("bad_severity", value=bare)
        elif field := _FIELD.fullmatch(word):
            value = field.group(2).rstrip(_TRAILING_PUNCT)
            if value.strip(_QUOTES):
                _set_field(fields, field.group(1), value)
            else:
                pending_key = field.group(1)
        else:
            words.append(word)

    case_text = " ".join(words) or (" ".join(tags) if tags_alone else "")
    if not case_text:
        raise UserError("experts_for_what" if tags_alone else "empty_case")
    version = fields.get("version")
    if version is None and (found := _FREE_VERSION.search(case_text)):
        version = next(group for group in found.groups() if group is not None)
    return Case(
        text=case_text,
        tags=tuple(tags),
        severity=severity,
        customer=fields.get("customer"),
        product=fields.get("product"),
        version=version,
    )


def _tag(bare: str) -> str | None:
    if not bare.startswith("#"):
        return None
    body = bare.lstrip("#")
    # "order #12345" is a ticket number in the customer's words, not a skill.
    if body.isdecimal():
        return None
    return normalize_skill(body) or None


def _set_field(fields: dict[str, str], key: str, raw: str) -> None:
    value = " ".join(raw.strip(_QUOTES).split())
    if not value:
        return
    key = key.lower()
    if key == "version" and _EXPLICIT_V.match(value):
        value = value[1:]
    fields[key] = value


def room_name(number: int, case_text: str) -> str:
    """A Slack-valid channel name from the swarm number and the first words of the case: swarm-42-acme-export-fails."""
    words: list[str] = []
    for raw in case_text.split():
        word = _ROOM_SEPARATORS.sub("-", _ascii_fold(raw).lower())
        word = _DASHES.sub("-", _ROOM_DROP.sub("", word)).strip("-")
        if word:
            words.append(word)
        if len(words) == ROOM_NAME_WORDS:
            break
    name = "-".join([f"swarm-{number}", *words])
    return name[:ROOM_NAME_MAX].rstrip("-")


def parse_skill_levels(words: Sequence[str]) -> dict[str, int]:
    """Skills and levels from `/swarm skills add billing:4 sso`: {"billing": 4, "sso": 3}."""
    # "billing: 4" and "billing:4, sso" are what people type too; glue the level back to its skill first.
    joined = re.sub(r"\s*:\s*", ":", " ".join(words))
    levels: dict[str, int] = {}
    for item in re.split(r"[\s,;]+", joined):
        if not item:
            continue
        name, sep, raw_level = item.partition(":")
        skill = normalize_skill(name)
        if not skill:
            raise UserError("bad_skill_name", skill=item)
        levels[skill] = parse_level(skill, raw_level) if sep else DEFAULT_SKILL_LEVEL
    if not levels:
        raise UserError("no_skills")
    return levels


def parse_level(skill: str, raw: str) -> int:
    """A skill level 1-5 as typed; anything else raises bad_skill_level."""
    text = raw.strip()
    if text.isascii() and text.isdecimal() and int(text) in SKILL_LEVELS:
        return int(text)
    raise UserError("bad_skill_level", skill=skill, level=raw)


def split_cause(text: str) -> tuple[str, str]:
    """`restarted the worker cause: stale cache` → ("restarted the worker", "stale cache")."""
    found = _CAUSE.search(text)
    if found is None:
        return text.strip(), ""
    return text[: found.start()].strip().rstrip(",;:-–—|").strip(), text[found.end() :].strip()


def parse_duration_or_time(text: str, now: datetime, tz: str) -> datetime:
    """When `/swarm away <text>` ends, in UTC: 2h, 30m, 1h30m, 3d, tomorrow, friday, 2026-12-01, 17:00, 5pm.

    Days and dates mean 09:00 local time, the start of a working day; a clock time already past means tomorrow.
    """
    value = text.strip()
    spec = _UNTIL_PREFIX.sub("", value.lower(), count=1).strip() if _UNTIL_PREFIX.match(value) else value.lower()
    now = as_utc(now)
    local_zone = zone(tz)
    local_now = now.astimezone(local_zone)

    def at_local(day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=local_zone).astimezone(UTC)

    result: datetime | None = None
    if _DURATION.fullmatch(spec):
        minutes = 0
        for amount, unit in _DURATION_PART.findall(spec):
            minutes += int(amount) * _MINUTES_PER_UNIT[unit]
        # Big numbers would overflow timedelta; nobody is away for more than a year.
        if 0 < minutes <= MAX_AWAY.total_seconds() // 60:
            result = now + timedelta(minutes=minutes)
    elif spec == "tomorrow":
        result = at_local(local_now.date() + timedelta(days=1), AWAY_DAY_START)
    elif (weekday := _weekday(spec)) is not None:
        ahead = (weekday - local_now.weekday()) % 7 or 7
        result = at_local(local_now.date() + timedelta(days=ahead), AWAY_DAY_START)
    elif found := _ISO_DATE.fullmatch(spec):
        result = _iso_moment(found, at_local)
    elif found := _CLOCK.fullmatch(spec):
        moment = _clock(found)
        if moment is not None:
            result = at_local(local_now.date(), moment)
            if result <= now:
                result = at_local(local_now.date() + timedelta(days=1), moment)

    if result is None or result <= now:
        # The example is a date to come, in their calendar: the one they typed may be one that has passed.
        raise UserError("bad_until", value=value, example=(local_now.date() + timedelta(days=14)).isoformat())
    return result


def _weekday(spec: str) -> int | None:
    for index, name in enumerate(_WEEKDAYS):
        if spec == name or spec == name[:3]:
            return index
    return None


def _clock(found: re.Match[str]) -> time | None:
    hour, minute, meridiem = int(found.group(1)), int(found.group(2) or 0), found.group(3)
    if meridiem is None and found.group(2) is None:
        return None  # a bare "5" is too ambiguous: five hours, or five o'clock?
    if meridiem is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.lower() == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _iso_moment(found: re.Match[str], at_local: _AtLocal) -> datetime | None:
    try:
        day = date.fromisoformat(found.group(1))
    except ValueError:
        return None
    if found.group(2) is None:
        return at_local(day, AWAY_DAY_START)
    hour, minute = int(found.group(2)), int(found.group(3))
    if hour > 23 or minute > 59:
        return None
    return at_local(day, time(hour, minute))


def _ascii_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


# Words are compared by stem where a case meets an article (search's word matching, "Maybe known" suggestions).
STEM_CHARS = 5


def stem(word: str) -> str:
    """A word as search and suggestions compare it: a plural, past or -ing ending taken off, then its first
    STEM_CHARS letters."""
    for ending in ("ing", "ed", "es", "s"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    return word[:STEM_CHARS]
