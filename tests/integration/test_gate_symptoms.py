"""The guard marks a cough on the key console (a real pseudo-terminal): the next scan carries it,
central refers the person to the medical duty room and opens the fever incident (issue 11, item 9)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from central.models.incidents import FeverIncident
from central.models.journal import EntryEvent, FeverAlert
from tests.gate_agent.conftest import wait_until
from tests.integration.test_gate_console import gate_on_terminal

GATE = "symptom-gate"


def test_a_cough_marked_on_the_key_console_opens_an_incident(central, broker, passes, tmp_path: Path) -> None:
    resident = next(p for p in passes if p.role == "resident" and p.campus_code == "wucheng")
    with gate_on_terminal(central, broker, resident, tmp_path, GATE) as (proc, screen):
        assert screen.wait_for("guard console"), screen.text[-2000:]
        screen.type("t36.7\r")
        assert screen.wait_for("36.7 °C / next scan uses 36.7 °C")
        screen.type("c")
        assert screen.wait_for("1. 咳嗽 Cough")
        screen.type("1")
        assert screen.wait_for("next scan marked: Cough")
        screen.type("s" + resident.token + "\r")
        assert screen.wait_for("咳嗽等症状，暂停通行"), screen.text[-2000:]  # central's answer

        def logged() -> list[EntryEvent]:
            with Session(central.engine) as s:
                return list(s.exec(select(EntryEvent).where(EntryEvent.gate_id == GATE)))

        assert wait_until(lambda: len(logged()) == 1, 5)
        [row] = logged()
        assert (row.verdict, row.reason, row.celsius) == ("deny", "symptoms", 36.7)
        with Session(central.engine) as s:
            alert = s.exec(select(FeverAlert).where(FeverAlert.event_id == row.event_id)).one()
            incident = s.exec(select(FeverIncident).where(FeverIncident.event_id == row.event_id)).one()
        assert (alert.symptoms, incident.symptoms, incident.state) == ("cough", "cough", "open")
        screen.type("q")
        assert proc.wait(15) == 0
