"""Writes baseline_rows.json.gz: a seeded demo with decided scans, made by the code at the migrations'
baseline (revision 0001), for the upgrade test.

Run it with that release's code first on the path, never the current one:
    git archive 48525a6 | tar -x -C /tmp/cg-baseline
    PYTHONPATH=/tmp/cg-baseline python tests/central/models/make_baseline_rows.py tests/central/models/baseline_rows.json.gz
"""

from __future__ import annotations

import base64
import gzip
import json
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, select

import central.office.reports  # noqa: F401  (its tables are part of the schema)
from central.api.auth import seed_demo_users
from central.decisions.service import DecisionService
from central.demo.passes import demo_passes
from central.demo.seed import seed_demo
from central.models.db import create_all, make_engine, session_scope
from central.office.keys import KeyRing
from gatecore import topics
from gatecore.ids import uuid7
from gatecore.messages import ScanEvent, Temperature
from gatecore.thermoline import SensorStatus

DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def encode(value: Any) -> Any:
    """A JSON form that says its type: datetimes, dates and bytes are tagged."""
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode()}
    return value


def main(out: Path) -> None:
    """Seed, decide, dump."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/baseline.db")
        create_all(engine)
        keyring = KeyRing.open(Path(tmp) / "keys")
        with session_scope(engine) as session:
            keyring.register(session)
            seed_demo(session, keyring, DAY)
            seed_demo_users(session)
        with session_scope(engine) as session:
            passes = demo_passes(session, keyring)
        service = DecisionService(engine, keyring)
        printed = []
        for i, p in enumerate(passes[:40]):
            gate = p.gate_ids[0]
            at = NOW + timedelta(seconds=30 * i)
            celsius = 38.4 if i % 13 == 5 else 36.5
            event = ScanEvent(
                event_id=uuid7(int(at.timestamp() * 1000), bytes(10 - len(str(i))) + str(i).encode()),
                gate_id=gate,
                seq=i + 1,
                gate_time=at,
                qr=p.token,
                temperature=Temperature(celsius, SensorStatus.OK),
            )
            service.handle(topics.gate_events(gate), event.to_json(), at)
            printed.append({"pass_id": p.pass_id, "token": p.token, "gate_id": gate})
        service.handle(topics.gate_events(passes[0].gate_ids[0]), b"{not json", NOW)  # a dead letter
        metadata = MetaData()
        metadata.reflect(engine)
        tables: dict[str, list[dict[str, Any]]] = {}
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
                tables[table.name] = [{k: encode(v) for k, v in row.items()} for row in rows]
        pem = (Path(tmp) / "keys" / "kid-1.pem").read_text()
        engine.dispose()
    body = json.dumps({"key_pem": pem, "printed": printed, "tables": tables}, ensure_ascii=False, indent=0)
    out.write_bytes(gzip.compress(body.encode(), mtime=0))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
