"""Fixtures for the pure core: a key ring and a token factory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gatecore.tokens import PassClaims, PassForm, PassKind, issue_token

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai


@pytest.fixture(scope="session")
def key() -> Ed25519PrivateKey:
    """The issuing key (key id 1)."""
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def keys(key: Ed25519PrivateKey) -> dict[int, Ed25519PublicKey]:
    """What a gate holds: public keys by id."""
    return {1: key.public_key()}


@pytest.fixture(scope="session")
def make_token(key: Ed25519PrivateKey) -> Callable[..., str]:
    """Issue a token; keyword arguments override the claims."""

    def make(**overrides: object) -> str:
        fields: dict[str, object] = dict(
            key_id=1,
            kind=PassKind.RESIDENT,
            form=PassForm.CARD,
            campus_id=1,
            pass_id=42,
            household_id=7,
            person_id=100,
            valid_from=NOW - timedelta(days=1),
            valid_until=NOW + timedelta(days=30),
        )
        fields.update(overrides)
        return issue_token(PassClaims(**fields), key)  # type: ignore[arg-type]

    return make
