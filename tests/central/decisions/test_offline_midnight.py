"""A household day central claimed around local midnight is remembered by the gate on the day central
claimed it, so that the gate offline afterwards decides as central does (a campus in New York: the
household day follows its calendar, not Beijing's)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from central.models.db import session_scope
from central.office import registry
from gatecore.messages import DecisionMessage, ScanEvent
from gatecore.reasons import Reason
from tests.central.conftest import World
from tests.central.decisions.gates import central_days, offline_gate

MIDNIGHT = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 2026-11-24 00:00 in New York (EST)


@pytest.mark.parametrize(
    ("gate_clock", "received"),
    [
        (timedelta(seconds=-0.3), timedelta(seconds=0.2)),  # scanned at 23:59:59.7, received after midnight
        (timedelta(minutes=-2), timedelta(seconds=30)),  # a gate clock two minutes behind
        (timedelta(minutes=1), timedelta(seconds=-30)),  # a gate clock a minute ahead
    ],
)
def test_the_gate_remembers_the_day_central_claimed(
    world: World, tmp_path: Path, gate_clock: timedelta, received: timedelta
) -> None:
    with session_scope(world.engine) as s:
        current = registry.latest_policy(s, world.campus_id)
        registry.save_policy(s, dataclasses.replace(current, timezone="America/New_York"))
    gate = offline_gate(world, tmp_path, MIDNIGHT - timedelta(minutes=5))
    topic, payload = world.scan("zhang", at=MIDNIGHT + gate_clock)
    answer = DecisionMessage.from_json(world.service.handle(topic, payload, MIDNIGHT + received)[0].payload)
    assert answer.open
    gate.remember_online_allow(ScanEvent.from_json(payload), answer)
    claimed = "2026-11-24" if received > timedelta(0) else "2026-11-23"
    assert central_days(world) == {(world.household_id, claimed, world.people["zhang"])}
    # the network drops; li comes ten minutes after midnight (on both clocks)
    later = MIDNIGHT + timedelta(minutes=10)
    topic, payload = world.scan("li", at=later)
    offline = gate.decide(ScanEvent.from_json(payload))
    online = DecisionMessage.from_json(world.service.handle(topic, payload, later)[0].payload)
    expected = Reason.HOUSEHOLD_DAY_USED if claimed == "2026-11-24" else Reason.OK
    assert (offline.reason, online.reason) == (expected, expected)
