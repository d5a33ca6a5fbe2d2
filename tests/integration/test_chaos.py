"""Chaos under load, bounded in time: a real Mosquitto, central and one of three gate agents are
killed with SIGKILL again and again while the gates scan. Afterwards, by event id, every scan a gate
accepted is in the entry log exactly once, every decision a gate acted on is there as it acted
(central's verdict for an online decision, the gate's own verdict, once, for an offline one), the
hash chain verifies and every outbox is empty."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, or_, select

from central.app import build_central, run_central
from central.audit.chain import verify
from central.demo.passes import demo_passes
from central.demo.seed import local_today, seed_demo
from central.models.db import make_engine
from central.models.journal import EntryEvent
from central.models.registry import Gate
from central.settings import CentralSettings
from tests.gate_agent.conftest import wait_until
from tests.integration import chaos_gate
from transport.broker import MosquittoBroker, free_port

pytestmark = pytest.mark.skipif(not MosquittoBroker.available(), reason="needs the mosquitto binary")

GATES = ("chaos-a", "chaos-b", "chaos-c")
VICTIM = "chaos-c"  # the gate agent that is killed


def _child(log: Path, target: Callable[[], object]) -> None:
    # a forked child: everything is imported already, so it starts at once even on a busy machine
    logging.root.handlers[:] = [logging.FileHandler(log)]
    logging.root.setLevel(logging.WARNING)
    target()


class Processes:
    """Central and the gate agents as forked child processes that can be killed and started again."""

    def __init__(self, tmp_path: Path, settings: CentralSettings) -> None:
        self.tmp, self.settings = tmp_path, settings
        self.procs: dict[str, BaseProcess] = {}
        self.fork = multiprocessing.get_context("fork")

    def _spawn(self, name: str, target: Callable[[], object]) -> None:
        proc = self.fork.Process(
            target=_child, args=(self.tmp / f"{name}.log", target), name=name, daemon=True
        )
        proc.start()
        self.procs[name] = proc

    def central(self) -> None:
        self._spawn("central", lambda: run_central(self.settings, api=False))

    def gate(self, gate: str) -> None:
        args = [
            gate,
            str(self.settings.mqtt_port),
            str(self.tmp / gate),
            str(self.journal(gate)),
            str(self.tmp / "tokens.json"),
            str(self.tmp / "stop"),
        ]
        self._spawn(gate, lambda: chaos_gate.main(args))

    def journal(self, gate: str) -> Path:
        return self.tmp / f"{gate}.journal"

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)

    def end(self) -> None:
        for name in list(self.procs):
            self.kill(name)


def _records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:  # the last line of a killed gate may be cut short
            pass
    return out


def _outbox_depth(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


def test_every_accepted_scan_and_acted_decision_is_logged_once(tmp_path: Path) -> None:
    broker = MosquittoBroker(port=free_port(), workdir=tmp_path / "mosq").start()
    settings = CentralSettings(
        database_url=f"sqlite:///{tmp_path}/central.db", mqtt_port=broker.port, data_dir=tmp_path
    )
    seeding = build_central(settings, api=False, worker=False)
    with Session(seeding.engine) as s:
        seed_demo(s, seeding.keyring, local_today(datetime.now(UTC)))
        s.commit()
        passes = demo_passes(s, seeding.keyring, campus_code="wucheng")
        campus_id = s.exec(select(Gate.campus_id).where(Gate.gate_id == passes[0].gate_ids[0])).one()
        for gate in GATES:
            s.add(Gate(gate_id=gate, campus_id=campus_id, name_zh=gate, name_en=gate, open=True))
        s.commit()
    seeding.engine.dispose()
    (tmp_path / "tokens.json").write_text(json.dumps([p.token for p in passes]))

    procs = Processes(tmp_path, settings)
    kills: Counter[str] = Counter()
    try:
        procs.central()
        for gate in GATES:
            procs.gate(gate)
        ready = lambda: all(any("ready" in r for r in _records(procs.journal(g))) for g in GATES)  # noqa: E731
        assert wait_until(ready, 30, 0.1), "the gates did not start"

        def accepted() -> int:
            return sum(1 for g in GATES for r in _records(procs.journal(g)) if "accepted" in r)

        def under_load(seconds: float) -> None:
            # let the gates scan, and make sure they do: a stalled driver would prove nothing
            before = accepted()
            time.sleep(seconds)
            assert accepted() > before, "no scans accepted in a whole phase"

        broker.wait_persisted()
        for _ in range(2):
            under_load(2.0)
            broker.kill()  # a crash: only what it saved (every second) survives
            kills["broker"] += 1
            time.sleep(1.0)
            broker.start()
            under_load(2.0)
            procs.kill("central")  # mid-batch, mid-transaction
            kills["central"] += 1
            procs.central()
            under_load(2.0)
            procs.kill(VICTIM)
            kills["agent"] += 1
            time.sleep(0.5)
            procs.gate(VICTIM)
        under_load(2.0)
        (tmp_path / "stop").touch()

        engine = make_engine(settings.database_url)
        wanted = {r["accepted"] for g in GATES for r in _records(procs.journal(g)) if "accepted" in r}

        def drained() -> bool:
            if any(_outbox_depth(tmp_path / g / "gate.sqlite") for g in GATES):
                return False
            with Session(engine) as s:
                logged = set(s.exec(select(EntryEvent.event_id).where(col(EntryEvent.gate_id).in_(GATES))))
            return wanted <= logged

        if not wait_until(drained, 25, 0.25):
            with Session(engine) as s:
                logged = set(s.exec(select(EntryEvent.event_id).where(col(EntryEvent.gate_id).in_(GATES))))
            depths = {g: _outbox_depth(tmp_path / g / "gate.sqlite") for g in GATES}
            pytest.fail(
                f"outboxes {depths}, {len(wanted - logged)} of {len(wanted)} accepted scans not logged"
            )
        procs.end()

        journals = {g: _records(procs.journal(g)) for g in GATES}
        accepted_ids = [r["accepted"] for rs in journals.values() for r in rs if "accepted" in r]
        shown = [r for rs in journals.values() for r in rs if "shown" in r]
        with Session(engine) as s:
            rows = list(s.exec(select(EntryEvent).where(col(EntryEvent.gate_id).in_(GATES))))
            chain = verify(s)
            offline_rows = list(
                s.exec(
                    select(EntryEvent).where(
                        col(EntryEvent.gate_id).in_(GATES),
                        or_(
                            col(EntryEvent.offline_verdict).is_not(None),
                            EntryEvent.kind == "offline_reconcile",
                        ),
                    )
                )
            )
        assert chain.ok, chain
        decisions = Counter(r.event_id for r in rows if r.kind == "decision")
        assert len(accepted_ids) == len(set(accepted_ids))
        assert [e for e in accepted_ids if decisions[e] != 1] == []  # every accepted scan exactly once
        by_id = {r.event_id: r for r in rows if r.kind == "decision"}
        offline_of: dict[str, list[str]] = {}
        for r in offline_rows:
            if r.offline_verdict is not None:
                offline_of.setdefault(r.of_event or r.event_id, []).append(r.offline_verdict)
        wrong = []
        for view in shown:
            event_id, verdict = view["shown"], view["verdict"]
            if view[
                "offline"
            ]:  # the gate's own verdict, recorded once: on the decision or in a reconciliation
                if offline_of.get(event_id) != [verdict]:
                    wrong.append((event_id, "offline", verdict, offline_of.get(event_id)))
            elif by_id[event_id].verdict != verdict:
                wrong.append((event_id, "online", verdict, by_id[event_id].verdict))
        assert wrong == []
        assert sum(kills.values()) == 6
        assert any(v["offline"] for v in shown), "the outages never forced an offline decision"
        assert len(shown) > 100, f"too little load: {len(shown)} decisions shown"
    finally:
        (tmp_path / "stop").touch()
        procs.end()
        broker.stop()
