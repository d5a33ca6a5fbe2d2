"""Central reads its broker and database passwords from files (Compose secrets, systemd credentials)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from central.settings import CentralSettings


def test_passwords_come_from_files(tmp_path: Path) -> None:
    (tmp_path / "db").write_text("p@ss/word:1\n")
    (tmp_path / "mqtt").write_text("broker-secret\n")
    settings = CentralSettings(
        database_url="postgresql+psycopg://campusgate@postgres/campusgate",
        database_password_file=tmp_path / "db",
        mqtt_password_file=tmp_path / "mqtt",
    )
    url = make_url(settings.database_url)
    assert (url.username, url.password, url.host, url.database) == (
        "campusgate",
        "p@ss/word:1",
        "postgres",
        "campusgate",
    )
    assert settings.mqtt_password is not None
    assert settings.mqtt_password.get_secret_value() == "broker-secret"


@pytest.mark.parametrize("content", [None, "  \n"])
def test_a_missing_or_empty_secret_file_is_refused_by_name(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "mqtt-password"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValidationError, match="mqtt-password"):
        CentralSettings(mqtt_password_file=path)


@pytest.mark.parametrize("group", ["", "a/b", "g+", "#"])
def test_a_share_group_name_must_be_one_topic_level(group: str) -> None:
    with pytest.raises(ValidationError, match="shared_group"):
        CentralSettings(shared_group=group)
