"""deploy/compose.yaml against the Compose Specification's JSON schema (no Docker engine runs here),
and the promises it makes: credentials only from secrets, one broker user per worker, every file
the broker config names is mounted."""

from __future__ import annotations

import importlib.resources
import json
import re
from typing import Any

import jsonschema
import pytest
import yaml

from campusgate.cli import build_parser
from tests.deploy.deployed import DEPLOY, MOSQUITTO_DIR

SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def compose_schema() -> dict[str, Any]:
    """The Compose Specification schema as vendored by check-jsonschema (a test dependency)."""
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "compose-spec.json").read_text(encoding="utf-8"))


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_check_catches_a_mistake(compose: dict[str, Any]) -> None:
    schema = compose_schema()
    broken = {**compose, "services": {**compose["services"], "central-api": {"secrets": "pg_password"}}}
    assert not jsonschema.validators.validator_for(schema)(schema).is_valid(broken)


def _central_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in compose["services"].items() if name.startswith("central-")}


def test_no_credential_sits_in_the_environment(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        for key, value in env.items():
            if SECRET_NAME.search(key) and not key.endswith("_FILE"):
                pytest.fail(f"{name}: {key} carries a credential in the environment")
            if key.endswith("_FILE") and SECRET_NAME.search(key):
                secret = str(value).removeprefix("/run/secrets/")
                assert str(value).startswith("/run/secrets/"), f"{name}: {key} is not a secret"
                assert secret in service.get("secrets", []), f"{name} reads secret {secret} it is not given"
                assert secret in compose["secrets"]


def test_every_worker_has_its_own_broker_user_with_an_acl_block(compose: dict[str, Any]) -> None:
    acl_users = set(re.findall(r"^user (\S+)$", (MOSQUITTO_DIR / "campusgate.acl").read_text(), re.M))
    workers = {n: s for n, s in _central_services(compose).items() if "--no-api" in s["command"]}
    assert len(workers) >= 2
    users = [s["environment"]["CAMPUSGATE_MQTT_USERNAME"] for s in workers.values()]
    ids = [s["environment"]["CAMPUSGATE_WORKER_ID"] for s in workers.values()]
    assert len(set(users)) == len(users) and len(set(ids)) == len(ids)
    assert set(users) <= acl_users
    for service in workers.values():
        assert "replicas" not in (service.get("deploy") or {}), "replicas would share one broker user"
        assert service["environment"]["CAMPUSGATE_SHARED_SUBSCRIPTION"] == "true"


def test_central_commands_are_ones_the_cli_accepts(compose: dict[str, Any]) -> None:
    for name, service in _central_services(compose).items():
        args = build_parser().parse_args(service["command"])
        assert args.command == "central", name
    assert (DEPLOY / "Dockerfile").exists()
    for service in _central_services(compose).values():
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"


def test_every_file_the_broker_config_names_is_mounted(compose: dict[str, Any]) -> None:
    mosquitto = compose["services"]["mosquitto"]
    targets = [v.split(":")[1] for v in mosquitto["volumes"]]
    targets += [s["target"] for s in mosquitto["secrets"]]
    conf = (MOSQUITTO_DIR / "mosquitto.conf").read_text()
    named = re.findall(
        r"^(?:password_file|acl_file|certfile|keyfile|cafile|persistence_location) (\S+)", conf, re.M
    )
    assert len(named) == 6
    for path in named:
        assert any(
            path == t or path.startswith(t.rstrip("/") + "/") or path.rstrip("/") == t for t in targets
        ), path
    for volume in mosquitto["volumes"]:
        source = volume.split(":")[0]
        if source.startswith("./") and not source.startswith("./secrets"):
            assert (DEPLOY / source).exists(), source


def test_secret_files_live_in_the_ignored_folder(compose: dict[str, Any]) -> None:
    for secret in compose["secrets"].values():
        assert secret["file"].startswith("./secrets/")
    assert "secrets/" in (DEPLOY / ".gitignore").read_text().split()


def test_every_worker_serves_its_own_metrics(compose: dict[str, Any]) -> None:
    workers = {n: s for n, s in _central_services(compose).items() if s["command"] == ["central", "--no-api"]}
    assert len(workers) >= 2
    for name, service in workers.items():  # unset, a worker serves no /metrics (docs/operations.md)
        assert int(service["environment"].get("CAMPUSGATE_METRICS_PORT", 0)) > 0, name
