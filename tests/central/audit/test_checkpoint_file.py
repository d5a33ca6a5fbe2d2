"""A damaged checkpoint file is named as the file's damage, never taken for a rewritten log: a line read
loosely ("seq": -1, "head_hash": null) made the verifier report the entry log as rewritten, and a seq
past 64 bits or a year-1 time ended the command in a traceback (the API in a bare 500)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from campusgate.cli import main as cli_main
from central.app import create_app
from central.audit import checkpoints as audit_checkpoints
from central.settings import CentralSettings
from tests.api_auth import bearer
from tests.central.conftest import NOW, World

GOOD = {"seq": 1, "head_hash": "0" * 64, "at": "2026-11-23T02:00:00+00:00"}


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"seq": -1}, "seq -1 is not a row number"),
        ({"seq": 10**30}, "is not a row number"),
        ({"seq": 1e400}, "seq inf is not a row number"),
        ({"seq": 2.5}, "seq 2.5 is not a row number"),
        ({"seq": True}, "seq True is not a row number"),
        ({"head_hash": None}, "head_hash None is not a SHA-256 in hex"),
        ({"head_hash": "x"}, "head_hash 'x' is not a SHA-256 in hex"),
        ({"at": "0001-01-01T00:00:00+08:00"}, "out of range"),
        ({"at": 5}, "argument must be str"),
    ],
)
def test_a_damaged_checkpoint_line_is_named_by_its_line(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict, said: str
) -> None:
    world.service.handle(*world.scan("zhang"), NOW)
    path = audit_checkpoints.default_path(tmp_path)
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, **change}) + "\n")
    with pytest.raises(ValueError, match=f"{path}:2: not a checkpoint: .*{said}"):
        audit_checkpoints.read(path)
    url = world.engine.url.render_as_string(hide_password=False)
    for since in ([], ["--since-last-checkpoint"]):
        code = cli_main(["audit", "verify", "--database-url", url, "--checkpoints", str(path), *since])
        err = capsys.readouterr()
        assert code == 2 and f"checkpoint file unreadable: {path}:2" in err.err, err
        assert "rewritten" not in err.out + err.err
    app = create_app(CentralSettings(database_url="sqlite://", data_dir=tmp_path), world.engine)
    r = TestClient(app, raise_server_exceptions=False).get(
        "/api/v1/audit/verify", headers=bearer(app, world.engine, "auditor")
    )
    assert r.status_code == 500 and f"{path}:2: not a checkpoint" in r.json()["detail"], r.text
