"""Every word Swarm says, in one place, so the tone stays the same everywhere.

Markup is the small common ground of the platforms: *bold*, `code`, <@USER_ID> mentions and &amp; &lt; &gt; escapes
in text people typed. Adapters render it their way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from itertools import pairwise

from bot import roster
from bot.analytics import Figure, Rated, Report, Trend
from bot.articles import KbImportReport
from bot.automation import Quiet, Reminder, Summary, Switched, Thanked, Welcome, uncovered_skills
from bot.curation import ArticleHistory, Curated
from bot.digests import Alert, Daily, SwarmFile, Weekly
from bot.errors import UserError
from bot.expertise import Inferred, learned_from
from bot.history import HistoryInterrupted, HistoryReport
from bot.matching import Ranking
from bot.models import (
    Article,
    ArticleHit,
    ArticleState,
    EventKind,
    Match,
    Person,
    Role,
    Swarm,
    SwarmStatus,
    TicketLink,
    TimelineEntry,
    Via,
)
from bot.people import UNTIL_BACK, ImportReport
from bot.swarms import (
    Answered,
    Change,
    Crew,
    Draft,
    HandOver,
    Marked,
    Opened,
    People,
    Proposal,
    Resolved,
    Reused,
    ended_at,
)
from bot.tickets import SYSTEM_NAMES
from handlers.chat import Button, Field, Form, Reply
from handlers.subcommands import SUBCOMMANDS, Who, declared, without_options

# Button actions and form actions: the words that travel through the platforms and come back in events.
JOIN = "join"
RESOLVE = "resolve"
ACCEPT = "accept"
DECLINE = "decline"
SOLVED_BY = "solved_by"
UNREDACT = "unredact"
MATCH_GOOD = "match_good"
MATCH_BAD = "match_bad"
AWAY = "away"
BACK = "back"
EDIT_SKILLS = "edit_skills"
EDIT_ARTICLE = "edit_article"
SNOOZE = "snooze"
CSAT = "csat"
HAND_OVER = "hand_over"
RUN = "run"  # a "did you mean" answer's button: runs the subcommand it carries, as if it had been typed
OPEN_CASE = "open"  # the other one: opens a swarm with the text it carries, in the channel it was typed in
HAND_OVER_FORM = "hand_over"
EDIT_ARTICLE_FORM = "edit_article"
OPEN_FORM = "open"
RESOLVE_FORM = "resolve"
SKILLS_FORM = "skills"
CONFIRM_RESOLVE = "confirm_resolve"


def _typed(words: str) -> str:
    """`/swarm …` as declared: the usage of the subcommand, or of its form, that begins with `words`."""
    return f"`/swarm {declared(words).usage}`"


def _short(words: str) -> str:
    """As `_typed`, without the parts that may be left out: `/swarm skills`."""
    return f"`/swarm {without_options(declared(words).usage)}`"


def _numbered(words: str) -> str:
    """As `_short`, with the swarm's or article's number of the error in it: `/swarm reopen {number}`."""
    usage = declared(words).usage.replace("[n]", "{number}").replace("<article>", "{number}")
    return f"`/swarm {without_options(usage)}`"


ERRORS: dict[str, str] = {
    "empty_case": "Tell me what the case is, e.g. `/swarm ACME cannot export invoices #billing sev2`.",
    "case_too_long": "That case is {length} characters; keep it under {limit} and put details in the room.",
    "bad_severity": "Severity `{value}` does not exist: use sev1 (most urgent) to sev4.",
    "unknown_swarm": f"There is no swarm {{number}} here. {_typed('list')} shows the open ones.",
    "bad_number": "`{value}` is not a swarm number; use the number, e.g. `/swarm {usage}`.",
    "not_in_room": f"Run this in a swarm's room, or name the swarm by its number ({_typed('list')} shows them).",
    "room_or_number": f"Run this in a swarm's room, or name the swarm by its number: `/swarm {{usage}}` "
    f"({_typed('list')} shows them).",
    "room_only": "Run this in a swarm's room; `/swarm {usage}` works only there.",
    "swarm_closed": f"Swarm {{number}} is already {{status}}. {_numbered('reopen')} brings it back.",
    "already_open": "Swarm {number} is still open.",
    "open_rate_limited": "You have opened {limit} swarms in the last {window}, the most one person can; nothing was "
    f"opened. You can open the next one in {{wait}}, or add to one of yours with {_typed('list')}.",
    "not_a_member": "You are not in swarm {number}.",
    "owner_cannot_leave": f"You own swarm {{number}}: hand it over first with {_numbered('owner')}.",
    "csat_owner_only": "Only the owner of swarm {number}, {owner}, rates how it was handled: the question is theirs.",
    "already_owner": "They already own swarm {number}.",
    "invite_whom": f"Say whom to invite: {_typed('invite')}.",
    "owner_whom": f"Say who takes over: {_typed('owner')}.",
    "unknown_person": "I can't find {who} in the roster. Use their @mention, e-mail or full name.",
    "ambiguous_person": "{who} could be {names}; use their e-mail or full name.",
    "empty_resolution": "Say what fixed it, e.g. `restarted the export worker cause: stale cache`, "
    "or mark the fix with :white_check_mark: first.",
    "kb_what": f"Say what to look for: {_typed('kb')}.",
    "unknown_article": "There is no article {number}.",
    "experts_for_what": f"Describe the case: {_typed('experts')}.",
    "no_skills": f"Name the skills: {_typed('skills add')}, e.g. `billing:4 sso` (levels 1–5, 3 if left out).",
    "bad_skill_level": "The level of {skill} must be a whole number from 1 to 5, not `{level}`.",
    "bad_skill_name": "`{skill}` needs a skill name before the level, e.g. `billing:4`.",
    "unknown_skill": f"{{skill}} is not one of your skills; {_short('skills')} lists them.",
    "learn_what": f"Say which skill you want to learn: {_typed('learn')}.",
    "bad_until": "I can't read `{value}` as a time to come: try `2h`, `tomorrow`, `friday`, `17:00` or `{example}`.",
    "text_too_long": "That is {length} characters; keep it under {limit}.",
    "not_a_draft": "Article {number} is {state}; only a draft can be validated, and only drafts or validated ones "
    "archived.",
    "edit_what": f"Say what to change: {_typed('kb edit')}, e.g. `cause: stale cache` (fields: {{fields}}).",
    "flag_why": f"Say what is wrong: {_numbered('kb flag')}, e.g. `the fix no longer works since 4.3`.",
    "nothing_redacted": "Nothing was redacted from article {number}.",
    "own_article": "Article {number} is this swarm's own article; link one from an earlier swarm.",
    "link_what": f"Say which article: {_typed('link')} ({_typed('kb')} finds its number).",
    "not_asked": f"You were not asked to swarm {{number}}; {_numbered('join')} joins it.",
    "not_asked_member": "You are in swarm {number} already; only the experts it asked answer with accept or decline.",
    "not_a_match": "That person was not matched for swarm {number}.",
    "unknown_learned_skill": f"{{skill}} is not a skill learned from your swarms; {_short('skills')} lists them.",
    "skills_what": f"Say which learned skill: {_typed('skills confirm')}.",
    "unknown_action": "That button ({action}) is not one I know; it may be from an older version of me.",
    "thanks_whom": f"Say whom to thank: {_typed('thanks')}.",
    "thanks_yourself": "Thanking yourself is fine, but I only count thanks to others.",
    "unknown_switch": "I can turn `digest` or `nudges` on or off, not `{what}`.",
    "switch_how": "Say on or off: `/swarm {usage}`; with `everyone`, for the whole workspace.",
    "closed_reopen_by": "Swarm {number} is already {status}. Its owner, {owner}, or a lead or admin can bring it back "
    f"with {_numbered('reopen')}: ask them.",
    "unknown_ticket": "{system} has no ticket {ticket}; check the number, or paste the ticket's address.",
    "ticket_elsewhere": "{ticket} is a ticket of {host}, not of the account Swarm is connected to; nothing was opened.",
    "ticket_has_swarm": f"Swarm {{number}} is already open for {{ticket}}: {_numbered('join')} joins it.",
    "cancel_why": f"Say why, so the room and the timeline keep it: {_typed('cancel')}, e.g. `duplicate of swarm 12`.",
}

# What each permission (bot/permissions.py) lets someone do, said after "Only … can": `{number}` is the swarm's or
# article's, `{state}` the switch's new state.
ALLOWED_TO: dict[str, str] = {
    "open": "open a swarm",
    "join": "join swarm {number}",
    "search": "search the knowledge base",
    "talk": "talk in swarm {number}'s room",
    "mark_fix": "mark the fix of swarm {number}",
    "propose_resolve": "propose resolving swarm {number}",
    "resolve": "resolve swarm {number}",
    "link": "link an article to swarm {number}",
    "invite": "invite people into swarm {number}",
    "cancel": "cancel swarm {number}",
    "hand_over": "hand swarm {number} over",
    "reopen": "reopen swarm {number}",
    "rate_match": "rate who swarm {number} asked",
    "snooze": "snooze swarm {number}",
    "workspace_switch": "turn the workspace's {switch} {state}",
    "digest_channel": "choose the workspace's digest channel",
    "validate": "validate article {number} before it has been reused {reuses} times",
    "archive": "archive, restore or unredact article {number}",
}
# How to ask, or what the person can do instead.
ASK: dict[str, str] = {
    "mark_fix": f"{_numbered('join')} first, or ask them to mark it.",
    "resolve": f"A member's {_typed('resolve')} is a proposal the owner confirms; {_numbered('join')} to be one.",
    "link": f"{_numbered('join')} first, or ask them in the room.",
    "invite": f"{_numbered('join')} first, or ask them in the room.",
    "snooze": f"{_numbered('join')} first, or ask them in the room.",
    "workspace_switch": "Ask them; `/swarm {switch} {state}` alone does it for you only.",
}


def refused(err: UserError) -> Reply:
    """A `not_allowed` refusal (bot/permissions.py): who can, by name, and how to ask them. Told privately."""
    details = dict(err.details)
    action = str(details.get("action", ""))
    details["state"] = "on" if details.get("on") else "off"
    parties: list[str] = ["a publisher"] if action in ("validate", "archive") else []
    if details.get("owner"):
        parties.append(f"its owner, {escape(str(details['owner']))},")
    leads = details.get("leads")
    if leads is not None:
        named = " or ".join(escape(str(name)) for name in leads)
        parties.append(f"a lead or admin ({named})" if named else "a lead or admin (the roster names none yet)")
    # "a publisher, or its owner, Ana Ruiz, or a lead or admin (Lea Moreau)"
    who = parties[0] if parties else "someone else"
    for before, party in pairwise(parties):
        who += (" or " if before.endswith(",") else ", or ") + party
    try:
        doing = ALLOWED_TO.get(action, action).format(**details)
        ask = ASK.get(action, "Ask them in the swarm's room." if "number" in details else "Ask them.").format(**details)
    except (KeyError, IndexError):
        doing, ask = action, "Ask them."
    return Reply(f"Only {who} can {doing}. {ask}")


def error(err: UserError) -> Reply:
    if err.reason == "not_allowed":
        return refused(err)
    template = ERRORS.get(err.reason)
    if template is None:
        return Reply(f"That didn't work ({err.reason}). `/swarm help` shows what I can do.")
    details = {k: _detail(v) for k, v in err.details.items()}
    try:
        return Reply(template.format(**details))
    except (KeyError, IndexError):
        return Reply(template)


def _detail(value: object) -> object:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    if isinstance(value, timedelta):
        return duration(value)
    return value


def _sentence(err: UserError, templates: Mapping[str, str]) -> str:
    """The sentence for an error from one family of reasons (roster rows, history rows, article files)."""
    template = templates.get(err.reason)
    if template is None:
        return error(err).text
    try:
        return template.format(**err.details)
    except (KeyError, IndexError):
        return template


def apology(typed: str | None = None) -> Reply:
    """Our failure, not theirs; what they typed is given back so nothing is lost."""
    text = "Sorry, something went wrong on my side. Please try again in a minute."
    if typed:
        text += f"\nWhat you typed: `/swarm {escape(typed)}`"
    return Reply(text)


def opening_interrupted(number: int) -> Reply:
    return Reply(f"Swarm {number} is saved, but I couldn't finish setting up its room. I'll retry; nothing is lost.")


def closing_interrupted(swarm: Swarm) -> Reply:
    return Reply(
        f"Swarm {swarm.number} is {swarm.status.value} and saved, but I couldn't finish posting its summary. "
        "I'll retry in a few minutes; nothing is lost."
    )


# The most a button can carry on every platform: Slack's limit for a button's value.
BUTTON_VALUE_CHARS = 2000


def did_you_mean(typed: str, meant: str | None, channel: str) -> Reply:
    """Asked before a swarm opens on what may be a mistyped subcommand (`stauts 1`) or is too short to be a case
    (`frobnicate`, `42`): run what was meant, or open a swarm with the text anyway. Nothing happens until a click.
    The open button carries the channel it was typed in (as the open form does): on Teams the question is asked in
    the personal chat, where no swarm opens."""
    buttons: list[Button] = []
    if meant:
        text = f"Did you mean `/swarm {escape(meant)}`? Nothing was opened."
        buttons.append(Button("Run it", RUN, meant, "primary"))
    else:
        text = f"Open a swarm for the case “{_first_line(typed)}”? Nothing was opened yet: one word or a number "
        text += "is rarely a case (`/swarm help` lists what else I do)."
    carried = f"{channel}\n{typed}"
    if len(carried) <= BUTTON_VALUE_CHARS:
        buttons.append(Button("Open a swarm", OPEN_CASE, carried))
    else:
        # Too long to travel in a button: typing it again with another first word opens it.
        text += " To open a swarm with it, send it again starting with another word."
    return Reply(text, buttons=tuple(buttons))


HELP_FIRST = "*Swarm* pulls the right people into a room for a case no script answers."
HELP_OPEN = (
    "`/swarm <case> [#skill …] [sev1-4] [customer:NAME] [product:NAME] [version:X]` open a swarm, "
    "e.g. `/swarm ACME export fails #billing sev2`"
)
HELP_LAST = (
    "React :{join}: on an announcement to join, :{observe}: to follow; :{solution}: on a room message marks the fix."
)


def help_text(
    join: str = "raising_hand", observe: str = "eyes", solution: str = "white_check_mark", today: date | None = None
) -> Reply:
    """`/swarm help`: how to open a swarm, then every declared subcommand, one usage a line, then the reactions."""
    lines = [f"`/swarm {u.usage}` {u.described(today)}{_only(u.who)}" for s in SUBCOMMANDS for u in s.usages]
    last = HELP_LAST.format(join=join, observe=observe, solution=solution)
    return Reply("\n".join([HELP_FIRST, HELP_OPEN, *lines, last]))


def _only(who: Who) -> str:
    """Who may run a usage, after its summary in the help, where it is not everyone."""
    return "" if who is Who.ANYONE else f" (who: {who.value})"


def subcommand_table() -> str:
    """`swarm commands`: every declared usage as a Markdown table (docs/commands.md holds a copy a test keeps)."""
    rows = ["| you type | what it does | who may run it |", "| --- | --- | --- |"]
    rows += [f"| `/swarm {u.usage}` | {u.described()} | {u.who.value} |" for s in SUBCOMMANDS for u in s.usages]
    return "\n".join(rows) + "\n"


class _Words:
    """Collects the people a reply mentions, so each adapter can render them."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.mentions: dict[str, str] = {}

    def who(self, person: Person) -> str:
        user = person.chat_id(self.platform)
        if user is None:
            return f"*{escape(person.name)}*"
        self.mentions[user] = person.name
        return f"<@{user}>"

    def people(self, people: Sequence[Person]) -> str:
        return ", ".join(self.who(p) for p in people) if people else "nobody yet"

    def match(self, match: Match) -> str:
        reasons = escape(" · ".join(match.reasons))
        return f"{self.who(match.person)} ({reasons})" if match.reasons else self.who(match.person)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def case_line(swarm: Swarm) -> str:
    case = swarm.case
    parts = [f"sev{case.severity}"]
    if case.customer:
        parts.append(f"customer {escape(case.customer)}")
    parts.extend(f"#{t}" for t in case.tags)
    return " · ".join(parts)


def room_ref(swarm: Swarm) -> str:
    return f"#{swarm.room_name}" if swarm.room_name else "its room"


def ticket_ref(ticket: TicketLink, status: bool = False) -> str:
    """`zd:4521 (open) https://acme.zendesk.com/agent/tickets/4521`: the reference people type, its status as Swarm
    last heard it, and its address, which every platform turns into a link."""
    shown = f"{ticket.key} ({escape(ticket.status)})" if status and ticket.status else ticket.key
    return f"{shown} {ticket.url}" if ticket.url else shown


# -- opening --------------------------------------------------------------------------------------------------------


def announcement(opened: Opened, platform: str, join: str, observe: str) -> Reply:
    w = _Words(platform)
    swarm = opened.crew.swarm
    asked = w.people([m.person for m in opened.ranking.matches]) if opened.ranking.matches else _nobody(opened.ranking)
    # The same people as the card: the experts asked, and the learner asked along.
    seat = f"\nLearner seat: {w.who(opened.ranking.learner.person)}" if opened.ranking.learner is not None else ""
    ticket = f"Ticket {ticket_ref(swarm.ticket)}\n" if swarm.ticket else ""
    text = (
        f"*Swarm {swarm.number}* is open for {w.who(opened.crew.owner)}: {escape(swarm.case.text)}\n"
        f"{case_line(swarm)} · room {room_ref(swarm)}\n"
        f"{ticket}"
        f"Asked: {asked}{seat}\n"
        f"Anyone can help: react :{join}: to join, :{observe}: to follow."
    )
    return Reply(text, buttons=(Button("Join", JOIN, str(swarm.number), "primary"),), mentions=w.mentions)


def announcement_now(crew: Crew, platform: str, join: str, observe: str) -> Reply:
    """The announcement of an active swarm once people have come and answered: the same people as its card and
    status (`people_fields`)."""
    w = _Words(platform)
    swarm = crew.swarm
    lines = [f"*Swarm {swarm.number}* is open for {w.who(crew.owner)}: {escape(swarm.case.text)}"]
    lines.append(f"{case_line(swarm)} · room {room_ref(swarm)}")
    lines += [f"{label}: {value}" for label, value in people_fields(crew.people(), w)]
    lines.append(f"Anyone can help: react :{join}: to join, :{observe}: to follow.")
    return Reply("\n".join(lines), buttons=(Button("Join", JOIN, str(swarm.number), "primary"),), mentions=w.mentions)


def people_fields(people: People, w: _Words) -> list[tuple[str, str]]:
    """Who is in a swarm, who was asked and has not answered, who can't: one rendering for the card, the
    announcement and status, so that they never disagree."""
    return [(label, w.people(list(persons))) for label, persons in people_groups(people)]


def people_groups(people: People) -> list[tuple[str, tuple[Person, ...]]]:
    """The labelled groups of `people_fields`, each with someone in it: the web page's swarm shows these too, with
    plain names."""
    groups = [(f"{role.value.title()}s", persons) for role, persons in people.members]
    groups.append(("Asked, no answer yet", people.asked))
    groups.append(("Learner seat, no answer yet", people.learner_seat))
    groups.append(("Can't now", people.declined))
    return [(label, persons) for label, persons in groups if persons]


def _nobody(ranking: Ranking) -> str:
    sleeping = len(ranking.off_hours)
    if not sleeping:
        return "nobody matched yet"
    who = "1 who matches is" if sleeping == 1 else f"{sleeping} who match are"
    return f"nobody yet: {who} off hours (sev1 would page them)"


def case_card(opened: Opened, platform: str) -> Reply:
    w = _Words(platform)
    swarm, case = opened.crew.swarm, opened.crew.swarm.case
    fields = [("Owner", w.who(opened.crew.owner)), ("Severity", f"sev{case.severity}")]
    if swarm.ticket:
        fields.append(("Ticket", ticket_ref(swarm.ticket, status=True)))
    fields += [(label, escape(value)) for label, value in _case_fields(swarm) if value]
    if case.description:
        fields.append(("Description", escape(_shortened(case.description, CARD_DESCRIPTION_CHARS))))
    lines = [f"Asked: {w.match(m)}" for m in opened.ranking.matches]
    if opened.ranking.learner is not None:
        lines.append(f"Learner seat: {w.match(opened.ranking.learner)}")
    lines += _uncovered(opened.ranking, w)
    lines += [f"Maybe known: {article_line(hit.article, hit.swarm_number)}" for hit in opened.similar]
    solved_by = [
        Button(f"Article {h.article.number} solved it", SOLVED_BY, f"{swarm.number}:{h.article.number}")
        for h in opened.similar
        if h.article.state is not ArticleState.WIP
    ]
    lines.append(
        f"Say what you tried; mark the fix with :white_check_mark:; `/swarm resolve {swarm.number}` when it's solved."
    )
    return Reply(
        f"Swarm {swarm.number}: {escape(case.text)}",
        title=f"Swarm {swarm.number}: {escape(case.text)}",
        fields=tuple(fields),
        lines=tuple(lines),
        buttons=(
            Button("I can help", ACCEPT, str(swarm.number), "primary"),
            Button("Can't now", DECLINE, str(swarm.number)),
            Button("Join", JOIN, str(swarm.number)),
            Button("Resolve", RESOLVE, str(swarm.number)),
            *solved_by,
        ),
        mentions=w.mentions,
    )


def _uncovered(ranking: Ranking, w: _Words) -> list[str]:
    """Skills nobody asked covers: either nobody in the roster has them, or only people who are off hours now."""
    if not ranking.uncovered and not (ranking.off_hours and not ranking.matches):
        return []
    sleeping = [m for m in ranking.off_hours if set(m.skills) & set(ranking.uncovered) or not ranking.matches]
    nobody = [s for s in ranking.uncovered if not any(s in m.skills for m in sleeping)]
    lines = []
    if nobody:
        lines.append("Nobody in the roster covers: " + ", ".join(f"#{s}" for s in nobody))
    if ranking.misspelt:
        lines.append(did_you_mean_skills(dict(ranking.misspelt)))
    if sleeping:
        lines.append("Off hours now, not paged below sev1: " + ", ".join(w.match(m) for m in sleeping))
    return lines


def did_you_mean_skills(misspelt: Mapping[str, str]) -> str:
    """`#biling #paymnets` → "Did you mean #billing #payments?": the workspace's skills those tags are a slip from."""
    typed = " ".join(f"#{s}" for s in misspelt)
    return f"Did you mean {' '.join(f'#{s}' for s in misspelt.values())} (not {typed})?"


def room_topic(swarm: Swarm) -> str:
    ticket = f" · {swarm.ticket.key}" if swarm.ticket else ""
    return f"Swarm {swarm.number}{ticket} · {case_line(swarm)} · {swarm.case.text}"[:250]


CARD_DESCRIPTION_CHARS = 500  # of a ticket's first comment on the card; the ticket has all of it


def _shortened(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _case_fields(swarm: Swarm) -> list[tuple[str, str | None]]:
    case = swarm.case
    tags = " ".join(f"#{t}" for t in case.tags) or None
    return [("Customer", case.customer), ("Product", case.product), ("Version", case.version), ("Skills", tags)]


# -- membership -----------------------------------------------------------------------------------------------------


def joined(change: Change, platform: str) -> Reply:
    w = _Words(platform)
    member = change.crew.member(change.person.id)
    role = member.role.value if member else Role.HELPER.value
    return Reply(f"{w.who(change.person)} joined swarm {change.crew.swarm.number} as {role}.", mentions=w.mentions)


def joined_together(changes: Sequence[Change], platform: str) -> Reply:
    """People who joined at once, in one line instead of one post each: "<@A> and <@B> joined swarm 1 as helpers,
    <@C> as observer." """
    if len(changes) == 1:
        return joined(changes[0], platform)
    w, crew = _Words(platform), changes[-1].crew
    by_role: dict[str, list[str]] = {}
    for change in changes:
        member = crew.member(change.person.id)
        by_role.setdefault(member.role.value if member else Role.HELPER.value, []).append(w.who(change.person))
    [(role, names), *others] = by_role.items()
    text = f"{_listed(names)} joined swarm {crew.swarm.number} as {role}{'s' if len(names) > 1 else ''}"
    text += "".join(f", {_listed(more)} as {other}{'s' if len(more) > 1 else ''}" for other, more in others)
    return Reply(f"{text}.", mentions=w.mentions)


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def already_member(change: Change) -> Reply:
    return Reply(f"You are already in swarm {change.crew.swarm.number}: {room_ref(change.crew.swarm)}.")


def left(change: Change, platform: str) -> Reply:
    w = _Words(platform)
    return Reply(f"{w.who(change.person)} left swarm {change.crew.swarm.number}.", mentions=w.mentions)


def invited(changes: Sequence[Change], by: Person, platform: str) -> Reply:
    w = _Words(platform)
    new = [c.person for c in changes if c.changed]
    already = [c.person for c in changes if not c.changed]
    number = changes[0].crew.swarm.number
    parts = [f"{w.who(by)} invited {w.people(new)} to swarm {number}."] if new else []
    if already:
        parts.append(f"{w.people(already)} {'is' if len(already) == 1 else 'are'} already in it.")
    return Reply(" ".join(parts), mentions=w.mentions)


def owner_changed(handover: HandOver, platform: str) -> Reply:
    w = _Words(platform)
    return Reply(
        f"{w.who(handover.new)} now owns swarm {handover.crew.swarm.number}, "
        f"taking over from {w.who(handover.previous)}.",
        mentions=w.mentions,
    )


def how_to_resolve(number: int) -> Reply:
    return Reply(f"Type `/swarm resolve {number} <what fixed it> cause: <why>`; the fix you marked is added.")


def proposed(proposal: Proposal, platform: str) -> Reply:
    """A member's resolve: the owner confirms it with one click."""
    w = _Words(platform)
    swarm = proposal.crew.swarm
    fix = f": {escape(proposal.resolution)}" if proposal.resolution else " (the fix marked in the room)"
    text = (
        f"{w.who(proposal.by)} proposes resolving swarm {swarm.number}{fix}. "
        f"{w.who(proposal.crew.owner)}, confirm with the button (or a lead or admin may)."
    )
    # The fix travels in the button (a Slack button's value holds 2,000 characters); the room keeps the rest.
    value = f"{swarm.number}:{proposal.resolution[:1500]}"
    return Reply(text, buttons=(Button("Resolve", CONFIRM_RESOLVE, value, "primary"),), mentions=w.mentions)


def proposal_sent(proposal: Proposal, platform: str) -> Reply:
    w = _Words(platform)
    owner = w.who(proposal.crew.owner)
    return Reply(f"Proposed in the room: {owner} resolves swarm {proposal.crew.swarm.number} with one click.")


def solution_marked(marked: Marked) -> Reply:
    if marked.marked:
        return Reply(f"Marked as the fix for swarm {marked.crew.swarm.number}; it goes into the article.")
    return Reply(f"No longer marked as the fix for swarm {marked.crew.swarm.number}.")


# -- closing --------------------------------------------------------------------------------------------------------


def resolved(result: Resolved, platform: str) -> Reply:
    w = _Words(platform)
    swarm, article = result.crew.swarm, result.article
    owner = w.who(result.crew.owner)
    credited = set(article.contributors) - {result.crew.owner.name}
    helpers = [p for p in [*(p for _, p in result.crew.members), *result.speakers] if p.name in credited]
    lines = [f"Fix: {_first_line(article.resolution)}"]
    if article.cause:
        lines.append(f"Cause: {_first_line(article.cause)}")
    lines.append(f"Saved as {article_line(article)}: `/swarm kb {article.number}`")
    if helpers:
        lines.append(f"Thanks {w.people(helpers)}.")
    matched = [p for m, p in result.crew.members if m.via is Via.MATCH and m.role is Role.EXPERT]
    buttons: list[Button] = []
    if matched:
        lines.append(f"{owner}, were these the right people to ask? Your 👍 / 👎 teaches the matcher.")
        for person in matched[:5]:
            value = f"{swarm.number}:{person.id}"
            first = person.name.split()[0]
            buttons += [Button(f"👍 {first}", MATCH_GOOD, value), Button(f"👎 {first}", MATCH_BAD, value)]
    return Reply(
        f":white_check_mark: Swarm {swarm.number} is resolved after {duration(result.duration)} (owner {owner}).",
        lines=tuple(lines),
        buttons=tuple(buttons),
        mentions=w.mentions,
    )


def reused(result: Reused, by: Person, platform: str) -> Reply:
    w = _Words(platform)
    swarm, article = result.crew.swarm, result.article
    if result.resolved:
        return Reply(
            f":white_check_mark: Swarm {swarm.number} is resolved: a known fix, {article_line(article)}, solved it "
            f"(marked by {w.who(by)}). Thanks to everyone who was ready to help.",
            lines=(f"`/swarm kb {article.number}` reads it.",),
            mentions=w.mentions,
        )
    return Reply(f"{w.who(by)} linked {article_line(article)} to swarm {swarm.number}.", mentions=w.mentions)


def answered(answer: Answered, platform: str) -> Reply:
    w = _Words(platform)
    number = answer.crew.swarm.number
    if answer.accepted:
        return Reply(f"{w.who(answer.person)} can help with swarm {number}.", mentions=w.mentions)
    text = f"{w.who(answer.person)} can't help with swarm {number} right now."
    if answer.lapsed:
        text = f"{w.who(answer.person)} did not answer in time for swarm {number}."
    if answer.replacement is not None:
        text += f" Asked {w.match(answer.replacement)} instead."
    elif answer.crew.swarm.skills:
        text += f" Nobody else available covers it; `/swarm invite {number} @person` brings in someone you know."
    return Reply(text, mentions=w.mentions)


def already_answered(answer: Answered) -> Reply:
    said = "can help" if answer.accepted else "can't help right now"
    return Reply(f"You already said you {said} with swarm {answer.crew.swarm.number}.")


def feedback_noted(person: Person, good: bool) -> Reply:
    verdict = "the right person to ask" if good else "not the right person to ask"
    return Reply(f"Noted: {escape(person.name)} was {verdict}. The matcher learns from it.")


def cancelled(crew: Crew, by: Person, platform: str) -> Reply:
    w = _Words(platform)
    reason = f": {escape(crew.swarm.cancel_reason)}" if crew.swarm.cancel_reason else "."
    return Reply(f"Swarm {crew.swarm.number} was cancelled by {w.who(by)}{reason}", mentions=w.mentions)


def reopened(crew: Crew, by: Person, platform: str) -> Reply:
    w = _Words(platform)
    return Reply(f"Swarm {crew.swarm.number} is open again, reopened by {w.who(by)}.", mentions=w.mentions)


def announcement_status(crew: Crew, platform: str) -> Reply:
    """The announcement once the swarm has moved on: resolved, cancelled or reopened."""
    w = _Words(platform)
    swarm = crew.swarm
    return Reply(
        f"*Swarm {swarm.number}* ({swarm.status.value}) for {w.who(crew.owner)}: {escape(swarm.case.text)}\n"
        f"{case_line(swarm)} · room {room_ref(swarm)}",
        mentions=w.mentions,
    )


# -- reading --------------------------------------------------------------------------------------------------------


def swarm_list(crews: Sequence[Crew], platform: str, now: datetime) -> Reply:
    if not crews:
        return Reply("No swarms are open. Start one with `/swarm <case>`.")
    w = _Words(platform)
    lines = [
        f"*{c.swarm.number}* {escape(c.swarm.case.text[:80])} · {case_line(c.swarm)} · owner {w.who(c.owner)} · "
        f"{len(c.active())} in · open {duration(now - (c.swarm.created_at or now))} · {room_ref(c.swarm)}"
        for c in crews
    ]
    return Reply(f"{len(crews)} open swarm{'s' if len(crews) != 1 else ''}:", lines=tuple(lines), mentions=w.mentions)


def status(crew: Crew, timeline: Sequence[TimelineEntry], platform: str, now: datetime) -> Reply:
    w = _Words(platform)
    swarm = crew.swarm
    fields = [("Status", swarm.status.value), ("Owner", w.who(crew.owner)), _age(swarm, now, ended_at(swarm, timeline))]
    if swarm.ticket:
        fields.append(("Ticket", ticket_ref(swarm.ticket, status=True)))
    fields += people_fields(crew.people(), w)
    messages = sum(1 for e in timeline if e.kind is EventKind.MESSAGE)
    lines = [f"{case_line(swarm)} · room {room_ref(swarm)} · {messages} message{'s' if messages != 1 else ''}"]
    if swarm.resolution:
        lines.append(f"Fix: {_first_line(swarm.resolution)}")
    return Reply(
        f"Swarm {swarm.number}: {escape(swarm.case.text)}",
        title=f"Swarm {swarm.number}: {escape(swarm.case.text)}",
        fields=tuple(fields),
        lines=tuple(lines),
        mentions=w.mentions,
    )


def experts(ranking: Ranking, platform: str) -> Reply:
    w = _Words(platform)
    skills = " ".join(f"#{s}" for s in ranking.skills) or "none I know"
    if not ranking.matches and not ranking.off_hours:
        text = f"Nobody in the roster matches this case (skills: {skills})."
        if ranking.misspelt:
            return Reply(f"{text} {did_you_mean_skills(dict(ranking.misspelt))}")
        return Reply(f"{text} Add #skills to the case.")
    lines = [f"{i}. {w.match(m)}" for i, m in enumerate(ranking.matches, 1)]
    if ranking.learner is not None:
        lines.append(f"Learner seat: {w.match(ranking.learner)}")
    if ranking.alternates:
        lines.append("Next best: " + ", ".join(w.match(m) for m in ranking.alternates))
    lines += _uncovered(ranking, w)
    if ranking.matches:
        heading = f"For this case (skills: {skills}) I would ask:"
    else:
        heading = f"For this case (skills: {skills}) I would ask nobody now: everyone who matches is off hours."
    return Reply(heading, lines=(*lines, "Nothing was opened."), mentions=w.mentions)


def article_line(article: Article, swarm_number: int | None = None) -> str:
    if article.state is ArticleState.WIP and swarm_number is not None:
        return f"article {article.number} — {escape(article.title)} (being worked on in swarm {swarm_number} — join it)"
    reuse = f", reused {article.reuse_count}×" if article.reuse_count else ""
    return f"article {article.number} — {escape(article.title)} ({article.state.value}{reuse})"


def kb_results(query: str, hits: Sequence[ArticleHit]) -> Reply:
    if not hits:
        return Reply(f"No article matches “{escape(query)}”. When a swarm resolves it, the fix will be here.")
    lines = [_hit_line(h) for h in hits]
    return Reply(
        f"{len(hits)} article{'s' if len(hits) != 1 else ''} for “{escape(query)}”:",
        lines=(*lines, "`/swarm kb <n>` reads one."),
    )


def _hit_line(hit: ArticleHit) -> str:
    article = hit.article
    if article.state is ArticleState.WIP and hit.swarm_number is not None:
        return (
            f"*{article.number}* {escape(article.title)} — being worked on in swarm {hit.swarm_number}: "
            f"`/swarm join {hit.swarm_number}`"
        )
    line = f"*{article.number}* {escape(article.title)} ({article.state.value})"
    snippet = escape(" ".join(hit.snippet.split()))
    return f"{line} — {snippet}" if snippet else line


def article(article: Article) -> Reply:
    fields = [("Issue", article.issue), ("Environment", article.environment), ("Resolution", article.resolution)]
    if article.cause:
        fields.append(("Cause", article.cause))
    fields.append(("State", article.state.value))
    if article.tags:
        fields.append(("Tags", " ".join(f"#{t}" for t in article.tags)))
    if article.contributors:
        fields.append(("Contributors", ", ".join(article.contributors)))
    if article.asked:
        fields.append(("Also asked as", " · ".join(f"“{wording}”" for wording in article.asked[:3])))
    title = f"Article {article.number}: {escape(article.title)}"
    return Reply(title, title=title, fields=tuple((k, escape(v)) for k, v in fields))


def profile(person: Person, now: datetime, own: bool, learned: Mapping[str, Inferred] | None = None) -> Reply:
    learned = learned or {}
    declared = sorted(person.skills.items(), key=lambda i: (-i[1], i[0]))
    skills = ", ".join(f"{s} {level}/5" for s, level in declared)
    learning = ", ".join(person.learning) or "nothing yet"
    local = roster.local_now(person, now)
    hours = str(person.working_hours) if person.working_hours else "any time"
    lines = [f"Skills: {skills or 'none yet'}"]
    shown = [i for s, i in sorted(learned.items()) if s not in person.skills]
    if shown:
        lines.append(
            "Learned from swarms: " + " · ".join(_learned(i, now, i.skill in person.hidden_skills) for i in shown)
        )
    lines += [
        f"Learning: {learning}",
        f"Works {hours} {person.timezone} (now {local:%H:%M}) · up to {person.max_active_swarms} swarms at once",
        f"Availability: {availability(person, now, own)}",
    ]
    if person.role.above_agent:
        # Who may act on any swarm and on workspace-wide settings (docs/permissions.md).
        lines.append(f"Role: {person.role.value}")
    if own and shown:
        lines.append("`/swarm skills confirm <skill>` keeps a learned skill; `/swarm skills hide <skill>` stops it.")
    if own and not person.skills:
        lines.append("Add yours: `/swarm skills add billing:4 sso`.")
    name = "Your profile" if own else f"{escape(person.name)}"
    return Reply(name, title=name, lines=tuple(lines))


def _learned(inferred: Inferred, now: datetime, hidden: bool) -> str:
    text = f"{inferred.skill} {inferred.level}/5 from {learned_from(inferred)}, last {ago(now - inferred.last)}"
    return text + " (hidden)" if hidden else text


def ago(delta: timedelta) -> str:
    days = delta.days
    if days < 1:
        return "today"
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''} ago"
    if days < 60:
        return f"{days // 7} weeks ago"
    return f"{days // 30} months ago"


def availability(person: Person, now: datetime, own: bool = True) -> str:
    """Whether `person` can be asked now; `own`: said to them, as "you"."""
    if roster.is_away(person, now):
        assert person.away_until is not None
        if person.away_until >= UNTIL_BACK:
            return "away until you say `/swarm back`" if own else "away until they say they are back"
        local = person.away_until.astimezone(roster.local_now(person, now).tzinfo)
        return f"away until {local:%a %d %b %H:%M}"
    return "working now" if roster.is_working(person, now) else "off hours now"


def skills_saved(person: Person, misspelt: Mapping[str, str] | None = None) -> Reply:
    skills = ", ".join(f"{s} {level}/5" for s, level in sorted(person.skills.items())) or "none"
    return Reply(f"Saved. Your skills: {skills}.", lines=_misspelt_skills(misspelt, "skills remove"))


def learning(person: Person, skill: str, misspelt: Mapping[str, str] | None = None) -> Reply:
    return Reply(
        f"Noted: you want to learn {skill}. I'll ask you along as a learner on swarms that need it.",
        lines=_misspelt_skills(misspelt, "learn"),
    )


def _misspelt_skills(misspelt: Mapping[str, str] | None, how: str) -> tuple[str, ...]:
    """Skills saved as typed although nobody has them, when they are a slip from one the workspace knows."""
    if not misspelt:
        return ()
    if how == "learn":
        return (f"{did_you_mean_skills(misspelt)} `/swarm learn {' '.join(misspelt.values())}` learns that instead.",)
    typed = " ".join(misspelt)
    return (f"{did_you_mean_skills(misspelt)} `/swarm skills remove {typed}` takes yours back.",)


def away(person: Person, now: datetime) -> Reply:
    return Reply(f"You are {availability(person, now)}; I won't ask you to swarm until then. `/swarm back` ends it.")


def back(person: Person) -> Reply:
    return Reply("Welcome back: you can be asked to swarm again.")


def roster_report(report: ImportReport) -> list[str]:
    lines = [f"{len(report.added)} added, {len(report.updated)} updated, {len(report.rejected)} rejected"]
    lines += [f"line {r.line}: {_roster_error(r.error)}" for r in report.rejected]
    return lines


def _roster_error(err: UserError) -> str:
    return _sentence(err, ROSTER_ERRORS)


ROSTER_ERRORS = {
    "roster_missing_name": "a name is required",
    "roster_bad_timezone": "{value} is not a timezone; use an IANA name such as Europe/Madrid",
    "roster_bad_email": "{value} is not an e-mail address",
    "roster_bad_skill": "skills {value} should be skill:level pairs with levels 1 to 5, e.g. billing:4;sso:3",
    "roster_bad_learning": "learning {value} should be a list of skills, e.g. kubernetes;sql",
    "roster_bad_number": "{field} must be a whole number of at least 1, not {value}",
    "roster_bad_working_hours": "working hours {value} should look like 09:00-17:00",
    "roster_bad_field": "{field} cannot be {value}",
    "bad_working_hours": "working hours {value} should look like 09:00-17:00",
}


def duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"


def _age(swarm: Swarm, now: datetime, ended: datetime | None = None) -> tuple[str, str]:
    """How long an open swarm has been open, or how long a closed one took until it was resolved or cancelled
    (`ended`, bot.swarms.ended_at), as a card or status field."""
    took = duration((ended or swarm.resolved_at or now) - (swarm.created_at or now))
    if swarm.status.is_active:
        return ("Open for", took)
    return ("Cancelled after" if swarm.status is SwarmStatus.CANCELLED else "Took", took)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return escape(line[:300])


# -- on its own: the rolling summary, welcomes, nudges, thanks (issue 7) ---------------------------------------------

NUDGES_OFF = "Don't want these? `/swarm nudges off`."


def summary_card(summary: Summary, platform: str, now: datetime) -> Reply:
    """The room's case card once the swarm is under way: edited in place, never posted again."""
    w = _Words(platform)
    crew = summary.crew
    swarm, case = crew.swarm, crew.swarm.case
    fields = [("Owner", w.who(crew.owner)), ("Severity", f"sev{case.severity}"), ("Status", swarm.status.value)]
    fields += [(label, escape(value)) for label, value in _case_fields(swarm) if value]
    fields.append(_age(swarm, now, summary.ended))
    lines = [f"{label}: {value}" for label, value in people_fields(crew.people(), w)]
    if summary.uncovered and swarm.status.is_active:
        lines.append("Still missing: " + ", ".join(f"#{s}" for s in summary.uncovered))
    lines += [f"Marked fix: {_first_line(text)}" for text in summary.solutions[:3]]
    if summary.linked:
        lines.append("Linked articles: " + ", ".join(f"`/swarm kb {n}`" for n in summary.linked))
    lines.append(
        f"{summary.messages} message{'s' if summary.messages != 1 else ''} in the room · updated {now:%H:%M} UTC"
    )
    buttons: tuple[Button, ...] = ()
    if swarm.status.is_active:
        lines.append(
            f"Say what you tried; mark the fix with :white_check_mark:; `/swarm resolve {swarm.number}` when it's "
            "solved."
        )
        buttons = (
            Button("I can help", ACCEPT, str(swarm.number), "primary"),
            Button("Can't now", DECLINE, str(swarm.number)),
            Button("Join", JOIN, str(swarm.number)),
            Button("Resolve", RESOLVE, str(swarm.number)),
        )
    elif swarm.resolution:
        lines.append(f"Fix: {_first_line(swarm.resolution)}")
    title = f"Swarm {swarm.number}: {escape(case.text)}"
    return Reply(title, title=title, fields=tuple(fields), lines=tuple(lines), buttons=buttons, mentions=w.mentions)


HOW_TO_SWARM = (
    "How swarming works: the owner stays accountable for the case; say what you tried, even if it failed; "
    "mark the message with the fix with :white_check_mark:; leave (`/swarm leave {number}`) when you are no longer "
    "needed."
)


def welcome(found: Welcome, platform: str, now: datetime) -> Reply:
    w = _Words(platform)
    crew = found.summary.crew
    swarm = crew.swarm
    lines: list[str] = []
    if found.catch_up:
        lines.append(f"Owner: {w.who(crew.owner)} · open for {duration(now - (swarm.created_at or now))}")
        others = [p for p in crew.active() if p.id not in (crew.owner.id, found.person.id)]
        if others:
            lines.append(f"In the room: {w.people(others)}")
        lines += [f"So far: {escape(text[:300])}" for text in found.tried]
        if crew.asked():
            lines.append(f"Waiting for: {w.people(crew.asked())}")
        if found.summary.uncovered:
            lines.append("Still missing: " + ", ".join(f"#{s}" for s in found.summary.uncovered))
    if found.first_swarm:
        lines.append(HOW_TO_SWARM.format(number=swarm.number))
    lines.append("Don't want tips like this? `/swarm nudges off`.")
    intro = (
        f"Catching you up on swarm {swarm.number}: {escape(swarm.case.text[:200])}"
        if found.catch_up
        else f"Welcome to your first swarm, swarm {swarm.number}!"
    )
    return Reply(intro, lines=tuple(lines), mentions=w.mentions)


def quiet_room(quiet: Quiet) -> Reply:
    swarm = quiet.crew.swarm
    number = str(swarm.number)
    return Reply(
        f"Swarm {swarm.number} ({escape(swarm.case.text[:120])}) has been quiet for {duration(quiet.silent_for)}. "
        "Still working on it? Resolve it, hand it over, or snooze this for a day.",
        lines=(NUDGES_OFF,),
        buttons=(
            Button("Resolve", RESOLVE, number, "primary"),
            Button("Hand over", HAND_OVER, number),
            Button("Still working: snooze 1 day", SNOOZE, number),
        ),
    )


def snoozed(crew: Crew) -> Reply:
    return Reply(f"Snoozed: I won't ask about swarm {crew.swarm.number} again before tomorrow.")


def hand_over_form(number: int) -> Form:
    return Form(
        action=HAND_OVER_FORM,
        title=f"Hand over swarm {number}",
        fields=(Field("who", "Who takes over?", hint="@name, e-mail or full name"),),
        submit="Hand over",
        value=str(number),
    )


def how_to_hand_over(number: int) -> Reply:
    return Reply(f"Type `/swarm owner {number} @person` to hand swarm {number} over.")


def article_reminder(reminder: Reminder) -> Reply:
    swarm, article = reminder.crew.swarm, reminder.article
    if article is None:
        text = f"Swarm {swarm.number} is resolved, but its fix is not written down anywhere yet."
        how = f"`/swarm reopen {swarm.number}`, then `/swarm resolve {swarm.number} <what fixed it>`."
        return Reply(text, lines=(how, NUDGES_OFF))
    missing = [name for name, value in (("fix", article.resolution), ("cause", article.cause)) if not value.strip()]
    text = (
        f"Swarm {swarm.number} is resolved; its {article_line(article)} has no {' or '.join(missing)} yet. "
        "A minute now saves the next agent an hour."
    )
    return Reply(
        text,
        lines=(f"`/swarm kb edit {article.number} cause: …` adds it.", NUDGES_OFF),
        buttons=(Button("Edit the article", EDIT_ARTICLE, str(article.number), "primary"),),
    )


def thanked(found: Thanked, platform: str) -> Reply:
    w = _Words(platform)
    reason = f" for {escape(found.reason)}" if found.reason else ""
    return Reply(f":tada: {w.who(found.giver)} thanked {w.who(found.receiver)}{reason}.", mentions=w.mentions)


def switched(found: Switched) -> Reply:
    state = "on" if found.on else "off"
    if found.what == "digest":
        if found.channel is not None:
            return Reply("The daily digest and recurring-issue alerts will be posted in this channel.")
        if found.everyone:
            return Reply(f"The workspace's digests and recurring-issue alerts are {state}.")
        if found.on:
            return Reply("Digests will mention you again when they thank you.")
        return Reply("Digests will name you without a mention, so they won't notify you.")
    if found.everyone:
        return Reply(f"Nudges are {state} for the whole workspace.")
    if found.on:
        return Reply("I'll nudge you again about quiet rooms and unwritten fixes.")
    return Reply("No more nudges for you. `/swarm nudges on` brings them back.")


# -- Analytics and CSAT (issue 8) -----------------------------------------------------------------------------------

ERRORS.update(
    {
        "bad_period": "I can show the last `7d`, `30d` or `90d` (any number of days up to {limit}), not `{value}`.",
        "bad_period_range": "A period ends after it starts; {since} to {until} does not.",
        "csat_not_resolved": "Swarm {number} is open again; rate it once it is resolved.",
        "bad_csat_score": "A rating is a whole number from 1 to 5, not {value}.",
    }
)
STATS_FOOTER = "`/swarm stats 7d` · `30d` · `90d` · `swarm stats --json` on the command line has every figure."
STATS_TOPICS = 5  # skill gaps and topics named on the card


def csat_question(crew: Crew) -> Reply:
    """The requester's one question after a resolve, with five buttons."""
    number = crew.swarm.number
    return Reply(
        f"How well was swarm {number} handled? Pick 1 (badly) to 5 (very well); one answer per swarm.",
        lines=(f"Swarm {number}: {_first_line(crew.swarm.case.text)}",),
        buttons=tuple(Button(str(score), CSAT, f"{number}:{score}") for score in range(1, 6)),
    )


def csat_noted(rated: Rated) -> Reply:
    number, score = rated.swarm.number, rated.answer.score
    if not rated.changed:
        return Reply(f"You already rated swarm {number} {score}/5; one answer per swarm, so that one stands.")
    return Reply(f"Thanks: swarm {number} rated {score}/5. `/swarm stats` shows how swarming is going.")


def stats_card(report: Report, period: str | None = None) -> Reply:
    """The headline figures of a report and how each moved against the period before (↑ ↓, or "same")."""
    length = _period_length(report.length)
    if period:
        title = f"Swarming in the last {length}, against the {length} before"
    else:
        last_day = report.until - timedelta(microseconds=1)
        title = f"Swarming from {report.since:%d %b %Y} to {last_day:%d %b %Y} (UTC), against the {length} before"
    t = report.trend
    resolved = _moved(t("resolved"), str)
    if report.deflected:
        resolved += f" ({report.deflected} by a known article)"
    replied = _durations(report, "first_expert_reply", "none yet")
    if report.no_expert_reply:
        replied += f" · {_swarms(report.no_expert_reply)} with no expert answer"
    assembled = _durations(report, "time_to_assemble", "none yet")
    if report.not_assembled:
        assembled += f" · {_swarms(report.not_assembled)} never had every skill"
    none = "no swarm resolved"
    fields = [
        ("Opened", _moved(t("opened"), str)),
        ("Resolved", resolved),
        ("Still open", _moved(t("open_at_end"), str)),
        ("Time to resolve", _durations(report, "time_to_resolve", none)),
        ("First expert reply", replied),
        ("Team assembled", assembled),
        ("Solved by a known article", _moved(t("deflection_rate"), _percent) if report.resolved else none),
        ("Known article linked", _moved(t("link_rate"), _percent, " of swarms opened") if report.opened else "—"),
        ("New vs known", f"{report.new} new · {report.known} known" if report.resolved else none),
        ("CSAT", _csat(report)),
        ("Right people first time", _moved(t("right_first_time"), _percent) if report.resolved else none),
        ("Helps", _helps(report)),
        ("Out of hours", _moved(t("out_of_hours"), _percent, " of joins and messages") if report.actions else "—"),
    ]
    if report.skill_gaps:
        gaps = [
            f"#{escape(g.skill)} ({g.swarms}{', nobody has it' if not g.people else ''})"
            for g in report.skill_gaps[:STATS_TOPICS]
        ]
        fields.append(("Skill gaps", " · ".join(gaps)))
    if report.topics:
        fields.append(
            ("Top topics", " · ".join(f"#{escape(x.tag)} ({x.swarms})" for x in report.topics[:STATS_TOPICS]))
        )
    return Reply(title, title=title, fields=tuple(fields), lines=(STATS_FOOTER,))


def _period_length(length: timedelta) -> str:
    if length % timedelta(days=1):
        return duration(length)
    return "day" if length.days == 1 else f"{length.days} days"


def _swarms(count: int) -> str:
    return f"{count} swarm" if count == 1 else f"{count} swarms"


def _percent(value: Figure) -> str:
    return f"{round(float(value) * 100)}%" if isinstance(value, int | float) else "—"


def _decimal(value: Figure) -> str:
    return f"{float(value):.2f}" if isinstance(value, int | float) else "—"


def _minutes(value: Figure) -> str:
    return duration(value) if isinstance(value, timedelta) else "—"


def _moved(trend: Trend, show: Callable[[Figure], str], unit: str = "") -> str:
    """The figure, then how it moved: `5 ↑ from 3`, `5 (same)`; `—` where there is no figure."""
    now = show(trend.current) + unit if trend.current is not None else "—"
    if trend.direction is None:
        return now
    if trend.direction == "same":
        return f"{now} (same)"
    return f"{now} {'↑' if trend.direction == 'up' else '↓'} from {show(trend.previous)}"


def _durations(report: Report, name: str, none: str) -> str:
    if report.figure(name) is None:
        return none
    text = f"median {_moved(report.trend(name), _minutes)}"
    if name == "time_to_resolve" and report.time_to_resolve.p90 is not None:
        text += f" · p90 {duration(report.time_to_resolve.p90)}"
    return text


def _csat(report: Report) -> str:
    if not report.csat.answers:
        return "no answers yet"

    def score(value: Figure) -> str:
        return f"{float(value):.1f}/5" if isinstance(value, int | float) else "—"

    answers = "1 answer" if report.csat.answers == 1 else f"{report.csat.answers} answers"
    return f"{_moved(report.trend('csat'), score)} ({answers})"


def _helps(report: Report) -> str:
    if not report.helps:
        return "nobody has helped on someone else's swarm"
    text = f"{_moved(report.trend('helps'), str)}, by {report.helpers} of {report.roster} people"
    if report.gini is not None:
        text += f" · how unevenly shared (0 = evenly) {_moved(report.trend('gini'), _decimal)}"
    return text


# -- forms and home -------------------------------------------------------------------------------------------------


def open_form(channel: str) -> Form:
    return Form(
        OPEN_FORM,
        "Open a swarm",
        (
            Field("case", "What is the case?", multiline=True, hint="In the customer's words: what fails, since when"),
            Field("customer", "Customer", optional=True),
            Field("product", "Product", optional=True),
            Field("version", "Version", optional=True),
            Field("severity", "Severity", value="sev3", choices=("sev1", "sev2", "sev3", "sev4")),
            Field("skills", "Skills needed", optional=True, hint="e.g. billing pdf"),
        ),
        submit="Open swarm",
        value=channel,
    )


def resolve_form(draft: Draft) -> Form:
    article = draft.article
    return Form(
        RESOLVE_FORM,
        f"Resolve swarm {draft.crew.swarm.number}",
        (
            Field("issue", "Issue", article.issue, multiline=True),
            Field("environment", "Environment", article.environment, optional=True),
            Field("resolution", "Resolution", article.resolution, multiline=True, hint="What fixed it, step by step"),
            Field("cause", "Cause", article.cause, multiline=True, optional=True),
        ),
        submit="Resolve",
        value=str(draft.crew.swarm.number),
    )


def skills_form(person: Person) -> Form:
    current = " ".join(f"{s}:{level}" for s, level in sorted(person.skills.items()))
    return Form(
        SKILLS_FORM,
        "Your skills",
        (Field("skills", "Skills and levels 1–5", current, optional=True, hint="e.g. billing:4 sso:3"),),
        submit="Save",
    )


def home(person: Person, crews: Sequence[Crew], now: datetime, platform: str) -> Reply:
    w = _Words(platform)
    swarms = [
        f"*{c.swarm.number}* {escape(c.swarm.case.text[:80])} · {case_line(c.swarm)} · {room_ref(c.swarm)}"
        for c in crews
    ] or ["You are in no open swarm."]
    skills = ", ".join(f"{s} {level}/5" for s, level in sorted(person.skills.items(), key=lambda i: (-i[1], i[0])))
    return Reply(
        "Swarm",
        title="Swarm",
        fields=(("Your skills", skills or "none yet"), ("Availability", availability(person, now))),
        lines=("*Your open swarms*", *swarms),
        buttons=(
            Button("Edit my skills", EDIT_SKILLS, ""),
            Button("Away until tomorrow", AWAY, "tomorrow"),
            Button("I'm back", BACK, ""),
        ),
        mentions=w.mentions,
    )


# -- history import -------------------------------------------------------------------------------------------------


def history_report(report: HistoryReport) -> list[str]:
    """`swarm history import`: the counts, then one line per rejected row."""
    added, known, rejected = len(report.added), len(report.skipped_existing), len(report.rejected)
    counts = f"{added} added, {known} already imported, {rejected} rejected"
    return [counts, *(f"line {r.line}: {_history_error(r.error)}" for r in report.rejected)]


def history_interrupted(err: HistoryInterrupted) -> list[str]:
    """Saving one case failed on our side: what was imported stays, and running the import again carries on."""
    cause = str(err.__cause__ or "").strip().splitlines()
    reason = f" ({cause[0][:200]})" if cause else ""
    return [
        *history_report(err.report),
        f"line {err.line}: could not be saved{reason}, so the import stopped there. "
        "The cases before it are imported; run the same import again to carry on.",
    ]


def _history_error(err: UserError) -> str:
    return _sentence(err, HISTORY_ERRORS)


HISTORY_ERRORS = {
    "history_missing_case_id": "a case_id is required",
    "history_missing_text": "case {case_id} needs a title or a description",
    "history_missing_resolver": "case {case_id} needs a resolver_email: who resolved it",
    "history_bad_email": "{value} in {field} is not an e-mail address",
    "history_missing_date": "case {case_id} needs {field} (an ISO date such as 2025-03-14T09:30)",
    "history_bad_date": "{field} {value} is not an ISO date; write it like 2025-03-14 or 2025-03-14T09:30:00Z",
    "history_dates_reversed": "case {case_id} is resolved ({value}) before it was opened ({opened_at})",
    "history_future_date": "case {case_id} is resolved in the future ({value}); only past cases can be imported",
    "history_missing_resolution": "case {case_id} needs a resolution: what fixed it",
}


# -- curation -------------------------------------------------------------------------------------------------------


def curated(result: Curated, action: str) -> Reply:
    return Reply(f"Article {result.article.number} is {action}: {escape(result.article.title)}.")


def redacted(result: Curated, platform: str) -> Reply:
    """To the owner of the article's swarm: what validation took out, and a way to put it back."""
    w = _Words(platform)
    items = ", ".join(f"`{escape(item)}`" for item in result.redacted)
    return Reply(
        f"{w.who(result.by)} validated article {result.article.number}. Before it left draft I took out "
        f"{len(result.redacted)} private detail{'s' if len(result.redacted) != 1 else ''}: {items}.",
        buttons=(Button("Put them back", UNREDACT, str(result.article.number)),),
        mentions=w.mentions,
    )


def history(result: ArticleHistory, now: datetime) -> Reply:
    lines = [
        f"{v.version}. {escape(v.note)} — {escape(p.name) if p else 'Swarm'}, {ago(now - v.at)} ({v.state.value})"
        for v, p in result.versions
    ]
    title = f"Article {result.article.number}: {escape(result.article.title)}"
    return Reply(title, title=title, lines=tuple(lines or ["No versions recorded."]))


def flagged(result: Curated, platform: str) -> Reply:
    w = _Words(platform)
    return Reply(
        f"{w.who(result.by)} flagged {article_line(result.article)}: “{escape(result.comment)}”. "
        f"Fix it with `/swarm kb edit {result.article.number} resolution: …`, or archive it if it is wrong.",
        mentions=w.mentions,
    )


def edit_form(article: Article) -> Form:
    return Form(
        EDIT_ARTICLE_FORM,
        f"Edit article {article.number}",
        (
            Field("title", "Title", article.title),
            Field("issue", "Issue", article.issue, multiline=True),
            Field("environment", "Environment", article.environment, optional=True),
            Field("resolution", "Resolution", article.resolution, multiline=True),
            Field("cause", "Cause", article.cause, multiline=True, optional=True),
        ),
        submit="Save",
        value=str(article.number),
    )


# -- knowledge base files (`swarm kb export` / `swarm kb import`) ----------------------------------------------------


def kb_exported(count: int, folder: str) -> str:
    return f"{count} article{'s' if count != 1 else ''} written to {folder}"


def kb_import_report(report: KbImportReport) -> list[str]:
    """`swarm kb import`: the counts, then a line per renumbered article and per file that was not imported."""
    counts = (
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
        f"{len(report.rejected)} rejected"
    )
    lines = [counts]
    lines += [
        f"{name}: article {old} here has another title, so this one is article {new}"
        for name, old, new in report.renumbered
    ]
    lines += [f"{name}: {_kb_file_error(err)}" for name, err in report.rejected]
    return lines


def _kb_file_error(err: UserError) -> str:
    return _sentence(err, KB_FILE_ERRORS)


KB_FILE_ERRORS = {
    "kb_file_no_front_matter": "no front matter: the file must start with a `---` line, the fields, and `---`",
    "kb_file_bad_yaml": "the front matter is not valid YAML ({where}: {problem})",
    "kb_file_missing_title": "a title is needed (`title:` in the front matter, or a `# Title` line)",
    "kb_file_bad_field": "{field} should be a list of names or a line of text, not {value}",
    "kb_file_bad_number": "{field} must be a whole number of at least {least}, not {value}",
    "kb_file_bad_state": "state {value} is not one of draft, validated, archived or wip",
    "kb_file_bad_date": "{field} {value} is not an ISO date such as 2026-03-02T09:14:00+00:00",
    "kb_file_too_long": "the file is {length} characters; an article file can have at most {limit}",
    "kb_file_unreadable": "it cannot be read as UTF-8 text",
}


# -- Digests and alerts (issue 7) -----------------------------------------------------------------------------------

DIGEST_OFF = "`/swarm digest off` stops mentioning you in these posts · `/swarm digest off everyone` stops them."
DIGEST_LINES = 15  # swarms, articles or thank-yous listed per part of a digest; the rest are counted


class _DigestWords(_Words):
    """Names people who turned digests off for themselves without a mention, so they are not notified."""

    def who(self, person: Person) -> str:
        if person.digest_off:
            return f"*{escape(person.name)}*"
        return super().who(person)


def daily_digest(daily: Daily, platform: str) -> Reply:
    """The daily digest: open swarms, most urgent and oldest first; yesterday's resolved swarms and who helped."""
    w = _DigestWords(platform)
    title = f"Swarm daily digest · {daily.today:%a %d %b}"
    lines: list[str] = []
    if daily.open:
        lines.append(f"*Open swarms ({len(daily.open)})*, most urgent first:")
        lines += [_open_swarm_line(crew, daily.now, w) for crew in daily.open[:DIGEST_LINES]]
        lines += _and_more(len(daily.open), "`/swarm list` shows them all")
    else:
        lines.append("No swarm is open.")
    if daily.resolved:
        lines.append(f"*Resolved yesterday ({len(daily.resolved)})*:")
        lines += [_resolved_line(file) for file in daily.resolved[:DIGEST_LINES]]
        lines += _and_more(len(daily.resolved), "`/swarm kb <words>` finds their articles")
    if daily.experts:
        lines.append(f"Thanks for helping: {w.people(list(daily.experts))}.")
    lines.append(DIGEST_OFF)
    return Reply(title, title=title, lines=tuple(lines), mentions=w.mentions)


def _open_swarm_line(crew: Crew, now: datetime, w: _Words) -> str:
    swarm = crew.swarm
    waiting = _no_expert_reply(crew)
    return (
        f"*{swarm.number}* {escape(swarm.case.text[:80])} · {case_line(swarm)} · "
        f"open {duration(now - (swarm.created_at or now))} · owner {w.who(crew.owner)}{waiting} · {room_ref(swarm)}"
    )


def _no_expert_reply(crew: Crew) -> str:
    """Why no expert has replied, as docs/analytics.md defines the first expert reply: none was asked (and which of
    the case's skills nobody in it covers), or those asked have not answered."""
    if crew.swarm.first_expert_reply_at is not None:
        return ""
    if crew.experts_asked():
        return " · no expert has replied yet"
    gaps = uncovered_skills(crew)
    return " · no expert was asked" + (", no one in it covers " + " ".join(f"#{s}" for s in gaps) if gaps else "")


def _resolved_line(file: SwarmFile) -> str:
    swarm = file.swarm
    line = f"*{swarm.number}* {escape(swarm.case.text[:80])} · {case_line(swarm)}"
    if swarm.created_at is not None and swarm.resolved_at is not None:
        line += f" · resolved after {duration(swarm.resolved_at - swarm.created_at)}"
    if file.by_reuse and file.linked:
        return line + " · solved by " + ", ".join(_kb_ref(a) for a in file.linked)
    own = file.article
    if own is not None and own.state in (ArticleState.DRAFT, ArticleState.VALIDATED):
        line += f" · {_kb_ref(own)}"
    else:
        line += " · no article written"
    if file.linked:
        line += " · reused " + ", ".join(f"article {a.number}" for a in file.linked)
    return line


def _kb_ref(article: Article) -> str:
    return f"{article_line(article)}: `/swarm kb {article.number}`"


def _and_more(count: int, how: str) -> list[str]:
    return [f"…and {count - DIGEST_LINES} more: {how}."] if count > DIGEST_LINES else []


def weekly_digest(weekly: Weekly, platform: str) -> Reply:
    """The week in numbers, and thanks to the people whose knowledge was reused or whom teammates thanked."""
    w = _DigestWords(platform)
    title = f"Swarming last week · {weekly.start:%a %d %b} – {weekly.end:%a %d %b}"
    resolve = duration(weekly.median_time_to_resolve) if weekly.median_time_to_resolve is not None else "—"
    reply = duration(weekly.median_first_reply) if weekly.median_first_reply is not None else "no expert replied"
    reused = f"{weekly.reuses} time{'s' if weekly.reuses != 1 else ''}"
    if weekly.deflections:
        reused += f", {weekly.deflections} case{'s' if weekly.deflections != 1 else ''} solved by a known article alone"
    fields = (
        ("Swarms opened", str(weekly.opened)),
        ("Swarms resolved", str(weekly.resolved)),
        ("Median time to resolve", resolve),
        ("Median time to the first expert reply", reply),
        ("Known fixes reused", reused),
    )
    lines: list[str] = []
    if weekly.credits:
        lines.append("*Your knowledge helped again*")
        for credit in weekly.credits[:DIGEST_LINES]:
            names = [w.who(p) for p in credit.people] + [f"*{escape(n)}*" for n in credit.names]
            thanks = f" Thanks {', '.join(names)}." if names else ""
            lines.append(f"{_kb_ref(credit.article)}, reused {credit.times}× last week.{thanks}")
        lines += _and_more(len(weekly.credits), "`/swarm kb <words>` finds them")
    if weekly.thanks:
        lines.append("*Thank-yous*")
        for said in weekly.thanks[:DIGEST_LINES]:
            reason = f" for {escape(said.reason)}" if said.reason else ""
            where = f" (swarm {said.swarm})" if said.swarm is not None else ""
            lines.append(f"*{escape(said.giver.name)}* thanked {w.who(said.receiver)}{reason}{where}.")
        lines += _and_more(len(weekly.thanks), "`/swarm thanks @person` adds yours")
    lines.append(DIGEST_OFF)
    return Reply(title, title=title, fields=fields, lines=tuple(lines), mentions=w.mentions)


def recurring_alert(alert: Alert) -> Reply:
    """One alert per recurring issue, for R&D: where it happened, to whom, and who worked on it."""
    count = len(alert.occurrences)
    title = f"Recurring issue: {count} alike cases in the last {alert.days} days"
    fields: list[tuple[str, str]] = []
    if alert.swarms:
        fields.append(("Swarms", ", ".join(f"{s.number} ({room_ref(s)})" for s in alert.swarms)))
    if alert.articles:
        fields.append(("Articles", ", ".join(f"`/swarm kb {n}`" for n in alert.articles)))
    fields.append(("Customers", ", ".join(escape(c) for c in alert.customers) or "none named"))
    fields.append(("Teams involved", ", ".join(escape(t) for t in alert.teams) or "none known"))
    if alert.tags:
        fields.append(("Tags", " ".join(f"#{t}" for t in alert.tags)))
    lines = (
        f"First seen as “{escape(alert.title[:120])}”. Fixing the cause would spare the next customer.",
        "I post this once per issue, however many more cases join it.",
        DIGEST_OFF,
    )
    return Reply(title, title=title, fields=tuple(fields), lines=lines)


# -- tickets --------------------------------------------------------------------------------------------------------
# The notes Swarm writes on a ticket (always internal: agents read them, the customer never does). Plain text: a
# ticket system shows it as it is, so no chat markup and no mentions.


def ticket_unread(swarm: Swarm) -> Reply:
    """Told to whoever opened a swarm from a ticket its system did not answer for."""
    ticket = swarm.ticket
    name = SYSTEM_NAMES.get(ticket.system, ticket.system) if ticket else "The ticket system"
    key = ticket.key if ticket else "the ticket"
    return Reply(
        f"{name} did not answer, so swarm {swarm.number} opened from what you typed. It is linked to {key}: its "
        f"notes will reach the ticket when {name} is back."
    )


def _page(web_url: str, path: str) -> str:
    return f" {web_url}{path}" if web_url else ""


def ticket_opened(opened: Opened, platform: str, web_url: str = "") -> str:
    swarm = opened.crew.swarm
    lines = [f"Swarm {swarm.number} is working on this ticket; {opened.crew.owner.name} owns it."]
    where = {"slack": "Slack", "teams": "Microsoft Teams"}.get(platform, platform)
    lines.append(f"Room: #{swarm.room_name or swarm.number} in {where}.{_page(web_url, f'/swarms/{swarm.number}')}")
    lines.append(f"Severity: sev{swarm.case.severity}.")
    experts = [f"- {_expert(m)}" for m in opened.ranking.matches]
    lines += ["Experts asked:", *experts] if experts else ["Experts asked: nobody matched yet."]
    # What the knowledge base already says, where the agent works: the answer may be here before anyone joins.
    known = [
        f"- Knowledge article {hit.article.number}: {hit.article.title} ({hit.article.state.value})"
        f"{_page(web_url, f'/kb/{hit.article.number}')}"
        for hit in opened.similar
    ]
    lines += ["Maybe already answered:", *known] if known else []
    return "\n".join(lines)


def _expert(match: Match) -> str:
    return f"{match.person.name} ({' · '.join(match.reasons)})" if match.reasons else match.person.name


def ticket_resolved(result: Resolved, web_url: str = "") -> str:
    swarm, article = result.crew.swarm, result.article
    lines = [f"Swarm {swarm.number} resolved this after {duration(result.duration)} (owner {result.crew.owner.name})."]
    fix = article.resolution.strip() or (swarm.resolution or "").strip() or "not written down"
    # A fix of several lines (the messages marked with ✅ are a list) starts on a line of its own.
    lines.append(f"Fix:\n{fix}" if "\n" in fix or fix.startswith("- ") else f"Fix: {fix}")
    if article.cause.strip():
        lines.append(f"Cause: {article.cause.strip()}")
    lines.append(f"Knowledge article {article.number}: {article.title}.{_page(web_url, f'/kb/{article.number}')}")
    return "\n".join(lines)


def ticket_reused(result: Reused, by: Person, web_url: str = "") -> str:
    swarm, article = result.crew.swarm, result.article
    return (
        f"Swarm {swarm.number} resolved this with a known fix, knowledge article {article.number}: {article.title} "
        f"(marked by {by.name}).{_page(web_url, f'/kb/{article.number}')}"
    )


def ticket_cancelled(crew: Crew, by: Person) -> str:
    reason = f": {crew.swarm.cancel_reason}" if crew.swarm.cancel_reason else "."
    return f"Swarm {crew.swarm.number} was cancelled by {by.name}{reason}"


def ticket_done(crew: Crew, platform: str, resolved: bool = False) -> Reply:
    """Told in the room when the swarm's ticket was solved or closed in its system, not by the swarm: resolved with
    the fix someone marked, or its owner asked."""
    w = _Words(platform)
    swarm, ticket = crew.swarm, crew.swarm.ticket
    assert ticket is not None
    name = SYSTEM_NAMES.get(ticket.system, ticket.system)
    done = f"Ticket {ticket.key} was marked {escape(ticket.status or 'done')} in {name}"
    if resolved:
        return Reply(f"{done}: swarm {swarm.number} is resolved with the fix marked in this room.")
    return Reply(
        f"{done}. {w.who(crew.owner)}, if the case is fixed, `/swarm resolve {swarm.number}` with what fixed it keeps "
        "the fix for the next agent; if not, carry on and tell the ticket's agent.",
        mentions=w.mentions,
    )


def ticket_priority(crew: Crew, priority: str) -> Reply:
    """Told in the room when the ticket's priority changed in its system and the swarm's severity followed."""
    swarm, ticket = crew.swarm, crew.swarm.ticket
    assert ticket is not None
    name = SYSTEM_NAMES.get(ticket.system, ticket.system)
    return Reply(
        f"Ticket {ticket.key} is now {escape(priority.strip().lower())} priority in {name}: swarm {swarm.number} is "
        f"sev{swarm.case.severity} now."
    )


CUSTOMER_WORDS = 1500  # of a customer's comment said in the room; the ticket has all of it


def customer_replied(crew: Crew, words: str) -> Reply:
    """The customer's new public comment on the swarm's ticket, said in the room."""
    ticket = crew.swarm.ticket
    key = f" on {ticket.key}" if ticket else ""
    return Reply(f"Customer replied{key}: {escape(_shortened(words, CUSTOMER_WORDS))}")
