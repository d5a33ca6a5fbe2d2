"""Benchmark the gate's QR decoders on synthetic camera frames: ms per frame and decode rate.

Run from a checkout: ``.venv/bin/python bench/bench_decode.py [--frames 30]``. For each resolution
it renders N frames holding a real 141-character pass (QR version 6, level M) and N empty frames
(nobody at the gate, the common case), passes every frame through JPEG as the camera does, and
times ``gate_agent.devices.decoder.PyzbarDecoder``, ``ZxingDecoder`` and each at half resolution.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# a script run from a checkout: make the repository importable even without an editable install
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from firmware_sim.camera import JPEG_QUALITY  # noqa: E402
from firmware_sim.frames import render_qr_frame  # noqa: E402
from gate_agent.devices.decoder import PyzbarDecoder, ZxingDecoder  # noqa: E402
from gatecore.tokens import PassClaims, PassForm, PassKind, issue_token  # noqa: E402

logger = logging.getLogger(__name__)

RESOLUTIONS = [(640, 480), (1280, 720)]
# "normal": a card held up as the simulator shows it; "hard": smaller, more tilted, more blurred,
# where the decoders differ in what they read, not only in speed
CONDITIONS: dict[str, dict[str, Any]] = {
    "normal": {},
    "hard": {"scale": 0.7, "tilt_deg": 10.0, "blur": 2},
}
Decode = Callable[[np.ndarray], list[str]]


@dataclass(frozen=True, slots=True)
class Row:
    """One decoder at one resolution."""

    decoder: str
    condition: str
    size: str
    qr_p50: float
    qr_p99: float
    empty_p50: float
    empty_p99: float
    decoded: int
    frames: int
    false_reads: int


def make_token() -> str:
    """A real pass token signed with a fresh key."""
    t0 = datetime.now(UTC)
    claims = PassClaims(
        key_id=1,
        kind=PassKind.RESIDENT,
        form=PassForm.CARD,
        campus_id=1,
        pass_id=123456,
        household_id=4321,
        person_id=98765,
        valid_from=t0,
        valid_until=t0 + timedelta(days=30),
    )
    return issue_token(claims, Ed25519PrivateKey.generate())


def through_jpeg(frame: np.ndarray) -> np.ndarray:
    """What the gate sees after the camera's JPEG encoding."""
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
    if decoded is None:
        raise RuntimeError("JPEG round trip failed")
    return decoded


def half(decode: Decode) -> Decode:
    """The same decoder on a frame shrunk to half size first (the resize is timed too)."""

    def run(frame: np.ndarray) -> list[str]:
        small = cv2.resize(frame, (frame.shape[1] // 2, frame.shape[0] // 2), interpolation=cv2.INTER_AREA)
        return decode(small)

    return run


def p(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank); with 30 samples p99 is the slowest frame."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(decode: Decode, frames: list[np.ndarray]) -> tuple[list[float], list[list[str]]]:
    """Milliseconds per frame and what each frame decoded to."""
    times, results = [], []
    for f in frames:
        t = time.perf_counter()
        out = decode(f)
        times.append((time.perf_counter() - t) * 1000)
        results.append(out)
    return times, results


def bench(n: int) -> list[Row]:
    """Every decoder at every resolution."""
    token = make_token()
    pyz, zx = PyzbarDecoder(), ZxingDecoder()
    decoders: dict[str, Decode] = {
        "pyzbar": pyz.decode,
        "pyzbar half": half(pyz.decode),
        "zxing-cpp": zx.decode,
        "zxing-cpp half": half(zx.decode),
    }
    rows = []
    for cond, knobs in CONDITIONS.items():
        for w, h in RESOLUTIONS:
            qr = [
                through_jpeg(render_qr_frame(token, width=w, height=h, rng=np.random.default_rng(i), **knobs))
                for i in range(n)
            ]
            empty = [
                through_jpeg(render_qr_frame(None, width=w, height=h, rng=np.random.default_rng(1000 + i)))
                for i in range(n)
            ]
            for name, decode in decoders.items():
                decode(qr[0])  # warm-up: library loading and first allocations are not per-frame costs
                qt, qres = timed(decode, qr)
                et, eres = timed(decode, empty)
                rows.append(
                    Row(
                        name,
                        cond,
                        f"{w}x{h}",
                        statistics.median(qt),
                        p(qt, 0.99),
                        statistics.median(et),
                        p(et, 0.99),
                        sum(r == [token] for r in qres),
                        n,
                        sum(bool(r) for r in eres),
                    )
                )
    return rows


def main() -> None:
    """Run and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=30, help="QR frames and empty frames per resolution")
    args = ap.parse_args()
    rows = bench(args.frames)
    print(
        f"{args.frames} QR frames (141-char pass, QR v6-M) + {args.frames} empty frames per resolution; "
        "ms per frame; 'decoded' = exact pass text; 'false' = empty frames that decoded to anything"
    )
    print(
        f"{'decoder':<15} {'frames':<7} {'size':<9} {'QR p50':>7} {'QR p99':>7} "
        f"{'empty p50':>9} {'empty p99':>9} {'decoded':>8} {'false':>5}"
    )
    for r in rows:
        print(
            f"{r.decoder:<15} {r.condition:<7} {r.size:<9} {r.qr_p50:7.1f} {r.qr_p99:7.1f} "
            f"{r.empty_p50:9.1f} {r.empty_p99:9.1f} {100 * r.decoded / r.frames:7.0f}% {r.false_reads:5d}"
        )


if __name__ == "__main__":
    main()
