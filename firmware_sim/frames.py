"""Camera-like frames showing a pass QR code (or nobody), for the virtual camera and the benches.

Rendering is deterministic given the ``numpy.random.Generator``. It is split in two so that the
camera can cache the expensive part: :func:`render_scene` (background, card, perspective, blur,
lighting) and :func:`add_sensor_noise` (cheap, fresh for every frame).
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
import segno

logger = logging.getLogger(__name__)

QUIET_ZONE = 4  # modules of white around the symbol, as the QR standard asks
CODE_HEIGHT = 0.35  # the symbol (without quiet zone) spans about this much of the frame height
_SUPERSAMPLE = 2  # warp at twice the size, then shrink with area averaging: no aliased module edges


def qr_matrix(text: str) -> np.ndarray:
    """The QR symbol for text (level M, not boosted) as a bool array, True = dark module."""
    qr = segno.make(text, error="m", boost_error=False, micro=False)
    return np.array([list(row) for row in qr.matrix], dtype=bool)


def _background(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A grey, textured gate scene: low-frequency blotches, a few dark shapes, fine grain."""
    base = rng.uniform(80, 150)
    coarse = rng.normal(0.0, 25.0, size=(6, 8)).astype(np.float32)
    img: np.ndarray = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC) + base
    for _ in range(int(rng.integers(3, 8))):  # railings, a turnstile arm, a wall edge
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1, y1 = x0 + int(rng.integers(10, width // 3)), y0 + int(rng.integers(10, height // 3))
        cv2.rectangle(img, (x0, y0), (x1, y1), float(rng.uniform(30, 200)), thickness=-1)
    grain = rng.standard_normal(size=(height, width), dtype=np.float32) * 4.0
    img = cv2.GaussianBlur(img + grain, (0, 0), 1.5)
    # sharp thin edges (bars, cables, tiles): what makes an empty scene cost a decoder something
    for _ in range(int(rng.integers(6, 16))):
        p0 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        p1 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.line(img, p0, p1, float(rng.uniform(20, 230)), int(rng.integers(1, 4)), cv2.LINE_AA)
    return np.repeat(img[:, :, None], 3, axis=2) * rng.uniform(0.9, 1.1, size=3).astype(np.float32)


def _card(matrix: np.ndarray, module_px: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A paper card or a phone screen holding the symbol; returns (image, alpha)."""
    n = matrix.shape[0] + 2 * QUIET_ZONE
    padded = np.zeros((n, n), dtype=bool)
    padded[QUIET_ZONE:-QUIET_ZONE, QUIET_ZONE:-QUIET_ZONE] = matrix
    white, black = rng.uniform(215, 250), rng.uniform(15, 45)
    levels = np.where(padded, black, white).astype(np.float32)
    code: np.ndarray = cv2.resize(levels, (n * module_px, n * module_px), interpolation=cv2.INTER_NEAREST)
    margin = module_px * int(rng.integers(1, 4))
    phone = bool(rng.random() < 0.5)
    border = rng.uniform(10, 30) if phone else white  # a phone's dark bezel, or more paper
    pad = margin * (3 if phone else 1)
    card = cv2.copyMakeBorder(code, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=white)
    bottom = pad * 2 if phone else pad  # a phone's chin
    card = cv2.copyMakeBorder(card, pad, bottom, pad, pad, cv2.BORDER_CONSTANT, value=border)
    tint = np.array([rng.uniform(0.95, 1.0), 1.0, rng.uniform(0.95, 1.05)], dtype=np.float32)
    if phone:
        tint = np.array([1.05, 1.0, 0.95], dtype=np.float32)  # screens run a little blue
    return card[:, :, None] * tint, np.ones(card.shape, dtype=np.float32)  # alpha: one channel


def _lighting(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A gain map: a linear gradient (sun from one side) times a vignette."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * (xs / width - 0.5) + np.sin(angle) * (ys / height - 0.5)) * rng.uniform(0.1, 0.35)
    r2 = ((xs - width / 2) / width) ** 2 + ((ys - height / 2) / height) ** 2
    gain = (1.0 + ramp) * (1.0 - rng.uniform(0.2, 0.5) * r2)
    return gain[:, :, None]


def render_scene(
    text: str | None,
    *,
    width: int = 640,
    height: int = 480,
    scale: float = 1.0,
    tilt_deg: float = 4.0,
    blur: int = 1,
    rng: np.random.Generator,
) -> np.ndarray:
    """A noiseless camera frame (float32 BGR): the QR for text held up at the gate, or nobody."""
    img = _background(width, height, rng)
    if text is not None:
        matrix = qr_matrix(text)
        n = matrix.shape[0]
        # real module size, then rendered at an integer size and warped to exactly that
        module = CODE_HEIGHT * scale * height / n
        module_px = max(2, int(np.ceil(module * _SUPERSAMPLE)))
        card, alpha = _card(matrix, module_px, rng)
        unit = module * _SUPERSAMPLE / module_px  # card pixels -> supersampled frame pixels
        ch, cw = card.shape[0] * unit, card.shape[1] * unit
        cx = width * _SUPERSAMPLE * rng.uniform(0.4, 0.6)
        cy = height * _SUPERSAMPLE * rng.uniform(0.4, 0.6)
        theta = np.deg2rad(rng.uniform(-tilt_deg, tilt_deg))
        corners = np.array([[-cw / 2, -ch / 2], [cw / 2, -ch / 2], [cw / 2, ch / 2], [-cw / 2, ch / 2]])
        rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        # a card is never held square to the lens: each corner off by a few per cent
        jitter = rng.uniform(-0.04, 0.04, size=(4, 2)) * np.array([cw, ch]) * min(1.0, tilt_deg / 4.0)
        dst = (corners + jitter) @ rot.T + np.array([cx, cy])
        src = np.array([[0, 0], [card.shape[1], 0], [card.shape[1], card.shape[0]], [0, card.shape[0]]])
        m = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))
        big = (width * _SUPERSAMPLE, height * _SUPERSAMPLE)
        warped = cv2.warpPerspective(card, m, big, flags=cv2.INTER_LINEAR)
        mask = cv2.warpPerspective(alpha, m, big, flags=cv2.INTER_LINEAR)
        warped = cv2.resize(warped, (width, height), interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, (width, height), interpolation=cv2.INTER_AREA)[:, :, None]
        img = img * (1.0 - mask) + warped * mask
    img = img * _lighting(width, height, rng)
    if blur > 0:
        img = cv2.GaussianBlur(img, (2 * blur + 1, 2 * blur + 1), 0)
    return img.astype(np.float32)


def add_sensor_noise(scene: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise on a rendered scene, as a BGR uint8 frame."""
    if noise > 0:
        scene = scene + rng.standard_normal(size=scene.shape, dtype=np.float32) * np.float32(noise)
    return np.clip(scene, 0, 255).astype(np.uint8)


def render_qr_frame(
    text: str | None,
    *,
    width: int = 640,
    height: int = 480,
    scale: float = 1.0,
    tilt_deg: float = 4.0,
    blur: int = 1,
    noise: float = 6.0,
    rng: np.random.Generator,
) -> np.ndarray:
    """A camera-like BGR uint8 frame showing the QR code for text (None: an empty scene)."""
    scene = render_scene(text, width=width, height=height, scale=scale, tilt_deg=tilt_deg, blur=blur, rng=rng)
    return add_sensor_noise(scene, noise, rng)
