"""Central's numeric settings are bounded both ways, so a typo stops central at start, naming the
variable, instead of a worker that never commits (a batch of 0 events) or a wait that overflows."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from central.settings import CentralSettings
from tests.central.ops.test_database_errors import _campusgate

NUMBERS = [
    "mqtt_port",
    "api_port",
    "batch_max_events",
    "batch_max_wait_ms",
    "max_clock_skew_s",
    "config_refresh_s",
    "metrics_port",
]


@pytest.mark.parametrize("name", NUMBERS)
@pytest.mark.parametrize("value", ["nan", "inf", "1e30", "-1"])
def test_every_number_is_bounded_both_ways(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        CentralSettings(data_dir=tmp_path, **{name: value})  # type: ignore[arg-type]
    assert [e["loc"] for e in refused.value.errors()] == [(name,)]


def test_the_defaults_are_inside_the_bounds(tmp_path: Path) -> None:
    s = CentralSettings(data_dir=tmp_path)
    assert (s.batch_max_events, s.batch_max_wait_ms, s.config_refresh_s) == (64, 2.0, 300.0)


def test_an_empty_batch_size_stops_central_naming_the_variable(tmp_path: Path) -> None:
    done = _campusgate("central", home=tmp_path, CAMPUSGATE_BATCH_MAX_EVENTS="0")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "settings refused: CAMPUSGATE_BATCH_MAX_EVENTS: Input should be greater than or equal to 1" in (
        done.stderr
    )
