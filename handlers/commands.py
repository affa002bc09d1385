"""`/swarm …`: one function per subcommand (declared in handlers/subcommands.py); anything else opens a case."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bot.curation import Curated
from bot.errors import UserError
from bot.models import MAX_CASE_CHARS
from bot.swarms import Change, Crew
from handlers import analytics, replies
from handlers.automation import refresh_summary, welcome
from handlers.chat import CommandEvent, Origin, Reply
from handlers.closing import announce_resolved, close, update_announcement
from handlers.context import Context
from handlers.opening import open_swarm
from handlers.subcommands import BY_NAME, SUBCOMMANDS, declared, example, meant, opens_swarm, split

Command = Callable[[Context, CommandEvent, str], Awaitable[None]]

MENTION = re.compile(r"<@([^>|]+)(?:\|[^>]*)?>")

_HANDLERS: dict[str, Command] = {}


def handles(name: str) -> Callable[[Command], Command]:
    """Marks the function that runs the declared subcommand `name`."""
    if name not in BY_NAME:
        raise KeyError(f"/swarm {name} is not declared in handlers/subcommands.py")

    def register(handler: Command) -> Command:
        _HANDLERS[name] = handler
        return handler

    return register


async def on_command(ctx: Context, event: CommandEvent) -> None:
    text = event.text.strip()
    if len(text) > MAX_CASE_CHARS:
        raise UserError("case_too_long", limit=MAX_CASE_CHARS, length=len(text))
    word, rest = split(text)
    command = COMMANDS.get(word.lower())
    if command is not None:
        try:
            await command(ctx, event, rest)
        except UserError as err:
            if err.reason != "not_in_room" or err.details:
                raise
            # Say where this subcommand works, in its own words.
            usage = BY_NAME[word.lower()]
            if usage.names_swarm:
                raise UserError("room_or_number", usage=example(usage.usage)) from err
            raise UserError("room_only", usage=usage.usage) from err
        return
    if not opens_swarm(text):
        await ctx.tell(event.origin, replies.did_you_mean(text, meant(text), event.origin.channel))
        return
    if not text and await ctx.chat.open_form(event.origin, event.trigger, replies.open_form(event.origin.channel)):
        return
    await open_swarm(ctx, event.origin, text)


@handles("help")
async def help_(ctx: Context, event: CommandEvent, args: str) -> None:
    c = ctx.conventions
    today = ctx.core.clock().date()
    await ctx.tell(event.origin, replies.help_text(c.join_emoji, c.observe_emoji, c.solution_emoji, today))


@handles("list")
async def list_(ctx: Context, event: CommandEvent, args: str) -> None:
    crews = await ctx.core.swarms.list_open(ctx.actor(event.origin))
    await ctx.tell(event.origin, replies.swarm_list(crews, ctx.platform, ctx.core.clock()))


@handles("status")
async def status(ctx: Context, event: CommandEvent, args: str) -> None:
    crew, timeline = await ctx.core.swarms.status(ctx.actor(event.origin), number(args, "status"), event.origin.channel)
    await ctx.tell(event.origin, replies.status(crew, timeline, ctx.platform, ctx.core.clock()))


@handles("join")
async def join(ctx: Context, event: CommandEvent, args: str) -> None:
    change = await ctx.core.swarms.join(ctx.actor(event.origin), number(args, "join"), event.origin.channel)
    if not change.changed:
        await ctx.tell(event.origin, replies.already_member(change))
        return
    await member_joined(ctx, change)


@handles("accept")
async def accept(ctx: Context, event: CommandEvent, args: str) -> None:
    await answer_invitation(ctx, event.origin, number(args, "accept"), True)


@handles("decline")
async def decline(ctx: Context, event: CommandEvent, args: str) -> None:
    await answer_invitation(ctx, event.origin, number(args, "decline"), False)


async def answer_invitation(ctx: Context, origin: Origin, swarm_number: int | None, accepted: bool) -> None:
    """ "I can help" / "Can't now" from an invited expert; a decline brings in the next-best person."""
    answer = await ctx.core.swarms.answer(ctx.actor(origin), swarm_number, origin.channel, accepted)
    if not answer.changed:
        await ctx.tell(origin, replies.already_answered(answer))
        return
    if answer.replacement is not None:
        await invite_into_room(ctx, answer.crew, [answer.replacement.person.chat_id(ctx.platform)])
    await say_in_room(ctx, answer.crew, replies.answered(answer, ctx.platform))
    if answer.accepted:
        await welcome(ctx, answer.crew, answer.person)


@handles("leave")
async def leave(ctx: Context, event: CommandEvent, args: str) -> None:
    change = await ctx.core.swarms.leave(ctx.actor(event.origin), number(args, "leave"), event.origin.channel)
    await say_in_room(ctx, change.crew, replies.left(change, ctx.platform))


@handles("invite")
async def invite(ctx: Context, event: CommandEvent, args: str) -> None:
    swarm_number, people = _number_and_people(args, "invite")
    named = [people] if people else []
    invited = await ctx.core.swarms.invite(ctx.actor(event.origin), swarm_number, event.origin.channel, named)
    await invite_into_room(ctx, invited.crew, [c.person.chat_id(ctx.platform) for c in invited.changes if c.changed])
    await say_in_room(ctx, invited.crew, replies.invited(invited.changes, invited.by, ctx.platform))


@handles("owner")
async def owner(ctx: Context, event: CommandEvent, args: str) -> None:
    swarm_number, person = _number_and_people(args, "owner")
    if not person:
        raise UserError("owner_whom")
    await hand_over(ctx, event.origin, swarm_number, person)


async def hand_over(ctx: Context, origin: Origin, swarm_number: int | None, who: str) -> None:
    handover = await ctx.core.swarms.hand_over(ctx.actor(origin), swarm_number, origin.channel, who)
    await invite_into_room(ctx, handover.crew, [handover.new.chat_id(ctx.platform)])
    await say_in_room(ctx, handover.crew, replies.owner_changed(handover, ctx.platform))


@handles("resolve")
async def resolve(ctx: Context, event: CommandEvent, args: str) -> None:
    swarm_number, args = leading_number(args, "resolve")
    if not args and await offer_resolve_form(ctx, event.origin, event.trigger, swarm_number, explain=False):
        return
    await resolve_or_propose(ctx, event.origin, swarm_number, args)


async def resolve_or_propose(ctx: Context, origin: Origin, swarm_number: int | None, resolution: str) -> None:
    """The owner's (or a lead's) resolve closes the swarm; a member's is a proposal the owner confirms in the room."""
    actor = ctx.actor(origin)
    proposal = await ctx.core.swarms.proposal(actor, origin.channel, resolution, swarm_number)
    if proposal is not None:
        await post_in_room(ctx, proposal.crew, replies.proposed(proposal, ctx.platform))
        await ctx.tell(origin, replies.proposal_sent(proposal, ctx.platform))
        return
    result = await ctx.core.swarms.resolve(actor, origin.channel, resolution, number=swarm_number)
    await announce_resolved(ctx, result, origin)


async def offer_resolve_form(
    ctx: Context, origin: Origin, trigger: str | None, swarm_number: int | None, *, explain: bool = True
) -> bool:
    """Opens the draft article for editing; False where the platform has no forms (the caller falls back). A button
    (`explain`) falls back to saying how to resolve, as nothing was typed that could resolve it."""
    draft = await ctx.core.swarms.draft(ctx.actor(origin), swarm_number, origin.channel)
    if await ctx.chat.open_form(origin, trigger, replies.resolve_form(draft)):
        return True
    if swarm_number is not None and explain:
        await ctx.tell(origin, replies.how_to_resolve(swarm_number))
        return True
    return False


@handles("link")
async def link(ctx: Context, event: CommandEvent, args: str) -> None:
    """`link 7` links article 7 to the room's swarm; `link 3 7`, to swarm 3."""
    words = args.split()
    swarm_number, article_word = (number(words[0], "link"), words[1]) if len(words) >= 2 else (None, args.strip())
    article_number = whole(article_word.lstrip("#"))
    if article_number is None:
        raise UserError("link_what")
    await reuse_article(ctx, event.origin, swarm_number, article_number, solved=False)


async def reuse_article(
    ctx: Context, origin: Origin, swarm_number: int | None, article_number: int, solved: bool
) -> None:
    actor = ctx.actor(origin)
    result = await ctx.core.swarms.reuse(actor, origin.channel, article_number, swarm_number, solved)
    if not result.changed:
        return
    by = await ctx.core.people.profile(actor)
    reply = replies.reused(result, by, ctx.platform)
    if solved:
        note = replies.ticket_reused(result, by, ctx.conventions.web_url)
        await close(ctx, result.crew, reply, ask=True, origin=origin, note=note)
    else:
        await say_in_room(ctx, result.crew, reply)


@handles("cancel")
async def cancel(ctx: Context, event: CommandEvent, args: str) -> None:
    swarm_number, reason = leading_number(args, "cancel")
    done = await ctx.core.swarms.cancel(ctx.actor(event.origin), event.origin.channel, reason, number=swarm_number)
    note = replies.ticket_cancelled(done.crew, done.by)
    summary = replies.cancelled(done.crew, done.by, ctx.platform)
    await close(ctx, done.crew, summary, ask=False, origin=event.origin, note=note)


@handles("reopen")
async def reopen(ctx: Context, event: CommandEvent, args: str) -> None:
    done = await ctx.core.swarms.reopen(ctx.actor(event.origin), number(args, "reopen"), event.origin.channel)
    await say_in_room(ctx, done.crew, replies.reopened(done.crew, done.by, ctx.platform))
    await update_announcement(ctx, done.crew)


@handles("experts")
async def experts(ctx: Context, event: CommandEvent, args: str) -> None:
    if not args:
        raise UserError("experts_for_what")
    ranking = await ctx.core.swarms.experts(event.origin.workspace, args, ctx.actor(event.origin))
    await ctx.tell(event.origin, replies.experts(ranking, ctx.platform))


CURATION = ("validate", "archive", "restore", "history", "edit", "flag")
FIELD = re.compile(r"\b(title|issue|environment|resolution|cause):\s*", re.IGNORECASE)


@handles("kb")
async def kb(ctx: Context, event: CommandEvent, args: str) -> None:
    workspace = event.origin.workspace
    word, _, rest = args.partition(" ")
    if word.lower() in CURATION:
        action = word.lower()
        article_number = number(rest, f"kb {action}")
        detail = rest.strip().partition(" ")[2]
        if action == "flag" and article_number is not None:
            done = await ctx.core.curation.flag(ctx.actor(event.origin), article_number, detail)
            await ctx.tell(event.origin, replies.curated(done, "flagged; its owner is told"))
            await _tell_owner(ctx, done, replies.flagged(done, ctx.platform))
        elif action == "edit" and article_number is not None:
            await edit_article(ctx, event, article_number, detail)
        else:
            await curate(ctx, event.origin, action, article_number)
        return
    if args.lstrip("#").isdecimal():
        shown = whole(args.lstrip("#"))
        if shown is None:
            raise UserError("bad_number", value=args, command="kb")
        await ctx.tell(event.origin, replies.article(await ctx.core.kb.show(workspace, shown)))
        return
    hits = await ctx.core.kb.search(workspace, args)
    await ctx.tell(event.origin, replies.kb_results(args, hits))


async def edit_article(ctx: Context, event: CommandEvent, article_number: int, detail: str) -> None:
    """`field: text` pairs change those fields at once; with none, a form opens where the platform has forms."""
    parts = FIELD.split(detail)
    changes = {parts[i].lower(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    if not changes:
        article = await ctx.core.kb.show(event.origin.workspace, article_number)
        if await ctx.chat.open_form(event.origin, event.trigger, replies.edit_form(article)):
            return
    done = await ctx.core.curation.edit(ctx.actor(event.origin), article_number, changes)
    await ctx.tell(event.origin, replies.curated(done, "saved"))


async def _tell_owner(ctx: Context, done: Curated, reply: Reply) -> None:
    owner = done.owner.chat_id(ctx.platform) if done.owner else None
    if owner and done.room and done.owner is not None and done.owner.id != done.by.id:
        await ctx.chat.post_private(done.room, owner, reply)


async def curate(ctx: Context, origin: Origin, action: str, article_number: int | None) -> None:
    if article_number is None:
        raise UserError("kb_what")
    actor, curation = ctx.actor(origin), ctx.core.curation
    if action == "history":
        result = await curation.history(origin.workspace, article_number)
        await ctx.tell(origin, replies.history(result, ctx.core.clock()))
        return
    if action == "validate":
        done = await curation.validate(actor, article_number)
        await ctx.tell(origin, replies.curated(done, "validated"))
        owner = done.owner.chat_id(ctx.platform) if done.owner else None
        if done.redacted and owner and done.room:
            await ctx.chat.post_private(done.room, owner, replies.redacted(done, ctx.platform))
    elif action == "unredact":
        done = await curation.unredact(actor, article_number)
        await ctx.tell(origin, replies.curated(done, "back as it was written"))
    else:
        done = await curation.archive(actor, article_number, archived=action == "archive")
        await ctx.tell(origin, replies.curated(done, "archived" if action == "archive" else "restored"))


@handles("skills")
async def skills(ctx: Context, event: CommandEvent, args: str) -> None:
    actor = ctx.actor(event.origin)
    word, _, rest = args.partition(" ")
    words = rest.split()
    if word.lower() == "add":
        # Saved as typed (they may be new to the workspace), with a "did you mean" for a slip from a known one.
        misspelt = await ctx.core.people.misspelt(actor, words)
        person = await ctx.core.people.add_skills(actor, words)
        await ctx.tell(event.origin, replies.skills_saved(person, misspelt))
    elif word.lower() == "remove":
        await ctx.tell(event.origin, replies.skills_saved(await ctx.core.people.remove_skills(actor, words)))
    elif word.lower() in ("confirm", "hide", "unhide"):
        if len(words) != 1:
            raise UserError("skills_what")
        people = ctx.core.people
        if word.lower() == "confirm":
            person = await people.confirm_skill(actor, words[0])
        else:
            person = await people.hide_skill(actor, words[0], hidden=word.lower() == "hide")
        _, learned = await people.expertise(actor)
        await ctx.tell(event.origin, replies.profile(person, ctx.core.clock(), True, learned))
    else:
        who = _named(args)
        person, learned = await ctx.core.people.expertise(actor, who or None)
        own = not who or person.chat_id(ctx.platform) == event.origin.user
        await ctx.tell(event.origin, replies.profile(person, ctx.core.clock(), own, learned))


@handles("learn")
async def learn(ctx: Context, event: CommandEvent, args: str) -> None:
    misspelt = await ctx.core.people.misspelt(ctx.actor(event.origin), args.split()[:1])
    person = await ctx.core.people.learn(ctx.actor(event.origin), args)
    await ctx.tell(event.origin, replies.learning(person, args.strip().lstrip("#").lower(), misspelt))


@handles("away")
async def away(ctx: Context, event: CommandEvent, args: str) -> None:
    person = await ctx.core.people.away(ctx.actor(event.origin), args)
    await ctx.tell(event.origin, replies.away(person, ctx.core.clock()))


@handles("back")
async def back(ctx: Context, event: CommandEvent, args: str) -> None:
    person = await ctx.core.people.back(ctx.actor(event.origin))
    await ctx.tell(event.origin, replies.back(person))


@handles("thanks")
async def thanks(ctx: Context, event: CommandEvent, args: str) -> None:
    """`/swarm thanks @person [for what]`: said where it was typed, so the thanks is seen, and counted. Who is thanked
    and what for are told apart with the roster (`thanks @Ana Ruiz for the fix`)."""
    found = await ctx.core.automation.thank(ctx.actor(event.origin), event.origin.channel, _named(args), "")
    await ctx.chat.post(event.origin.channel, replies.thanked(found, ctx.platform), thread=event.thread)


@handles("digest")
async def digest(ctx: Context, event: CommandEvent, args: str) -> None:
    words = args.lower().split()
    if words == ["here"]:
        found = await ctx.core.automation.switch(ctx.actor(event.origin), "digest", True, True, event.origin.channel)
        await ctx.tell(event.origin, replies.switched(found))
        return
    await _switch(ctx, event, "digest", words)


@handles("nudges")
async def nudges(ctx: Context, event: CommandEvent, args: str) -> None:
    await _switch(ctx, event, "nudges", args.lower().split())


async def _switch(ctx: Context, event: CommandEvent, what: str, words: list[str]) -> None:
    everyone = "everyone" in words or "all" in words
    state = [w for w in words if w in ("on", "off")]
    if len(state) != 1 or len(words) != 1 + everyone:
        raise UserError("switch_how", what=what, usage=declared(what).usage)
    found = await ctx.core.automation.switch(ctx.actor(event.origin), what, state[0] == "on", everyone)
    await ctx.tell(event.origin, replies.switched(found))


@handles("snooze")
async def snooze(ctx: Context, event: CommandEvent, args: str) -> None:
    crew = await ctx.core.automation.snooze(ctx.actor(event.origin), number(args, "snooze"), event.origin.channel)
    await ctx.tell(event.origin, replies.snoozed(crew))


@handles("stats")
async def stats(ctx: Context, event: CommandEvent, args: str) -> None:
    await analytics.stats(ctx, event, args)


# In the declared order; a declared subcommand without a handler fails here, at import.
COMMANDS: dict[str, Command] = {s.name: _HANDLERS[s.name] for s in SUBCOMMANDS}


# -- shared steps ---------------------------------------------------------------------------------------------------


# The largest number a swarm or an article can have (the database's INTEGER); anything past it is no number of ours.
LARGEST = 2**31 - 1


def whole(word: str) -> int | None:
    """A number someone typed or a button carried (`42`), or None when it is not one or is past any we could have."""
    if not word.isdecimal() or len(word) > 10 or int(word) > LARGEST:
        return None
    return int(word)


def number(args: str, command: str) -> int | None:
    """The swarm number a subcommand names (`42`, `#42`, `swarm-42`), or None to mean "this room's swarm"."""
    word = args.split()[0] if args.split() else ""
    if not word:
        return None
    found = whole(word.lower().removeprefix("swarm-").removeprefix("#"))
    if found is None:
        raise UserError("bad_number", value=word, usage=_with_number(command))
    return found


def _with_number(command: str) -> str:
    """What to type instead, with a number in it: `invite 42 @person …`; a button's action is not declared."""
    try:
        usage = declared(command).usage
    except KeyError:
        return f"{command} 42"
    return example(usage.replace("<article>", "42")) if "[n]" in usage or "<article>" in usage else f"{command} 42"


SWARM_NUMBER = re.compile(r"(?:#|swarm-)?\d+", re.IGNORECASE)


def leading_number(args: str, command: str) -> tuple[int | None, str]:
    """A swarm's number typed before free text (`resolve 42 restarted the worker`), and the text; a first word that
    is a number is the swarm's, so `resolve 2 workers restarted` in a room means swarm 2."""
    words = args.split(maxsplit=1)
    if words and SWARM_NUMBER.fullmatch(words[0]):
        return number(words[0], command), words[1].strip() if len(words) == 2 else ""
    return None, args.strip()


def _named(args: str) -> str:
    """The people named in the arguments, for the roster to tell apart (`bot.context.find_people`): platform mentions
    (<@U123>) become @ids; @names, full names of several words, e-mails and first names stay as typed."""
    return " ".join(MENTION.sub(lambda found: f" @{found.group(1)} ", args).split())


def _number_and_people(args: str, command: str) -> tuple[int | None, str]:
    first = args.split()[0] if args.split() else ""
    if first.lstrip("#").isdecimal():
        return number(first, command), _named(args[len(first) :])
    return None, _named(args)


async def invite_into_room(ctx: Context, crew: Crew, users: list[str | None]) -> None:
    present = [u for u in users if u]
    if crew.swarm.room_id and present:
        await ctx.chat.invite(crew.swarm.room_id, present)


async def say_in_room(ctx: Context, crew: Crew, reply: Reply) -> None:
    """Tells the room what changed, and brings its rolling summary up to date."""
    await post_in_room(ctx, crew, reply)
    await refresh_summary(ctx, crew)


async def post_in_room(ctx: Context, crew: Crew, reply: Reply) -> None:
    await ctx.chat.post(crew.swarm.room_id or crew.swarm.origin_channel, reply)


async def member_joined(ctx: Context, change: Change) -> None:
    """Someone joined (command, reaction or button): into the room, said in the room, welcomed privately."""
    await invite_into_room(ctx, change.crew, [change.person.chat_id(ctx.platform)])
    await say_in_room(ctx, change.crew, replies.joined(change, ctx.platform))
    await welcome(ctx, change.crew, change.person)
