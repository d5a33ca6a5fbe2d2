"""A virtual IP camera: MJPEG over HTTP on 127.0.0.1, showing rendered pass QR codes.

``cv2.VideoCapture(camera.url)`` opens it as it would a cheap network camera. Endpoints:
``GET /stream.mjpg`` (multipart/x-mixed-replace), ``GET /snapshot.jpg``, ``GET /health``.
Fault knobs: :meth:`VirtualCamera.freeze` (the same JPEG bytes forever) and
:meth:`VirtualCamera.go_dark` (connections dropped: the camera is gone).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import zlib
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import cv2
import numpy as np

from firmware_sim.frames import add_sensor_noise, render_scene

logger = logging.getLogger(__name__)

BOUNDARY = "frame"
POOL_SIZE = 6  # noisy variants per shown text, rotated: fresh-looking noise without a busy core
CACHE_TEXTS = 8  # how many shown texts keep their pools (a scenario cycles through a few passes)
JPEG_QUALITY = 85
_CLIENT_TIMEOUT_S = 5.0  # a client that stops reading is dropped rather than holding a thread


class VirtualCamera:
    """An MJPEG network camera whose picture the caller chooses."""

    def __init__(self, width: int = 640, height: int = 480, fps: float = 10.0, seed: int = 0) -> None:
        self.width, self.height, self.fps = width, height, fps
        self._seed = seed
        self._lock = threading.Lock()
        self._new_frame = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._pools: OrderedDict[str | None, list[bytes]] = OrderedDict()
        self._pool: list[bytes] = []
        self._showing: str | None = None
        self._frozen = False
        self._dark = False
        self._jpeg = b""
        self._frame_no = 0
        self._clients: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the camera listens on (chosen free at start)."""
        if self._server is None:
            raise RuntimeError("camera not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The MJPEG stream URL, for cv2.VideoCapture."""
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    @property
    def snapshot_url(self) -> str:
        """One JPEG of the current picture."""
        return f"http://127.0.0.1:{self.port}/snapshot.jpg"

    @property
    def frames_served(self) -> int:
        """Frames produced since start (advances even with nobody watching)."""
        return self._frame_no

    def start(self) -> None:
        """Render the empty scene, bind a free loopback port and start serving."""
        self._stop.clear()
        self.show(None)
        with self._lock:
            self._jpeg = self._pool[0]
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._threads = [
            threading.Thread(target=self._server.serve_forever, name="vcam-http", daemon=True),
            threading.Thread(target=self._produce, name="vcam-frames", daemon=True),
        ]
        for t in self._threads:
            t.start()
        logger.info("virtual camera at %s (%dx%d, %.1f fps)", self.url, self.width, self.height, self.fps)

    def stop(self) -> None:
        """Stop producing, drop every client and close the port."""
        self._stop.set()
        with self._lock:
            self._new_frame.notify_all()
        self._drop_clients()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self._threads = []

    def __enter__(self) -> VirtualCamera:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- what the camera sees --------------------------------------------------------------

    def show(self, text: str | None) -> None:
        """Hold up a QR code with this text until told otherwise (None: nobody at the gate)."""
        pool = self._pool_for(text)
        with self._lock:
            self._showing, self._pool = text, pool

    def blank(self) -> None:
        """Nobody at the gate."""
        self.show(None)

    def freeze(self, frozen: bool = True) -> None:
        """A stuck camera: keep sending the exact same JPEG bytes while set."""
        with self._lock:
            self._frozen = frozen

    def go_dark(self, dark: bool = True) -> None:
        """The camera is gone: drop every connection and refuse to answer while set."""
        with self._lock:
            self._dark = dark
            self._new_frame.notify_all()
        if dark:
            self._drop_clients()
        logger.info("virtual camera %s", "dark" if dark else "back")

    def current_jpeg(self) -> bytes:
        """The JPEG bytes being served now."""
        with self._lock:
            return self._jpeg

    # -- internals -------------------------------------------------------------------------

    def _pool_for(self, text: str | None) -> list[bytes]:
        """JPEG variants for a text: one cached scene, fresh sensor noise on each variant."""
        with self._lock:
            if text in self._pools:
                self._pools.move_to_end(text)
                return self._pools[text]
        # the scene depends on the text, so the same pass looks the same every time it is shown
        key = zlib.crc32(text.encode()) if text is not None else 0
        rng = np.random.default_rng([self._seed, key, len(text or "")])
        scene = render_scene(text, width=self.width, height=self.height, rng=rng)
        pool = []
        for _ in range(POOL_SIZE):
            frame = add_sensor_noise(scene, 6.0, rng)
            ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if not ok:
                raise RuntimeError("JPEG encoding failed")
            pool.append(buf.tobytes())
        with self._lock:
            self._pools[text] = pool
            while len(self._pools) > CACHE_TEXTS:
                self._pools.popitem(last=False)
        return pool

    def _produce(self) -> None:
        """Publish the next frame at the frame rate; clients wait on the condition."""
        period = 1.0 / self.fps
        deadline = time.monotonic()
        i = 0
        while not self._stop.is_set():
            deadline += period
            with self._lock:
                if not self._frozen and self._pool:
                    self._jpeg = self._pool[i % len(self._pool)]
                    i += 1
                self._frame_no += 1
                self._new_frame.notify_all()
            delay = deadline - time.monotonic()
            if delay < -period:  # fell behind (a suspended laptop): do not burst to catch up
                deadline = time.monotonic()
            if self._stop.wait(max(0.0, delay)):
                break

    def _next_frame(self, after: int) -> tuple[int, bytes] | None:
        """Block until a frame newer than ``after``; None when stopping or dark."""
        with self._lock:
            while self._frame_no <= after and not (self._stop.is_set() or self._dark):
                self._new_frame.wait(timeout=1.0)
            if self._stop.is_set() or self._dark:
                return None
            return self._frame_no, self._jpeg

    def _drop_clients(self) -> None:
        with self._lock:
            clients = list(self._clients)
        for sock in clients:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # unblocks a handler stuck in a write
            except OSError:
                pass

    def _status(self) -> dict[str, object]:
        with self._lock:
            return {
                "ok": True,
                "width": self.width,
                "height": self.height,
                "fps": self.fps,
                "showing_qr": self._showing is not None,
                "frozen": self._frozen,
                "frames": self._frame_no,
                "clients": len(self._clients),
            }


def _handler_for(camera: VirtualCamera) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one camera."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "campusgate-vcam/1"
        protocol_version = "HTTP/1.0"  # the stream ends when the connection does, as IP cameras do
        timeout = _CLIENT_TIMEOUT_S

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if camera._dark:
                self.close_connection = True
                return  # no status line at all: to a client the camera just hung up
            path = self.path.split("?", 1)[0]
            if path == "/stream.mjpg":
                self._stream()
            elif path == "/snapshot.jpg":
                self._send(200, "image/jpeg", camera.current_jpeg())
            elif path == "/health":
                self._send(200, "application/json", json.dumps(camera._status()).encode())
            else:
                self._send(404, "text/plain", b"not found\n")

        def _send(self, code: int, ctype: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _stream(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            with camera._lock:
                camera._clients.add(self.connection)
            last = 0
            try:
                while True:
                    got = camera._next_frame(last)
                    if got is None:
                        break
                    last, jpeg = got
                    head = (
                        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                    ).encode("ascii")
                    self.wfile.write(head + jpeg + b"\r\n")
            except OSError:  # the client went away (or the camera went dark under it)
                pass
            finally:
                with camera._lock:
                    camera._clients.discard(self.connection)
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            logger.debug("vcam %s " + format, self.address_string(), *args)

    return Handler
