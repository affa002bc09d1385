"""KCS knowledge: the article a swarm leaves behind when it resolves."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from bot.errors import UserError
from bot.models import Article, ArticleState, Case, Swarm
from bot.text import WORD

TITLE_MAX_CHARS = 100
ELLIPSIS = "…"
ENVIRONMENT_SEPARATOR = " · "
# An article keeps the words of the last ASKED_KEPT cases it answered (asked_again), each cut to one line.
ASKED_KEPT = 10
ASKED_MAX_CHARS = 300


def draft_article(
    swarm: Swarm,
    *,
    resolution: str,
    cause: str,
    solutions: Sequence[str],
    contributors: Sequence[str],
    require_resolution: bool = True,
) -> Article:
    """A draft article in KCS shape from the case, the resolution the owner typed and the ✅-marked messages.

    require_resolution=False gives the outline a resolver fills in (a form), even when nothing says the fix yet.
    """
    summary = resolution.strip()
    marked = list(dict.fromkeys(text.strip() for text in solutions if text.strip()))
    if require_resolution and not summary and not marked:
        raise UserError("empty_resolution")
    lines = [summary] if summary else []
    lines.extend(_bullet(text) for text in marked)
    issue = " ".join(swarm.case.text.split())
    return Article(
        workspace_id=swarm.workspace_id,
        title=title_for(issue),
        issue=issue,
        environment=environment_for(swarm.case),
        resolution="\n".join(lines),
        cause=cause.strip(),
        tags=list(swarm.case.tags),
        contributors=list(dict.fromkeys(name.strip() for name in contributors if name.strip())),
        state=ArticleState.DRAFT,
        swarm_id=swarm.id,
    )


@dataclass(frozen=True)
class ArticleEdits:
    """What the resolver changed in the draft before saving it (a form in Slack or Teams)."""

    issue: str = ""
    environment: str = ""
    resolution: str = ""
    cause: str = ""


def apply_edits(article: Article, edits: ArticleEdits) -> Article:
    """The draft with the resolver's words; an emptied resolution is refused, other emptied fields keep the draft's."""
    if not edits.resolution.strip():
        raise UserError("empty_resolution")
    issue = " ".join(edits.issue.split()) or article.issue
    return replace(
        article,
        title=title_for(issue),
        issue=issue,
        environment=edits.environment.strip() or article.environment,
        resolution=edits.resolution.strip(),
        cause=edits.cause.strip(),
    )


def title_for(text: str, limit: int = TITLE_MAX_CHARS) -> str:
    """text cut on a word boundary to at most limit characters, with an ellipsis when something was cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    room = limit - len(ELLIPSIS)
    cut = flat[: room + 1].rsplit(" ", 1)[0] if " " in flat[: room + 1] else flat[:room]
    # A first word longer than the whole title (a URL, a stack frame) is cut mid-word rather than dropped.
    return cut[:room].rstrip(" ,;:.-–—") + ELLIPSIS


def repeats_title(title: str, text: str) -> bool:
    """Whether `text` says nothing but the title, as the issue of a swarm resolved at once does (its case text is
    both): a snippet made from it would show the title twice."""
    return _plain(text) == _plain(title)


def beyond_title(title: str, texts: Iterable[str]) -> list[str]:
    """The texts, in order, that say something: none empty, none that only repeats the title (what a snippet may
    be made from)."""
    return [text for text in texts if text.strip() and not repeats_title(title, text)]


def _plain(text: str) -> str:
    return " ".join(text.split()).casefold().rstrip(".")


def environment_for(case: Case) -> str:
    """`Product: X · Version: 4.2 · Customer: ACME · Severity: sev2`, leaving out what the case does not say."""
    parts = [
        f"{label}: {value}"
        for label, value in (("Product", case.product), ("Version", case.version), ("Customer", case.customer))
        if value
    ]
    parts.append(f"Severity: sev{case.severity}")
    return ENVIRONMENT_SEPARATOR.join(parts)


def _bullet(text: str) -> str:
    # Continuation lines are indented so Markdown keeps a multi-line message inside its bullet.
    first, *rest = text.splitlines()
    return "\n".join([f"- {first}", *(f"  {line}" if line.strip() else "" for line in rest)])


# -- drafts from the room -------------------------------------------------------------------------------------------

# Words people use when they say what fixed it.
SOLUTION_CUES = re.compile(
    r"\b(fix(ed|es)?|solved?|works?( now)?|working|resolved?|workaround|the (cause|problem|issue) (is|was)|"
    r"root cause|because|clear(ed|ing)?|restart(ed|ing)?|rollback|rolled back|patch(ed)?|upgrad(e|ed|ing))\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
PLATFORMS = (
    "iOS", "Android", "Windows", "macOS", "Linux", "Chrome", "Firefox", "Safari", "Edge", "PostgreSQL", "MySQL",
    "Oracle", "SQL Server", "Salesforce", "SAP", "Zendesk", "Okta", "Azure", "AWS", "GCP", "Kubernetes",
)  # fmt: skip
_VERSION = re.compile(r"(?<![\w.])v?(\d+\.\d+(?:\.\d+)?)(?![\w.])")


def summarize(messages: Sequence[str], limit: int = 3) -> list[str]:
    """An extractive summary of a room: the sentences that sound like the fix, then the last words before resolve.

    Pure and deterministic, so a draft can be explained: every line is something someone in the room wrote."""
    sentences = [(i, s.strip()) for i, m in enumerate(messages) for s in _SENTENCE.split(m) if len(s.strip()) > 3]
    if not sentences:
        return []
    cued = [(i, s) for i, s in sentences if SOLUTION_CUES.search(s)]
    # The fix is usually said late: among cued sentences the later ones win; the last message is the fallback.
    picked = sorted(cued, key=lambda item: -item[0])[:limit] or [sentences[-1]]
    order = {s: n for n, (_, s) in enumerate(sentences)}
    return sorted(dict.fromkeys(s for _, s in picked), key=order.__getitem__)


def environment_from(case: Case, messages: Sequence[str]) -> str:
    """The case's environment line, plus the versions and platforms the room mentioned."""
    base = environment_for(case)
    text = " ".join(messages)
    found = [p for p in PLATFORMS if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text, re.IGNORECASE)]
    versions = [v for v in dict.fromkeys(_VERSION.findall(text)) if v != case.version]
    extra = []
    if found:
        extra.append("Platforms: " + ", ".join(found))
    if versions:
        extra.append("Versions mentioned: " + ", ".join(versions[:5]))
    return ENVIRONMENT_SEPARATOR.join([base, *extra])


# -- redaction ------------------------------------------------------------------------------------------------------

_REDACTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("token", re.compile(r"\b(xox[abposr]-[\w-]{10,}|sk_(live|test)_\w{16,}|gh[pousr]_\w{20,}|AKIA[0-9A-Z]{16}|"
                         r"eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,})")),
    ("token", re.compile(r"(?i)\b(bearer|token|api[_-]?key|password|secret)\s*[:=]?\s*([\w\-./+=]{12,})")),
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b")),
    ("card", re.compile(r"\b(?:\d[ -]?){12,18}\d\b")),
    ("phone", re.compile(r"(?<![\w.])\+?\d[\d ().-]{7,}\d\b")),
)  # fmt: skip


def redact(text: str) -> tuple[str, list[str]]:
    """The text with e-mail addresses, phone numbers, card numbers and tokens replaced, and what was replaced."""
    found: list[str] = []

    def replace_with(kind: str) -> Callable[[re.Match[str]], str]:
        def swap(match: re.Match[str]) -> str:
            value = match.group(0)
            if kind == "card" and not _luhn(value):
                return value
            found.append(value)
            return f"[{kind} removed]"

        return swap

    for kind, pattern in _REDACTIONS:
        text = pattern.sub(replace_with(kind), text)
    return text, found


def asked_again(article: Article, case_text: str) -> list[str]:
    """The article's `asked` with the words of one more case it answered: first, redacted (what a case says is no
    article's to publish), in one line of at most ASKED_MAX_CHARS; a wording it has already moves to the front, one
    that says nothing its title and issue do not is left out, and only the newest ASKED_KEPT are kept."""
    said = " ".join(redact(case_text)[0].split())
    if len(said) > ASKED_MAX_CHARS:
        said = said[: ASKED_MAX_CHARS - 1].rsplit(" ", 1)[0] + ELLIPSIS
    known = {word.casefold() for word in WORD.findall(f"{article.title} {article.issue}")}
    if not {word.casefold() for word in WORD.findall(said)} - known:
        return list(article.asked)
    others = [wording for wording in article.asked if wording.casefold() != said.casefold()]
    return [said, *others][:ASKED_KEPT]


def redact_article(article: Article) -> tuple[Article, list[str]]:
    """The article with every field redacted, and everything that was taken out."""
    title, issue, environment, resolution, cause = (
        redact(text) for text in (article.title, article.issue, article.environment, article.resolution, article.cause)
    )
    removed = [*title[1], *issue[1], *environment[1], *resolution[1], *cause[1]]
    cleaned = replace(
        article, title=title[0], issue=issue[0], environment=environment[0], resolution=resolution[0], cause=cause[0]
    )
    return cleaned, removed


def _luhn(number: str) -> bool:
    digits = [int(c) for c in number if c.isdecimal()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0
