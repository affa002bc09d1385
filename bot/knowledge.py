"""KCS knowledge: the article a swarm leaves behind when it resolves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.errors import UserError
from bot.models import Article, ArticleState, Case, Swarm

TITLE_MAX_CHARS = 100
ELLIPSIS = "…"
ENVIRONMENT_SEPARATOR = " · "


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
