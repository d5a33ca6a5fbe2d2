"""Both QR decoders on rendered, noisy camera-like frames holding a real pass."""

from __future__ import annotations

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gate_agent.devices.decoder import PyzbarDecoder, ZxingDecoder, make_decoder, text_of
from gate_agent.errors import DecoderError
from tests.gate_agent.conftest import make_pass, qr_frame

DECODERS = ["pyzbar", "zxing"]


@pytest.mark.parametrize("name", DECODERS)
def test_decodes_a_pass_from_a_noisy_frame(name: str, signing_key: Ed25519PrivateKey) -> None:
    token = make_pass(signing_key, pass_id=1234)
    assert make_decoder(name).decode(qr_frame(token)) == [token]


@pytest.mark.parametrize("name", DECODERS)
def test_decodes_a_grayscale_frame_and_a_foreign_code(name: str) -> None:
    url = "https://weixin.qq.com/r/abcdef"
    gray = qr_frame(url)[:, :, 0].copy()
    assert make_decoder(name).decode(gray) == [url]


@pytest.mark.parametrize("name", DECODERS)
def test_empty_frame_gives_nothing(name: str) -> None:
    rng = np.random.default_rng(3)
    frame = rng.normal(120, 15, size=(480, 640, 3)).clip(0, 255).astype(np.uint8)
    assert make_decoder(name).decode(frame) == []
    assert make_decoder(name).decode(np.zeros((480, 640, 3), np.uint8)) == []


@pytest.mark.parametrize("cls", [PyzbarDecoder, ZxingDecoder])
def test_an_impossible_frame_is_a_decoder_error(cls: type) -> None:
    with pytest.raises(DecoderError):
        cls().decode(np.zeros((4, 4, 2), np.uint8))


def test_bytes_are_decoded_safely() -> None:
    assert text_of("通行".encode()) == "通行"
    assert text_of(b"\xff\xfe") == "\xff\xfe"  # not UTF-8: latin-1, never an exception


def test_unknown_decoder_name() -> None:
    with pytest.raises(ValueError):
        make_decoder("opencv")
