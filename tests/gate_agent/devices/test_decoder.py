"""The QR decoders (the cascade, zxing-cpp, pyzbar) on rendered camera-like frames holding a real
pass, on made photographs (bench/photos.py) and on payloads in other character sets."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.photos import make_photo
from gate_agent.devices.decoder import (
    CascadeDecoder,
    PyzbarDecoder,
    ZxingDecoder,
    make_decoder,
    text_of,
)
from gate_agent.errors import DecoderError
from tests.gate_agent.conftest import make_pass, qr_frame

DECODERS = ["cascade", "zxing", "pyzbar"]
# a pass-shaped text of a pass's length (141 characters, QR version 6-M); fixed, so that the made
# photos below are the same on every run
PASS_TEXT = ("CG1:" + "7K3QW9XN2M4PZR8T5VB6YC1DHJ0FGLSA" * 5)[:141]


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


@pytest.mark.parametrize("cls", [PyzbarDecoder, ZxingDecoder, CascadeDecoder])
def test_an_impossible_frame_is_a_decoder_error(cls: type) -> None:
    with pytest.raises(DecoderError):
        cls().decode(np.zeros((4, 4, 2), np.uint8))


def test_bytes_are_decoded_safely() -> None:
    assert text_of("通行".encode()) == "通行"
    assert text_of(b"\xff\xfe") == "\xff\xfe"  # not UTF-8: latin-1, never an exception


def test_the_cascade_reads_glare_photos_pyzbar_misses() -> None:
    photos = [make_photo(PASS_TEXT, "glare", seed) for seed in range(5)]
    pyzbar, cascade = PyzbarDecoder(), CascadeDecoder()
    assert [pyzbar.decode(p) for p in photos] == [[]] * 5
    assert [cascade.decode(p) for p in photos] == [[PASS_TEXT]] * 5


@pytest.mark.parametrize(
    "kind,seed", [("glare", 0), ("glare", 7), ("dusk", 5), ("dusk", 6), ("crease", 5), ("tilt", 1)]
)
def test_the_cascade_reads_photos_neither_library_reads_alone(kind: str, seed: int) -> None:
    photo = make_photo(PASS_TEXT, kind, seed)
    assert PyzbarDecoder().decode(photo) == []
    assert ZxingDecoder().decode(photo) == []
    assert CascadeDecoder().decode(photo) == [PASS_TEXT]


def _symbol_frame(qr: segno.QRCode) -> np.ndarray:
    """A plain camera-like frame of one symbol (BGR)."""
    matrix = np.array([list(row) for row in qr.matrix], dtype=bool)
    symbol = np.where(np.pad(matrix, 4), 25, 230).astype(np.uint8)
    symbol = cv2.resize(symbol, None, fx=5, fy=5, interpolation=cv2.INTER_NEAREST)
    frame = np.full((480, 640), 128, np.uint8)
    y, x = (480 - symbol.shape[0]) // 2, (640 - symbol.shape[1]) // 2
    frame[y : y + symbol.shape[0], x : x + symbol.shape[1]] = symbol
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


FOREIGN = [
    ("kanji mode", "日本語のテキスト", {}),
    ("Shift-JIS bytes", "ｶﾀｶﾅ 日本", {"encoding": "shift_jis", "mode": "byte"}),
    ("GB18030 with ECI", "坞城校区 访客", {"encoding": "gb18030", "eci": True}),
    ("Windows-1251 with ECI", "Привет мир", {"encoding": "cp1251", "eci": True}),
    ("ISO 8859-1", "Zürich café", {"encoding": "latin-1"}),
]


@pytest.mark.parametrize("name", ["cascade", "zxing"])
@pytest.mark.parametrize("label,text,how", FOREIGN, ids=[f[0] for f in FOREIGN])
def test_payloads_in_other_character_sets_come_back_as_their_text(
    name: str, label: str, text: str, how: dict
) -> None:
    frame = _symbol_frame(segno.make(text, error="m", micro=False, **how))
    assert make_decoder(name).decode(frame) == [text]


def test_unknown_decoder_name() -> None:
    with pytest.raises(ValueError):
        make_decoder("opencv")
