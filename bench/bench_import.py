"""Benchmark the bulk import and the demo seed: seconds for the demo's 390 households.

Run from a checkout: ``.venv/bin/python bench/bench_import.py [--db sqlite|postgres] [--repeat 3]``.
Real parts: the import code the console and ``POST /api/v1/imports/people`` call
(``central.office.imports.import_people``) on a fresh database, with a GBK CSV and an XLSX of 390
households × 3 people (1,170 rows) in the office's Chinese column names; then ``seed_demo`` (the
three campuses, their passes signed). Prints the median and worst of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook  # noqa: E402
from sqlalchemy import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from central.demo.seed import seed_demo  # noqa: E402
from central.models.db import create_all, make_engine, session_scope  # noqa: E402
from central.office import registry  # noqa: E402
from central.office.imports import import_people  # noqa: E402
from central.office.keys import KeyRing  # noqa: E402

HEADER = ["校区", "楼号", "单元", "房号", "姓名", "身份证号", "类别", "电话", "重点人员至"]
PG_ADMIN = os.environ.get("CAMPUSGATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def rows() -> list[list[str]]:
    """390 households of three residents on one campus."""
    return [
        [
            "坞城校区",
            str(10 + i // 40),
            str(1 + i % 4),
            str(100 + i),
            f"住户{i}-{j}",
            f"1401021980{i:04d}{j:03d}X",
            "住户",
            "",
            "",
        ]
        for i in range(390)
        for j in range(3)
    ]


def csv_bytes() -> bytes:
    return "\n".join(",".join(r) for r in [HEADER, *rows()]).encode("gbk")


def xlsx_bytes() -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in [HEADER, *rows()]:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def fresh_engine(db: str, workdir: Path, campus: bool) -> tuple[Engine, Callable[[], None]]:
    """A fresh database with every table (and the 坞城 campus); and how to drop it."""
    if db == "sqlite":
        engine = make_engine(f"sqlite:///{workdir}/{uuid.uuid4().hex}.db")
        drop = engine.dispose
    else:
        import psycopg

        name = f"cg_bench_{uuid.uuid4().hex[:8]}"
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
        admin.execute(f'CREATE DATABASE "{name}"')
        engine = make_engine(
            PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
        )

        def drop() -> None:
            engine.dispose()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()

    create_all(engine)
    if campus:
        with session_scope(engine) as s:
            registry.add_campus(s, code="wucheng", name_zh="坞城校区", name_en="Wucheng")
    return engine, drop


def timed(db: str, workdir: Path, action: Callable[[Engine], object], campus: bool) -> float:
    engine, drop = fresh_engine(db, workdir, campus)
    try:
        started = time.perf_counter()
        action(engine)
        return time.perf_counter() - started
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = {"people.csv": csv_bytes(), "people.xlsx": xlsx_bytes()}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        keyring = KeyRing.open(workdir / "keys")

        def run(name: str, dry_run: bool) -> Callable[[Engine], object]:
            def action(engine: Engine) -> None:
                with Session(engine) as s:
                    report = import_people(s, name, files[name], dry_run=dry_run)
                    assert not report.errors and report.people_new == 1170, report.errors[:3]
                    s.commit()

            return action

        def seed(engine: Engine) -> None:
            with session_scope(engine) as s:
                seed_demo(s, keyring, date(2026, 11, 23))

        cases: list[tuple[str, Callable[[Engine], object]]] = [
            ("dry run, CSV (GBK), 390 households / 1,170 people", run("people.csv", True)),
            ("import, CSV (GBK), 390 households / 1,170 people", run("people.csv", False)),
            ("import, XLSX, 390 households / 1,170 people", run("people.xlsx", False)),
            ("seed_demo: 3 campuses, 390 households, passes signed", seed),
        ]
        print(f"database: {args.db}; {args.repeat} runs each on a fresh database")
        for label, action in cases:
            times = [timed(args.db, workdir, action, action is not seed) for _ in range(args.repeat)]
            print(f"  {label:<56} median {statistics.median(times):6.2f} s   worst {max(times):6.2f} s")


if __name__ == "__main__":
    main()
