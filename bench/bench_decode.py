"""Benchmark the gate's QR decoders: decode rates on made photographs and synthetic frames, and the
cost of a frame (wall and CPU ms, one core), above all of an empty 720p frame.

Run from a checkout: ``.venv/bin/python bench/bench_decode.py [--photos 8] [--frames 12]``.
Decoders: ``pyzbar``, ``zxing-cpp`` and ``cascade`` (the gate's default,
``gate_agent.devices.decoder.CascadeDecoder``). Inputs, all holding a real 141-character pass
(QR version 6, level M):

- made photos (``bench/photos.py``): printed and re-photographed cards, creased cards, phone screens
  with moire, glare, strong tilt, motion blur, small codes, dusk; ``--photos`` per kind at 1280x720;
- synthetic frames (``firmware_sim.frames``, the simulator's camera) "normal" and "hard", at
  640x480 and 1280x720, through JPEG as the camera sends them;
- empty frames (nobody at the gate, the common case): synthetic scenes and the photo scenes
  without a card, 1280x720.

OpenCV is held to one thread, so that every figure is one core's work.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from bench.photos import KINDS, make_photo  # noqa: E402
from firmware_sim.camera import JPEG_QUALITY  # noqa: E402
from firmware_sim.frames import render_qr_frame  # noqa: E402
from gate_agent.devices.decoder import CascadeDecoder, PyzbarDecoder, ZxingDecoder  # noqa: E402
from gatecore.tokens import PassClaims, PassForm, PassKind, issue_token  # noqa: E402

SYNTHETIC: dict[str, dict[str, Any]] = {"normal": {}, "hard": {"scale": 0.7, "tilt_deg": 10.0, "blur": 2}}
Decode = Callable[[np.ndarray], list[str]]


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


def timed(decode: Decode, frames: list[np.ndarray]) -> tuple[list[float], list[float], list[list[str]]]:
    """Wall ms, CPU ms (this thread) and the result of every frame."""
    decode(frames[0])  # warm-up: library loading and first allocations are not per-frame costs
    wall, cpu, out = [], [], []
    for f in frames:
        t, c = time.perf_counter(), time.thread_time()
        out.append(decode(f))
        cpu.append((time.thread_time() - c) * 1000)
        wall.append((time.perf_counter() - t) * 1000)
    return wall, cpu, out


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rate(results: list[list[str]], token: str) -> str:
    """Share of frames decoded to exactly the pass, as "n/N (p %)"."""
    n = sum(r == [token] for r in results)
    return f"{n}/{len(results)} ({100 * n / len(results):.0f} %)"


def main() -> None:
    """Make the inputs, run every decoder, print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=int, default=8, help="made photos per kind")
    ap.add_argument("--frames", type=int, default=12, help="synthetic QR and empty frames per size")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    token = make_token()
    cascade = CascadeDecoder()
    decoders: dict[str, Decode] = {
        "pyzbar": PyzbarDecoder().decode,
        "zxing-cpp": ZxingDecoder().decode,
        "cascade": cascade.decode,
    }
    t0 = time.perf_counter()
    photos = {k: [make_photo(token, k, i) for i in range(args.photos)] for k in KINDS}
    empty = [make_photo(None, k, i) for k in KINDS for i in range(max(2, args.frames // len(KINDS)))]
    empty += [
        through_jpeg(render_qr_frame(None, width=1280, height=720, rng=np.random.default_rng(1000 + i)))
        for i in range(args.frames)
    ]
    print(f"inputs made in {time.perf_counter() - t0:.1f} s; pass of {len(token)} characters")

    print(f"\nMade photos, 1280x720, {args.photos} per kind: decoded to exactly the pass")
    print(f"{'kind':<8} " + " ".join(f"{n:>15}" for n in decoders))
    totals: dict[str, list[list[str]]] = {n: [] for n in decoders}
    photo_ms: dict[str, list[float]] = {n: [] for n in decoders}
    for kind, frames in photos.items():
        cells = []
        for name, decode in decoders.items():
            wall, _, results = timed(decode, frames)
            totals[name] += results
            photo_ms[name] += wall
            cells.append(f"{rate(results, token):>15}")
        print(f"{kind:<8} " + " ".join(cells))
    print(f"{'all':<8} " + " ".join(f"{rate(r, token):>15}" for r in totals.values()))
    print(f"{'ms p50':<8} " + " ".join(f"{statistics.median(photo_ms[n]):>15.1f}" for n in decoders))

    print("\nSynthetic frames (the simulator's camera), through JPEG: decoded, ms p50 (wall)")
    for cond, knobs in SYNTHETIC.items():
        for w, h in ((640, 480), (1280, 720)):
            frames = [
                through_jpeg(render_qr_frame(token, width=w, height=h, rng=np.random.default_rng(i), **knobs))
                for i in range(args.frames)
            ]
            cells = []
            for _name, decode in decoders.items():
                wall, _, results = timed(decode, frames)
                cells.append(f"{rate(results, token):>12} {statistics.median(wall):5.1f}")
            print(f"{cond:<7} {w}x{h:<5} " + " ".join(cells) + f"   ({', '.join(decoders)})")

    print(f"\nEmpty 1280x720 frames ({len(empty)}: photo scenes and synthetic), ms per frame, one core")
    print(f"{'decoder':<10} {'wall p50':>8} {'wall p99':>8} {'CPU p50':>8} {'CPU p99':>8} {'false':>5}")
    for name, decode in decoders.items():
        wall, cpu, results = timed(decode, empty)
        print(
            f"{name:<10} {statistics.median(wall):8.1f} {pct(wall, 0.99):8.1f} "
            f"{statistics.median(cpu):8.1f} {pct(cpu, 0.99):8.1f} {sum(bool(r) for r in results):5d}"
        )
    print(f"\ncascade: the step that read each code: {dict(sorted(cascade.used.items()))}")


if __name__ == "__main__":
    main()
