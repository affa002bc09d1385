"""The scheduler's jobs in Teams: every tenant Swarm has heard from, and only those, reached proactively."""

from __future__ import annotations

from adapters.scheduler import Runner
from tests.adapters.teams.conftest import TENANT, TeamsScenario
from tests.harness import Clock

CASE = "ACME tax totals round wrong #tax sev2"


async def test_the_tick_job_runs_in_each_tenant_heard_from_and_no_other_workspace(teams: TeamsScenario) -> None:
    await teams.message(CASE, user="ana")
    room = teams.room(1)
    # Workspaces of the same database that are not Teams tenants: the console's, a Slack team's.
    async with teams.app.store.unit() as uow:
        await uow.workspaces.ensure("console")
        await uow.workspaces.ensure("T0001")
        await uow.commit()
    assert await teams.mount.workspaces() == [TENANT]
    clock = teams.app.core.clock
    assert isinstance(clock, Clock)
    clock.advance(minutes=16)

    done = await Runner([teams.mount]).run("tick")
    assert (done.ran, done.failed) == ([TENANT], [])
    assert teams.said(room)[-1].startswith("<at>Dana Cohen</at> did not answer in time for swarm 1.")
