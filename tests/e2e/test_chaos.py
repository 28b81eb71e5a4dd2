"""Chaos under load, the short run CI does (issue 17); `make chaos` is the long one.

Traffic on every channel while each of the five services is killed with SIGKILL (and started
again by the supervisor), the broker restarts empty and PostgreSQL restarts; poison is put on
intake's topic. Afterwards every accepted request is in every read model exactly once, nothing
refused shows, no consumer is stuck and the dead-letter topic holds only the poison.
`HOTRO_CHAOS_SEED` replays another schedule; `pytest -s` prints the figures.
"""

from __future__ import annotations

import os

import pytest

from tests.support.infra import Infra
from tools.chaos.faults import BROKER, KILL, POSTGRES
from tools.chaos.figures import report, schedule_text
from tools.chaos.ledger import ACCEPTED, CHANNELS, REFUSED
from tools.chaos.run import CHAOS_ENV, ChaosConfig, chaos
from tools.suite import SERVICES, Suite

SHORT = ChaosConfig(
    seed=int(os.environ.get("HOTRO_CHAOS_SEED", "17")),
    duration_s=30,
    kills=len(SERVICES),
    broker_restarts=1,
    postgres_restarts=1,
    poison=3,
    grace_s=45,
    settle_timeout_s=120,
)


@pytest.fixture(scope="module")
def suite_env() -> dict[str, str]:
    return dict(CHAOS_ENV)


def test_under_chaos_every_accepted_request_is_in_every_read_model_exactly_once(
    suite: Suite, infra: Infra
) -> None:
    result = chaos(suite, SHORT, admin_url=infra.admin_url, restart_broker=infra.restart_broker)
    print("\n" + schedule_text(result) + "\n" + report(result))

    done = [fault.kind for fault in result.faults.done]
    assert (done.count(KILL), done.count(BROKER), done.count(POSTGRES)) == (len(SERVICES), 1, 1)
    assert set(result.faults.kills) == set(SERVICES), "each service is killed once"
    counts = result.ledger.counts()
    idle = [c for c in CHANNELS if c != "invalid" and counts[c][ACCEPTED] == 0]
    assert not idle, f"no request accepted on {idle}: the load did not reach every channel"
    assert counts["invalid"][REFUSED] > 0 and counts["invalid"][ACCEPTED] == 0
    assert len(result.poison.injected) == SHORT.poison
    assert result.settle_s is not None, "the read models did not settle in time"
    assert result.problems == []
