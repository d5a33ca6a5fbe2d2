"""Made photographs of passes for the decoder benchmark: what a gate camera sees of a printed card
or a phone held up to it, rendered and then degraded as a real capture is.

Every photo is deterministic given its kind and seed. Kinds (``KINDS``):

- ``print``: printed on an office laser printer (dot gain, toner streaks, paper grain), held up
  tilted, photographed with lens blur, uneven light, sensor noise and the camera's JPEG;
- ``crease``: a printed card that was folded and is bent (the symbol is not flat);
- ``screen``: a phone screen: bright emissive code behind the pixel grid, photographed at a scale
  that beats against that grid (moiré), a reflection of the sky over part of it;
- ``glare``: a laminated card or a screen with a specular highlight that burns out part of the code;
- ``tilt``: strong perspective (turned up to 55 degrees off axis, modules of 3.5-5 pixels);
- ``motion``: the hand still moving (directional blur);
- ``small``: held far away: modules of 1.5-2.2 pixels;
- ``dusk``: low light: dark, noisy, gamma-lifted by the camera's auto exposure, heavy JPEG.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
import segno

KINDS = ("print", "crease", "screen", "glare", "tilt", "motion", "small", "dusk")
QUIET = 4


@functools.lru_cache(maxsize=8)
def symbol(text: str) -> np.ndarray:
    """The QR symbol with its quiet zone as bool (True = dark), level M as passes are printed."""
    qr = segno.make(text, error="m", boost_error=False, micro=False)
    return np.pad(np.array([list(r) for r in qr.matrix], dtype=bool), QUIET)


def _printed(matrix: np.ndarray, px: int, rng: np.random.Generator) -> np.ndarray:
    """A laser print of the symbol at px per module: dot gain, toner streaks, paper grain (float32)."""
    ink = cv2.resize(matrix.astype(np.float32), None, fx=px, fy=px, interpolation=cv2.INTER_NEAREST)
    gain = int(rng.integers(0, max(1, px // 4) + 1))
    if gain:  # toner spreads: dark modules grow
        ink = cv2.dilate(ink, np.ones((gain + 1, gain + 1), np.uint8))
    ink = cv2.GaussianBlur(ink, (0, 0), px * 0.12)
    streak = 1.0 - rng.uniform(0.0, 0.25) * (rng.random(ink.shape[1]) < 0.03)[None, :].astype(np.float32)
    black, paper = rng.uniform(20, 55), rng.uniform(205, 245)
    page = paper - ink * (paper - black) * streak
    grain = cv2.GaussianBlur(np.asarray(rng.normal(0, 6, ink.shape), np.float32), (0, 0), 1.2)
    return page + grain


def _screen(matrix: np.ndarray, px: int, rng: np.random.Generator) -> np.ndarray:
    """A phone screen showing the symbol: dark bezel, RGB-stripe pixel grid (float32 BGR)."""
    levels = np.where(matrix, rng.uniform(5, 30), rng.uniform(200, 255)).astype(np.float32)
    code = cv2.resize(levels, None, fx=px, fy=px, interpolation=cv2.INTER_NEAREST)
    bgr = np.repeat(code[:, :, None], 3, axis=2)
    h, w = code.shape
    # each screen pixel is three stripes with a dark gap: the grid that beats against the sensor's
    stripes = np.zeros((h, w, 3), np.float32)
    pitch = 3
    for c in range(3):
        stripes[:, (2 - c) :: pitch, c] = 1.0
    bgr = bgr * (0.35 + 0.65 * stripes)
    bgr *= np.array([1.08, 1.0, 0.92], np.float32)  # screens run blue
    pad = px * 5
    return cv2.copyMakeBorder(bgr, pad, pad * 2, pad, pad, cv2.BORDER_CONSTANT, value=(12, 12, 12))


def _scene(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A gate background: blotchy light, a few hard edges (float32 BGR)."""
    coarse = rng.normal(0.0, 30.0, size=(5, 7)).astype(np.float32)
    img = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC) + rng.uniform(70, 150)
    for _ in range(int(rng.integers(4, 10))):
        p0 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        p1 = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.line(img, p0, p1, float(rng.uniform(20, 230)), int(rng.integers(1, 6)), cv2.LINE_AA)
    return np.repeat(img[:, :, None], 3, axis=2)


def _place(
    scene: np.ndarray, card: np.ndarray, tilt: float, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[float, float]]:
    """Warp the card into the scene at its own pixel size, turned off axis by up to ``tilt`` degrees
    (a perspective, not only a rotation); returns the frame and the card's centre."""
    h, w = scene.shape[:2]
    ch, cw = card.shape[:2]
    half_w, half_h = cw / 2, ch / 2
    cx, cy = w * rng.uniform(0.35, 0.65), h * rng.uniform(0.35, 0.65)
    yaw, pitch = np.deg2rad(rng.uniform(-tilt, tilt)), np.deg2rad(rng.uniform(-tilt, tilt) * 0.6)
    roll = np.deg2rad(rng.uniform(-25, 25))
    corners = np.array([[-half_w, -half_h], [half_w, -half_h], [half_w, half_h], [-half_w, half_h]])
    # a card turned away from the lens: its far side shrinks (foreshortening) and narrows (distance)
    far = np.array([np.sin(yaw) * corners[:, 0] / half_w, np.sin(pitch) * corners[:, 1] / half_h]).sum(0)
    depth = 1.0 + 0.35 * far
    pts = corners * np.array([np.cos(yaw), np.cos(pitch)]) / depth[:, None]
    rot = np.array([[np.cos(roll), -np.sin(roll)], [np.sin(roll), np.cos(roll)]])
    dst = pts @ rot.T + np.array([cx, cy])
    src = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
    m = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    img3 = card if card.ndim == 3 else np.repeat(card[:, :, None], 3, axis=2)
    warped = cv2.warpPerspective(img3, m, (w, h), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.ones((ch, cw), np.float32), m, (w, h), flags=cv2.INTER_LINEAR)
    return scene * (1 - mask[:, :, None]) + warped * mask[:, :, None], (cx, cy)


def _bend(card: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A fold and a curl: the card's rows and columns shift along a crease and a sine."""
    h, w = card.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    amp = rng.uniform(0.01, 0.03) * h
    fold = rng.uniform(0.3, 0.7) * w
    dy = amp * np.sin(np.pi * xs / w) + np.where(xs > fold, (xs - fold) * rng.uniform(0.02, 0.05), 0)
    dx = 0.008 * w * np.sin(2 * np.pi * ys / h + rng.uniform(0, np.pi))
    return cv2.remap(card, xs + dx, ys + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _glare(img: np.ndarray, at: tuple[float, float], rng: np.random.Generator, strength: float) -> np.ndarray:
    """A specular highlight near ``at``: an elliptical blob that pushes towards white and clips."""
    h, w = img.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = at[0] + w * rng.uniform(-0.04, 0.04), at[1] + h * rng.uniform(-0.06, 0.06)
    rx, ry = w * rng.uniform(0.02, 0.05), h * rng.uniform(0.04, 0.09)
    blob = np.exp(-(((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2))
    return img + blob[:, :, None] * strength


@functools.lru_cache(maxsize=2)
def _grain(shape: tuple[int, ...]) -> np.ndarray:
    """Unit sensor noise, made once per frame size and shifted per photo (fresh noise is slow)."""
    return np.random.default_rng(0).standard_normal(shape, dtype=np.float32)


def _finish(img: np.ndarray, rng: np.random.Generator, noise: float, quality: int) -> np.ndarray:
    """Lighting gradient, sensor noise, clipping and the camera's JPEG: a BGR uint8 frame."""
    h, w = img.shape[:2]
    ys, xs = np.mgrid[0:9, 0:16].astype(np.float32)  # a smooth ramp: built small, then stretched
    a = rng.uniform(0, 2 * np.pi)
    ramp = 1.0 + (np.cos(a) * (xs / 15 - 0.5) + np.sin(a) * (ys / 8 - 0.5)) * rng.uniform(0.1, 0.5)
    gain = cv2.resize(ramp, (w, h), interpolation=cv2.INTER_LINEAR)
    shift = (int(rng.integers(0, h)), int(rng.integers(0, w)))
    grain = np.roll(_grain(img.shape), shift, axis=(0, 1)) * np.float32(noise)
    frame = np.clip(img.astype(np.float32) * gain[:, :, None] + grain, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
    if decoded is None:
        raise RuntimeError("JPEG round trip failed")
    return decoded


def make_photo(text: str | None, kind: str, seed: int, width: int = 1280, height: int = 720) -> np.ndarray:
    """One photo of the pass ``text`` of the given kind, as the gate camera delivers it (BGR);
    text None: the same scene and capture with nobody holding anything up."""
    rng = np.random.default_rng([KINDS.index(kind), seed, text is None])
    matrix = symbol(text or "-")
    module = {"small": rng.uniform(1.5, 2.2), "tilt": rng.uniform(3.5, 5.0)}.get(kind, rng.uniform(2.5, 5.0))
    tilt = 55.0 if kind == "tilt" else 25.0
    if kind in ("screen", "glare") and rng.random() < (1.0 if kind == "screen" else 0.5):
        card_px = int(rng.integers(5, 9))
        card = _screen(matrix, card_px, rng)
    else:
        card_px = 8
        card = _printed(matrix, card_px, rng)
        card = cv2.copyMakeBorder(card, 24, 24, 24, 24, cv2.BORDER_REPLICATE)
    if kind == "crease":
        card = _bend(card, rng)
    # one module spans ``module`` frame pixels; a screen is shrunk without a low-pass filter, so
    # its pixel grid aliases against the sensor's (moire), as a phone photographed at a gate does
    interp = cv2.INTER_LINEAR if card.ndim == 3 else cv2.INTER_AREA
    card = cv2.resize(card, None, fx=module / card_px, fy=module / card_px, interpolation=interp)
    scene = _scene(width, height, rng)
    img, centre = _place(scene, card, tilt, rng) if text else (scene, (width / 2, height / 2))
    if kind == "screen":
        img = _glare(img, centre, rng, rng.uniform(40, 90))  # the sky reflected: a veil, not a burn-out
    if kind == "glare":
        img = _glare(img, centre, rng, rng.uniform(180, 320))
    if kind == "motion":
        length = int(rng.integers(5, 10))
        k = np.zeros((length, length), np.float32)
        k[length // 2, :] = 1.0 / length
        rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), rng.uniform(0, 180), 1.0)
        img = cv2.filter2D(img, -1, cv2.warpAffine(k, rot, (length, length)))
    else:  # a lens a little out of focus
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.5, 1.4) if kind != "small" else 0.6)
    if kind == "dusk":
        img = np.power(np.clip(img * rng.uniform(0.12, 0.22), 0, 255) / 255.0, 0.6) * 255.0
        return _finish(img, rng, rng.uniform(8, 14), int(rng.integers(35, 55)))
    return _finish(img, rng, rng.uniform(3, 7), int(rng.integers(60, 90)))
