"""The chain's canonical form is fixed: a log hashed by an earlier release must still verify."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from central.audit.canonical import CONTENT_FIELDS, canonical, row_hash
from central.models.journal import GENESIS, EntryEvent


def _entry() -> EntryEvent:
    return EntryEvent(
        kind="decision",
        event_id="0193a1b2-0000-7000-8000-000000000001",
        gate_id="北门-1",
        gate_seq=7,
        campus_id=1,
        pass_id=3,
        person_id=4,
        household_id=2,
        direction="in",
        gate_time=datetime(2026, 11, 23, 10, 0, 0, 250000, tzinfo=timezone(timedelta(hours=8))),
        received_at=datetime(2026, 11, 23, 2, 0, 1),  # naive: taken as UTC
        celsius=36.6,
        sensor_status="ok",
        verdict="deny",
        reason="fever",
        reasons="fever,temp_high",
        policy_version=3,
        override_reason='体温复测 "正常"',
        decision_json='{"v":1,"reason":"发烧"}',
    )


def test_a_row_hashes_as_it_always_did() -> None:
    # computed by the release before the fast path; changing the canonical form breaks every log
    assert row_hash(GENESIS, _entry()) == "1080a6cb8247d1905bbf34d8464c67fa18d33a60e3880a7d0c4777a8e8a8f15e"


def test_the_canonical_json_is_the_sorted_content_in_utc() -> None:
    e = _entry()
    text = canonical([getattr(e, name) for name in CONTENT_FIELDS])
    expected = {name: getattr(e, name) for name in CONTENT_FIELDS}
    expected["gate_time"] = "2026-11-23T02:00:00.250000+00:00"
    expected["received_at"] = "2026-11-23T02:00:01+00:00"
    assert text == json.dumps(expected, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert "北门" in text and '\\"正常\\"' in text
    # the same instant given at another offset, or naive, hashes the same
    e.gate_time = datetime(2026, 11, 23, 2, 0, 0, 250000)
    e.received_at = datetime(2026, 11, 23, 2, 0, 1, tzinfo=UTC)
    assert hashlib.sha256((GENESIS + text).encode()).hexdigest() == row_hash(GENESIS, e)


_ODD = [
    "%s",
    "%",
    '"',
    "\\",
    "\x00",
    "\x1f",
    "\n",
    "\u2028",
    "\ud800",
    "é",
    "北门",
    "😀",
    ",",
    ":",
    "}",
    "[",
    "null",
    "\x7f",
]


def _odd_value(rnd: random.Random) -> Any:
    kind = rnd.randrange(7)
    if kind == 0:
        return "".join(rnd.choice(_ODD) for _ in range(rnd.randrange(6)))
    if kind == 1:
        return rnd.randrange(-(2**70), 2**70)
    if kind == 2:
        return rnd.choice([36.6, -0.0, 1e16, 1e-7, 0.1 + 0.2, float("inf"), float("nan"), 2.5e-320])
    return rnd.choice([None, True, False, "", 0])


def test_the_fast_canonical_json_is_json_dumps_of_the_dict() -> None:
    """Values that could confuse the assembly (quotes, NUL and other control characters, separators,
    surrogates, odd floats, huge ints) give exactly the bytes of the dict's json.dumps."""
    rnd = random.Random(14)
    for _ in range(3000):
        values = [_odd_value(rnd) for _ in CONTENT_FIELDS]
        expected = json.dumps(
            dict(zip(CONTENT_FIELDS, values, strict=True)),
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        assert canonical(values) == expected
    with pytest.raises(TypeError):
        canonical(values[:-1])  # a row with a column missing is refused, never hashed short
