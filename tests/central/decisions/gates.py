"""An offline gate fed exactly the config central publishes, for tests that compare the two deciders."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import select

from central.models.db import session_scope
from central.models.journal import HouseholdDay
from central.office.registry import gate_config
from gate_agent.ledger import ConfigStore, LocalLedger
from gate_agent.offline import OfflineDecider
from gatecore.messages import GateConfig
from tests.central.conftest import World


def published_config(world: World, now: datetime) -> bytes:
    """The retained config payload central would publish for the world's gate."""
    with session_scope(world.engine) as s:
        config = gate_config(s, world.gate_id, world.keyring.public_keys_b64(), now)
    assert config is not None
    return config.to_json()


def offline_gate(world: World, tmp_path: Path, now: datetime) -> OfflineDecider:
    """A gate's offline decider that has received central's config (through its wire form)."""
    path = tmp_path / f"gate-{world.gate_id}.db"
    decider = OfflineDecider(ConfigStore(path), LocalLedger(path))
    payload = published_config(world, now)
    decider.update(GateConfig.from_json(payload), payload)
    return decider


def central_days(world: World) -> set[tuple[int, str, int]]:
    """Central's household-day ledger as (household, local date, person)."""
    with session_scope(world.engine) as s:
        rows = s.exec(select(HouseholdDay)).all()
    return {(r.household_id, r.local_date.isoformat(), r.person_id) for r in rows}
