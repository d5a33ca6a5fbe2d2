"""Rendered camera frames decode with both real QR libraries, to the exact pass text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyzbar import pyzbar

from firmware_sim.frames import qr_matrix, render_qr_frame
from gatecore.tokens import PassClaims, PassForm, PassKind, issue_token

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def token() -> str:
    """A real pass token (141 characters of base45)."""
    claims = PassClaims(
        key_id=1,
        kind=PassKind.RESIDENT,
        form=PassForm.CARD,
        campus_id=1,
        pass_id=4242,
        household_id=77,
        person_id=1001,
        valid_from=T0,
        valid_until=T0 + timedelta(days=30),
    )
    return issue_token(claims, Ed25519PrivateKey.generate())


def _zbar(frame: np.ndarray) -> list[str]:
    return [s.data.decode() for s in pyzbar.decode(frame)]


def _zxing(frame: np.ndarray) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(frame)]


def test_token_fits_version_6_at_level_m(token: str) -> None:
    assert len(token) == 141
    assert qr_matrix(token).shape == (41, 41)  # version 6: 17 + 4 * 6 modules


@pytest.mark.parametrize("seed", range(5))
def test_both_decoders_read_the_exact_text(token: str, seed: int) -> None:
    frame = render_qr_frame(token, rng=np.random.default_rng(seed))
    assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8
    assert _zbar(frame) == [token]
    assert _zxing(frame) == [token]


def test_720p_frame_decodes(token: str) -> None:
    frame = render_qr_frame(token, width=1280, height=720, rng=np.random.default_rng(11))
    assert frame.shape == (720, 1280, 3)
    assert _zbar(frame) == [token] and _zxing(frame) == [token]


def test_code_spans_about_a_third_of_the_height(token: str) -> None:
    frame = render_qr_frame(token, rng=np.random.default_rng(3))
    (found,) = zxingcpp.read_barcodes(frame)
    p = found.position
    ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
    assert 0.28 <= (max(ys) - min(ys)) / 480 <= 0.45


@pytest.mark.parametrize("seed", range(3))
def test_empty_scene_decodes_nothing(seed: int) -> None:
    frame = render_qr_frame(None, rng=np.random.default_rng(seed))
    assert _zbar(frame) == [] and _zxing(frame) == []


def test_same_seed_same_frame(token: str) -> None:
    a = render_qr_frame(token, rng=np.random.default_rng(5))
    b = render_qr_frame(token, rng=np.random.default_rng(5))
    c = render_qr_frame(token, rng=np.random.default_rng(6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
