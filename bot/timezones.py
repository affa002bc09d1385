"""Time-zone lookups and UTC normalisation shared by the roster, text parsing and metrics."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

# Keys the tz database ships that are not places: "localtime" would silently mean "whatever the server uses".
_NOT_PLACES = frozenset({"localtime", "posixrules", "factory"})


@lru_cache(maxsize=1)
def _keys_by_folded_name() -> dict[str, str]:
    # available_timezones() walks the file system, so a roster import of hundreds of rows reads it once.
    return {key.casefold(): key for key in available_timezones()}


def canonical_zone(name: str) -> str | None:
    """The IANA key for name ("europe/madrid" → "Europe/Madrid"), or None if it names no real place."""
    wanted = name.strip()
    folded = wanted.casefold()
    if not wanted or folded in _NOT_PLACES or folded.startswith(("posix/", "right/")):
        return None
    key = _keys_by_folded_name().get(folded)
    if key is not None:
        return key
    try:
        ZoneInfo(wanted)
    except (ValueError, KeyError, OSError):
        return None
    return wanted


def zone(name: str) -> tzinfo:
    """The zone for name; UTC when it is unknown, so a stale row never breaks a ranking."""
    key = canonical_zone(name)
    return ZoneInfo(key) if key is not None else UTC


def as_utc(moment: datetime) -> datetime:
    """moment in UTC; a naive value is taken as UTC already, as SQLite hands timestamps back without a zone."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
