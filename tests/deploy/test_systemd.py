"""deploy/systemd/: the units pass systemd-analyze verify, and every setting they or the example
env files name is one the programs know."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from central.settings import CentralSettings
from gate_agent.settings import GateSettings
from tests.deploy.deployed import DEPLOY

SYSTEMD = DEPLOY / "systemd"
UNITS = sorted(SYSTEMD.glob("*.service"))


def _names(text: str, prefix: str) -> set[str]:
    return {m.lower() for m in re.findall(rf"\b{prefix}([A-Z0-9_]+)=", text)}


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    for unit in UNITS:
        text = unit.read_text().replace("/opt/campusgate/.venv/bin/campusgate", "/bin/true")
        text = re.sub(r"^EnvironmentFile=/", "EnvironmentFile=-/", text, flags=re.M)  # not on this machine
        name = unit.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    complaints = [line for line in done.stderr.splitlines() if str(tmp_path) in line]
    assert done.returncode == 0 and complaints == [], done.stderr


def test_central_units_and_env_name_only_central_settings() -> None:
    known = set(CentralSettings.model_fields)
    for path in [*SYSTEMD.glob("campusgate-central-*.service"), SYSTEMD / "central.env.example"]:
        assert _names(path.read_text(), "CAMPUSGATE_") <= known, path.name


def test_gate_env_names_only_gate_settings() -> None:
    names = _names((SYSTEMD / "gate.env.example").read_text(), "CAMPUSGATE_GATE_")
    names |= _names((SYSTEMD / "campusgate-gate.service").read_text(), "CAMPUSGATE_GATE_")
    assert names and names <= set(GateSettings.model_fields)


def test_no_unit_reads_a_password_from_its_environment_file() -> None:
    for path in SYSTEMD.iterdir():
        assert not re.search(r"PASSWORD=(?!%d/)", path.read_text()), path.name


def test_a_command_run_with_the_env_file_finds_the_services_data_directory() -> None:
    # operations.md runs `campusgate audit verify`, `backup`, `keys rotate` with central.env alone
    env = dict(
        re.findall(r"^(CAMPUSGATE_[A-Z_]+)=(.*)$", (SYSTEMD / "central.env.example").read_text(), re.M)
    )
    for unit in SYSTEMD.glob("campusgate-central-*.service"):
        (data_dir,) = re.findall(r"^Environment=CAMPUSGATE_DATA_DIR=(.*)$", unit.read_text(), re.M)
        assert env.get("CAMPUSGATE_DATA_DIR") == data_dir, unit.name


def test_the_gate_unit_may_open_the_devices_its_example_env_names() -> None:
    unit = (SYSTEMD / "campusgate-gate.service").read_text()
    groups = set(re.findall(r"^Group=(\S+)", unit, re.M))
    for line in re.findall(r"^SupplementaryGroups=(.*)$", unit, re.M):
        groups |= set(line.split())
    env = dict(
        re.findall(r"^(CAMPUSGATE_GATE_[A-Z_]+)=(.*)$", (SYSTEMD / "gate.env.example").read_text(), re.M)
    )
    if env["CAMPUSGATE_GATE_SERIAL_PORT"].startswith("/dev/tty"):
        assert "dialout" in groups  # Debian's serial devices: root:dialout 0660
    if env["CAMPUSGATE_GATE_CAMERA"].isdigit():
        assert "video" in groups  # a camera by index is /dev/videoN: root:video 0660
