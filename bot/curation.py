"""The KCS life of an article after its swarm: validate it, archive it, undo a redaction, read its history.

Publishers (a roster flag), leads and admins validate and archive (bot/permissions.py); anyone may validate once an
article has been reused often enough: reuse is what proves an article in KCS. Before an article leaves draft, e-mail
addresses, phone numbers, card numbers and tokens are taken out; the owner of its swarm is shown what, and can put it
back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot import knowledge
from bot.context import Actor, Clock, Scope, identify, utcnow
from bot.errors import UserError
from bot.models import Article, ArticleState, ArticleVersion, Person
from bot.permissions import Action, Standing, ensure
from bot.ports import Store, UnitOfWork

DEFAULT_VALIDATE_AFTER_REUSES = 3
EDITABLE = ("title", "issue", "environment", "resolution", "cause")


@dataclass(frozen=True)
class Curated:
    article: Article
    by: Person
    redacted: tuple[str, ...] = ()
    owner: Person | None = None  # the owner of the article's swarm, who is shown what was redacted
    room: str | None = None  # where to reach them
    comment: str = ""  # a flag's reason


@dataclass(frozen=True)
class ArticleHistory:
    article: Article
    versions: tuple[tuple[ArticleVersion, Person | None], ...]


class Curation:
    def __init__(
        self, store: Store, clock: Clock = utcnow, validate_after_reuses: int = DEFAULT_VALIDATE_AFTER_REUSES
    ) -> None:
        self.store = store
        self.clock = clock
        self.validate_after_reuses = validate_after_reuses

    async def validate(self, actor: Actor, number: int) -> Curated:
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            article = await _article(uow, scope, number)
            if article.state is not ArticleState.DRAFT:
                raise UserError("not_a_draft", number=number, state=article.state.value)
            if article.reuse_count < self.validate_after_reuses:
                # Reuse is what proves an article in KCS: past that, anyone may validate it.
                await ensure(
                    uow, Action.VALIDATE, Standing(scope.person), number=number, reuses=self.validate_after_reuses
                )
            cleaned, removed = knowledge.redact_article(article)
            cleaned = replace(cleaned, state=ArticleState.VALIDATED, updated_at=self.clock())
            await uow.articles.save(cleaned)
            note = f"validated; {len(removed)} redacted" if removed else "validated"
            await uow.versions.add(cleaned, scope.person_id, note)
            owner, room = await _swarm_owner(uow, cleaned)
            await uow.commit()
            return Curated(cleaned, scope.person, tuple(removed), owner, room)

    async def archive(self, actor: Actor, number: int, archived: bool = True) -> Curated:
        """Hides an old or wrong article from search (kept, and found with state:archived); archived=False restores."""
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            article = await _article(uow, scope, number)
            owner, room = await _swarm_owner(uow, article)
            mine = owner is not None and owner.id == scope.person_id
            await ensure(uow, Action.ARCHIVE, Standing(scope.person, owner=mine), owner, number=number)
            wanted = ArticleState.ARCHIVED if archived else ArticleState.DRAFT
            if (article.state is ArticleState.ARCHIVED) == archived or article.state is ArticleState.WIP:
                raise UserError("not_a_draft", number=number, state=article.state.value)
            article = replace(article, state=wanted, updated_at=self.clock())
            await uow.articles.save(article)
            await uow.versions.add(article, scope.person_id, "archived" if archived else "restored from the archive")
            await uow.commit()
            return Curated(article, scope.person, owner=owner, room=room)

    async def unredact(self, actor: Actor, number: int) -> Curated:
        """Puts back what validation redacted (the owner of the article's swarm, or a publisher, decides)."""
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            article = await _article(uow, scope, number)
            owner, room = await _swarm_owner(uow, article)
            mine = owner is not None and owner.id == scope.person_id
            await ensure(uow, Action.ARCHIVE, Standing(scope.person, owner=mine), owner, number=number)
            assert article.id is not None
            versions = await uow.versions.list(article.id)
            redacted = [i for i, v in enumerate(versions) if v.note.startswith("validated;")]
            if not redacted or redacted[-1] == 0:
                raise UserError("nothing_redacted", number=number)
            before = versions[redacted[-1] - 1]
            article = replace(
                article,
                title=before.title,
                issue=before.issue,
                environment=before.environment,
                resolution=before.resolution,
                cause=before.cause,
                updated_at=self.clock(),
            )
            await uow.articles.save(article)
            await uow.versions.add(article, scope.person_id, "redaction undone")
            await uow.commit()
            return Curated(article, scope.person, owner=owner, room=room)

    async def edit(self, actor: Actor, number: int, changes: dict[str, str]) -> Curated:
        """ "Fix it": anyone may improve an article; every edit is a version with who and when. A validated article
        that is edited goes back to draft until it is validated again."""
        unknown = set(changes) - set(EDITABLE)
        if unknown or not changes:
            raise UserError("edit_what", fields=", ".join(EDITABLE))
        if "resolution" in changes and not changes["resolution"].strip():
            raise UserError("empty_resolution")
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            article = await _article(uow, scope, number)
            if article.state is ArticleState.WIP:
                raise UserError("not_a_draft", number=number, state=article.state.value)
            cleaned = {name: value.strip() for name, value in changes.items()}
            if "issue" in cleaned and not cleaned.get("title"):
                cleaned["title"] = knowledge.title_for(cleaned["issue"])
            state = ArticleState.DRAFT if article.state is ArticleState.VALIDATED else article.state
            article = replace(article, **cleaned, state=state, updated_at=self.clock())  # type: ignore[arg-type]
            if scope.person.name not in article.contributors:
                article.contributors = [*article.contributors, scope.person.name]
            await uow.articles.save(article)
            await uow.versions.add(article, scope.person_id, "edited: " + ", ".join(sorted(cleaned)))
            owner, room = await _swarm_owner(uow, article)
            await uow.commit()
            return Curated(article, scope.person, owner=owner, room=room)

    async def flag(self, actor: Actor, number: int, comment: str) -> Curated:
        """ "Flag it": anyone can say an article is wrong or stale; the owner of its swarm is told."""
        if not comment.strip():
            raise UserError("flag_why", number=number)
        async with self.store.unit() as uow:
            scope = await identify(uow, actor)
            article = await _article(uow, scope, number)
            await uow.versions.add(article, scope.person_id, f"flagged: {comment.strip()}")
            owner, room = await _swarm_owner(uow, article)
            await uow.commit()
            return Curated(article, scope.person, owner=owner, room=room, comment=comment.strip())

    async def history(self, workspace: str, number: int) -> ArticleHistory:
        async with self.store.unit() as uow:
            ws = await uow.workspaces.ensure(workspace)
            article = await uow.articles.get(ws.id, number)
            if article is None or article.id is None:
                raise UserError("unknown_article", number=number)
            versions = []
            for version in await uow.versions.list(article.id):
                person = await uow.people.get(version.person_id) if version.person_id else None
                versions.append((version, person))
            await uow.commit()
            return ArticleHistory(article, tuple(versions))


async def _article(uow: UnitOfWork, scope: Scope, number: int) -> Article:
    article = await uow.articles.get(scope.workspace_id, number)
    if article is None:
        raise UserError("unknown_article", number=number)
    return article


async def _swarm_owner(uow: UnitOfWork, article: Article) -> tuple[Person | None, str | None]:
    swarm = await uow.swarms.by_id(article.swarm_id) if article.swarm_id else None
    if swarm is None:
        return None, None
    return await uow.people.get(swarm.owner_id), swarm.room_id or swarm.origin_channel
