"""deploy/Dockerfile without a Docker engine: its stages and user, and that the packages it copies,
with only the [central] extra, run central (no gate code, no OpenCV)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.deploy.deployed import DEPLOY

ROOT = DEPLOY.parent
TEXT = (DEPLOY / "Dockerfile").read_text()
# only the gate extra brings these; central must start without them
GATE_ONLY = ["cv2", "serial", "pyzbar", "zxingcpp", "numpy"]


def _instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", TEXT)
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in (raw.strip() for raw in joined.splitlines())
        if line and not line.startswith("#")
    ]


def _final_stage() -> list[tuple[str, str]]:
    steps = _instructions()
    last_from = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return steps[last_from:]


def test_multi_stage_non_root_with_a_healthcheck() -> None:
    steps = _instructions()
    assert sum(op == "FROM" for op, _ in steps) >= 2
    final = _final_stage()
    users = [arg for op, arg in final if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any(op == "HEALTHCHECK" and "/api/v1/health" in arg for op, arg in final)
    assert not any(op == "COPY" and "--from" not in arg for op, arg in final), (
        "sources stay in the build stage"
    )


def test_only_the_central_extra_is_installed() -> None:
    installs = [arg for op, arg in _instructions() if op == "RUN" and "pip install" in arg]
    assert installs == ['/opt/campusgate/bin/pip install ".[central]"']
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert not {"opencv-python-headless", "pyzbar", "pyserial"} & {
        re.split(r"[<>=\[]", d)[0] for d in extras["central"]
    }


def _copied_packages() -> list[str]:
    sources = []
    for op, arg in _instructions():
        if op == "COPY" and "--from" not in arg:
            sources += arg.split()[:-1]
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
    return [s for s in sources if (ROOT / s).is_dir()]


def test_the_copied_packages_run_central_without_the_gate_extra(tmp_path: Path) -> None:
    for package in _copied_packages():
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    probe = (
        "import sys\n"
        # the development checkout is installed in editable mode: hide it, so only the copies import
        "def mine(f): return not getattr(f, '__module__', '').startswith('__editable__')\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if mine(f)]\n"
        "sys.path_hooks[:] = [h for h in sys.path_hooks if mine(h)]\n"
        "sys.path_importer_cache.clear()\n"
        f"sys.modules.update(dict.fromkeys({GATE_ONLY!r}))\n"
        "import central.app, central.decisions.worker, campusgate.provision\n"
        "from campusgate.cli import build_parser\n"
        "build_parser().parse_args(['central', '--no-api'])\n"
        "assert central.app.__file__.startswith(sys.argv[1]), central.app.__file__\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_backup_tools_in_the_image_match_the_compose_database() -> None:
    import yaml

    # `campusgate backup` runs pg_dump, which refuses a server of a newer major than its own
    installs = [arg for op, arg in _final_stage() if op == "RUN" and "apt-get install" in arg]
    clients = re.findall(r"postgresql-client-(\d+)", " ".join(installs))
    assert clients, "no pg_dump in the image: `campusgate backup` cannot run in the compose stack"
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    server = compose["services"]["postgres"]["image"].split(":")[1].split(".")[0]
    assert int(server) <= int(clients[0]), f"postgres:{server} is newer than pg_dump {clients[0]}"
