"""QR decoders behind the QrDecoder port: the cascade (the default: zxing-cpp first, then pyzbar
and cheap preprocessing where zxing-cpp saw a symbol it could not read), and each library alone.

Text comes from each library's own decoding: zxing-cpp's ``text`` applies the symbol's ECI or
guesses Shift-JIS / ISO 8859-1 as the standard says; ZBar hands back UTF-8 it transcoded itself.
See docs/gate-agent.md for what each reads and costs (figures from bench/bench_decode.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

import cv2
import numpy as np

from gate_agent.errors import DecoderError

logger = logging.getLogger(__name__)

DecoderName = Literal["cascade", "zxing", "pyzbar"]
MAX_REGIONS = 2  # symbols zxing-cpp saw but could not read, worked on per frame
SMALL_SIDE = 600  # a region narrower than this (pixels) is upscaled 2x: modules under ~6 px
# of the region's size on each side: a symbol zxing-cpp could not read is often placed from a wrong
# triple of finder patterns, so the box it reports covers only part of the code
_MARGIN = 0.6


def _gray(frame: np.ndarray) -> np.ndarray:
    """Grayscale view of a BGR, BGRA or already-gray frame."""
    if frame.ndim == 2:
        return frame
    if frame.ndim == 3 and frame.shape[2] == 3:
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    raise DecoderError(f"unsupported frame shape {frame.shape}")


def text_of(raw: bytes) -> str:
    """ZBar's output as text: UTF-8 (ZBar transcodes to it), else latin-1 (which cannot fail)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class PyzbarDecoder:
    """ZBar via pyzbar, QR symbols only."""

    def __init__(self) -> None:
        from pyzbar import pyzbar  # imported here: it loads libzbar, which only this decoder needs

        self._pyzbar = pyzbar
        self._symbols = [pyzbar.ZBarSymbol.QRCODE]

    def decode(self, frame: np.ndarray) -> list[str]:
        """The text of every QR code in the frame."""
        gray = _gray(frame)
        try:
            found = self._pyzbar.decode(gray, symbols=self._symbols)
        except Exception as exc:  # pyzbar raises bare PyZbarError / ValueError / TypeError
            raise DecoderError(f"pyzbar failed: {exc}") from exc
        return [text_of(s.data) for s in found]


class ZxingDecoder:
    """zxing-cpp, QR codes only."""

    def __init__(self) -> None:
        import zxingcpp

        self._zx = zxingcpp
        self._formats = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

    def read(self, gray: np.ndarray, *, errors: bool = False, binarizer: str = "LocalAverage") -> list[Any]:
        """zxing-cpp's results on a grayscale image (with ``errors``: symbols it saw but could not read)."""
        try:
            return self._zx.read_barcodes(  # type: ignore[no-any-return]
                np.ascontiguousarray(gray),
                formats=self._formats,
                text_mode=self._zx.TextMode.Plain,  # the payload as text, ECI applied, no GS1 brackets
                binarizer=getattr(self._zx.Binarizer, binarizer),
                return_errors=errors,
            )
        except Exception as exc:  # zxing-cpp raises ValueError / RuntimeError on odd buffers
            raise DecoderError(f"zxing-cpp failed: {exc}") from exc

    def decode(self, frame: np.ndarray) -> list[str]:
        """The text of every QR code in the frame."""
        return [r.text for r in self.read(_gray(frame)) if r.valid]


Region = tuple[int, int, int, int]  # x0, y0, x1, y1


def _region(result: Any, shape: tuple[int, ...]) -> Region:
    """The bounding box of a zxing-cpp result, grown by the margin and clipped to the frame."""
    p = result.position
    xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
    ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
    m = int(_MARGIN * max(max(xs) - min(xs), max(ys) - min(ys))) + 8
    h, w = shape[:2]
    return max(0, min(xs) - m), max(0, min(ys) - m), min(w, max(xs) + m), min(h, max(ys) + m)


def _merge(regions: list[Region]) -> list[Region]:
    """Overlapping regions as one (zxing-cpp reports several finder-pattern triples of one symbol),
    largest first."""
    merged: list[Region] = []
    for r in sorted(regions, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]), reverse=True):
        for i, m in enumerate(merged):
            if r[0] < m[2] and m[0] < r[2] and r[1] < m[3] and m[1] < r[3]:
                merged[i] = (min(r[0], m[0]), min(r[1], m[1]), max(r[2], m[2]), max(r[3], m[3]))
                break
        else:
            merged.append(r)
    return merged


def _sharpen(gray: np.ndarray) -> np.ndarray:
    """Unsharp mask: restores module edges a soft lens or a moving hand smeared."""
    return cv2.addWeighted(gray, 2.0, cv2.GaussianBlur(gray, (0, 0), 2.0), -1.0, 0)


def _upscale(gray: np.ndarray) -> np.ndarray:
    """2x bicubic: modules of 1.5-3 pixels become wide enough for a sampling grid."""
    return cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)


class CascadeDecoder:
    """zxing-cpp on the whole frame; where it saw a symbol it could not read (or, failing that, a
    global binarizer finds one), pyzbar and preprocessed retries on that region only. An empty
    frame costs the two zxing-cpp passes and nothing more."""

    def __init__(self) -> None:
        self.zxing = ZxingDecoder()
        self.pyzbar = PyzbarDecoder()
        self.used: dict[str, int] = {}  # which step read the code, for the benchmark and the logs

    def decode(self, frame: np.ndarray) -> list[str]:
        """The text of every QR code in the frame."""
        gray = _gray(frame)
        regions: list[Region] = []
        for binarizer in ("LocalAverage", "GlobalHistogram"):
            results = self.zxing.read(gray, errors=True, binarizer=binarizer)
            texts = [r.text for r in results if r.valid]
            if texts:
                self._count("zxing" if binarizer == "LocalAverage" else "zxing global")
                return texts
            regions = _merge([_region(r, gray.shape) for r in results])
            if regions:
                break
        texts = []
        for x0, y0, x1, y1 in regions[:MAX_REGIONS]:
            texts += self._retry(np.ascontiguousarray(gray[y0:y1, x0:x1]))
        return list(dict.fromkeys(texts))  # one symbol seen twice (both binarizers) is one scan

    def _retry(self, crop: np.ndarray) -> list[str]:
        """pyzbar, then zxing-cpp on preprocessed copies of one region; the first that reads wins."""
        small = min(crop.shape[:2]) < SMALL_SIDE
        big = _upscale(crop) if small else crop
        steps: list[tuple[str, Callable[[], list[str]]]] = [
            ("pyzbar", lambda: self.pyzbar.decode(crop)),
            ("zxing upscaled" if small else "zxing region", lambda: self.zxing.decode(big)),
            ("zxing sharpened", lambda: self.zxing.decode(_sharpen(big))),
            ("pyzbar upscaled", lambda: self.pyzbar.decode(_sharpen(big))),
            ("zxing global", lambda: self._global(big)),
            ("zxing equalised", lambda: self.zxing.decode(cv2.equalizeHist(big))),
        ]
        for name, step in steps:
            texts = step()
            if texts:
                self._count(name)
                return texts
        return []

    def _global(self, gray: np.ndarray) -> list[str]:
        return [r.text for r in self.zxing.read(gray, binarizer="GlobalHistogram") if r.valid]

    def _count(self, step: str) -> None:
        self.used[step] = self.used.get(step, 0) + 1


def make_decoder(name: str) -> CascadeDecoder | ZxingDecoder | PyzbarDecoder:
    """The decoder named in the settings: "cascade" (the default), "zxing" or "pyzbar"."""
    if name == "cascade":
        return CascadeDecoder()
    if name == "pyzbar":
        return PyzbarDecoder()
    if name == "zxing":
        return ZxingDecoder()
    raise ValueError(f"unknown decoder {name!r} (cascade, zxing or pyzbar)")
