"""The roster: people, lookups and skills."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.models import (
    Case,
    Member,
    Person,
    Role,
    Swarm,
    SwarmStatus,
    Via,
    WorkingHours,
    Workspace,
)
from storage.database import SqlStore

AddPerson = Callable[..., Awaitable[Person]]
NOW = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)


async def test_a_person_comes_back_as_added(store: SqlStore, workspace: Workspace) -> None:
    ana = Person(
        workspace_id=workspace.id,
        name="Ana Ruiz",
        email="ana@example.com",
        slack_id="U01ANA",
        teams_id="5f1c-ana",
        department="R&D",
        timezone="Europe/Madrid",
        working_hours=WorkingHours(time(9), time(17, 30)),
        skills={"billing": 5, "postgres": 4, "sso": 1},
        learning=["kubernetes", "façade"],
        max_active_swarms=2,
        away_until=NOW,
    )
    async with store.unit() as uow:
        added = await uow.people.add(ana)
        await uow.commit()
    assert added is ana and ana.id is not None
    async with store.unit() as uow:
        assert await uow.people.get(ana.id) == ana
        assert await uow.people.get(ana.id + 1000) is None


async def test_a_person_with_only_a_name_gets_the_defaults(add_person: AddPerson, store: SqlStore) -> None:
    bo = await add_person("Bo")
    async with store.unit() as uow:
        loaded = await uow.people.get(bo.id or 0)
    assert loaded == Person(workspace_id=bo.workspace_id, name="Bo", id=bo.id)


@pytest.mark.parametrize(
    "who",
    [
        "ana@example.com",
        "ANA@Example.COM",
        "U01ANA",
        "@U01ANA",
        "u01ana",
        "5F1C-ANA",
        "Ana Ruiz",
        "@ana ruiz",
        " ana ruiz ",
    ],
)
async def test_find_by_email_chat_id_or_name(add_person: AddPerson, store: SqlStore, who: str) -> None:
    await add_person("Bo", email="bo@example.com")
    ana = await add_person("Ana Ruiz", email="ana@example.com", slack_id="U01ANA", teams_id="5f1c-ana")
    async with store.unit() as uow:
        found = await uow.people.find(ana.workspace_id, who)
    assert found is not None and found.id == ana.id


@pytest.mark.parametrize("who", ["", "@", "   ", "ana", "nobody@example.com"])
async def test_find_nobody(add_person: AddPerson, store: SqlStore, who: str) -> None:
    ana = await add_person("Ana Ruiz", email="ana@example.com")
    async with store.unit() as uow:
        assert await uow.people.find(ana.workspace_id, who) is None


async def test_find_folds_case_beyond_ascii(add_person: AddPerson, store: SqlStore) -> None:
    angel = await add_person("Ángel Ñúñez", email="ÁNGEL@example.com")
    async with store.unit() as uow:
        by_name = await uow.people.find(angel.workspace_id, "ángel ñÚñez")
        by_email = await uow.people.by_email(angel.workspace_id, "ángel@EXAMPLE.com")
    assert by_name is not None and by_name.id == angel.id
    assert by_email is not None and by_email.id == angel.id


async def test_find_prefers_an_identifier_to_a_namesake(add_person: AddPerson, store: SqlStore) -> None:
    await add_person("U02BO")
    bo = await add_person("Bo", slack_id="U02BO")
    async with store.unit() as uow:
        found = await uow.people.find(bo.workspace_id, "@U02BO")
    assert found is not None and found.id == bo.id


async def test_lookups_stay_in_their_workspace(
    add_person: AddPerson, store: SqlStore, other_workspace: Workspace
) -> None:
    await add_person("Ana Ruiz", email="ana@example.com", slack_id="U01ANA", teams_id="ana-aad")
    async with store.unit() as uow:
        people = uow.people
        assert await people.find(other_workspace.id, "Ana Ruiz") is None
        assert await people.by_email(other_workspace.id, "ana@example.com") is None
        assert await people.by_chat_id(other_workspace.id, "slack", "U01ANA") is None
        assert await people.by_chat_id(other_workspace.id, "teams", "ana-aad") is None
        assert await people.list(other_workspace.id) == []
        assert await people.active_swarm_counts(other_workspace.id) == {}


async def test_by_chat_id_reads_the_id_of_each_platform(add_person: AddPerson, store: SqlStore) -> None:
    ana = await add_person("Ana", email="Ana@Example.com", slack_id="U01ANA", teams_id="29:ana")
    ws = ana.workspace_id
    async with store.unit() as uow:
        people = uow.people
        assert await people.by_chat_id(ws, "slack", "U01ANA") == ana
        assert await people.by_chat_id(ws, "teams", "29:ana") == ana
        assert await people.by_chat_id(ws, "console", "ana@example.com") == ana
        assert await people.by_chat_id(ws, "slack", "29:ana") is None
        assert await people.by_chat_id(ws, "teams", "U01ANA") is None
        assert await people.by_chat_id(ws, "console", "U01ANA") is None


async def test_by_chat_ids_reads_many_at_once_by_the_id_asked_for(add_person: AddPerson, store: SqlStore) -> None:
    ana = await add_person("Ana", email="ana@example.com", slack_id="U01ANA", teams_id="29:ana")
    bo = await add_person("Bo", email="bo@example.com", slack_id="U02BO")
    ws = ana.workspace_id
    async with store.unit() as uow:
        people = uow.people
        assert await people.by_chat_ids(ws, "slack", ["U01ANA", "U02BO", "U404", "29:ana"]) == {
            "U01ANA": ana,
            "U02BO": bo,
        }
        assert await people.by_chat_ids(ws, "teams", ["29:ana", "U02BO"]) == {"29:ana": ana}
        assert await people.by_chat_ids(ws, "console", ["bo@example.com", "nobody"]) == {"bo@example.com": bo}
        assert await people.by_chat_ids(ws, "slack", []) == {}


async def test_by_chat_id_finds_what_person_chat_id_hands_out(add_person: AddPerson, store: SqlStore) -> None:
    nameless = await add_person("Cy Console")
    mailed = await add_person("Di", email="di@example.com")
    async with store.unit() as uow:
        for person in (nameless, mailed):
            for platform in ("console", "slack", "teams"):
                chat_id = person.chat_id(platform)
                if chat_id is not None:
                    assert await uow.people.by_chat_id(person.workspace_id, platform, chat_id) == person
        # A name is only an identity for someone without an e-mail.
        assert await uow.people.by_chat_id(mailed.workspace_id, "console", "Di") is None


async def test_list_is_by_name_with_skills(
    add_person: AddPerson, store: SqlStore, workspace: Workspace, other_workspace: Workspace
) -> None:
    await add_person("carla", skills={"sso": 3})
    await add_person("Ana", skills={"billing": 5, "postgres": 2})
    await add_person("Bo")
    await add_person("Zed", workspace_id=other_workspace.id)
    async with store.unit() as uow:
        people = await uow.people.list(workspace.id)
    assert [(p.name, p.skills) for p in people] == [
        ("Ana", {"billing": 5, "postgres": 2}),
        ("Bo", {}),
        ("carla", {"sso": 3}),
    ]


async def test_save_writes_every_field_and_replaces_declared_skills(add_person: AddPerson, store: SqlStore) -> None:
    ana = await add_person("Ana", email="ana@example.com", skills={"billing": 5, "sso": 3}, learning=["k8s"])
    ana.name = "Ana Ruiz"
    ana.email = None
    ana.slack_id = "U01ANA"
    ana.working_hours = WorkingHours(time(22), time(6))
    ana.skills = {"billing": 4, "kafka": 2}
    ana.learning = []
    ana.max_active_swarms = 5
    ana.away_until = NOW
    async with store.unit() as uow:
        await uow.people.save(ana)
        await uow.commit()
    async with store.unit() as uow:
        assert await uow.people.get(ana.id or 0) == ana


async def test_save_keeps_inferred_skills(add_person: AddPerson, store: SqlStore) -> None:
    ana = await add_person("Ana", skills={"billing": 5})
    await _infer(store, ana, "sso", 3)
    await _infer(store, ana, "kafka", 2)
    await _infer(store, ana, "ldap", 1)
    async with store.unit() as uow:
        loaded = await uow.people.get(ana.id or 0)
    assert loaded is not None and loaded.skills == {"billing": 5, "sso": 3, "kafka": 2, "ldap": 1}

    # Dropped from the dict: billing (declared) goes, ldap (inferred) stays; kafka is restated, sso is re-levelled.
    loaded.skills = {"sso": 4, "kafka": 2}
    async with store.unit() as uow:
        await uow.people.save(loaded)
        await uow.commit()
    assert await _skill_rows(store, ana) == [
        ("kafka", 2, "inferred"),
        ("ldap", 1, "inferred"),
        ("sso", 4, "declared"),
    ]


@pytest.mark.parametrize("level", [0, 6, -1])
async def test_skill_levels_are_one_to_five(store: SqlStore, workspace: Workspace, level: int) -> None:
    async with store.unit() as uow:
        with pytest.raises(ValueError, match="1 to 5"):
            await uow.people.add(Person(workspace_id=workspace.id, name="Ana", skills={"billing": level}))


async def test_the_database_refuses_a_level_out_of_range(add_person: AddPerson, store: SqlStore) -> None:
    ana = await add_person("Ana", skills={"billing": 5})
    with pytest.raises(IntegrityError):
        async with store.engine.begin() as connection:
            await connection.execute(text("UPDATE person_skill SET level = 6 WHERE person_id = :p"), {"p": ana.id})


async def test_save_needs_an_added_person(store: SqlStore, workspace: Workspace) -> None:
    async with store.unit() as uow:
        with pytest.raises(ValueError):
            await uow.people.save(Person(workspace_id=workspace.id, name="Ana"))
        with pytest.raises(LookupError):
            await uow.people.save(Person(workspace_id=workspace.id, name="Ana", id=404))


async def test_an_email_belongs_to_one_person_per_workspace(
    add_person: AddPerson, store: SqlStore, other_workspace: Workspace
) -> None:
    await add_person("Ana", email="ana@example.com")
    await add_person("Ana elsewhere", email="ana@example.com", workspace_id=other_workspace.id)
    await add_person("No mail 1")
    await add_person("No mail 2")
    with pytest.raises(IntegrityError):
        await add_person("Ana again", email="ana@example.com")


async def test_active_swarm_counts(add_person: AddPerson, store: SqlStore, workspace: Workspace) -> None:
    ana, bo, cy, di = [await add_person(name) for name in ("Ana", "Bo", "Cy", "Di")]
    ids = {p.name: p.id or 0 for p in (ana, bo, cy, di)}
    async with store.unit() as uow:
        statuses = [
            SwarmStatus.OPENING,
            SwarmStatus.OPEN,
            SwarmStatus.OPEN,
            SwarmStatus.RESOLVED,
            SwarmStatus.CANCELLED,
        ]
        swarms = []
        for number, status in enumerate(statuses, start=1):
            swarm = Swarm(workspace.id, number, Case(f"case {number}"), ids["Ana"], "C01", status=status)
            swarms.append(await uow.swarms.add(swarm))

        async def member(
            swarm: Swarm, name: str, *, joined: bool = True, left: bool = False, declined: bool = False
        ) -> None:
            await uow.swarms.save_member(
                Member(
                    swarm_id=swarm.id or 0,
                    person_id=ids[name],
                    role=Role.HELPER,
                    via=Via.REACTION,
                    invited_at=NOW,
                    joined_at=NOW if joined else None,
                    left_at=NOW if left else None,
                    declined_at=NOW if declined else None,
                )
            )

        for swarm in swarms:  # Ana is in all five, two of them no longer active
            await member(swarm, "Ana")
        await member(swarms[0], "Bo")
        await member(swarms[1], "Bo", left=True)  # left
        await member(swarms[2], "Cy", joined=False)  # invited, not answered yet: that claims their time too
        await member(swarms[1], "Di", joined=False, declined=True)  # invited, said no
        await member(swarms[3], "Di")  # resolved swarm
        await uow.commit()
    async with store.unit() as uow:
        assert await uow.people.active_swarm_counts(workspace.id) == {ids["Ana"]: 3, ids["Bo"]: 1, ids["Cy"]: 1}


async def _infer(store: SqlStore, person: Person, skill: str, level: int) -> None:
    """What a future learning job would write; no port method writes inferred skills yet."""
    async with store.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO person_skill (workspace_id, person_id, skill, level, source, evidence) "
                "VALUES (:w, :p, :s, :l, 'inferred', 3)"
            ),
            {"w": person.workspace_id, "p": person.id, "s": skill, "l": level},
        )


async def _skill_rows(store: SqlStore, person: Person) -> list[tuple[str, int, str]]:
    async with store.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT skill, level, source FROM person_skill WHERE person_id = :p ORDER BY skill"),
            {"p": person.id},
        )
        return [(skill, level, source) for skill, level, source in rows]
