"""The newcomer's command: `campusgate demo` seeds, starts gates, prints decisions, exits cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session

from central.models.db import make_engine
from central.models.users import Role
from central.office.users import authenticate


def test_demo_runs_visits_and_stops(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("campusgate")
    proc = subprocess.run(
        [str(exe), "demo", "--visits", "6", "--interval", "0", "--once"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "NO_COLOR": "1", "CAMPUSGATE_DATA_DIR": str(tmp_path / "data")},
    )
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "390 households" in out
    assert "REST API: http://127.0.0.1:" in out
    assert "/console/" in out and "security/security-demo" in out
    decisions = [line for line in out.splitlines() if line.startswith("[")]
    assert len(decisions) == 6, out
    assert any("✔ 通行 ALLOW" in line for line in decisions)
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
