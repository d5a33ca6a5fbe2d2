"""Shared fixtures: a real MQTT broker (Mosquitto when installed, else embedded amqtt; its log is
shown when a test fails), a real PostgreSQL database when one answers, signing keys."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from transport.broker import EmbeddedBroker, MosquittoBroker

PG_ADMIN_DSN = os.environ.get("CAMPUSGATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def pytest_report_header(config: pytest.Config) -> str:
    kind = "mosquitto (private, free loopback port)" if MosquittoBroker.available() else "amqtt (embedded)"
    return f"campusgate: MQTT broker for integration tests: {kind}"


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoBroker | EmbeddedBroker]:
    """A broker for the whole session; tests keep apart by using their own gate ids."""
    b: MosquittoBroker | EmbeddedBroker = (
        MosquittoBroker(workdir=tmp_path_factory.mktemp("mosquitto"))
        if MosquittoBroker.available()
        else EmbeddedBroker()
    )
    b.start()
    yield b
    b.stop()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[MosquittoBroker | EmbeddedBroker]:
    """A broker of the test's own, for tests that stop and restart it (Mosquitto persists: see
    ``MosquittoBroker.wait_persisted`` before relying on what it saved)."""
    b: MosquittoBroker | EmbeddedBroker = (
        MosquittoBroker(workdir=tmp_path / "mosquitto") if MosquittoBroker.available() else EmbeddedBroker()
    )
    b.start()
    yield b
    b.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test shows the log of every Mosquitto it used (refusals, persistence errors)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if not report.failed:
        return
    for name, value in getattr(item, "funcargs", {}).items():
        if isinstance(value, MosquittoBroker):
            report.sections.append((f"mosquitto log ({name}, {value.log_file})", value.log_tail()))


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    """An Ed25519 key for issuing test passes (key id 1)."""
    return Ed25519PrivateKey.generate()


def _pg_url(dbname: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base}/{dbname}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database (SQLAlchemy URL) dropped afterwards; skipped, saying why,
    only when no PostgreSQL answers."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL reachable at {PG_ADMIN_DSN}: {exc}")
    name = f"cg_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name).replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright (installed by deploy/system-deps.sh). One per
    test file, not per session: while Playwright's sync API is open the process's main thread has a
    running event loop, and every later test of that worker calling asyncio.run (the fleet, the
    asyncio MQTT clients) failed with "cannot be called from a running event loop"."""
    import shutil

    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser page (own cookies) per test."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    yield pg
    context.close()
