"""Knowledge articles as Markdown files: what `swarm kb export` writes and `swarm kb import` reads back. Pure.

One file per article, `0001-acme-cannot-export-invoices.md`: YAML front matter with what is not prose, then the KCS
sections as `##` headings.

    ---
    number: 1
    title: ACME cannot export invoices to PDF since 4.2
    state: draft
    tags: [billing, pdf]
    swarm: 1
    contributors: [Ana Ruiz, Chloe Martin]
    reuse_count: 0
    created_at: '2026-03-02T09:14:00+00:00'
    updated_at: '2026-03-02T11:40:00+00:00'
    asked: [PDF export of ACME invoices stuck since the update]
    ---

    # ACME cannot export invoices to PDF since 4.2

    ## Issue
    …
    ## Environment
    …
    ## Resolution
    …
    ## Cause
    …

Reading is forgiving where a person may have edited the file (any order of keys, missing optional ones, a list of
tags written as one string, headings in any case) and strict where a value would be wrong: a bad file raises
UserError with a reason key and changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import yaml

from bot.errors import UserError
from bot.knowledge import ASKED_KEPT
from bot.models import Article, ArticleState
from bot.text import normalize_skill

SECTIONS = ("Issue", "Environment", "Resolution", "Cause")
FRONT_MATTER_KEYS = (
    "number",
    "title",
    "state",
    "tags",
    "swarm",
    "contributors",
    "reuse_count",
    "created_at",
    "updated_at",
    "asked",
)
SLUG_MAX_CHARS = 50
MAX_FILE_CHARS = 200_000

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.DOTALL | re.MULTILINE)
_HEADING = re.compile(r"^(#{1,2})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class ArticleFile:
    """What one file says about an article. number 0: none given; swarm: the swarm's number, if any."""

    title: str
    issue: str
    environment: str = ""
    resolution: str = ""
    cause: str = ""
    number: int = 0
    state: ArticleState = ArticleState.DRAFT
    tags: tuple[str, ...] = ()
    contributors: tuple[str, ...] = ()
    swarm: int | None = None
    reuse_count: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    asked: tuple[str, ...] | None = None  # None: the file does not say (an export from before `asked`)
    extra_keys: tuple[str, ...] = field(default=(), compare=False)  # front matter keys this version does not know


def filename(article: Article) -> str:
    """`0001-acme-cannot-export-invoices-to-pdf.md`: sorted by number, readable in a file list."""
    return f"{article.number:04d}-{slug(article.title)}.md"


def slug(title: str) -> str:
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    words = _SLUG_DROP.sub("-", folded).strip("-")
    if len(words) > SLUG_MAX_CHARS:
        words = words[:SLUG_MAX_CHARS].rsplit("-", 1)[0] or words[:SLUG_MAX_CHARS]
    return words.strip("-") or "article"


def article_to_markdown(article: Article, swarm_number: int | None) -> str:
    """The file for an article; swarm_number is the number of the swarm it came from (None: none)."""
    front: dict[str, Any] = {
        "number": article.number,
        "title": article.title,
        "state": ArticleState(article.state).value,
        "tags": list(article.tags),
        "swarm": swarm_number,
        "contributors": list(article.contributors),
        "reuse_count": article.reuse_count,
        "created_at": _iso(article.created_at),
        "updated_at": _iso(article.updated_at),
        "asked": list(article.asked),
    }
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, default_flow_style=None, width=1_000_000)
    body = [f"# {_one_line(article.title)}"]
    for name, text in zip(
        SECTIONS, (article.issue, article.environment, article.resolution, article.cause), strict=True
    ):
        body += ["", f"## {name}", "", text.strip()] if text.strip() else ["", f"## {name}"]
    return f"---\n{header}---\n\n" + "\n".join(body) + "\n"


def markdown_to_article(text: str) -> ArticleFile:
    """The article a file describes. Raises UserError (kb_file_…) when it cannot be read as one."""
    if len(text) > MAX_FILE_CHARS:
        raise UserError("kb_file_too_long", limit=MAX_FILE_CHARS, length=len(text))
    found = _FRONT_MATTER.match(text)
    if found is None:
        raise UserError("kb_file_no_front_matter")
    try:
        front = yaml.safe_load(found.group(1))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 2}" if mark is not None else "front matter"
        raise UserError("kb_file_bad_yaml", where=where, problem=getattr(err, "problem", None) or "") from err
    if front is None:
        front = {}
    if not isinstance(front, dict):
        raise UserError("kb_file_no_front_matter")
    sections = _sections(text[found.end() :])
    title = _text(front, "title") or sections.get("title", "")
    if not title.strip():
        raise UserError("kb_file_missing_title")
    return ArticleFile(
        title=_one_line(title),
        issue=sections.get("issue", ""),
        environment=sections.get("environment", ""),
        resolution=sections.get("resolution", ""),
        cause=sections.get("cause", ""),
        number=_whole(front, "number", default=0, least=1),
        state=_state(front),
        tags=tuple(dict.fromkeys(t for t in (normalize_skill(x) for x in _strings(front, "tags")) if t)),
        contributors=tuple(dict.fromkeys(_strings(front, "contributors"))),
        swarm=_whole(front, "swarm", default=None, least=1),
        reuse_count=_whole(front, "reuse_count", default=0, least=0) or 0,
        created_at=_moment(front, "created_at"),
        updated_at=_moment(front, "updated_at"),
        asked=_asked(front),
        extra_keys=tuple(str(k) for k in front if k not in FRONT_MATTER_KEYS),
    )


def _asked(front: Mapping[str, Any]) -> tuple[str, ...] | None:
    if "asked" not in front:
        return None
    return tuple(dict.fromkeys(_one_line(a) for a in _strings(front, "asked") if a.strip()))[:ASKED_KEPT]


def _sections(body: str) -> dict[str, str]:
    """The text under each known `##` heading (lower-case keys), and the `#` title as "title"."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    known = {name.lower() for name in SECTIONS}
    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading is not None:
            name = heading.group(2).strip().rstrip(":").lower()
            if heading.group(1) == "#" and "title" not in found:
                found["title"] = [heading.group(2).strip()]
                current = None
                continue
            if heading.group(1) == "##" and name in known:
                current = found.setdefault(name, [])
                continue
        if current is not None:
            current.append(line.rstrip())
    return {name: "\n".join(lines).strip() for name, lines in found.items()}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _text(front: Mapping[str, Any], key: str) -> str:
    value = front.get(key)
    if value is None:
        return ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise UserError("kb_file_bad_field", field=key, value=_show(value))


def _strings(front: Mapping[str, Any], key: str) -> list[str]:
    """A list of strings; one string is split on commas (and, for tags, spaces)."""
    value = front.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        separators = r"[,\s]+" if key == "tags" else r"\s*[,;]\s*"
        return [part.strip() for part in re.split(separators, value) if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    raise UserError("kb_file_bad_field", field=key, value=_show(value))


def _whole(front: Mapping[str, Any], key: str, default: int | None, least: int) -> Any:
    value = front.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, str) and value.strip().lstrip("#").isdecimal():
        value = int(value.strip().lstrip("#"))
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise UserError("kb_file_bad_number", field=key, value=_show(value), least=least)
    return value


def _state(front: Mapping[str, Any]) -> ArticleState:
    value = front.get("state")
    if value is None or value == "":
        return ArticleState.DRAFT
    try:
        return ArticleState(str(value).strip().lower())
    except ValueError:
        raise UserError("kb_file_bad_state", value=_show(value)) from None


def _moment(front: Mapping[str, Any], key: str) -> datetime | None:
    value = front.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise UserError("kb_file_bad_date", field=key, value=_show(value)) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"
