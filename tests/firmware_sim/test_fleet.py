"""The fleet simulator: many gates on one loop against a real broker and a real seeded central."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlmodel import Session, select

from campusgate.fleet_plan import plan_from_settings
from central.models.journal import GateOutage
from firmware_sim.fleet import MAX_RATE, MAX_VISITORS, FleetOptions, run_fleet, visitors_needed
from firmware_sim.fleet_mix import EXPECTED, MixError, forge, parse_mix
from gatecore.reasons import Reason
from gatecore.tokens import TokenError, parse_token
from tests.gate_agent.conftest import wait_until
from tests.integration.conftest import seeded_central

GATES = 50
# rarer kinds weigh more than in the default mix, so that a short run shows each of them
MIX = "resident=35,second=15,staff=10,fever=10,visitor=15,forged=15"


def test_a_fleet_gets_every_scan_answered_as_its_mix_expects(broker, tmp_path: Path) -> None:
    central = seeded_central(broker.port, tmp_path)
    # three fresh visitor passes only: the later visitor scans show passes already used
    plan = plan_from_settings(
        gates=GATES, visitors=3, database_url=central.settings.database_url, data_dir=tmp_path
    )
    assert len({gate for gate, _ in plan.gates}) == GATES
    central.start()
    try:
        baseline = threading.active_count()
        options = FleetOptions(
            gates=GATES,
            rate=1.0,
            duration=6.0,
            port=broker.port,
            mix=parse_mix(MIX),
            seed=7,
            timeout=30.0,
            status_every=2.0,
        )
        report = run_fleet(plan, options)
        # every gate's heartbeat reached central's gate states (stored in batches, off paho's thread),
        # and at the end each gate signed off as stopped: online, then an outage caused by the stop
        fleet_gates = {gate for gate, _ in plan.gates[:GATES]}
        assert report.statuses >= GATES

        def stopped() -> set[str]:
            with Session(central.engine) as s:
                rows = s.exec(select(GateOutage.gate_id).where(GateOutage.cause == "stopped"))
                return set(rows) & fleet_gates

        assert wait_until(lambda: stopped() == fleet_gates, 10), fleet_gates - stopped()
    finally:
        central.stop()

    assert report.connected == GATES
    assert report.sent > 100
    assert report.answered == report.sent, "\n".join(report.lines())
    assert (report.timeouts, report.late, report.unmatched) == (0, 0, 0)
    assert not report.unexpected(), "\n".join(report.lines())
    kinds = {kind for kind, _, _ in report.kinds}
    assert kinds == set(EXPECTED), "\n".join(report.lines())
    assert report.reasons[Reason.TOKEN_BAD_SIGNATURE.value] == sum(
        n for (kind, _, _), n in report.kinds.items() if kind == "forged"
    )
    assert report.reasons[Reason.FEVER.value] == sum(
        n for (kind, _, _), n in report.kinds.items() if kind == "fever"
    )
    assert sum(report.verdicts.values()) == report.answered == len(report.latencies_ms)
    # one loop drives every gate: no thread per gate
    assert report.max_threads <= baseline + 1


def test_a_forged_code_keeps_its_form_and_fails_its_signature(broker, tmp_path: Path) -> None:
    central = seeded_central(broker.port, tmp_path)
    try:
        plan = plan_from_settings(
            gates=3, visitors=0, database_url=central.settings.database_url, data_dir=tmp_path
        )
        keys = central.keyring.public_keys()
    finally:
        central.stop()
    genuine = next(iter(plan.campuses.values())).households[0][0]
    parse_token(genuine, keys)
    with pytest.raises(TokenError) as refused:
        parse_token(forge(genuine), keys)
    assert refused.value.reason is Reason.TOKEN_BAD_SIGNATURE


@pytest.mark.parametrize(
    "text, message",
    [
        ("resident=1,ghost=2", "KIND one of"),
        ("resident=many", "not a number"),
        ("resident=-1", "not negative"),
        ("resident=nan", "a weight must be a finite number"),
        ("resident=1,fever=inf", "a weight must be a finite number"),
        ("resident=0,fever=0", "add up to nothing"),
        ("resident", "KIND=WEIGHT"),
    ],
)
def test_a_bad_mix_is_refused_saying_why(text: str, message: str) -> None:
    with pytest.raises(MixError, match=message):
        parse_mix(text)


def test_a_mix_left_out_means_the_default_and_kinds_left_out_weigh_nothing() -> None:
    assert parse_mix(None)["resident"] > 0
    assert parse_mix("fever=1") == {"fever": 1.0}


def test_fleet_links_come_back_and_subscribe_again_after_a_broker_restart(own_broker) -> None:
    import asyncio

    from transport.mqtt import LinkOptions
    from transport.mqtt_aio import AioHub

    received: list[str] = []

    async def main() -> None:
        hub = AioHub()
        links = [
            hub.client(f"restart-{n}", LinkOptions(port=own_broker.port), lambda t, p: received.append(t))
            for n in range(3)
        ]
        for n, link in enumerate(links):
            link.subscribe(f"gates/restart-{n}/decisions")
        assert await hub.connect_all(timeout=10) == 3
        own_broker.stop()
        own_broker.start()  # same port; a fresh broker that knows no subscription
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        # the loop was blocked while the broker restarted: each link notices the loss, then reconnects
        back = lambda: all(link.disconnects == 1 and link.ready.is_set() for link in links)  # noqa: E731
        while not back() and loop.time() < deadline:
            await asyncio.sleep(0.05)
        assert back(), [(link.disconnects, link.ready.is_set()) for link in links]
        links[0].publish("gates/restart-2/decisions", b"{}")
        while not received and loop.time() < deadline:
            await asyncio.sleep(0.05)
        await hub.close()

    asyncio.run(main())
    assert received == ["gates/restart-2/decisions"]


def test_the_command_prepares_the_gates_and_refuses_what_it_cannot_run(tmp_path: Path, capsys) -> None:
    from campusgate.cli import main
    from transport.broker import free_port

    where = ["--database-url", f"sqlite:///{tmp_path}/c.db", "--data-dir", str(tmp_path)]
    assert main(["sim", "fleet", "--gates", "4", "--prepare", *where]) == 0
    said = capsys.readouterr()
    assert "4 fleet gates registered (wucheng-fleet-0001" in said.out
    # it writes there: it says where, as every command does
    assert (
        f"campusgate: data directory {tmp_path} (CAMPUSGATE_DATA_DIR); database sqlite:///{tmp_path}/c.db"
        in said.err
    )
    nobody = f"127.0.0.1:{free_port()}"
    for args, reason in [
        (["--broker", "nohost"], "expected host:port"),
        (["--rate", "0"], "must be positive"),
        (["--rate", "nan"], "--rate must be positive and finite, not nan"),
        (["--duration", "inf"], "--duration must be positive and finite, not inf"),
        (["--timeout", "nan"], "--timeout must be positive and finite"),
        (["--status-every", "inf"], "--status-every must be 0"),
        (["--broker", "127.0.0.1:99999"], "expected host:port"),
        (["--mix", "ghost=1"], "KIND one of"),
        # finite, but the arrival times would stop advancing: the run would never end
        (["--rate", "1e30"], "--rate must be at most 1000 scans per second per gate, not 1e+30"),
        (["--rate", "1000", "--broker", nobody, "--duration", "1"], f"no MQTT connection to {nobody}"),
        (["--mix", "resident=NaN", "--broker", nobody], "'resident=NaN': a weight must be a finite number"),
        (["--broker", nobody, "--duration", "1"], f"no MQTT connection to {nobody}"),
    ]:
        assert main(["sim", "fleet", "--gates", "4", *args, *where]) == 2
        assert reason in capsys.readouterr().err


def test_more_gates_than_the_process_may_open_sockets_for_are_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    """One socket per gate: beyond the hard limit on open files the run would connect some gates and
    report the rest as never connected, saying nothing of why. It is refused, saying what to do."""
    import resource
    import subprocess
    import sys

    from transport.broker import free_port

    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (200, 200))

    exe = Path(sys.executable).with_name("campusgate")
    where = ["--database-url", f"sqlite:///{tmp_path}/c.db", "--data-dir", str(tmp_path)]
    done = subprocess.run(
        [str(exe), "sim", "fleet", "--gates", "400", "--broker", f"127.0.0.1:{free_port()}", *where],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=low_limit,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "refused: --gates 400 needs 656 open files; this process may open 200 (ulimit -Hn)" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "c.db").exists()  # refused before the gates were registered


def test_the_visitor_passes_a_run_makes_are_capped_however_large_its_numbers() -> None:
    huge = FleetOptions(gates=10**6, rate=MAX_RATE, duration=1e308, port=1)
    assert visitors_needed(huge) == MAX_VISITORS
    assert visitors_needed(FleetOptions(gates=10, rate=1.0, duration=10.0, port=1)) == 20  # 100 scans, 8 %


def test_a_run_with_no_answers_reports_no_latency_rather_than_zero() -> None:
    from firmware_sim.fleet_report import FleetReport

    silent = FleetReport(gates=2, timeout_s=5.0, connected=2, sent=10, timeouts=10)
    line = next(x for x in silent.lines() if x.startswith("scan -> decision latency"))
    assert line == "scan -> decision latency: none measured (no answer in time)"
    silent.record("resident", "allow", "ok", 3.25, at=1.0)
    line = next(x for x in silent.lines() if x.startswith("scan -> decision latency"))
    assert "p50 3.2 ms" in line and "max 3.2 ms" in line
