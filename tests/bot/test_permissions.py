import re
from pathlib import Path

from bot.models import Person, RosterRole
from bot.permissions import RULES, Action, Party, Standing, leads_of, may, table

ROOT = Path(__file__).resolve().parents[2]


def test_docs_permissions_holds_the_table_the_rules_declare() -> None:
    page = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- permissions: start -->\n(.*?)<!-- permissions: end -->", page, re.S)
    assert found is not None
    assert found.group(1) == "\n".join(table()) + "\n", "docs/permissions.md is out of date: paste permissions.table()"
    assert len(table()) == len(RULES) + 2


def test_a_lead_may_act_on_any_swarm_an_agent_only_on_their_own() -> None:
    agent = Person(1, "Ana")
    lead = Person(1, "Rahul", role=RosterRole.LEAD)
    assert not may(Action.CANCEL, Standing(agent, member=True))
    assert may(Action.CANCEL, Standing(agent, owner=True))
    assert may(Action.CANCEL, Standing(lead))
    assert may(Action.WORKSPACE_SWITCH, Standing(lead))
    assert not may(Action.WORKSPACE_SWITCH, Standing(agent, owner=True))
    assert not may(Action.MARK_FIX, Standing(agent))
    assert may(Action.MARK_FIX, Standing(agent, member=True))
    assert may(Action.PROPOSE_RESOLVE, Standing(agent, member=True))
    assert not may(Action.RESOLVE, Standing(agent, member=True))


def test_every_action_is_open_to_someone_and_anyone_only_where_nothing_is_at_stake() -> None:
    assert all(rule.who for rule in RULES.values())
    open_to_all = {action for action, rule in RULES.items() if Party.ANYONE in rule.who}
    assert open_to_all == {Action.OPEN, Action.JOIN, Action.SEARCH, Action.TALK}


def test_a_refusal_names_leads_first_and_at_most_two() -> None:
    people = [
        Person(1, "Zoe", role=RosterRole.ADMIN),
        Person(1, "Ana"),
        Person(1, "Rahul", role=RosterRole.LEAD),
        Person(1, "Bea", role=RosterRole.ADMIN),
    ]
    assert leads_of(people) == ["Rahul", "Bea"]
