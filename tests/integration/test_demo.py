"""The newcomer's command: `campusgate demo` seeds, starts gates, prints decisions, exits cleanly —
and, written to a file or a pipe, its output is plain text a newcomer can read: no colour codes, no
false alarms at start or stop, and each decision with the guard's next step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session

from central.models.db import make_engine
from central.models.users import Role
from central.office.users import authenticate
from gatecore.reasons import Reason


def test_demo_runs_visits_and_stops(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("campusgate")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}  # a pipe alone must mean no colour
    proc = subprocess.run(
        [str(exe), "demo", "--visits", "6", "--interval", "0", "--once"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env={**env, "CAMPUSGATE_DATA_DIR": str(tmp_path / "data")},
    )
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "\x1b" not in out + proc.stderr
    assert "camera_no_signal" not in proc.stderr  # the cameras run before the gates judge them
    gates = out.split("simulated gates: ")[1].split("   ")[0].split(", ")
    assert len(gates) == 6
    assert "went offline" not in proc.stderr  # an orderly stop is no outage
    lines = (out + proc.stderr).splitlines()
    for gate in gates:  # at most one line about each gate stopping
        assert len([line for line in lines if gate in line and "stop" in line]) <= 1
    assert "stopped 6 gates, central and the broker" in out
    assert "390 households" in out
    assert "REST API: http://127.0.0.1:" in out
    assert "/console/" in out and "security/security-demo" in out
    decisions = [line for line in out.splitlines() if line.startswith("[")]
    assert len(decisions) == 6, out
    assert any("✔ 通行 ALLOW" in line for line in decisions)
    for line in decisions:  # the reason's own next step from the catalogue, Chinese first
        arrival = line.split("(", 1)[1].split(")", 1)[0]  # who stepped up, in both languages
        assert any("\u4e00" <= ch <= "\u9fff" for ch in arrival) and any(ch.isascii() for ch in arrival), line
        [info] = [r.info for r in Reason if f" {r.info.zh} / {r.info.en} " in line]
        assert line.endswith(f"下一步 Next: {info.action_zh} / {info.action_en}"), line
    assert "stopping" in out
    db = tmp_path / "data" / "campusgate.db"  # the data directory every command uses and prints
    assert f"data directory {tmp_path / 'data'}" in proc.stderr
    with Session(make_engine(f"sqlite:///{db}")) as session:  # the printed logins work
        user = authenticate(session, "security", "security-demo")
        assert user is not None and user.may(Role.SECURITY)
    verified = subprocess.run(  # the audit command finds the demo's database (and its checkpoints)
        [str(exe), "audit", "verify"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CAMPUSGATE_DATA_DIR": str(tmp_path / "data")},
    )
    assert verified.returncode == 0, verified.stderr
    assert "entry log chain intact" in verified.stdout


def test_odd_demo_numbers_are_refused_before_anything_starts(tmp_path: Path) -> None:
    """An infinite interval overflowed the clock (a traceback after the whole demo had started), and a
    negative count or NaN ran a demo that made nothing; each is one line and exit 2, nothing made."""
    exe = Path(sys.executable).with_name("campusgate")
    data = tmp_path / "data"
    for args, says in (
        (["--interval", "inf"], "--interval (inf) between 0 and 86400 seconds"),
        (["--interval", "1e30"], "--interval (1e+30) between 0 and 86400 seconds"),
        (["--interval", "nan"], "--interval (nan)"),
        (["--interval", "-1"], "--interval (-1)"),
        (["--visits", "-5"], "--visits (-5) must be at least 0"),
    ):
        done = subprocess.run(
            [str(exe), "demo", "--once", *args],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "CAMPUSGATE_DATA_DIR": str(data)},
        )
        assert done.returncode == 2 and says in done.stderr, (args, done.stderr[-500:])
        assert "Traceback" not in done.stderr and not data.exists()
