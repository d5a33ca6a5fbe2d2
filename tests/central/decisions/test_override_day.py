"""A guard's override admits a person online or offline: either way the household day is taken,
by the one rule in gatecore.policy (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from central.office.keys import KeyRing
from gatecore.messages import DecisionMessage, OfflineDecision, Override, ScanEvent
from gatecore.reasons import Reason, Verdict
from tests.central.conftest import NOW, World, build_world
from tests.central.decisions.gates import central_days, offline_gate

DAY = "2026-11-23"


def _answer(world: World, topic: str, payload: bytes) -> DecisionMessage:
    out = world.service.handle(topic, payload, NOW + timedelta(milliseconds=40))
    return DecisionMessage.from_json(out[0].payload)


def _override(world: World, celsius: float = 36.6) -> tuple[str, bytes]:
    first = world.scan("zhang", celsius=celsius)
    of = ScanEvent.from_json(first[1]).event_id
    return world.scan(
        "zhang", at=NOW + timedelta(seconds=30), override=Override(of, "guard-7", Verdict.ALLOW, "急诊")
    )


def test_override_online_and_offline_leave_the_same_household_day(
    any_engine: Engine, keyring: KeyRing, tmp_path: Path
) -> None:
    online = build_world(any_engine, keyring, gate_id="ovr-online")
    offline = build_world(any_engine, keyring, gate_id="ovr-offline")
    # online: a remeasure (no reading) overridden by the guard
    topic, payload = _override(online, celsius=None)  # type: ignore[arg-type]
    assert _answer(online, topic, payload).reason is Reason.OK_OVERRIDE
    # offline: the gate decides the same override on its own, then central reconciles it
    gate = offline_gate(offline, tmp_path, NOW)
    topic, payload = _override(offline, celsius=None)  # type: ignore[arg-type]
    local = gate.decide(ScanEvent.from_json(payload))
    assert (local.verdict, local.reason) == (Verdict.ALLOW, Reason.OK_OVERRIDE)
    event = ScanEvent.from_json(payload)
    reconciled = offline.scan(
        "zhang",
        at=event.gate_time,
        eid=event.event_id,
        override=event.override,
        celsius=None,
        offline=OfflineDecision(local.verdict, local.reason, local.policy_version),
    )
    assert _answer(offline, *reconciled).verdict is Verdict.ALLOW
    days = central_days(online) | set()
    assert (online.household_id, DAY, online.people["zhang"]) in days
    assert (offline.household_id, DAY, offline.people["zhang"]) in days
    assert len(days) == 2  # one day each, held by the overridden person
    # the gate's own ledger agrees: the next member is refused offline as online
    li_offline = gate.decide(ScanEvent.from_json(offline.scan("li", at=NOW + timedelta(minutes=5))[1]))
    li_online = _answer(online, *online.scan("li", at=NOW + timedelta(minutes=5)))
    assert li_offline.reason is li_online.reason is Reason.HOUSEHOLD_DAY_USED


def test_override_deny_takes_no_day(any_engine: Engine, keyring: KeyRing) -> None:
    world = build_world(any_engine, keyring, gate_id="ovr-deny")
    of = ScanEvent.from_json(world.scan("zhang")[1]).event_id
    scan = world.scan("zhang", override=Override(of, "guard-7", Verdict.DENY, "证件可疑"))
    assert _answer(world, *scan).reason is Reason.OVERRIDE_DENY
    assert central_days(world) == set()
