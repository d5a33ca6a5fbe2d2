"""The guard's key console on a real pseudo-terminal, against an offline agent: what the guard types
that central would refuse (a NUL from Ctrl-@, an explanation too long for a message) is refused at
the keyboard, saying so, and never enters the outbox, where it would stay forever unshown. A verdict
leaves the console after the gate screen's seconds; a symptom mark waits through a code that names
nobody, is shown while it waits, and can be withdrawn."""

from __future__ import annotations

import io
import os
import select
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware_sim.relay import RecordingRelay
from gate_agent.agent import GateAgent
from gate_agent.bootstrap import build_agent
from gate_agent.console import GuardConsole
from gate_agent.devices.display import measure_line
from gate_agent.errors import GateError
from gate_agent.ledger import ConfigStore
from gate_agent.words import IDLE, MEASURE
from gatecore.messages import Temperature
from gatecore.thermoline import SensorStatus
from tests.gate_agent.conftest import gate_id, gate_settings, make_config, make_pass, wait_until


class Terminal(io.StringIO):
    """The console's output, kept whole so a test can wait for a phrase."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def write(self, s: str) -> int:
        with self.lock:
            return super().write(s)

    def wait_for(self, needle: str, timeout: float = 5.0) -> bool:
        return wait_until(lambda: needle in self.getvalue(), timeout)

    def screen(self) -> str:
        """What the terminal shows now: everything since the last clear."""
        return self.getvalue().rpartition("\033[2J")[2]


@pytest.fixture
def console(tmp_path: Path, signing_key: Ed25519PrivateKey) -> Iterator[tuple[GateAgent, Terminal, int]]:
    settings = gate_settings(tmp_path, gate_id(), decision_timeout_s=0.2, screen_verdict_s=1.5)
    ConfigStore(settings.database_path).save(make_config(signing_key, settings.gate_id).to_json())
    out = Terminal()
    master, slave = os.openpty()
    guard = GuardConsole(slave, out, guard="north-post-1", verdict_s=settings.screen_verdict_s)
    agent = build_agent(settings, display=guard, relay=RecordingRelay())
    agent.start()
    stop = threading.Event()
    keys = threading.Thread(target=guard.run, args=(agent, stop), daemon=True)
    keys.start()
    # keys typed before the console takes the terminal one key at a time are flushed (as a guard's
    # would be): the test types once it has
    assert wait_until(lambda: not termios.tcgetattr(slave)[3] & termios.ICANON)
    yield agent, out, master
    stop.set()
    keys.join(5)
    agent.stop()
    os.close(master)
    os.close(slave)


def _type(master: int, keys: str) -> None:
    for ch in keys:
        os.write(master, ch.encode())
        time.sleep(0.005)
    while select.select([master], [], [], 0)[0]:  # no echo is expected; drain anything anyway
        os.read(master, 1024)


def test_an_override_central_would_refuse_is_refused_at_the_keyboard(
    console: tuple[GateAgent, Terminal, int], signing_key: Ed25519PrivateKey
) -> None:
    agent, out, master = console
    agent.submit_scan(make_pass(signing_key, pass_id=5), Temperature(None, SensorStatus.MISSING))
    assert out.wait_for("请重新测温")
    depth = agent.outbox.depth()
    _type(master, "d4")  # deny, "other": the guard explains
    assert out.wait_for("说明 Explain: ")
    _type(master, "phoned\x00office\r")
    refused = "未能提交：说明中有无法发送的字符或过长，请重新输入 not submitted: the explanation holds"
    assert out.wait_for(refused)
    assert "NUL" not in out.screen() and "field" not in out.screen()  # no exception text for the guard
    _type(master, "x")  # any other key clears the note
    assert wait_until(lambda: refused not in out.screen())
    _type(master, "d4" + "很长的说明" * 600 + "\r")  # a pasted essay: over the message size
    assert wait_until(lambda: refused in out.screen())
    assert "8192" not in out.screen()
    assert agent.outbox.depth() == depth  # nothing stored that would never drain
    _type(master, "d4phoned the office\r")  # the guard tries again, in words central takes
    assert out.wait_for("override submitted")
    assert wait_until(lambda: agent.last_event is not None and agent.last_event.override is not None)
    assert agent.last_event is not None and agent.last_event.override is not None
    assert agent.last_event.override.reason == "其他 / other: phoned the office"
    assert out.wait_for("值守人员禁止通行")  # the override decided offline and shown
    # no sequence number was spent on what was refused: central sees no gap
    assert [e.seq for e in agent.outbox.pending()] == [1, 2]


def test_the_agent_refuses_an_override_without_words(
    console: tuple[GateAgent, Terminal, int], signing_key: Ed25519PrivateKey
) -> None:
    agent, out, _ = console
    agent.submit_scan(make_pass(signing_key, pass_id=6), Temperature(36.5, SensorStatus.OK))
    assert wait_until(lambda: agent.last_event is not None)
    assert agent.last_event is not None
    with pytest.raises(GateError, match="an override needs a reason"):
        agent.submit_override(agent.last_event, allow=True, reason="  ", guard="g")
    assert agent.outbox.depth() == 1  # the scan alone


def test_a_verdict_leaves_the_console_after_the_screens_seconds(
    console: tuple[GateAgent, Terminal, int], signing_key: Ed25519PrivateKey
) -> None:
    agent, out, _ = console
    agent.submit_scan(make_pass(signing_key, pass_id=7), Temperature(None, SensorStatus.MISSING))
    assert wait_until(lambda: "请重新测温" in out.screen())
    shown = time.monotonic()
    # no key pressed: the console withdraws it by itself, as the gate screen does (screen_verdict_s)
    assert wait_until(lambda: "请重新测温" not in out.screen(), 5)
    assert time.monotonic() - shown >= 1.0
    assert f"{IDLE[0]} {IDLE[1]}" in out.screen()


def test_the_request_to_measure_gives_way_to_the_verdict_or_to_its_seconds(
    console: tuple[GateAgent, Terminal, int], signing_key: Ed25519PrivateKey
) -> None:
    agent, out, _ = console
    agent.submit_scan(make_pass(signing_key, pass_id=8, household=8), Temperature(36.5, SensorStatus.OK))
    assert wait_until(lambda: "准予通行" in out.screen())
    agent.display.ask_to_measure(1.0)  # the gate waits for the next person's reading
    assert wait_until(lambda: measure_line() in out.screen())
    assert "准予通行" not in out.screen()  # the last person's verdict is not theirs
    assert MEASURE[0] in out.screen() and MEASURE[1] in out.screen()
    assert wait_until(lambda: measure_line() not in out.screen(), 5)  # no reading, no decision: it leaves
    assert f"{IDLE[0]} {IDLE[1]}" in out.screen()
    agent.display.ask_to_measure(60)
    assert wait_until(lambda: measure_line() in out.screen())
    agent.submit_scan(make_pass(signing_key, pass_id=9, household=9), Temperature(36.6, SensorStatus.OK))
    assert wait_until(lambda: "准予通行" in out.screen())  # the decision replaces it
    assert measure_line() not in out.screen()


def test_a_symptom_mark_waits_for_a_pass_and_can_be_withdrawn(
    console: tuple[GateAgent, Terminal, int], signing_key: Ed25519PrivateKey
) -> None:
    agent, out, master = console
    _type(master, "c1")
    assert wait_until(lambda: "next scan marked: Cough" in out.screen())
    _type(master, "shttps://weixin.qq.com/g/health\r")  # a WeChat health code typed in: nobody
    assert wait_until(lambda: "不是本校出入证" in out.screen())
    assert agent.last_event is not None and agent.last_event.symptoms == ()
    assert "next scan marked: Cough" in out.screen()  # still waiting, and shown so
    _type(master, "c")
    assert out.wait_for("0. 撤销标记 withdraw the mark")
    _type(master, "0")
    assert wait_until(lambda: "symptom mark withdrawn" in out.screen())
    assert agent.symptoms.waiting() == () and "next scan marked" not in out.screen()

    _type(master, "c2")  # marked again, and used by the pass
    assert wait_until(lambda: "next scan marked: Other symptoms" in out.screen())
    agent.submit_scan(make_pass(signing_key, pass_id=8), Temperature(36.6, SensorStatus.OK))
    assert wait_until(lambda: "咳嗽等症状，暂停通行" in out.screen())
    assert agent.last_event is not None and agent.last_event.symptoms == ("other",)
    assert "next scan marked" not in out.screen()
    _type(master, "c")  # nothing waits: nothing to withdraw
    assert out.wait_for("choose a symptom")
    assert "撤销标记" not in out.screen()
    _type(master, "\x1b")


def test_a_typed_temperature_is_shown_while_it_waits_and_can_be_withdrawn(
    console: tuple[GateAgent, Terminal, int], signing_key: Ed25519PrivateKey
) -> None:
    agent, out, master = console
    _type(master, "t38.5\r")  # typed for a person who then turns away
    assert wait_until(lambda: "next scan uses 38.5 °C" in out.screen())
    _type(master, "t")
    assert out.wait_for("0 撤销")
    _type(master, "0\r")
    assert wait_until(lambda: "typed temperature withdrawn" in out.screen())
    assert "38.5" not in out.screen()
    # the next person is not refused with a stranger's fever
    agent.submit_scan(make_pass(signing_key, pass_id=9))
    assert wait_until(lambda: agent.last_event is not None)
    assert agent.last_event is not None and agent.last_event.temperature.celsius is None

    _type(master, "t36.6\r")  # typed again, and taken by the next pass: no longer "next scan uses"
    assert wait_until(lambda: "next scan uses 36.6 °C" in out.screen())
    agent.submit_scan(make_pass(signing_key, pass_id=10))
    assert wait_until(lambda: agent.last_event is not None and agent.last_event.temperature.celsius == 36.6)
    assert wait_until(lambda: "next scan uses" not in out.screen())
    _type(master, "s" + make_pass(signing_key, pass_id=12) + "\r")
    assert wait_until(lambda: "已提交 submitted" in out.screen())
    # the note too leaves with the verdict: "submitted" would be read as about the next person
    assert wait_until(lambda: "submitted" not in out.screen(), 5)
    assert wait_until(lambda: f"{IDLE[0]} {IDLE[1]}" in out.screen(), 5)  # the verdict's seconds over
    assert "36.6" not in out.screen()  # nothing on the console says a reading still waits


def test_an_override_names_the_decision_it_changes(
    console: tuple[GateAgent, Terminal, int], signing_key: Ed25519PrivateKey
) -> None:
    agent, out, master = console
    agent.submit_scan(make_pass(signing_key, pass_id=11), Temperature(None, SensorStatus.MISSING))
    assert wait_until(lambda: "未测到体温" in out.screen())
    assert agent.last_event is not None
    at = f"{agent.last_event.gate_time.astimezone(agent.offline.zone):%H:%M:%S}"  # campus time
    assert wait_until(lambda: f"{IDLE[0]} {IDLE[1]}" in out.screen(), 5)  # the verdict has gone
    _type(master, "a")  # minutes later, for whoever stands there now: whose decision is this?
    assert wait_until(lambda: "choose a reason" in out.screen())
    assert f"更改 {at} 的判定：未测到体温，请重新测温" in out.screen()
    assert f"changes the decision at {at}: No temperature reading: measure again" in out.screen()
    _type(master, "\x1b")


def test_a_byte_that_reads_as_a_superscript_digit_cancels_a_menu_and_the_console_goes_on(
    console: tuple[GateAgent, Terminal, int], signing_key: Ed25519PrivateKey
) -> None:
    """A key sending the byte 0xB2 (a Latin-1 keypad, a stray byte on the line) is "²": a digit to
    str.isdigit() but not to int(), and the ValueError ended the guard's console."""
    agent, out, master = console
    agent.submit_scan(make_pass(signing_key, pass_id=5), Temperature(None, SensorStatus.MISSING))
    assert out.wait_for("请重新测温")  # a decision to override
    for menu, byte in (("c", b"\xb2"), ("c", b"\xb9"), ("d", b"\xb3")):
        _type(master, menu)
        os.write(master, byte)
        assert wait_until(lambda: "cancelled" in out.screen()), out.screen()
        _type(master, "x")  # any other key clears the note
        assert wait_until(lambda: "cancelled" not in out.screen())
    _type(master, "c1")  # the console still takes keys
    assert wait_until(lambda: "next scan marked: Cough" in out.screen())
    assert agent.symptoms.waiting() == ("cough",)
